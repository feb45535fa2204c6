//! Apply: the one place that writes to a learning platform. It runs a `SyncPlan` through a
//! `Target` in a fixed order (creates and adoptions, updates, reactivations, managers once
//! their reports exist, group memberships, and deactivations last, skipped when anything
//! before them failed), a bounded number of writes in flight at a time. Every write is
//! journalled: its intent before it is sent, its outcome and ledger change after. A 401/403
//! or a cancel stops the run at once (what was not sent is simply planned again next time);
//! any other refusal is recorded against that person and the run goes on. With
//! `DryRun::Yes` nothing is written at all.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::clock::Clock;
use crate::graph::CancelToken;
use crate::history::DeactivatedAccount;
use crate::journal::{Action, Outcome};
use crate::ledger::{Ledger, LedgerChange, Origin, OwnedAccount, OwnedGroup};
use crate::mapping::paths;
use crate::plan::{AccountUpdate, GroupChange, ManagerChange, SyncPlan};
use crate::targets::{AttributeChange, Target, TargetError};

/// Whether a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DryRun {
    Yes,
    No,
}

/// The stages of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Resolving,
    Planning,
    Creating,
    Updating,
    Reactivating,
    Managers,
    Groups,
    Deactivating,
    Finishing,
}

/// How far a run has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
}

/// Receives progress; called from the run's own task.
pub type ProgressSink<'a> = &'a (dyn Fn(&SyncProgress) + Send + Sync);

/// Writes per kind (the plan's, or those the platform confirmed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub create: usize,
    pub adopt: usize,
    pub update: usize,
    pub reactivate: usize,
    pub managers: usize,
    pub groups: usize,
    pub deactivate: usize,
}

impl Counts {
    pub fn of(plan: &SyncPlan) -> Counts {
        Counts {
            create: plan.create.len(),
            adopt: plan.adopt.len(),
            update: plan.update.len(),
            reactivate: plan.reactivate.len(),
            managers: plan.managers.len(),
            groups: plan.groups.len(),
            deactivate: plan.deactivate.len(),
        }
    }

    pub fn total(&self) -> usize {
        self.create
            + self.adopt
            + self.update
            + self.reactivate
            + self.managers
            + self.groups
            + self.deactivate
    }
}

/// One person's (or group's) write that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PersonError {
    /// The user name (or group name).
    pub user: String,
    pub code: String,
    pub message: String,
}

/// What applying a plan did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Applied {
    pub counts: Counts,
    pub errors: Vec<PersonError>,
    pub deactivated: Vec<DeactivatedAccount>,
    /// Why the run stopped before the end (token refused, cancelled), when it did.
    pub stopped: Option<String>,
    /// Why the deactivations were not sent, when an earlier write failed.
    pub deactivations_skipped: Option<String>,
    /// Requests sent to the platform.
    pub writes: u64,
}

/// What apply works with.
pub struct ApplyContext<'a> {
    pub ledger: &'a Ledger,
    pub target: &'a dyn Target,
    pub run: i64,
    pub clock: &'a dyn Clock,
    /// Writes in flight at once (at least 1).
    pub concurrency: usize,
    pub progress: ProgressSink<'a>,
    pub cancel: &'a CancelToken,
}

/// A stable code for each kind of target error.
pub fn error_code(error: &TargetError) -> &'static str {
    match error {
        TargetError::Unauthorized { .. } => "unauthorized",
        TargetError::Conflict { .. } => "conflict",
        TargetError::NotFound { .. } => "not_found",
        TargetError::Rejected { .. } => "rejected",
        TargetError::Unavailable { .. } => "unavailable",
        TargetError::Protocol { .. } => "protocol",
        TargetError::Cancelled => "cancelled",
    }
}

/// The message for a failed write: the target's words plus what to do.
fn error_message(error: &TargetError, user: &str) -> String {
    match error {
        TargetError::Conflict { .. } => format!(
            "{error}. The platform already has an account named {user} that this connection does not own; if it is this person's, the next sync adopts it, otherwise rename or remove it on the platform."
        ),
        TargetError::NotFound { .. } => format!(
            "{error}. Somebody removed the account on the platform; Rollcall forgets it, and creates it again on the next sync if the person is still in scope."
        ),
        TargetError::Unauthorized { .. } => format!(
            "{error}. The run stopped at once. Set a new token with `rollcall secret set NAME target` (check it has the rights to manage users) and sync again."
        ),
        TargetError::Unavailable { .. } => format!(
            "{error}. The next sync tries again; if it keeps happening, check the platform's status."
        ),
        _ => error.to_string(),
    }
}

