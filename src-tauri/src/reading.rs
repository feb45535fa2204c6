//! The commands that read a saved connection's directory for the window: group search and
//! lookup for the picker, the preview of who a group choice selects (with progress events and
//! cancelling), and the preview's CSV export. Each is a thin adapter over rollcall-core.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rollcall_core::clock::SystemClock;
use rollcall_core::data_dir::DataDir;
use rollcall_core::directory::{self, GroupChoice, GroupScope, ReadError, SavedGroup};
use rollcall_core::graph::{CancelToken, GraphClient, ReadProgress};
use rollcall_core::preview::Preview;
use rollcall_core::profile::{Profile, ProfileStore, ScopeSettings};
use rollcall_core::store::Store;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::{CommandError, ConnectionStore};

/// The event the window receives while a preview read runs.
pub const READ_PROGRESS_EVENT: &str = "read-progress";

/// The read running now, if any, so `cancel_read` can stop it. Each read is numbered, so a
/// read that ends never forgets a newer one.
#[derive(Default)]
pub struct ReadControl {
    current: Mutex<Option<(u64, CancelToken)>>,
}

impl ReadControl {
    fn begin(&self) -> (u64, CancelToken) {
        let token = CancelToken::new();
        let mut number = 0;
        if let Ok(mut current) = self.current.lock() {
            if let Some((previous, running)) = current.take() {
                running.cancel();
                number = previous.wrapping_add(1);
            }
            *current = Some((number, token.clone()));
        }
        (number, token)
    }

    fn finish(&self, number: u64) {
        if let Ok(mut current) = self.current.lock()
            && current
                .as_ref()
                .is_some_and(|(running, _)| *running == number)
        {
            *current = None;
        }
    }

    /// Asks the running read, if any, to stop; true when there was one.
    fn cancel(&self) -> bool {
        match self.current.lock() {
            Ok(current) => current.as_ref().map(|(_, token)| token.cancel()).is_some(),
            Err(_) => false,
        }
    }
}

/// The group choice the picker makes: included and excluded group IDs and the two switches.
#[derive(Debug, Clone, Deserialize)]
pub struct ScopeChoice {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub nested: bool,
    pub guests: bool,
}

impl ScopeChoice {
    fn settings(&self) -> ScopeSettings {
        ScopeSettings {
            include_groups: self.include.clone(),
            exclude_groups: self.exclude.clone(),
            nested: self.nested,
            guests: self.guests,
        }
    }
}

/// Progress as the window receives it.
#[derive(Debug, Clone, Serialize)]
pub struct ReadProgressEvent {
    pub stage: String,
    pub users: u64,
    pub pages: u64,
    pub requests: u64,
    pub elapsed_ms: u64,
    /// Requests the last such read took, when there was one: the bar fills towards it.
    pub expected_requests: Option<u64>,
    pub time_left_ms: Option<u64>,
}

impl From<&ReadProgress> for ReadProgressEvent {
    fn from(progress: &ReadProgress) -> ReadProgressEvent {
        ReadProgressEvent {
            stage: progress.stage.clone(),
            users: progress.users,
            pages: progress.pages,
            requests: progress.requests,
            elapsed_ms: progress.elapsed_ms,
            expected_requests: progress.expected_requests,
            time_left_ms: progress.time_left_ms,
        }
    }
}

/// The group choice saved in a profile, as the picker shows it again.
#[derive(Debug, Serialize)]
pub struct SavedScope {
    pub include: Vec<SavedGroup>,
    pub exclude: Vec<SavedGroup>,
    pub nested: bool,
    pub guests: bool,
}

/// Where an exported CSV was written.
#[derive(Debug, Serialize)]
pub struct ExportedFile {
    pub path: String,
    pub people: usize,
}

fn load_profile(store: &ConnectionStore, name: &str) -> Result<Profile, CommandError> {
    ProfileStore::new(&store.data_dir)
        .load(name)
        .map_err(|error| CommandError {
            code: "profile",
            message: format!(
                "Rollcall could not open the saved connection \"{name}\": {error} Save the connection again on the Result step."
            ),
        })
}

/// Keeps the admin's group choice in the profile's `[scope]`, so the next read, the command
/// line and later syncs use the people this preview showed.
fn remember_scope(
    data_dir: &DataDir,
    mut profile: Profile,
    scope: ScopeSettings,
) -> Result<Profile, CommandError> {
    if profile.scope != scope {
        profile.scope = scope;
        ProfileStore::new(data_dir)
            .save(&profile)
            .map_err(|error| CommandError {
                code: "profile",
                message: format!("Rollcall could not remember the groups you chose: {error}"),
            })?;
    }
    Ok(profile)
}

