//! A sandbox for tokens, a hand-written HTTP server that answers what a test scripts (and
//! counts what reaches it), and Graph clients pointed at either.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rollcall_core::auth::AppSignIn;
use rollcall_core::clock::SystemClock;
use rollcall_core::cloud::Cloud;
use rollcall_core::credentials::{TenantRef, parse_client_id};
use rollcall_core::graph::{GraphClient, Sleeper};
use rollcall_core::network::{HttpSettings, http_client};
use rollcall_core::secret::Secret;
use rollcall_sandbox::{AppState, Dataset, Sandbox, SandboxOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
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

/// A client reading Graph at `graph_url`, signed in at the sandbox.
pub fn client_for(sandbox: &Sandbox, graph_url: &str) -> GraphClient {
    let http = http_client(HttpSettings {
        timeout: Duration::from_secs(60),
        connect_timeout: Duration::from_secs(5),
    })
    .unwrap();
    GraphClient::new(http, graph_url, sign_in(sandbox), Arc::new(SystemClock))
}

/// A client that is never asked to send anything (for parsing answers).
pub fn offline_client() -> GraphClient {
    let http = http_client(HttpSettings::default()).unwrap();
    let sign_in = AppSignIn {
        cloud: Cloud::custom("https://127.0.0.1:9", "https://127.0.0.1:9").unwrap(),
        tenant: TenantRef::Id(uuid::Uuid::nil()),
        client_id: parse_client_id("00000000-0000-0000-0000-000000000001").unwrap(),
        secret: Secret::new("not-a-secret"),
    };
    GraphClient::new(http, "https://127.0.0.1:9", sign_in, Arc::new(SystemClock))
}

/// A server on 127.0.0.1 that answers every request with what `answer` makes of its
/// request line (`None`: never answers), counting the requests that reach it.
pub struct ScriptedServer {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
}

pub async fn scripted<F>(answer: F) -> ScriptedServer
where
    F: Fn(&str) -> Option<String> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buffer = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => seen.extend_from_slice(&buffer[..read]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let text = String::from_utf8_lossy(&seen).into_owned();
                let line = text.lines().next().unwrap_or_default().to_string();
                match answer(&line) {
                    Some(reply) => {
                        let _ = socket.write_all(reply.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(120)).await,
                }
            });
        }
    });
    ScriptedServer { url, requests }
}

/// An HTTP/1.1 answer with a JSON body.
pub fn json_reply(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
        body.len()
    )
}

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
