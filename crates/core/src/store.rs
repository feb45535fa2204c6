//! The local cache: one SQLite file per profile (`cache/<profile>.sqlite3` in the data
//! directory) holding the last snapshot of the directory in scope (groups, memberships,
//! people), the delta links that continue from it, and the status of the last read. A
//! snapshot is only ever replaced or changed inside one transaction, so a read that fails or
//! is cancelled leaves the previous snapshot whole. Migrations are numbered by
//! `PRAGMA user_version`. Never holds a secret.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::data_dir::DataDir;
pub use crate::records::ReadProblem;
use crate::records::{DirectorySnapshot, GroupRecord, Member, MemberKind, UserDetails, UserRecord};

/// The schema this code writes; older files are migrated up to it on open.
pub const SCHEMA_VERSION: i64 = 4;

const MIGRATIONS: &[&str] = &[
    // 1: the snapshot, delta links and read status.
    "CREATE TABLE users (
        id TEXT PRIMARY KEY,
        user_principal_name TEXT NOT NULL,
        mail TEXT,
        display_name TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        user_type TEXT,
        employee_id TEXT,
        department TEXT,
        manager_id TEXT
    );
    CREATE TABLE groups (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL
    );
    CREATE TABLE memberships (
        group_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        member_kind TEXT NOT NULL,
        PRIMARY KEY (group_id, member_id)
    ) WITHOUT ROWID;
    CREATE INDEX memberships_by_member ON memberships (member_id);
    CREATE TABLE delta_links (
        resource TEXT PRIMARY KEY,
        link TEXT NOT NULL
    );
    CREATE TABLE snapshot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        scope_key TEXT NOT NULL,
        read_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        problems TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE read_status (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        complete INTEGER NOT NULL,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        message TEXT,
        requests INTEGER NOT NULL DEFAULT 0
    );",
    // 2: what the last complete read of each kind cost, so the next one can say how long
    // it has left.
    "CREATE TABLE read_costs (
        kind TEXT PRIMARY KEY,
        scope_key TEXT NOT NULL,
        requests INTEGER NOT NULL
    );",
    // 3: the further properties a sync maps, as one JSON object per person.
    "ALTER TABLE users ADD COLUMN details TEXT NOT NULL DEFAULT '{}';",
    // 4: notices for the next preview or sync (a damaged cache set aside).
    "CREATE TABLE notices (
        code TEXT PRIMARY KEY,
        message TEXT NOT NULL
    );",
];

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "Could not create the cache folder {path}: {source}. Check that the data folder is writable, or choose another with --data-dir."
    )]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "The cache {path} could not be opened: {detail}. Close other Rollcall windows; if it persists, delete the file and read the directory again."
    )]
    Open { path: PathBuf, detail: String },
    #[error(
        "The cache {path} was written by a newer Rollcall (schema {found}, this one knows {SCHEMA_VERSION}). Update Rollcall, or delete the file to read the directory again."
    )]
    TooNew { path: PathBuf, found: i64 },
    #[error(
        "The cache could not be read or written: {0}. Read the directory again; if it persists, delete the cache file."
    )]
    Sql(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Sql(error.to_string())
    }
}

/// Where the delta rounds continue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeltaLinks {
    pub users: String,
    pub groups: String,
}

/// Full or incremental.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    Full,
    Delta,
}

impl ReadKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReadKind::Full => "full",
            ReadKind::Delta => "delta",
        }
    }

    fn parse(text: &str) -> ReadKind {
        if text == "delta" {
            ReadKind::Delta
        } else {
            ReadKind::Full
        }
    }
}

/// The last read attempt, as the preview and the sync see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadStatus {
    /// True when the last read finished and its snapshot is the one stored.
    pub complete: bool,
    pub kind: ReadKind,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Why the last read did not finish, when it did not.
    pub message: Option<String>,
    pub requests: u64,
}

/// Changes to apply to the stored snapshot in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// People to add or update; `manager_known: false` keeps the stored manager.
    pub users: Vec<(UserRecord, bool)>,
    pub delete_users: Vec<String>,
    pub groups: Vec<(String, String)>,
    pub delete_groups: Vec<String>,
    pub add_members: Vec<(String, Member)>,
    pub remove_members: Vec<(String, String)>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.delete_users.is_empty()
            && self.groups.is_empty()
            && self.delete_groups.is_empty()
            && self.add_members.is_empty()
            && self.remove_members.is_empty()
    }
}

