//! Opening the Rollcall window: picks the data directory, starts the demo tenant when asked,
//! creates the main window with its webview storage inside that data directory, so demo
//! and test runs never share storage with real use, and starts putting right what is
//! registered with the operating system's scheduler.

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
use tauri::ipc::CapabilityBuilder;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

use crate::commands;
use crate::demo::DemoTenant;

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
    let mut context = tauri::generate_context!();
    if demo {
        // Demo (and test) runs get an identifier of their own, so nothing the platform keys
        // on the identifier is shared with real use.
        let config = context.config_mut();
        config.identifier = format!("{}.demo", config.identifier);
    }
    let webview_dir = data_dir.webview();
    let workspace = workspace(data_dir, tenant.as_ref())?;
    let app = build_reporting_panics(move || {
        tauri::Builder::default()
            .plugin(tauri_plugin_opener::init())
            .plugin(tauri_plugin_dialog::init())
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
