//! Apply: the one place that writes to a learning platform. It runs a `SyncPlan` through a
//! `Target` in a fixed order (creates and adoptions, updates, reactivations, managers once
//! their reports exist, group memberships, and deactivations last, skipped when anything
//! before them failed), a bounded number of writes in flight at a time; creates go to the
//! target in batches where it takes several at once (SCIM bulk). Every write is
//! journalled: its intent before it is sent, its outcome and ledger change after. A 401/403
//! or a cancel stops the run at once (what was not sent is simply planned again next time);
//! any other refusal is recorded against that person and the run goes on. With
//! `DryRun::Yes` nothing is written at all.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;
use serde_json::Value;

use crate::clock::Clock;
use crate::graph::CancelToken;
use crate::history::DeactivatedAccount;
use crate::journal::{Action, Outcome};
use crate::ledger::{Ledger, LedgerChange, Origin, OwnedAccount, OwnedGroup};
use crate::mapping::paths;
use crate::plan::{AccountUpdate, GroupChange, ManagerChange, SyncPlan};
use crate::targets::{
    AccountWrite, AttributeChange, RemoteAccount, Target, TargetError, TargetFuture,
};

/// Whether a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DryRun {
    Yes,
    No,
}

/// The stages of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncProgress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
}

/// Receives progress; called from the run's own task.
pub type ProgressSink<'a> = &'a (dyn Fn(&SyncProgress) + Send + Sync);

/// Writes per kind (the plan's, or those the platform confirmed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
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
    managers: ManagersAtCreate,
    /// While the creates go in waves: the creates done before this wave, and all of them,
    /// so progress counts over the whole phase.
    wave: Mutex<Option<(usize, usize)>>,
}

/// At most this many waves of creates, managers first (see [`Run::create_in_waves`]); a
/// chain of managers deeper than this, or a loop, goes in the last wave.
const MAX_WAVES: usize = 12;

/// Managers sent inside the creates, where the target takes them there.
#[derive(Default)]
struct ManagersAtCreate {
    /// The attribute path a create carries the manager in; `None`: not at create.
    path: Option<&'static str>,
    /// The manager (Entra ID) of each person being created who should have one.
    wanted: HashMap<String, String>,
    /// The platform's account ID of each person known so far (the ledger's managers of
    /// those created, and everyone created in this run).
    known: Mutex<HashMap<String, String>>,
    /// Managers set inside a create.
    set: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How one write ended.
enum Done {
    Written,
    Failed,
    NotSent,
}

impl<'a> Run<'a> {
    /// Tells the host how far the run has got; the creates count over all their waves.
    fn progress(&self, phase: Phase, done: usize, total: usize) {
        let (done, total) = match (phase, *lock(&self.wave)) {
            (Phase::Creating, Some((before, all))) => (before + done, all),
            _ => (done, total),
        };
        (self.context.progress)(&SyncProgress { phase, done, total });
    }

    /// The account as it is sent, with its manager where the target takes one in a create
    /// and the manager's account exists; with that manager's Entra ID.
    fn dressed(&self, account: &AccountWrite) -> Option<(AccountWrite, String)> {
        let path = self.managers.path?;
        let manager = self.managers.wanted.get(&account.external_id)?;
        let id = lock(&self.managers.known).get(manager)?.clone();
        let mut sent = account.clone();
        sent.attributes.insert(path.to_string(), Value::String(id));
        Some((sent, manager.clone()))
    }

    /// The ledger row of an account this run created (its attributes as mapped, the
    /// manager when the create carried one); the account's ID is known from now on.
    fn created(
        &self,
        account: &AccountWrite,
        remote: RemoteAccount,
        manager: Option<String>,
    ) -> LedgerChange {
        if self.managers.path.is_some() {
            lock(&self.managers.known).insert(account.external_id.clone(), remote.id.clone());
        }
        if manager.is_some() {
            self.managers.set.fetch_add(1, Ordering::Relaxed);
        }
        LedgerChange::Own(OwnedAccount {
            entra_id: account.external_id.clone(),
            target_id: remote.id,
            user_name: account.user_name.clone(),
            active: account.active,
            attributes: account.attributes.clone(),
            manager,
            origin: Origin::Created,
        })
    }