/// The stored groups and how they nest, without the people: enough to apply changes.
#[derive(Debug, Clone, Default)]
pub struct Structure {
    pub groups: BTreeMap<String, String>,
    /// Parent group → child groups.
    pub nesting: HashMap<String, HashSet<String>>,
    pub users: HashSet<String>,
}

/// An open cache file.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn open_failure(path: &Path, failure: crate::sqlite_file::OpenFailure) -> StoreError {
    use crate::sqlite_file::OpenFailure;
    match failure {
        OpenFailure::Disk { path, source } => StoreError::Folder { path, source },
        OpenFailure::Damaged { detail } => StoreError::Open {
            path: path.to_path_buf(),
            detail: format!("it is damaged ({detail})"),
        },
        OpenFailure::Sql(error) => StoreError::Open {
            path: path.to_path_buf(),
            detail: error.to_string(),
        },
    }
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    crate::sqlite_file::open(path).map_err(|failure| open_failure(path, failure))
}

/// Renames the damaged cache `path` (and its `-wal` and `-shm` files) to
/// `<name>.damaged-<UTC time>`, numbered when that name is taken; returns the new name.
fn set_aside(path: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let named = |suffix: &str| {
        let mut name = path.as_os_str().to_os_string();
        name.push(format!(".damaged-{stamp}{suffix}"));
        PathBuf::from(name)
    };
    let mut kept = named("");
    let mut number = 1;
    while kept.exists() {
        number += 1;
        kept = named(&format!("-{number}"));
    }
    let companions = crate::data_dir::database_companions(path);
    let kept_companions = crate::data_dir::database_companions(&kept);
    std::fs::rename(path, &kept)?;
    for (companion, kept_companion) in companions.iter().zip(kept_companions.iter()) {
        if companion.exists() {
            std::fs::rename(companion, kept_companion)?;
        }
    }
    Ok(kept)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// The cache file of a profile.
    pub fn path_for(data_dir: &DataDir, profile: &str) -> PathBuf {
        data_dir
            .path()
            .join("cache")
            .join(format!("{profile}.sqlite3"))
    }

    /// Opens (creating if needed) the cache of a profile. See [`Store::open_at`].
    pub fn for_profile(data_dir: &DataDir, profile: &str) -> Result<Store, StoreError> {
        Store::open(&Store::path_for(data_dir, profile))
    }

    /// Opens the cache of a profile, setting a damaged one aside as of `now`.
    pub fn for_profile_at(
        data_dir: &DataDir,
        profile: &str,
        now: DateTime<Utc>,
    ) -> Result<Store, StoreError> {
        Store::open_at(&Store::path_for(data_dir, profile), now)
    }

    /// Opens (creating if needed) a cache file as of the system clock. See [`Store::open_at`].
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_at(path, Utc::now())
    }

    /// Opens (creating if needed) a cache file, owner-only, and brings its schema up to
    /// date. A file that is damaged (or not a database at all) is set aside, renamed
    /// `<name>.damaged-<UTC time>` with its `-wal` and `-shm` files, and an empty cache takes
    /// its place, holding a notice for the next preview or sync ([`Store::take_notices`]).
    /// The cache can always be read again from Entra, so nothing is lost but time.
    pub fn open_at(path: &Path, now: DateTime<Utc>) -> Result<Store, StoreError> {
        let connection = match crate::sqlite_file::open(path) {
            Ok(connection) => connection,
            Err(crate::sqlite_file::OpenFailure::Damaged { .. }) => {
                let kept = set_aside(path, now).map_err(|error| StoreError::Open {
                    path: path.to_path_buf(),
                    detail: format!(
                        "it is damaged and could not be set aside ({error}). Close Rollcall, move the file elsewhere, and read the directory again"
                    ),
                })?;
                let mut store = Store::from_connection(path, open_connection(path)?)?;
                store.record_set_aside(&kept)?;
                return Ok(store);
            }
            Err(failure) => return Err(open_failure(path, failure)),
        };
        Store::from_connection(path, connection)
    }

    fn from_connection(path: &Path, connection: Connection) -> Result<Store, StoreError> {
        let mut store = Store {
            connection,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn record_set_aside(&mut self, kept: &Path) -> Result<(), StoreError> {
        tracing::warn!(kept = %kept.display(), "the cache was damaged; it was set aside and starts empty");
        let name = kept
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.connection.execute(
            "INSERT OR REPLACE INTO notices (code, message) VALUES ('cache_set_aside', ?1)",
            params![format!(
                "The saved copy of your directory was damaged, so Rollcall set it aside and read everything again. The damaged copy is kept beside the new one as {name}; you may delete it."
            )],
        )?;
        Ok(())
    }

    /// The notices waiting for the next preview or sync (a damaged cache set aside), which
    /// are forgotten once taken.
    pub fn take_notices(&self) -> Result<Vec<ReadProblem>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT code, message FROM notices ORDER BY code")?;
        let notices = statement
            .query_map([], |row| {
                Ok(ReadProblem {
                    code: row.get(0)?,
                    message: row.get(1)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        self.connection.execute("DELETE FROM notices", [])?;
        Ok(notices)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .connection
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
            });
        }
        let transaction = self.connection.transaction()?;
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

    /// How many requests the last complete read of `kind` for `scope_key` took, or `None`
    /// when there was none (or it was for another scope): the yardstick for "time left".
    pub fn read_cost(&self, kind: ReadKind, scope_key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT requests FROM read_costs WHERE kind = ?1 AND scope_key = ?2",
                params![kind.as_str(), scope_key],
                |row| row.get::<_, i64>(0),
            )
            .optional()?
            .map(|requests| u64::try_from(requests).unwrap_or(0)))
    }

    /// The last read attempt, or `None` before the first.
    pub fn status(&self) -> Result<Option<ReadStatus>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT complete, kind, started_at, finished_at, message, requests FROM read_status WHERE id = 1",
                [],
                |row| {
                    Ok(ReadStatus {
                        complete: row.get::<_, i64>(0)? != 0,
                        kind: ReadKind::parse(&row.get::<_, String>(1)?),
                        started_at: row.get(2)?,
                        finished_at: row.get(3)?,
                        message: row.get(4)?,
                        requests: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
                    })
                },
            )
            .optional()?)
    }

    /// Records that a read began: until it finishes, the cache counts as incomplete (so a
    /// read that is killed outright is still seen as unfinished).
    pub fn begin_read(&self, kind: ReadKind, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO read_status (id, complete, kind, started_at, finished_at, message, requests)
             VALUES (1, 0, ?1, ?2, NULL, 'The read has not finished.', 0)
             ON CONFLICT(id) DO UPDATE SET complete = 0, kind = ?1, started_at = ?2,
                finished_at = NULL, message = 'The read has not finished.', requests = 0",
            params![kind.as_str(), timestamp(at)],
        )?;
        Ok(())
    }

    /// Records why a read did not finish; the snapshot is left as it was.
    pub fn fail_read(
        &self,
        message: &str,
        requests: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE read_status SET complete = 0, finished_at = ?1, message = ?2, requests = ?3 WHERE id = 1",
            params![timestamp(at), message, i64::try_from(requests).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    /// People whose name, sign-in name or email contains `text` (case-insensitive), by
    /// name, at most `limit`: (object ID, display name, user principal name).
    pub fn find_people(
        &self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let pattern = format!(
            "%{}%",
            text.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut statement = self.connection.prepare(
            "SELECT id, display_name, user_principal_name FROM users
             WHERE display_name LIKE ?1 ESCAPE '\\' OR user_principal_name LIKE ?1 ESCAPE '\\'
                OR mail LIKE ?1 ESCAPE '\\'
             ORDER BY display_name LIMIT ?2",
        )?;
        let rows = statement.query_map(
            params![pattern, i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        let mut people = Vec::new();
        for row in rows {
            people.push(row?);
        }
        Ok(people)
    }

    /// The scope key and problems of the stored snapshot, if there is one.
    pub fn snapshot_info(&self) -> Result<Option<(String, Vec<ReadProblem>)>, StoreError> {
        let row: Option<(String, String)> = self
            .connection
            .query_row(
                "SELECT scope_key, problems FROM snapshot WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(key, problems)| (key, serde_json::from_str(&problems).unwrap_or_default())))
    }

    pub fn delta_links(&self) -> Result<Option<DeltaLinks>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT resource, link FROM delta_links")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut links: HashMap<String, String> = HashMap::new();
        for row in rows {
            let (resource, link) = row?;
            links.insert(resource, link);
        }
        Ok(match (links.remove("users"), links.remove("groups")) {
            (Some(users), Some(groups)) => Some(DeltaLinks { users, groups }),
            _ => None,
        })
    }

    /// Replaces the whole snapshot in one transaction and marks the read complete.
    pub fn replace_snapshot(
        &mut self,
        snapshot: DirectorySnapshot,
        links: &DeltaLinks,
        scope_key: &str,
        requests: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        // The by-member index is built once after the rows are in, which at school scale
        // is several times faster than keeping it up to date row by row.
        transaction.execute_batch(
            "DELETE FROM users; DELETE FROM groups; DELETE FROM memberships; DELETE FROM delta_links;
             DROP INDEX IF EXISTS memberships_by_member;",
        )?;
        {
            let mut insert_user = transaction.prepare(&format!(
                "INSERT INTO users ({}) VALUES ({})",
                UserRow::COLUMNS.join(", "),
                UserRow::placeholders()
            ))?;
            // In id order, so the primary key's pages fill one after another.
            let mut users: Vec<&UserRecord> = snapshot.users.values().collect();
            users.sort_unstable_by(|a, b| a.id.cmp(&b.id));
            for user in users {
                insert_user.execute(UserRow::params(user).as_slice())?;
            }
            let mut insert_group =
                transaction.prepare("INSERT INTO groups (id, display_name) VALUES (?1, ?2)")?;
            let mut insert_member = transaction.prepare(
                "INSERT OR IGNORE INTO memberships (group_id, member_id, member_kind) VALUES (?1, ?2, ?3)",
            )?;
            for group in snapshot.groups.values() {
                insert_group.execute(params![group.id, group.display_name])?;
                for member in &group.members {
                    insert_member.execute(params![group.id, member.id, member.kind.as_str()])?;
                }
            }
        }
        transaction
            .execute_batch("CREATE INDEX memberships_by_member ON memberships (member_id);")?;
        write_links(&transaction, links)?;
        write_snapshot_row(
            &transaction,
            scope_key,
            &snapshot.problems,
            ReadKind::Full,
            at,
        )?;
        finish_status(&transaction, ReadKind::Full, scope_key, requests, at)?;
        // The records are handed back to the allocator on a thread of their own while the
        // commit writes the file: at school scale each takes a few tenths of a second. The
        // thread is joined before this returns, so the memory is free by then.
        std::thread::scope(|threads| {
            // When no thread can be started, the snapshot is dropped here instead.
            let _ = std::thread::Builder::new()
                .name("free-snapshot".into())
                .spawn_scoped(threads, move || drop(snapshot));
            transaction.commit()
        })?;
        Ok(())
    }

    /// Applies incremental changes in one transaction, drops groups no longer reachable and
    /// people no longer in any stored group, and marks the read complete.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_changes(
        &mut self,
        changes: &ChangeSet,
        unreachable_groups: &[String],
        problems: &[ReadProblem],
        links: &DeltaLinks,
        scope_key: &str,
        requests: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        {
            // The manager is only replaced when the change says what it is now.
            let updates: Vec<String> = UserRow::COLUMNS
                .iter()
                .filter(|column| !matches!(**column, "id" | "manager_id"))
                .map(|column| format!("{column} = excluded.{column}"))
                .collect();
            let known = UserRow::COLUMNS.len() + 1;
            let mut upsert_user = transaction.prepare(&format!(
                "INSERT INTO users ({}) VALUES ({})
                 ON CONFLICT(id) DO UPDATE SET {},
                    manager_id = CASE WHEN ?{known} THEN excluded.manager_id ELSE users.manager_id END",
                UserRow::COLUMNS.join(", "),
                UserRow::placeholders(),
                updates.join(", ")
            ))?;
            for (user, manager_known) in &changes.users {
                let mut values = UserRow::params(user);
                values.push(manager_known);
                upsert_user.execute(values.as_slice())?;
            }
            let mut upsert_group = transaction.prepare(
                "INSERT INTO groups (id, display_name) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name",
            )?;
            for (id, name) in &changes.groups {
                upsert_group.execute(params![id, name])?;
            }
            let mut add_member = transaction.prepare(
                "INSERT OR REPLACE INTO memberships (group_id, member_id, member_kind) VALUES (?1, ?2, ?3)",
            )?;
            for (group, member) in &changes.add_members {
                add_member.execute(params![group, member.id, member.kind.as_str()])?;
            }
            let mut remove_member = transaction
                .prepare("DELETE FROM memberships WHERE group_id = ?1 AND member_id = ?2")?;
            for (group, member) in &changes.remove_members {
                remove_member.execute(params![group, member])?;
            }
            let mut delete_user = transaction.prepare("DELETE FROM users WHERE id = ?1")?;
            let mut delete_user_memberships =
                transaction.prepare("DELETE FROM memberships WHERE member_id = ?1")?;
            for id in &changes.delete_users {
                delete_user.execute(params![id])?;
                delete_user_memberships.execute(params![id])?;
            }
            let mut delete_group = transaction.prepare("DELETE FROM groups WHERE id = ?1")?;
            let mut delete_group_memberships =
                transaction.prepare("DELETE FROM memberships WHERE group_id = ?1")?;
            for id in changes.delete_groups.iter().chain(unreachable_groups) {
                delete_group.execute(params![id])?;
                delete_group_memberships.execute(params![id])?;
            }
        }
        transaction.execute(
            "DELETE FROM users WHERE id NOT IN (SELECT member_id FROM memberships WHERE member_kind = 'user')",
            [],
        )?;
        write_links(&transaction, links)?;
        write_snapshot_row(&transaction, scope_key, problems, ReadKind::Delta, at)?;
        finish_status(&transaction, ReadKind::Delta, scope_key, requests, at)?;
        transaction.commit()?;
        Ok(())
    }

    /// The stored groups, their nesting and the ids of stored people.
    pub fn structure(&self) -> Result<Structure, StoreError> {
        let mut structure = Structure::default();
        let mut groups = self
            .connection
            .prepare("SELECT id, display_name FROM groups")?;
        for row in groups.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))? {
            let (id, name): (String, String) = row?;
            structure.groups.insert(id, name);
        }
        let mut nesting = self
            .connection
            .prepare("SELECT group_id, member_id FROM memberships WHERE member_kind = 'group'")?;
        for row in nesting.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))? {
            let (parent, child): (String, String) = row?;
            structure.nesting.entry(parent).or_default().insert(child);
        }
        let mut users = self.connection.prepare("SELECT id FROM users")?;
        for row in users.query_map([], |row| row.get::<_, String>(0))? {
            structure.users.insert(row?);
        }
        Ok(structure)
    }

    /// How many people are stored.
    pub fn user_count(&self) -> Result<usize, StoreError> {
        let count: i64 = self
            .connection
            .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// The whole stored snapshot.
    pub fn snapshot(&self) -> Result<DirectorySnapshot, StoreError> {
        self.snapshot_with(Details::Read)
    }

    /// The stored snapshot, with each person's further properties read or left empty
    /// (the preview needs none of them, and at school scale they are most of the memory).
    pub fn snapshot_with(&self, details: Details) -> Result<DirectorySnapshot, StoreError> {
        let mut snapshot = DirectorySnapshot::default();
        let columns = UserRow::COLUMNS.map(|column| match (column, details) {
            ("details", Details::Leave) => "'{}'",
            (column, _) => column,
        });
        let mut users = self
            .connection
            .prepare(&format!("SELECT {} FROM users", columns.join(", ")))?;
        for row in users.query_map([], UserRow::read)? {
            let user = row?;
            snapshot.users.insert(user.id.clone(), user);
        }
        let mut groups = self
            .connection
            .prepare("SELECT id, display_name FROM groups")?;
        for row in groups.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))? {
            let (id, display_name): (String, String) = row?;
            snapshot.groups.insert(
                id.clone(),
                GroupRecord {
                    id,
                    display_name,
                    members: Vec::new(),
                },
            );
        }
        let mut members = self.connection.prepare(
            "SELECT group_id, member_id, member_kind FROM memberships ORDER BY group_id, member_id",
        )?;
        for row in members.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })? {
            let (group, id, kind) = row?;
            if let Some(group) = snapshot.groups.get_mut(&group) {
                group.members.push(Member {
                    id,
                    kind: MemberKind::parse(&kind),
                });
            }
        }
        if let Some((_, problems)) = self.snapshot_info()? {
            snapshot.problems = problems;
        }
        Ok(snapshot)
    }
}

