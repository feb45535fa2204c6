//! The one error every operation returns: a typed [`ErrorCode`] the hosts branch on, and the
//! message the admin reads. The window receives it as `{code, message}`, the command line as
//! the message on stderr and the code's exit status.

use serde::Serialize;

/// What went wrong, as the window and the command line branch on it. Adding a code means
/// adding it to every match below, so no host can forget to explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The saved connection (profile) does not exist.
    ProfileNotFound,
    /// The profile file or its name cannot be used as written.
    ProfileInvalid,
    /// The profile could not be written to disk.
    ProfileWrite,
    /// The data folder cannot be found or created.
    DataFolder,
    /// The keychain refused to store, read or delete a secret.
    Keychain,
    /// A secret (or token) typed or piped in cannot be used.
    SecretInvalid,
    /// The cloud chosen (or a custom cloud's addresses) cannot be used.
    Cloud,
    /// Rollcall could not set up its connection to Entra (no secret stored, bad settings).
    Connect,
    /// The group choice cannot be used (bad ID, too many groups).
    Scope,
    /// A chosen group does not exist in Entra.
    GroupNotFound,
    /// Microsoft Graph refused or failed a request.
    Graph,
    /// The local cache could not be opened or written.
    Cache,
    /// The place chosen for an export cannot be used.
    ExportPath,
    /// The export could not be written.
    Export,
    /// The connection has no learning platform (`[target]`) yet.
    NoTarget,
    /// The learning platform cannot be reached as configured (no token stored, a bad address,
    /// a folder that cannot be written).
    Target,
    /// The ledger of owned accounts and runs could not be opened or written.
    Ledger,
    /// `--only` names nobody in scope or owned.
    NoSuchPerson,
    /// The run named does not exist.
    NoSuchRun,
    /// The run named switched nobody off.
    NothingToUndo,
    /// The connection is switched off, so its schedule does not sync it.
    Disabled,
    /// The work stopped for a reason inside Rollcall (a task ended unexpectedly).
    Stopped,
    /// The learning platform's address cannot be used as typed.
    TargetUrl,
    /// The learning platform's token cannot be used as pasted (or none is stored).
    TargetToken,
    /// The folder chosen for CSV files cannot be written.
    TargetFolder,
    /// A sync or undo of the same connection is already running; or, for an update, any read
    /// or sync (in this window or a scheduled run), which the update waits for.
    Busy,
    /// The schedule asked for cannot be used (a zero interval, a time that is not a time, an
    /// unknown time zone, an `after` that names no connection).
    Schedule,
    /// A schedule is only switched on after a sync by hand has worked.
    FirstSyncNeeded,
    /// The operating system did not take the schedule (no user session manager, no
    /// permission).
    Register,
    /// The run report or a notice could not be emailed (mail settings, password, server).
    Mail,
    /// An update's signature did not match Rollcall's signing key (changed on the way, or not
    /// signed), so it was not installed.
    UpdateUnverified,
    /// An update could not be checked for, downloaded or installed.
    Update,
}

/// Exit status of a command that ran and found problems (or that the computer failed).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit status for bad usage or bad input.
pub const EXIT_USAGE: u8 = 2;

