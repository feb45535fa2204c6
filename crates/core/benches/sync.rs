//! The sync engine at 100,000 people: a first sync, a no-op sync and a sync with 1% changed,
//! from a cache of that size into the CSV target (the engine's own cost: scope, mapping,
//! plan, guard, journal, ledger and the roster file), then the same three into the
//! sandbox's SCIM service over HTTP through the SCIM client; with peak memory.
//! Run with `cargo bench -p rollcall-core --bench sync`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use rollcall_core::clock::SystemClock;
use rollcall_core::directory::{
    DirectorySnapshot, GroupRecord, Member, MemberKind, UserDetails, UserRecord,
};
use rollcall_core::graph::CancelToken;
use rollcall_core::history::Trigger;
use rollcall_core::ledger::Ledger;
use rollcall_core::profile::Profile;
use rollcall_core::secret::Secret;
use rollcall_core::store::{DeltaLinks, Store};
use rollcall_core::sync::{self, CacheView, SyncContext, SyncOptions, SyncReport};
use rollcall_core::targets::Target;
use rollcall_core::targets::csv::CsvTarget;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_sandbox::{Dataset, Sandbox, SandboxOptions};

const USERS: usize = 100_000;
const GROUP: &str = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

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

fn person(index: usize, department: &str) -> UserRecord {
    let mut details = BTreeMap::new();
    details.insert("givenName".to_string(), format!("Given{index}"));
    details.insert("surname".to_string(), format!("Family{index}"));
    details.insert("jobTitle".to_string(), "Teacher".to_string());
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
    for index in 0..USERS {
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

async fn run(
    profile: &Profile,
    store: &mut Store,
    ledger: &Ledger,
    target: &dyn Target,
    snapshot: &DirectorySnapshot,
) -> (SyncReport, f64) {
    let started_at = chrono::Utc::now();
    store
        .replace_snapshot(
            snapshot,
            &DeltaLinks::default(),
            "bench",
            1,
            chrono::Utc::now(),
        )
        .unwrap();
    let view = CacheView::read(store).unwrap();
    let cancel = CancelToken::new();
    let progress = |_: &rollcall_core::apply::SyncProgress| {};
    let timer = Instant::now();
    let report = sync::run(
        profile,
        &view,
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
        },
    )
    .await
    .unwrap();
    (report, timer.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let folder = tempfile::tempdir().unwrap();
    let profile = Profile::parse(&format!(
        "name = \"bench\"\n[entra]\ncloud = \"global\"\ntenant = \"school.example\"\nclient_id = \"535fb089-9ff3-47b6-9bfb-4f1264799865\"\n[scope]\ninclude_groups = [\"{GROUP}\"]\n[target]\nkind = \"csv\"\npath = \"out\"\n[sync]\nconcurrency = 16\n"
    ))
    .unwrap();
    let mut store = Store::open(&folder.path().join("cache.sqlite3")).unwrap();
    let ledger = Ledger::open(&folder.path().join("ledger.sqlite3")).unwrap();
    let target = CsvTarget::new(&folder.path().join("out"), Arc::new(SystemClock)).unwrap();

    let same = snapshot(None);
    let changed = snapshot(Some(100));
    three_runs(
        "CSV", &profile, &mut store, &ledger, &target, &same, &changed,
    )
    .await;

    let sandbox = Sandbox::start(SandboxOptions {
        dataset: Dataset::Generated { users: 10, seed: 7 },
        port: 0,
    })
    .await
    .unwrap();
    let info = sandbox.info();
    let scim = ScimTarget::new(&info.scim_url, Secret::new(info.scim_token.clone())).unwrap();
    let mut store = Store::open(&folder.path().join("cache-scim.sqlite3")).unwrap();
    let ledger = Ledger::open(&folder.path().join("ledger-scim.sqlite3")).unwrap();
    three_runs(
        "SCIM", &profile, &mut store, &ledger, &scim, &same, &changed,
    )
    .await;
    assert_eq!(sandbox.scim().user_count(), USERS);
    println!("peak memory: {:.0} MB", peak_memory_mb());
}

async fn three_runs(
    name: &str,
    profile: &Profile,
    store: &mut Store,
    ledger: &Ledger,
    target: &dyn Target,
    same: &DirectorySnapshot,
    changed: &DirectorySnapshot,
) {
    let (first, first_s) = run(profile, store, ledger, target, same).await;
    assert_eq!(first.applied.create, USERS, "{:?}", first.errors.first());
    println!(
        "{name} first sync: {USERS} people, {} creates, {} managers, {first_s:.1} s ({:.0} writes/s)",
        first.applied.create,
        first.applied.managers,
        first.writes as f64 / first_s
    );
    let (noop, noop_s) = run(profile, store, ledger, target, same).await;
    assert_eq!(noop.writes, 0);
    println!("{name} no-op sync: {} writes, {noop_s:.2} s", noop.writes);
    let (some, some_s) = run(profile, store, ledger, target, changed).await;
    println!(
        "{name} 1% changed: {} updates, {} writes, {some_s:.2} s",
        some.applied.update, some.writes
    );
    println!("{name} peak memory so far: {:.0} MB", peak_memory_mb());
}
