//! The commands the window may call. Each is an adapter of a few lines over one operation of
//! the engine (`rollcall_core::ops`): arguments in, call, reply out. Failures reach the
//! window as the engine's `{code, message}`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rollcall_core::apply::SyncProgress;
use rollcall_core::check::CheckReport;
use rollcall_core::diagnosis::Diagnosis;
use rollcall_core::directory::GroupChoice;
use rollcall_core::graph::{CancelToken, ReadProgress};
use rollcall_core::history::{RunSummary, Trigger};
use rollcall_core::ops::{
    ChosenCloud, ConnectionOverview, ConnectionRequest, ErrorCode, ExportTo, ExportedFile,
    FieldProblem, InputsToCheck, MappingPreview, NotifyChoice, NotifyFieldProblem, NotifySetup,
    OpError, PermissionNeed, PersonMatch, PlatformAccount, PortalPages, ReadObserver,
    SavedConnection, SavedScope, ScheduleStatus, ScopeChoice, SyncObserver, SyncRequest,
    TargetChoice, TargetFieldProblem, TargetSetup, TenantLookup, Workspace,
};
use rollcall_core::preview::Preview;
use rollcall_core::profile::{MappingSettings, SafetySettings, TargetKind, TargetSettings};
use rollcall_core::schedule::ScheduleSettings;
use rollcall_core::secret::Secret;
use rollcall_core::sync::SyncReport;
use rollcall_sandbox::AppState;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::demo::DemoTenant;
use crate::update::{UpdateCheck, UpdateInstalled, Updates};

/// The event the window receives while a preview read runs.
pub const READ_PROGRESS_EVENT: &str = "read-progress";

/// What the window needs to know at start: the version and, in demo mode, the made-up
/// organisation it is exploring.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AppStatus {
    pub version: &'static str,
    pub demo: Option<DemoStatus>,
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DemoStatus {
    pub tenant_name: String,
    pub tenant_domain: String,
    pub people: usize,
    pub authority_url: String,
}

/// An app registration of the demo organisation, with what its admin center would show.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DemoApp {
    pub name: String,
    pub client_id: String,
    pub secret: String,
    pub secret_id: String,
    #[ts(type = "'healthy' | 'no_consent' | 'partial' | 'expired' | 'disabled'")]
    pub state: AppState,
}

/// The values the demo organisation's admin center would show.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DemoValues {
    pub tenant_id: String,
    pub tenant_domain: String,
    pub apps: Vec<DemoApp>,
}

/// What the admin last picked in a system dialog, and for which connection. The choice stays
/// in the shell; the webview only ever says "use what I chose", so it can never name a path.
#[derive(Default)]
pub struct Chosen(Mutex<Option<(String, PathBuf)>>);

impl Chosen {
    /// Keeps `path` as `profile`'s choice; returns it as the window shows it.
    fn keep(&self, profile: String, path: PathBuf) -> String {
        let shown = path.display().to_string();
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((profile, path));
        }
        shown
    }

    /// What was picked for `profile`, if anything (a choice made for another connection is
    /// never used).
    fn for_profile(&self, profile: &str) -> Option<PathBuf> {
        self.0.lock().ok().and_then(|slot| {
            slot.as_ref()
                .filter(|(owner, _)| owner == profile)
                .map(|(_, path)| path.clone())
        })
    }
}

/// The file the admin last chose in the save dialog: an export goes only there or into the
/// data folder.
#[derive(Default)]
pub struct ChosenExports(Chosen);

/// The folder the admin last chose for a connection's CSV files.
#[derive(Default)]
pub struct ChosenFolders(Chosen);

/// A dialog's answer as a path: `None` when the admin cancelled; an error (with `code`) when
/// the dialog gave something that is not a path on this computer.
fn picked(
    answer: Option<tauri_plugin_dialog::FilePath>,
    code: ErrorCode,
    what: &str,
) -> Result<Option<PathBuf>, OpError> {
    answer.map(|file| file.into_path()).transpose().map_err(|error| {
        OpError::new(
            code,
            format!("The dialog gave {what} Rollcall cannot use ({error}). Choose one on this computer."),
        )
    })
}

