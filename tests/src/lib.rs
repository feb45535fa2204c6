//! Shared helpers for the end-to-end tests: locating the built binary, starting and stopping
//! tauri-driver, waiting for ports, and saving screenshots of the real window.

pub mod headless;
pub mod page;

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

/// How the project's test command provides a display and tauri-driver; printed whenever the
/// window tests cannot run.
pub const HOW_TO_RUN_WINDOW_TESTS: &str = "Run the window tests the way the project's test command does: \
     `cargo install tauri-driver --locked --version '^2' --root .ci-tools`, put `.ci-tools/bin` on PATH, \
     then `xvfb-run -a -s \"-screen 0 1280x800x24\" cargo test -p rollcall-e2e` \
     (needs webkit2gtk-driver for WebKitWebDriver and xvfb).";

/// How long the app may take to start under WebDriver before the test gives up.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// How many times a session is asked for when the driver drops the connection.
const SESSION_ATTEMPTS: u32 = 3;
/// How many fresh drivers [`launch`] starts before it gives up.
const LAUNCH_ATTEMPTS: u32 = 2;

/// The workspace root (the folder holding the root Cargo.toml).
pub fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).to_path_buf()
}

/// The build's debug folder: `target/debug` (honouring `CARGO_TARGET_DIR`).
fn debug_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let target = if target.is_absolute() {
        target
    } else {
        workspace_root().join(target)
    };
    target.join("debug")
}

/// The `rollcall` binary under test: `ROLLCALL_BIN` if set, else `target/debug/rollcall`
/// (honouring `CARGO_TARGET_DIR`). Fails with a hint to build it when it is missing.
pub fn rollcall_bin() -> Result<PathBuf, String> {
    let path = match std::env::var_os("ROLLCALL_BIN").filter(|value| !value.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => debug_dir().join(format!("rollcall{}", std::env::consts::EXE_SUFFIX)),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "The rollcall binary was not found at {}. Build it first with `cargo build -p rollcall`, \
             or point ROLLCALL_BIN at it.",
            path.display()
        ))
    }
}

/// The Linux packages the test command builds (`tauri build --debug --bundles deb,rpm`).
#[derive(Debug, Clone, Copy)]
pub enum LinuxPackage {
    Deb,
    Rpm,
}

/// How the project's test command builds the Linux packages; printed when one is missing.
pub const HOW_TO_BUILD_PACKAGES: &str = "Build them the way the project's test command does: \
     `npm --prefix ui ci`, `npm --prefix ui run build`, `cargo build -p rollcall`, then \
     `(cd src-tauri && ../ui/node_modules/.bin/tauri build --debug --bundles deb,rpm --ci)`.";

/// The package under test: `ROLLCALL_DEB` / `ROLLCALL_RPM` if set, else where a debug
/// `tauri build` puts it. Fails with how to build it when it is missing.
pub fn linux_package(kind: LinuxPackage) -> Result<PathBuf, String> {
    let version = env!("CARGO_PKG_VERSION");
    let (variable, default) = match kind {
        LinuxPackage::Deb => {
            let arch = match std::env::consts::ARCH {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                other => other,
            };
            ("ROLLCALL_DEB", format!("deb/Rollcall_{version}_{arch}.deb"))
        }
        LinuxPackage::Rpm => {
            let arch = std::env::consts::ARCH;
            (
                "ROLLCALL_RPM",
                format!("rpm/Rollcall-{version}-1.{arch}.rpm"),
            )
        }
    };
    let path = match std::env::var_os(variable).filter(|value| !value.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => debug_dir().join("bundle").join(default),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "The {kind:?} package was not found at {} (set {variable} to test another file). \
             {HOW_TO_BUILD_PACKAGES}",
            path.display()
        ))
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("Could not find a free port on 127.0.0.1: {error}"))
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> Result<(), String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "Nothing accepted connections on 127.0.0.1:{port} within {timeout:?}."
    ))
}

/// Asks a child process to stop with SIGTERM (so it can stop its own children) and waits
/// for it; falls back to killing it if it does not stop in time.
pub fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let asked = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let deadline = Instant::now() + grace;
    while asked && Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A running tauri-driver (which starts WebKitWebDriver) on free ports; stopped with SIGTERM
/// when dropped, so WebKitWebDriver goes with it.
pub struct TauriDriver {
    child: Child,
    port: u16,
}

