//! Microsoft Graph v1.0 reads: users, groups, members, manager, applications, with
//! `$select`, `$top`, `$filter`, `$search`, `$count`, `$expand` and paging, behind bearer
//! tokens, application permissions and throttling.

pub(crate) mod errors;

use std::sync::Arc;

use axum::Router;

use crate::SandboxState;

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
}