/// The demo platform (the demo organisation's SCIM service), prefilled in demo mode.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DemoPlatform {
    pub url: String,
    pub token: String,
}

/// Every command the window may call, for the real window and the test host alike.
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_status,
        check_inputs,
        find_tenant,
        portal_links,
        permission_needs,
        check_connection,
        save_connection,
        troubleshooting,
        demo_values,
        search_groups,
        resolve_group,
        read_preview,
        cancel_read,
        saved_scope,
        export_preview_csv,
        choose_export_file,
        sync_now,
        sync_history,
        undo_run,
        demo_platform,
        check_target_inputs,
        choose_target_folder,
        set_target,
        check_target,
        mapping_preview,
        save_mapping,
        safety,
        save_safety,
        connections,
        run_report,
        export_report_csv,
        find_people,
        platform_account,
        open_log_folder,
        schedule_status,
        set_schedule,
        clear_schedule,
        notify_setup,
        check_notify,
        save_notify,
        send_test_email,
        check_for_update,
        install_update,
        restart_after_update,
    ]
}

#[tauri::command]
pub fn app_status(demo: State<'_, Option<DemoTenant>>) -> AppStatus {
    AppStatus {
        version: env!("CARGO_PKG_VERSION"),
        demo: demo.as_ref().map(DemoTenant::status),
    }
}

/// The demo organisation's tenant and apps, for the "Demo values" panel; `None` outside demo.
#[tauri::command]
pub fn demo_values(demo: State<'_, Option<DemoTenant>>) -> Option<DemoValues> {
    demo.as_ref().map(DemoTenant::values)
}

// ---- The connection wizard ----------------------------------------------------------------
//
// The client secret only ever arrives here, as a command argument; no reply carries it back
// and nothing here logs it. The engine keeps it only in the keychain.

#[tauri::command]
pub fn check_inputs(
    tenant: Option<String>,
    client_id: Option<String>,
    secret: Option<String>,
    authority_url: Option<String>,
    graph_url: Option<String>,
    ws: State<'_, Workspace>,
) -> Vec<FieldProblem> {
    let inputs = InputsToCheck {
        tenant,
        client_id,
        secret,
        authority_url,
        graph_url,
    };
    ws.check_inputs(&inputs)
}

#[tauri::command]
pub async fn find_tenant(
    cloud: ChosenCloud,
    tenant: String,
    ws: State<'_, Workspace>,
) -> Result<TenantLookup, OpError> {
    ws.find_tenant(&cloud, &tenant).await
}

#[tauri::command]
pub fn portal_links(
    cloud: ChosenCloud,
    tenant: Option<String>,
    client_id: Option<String>,
    ws: State<'_, Workspace>,
) -> Result<PortalPages, OpError> {
    ws.portal_links(&cloud, tenant, client_id)
}

#[tauri::command]
pub fn permission_needs(ws: State<'_, Workspace>) -> Vec<PermissionNeed> {
    ws.permission_needs()
}

#[tauri::command]
pub async fn check_connection(
    connection: ConnectionRequest,
    ws: State<'_, Workspace>,
) -> Result<CheckReport, OpError> {
    ws.check_connection(connection).await
}

/// Runs on a worker thread: the keychain and the disk must never block the window.
#[tauri::command]
pub async fn save_connection(
    name: String,
    connection: ConnectionRequest,
    ws: State<'_, Workspace>,
) -> Result<SavedConnection, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.save_connection(&name, &connection)).await
}

#[tauri::command]
pub fn troubleshooting(cloud: ChosenCloud, ws: State<'_, Workspace>) -> Vec<Diagnosis> {
    ws.troubleshooting(&cloud)
}

// ---- Reading a saved connection -----------------------------------------------------------

#[tauri::command]
pub async fn search_groups(
    profile: String,
    text: String,
    ws: State<'_, Workspace>,
) -> Result<Vec<GroupChoice>, OpError> {
    ws.search_groups(&profile, &text).await
}