fn client_for(profile: &Profile, store: &ConnectionStore) -> Result<GraphClient, CommandError> {
    GraphClient::for_profile(profile, &store.keychain, Arc::new(SystemClock)).map_err(|message| {
        CommandError {
            code: "connect",
            message: format!(
                "Rollcall cannot connect for \"{}\": {message}",
                profile.name
            ),
        }
    })
}

fn read_error(error: ReadError) -> CommandError {
    let code = match &error {
        ReadError::Scope(_) => "scope",
        ReadError::GroupNotFound { .. } => "group_not_found",
        ReadError::Graph(_) => "graph",
        ReadError::Store(_) => "cache",
    };
    CommandError {
        code,
        message: error.to_string(),
    }
}

fn stopped(error: impl std::fmt::Display) -> CommandError {
    CommandError {
        code: "read_stopped",
        message: format!("The read stopped unexpectedly ({error}). Try again."),
    }
}

/// Runs an engine future on a blocking thread of Tauri's runtime: the engine's reads are not
/// provably `Send`, so they cannot be a command's own future.
async fn on_reader<T, F, Fut>(work: F) -> Result<T, CommandError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, CommandError>>,
{
    tauri::async_runtime::spawn_blocking(move || tauri::async_runtime::handle().block_on(work()))
        .await
        .map_err(stopped)?
}

/// Groups whose name starts with what the admin typed (or the one group a pasted ID or link
/// names), each with its member count.
#[tauri::command]
pub async fn search_groups(
    profile: String,
    text: String,
    store: State<'_, ConnectionStore>,
) -> Result<Vec<GroupChoice>, CommandError> {
    let client = client_for(&load_profile(&store, &profile)?, &store)?;
    on_reader(move || async move {
        directory::search_groups(&client, &text)
            .await
            .map_err(read_error)
    })
    .await
}

/// The group a pasted Object ID or admin-center link names, with its member count.
#[tauri::command]
pub async fn resolve_group(
    profile: String,
    text: String,
    store: State<'_, ConnectionStore>,
) -> Result<GroupChoice, CommandError> {
    let client = client_for(&load_profile(&store, &profile)?, &store)?;
    on_reader(move || async move {
        directory::resolve_group(&client, &text)
            .await
            .map_err(read_error)
    })
    .await
}

/// The groups the connection's profile chose last time, looked up again for their current
/// names and member counts (a group since deleted comes back marked missing), so the picker
/// opens where the admin left it.
#[tauri::command]
pub async fn saved_scope(
    profile: String,
    store: State<'_, ConnectionStore>,
) -> Result<SavedScope, CommandError> {
    let loaded = load_profile(&store, &profile)?;
    let scope = loaded.scope.clone();
    if scope.include_groups.is_empty() && scope.exclude_groups.is_empty() {
        return Ok(SavedScope {
            include: Vec::new(),
            exclude: Vec::new(),
            nested: scope.nested,
            guests: scope.guests,
        });
    }
    let known_names = Store::for_profile(&store.data_dir, &loaded.name)
        .and_then(|cache| cache.structure())
        .map(|structure| structure.groups)
        .unwrap_or_default();
    let client = client_for(&loaded, &store)?;
    on_reader(move || async move {
        let include = directory::saved_groups(&client, &scope.include_groups, &known_names)
            .await
            .map_err(read_error)?;
        let exclude = directory::saved_groups(&client, &scope.exclude_groups, &known_names)
            .await
            .map_err(read_error)?;
        Ok(SavedScope {
            include,
            exclude,
            nested: scope.nested,
            guests: scope.guests,
        })
    })
    .await
}