impl ErrorCode {
    /// The code as the window receives it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProfileNotFound => "profile_not_found",
            ErrorCode::ProfileInvalid => "profile_invalid",
            ErrorCode::ProfileWrite => "profile_write",
            ErrorCode::DataFolder => "data_folder",
            ErrorCode::Keychain => "keychain",
            ErrorCode::SecretInvalid => "secret_invalid",
            ErrorCode::Cloud => "cloud",
            ErrorCode::Connect => "connect",
            ErrorCode::Scope => "scope",
            ErrorCode::GroupNotFound => "group_not_found",
            ErrorCode::Graph => "graph",
            ErrorCode::Cache => "cache",
            ErrorCode::ExportPath => "export_path",
            ErrorCode::Export => "export",
            ErrorCode::NoTarget => "no_target",
            ErrorCode::Target => "target",
            ErrorCode::Ledger => "ledger",
            ErrorCode::NoSuchPerson => "no_such_person",
            ErrorCode::NoSuchRun => "no_such_run",
            ErrorCode::NothingToUndo => "nothing_to_undo",
            ErrorCode::Disabled => "disabled",
            ErrorCode::Stopped => "stopped",
            ErrorCode::TargetUrl => "target_url",
            ErrorCode::TargetToken => "target_token",
            ErrorCode::TargetFolder => "target_folder",
            ErrorCode::Busy => "busy",
            ErrorCode::Schedule => "schedule",
            ErrorCode::FirstSyncNeeded => "first_sync_needed",
            ErrorCode::Register => "register",
            ErrorCode::Mail => "mail",
            ErrorCode::UpdateUnverified => "update_unverified",
            ErrorCode::Update => "update",
        }
    }

    /// The exit status of a command that failed this way: 2 when what the admin typed or
    /// chose must change, 1 when the command ran and met a problem.
    pub fn exit_status(self) -> u8 {
        match self {
            ErrorCode::ProfileNotFound
            | ErrorCode::ProfileInvalid
            | ErrorCode::SecretInvalid
            | ErrorCode::Cloud
            | ErrorCode::Scope
            | ErrorCode::ExportPath
            | ErrorCode::NoTarget
            | ErrorCode::NoSuchPerson
            | ErrorCode::NoSuchRun
            | ErrorCode::TargetUrl
            | ErrorCode::TargetToken
            | ErrorCode::TargetFolder
            | ErrorCode::Schedule => EXIT_USAGE,
            ErrorCode::ProfileWrite
            | ErrorCode::DataFolder
            | ErrorCode::Keychain
            | ErrorCode::Connect
            | ErrorCode::GroupNotFound
            | ErrorCode::Graph
            | ErrorCode::Cache
            | ErrorCode::Export
            | ErrorCode::Target
            | ErrorCode::Ledger
            | ErrorCode::NothingToUndo
            | ErrorCode::Disabled
            | ErrorCode::Stopped
            | ErrorCode::Busy
            | ErrorCode::FirstSyncNeeded
            | ErrorCode::Register
            | ErrorCode::Mail
            | ErrorCode::UpdateUnverified
            | ErrorCode::Update => EXIT_PROBLEMS,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation's failure: what kind, and what the admin reads (what was wrong and what to
/// do). It never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct OpError {
    pub code: ErrorCode,
    pub message: String,
}

impl OpError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> OpError {
        OpError {
            code,
            message: message.into(),
        }
    }

    /// The exit status the command line ends with.
    pub fn exit_status(&self) -> u8 {
        self.code.exit_status()
    }
}

/// Shorthand for an operation's result.
pub type OpResult<T> = Result<T, OpError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_receives_code_and_message() {
        let error = OpError::new(ErrorCode::GroupNotFound, "No group has the ID x.");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"code": "group_not_found", "message": "No group has the ID x."})
        );
    }

    #[test]
    fn what_the_admin_must_change_is_bad_usage_and_the_rest_a_problem() {
        assert_eq!(ErrorCode::ProfileNotFound.exit_status(), EXIT_USAGE);
        assert_eq!(ErrorCode::Scope.exit_status(), EXIT_USAGE);
        assert_eq!(ErrorCode::Graph.exit_status(), EXIT_PROBLEMS);
        assert_eq!(ErrorCode::Keychain.exit_status(), EXIT_PROBLEMS);
        assert_eq!(ErrorCode::Busy.exit_status(), EXIT_PROBLEMS);
        assert_eq!(ErrorCode::Busy.as_str(), "busy");
        assert_eq!(ErrorCode::Schedule.exit_status(), EXIT_USAGE);
    }

    #[test]
    fn the_code_text_is_the_serialized_code() {
        for code in [
            ErrorCode::ProfileNotFound,
            ErrorCode::ProfileInvalid,
            ErrorCode::ProfileWrite,
            ErrorCode::DataFolder,
            ErrorCode::Keychain,
            ErrorCode::SecretInvalid,
            ErrorCode::Cloud,
            ErrorCode::Connect,
            ErrorCode::Scope,
            ErrorCode::GroupNotFound,
            ErrorCode::Graph,
            ErrorCode::Cache,
            ErrorCode::ExportPath,
            ErrorCode::Export,
            ErrorCode::NoTarget,
            ErrorCode::Target,
            ErrorCode::Ledger,
            ErrorCode::NoSuchPerson,
            ErrorCode::NoSuchRun,
            ErrorCode::NothingToUndo,
            ErrorCode::Disabled,
            ErrorCode::Stopped,
            ErrorCode::Busy,
            ErrorCode::Schedule,
            ErrorCode::FirstSyncNeeded,
            ErrorCode::Register,
            ErrorCode::Mail,
            ErrorCode::UpdateUnverified,
            ErrorCode::Update,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