impl TauriDriver {
    /// Checks for a display and tauri-driver, then starts the driver and waits for it, with
    /// `env` set for the driver and the app it launches (for example a certificate
    /// authority trusted as the system's).
    pub fn start_with(env: &[(&str, &OsStr)]) -> Result<TauriDriver, String> {
        if std::env::var_os("DISPLAY").is_none_or(|value| value.is_empty()) {
            return Err(format!(
                "No DISPLAY is set, so the window cannot be shown. {HOW_TO_RUN_WINDOW_TESTS}"
            ));
        }
        let port = free_port()?;
        let native_port = free_port()?;
        let child = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| {
                format!("tauri-driver could not be started ({error}). {HOW_TO_RUN_WINDOW_TESTS}")
            })?;
        let mut driver = TauriDriver { child, port };
        // tauri-driver listens at once but forwards every request to WebKitWebDriver, which
        // may still be starting (slow on a cold machine); wait for both.
        for (what, waited_port) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            if let Err(error) = wait_for_port(waited_port, Duration::from_secs(30)) {
                terminate(&mut driver.child, Duration::from_secs(5));
                return Err(format!("{what} did not start: {error}"));
            }
        }
        Ok(driver)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Opens a WebDriver session that launches `application` with `args`.
    pub async fn session(&self, application: &Path, args: &[String]) -> Result<Client, String> {
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": application, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            return Err("The WebDriver capabilities must be a JSON object.".to_string());
        };
        let url = self.url();
        // A dropped connection while the driver hands the request on is retried; an app
        // that starts and then fails is not.
        let mut attempt = 1;
        loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            let connected = tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&url))
                .await
                .map_err(|_| {
                    format!(
                        "The app did not open a WebDriver session within {SESSION_TIMEOUT:?}. \
                         Check that {} starts on this display.",
                        application.display()
                    )
                })?;
            match connected {
                Ok(client) => return Ok(client),
                Err(NewSessionError::Lost(_)) if attempt < SESSION_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    return Err(format!(
                        "The app did not start under WebDriver (attempt {attempt}): {error}. \
                         Check that {} runs on this display.",
                        application.display()
                    ));
                }
            }
        }
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

/// The arguments that open the app in demo mode with its files in `data_dir`.
pub fn demo_args(data_dir: &Path) -> Vec<String> {
    vec![
        "--demo".to_string(),
        "--data-dir".to_string(),
        data_dir.display().to_string(),
    ]
}

/// Starts a tauri-driver and opens a session that launches `application` with `args`,
/// with a fresh driver once more when the first does not open one. WebKitWebDriver picks
/// the port of the app's inspector by asking the system for a free port and letting it go;
/// now and then another process takes that port first, the app starts without its
/// inspector ("Address already in use") and the session never opens.
pub async fn launch(
    env: &[(&str, &OsStr)],
    application: &Path,
    args: &[String],
) -> Result<(TauriDriver, Client), String> {
    let mut attempt = 1;
    loop {
        let driver = TauriDriver::start_with(env)?;
        match driver.session(application, args).await {
            Ok(client) => return Ok((driver, client)),
            Err(error) if attempt < LAUNCH_ATTEMPTS => {
                eprintln!("launch attempt {attempt} failed, starting a fresh driver: {error}");
                drop(driver);
                attempt += 1;
            }
            Err(error) => return Err(format!("{error} (after {attempt} drivers)")),
        }
    }
}

/// The app's window in demo mode with its files in `data_dir`, through a tauri-driver
/// started for it (stopped, with the app, when the driver is dropped).
pub async fn open_demo(data_dir: &Path) -> Result<(TauriDriver, Client), String> {
    open_demo_with(data_dir, &[]).await
}

/// [`open_demo`], with `env` set for the app.
pub async fn open_demo_with(
    data_dir: &Path,
    env: &[(&str, &OsStr)],
) -> Result<(TauriDriver, Client), String> {
    launch(env, &rollcall_bin()?, &demo_args(data_dir)).await
}

/// Where screenshots are saved: `<workspace>/artifacts/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("artifacts").join("screenshots")
}

/// Saves a PNG of the window as `<name>.png` in [`screenshot_dir`], after two animation
/// frames so the picture shows the page as it is now rather than one frame earlier.
pub async fn screenshot(client: &Client, name: &str) -> Result<PathBuf, String> {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        )
        .await
        .map_err(|error| format!("The window did not finish drawing: {error}"))?;
    let png = client
        .screenshot()
        .await
        .map_err(|error| format!("Could not take a screenshot: {error}"))?;
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|error| format!("Could not create {}: {error}", dir.display()))?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png)
        .map_err(|error| format!("Could not save {}: {error}", path.display()))?;
    Ok(path)
}
