//! The sync as one call: settle what an earlier run left open, work out who is in scope
//! from the cache, map them, plan against the ledger, let the guard hold back
//! deactivations, apply, and report (`SyncReport`, the `sync` JSON of the design map). Also
//! `undo` of a run's deactivations and the estimate of a run's length from earlier runs.
//! The hosts refresh the cache first and pass what they read in a `CacheView`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::apply::{
    self, Applied, ApplyContext, Counts, DryRun, PersonError, Phase, ProgressSink, SyncProgress,
};
use crate::clock::Clock;
use crate::directory::{DirectorySnapshot, GroupScope, ScopeError, evaluate};
use crate::graph::CancelToken;
use crate::guard::{self, GuardInput, Hold};
use crate::history::{DeactivatedAccount, Trigger};
use crate::journal::{self, Resolution, ResolveError};
use crate::ledger::{Ledger, LedgerError, OwnedAccount};
use crate::listing::{self, PlannedPerson};
use crate::mapping::{DesiredAccount, map_people};
use crate::plan::{self, AccountUpdate, MatchedBy, PlanInput, SyncPlan, WantedGroup};
use crate::profile::Profile;
use crate::store::{ReadProblem, ReadStatus, Store, StoreError};
use crate::targets::{RemoteAccount, Target, TargetError};

/// Above this many people to match, the platform's whole account list is read once rather
/// than each person looked up.
const LOOKUPS_BEFORE_LISTING: usize = 50;

/// The runs whose settled journal entries are kept (for looking into a recent run); older
/// settled entries are deleted at the end of each run.
pub const JOURNAL_RUNS_KEPT: usize = 5;

/// What a sync reads from the cache, taken in one go so the run itself holds no database
/// handle across the network.
#[derive(Debug, Clone, Default)]
pub struct CacheView {
    pub snapshot: DirectorySnapshot,
    pub status: Option<ReadStatus>,
}

impl CacheView {
    /// Reads the snapshot and the last read's status.
    pub fn read(store: &Store) -> Result<CacheView, StoreError> {
        Ok(CacheView {
            snapshot: store.snapshot()?,
            status: store.status()?,
        })
    }
}

/// How to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    pub dry_run: bool,
    /// Lifts the `[safety]` limits for this run (never the rules about the read).
    pub force_deactivations: bool,
    /// Only this person (user principal name or Entra object ID), with the same plan,
    /// guard and journal.
    pub only: Option<String>,
    pub trigger: Trigger,
    /// When the run began, before the cache was refreshed: a cache read earlier than this
    /// is too old to deactivate anyone from.
    pub started_at: DateTime<Utc>,
    /// List each person the run touches in the report (`people`), for the window's plan.
    pub list_people: bool,
}

/// The parts a run works with.
pub struct SyncContext<'a> {
    pub ledger: &'a Ledger,
    pub target: &'a dyn Target,
    pub clock: &'a dyn Clock,
    pub progress: ProgressSink<'a>,
    pub cancel: &'a CancelToken,
}

/// Why a run could not start (per-person problems go in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(
        "Nobody called \"{0}\" is in the cache or owned by this connection. Give the person's user principal name or Entra object ID, check they are in the groups in scope, and read Entra again."
    )]
    NoSuchPerson(String),
    #[error(
        "There is no run {0} in this connection's history. Run `rollcall history NAME` to see the runs."
    )]
    NoSuchRun(i64),
    #[error("Run {0} was a dry run or deactivated nobody, so there is nothing to undo.")]
    NothingToUndo(i64),
}

/// The time a run is expected to take, from the write rate of earlier runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ts_rs::TS)]
pub struct Estimate {
    /// Writes the plan needs.
    pub requests: usize,
    /// Writes a second measured on earlier runs, when there were any.
    pub rate: Option<f64>,
    /// Minutes, when a rate is known.
    pub minutes: Option<f64>,
}

/// An account adopted (or to adopt) and how it was matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AdoptedAccount {
    pub user: String,
    #[serde(rename = "matchedBy")]
    pub matched_by: MatchedBy,
}

