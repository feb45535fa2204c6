//! The HTTP client the connection doctor uses (timeout injected, no redirects, rustls
//! trusting both the bundled web roots and the system's certificates) and
//! the translation of transport failures (refused, dropped, timed out, TLS) into diagnoses.

use std::time::Duration;

use crate::diagnosis::{Diagnosis, Service};

/// Settings for every request the doctor makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// How long one request may take in total.
    pub timeout: Duration,
    /// How long setting up a connection may take.
    pub connect_timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> HttpSettings {
        HttpSettings {
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error(
    "Rollcall could not set up its network client: {0}. Restart Rollcall; if it persists, reinstall it."
)]
pub struct ClientSetupError(String);

/// A client that never follows redirects: a secret must only ever go to the address chosen.
pub fn http_client(settings: HttpSettings) -> Result<reqwest::Client, ClientSetupError> {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Rollcall/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ClientSetupError(error.to_string()))
}

/// The largest token reply read: a token answer is a few kilobytes.
pub const TOKEN_BODY_LIMIT: usize = 1024 * 1024;

/// The largest Graph or SCIM reply read: a page of 999 people with the selected fields is
/// about a megabyte, so this leaves ample room without letting a server fill the memory.
pub const REPLY_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Why a reply's body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(
        "the server sent a reply larger than {} MiB, more than any genuine answer; Rollcall stopped reading it. Check that the address points at the right service",
        limit / (1024 * 1024)
    )]
    TooLarge { limit: usize },
    #[error("{0}")]
    Transport(String),
}

/// Reads a reply's body, up to `limit` bytes; beyond it the read stops with
/// [`BodyError::TooLarge`] (a declared length over the limit stops it before reading).
pub async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| BodyError::Transport(chain_text(&error)))?
    {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Every message in an error's chain of causes, joined.
pub(crate) fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The diagnosis for a request that got no HTTP answer.
pub(crate) fn transport_failure(
    error: &reqwest::Error,
    service: Service,
    address: &str,
) -> Diagnosis {
    let detail = chain_text(error);
    let lower = detail.to_ascii_lowercase();
    if error.is_timeout() || lower.contains("timed out") {
        return Diagnosis::timed_out(service, address, &detail);
    }
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "invalidcontenttype",
        "corrupt message",
        "ssl",
    ];
    if tls_words.iter().any(|word| lower.contains(word)) {
        return Diagnosis::tls_failure(service, address, &detail);
    }
    Diagnosis::network_unreachable(service, address, &detail)
}

/// The diagnosis for a 5xx answer: 504 is a timeout, the rest an outage.
pub(crate) fn server_failure(status: u16, service: Service, address: &str) -> Diagnosis {
    if status == 504 {
        Diagnosis::timed_out(
            service,
            address,
            "the gateway gave up waiting (HTTP 504 Gateway Timeout)",
        )
    } else {
        Diagnosis::service_unavailable(service, status)
    }
}
