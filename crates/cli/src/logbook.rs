//! The log an admin or support can read: one file per day in the data folder
//! (`logs/rollcall.YYYY-MM-DD.log`, dated in UTC), kept 30 days. The engine only emits
//! `tracing` events (every read and every write decision, never a secret or token); this
//! module is where the binary turns them into files, once, at start-up.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{Days, NaiveDate};
use rollcall_core::data_dir::{DataDir, create_private_dir, keep_private_file};
use tracing_appender::rolling::{RollingFileAppender, RollingWriter, Rotation};
use tracing_subscriber::fmt::writer::MakeWriter;

/// How many days of log files are kept.
pub const KEEP_DAYS: u64 = 30;

const PREFIX: &str = "rollcall";
const SUFFIX: &str = "log";

/// The log file of `day`.
pub fn file_name(day: NaiveDate) -> String {
    format!("{PREFIX}.{}.{SUFFIX}", day.format("%Y-%m-%d"))
}

/// The day a log file's name says, or `None` for a file that is not one of Rollcall's logs.
fn day_of(name: &str) -> Option<NaiveDate> {
    let date = name
        .strip_prefix(PREFIX)?
        .strip_prefix('.')?
        .strip_suffix(SUFFIX)?
        .strip_suffix('.')?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Removes the log files in `folder` older than [`KEEP_DAYS`] days before `today`; other
/// files are left alone. Returns the files removed.
pub fn prune(folder: &Path, today: NaiveDate) -> std::io::Result<Vec<PathBuf>> {
    let oldest_kept = today
        .checked_sub_days(Days::new(KEEP_DAYS - 1))
        .unwrap_or(today);
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let path = entry?.path();
        let old = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(day_of)
            .is_some_and(|day| day < oldest_kept);
        if old && path.is_file() {
            std::fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// The daily files. Each day's file is created owner-only before the appender first opens
/// it (it then appends to that file), so a file begun at midnight is private too.
struct PrivateDailyFiles {
    folder: PathBuf,
    files: RollingFileAppender,
    day: Mutex<Option<NaiveDate>>,
}

impl PrivateDailyFiles {
    fn prepare(&self, today: NaiveDate) {
        let mut day = self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *day != Some(today) {
            // A log file that cannot be made private is still written: losing the log
            // would hide what happened, and the folder itself is owner-only.
            let _ = keep_private_file(&self.folder.join(file_name(today)));
            *day = Some(today);
        }
    }
}

impl<'a> MakeWriter<'a> for PrivateDailyFiles {
    type Writer = RollingWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        self.prepare(chrono::Utc::now().date_naive());
        self.files.make_writer()
    }
}

/// The subscriber writing the engine's events to the daily files in `folder` (created
/// owner-only, each file too), after removing the files older than 30 days.
pub fn subscriber(
    folder: &Path,
    today: NaiveDate,
) -> Result<impl tracing::Subscriber + Send + Sync + 'static, String> {
    let problem = |error: &dyn std::fmt::Display| {
        format!(
            "Rollcall could not keep its log in {}: {error}",
            folder.display()
        )
    };
    create_private_dir(folder).map_err(|error| problem(&error))?;
    prune(folder, today).map_err(|error| problem(&error))?;
    keep_private_file(&folder.join(file_name(today))).map_err(|error| problem(&error))?;
    let files = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(PREFIX)
        .filename_suffix(SUFFIX)
        .build(folder)
        .map_err(|error| problem(&error))?;
    let files = PrivateDailyFiles {
        folder: folder.to_path_buf(),
        files,
        day: Mutex::new(Some(today)),
    };
    Ok(tracing_subscriber::fmt()
        .with_writer(files)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .finish())
}

/// Starts writing the log into `data_dir`'s `logs` folder for the rest of the process. A
/// second call changes nothing. A log that cannot be opened is said on stderr, and Rollcall
/// runs on without one.
pub fn install(data_dir: &DataDir) {
    let today = chrono::Utc::now().date_naive();
    match subscriber(&data_dir.logs(), today) {
        Ok(subscriber) => {
            let _ = tracing::subscriber::set_global_default(subscriber);
        }
        Err(message) => crate::eprint_line(&message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn thirty_days_are_kept_and_nothing_else_is_touched() {
        let folder = tempfile::tempdir().unwrap();
        let today = day("2026-03-31");
        let names = [
            file_name(day("2026-03-31")),
            file_name(day("2026-03-02")),
            file_name(day("2026-03-01")),
            file_name(day("2025-12-25")),
            "notes.txt".to_string(),
            "rollcall.yesterday.log".to_string(),
        ];
        for name in &names {
            std::fs::write(folder.path().join(name), "x").unwrap();
        }
        let mut removed: Vec<String> = prune(folder.path(), today)
            .unwrap()
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        removed.sort();
        assert_eq!(
            removed,
            vec![file_name(day("2025-12-25")), file_name(day("2026-03-01"))]
        );
        for kept in [&names[0], &names[1], &names[4], &names[5]] {
            assert!(folder.path().join(kept).exists(), "{kept}");
        }
        assert_eq!(file_name(today), "rollcall.2026-03-31.log");
        assert!(
            prune(&folder.path().join("missing"), today)
                .unwrap()
                .is_empty()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_new_day_begins_with_an_owner_only_file() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let files = PrivateDailyFiles {
            folder: folder.path().to_path_buf(),
            files: RollingFileAppender::builder()
                .rotation(Rotation::DAILY)
                .filename_prefix(PREFIX)
                .filename_suffix(SUFFIX)
                .build(folder.path())
                .unwrap(),
            day: Mutex::new(None),
        };
        let tomorrow = day("2999-01-02");
        files.prepare(tomorrow);
        let file = folder.path().join(file_name(tomorrow));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    /// Every file under `root`.
    fn files_in(root: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }

    #[test]
    fn a_check_and_a_sync_are_logged_and_no_secret_or_token_is_anywhere_in_the_data_folder() {
        use std::sync::Arc;

        use rollcall_core::data_dir::Mode;
        use rollcall_core::ops::{
            ChosenCloud, ConnectionRequest, ReadObserver, ScopeChoice, SecretTarget, SyncObserver,
            SyncRequest, Workspace,
        };
        use rollcall_core::profile::{TargetKind, TargetSettings};
        use rollcall_core::secret::MemoryKeychain;
        use rollcall_sandbox::{AppState, Dataset, Sandbox, SandboxOptions};

        let server = tokio::runtime::Runtime::new().unwrap();
        let sandbox = server
            .block_on(Sandbox::start(SandboxOptions {
                dataset: Dataset::Demo,
                port: 0,
            }))
            .unwrap();
        let info = sandbox.info();
        let app = info
            .apps
            .iter()
            .find(|app| app.state == AppState::Healthy)
            .unwrap()
            .clone();
        let folder = tempfile::tempdir().unwrap();
        let data_dir = DataDir::at(folder.path().to_path_buf(), Mode::Real);
        let ws = Workspace::new(data_dir.clone(), Arc::new(MemoryKeychain::new()));
        let logging = tracing::subscriber::set_default(
            subscriber(&data_dir.logs(), chrono::Utc::now().date_naive()).unwrap(),
        );
        let host = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (report, someone) = host.block_on(async {
            ws.save_connection(
                "school",
                &ConnectionRequest {
                    cloud: ChosenCloud {
                        id: "custom".into(),
                        authority_url: Some(info.authority_url.clone()),
                        graph_url: Some(info.graph_url.clone()),
                    },
                    tenant: info.tenant.domain.clone(),
                    client_id: app.client_id.clone(),
                    secret: app.secret.clone(),
                    secret_expires: None,
                },
            )
            .unwrap();
            let staff = ScopeChoice {
                include: vec![sandbox.control().group_id("Teaching Staff").unwrap()],
                exclude: Vec::new(),
                nested: true,
                guests: false,
            };
            let preview = ws
                .read_preview("school", Some(staff), ReadObserver::default())
                .await
                .unwrap();
            assert!(preview.complete, "{:?}", preview.read_error);
            let someone = preview
                .users
                .iter()
                .find(|user| user.enabled && !user.username.is_empty())
                .map(|user| user.username.clone())
                .unwrap();
            ws.set_target(
                "school",
                TargetSettings {
                    kind: TargetKind::Scim,
                    url: Some(info.scim_url.clone()),
                    path: None,
                },
            )
            .unwrap();
            ws.store_secret("school", SecretTarget::Platform, &info.scim_token)
                .unwrap();
            let checked = ws.check_profile("school").await.unwrap();
            assert!(checked.ok, "{checked:#?}");
            let report = ws
                .sync("school", &SyncRequest::default(), SyncObserver::default())
                .await
                .unwrap();
            (report, someone)
        });
        drop(logging);
        assert!(report.applied.create > 0, "{report:#?}");

        let files = files_in(folder.path());
        let log = folder
            .path()
            .join("logs")
            .join(file_name(chrono::Utc::now().date_naive()));
        assert!(files.contains(&log), "{files:?}");
        for file in &files {
            let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
            assert!(
                !text.contains(&app.secret),
                "{} holds the client secret",
                file.display()
            );
            assert!(
                !text.contains(&info.scim_token),
                "{} holds the platform's token",
                file.display()
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the log is owner-only: {mode:o}");
        }
        let text = std::fs::read_to_string(&log).unwrap();
        for expected in [
            "connection checked",
            "directory read started",
            "directory read finished",
            "sync started",
            "sync planned",
            "sync applied",
            "written",
        ] {
            assert!(text.contains(expected), "{expected} in the log:\n{text}");
        }
        assert!(
            text.contains(&someone),
            "the people written are named:\n{text}"
        );
    }
}