/// An account a run would switch off (planned, or held back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PlannedDeactivation {
    pub user: String,
    pub reason: String,
}

/// What a run did; serializes as the `sync` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SyncReport {
    pub run: i64,
    pub dry_run: bool,
    pub trigger: Trigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub only: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_ms: u64,
    /// What the plan holds.
    pub plan: Counts,
    /// What the platform confirmed.
    pub applied: Counts,
    /// Owned accounts already as wanted.
    pub unchanged: usize,
    pub errors: Vec<PersonError>,
    /// Why deactivations were held back, one sentence each.
    pub blocked: Vec<Hold>,
    /// Why the run stopped early, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stopped: Option<String>,
    /// Why deactivations were skipped after earlier failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub deactivations_skipped: Option<String>,
    /// Accounts this run switched off (what `undo` switches back on).
    pub deactivated: Vec<DeactivatedAccount>,
    /// Deactivations planned but not made (dry run, held, skipped).
    pub not_deactivated: Vec<PlannedDeactivation>,
    pub adopted: Vec<AdoptedAccount>,
    /// Writes an earlier, interrupted run had made, found on the platform.
    pub resolved: Resolution,
    pub estimate: Estimate,
    /// Requests sent to the platform.
    pub writes: u64,
    /// Problems with the scope (from the read) and the platform's data.
    pub problems: Vec<ReadProblem>,
    /// Each person the run touches, when asked for (`SyncOptions::list_people`); kept in
    /// the history apart from the report, for the last runs.
    pub people: Vec<PlannedPerson>,
}

impl SyncReport {
    /// True when anything was held back or failed, Entra could not be read or the report
    /// could not be emailed: the CLI's exit status 1.
    pub fn has_problems(&self) -> bool {
        self.failed()
            || !self.blocked.is_empty()
            || self
                .problems
                .iter()
                .any(|problem| problem.code == REPORT_NOT_EMAILED)
    }

    /// True when the run stopped, someone could not be written, deactivations were skipped
    /// after a failure, or the read of Entra did not finish.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
            || self.stopped.is_some()
            || self.deactivations_skipped.is_some()
            || self.read_incomplete().is_some()
    }

    /// The problem saying the read of Entra did not finish, when it did not.
    pub fn read_incomplete(&self) -> Option<&ReadProblem> {
        self.problems
            .iter()
            .find(|problem| problem.code == READ_INCOMPLETE)
    }
}

/// The problem code of a run whose read of Entra did not finish (it worked from the last
/// complete read and switched nobody off).
pub const READ_INCOMPLETE: &str = "read_incomplete";

/// The problem code of a run whose email report could not be sent.
pub const REPORT_NOT_EMAILED: &str = "report_not_emailed";

/// The estimate for a plan, from the ledger's history.
pub fn estimate(plan: &SyncPlan, ledger: &Ledger) -> Result<Estimate, LedgerError> {
    let requests = plan.writes();
    let rate = ledger.write_rate()?;
    Ok(Estimate {
        requests,
        rate,
        minutes: rate.map(|rate| requests as f64 / rate / 60.0),
    })
}

