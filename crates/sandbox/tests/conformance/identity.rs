//! Discovery, the token endpoint and its failures, token claims, and admin consent.

use base64::Engine;
use rollcall_sandbox::AppState;
use serde_json::Value;

use crate::{app, client, demo, token_for, token_request};

fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    for part in &parts {
        assert!(!part.contains('='), "base64url without padding");
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn discovery_by_domain_names_the_tenant_guid_and_points_at_this_server() {
    let sandbox = demo().await;
    let info = sandbox.info();
    let url = format!(
        "{}/NorthwindAcademy.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        info.authority_url
    );
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["issuer"].as_str().unwrap().contains(&info.tenant.id));
    assert_eq!(
        body["token_endpoint"],
        format!(
            "{}/{}/oauth2/v2.0/token",
            info.authority_url, info.tenant.id
        )
    );
    assert_eq!(body["cloud_instance_name"], "microsoftonline.com");
    assert!(body["tenant_region_scope"].is_string());
    assert!(body["msgraph_host"].is_string());

    let instance: Value = client()
        .get(format!(
            "{}/common/discovery/instance?api-version=1.1",
            info.authority_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(instance["api-version"], "1.1");
}

#[tokio::test]
async fn discovery_rejects_unknown_and_malformed_tenants_and_reveals_the_foreign_cloud() {
    let sandbox = demo().await;
    let info = sandbox.info();
    let get = |tenant: String| {
        let url = format!(
            "{}/{tenant}/v2.0/.well-known/openid-configuration",
            info.authority_url
        );
        async move {
            let response = client().get(url).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get("2b0623dd-90fa-4c5c-bee8-8dc18bd4d948".into()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_tenant");
    assert_eq!(body["error_codes"][0], 90002);
    let (status, body) = get("{{tenantid}}".into()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_codes"][0], 900023);
    let (status, body) = get(info.foreign_tenant.domain.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(body["tenant_region_scope"], "USGov");
    assert_eq!(body["cloud_instance_name"], "microsoftonline.us");
    assert!(
        body["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://login.microsoftonline.us/")
    );
    assert_eq!(info.foreign_tenant.cloud, "usgov");
}

#[tokio::test]
async fn healthy_app_gets_a_v1_graph_token_with_its_roles() {
    let sandbox = demo().await;
    let healthy = app(&sandbox, AppState::Healthy);
    let tenant = sandbox.info().tenant.domain.clone();
    let response = client()
        .post(format!(
            "{}/{tenant}/oauth2/v2.0/token",
            sandbox.info().authority_url
        ))
        .form(&[
            ("client_id", healthy.client_id.as_str()),
            ("client_secret", healthy.secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 3000);
    assert!(body["ext_expires_in"].is_number());
    let claims = claims(body["access_token"].as_str().unwrap());
    let tid = &sandbox.info().tenant.id;
    assert_eq!(claims["iss"], format!("https://sts.windows.net/{tid}/"));
    assert_eq!(claims["tid"], tid.as_str());
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["appid"], healthy.client_id.as_str());
    assert_eq!(claims["appidacr"], "1");
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "1.0");
    assert_eq!(claims["oid"], claims["sub"]);
    assert_eq!(claims["app_displayname"], healthy.name.as_str());
    let roles: Vec<&str> = claims["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(roles.contains(&"User.Read.All") && roles.contains(&"GroupMember.Read.All"));
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

    // HTTP Basic client authentication works too, and the sandbox's own URL is a resource.
    let basic = client()
        .post(format!(
            "{}/{tenant}/oauth2/v2.0/token",
            sandbox.info().authority_url
        ))
        .basic_auth(&healthy.client_id, Some(&healthy.secret))
        .form(&[
            (
                "scope",
                format!("{}/.default", sandbox.info().graph_url).as_str(),
            ),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
}

#[tokio::test]
async fn token_without_consent_has_no_roles_claim_at_all() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::NoConsent)).await;
    assert!(claims(&token).get("roles").is_none());
    let partial = token_for(&sandbox, &app(&sandbox, AppState::Partial)).await;
    assert_eq!(
        claims(&partial)["roles"],
        serde_json::json!(["User.Read.All"])
    );
}

#[tokio::test]
async fn every_credential_failure_has_its_entra_status_error_and_code() {
    let sandbox = demo().await;
    let info = sandbox.info().clone();
    let healthy = app(&sandbox, AppState::Healthy);
    let expired = app(&sandbox, AppState::Expired);
    let disabled = app(&sandbox, AppState::Disabled);
    let graph = "https://graph.microsoft.com/.default";
    let tid = info.tenant.id.as_str();
    /// (scenario, tenant, form fields, status, error, AADSTS code)
    type Case<'a> = (&'a str, String, Vec<(&'a str, String)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            "wrong secret",
            tid.into(),
            vec![
                ("client_id", healthy.client_id.clone()),
                (
                    "client_secret",
                    "abc1Q~wrongwrongwrongwrongwrongwrongwron".into(),
                ),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            "secret id sent",
            tid.into(),
            vec![
                ("client_id", healthy.client_id.clone()),
                ("client_secret", healthy.secret_id.clone()),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            "expired secret",
            tid.into(),
            vec![
                ("client_id", expired.client_id.clone()),
                ("client_secret", expired.secret.clone()),
            ],
            401,
            "invalid_client",
            7000222,
        ),
        (
            "unknown client",
            tid.into(),
            vec![
                ("client_id", "11111111-2222-4333-8444-555555555555".into()),
                ("client_secret", healthy.secret.clone()),
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            "unknown tenant",
            "2b0623dd-90fa-4c5c-bee8-8dc18bd4d948".into(),
            vec![
                ("client_id", healthy.client_id.clone()),
                ("client_secret", healthy.secret.clone()),
            ],
            400,
            "invalid_request",
            90002,
        ),
        (
            "malformed tenant",
            "undefined".into(),
            vec![
                ("client_id", healthy.client_id.clone()),
                ("client_secret", healthy.secret.clone()),
            ],
            400,
            "invalid_request",
            900023,
        ),
        (
            "disabled app",
            tid.into(),
            vec![
                ("client_id", disabled.client_id.clone()),
                ("client_secret", disabled.secret.clone()),
            ],
            400,
            "unauthorized_client",
            7000112,
        ),
        (
            "missing secret",
            tid.into(),
            vec![("client_id", healthy.client_id.clone())],
            401,
            "invalid_client",
            7000216,
        ),
        (
            "wrong cloud",
            info.foreign_tenant.domain.clone(),
            vec![
                ("client_id", healthy.client_id.clone()),
                ("client_secret", healthy.secret.clone()),
            ],
            400,
            "invalid_request",
            900382,
        ),
        (
            "common",
            "common".into(),
            vec![
                ("client_id", healthy.client_id.clone()),
                ("client_secret", healthy.secret.clone()),
            ],
            400,
            "invalid_request",
            9001023,
        ),
    ];
    for (name, tenant, fields, status, error, code) in cases {
        let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form.push(("scope", graph));
        form.push(("grant_type", "client_credentials"));
        let (got, body) = token_request(&sandbox, &tenant, &form).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["error"], error, "{name}");
        assert_eq!(body["error_codes"][0], code, "{name}");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{name}: {description}"
        );
        assert!(
            description.contains("Trace ID: ")
                && description.contains("Correlation ID: ")
                && description.contains("Timestamp: ")
        );
        let timestamp = body["timestamp"].as_str().unwrap();
        assert_eq!(timestamp.len(), 20, "YYYY-MM-DD HH:MM:SSZ: {timestamp}");
        assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
        assert!(
            body["error_uri"]
                .as_str()
                .unwrap()
                .ends_with(&format!("code={code}"))
        );
    }

    let bad_scope = [
        ("client_id", healthy.client_id.as_str()),
        ("client_secret", healthy.secret.as_str()),
        ("scope", "https://graph.microsoft.com/User.Read.All"),
        ("grant_type", "client_credentials"),
    ];
    let (status, body) = token_request(&sandbox, tid, &bad_scope).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    assert_eq!(body["error_codes"][0], 1002012);
    let bad_grant = [
        ("client_id", healthy.client_id.as_str()),
        ("client_secret", healthy.secret.as_str()),
        ("scope", graph),
        ("grant_type", "password"),
    ];
    let (status, body) = token_request(&sandbox, tid, &bad_grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn admin_consent_grants_configured_roles_for_new_tokens_only() {
    let sandbox = demo().await;
    let info = sandbox.info().clone();
    let waiting = app(&sandbox, AppState::NoConsent);
    let before = token_for(&sandbox, &waiting).await;

    let page = client()
        .get(format!(
            "{}/{}/adminconsent?client_id={}&redirect_uri=http://localhost/done&state=s1",
            info.authority_url, info.tenant.id, waiting.client_id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("Grant permissions to {}?", waiting.name)),
        "{html}"
    );
    assert!(html.contains("User.Read.All") && html.contains("GroupMember.Read.All"));
    assert!(html.contains("Accept"));

    let accepted = client()
        .post(format!(
            "{}/{}/adminconsent",
            info.authority_url, info.tenant.id
        ))
        .form(&[
            ("client_id", waiting.client_id.as_str()),
            ("redirect_uri", "http://localhost/done"),
            ("state", "s1"),
            ("decision", "accept"),
        ])
        .send()
        .await
        .unwrap();
    assert!(accepted.status().is_redirection());
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("http://localhost/done?admin_consent=True&tenant="),
        "{location}"
    );
    assert!(location.contains(&info.tenant.id) && location.ends_with("state=s1"));

    assert!(
        claims(&before).get("roles").is_none(),
        "old tokens keep their old roles"
    );
    let after = token_for(&sandbox, &waiting).await;
    assert_eq!(claims(&after)["roles"].as_array().unwrap().len(), 2);
    let now = sandbox.apps();
    assert_eq!(
        now.iter()
            .find(|a| a.client_id == waiting.client_id)
            .unwrap()
            .state,
        AppState::Healthy
    );

    let no_redirect = client()
        .post(format!(
            "{}/{}/v2.0/adminconsent",
            info.authority_url, info.tenant.id
        ))
        .form(&[
            ("client_id", waiting.client_id.as_str()),
            ("decision", "accept"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        no_redirect
            .text()
            .await
            .unwrap()
            .contains("Permissions granted; you can close this window")
    );
}
