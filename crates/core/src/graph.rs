//! Microsoft Graph reads for the directory: requests with `$select`, alone or up to 20 in a
//! JSON batch (`$batch`), every `@odata.nextLink` followed, delta rounds, 429 honoured with
//! its `Retry-After` (holding every request in flight), 5xx,
//! timeouts and dropped connections retried with exponential backoff and jitter, a token
//! renewed once when Graph says it expired, and pacing that keeps under the identity
//! service's resource-unit budget. It fetches what it is asked for and never decides who is
//! in scope. Sleeping is injected ([`Sleeper`]) so tests of the waiting run in milliseconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::auth::{AccessToken, AppSignIn, TokenError, TokenSource};
use crate::clock::Clock;
use crate::network::{BodyError, REPLY_BODY_LIMIT, chain_text, read_body};

/// Something that waits. The real one sleeps on the tokio timer; tests pass one that only
/// records how long it was asked to wait.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Waits on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request before giving up (the first try included).
    pub max_attempts: u32,
    /// The first backoff; doubled on each further attempt.
    pub base_delay: Duration,
    /// No single backoff is longer than this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is cut to it.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// A flag the caller sets to stop a read; checked before every request and between pages,
/// and raced against every wait and request so a cancel takes effect at once.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<CancelState>);

#[derive(Debug, Default)]
struct CancelState {
    cancelled: AtomicBool,
    wake: tokio::sync::Notify,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the read to stop: a wait or request under way ends now.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.wake.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Finishes when [`CancelToken::cancel`] is called (at once if it was already).
    pub async fn cancelled(&self) {
        loop {
            let woken = self.0.wake.notified();
            if self.is_cancelled() {
                return;
            }
            woken.await;
        }
    }
}

/// How far a read has got, for a progress bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ReadProgress {
    /// What is being read now, in words ("Reading members of Staff").
    pub stage: String,
    /// Pages of results received so far.
    pub pages: u64,
    /// HTTP requests sent so far (retries included).
    pub requests: u64,
    /// People read so far.
    pub users: u64,
    /// Milliseconds since the read began.
    pub elapsed_ms: u64,
    /// Requests the whole read is expected to take (what the last such read took), when
    /// known.
    pub expected_requests: Option<u64>,
    /// Estimated milliseconds until the read finishes, when there is a yardstick for it.
    pub time_left_ms: Option<u64>,
}

/// Time left, by the pace so far: `elapsed × (expected − done) / done`. `None` without an
/// expected total, before the first request, or once the read has outrun its yardstick.
pub fn time_left_ms(elapsed_ms: u64, done: u64, expected: Option<u64>) -> Option<u64> {
    let expected = expected?;
    if done == 0 || done >= expected {
        return None;
    }
    let left = u128::from(elapsed_ms) * u128::from(expected - done) / u128::from(done);
    Some(u64::try_from(left).unwrap_or(u64::MAX))
}

/// Receives progress reports; called on the reading task, so it should return quickly.
pub type ProgressSink = Arc<dyn Fn(&ReadProgress) + Send + Sync>;

/// Why a Graph read failed after every retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("The read was cancelled before it finished; the previous cache is kept.")]
    Cancelled,
    #[error(
        "Rollcall could not get a token to read the directory: {0}. Run `rollcall check` for the connection to find out why."
    )]
    Token(String),
    #[error("Graph did not find {what} ({code}: {message}).")]
    NotFound {
        what: String,
        code: String,
        message: String,
    },
    #[error(
        "Graph refused to read {what} (HTTP {status}, {code}: {message}). Grant the app GroupMember.Read.All and User.Read.All with admin consent, then run `rollcall check`."
    )]
    Refused {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error(
        "Graph kept throttling the read after {attempts} attempts. Wait a few minutes and read again; other apps may be using this tenant's quota."
    )]
    Throttled { attempts: u32 },
    #[error(
        "Graph stayed unavailable after {attempts} attempts (last answer HTTP {status}). Try again later; see the Microsoft 365 service health page if it persists."
    )]
    Unavailable { attempts: u32, status: u16 },
    #[error(
        "Graph could not be reached after {attempts} attempts: {detail}. Check the network connection and try again."
    )]
    Network { attempts: u32, detail: String },
    #[error("The delta link has expired; a full read is needed.")]
    DeltaExpired { location: Option<String> },
    #[error("Graph rejected the request for {what} (HTTP {status}, {code}: {message}).")]
    Rejected {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("Graph's answer for {what} could not be read: {detail}")]
    Unreadable { what: String, detail: String },
    #[error(
        "Graph's answer for {what} pointed the read at {link}, which is not the configured Graph address {expected}; Rollcall stopped rather than send the token there. Check the profile's Graph address and any proxy in between, then read again."
    )]
    ForeignLink {
        what: String,
        link: String,
        expected: String,
    },
}

