//! One SCIM request, sent until it is answered: the bearer token added, the limiter asked
//! for a turn, 429 waited out by its `Retry-After` (bounded), 5xx, timeouts and dropped
//! connections retried with exponential backoff and jitter through the injected
//! [`Sleeper`], and every final answer turned into a [`TargetError`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::pacing::{Pacing, Signal};
use super::wire::member;
use crate::graph::{CancelToken, RetryPolicy, Sleeper, parse_retry_after};
use crate::network::{REPLY_BODY_LIMIT, chain_text, read_body as read_reply};
use crate::secret::Secret;
use crate::targets::TargetError;

/// A platform's answer with a 2xx status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The JSON body; `None` when the body was empty (204).
    pub body: Option<Value>,
}

/// Why an attempt may be worth repeating.
#[derive(Debug, Clone)]
pub enum Trouble {
    Throttled(Option<Duration>),
    Unavailable(u16, Option<Duration>),
    Network(String),
}

impl Trouble {
    fn error(&self, attempts: u32) -> TargetError {
        let detail = match self {
            Trouble::Throttled(_) => format!(
                "the platform kept answering 429 (too many requests) after {attempts} attempts"
            ),
            Trouble::Unavailable(status, _) => {
                format!("the platform kept answering HTTP {status} after {attempts} attempts")
            }
            Trouble::Network(detail) => {
                format!("the connection kept failing after {attempts} attempts: {detail}")
            }
        };
        TargetError::Unavailable { detail }
    }
}

/// How an attempt ended.
pub enum Attempt {
    Answered(Reply),
    Retry(Trouble),
    Failed(TargetError),
}

/// Whether a failed attempt may be sent again as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads, PUT, PATCH: sending twice does no harm.
    Safe,
    /// POST: only a 429 (never applied) is sent again here; after a 5xx or a dropped
    /// connection the caller must first look for what the lost attempt may have created.
    Unsafe,
}

/// What a call that could not be completed left behind.
pub enum CallError {
    /// A final answer.
    Failed(TargetError),
    /// A create that may or may not have been applied; the caller looks before retrying.
    Uncertain(Trouble),
}

/// What the client did, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScimStats {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Requests sent again after a 429, 5xx or dropped connection.
    pub retries: u64,
    /// Answers with 429.
    pub throttled: u64,
    /// Answers with 5xx.
    pub unavailable: u64,
    /// Requests that got no answer (reset, timeout).
    pub network_failures: u64,
    /// Creates whose reply was lost and whose account was found afterwards.
    pub recovered_creates: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    unavailable: AtomicU64,
    network_failures: AtomicU64,
    recovered_creates: AtomicU64,
}

/// A `Retry-After` no longer than `max`; a huge value is cut to `max`, an unreadable one
/// (or an HTTP date) is ignored so backoff decides.
pub fn bounded_retry_after(value: &str, max: Duration) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if seconds.is_finite() && seconds > max.as_secs_f64() {
        return Some(max);
    }
    parse_retry_after(value).map(|after| after.min(max))
}

/// The SCIM client's HTTP side.
pub struct Transport {
    http: reqwest::Client,
    base: String,
    token: Secret,
    pub policy: RetryPolicy,
    pub sleeper: Arc<dyn Sleeper>,
    pub cancel: CancelToken,
    pub pacing: Pacing,
    counters: Counters,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Query pairs encoded with `%20` for spaces (some platforms do not read `+`).
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    serializer.finish().replace('+', "%20")
}

impl Transport {
    pub fn new(
        http: reqwest::Client,
        base: &str,
        token: Secret,
        policy: RetryPolicy,
        sleeper: Arc<dyn Sleeper>,
    ) -> Transport {
        Transport {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
            policy,
            sleeper,
            cancel: CancelToken::new(),
            pacing: Pacing::new(),
            counters: Counters::default(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn stats(&self) -> ScimStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ScimStats {
            requests: load(&self.counters.requests),
            retries: load(&self.counters.retries),
            throttled: load(&self.counters.throttled),
            unavailable: load(&self.counters.unavailable),
            network_failures: load(&self.counters.network_failures),
            recovered_creates: load(&self.counters.recovered_creates),
        }
    }

    pub fn count_recovered_create(&self) {
        self.counters
            .recovered_creates
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The absolute address of `path` (e.g. `/Users`) with a query.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, encode_query(query))
        }
    }

