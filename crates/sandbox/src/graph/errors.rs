//! Graph's error body (`{"error": {code, message, innerError}}`) and the success headers
//! every Graph answer carries.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use crate::SandboxState;

/// The JSON content type Graph answers with.
pub const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// A Graph error answer.
#[derive(Debug, Clone)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds, for 429.
    pub retry_after: Option<f64>,
    /// `WWW-Authenticate`, for 401.
    pub authenticate: bool,
    /// `Location`, for 410 on expired delta tokens.
    pub location: Option<String>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
            authenticate: false,
            location: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn unsupported_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    pub fn not_found(resource: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{resource}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn unauthenticated(message: &str) -> Self {
        let mut error = Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
        error.authenticate = true;
        error
    }

    pub fn too_many_requests(retry_after: f64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// The error body Graph sends, `{"error": {code, message, innerError}}`.
    pub fn body(&self, request_id: &str, client_request_id: &str) -> serde_json::Value {
        let date = Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        let inner = if self.status == StatusCode::TOO_MANY_REQUESTS {
            json!({
                "code": "429",
                "date": date,
                "message": "Please retry after",
                "request-id": request_id,
                "status": "429",
                "client-request-id": client_request_id,
            })
        } else {
            json!({
                "date": date,
                "request-id": request_id,
                "client-request-id": client_request_id,
            })
        };
        json!({"error": {"code": self.code, "message": self.message, "innerError": inner}})
    }

    pub fn into_response(self, state: &SandboxState, client_request_id: Option<&str>) -> Response {
        let request_id = state.request_guid();
        let client_request_id = client_request_id.unwrap_or(&request_id).to_string();
        let body = self.body(&request_id, &client_request_id);
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        request_headers(headers, &request_id, &client_request_id);
        if let Some(seconds) = self.retry_after {
            let text = format!("{seconds}");
            if let Ok(value) = HeaderValue::from_str(&text) {
                headers.insert(header::RETRY_AFTER, value);
            }
            headers.insert(
                "x-ms-throttle-information",
                HeaderValue::from_static("ResourceUnitLimitExceeded"),
            );
        }
        if self.authenticate {
            let value = format!(
                "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
                state.base_url
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Some(location) = self.location
            && let Ok(value) = HeaderValue::from_str(&location)
        {
            headers.insert(header::LOCATION, value);
        }
        response
    }
}

/// `request-id` and `client-request-id`.
pub fn request_headers(headers: &mut HeaderMap, request_id: &str, client_request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(client_request_id) {
        headers.insert("client-request-id", value);
    }
}
