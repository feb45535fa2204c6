//! Where a sync writes: the one `Target` trait that the SCIM client and the CSV writer
//! implement, and the account shapes that cross it. The apply stage talks to a target only
//! through this trait, so policy (what to write, in which order, what to hold back) never
//! lives in a target, and a target never knows about Graph.

pub mod csv;
pub mod scim;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A boxed future that can cross threads: targets are called from the engine's runtime and
/// from the window's commands alike.
pub type TargetFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TargetError>> + Send + 'a>>;

/// One account's attributes by SCIM path, as the mapping produced them: `userName`,
/// `name.givenName`, `emails[type eq "work"].value`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`, …
/// A value that is missing in Entra is absent here, never an empty string.
pub type Attributes = BTreeMap<String, Value>;

/// What Rollcall wants one platform account to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountWrite {
    /// The Entra object ID; sent as the SCIM `externalId`.
    pub external_id: String,
    pub user_name: String,
    pub active: bool,
    /// Every mapped attribute, `userName` and `active` excluded.
    pub attributes: Attributes,
}

/// An account as the platform holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteAccount {
    /// The platform's own ID for the account (SCIM `id`).
    pub id: String,
    pub external_id: Option<String>,
    pub user_name: String,
    pub emails: Vec<String>,
    pub active: bool,
}

/// One attribute to change on an existing account; `None` removes the value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeChange {
    pub path: String,
    pub value: Option<Value>,
}

/// A group as the platform holds it (SCIM `Group`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteGroup {
    pub id: String,
    pub external_id: Option<String>,
    pub display_name: String,
}

/// What the platform says it supports, from discovery.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Capabilities {
    pub patch: bool,
    pub filter: bool,
    /// The platform's bulk limit (operations per request), when it offers bulk.
    pub bulk_max_operations: Option<u32>,
    pub etag: bool,
    pub enterprise_extension: bool,
    pub groups: bool,
}

/// Why a target refused or failed a request, after the target's own retries.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// 401 or 403: the token is wrong, expired or lacks rights. The run stops at once.
    #[error("the learning platform refused Rollcall's token ({status}): {detail}")]
    Unauthorized { status: u16, detail: String },
    /// 409: an account with this user name (or external ID) already exists.
    #[error("the learning platform already has an account with this user name: {detail}")]
    Conflict { detail: String },
    /// 404 for an account or group the ledger knows.
    #[error("the learning platform has no such account any more: {detail}")]
    NotFound { detail: String },
    /// 400 and other refusals of this one request: the run goes on with the next person.
    #[error("the learning platform refused the change ({status}): {detail}")]
    Rejected { status: u16, detail: String },
    /// 429 or 5xx, or the connection failed, and retrying did not help.
    #[error("the learning platform did not answer in time: {detail}")]
    Unavailable { detail: String },
    /// Not a SCIM answer (an HTML page, a body that does not parse), or a file that could
    /// not be written.
    #[error("{detail}")]
    Protocol { detail: String },
    /// The admin cancelled the run.
    #[error("the sync was cancelled")]
    Cancelled,
}

impl TargetError {
    /// True when the whole run must stop (the token stopped working, or the admin cancelled),
    /// not just this person's write.
    pub fn stops_the_run(&self) -> bool {
        matches!(
            self,
            TargetError::Unauthorized { .. } | TargetError::Cancelled
        )
    }
}

/// A learning platform that accounts are written into. Every method is one logical write
/// or read; retries, backoff and pacing are the target's own business, so that when a
/// method returns an error, retrying it at once would not help.
pub trait Target: Send + Sync {
    /// What the platform supports (SCIM discovery; fixed for CSV).
    fn capabilities(&self) -> TargetFuture<'_, Capabilities>;

    /// Every account the platform holds, for matching existing accounts on a first run.
    fn list_accounts(&self) -> TargetFuture<'_, Vec<RemoteAccount>>;

    /// The accounts whose `externalId` is `external_id` (several, when the platform let
    /// duplicates in), then, when there are none, those whose `userName` matches
    /// case-insensitively. Used to find a create whose reply was lost.
    fn find_account<'a>(
        &'a self,
        external_id: &'a str,
        user_name: &'a str,
    ) -> TargetFuture<'a, Vec<RemoteAccount>>;

    /// Creates the account and returns it as the platform now holds it.
    fn create_account<'a>(&'a self, account: &'a AccountWrite) -> TargetFuture<'a, RemoteAccount>;

    /// How many creates [`Target::create_accounts`] takes at once: more than 1 where the
    /// platform takes several in one request (SCIM bulk). With 1, the default, each create
    /// is sent on its own through [`Target::create_account`].
    fn create_batch(&self) -> TargetFuture<'_, usize> {
        Box::pin(async { Ok(1) })
    }

    /// Where a create may carry the person's manager: the attribute path and the value to
    /// put there for a manager's account ID (the SCIM enterprise extension's `manager`).
    /// `None`, the default, sets managers only through [`Target::set_manager`] once both
    /// accounts exist.
    fn manager_at_create(&self) -> TargetFuture<'_, Option<&'static str>> {
        Box::pin(async { Ok(None) })
    }

    /// Creates several accounts (at most [`Target::create_batch`]); one outcome per account,
    /// in order, each what [`Target::create_account`] would have returned for it. An error
    /// of the whole call applies to every account. The default creates them one by one.
    fn create_accounts<'a>(
        &'a self,
        accounts: &'a [AccountWrite],
    ) -> TargetFuture<'a, Vec<Result<RemoteAccount, TargetError>>> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(accounts.len());
            for account in accounts {
                outcomes.push(self.create_account(account).await);
            }
            Ok(outcomes)
        })
    }

    /// Changes only the given attributes of account `id` (`userName` and `active` may be
    /// among them); `full` is the whole desired account, for platforms that only take PUT.
    fn update_account<'a>(
        &'a self,
        id: &'a str,
        changes: &'a [AttributeChange],
        full: &'a AccountWrite,
    ) -> TargetFuture<'a, ()>;

    /// Sets the enterprise extension's manager of account `id` to account `manager_id`
    /// (or clears it).
    fn set_manager<'a>(&'a self, id: &'a str, manager_id: Option<&'a str>) -> TargetFuture<'a, ()>;

    /// Creates a group (or finds the one with this external ID) and returns it.
    fn ensure_group<'a>(
        &'a self,
        external_id: &'a str,
        display_name: &'a str,
    ) -> TargetFuture<'a, RemoteGroup>;

    /// Adds and removes members (platform account IDs) of group `id`.
    fn change_members<'a>(
        &'a self,
        id: &'a str,
        add: &'a [String],
        remove: &'a [String],
    ) -> TargetFuture<'a, ()>;

    /// Called once at the end of a run that wrote (not on a dry run) with every account the
    /// connection owns as last written, so a file target can write its roster. A no-op for
    /// SCIM.
    fn finish<'a>(&'a self, roster: &'a [AccountWrite]) -> TargetFuture<'a, ()>;
}
