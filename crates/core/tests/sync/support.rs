//! One world per test: a sandbox tenant, a Graph client, a cache and a ledger in a
//! temporary folder, a profile scoped to one group, and a learning platform that holds its
//! accounts in memory (the SCIM service's behaviour that matters to a sync: 409 on a
//! taken user name, 404 for an unknown account, PATCH-style changes).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rollcall_core::auth::AppSignIn;
use rollcall_core::clock::SystemClock;
use rollcall_core::cloud::Cloud;
use rollcall_core::credentials::{TenantRef, parse_client_id};
use rollcall_core::directory::{GroupScope, ReadError, refresh};
use rollcall_core::graph::{CancelToken, GraphClient, RetryPolicy};
use rollcall_core::history::Trigger;
use rollcall_core::ledger::Ledger;
use rollcall_core::network::{HttpSettings, http_client};
use rollcall_core::profile::Profile;
use rollcall_core::secret::Secret;
use rollcall_core::store::Store;
use rollcall_core::sync::{self, CacheView, SyncContext, SyncOptions, SyncReport};
use rollcall_core::targets::{
    AccountWrite, AttributeChange, Attributes, Capabilities, RemoteAccount, RemoteGroup, Target,
    TargetError, TargetFuture,
};
use rollcall_sandbox::{AppState, Dataset, Sandbox, SandboxOptions};
use serde_json::Value;

/// An account as the in-memory platform holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: String,
    pub external_id: Option<String>,
    pub user_name: String,
    pub active: bool,
    pub attributes: Attributes,
    pub manager: Option<String>,
}

/// A learning platform in memory.
#[derive(Debug, Default)]
pub struct Platform {
    pub accounts: Mutex<BTreeMap<String, Account>>,
    next: AtomicU64,
    /// Requests that changed something (or tried to).
    pub writes: AtomicU64,
    /// The next this-many creates succeed but their reply is lost.
    pub lose_create_replies: AtomicUsize,
    /// Every request is refused with 401.
    pub refuse_token: AtomicBool,
    pub groups: Mutex<BTreeMap<String, (String, Vec<String>)>>,
}

impl Platform {
    pub fn accounts(&self) -> Vec<Account> {
        self.accounts.lock().unwrap().values().cloned().collect()
    }

    pub fn by_external(&self, external_id: &str) -> Vec<Account> {
        self.accounts()
            .into_iter()
            .filter(|a| a.external_id.as_deref() == Some(external_id))
            .collect()
    }

    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// An account somebody made on the platform by hand.
    pub fn add_existing(&self, external_id: Option<&str>, user_name: &str, email: &str) -> String {
        let id = format!("pre-{}", self.next.fetch_add(1, Ordering::SeqCst));
        let mut attributes = Attributes::new();
        attributes.insert(
            "emails[type eq \"work\"].value".into(),
            Value::String(email.into()),
        );
        self.accounts.lock().unwrap().insert(
            id.clone(),
            Account {
                id: id.clone(),
                external_id: external_id.map(str::to_string),
                user_name: user_name.into(),
                active: true,
                attributes,
                manager: None,
            },
        );
        id
    }

    fn check_token(&self) -> Result<(), TargetError> {
        if self.refuse_token.load(Ordering::SeqCst) {
            return Err(TargetError::Unauthorized {
                status: 401,
                detail: "invalid token".into(),
            });
        }
        Ok(())
    }

    fn remote(account: &Account) -> RemoteAccount {
        RemoteAccount {
            id: account.id.clone(),
            external_id: account.external_id.clone(),
            user_name: account.user_name.clone(),
            emails: account
                .attributes
                .get("emails[type eq \"work\"].value")
                .and_then(Value::as_str)
                .map(|e| vec![e.to_string()])
                .unwrap_or_default(),
            active: account.active,
        }
    }
}

