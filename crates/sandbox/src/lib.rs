//! rollcall-sandbox owns the simulated Microsoft Entra tenant (sign-in and Graph) and the
//! simulated learning platform's SCIM 2.0 service, served over HTTP on 127.0.0.1.
//!
//! Demo mode, tests and benchmarks stage every scenario through it; it never talks to the
//! internet and never reads a user's real data. Everything lives on one port: sign-in under
//! `/{tenant}/…`, Graph under `/v1.0/…`, SCIM under `/scim/v2/…` and the control API under
//! `/_sandbox/…`.

pub mod control;
pub mod delta;
pub mod directory;
pub mod faults;
pub mod generate;
pub mod graph;
pub mod identity;
mod random;
pub mod registrations;
pub mod scim;
pub mod throttle;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use chrono::Utc;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

pub use control::{
    ControlError, CreatedUser, NewUser, RequestCounters, SandboxControl, UserChanges,
};
pub use faults::Faults;

use crate::directory::{Directory, ObjectRef};
use crate::generate::TenantIdentity;
use crate::identity::IssuedToken;
use crate::random::Dice;
use crate::registrations::Registration;
use crate::scim::ScimService;
use crate::throttle::Throttle;

/// Which directory the sandbox serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// The named demo tenant (about 250 people, a story an admin can follow).
    Demo,
    /// A deterministic generated tenant of `users` people from `seed`.
    Generated { users: usize, seed: u64 },
    /// A deterministic school-shaped tenant of `users` people from `seed`: year groups,
    /// classes of about 30, staff teams (see [`generate::school`]).
    School { users: usize, seed: u64 },
    /// A deterministic tenant of `users` people from `seed` in one flat group,
    /// "Everyone" (see [`generate::flat`]).
    Flat { users: usize, seed: u64 },
}

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub dataset: Dataset,
    /// 0 picks a free ephemeral port.
    pub port: u16,
}

/// The state of one app registration the sandbox holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    Healthy,
    NoConsent,
    Partial,
    Expired,
    Disabled,
}

/// One app registration, with the credentials a script needs to stage a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub client_id: String,
    /// The secret's value (what a client sends).
    pub secret: String,
    /// The secret's ID (keyId), which the portal also shows; sending it fails.
    pub secret_id: String,
    /// Granted (admin-consented) application permissions.
    pub roles: Vec<String>,
    pub state: AppState,
    /// Requested application permissions.
    #[serde(default)]
    pub configured_roles: Vec<String>,
    /// The application object's id, for `/v1.0/applications/{id}`.
    #[serde(default)]
    pub object_id: String,
    /// When the secret expires (RFC 3339, UTC).
    #[serde(default)]
    pub secret_expires: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantInfo {
    pub id: String,
    pub domain: String,
    pub name: String,
}

/// A tenant that lives in another cloud; this sandbox's authority refuses its tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForeignTenantInfo {
    pub id: String,
    pub domain: String,
    /// `usgov`.
    pub cloud: String,
}

/// A group a scope can name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupInfo {
    pub id: String,
    pub name: String,
}

/// What a running sandbox offers; `rollcall sandbox --json` prints this as its first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SandboxInfo {
    pub authority_url: String,
    pub graph_url: String,
    pub scim_url: String,
    pub scim_token: String,
    /// Base URL of the test control API (`/_sandbox`).
    pub control_url: String,
    pub tenant: TenantInfo,
    pub foreign_tenant: ForeignTenantInfo,
    /// Live people in the directory when the sandbox started.
    pub users: usize,
    pub apps: Vec<AppInfo>,
    /// The main groups (large generated tenants leave out their many team groups).
    pub groups: Vec<GroupInfo>,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
}

/// Transitive members of a group and the directory version they were computed at.
pub(crate) type CachedMembers = (u64, Arc<Vec<ObjectRef>>);

/// Run-time settings the control API changes.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub faults: Faults,
    pub token_lifetime: i64,
    /// Delta tokens from an older generation answer 410.
    pub delta_generation: u64,
    /// Overrides the tenant-size quota (resource units per 10 s) when set.
    pub throttle_quota: Option<f64>,
}

