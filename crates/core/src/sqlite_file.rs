//! Opening Rollcall's SQLite files (the cache and the ledger) the one way: owner-only, in
//! WAL mode, and checked for damage (`PRAGMA quick_check`) before anything reads them.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::data_dir::{create_private_dir, keep_private_database};

/// Why a SQLite file could not be opened.
#[derive(Debug)]
pub(crate) enum OpenFailure {
    /// Its folder could not be created, or the file could not be made owner-only.
    Disk {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a database, or the integrity check found it damaged.
    Damaged { detail: String },
    /// Anything else (locked by another program, no space, ...): not a sign of damage.
    Sql(rusqlite::Error),
}

/// Opens (creating if needed) the database `path`: its folder and the file owner-only, WAL
/// journal, a busy timeout, and the quick integrity check.
pub(crate) fn open(path: &Path) -> Result<Connection, OpenFailure> {
    if let Some(folder) = path.parent()
        && !folder.as_os_str().is_empty()
    {
        create_private_dir(folder).map_err(|source| OpenFailure::Disk {
            path: folder.to_path_buf(),
            source,
        })?;
    }
    keep_private_database(path).map_err(|source| OpenFailure::Disk {
        path: path.to_path_buf(),
        source,
    })?;
    let connection = Connection::open(path).map_err(classify)?;
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(classify)?;
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .map_err(classify)?;
    // With WAL, NORMAL keeps every committed transaction when the process is killed; only a
    // power cut may lose the last few.
    connection
        .pragma_update(None, "synchronous", "NORMAL")
        .map_err(classify)?;
    let findings = quick_check(&connection).map_err(classify)?;
    if findings.len() == 1 && findings[0] == "ok" {
        Ok(connection)
    } else {
        Err(OpenFailure::Damaged {
            detail: findings.into_iter().take(3).collect::<Vec<_>>().join("; "),
        })
    }
}

fn quick_check(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare("PRAGMA quick_check")?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
    rows.collect()
}

fn classify(error: rusqlite::Error) -> OpenFailure {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            OpenFailure::Damaged {
                detail: error.to_string(),
            }
        }
        _ => OpenFailure::Sql(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_database_is_damaged_and_a_new_one_is_not() {
        let folder = tempfile::tempdir().unwrap();
        let fresh = folder.path().join("new").join("fresh.sqlite3");
        assert!(open(&fresh).is_ok());
        let garbage = folder.path().join("garbage.sqlite3");
        std::fs::write(&garbage, vec![0x5a_u8; 8192]).unwrap();
        match open(&garbage) {
            Err(OpenFailure::Damaged { detail }) => assert!(!detail.is_empty()),
            other => panic!("{other:?}"),
        }
    }
}
