//! Steering a running sandbox, in process (`SandboxControl`) and over HTTP under
//! `/_sandbox/…`: consent, app state, faults, token lifetime, delta expiry, directory
//! changes and request counters.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use serde::{Deserialize, Serialize};

use crate::SandboxState;

/// A handle on a running sandbox; cheap to clone.
#[derive(Clone)]
pub struct SandboxControl {
    state: Arc<SandboxState>,
}

impl SandboxControl {
    pub(crate) fn new(state: Arc<SandboxState>) -> Self {
        Self { state }
    }
}

/// A new person to add.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewUser {
    pub display_name: String,
}

/// Properties to change on a person.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserChanges {
    pub department: Option<String>,
}

/// How many requests the sandbox has answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestCounters {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
}

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    let _ = SandboxControl::new;
    Router::new()
}