    /// One create, with its manager where it can carry one.
    fn create_job<'i>(&'i self, account: &'i AccountWrite) -> Job<'i> {
        let target = self.context.target;
        let (call, manager): (TargetFuture<'i, RemoteAccount>, Option<String>) =
            match self.dressed(account) {
                Some((sent, manager)) => (
                    Box::pin(async move { target.create_account(&sent).await }),
                    Some(manager),
                ),
                None => (target.create_account(account), None),
            };
        // The intent records the account as mapped: a create whose reply is lost is found
        // again with these attributes, and its manager is set by the next sync.
        self.job(
            &account.external_id,
            &account.user_name,
            Action::Create,
            account,
            call,
            move |remote| self.created(account, remote, manager),
            LedgerChange::Nothing,
        )
    }

    /// The creates, in waves where the target takes a manager in a create: each wave holds
    /// the people whose manager is not still waiting to be created, so by the time they
    /// are sent their manager's account exists and goes in the same request (one request
    /// a person instead of two). Creates go in batches of `batch` where the target takes
    /// several at once. Returns how many were written.
    async fn create_in_waves(&self, creates: &[AccountWrite], batch: usize) -> usize {
        let total = creates.len();
        let mut remaining: Vec<&AccountWrite> = creates.iter().collect();
        let (mut written, mut done) = (0, 0);
        for wave in 1..=MAX_WAVES {
            if remaining.is_empty() || self.halted() {
                break;
            }
            let waiting: HashSet<&str> = remaining
                .iter()
                .map(|account| account.external_id.as_str())
                .collect();
            let (now, later): (Vec<&AccountWrite>, Vec<&AccountWrite>) =
                remaining.into_iter().partition(|account| {
                    wave == MAX_WAVES
                        || self
                            .managers
                            .wanted
                            .get(&account.external_id)
                            .is_none_or(|manager| !waiting.contains(manager.as_str()))
                });
            // Everyone left waits for somebody else left: a loop; send them all now.
            let (now, later) = if now.is_empty() {
                (later, Vec::new())
            } else {
                (now, later)
            };
            *lock(&self.wave) = Some((done, total));
            written += if batch > 1 {
                self.create_in_batches(&now, batch).await
            } else {
                self.phase(Phase::Creating, &now, |account| self.create_job(account))
                    .await
            };
            done += now.len();
            remaining = later;
        }
        *lock(&self.wave) = None;
        written
    }

    fn halted(&self) -> bool {
        if self.context.cancel.is_cancelled() {
            self.halt("The sync was cancelled; what was not sent is planned again next time.");
        }
        self.stop.load(Ordering::SeqCst)
    }

    fn halt(&self, why: &str) {
        self.stop.store(true, Ordering::SeqCst);
        let mut stopped = lock(&self.stopped);
        if stopped.is_none() {
            *stopped = Some(why.to_string());
        }
    }

    fn fail(&self, user: &str, code: &str, message: String) {
        lock(&self.errors).push(PersonError {
            user: user.to_string(),
            code: code.to_string(),
            message,
        });
    }

    fn error_count(&self) -> usize {
        lock(&self.errors).len()
    }

    /// One journalled write, ready to go: the intent to record, and the call that sends it
    /// and says how it ended.
    #[allow(clippy::too_many_arguments)]
    fn job<'i, T: 'i>(
        &'i self,
        entra_id: &'i str,
        user: &'i str,
        action: Action,
        payload: &impl Serialize,
        call: TargetFuture<'i, T>,
        on_success: impl FnOnce(T) -> LedgerChange + Send + 'i,
        on_not_found: LedgerChange,
    ) -> Job<'i> {
        let payload = serde_json::to_string(payload).unwrap_or_default();
        Job {
            entra_id,
            action,
            payload,
            send: Box::pin(async move {
                if self.halted() {
                    return Sent::not_sent();
                }
                self.writes.fetch_add(1, Ordering::Relaxed);
                match call.await {
                    Ok(value) => {
                        tracing::info!(action = action.as_str(), user, "written");
                        Sent {
                            outcome: Outcome::Done,
                            detail: None,
                            change: on_success(value),
                            done: Done::Written,
                        }
                    }
                    Err(error) => {
                        tracing::warn!(action = action.as_str(), user, result = %error_message(&error, user), "not written");
                        self.failed(&error, user, on_not_found)
                    }
                }
            }),
        }
    }

