//! Conformance of the simulated tenant with the documented Entra and Graph behaviour:
//! one test binary, one module per area, each test against its own sandbox on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batch;
mod changes;
mod graph;
mod identity;
mod trouble;

use rollcall_sandbox::{AppInfo, AppState, Dataset, Sandbox, SandboxOptions};
use serde_json::Value;

/// A sandbox serving the demo tenant.
pub async fn demo() -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    })
    .await
    .expect("sandbox starts")
}

/// A sandbox serving a generated tenant.
pub async fn generated(users: usize, seed: u64) -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Generated { users, seed },
        port: 0,
    })
    .await
    .expect("sandbox starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn app(sandbox: &Sandbox, state: AppState) -> AppInfo {
    sandbox
        .info()
        .apps
        .iter()
        .find(|a| a.state == state)
        .cloned()
        .expect("scenario app exists")
}

/// Posts a client-credentials request and returns (status, body).
pub async fn token_request(sandbox: &Sandbox, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(format!(
            "{}/{tenant}/oauth2/v2.0/token",
            sandbox.info().authority_url
        ))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A Graph token for `app`.
pub async fn token_for(sandbox: &Sandbox, app: &AppInfo) -> String {
    let tenant = sandbox.info().tenant.id.clone();
    let (status, body) = token_request(
        sandbox,
        &tenant,
        &[
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// A GET against Graph with a bearer token; returns (status, headers, JSON or text body).
pub async fn graph_get(
    sandbox: &Sandbox,
    token: &str,
    path_and_query: &str,
    eventual: bool,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = if path_and_query.starts_with("http") {
        path_and_query.to_string()
    } else {
        format!("{}/v1.0/{path_and_query}", sandbox.info().graph_url)
    };
    let mut request = client().get(url).bearer_auth(token);
    if eventual {
        request = request.header("ConsistencyLevel", "eventual");
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}
