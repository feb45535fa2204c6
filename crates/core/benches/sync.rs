//! The sync engine at 100,000 people: a first sync, a no-op sync and a sync with 1% changed,
//! from a cache of that size into the CSV target (the engine's own cost: scope, mapping,
//! plan, guard, journal, ledger and the roster file), then the same three into the
//! sandbox's SCIM service over HTTP through the SCIM client; with the sync's peak memory.
//!
//! Each target runs in a child process of its own (this binary again, started with
//! `ROLLCALL_BENCH_SYNC=<target>`), and the SCIM sandbox in a grandchild (started with
//! `ROLLCALL_BENCH_SANDBOX`), so the sandbox's memory is not counted. Before each run the
//! child writes the synthetic snapshot to the cache, drops it and resets its high-water
//! mark (`/proc/self/clear_refs`), so the peak reported is the sync's own: the cache view
//! it reads and everything the run holds.
//! `scim-bulk` is the same with the sandbox offering SCIM bulk (1,000 operations, 1 MiB a
//! request). After the three SCIM runs, a bare client POSTs the first sync's bodies (what
//! the mapping made of the same people) one by one with the sync's concurrency to a fresh
//! sandbox of the same kind, and the first sync's time is printed against it.
//! Run with `cargo bench -p rollcall-core --bench sync`; `ROLLCALL_BENCH_TARGETS=csv`
//! (or `scim`, `scim-bulk`, comma-separated) picks the targets, `ROLLCALL_BENCH_USERS=N` a
//! smaller tenant, `ROLLCALL_BENCH_LATENCY_MS=100` delays every SCIM answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rollcall_core::apply::{Phase, SyncProgress};
use rollcall_core::clock::SystemClock;
use rollcall_core::directory::{
    DirectorySnapshot, GroupRecord, Member, MemberKind, UserDetails, UserRecord,
};
use rollcall_core::graph::CancelToken;
use rollcall_core::history::Trigger;
use rollcall_core::ledger::Ledger;
use rollcall_core::mapping::map_people;
use rollcall_core::profile::Profile;
use rollcall_core::secret::Secret;
use rollcall_core::store::{DeltaLinks, Store};
use rollcall_core::sync::{self, CacheView, SyncContext, SyncOptions, SyncReport};
use rollcall_core::targets::Target;
use rollcall_core::targets::csv::CsvTarget;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_core::targets::scim::wire::user_document;
use rollcall_sandbox::{Dataset, Sandbox, SandboxInfo, SandboxOptions};

/// Set in the sandbox child: serve a small tenant's SCIM service, print its `SandboxInfo`
/// JSON as the first stdout line, and stop when stdin closes.
const SERVE_SANDBOX: &str = "ROLLCALL_BENCH_SANDBOX";
/// Set in a sync child: the target to sync into (`csv` or `scim`).
const SYNC_TARGET: &str = "ROLLCALL_BENCH_SYNC";
/// The targets to run, comma-separated (`csv,scim` when unset).
const TARGETS: &str = "ROLLCALL_BENCH_TARGETS";
/// How many people (100,000 when unset).
const USERS_KNOB: &str = "ROLLCALL_BENCH_USERS";
/// Milliseconds the sandbox waits before answering each SCIM request (0 when unset).
const LATENCY_KNOB: &str = "ROLLCALL_BENCH_LATENCY_MS";
/// Set in the sandbox child: offer SCIM bulk.
const OFFER_BULK: &str = "ROLLCALL_BENCH_OFFER_BULK";
/// The bulk limits the sandbox offers for `scim-bulk`.
const BULK_OPERATIONS: usize = 1_000;
const BULK_PAYLOAD: usize = 1024 * 1024;

fn latency() -> std::time::Duration {
    std::time::Duration::from_millis(
        std::env::var(LATENCY_KNOB)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(0),
    )
}

fn people() -> usize {
    std::env::var(USERS_KNOB)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100_000)
}
const GROUP: &str = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

/// A line of `/proc/self/status` (`VmHWM`, `VmRSS`) in MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the high-water mark to the memory in use now (Linux: `5` to `clear_refs`).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn person(index: usize, department: &str) -> UserRecord {
    let mut details = BTreeMap::new();
    details.insert("givenName".into(), format!("Given{index}"));
    details.insert("surname".into(), format!("Family{index}"));
    details.insert("jobTitle".into(), "Teacher".to_string());
    UserRecord {
        id: format!("00000000-0000-4000-8000-{index:012}"),
        user_principal_name: format!("person{index}@school.example"),
        mail: Some(format!("person{index}@school.example")),
        display_name: format!("Person {index}"),
        enabled: true,
        user_type: Some("Member".into()),
        employee_id: Some(format!("E{index}")),
        department: Some(department.into()),
        manager_id: (index > 0).then(|| format!("00000000-0000-4000-8000-{:012}", index / 8)),
        details: UserDetails(details),
    }
}