    /// Records the intents of writes about to be sent, in one transaction; their journal
    /// ids, or `None` (and the run stopped) when the ledger could not record them.
    fn intend(&self, intents: &[(&str, Action, &str)]) -> Option<Vec<i64>> {
        let context = self.context;
        match context
            .ledger
            .intend_all(context.run, intents, context.clock.now())
        {
            Ok(ids) => Some(ids),
            Err(error) => {
                self.halt(&format!("The run stopped: {error}"));
                None
            }
        }
    }

    /// Records a refused or failed write; a 401/403 stops the run.
    fn failed(&self, error: &TargetError, user: &str, on_not_found: LedgerChange) -> Sent {
        let message = error_message(error, user);
        if error.stops_the_run() {
            self.halt(&message);
        }
        if !matches!(error, TargetError::Cancelled) {
            self.fail(user, error_code(error), message.clone());
        }
        Sent {
            outcome: Outcome::Failed,
            detail: Some(message),
            change: if matches!(error, TargetError::NotFound { .. }) {
                on_not_found
            } else {
                LedgerChange::Nothing
            },
            done: Done::Failed,
        }
    }

    /// Runs one phase's writes in chunks: the chunk's intents are recorded in one
    /// transaction before any of them is sent, the writes go `concurrency` at a time, and
    /// their outcomes are settled in one transaction. Returns how many were written.
    async fn phase<'i, I>(
        &'i self,
        phase: Phase,
        items: &'i [I],
        each: impl Fn(&'i I) -> Job<'i>,
    ) -> usize {
        let total = items.len();
        if total == 0 || self.halted() {
            return 0;
        }
        let context = self.context;
        self.progress(phase, 0, total);
        let mut written = 0;
        let mut done = 0;
        let chunk_size = (context.concurrency.max(1) * 32).max(256);
        for chunk in items.chunks(chunk_size) {
            if self.halted() {
                break;
            }
            let jobs: Vec<Job<'i>> = chunk.iter().map(&each).collect();
            let intents: Vec<(&str, Action, &str)> = jobs
                .iter()
                .map(|job| (job.entra_id, job.action, job.payload.as_str()))
                .collect();
            let Some(ids) = self.intend(&intents) else {
                break;
            };
            let mut waiting = jobs.into_iter().zip(ids);
            let mut in_flight = FuturesUnordered::new();
            let mut results: Vec<(i64, Sent)> = Vec::with_capacity(chunk.len());
            loop {
                while in_flight.len() < context.concurrency.max(1) {
                    let Some((job, id)) = waiting.next() else {
                        break;
                    };
                    in_flight.push(tagged(id, job.send));
                }
                match in_flight.next().await {
                    Some(result) => {
                        results.push(result);
                        if (done + results.len()).is_multiple_of(50) {
                            self.progress(phase, done + results.len(), total);
                        }
                    }
                    None => break,
                }
            }
            done += results.len();
            written += results
                .iter()
                .filter(|(_, sent)| matches!(sent.done, Done::Written))
                .count();
            let settled: Vec<(i64, Outcome, Option<String>, LedgerChange)> = results
                .into_iter()
                .map(|(id, sent)| (id, sent.outcome, sent.detail, sent.change))
                .collect();
            if let Err(error) = context.ledger.settle_all(&settled, context.clock.now()) {
                self.halt(&format!("The run stopped: {error}"));
                break;
            }
            self.progress(phase, done, total);
        }
        written
    }
}

impl Run<'_> {
    /// The creates in batches of at most `limit` handed to the target together
    /// ([`Target::create_accounts`], SCIM bulk), `concurrency` batches at a time. Each
    /// batch's intents are recorded in one transaction before it is sent, and its outcomes
    /// settled in one after. Returns how many were written.
    async fn create_in_batches(&self, accounts: &[&AccountWrite], limit: usize) -> usize {
        let total = accounts.len();
        if total == 0 || self.halted() {
            return 0;
        }
        let context = self.context;
        self.progress(Phase::Creating, 0, total);
        let concurrency = context.concurrency.max(1);
        // Spread the creates over the batches in flight, none over the limit.
        let size = total.div_ceil(concurrency).clamp(1, limit.max(1));
        // Boxed before they are streamed, so no closure is held across the awaits below.
        let mut sends: Vec<futures::future::BoxFuture<'_, (usize, usize)>> =
            Vec::with_capacity(total.div_ceil(size));
        for batch in accounts.chunks(size) {
            sends.push(Box::pin(self.batch(batch)));
        }
        let mut batches = futures::stream::iter(sends).buffer_unordered(concurrency);
        let (mut written, mut done) = (0, 0);
        while let Some((batch_written, batch_done)) = batches.next().await {
            written += batch_written;
            done += batch_done;
            self.progress(Phase::Creating, done, total);
        }
        written
    }

