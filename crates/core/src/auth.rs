//! The app's access token for Microsoft Graph, through the OAuth 2.0 client-credentials grant
//! (the `oauth2` crate over reqwest). A token is reused until shortly before it expires, judged
//! by an injected [`Clock`]. Refusals from the sign-in service (AADSTS codes) become diagnoses.
//! This module never stores the secret; it only sends it to the token endpoint.

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenResponse,
};
use oauth2::{
    AuthType, ClientSecret, EndpointNotSet, EndpointSet, HttpClientError, HttpRequest,
    HttpResponse, RequestTokenError, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::cloud::{Cloud, PortalLinks};
use crate::credentials::{ClientId, TenantRef};
use crate::diagnosis::{Diagnosis, Service};
use crate::network::{TOKEN_BODY_LIMIT, read_body, server_failure, transport_failure};
use crate::secret::Secret;

/// How long before its expiry a token is replaced rather than reused.
pub const RENEW_BEFORE: Duration = Duration::minutes(5);

/// The error body of the Microsoft sign-in service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntraError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u64>,
}

impl EntraError {
    /// The AADSTS number: `error_codes[0]`, else the `AADSTSnnnn:` prefix of the description.
    pub fn code(&self) -> Option<u64> {
        self.error_codes.first().copied().or_else(|| {
            let description = self.error_description.as_deref()?;
            let rest = description.trim_start().strip_prefix("AADSTS")?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    }

    /// The description without the `AADSTSnnnn:` prefix and the trace/correlation trailer.
    pub fn message(&self) -> String {
        let description = self.error_description.as_deref().unwrap_or(&self.error);
        let without_code = match description.split_once(": ") {
            Some((code, rest)) if code.starts_with("AADSTS") => rest,
            _ => description,
        };
        let end = without_code.find("Trace ID:").unwrap_or(without_code.len());
        without_code[..end].trim().to_string()
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code() {
            Some(code) => write!(f, "AADSTS{code}: {}", self.message()),
            None => write!(f, "{}: {}", self.error, self.message()),
        }
    }
}

impl oauth2::ErrorResponse for EntraError {}

type EntraClient = oauth2::Client<
    EntraError,
    BasicTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An access token for Graph. The value is a [`Secret`]: it never prints.
#[derive(Debug, Clone)]
pub struct AccessToken {
    value: Secret,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    /// The bearer value, for the `Authorization` header.
    pub fn bearer(&self) -> &str {
        self.value.expose()
    }
}

/// Why no token was obtained.
#[derive(Debug)]
pub enum TokenError {
    /// The sign-in service refused, with its status and error body.
    Refused { status: u16, error: EntraError },
    /// A server error (5xx) without a usable body.
    Server { status: u16 },
    /// No HTTP answer at all.
    Transport(reqwest::Error),
    /// An answer that could not be read.
    Unreadable(String),
}

/// Everything needed to ask for a token.
#[derive(Debug, Clone)]
pub struct AppSignIn {
    pub cloud: Cloud,
    /// The tenant's ID (as found by discovery) or domain.
    pub tenant: TenantRef,
    pub client_id: ClientId,
    pub secret: Secret,
}

impl AppSignIn {
    /// The tenant's token endpoint in this cloud. It is built from the cloud's own sign-in
    /// address, never taken from a document, so the secret only goes where the admin chose.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.cloud.authority_url(),
            self.tenant
        )
    }
}

