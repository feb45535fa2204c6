//! The simulated learning platform: a SCIM 2.0 service provider (RFC 7643/7644), the subset
//! a learning platform offers, behind a bearer token.

use std::sync::Arc;

use axum::Router;

/// The SCIM service's state: its users and the bearer token it accepts.
#[derive(Clone)]
pub struct ScimService {
    inner: Arc<ScimInner>,
}

struct ScimInner {
    token: String,
}

impl ScimService {
    /// A service with no users that accepts `token` as its bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(ScimInner {
                token: token.into(),
            }),
        }
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// The routes, to be nested under `/scim/v2`. `base_url` is the absolute URL of that
    /// mount point (used in `meta.location`).
    pub fn router(&self, base_url: &str) -> Router {
        let _ = base_url;
        Router::new()
    }
}