    /// One batch of creates: intents, the target's call, outcomes. Returns how many were
    /// written and how many were sent.
    async fn batch(&self, accounts: &[&AccountWrite]) -> (usize, usize) {
        if self.halted() {
            return (0, 0);
        }
        let context = self.context;
        let payloads: Vec<String> = accounts
            .iter()
            .map(|account| serde_json::to_string(account).unwrap_or_default())
            .collect();
        let intents: Vec<(&str, Action, &str)> = accounts
            .iter()
            .zip(&payloads)
            .map(|(account, payload)| {
                (
                    account.external_id.as_str(),
                    Action::Create,
                    payload.as_str(),
                )
            })
            .collect();
        let Some(ids) = self.intend(&intents) else {
            return (0, 0);
        };
        drop(intents);
        drop(payloads);
        // As sent: each with its manager where it can carry one.
        let mut managers: Vec<Option<String>> = Vec::with_capacity(accounts.len());
        let sent: Vec<AccountWrite> = accounts
            .iter()
            .map(|account| match self.dressed(account) {
                Some((sent, manager)) => {
                    managers.push(Some(manager));
                    sent
                }
                None => {
                    managers.push(None);
                    (*account).clone()
                }
            })
            .collect();
        self.writes
            .fetch_add(accounts.len() as u64, Ordering::Relaxed);
        let outcomes = match context.target.create_accounts(&sent).await {
            Ok(outcomes) => outcomes,
            Err(error) => accounts.iter().map(|_| Err(error.clone())).collect(),
        };
        let mut outcomes = outcomes.into_iter();
        let mut written = 0;
        let mut settled = Vec::with_capacity(accounts.len());
        drop(sent);
        for ((account, id), manager) in accounts.iter().zip(ids).zip(managers) {
            let user = account.user_name.as_str();
            let outcome = outcomes.next().unwrap_or_else(|| {
                Err(TargetError::Protocol {
                    detail: "the learning platform gave no answer for this create; the next sync looks for the account".into(),
                })
            });
            let sent = match outcome {
                Ok(remote) => {
                    tracing::info!(action = Action::Create.as_str(), user, "written");
                    written += 1;
                    Sent {
                        outcome: Outcome::Done,
                        detail: None,
                        change: self.created(account, remote, manager),
                        done: Done::Written,
                    }
                }
                Err(error) => {
                    tracing::warn!(action = Action::Create.as_str(), user, result = %error_message(&error, user), "not written");
                    self.failed(&error, user, LedgerChange::Nothing)
                }
            };
            settled.push((id, sent.outcome, sent.detail, sent.change));
        }
        if let Err(error) = context.ledger.settle_all(&settled, context.clock.now()) {
            self.halt(&format!("The run stopped: {error}"));
        }
        (written, accounts.len())
    }
}

/// A write's outcome with its journal entry.
async fn tagged(id: i64, send: Pin<Box<dyn Future<Output = Sent> + Send + '_>>) -> (i64, Sent) {
    (id, send.await)
}

/// A write with its intent, before it is recorded and sent.
struct Job<'i> {
    entra_id: &'i str,
    action: Action,
    payload: String,
    send: Pin<Box<dyn Future<Output = Sent> + Send + 'i>>,
}

/// How a sent (or not sent) write ended, to settle in the journal.
struct Sent {
    outcome: Outcome,
    detail: Option<String>,
    change: LedgerChange,
    done: Done,
}

impl Sent {
    fn not_sent() -> Sent {
        Sent {
            outcome: Outcome::NotApplied,
            detail: Some("not sent: the run stopped first; planned again next time".into()),
            change: LedgerChange::Nothing,
            done: Done::NotSent,
        }
    }
}

fn active_change(active: bool) -> AttributeChange {
    AttributeChange {
        path: paths::ACTIVE.into(),
        value: Some(Value::Bool(active)),
    }
}

