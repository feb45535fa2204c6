//! The target check: one look at the platform's `/ServiceProviderConfig` and one filtered
//! read of `/Users`, each answer turned into a [`Diagnosis`] with cause and fix: token
//! missing, wrong or expired (401), without rights (403), an address that is not SCIM (404
//! or a web page), no filter support, a server error, TLS or the network failing.

use serde_json::Value;

use super::transport::{encode_query, error_detail};
use super::wire::{equals, member, truthy};
use crate::diagnosis::{Diagnosis, DiagnosisCode, Service};
use crate::network::{
    BodyError, HttpSettings, REPLY_BODY_LIMIT, http_client, read_body, transport_failure,
};
use crate::profile::{TargetKind, TargetSettings};
use crate::secret::Secret;

/// What one request of the check got.
enum Answer {
    /// A 2xx JSON body.
    Json(Value),
    /// A finding that ends the check.
    Finding(Diagnosis),
    /// The platform refused the filter (400 or 501).
    FilterRefused,
}

/// Checks the SCIM target of a profile (`profile` names it in the fixes). Returns no
/// findings for a target that works, and nothing for a target that is not SCIM.
pub async fn check(
    settings: &TargetSettings,
    token: Option<&Secret>,
    profile: &str,
    http: HttpSettings,
) -> Vec<Diagnosis> {
    let url = match (&settings.kind, &settings.url) {
        (TargetKind::Scim, Some(url)) => url.trim().trim_end_matches('/').to_owned(),
        _ => return Vec::new(),
    };
    let client = match http_client(http) {
        Ok(client) => client,
        Err(error) => {
            return vec![Diagnosis::unexpected_response(
                Service::LearningPlatform,
                &error.to_string(),
            )];
        }
    };
    let mut findings = Vec::new();
    let config = match get(&client, &url, "/ServiceProviderConfig", token).await {
        Answer::Json(body) => body,
        // A platform that wants a token even for its configuration.
        Answer::Finding(finding)
            if token.is_none() && finding.code == DiagnosisCode::TargetTokenRejected =>
        {
            return vec![Diagnosis::target_token_missing(profile)];
        }
        Answer::Finding(finding) => return vec![finding],
        Answer::FilterRefused => {
            return vec![Diagnosis::target_not_scim(
                &url,
                "it refused the request for /ServiceProviderConfig",
            )];
        }
    };
    let is_config = member(&config, "schemas").is_some()
        || member(&config, "patch").is_some()
        || member(&config, "filter").is_some();
    if !is_config {
        return vec![Diagnosis::target_not_scim(
            &url,
            "its /ServiceProviderConfig answer is JSON but not a SCIM service provider configuration",
        )];
    }
    let filter_off = member(&config, "filter")
        .and_then(|filter| member(filter, "supported"))
        .and_then(truthy)
        == Some(false);
    if filter_off {
        findings.push(Diagnosis::target_no_filter(&url));
    }
    let Some(token) = token else {
        findings.push(Diagnosis::target_token_missing(profile));
        return findings;
    };
    let query = encode_query(&[
        (
            "filter",
            &equals("userName", "rollcall-check@example.invalid"),
        ),
        ("count", "1"),
    ]);
    match get(&client, &url, &format!("/Users?{query}"), Some(token)).await {
        Answer::Json(body) => {
            if member(&body, "Resources").is_none() && member(&body, "totalResults").is_none() {
                findings.push(Diagnosis::target_not_scim(
                    &url,
                    "its /Users answer is JSON but not a SCIM list of users",
                ));
            }
        }
        Answer::Finding(finding) => findings.push(finding),
        Answer::FilterRefused => {
            if !filter_off {
                findings.push(Diagnosis::target_no_filter(&url));
            }
        }
    }
    findings
}

async fn get(client: &reqwest::Client, base: &str, path: &str, token: Option<&Secret>) -> Answer {
    let address = format!("{base}{path}");
    let mut request = client.get(&address).header(
        reqwest::header::ACCEPT,
        "application/scim+json, application/json",
    );
    if let Some(token) = token {
        request = request.bearer_auth(token.expose());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Answer::Finding(transport_failure(&error, Service::LearningPlatform, base));
        }
    };
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let bytes = match read_body(response, REPLY_BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(error @ BodyError::TooLarge { .. }) => {
            return Answer::Finding(Diagnosis::target_not_scim(base, &error.to_string()));
        }
        Err(BodyError::Transport(detail)) => {
            return Answer::Finding(Diagnosis::unexpected_response(
                Service::LearningPlatform,
                &detail,
            ));
        }
    };
    let (detail, scim) = error_detail(status, &content_type, &bytes);
    let path_only = path.split('?').next().unwrap_or(path);
    match status {
        200..=299 => {
            let html = content_type.contains("html");
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(body) if !html && body.is_object() => Answer::Json(body),
                _ => Answer::Finding(Diagnosis::target_not_scim(
                    base,
                    &format!(
                        "it answered {path_only} with {} instead of SCIM",
                        if html || detail.contains("web page") {
                            "a web page"
                        } else {
                            "something that is not JSON"
                        }
                    ),
                )),
            }
        }
        300..=399 => Answer::Finding(Diagnosis::target_not_scim(
            base,
            &format!(
                "it sends {path_only} on to {} (HTTP {status}), as a sign-in page or a moved site would; a SCIM service answers directly",
                location.as_deref().unwrap_or("another address")
            ),
        )),
        401 => Answer::Finding(Diagnosis::target_token_rejected(base, &detail)),
        403 => Answer::Finding(Diagnosis::target_forbidden(base, &detail)),
        404 => Answer::Finding(Diagnosis::target_not_scim(
            base,
            &format!("it answered 404 (not found) for {path_only}"),
        )),
        400 | 501 if scim => Answer::FilterRefused,
        504 => Answer::Finding(Diagnosis::timed_out(
            Service::LearningPlatform,
            base,
            "the gateway gave up waiting (HTTP 504 Gateway Timeout)",
        )),
        500..=599 => Answer::Finding(Diagnosis::target_unavailable(base, status)),
        _ if !scim => Answer::Finding(Diagnosis::target_not_scim(
            base,
            &format!("it answered {path_only} with {detail}"),
        )),
        _ => Answer::Finding(Diagnosis::unexpected_response(
            Service::LearningPlatform,
            &format!("{address} answered HTTP {status}: {detail}"),
        )),
    }
}