impl Target for Platform {
    fn capabilities(&self) -> TargetFuture<'_, Capabilities> {
        Box::pin(async { Ok(Capabilities::default()) })
    }

    fn list_accounts(&self) -> TargetFuture<'_, Vec<RemoteAccount>> {
        Box::pin(async move {
            self.check_token()?;
            Ok(self.accounts().iter().map(Platform::remote).collect())
        })
    }

    fn find_account<'a>(
        &'a self,
        external_id: &'a str,
        user_name: &'a str,
    ) -> TargetFuture<'a, Vec<RemoteAccount>> {
        Box::pin(async move {
            self.check_token()?;
            let accounts = self.accounts();
            let by_external: Vec<RemoteAccount> = accounts
                .iter()
                .filter(|a| a.external_id.as_deref() == Some(external_id))
                .map(Platform::remote)
                .collect();
            if !by_external.is_empty() {
                return Ok(by_external);
            }
            Ok(accounts
                .iter()
                .filter(|a| a.user_name.eq_ignore_ascii_case(user_name))
                .map(Platform::remote)
                .collect())
        })
    }

    fn create_account<'a>(&'a self, account: &'a AccountWrite) -> TargetFuture<'a, RemoteAccount> {
        Box::pin(async move {
            self.check_token()?;
            self.writes.fetch_add(1, Ordering::SeqCst);
            let mut accounts = self.accounts.lock().unwrap();
            if accounts
                .values()
                .any(|a| a.user_name.eq_ignore_ascii_case(&account.user_name))
            {
                return Err(TargetError::Conflict {
                    detail: format!("userName {} is taken", account.user_name),
                });
            }
            let id = format!("acc-{}", self.next.fetch_add(1, Ordering::SeqCst));
            let stored = Account {
                id: id.clone(),
                external_id: Some(account.external_id.clone()),
                user_name: account.user_name.clone(),
                active: account.active,
                attributes: account.attributes.clone(),
                manager: None,
            };
            let remote = Platform::remote(&stored);
            accounts.insert(id, stored);
            drop(accounts);
            if self
                .lose_create_replies
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(TargetError::Unavailable {
                    detail: "the connection was reset before the reply".into(),
                });
            }
            Ok(remote)
        })
    }

    fn update_account<'a>(
        &'a self,
        id: &'a str,
        changes: &'a [AttributeChange],
        _full: &'a AccountWrite,
    ) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            self.check_token()?;
            self.writes.fetch_add(1, Ordering::SeqCst);
            let mut accounts = self.accounts.lock().unwrap();
            let account = accounts.get_mut(id).ok_or_else(|| TargetError::NotFound {
                detail: format!("no account {id}"),
            })?;
            for change in changes {
                match (change.path.as_str(), &change.value) {
                    ("userName", Some(Value::String(name))) => account.user_name = name.clone(),
                    ("externalId", Some(Value::String(id))) => {
                        account.external_id = Some(id.clone())
                    }
                    ("active", Some(Value::Bool(active))) => account.active = *active,
                    (path, Some(value)) => {
                        account.attributes.insert(path.to_string(), value.clone());
                    }
                    (path, None) => {
                        account.attributes.remove(path);
                    }
                }
            }
            Ok(())
        })
    }

    fn set_manager<'a>(&'a self, id: &'a str, manager_id: Option<&'a str>) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            self.check_token()?;
            self.writes.fetch_add(1, Ordering::SeqCst);
            let mut accounts = self.accounts.lock().unwrap();
            if let Some(manager) = manager_id
                && !accounts.contains_key(manager)
            {
                return Err(TargetError::Rejected {
                    status: 400,
                    detail: format!("no manager {manager}"),
                });
            }
            let account = accounts.get_mut(id).ok_or_else(|| TargetError::NotFound {
                detail: format!("no account {id}"),
            })?;
            account.manager = manager_id.map(str::to_string);
            Ok(())
        })
    }

    fn ensure_group<'a>(
        &'a self,
        external_id: &'a str,
        display_name: &'a str,
    ) -> TargetFuture<'a, RemoteGroup> {
        Box::pin(async move {
            self.check_token()?;
            self.writes.fetch_add(1, Ordering::SeqCst);
            let mut groups = self.groups.lock().unwrap();
            groups
                .entry(external_id.to_string())
                .or_insert_with(|| (display_name.to_string(), Vec::new()));
            Ok(RemoteGroup {
                id: format!("grp-{external_id}"),
                external_id: Some(external_id.to_string()),
                display_name: display_name.to_string(),
            })
        })
    }

    fn change_members<'a>(
        &'a self,
        id: &'a str,
        add: &'a [String],
        remove: &'a [String],
    ) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            self.check_token()?;
            self.writes.fetch_add(1, Ordering::SeqCst);
            let key = id.trim_start_matches("grp-");
            let mut groups = self.groups.lock().unwrap();
            let (_, members) = groups.get_mut(key).ok_or_else(|| TargetError::NotFound {
                detail: format!("no group {id}"),
            })?;
            members.retain(|m| !remove.contains(m));
            for member in add {
                if !members.contains(member) {
                    members.push(member.clone());
                }
            }
            Ok(())
        })
    }

    fn finish<'a>(&'a self, _roster: &'a [AccountWrite]) -> TargetFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

fn sign_in(sandbox: &Sandbox) -> AppSignIn {
    let info = sandbox.info();
    let app = info
        .apps
        .iter()
        .find(|app| app.state == AppState::Healthy)
        .unwrap();
    AppSignIn {
        cloud: Cloud::custom(&info.authority_url, &info.graph_url).unwrap(),
        tenant: TenantRef::Id(uuid::Uuid::parse_str(&info.tenant.id).unwrap()),
        client_id: parse_client_id(&app.client_id).unwrap(),
        secret: Secret::new(app.secret.clone()),
    }
}