    /// The backoff before attempt `attempt + 1`: doubling from the base delay, capped, with
    /// jitter between half and all of it.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .policy
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.policy.max_delay);
        let random = (uuid::Uuid::new_v4().as_u128() % 1_000) as f64 / 1_000.0;
        full.mul_f64(0.5 + random / 2.0)
    }

    /// Waits `duration` through the sleeper; stops early with `Cancelled` when asked.
    pub async fn pause(&self, duration: Duration) -> Result<(), TargetError> {
        if self.cancel.is_cancelled() {
            return Err(TargetError::Cancelled);
        }
        if duration.is_zero() {
            return Ok(());
        }
        let cancel = self.cancel.clone();
        let watch = async move {
            while !cancel.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            () = self.sleeper.sleep(duration) => Ok(()),
            () = watch => Err(TargetError::Cancelled),
        }
    }

    /// How long to wait after `trouble` on attempt `attempts`.
    pub fn wait_for(&self, trouble: &Trouble, attempts: u32) -> Duration {
        match trouble {
            Trouble::Throttled(Some(after)) => *after,
            Trouble::Unavailable(_, Some(after)) => (*after).max(self.backoff(attempts)),
            Trouble::Throttled(None) | Trouble::Unavailable(_, None) | Trouble::Network(_) => {
                self.backoff(attempts)
            }
        }
    }

    /// Sends one request once (after waiting for its turn); `body` is JSON text.
    pub async fn attempt(&self, method: &Method, url: &str, body: Option<&str>) -> Attempt {
        let write = *method != Method::GET;
        let slot = match self.pacing.admit(write, &self.cancel).await {
            Ok(slot) => slot,
            Err(error) => return Attempt::Failed(error),
        };
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(self.token.expose())
            .header(
                reqwest::header::ACCEPT,
                "application/scim+json, application/json",
            );
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/scim+json")
                .body(body.to_owned());
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let outcome = match request.send().await {
            Err(error) => Err(Trouble::Network(chain_text(&error))),
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| bounded_retry_after(value, self.policy.max_retry_after));
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                match read_reply(response, REPLY_BODY_LIMIT).await {
                    Err(error) => Err(Trouble::Network(error.to_string())),
                    Ok(bytes) => Ok((status, retry_after, content_type, bytes)),
                }
            }
        };
        let (status, retry_after, content_type, bytes) = match outcome {
            Err(trouble) => {
                self.counters
                    .network_failures
                    .fetch_add(1, Ordering::Relaxed);
                self.pacing.learn(write, Signal::Trouble);
                drop(slot);
                return Attempt::Retry(trouble);
            }
            Ok(parts) => parts,
        };
        drop(slot);
        match status {
            429 => {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                self.pacing.learn(write, Signal::Throttled);
                Attempt::Retry(Trouble::Throttled(retry_after))
            }
            500 | 502 | 503 | 504 => {
                self.counters.unavailable.fetch_add(1, Ordering::Relaxed);
                self.pacing.learn(write, Signal::Trouble);
                Attempt::Retry(Trouble::Unavailable(status, retry_after))
            }
            200..=299 => {
                self.pacing.learn(write, Signal::Success);
                match read_body(&content_type, &bytes) {
                    Ok(body) => Attempt::Answered(Reply { status, body }),
                    Err(detail) => Attempt::Failed(TargetError::Protocol {
                        detail: format!(
                            "{url} answered HTTP {status} with {detail}, not SCIM. Check the target address: it must be the SCIM base address (often ending in /scim/v2)."
                        ),
                    }),
                }
            }
            _ => {
                self.pacing.learn(write, Signal::Success);
                Attempt::Failed(refusal(status, &content_type, &bytes, url))
            }
        }
    }

    /// Sends a request until it is answered, or until retrying stops helping.
    pub async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Reply, CallError> {
        let text = body.map(Value::to_string);
        self.call_text(method, url, text.as_deref(), replay).await
    }

    /// [`Transport::call`] with a body already written as JSON text.
    pub async fn call_text(
        &self,
        method: Method,
        url: &str,
        body: Option<&str>,
        replay: Replay,
    ) -> Result<Reply, CallError> {
        let mut attempts: u32 = 0;
        loop {
            attempts += 1;
            let trouble = match self.attempt(&method, url, body).await {
                Attempt::Answered(reply) => return Ok(reply),
                Attempt::Failed(error) => return Err(CallError::Failed(error)),
                Attempt::Retry(trouble) => trouble,
            };
            let replayable = replay == Replay::Safe || matches!(trouble, Trouble::Throttled(_));
            if !replayable {
                return Err(CallError::Uncertain(trouble));
            }
            if attempts >= self.policy.max_attempts {
                return Err(CallError::Failed(trouble.error(attempts)));
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            self.pause(self.wait_for(&trouble, attempts))
                .await
                .map_err(CallError::Failed)?;
        }
    }

    /// [`Transport::call`] for requests that may be replayed.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, TargetError> {
        match self.call(method, url, body, Replay::Safe).await {
            Ok(reply) => Ok(reply),
            Err(CallError::Failed(error)) => Err(error),
            Err(CallError::Uncertain(trouble)) => Err(trouble.error(1)),
        }
    }

    /// Counts a retry the caller makes itself (a create sent again after looking).
    pub fn count_retry(&self) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// The error for a create that stayed uncertain after `attempts`.
    pub fn gave_up(trouble: &Trouble, attempts: u32) -> TargetError {
        trouble.error(attempts)
    }
}

