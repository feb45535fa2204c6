//! The sync's operations: bring the cache up to date from Entra (delta first), then plan,
//! guard and apply through the connection's learning platform (SCIM or CSV files); the
//! runs' history; undo of a run's deactivations; and the learning platform's check.

use std::path::PathBuf;
use std::sync::Arc;

use super::reading::{ReadObserver, scope_of};
use super::{ErrorCode, OpError, OpResult, Workspace};
use crate::apply::SyncProgress;
use crate::diagnosis::Diagnosis;
use crate::directory;
use crate::history::{RunRecord, Trigger};
use crate::ledger::{Ledger, LedgerError};
use crate::profile::{Profile, TargetKind, TargetSettings};
use crate::secret::{SecretKind, SecretUseError};
use crate::store::ReadProblem;
use crate::sync::{self, CacheView, SyncContext, SyncError, SyncOptions, SyncReport};
use crate::targets::Target;
use crate::targets::csv::CsvTarget;
use crate::targets::scim::{self, ScimTarget};

/// Receives a sync's progress (phase, people done, total).
pub type SyncProgressSink = Arc<dyn Fn(&SyncProgress) + Send + Sync>;

/// How to run a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    /// Plan and report only; nothing is written.
    pub dry_run: bool,
    /// Lift the `[safety]` limits for this run (never the rules about the read).
    pub force_deactivations: bool,
    /// Only this person (user principal name or Entra object ID).
    pub only: Option<String>,
    pub trigger: Trigger,
    /// List each person the run touches in the report (the window's plan and report).
    pub list_people: bool,
}

impl Default for SyncRequest {
    fn default() -> SyncRequest {
        SyncRequest {
            dry_run: false,
            force_deactivations: false,
            only: None,
            trigger: Trigger::Manual,
            list_people: false,
        }
    }
}

/// Who watches a sync: the read's progress and cancel token (also stopping the writes), and
/// where the writes' progress goes.
#[derive(Clone, Default)]
pub struct SyncObserver {
    pub read: ReadObserver,
    pub progress: Option<SyncProgressSink>,
}

/// How many runs `history` lists.
const HISTORY_LENGTH: usize = 200;

pub(super) fn ledger_error(error: LedgerError) -> OpError {
    OpError::new(ErrorCode::Ledger, error.to_string())
}

fn sync_error(error: SyncError) -> OpError {
    let code = match &error {
        SyncError::Ledger(_) => ErrorCode::Ledger,
        SyncError::Scope(_) => ErrorCode::Scope,
        SyncError::NoSuchPerson(_) => ErrorCode::NoSuchPerson,
        SyncError::NoSuchRun(_) => ErrorCode::NoSuchRun,
        SyncError::NothingToUndo(_) => ErrorCode::NothingToUndo,
    };
    OpError::new(code, error.to_string())
}

impl Workspace {
    /// The connection's learning platform, as configured in its `[target]`.
    pub(super) fn target_for(&self, saved: &Profile) -> OpResult<Box<dyn Target>> {
        let profile = &self.as_used(saved.clone());
        let Some(settings) = &profile.target else {
            return Err(OpError::new(
                ErrorCode::NoTarget,
                format!(
                    "\"{}\" has no learning platform yet. Add a [target] table to its profile: kind = \"scim\" with url = the platform's SCIM address (then store its token with `rollcall secret set {} target`), or kind = \"csv\" with path = the folder for the files.",
                    profile.name, profile.name
                ),
            ));
        };
        match settings.kind {
            // The token is the one stored for the saved address; it goes where the profile
            // is used (the same, but in demo mode).
            TargetKind::Scim => ScimTarget::for_profile_at(
                saved,
                self.secrets(),
                settings.url.as_deref().unwrap_or_default(),
            )
            .map(|target| Box::new(target) as Box<dyn Target>)
            .map_err(|message| OpError::new(ErrorCode::Target, message)),
            TargetKind::Csv => {
                let folder = PathBuf::from(settings.path.as_deref().unwrap_or("exports"));
                let folder = if folder.is_absolute() {
                    folder
                } else {
                    self.data_dir().path().join(folder)
                };
                CsvTarget::new(&folder, self.clock())
                    .map(|target| Box::new(target) as Box<dyn Target>)
                    .map_err(|error| OpError::new(ErrorCode::Target, error.to_string()))
            }
        }
    }

    pub(super) fn ledger(&self, profile: &str) -> OpResult<Ledger> {
        Ledger::for_profile(self.data_dir(), profile).map_err(ledger_error)
    }

    /// Syncs a connection: refreshes its cache from Entra (by delta when it can), then plans
    /// against the accounts it owns, lets the guard hold back deactivations, and writes
    /// through its learning platform (nothing, on a dry run). A read that did not finish is
    /// reported and holds every deactivation; the run still creates and updates from the
    /// last complete read. A scheduled run of a connection that is switched off is refused.
    ///
    /// Afterwards the admin is told (`ops::notices`): a scheduled run that failed, held
    /// deactivations back or could not start shows a desktop notice and is kept in the
    /// history; the email report goes out as `[notify.email]` asks; a scheduled run also
    /// sends the secret-expiry reminder due today.
    pub async fn sync(
        &self,
        profile: &str,
        request: &SyncRequest,
        observer: SyncObserver,
    ) -> OpResult<SyncReport> {
        let outcome = self.sync_once(profile, request, observer).await;
        if request.dry_run {
            return outcome;
        }
        if request.trigger == Trigger::Schedule
            && let Ok(loaded) = self.profile(profile)
            && let Err(error) = self.remind(&loaded).await
        {
            tracing::warn!(connection = %loaded.name, problem = %error.message, "reminder not sent");
        }
        match outcome {
            Ok(mut report) => {
                if let Ok(loaded) = self.profile(profile) {
                    self.tell_run(&loaded, &mut report).await;
                }
                Ok(report)
            }
            Err(error) => {
                if request.trigger == Trigger::Schedule {
                    self.tell_refused(profile, &error).await;
                }
                Err(error)
            }
        }
    }

