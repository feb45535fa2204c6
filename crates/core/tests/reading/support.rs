//! A sandbox, a Graph client for its healthy app, a cache in a temporary folder, and a
//! sleeper that records waits instead of sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rollcall_core::auth::AppSignIn;
use rollcall_core::clock::{Clock, SystemClock};
use rollcall_core::cloud::Cloud;
use rollcall_core::credentials::{TenantRef, parse_client_id};
use rollcall_core::directory::{GroupScope, RefreshReport, refresh};
use rollcall_core::graph::{GraphClient, RetryPolicy, Sleeper};
use rollcall_core::network::{HttpSettings, http_client};
use rollcall_core::preview::Preview;
use rollcall_core::profile::MappingSettings;
use rollcall_core::secret::Secret;
use rollcall_core::store::Store;
use rollcall_sandbox::{AppState, Dataset, Sandbox, SandboxOptions};

/// Records every wait and returns at once.
#[derive(Debug, Default)]
pub struct RecordingSleeper {
    pub waits: Mutex<Vec<Duration>>,
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.waits.lock().unwrap().push(duration);
        Box::pin(tokio::task::yield_now())
    }
}

pub async fn demo() -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    })
    .await
    .unwrap()
}

pub async fn generated(users: usize) -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Generated { users, seed: 7 },
        port: 0,
    })
    .await
    .unwrap()
}

pub fn sign_in(sandbox: &Sandbox) -> AppSignIn {
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

/// A client with fast retries and a recording sleeper.
pub fn client_with(
    sandbox: &Sandbox,
    clock: Arc<dyn Clock>,
    sleeper: Arc<RecordingSleeper>,
) -> GraphClient {
    let http = http_client(HttpSettings {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
    })
    .unwrap();
    GraphClient::new(http, &sandbox.info().graph_url, sign_in(sandbox), clock)
        .with_sleeper(sleeper)
        .with_retry_policy(RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(60),
        })
}

pub fn client(sandbox: &Sandbox) -> GraphClient {
    client_with(
        sandbox,
        Arc::new(SystemClock),
        Arc::new(RecordingSleeper::default()),
    )
}

pub fn group(sandbox: &Sandbox, name: &str) -> String {
    sandbox.control().group_id(name).unwrap()
}

pub fn scope(include: Vec<String>, exclude: Vec<String>, guests: bool) -> GroupScope {
    GroupScope {
        include,
        exclude,
        nested: true,
        guests,
    }
}

pub struct Cache {
    /// Kept so the folder lives as long as the cache.
    pub _folder: tempfile::TempDir,
    pub store: Store,
}

pub fn cache() -> Cache {
    let folder = tempfile::tempdir().unwrap();
    let store = Store::open(&folder.path().join("cache").join("test.sqlite3")).unwrap();
    Cache {
        _folder: folder,
        store,
    }
}

pub async fn read(client: &GraphClient, cache: &mut Cache, scope: &GroupScope) -> RefreshReport {
    refresh(
        client,
        &mut cache.store,
        scope,
        &MappingSettings::default(),
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

pub fn preview(cache: &Cache, scope: &GroupScope) -> Preview {
    Preview::from_store(&cache.store, scope, &MappingSettings::default()).unwrap()
}

/// The preview as comparable JSON.
pub fn preview_json(cache: &Cache, scope: &GroupScope) -> serde_json::Value {
    let mut json = serde_json::to_value(preview(cache, scope)).unwrap();
    json.as_object_mut().unwrap().remove("readAt");
    json
}