/// Whether `link` has the same scheme, host and port as `base`.
pub fn same_origin(link: &str, base: &str) -> bool {
    match (url::Url::parse(link), url::Url::parse(base)) {
        (Ok(link), Ok(base)) => {
            link.scheme() == base.scheme()
                && link.host_str().is_some()
                && link.host_str() == base.host_str()
                && link.port_or_known_default() == base.port_or_known_default()
        }
        _ => false,
    }
}

/// The scheme, host and port of an address, for messages (never its path or query, which
/// may carry a skip token).
fn origin_text(address: &str) -> String {
    url::Url::parse(address).map_or_else(
        |_| "an unreadable address".to_string(),
        |url| url.origin().ascii_serialization(),
    )
}

/// One page of a collection.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Value>,
    pub next_link: Option<String>,
    pub delta_link: Option<String>,
}

/// Request counts since the client was made.
#[derive(Debug, Default)]
struct Counters {
    /// Requests the read is expected to take; 0 when unknown.
    expected: AtomicU64,
    requests: AtomicU64,
    pages: AtomicU64,
    users: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    renewals: AtomicU64,
}

/// What the client did, for reports and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestStats {
    pub requests: u64,
    pub pages: u64,
    pub retries: u64,
    pub throttled: u64,
    pub token_renewals: u64,
}

/// A token bucket of resource units, refilled over 10 seconds (§7.3 of Graph's throttling
/// limits): a request that would overdraw it waits until enough units are back.
/// After a 429 every request waits out the `Retry-After`, not only the one refused: with
/// several requests in flight, a throttled read slows down as a whole.
#[derive(Debug)]
struct Pacer {
    per_ten_seconds: f64,
    level: f64,
    updated: Instant,
    /// No request starts before this (set by a 429's `Retry-After`).
    held_until: Option<Instant>,
}

impl Pacer {
    fn new(per_ten_seconds: f64) -> Pacer {
        Pacer {
            per_ten_seconds,
            level: per_ten_seconds,
            updated: Instant::now(),
            held_until: None,
        }
    }

    /// Takes `units`; returns how long to wait first.
    fn take(&mut self, units: f64) -> Duration {
        let now = Instant::now();
        let rate = self.per_ten_seconds / 10.0;
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.level = (self.level + elapsed * rate).min(self.per_ten_seconds);
        self.updated = now;
        self.level -= units;
        let held = self
            .held_until
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
        if self.level >= 0.0 {
            held
        } else {
            Duration::try_from_secs_f64(-self.level / rate)
                .unwrap_or(RETRY_AFTER_CAP)
                .min(RETRY_AFTER_CAP)
                .max(held)
        }
    }

    /// Holds every request for `duration` from now.
    fn hold(&mut self, duration: Duration) {
        let until = Instant::now() + duration;
        if self.held_until.is_none_or(|held| held < until) {
            self.held_until = Some(until);
        }
    }
}

/// The share of the tenant's resource-unit quota Rollcall allows itself, leaving room for
/// other apps and for Graph's own estimate differing from ours.
const BUDGET_SHARE: f64 = 0.8;

/// The identity service's quota per app and tenant per 10 seconds, by tenant size:
/// S (< 50 users) 3,500, M (50–500) 5,000, L (> 500) 8,000.
pub fn resource_unit_quota(tenant_users: u64) -> f64 {
    match tenant_users {
        0..50 => 3_500.0,
        50..=500 => 5_000.0,
        _ => 8_000.0,
    }
}

