//! Opening the Rollcall window: picks the data directory, starts the demo tenant when asked,
//! keeps one window per data folder (opening Rollcall again brings that window forward),
//! creates the main window with its webview storage inside that data directory, so demo and
//! test runs never share storage with real use, and starts putting right what is registered
//! with the operating system's scheduler and sending the secret-expiry reminders due. The
//! updater is set up here too, from the release feed or, in demo mode, a test server
//! (`update.rs`).

use std::any::Any;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use rollcall_core::cloud::Cloud;
use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::ops::{Endpoints, Workspace};
use rollcall_core::schedule::FolderScheduler;
use rollcall_core::secret::Keychain;
use sha2::{Digest, Sha256};
use tauri::ipc::CapabilityBuilder;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

use crate::commands;
use crate::demo::DemoTenant;
use crate::update::{UpdateSource, Updates};

/// The label the capabilities in capabilities/main.json grant permissions to.
const MAIN_WINDOW: &str = "main";

/// Exit status when the window could not be opened.
const FAILED_TO_START: u8 = 1;

/// Opens the window and runs until it is closed. Returns the process's exit status; on a
/// failure to start it prints a plain explanation to stderr first.
pub fn open(demo: bool, data_dir: Option<&Path>) -> u8 {
    match run(demo, data_dir) {
        Ok(()) => 0,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            FAILED_TO_START
        }
    }
}

fn run(demo: bool, explicit_data_dir: Option<&Path>) -> Result<(), String> {
    let mode = if demo { Mode::Demo } else { Mode::Real };
    let data_dir = DataDir::resolve(explicit_data_dir, mode).map_err(|error| error.to_string())?;
    data_dir.ensure().map_err(|error| error.to_string())?;
    rollcall_cli::logbook::install(&data_dir);
    require_display()?;

    let tenant = if demo {
        Some(DemoTenant::start()?)
    } else {
        None
    };
    let updates = UpdateSource::choose(demo, |name| std::env::var(name).ok())?;
    let mut context = tauri::generate_context!();
    let config = context.config_mut();
    updates.apply(&mut config.plugins);
    if demo {
        // Demo (and test) runs get an identifier of their own, so nothing the platform keys
        // on the identifier is shared with real use.
        config.identifier = format!("{}.demo", config.identifier);
    }
    config.identifier = instance_identifier(&config.identifier, data_dir.path());
    let webview_dir = data_dir.webview();
    let workspace = workspace(data_dir, tenant.as_ref())?;
    let app = build_reporting_panics(move || {
        tauri::Builder::default()
            // First, so a second start hands over before anything else is set up.
            .plugin(tauri_plugin_single_instance::init(|app, _, _| {
                bring_forward(app);
            }))
            .plugin(tauri_plugin_opener::init())
            .plugin(tauri_plugin_dialog::init())
            .plugin(tauri_plugin_updater::Builder::new().build())
            .manage(Updates::new(&updates, demo))
            .manage(tenant)
            .manage(workspace)
            .manage(commands::ChosenExports::default())
            .manage(commands::ChosenFolders::default())
            .manage(commands::StartupRepair::default())
            .invoke_handler(commands::handler())
            .setup(move |app| {
                if demo {
                    allow_demo_pages(app.handle())?;
                }
                create_main_window(app.handle(), webview_dir)?;
                remind_in_background(app.handle());
                // What the operating system has registered is put right after the window
                // is on its way; the schedule commands wait for it, nothing else does.
                let ws = app.state::<Workspace>().inner().clone();
                app.state::<commands::StartupRepair>().start(ws);
                Ok(())
            })
            .build(context)
    })?;
    app.run(|_, _| {});
    Ok(())
}

/// The identifier the running window is known by, which is what the single-instance plugin
/// keys on (the D-Bus name on Linux, the named mutex on Windows, the socket on macOS): the
/// app's identifier (`.demo` in demo mode) and the data folder. Opening Rollcall again with
/// the same mode and folder brings the open window forward and exits at once, because two
/// windows on one folder would only race each other; a run with another `--data-dir` (another
/// organisation's folder, or each test's own folder) opens its own window, as an admin who
/// chose a different folder expects. Headless commands never get here and are never held
/// back: a scheduled sync runs while the window is open.
fn instance_identifier(identifier: &str, data_dir: &Path) -> String {
    // The folder as the file system names it, so `./x` and `/home/me/x` are one folder.
    let folder = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(folder.as_os_str().as_encoded_bytes());
    let key: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{identifier}.folder-{key}")
}

/// A second start of Rollcall on this window's folder: show the window, un-minimised and
/// focused, instead of opening another.
fn bring_forward<R: tauri::Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    tracing::info!("Rollcall was opened again; bringing its window forward");
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}

