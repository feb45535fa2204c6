//! A sync killed at any instant loses nothing: the real `rollcall sync` is killed (SIGKILL)
//! at twenty different points of a 2,000-person first sync into the sandbox's SCIM service;
//! after each, a rerun converges: every person in scope has exactly one account, nobody is
//! missing, nobody is there twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rollcall_e2e::{rollcall_bin, terminate};
use serde_json::Value;

const PEOPLE: &str = "2000";
const KILLS: u64 = 20;

fn rollcall(data: &Path) -> Command {
    let mut command = Command::new(rollcall_bin().unwrap_or_else(|message| panic!("{message}")));
    command.arg("--data-dir").arg(data);
    command
}

/// A sandbox in a child process; stopped when dropped.
struct Sandbox {
    child: Child,
    info: Value,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

fn sandbox(seed: u64) -> Sandbox {
    let mut child = Command::new(rollcall_bin().unwrap())
        .args([
            "sandbox",
            "--users",
            PEOPLE,
            "--seed",
            &seed.to_string(),
            "--json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive.recv_timeout(Duration::from_secs(60)).unwrap();
    Sandbox {
        child,
        info: serde_json::from_str(line.trim()).unwrap(),
    }
}

/// A connection "crash" to the sandbox in `data`, with both secrets in the keychain.
fn connect(data: &Path, info: &Value, name: &str) {
    let app = info["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|app| app["state"] == "healthy")
        .unwrap();
    let group = &info["groups"][0]["id"];
    let profile = format!(
        "name = \"{name}\"\n\n[entra]\ncloud = \"custom\"\ntenant = \"{}\"\nclient_id = \"{}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n\n[scope]\ninclude_groups = [{group}]\n\n[target]\nkind = \"scim\"\nurl = \"{}\"\n",
        info["tenant"]["id"].as_str().unwrap(),
        app["client_id"].as_str().unwrap(),
        info["authority_url"].as_str().unwrap(),
        info["graph_url"].as_str().unwrap(),
        info["scim_url"].as_str().unwrap(),
    );
    let file = data.join("incoming.toml");
    std::fs::write(&file, profile).unwrap();
    let imported = rollcall(data)
        .args(["profile", "import"])
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(imported.success());
    for (kind, value) in [
        ("graph", app["secret"].as_str().unwrap()),
        ("target", info["scim_token"].as_str().unwrap()),
    ] {
        let mut child = rollcall(data)
            .args(["secret", "set", name, kind])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{value}\n").as_bytes())
            .unwrap();
        assert!(
            child.wait().unwrap().success(),
            "storing the {kind} secret failed; run inside the test command's keyring session"
        );
    }
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
    connect(data.path(), &reference.info, &name);
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
        connect(data.path(), &platform.info, &name);
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
