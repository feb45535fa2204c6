//! Reading a 100,000-person tenant from the sandbox: full refresh, delta refresh with 1%
//! changed, peak memory, requests made, and a full refresh with 100 ms latency per request
//! against requests × 100 ms. Run with `cargo bench -p rollcall-core --bench reading`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
use rollcall_sandbox::{AppState, Dataset, Faults, Sandbox, SandboxOptions, UserChanges};

const USERS: usize = 100_000;

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

fn client(sandbox: &Sandbox) -> GraphClient {
    let info = sandbox.info();
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

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let sandbox = Sandbox::start(SandboxOptions {
        dataset: Dataset::Generated {
            users: USERS,
            seed: 1,
        },
        port: 0,
    })
    .await
    .unwrap();
    println!(
        "memory with only the sandbox's tenant loaded (VmHWM): {:.0} MB",
        peak_memory_mb()
    );
    let control = sandbox.control();
    let scope = GroupScope {
        include: vec![control.group_id("All Staff").unwrap()],
        exclude: Vec::new(),
        nested: true,
        guests: false,
    };
    let mapping = MappingSettings::default();
    let folder = tempfile::tempdir().unwrap();
    let mut store = Store::open(&folder.path().join("bench.sqlite3")).unwrap();

    control.reset_counters();
    let full_client = client(&sandbox);
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
    let preview_started = Instant::now();
    let preview = Preview::from_store(&store, &scope, &mapping).unwrap();
    let preview_time = preview_started.elapsed();
    println!(
        "full refresh: {:.2} s, {} requests ({} pages; sandbox counted {}), {} people stored, {} in scope; preview built in {:.2} s",
        full_time.as_secs_f64(),
        full.requests,
        full.pages,
        control.counters().total,
        full.users,
        preview.totals.matched,
        preview_time.as_secs_f64()
    );

    // 1% of the people in scope change department.
    let changed: Vec<String> = preview
        .users
        .iter()
        .step_by(100)
        .map(|user| user.id.clone())
        .collect();
    for id in &changed {
        control
            .update_user(
                id,
                UserChanges {
                    department: Some("Reorganised".into()),
                    ..UserChanges::default()
                },
            )
            .unwrap();
    }
    drop(preview);
    control.reset_counters();
    let delta_client = client(&sandbox);
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
        control.counters().total,
        delta.kind
    );
    println!(
        "peak memory (VmHWM, sandbox included): {:.0} MB",
        peak_memory_mb()
    );

    // 100 ms per request, a fresh cache: compare with requests × 100 ms.
    control
        .set_faults(Faults {
            latency_ms: 100,
            ..Faults::default()
        })
        .unwrap();
    let mut slow_store = Store::open(&folder.path().join("slow.sqlite3")).unwrap();
    let slow_client = client(&sandbox);
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
        "peak memory at the end (VmHWM, sandbox included): {:.0} MB",
        peak_memory_mb()
    );
}