/// A sandbox, the cache and ledger of one profile, and a platform.
pub struct World {
    pub sandbox: Sandbox,
    pub profile: Profile,
    pub store: Store,
    pub ledger: Ledger,
    pub platform: Arc<Platform>,
    /// Kept so the folder lives as long as the world.
    pub _folder: tempfile::TempDir,
}

pub async fn world(users: usize, group: &str) -> World {
    let sandbox = Sandbox::start(SandboxOptions {
        dataset: Dataset::Generated { users, seed: 7 },
        port: 0,
    })
    .await
    .unwrap();
    let group_id = sandbox.control().group_id(group).unwrap();
    let info = sandbox.info();
    let app = info
        .apps
        .iter()
        .find(|app| app.state == AppState::Healthy)
        .unwrap();
    let profile = Profile::parse(&format!(
        "name = \"school\"\n[entra]\ncloud = \"custom\"\ntenant = \"{}\"\nclient_id = \"{}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n[scope]\ninclude_groups = [\"{group_id}\"]\n[target]\nkind = \"scim\"\nurl = \"http://127.0.0.1:1/scim/v2\"\n[safety]\nmax_deactivations = 500\nmax_deactivation_percent = 50\n",
        info.tenant.id, app.client_id, info.authority_url, info.graph_url
    ))
    .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let store = Store::open(&folder.path().join("cache").join("school.sqlite3")).unwrap();
    let ledger = Ledger::open(&folder.path().join("ledger").join("school.sqlite3")).unwrap();
    World {
        sandbox,
        profile,
        store,
        ledger,
        platform: Arc::new(Platform::default()),
        _folder: folder,
    }
}

impl World {
    pub fn client(&self) -> GraphClient {
        let http = http_client(HttpSettings {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        })
        .unwrap();
        GraphClient::new(
            http,
            &self.sandbox.info().graph_url,
            sign_in(&self.sandbox),
            Arc::new(SystemClock),
        )
        .with_retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
        })
    }

    pub fn scope(&self) -> GroupScope {
        GroupScope::from_settings(&self.profile.scope).unwrap()
    }

    /// Refreshes the cache from the sandbox.
    pub async fn read(&mut self) -> Result<(), ReadError> {
        let client = self.client();
        let scope = self.scope();
        refresh(
            &client,
            &mut self.store,
            &scope,
            &self.profile.mapping,
            Arc::new(SystemClock),
        )
        .await
        .map(|_| ())
    }

    /// Reads Entra, then syncs, as a host does.
    pub async fn sync(&mut self, options: Options) -> SyncReport {
        let started_at = chrono::Utc::now();
        if options.read {
            let _ = self.read().await;
        }
        self.sync_only(options, started_at).await
    }

    /// Syncs from the cache as it is, for a run that began at `started_at`.
    pub async fn sync_only(
        &mut self,
        options: Options,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> SyncReport {
        let target: &dyn Target = self.platform.as_ref();
        self.sync_into(target, options, started_at).await
    }

    pub async fn sync_into(
        &self,
        target: &dyn Target,
        options: Options,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> SyncReport {
        let view = CacheView::read(&self.store).unwrap();
        let cancel = CancelToken::new();
        let progress = |_: &rollcall_core::apply::SyncProgress| {};
        sync::run(
            &self.profile,
            view,
            &SyncContext {
                ledger: &self.ledger,
                target,
                clock: &SystemClock,
                progress: &progress,
                cancel: &cancel,
            },
            &SyncOptions {
                dry_run: options.dry_run,
                force_deactivations: options.force,
                only: options.only,
                trigger: Trigger::Manual,
                started_at,
                list_people: true,
            },
        )
        .await
        .unwrap()
    }

    /// People in scope according to the cache.
    pub fn people(&self) -> Vec<rollcall_core::directory::UserRecord> {
        let snapshot = self.store.snapshot().unwrap();
        let scope = self.scope();
        rollcall_core::directory::evaluate(&snapshot, &scope)
            .matched
            .iter()
            .map(|m| m.user.clone())
            .collect()
    }
}

/// How a test runs a sync.
#[derive(Debug, Clone)]
pub struct Options {
    pub read: bool,
    pub dry_run: bool,
    pub force: bool,
    pub only: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            read: true,
            dry_run: false,
            force: false,
            only: None,
        }
    }
}

/// The platform's accounts by externalId, for comparisons.
pub fn by_external(platform: &Platform) -> BTreeMap<String, Account> {
    platform
        .accounts()
        .into_iter()
        .filter_map(|a| a.external_id.clone().map(|id| (id, a)))
        .collect()
}
