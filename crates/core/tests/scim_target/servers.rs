//! The two SCIM servers the suite runs against, each started once per test binary on
//! 127.0.0.1: the sandbox (its simulated learning platform) and scim2-server from the
//! virtual environment the test command installs (target/scim2-venv). scim2-server runs
//! under a small watcher that stops it by its PID when this test process ends.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use rollcall_core::graph::{CancelToken, Sleeper};
use rollcall_core::secret::Secret;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_core::targets::{AccountWrite, Attributes};
use rollcall_sandbox::scim::ScimService;
use rollcall_sandbox::{Dataset, Sandbox, SandboxOptions};
use serde_json::{Map, Value, json};

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One SCIM server under test.
pub struct Server {
    pub name: &'static str,
    /// The SCIM base address.
    pub base: String,
    pub token: String,
    /// The sandbox's service, for staging faults (none for scim2-server).
    pub sandbox: Option<ScimService>,
}

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static SANDBOX: OnceLock<Server> = OnceLock::new();
static SCIM2: OnceLock<Server> = OnceLock::new();
static SCIM2_WATCHER: Mutex<Option<Child>> = Mutex::new(None);

/// Tests take turns: faults and write limits are staged on a shared server.
pub async fn turn() -> tokio::sync::MutexGuard<'static, ()> {
    TURN.lock().await
}

/// The sandbox, started on its own runtime thread so it outlives each test's runtime.
pub fn sandbox() -> &'static Server {
    SANDBOX.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let sandbox = Sandbox::start(SandboxOptions {
                    dataset: Dataset::Generated { users: 5, seed: 11 },
                    port: 0,
                })
                .await
                .unwrap();
                sender
                    .send((sandbox.info().clone(), sandbox.scim().clone()))
                    .unwrap();
                std::future::pending::<()>().await;
            });
        });
        let (info, scim) = receiver.recv().unwrap();
        Server {
            name: "sandbox",
            base: info.scim_url,
            token: info.scim_token,
            sandbox: Some(scim),
        }
    })
}

/// Where the test command installs scim2-server.
fn scim2_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("ROLLCALL_SCIM2_SERVER") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/scim2-venv/bin/scim2-server")
}

const WATCHER: &str = r#"
import subprocess, sys
server = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
try:
    sys.stdin.read()
finally:
    server.terminate()
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.kill()
"#;

/// scim2-server on a free port of 127.0.0.1.
pub fn scim2() -> &'static Server {
    SCIM2.get_or_init(|| {
        let executable = scim2_executable();
        assert!(
            executable.exists(),
            "scim2-server is not installed at {}. Run scripts/test (it installs it into target/scim2-venv), or: python3 -m venv target/scim2-venv && target/scim2-venv/bin/pip install scim2-server",
            executable.display()
        );
        let python = executable.with_file_name("python");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let token = format!("scim2-{}", uuid::Uuid::new_v4().simple());
        let log = std::fs::File::create(std::env::temp_dir().join(format!("scim2-server-{port}.log")))
            .unwrap();
        let mut watcher = Command::new(&python)
            .arg("-c")
            .arg(WATCHER)
            .arg(&executable)
            .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
            .args(["--bearer-token", &token])
            .stdin(Stdio::piped())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start scim2-server with {}: {error}", python.display()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = watcher.try_wait() {
                panic!("scim2-server stopped at once ({status}); see its log in the temp folder");
            }
            assert!(Instant::now() < deadline, "scim2-server did not start listening within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Some(stdin) = watcher.stdin.as_mut() {
            let _ = stdin.flush();
        }
        *SCIM2_WATCHER.lock().unwrap_or_else(PoisonError::into_inner) = Some(watcher);
        Server {
            name: "scim2-server",
            base: format!("http://127.0.0.1:{port}/v2"),
            token,
            sandbox: None,
        }
    })
}

/// Records every wait it is asked for and waits at most 20 ms of it, so tests of Retry-After
/// and backoff run fast.
#[derive(Debug, Default)]
pub struct ShortSleeper {
    pub waits: Mutex<Vec<Duration>>,
}

impl Sleeper for ShortSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.waits.lock().unwrap().push(duration);
        Box::pin(tokio::time::sleep(duration.min(Duration::from_millis(20))))
    }
}

impl Server {
    /// A client for this server with a short sleeper.
    pub fn target(&self) -> (ScimTarget, Arc<ShortSleeper>) {
        let sleeper = Arc::new(ShortSleeper::default());
        let target = ScimTarget::new(&self.base, Secret::new(self.token.clone()))
            .unwrap()
            .with_sleeper(sleeper.clone())
            .with_cancel(CancelToken::new());
        (target, sleeper)
    }