/// Whether a snapshot read from the cache carries each person's further properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Details {
    Read,
    Leave,
}

/// A person's row in `users`: the columns written once, bound and read in this order.
struct UserRow;

impl UserRow {
    const COLUMNS: [&'static str; 10] = [
        "id",
        "user_principal_name",
        "mail",
        "display_name",
        "enabled",
        "user_type",
        "employee_id",
        "department",
        "manager_id",
        "details",
    ];

    /// `?1, ?2, …` for every column.
    fn placeholders() -> String {
        (1..=Self::COLUMNS.len())
            .map(|n| format!("?{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The values of [`UserRow::COLUMNS`] for one person.
    fn params(user: &UserRecord) -> Vec<&dyn rusqlite::ToSql> {
        vec![
            &user.id,
            &user.user_principal_name,
            &user.mail,
            &user.display_name,
            &user.enabled,
            &user.user_type,
            &user.employee_id,
            &user.department,
            &user.manager_id,
            &user.details,
        ]
    }

    /// A person from a row selected with [`UserRow::COLUMNS`].
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
        Ok(UserRecord {
            id: row.get(0)?,
            user_principal_name: row.get(1)?,
            mail: row.get(2)?,
            display_name: row.get(3)?,
            enabled: row.get(4)?,
            user_type: row.get(5)?,
            employee_id: row.get(6)?,
            department: row.get(7)?,
            manager_id: row.get(8)?,
            details: row.get(9)?,
        })
    }
}

/// A person's further properties are stored as one JSON object.
impl rusqlite::types::ToSql for UserDetails {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        serde_json::to_string(self)
            .map(rusqlite::types::ToSqlOutput::from)
            .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))
    }
}