/// What a GET costs in resource units (§7.3): users 2, members 3, transitiveMembers 5,
/// anything else 1; `$select` −1, `$expand` +1, `$top` < 20 −1; never below 1.
pub fn request_cost(url: &str) -> u32 {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.to_ascii_lowercase();
    let query = percent_decode(query).to_ascii_lowercase();
    let mut cost: i64 = if path.contains("/transitivemembers") {
        5
    } else if path.contains("/members") {
        3
    } else if path.contains("/v1.0/users") && !path.contains("/manager") {
        2
    } else {
        1
    };
    let has = |name: &str| {
        query
            .split('&')
            .any(|pair| pair.starts_with(&format!("{name}=")))
    };
    if has("$select") {
        cost -= 1;
    }
    if has("$expand") {
        cost += 1;
    }
    let small_top = query.split('&').any(|pair| {
        pair.strip_prefix("$top=")
            .and_then(|top| top.parse::<u32>().ok())
            .is_some_and(|top| top < 20)
    });
    if small_top {
        cost -= 1;
    }
    cost.max(1) as u32
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(key, value)| {
            if value.is_empty() {
                key.into_owned()
            } else {
                format!("{key}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Access tokens for Graph: reused while valid; replaced once when Graph answers 401
/// `InvalidAuthenticationToken` (the token expired during a long read).
struct GraphTokens {
    sign_in: AppSignIn,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    source: tokio::sync::Mutex<Arc<TokenSource>>,
}

impl GraphTokens {
    async fn current(&self) -> Result<AccessToken, TokenError> {
        let source = self.source.lock().await.clone();
        source.token().await
    }

    /// Drops the cached token and asks for a new one.
    async fn renew(&self) -> Result<AccessToken, TokenError> {
        let fresh = Arc::new(TokenSource::new(
            self.sign_in.clone(),
            self.http.clone(),
            self.clock.clone(),
        ));
        *self.source.lock().await = fresh.clone();
        fresh.token().await
    }
}

fn token_text(error: &TokenError) -> String {
    match error {
        TokenError::Refused { status, error } => format!("HTTP {status}, {error}"),
        TokenError::Server { status } => format!("the sign-in service answered HTTP {status}"),
        TokenError::Transport(error) => chain_text(error),
        TokenError::Unreadable(detail) => detail.clone(),
    }
}

/// A client for Graph directory reads.
pub struct GraphClient {
    http: reqwest::Client,
    graph_url: String,
    tokens: GraphTokens,
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    pacer: Mutex<Pacer>,
    counters: Counters,
    cancel: CancelToken,
    progress: Option<ProgressSink>,
    stage: Mutex<String>,
    started: Instant,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_url", &self.graph_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl GraphClient {
    /// A client for a profile's tenant and app, with the secret from `secrets`.
    pub fn for_profile(
        profile: &crate::profile::Profile,
        secrets: &dyn crate::secret::SecretStore,
        clock: Arc<dyn Clock>,
    ) -> Result<GraphClient, String> {
        let cloud = profile.cloud().map_err(|error| error.to_string())?;
        let secret =
            crate::secret::read_for_profile(secrets, profile, crate::secret::SecretKind::Graph)
                .map_err(|error| error.to_string())?
            .ok_or_else(|| {
                format!(
                    "No client secret is stored for \"{}\". Store it with `rollcall secret set {} graph`.",
                    profile.name, profile.name
                )
            })?;
        let credentials = crate::credentials::check_credentials(
            &profile.entra.tenant,
            &profile.entra.client_id,
            secret.expose(),
        )
        .map_err(|problems| {
            problems
                .iter()
                .map(|problem| format!("{} {}", problem.message, problem.fix))
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        let http = crate::network::http_client(crate::network::HttpSettings {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        })
        .map_err(|error| error.to_string())?;
        let sign_in = AppSignIn {
            cloud: cloud.clone(),
            tenant: credentials.tenant,
            client_id: credentials.client_id,
            secret: credentials.secret,
        };
        Ok(GraphClient::new(http, &cloud.graph_url(), sign_in, clock))
    }

    /// A client reading `graph_url` (e.g. `https://graph.microsoft.com`) as the app
    /// `sign_in`. Tokens are judged by `clock`.
    pub fn new(
        http: reqwest::Client,
        graph_url: &str,
        sign_in: AppSignIn,
        clock: Arc<dyn Clock>,
    ) -> GraphClient {
        let source = Arc::new(TokenSource::new(
            sign_in.clone(),
            http.clone(),
            clock.clone(),
        ));
        GraphClient {
            http: http.clone(),
            graph_url: graph_url.trim_end_matches('/').to_string(),
            tokens: GraphTokens {
                sign_in,
                http,
                clock,
                source: tokio::sync::Mutex::new(source),
            },
            policy: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            pacer: Mutex::new(Pacer::new(resource_unit_quota(0) * BUDGET_SHARE)),
            counters: Counters::default(),
            cancel: CancelToken::new(),
            progress: None,
            stage: Mutex::new(String::new()),
            started: Instant::now(),
        }
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> GraphClient {
        self.policy = policy;
        self
    }

    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> GraphClient {
        self.sleeper = sleeper;
        self
    }

    pub fn with_cancel(mut self, cancel: CancelToken) -> GraphClient {
        self.cancel = cancel;
        self
    }

    pub fn with_progress(mut self, progress: ProgressSink) -> GraphClient {
        self.progress = Some(progress);
        self
    }

    /// Resource units per 10 seconds the client allows itself.
    pub fn with_budget(self, per_ten_seconds: f64) -> GraphClient {
        self.set_budget(per_ten_seconds);
        self
    }

    fn set_budget(&self, per_ten_seconds: f64) {
        let mut pacer = self.pacer.lock().unwrap_or_else(PoisonError::into_inner);
        let used = pacer.per_ten_seconds - pacer.level;
        pacer.per_ten_seconds = per_ten_seconds.max(1.0);
        pacer.level = pacer.per_ten_seconds - used;
    }

    /// Sizes the pacing to the tenant, once its user count is known.
    pub fn budget_for_tenant(&self, tenant_users: u64) {
        self.set_budget(resource_unit_quota(tenant_users) * BUDGET_SHARE);
    }

    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    pub fn stats(&self) -> RequestStats {
        RequestStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            pages: self.counters.pages.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            throttled: self.counters.throttled.load(Ordering::Relaxed),
            token_renewals: self.counters.renewals.load(Ordering::Relaxed),
        }
    }

    /// The absolute address of a Graph v1.0 path with query options (encoded here).
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let base = format!("{}/v1.0/{}", self.graph_url, path.trim_start_matches('/'));
        if query.is_empty() {
            return base;
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in query {
            serializer.append_pair(key, value);
        }
        // `$` and `,` stay readable, as Graph writes them in its own links.
        let encoded = serializer.finish().replace("%24", "$").replace("%2C", ",");
        format!("{base}?{encoded}")
    }

    /// Names what is being read, for progress reports.
    pub fn set_stage(&self, stage: impl Into<String>) {
        *self.stage.lock().unwrap_or_else(PoisonError::into_inner) = stage.into();
        self.report();
    }

    /// Sets how many requests the whole read should take (from the last such read), so
    /// progress reports can estimate the time left; `None` when there is no yardstick.
    pub fn expect_requests(&self, total: Option<u64>) {
        self.counters
            .expected
            .store(total.unwrap_or(0), Ordering::Relaxed);
    }

    /// Adds to the count of people read, for progress reports.
    pub fn count_users(&self, users: u64) {
        self.counters.users.fetch_add(users, Ordering::Relaxed);
    }

    /// Sends a progress report now (after answers that arrived in a batch).
    pub fn report_progress(&self) {
        self.report();
    }

    fn report(&self) {
        if let Some(progress) = &self.progress {
            let requests = self.counters.requests.load(Ordering::Relaxed);
            let elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let expected_requests =
                Some(self.counters.expected.load(Ordering::Relaxed)).filter(|total| *total > 0);
            let report = ReadProgress {
                stage: self
                    .stage
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone(),
                pages: self.counters.pages.load(Ordering::Relaxed),
                requests,
                users: self.counters.users.load(Ordering::Relaxed),
                elapsed_ms,
                expected_requests,
                time_left_ms: time_left_ms(elapsed_ms, requests, expected_requests),
            };
            progress(&report);
        }
    }

    /// Stops with [`GraphError::Cancelled`] when the caller asked to stop.
    pub fn check_cancelled(&self) -> Result<(), GraphError> {
        if self.cancel.is_cancelled() {
            Err(GraphError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Reads one JSON document. `eventual` sends `ConsistencyLevel: eventual` (needed for
    /// `$search`, `$count`); `what` names the thing for messages.
    pub async fn get_json(
        &self,
        url: &str,
        eventual: bool,
        what: &str,
    ) -> Result<Value, GraphError> {
        let body = self.get(url, eventual, what).await?;
        serde_json::from_slice(&body).map_err(|error| GraphError::Unreadable {
            what: what.to_string(),
            detail: error.to_string(),
        })
    }

    /// Reads a plain-text answer (`$count`).
    pub async fn get_text(
        &self,
        url: &str,
        eventual: bool,
        what: &str,
    ) -> Result<String, GraphError> {
        let body = self.get(url, eventual, what).await?;
        Ok(String::from_utf8_lossy(&body).trim().to_string())
    }

    /// Reads one page of a collection.
    pub async fn page(&self, url: &str, eventual: bool, what: &str) -> Result<Page, GraphError> {
        let json = self.get_json(url, eventual, what).await?;
        self.page_of(json, what)
    }

    /// Counts a page read from an answer already received (inside a batch).
    pub fn count_page(&self) {
        self.counters.pages.fetch_add(1, Ordering::Relaxed);
    }

    /// A page of a collection from an answer already received (inside a batch), counted
    /// as a page read.
    pub fn page_of(&self, mut json: Value, what: &str) -> Result<Page, GraphError> {
        // A link that is there but not text fails the page: taken as absent, it would end
        // the read early and make it look complete.
        let text = |json: &Value, key: &str| match json.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(link)) => Ok(Some(link.clone())),
            Some(_) => Err(GraphError::Unreadable {
                what: what.to_string(),
                detail: format!("its \"{key}\" is not an address"),
            }),
        };
        let next_link = text(&json, "@odata.nextLink")?;
        let delta_link = text(&json, "@odata.deltaLink")?;
        let items = match json.get_mut("value").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => return Err(not_a_page(what)),
        };
        self.count_page();
        Ok(Page {
            items,
            next_link,
            delta_link,
        })
    }

    /// Reads every page from `first`, handing each page's items to `on_page`; checks for
    /// cancellation between pages. Returns the `@odata.deltaLink` of the last page, if any.
    pub async fn each_page<F>(
        &self,
        first: String,
        eventual: bool,
        what: &str,
        mut on_page: F,
    ) -> Result<Option<String>, GraphError>
    where
        F: FnMut(Vec<Value>) -> Result<(), GraphError>,
    {
        let mut url = first;
        loop {
            self.check_cancelled()?;
            let page = self.page(&url, eventual, what).await?;
            on_page(page.items)?;
            self.report();
            match page.next_link {
                Some(next) => url = next,
                None => return Ok(page.delta_link),
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .policy
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.policy.max_delay);
        // Jitter: somewhere between half and all of the full delay.
        let random = (uuid::Uuid::new_v4().as_u128() % 1_000) as f64 / 1_000.0;
        full.mul_f64(0.5 + random / 2.0)
    }

    /// Waits `duration`, or less when the read is cancelled meanwhile.
    async fn wait(&self, duration: Duration) {
        if !duration.is_zero() {
            tokio::select! {
                () = self.sleeper.sleep(duration) => {}
                () = self.cancel.cancelled() => {}
            }
        }
    }

    async fn get(&self, url: &str, eventual: bool, what: &str) -> Result<Vec<u8>, GraphError> {
        let units = f64::from(request_cost(url));
        self.send(reqwest::Method::GET, url, None, eventual, units, what)
            .await
    }

    /// Reads up to [`BATCH_LIMIT`] documents in one round trip (`POST /$batch`). Each read
    /// is treated as it would be on its own: a 429 waits its `Retry-After` (and holds every
    /// other request meanwhile), a 5xx is retried with backoff, both up to the same number of
    /// attempts; a 404, 403 or 410 becomes the same error a plain read gives. Reads that
    /// need another attempt go out again together. The answers come back in the order of
    /// `reads`: the JSON body as text (a text body as a JSON string), for
    /// [`parse_answer`] or a typed parse.
    pub async fn batch(&self, reads: &[BatchRead]) -> Vec<Result<Box<RawValue>, GraphError>> {
        let mut results: Vec<Option<Result<Box<RawValue>, GraphError>>> = vec![None; reads.len()];
        let mut attempts = vec![0u32; reads.len()];
        let mut pending: Vec<usize> = Vec::with_capacity(reads.len());
        for (index, read) in reads.iter().enumerate() {
            if same_origin(&read.url, &self.graph_url) {
                pending.push(index);
            } else {
                results[index] = Some(Err(GraphError::ForeignLink {
                    what: read.what.clone(),
                    link: origin_text(&read.url),
                    expected: origin_text(&self.graph_url),
                }));
            }
        }
        let address = format!("{}/v1.0/$batch", self.graph_url);
        while !pending.is_empty() {
            let mut units = 0.0;
            let requests: Vec<Value> = pending
                .iter()
                .map(|&index| {
                    let read = &reads[index];
                    attempts[index] += 1;
                    units += f64::from(request_cost(&read.url));
                    let mut request = serde_json::json!({
                        "id": index.to_string(),
                        "method": "GET",
                        "url": relative_url(&read.url),
                    });
                    if read.eventual {
                        request["headers"] = serde_json::json!({"ConsistencyLevel": "eventual"});
                    }
                    request
                })
                .collect();
            let body = serde_json::json!({ "requests": requests });
            let answer = self
                .send(
                    reqwest::Method::POST,
                    &address,
                    Some(&body),
                    false,
                    units,
                    "a batch of reads",
                )
                .await;
            let bytes = match answer {
                Ok(bytes) => bytes,
                Err(error) => {
                    for &index in &pending {
                        results[index] = Some(Err(error.clone()));
                    }
                    break;
                }
            };
            // Each read's body is kept as its JSON text, parsed later by the code that asked
            // for it into just what it keeps.
            let replies = match serde_json::from_slice::<BatchReplies<'_>>(&bytes) {
                Ok(replies) => replies,
                Err(error) => {
                    let error = GraphError::Unreadable {
                        what: "a batch of reads".into(),
                        detail: error.to_string(),
                    };
                    for &index in &pending {
                        results[index] = Some(Err(error.clone()));
                    }
                    break;
                }
            };
            let mut again = Vec::new();
            let mut pause = Duration::ZERO;
            let mut throttled = false;
            let mut answered = vec![false; reads.len()];
            for response in replies.responses {
                let Some(index) = response
                    .id
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|id| id.parse::<usize>().ok())
                    .filter(|index| pending.contains(index))
                else {
                    continue;
                };
                answered[index] = true;
                let read = &reads[index];
                let status = response
                    .status
                    .as_ref()
                    .and_then(Value::as_u64)
                    .and_then(|status| u16::try_from(status).ok())
                    .unwrap_or(0);
                let header = |name: &str| {
                    response
                        .headers
                        .as_ref()
                        .and_then(Value::as_object)
                        .and_then(|headers| {
                            headers
                                .iter()
                                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                                .and_then(|(_, value)| value.as_str())
                                .map(str::to_string)
                        })
                };
                let retry_after = header("retry-after").as_deref().and_then(parse_retry_after);
                let location = header("location");
                let body = response.body.map_or(NULL_BODY, RawValue::get);
                if (200..300).contains(&status) {
                    results[index] =
                        Some(RawValue::from_string(body.to_string()).map_err(|error| {
                            GraphError::Unreadable {
                                what: read.what.clone(),
                                detail: error.to_string(),
                            }
                        }));
                    continue;
                }
                let failure = match status {
                    429 => Failure::Throttled(retry_after),
                    500 | 502 | 503 | 504 => Failure::Unavailable(status, retry_after),
                    _ => {
                        let (code, message) = error_parts(body.as_bytes(), status);
                        results[index] = Some(Err(final_error(
                            status, &read.what, code, message, location,
                        )));
                        continue;
                    }
                };
                match self.retry_pause(failure, attempts[index]) {
                    Ok(wait) => {
                        throttled |= status == 429;
                        pause = pause.max(wait);
                        again.push(index);
                    }
                    Err(error) => results[index] = Some(Err(error)),
                }
            }
            // A read the batch did not answer goes out again, like a dropped connection.
            for &index in &pending {
                if !answered[index] {
                    let failure = Failure::Network("the batch answer left this read out".into());
                    match self.retry_pause(failure, attempts[index]) {
                        Ok(wait) => {
                            pause = pause.max(wait);
                            again.push(index);
                        }
                        Err(error) => results[index] = Some(Err(error)),
                    }
                }
            }
            if throttled {
                self.pacer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .hold(pause);
            }
            self.wait(pause).await;
            pending = again;
            if !pending.is_empty()
                && let Err(error) = self.check_cancelled()
            {
                for &index in &pending {
                    results[index] = Some(Err(error.clone()));
                }
                break;
            }
        }
        results
            .into_iter()
            .map(|result| result.unwrap_or(Err(GraphError::Cancelled)))
            .collect()
    }

    /// How long to wait before another attempt after `failure` on attempt `attempts`, or
    /// the error to give up with when the attempts are spent. Counts the retry.
    fn retry_pause(&self, failure: Failure, attempts: u32) -> Result<Duration, GraphError> {
        if attempts >= self.policy.max_attempts {
            return Err(match failure {
                Failure::Network(detail) => GraphError::Network { attempts, detail },
                Failure::Throttled(_) => GraphError::Throttled { attempts },
                Failure::Unavailable(status, _) => GraphError::Unavailable { attempts, status },
            });
        }
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        Ok(match failure {
            Failure::Throttled(retry_after) => {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                retry_after
                    .map(|after| after.min(self.policy.max_retry_after))
                    .unwrap_or_else(|| self.backoff(attempts))
            }
            Failure::Unavailable(_, Some(after)) => after
                .min(self.policy.max_retry_after)
                .max(self.backoff(attempts)),
            Failure::Unavailable(_, None) | Failure::Network(_) => self.backoff(attempts),
        })
    }

    /// Sends one request with retries, pacing and one token renewal; the body of a 2xx.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        json: Option<&Value>,
        eventual: bool,
        units: f64,
        what: &str,
    ) -> Result<Vec<u8>, GraphError> {
        if !same_origin(url, &self.graph_url) {
            return Err(GraphError::ForeignLink {
                what: what.to_string(),
                link: origin_text(url),
                expected: origin_text(&self.graph_url),
            });
        }
        let mut attempts: u32 = 0;
        let mut renewed = false;
        loop {
            self.check_cancelled()?;
            attempts += 1;
            let pause = self
                .pacer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(units);
            self.wait(pause).await;
            self.check_cancelled()?;
            let token = tokio::select! {
                () = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                token = self.tokens.current() => token,
            }
            .map_err(|error| GraphError::Token(token_text(&error)))?;
            let mut request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(token.bearer());
            if eventual {
                request = request.header("ConsistencyLevel", "eventual");
            }
            if let Some(json) = json {
                request = request.json(json);
            }
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let sent = tokio::select! {
                () = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                sent = request.send() => sent,
            };
            let failure = match sent {
                Err(error) => Failure::Network(chain_text(&error)),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|value| value.to_str().ok())
                        .and_then(parse_retry_after);
                    let location = response
                        .headers()
                        .get("location")
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_string);
                    let body = tokio::select! {
                        () = self.cancel.cancelled() => return Err(GraphError::Cancelled),
                        body = read_body(response, REPLY_BODY_LIMIT) => body,
                    };
                    match body {
                        Err(BodyError::Transport(detail)) => Failure::Network(detail),
                        Err(error @ BodyError::TooLarge { .. }) => {
                            return Err(GraphError::Unreadable {
                                what: what.to_string(),
                                detail: error.to_string(),
                            });
                        }
                        Ok(body) if (200..300).contains(&status) => return Ok(body),
                        Ok(body) => {
                            let (code, message) = error_parts(&body, status);
                            match status {
                                401 if !renewed => {
                                    renewed = true;
                                    attempts -= 1;
                                    self.counters.renewals.fetch_add(1, Ordering::Relaxed);
                                    self.tokens
                                        .renew()
                                        .await
                                        .map_err(|error| GraphError::Token(token_text(&error)))?;
                                    continue;
                                }
                                429 => Failure::Throttled(retry_after),
                                500 | 502 | 503 | 504 => Failure::Unavailable(status, retry_after),
                                _ => {
                                    return Err(final_error(status, what, code, message, location));
                                }
                            }
                        }
                    }
                }
            };
            let throttled = matches!(failure, Failure::Throttled(_));
            let pause = self.retry_pause(failure, attempts)?;
            if throttled {
                self.pacer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .hold(pause);
            }
            self.wait(pause).await;
        }
    }
}

/// The body of a batch answer that has none.
const NULL_BODY: &str = "null";

/// A `$batch` answer: each read's reply, its body left as JSON text.
#[derive(Deserialize)]
struct BatchReplies<'a> {
    #[serde(borrow, default)]
    responses: Vec<BatchReply<'a>>,
}

/// One read's reply inside a `$batch` answer. The id, status and headers are read loosely
/// (a reply without a usable id counts as left out and is sent again).
#[derive(Deserialize)]
struct BatchReply<'a> {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    headers: Option<Value>,
    #[serde(borrow, default)]
    body: Option<&'a RawValue>,
}