fn snapshot(changed_every: Option<usize>) -> DirectorySnapshot {
    let mut users = HashMap::new();
    let mut members = Vec::new();
    for index in 0..people() {
        let department = match changed_every {
            Some(every) if index % every == 0 => "Changed",
            _ => "Science",
        };
        let user = person(index, department);
        members.push(Member {
            id: user.id.clone(),
            kind: MemberKind::User,
        });
        users.insert(user.id.clone(), user);
    }
    let mut groups = BTreeMap::new();
    groups.insert(
        GROUP.to_string(),
        GroupRecord {
            id: GROUP.into(),
            display_name: "All Staff".into(),
            members,
        },
    );
    DirectorySnapshot {
        groups,
        users,
        problems: Vec::new(),
    }
}

/// What one run cost: its report, seconds, and the memory before it and at its peak (MB).
struct Measured {
    report: SyncReport,
    seconds: f64,
    baseline_mb: f64,
    peak_mb: f64,
    /// Seconds spent in each phase, in order.
    phases: Vec<(Phase, f64)>,
}

impl Measured {
    fn memory(&self) -> String {
        format!(
            "peak {:.0} MB ({:.0} MB over the {:.0} MB in use before the run)",
            self.peak_mb,
            self.peak_mb - self.baseline_mb,
            self.baseline_mb
        )
    }
}

async fn run(
    profile: &Profile,
    store: &mut Store,
    ledger: &Ledger,
    target: &dyn Target,
    changed_every: Option<usize>,
) -> Measured {
    let snapshot = snapshot(changed_every);
    store
        .replace_snapshot(
            snapshot,
            &DeltaLinks::default(),
            "bench",
            1,
            chrono::Utc::now(),
        )
        .unwrap();
    reset_peak();
    let baseline_mb = status_mb("VmRSS:");
    let started_at = chrono::Utc::now();
    let view = CacheView::read(store).unwrap();
    let cancel = CancelToken::new();
    let seen: Mutex<Vec<(Phase, Instant)>> = Mutex::new(Vec::new());
    let progress = |progress: &SyncProgress| {
        let mut seen = seen.lock().unwrap();
        if seen
            .last()
            .is_none_or(|(phase, _)| *phase != progress.phase)
        {
            seen.push((progress.phase, Instant::now()));
        }
    };
    let timer = Instant::now();
    let report = sync::run(
        profile,
        view,
        &SyncContext {
            ledger,
            target,
            clock: &SystemClock,
            progress: &progress,
            cancel: &cancel,
        },
        &SyncOptions {
            dry_run: false,
            force_deactivations: false,
            only: None,
            trigger: Trigger::Manual,
            started_at,
            list_people: false,
        },
    )
    .await
    .unwrap();
    let seconds = timer.elapsed().as_secs_f64();
    let end = Instant::now();
    let seen = seen.into_inner().unwrap();
    let phases = seen
        .iter()
        .enumerate()
        .map(|(at, (phase, started))| {
            let until = seen.get(at + 1).map_or(end, |(_, next)| *next);
            (*phase, until.duration_since(*started).as_secs_f64())
        })
        .collect();
    Measured {
        report,
        seconds,
        baseline_mb,
        peak_mb: status_mb("VmHWM:"),
        phases,
    }
}

