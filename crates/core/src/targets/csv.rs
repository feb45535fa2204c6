//! The CSV target: a folder instead of a platform. Each run that writes leaves the full
//! roster (`roster.csv`, every account the connection owns as last written) and a changes
//! file (`changes-<time>.csv`: created, updated, deactivated, reactivated). UTF-8 with a
//! byte-order mark and CRLF line ends, so spreadsheet programs open them right; a cell
//! that begins with = + - @ TAB or CR is prefixed with `'` so it is never run as a formula.
//! Each file is written under a temporary name and renamed, so no half file ever appears.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;

use super::{
    AccountWrite, AttributeChange, Capabilities, RemoteAccount, RemoteGroup, Target, TargetError,
    TargetFuture,
};
use crate::clock::Clock;
use crate::mapping::paths;

/// The roster file's name.
pub const ROSTER: &str = "roster.csv";

/// What happened to an account in this run, as the changes file says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChangeKind {
    Created,
    Updated,
    Deactivated,
    Reactivated,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deactivated => "deactivated",
            ChangeKind::Reactivated => "reactivated",
        }
    }
}

/// A folder the roster and changes files are written to.
pub struct CsvTarget {
    folder: PathBuf,
    clock: std::sync::Arc<dyn Clock>,
    /// Accounts as the last roster file held them, by externalId.
    known: Mutex<HashMap<String, RemoteAccount>>,
    changes: Mutex<Vec<ChangeRow>>,
}

/// One line of the changes file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ChangeRow {
    kind: &'static str,
    external_id: String,
    user_name: String,
    /// The SCIM paths that changed, for updates.
    paths: Vec<String>,
}

impl std::fmt::Debug for CsvTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvTarget")
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

fn file_error(path: &Path, error: impl std::fmt::Display) -> TargetError {
    TargetError::Protocol {
        detail: format!(
            "Could not write {}: {error}. Check that the folder exists and is writable.",
            path.display()
        ),
    }
}

/// A cell as written: text that a spreadsheet would take for a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

impl CsvTarget {
    /// A CSV target writing into `folder` (created owner-only when missing; an existing
    /// folder keeps its permissions, its files are owner-only). An existing roster there
    /// is read, so accounts in it can be recognised.
    pub fn new(folder: &Path, clock: std::sync::Arc<dyn Clock>) -> Result<CsvTarget, TargetError> {
        if !folder.is_dir() {
            crate::data_dir::create_private_dir(folder)
                .map_err(|error| file_error(folder, error))?;
        }
        let target = CsvTarget {
            folder: folder.to_path_buf(),
            clock,
            known: Mutex::new(HashMap::new()),
            changes: Mutex::new(Vec::new()),
        };
        let roster = folder.join(ROSTER);
        if roster.exists() {
            let known = read_roster(&roster)?;
            *target.known_lock() = known;
        }
        Ok(target)
    }

    fn known_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RemoteAccount>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, kind: ChangeKind, account: &AccountWrite, paths: Vec<String>) {
        self.changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(ChangeRow {
                kind: kind.as_str(),
                external_id: account.external_id.clone(),
                user_name: account.user_name.clone(),
                paths,
            });
    }

    /// Writes a CSV file row by row to a temporary name, then renames it, so no half file
    /// ever appears and the rows are never held as one block of text.
    fn write_file(
        &self,
        name: &str,
        header: &[String],
        rows: impl IntoIterator<Item = Vec<String>>,
    ) -> Result<PathBuf, TargetError> {
        use std::io::Write;
        let path = self.folder.join(name);
        let partial = self.folder.join(format!(".{name}.partial"));
        let file = crate::data_dir::create_private_file(&partial)
            .map_err(|error| file_error(&partial, error))?;
        let mut out = std::io::BufWriter::new(file);
        out.write_all("\u{feff}".as_bytes())
            .map_err(|error| file_error(&partial, error))?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer
            .write_record(header.iter().map(|h| neutralise(h)))
            .map_err(|error| file_error(&partial, error))?;
        for row in rows {
            writer
                .write_record(row.iter().map(|cell| neutralise(cell)))
                .map_err(|error| file_error(&partial, error))?;
        }
        writer
            .into_inner()
            .map_err(|error| file_error(&partial, error.into_error()))?
            .into_inner()
            .map_err(|error| file_error(&partial, error.into_error()))?
            .sync_all()
            .map_err(|error| file_error(&partial, error))?;
        std::fs::rename(&partial, &path).map_err(|error| file_error(&path, error))?;
        Ok(path)
    }
}

