//! The engine's use cases, the one API both hosts call: the window's Tauri commands and the
//! command line are each a short adapter over an operation here (arguments in, call, reply
//! out), so the two cannot behave differently.
//!
//! Every operation runs against a [`Workspace`]: the data folder, the secret store (the OS
//! keychain, or an in-memory one in tests), the clock and the endpoints (demo mode pins them
//! to the built-in simulated tenant). Progress and cancelling are parameters of the
//! operations that read, never something each host wires on its own. Failures are
//! [`OpError`]s with a typed [`ErrorCode`].
//!
//! How to add an operation: write it here as a method of [`Workspace`] (async when it talks
//! to the network; its future must be `Send`), returning [`OpResult`] and taking plain
//! serializable arguments; then add one Tauri command in `src-tauri` and, where it belongs
//! on the command line, one CLI command in `crates/cli`, each a few lines that call it.

mod accounts;
mod connection;
mod error;
mod home;
mod notices;
mod platform;
mod profiles;
mod reading;
mod run_lock;
mod schedule;
mod sync;
mod updates;

use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::cloud::Cloud;
use crate::data_dir::DataDir;
use crate::graph::RetryPolicy;
use crate::network::HttpSettings;
use crate::profile::{Profile, ProfileError, ProfileStore};
use crate::schedule::OsScheduler;
use crate::secret::SecretStore;

pub use accounts::{AccountSample, MappedValue, MappingPreview, UnsendablePerson};
pub use connection::{
    ChosenCloud, ConnectionRequest, FieldProblem, InputsToCheck, PermissionNeed, PortalPages,
    SavedConnection, TenantLookup,
};
pub use error::{EXIT_PROBLEMS, EXIT_USAGE, ErrorCode, OpError, OpResult};
pub use home::{ConnectionOverview, PersonMatch, PlatformAccount};
pub use notices::{NotifyChoice, NotifyField, NotifyFieldProblem, NotifySetup};
pub use platform::{
    TargetChoice, TargetField, TargetFieldProblem, TargetSetup, check_platform_token,
    check_scim_address,
};
pub use profiles::{ProfileSummary, SecretTarget};
pub use reading::{
    ExportTo, ExportedFile, ReadObserver, ReadSlot, SavedScope, ScopeChoice, suggested_export_name,
};
pub use run_lock::{LockRefused, RunLock, running_since};
pub use schedule::{RegistrationState, ScheduleStatus};
pub use sync::{SyncObserver, SyncProgressSink, SyncRequest};
pub use updates::RunningNow;

/// Where the operations run: the data folder, the secrets, the clock, the endpoints and the
/// operating system's scheduler.
#[derive(Clone)]
pub struct Workspace {
    data_dir: DataDir,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    endpoints: Endpoints,
    http: HttpSettings,
    retry: RetryPolicy,
    reads: ReadSlot,
    /// Demo mode: the demo platform's SCIM address, used for every SCIM target (the demo
    /// organisation runs on a new port at each start).
    demo_platform: Option<String>,
    scheduler: Arc<dyn OsScheduler>,
    program: Option<PathBuf>,
    notifier: Arc<dyn crate::notices::Notifier>,
    refusals: schedule::Refusals,
}

/// Which Entra (sign-in and Graph) addresses the connection wizard talks to.
#[derive(Debug, Clone, Default)]
pub enum Endpoints {
    /// Whatever cloud the admin chooses.
    #[default]
    Chosen,
    /// Always this cloud, whatever is chosen: demo mode's simulated tenant.
    Pinned(Cloud),
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("data_dir", &self.data_dir)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// A workspace over `data_dir` whose secrets live in `secrets`, on the system clock,
    /// talking to the cloud each connection names.
    pub fn new(data_dir: DataDir, secrets: Arc<dyn SecretStore>) -> Workspace {
        let scheduler = crate::schedule::os_scheduler(data_dir.path());
        Workspace {
            data_dir,
            secrets,
            clock: Arc::new(SystemClock),
            endpoints: Endpoints::Chosen,
            http: HttpSettings::default(),
            retry: RetryPolicy::default(),
            reads: ReadSlot::default(),
            demo_platform: None,
            scheduler,
            program: None,
            notifier: Arc::new(crate::notices::DesktopNotifier),
            refusals: schedule::Refusals::default(),
        }
    }

    /// The same workspace judging time by `clock` (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Workspace {
        self.clock = clock;
        self
    }

    /// The same workspace talking only to `endpoints` (demo mode).
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Workspace {
        self.endpoints = endpoints;
        self
    }

    /// The same workspace writing every SCIM target to the demo platform at `url` (demo
    /// mode).
    pub fn with_demo_platform(mut self, url: impl Into<String>) -> Workspace {
        self.demo_platform = Some(url.into());
        self
    }

    /// A profile as the workspace uses it: in demo mode a SCIM target saved for the demo
    /// platform (on this computer, at `/scim/v2`) is the demo platform running now, since it
    /// moves to a new port at each start. Any other address is used as typed.
    pub(crate) fn as_used(&self, mut profile: Profile) -> Profile {
        if let (Some(url), Some(target)) = (&self.demo_platform, profile.target.as_mut())
            && target.kind == crate::profile::TargetKind::Scim
            && target.url.as_deref().is_some_and(is_demo_platform_address)
        {
            target.url = Some(url.clone());
        }
        profile
    }

    /// The same workspace with other timeouts for the connection check.
    pub fn with_http(mut self, http: HttpSettings) -> Workspace {
        self.http = http;
        self
    }

    /// The same workspace retrying Graph requests by `retry` (tests keep it short).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Workspace {
        self.retry = retry;
        self
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    pub fn secrets(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The preview read running now, so a host can cancel it.
    pub fn reads(&self) -> &ReadSlot {
        &self.reads
    }

    fn profiles(&self) -> ProfileStore {
        ProfileStore::new(&self.data_dir)
    }

    /// The folder of the daily log files (created, owner-only, when missing), for a host to
    /// open for the admin or for support.
    pub fn log_folder(&self) -> OpResult<std::path::PathBuf> {
        let folder = self.data_dir.logs();
        crate::data_dir::create_private_dir(&folder).map_err(|error| {
            OpError::new(
                ErrorCode::DataFolder,
                format!(
                    "Rollcall could not create its log folder {}: {error}. Check that the data folder is writable.",
                    folder.display()
                ),
            )
        })?;
        Ok(folder)
    }

    /// Loads a saved connection by name.
    pub fn profile(&self, name: &str) -> OpResult<Profile> {
        self.profiles().load(name).map_err(profile_error)
    }
}

/// A profile problem as an operation's failure: the admin's input, or the computer.
pub(crate) fn profile_error(error: ProfileError) -> OpError {
    let code = match &error {
        ProfileError::NotFound { .. } => ErrorCode::ProfileNotFound,
        ProfileError::Invalid { .. } | ProfileError::BadName { .. } | ProfileError::Read { .. } => {
            ErrorCode::ProfileInvalid
        }
        ProfileError::Write { .. } | ProfileError::Encode(_) => ErrorCode::ProfileWrite,
    };
    OpError::new(code, error.to_string())
}

/// Whether `address` is where the demo platform runs: on this computer, at `/scim/v2`.
fn is_demo_platform_address(address: &str) -> bool {
    url::Url::parse(address).is_ok_and(|url| {
        url.host_str()
            .is_some_and(|host| host == "127.0.0.1" || host == "localhost")
            && url.path().trim_end_matches('/') == "/scim/v2"
    })
}