#[tauri::command]
pub async fn resolve_group(
    profile: String,
    text: String,
    ws: State<'_, Workspace>,
) -> Result<GroupChoice, OpError> {
    ws.resolve_group(&profile, &text).await
}

#[tauri::command]
pub async fn saved_scope(profile: String, ws: State<'_, Workspace>) -> Result<SavedScope, OpError> {
    ws.saved_scope(&profile).await
}

/// Reads the chosen groups, sending `read-progress` events while it runs.
#[tauri::command]
pub async fn read_preview<R: Runtime>(
    profile: String,
    choice: ScopeChoice,
    app: AppHandle<R>,
    ws: State<'_, Workspace>,
) -> Result<Preview, OpError> {
    ws.read_preview(&profile, Some(choice), read_events(app))
        .await
}

/// The event the window receives while a sync writes.
pub const SYNC_PROGRESS_EVENT: &str = "sync-progress";

/// Syncs the connection (or, with `dry_run`, works out what a sync would do), sending
/// `read-progress` while Entra is read and `sync-progress` while the platform is written.
#[tauri::command]
pub async fn sync_now<R: Runtime>(
    profile: String,
    request: SyncChoice,
    app: AppHandle<R>,
    ws: State<'_, Workspace>,
) -> Result<SyncReport, OpError> {
    let observer = SyncObserver {
        read: read_events(app.clone()),
        progress: Some(Arc::new(move |progress: &SyncProgress| {
            let _ = app.emit(SYNC_PROGRESS_EVENT, progress);
        })),
    };
    ws.sync(&profile, &request.into(), observer).await
}

/// The connection's runs, newest first.
#[tauri::command]
pub async fn sync_history(
    profile: String,
    ws: State<'_, Workspace>,
) -> Result<Vec<RunSummary>, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.run_summaries(&profile)).await
}

/// Opens the folder of the daily log files in the system's file manager.
#[tauri::command]
pub async fn open_log_folder<R: Runtime>(
    app: AppHandle<R>,
    ws: State<'_, Workspace>,
) -> Result<(), OpError> {
    let ws = ws.inner().clone();
    let folder = off_main(move || ws.log_folder()).await?;
    app.opener()
        .open_path(folder.display().to_string(), None::<&str>)
        .map_err(|error| {
            OpError::new(
                ErrorCode::DataFolder,
                format!(
                    "Rollcall could not open the log folder ({error}). Open {} in your file manager.",
                    folder.display()
                ),
            )
        })
}

/// Switches back on what run `run` switched off (or, with `dry_run`, says what it would).
#[tauri::command]
pub async fn undo_run(
    profile: String,
    run: i64,
    dry_run: bool,
    ws: State<'_, Workspace>,
) -> Result<SyncReport, OpError> {
    ws.undo(&profile, run, dry_run, SyncObserver::default())
        .await
}

/// What the window asks of a sync; always started by hand.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct SyncChoice {
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub force_deactivations: bool,
    #[serde(default)]
    pub only: Option<String>,
}

impl From<SyncChoice> for SyncRequest {
    fn from(choice: SyncChoice) -> SyncRequest {
        SyncRequest {
            dry_run: choice.dry_run,
            force_deactivations: choice.force_deactivations,
            only: choice.only,
            trigger: Trigger::Manual,
            list_people: true,
        }
    }
}

/// A read watched by the window: `read-progress` events, and a fresh cancel token that
/// `cancel_read` reaches through the workspace.
fn read_events<R: Runtime>(app: AppHandle<R>) -> ReadObserver {
    ReadObserver {
        progress: Some(Arc::new(move |progress: &ReadProgress| {
            let _ = app.emit(READ_PROGRESS_EVENT, progress);
        })),
        cancel: CancelToken::new(),
    }
}

/// Stops the read or sync that is running, if any; true when one was asked to stop.
#[tauri::command]
pub fn cancel_read(ws: State<'_, Workspace>) -> bool {
    ws.reads().cancel()
}

