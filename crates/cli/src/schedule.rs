//! `rollcall schedule NAME (--every 90m | --daily 02:00 | --weekdays 07:30 | --off)
//! [--time-zone ZONE] [--after OTHER] [--json]` and `rollcall schedule list [--json]`: a
//! connection's schedule, registered with the operating system so it runs with the window
//! closed, and every connection's rule, next run and registration.

use std::io::Write;

use clap::{ArgGroup, Args};
use rollcall_core::ops::{RegistrationState, ScheduleStatus, Workspace};
use rollcall_core::schedule::ScheduleSettings;

use crate::EXIT_USAGE;
use crate::output::{answer, fail};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("rule").args(["every", "daily", "weekdays", "off"])))]
pub(crate) struct ScheduleArgs {
    /// The profile to schedule, or `list` to show every profile's schedule.
    name: String,
    /// Sync every so often: 90m, 2h, 1h30m (at least 5 minutes, at most 7 days).
    #[arg(long, value_name = "INTERVAL")]
    every: Option<String>,
    /// Sync every day at this time (24-hour, HH:MM).
    #[arg(long, value_name = "HH:MM")]
    daily: Option<String>,
    /// Sync Monday to Friday at this time (24-hour, HH:MM).
    #[arg(long, value_name = "HH:MM")]
    weekdays: Option<String>,
    /// Switch the schedule off and remove it from the operating system.
    #[arg(long)]
    off: bool,
    /// Read the time in this IANA time zone (for example Europe/London); this computer's by default.
    #[arg(long, value_name = "ZONE", conflicts_with = "off")]
    time_zone: Option<String>,
    /// Run after this other profile (waits while it is running).
    #[arg(long, value_name = "OTHER", conflicts_with = "off")]
    after: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn execute(args: &ScheduleArgs, ws: &Workspace, out: &mut dyn Write) -> u8 {
    let no_rule = args.every.is_none() && args.daily.is_none() && args.weekdays.is_none();
    if no_rule && !args.off {
        if args.name == "list" && args.time_zone.is_none() && args.after.is_none() {
            return match ws.schedules() {
                Ok(all) => answer(out, args.json, &all, |all| list(all)),
                Err(error) => fail(&error),
            };
        }
        crate::eprint_line(&format!(
            "Say when \"{}\" syncs: --every 90m, --daily 02:00 or --weekdays 07:30 (or --off to stop).",
            args.name
        ));
        return EXIT_USAGE;
    }
    let done = if args.off {
        ws.clear_schedule(&args.name)
    } else {
        ws.set_schedule(
            &args.name,
            &ScheduleSettings {
                every: args.every.clone(),
                daily: args.daily.clone(),
                weekdays: args.weekdays.clone(),
                time_zone: args.time_zone.clone(),
                after: args.after.clone(),
            },
        )
    };
    match done {
        Ok(status) => answer(out, args.json, &status, describe),
        Err(error) => fail(&error),
    }
}

fn registration(status: &ScheduleStatus) -> String {
    let scheduler = match status.scheduler.as_str() {
        "" => "the operating system",
        "task-scheduler" => "Task Scheduler",
        other => other,
    };
    match status.registered {
        RegistrationState::NotScheduled => "nothing registered".into(),
        RegistrationState::Matches => format!("registered with {scheduler}, as set"),
        RegistrationState::Differs => format!(
            "registered with {scheduler}, but not as set (open Rollcall, or set the schedule again, to repair it)"
        ),
        RegistrationState::Missing => format!(
            "not registered with {scheduler} (open Rollcall, or set the schedule again, to repair it)"
        ),
        RegistrationState::Stray => {
            "something is still registered for it (open Rollcall to remove it)".into()
        }
        RegistrationState::Unknown => "registration unknown".into(),
    }
}

/// One connection's schedule in words.
fn describe(status: &ScheduleStatus) -> String {
    let mut lines = Vec::new();
    match &status.rule {
        None => lines.push(format!(
            "\"{}\" has no schedule; it syncs only when you run it.",
            status.name
        )),
        Some(rule) => {
            let zone = status
                .time_zone
                .as_deref()
                .unwrap_or("this computer's time");
            let after = status
                .after
                .as_ref()
                .map(|after| format!(", after \"{after}\""))
                .unwrap_or_default();
            lines.push(format!("\"{}\" syncs {rule} ({zone}){after}.", status.name));
            if let Some(next) = &status.next_run_local {
                lines.push(format!("Next run: {next}."));
            }
        }
    }
    lines.push(format!("{}.", capitalised(&registration(status))));
    if status.running {
        lines.push("A sync is running now.".into());
    }
    if let Some(problem) = &status.problem {
        lines.push(format!("! {problem}"));
    }
    lines.join("\n")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn list(all: &[ScheduleStatus]) -> String {
    if all.is_empty() {
        return "There are no profiles yet. Import one with `rollcall profile import FILE.toml`."
            .into();
    }
    all.iter()
        .map(|status| {
            format!(
                "{}\t{}\t{}\t{}{}",
                status.name,
                status.rule.as_deref().unwrap_or("no schedule"),
                status
                    .next_run_local
                    .as_deref()
                    .map(|next| format!("next {next}"))
                    .unwrap_or_else(|| "-".into()),
                registration(status),
                status
                    .problem
                    .as_deref()
                    .map(|problem| format!("\n  ! {problem}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
