//! The ledger: which platform accounts this connection owns (it created or adopted them),
//! each with its Entra object ID, the platform's ID and what was last written. It lives in
//! a SQLite file of its own per profile (`ledger/<profile>.sqlite3` in the data folder),
//! apart from the directory cache, so setting the cache aside never loses it. The same file
//! holds the write journal (`journal`), the run history (`history`) and the reminders sent
//! (`notices`). Migrations are
//! numbered by `PRAGMA user_version`. Never holds a secret.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::data_dir::DataDir;
use crate::targets::{AccountWrite, Attributes};

/// The schema this code writes; older files are migrated up to it on open.
pub const SCHEMA_VERSION: i64 = 3;

const MIGRATIONS: &[&str] = &[
    // 1: owned accounts, the write journal and the run history.
    "CREATE TABLE accounts (
        entra_id TEXT PRIMARY KEY,
        target_id TEXT NOT NULL UNIQUE,
        user_name TEXT NOT NULL,
        active INTEGER NOT NULL,
        attributes TEXT NOT NULL,
        manager TEXT,
        origin TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE TABLE groups (
        entra_id TEXT PRIMARY KEY,
        target_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        members TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run INTEGER NOT NULL,
        entra_id TEXT NOT NULL,
        action TEXT NOT NULL,
        payload TEXT NOT NULL,
        intended_at TEXT NOT NULL,
        outcome TEXT,
        detail TEXT,
        settled_at TEXT
    );
    CREATE INDEX journal_open ON journal (outcome) WHERE outcome IS NULL;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        trigger TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        writes INTEGER NOT NULL DEFAULT 0,
        elapsed_ms INTEGER NOT NULL DEFAULT 0,
        report TEXT
    );",
    // 2: each person a run touched, for its report in the history.
    "CREATE TABLE run_people (
        run INTEGER NOT NULL,
        position INTEGER NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (run, position)
    );",
    // 3: the secret-expiry reminders already sent, per expiry date.
    "CREATE TABLE reminders (
        expires TEXT NOT NULL,
        days INTEGER NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (expires, days)
    );",
];

/// Why the ledger could not be used. Its file is never deleted by Rollcall.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "Could not create the ledger folder {path}: {source}. Check that the data folder is writable."
    )]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "The ledger {path} (the list of accounts this connection owns) could not be opened: {detail}. Close other Rollcall windows and try again; do not delete this file, it is how Rollcall knows which accounts are its own."
    )]
    Open { path: PathBuf, detail: String },
    #[error(
        "The ledger {path} (the list of accounts this connection owns) is damaged ({detail}), so Rollcall will not sync with it and has changed nothing. Close Rollcall and put back this file from a backup, then sync again. Do not delete it: without it Rollcall no longer knows which accounts are its own."
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "The ledger {path} was written by a newer Rollcall (schema {found}, this one knows {SCHEMA_VERSION}). Update Rollcall."
    )]
    TooNew { path: PathBuf, found: i64 },
    #[error(
        "The ledger could not be read or written: {0}. Try again; if it persists, check the disk has space."
    )]
    Sql(String),
}

impl From<rusqlite::Error> for LedgerError {
    fn from(error: rusqlite::Error) -> LedgerError {
        LedgerError::Sql(error.to_string())
    }
}

impl From<serde_json::Error> for LedgerError {
    fn from(error: serde_json::Error) -> LedgerError {
        LedgerError::Sql(error.to_string())
    }
}

/// How the connection came to own an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Created,
    Adopted,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Created => "created",
            Origin::Adopted => "adopted",
        }
    }
}

/// One account the connection owns, as last written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnedAccount {
    pub entra_id: String,
    pub target_id: String,
    pub user_name: String,
    pub active: bool,
    pub attributes: Attributes,
    /// The manager's Entra object ID as last set on the platform.
    pub manager: Option<String>,
    pub origin: Origin,
}

impl OwnedAccount {
    /// The account as an `AccountWrite`, for a full write or a roster.
    pub fn as_write(&self) -> AccountWrite {
        AccountWrite {
            external_id: self.entra_id.clone(),
            user_name: self.user_name.clone(),
            active: self.active,
            attributes: self.attributes.clone(),
        }
    }