/// The keychain service demo runs file their secrets under, so demo entries never mix with
/// real ones.
pub const DEMO_KEYCHAIN_SERVICE: &str = "rollcall-demo";

/// The engine's workspace the window's commands run in: the data folder, the OS keychain,
/// and in demo mode the demo organisation's sign-in and Graph addresses, whatever cloud the
/// wizard chooses, and a scheduler that keeps what it would register in the demo data folder
/// (`schedule/`), so a demo never registers anything with this computer.
fn workspace(data_dir: DataDir, demo: Option<&DemoTenant>) -> Result<Workspace, String> {
    let Some(tenant) = demo else {
        return Ok(Workspace::new(data_dir, Arc::new(Keychain::new())));
    };
    let info = tenant.info();
    let cloud = Cloud::custom(&info.authority_url, &info.graph_url).map_err(|error| {
        format!(
            "The demo organisation's addresses were refused: {error}. Restart Rollcall with --demo."
        )
    })?;
    let scheduler = FolderScheduler::new(data_dir.path().join("schedule"));
    Ok(Workspace::new(
        data_dir,
        Arc::new(Keychain::with_service(DEMO_KEYCHAIN_SERVICE)),
    )
    .with_scheduler(Arc::new(scheduler))
    .with_endpoints(Endpoints::Pinned(cloud))
    .with_demo_platform(info.scim_url.clone()))
}

/// In demo mode the "admin center" and consent pages are served by the demo organisation on
/// 127.0.0.1; only then may the window open such addresses in the browser.
fn allow_demo_pages(app: &AppHandle) -> tauri::Result<()> {
    let demo_pages = CapabilityBuilder::new("demo-pages")
        .window(MAIN_WINDOW)
        .permission_scoped(
            "opener:allow-open-url",
            vec![serde_json::json!({ "url": "http://127.0.0.1:*/*" })],
            Vec::new(),
        );
    app.add_capability(demo_pages)
}

fn create_main_window(app: &AppHandle, webview_dir: PathBuf) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, MAIN_WINDOW, WebviewUrl::App("index.html".into()))
        .title("Rollcall")
        .inner_size(1100.0, 760.0)
        .min_inner_size(860.0, 600.0)
        .center()
        .focused(true)
        .data_directory(webview_dir)
        .build()?;
    Ok(())
}

/// The window toolkit refuses to start without a graphical session; say so plainly instead.
fn require_display() -> Result<(), String> {
    if cfg!(target_os = "linux") {
        let has = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        if !has("DISPLAY") && !has("WAYLAND_DISPLAY") {
            return Err(
                "Rollcall could not open its window: no graphical desktop was found \
                 (neither DISPLAY nor WAYLAND_DISPLAY is set). Start it from a desktop session, \
                 or run a command such as `rollcall --help` that needs no window."
                    .to_string(),
            );
        }
    }
    Ok(())
}

/// Builds the app, turning a toolkit panic (e.g. a display that cannot be opened) into a
/// plain message rather than a backtrace.
fn build_reporting_panics<F>(build: F) -> Result<tauri::App, String>
where
    F: FnOnce() -> tauri::Result<tauri::App>,
{
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(build));
    std::panic::set_hook(previous_hook);
    match outcome {
        Ok(Ok(app)) => Ok(app),
        Ok(Err(error)) => Err(format!(
            "Rollcall could not open its window: {error}. Check that a graphical desktop is running, then try again."
        )),
        Err(payload) => Err(format!(
            "Rollcall could not open its window: {}. Check that a graphical desktop is running, then try again.",
            panic_text(payload.as_ref())
        )),
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the window toolkit stopped unexpectedly".to_string()
    }
}

/// Sends the secret-expiry reminders due today without holding up the window.
fn remind_in_background(app: &AppHandle) {
    let workspace = app.state::<Workspace>().inner().clone();
    tauri::async_runtime::spawn(async move {
        if let Err(error) = workspace.send_reminders().await {
            tracing::warn!(problem = %error.message, "reminders not sent");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_folder_is_one_instance_and_another_folder_is_another() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let id = "app.rollcall.desktop.demo";
        let same = instance_identifier(id, first.path());
        assert_eq!(same, instance_identifier(id, &first.path().join(".")));
        assert_ne!(same, instance_identifier(id, second.path()));
        assert_ne!(
            same,
            instance_identifier("app.rollcall.desktop", first.path())
        );
        // A D-Bus name element: letters, digits, '-' and '_', not starting with a digit.
        let last = same.rsplit('.').next().unwrap();
        assert!(last.starts_with("folder-") && last.len() == "folder-".len() + 16);
    }
}