/// The run's shared state while writes are in flight.
struct Run<'a> {
    context: &'a ApplyContext<'a>,
    stop: AtomicBool,
    stopped: Mutex<Option<String>>,
    errors: Mutex<Vec<PersonError>>,
    writes: AtomicU64,
}

/// How one write ended.
enum Done {
    Written,
    Failed,
    NotSent,
}

impl<'a> Run<'a> {
    fn halted(&self) -> bool {
        if self.context.cancel.is_cancelled() {
            self.halt("The sync was cancelled; what was not sent is planned again next time.");
        }
        self.stop.load(Ordering::SeqCst)
    }

    fn halt(&self, why: &str) {
        self.stop.store(true, Ordering::SeqCst);
        let mut stopped = self
            .stopped
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if stopped.is_none() {
            *stopped = Some(why.to_string());
        }
    }

    fn fail(&self, user: &str, code: &str, message: String) {
        self.errors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(PersonError {
                user: user.to_string(),
                code: code.to_string(),
                message,
            });
    }

    fn error_count(&self) -> usize {
        self.errors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// One journalled write: intent, the call, then outcome plus ledger change.
    #[allow(clippy::too_many_arguments)]
    async fn write<T, F>(
        &self,
        entra_id: &str,
        user: &str,
        action: Action,
        payload: &(impl Serialize + Sync),
        call: F,
        on_success: impl FnOnce(T) -> LedgerChange,
        on_not_found: LedgerChange,
    ) -> Done
    where
        F: Future<Output = Result<T, TargetError>>,
    {
        if self.halted() {
            return Done::NotSent;
        }
        let context = self.context;
        let intent =
            match context
                .ledger
                .intend(context.run, entra_id, action, payload, context.clock.now())
            {
                Ok(intent) => intent,
                Err(error) => {
                    self.halt(&format!("The run stopped: {error}"));
                    return Done::NotSent;
                }
            };
        self.writes.fetch_add(1, Ordering::Relaxed);
        let result = call.await;
        let (outcome, detail, change, done) = match result {
            Ok(value) => (Outcome::Done, None, on_success(value), Done::Written),
            Err(error) => {
                let message = error_message(&error, user);
                if error.stops_the_run() {
                    self.halt(&message);
                }
                let change = if matches!(error, TargetError::NotFound { .. }) {
                    on_not_found
                } else {
                    LedgerChange::Nothing
                };
                if !matches!(error, TargetError::Cancelled) {
                    self.fail(user, error_code(&error), message.clone());
                }
                (Outcome::Failed, Some(message), change, Done::Failed)
            }
        };
        if let Err(error) = context.ledger.settle(
            intent,
            outcome,
            detail.as_deref(),
            &change,
            context.clock.now(),
        ) {
            self.halt(&format!("The run stopped: {error}"));
        }
        done
    }

    /// Runs one phase's writes, `concurrency` at a time, reporting progress; returns how
    /// many were written.
    async fn phase<'i, I, Fut>(
        &self,
        phase: Phase,
        items: &'i [I],
        each: impl Fn(&'i I) -> Fut,
    ) -> usize
    where
        Fut: Future<Output = Done>,
    {
        let total = items.len();
        if total == 0 || self.halted() {
            return 0;
        }
        let progress = self.context.progress;
        progress(&SyncProgress {
            phase,
            done: 0,
            total,
        });
        let mut written = 0;
        let mut done = 0;
        let stream = futures::stream::iter(items.iter().map(each))
            .buffer_unordered(self.context.concurrency.max(1));
        let mut stream = std::pin::pin!(stream);
        while let Some(result) = stream.next().await {
            done += 1;
            if matches!(result, Done::Written) {
                written += 1;
            }
            if done % 100 == 0 || done == total {
                progress(&SyncProgress { phase, done, total });
            }
        }
        written
    }
}

fn active_change(active: bool) -> AttributeChange {
    AttributeChange {
        path: paths::ACTIVE.into(),
        value: Some(Value::Bool(active)),
    }
}

/// Writes the plan (or, with `DryRun::Yes`, nothing).
pub async fn apply(plan: &SyncPlan, dry_run: DryRun, context: &ApplyContext<'_>) -> Applied {
    if dry_run == DryRun::Yes {
        return Applied::default();
    }
    let state = Run {
        context,
        stop: AtomicBool::new(false),
        stopped: Mutex::new(None),
        errors: Mutex::new(Vec::new()),
        writes: AtomicU64::new(0),
    };
    let run = &state;
    let target = context.target;
    let create = run
        .phase(Phase::Creating, &plan.create, |account| {
            run.write(
                &account.external_id,
                &account.user_name,
                Action::Create,
                account,
                target.create_account(account),
                |remote| {
                    LedgerChange::Own(OwnedAccount {
                        entra_id: account.external_id.clone(),
                        target_id: remote.id,
                        user_name: account.user_name.clone(),
                        active: account.active,
                        attributes: account.attributes.clone(),
                        manager: None,
                        origin: Origin::Created,
                    })
                },
                LedgerChange::Nothing,
            )
        })
        .await;
    let adopt = run
        .phase(Phase::Creating, &plan.adopt, |adoption| {
            let account = &adoption.account;
            run.write(
                &account.external_id,
                &account.user_name,
                Action::Adopt,
                account,
                target.update_account(&adoption.target_id, &adoption.changes, account),
                |()| {
                    LedgerChange::Own(OwnedAccount {
                        entra_id: account.external_id.clone(),
                        target_id: adoption.target_id.clone(),
                        user_name: account.user_name.clone(),
                        active: account.active,
                        attributes: account.attributes.clone(),
                        manager: None,
                        origin: Origin::Adopted,
                    })
                },
                LedgerChange::Nothing,
            )
        })
        .await;
    let update = run
        .phase(Phase::Updating, &plan.update, |item| {
            write_update(run, Action::Update, item)
        })
        .await;
    let reactivate = run
        .phase(Phase::Reactivating, &plan.reactivate, |item| {
            write_update(run, Action::Reactivate, item)
        })
        .await;

    let owned = if plan.managers.is_empty() && plan.groups.is_empty() {
        HashMap::new()
    } else {
        match context.ledger.accounts() {
            Ok(owned) => owned,
            Err(error) => {
                run.halt(&format!("The run stopped: {error}"));
                HashMap::new()
            }
        }
    };
    let owned = &owned;
    let managers: Vec<(&ManagerChange, String, Option<String>)> = plan
        .managers
        .iter()
        .filter_map(|change| {
            let account = owned.get(&change.entra_id)?;
            let manager = match &change.manager {
                Some(manager) => Some(owned.get(manager)?.target_id.clone()),
                None => None,
            };
            Some((change, account.target_id.clone(), manager))
        })
        .collect();
    let managers = run
        .phase(Phase::Managers, &managers, |(change, id, manager)| {
            let user = owned
                .get(&change.entra_id)
                .map(|account| account.user_name.as_str())
                .unwrap_or_default();
            run.write(
                &change.entra_id,
                user,
                Action::Manager,
                change,
                target.set_manager(id, manager.as_deref()),
                |()| LedgerChange::Manager {
                    entra_id: change.entra_id.clone(),
                    manager: change.manager.clone(),
                },
                LedgerChange::Nothing,
            )
        })
        .await;
    let groups = run
        .phase(Phase::Groups, &plan.groups, |change| {
            push_group(run, change, owned)
        })
        .await;

    let mut deactivated = Vec::new();
    let mut deactivations_skipped = None;
    let mut deactivate = 0;
    if !plan.deactivate.is_empty() && !run.halted() {
        if run.error_count() > 0 {
            deactivations_skipped = Some(format!(
                "{} earlier write(s) failed this run, so nobody was switched off; fix those and sync again.",
                run.error_count()
            ));
        } else {
            let confirmed: Mutex<Vec<DeactivatedAccount>> = Mutex::new(Vec::new());
            let off = [active_change(false)];
            let off = &off;
            deactivate = run
                .phase(Phase::Deactivating, &plan.deactivate, |item| {
                    let confirmed = &confirmed;
                    async move {
                        let done = run
                            .write(
                                &item.entra_id,
                                &item.user_name,
                                Action::Deactivate,
                                &item.reason,
                                target.update_account(&item.target_id, off, &item.account),
                                |()| LedgerChange::Written {
                                    entra_id: item.entra_id.clone(),
                                    user_name: item.account.user_name.clone(),
                                    active: false,
                                    attributes: item.account.attributes.clone(),
                                },
                                LedgerChange::Forget {
                                    entra_id: item.entra_id.clone(),
                                },
                            )
                            .await;
                        if matches!(done, Done::Written) {
                            confirmed
                                .lock()
                                .unwrap_or_else(|poisoned| poisoned.into_inner())
                                .push(DeactivatedAccount {
                                    user: item.user_name.clone(),
                                    entra_id: item.entra_id.clone(),
                                    target_id: item.target_id.clone(),
                                    reason: item.reason.clone(),
                                });
                        }
                        done
                    }
                })
                .await;
            deactivated = confirmed
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            deactivated.sort_by(|a, b| a.user.cmp(&b.user));
        }
    }
    let writes = state.writes.load(Ordering::Relaxed);
    let mut errors = state
        .errors
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    errors.sort_by(|a, b| a.user.cmp(&b.user));
    Applied {
        counts: Counts {
            create,
            adopt,
            update,
            reactivate,
            managers,
            groups,
            deactivate,
        },
        errors,
        deactivated,
        stopped: state
            .stopped
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
        deactivations_skipped,
        writes,
    }
}

/// An update or reactivation of one owned account.
async fn write_update(run: &Run<'_>, action: Action, update: &AccountUpdate) -> Done {
    let account = &update.account;
    run.write(
        &update.entra_id,
        &account.user_name,
        action,
        &update.changes,
        run.context
            .target
            .update_account(&update.target_id, &update.changes, account),
        |()| LedgerChange::Written {
            entra_id: update.entra_id.clone(),
            user_name: account.user_name.clone(),
            active: account.active,
            attributes: account.attributes.clone(),
        },
        LedgerChange::Forget {
            entra_id: update.entra_id.clone(),
        },
    )
    .await
}

/// Creates (or finds) a pushed group and brings its members in step.
async fn push_group(
    run: &Run<'_>,
    change: &GroupChange,
    owned: &HashMap<String, OwnedAccount>,
) -> Done {
    let target = run.context.target;
    let target_id = match &change.target_id {
        Some(id) => id.clone(),
        None => {
            if run.halted() {
                return Done::NotSent;
            }
            run.writes.fetch_add(1, Ordering::Relaxed);
            match target
                .ensure_group(&change.entra_id, &change.display_name)
                .await
            {
                Ok(group) => group.id,
                Err(error) => {
                    if error.stops_the_run() {
                        run.halt(&error_message(&error, &change.display_name));
                    }
                    run.fail(
                        &change.display_name,
                        error_code(&error),
                        error_message(&error, &change.display_name),
                    );
                    return Done::Failed;
                }
            }
        }
    };
    let platform_ids = |members: &[String]| -> Vec<String> {
        members
            .iter()
            .filter_map(|member| owned.get(member).map(|account| account.target_id.clone()))
            .collect()
    };
    let add = platform_ids(&change.add);
    let remove = platform_ids(&change.remove);
    let members: Vec<String> = change
        .members
        .iter()
        .filter(|member| owned.contains_key(*member))
        .cloned()
        .collect();
    let pushed = OwnedGroup {
        entra_id: change.entra_id.clone(),
        target_id: target_id.clone(),
        display_name: change.display_name.clone(),
        members,
    };
    if add.is_empty() && remove.is_empty() {
        return match run
            .context
            .ledger
            .change(&LedgerChange::Group(pushed), run.context.clock.now())
        {
            Ok(()) => Done::Written,
            Err(error) => {
                run.halt(&format!("The run stopped: {error}"));
                Done::Failed
            }
        };
    }
    run.write(
        &change.entra_id,
        &change.display_name,
        Action::Group,
        change,
        target.change_members(&target_id, &add, &remove),
        |()| LedgerChange::Group(pushed),
        LedgerChange::Nothing,
    )
    .await
}