/// Asks where to save the preview with the system's save dialog, starting in the Documents
/// folder. The choice stays here; the window learns only the file's name to show it.
#[tauri::command]
pub async fn choose_export_file<R: Runtime>(
    profile: String,
    app: AppHandle<R>,
    chosen: State<'_, ChosenExports>,
) -> Result<Option<String>, OpError> {
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Save the list of people")
        .add_filter("Spreadsheet (CSV)", &["csv"])
        .set_file_name(rollcall_core::ops::suggested_export_name(&profile));
    if let Some(documents) =
        directories::UserDirs::new().and_then(|d| d.document_dir().map(Into::into))
    {
        dialog = dialog.set_directory::<PathBuf>(documents);
    }
    let file = off_main(move || Ok(dialog.blocking_save_file())).await?;
    Ok(picked(file, ErrorCode::ExportPath, "a place to save")?
        .map(|path| chosen.0.keep(profile, path)))
}

/// Writes the preview of the chosen groups, from the cache as last read, as CSV: to the file
/// chosen in the save dialog when `to_chosen_file`, else into the data folder.
#[tauri::command]
pub async fn export_preview_csv(
    profile: String,
    choice: ScopeChoice,
    to_chosen_file: bool,
    ws: State<'_, Workspace>,
    chosen: State<'_, ChosenExports>,
) -> Result<ExportedFile, OpError> {
    let to = chosen_export(to_chosen_file, &profile, &chosen)?;
    let ws = ws.inner().clone();
    off_main(move || ws.export_preview(&profile, Some(&choice), &to)).await
}

/// Where an export goes: the file the admin chose for this connection, or the data folder.
fn chosen_export(
    to_chosen_file: bool,
    profile: &str,
    chosen: &ChosenExports,
) -> Result<ExportTo, OpError> {
    if !to_chosen_file {
        return Ok(ExportTo::DataFolder);
    }
    match chosen.0.for_profile(profile) {
        Some(path) => Ok(ExportTo::File(path)),
        None => Err(OpError::new(
            ErrorCode::ExportPath,
            "No file has been chosen for this export yet. Click \"Save as CSV…\" and pick one.",
        )),
    }
}

// ---- The learning platform, the accounts and the home screen ------------------------------
//
// The platform token arrives only as an argument of `set_target` and goes to the keychain.

/// The demo organisation's SCIM service as the demo platform; `None` outside demo mode.
#[tauri::command]
pub fn demo_platform(demo: State<'_, Option<DemoTenant>>) -> Option<DemoPlatform> {
    demo.as_ref().map(DemoTenant::platform)
}

#[tauri::command]
pub fn check_target_inputs(
    kind: TargetKind,
    url: String,
    token: String,
    ws: State<'_, Workspace>,
) -> Vec<TargetFieldProblem> {
    ws.check_target_inputs(kind, &url, &token)
}

/// Asks for the folder the CSV files go to with the system dialog; the choice stays here.
#[tauri::command]
pub async fn choose_target_folder<R: Runtime>(
    profile: String,
    app: AppHandle<R>,
    chosen: State<'_, ChosenFolders>,
) -> Result<Option<String>, OpError> {
    let dialog = app
        .dialog()
        .file()
        .set_title("Choose the folder for the learning platform's CSV files");
    let folder = off_main(move || Ok(dialog.blocking_pick_folder())).await?;
    Ok(picked(folder, ErrorCode::TargetFolder, "a folder")?
        .map(|path| chosen.0.keep(profile, path)))
}

/// Saves the connection's learning platform (the token in the keychain).
#[tauri::command]
pub async fn set_target(
    profile: String,
    choice: TargetChoice,
    ws: State<'_, Workspace>,
    chosen: State<'_, ChosenFolders>,
) -> Result<TargetSettings, OpError> {
    let folder = choice
        .chosen_folder
        .then(|| chosen.0.for_profile(&profile))
        .flatten();
    let setup = TargetSetup {
        kind: choice.kind,
        url: choice.url,
        token: choice.token.map(Secret::new),
        folder,
    };
    let ws = ws.inner().clone();
    off_main(move || ws.connect_target(&profile, setup)).await
}

