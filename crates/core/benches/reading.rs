//! Reading 100,000-person tenants from the sandbox, in three shapes: a company (team
//! groups of 200 under departments and divisions), a school (classes of about 30 under
//! seven year groups, staff teams of 30: 3,000+ groups) and one flat group of everyone.
//! For each: full refresh, delta refresh with 1% changed, the reader's peak memory,
//! requests made, and a full refresh with 100 ms latency per request. On the school and
//! the flat group, the full read is also compared in the same run with a bare client that
//! only pages `transitiveMembers/microsoft.graph.user` of the same include group, on
//! loopback and with 100 ms latency, and with today's group-by-group read on loopback. The
//! CPU time the reader and the sandbox used is printed beside each read. Run with
//! `cargo bench -p rollcall-core --bench reading`; set `ROLLCALL_BENCH_SHAPES=school` (or
//! `company`, `flat`, or several, comma-separated) to run some shapes, and
//! `ROLLCALL_BENCH_SKIP_LATENCY=1` to leave out the latency runs.
//!
//! Each shape is read in a child process of its own (this binary again, started with
//! `ROLLCALL_BENCH_READ=<shape>`), and the sandbox runs in a grandchild (started with
//! `ROLLCALL_BENCH_SANDBOX=<shape>`), so the peak memory reported is the reader's own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rollcall_core::auth::AppSignIn;
use rollcall_core::clock::SystemClock;
use rollcall_core::cloud::Cloud;
use rollcall_core::credentials::{TenantRef, parse_client_id};
use rollcall_core::directory::{GroupScope, ReadPlan, refresh, refresh_with, user_select};
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
/// Set in a reader child process: the shape to read.
const READ_SHAPE: &str = "ROLLCALL_BENCH_READ";
/// The shapes to run, comma-separated (`company,school,flat` when unset).
const SHAPES: &str = "ROLLCALL_BENCH_SHAPES";

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