/// Everything the routes share.
pub(crate) struct SandboxState {
    pub base_url: String,
    pub identity: TenantIdentity,
    pub foreign: TenantIdentity,
    pub directory: RwLock<Directory>,
    pub apps: RwLock<Vec<Registration>>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    settings: Mutex<Settings>,
    pub throttle: Mutex<Throttle>,
    counters: Mutex<BTreeMap<String, u64>>,
    total_requests: AtomicU64,
    fault_dice: Mutex<Dice>,
    /// Transitive members per group, with the directory version they were computed at.
    pub transitive_cache: Mutex<HashMap<usize, CachedMembers>>,
    ids: AtomicU64,
    seed: u64,
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SandboxState {
    /// A fresh GUID for request ids, trace ids and the like.
    pub fn request_guid(&self) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        Dice::new(self.seed.rotate_left(17) ^ n).guid()
    }

    pub fn count(&self, kind: &str) {
        *lock(&self.counters).entry(kind.to_string()).or_insert(0) += 1;
    }

    pub fn count_request(&self) {
        self.total_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counters(&self) -> RequestCounters {
        RequestCounters {
            total: self.total_requests.load(Ordering::Relaxed),
            by_kind: lock(&self.counters).clone(),
        }
    }

    pub fn reset_counters(&self) {
        self.total_requests.store(0, Ordering::Relaxed);
        lock(&self.counters).clear();
    }

    pub fn apps_read(&self) -> RwLockReadGuard<'_, Vec<Registration>> {
        read(&self.apps)
    }

    /// Grants every configured role; false when no app has that client id.
    pub fn grant_consent(&self, client_id: &str) -> bool {
        let mut apps = write(&self.apps);
        match apps
            .iter_mut()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
        {
            Some(app) => {
                app.granted_roles = app.configured_roles.clone();
                true
            }
            None => false,
        }
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        change(&mut lock(&self.settings));
    }

    pub fn faults(&self) -> Faults {
        lock(&self.settings).faults.clone()
    }

