//! In-app updates against a local update server the test starts on 127.0.0.1: the test makes
//! its own signing key pair and signs a newer bundle with the Tauri CLI (as the release
//! does), serves `latest.json` and the bundle, and opens the demo window pointed at that
//! server with the test's public key. Through the window: the newer version is offered with
//! what changed; a tampered bundle (bytes changed, signature kept) is refused with the
//! message; while a sync runs (a headless run of a connection in the demo's data folder, as a
//! scheduled run would be) installing is refused; after it, the bundle is downloaded and its
//! signature verified.
//!
//! Demo mode never installs: the app here is a development build, which the updater would
//! treat as an AppImage and replace the test's own `target/debug/rollcall` with the bundle,
//! and a .deb or .rpm install runs the system's package manager as root. So the install
//! stops once the download is verified, and says so; the real install step is the plugin's,
//! run only outside demo mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rollcall_e2e::headless::{SandboxChild, rollcall_in};
use rollcall_e2e::page::{click, shoot, text_of, wait_for_text};
use rollcall_e2e::{open_demo_with, workspace_root};

/// The Tauri CLI from ui/'s npm packages.
fn tauri_cli() -> PathBuf {
    let cli = workspace_root().join("ui/node_modules/.bin/tauri");
    assert!(
        cli.is_file(),
        "The Tauri CLI is not at {}: run `npm --prefix ui ci` first.",
        cli.display()
    );
    cli
}

fn run(command: &mut Command, what: &str) {
    let output = command.stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A version newer than the app's.
fn newer_version() -> String {
    let current = env!("CARGO_PKG_VERSION");
    let mut parts = current.split('.').map(|part| part.parse::<u64>().unwrap());
    let (major, minor) = (parts.next().unwrap(), parts.next().unwrap());
    format!("{major}.{}.0", minor + 1)
}

/// The test's own key pair (no password), made with `tauri signer generate`; the public key.
fn generate_keys(folder: &Path) -> (PathBuf, String) {
    let key = folder.join("updates.key");
    run(
        Command::new(tauri_cli())
            .args(["signer", "generate", "--ci", "-p", "", "-w"])
            .arg(&key),
        "tauri signer generate",
    );
    let public = std::fs::read_to_string(folder.join("updates.key.pub")).unwrap();
    (key, public.trim().to_string())
}

/// Signs `bundle` for `version` with `tauri signer sign`, as `tauri build` signs the release's
/// bundles; the signature as latest.json carries it.
fn sign(key: &Path, bundle: &Path, version: &str) -> String {
    run(
        Command::new(tauri_cli())
            .args(["signer", "sign", "-p", "", "--app-version", version, "-f"])
            .arg(key)
            .arg(bundle),
        "tauri signer sign",
    );
    let mut signature = bundle.as_os_str().to_owned();
    signature.push(".sig");
    std::fs::read_to_string(PathBuf::from(signature))
        .unwrap()
        .trim()
        .to_string()
}

/// The update server: `/latest.json` and `/bundle` over plain HTTP on 127.0.0.1, serving
/// the bundle as signed or, once `tamper` is set, with one byte changed.
struct UpdateServer {
    port: u16,
    tamper: Arc<AtomicBool>,
    downloads: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl UpdateServer {
    fn start(manifest: impl Fn(u16) -> String + Send + 'static, bundle: Vec<u8>) -> UpdateServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let tamper = Arc::new(AtomicBool::new(false));
        let downloads = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (tampering, counted, stopping) = (tamper.clone(), downloads.clone(), stop.clone());
        let manifest = manifest(port);
        std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let path = request_path(&stream);
                let body = match path.as_str() {
                    "/latest.json" => manifest.clone().into_bytes(),
                    "/bundle" => {
                        counted.fetch_add(1, Ordering::SeqCst);
                        let mut bytes = bundle.clone();
                        if tampering.load(Ordering::SeqCst) {
                            let middle = bytes.len() / 2;
                            bytes[middle] ^= 0x5a;
                        }
                        bytes
                    }
                    _ => Vec::new(),
                };
                answer(stream, &body);
            }
        });
        UpdateServer {
            port,
            tamper,
            downloads,
            stop,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/latest.json", self.port)
    }
}

impl Drop for UpdateServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The path of an HTTP request, its headers read.
fn request_path(stream: &TcpStream) -> String {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut first = String::new();
    let _ = reader.read_line(&mut first);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    first.split_whitespace().nth(1).unwrap_or("/").to_string()
}

