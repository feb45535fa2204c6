//! Reading a saved connection's directory: group search and lookup for the picker, the
//! preview of who a group choice selects (with progress and cancelling), and the preview's
//! CSV export.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::{ErrorCode, OpError, OpResult, Workspace};
use crate::directory::{self, GroupChoice, GroupScope, ReadError, SavedGroup};
use crate::graph::{CancelToken, GraphClient, ProgressSink};
use crate::preview::Preview;
use crate::profile::{Profile, ScopeSettings};
use crate::store::Store;

/// The group choice the picker makes: included and excluded group IDs and the two switches.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
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

/// The group choice saved in a profile, as the picker shows it again.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SavedScope {
    pub include: Vec<SavedGroup>,
    pub exclude: Vec<SavedGroup>,
    pub nested: bool,
    pub guests: bool,
}

/// Where an exported CSV was written.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ExportedFile {
    pub path: String,
    pub people: usize,
}

/// Where a preview export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTo {
    /// The file the admin chose. It is given `.csv` when its name has no such ending, so a
    /// slip cannot overwrite some other kind of file.
    File(PathBuf),
    /// The data folder's `exports` folder, under a name made of the connection and the time.
    DataFolder,
}

/// Who watches a read: where progress goes, and the token that stops it.
#[derive(Clone, Default)]
pub struct ReadObserver {
    pub progress: Option<ProgressSink>,
    pub cancel: CancelToken,
}

/// The read (or sync) running now, if any, so a host can cancel it. Each read is numbered, so
/// a read that ends never forgets a newer one, and a new read stops the one before.
#[derive(Clone, Default)]
pub struct ReadSlot {
    current: Arc<Mutex<Option<(u64, CancelToken)>>>,
}

/// A read registered in a [`ReadSlot`]; unregisters itself when dropped.
pub(super) struct Running<'a> {
    slot: &'a ReadSlot,
    number: u64,
}

impl ReadSlot {
    pub(super) fn begin(&self, token: CancelToken) -> Running<'_> {
        let mut number = 0;
        if let Ok(mut current) = self.current.lock() {
            if let Some((previous, running)) = current.take() {
                running.cancel();
                number = previous.wrapping_add(1);
            }
            *current = Some((number, token));
        }
        Running { slot: self, number }
    }

    /// Whether a read (or sync) is running now.
    pub fn is_busy(&self) -> bool {
        self.current.lock().is_ok_and(|current| current.is_some())
    }

    /// Asks the running read, if any, to stop; true when there was one.
    pub fn cancel(&self) -> bool {
        match self.current.lock() {
            Ok(current) => current.as_ref().map(|(_, token)| token.cancel()).is_some(),
            Err(_) => false,
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut current) = self.slot.current.lock()
            && current
                .as_ref()
                .is_some_and(|(running, _)| *running == self.number)
        {
            *current = None;
        }
    }
}

fn read_error(error: ReadError) -> OpError {
    let code = match &error {
        ReadError::Scope(_) => ErrorCode::Scope,
        ReadError::GroupNotFound { .. } => ErrorCode::GroupNotFound,
        ReadError::Graph(_) => ErrorCode::Graph,
        ReadError::Store(_) => ErrorCode::Cache,
    };
    OpError::new(code, error.to_string())
}

pub(super) fn scope_of(settings: &ScopeSettings) -> OpResult<GroupScope> {
    GroupScope::from_settings(settings).map_err(|error| {
        OpError::new(
            ErrorCode::Scope,
            format!("The group choice cannot be used: {error}"),
        )
    })
}

pub(super) fn cache_error(error: impl std::fmt::Display) -> OpError {
    OpError::new(ErrorCode::Cache, error.to_string())
}