/// The error for an answer that should be a page of a collection and is not.
pub fn not_a_page(what: &str) -> GraphError {
    GraphError::Unreadable {
        what: what.to_string(),
        detail: "the answer has no \"value\" list".to_string(),
    }
}

/// Parses one read's answer from a batch as `T`; an answer that is not what Graph
/// documents is [`GraphError::Unreadable`], naming `what`.
pub fn parse_answer<T: DeserializeOwned>(answer: &RawValue, what: &str) -> Result<T, GraphError> {
    serde_json::from_str(answer.get()).map_err(|error| GraphError::Unreadable {
        what: what.to_string(),
        detail: error.to_string(),
    })
}

/// One read inside a JSON batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRead {
    /// The absolute address, as [`GraphClient::url`] makes it or a next link gives it.
    pub url: String,
    /// Sends `ConsistencyLevel: eventual` (casts, `$count`, `$search`).
    pub eventual: bool,
    /// What is read, for messages.
    pub what: String,
}

/// The most reads one `$batch` may carry.
pub const BATCH_LIMIT: usize = 20;

/// A batch names its reads relative to the version (`/groups/…`), not by full address.
fn relative_url(url: &str) -> &str {
    url.find("/v1.0/")
        .map_or(url, |at| &url[at + "/v1.0".len()..])
}