/// The sandbox process's id, so the reader can tell how busy it was.
static SANDBOX_PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// CPU seconds (user + system) a process has used so far: `self` or a process id.
fn cpu_seconds(process: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/stat"))
        .ok()
        .and_then(|stat| {
            // The fields after the command name (which may hold spaces) are plain numbers.
            let rest = stat.rsplit_once(") ")?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// CPU seconds used so far by this reader and by the sandbox.
fn cpu_now() -> (f64, f64) {
    let sandbox = SANDBOX_PID
        .get()
        .map_or(f64::NAN, |pid| cpu_seconds(&pid.to_string()));
    (cpu_seconds("self"), sandbox)
}

/// A client that prints when the read reaches the stage named `Saving`, so a run can tell
/// reading from storing.
fn timed_client(info: &SandboxInfo, label: &'static str) -> GraphClient {
    let last = std::sync::Mutex::new(String::new());
    client(info).with_progress(Arc::new(move |progress| {
        let mut last = last.lock().unwrap();
        if *last != progress.stage {
            *last = progress.stage.clone();
            if progress.stage == "Saving" {
                let (reader, sandbox) = cpu_now();
                println!(
                    "  {label}: read in {:.2} s ({} requests), then saving; CPU so far: reader {reader:.2} s, sandbox {sandbox:.2} s",
                    progress.elapsed_ms as f64 / 1000.0,
                    progress.requests
                );
            }
        }
    }))
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
    fn start(shape: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SERVE_SANDBOX, shape)
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
fn serve_sandbox(shape: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dataset = match shape {
        "school" => Dataset::School {
            users: USERS,
            seed: 1,
        },
        "flat" => Dataset::Flat {
            users: USERS,
            seed: 1,
        },
        _ => Dataset::Generated {
            users: USERS,
            seed: 1,
        },
    };
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxOptions { dataset, port: 0 }))
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
    if let Ok(shape) = std::env::var(SERVE_SANDBOX) {
        serve_sandbox(&shape);
        return;
    }
    if let Ok(shape) = std::env::var(READ_SHAPE) {
        let sandbox = SandboxProcess::start(&shape);
        let _ = SANDBOX_PID.set(sandbox.child.id());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        if shape == "school" {
            runtime.block_on(run_against_bare(&sandbox.info, "Whole School"));
        } else if shape == "flat" {
            runtime.block_on(run_against_bare(&sandbox.info, "Everyone"));
        } else {
            runtime.block_on(run(&sandbox.info));
        }
        drop(runtime);
        drop(sandbox);
        return;
    }
    let shapes = std::env::var(SHAPES).unwrap_or_else(|_| "company,school,flat".into());
    for shape in shapes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        println!("== {shape} tenant, {USERS} people ==");
        let status = Command::new(std::env::current_exe().unwrap())
            .env(READ_SHAPE, shape)
            .status()
            .unwrap();
        assert!(status.success(), "the {shape} run failed");
    }
}

/// Pages `transitiveMembers/microsoft.graph.user` of `group` and nothing else: the least
/// any read of that group's people can do. Returns the time, requests and people.
async fn bare_read(info: &SandboxInfo, group: &str) -> (Duration, u64, usize) {
    let bare = client(info);
    let select = user_select(&MappingSettings::default());
    let url = bare.url(
        &format!("groups/{group}/transitiveMembers/microsoft.graph.user"),
        &[("$select", &select), ("$top", "999")],
    );
    let cpu_before = cpu_now();
    let started = Instant::now();
    let mut people = 0;
    bare.each_page(url, true, "the people of the group", |items| {
        people += items.len();
        Ok(())
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let cpu_after = cpu_now();
    println!(
        "  bare read {:.2} s; CPU: reader {:.2} s, sandbox {:.2} s",
        elapsed.as_secs_f64(),
        cpu_after.0 - cpu_before.0,
        cpu_after.1 - cpu_before.1
    );
    (elapsed, bare.stats().requests, people)
}

/// The school (or the flat group): batched full read of the include group `include`
/// against the bare client, on loopback and with 100 ms latency; today's group-by-group
/// read on loopback; delta with 1% changed; peak memory.
async fn run_against_bare(info: &SandboxInfo, include: &str) {
    println!(
        "reader process before reading (VmHWM): {:.0} MB",
        peak_memory_mb()
    );
    let control = Control {
        http: reqwest::Client::new(),
        url: info.control_url.clone(),
    };
    let whole_school = info
        .groups
        .iter()
        .find(|group| group.name == include)
        .unwrap()
        .id
        .clone();
    let scope = GroupScope {
        include: vec![whole_school.clone()],
        exclude: Vec::new(),
        nested: true,
        guests: false,
    };
    let mapping = MappingSettings::default();
    let folder = tempfile::tempdir().unwrap();

    // The bare client first, so both reads meet a sandbox that has seen the group once.
    let (warm_time, _, _) = bare_read(info, &whole_school).await;
    let mut store = Store::open(&folder.path().join("school.sqlite3")).unwrap();
    control.reset_counters().await;
    let full_client = timed_client(info, "batched");
    let (reader_cpu, sandbox_cpu) = cpu_now();
    println!(
        "  batched: starting; CPU so far: reader {reader_cpu:.2} s, sandbox {sandbox_cpu:.2} s"
    );
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
    let counters = control.counters().await;
    let after_refresh = peak_memory_mb();
    let preview_started = Instant::now();
    let preview = Preview::from_store(&store, &scope, &mapping).unwrap();
    let preview_time = preview_started.elapsed();
    let after_preview = peak_memory_mb();
    let (bare_time, bare_requests, bare_people) = bare_read(info, &whole_school).await;
    println!(
        "batched full refresh: {:.2} s, {} requests ({} batches holding {} reads; {} pages), {} people stored, {} in scope; preview built in {:.2} s",
        full_time.as_secs_f64(),
        full.requests,
        counters.kind("batch"),
        counters
            .by_kind
            .iter()
            .filter(|(kind, _)| !kind.starts_with("fault")
                && *kind != "batch"
                && *kind != "control"
                && *kind != "token")
            .map(|(_, n)| n)
            .sum::<u64>(),
        full.pages,
        full.users,
        preview.totals.matched,
        preview_time.as_secs_f64()
    );
    println!(
        "bare client (transitiveMembers/microsoft.graph.user of {include}): {:.2} s, {bare_requests} requests, {bare_people} people (first, warming run: {:.2} s); ratio full ÷ the faster bare run {:.2}",
        bare_time.as_secs_f64(),
        warm_time.as_secs_f64(),
        full_time.as_secs_f64() / bare_time.min(warm_time).as_secs_f64()
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
    println!(
        "delta refresh ({} changed): {:.2} s, {} requests ({} pages), kind {:?}",
        changed.len(),
        started.elapsed().as_secs_f64(),
        delta.requests,
        delta.pages,
        delta.kind
    );

    // Today's way, group by group, on loopback.
    let mut today_store = Store::open(&folder.path().join("today.sqlite3")).unwrap();
    let today_client = client(info);
    let started = Instant::now();
    let today = refresh_with(
        &today_client,
        &mut today_store,
        &scope,
        &mapping,
        Arc::new(SystemClock),
        ReadPlan::GroupByGroup,
    )
    .await
    .unwrap();
    let today_time = started.elapsed();
    println!(
        "group-by-group full refresh (today's way): {:.2} s, {} requests; ratio to bare {:.2}; batched makes {:.1}% of its requests",
        today_time.as_secs_f64(),
        today.requests,
        today_time.as_secs_f64() / bare_time.as_secs_f64(),
        100.0 * full.requests as f64 / today.requests as f64
    );

    if std::env::var_os(SKIP_LATENCY).is_some() {
        println!("runs with 100 ms latency: left out ({SKIP_LATENCY} is set)");
        return;
    }
    control
        .set_faults(&Faults {
            latency_ms: 100,
            ..Faults::default()
        })
        .await;
    let (slow_bare, slow_bare_requests, _) = bare_read(info, &whole_school).await;
    let mut slow_store = Store::open(&folder.path().join("slow.sqlite3")).unwrap();
    let slow_client = timed_client(info, "batched, 100 ms latency");
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
    println!(
        "with 100 ms latency: batched full refresh {:.2} s ({} requests), bare client {:.2} s ({slow_bare_requests} requests); ratio {:.2}",
        slow_time.as_secs_f64(),
        slow.requests,
        slow_bare.as_secs_f64(),
        slow_time.as_secs_f64() / slow_bare.as_secs_f64()
    );
    println!(
        "reader's peak memory at the end (VmHWM): {:.0} MB",
        peak_memory_mb()
    );
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

    // Today's way, group by group, on loopback, for comparison.
    let mut today_store = Store::open(&folder.path().join("today.sqlite3")).unwrap();
    let today_client = client(info);
    let started = Instant::now();
    let today = refresh_with(
        &today_client,
        &mut today_store,
        &scope,
        &mapping,
        Arc::new(SystemClock),
        ReadPlan::GroupByGroup,
    )
    .await
    .unwrap();
    println!(
        "group-by-group full refresh (today's way): {:.2} s, {} requests",
        started.elapsed().as_secs_f64(),
        today.requests
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