/// The file a preview export goes to: the chosen file (given `.csv` when it has another
/// ending), or the data folder's `exports` folder.
fn export_path(to: &ExportTo, data_folder: &Path, profile: &str) -> OpResult<PathBuf> {
    match to {
        ExportTo::DataFolder => Ok(data_folder
            .join("exports")
            .join(suggested_export_name(profile))),
        ExportTo::File(chosen) => {
            let mut path = chosen.clone();
            if !path.is_absolute() || path.file_name().is_none() {
                return Err(OpError::new(
                    ErrorCode::ExportPath,
                    format!(
                        "\"{}\" is not a full path to a file. Choose the file again with \"Save as CSV…\", or save in Rollcall's data folder.",
                        chosen.display()
                    ),
                ));
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
    }
}

/// Writes an export file (owner-only), creating its folder (owner-only too when it is in
/// the data folder); the message names the file and what to do.
pub(super) fn write_export(target: &Path, contents: &str, in_data_folder: bool) -> OpResult<()> {
    if let Some(folder) = target.parent()
        && !folder.as_os_str().is_empty()
    {
        let created = if in_data_folder {
            crate::data_dir::create_private_dir(folder)
        } else {
            std::fs::create_dir_all(folder)
        };
        created.map_err(|error| {
            OpError::new(
                ErrorCode::Export,
                format!(
                    "Rollcall could not create the folder {}: {error}. Pick a folder you can write to.",
                    folder.display()
                ),
            )
        })?;
    }
    crate::data_dir::create_private_file(target)
        .and_then(|mut file| {
            use std::io::Write;
            file.write_all(contents.as_bytes())?;
            file.sync_all()
        })
        .map_err(|error| {
            OpError::new(
                ErrorCode::Export,
                format!(
                    "Rollcall could not write {}: {error}. Pick a folder you can write to.",
                    target.display()
                ),
            )
        })
}

/// The name an export is suggested under in a save dialog.
pub fn suggested_export_name(profile: &str) -> String {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    format!("{profile}-preview-{stamp}.csv")
}

impl Workspace {
    pub(super) fn graph_client(&self, profile: &Profile) -> OpResult<GraphClient> {
        GraphClient::for_profile(profile, self.secrets(), self.clock())
            .map(|client| client.with_retry_policy(self.retry))
            .map_err(|message| {
                OpError::new(
                    ErrorCode::Connect,
                    format!(
                        "Rollcall cannot connect for \"{}\": {message}",
                        profile.name
                    ),
                )
            })
    }

    pub(super) fn cache(&self, profile: &str) -> OpResult<Store> {
        Store::for_profile_at(self.data_dir(), profile, self.clock().now()).map_err(cache_error)
    }

    /// Groups whose name starts with `text` (or the one group a pasted ID or link names),
    /// each with its member count.
    pub async fn search_groups(&self, profile: &str, text: &str) -> OpResult<Vec<GroupChoice>> {
        let client = self.graph_client(&self.profile(profile)?)?;
        directory::search_groups(&client, text)
            .await
            .map_err(read_error)
    }

    /// The group a pasted Object ID or admin-center link names, with its member count.
    pub async fn resolve_group(&self, profile: &str, text: &str) -> OpResult<GroupChoice> {
        let client = self.graph_client(&self.profile(profile)?)?;
        directory::resolve_group(&client, text)
            .await
            .map_err(read_error)
    }

    /// The groups the profile chose last time, looked up again for their current names and
    /// member counts (a group since deleted comes back marked missing).
    pub async fn saved_scope(&self, profile: &str) -> OpResult<SavedScope> {
        let loaded = self.profile(profile)?;
        let scope = loaded.scope.clone();
        if scope.include_groups.is_empty() && scope.exclude_groups.is_empty() {
            return Ok(SavedScope {
                include: Vec::new(),
                exclude: Vec::new(),
                nested: scope.nested,
                guests: scope.guests,
            });
        }
        let known_names = self
            .cache(&loaded.name)
            .ok()
            .and_then(|cache| cache.structure().ok())
            .map(|structure| structure.groups)
            .unwrap_or_default();
        let client = self.graph_client(&loaded)?;
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
    }

    /// Keeps a new group choice in the profile's `[scope]`, so the next read, the command
    /// line and later syncs use the people this preview showed.
    fn remember_scope(&self, mut profile: Profile, scope: ScopeSettings) -> OpResult<Profile> {
        if profile.scope != scope {
            profile.scope = scope;
            self.profiles().save(&profile).map_err(|error| {
                OpError::new(
                    ErrorCode::ProfileWrite,
                    format!("Rollcall could not remember the groups you chose: {error}"),
                )
            })?;
        }
        Ok(profile)
    }

    /// Brings the connection's cache up to date for its groups (for `choice`, when given,
    /// which then becomes the profile's saved choice) and returns the preview of who they
    /// select. A cancelled or failed read keeps the previous cache; the preview then says it
    /// is incomplete and why (`complete: false`, `readError`).
    pub async fn read_preview(
        &self,
        profile: &str,
        choice: Option<ScopeChoice>,
        observer: ReadObserver,
    ) -> OpResult<Preview> {
        let mut loaded = self.profile(profile)?;
        if let Some(choice) = choice {
            let settings = choice.settings();
            scope_of(&settings)?;
            loaded = self.remember_scope(loaded, settings)?;
        }
        let scope = scope_of(&loaded.scope)?;
        let mut cache = self.cache(&loaded.name)?;
        let _running = self.reads().begin(observer.cancel.clone());
        let mut client = self.graph_client(&loaded)?.with_cancel(observer.cancel);
        if let Some(progress) = observer.progress {
            client = client.with_progress(progress);
        }
        let read =
            directory::refresh(&client, &mut cache, &scope, &loaded.mapping, self.clock()).await;
        let mut preview =
            Preview::from_store(&cache, &scope, &loaded.mapping).map_err(cache_error)?;
        if let Err(error) = read {
            preview.complete = false;
            preview.read_error = Some(error.to_string());
        }
        let notices = cache.take_notices().map_err(cache_error)?;
        preview.problems.splice(0..0, notices);
        Ok(preview)
    }

    /// The preview of the connection's saved groups from the cache as last read; no network.
    pub fn cached_preview(&self, profile: &str, choice: Option<&ScopeChoice>) -> OpResult<Preview> {
        let loaded = self.profile(profile)?;
        let settings = choice.map_or_else(|| loaded.scope.clone(), ScopeChoice::settings);
        let scope = scope_of(&settings)?;
        let cache = self.cache(&loaded.name)?;
        Preview::from_store(&cache, &scope, &loaded.mapping).map_err(cache_error)
    }

    /// Writes `preview` as CSV to `to` and says where it went.
    pub fn write_preview_csv(
        &self,
        profile: &str,
        preview: &Preview,
        to: &ExportTo,
    ) -> OpResult<ExportedFile> {
        let target = export_path(to, self.data_dir().path(), profile)?;
        write_export(
            &target,
            &preview.to_csv(),
            matches!(to, ExportTo::DataFolder),
        )?;
        Ok(ExportedFile {
            path: target.display().to_string(),
            people: preview.users.len(),
        })
    }

    /// Writes the preview of the chosen groups, from the cache as last read, as CSV.
    pub fn export_preview(
        &self,
        profile: &str,
        choice: Option<&ScopeChoice>,
        to: &ExportTo,
    ) -> OpResult<ExportedFile> {
        let preview = self.cached_preview(profile, choice)?;
        self.write_preview_csv(profile, &preview, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_stops_only_the_read_that_is_running() {
        let slot = ReadSlot::default();
        assert!(!slot.cancel(), "nothing is running yet");
        let first = CancelToken::new();
        let second = CancelToken::new();
        let running_first = slot.begin(first.clone());
        let running_second = slot.begin(second.clone());
        assert!(first.is_cancelled(), "a new read replaces the one before");
        assert!(!second.is_cancelled());
        drop(running_first);
        assert!(
            slot.cancel(),
            "the older read ending leaves the newer one cancellable"
        );
        assert!(second.is_cancelled());
        drop(running_second);
        assert!(!slot.cancel(), "a finished read is forgotten");
    }

    #[test]
    fn an_export_goes_only_to_a_csv_file_or_the_data_folder() {
        let data = std::env::temp_dir().join("data");
        let into_data = export_path(&ExportTo::DataFolder, &data, "school").unwrap();
        assert!(into_data.starts_with(data.join("exports")));
        assert!(into_data.to_string_lossy().ends_with(".csv"));
        let full = std::env::temp_dir().join("people.CSV");
        assert_eq!(
            export_path(&ExportTo::File(full.clone()), &data, "x").unwrap(),
            full
        );
        let relative = export_path(&ExportTo::File("people.csv".into()), &data, "x").unwrap_err();
        assert_eq!(relative.code, ErrorCode::ExportPath);
        assert!(
            relative.message.contains("is not a full path"),
            "{}",
            relative.message
        );
        let other = std::env::temp_dir().join("notes.txt");
        assert_eq!(
            export_path(&ExportTo::File(other), &data, "x").unwrap(),
            std::env::temp_dir().join("notes.txt.csv"),
            "another kind of file is never overwritten"
        );
        let bare = std::env::temp_dir().join("people");
        assert_eq!(
            export_path(&ExportTo::File(bare), &data, "x").unwrap(),
            std::env::temp_dir().join("people.csv")
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