/// The error for an answer that is neither a success nor worth another attempt.
fn final_error(
    status: u16,
    what: &str,
    code: String,
    message: String,
    location: Option<String>,
) -> GraphError {
    let what = what.to_string();
    match status {
        410 => GraphError::DeltaExpired { location },
        404 => GraphError::NotFound {
            what,
            code,
            message,
        },
        401 | 403 => GraphError::Refused {
            what,
            status,
            code,
            message,
        },
        _ => GraphError::Rejected {
            what,
            status,
            code,
            message,
        },
    }
}

/// A failure worth another attempt.
enum Failure {
    Network(String),
    Throttled(Option<Duration>),
    Unavailable(u16, Option<Duration>),
}

/// The longest `Retry-After` taken as given; anything larger (`1e300`) is cut to it before
/// the retry policy cuts it further.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 60 * 60);

/// `Retry-After` in seconds, fractions allowed (Graph sends e.g. `2.128`), at most
/// [`RETRY_AFTER_CAP`]. Negative, infinite or unreadable values give `None`.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !(seconds.is_finite() && seconds >= 0.0) {
        return None;
    }
    let capped = seconds.min(RETRY_AFTER_CAP.as_secs_f64());
    Some(Duration::try_from_secs_f64(capped).unwrap_or(RETRY_AFTER_CAP))
}