/// What the creates of `plan` need to carry their managers, where the target takes a
/// manager in a create: whom each should have, and the account IDs of those managers the
/// ledger already owns.
async fn managers_at_create(plan: &SyncPlan, context: &ApplyContext<'_>) -> ManagersAtCreate {
    if plan.create.is_empty() || plan.managers.is_empty() {
        return ManagersAtCreate::default();
    }
    let Ok(Some(path)) = context.target.manager_at_create().await else {
        return ManagersAtCreate::default();
    };
    let creating: HashSet<&str> = plan
        .create
        .iter()
        .map(|account| account.external_id.as_str())
        .collect();
    let wanted: HashMap<String, String> = plan
        .managers
        .iter()
        .filter(|change| creating.contains(change.entra_id.as_str()))
        .filter_map(|change| Some((change.entra_id.clone(), change.manager.clone()?)))
        .collect();
    let mut known = HashMap::new();
    if wanted
        .values()
        .any(|manager| !creating.contains(manager.as_str()))
        && let Ok(owned) = context.ledger.accounts()
    {
        for manager in wanted.values() {
            if let Some(account) = owned.get(manager) {
                known.insert(manager.clone(), account.target_id.clone());
            }
        }
    }
    ManagersAtCreate {
        path: Some(path),
        wanted,
        known: Mutex::new(known),
        set: AtomicUsize::new(0),
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
        managers: managers_at_create(plan, context).await,
        wave: Mutex::new(None),
    };
    let run = &state;
    let target = context.target;
    // Where the platform takes several creates in one request, they go in batches.
    let batch = if plan.create.len() > 1 {
        target.create_batch().await.unwrap_or(1)
    } else {
        1
    };
    let create = run.create_in_waves(&plan.create, batch).await;
    let adopt = run
        .phase(Phase::Creating, &plan.adopt, |adoption| {
            let account = &adoption.account;
            run.job(
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
            if account.manager == change.manager {
                // Set inside the create that made the account.
                return None;
            }
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
            run.job(
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
            group_job(run, change, owned)
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
                    run.job(
                        &item.entra_id,
                        &item.user_name,
                        Action::Deactivate,
                        &item.reason,
                        target.update_account(&item.target_id, off, &item.account),
                        move |()| {
                            lock(confirmed).push(DeactivatedAccount {
                                user: item.user_name.clone(),
                                entra_id: item.entra_id.clone(),
                                target_id: item.target_id.clone(),
                                reason: item.reason.clone(),
                            });
                            LedgerChange::Written {
                                entra_id: item.entra_id.clone(),
                                user_name: item.account.user_name.clone(),
                                active: false,
                                attributes: item.account.attributes.clone(),
                            }
                        },
                        LedgerChange::Forget {
                            entra_id: item.entra_id.clone(),
                        },
                    )
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
            managers: managers + state.managers.set.load(Ordering::Relaxed),
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
fn write_update<'i>(run: &'i Run<'_>, action: Action, update: &'i AccountUpdate) -> Job<'i> {
    let account = &update.account;
    run.job(
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
}

/// Creates (or finds) a pushed group and brings its members in step, as one journalled
/// write.
fn group_job<'i>(
    run: &'i Run<'_>,
    change: &'i GroupChange,
    owned: &'i HashMap<String, OwnedAccount>,
) -> Job<'i> {
    let target = run.context.target;
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
    Job {
        entra_id: &change.entra_id,
        action: Action::Group,
        payload: serde_json::to_string(change).unwrap_or_default(),
        send: Box::pin(async move {
            if run.halted() {
                return Sent::not_sent();
            }
            let name = change.display_name.as_str();
            let target_id = match &change.target_id {
                Some(id) => id.clone(),
                None => {
                    run.writes.fetch_add(1, Ordering::Relaxed);
                    match target.ensure_group(&change.entra_id, name).await {
                        Ok(group) => group.id,
                        Err(error) => return run.failed(&error, name, LedgerChange::Nothing),
                    }
                }
            };
            if !add.is_empty() || !remove.is_empty() {
                run.writes.fetch_add(1, Ordering::Relaxed);
                if let Err(error) = target.change_members(&target_id, &add, &remove).await {
                    return run.failed(&error, name, LedgerChange::Nothing);
                }
            }
            Sent {
                outcome: Outcome::Done,
                detail: None,
                change: LedgerChange::Group(OwnedGroup {
                    entra_id: change.entra_id.clone(),
                    target_id,
                    display_name: change.display_name.clone(),
                    members,
                }),
                done: Done::Written,
            }
        }),
    }
}
