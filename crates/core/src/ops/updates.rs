//! Whether Rollcall may be updated now: never while a read or sync runs, whether it was
//! started in this window or is a scheduled run in another process (which holds its
//! connection's run lock), so an update never replaces the program under a running sync.

use std::path::Path;

use super::run_lock::running_since;
use super::{ErrorCode, OpError, OpResult, Workspace};
use crate::profile::check_name;

/// What is going on now that an update waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunningNow {
    /// A read (preview or sync) started in this window.
    InThisWindow,
    /// A sync or undo of `connection` holds its run lock: started in this window, or a
    /// scheduled or command-line run in another process.
    Sync { connection: String },
}

impl Workspace {
    /// The read or sync going on now, if any: one started in this process, else any
    /// connection whose run lock is held (by this process or another).
    pub fn running_now(&self) -> Option<RunningNow> {
        if self.reads().is_busy() {
            return Some(RunningNow::InThisWindow);
        }
        held_run_locks(&self.data_dir().locks())
            .into_iter()
            .next()
            .map(|connection| RunningNow::Sync { connection })
    }

    /// Refuses (as `Busy`, in words for the admin) while a read or sync runs; an update is
    /// installed, and Rollcall restarted, only when nothing is.
    pub fn may_update_now(&self) -> OpResult<()> {
        match self.running_now() {
            None => Ok(()),
            Some(running) => Err(OpError::new(ErrorCode::Busy, update_waits(&running))),
        }
    }
}

/// The sentence for an update held back by `running`.
fn update_waits(running: &RunningNow) -> String {
    let what = match running {
        RunningNow::InThisWindow => "A sync or a read of Entra is running".to_string(),
        RunningNow::Sync { connection } => format!("A sync of \"{connection}\" is running"),
    };
    format!(
        "{what}, so the update was not installed. It will be offered again when the sync finishes; nothing was changed."
    )
}

/// The connections whose run lock in `folder` is held now, by name.
fn held_run_locks(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut held: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            if path.extension().is_none_or(|ending| ending != "lock") {
                return None;
            }
            let name = path.file_stem()?.to_str()?.to_string();
            (check_name(&name).is_ok() && running_since(folder, &name).is_some()).then_some(name)
        })
        .collect();
    held.sort();
    held
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;

    use super::*;
    use crate::data_dir::{DataDir, Mode};
    use crate::graph::CancelToken;
    use crate::ops::RunLock;
    use crate::secret::MemoryKeychain;

    fn workspace(folder: &Path) -> Workspace {
        let data_dir = DataDir::at(folder.to_path_buf(), Mode::Real);
        Workspace::new(data_dir, Arc::new(MemoryKeychain::new()))
    }

    #[test]
    fn an_update_waits_for_a_run_holding_its_lock_and_goes_ahead_after() {
        let folder = tempfile::tempdir().unwrap();
        let ws = workspace(folder.path());
        assert_eq!(ws.running_now(), None);
        assert!(
            ws.may_update_now().is_ok(),
            "nothing runs: the update may go ahead"
        );

        // What a scheduled run in another process holds while it syncs.
        let lock = RunLock::take(&ws.data_dir().locks(), "school", Utc::now()).unwrap();
        assert_eq!(
            ws.running_now(),
            Some(RunningNow::Sync {
                connection: "school".into()
            })
        );
        let refused = ws.may_update_now().unwrap_err();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(
            refused.message.contains("A sync of \"school\" is running")
                && refused
                    .message
                    .contains("offered again when the sync finishes"),
            "{}",
            refused.message
        );

        drop(lock);
        assert_eq!(
            ws.running_now(),
            None,
            "a finished run no longer holds it back"
        );
        assert!(ws.may_update_now().is_ok());
    }

    #[test]
    fn an_update_waits_for_a_read_started_in_this_window() {
        let folder = tempfile::tempdir().unwrap();
        let ws = workspace(folder.path());
        let running = ws.reads().begin(CancelToken::new());
        assert_eq!(ws.running_now(), Some(RunningNow::InThisWindow));
        let refused = ws.may_update_now().unwrap_err();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(
            refused
                .message
                .starts_with("A sync or a read of Entra is running")
        );
        drop(running);
        assert!(ws.may_update_now().is_ok());
    }

    #[test]
    fn a_lock_file_left_by_a_finished_run_holds_nothing_back() {
        let folder = tempfile::tempdir().unwrap();
        let ws = workspace(folder.path());
        drop(RunLock::take(&ws.data_dir().locks(), "school", Utc::now()).unwrap());
        std::fs::write(ws.data_dir().locks().join("notes.txt"), "not a lock").unwrap();
        assert!(ws.data_dir().locks().join("school.lock").exists());
        assert_eq!(ws.running_now(), None);
    }
}