fn looks_like_html(content_type: &str, bytes: &[u8]) -> bool {
    if content_type.contains("html") {
        return true;
    }
    let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        .trim_start()
        .to_ascii_lowercase();
    start.starts_with("<!doctype") || start.starts_with("<html")
}

/// The JSON of a 2xx body; `None` when empty.
fn read_body(content_type: &str, bytes: &[u8]) -> Result<Option<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if looks_like_html(content_type, bytes) {
        return Err("a web page (HTML)".to_owned());
    }
    serde_json::from_slice(bytes)
        .map(Some)
        .map_err(|_| "a body that is not JSON".to_owned())
}

/// The SCIM `detail` of an error body, or a short description of what came instead.
pub fn error_detail(status: u16, content_type: &str, bytes: &[u8]) -> (String, bool) {
    if looks_like_html(content_type, bytes) {
        return (
            format!("HTTP {status} with a web page instead of a SCIM answer"),
            false,
        );
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(json) => {
            let detail = member(&json, "detail")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    member(&json, "scimType")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| format!("HTTP {status}"));
            (detail, true)
        }
        Err(_) if bytes.iter().all(u8::is_ascii_whitespace) => (format!("HTTP {status}"), true),
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
            (format!("HTTP {status}: {}", text.trim()), false)
        }
    }
}

/// The error for a final non-2xx answer.
pub fn refusal(status: u16, content_type: &str, bytes: &[u8], url: &str) -> TargetError {
    let (detail, scim) = error_detail(status, content_type, bytes);
    match status {
        401 | 403 => TargetError::Unauthorized { status, detail },
        404 if scim => TargetError::NotFound { detail },
        409 => TargetError::Conflict { detail },
        // Too large, whoever says it (a proxy's page too): the caller sends less at once.
        413 => TargetError::Rejected { status, detail },
        _ if !scim => TargetError::Protocol {
            detail: format!(
                "{url} answered {detail}. Check the target address: it must be the SCIM base address (often ending in /scim/v2)."
            ),
        },
        _ => TargetError::Rejected { status, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_bounded_and_never_panics() {
        let max = Duration::from_secs(120);
        assert_eq!(bounded_retry_after("2", max), Some(Duration::from_secs(2)));
        assert_eq!(bounded_retry_after("1e300", max), Some(max));
        assert_eq!(bounded_retry_after("99999999999999999999", max), Some(max));
        assert_eq!(bounded_retry_after("soon", max), None);
        assert_eq!(bounded_retry_after("NaN", max), None);
        assert_eq!(bounded_retry_after("-5", max), None);
        assert_eq!(
            bounded_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", max),
            None
        );
    }

    #[test]
    fn html_and_non_json_bodies_are_protocol_errors() {
        let page = b"<!DOCTYPE html><html><body>Login</body></html>";
        assert!(read_body("text/html", page).is_err());
        assert!(read_body("application/json", b"ok").is_err());
        assert_eq!(read_body("", b"  "), Ok(None));
        assert!(matches!(
            refusal(404, "text/html", page, "https://x/Users"),
            TargetError::Protocol { .. }
        ));
        let scim = br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","detail":"userName is required"}"#;
        assert_eq!(
            refusal(400, "application/scim+json", scim, "u"),
            TargetError::Rejected {
                status: 400,
                detail: "userName is required".into()
            }
        );
        assert!(matches!(
            refusal(403, "text/html", page, "u"),
            TargetError::Unauthorized { status: 403, .. }
        ));
    }

    #[test]
    fn queries_encode_spaces_and_quotes() {
        assert_eq!(
            encode_query(&[("filter", "userName eq \"o'b+c\"")]),
            "filter=userName%20eq%20%22o%27b%2Bc%22"
        );
    }
}