/// Brings the connection's cache up to date for the chosen groups, sending progress to the
/// window as it goes, and returns the preview of who they select. A cancelled or failed read
/// keeps the previous cache; the preview then says it is incomplete.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn read_preview(
    profile: String,
    include: Vec<String>,
    exclude: Vec<String>,
    nested: bool,
    guests: bool,
    app: AppHandle,
    store: State<'_, ConnectionStore>,
    control: State<'_, ReadControl>,
) -> Result<Preview, CommandError> {
    let loaded = load_profile(&store, &profile)?;
    let settings = ScopeChoice {
        include,
        exclude,
        nested,
        guests,
    }
    .settings();
    let group_scope = GroupScope::from_settings(&settings).map_err(|error| CommandError {
        code: "scope",
        message: error.to_string(),
    })?;
    let loaded = remember_scope(&store.data_dir, loaded, settings)?;
    let mut cache =
        Store::for_profile(&store.data_dir, &loaded.name).map_err(|error| CommandError {
            code: "cache",
            message: error.to_string(),
        })?;
    let (number, token) = control.begin();
    let emitter = app.clone();
    let client = client_for(&loaded, &store)?
        .with_cancel(token.clone())
        .with_progress(Arc::new(move |progress: &ReadProgress| {
            let _ = emitter.emit(READ_PROGRESS_EVENT, ReadProgressEvent::from(progress));
        }));
    let mapping = loaded.mapping.clone();
    let outcome = on_reader(move || async move {
        let read = directory::refresh(
            &client,
            &mut cache,
            &group_scope,
            &mapping,
            Arc::new(SystemClock),
        )
        .await;
        let mut preview =
            Preview::from_store(&cache, &group_scope, &mapping).map_err(|error| CommandError {
                code: "cache",
                message: error.to_string(),
            })?;
        if let Err(error) = read {
            preview.complete = false;
            preview.read_error = Some(error.to_string());
        }
        Ok(preview)
    })
    .await;
    control.finish(number);
    outcome
}

/// Stops the preview read that is running, if any; true when one was asked to stop.
#[tauri::command]
pub fn cancel_read(control: State<'_, ReadControl>) -> bool {
    control.cancel()
}

/// The file a preview export goes to when the admin picks none: the data folder's `exports`
/// folder, named after the connection and the time.
fn default_export_path(store: &ConnectionStore, profile: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    store
        .data_dir
        .path()
        .join("exports")
        .join(format!("{profile}-preview-{stamp}.csv"))
}

/// The file an export goes to: the full path chosen in the save dialog, given `.csv` when the
/// name has no such ending (so a slip cannot overwrite some other kind of file), or `default`
/// when none was chosen.
fn export_target(chosen: Option<&str>, default: PathBuf) -> Result<PathBuf, CommandError> {
    let Some(chosen) = chosen.map(str::trim).filter(|chosen| !chosen.is_empty()) else {
        return Ok(default);
    };
    let mut path = PathBuf::from(chosen);
    if !path.is_absolute() {
        return Err(CommandError {
            code: "export_path",
            message: format!(
                "\"{chosen}\" is not a full path to a file. Choose the file again with \"Save as CSV…\", or save in Rollcall's data folder."
            ),
        });
    }
    let is_csv = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
    if !is_csv {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".csv");
        path.set_file_name(name);
    }
    Ok(path)
}

/// Asks where to save the preview with the system's save dialog, starting in the Documents
/// folder with a name made of the connection and the time. `None` when the admin cancels.
#[tauri::command]
pub async fn choose_export_file(
    profile: String,
    app: AppHandle,
    store: State<'_, ConnectionStore>,
) -> Result<Option<String>, CommandError> {
    let suggested = default_export_path(&store, &profile);
    let name = suggested
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "preview.csv".to_string());
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Save the list of people")
        .add_filter("Spreadsheet (CSV)", &["csv"])
        .set_file_name(name);
    if let Some(documents) = directories::UserDirs::new()
        .and_then(|dirs| dirs.document_dir().map(std::path::Path::to_path_buf))
    {
        dialog = dialog.set_directory(documents);
    }
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(stopped)?;
    chosen
        .map(|file| {
            file.into_path()
                .map(|path| path.display().to_string())
                .map_err(|error| CommandError {
                    code: "export_path",
                    message: format!(
                        "The save dialog gave a place Rollcall cannot write to ({error}). Choose a folder on this computer."
                    ),
                })
        })
        .transpose()
}