    pub fn fault_dice(&self) -> MutexGuard<'_, Dice> {
        lock(&self.fault_dice)
    }

    pub fn reseed_faults(&self, seed: u64) {
        *lock(&self.fault_dice) = Dice::for_stream(seed, "faults");
    }

    pub fn token_lifetime_seconds(&self) -> i64 {
        lock(&self.settings).token_lifetime
    }

    pub fn remember_token(&self, token: String, issued: IssuedToken) {
        let mut tokens = lock(&self.tokens);
        let now = Utc::now().timestamp();
        if tokens.len() > 10_000 {
            tokens.retain(|_, t| t.expires > now);
        }
        tokens.insert(token, issued);
    }

    pub fn lookup_token(&self, token: &str) -> Option<IssuedToken> {
        lock(&self.tokens).get(token).cloned()
    }

    /// The quota of resource units per 10 s for one application.
    pub fn throttle_quota(&self) -> f64 {
        if let Some(quota) = lock(&self.settings).throttle_quota {
            return quota;
        }
        throttle::quota_for_tenant(read(&self.directory).users.len())
    }

    fn app_infos(&self) -> Vec<AppInfo> {
        let now = Utc::now();
        self.apps_read()
            .iter()
            .map(|app| {
                let secret = app.secrets.first();
                AppInfo {
                    name: app.name.clone(),
                    client_id: app.client_id.clone(),
                    secret: secret.map(|s| s.value.clone()).unwrap_or_default(),
                    secret_id: secret.map(|s| s.key_id.clone()).unwrap_or_default(),
                    roles: app.granted_roles.clone(),
                    state: registrations::current_state(app, now),
                    configured_roles: app.configured_roles.clone(),
                    object_id: app.object_id.clone(),
                    secret_expires: secret
                        .map(|s| s.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default(),
                }
            })
            .collect()
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    info: SandboxInfo,
    state: Arc<SandboxState>,
    scim: ScimService,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Generates the directory and starts serving on 127.0.0.1. Must be called inside a
    /// tokio runtime; the server runs on that runtime until the sandbox is dropped.
    pub async fn start(options: SandboxOptions) -> Result<Sandbox, SandboxError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|source| SandboxError::Bind {
                port: options.port,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                port: options.port,
                source,
            })?
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        let (seed, (identity, directory)) = match options.dataset {
            Dataset::Demo => (2024, generate::demo()),
            Dataset::Generated { users, seed } => (seed, generate::generated(users, seed)),
            Dataset::School { users, seed } => (seed, generate::school(users, seed)),
            Dataset::Flat { users, seed } => (seed, generate::flat(users, seed)),
        };
        let mut foreign_dice = Dice::for_stream(seed, "foreign");
        let foreign = TenantIdentity {
            id: foreign_dice.guid(),
            domain: "fabrikam-gov.onmicrosoft.us".to_string(),
            name: "Fabrikam Government".to_string(),
        };
        let apps = registrations::scenario_apps(seed, Utc::now());
        let scim_token = format!(
            "scim-{}",
            Dice::for_stream(seed, "scim").text(b"abcdefghijklmnopqrstuvwxyz0123456789", 32)
        );
        let scim = ScimService::new(scim_token.clone());
        let scim_url = format!("{base_url}/scim/v2");
        let groups = directory
            .groups
            .iter()
            .filter(|g| g.listed)
            .map(|g| GroupInfo {
                id: g.id.clone(),
                name: g.display_name.clone(),
            })
            .collect();
        let users = directory.live_user_count();
        let state = Arc::new(SandboxState {
            base_url: base_url.clone(),
            identity: identity.clone(),
            foreign: foreign.clone(),
            directory: RwLock::new(directory),
            apps: RwLock::new(apps),
            tokens: Mutex::new(HashMap::new()),
            settings: Mutex::new(Settings {
                faults: Faults::default(),
                token_lifetime: 3599,
                delta_generation: 1,
                throttle_quota: None,
            }),
            throttle: Mutex::new(Throttle::default()),
            counters: Mutex::new(BTreeMap::new()),
            total_requests: AtomicU64::new(0),
            fault_dice: Mutex::new(Dice::for_stream(seed, "faults")),
            transitive_cache: Mutex::new(HashMap::new()),
            ids: AtomicU64::new(0),
            seed,
        });
        let info = SandboxInfo {
            authority_url: base_url.clone(),
            graph_url: base_url.clone(),
            scim_url: scim_url.clone(),
            scim_token,
            control_url: format!("{base_url}/_sandbox"),
            tenant: TenantInfo {
                id: identity.id,
                domain: identity.domain,
                name: identity.name,
            },
            foreign_tenant: ForeignTenantInfo {
                id: foreign.id,
                domain: foreign.domain,
                cloud: "usgov".to_string(),
            },
            users,
            apps: state.app_infos(),
            groups,
        };
        let app = Router::new()
            .merge(identity::routes())
            .merge(graph::routes())
            .merge(control::routes())
            .with_state(state.clone())
            .nest("/scim/v2", scim.router(&scim_url));
        let server = tokio::spawn(accept_loop(listener, app, state.clone()));
        Ok(Sandbox {
            info,
            state,
            scim,
            server: Some(server),
        })
    }

    /// Endpoints, tenant and app registrations as they were at start.
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    /// The app registrations as they are now (consent and enablement change at run time).
    pub fn apps(&self) -> Vec<AppInfo> {
        self.state.app_infos()
    }

    /// A handle that steers this sandbox (faults, consent, directory changes, counters).
    pub fn control(&self) -> SandboxControl {
        SandboxControl::new(self.state.clone())
    }

    /// The simulated learning platform's SCIM service (its users, fault switches, counters).
    pub fn scim(&self) -> &ScimService {
        &self.scim
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, app: Router, state: Arc<SandboxState>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let state = state.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        faults::handle(state.clone(), app.clone(), request)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