    /// The sandbox's service; panics for scim2-server.
    pub fn scim(&self) -> &ScimService {
        self.sandbox
            .as_ref()
            .expect("only the sandbox stages faults")
    }

    async fn get(&self, path: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Every resource at `/Users` or `/Groups`, read page by page without the client.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut start = 1;
        loop {
            let page = self
                .get(&format!("{path}?startIndex={start}&count=100"))
                .await;
            let items = page["Resources"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                return all;
            }
            start += items.len();
            all.extend(items);
        }
    }

    /// One user as the server holds it.
    pub async fn user(&self, id: &str) -> Value {
        self.get(&format!("/Users/{id}")).await
    }

    /// One group as the server holds it.
    pub async fn group(&self, id: &str) -> Value {
        self.get(&format!("/Groups/{id}")).await
    }

    /// The users and groups whose external IDs start with `prefix`, with IDs replaced by
    /// user names and `prefix` by `P`: what two servers must agree on.
    pub async fn state(&self, prefix: &str) -> Value {
        let users: Vec<Value> = self
            .all("/Users")
            .await
            .into_iter()
            .filter(|user| {
                user["externalId"]
                    .as_str()
                    .is_some_and(|external| external.starts_with(prefix))
            })
            .collect();
        let name_of = |id: &str| {
            users
                .iter()
                .find(|user| user["id"] == json!(id))
                .and_then(|user| user["userName"].as_str())
                .unwrap_or("<unknown>")
                .to_owned()
        };
        let mut people = Map::new();
        for user in &users {
            let manager = match &user[ENTERPRISE]["manager"] {
                Value::String(id) => Some(name_of(id)),
                Value::Object(parts) => parts.get("value").and_then(Value::as_str).map(name_of),
                _ => None,
            };
            let active = match &user["active"] {
                Value::Bool(flag) => *flag,
                Value::String(text) => text.eq_ignore_ascii_case("true"),
                _ => true,
            };
            let emails: Vec<Value> = user["emails"]
                .as_array()
                .map(|emails| emails.iter().map(|email| email["value"].clone()).collect())
                .unwrap_or_default();
            people.insert(
                user["userName"].as_str().unwrap().to_lowercase(),
                json!({
                    "externalId": user["externalId"],
                    "active": active,
                    "givenName": user["name"]["givenName"],
                    "familyName": user["name"]["familyName"],
                    "displayName": user["displayName"],
                    "title": user["title"],
                    "emails": emails,
                    "department": user[ENTERPRISE]["department"],
                    "manager": manager,
                }),
            );
        }
        let mut groups = Map::new();
        for group in self.all("/Groups").await {
            if !group["externalId"]
                .as_str()
                .is_some_and(|external| external.starts_with(prefix))
            {
                continue;
            }
            let mut members: Vec<String> = group["members"]
                .as_array()
                .map(|members| {
                    members
                        .iter()
                        .map(|member| name_of(member["value"].as_str().unwrap_or_default()))
                        .collect()
                })
                .unwrap_or_default();
            members.sort();
            groups.insert(
                group["displayName"].as_str().unwrap().to_owned(),
                json!({"externalId": group["externalId"], "members": members}),
            );
        }
        let text = json!({"people": people, "groups": groups}).to_string();
        serde_json::from_str(&text.replace(prefix, "P")).unwrap()
    }
}

/// A prefix no earlier run used, for external IDs and user names.
pub fn fresh_prefix(label: &str) -> String {
    format!("{label}{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// A person as the mapping would hand them over.
pub fn person(prefix: &str, key: &str, user_name: &str, given: &str, family: &str) -> AccountWrite {
    let mut attributes = Attributes::new();
    attributes.insert("name.givenName".into(), json!(given));
    attributes.insert("name.familyName".into(), json!(family));
    attributes.insert("displayName".into(), json!(format!("{given} {family}")));
    attributes.insert(
        "emails[type eq \"work\"].value".into(),
        json!(format!("{user_name}.{prefix}@example.org")),
    );
    attributes.insert("title".into(), json!("Teacher"));
    attributes.insert(format!("{ENTERPRISE}:department"), json!("Mathematics"));
    AccountWrite {
        external_id: format!("{prefix}-{key}"),
        user_name: format!("{user_name}.{prefix}@example.org"),
        active: true,
        attributes,
    }
}