    async fn sync_once(
        &self,
        profile: &str,
        request: &SyncRequest,
        observer: SyncObserver,
    ) -> OpResult<SyncReport> {
        let _one_at_a_time = self.take_run_lock(profile, request.trigger)?;
        let started_at = self.clock().now();
        let loaded = self.profile(profile)?;
        if request.trigger == Trigger::Schedule && !loaded.enabled {
            return Err(OpError::new(
                ErrorCode::Disabled,
                format!(
                    "\"{}\" is switched off, so its schedule does not sync it. Try a sync by hand first, then set enabled = true in its profile.",
                    loaded.name
                ),
            ));
        }
        let scope = scope_of(&loaded.scope)?;
        let target = self.target_for(&loaded)?;
        let ledger = self.ledger(&loaded.name)?;
        let mut cache = self.cache(&loaded.name)?;
        let cancel = observer.read.cancel.clone();
        let _running = self.reads().begin(cancel.clone());
        let mut client = self.graph_client(&loaded)?.with_cancel(cancel.clone());
        if let Some(progress) = observer.read.progress {
            client = client.with_progress(progress);
        }
        let read =
            directory::refresh(&client, &mut cache, &scope, &loaded.mapping, self.clock()).await;
        let view = CacheView::read(&cache).map_err(super::reading::cache_error)?;
        let notices = cache.take_notices().map_err(super::reading::cache_error)?;
        drop(cache);
        let sink = observer
            .progress
            .unwrap_or_else(|| Arc::new(|_: &SyncProgress| {}));
        let clock = self.clock();
        let context = SyncContext {
            ledger: &ledger,
            target: target.as_ref(),
            clock: clock.as_ref(),
            progress: sink.as_ref(),
            cancel: &cancel,
        };
        let options = SyncOptions {
            dry_run: request.dry_run,
            force_deactivations: request.force_deactivations,
            only: request.only.clone(),
            trigger: request.trigger,
            started_at,
            list_people: request.list_people,
        };
        let mut report = sync::run(&loaded, view, &context, &options)
            .await
            .map_err(sync_error)?;
        // What the host learnt around the run goes into its stored report too, so the
        // history says why a scheduled run did not read Entra.
        let mut learnt = Vec::new();
        if let Err(error) = read {
            learnt.push(ReadProblem {
                code: sync::READ_INCOMPLETE.into(),
                message: format!(
                    "The read of Entra did not finish ({error}), so this run worked from the last complete read and switched nobody off."
                ),
            });
        }
        learnt.extend(notices);
        ledger
            .add_run_problems(report.run, &learnt)
            .map_err(ledger_error)?;
        report.problems.splice(0..0, learnt);
        Ok(report)
    }

    /// Points the connection at its learning platform: a SCIM address or a folder for CSV
    /// files. The profile is checked as a file would be, so a SCIM target without an
    /// address, or a CSV target without a folder, is refused with the rule it broke.
    pub fn set_target(&self, profile: &str, target: TargetSettings) -> OpResult<Profile> {
        self.edit_profile(profile, |loaded| loaded.target = Some(target))
    }

    /// The connection's runs, newest first.
    pub fn history(&self, profile: &str) -> OpResult<Vec<RunRecord>> {
        let loaded = self.profile(profile)?;
        self.ledger(&loaded.name)?
            .runs(HISTORY_LENGTH)
            .map_err(ledger_error)
    }

    /// Switches back on the accounts run `run` switched off, as a run of its own.
    pub async fn undo(
        &self,
        profile: &str,
        run: i64,
        dry_run: bool,
        observer: SyncObserver,
    ) -> OpResult<SyncReport> {
        let _one_at_a_time = self.take_run_lock(profile, Trigger::Undo)?;
        let loaded = self.profile(profile)?;
        let target = self.target_for(&loaded)?;
        let ledger = self.ledger(&loaded.name)?;
        let _running = self.reads().begin(observer.read.cancel.clone());
        let sink = observer
            .progress
            .unwrap_or_else(|| Arc::new(|_: &SyncProgress| {}));
        let clock = self.clock();
        let context = SyncContext {
            ledger: &ledger,
            target: target.as_ref(),
            clock: clock.as_ref(),
            progress: sink.as_ref(),
            cancel: &observer.read.cancel,
        };
        sync::undo(run, &context, dry_run).await.map_err(sync_error)
    }

    /// Checks the connection's learning platform: the SCIM address, the token, what the
    /// platform supports. No findings when it works, or when the target is CSV files.
    pub async fn check_target(&self, profile: &str) -> OpResult<Vec<Diagnosis>> {
        let saved = self.profile(profile)?;
        let loaded = self.as_used(saved.clone());
        let Some(settings) = &loaded.target else {
            return Ok(Vec::new());
        };
        let token =
            match crate::secret::read_for_profile(self.secrets(), &saved, SecretKind::Target) {
                Ok(token) => token,
                Err(SecretUseError::Keychain(error)) => {
                    return Err(OpError::new(ErrorCode::Keychain, error.to_string()));
                }
                Err(SecretUseError::Unknown(_)) => None,
                Err(error) => {
                    return Ok(vec![Diagnosis::target_token_not_usable(
                        &loaded.name,
                        error.to_string(),
                    )]);
                }
            };
        Ok(scim::check(settings, token.as_ref(), &loaded.name, self.http).await)
    }
}