fn answer(mut stream: TcpStream, body: &[u8]) {
    let status = if body.is_empty() {
        "404 Not Found"
    } else {
        "200 OK"
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
    // Let the client read to the end before the connection goes.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut rest = [0_u8; 64];
    let _ = stream.read(&mut rest);
}

/// The stand-in for the newer bundle: two megabytes that are the same on every run.
fn bundle_bytes() -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..2 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Waits until the run lock of `name` in `data` has been taken (the holder writes when it
/// started into it once it holds it).
fn wait_for_run_lock(data: &Path, name: &str, child: &mut std::process::Child) {
    let lock = data.join("locks").join(format!("{name}.lock"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&lock).map(|meta| meta.len()).unwrap_or(0) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sync ended before it took its lock"
        );
        assert!(Instant::now() < deadline, "the sync never took its lock");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_newer_version_is_offered_a_tampered_one_refused_and_none_installed_mid_sync() {
    let work = tempfile::tempdir().unwrap();
    let version = newer_version();
    let (key, public_key) = generate_keys(work.path());
    let bundle = work.path().join(format!("Rollcall_{version}_amd64.deb"));
    let bytes = bundle_bytes();
    std::fs::write(&bundle, &bytes).unwrap();
    let signature = sign(&key, &bundle, &version);
    let notes = "Connections can be paused.\nThe history shows who changed what.";
    let manifest_version = version.clone();
    let server = UpdateServer::start(
        move |port| {
            let url = format!("http://127.0.0.1:{port}/bundle");
            let platform = serde_json::json!({ "url": url, "signature": signature });
            serde_json::json!({
                "version": manifest_version,
                "notes": notes,
                "pub_date": "2026-12-01T09:00:00Z",
                "platforms": {
                    "linux-x86_64": platform,
                    "linux-x86_64-deb": platform,
                    "linux-x86_64-rpm": platform,
                    "linux-x86_64-appimage": platform,
                }
            })
            .to_string()
        },
        bytes,
    );
    server.tamper.store(true, Ordering::SeqCst);

    let data = tempfile::tempdir().unwrap();
    let endpoint = server.endpoint();
    let (driver, client) = open_demo_with(
        data.path(),
        &[
            ("ROLLCALL_UPDATE_ENDPOINT", OsStr::new(&endpoint)),
            ("ROLLCALL_UPDATE_PUBKEY", OsStr::new(&public_key)),
        ],
    )
    .await
    .unwrap_or_else(|message| panic!("{message}"));

    // Offered, with what changed.
    assert_eq!(
        text_of(&client, "update-title").await,
        format!("Rollcall {version} is available")
    );
    let shown = text_of(&client, "update-notes").await;
    assert!(shown.contains("Connections can be paused."), "{shown}");
    assert!(
        text_of(&client, "update-install")
            .await
            .contains("Install and restart")
    );
    shoot(&client, "update-offered").await;

    // A tampered bundle: the same signature over changed bytes is refused.
    click(&client, "update-install").await;
    let refused = wait_for_text(&client, "update-message", |text| !text.is_empty()).await;
    assert!(
        refused.starts_with("This update could not be verified and was not installed."),
        "{refused}"
    );
    assert_eq!(server.downloads.load(Ordering::SeqCst), 1);
    shoot(&client, "update-tampered").await;
    server.tamper.store(false, Ordering::SeqCst);

    // A sync runs (a headless run in the demo's data folder, as a scheduled run is, slowed so
    // it lasts): installing is refused and nothing is downloaded.
    let demo_data = data.path().join("demo");
    let platform = SandboxChild::start(&[]).unwrap();
    let name = "northwind";
    let profile = platform.profile(name, "").unwrap();
    platform.connect(&demo_data, name, &profile).unwrap();
    let sandbox = platform
        .text("authority_url")
        .unwrap()
        .trim_end_matches('/');
    let slow = reqwest::Client::new()
        .put(format!("{sandbox}/_sandbox/faults"))
        .json(&serde_json::json!({ "latency_ms": 3000 }))
        .send()
        .await
        .unwrap();
    assert!(slow.status().is_success(), "faults: {}", slow.status());
    let mut sync = rollcall_in(&demo_data)
        .unwrap()
        .args(["sync", name, "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_run_lock(&demo_data, name, &mut sync);
    click(&client, "update-install").await;
    let busy = wait_for_text(&client, "update-message", |text| {
        text.contains("is running")
    })
    .await;
    assert!(
        busy.contains(&format!("A sync of \"{name}\" is running"))
            && busy.contains("offered again when the sync finishes"),
        "{busy}"
    );
    assert!(
        sync.try_wait().unwrap().is_none(),
        "the sync was over before the refusal, so the test proves nothing; slow it down more"
    );
    assert_eq!(
        server.downloads.load(Ordering::SeqCst),
        1,
        "nothing is downloaded while a sync runs"
    );
    shoot(&client, "update-during-sync").await;
    let finished = sync.wait().unwrap();
    assert!(finished.success(), "the sync itself failed: {finished}");

    // The sync over, the same button downloads the signed bundle and verifies it.
    click(&client, "update-install").await;
    let verified = wait_for_text(&client, "update-message", |text| {
        text.contains("signature verified")
    })
    .await;
    assert!(
        verified.contains(&format!(
            "Rollcall {version} was downloaded and its signature verified"
        )),
        "{verified}"
    );
    assert_eq!(server.downloads.load(Ordering::SeqCst), 2);
    shoot(&client, "update-verified").await;

    client.close().await.unwrap();
    drop(driver);
}