fn read_roster(path: &Path) -> Result<HashMap<String, RemoteAccount>, TargetError> {
    let text = std::fs::read_to_string(path).map_err(|error| file_error(path, error))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|error| file_error(path, error))?
        .clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(external), Some(user_name), Some(active)) = (
        column(paths::EXTERNAL_ID),
        column(paths::USER_NAME),
        column(paths::ACTIVE),
    ) else {
        return Ok(HashMap::new());
    };
    let email = column(paths::WORK_EMAIL);
    let plain = |text: &str| text.strip_prefix('\'').unwrap_or(text).to_string();
    let mut known = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|error| file_error(path, error))?;
        let external_id = plain(record.get(external).unwrap_or_default());
        known.insert(
            external_id.clone(),
            RemoteAccount {
                id: external_id.clone(),
                external_id: Some(external_id),
                user_name: plain(record.get(user_name).unwrap_or_default()),
                emails: email
                    .and_then(|column| record.get(column))
                    .filter(|email| !email.is_empty())
                    .map(|email| vec![plain(email)])
                    .unwrap_or_default(),
                active: record.get(active) == Some("true"),
            },
        );
    }
    Ok(known)
}

impl Target for CsvTarget {
    fn capabilities(&self) -> TargetFuture<'_, Capabilities> {
        Box::pin(async {
            Ok(Capabilities {
                patch: true,
                filter: true,
                bulk_max_operations: None,
                etag: false,
                enterprise_extension: true,
                groups: false,
            })
        })
    }

    fn list_accounts(&self) -> TargetFuture<'_, Vec<RemoteAccount>> {
        Box::pin(async move { Ok(self.known_lock().values().cloned().collect()) })
    }

    fn find_account<'a>(
        &'a self,
        external_id: &'a str,
        user_name: &'a str,
    ) -> TargetFuture<'a, Vec<RemoteAccount>> {
        Box::pin(async move {
            let known = self.known_lock();
            if let Some(account) = known.get(external_id) {
                return Ok(vec![account.clone()]);
            }
            Ok(known
                .values()
                .filter(|account| account.user_name.eq_ignore_ascii_case(user_name))
                .cloned()
                .collect())
        })
    }

    fn create_account<'a>(&'a self, account: &'a AccountWrite) -> TargetFuture<'a, RemoteAccount> {
        Box::pin(async move {
            let remote = RemoteAccount {
                id: account.external_id.clone(),
                external_id: Some(account.external_id.clone()),
                user_name: account.user_name.clone(),
                emails: account
                    .attributes
                    .get(paths::WORK_EMAIL)
                    .and_then(Value::as_str)
                    .map(|email| vec![email.to_string()])
                    .unwrap_or_default(),
                active: account.active,
            };
            self.known_lock()
                .insert(account.external_id.clone(), remote.clone());
            self.record(ChangeKind::Created, account, Vec::new());
            Ok(remote)
        })
    }

    fn update_account<'a>(
        &'a self,
        _id: &'a str,
        changes: &'a [AttributeChange],
        full: &'a AccountWrite,
    ) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            let active = changes
                .iter()
                .find(|change| change.path == paths::ACTIVE)
                .and_then(|change| change.value.as_ref())
                .and_then(Value::as_bool);
            let kind = match active {
                Some(false) => ChangeKind::Deactivated,
                Some(true) if changes.iter().all(|c| c.path != paths::EXTERNAL_ID) => {
                    ChangeKind::Reactivated
                }
                _ => ChangeKind::Updated,
            };
            let changed = changes
                .iter()
                .map(|change| change.path.clone())
                .filter(|path| path != paths::ACTIVE)
                .collect();
            self.record(kind, full, changed);
            Ok(())
        })
    }

    fn set_manager<'a>(
        &'a self,
        _id: &'a str,
        _manager_id: Option<&'a str>,
    ) -> TargetFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn ensure_group<'a>(
        &'a self,
        external_id: &'a str,
        display_name: &'a str,
    ) -> TargetFuture<'a, RemoteGroup> {
        Box::pin(async move {
            Ok(RemoteGroup {
                id: external_id.to_string(),
                external_id: Some(external_id.to_string()),
                display_name: display_name.to_string(),
            })
        })
    }

    fn change_members<'a>(
        &'a self,
        _id: &'a str,
        _add: &'a [String],
        _remove: &'a [String],
    ) -> TargetFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn finish<'a>(&'a self, roster: &'a [AccountWrite]) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            let columns: BTreeSet<&str> = roster
                .iter()
                .flat_map(|account| account.attributes.keys().map(String::as_str))
                .collect();
            let mut header: Vec<String> = [paths::EXTERNAL_ID, paths::USER_NAME, paths::ACTIVE]
                .iter()
                .map(|h| h.to_string())
                .collect();
            header.extend(columns.iter().map(|c| c.to_string()));
            let mut sorted: Vec<&AccountWrite> = roster.iter().collect();
            sorted.sort_by(|a, b| a.user_name.cmp(&b.user_name));
            let rows = sorted.iter().map(|account| {
                let mut row = vec![
                    account.external_id.clone(),
                    account.user_name.clone(),
                    account.active.to_string(),
                ];
                row.extend(columns.iter().map(|c| cell(account.attributes.get(*c))));
                row
            });
            self.write_file(ROSTER, &header, rows)?;
            drop(sorted);
            let changes = std::mem::take(
                &mut *self
                    .changes
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
            let header: Vec<String> =
                ["change", paths::EXTERNAL_ID, paths::USER_NAME, "attributes"]
                    .iter()
                    .map(|h| h.to_string())
                    .collect();
            let mut rows: Vec<Vec<String>> = changes
                .into_iter()
                .map(|row| {
                    vec![
                        row.kind.to_string(),
                        row.external_id,
                        row.user_name,
                        row.paths.join(" "),
                    ]
                })
                .collect();
            rows.sort();
            let stamp = self.clock.now().format("%Y%m%dT%H%M%S%.3fZ");
            self.write_file(&format!("changes-{stamp}.csv"), &header, rows)?;
            let mut known = self.known_lock();
            known.clear();
            for account in roster {
                known.insert(
                    account.external_id.clone(),
                    RemoteAccount {
                        id: account.external_id.clone(),
                        external_id: Some(account.external_id.clone()),
                        user_name: account.user_name.clone(),
                        emails: Vec::new(),
                        active: account.active,
                    },
                );
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::targets::Attributes;

    fn account(id: &str, user_name: &str, display: &str) -> AccountWrite {
        let mut attributes = Attributes::new();
        attributes.insert(paths::DISPLAY_NAME.into(), Value::String(display.into()));
        AccountWrite {
            external_id: id.into(),
            user_name: user_name.into(),
            active: true,
            attributes,
        }
    }

    #[tokio::test]
    async fn files_read_back_with_a_csv_parser_unicode_intact_formulas_neutralised() {
        let folder = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(FixedClock::at("2026-06-01T12:00:00Z".parse().unwrap()));
        let target = CsvTarget::new(folder.path(), clock).unwrap();
        let zoe = account("e1", "zoë.ñúñez@contoso.com", "Zoë \"Zo\" Ñúñez, PhD");
        let evil = account("e2", "=HYPERLINK(\"x\")", "@SUM(A1)");
        let mut tab = account("e3", "tab@contoso.com", "\tlead");
        tab.attributes
            .insert(paths::TITLE.into(), Value::String("-1+2".into()));
        for a in [&zoe, &evil, &tab] {
            target.create_account(a).await.unwrap();
        }
        target
            .finish(&[zoe.clone(), evil.clone(), tab.clone()])
            .await
            .unwrap();

        let names: Vec<String> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
        let changes_name = names.iter().find(|n| n.starts_with("changes-")).unwrap();

        let bytes = std::fs::read(folder.path().join(ROSTER)).unwrap();
        assert!(
            bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
            "UTF-8 byte-order mark"
        );
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header[..3], ["externalId", "userName", "active"]);
        let display = header.iter().position(|h| h == "displayName").unwrap();
        let title = header.iter().position(|h| h == "title").unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let row = |id: &str| rows.iter().find(|r| &r[0] == id).unwrap().clone();
        assert_eq!(&row("e1")[1], "zoë.ñúñez@contoso.com");
        assert_eq!(&row("e1")[display], "Zoë \"Zo\" Ñúñez, PhD");
        assert_eq!(&row("e2")[1], "'=HYPERLINK(\"x\")");
        assert_eq!(&row("e2")[display], "'@SUM(A1)");
        assert_eq!(&row("e3")[display], "'\tlead");
        assert_eq!(&row("e3")[title], "'-1+2");
        assert_eq!(&row("e1")[title], "", "a missing value is an empty cell");

        let changes = std::fs::read_to_string(folder.path().join(changes_name)).unwrap();
        let mut reader =
            csv::Reader::from_reader(changes.trim_start_matches('\u{feff}').as_bytes());
        let kinds: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(kinds, ["created", "created", "created"]);

        // A new target over the same folder knows the accounts again.
        let again = CsvTarget::new(
            folder.path(),
            std::sync::Arc::new(FixedClock::at("2026-06-02T12:00:00Z".parse().unwrap())),
        )
        .unwrap();
        let found = again.find_account("e1", "").await.unwrap();
        assert_eq!(found[0].user_name, "zoë.ñúñez@contoso.com");
        let mut off = zoe.clone();
        off.active = false;
        again
            .update_account(
                "e1",
                &[AttributeChange {
                    path: paths::ACTIVE.into(),
                    value: Some(Value::Bool(false)),
                }],
                &off,
            )
            .await
            .unwrap();
        again.finish(&[off]).await.unwrap();
        let changes: Vec<String> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("changes-20260602"))
            .collect();
        let text = std::fs::read_to_string(folder.path().join(&changes[0])).unwrap();
        assert!(text.contains("deactivated,e1,"), "{text}");
    }
}