fn elapsed_ms(timer: Instant) -> u64 {
    u64::try_from(timer.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The Entra ID `only` names: an object ID or user principal name in the cache, or an
/// owned account's Entra ID or user name.
fn find_person(only: &str, view: &CacheView, ledger_ids: &[(String, String)]) -> Option<String> {
    let wanted = only.trim().to_lowercase();
    view.snapshot
        .users
        .values()
        .find(|user| {
            user.id.to_lowercase() == wanted || user.user_principal_name.to_lowercase() == wanted
        })
        .map(|user| user.id.clone())
        .or_else(|| {
            ledger_ids
                .iter()
                .find(|(id, name)| id.to_lowercase() == wanted || name.to_lowercase() == wanted)
                .map(|(id, _)| id.clone())
        })
}

/// The platform accounts that people the ledger does not own may match.
async fn candidates(
    target: &dyn Target,
    unowned: &[&DesiredAccount],
    first_run: bool,
) -> Result<Vec<RemoteAccount>, TargetError> {
    if unowned.is_empty() {
        return Ok(Vec::new());
    }
    if first_run || unowned.len() > LOOKUPS_BEFORE_LISTING {
        return target.list_accounts().await;
    }
    let mut found: Vec<RemoteAccount> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for wanted in unowned {
        for account in target
            .find_account(&wanted.write.external_id, &wanted.write.user_name)
            .await?
        {
            if seen.insert(account.id.clone()) {
                found.push(account);
            }
        }
    }
    Ok(found)
}

/// The groups to push, with the people in scope in each; groups the cache does not hold
/// become problems.
fn wanted_groups(
    profile: &Profile,
    scope: &GroupScope,
    view: &CacheView,
    in_scope: &HashSet<&str>,
    problems: &mut Vec<ReadProblem>,
) -> Vec<WantedGroup> {
    let mut groups = Vec::new();
    for id in &profile.sync.push_groups {
        let id = crate::directory::parse_group_ref(id).unwrap_or_else(|_| id.clone());
        let Some(group) = view.snapshot.groups.get(&id) else {
            problems.push(ReadProblem {
                code: "push_group_not_in_scope".into(),
                message: format!(
                    "The group {id} in [sync] push_groups is not among the groups read for the scope, so it is not pushed. Push only groups inside the include groups, or add it to [scope] include_groups."
                ),
            });
            continue;
        };
        let within = GroupScope {
            include: vec![id.clone()],
            ..scope.clone()
        };
        let members: BTreeSet<String> = evaluate(&view.snapshot, &within)
            .matched
            .iter()
            .map(|matched| matched.user.id.clone())
            .filter(|member| in_scope.contains(member.as_str()))
            .collect();
        groups.push(WantedGroup {
            entra_id: id,
            display_name: group.display_name.clone(),
            members,
        });
    }
    groups
}

/// Runs one sync of `profile` from `view` (the cache as the host just refreshed it).
pub async fn run(
    profile: &Profile,
    view: CacheView,
    context: &SyncContext<'_>,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let timer = Instant::now();
    let clock = context.clock;
    let ledger = context.ledger;
    let started = clock.now();
    let scope = GroupScope::from_settings(&profile.scope)?;
    let run = ledger.begin_run(options.trigger, options.dry_run, started)?;
    tracing::info!(profile = %profile.name, run, dry_run = options.dry_run, trigger = ?options.trigger, "sync started");
    let progress = context.progress;
    progress(&SyncProgress {
        phase: Phase::Resolving,
        done: 0,
        total: 0,
    });
    let mut stopped = None;
    let resolution = match journal::resolve_open(ledger, context.target, clock).await {
        Ok(resolution) => resolution,
        Err(ResolveError::Ledger(error)) => return Err(error.into()),
        Err(ResolveError::Target(error)) => {
            stopped = Some(error.to_string());
            Resolution::default()
        }
    };
    progress(&SyncProgress {
        phase: Phase::Planning,
        done: 0,
        total: 0,
    });
    let result = evaluate(&view.snapshot, &scope);
    let mut mapped = map_people(
        result.matched.iter().map(|m| m.user),
        &profile.mapping,
        started,
    );
    let mut problems: Vec<ReadProblem> = result.problems;
    drop(result.matched);
    problems.dedup();
    let mut owned = ledger.accounts()?;
    if let Some(only) = &options.only {
        let names: Vec<(String, String)> = owned
            .values()
            .map(|account| (account.entra_id.clone(), account.user_name.clone()))
            .collect();
        let id = find_person(only, &view, &names)
            .ok_or_else(|| SyncError::NoSuchPerson(only.clone()))?;
        mapped
            .accounts
            .retain(|account| account.write.external_id == id);
        mapped.problems.retain(|problem| problem.entra_id == id);
        owned.retain(|entra_id, _| *entra_id == id);
    }
    let mut held: HashSet<String> = resolution.unresolved.clone();
    held.extend(
        mapped
            .problems
            .iter()
            .map(|problem| problem.entra_id.clone()),
    );
    let unowned: Vec<&DesiredAccount> = mapped
        .accounts
        .iter()
        .filter(|wanted| {
            wanted.write.active
                && !owned.contains_key(&wanted.write.external_id)
                && !held.contains(&wanted.write.external_id)
        })
        .collect();
    let mut errors: Vec<PersonError> = mapped
        .problems
        .iter()
        .map(|problem| PersonError {
            user: problem.user.clone(),
            code: problem.code.clone(),
            message: problem.message.clone(),
        })
        .collect();
    for (user, message) in &resolution.problems {
        errors.push(PersonError {
            user: user.clone(),
            code: "duplicate_on_platform".into(),
            message: message.clone(),
        });
    }
    let in_scope: HashSet<&str> = mapped
        .accounts
        .iter()
        .map(|account| account.write.external_id.as_str())
        .collect();
    let groups = if options.only.is_some() {
        Vec::new()
    } else {
        wanted_groups(profile, &scope, &view, &in_scope, &mut problems)
    };
    // Everything the run needs from the snapshot is taken; it is let go before the
    // platform is read and written, so a large directory is not held twice.
    let CacheView {
        snapshot,
        status: read_status,
    } = view;
    let scope_problems = snapshot.problems.clone();
    drop(snapshot);
    let remote = if stopped.is_some() {
        Vec::new()
    } else {
        match candidates(
            context.target,
            &unowned,
            owned.is_empty() && options.only.is_none(),
        )
        .await
        {
            Ok(remote) => remote,
            Err(error) => {
                stopped = Some(format!(
                    "Rollcall could not read the platform's existing accounts, so it wrote nothing (it must know them to avoid creating anyone twice): {error}"
                ));
                Vec::new()
            }
        }
    };
    let owned_groups = ledger.groups()?;
    let mut plan = plan::plan(PlanInput {
        desired: &mapped.accounts,
        held: &held,
        owned: &owned,
        remote: &remote,
        groups: &groups,
        owned_groups: &owned_groups,
    });
    errors.extend(plan.errors.iter().map(|error| PersonError {
        user: error.user.clone(),
        code: error.code.clone(),
        message: error.message.clone(),
    }));
    let planned = Counts::of(&plan);
    let estimate = estimate(&plan, ledger)?;
    let mut people = if options.list_people {
        listing::list(&plan, &owned)
    } else {
        Vec::new()
    };
    let all_owned_active = if options.only.is_some() {
        ledger.accounts()?.values().filter(|a| a.active).count()
    } else {
        owned.values().filter(|account| account.active).count()
    };
    let blocked = guard::holds(GuardInput {
        read: read_status.as_ref(),
        problems: &scope_problems,
        run_started: options.started_at,
        owned_active: all_owned_active,
        deactivations: plan.deactivate.len(),
        safety: &profile.safety,
        force: options.force_deactivations,
    });
    tracing::info!(run, plan = ?planned, unchanged = plan.unchanged, errors = errors.len(), "sync planned");
    for hold in &blocked {
        tracing::warn!(run, code = %hold.code, accounts = hold.accounts, "deactivations held: {}", hold.message);
    }
    // The plan holds what it needs; the mapped people, the owned rows and the platform's
    // accounts are let go before the writes begin.
    drop(in_scope);
    drop(unowned);
    drop(groups);
    drop(owned_groups);
    drop(remote);
    drop(owned);
    drop(mapped);
    let mut not_deactivated: Vec<PlannedDeactivation> = Vec::new();
    if !blocked.is_empty() || options.dry_run || stopped.is_some() {
        not_deactivated = plan
            .deactivate
            .iter()
            .map(|item| PlannedDeactivation {
                user: item.user_name.clone(),
                reason: item.reason.clone(),
            })
            .collect();
    }
    if !blocked.is_empty() {
        plan.deactivate.clear();
    }
    let adopted: Vec<AdoptedAccount> = plan
        .adopt
        .iter()
        .map(|adoption| AdoptedAccount {
            user: adoption.account.user_name.clone(),
            matched_by: adoption.matched_by,
        })
        .collect();
    let dry_run = if options.dry_run || stopped.is_some() {
        DryRun::Yes
    } else {
        DryRun::No
    };
    let concurrency = usize::from(profile.sync.concurrency);
    let mut applied = apply::apply(
        &plan,
        dry_run,
        &ApplyContext {
            ledger,
            target: context.target,
            run,
            clock,
            concurrency,
            progress,
            cancel: context.cancel,
        },
    )
    .await;
    // What was written is in the ledger now; only the deactivations are still reported.
    plan.create = Vec::new();
    plan.adopt = Vec::new();
    plan.update = Vec::new();
    plan.reactivate = Vec::new();
    plan.managers = Vec::new();
    plan.groups = Vec::new();
    if dry_run == DryRun::No && applied.stopped.is_none() {
        progress(&SyncProgress {
            phase: Phase::Finishing,
            done: 0,
            total: 1,
        });
        let roster: Vec<_> = ledger
            .accounts()?
            .into_values()
            .map(OwnedAccount::into_write)
            .collect();
        if let Err(error) = context.target.finish(&roster).await {
            applied.errors.push(PersonError {
                user: String::new(),
                code: apply::error_code(&error).into(),
                message: error.to_string(),
            });
        }
    }
    if !people.is_empty() {
        let after = if dry_run == DryRun::No {
            Some(ledger.accounts()?)
        } else {
            None
        };
        let failed: Vec<PersonError> = errors
            .iter()
            .chain(applied.errors.iter())
            .cloned()
            .collect();
        listing::settle(
            &mut people,
            &failed,
            after.as_ref(),
            !blocked.is_empty(),
            applied.deactivations_skipped.is_some(),
        );
    }
    if applied.deactivations_skipped.is_some() {
        not_deactivated = plan
            .deactivate
            .iter()
            .map(|item| PlannedDeactivation {
                user: item.user_name.clone(),
                reason: item.reason.clone(),
            })
            .collect();
    }
    tracing::info!(run, written = ?applied.counts, errors = applied.errors.len(), stopped = applied.stopped.as_deref().unwrap_or(""), "sync applied");
    Ok(finish(
        ledger,
        clock,
        timer,
        Finished {
            run,
            options,
            started,
            planned,
            unchanged: plan.unchanged,
            errors,
            blocked,
            stopped: stopped.or(applied.stopped.clone()),
            applied,
            not_deactivated,
            adopted,
            resolution,
            estimate,
            problems,
            people,
        },
    )?)
}

struct Finished<'a> {
    run: i64,
    options: &'a SyncOptions,
    started: DateTime<Utc>,
    planned: Counts,
    unchanged: usize,
    errors: Vec<PersonError>,
    blocked: Vec<Hold>,
    stopped: Option<String>,
    applied: Applied,
    not_deactivated: Vec<PlannedDeactivation>,
    adopted: Vec<AdoptedAccount>,
    resolution: Resolution,
    estimate: Estimate,
    problems: Vec<ReadProblem>,
    people: Vec<PlannedPerson>,
}

fn finish(
    ledger: &Ledger,
    clock: &dyn Clock,
    timer: Instant,
    done: Finished<'_>,
) -> Result<SyncReport, LedgerError> {
    let mut errors = done.errors;
    errors.extend(done.applied.errors);
    let finished = clock.now();
    let report = SyncReport {
        run: done.run,
        dry_run: done.options.dry_run,
        trigger: done.options.trigger,
        only: done.options.only.clone(),
        started_at: crate::ledger::timestamp(done.started),
        finished_at: crate::ledger::timestamp(finished),
        elapsed_ms: elapsed_ms(timer),
        plan: done.planned,
        applied: done.applied.counts,
        unchanged: done.unchanged,
        errors,
        blocked: done.blocked,
        stopped: done.stopped,
        deactivations_skipped: done.applied.deactivations_skipped,
        deactivated: done.applied.deactivated,
        not_deactivated: done.not_deactivated,
        adopted: done.adopted,
        resolved: done.resolution,
        estimate: done.estimate,
        writes: done.applied.writes,
        problems: done.problems,
        people: Vec::new(),
    };
    ledger.finish_run(
        report.run,
        &report,
        report.writes,
        report.elapsed_ms,
        finished,
    )?;
    ledger.prune_journal(JOURNAL_RUNS_KEPT)?;
    if !done.people.is_empty() {
        ledger.record_people(report.run, &done.people)?;
    }
    Ok(SyncReport {
        people: done.people,
        ..report
    })
}

/// Switches back on the accounts run `run_id` deactivated (those still owned and still
/// off), as a run of its own in the history.
pub async fn undo(
    run_id: i64,
    context: &SyncContext<'_>,
    dry_run: bool,
) -> Result<SyncReport, SyncError> {
    let timer = Instant::now();
    let ledger = context.ledger;
    let record = ledger.run(run_id)?.ok_or(SyncError::NoSuchRun(run_id))?;
    let deactivated = record.deactivated();
    if record.dry_run || deactivated.is_empty() {
        return Err(SyncError::NothingToUndo(run_id));
    }
    let owned = ledger.accounts()?;
    let mut plan = SyncPlan::default();
    for item in &deactivated {
        let Some(account) = owned.get(&item.entra_id) else {
            continue;
        };
        if account.active {
            plan.unchanged += 1;
            continue;
        }
        let mut write = account.as_write();
        write.active = true;
        plan.reactivate.push(AccountUpdate {
            entra_id: account.entra_id.clone(),
            target_id: account.target_id.clone(),
            changes: vec![crate::targets::AttributeChange {
                path: crate::mapping::paths::ACTIVE.into(),
                value: Some(serde_json::Value::Bool(true)),
            }],
            account: write,
        });
    }
    let options = SyncOptions {
        dry_run,
        force_deactivations: false,
        only: None,
        trigger: Trigger::Undo,
        started_at: context.clock.now(),
        list_people: false,
    };
    let started = context.clock.now();
    let run = ledger.begin_run(Trigger::Undo, dry_run, started)?;
    let planned = Counts::of(&plan);
    let estimate = estimate(&plan, ledger)?;
    let mut applied = apply::apply(
        &plan,
        if dry_run { DryRun::Yes } else { DryRun::No },
        &ApplyContext {
            ledger,
            target: context.target,
            run,
            clock: context.clock,
            concurrency: 8,
            progress: context.progress,
            cancel: context.cancel,
        },
    )
    .await;
    if !dry_run && applied.stopped.is_none() {
        let roster: Vec<_> = ledger
            .accounts()?
            .into_values()
            .map(OwnedAccount::into_write)
            .collect();
        if let Err(error) = context.target.finish(&roster).await {
            applied.errors.push(PersonError {
                user: String::new(),
                code: apply::error_code(&error).into(),
                message: error.to_string(),
            });
        }
    }
    let mut people = listing::list(&plan, &owned);
    let after = if dry_run {
        None
    } else {
        Some(ledger.accounts()?)
    };
    listing::settle(&mut people, &applied.errors, after.as_ref(), false, false);
    let mut problems = Vec::new();
    let missing: BTreeMap<&str, &str> = deactivated
        .iter()
        .filter(|item| !owned.contains_key(&item.entra_id))
        .map(|item| (item.user.as_str(), item.entra_id.as_str()))
        .collect();
    for (user, _) in missing {
        problems.push(ReadProblem {
            code: "no_longer_owned".into(),
            message: format!(
                "{user} is no longer among this connection's accounts, so undo leaves it alone."
            ),
        });
    }
    Ok(finish(
        ledger,
        context.clock,
        timer,
        Finished {
            run,
            options: &options,
            started,
            planned,
            unchanged: plan.unchanged,
            errors: Vec::new(),
            blocked: Vec::new(),
            stopped: applied.stopped.clone(),
            applied,
            not_deactivated: Vec::new(),
            adopted: Vec::new(),
            resolution: Resolution::default(),
            estimate,
            problems,
            people,
        },
    )?)
}