/// Checks the saved platform: the address, the token, what it supports.
#[tauri::command]
pub async fn check_target(
    profile: String,
    ws: State<'_, Workspace>,
) -> Result<Vec<Diagnosis>, OpError> {
    ws.check_target(&profile).await
}

#[tauri::command]
pub async fn mapping_preview(
    profile: String,
    mapping: Option<MappingSettings>,
    ws: State<'_, Workspace>,
) -> Result<MappingPreview, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.mapping_preview(&profile, mapping)).await
}

#[tauri::command]
pub async fn save_mapping(
    profile: String,
    mapping: MappingSettings,
    ws: State<'_, Workspace>,
) -> Result<MappingSettings, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.save_mapping(&profile, mapping)).await
}

#[tauri::command]
pub async fn safety(profile: String, ws: State<'_, Workspace>) -> Result<SafetySettings, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.safety(&profile)).await
}

#[tauri::command]
pub async fn save_safety(
    profile: String,
    safety: SafetySettings,
    ws: State<'_, Workspace>,
) -> Result<SafetySettings, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.save_safety(&profile, safety)).await
}

/// Who hears about the connection's runs: its notification settings.
#[tauri::command]
pub async fn notify_setup(
    profile: String,
    ws: State<'_, Workspace>,
) -> Result<NotifySetup, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.notify_setup(&profile)).await
}

/// Checks the notifications step as typed, field by field (no network).
#[tauri::command]
pub async fn check_notify(
    profile: String,
    choice: NotifyChoice,
    ws: State<'_, Workspace>,
) -> Result<Vec<NotifyFieldProblem>, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.check_notify(&profile, &choice)).await
}

/// Saves the notification settings (a typed mail password goes to the keychain).
#[tauri::command]
pub async fn save_notify(
    profile: String,
    choice: NotifyChoice,
    ws: State<'_, Workspace>,
) -> Result<NotifySetup, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.save_notify(&profile, choice)).await
}

/// Sends a test email through the saved settings (`rollcall notify test-email NAME`).
#[tauri::command]
pub async fn send_test_email(profile: String, ws: State<'_, Workspace>) -> Result<(), OpError> {
    ws.send_test_email(&profile).await
}

/// Every connection, for the home screen.
#[tauri::command]
pub async fn connections(ws: State<'_, Workspace>) -> Result<Vec<ConnectionOverview>, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.connections()).await
}

/// A past run's report (the `sync` JSON, with the people it touched).
#[tauri::command]
pub async fn run_report(
    profile: String,
    run: i64,
    ws: State<'_, Workspace>,
) -> Result<serde_json::Value, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.run_report(&profile, run)).await
}

/// Writes a run's report as CSV into the data folder.
#[tauri::command]
pub async fn export_report_csv(
    profile: String,
    run: i64,
    ws: State<'_, Workspace>,
) -> Result<ExportedFile, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.export_report(&profile, run)).await
}

#[tauri::command]
pub async fn find_people(
    profile: String,
    text: String,
    ws: State<'_, Workspace>,
) -> Result<Vec<PersonMatch>, OpError> {
    let ws = ws.inner().clone();
    off_main(move || ws.find_people(&profile, &text)).await
}

/// The account as the platform holds it now.
#[tauri::command]
pub async fn platform_account(
    profile: String,
    person: String,
    ws: State<'_, Workspace>,
) -> Result<Option<PlatformAccount>, OpError> {
    ws.platform_account(&profile, &person).await
}

// ---- Schedules ----------------------------------------------------------------------------

/// The repair of what is registered with the operating system, run once as the window opens
/// (without holding the window up); the schedule commands wait for it, so what they say comes
/// after it.
#[derive(Default)]
pub struct StartupRepair(Arc<tauri::async_runtime::Mutex<()>>);

impl StartupRepair {
    /// Starts `Workspace::repair_schedules` on a worker thread. A connection the operating
    /// system refuses keeps the refusal, which `schedule_status` then reports.
    pub fn start(&self, ws: Workspace) {
        let Ok(running) = self.0.clone().try_lock_owned() else {
            return;
        };
        tauri::async_runtime::spawn(async move {
            let _ = off_main(move || ws.repair_schedules()).await;
            drop(running);
        });
    }