/// Hands out Graph tokens for one app, reusing a token until [`RENEW_BEFORE`] its expiry.
pub struct TokenSource {
    sign_in: AppSignIn,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    cached: tokio::sync::Mutex<Option<AccessToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub fn new(sign_in: AppSignIn, http: reqwest::Client, clock: Arc<dyn Clock>) -> TokenSource {
        TokenSource {
            sign_in,
            http,
            clock,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A token valid for at least [`RENEW_BEFORE`]: the cached one, or a new one.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && token.expires_at - RENEW_BEFORE > self.clock.now()
        {
            return Ok(token.clone());
        }
        let token = self.request().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    async fn request(&self) -> Result<AccessToken, TokenError> {
        let token_url = TokenUrl::new(self.sign_in.token_url())
            .map_err(|error| TokenError::Unreadable(format!("bad token address: {error}")))?;
        let client: EntraClient =
            oauth2::Client::new(oauth2::ClientId::new(self.sign_in.client_id.to_string()))
                .set_client_secret(ClientSecret::new(self.sign_in.secret.expose().to_string()))
                .set_auth_type(AuthType::RequestBody)
                .set_token_uri(token_url);
        // oauth2 drops the HTTP status when an error body is not JSON; keep it here. The
        // request future owns what it uses (a clone of the client, a shared slot), so the
        // futures of every operation that signs in stay `Send` without borrowed state.
        let last_status: Arc<Mutex<Option<u16>>> = Arc::new(Mutex::new(None));
        let http = self.http.clone();
        let status_slot = last_status.clone();
        let send = move |request: HttpRequest| {
            let http = http.clone();
            let status_slot = status_slot.clone();
            async move {
                let response = call_limited(&http, request).await;
                if let Ok(answer) = &response {
                    *status_slot
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) =
                        Some(answer.status().as_u16());
                }
                response
            }
        };
        let started = self.clock.now();
        let result = client
            .exchange_client_credentials()
            .add_scope(Scope::new(self.sign_in.cloud.graph_scope()))
            .request_async(&send)
            .await;
        let status = last_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or(0);
        match result {
            Ok(response) => Ok(AccessToken {
                value: Secret::new(response.access_token().secret().clone()),
                expires_at: token_expiry(started, response.expires_in()),
            }),
            Err(RequestTokenError::ServerResponse(error)) => {
                Err(TokenError::Refused { status, error })
            }
            Err(RequestTokenError::Request(HttpClientError::Reqwest(error))) => {
                Err(TokenError::Transport(*error))
            }
            Err(RequestTokenError::Request(other)) => {
                Err(TokenError::Unreadable(other.to_string()))
            }
            Err(RequestTokenError::Parse(error, _)) if status >= 500 => {
                let _ = error;
                Err(TokenError::Server { status })
            }
            Err(RequestTokenError::Parse(error, _)) => Err(TokenError::Unreadable(format!(
                "HTTP {status}, and the answer could not be read: {error}"
            ))),
            Err(RequestTokenError::Other(text)) if status >= 500 => {
                let _ = text;
                Err(TokenError::Server { status })
            }
            Err(RequestTokenError::Other(text)) => {
                Err(TokenError::Unreadable(format!("HTTP {status}: {text}")))
            }
        }
    }
}

/// The longest lifetime a token is trusted for, whatever `expires_in` says (Entra gives
/// 60 to 90 minutes).
pub const TOKEN_LIFETIME_CAP: Duration = Duration::hours(24);

/// When a token received at `received` expires: its `expires_in`, at most
/// [`TOKEN_LIFETIME_CAP`], an hour when it says nothing. Never overflows.
pub fn token_expiry(
    received: DateTime<Utc>,
    expires_in: Option<std::time::Duration>,
) -> DateTime<Utc> {
    let lifetime = expires_in
        .map(|lifetime| {
            Duration::from_std(lifetime)
                .unwrap_or(TOKEN_LIFETIME_CAP)
                .min(TOKEN_LIFETIME_CAP)
        })
        .unwrap_or(Duration::hours(1));
    received.checked_add_signed(lifetime).unwrap_or(received)
}

/// Sends a token request and reads its answer up to [`TOKEN_BODY_LIMIT`].
async fn call_limited(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, HttpClientError<reqwest::Error>> {
    let request = reqwest::Request::try_from(request)
        .map_err(|error| HttpClientError::Reqwest(Box::new(error)))?;
    let response = http
        .execute(request)
        .await
        .map_err(|error| HttpClientError::Reqwest(Box::new(error)))?;
    let mut answer = oauth2::http::Response::builder()
        .status(response.status())
        .version(response.version());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = read_body(response, TOKEN_BODY_LIMIT)
        .await
        .map_err(|error| HttpClientError::Other(error.to_string()))?;
    answer.body(body).map_err(HttpClientError::Http)
}

impl TokenError {
    /// The finding to show the admin.
    pub fn to_diagnosis(&self, sign_in: &AppSignIn, links: &PortalLinks) -> Diagnosis {
        let host = sign_in.cloud.login_host();
        match self {
            TokenError::Transport(error) => transport_failure(error, Service::SignIn, &host),
            TokenError::Server { status } => server_failure(*status, Service::SignIn, &host),
            TokenError::Unreadable(detail) => Diagnosis::unexpected_response(
                Service::SignIn,
                &format!("The token endpoint's answer could not be read: {detail}"),
            ),
            TokenError::Refused { status, error } => {
                refusal_diagnosis(*status, error, sign_in, links)
            }
        }
    }
}

fn refusal_diagnosis(
    status: u16,
    error: &EntraError,
    sign_in: &AppSignIn,
    links: &PortalLinks,
) -> Diagnosis {
    let tenant = sign_in.tenant.to_string();
    let client_id = sign_in.client_id.to_string();
    match error.code() {
        Some(7000215) => {
            if uuid::Uuid::parse_str(sign_in.secret.expose().trim_matches(['{', '}'])).is_ok() {
                Diagnosis::secret_id_sent(
                    "Microsoft rejected the client secret, and what was sent is a GUID: the Secret ID rather than the secret's Value.",
                    links,
                )
            } else {
                Diagnosis::secret_wrong(
                    links,
                    "The value sent does not match any secret of this app. It may be mistyped, belong to another app, or be the Secret ID.",
                )
            }
        }
        Some(7000222) => Diagnosis::secret_expired(
            "Microsoft says the client secret's expiry date has passed, so it no longer works.",
            links,
        ),
        Some(700016) => Diagnosis::app_not_in_tenant(&client_id, &tenant, links),
        Some(90002) => Diagnosis::tenant_not_found(&tenant, sign_in.cloud.display_name(), links),
        Some(900023) => Diagnosis::tenant_malformed(
            format!(
                "The sign-in service says \"{tenant}\" is neither a valid domain nor a tenant ID."
            ),
            links,
        ),
        Some(7000112 | 70001) => Diagnosis::app_disabled(&client_id, links),
        Some(900382 | 900432 | 90038) => Diagnosis::wrong_cloud(
            &tenant,
            sign_in.cloud.display_name(),
            "another Microsoft cloud (for example US Government or China)",
        ),
        Some(7000216 | 7000218) => Diagnosis::secret_missing(
            "The sign-in service received no client secret.",
            "Store the app's client secret Value in Rollcall and check again.",
            links,
        ),
        Some(code) if status >= 500 => {
            let _ = code;
            server_failure(status, Service::SignIn, &sign_in.cloud.login_host())
        }
        Some(code) => Diagnosis::token_refused(&format!("AADSTS{code}"), &error.message(), links),
        None if status >= 500 => {
            server_failure(status, Service::SignIn, &sign_in.cloud.login_host())
        }
        None => Diagnosis::token_refused(&error.error, &error.message(), links),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_code_from_either_place() {
        let from_list = EntraError {
            error: "invalid_client".into(),
            error_description: Some(
                "AADSTS7000215: Invalid client secret provided. Trace ID: x Correlation ID: y"
                    .into(),
            ),
            error_codes: vec![7000215],
        };
        assert_eq!(from_list.code(), Some(7000215));
        assert_eq!(from_list.message(), "Invalid client secret provided.");
        let from_text = EntraError {
            error: "invalid_request".into(),
            error_description: Some(
                "AADSTS90002: Tenant 'x' not found.\r\nTrace ID: 1\r\nCorrelation ID: 2".into(),
            ),
            error_codes: Vec::new(),
        };
        assert_eq!(from_text.code(), Some(90002));
        assert_eq!(from_text.message(), "Tenant 'x' not found.");
        assert_eq!(EntraError::default().code(), None);
    }
}