fn error_parts(body: &[u8], status: u16) -> (String, String) {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|json| {
            let error = json.get("error")?;
            let code = error.get("code").and_then(Value::as_str)?.to_string();
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Some((code, message))
        })
        .unwrap_or_else(|| (format!("HTTP {status}"), String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_follows_the_pace_so_far() {
        assert_eq!(
            time_left_ms(10_000, 25, Some(100)),
            Some(30_000),
            "a quarter done in 10 s leaves 30 s"
        );
        assert_eq!(time_left_ms(10_000, 25, None), None, "no yardstick");
        assert_eq!(time_left_ms(0, 0, Some(100)), None, "nothing done yet");
        assert_eq!(
            time_left_ms(10_000, 120, Some(100)),
            None,
            "past the yardstick, no guess"
        );
    }

    #[test]
    fn costs_follow_the_published_table() {
        assert_eq!(
            request_cost("https://g/v1.0/groups/x/members?$select=id&$top=999"),
            2
        );
        assert_eq!(request_cost("https://g/v1.0/groups/x/transitiveMembers"), 5);
        assert_eq!(
            request_cost("https://g/v1.0/users?$select=id&$expand=manager($select=id)"),
            2
        );
        assert_eq!(request_cost("https://g/v1.0/groups/x?$select=id"), 1);
        assert_eq!(request_cost("https://g/v1.0/users?$top=5"), 1);
    }

    #[test]
    fn retry_after_accepts_fractions_and_refuses_nonsense() {
        assert_eq!(
            parse_retry_after("2.128"),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn pacer_makes_the_overdraft_wait() {
        let mut pacer = Pacer::new(10.0);
        assert_eq!(pacer.take(6.0), Duration::ZERO);
        let wait = pacer.take(6.0);
        assert!(
            wait > Duration::from_millis(1900) && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
    }
}
