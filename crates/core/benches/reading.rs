//! Reading a 100,000-person tenant from the sandbox: full refresh, delta refresh with 1%
//! changed, the reader's peak memory, requests made, and a full refresh with 100 ms latency
//! per request against requests × 100 ms. Run with `cargo bench -p rollcall-core --bench reading`;
//! set `ROLLCALL_BENCH_SKIP_LATENCY=1` to leave out the latency run.
//!
//! The sandbox runs in a child process (this binary again, started with
//! `ROLLCALL_BENCH_SANDBOX=1`), so the peak memory reported is the reader's own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rollcall_core::auth::AppSignIn;
use rollcall_core::clock::SystemClock;
use rollcall_core::cloud::Cloud;
use rollcall_core::credentials::{TenantRef, parse_client_id};
use rollcall_core::directory::{GroupScope, refresh};
use rollcall_core::graph::GraphClient;
use rollcall_core::network::{HttpSettings, http_client};
use rollcall_core::preview::Preview;
use rollcall_core::profile::MappingSettings;
use rollcall_core::secret::Secret;
use rollcall_core::store::Store;
use rollcall_sandbox::{
    AppState, Dataset, Faults, RequestCounters, Sandbox, SandboxInfo, SandboxOptions, UserChanges,
};

const USERS: usize = 100_000;
/// Set in the child process: serve the sandbox, print its `SandboxInfo` JSON as the first
/// stdout line, and stop when stdin closes.
const SERVE_SANDBOX: &str = "ROLLCALL_BENCH_SANDBOX";
/// Set to leave out the full refresh with 100 ms latency per request.
const SKIP_LATENCY: &str = "ROLLCALL_BENCH_SKIP_LATENCY";

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn client(info: &SandboxInfo) -> GraphClient {
    let app = info
        .apps
        .iter()
        .find(|app| app.state == AppState::Healthy)
        .unwrap();
    let sign_in = AppSignIn {
        cloud: Cloud::custom(&info.authority_url, &info.graph_url).unwrap(),
        tenant: TenantRef::Id(uuid::Uuid::parse_str(&info.tenant.id).unwrap()),
        client_id: parse_client_id(&app.client_id).unwrap(),
        secret: Secret::new(app.secret.clone()),
    };
    let http = http_client(HttpSettings {
        timeout: Duration::from_secs(60),
        connect_timeout: Duration::from_secs(10),
    })
    .unwrap();
    GraphClient::new(http, &info.graph_url, sign_in, Arc::new(SystemClock))
}

/// The sandbox's control API, spoken over HTTP from the reader's process.
struct Control {
    http: reqwest::Client,
    url: String,
}

