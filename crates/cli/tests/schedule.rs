//! `rollcall schedule` and `rollcall sync --scheduled`, run in-process against a workspace
//! in a temporary folder with an in-memory keychain, an injected clock and an in-memory
//! operating-system scheduler.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rollcall_core::clock::FixedClock;
use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::history::Trigger;
use rollcall_core::ledger::Ledger;
use rollcall_core::ops::{RunLock, Workspace};
use rollcall_core::schedule::MemoryScheduler;
use rollcall_core::secret::MemoryKeychain;
use serde_json::{Value, json};

const PROFILE: &str = r#"name = "school"

[entra]
cloud = "custom"
tenant = "contoso.onmicrosoft.com"
client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
authority_url = "http://127.0.0.1:9"
graph_url = "http://127.0.0.1:9"
"#;

struct Host {
    ws: Workspace,
    scheduler: Arc<MemoryScheduler>,
    folder: tempfile::TempDir,
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn host() -> Host {
    let folder = tempfile::tempdir().unwrap();
    let scheduler = Arc::new(MemoryScheduler::new());
    let ws = Workspace::new(
        DataDir::at(folder.path().join("data"), Mode::Real),
        Arc::new(MemoryKeychain::new()),
    )
    .with_clock(Arc::new(FixedClock::at(utc("2026-06-01T10:00:00Z"))))
    .with_scheduler(scheduler.clone())
    .with_program("/opt/Rollcall/bin/rollcall".into());
    let file = folder.path().join("school.toml");
    std::fs::write(&file, PROFILE).unwrap();
    let host = Host {
        ws,
        scheduler,
        folder,
    };
    let (status, _) = host.run(&["profile", "import", file.to_str().unwrap()]);
    assert_eq!(status, 0);
    host
}

impl Host {
    /// Runs `rollcall ARGS`: its exit status and what it printed on stdout.
    fn run(&self, args: &[&str]) -> (u8, String) {
        let mut all = vec!["rollcall"];
        all.extend_from_slice(args);
        let mut out = Vec::new();
        let status = rollcall_cli::run_in(all, &self.ws, &mut out);
        (status, String::from_utf8(out).unwrap())
    }

    fn json(&self, args: &[&str]) -> (u8, Value) {
        let mut all = args.to_vec();
        all.push("--json");
        let (status, out) = self.run(&all);
        (status, serde_json::from_str(&out).unwrap_or(Value::Null))
    }

    /// A sync by hand that worked, at 09:30, as the ledger keeps it.
    fn synced_by_hand(&self) {
        let ledger = Ledger::for_profile(self.ws.data_dir(), "school").unwrap();
        let at = utc("2026-06-01T09:30:00Z");
        let run = ledger.begin_run(Trigger::Manual, false, at).unwrap();
        ledger
            .finish_run(run, &json!({"errors": [], "blocked": []}), 12, 1500, at)
            .unwrap();
    }
}

#[test]
fn a_schedule_is_set_listed_and_switched_off() {
    let host = host();
    let (status, out) = host.run(&["schedule", "school", "--every", "90m"]);
    assert_eq!(status, 1, "refused before a sync by hand: {out}");
    assert!(out.is_empty());
    assert!(host.scheduler.names().is_empty());

    host.synced_by_hand();
    assert_eq!(host.run(&["schedule", "school", "--every", "0m"]).0, 2);
    assert_eq!(host.run(&["schedule", "school", "--daily", "25:00"]).0, 2);
    assert_eq!(
        host.run(&["schedule", "school", "--every", "90m", "--daily", "02:00"])
            .0,
        2,
        "one rule at a time"
    );
    assert_eq!(host.run(&["schedule", "school"]).0, 2, "a rule is needed");
    assert!(host.scheduler.names().is_empty());

    let (status, set) = host.json(&[
        "schedule",
        "school",
        "--every",
        "1h30m",
        "--time-zone",
        "Europe/London",
    ]);
    assert_eq!(status, 0, "{set}");
    assert_eq!(set["rule"], "every 1h30m");
    assert_eq!(set["registered"], "matches");
    assert_eq!(
        set["next_run"], "2026-06-01T11:00:00.000Z",
        "90 minutes after the last run"
    );
    assert_eq!(set["next_run_local"], "Mon 1 Jun 2026, 12:00 BST");
    assert_eq!(host.scheduler.names(), ["school"]);

    let (status, text) = host.run(&["schedule", "school", "--daily", "02:00"]);
    assert_eq!(status, 0);
    assert!(text.contains("\"school\" syncs daily at 02:00"), "{text}");
    assert!(text.contains("as set"), "{text}");

    let (status, all) = host.json(&["schedule", "list"]);
    assert_eq!(status, 0);
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["name"], "school");
    assert_eq!(all[0]["rule"], "daily at 02:00");
    assert_eq!(all[0]["registered"], "matches");
    assert_eq!(
        all[0]["registered_files"],
        json!(["rollcall-sync-school.service", "rollcall-sync-school.timer"])
    );
    assert!(all[0]["next_run"].is_string());
    let (_, text) = host.run(&["schedule", "list"]);
    assert!(text.starts_with("school\tdaily at 02:00\tnext "), "{text}");

    let (status, off) = host.json(&["schedule", "school", "--off"]);
    assert_eq!(status, 0);
    assert_eq!(off["registered"], "not_scheduled");
    assert!(off["rule"].is_null());
    assert!(host.scheduler.names().is_empty());
    let (_, text) = host.run(&["schedule", "list"]);
    assert!(text.contains("no schedule"), "{text}");
    let _ = &host.folder;
}

#[test]
fn a_scheduled_sync_that_finds_one_running_exits_after_recording_the_skip() {
    let host = host();
    let held = RunLock::take(
        &host.ws.data_dir().locks(),
        "school",
        utc("2026-06-01T09:58:00Z"),
    )
    .unwrap();
    let (status, out) = host.run(&["sync", "school", "--scheduled", "--json"]);
    assert_eq!(status, 1);
    assert!(out.is_empty(), "{out}");

    let (status, runs) = host.json(&["history", "school"]);
    assert_eq!(status, 0);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    assert_eq!(runs[0]["trigger"], "schedule");
    let reason = runs[0]["skipped"].as_str().unwrap();
    assert!(
        reason.contains("A sync of \"school\" is already running (started at "),
        "{reason}"
    );
    let (_, text) = host.run(&["history", "school"]);
    assert!(text.contains("Skipped: A sync of \"school\""), "{text}");

    // A run by hand is refused the same way, and leaves nothing in the history.
    let (status, _) = host.run(&["sync", "school"]);
    assert_eq!(status, 1);
    assert_eq!(
        host.json(&["history", "school"])
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    drop(held);
}
