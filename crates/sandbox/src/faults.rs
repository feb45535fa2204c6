//! Injected trouble on Graph paths: 429, 503 and 504 answers, dropped connections and
//! added latency, at rates set at run time and drawn from a seeded generator so a run can
//! be repeated.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::Response;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use crate::SandboxState;
use crate::graph::errors::GraphError;

/// The faults to inject on Graph requests. Rates are probabilities from 0.0 to 1.0, checked
/// in this order: dropped connection, 429, 503, 504.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// 429 TooManyRequests with a Retry-After header.
    pub throttle_rate: f64,
    /// 503 Service Unavailable.
    pub unavailable_rate: f64,
    /// 504 Gateway Timeout.
    pub timeout_rate: f64,
    /// The connection is closed without any response.
    pub drop_rate: f64,
    /// Added to every Graph request before it is answered.
    pub latency_ms: u64,
}

/// Returned to the HTTP layer to close a connection without answering.
#[derive(Debug)]
pub(crate) struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

enum Outcome {
    Pass,
    Drop,
    Fail(StatusCode),
}

fn decide(state: &SandboxState) -> (Outcome, u64) {
    let faults = state.faults();
    let mut dice = state.fault_dice();
    let roll = dice.unit();
    let mut threshold = faults.drop_rate;
    let outcome = if roll < threshold {
        Outcome::Drop
    } else {
        threshold += faults.throttle_rate;
        if roll < threshold {
            Outcome::Fail(StatusCode::TOO_MANY_REQUESTS)
        } else {
            threshold += faults.unavailable_rate;
            if roll < threshold {
                Outcome::Fail(StatusCode::SERVICE_UNAVAILABLE)
            } else if roll < threshold + faults.timeout_rate {
                Outcome::Fail(StatusCode::GATEWAY_TIMEOUT)
            } else {
                Outcome::Pass
            }
        }
    };
    (outcome, faults.latency_ms)
}

/// The JSON batching address; its inner requests get the faults, not the batch itself.
pub(crate) const BATCH_PATH: &str = "/v1.0/$batch";

/// The `Retry-After` (seconds) sent with an injected 503.
pub(crate) const UNAVAILABLE_RETRY_AFTER: &str = "1";

/// The answer for an injected failure.
fn fault_error(status: StatusCode) -> GraphError {
    match status {
        StatusCode::TOO_MANY_REQUESTS => GraphError::too_many_requests(1.5),
        StatusCode::SERVICE_UNAVAILABLE => GraphError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry after a short delay.",
        ),
        _ => GraphError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "gatewayTimeout",
            "The request timed out at the gateway. Please retry.",
        ),
    }
}

/// The injected failure for one request inside a `$batch`, drawn like a plain request's
/// (a dropped connection cannot happen to one inner request, so it passes).
pub(crate) fn inner_fault(state: &SandboxState) -> Option<GraphError> {
    match decide(state).0 {
        Outcome::Fail(status) => {
            state.count(&format!("fault_{}", status.as_u16()));
            Some(fault_error(status))
        }
        Outcome::Pass | Outcome::Drop => None,
    }
}

/// Runs one request through counting and fault injection, then the routes.
pub(crate) async fn handle(
    state: Arc<SandboxState>,
    app: Router,
    request: Request<Incoming>,
) -> Result<Response, DroppedConnection> {
    let path = request.uri().path().to_string();
    if !path.starts_with("/_sandbox") {
        state.count_request();
    }
    if path.starts_with("/v1.0/") || path == "/v1.0" {
        let (outcome, latency) = decide(&state);
        if latency > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
        }
        match outcome {
            Outcome::Pass => {}
            Outcome::Drop => {
                state.count("fault_dropped");
                return Err(DroppedConnection);
            }
            // A batch's own answer is not failed: its inner requests are, one by one, as
            // Graph throttles and fails the requests inside a batch (see `inner_fault`).
            Outcome::Fail(_) if path == BATCH_PATH => {}
            Outcome::Fail(status) => {
                state.count(&format!("fault_{}", status.as_u16()));
                let client_request_id = request
                    .headers()
                    .get("client-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let error = fault_error(status);
                let mut response = error.into_response(&state, client_request_id.as_deref());
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    response.headers_mut().insert(
                        "retry-after",
                        HeaderValue::from_static(UNAVAILABLE_RETRY_AFTER),
                    );
                }
                return Ok(response);
            }
        }
    }
    match app.oneshot(request.map(Body::new)).await {
        Ok(response) => Ok(response),
        Err(never) => match never {},
    }
}