impl Measured {
    /// The phases that took a tenth of a second or more.
    fn phase_times(&self) -> String {
        self.phases
            .iter()
            .filter(|(_, seconds)| *seconds >= 0.1)
            .map(|(phase, seconds)| format!("{phase:?} {seconds:.1} s"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The sandbox in a child process; killed and reaped when dropped.
struct SandboxProcess {
    child: Child,
    info: SandboxInfo,
}

impl SandboxProcess {
    fn start(bulk: bool) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        if bulk {
            command.env(OFFER_BULK, "1");
        } else {
            command.env_remove(OFFER_BULK);
        }
        let mut child = command
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

/// Child mode: serve the sandbox until the parent closes stdin (or kills us).
fn serve_sandbox() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxOptions {
            dataset: Dataset::Generated { users: 10, seed: 7 },
            port: 0,
        }))
        .unwrap();
    sandbox.scim().set_latency(latency());
    if std::env::var_os(OFFER_BULK).is_some() {
        sandbox.scim().offer_bulk(BULK_OPERATIONS, BULK_PAYLOAD);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(sandbox.info()).unwrap()).unwrap();
    stdout.flush().unwrap();
    drop(stdout);
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(sandbox);
}

fn profile() -> Profile {
    Profile::parse(&format!(
        "name = \"bench\"\n[entra]\ncloud = \"global\"\ntenant = \"school.example\"\nclient_id = \"535fb089-9ff3-47b6-9bfb-4f1264799865\"\n[scope]\ninclude_groups = [\"{GROUP}\"]\n[target]\nkind = \"csv\"\npath = \"out\"\n[sync]\nconcurrency = 16\n"
    ))
    .unwrap()
}

/// Child mode: the three runs into one target.
async fn sync_into(kind: &str) {
    let folder = tempfile::tempdir().unwrap();
    let profile = profile();
    let mut store = Store::open(&folder.path().join("cache.sqlite3")).unwrap();
    let ledger = Ledger::open(&folder.path().join("ledger.sqlite3")).unwrap();
    if kind == "scim" || kind == "scim-bulk" {
        let bulk = kind == "scim-bulk";
        let name = if bulk { "SCIM bulk" } else { "SCIM" };
        let sandbox = SandboxProcess::start(bulk);
        let scim = ScimTarget::new(
            &sandbox.info.scim_url,
            Secret::new(sandbox.info.scim_token.clone()),
        )
        .unwrap();
        let first = three_runs(name, &profile, &mut store, &ledger, &scim).await;
        let stats = scim.stats();
        println!(
            "{name}: {} requests over the three runs, {} retries, bulk {}",
            stats.requests,
            stats.retries,
            if scim.create_batch().await.unwrap() > 1 {
                "used"
            } else {
                "not offered"
            }
        );
        let accounts = scim.list_accounts().await.unwrap();
        let ours = accounts
            .iter()
            .filter(|account| account.user_name.ends_with("@school.example"))
            .count();
        assert!(ours >= people(), "{ours} accounts on the platform");
        drop(sandbox);
        let bare_seconds = bare_client(&profile).await;
        println!(
            "{name} first sync {first:.1} s against a bare client POSTing the same {} bodies {} at a time to a fresh sandbox: {bare_seconds:.1} s ({:.0}/s); the first sync took {:.2}× the bare client (latency {} ms)",
            people(),
            profile.sync.concurrency,
            people() as f64 / bare_seconds,
            first / bare_seconds,
            latency().as_millis(),
        );
    } else {
        let target = CsvTarget::new(&folder.path().join("out"), Arc::new(SystemClock)).unwrap();
        three_runs("CSV", &profile, &mut store, &ledger, &target).await;
    }
}

fn main() {
    if std::env::var_os(SERVE_SANDBOX).is_some() {
        serve_sandbox();
        return;
    }
    if let Ok(kind) = std::env::var(SYNC_TARGET) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(sync_into(&kind));
        return;
    }
    let targets = std::env::var(TARGETS).unwrap_or_else(|_| "csv,scim".into());
    for kind in targets.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let status = Command::new(std::env::current_exe().unwrap())
            .env(SYNC_TARGET, kind)
            .status()
            .unwrap();
        assert!(status.success(), "the {kind} run failed");
    }
}

/// POSTs the bodies of the first sync's creates (the mapping of the same people) one by one,
/// the profile's concurrency at a time, to a fresh sandbox; returns the seconds taken.
async fn bare_client(profile: &Profile) -> f64 {
    let snapshot = snapshot(None);
    let mapped = map_people(
        snapshot.users.values(),
        &profile.mapping,
        chrono::Utc::now(),
    );
    drop(snapshot);
    let bodies: Vec<String> = mapped
        .accounts
        .iter()
        .map(|account| user_document(&account.write).to_string())
        .collect();
    drop(mapped);
    let sandbox = SandboxProcess::start(false);
    let url = format!("{}/Users", sandbox.info.scim_url);
    let token = sandbox.info.scim_token.clone();
    let client = reqwest::Client::new();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..profile.sync.concurrency {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        let (url, token) = (url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(n) else {
                    return;
                };
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 201);
                response.bytes().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(sandbox);
    seconds
}

/// The first, no-op and 1%-changed runs; returns the first run's seconds.
async fn three_runs(
    name: &str,
    profile: &Profile,
    store: &mut Store,
    ledger: &Ledger,
    target: &dyn Target,
) -> f64 {
    let people = people();
    let first = run(profile, store, ledger, target, None).await;
    assert_eq!(
        first.report.applied.create,
        people,
        "{:?}",
        first.report.errors.first()
    );
    println!(
        "{name} first sync: {people} people, {} creates, {} managers, {:.1} s ({:.0} writes/s; {}), {}",
        first.report.applied.create,
        first.report.applied.managers,
        first.seconds,
        first.report.writes as f64 / first.seconds,
        first.phase_times(),
        first.memory()
    );
    let noop = run(profile, store, ledger, target, None).await;
    assert_eq!(noop.report.writes, 0);
    println!(
        "{name} no-op sync: {} writes, {:.2} s, {}",
        noop.report.writes,
        noop.seconds,
        noop.memory()
    );
    let some = run(profile, store, ledger, target, Some(100)).await;
    println!(
        "{name} 1% changed: {} updates, {} writes, {:.2} s, {}",
        some.report.applied.update,
        some.report.writes,
        some.seconds,
        some.memory()
    );
    first.seconds
}
