//! The simulated learning platform: a SCIM 2.0 service provider (RFC 7643/7644), the subset
//! a learning platform offers, behind a bearer token.
//!
//! Users and groups live in memory. Tests and demo scenarios inspect them through snapshots
//! and stage trouble through fault switches: failing writes, slow responses, a write rate
//! beyond which writes are throttled, reset connections and lost replies. Request counters
//! show what a client actually sent.

pub mod error;

mod bulk;
mod discovery;
mod filter;
mod groups;
mod http;
mod patch;
mod path;
mod roster;
mod schema;
mod trouble;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::http::{Method, StatusCode};
use serde_json::Value;

pub use bulk::{BULK_REQUEST, BULK_RESPONSE, BulkLimits};
pub use discovery::MAX_RESULTS;
pub use error::{ScimError, ScimType};
pub use groups::CORE_GROUP;
pub use patch::PATCH_OP;
pub use schema::{CORE_USER, ENTERPRISE_USER};
pub use trouble::TroubleCounts;

use groups::GroupBook;
use roster::{Roster, validate_resource};
use trouble::{ConnectionFault, WriteBucket};

/// The SCIM service's state: its users and the bearer token it accepts.
#[derive(Clone)]
pub struct ScimService {
    inner: Arc<ScimInner>,
}

struct ScimInner {
    token: String,
    roster: Mutex<Roster>,
    groups: Mutex<GroupBook>,
    faults: Mutex<Faults>,
    base_url: Mutex<String>,
    counts: [AtomicU64; 6],
}

/// Trouble staged for the next requests.
#[derive(Debug, Clone)]
struct Faults {
    failing_writes: usize,
    status: StatusCode,
    retry_after: Option<u64>,
    latency: Duration,
    /// Writes a second before 429; `None` for no limit.
    write_bucket: Option<WriteBucket>,
    resets: usize,
    lost_replies: usize,
    served: TroubleCounts,
    /// PATCH is not offered (discovery says so; PATCH requests are 501).
    without_patch: bool,
    /// Bulk requests are taken within these limits (`None`: bulk is not offered).
    bulk: Option<BulkLimits>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            failing_writes: 0,
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
            latency: Duration::ZERO,
            write_bucket: None,
            resets: 0,
            lost_replies: 0,
            served: TroubleCounts::default(),
            without_patch: false,
            bulk: None,
        }
    }
}

/// How many requests reached the service, by method (authorised or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub get: u64,
    pub post: u64,
    pub put: u64,
    pub patch: u64,
    pub delete: u64,
    pub other: u64,
}

impl RequestCounts {
    /// All requests.
    pub fn total(&self) -> u64 {
        self.get + self.post + self.put + self.patch + self.delete + self.other
    }