    /// The account as an `AccountWrite`, moving its parts (for a roster built from the
    /// ledger without holding two copies).
    pub fn into_write(self) -> AccountWrite {
        AccountWrite {
            external_id: self.entra_id,
            user_name: self.user_name,
            active: self.active,
            attributes: self.attributes,
        }
    }
}

/// A group the connection pushes, with the members (Entra IDs) last written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnedGroup {
    pub entra_id: String,
    pub target_id: String,
    pub display_name: String,
    pub members: Vec<String>,
}

/// A change to the owned accounts, made in the same transaction that settles a journal
/// entry.
#[derive(Debug, Clone, PartialEq)]
pub enum LedgerChange {
    /// Nothing changes in the ledger.
    Nothing,
    /// The account is now owned, as written (create or adoption).
    Own(OwnedAccount),
    /// The owned account now holds this (update, deactivation, reactivation).
    Written {
        entra_id: String,
        user_name: String,
        active: bool,
        attributes: Attributes,
    },
    /// The manager (Entra ID) now set on the account.
    Manager {
        entra_id: String,
        manager: Option<String>,
    },
    /// The platform no longer has the account: the ledger forgets it.
    Forget { entra_id: String },
    /// A pushed group and its members.
    Group(OwnedGroup),
}

/// An open ledger file. Safe to share between the writes of one run.
pub struct Ledger {
    connection: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Ledger {
    /// The ledger file of a profile.
    pub fn path_for(data_dir: &DataDir, profile: &str) -> PathBuf {
        data_dir
            .path()
            .join("ledger")
            .join(format!("{profile}.sqlite3"))
    }

    /// Opens (creating if needed) the ledger of a profile.
    pub fn for_profile(data_dir: &DataDir, profile: &str) -> Result<Ledger, LedgerError> {
        Ledger::open(&Ledger::path_for(data_dir, profile))
    }

    /// Opens (creating if needed) a ledger file, owner-only, and brings its schema up to date.
    /// A damaged file is refused ([`LedgerError::Damaged`]), never replaced: it owns accounts.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        use crate::sqlite_file::OpenFailure;
        let mut connection = crate::sqlite_file::open(path).map_err(|failure| match failure {
            OpenFailure::Disk { path, source } => LedgerError::Folder { path, source },
            OpenFailure::Damaged { detail } => LedgerError::Damaged {
                path: path.to_path_buf(),
                detail,
            },
            OpenFailure::Sql(error) => LedgerError::Open {
                path: path.to_path_buf(),
                detail: error.to_string(),
            },
        })?;
        migrate(&mut connection, path)?;
        Ok(Ledger {
            connection: Mutex::new(connection),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, LedgerError> {
        Ok(self
            .lock()
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    /// How many accounts the connection owns.
    pub fn account_count(&self) -> Result<usize, LedgerError> {
        let count: i64 = self
            .lock()
            .query_row("SELECT COUNT(*) FROM accounts", [], |row| row.get(0))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Every owned account, by Entra object ID.
    pub fn accounts(&self) -> Result<HashMap<String, OwnedAccount>, LedgerError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT entra_id, target_id, user_name, active, attributes, manager, origin FROM accounts",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?;
        let mut accounts = HashMap::new();
        for row in rows {
            let (entra_id, target_id, user_name, active, attributes, manager, origin) = row?;
            accounts.insert(
                entra_id.clone(),
                OwnedAccount {
                    entra_id,
                    target_id,
                    user_name,
                    active,
                    attributes: serde_json::from_str(&attributes)?,
                    manager,
                    origin: if origin == "adopted" {
                        Origin::Adopted
                    } else {
                        Origin::Created
                    },
                },
            );
        }
        Ok(accounts)
    }

    /// Every pushed group, by Entra object ID.
    pub fn groups(&self) -> Result<HashMap<String, OwnedGroup>, LedgerError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare("SELECT entra_id, target_id, display_name, members FROM groups")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut groups = HashMap::new();
        for row in rows {
            let (entra_id, target_id, display_name, members) = row?;
            groups.insert(
                entra_id.clone(),
                OwnedGroup {
                    entra_id,
                    target_id,
                    display_name,
                    members: serde_json::from_str(&members)?,
                },
            );
        }
        Ok(groups)
    }

    /// Applies one change outside the journal (tests, and the resolution of open intents).
    pub fn change(
        &self,
        change: &LedgerChange,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LedgerError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        apply_change(&transaction, change, at)?;
        transaction.commit()?;
        Ok(())
    }
}

fn migrate(connection: &mut Connection, path: &Path) -> Result<(), LedgerError> {
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(LedgerError::TooNew {
            path: path.to_path_buf(),
            found,
        });
    }
    let transaction = connection.transaction()?;
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(index).unwrap_or(i64::MAX) + 1;
        if version > found {
            transaction.execute_batch(migration)?;
            transaction.pragma_update(None, "user_version", version)?;
        }
    }
    transaction.commit()?;
    Ok(())
}

/// Writes one change inside an open transaction.
pub(crate) fn apply_change(
    transaction: &rusqlite::Transaction<'_>,
    change: &LedgerChange,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), LedgerError> {
    let stamp = timestamp(at);
    match change {
        LedgerChange::Nothing => {}
        LedgerChange::Own(account) => {
            // A platform ID owned under another Entra ID means that row is stale.
            transaction
                .prepare_cached("DELETE FROM accounts WHERE target_id = ?1 AND entra_id <> ?2")?
                .execute(params![account.target_id, account.entra_id])?;
            transaction.prepare_cached("INSERT INTO accounts (entra_id, target_id, user_name, active, attributes, manager, origin, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(entra_id) DO UPDATE SET target_id = excluded.target_id,
                    user_name = excluded.user_name, active = excluded.active,
                    attributes = excluded.attributes, manager = excluded.manager,
                    origin = excluded.origin, changed_at = excluded.changed_at")?.execute(params![
                    account.entra_id,
                    account.target_id,
                    account.user_name,
                    account.active,
                    serde_json::to_string(&account.attributes)?,
                    account.manager,
                    account.origin.as_str(),
                    stamp
                ])?;
        }
        LedgerChange::Written {
            entra_id,
            user_name,
            active,
            attributes,
        } => {
            transaction.prepare_cached("UPDATE accounts SET user_name = ?2, active = ?3, attributes = ?4, changed_at = ?5 WHERE entra_id = ?1")?.execute(params![
                    entra_id,
                    user_name,
                    active,
                    serde_json::to_string(attributes)?,
                    stamp
                ])?;
        }
        LedgerChange::Manager { entra_id, manager } => {
            transaction
                .prepare_cached(
                    "UPDATE accounts SET manager = ?2, changed_at = ?3 WHERE entra_id = ?1",
                )?
                .execute(params![entra_id, manager, stamp])?;
        }
        LedgerChange::Forget { entra_id } => {
            transaction
                .prepare_cached("DELETE FROM accounts WHERE entra_id = ?1")?
                .execute(params![entra_id])?;
        }
        LedgerChange::Group(group) => {
            transaction.prepare_cached("INSERT OR REPLACE INTO groups (entra_id, target_id, display_name, members) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
                    group.entra_id,
                    group.target_id,
                    group.display_name,
                    serde_json::to_string(&group.members)?
                ])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_accounts_survive_reopening_and_a_newer_file_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("ledger").join("p.sqlite3");
        let ledger = Ledger::open(&path).unwrap();
        let mut attributes = Attributes::new();
        attributes.insert("displayName".into(), "Zoë".into());
        let account = OwnedAccount {
            entra_id: "e1".into(),
            target_id: "t1".into(),
            user_name: "zoe@contoso.com".into(),
            active: true,
            attributes,
            manager: None,
            origin: Origin::Adopted,
        };
        ledger
            .change(&LedgerChange::Own(account.clone()), chrono::Utc::now())
            .unwrap();
        drop(ledger);
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.accounts().unwrap()["e1"], account);
        ledger
            .lock()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(ledger);
        assert!(matches!(
            Ledger::open(&path),
            Err(LedgerError::TooNew { .. })
        ));
    }
}
