//! `rollcall sync NAME [--dry-run] [--json] [--force-deactivations] [--only PERSON]
//! [--scheduled]` (as the operating system's scheduler runs it), `rollcall history NAME [--json]` and `rollcall undo NAME RUN [--dry-run]
//! [--json]`: the sync and its runs. Progress goes to stderr. Exit status 0 when everything
//! was written, 1 when anything was held back or failed, 2 for bad usage.

use std::io::Write;
use std::sync::Arc;

use clap::Args;
use rollcall_core::apply::SyncProgress;
use rollcall_core::history::{RunOutcome, RunSummary, Trigger};
use rollcall_core::ops::{ReadObserver, SyncObserver, SyncRequest, Workspace};
use rollcall_core::sync::SyncReport;

use crate::output::{answer, fail, worst};
use crate::preview::progress_line;
use crate::{EXIT_PROBLEMS, command_runtime, eprint_line};

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// The profile to sync.
    name: String,
    /// Work out and show what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Lift the [safety] limits on deactivations for this run (never after an incomplete read).
    #[arg(long)]
    force_deactivations: bool,
    /// Sync only this person (user principal name or Entra object ID).
    #[arg(long, value_name = "PERSON")]
    only: Option<String>,
    /// Run as the schedule does: refused while the profile is switched off; waits while the
    /// profile it runs after is syncing; when a sync of it is already running, records in
    /// the history that this run skipped.
    #[arg(long)]
    scheduled: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The profile whose runs to list.
    name: String,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UndoArgs {
    /// The profile.
    name: String,
    /// The run whose deactivations to undo (see `rollcall history NAME`).
    run: i64,
    /// Show what would be switched back on; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Progress of the writes on the terminal.
fn write_progress(progress: &SyncProgress) {
    if progress.total > 0 {
        eprint_line(&format!(
            "{:?}: {} of {}",
            progress.phase, progress.done, progress.total
        ));
    }
}

fn observer() -> SyncObserver {
    SyncObserver {
        read: ReadObserver {
            progress: Some(Arc::new(progress_line)),
            ..ReadObserver::default()
        },
        progress: Some(Arc::new(write_progress)),
    }
}

fn verdict(report: &SyncReport) -> u8 {
    if report.has_problems() {
        EXIT_PROBLEMS
    } else {
        0
    }
}

pub(crate) fn sync(args: &SyncArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    let runtime = match command_runtime("the sync") {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    let request = SyncRequest {
        dry_run: args.dry_run,
        force_deactivations: args.force_deactivations,
        only: args.only.clone(),
        trigger: if args.scheduled {
            Trigger::Schedule
        } else {
            Trigger::Manual
        },
        list_people: false,
    };
    if args.scheduled
        && let Err(error) = runtime.block_on(ws.wait_for_earlier(&args.name))
    {
        return fail(&error);
    }
    eprint_line(&format!("Syncing \"{}\"…", args.name));
    match runtime.block_on(ws.sync(&args.name, &request, observer())) {
        Ok(report) => worst(answer(out, args.json, &report, describe), verdict(&report)),
        Err(error) => fail(&error),
    }
}

pub(crate) fn history(args: &HistoryArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    match ws.run_summaries(&args.name) {
        Ok(runs) => answer(out, args.json, &runs, |runs| list(&args.name, runs)),
        Err(error) => fail(&error),
    }
}

pub(crate) fn undo(args: &UndoArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    let runtime = match command_runtime("the undo") {
        Ok(runtime) => runtime,
        Err(status) => return status,
    };
    match runtime.block_on(ws.undo(&args.name, args.run, args.dry_run, observer())) {
        Ok(report) => worst(answer(out, args.json, &report, describe), verdict(&report)),
        Err(error) => fail(&error),
    }
}

/// The run in words: what changed, what was held back and why, who could not be synced.
fn describe(report: &SyncReport) -> String {
    let plan = &report.plan;
    let done = &report.applied;
    let mut lines = vec![if report.dry_run {
        format!(
            "Dry run {}: nothing was written. A sync would create {}, adopt {}, update {}, reactivate {} and deactivate {} accounts.",
            report.run, plan.create, plan.adopt, plan.update, plan.reactivate, plan.deactivate
        )
    } else {
        format!(
            "Run {}: created {}, adopted {}, updated {}, reactivated {}, deactivated {} accounts; {} already up to date ({:.1} s).",
            report.run,
            done.create,
            done.adopt,
            done.update,
            done.reactivate,
            done.deactivate,
            report.unchanged,
            report.elapsed_ms as f64 / 1000.0
        )
    }];
    if let Some(minutes) = report.estimate.minutes.filter(|_| report.dry_run) {
        lines.push(format!(
            "It would send {} requests, about {minutes:.1} minutes at the pace of earlier runs.",
            report.estimate.requests
        ));
    }
    if let Some(stopped) = &report.stopped {
        lines.push(format!("! The run stopped early: {stopped}"));
    }
    for hold in &report.blocked {
        lines.push(format!("! Held back: {}", hold.message));
    }
    if let Some(skipped) = &report.deactivations_skipped {
        lines.push(format!("! {skipped}"));
    }
    for problem in &report.problems {
        lines.push(format!("! {}", problem.message));
    }
    for adopted in &report.adopted {
        lines.push(format!(
            "  adopted {} (matched by {:?})",
            adopted.user, adopted.matched_by
        ));
    }
    for account in &report.deactivated {
        lines.push(format!(
            "  deactivated {}: {}",
            account.user, account.reason
        ));
    }
    for account in &report.not_deactivated {
        lines.push(format!(
            "  not deactivated {}: {}",
            account.user, account.reason
        ));
    }
    for error in &report.errors {
        lines.push(format!("  problem with {}: {}", error.user, error.message));
    }
    lines.join("\n")
}

fn list(name: &str, runs: &[RunSummary]) -> String {
    if runs.is_empty() {
        return format!(
            "\"{name}\" has not been synced yet. Try `rollcall sync {name} --dry-run`."
        );
    }
    runs.iter()
        .map(|run| {
            let done = &run.applied;
            format!(
                "{}\t{}\t{:?}{}\t{} created, {} updated, {} reactivated, {} deactivated\t{}",
                run.id,
                run.started_at,
                run.trigger,
                if run.dry_run { " (dry run)" } else { "" },
                done.create + done.adopt,
                done.update,
                done.reactivate,
                done.deactivate,
                match (run.skipped.as_ref().or(run.failed.as_ref()), run.outcome) {
                    (Some(reason), _) => reason.as_str(),
                    (None, RunOutcome::Failed) => "did not start",
                    (None, RunOutcome::Ok) => "finished",
                    (None, RunOutcome::Problems) => "finished with problems",
                    (None, RunOutcome::Held) => "deactivations held back",
                    (None, RunOutcome::Stopped) => "stopped early",
                    (None, RunOutcome::Skipped) => "skipped",
                    (None, RunOutcome::Unfinished) => "did not finish",
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
