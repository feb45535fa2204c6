//! A sync killed at any instant loses nothing: the real `rollcall sync` is killed (SIGKILL)
//! at twenty different points of a 2,000-person first sync into the sandbox's SCIM service;
//! after each, a rerun converges: every person in scope has exactly one account, nobody is
//! missing, nobody is there twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use rollcall_e2e::headless::{SandboxChild, rollcall_in};
use serde_json::Value;

const PEOPLE: &str = "2000";
const KILLS: u64 = 20;

fn rollcall(data: &Path) -> Command {
    rollcall_in(data).unwrap_or_else(|message| panic!("{message}"))
}

fn sandbox(seed: u64) -> SandboxChild {
    SandboxChild::start(&["--users", PEOPLE, "--seed", &seed.to_string()]).unwrap()
}

/// A connection "crash" to the sandbox in `data`, with both secrets in the keychain.
fn connect(data: &Path, platform: &SandboxChild, name: &str) {
    let profile = platform.profile(name, "").unwrap();
    platform.connect(data, name, &profile).unwrap();
}

/// Runs `sync NAME --json` to the end; its status and report.
fn sync(data: &Path, name: &str, dry_run: bool) -> (i32, Value) {
    let mut command = rollcall(data);
    command.args(["sync", name, "--json"]);
    if dry_run {
        command.arg("--dry-run");
    }
    let output = command.stderr(Stdio::null()).output().unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), report)
}

/// Every account on the platform.
async fn accounts(info: &Value) -> Vec<Value> {
    let client = reqwest::Client::new();
    let url = info["scim_url"].as_str().unwrap().trim_end_matches('/');
    let token = info["scim_token"].as_str().unwrap();
    let mut all = Vec::new();
    let mut start = 1;
    loop {
        let page: Value = client
            .get(format!("{url}/Users?startIndex={start}&count=500"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        if resources.is_empty() {
            return all;
        }
        start += resources.len();
        all.extend(resources);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_at_any_point_converges_on_the_next_run() {
    // The kill points: spread over the length of one whole first sync, measured here.
    let reference = sandbox(100);
    let data = tempfile::tempdir().unwrap();
    let name = format!("crash{}", std::process::id());
    connect(data.path(), &reference, &name);
    let started = Instant::now();
    let (status, report) = sync(data.path(), &name, false);
    let whole = started.elapsed();
    assert_eq!(status, 0, "{report:#}");
    let expected = report["applied"]["create"].as_u64().unwrap();
    assert!(expected > 1000, "{report:#}");
    drop(reference);

    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for kill in 0..KILLS {
        let platform = sandbox(100 + kill + 1);
        let data = tempfile::tempdir().unwrap();
        connect(data.path(), &platform, &name);
        // A pseudo-random point in the run (xorshift), from the very start to its end.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = whole.mul_f64((state % 1000) as f64 / 1000.0);
        let mut child = rollcall(data.path())
            .args(["sync", &name, "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();

        let (status, rerun) = sync(data.path(), &name, false);
        assert_eq!(status, 0, "kill {kill} at {at:?}: {rerun:#}");
        let (_, check) = sync(data.path(), &name, true);
        assert_eq!(
            check["plan"]["create"], 0,
            "kill {kill} at {at:?}: someone is still missing: {check:#}"
        );
        let accounts = accounts(&platform.info).await;
        let external: HashSet<&str> = accounts
            .iter()
            .filter_map(|account| account["externalId"].as_str())
            .collect();
        let names: HashSet<String> = accounts
            .iter()
            .filter_map(|account| account["userName"].as_str())
            .map(str::to_lowercase)
            .collect();
        assert_eq!(
            external.len(),
            accounts.len(),
            "kill {kill} at {at:?}: an account is there twice"
        );
        assert_eq!(names.len(), accounts.len(), "kill {kill} at {at:?}");
        assert_eq!(
            accounts.len() as u64,
            expected,
            "kill {kill} at {at:?}: not everyone in scope has an account"
        );
    }
}