impl Control {
    async fn reset_counters(&self) {
        self.http
            .delete(format!("{}/counters", self.url))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    async fn counters(&self) -> RequestCounters {
        self.http
            .get(format!("{}/counters", self.url))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn update_user(&self, id: &str, changes: &UserChanges) {
        self.http
            .patch(format!("{}/users/{id}", self.url))
            .json(changes)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    async fn set_faults(&self, faults: &Faults) {
        self.http
            .put(format!("{}/faults", self.url))
            .json(faults)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
}

/// The sandbox in a child process; killed and reaped when dropped.
struct SandboxProcess {
    child: Child,
    info: SandboxInfo,
}

impl SandboxProcess {
    fn start() -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVE_SANDBOX, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let info = serde_json::from_str(&first_line)
            .unwrap_or_else(|e| panic!("the sandbox process did not print its info: {e}"));
        Self { child, info }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Child mode: serve a generated tenant until the parent closes stdin (or kills us).
fn serve_sandbox() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxOptions {
            dataset: Dataset::Generated {
                users: USERS,
                seed: 1,
            },
            port: 0,
        }))
        .unwrap();
    eprintln!(
        "sandbox process with the tenant loaded (VmHWM): {:.0} MB",
        peak_memory_mb()
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(sandbox.info()).unwrap()).unwrap();
    stdout.flush().unwrap();
    drop(stdout);
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(sandbox);
}

fn main() {
    if std::env::var_os(SERVE_SANDBOX).is_some() {
        serve_sandbox();
        return;
    }
    let sandbox = SandboxProcess::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(&sandbox.info));
    drop(runtime);
    drop(sandbox);
}

async fn run(info: &SandboxInfo) {
    println!(
        "reader process before reading (VmHWM): {:.0} MB",
        peak_memory_mb()
    );
    let control = Control {
        http: reqwest::Client::new(),
        url: info.control_url.clone(),
    };
    let all_staff = info
        .groups
        .iter()
        .find(|group| group.name == "All Staff")
        .unwrap();
    let scope = GroupScope {
        include: vec![all_staff.id.clone()],
        exclude: Vec::new(),
        nested: true,
        guests: false,
    };
    let mapping = MappingSettings::default();
    let folder = tempfile::tempdir().unwrap();
    let mut store = Store::open(&folder.path().join("bench.sqlite3")).unwrap();

    control.reset_counters().await;
    let full_client = client(info);
    let started = Instant::now();
    let full = refresh(
        &full_client,
        &mut store,
        &scope,
        &mapping,
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let full_time = started.elapsed();
    let after_refresh = peak_memory_mb();
    let preview_started = Instant::now();
    let preview = Preview::from_store(&store, &scope, &mapping).unwrap();
    let preview_time = preview_started.elapsed();
    let after_preview = peak_memory_mb();
    println!(
        "full refresh: {:.2} s, {} requests ({} pages; sandbox counted {}), {} people stored, {} in scope; preview built in {:.2} s",
        full_time.as_secs_f64(),
        full.requests,
        full.pages,
        control.counters().await.total,
        full.users,
        preview.totals.matched,
        preview_time.as_secs_f64()
    );
    println!(
        "reader's peak memory (VmHWM): {after_refresh:.0} MB after the full refresh, {after_preview:.0} MB after the preview"
    );

    // 1% of the people in scope change department.
    let changed: Vec<String> = preview
        .users
        .iter()
        .step_by(100)
        .map(|user| user.id.clone())
        .collect();
    drop(preview);
    let reorganised = UserChanges {
        department: Some("Reorganised".into()),
        ..UserChanges::default()
    };
    for id in &changed {
        control.update_user(id, &reorganised).await;
    }
    control.reset_counters().await;
    let delta_client = client(info);
    let started = Instant::now();
    let delta = refresh(
        &delta_client,
        &mut store,
        &scope,
        &mapping,
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let delta_time = started.elapsed();
    println!(
        "delta refresh ({} changed): {:.2} s, {} requests ({} pages; sandbox counted {}), kind {:?}",
        changed.len(),
        delta_time.as_secs_f64(),
        delta.requests,
        delta.pages,
        control.counters().await.total,
        delta.kind
    );
    println!(
        "reader's peak memory after the delta refresh (VmHWM): {:.0} MB",
        peak_memory_mb()
    );

    if std::env::var_os(SKIP_LATENCY).is_some() {
        println!("full refresh with 100 ms latency: left out ({SKIP_LATENCY} is set)");
        return;
    }
    // 100 ms per request, a fresh cache: compare with requests × 100 ms.
    control
        .set_faults(&Faults {
            latency_ms: 100,
            ..Faults::default()
        })
        .await;
    let mut slow_store = Store::open(&folder.path().join("slow.sqlite3")).unwrap();
    let slow_client = client(info);
    let started = Instant::now();
    let slow = refresh(
        &slow_client,
        &mut slow_store,
        &scope,
        &mapping,
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let slow_time = started.elapsed();
    let floor = Duration::from_millis(100 * slow.requests);
    println!(
        "full refresh with 100 ms latency: {:.2} s for {} Graph requests ({} pages); requests × 100 ms = {:.2} s; ratio {:.3}",
        slow_time.as_secs_f64(),
        slow.requests,
        slow.pages,
        floor.as_secs_f64(),
        slow_time.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "reader's peak memory at the end (VmHWM): {:.0} MB",
        peak_memory_mb()
    );
}
