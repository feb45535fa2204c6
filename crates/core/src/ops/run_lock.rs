//! One run at a time per connection: a sync or undo holds `locks/<name>.lock` in the data
//! folder for as long as it runs. The lock is the operating system's file lock, released
//! when the holder ends however it ends, so a crashed run never leaves it stuck. A second
//! run is refused as `Busy`; a scheduled one records in the history that it skipped.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use chrono::{DateTime, Local, Utc};

use super::{ErrorCode, OpError, OpResult, Workspace};
use crate::history::Trigger;
use crate::ledger::{Ledger, timestamp};
use crate::profile::check_name;

/// A held run lock; the lock is let go when this is dropped (or the process ends).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Why a run lock was not taken.
#[derive(Debug)]
pub enum LockRefused {
    /// Another run holds it; it started then, when it said.
    Held { started_at: Option<DateTime<Utc>> },
    /// The lock file could not be opened.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl RunLock {
    /// Takes the lock of connection `name` in `folder`, noting `now` as when this run started.
    pub fn take(
        folder: &std::path::Path,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<RunLock, LockRefused> {
        let path = folder.join(format!("{name}.lock"));
        let io = |error: std::io::Error| LockRefused::Io {
            path: path.clone(),
            error,
        };
        crate::data_dir::create_private_dir(folder).map_err(io)?;
        crate::data_dir::keep_private_file(&path).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockRefused::Held {
                    started_at: started_at_in(&mut file),
                });
            }
            Err(TryLockError::Error(error)) => return Err(io(error)),
        }
        // Only the holder writes, so a reader never sees a half-written time for long.
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(timestamp(now).as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(RunLock { _file: file })
    }
}

/// Whether the lock of `name` in `folder` is held now, and since when; without taking it
/// for longer than a look.
pub fn running_since(folder: &std::path::Path, name: &str) -> Option<Option<DateTime<Utc>>> {
    let mut file = File::open(folder.join(format!("{name}.lock"))).ok()?;
    match file.try_lock() {
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => Some(started_at_in(&mut file)),
        Err(TryLockError::Error(_)) => None,
    }
}

fn started_at_in(file: &mut File) -> Option<DateTime<Utc>> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// The admin's sentence for a connection that is busy.
fn busy_message(name: &str, started_at: Option<DateTime<Utc>>) -> String {
    let since = started_at
        .map(|at| format!(" (started at {})", at.with_timezone(&Local).format("%H:%M")))
        .unwrap_or_default();
    format!("A sync of \"{name}\" is already running{since}. Wait for it to finish.")
}

impl Workspace {
    /// Takes the run lock of `profile` for a run started by `trigger`. When another run holds
    /// it, the run is refused as `Busy`; a scheduled run first records in the connection's
    /// history that it skipped, so no scheduled run disappears without a trace.
    pub(crate) fn take_run_lock(&self, profile: &str, trigger: Trigger) -> OpResult<RunLock> {
        // Only a connection that exists gets a lock file (and, when busy, a history entry).
        self.profile(profile)?;
        let now = self.clock().now();
        match RunLock::take(&self.data_dir().locks(), profile, now) {
            Ok(lock) => Ok(lock),
            Err(LockRefused::Held { started_at }) => {
                let message = busy_message(profile, started_at);
                if trigger == Trigger::Schedule {
                    let ledger = Ledger::for_profile(self.data_dir(), profile)
                        .map_err(|error| OpError::new(ErrorCode::Ledger, error.to_string()))?;
                    ledger
                        .record_skipped_run(trigger, &format!("Skipped: {message}"), now)
                        .map_err(|error| OpError::new(ErrorCode::Ledger, error.to_string()))?;
                }
                Err(OpError::new(ErrorCode::Busy, message))
            }
            Err(LockRefused::Io { path, error }) => Err(OpError::new(
                ErrorCode::DataFolder,
                format!(
                    "Rollcall could not open {} to make sure only one sync of \"{profile}\" runs at a time: {error}. Check that the data folder is writable.",
                    path.display()
                ),
            )),
        }
    }

    /// Whether a run of `profile` is going on now (its lock is held).
    pub fn is_running(&self, profile: &str) -> bool {
        check_name(profile).is_ok() && running_since(&self.data_dir().locks(), profile).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_let_go() {
        let folder = tempfile::tempdir().unwrap();
        let started = DateTime::parse_from_rfc3339("2026-12-02T09:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let first = RunLock::take(folder.path(), "school", started).unwrap();
        match RunLock::take(folder.path(), "school", Utc::now()) {
            Err(LockRefused::Held { started_at }) => assert_eq!(started_at, Some(started)),
            other => panic!("not refused: {other:?}"),
        }
        assert_eq!(running_since(folder.path(), "school"), Some(Some(started)));
        assert!(RunLock::take(folder.path(), "other", Utc::now()).is_ok());
        drop(first);
        assert_eq!(running_since(folder.path(), "school"), None);
        assert!(RunLock::take(folder.path(), "school", Utc::now()).is_ok());
    }
}