    async fn finished(&self) {
        drop(self.0.lock().await);
    }
}

/// The connection's schedule: its rule, next run and what the operating system has.
#[tauri::command]
pub async fn schedule_status(
    profile: String,
    ws: State<'_, Workspace>,
    repair: State<'_, StartupRepair>,
) -> Result<ScheduleStatus, OpError> {
    repair.finished().await;
    let ws = ws.inner().clone();
    off_main(move || ws.schedule_status(&profile)).await
}

/// Sets the schedule and registers it with the operating system (after a sync by hand).
#[tauri::command]
pub async fn set_schedule(
    profile: String,
    settings: ScheduleSettings,
    ws: State<'_, Workspace>,
    repair: State<'_, StartupRepair>,
) -> Result<ScheduleStatus, OpError> {
    repair.finished().await;
    let ws = ws.inner().clone();
    off_main(move || ws.set_schedule(&profile, &settings)).await
}

/// Turns the schedule off and removes it from the operating system.
#[tauri::command]
pub async fn clear_schedule(
    profile: String,
    ws: State<'_, Workspace>,
    repair: State<'_, StartupRepair>,
) -> Result<ScheduleStatus, OpError> {
    repair.finished().await;
    let ws = ws.inner().clone();
    off_main(move || ws.clear_schedule(&profile)).await
}

// ---- Updates ------------------------------------------------------------------------------

/// Whether a newer Rollcall is out, with what changed; being offline is a plain answer.
#[tauri::command]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, Updates>,
) -> Result<UpdateCheck, OpError> {
    Ok(updates.check(&app).await)
}

/// Downloads the update found, verifies its signature and installs it, sending
/// `update-progress` events; refused while a read or sync runs.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, Updates>,
    ws: State<'_, Workspace>,
) -> Result<UpdateInstalled, OpError> {
    updates.install(&app, &ws).await
}

/// Restarts Rollcall into the version installed; refused while a read or sync runs.
#[tauri::command]
pub fn restart_after_update<R: Runtime>(
    app: AppHandle<R>,
    ws: State<'_, Workspace>,
) -> Result<(), OpError> {
    ws.may_update_now()?;
    app.restart()
}

/// Runs blocking work (the keychain, the disk, a dialog) on a worker thread, never on the
/// window's main thread.
async fn off_main<T, F>(work: F) -> Result<T, OpError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, OpError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| {
            OpError::new(
                ErrorCode::Stopped,
                format!("The work stopped unexpectedly ({error}). Try again."),
            )
        })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reaches_the_ui_with_the_field_names_it_reads() {
        let status = AppStatus {
            version: "1.0.0",
            demo: Some(DemoStatus {
                tenant_name: "Northwind Academy".into(),
                tenant_domain: "northwind.example".into(),
                people: 250,
                authority_url: "http://127.0.0.1:8400".into(),
            }),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "version": "1.0.0",
                "demo": {
                    "tenant_name": "Northwind Academy",
                    "tenant_domain": "northwind.example",
                    "people": 250,
                    "authority_url": "http://127.0.0.1:8400"
                }
            })
        );
        let real = serde_json::to_value(AppStatus {
            version: "1.0.0",
            demo: None,
        })
        .unwrap();
        assert_eq!(real["demo"], serde_json::Value::Null);
    }

    #[test]
    fn an_export_goes_only_to_the_file_chosen_for_this_connection() {
        let chosen = ChosenExports::default();
        assert_eq!(
            chosen_export(false, "school", &chosen).unwrap(),
            ExportTo::DataFolder
        );
        let none = chosen_export(true, "school", &chosen).unwrap_err();
        assert_eq!(none.code, ErrorCode::ExportPath);
        let file = std::env::temp_dir().join("people.csv");
        chosen.0.keep("school".into(), file.clone());
        assert_eq!(
            chosen_export(true, "school", &chosen).unwrap(),
            ExportTo::File(file)
        );
        assert!(
            chosen_export(true, "other", &chosen).is_err(),
            "a file chosen for one connection is not used for another"
        );
    }
}