impl rusqlite::types::FromSql for UserDetails {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        Ok(serde_json::from_str(value.as_str()?).unwrap_or_default())
    }
}

fn write_links(
    transaction: &rusqlite::Transaction<'_>,
    links: &DeltaLinks,
) -> Result<(), StoreError> {
    transaction.execute(
        "INSERT OR REPLACE INTO delta_links (resource, link) VALUES ('users', ?1), ('groups', ?2)",
        params![links.users, links.groups],
    )?;
    Ok(())
}

fn write_snapshot_row(
    transaction: &rusqlite::Transaction<'_>,
    scope_key: &str,
    problems: &[ReadProblem],
    kind: ReadKind,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let problems =
        serde_json::to_string(problems).map_err(|error| StoreError::Sql(error.to_string()))?;
    transaction.execute(
        "INSERT OR REPLACE INTO snapshot (id, scope_key, read_at, kind, problems) VALUES (1, ?1, ?2, ?3, ?4)",
        params![scope_key, timestamp(at), kind.as_str(), problems],
    )?;
    Ok(())
}

fn finish_status(
    transaction: &rusqlite::Transaction<'_>,
    kind: ReadKind,
    scope_key: &str,
    requests: u64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let stamp = timestamp(at);
    let requests = i64::try_from(requests).unwrap_or(i64::MAX);
    transaction.execute(
        "INSERT OR REPLACE INTO read_costs (kind, scope_key, requests) VALUES (?1, ?2, ?3)",
        params![kind.as_str(), scope_key, requests],
    )?;
    transaction.execute(
        "INSERT INTO read_status (id, complete, kind, started_at, finished_at, message, requests)
         VALUES (1, 1, ?1, ?2, ?2, NULL, ?3)
         ON CONFLICT(id) DO UPDATE SET complete = 1, kind = ?1, finished_at = ?2, message = NULL, requests = ?3",
        params![kind.as_str(), stamp, requests],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_a_new_file_and_refuses_a_newer_one() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("cache").join("p.sqlite3");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(store.status().unwrap().is_none());
        store
            .connection
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(store);
        assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
    }
}
