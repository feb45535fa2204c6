//! The simulated learning platform's SCIM 2.0 service, tested from outside over HTTP on
//! 127.0.0.1, the way a provisioning client sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bulk;
mod discovery;
mod groups;
mod listing;
mod patching;
mod refusals;
mod staging;
mod trouble;
mod users;

use axum::Router;
use reqwest::Method;
use reqwest::header::HeaderMap;
use rollcall_sandbox::scim::{CORE_USER, ENTERPRISE_USER, PATCH_OP, ScimService};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The token every test platform accepts.
pub const TOKEN: &str = "t";

/// A SCIM service mounted at `/scim/v2` on an ephemeral 127.0.0.1 port.
pub struct Platform {
    pub service: ScimService,
    /// The absolute URL of `/scim/v2`.
    pub base: String,
    client: reqwest::Client,
    server: JoinHandle<()>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts a SCIM error with `status` and `scim_type`, and returns its detail.
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>) -> String {
        assert_eq!(self.status, status, "unexpected reply: {:?}", self.body);
        assert_eq!(
            self.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
        );
        assert_eq!(self.body["status"], json!(status.to_string()));
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{:?}", self.body);
        assert_eq!(self.header("content-type"), Some("application/scim+json"));
        let detail = self.body["detail"].as_str().unwrap_or_default().to_owned();
        assert!(!detail.is_empty(), "an error must say what went wrong");
        detail
    }
}

impl Platform {
    pub async fn start() -> Platform {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
        let service = ScimService::new(TOKEN);
        let app = Router::new().nest("/scim/v2", service.router(&base));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Platform {
            service,
            base,
            client: reqwest::Client::new(),
            server,
        }
    }

    /// A request with the platform's bearer token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
    }

    /// A request with no credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.request(Method::GET, path)).await
    }

    /// Sends `body` as `application/scim+json`.
    pub async fn send(&self, method: Method, path: &str, body: &Value) -> Reply {
        send(
            self.request(method, path)
                .header("content-type", "application/scim+json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn post_user(&self, body: &Value) -> Reply {
        self.send(Method::POST, "/Users", body).await
    }

    /// Creates a user and returns its resource, asserting 201.
    pub async fn create(&self, body: &Value) -> Value {
        let reply = self.post_user(body).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body
    }

    pub async fn patch(&self, id: &str, operations: Value) -> Reply {
        self.send(
            Method::PATCH,
            &format!("/Users/{id}"),
            &json!({"schemas": [PATCH_OP], "Operations": operations}),
        )
        .await
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// A minimal User document.
pub fn user(user_name: &str) -> Value {
    json!({"schemas": [CORE_USER], "userName": user_name, "active": true})
}

/// The RFC 7643 §8.3 enterprise user, trimmed to what a learning platform keeps.
pub fn enterprise_user(user_name: &str) -> Value {
    json!({
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "externalId": "701984",
        "userName": user_name,
        "name": {
            "formatted": "Ms. Barbara J Jensen, III",
            "familyName": "Jensen",
            "givenName": "Barbara",
        },
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"},
        ],
        ENTERPRISE_USER: {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"},
        },
    })
}