/// Writes the preview of the chosen groups, from the cache as last read, as CSV: to `path`
/// when given, else into the data folder's `exports` folder. Returns where it went.
#[tauri::command]
pub fn export_preview_csv(
    profile: String,
    include: Vec<String>,
    exclude: Vec<String>,
    nested: bool,
    guests: bool,
    path: Option<String>,
    store: State<'_, ConnectionStore>,
) -> Result<ExportedFile, CommandError> {
    let loaded = load_profile(&store, &profile)?;
    let scope = ScopeChoice {
        include,
        exclude,
        nested,
        guests,
    };
    let group_scope =
        GroupScope::from_settings(&scope.settings()).map_err(|error| CommandError {
            code: "scope",
            message: error.to_string(),
        })?;
    let cache =
        Store::for_profile(&store.data_dir, &loaded.name).map_err(|error| CommandError {
            code: "cache",
            message: error.to_string(),
        })?;
    let preview = Preview::from_store(&cache, &group_scope, &loaded.mapping).map_err(|error| {
        CommandError {
            code: "cache",
            message: error.to_string(),
        }
    })?;
    let target = export_target(path.as_deref(), default_export_path(&store, &loaded.name))?;
    if let Some(folder) = target.parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder).map_err(|error| CommandError {
            code: "export",
            message: format!(
                "Rollcall could not create the folder {}: {error}. Pick a folder you can write to.",
                folder.display()
            ),
        })?;
    }
    std::fs::write(&target, preview.to_csv()).map_err(|error| CommandError {
        code: "export",
        message: format!(
            "Rollcall could not write {}: {error}. Pick a folder you can write to.",
            target.display()
        ),
    })?;
    Ok(ExportedFile {
        path: target.display().to_string(),
        people: preview.users.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_stops_only_the_read_that_is_running() {
        let control = ReadControl::default();
        assert!(!control.cancel(), "nothing is running yet");
        let (first_number, first) = control.begin();
        let (_, second) = control.begin();
        assert!(first.is_cancelled(), "a new read replaces the one before");
        assert!(!second.is_cancelled());
        control.finish(first_number);
        assert!(
            control.cancel(),
            "the older read ending leaves the newer one cancellable"
        );
        assert!(second.is_cancelled());
    }

    #[test]
    fn an_export_goes_only_to_a_csv_file_or_the_data_folder() {
        let default = PathBuf::from("data").join("exports").join("x.csv");
        assert_eq!(export_target(None, default.clone()).unwrap(), default);
        assert_eq!(export_target(Some("  "), default.clone()).unwrap(), default);
        let full = std::env::temp_dir().join("people.CSV");
        assert_eq!(export_target(full.to_str(), default.clone()).unwrap(), full);
        let relative = export_target(Some("people.csv"), default.clone()).unwrap_err();
        assert!(
            relative.message.contains("is not a full path"),
            "{}",
            relative.message
        );
        let other = std::env::temp_dir().join("notes.txt");
        assert_eq!(
            export_target(other.to_str(), default.clone()).unwrap(),
            std::env::temp_dir().join("notes.txt.csv"),
            "another kind of file is never overwritten"
        );
        let bare = std::env::temp_dir().join("people");
        assert_eq!(
            export_target(bare.to_str(), default).unwrap(),
            std::env::temp_dir().join("people.csv")
        );
    }

    #[test]
    fn the_chosen_groups_are_remembered_in_the_profile() {
        use rollcall_core::data_dir::Mode;
        use rollcall_core::profile::{CloudKey, EntraSettings};

        let folder = tempfile::tempdir().unwrap();
        let data_dir = DataDir::at(folder.path().to_path_buf(), Mode::Real);
        let entra = EntraSettings {
            cloud: CloudKey::Global,
            tenant: "contoso.onmicrosoft.com".to_string(),
            client_id: "00000000-0000-0000-0000-000000000001".to_string(),
            authority_url: None,
            graph_url: None,
            secret_expires: None,
        };
        let profile = Profile::new("contoso", entra).unwrap();
        ProfileStore::new(&data_dir).save(&profile).unwrap();
        let choice = ScopeChoice {
            include: vec!["staff".to_string()],
            exclude: vec!["leavers".to_string()],
            nested: true,
            guests: true,
        };
        remember_scope(&data_dir, profile, choice.settings()).unwrap();
        let saved = ProfileStore::new(&data_dir).load("contoso").unwrap();
        assert_eq!(saved.scope, choice.settings());
        assert!(
            !saved.enabled,
            "choosing groups does not switch the connection on"
        );
    }

    #[test]
    fn the_picker_choice_becomes_the_profile_scope() {
        let choice: ScopeChoice = serde_json::from_value(serde_json::json!({
            "include": ["a"], "exclude": ["b"], "nested": true, "guests": false
        }))
        .unwrap();
        let settings = choice.settings();
        assert_eq!(settings.include_groups, vec!["a".to_string()]);
        assert_eq!(settings.exclude_groups, vec!["b".to_string()]);
        assert!(settings.nested);
        assert!(!settings.guests);
    }
}