    /// Requests that could change users: POST, PUT, PATCH and DELETE.
    pub fn writes(&self) -> u64 {
        self.post + self.put + self.patch + self.delete
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ScimService {
    /// A service with no users that accepts `token` as its bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(ScimInner {
                token: token.into(),
                roster: Mutex::new(Roster::default()),
                groups: Mutex::new(GroupBook::default()),
                faults: Mutex::new(Faults::default()),
                base_url: Mutex::new(String::new()),
                counts: Default::default(),
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
        *locked(&self.inner.base_url) = base_url.trim_end_matches('/').to_owned();
        http::router(self.clone(), base_url)
    }

    /// Every user as the service would return it, in creation order.
    pub fn users(&self) -> Vec<Value> {
        let base = self.base_url();
        self.roster()
            .iter()
            .map(|user| user.render(&base))
            .collect()
    }

    /// How many users the platform holds.
    pub fn user_count(&self) -> usize {
        self.roster().len()
    }

    /// One user by id.
    pub fn user(&self, id: &str) -> Option<Value> {
        let base = self.base_url();
        self.roster().get(id).map(|user| user.render(&base))
    }

    /// One user by userName, compared without regard to case.
    pub fn user_by_user_name(&self, user_name: &str) -> Option<Value> {
        let base = self.base_url();
        self.roster()
            .by_user_name(user_name)
            .map(|user| user.render(&base))
    }

    /// Adds a user as a POST would (same checks), bypassing HTTP, faults and counters: for
    /// staging users the platform already had before a client connected.
    pub fn create_user(&self, resource: &Value) -> Result<Value, ScimError> {
        let attributes = validate_resource(resource)?;
        let base = self.base_url();
        let mut roster = self.roster();
        let user = roster.create(attributes, self.now())?;
        Ok(user.render(&base))
    }

    /// Every group as the service would return it, in creation order.
    pub fn groups(&self) -> Vec<Value> {
        let base = self.base_url();
        self.group_book()
            .iter()
            .map(|group| group.render(&base))
            .collect()
    }

    /// Forgets every user, group, staged fault, latency and request count.
    pub fn reset(&self) {
        self.roster().clear();
        self.group_book().clear();
        *locked(&self.inner.faults) = Faults::default();
        for count in &self.inner.counts {
            count.store(0, Ordering::Relaxed);
        }
    }

    /// Makes the next `count` authorised writes (POST, PUT, PATCH, DELETE) fail with `status`
    /// and a SCIM error body, without changing anything. A status that is not a valid HTTP
    /// status becomes 500.
    pub fn fail_next_writes(&self, count: usize, status: u16) {
        self.stage_write_faults(count, status, None);
    }

    /// Like [`Self::fail_next_writes`], with a `Retry-After: seconds` header (throttling).
    pub fn fail_next_writes_with_retry_after(&self, count: usize, status: u16, seconds: u64) {
        self.stage_write_faults(count, status, Some(seconds));
    }

    fn stage_write_faults(&self, count: usize, status: u16, retry_after: Option<u64>) {
        let mut faults = locked(&self.inner.faults);
        faults.failing_writes = count;
        faults.status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        faults.retry_after = retry_after;
    }

    /// How many staged write failures are still to come.
    pub fn pending_write_failures(&self) -> usize {
        locked(&self.inner.faults).failing_writes
    }

    /// Delays every request by `latency` before it is answered.
    pub fn set_latency(&self, latency: Duration) {
        locked(&self.inner.faults).latency = latency;
    }

    /// Answers writes beyond `per_second` a second with 429 and `Retry-After` (a bucket that
    /// saves up at most one second of writes); `None` lifts the limit.
    pub fn limit_write_rate(&self, per_second: Option<f64>) {
        locked(&self.inner.faults).write_bucket = per_second.map(WriteBucket::new);
    }

    /// Drops the connection of the next `count` authorised writes before they are applied.
    pub fn reset_next_writes(&self, count: usize) {
        locked(&self.inner.faults).resets = count;
    }

    /// Applies the next `count` authorised writes, then drops their connections instead of
    /// answering: the client cannot tell whether the write happened.
    pub fn lose_next_replies(&self, count: usize) {
        locked(&self.inner.faults).lost_replies = count;
    }

    /// Plays a platform without PATCH: discovery says `patch.supported: false` and PATCH
    /// requests are answered 501, so clients must PUT whole resources.
    pub fn offer_patch(&self, offered: bool) {
        locked(&self.inner.faults).without_patch = !offered;
    }

    fn patch_offered(&self) -> bool {
        !locked(&self.inner.faults).without_patch
    }

    /// Takes bulk requests (`POST /Bulk`, RFC 7644 §3.7) of at most `max_operations`
    /// operations and `max_payload_size` bytes, and says so in /ServiceProviderConfig. Off
    /// until called; [`Self::reset`] and [`Self::withdraw_bulk`] switch it off again. Each
    /// operation runs through the same writes as a plain request; latency, staged faults
    /// and the write rate count once per bulk request.
    pub fn offer_bulk(&self, max_operations: usize, max_payload_size: usize) {
        locked(&self.inner.faults).bulk = Some(BulkLimits {
            max_operations,
            max_payload_size,
        });
    }

    /// Stops taking bulk requests (`POST /Bulk` answers 501; discovery says unsupported).
    pub fn withdraw_bulk(&self) {
        locked(&self.inner.faults).bulk = None;
    }

    /// The bulk limits in force, when bulk is offered.
    pub fn bulk_limits(&self) -> Option<BulkLimits> {
        locked(&self.inner.faults).bulk
    }

    /// How much staged trouble has been served.
    pub fn trouble_counts(&self) -> TroubleCounts {
        locked(&self.inner.faults).served
    }

    /// Requests received so far, by method.
    pub fn request_counts(&self) -> RequestCounts {
        let [get, post, put, patch, delete, other] = &self.inner.counts;
        RequestCounts {
            get: get.load(Ordering::Relaxed),
            post: post.load(Ordering::Relaxed),
            put: put.load(Ordering::Relaxed),
            patch: patch.load(Ordering::Relaxed),
            delete: delete.load(Ordering::Relaxed),
            other: other.load(Ordering::Relaxed),
        }
    }

    fn roster(&self) -> MutexGuard<'_, Roster> {
        locked(&self.inner.roster)
    }

    fn group_book(&self) -> MutexGuard<'_, GroupBook> {
        locked(&self.inner.groups)
    }

    /// Charges one write to the write rate; the 429 when it is exceeded.
    fn throttle_write(&self) -> Option<ScimError> {
        let mut faults = locked(&self.inner.faults);
        let seconds = faults
            .write_bucket
            .as_mut()?
            .take(std::time::Instant::now())
            .err()?;
        faults.served.throttled += 1;
        let mut error = ScimError::new(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            format!(
                "too many writes: this platform takes a limited number of writes a second; retry after {seconds} s"
            ),
        );
        error.retry_after = Some(seconds);
        Some(error)
    }

    /// Consumes one staged connection fault for a write, if any.
    fn take_connection_fault(&self) -> Option<ConnectionFault> {
        let mut faults = locked(&self.inner.faults);
        if faults.resets > 0 {
            faults.resets -= 1;
            faults.served.resets += 1;
            return Some(ConnectionFault::Reset);
        }
        if faults.lost_replies > 0 {
            faults.lost_replies -= 1;
            faults.served.lost_replies += 1;
            return Some(ConnectionFault::LostReply);
        }
        None
    }

    fn base_url(&self) -> String {
        locked(&self.inner.base_url).clone()
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }

    fn latency(&self) -> Duration {
        locked(&self.inner.faults).latency
    }

    fn count(&self, method: &Method) {
        let slot = match *method {
            Method::GET => 0,
            Method::POST => 1,
            Method::PUT => 2,
            Method::PATCH => 3,
            Method::DELETE => 4,
            _ => 5,
        };
        if let Some(count) = self.inner.counts.get(slot) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Consumes one staged write failure, if any.
    fn take_write_fault(&self) -> Option<ScimError> {
        let mut faults = locked(&self.inner.faults);
        if faults.failing_writes == 0 {
            return None;
        }
        faults.failing_writes -= 1;
        let mut error = ScimError::new(
            faults.status,
            None,
            format!(
                "the platform failed this write on purpose (a staged {} fault); nothing was changed, so retrying is safe",
                faults.status.as_u16()
            ),
        );
        error.retry_after = faults.retry_after;
        Some(error)
    }
}
