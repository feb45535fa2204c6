//! The schedule's operations: set a connection's schedule (only after a sync by hand has
//! worked) and register it with the operating system, switch it off, list every
//! connection's schedule with its next run and whether what the operating system has
//! matches the profile, and repair what does not.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ErrorCode, OpError, OpResult, Workspace};
use crate::history::{RunRecord, Trigger};
use crate::profile::Profile;
use crate::schedule::{
    RegisterError, Registration, Schedule, ScheduleSettings, ScheduledCommand, next_run,
};

/// How what the operating system has compares with the profile's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// No schedule, and nothing registered.
    NotScheduled,
    /// Registered exactly as the profile says, and switched on.
    Matches,
    /// Registered, but not as the profile says now (or switched off there).
    Differs,
    /// The profile has a schedule the operating system does not have.
    Missing,
    /// Something is registered for a connection without a schedule.
    Stray,
    /// The operating system could not be asked (see `problem`).
    Unknown,
}

/// One connection's schedule as `schedule list` and the home screen show it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ScheduleStatus {
    pub name: String,
    /// A sync by hand has worked, so a schedule may be set.
    pub sync_by_hand_worked: bool,
    /// The rule in words ("every 1h30m"), when there is a schedule.
    pub rule: Option<String>,
    /// The `[schedule]` table as saved.
    pub settings: Option<ScheduleSettings>,
    /// The time zone its times are read in (the computer's when the profile names none).
    pub time_zone: Option<String>,
    pub after: Option<String>,
    /// Whether the profile lets scheduled runs sync.
    pub enabled: bool,
    /// When it runs next (UTC, RFC 3339).
    pub next_run: Option<String>,
    /// The same, in the schedule's time zone, as the admin reads it.
    pub next_run_local: Option<String>,
    /// When it last ran (UTC, RFC 3339).
    pub last_run: Option<String>,
    /// A run of this connection is going on now.
    pub running: bool,
    /// The operating system's scheduler: "systemd", "launchd" or "task-scheduler" ("folder"
    /// in demo mode, which keeps what it would register in its data folder).
    pub scheduler: String,
    pub registered: RegistrationState,
    /// The files the operating system has for it (unit files, agent, task), by name.
    pub registered_files: Vec<String>,
    /// What stops the schedule from working, in words, when something does.
    pub problem: Option<String>,
}

/// What the operating system last refused to register (or remove), per connection, for as
/// long as the workspace lives: the repair at start-up finds it, the home screen shows it.
#[derive(Debug, Clone, Default)]
pub(super) struct Refusals(Arc<Mutex<HashMap<String, String>>>);

impl Refusals {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `refusal` as `name`'s, or forgets `name`'s when it is `None`.
    fn note(&self, name: &str, refusal: Option<&OpError>) {
        match refusal {
            Some(error) => {
                self.entries()
                    .insert(name.to_string(), error.message.clone());
            }
            None => {
                self.entries().remove(name);
            }
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.entries().get(name).cloned()
    }
}

/// How long a scheduled run waits for the connection it runs after to finish.
const AFTER_WAIT_LIMIT: Duration = Duration::from_secs(4 * 60 * 60);
const AFTER_WAIT_STEP: Duration = Duration::from_secs(5);

fn register_error(error: RegisterError) -> OpError {
    OpError::new(ErrorCode::Register, error.to_string())
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Whether a run was a sync by hand that wrote and went through: no person's error, not
/// stopped, not skipped.
fn worked_by_hand(run: &RunRecord) -> bool {
    let Some(report) = &run.report else {
        return false;
    };
    run.trigger == Trigger::Manual
        && !run.dry_run
        && run.finished_at.is_some()
        && run.skipped.is_none()
        && report
            .get("errors")
            .and_then(|errors| errors.as_array())
            .is_some_and(Vec::is_empty)
        && report.get("stopped").is_none_or(serde_json::Value::is_null)
}

/// The start of the last run that synced (by hand or on schedule, not a dry run, not
/// skipped).
pub(super) fn last_sync(runs: &[RunRecord]) -> Option<DateTime<Utc>> {
    runs.iter()
        .find(|run| run.trigger != Trigger::Undo && !run.dry_run && run.skipped.is_none())
        .and_then(|run| parse_instant(&run.started_at))
}

impl Workspace {
    /// The same workspace registering schedules with `scheduler` (tests use a
    /// `MemoryScheduler`).
    pub fn with_scheduler(
        mut self,
        scheduler: std::sync::Arc<dyn crate::schedule::OsScheduler>,
    ) -> Workspace {
        self.scheduler = scheduler;
        self
    }

    /// The same workspace registering `program` as the `rollcall` binary the operating
    /// system runs (by default, the running program).
    pub fn with_program(mut self, program: PathBuf) -> Workspace {
        self.program = Some(program);
        self
    }

    fn scheduled_command(&self, name: &str) -> OpResult<ScheduledCommand> {
        let program = match &self.program {
            Some(program) => program.clone(),
            None => std::env::current_exe().map_err(|error| {
                OpError::new(
                    ErrorCode::Register,
                    format!(
                        "Rollcall could not find its own program file to register the schedule ({error}). Start Rollcall from where it is installed and try again."
                    ),
                )
            })?,
        };
        let data_dir = std::path::absolute(self.data_dir().path())
            .unwrap_or_else(|_| self.data_dir().path().to_path_buf());
        Ok(ScheduledCommand {
            program,
            data_dir,
            name: name.to_string(),
        })
    }

    /// What the operating system should have for `profile`'s schedule.
    fn expected_registration(&self, schedule: &Schedule, name: &str) -> OpResult<Registration> {
        let command = self.scheduled_command(name)?;
        Ok(self.scheduler.registration(schedule, &command))
    }

    /// Sets `profile`'s schedule and registers it with the operating system, so it runs with
    /// the window closed; the profile is switched on for scheduled runs. Refused until a sync
    /// by hand has worked, when the rule cannot be used, and when `after` names no other
    /// connection (or leads back to this one). If the operating system refuses, the profile
    /// is left as it was.
    pub fn set_schedule(
        &self,
        profile: &str,
        settings: &ScheduleSettings,
    ) -> OpResult<ScheduleStatus> {
        let mut loaded = self.profile(profile)?;
        let schedule = settings
            .schedule()
            .map_err(|problem| OpError::new(ErrorCode::Schedule, problem.message))?;
        if let Some(after) = &schedule.after {
            self.check_after(&loaded.name, after)?;
        }
        let runs = self.history(&loaded.name)?;
        if !runs.iter().any(worked_by_hand) {
            return Err(OpError::new(
                ErrorCode::FirstSyncNeeded,
                format!(
                    "\"{}\" has not had a sync by hand that worked yet, and a schedule is only switched on after one. Run \"Sync now\" (or `rollcall sync {}`) first, check the result, then set the schedule.",
                    loaded.name, loaded.name
                ),
            ));
        }
        loaded.schedule = Some(schedule.settings());
        loaded.enabled = true;
        let text = loaded.to_toml().map_err(super::profile_error)?;
        let checked = Profile::parse(&text).map_err(super::profile_error)?;
        let registration = self.expected_registration(&schedule, &checked.name)?;
        self.register(&checked.name, &registration)?;
        if let Err(error) = self.profiles().save(&checked) {
            let _ = self.scheduler.unregister(&checked.name);
            return Err(super::profile_error(error));
        }
        self.schedule_status(&checked.name)
    }

    /// Registers with the operating system, remembering a refusal for `schedule_status` (and
    /// forgetting it once registering works).
    fn register(&self, name: &str, registration: &Registration) -> OpResult<()> {
        let outcome = self
            .scheduler
            .register(name, registration)
            .map_err(register_error);
        self.refusals.note(name, outcome.as_ref().err());
        outcome
    }

    /// Removes what is registered, remembering a refusal as [`Workspace::register`] does.
    pub(super) fn unregister(&self, name: &str) -> OpResult<()> {
        let outcome = self.scheduler.unregister(name).map_err(register_error);
        self.refusals.note(name, outcome.as_ref().err());
        outcome
    }

    /// `after` must name another connection, whose own `after` chain does not lead back.
    fn check_after(&self, name: &str, after: &str) -> OpResult<()> {
        let schedule_error = |message: String| OpError::new(ErrorCode::Schedule, message);
        if after == name {
            return Err(schedule_error(format!(
                "\"{name}\" cannot run after itself. Name another connection, or leave out --after."
            )));
        }
        let names = self.profiles().list().map_err(super::profile_error)?;
        if !names.iter().any(|known| known == after) {
            return Err(schedule_error(format!(
                "There is no connection called \"{after}\" for \"{name}\" to run after. Run `rollcall profile list` to see the connections."
            )));
        }
        let mut next = Some(after.to_string());
        for _ in 0..=names.len() {
            let Some(current) = next.take() else {
                return Ok(());
            };
            if current == name {
                return Err(schedule_error(format!(
                    "\"{name}\" cannot run after \"{after}\": \"{after}\" already waits (directly or through others) for \"{name}\". Remove one of the two orders."
                )));
            }
            next = self
                .profile(&current)
                .ok()
                .and_then(|profile| profile.schedule)
                .and_then(|settings| settings.after);
        }
        Ok(())
    }

    /// Switches `profile`'s schedule off: removes what was registered with the operating
    /// system and the profile's `[schedule]`, and stops scheduled runs from syncing it.
    pub fn clear_schedule(&self, profile: &str) -> OpResult<ScheduleStatus> {
        let mut loaded = self.profile(profile)?;
        self.unregister(&loaded.name)?;
        loaded.schedule = None;
        loaded.enabled = false;
        self.profiles()
            .save(&loaded)
            .map_err(super::profile_error)?;
        self.schedule_status(&loaded.name)
    }

    /// One connection's schedule: its rule, next run and what the operating system has.
    pub fn schedule_status(&self, profile: &str) -> OpResult<ScheduleStatus> {
        let loaded = self.profile(profile)?;
        let runs = self.history(&loaded.name)?;
        let last = last_sync(&runs);
        let mut status = ScheduleStatus {
            name: loaded.name.clone(),
            sync_by_hand_worked: runs.iter().any(worked_by_hand),
            rule: None,
            settings: loaded.schedule.clone(),
            time_zone: None,
            after: None,
            enabled: loaded.enabled,
            next_run: None,
            next_run_local: None,
            last_run: last.map(crate::ledger::timestamp),
            running: self.is_running(&loaded.name),
            scheduler: String::new(),
            registered: RegistrationState::Unknown,
            registered_files: Vec::new(),
            problem: None,
        };
        let schedule = match loaded.schedule.as_ref().map(ScheduleSettings::schedule) {
            Some(Ok(schedule)) => Some(schedule),
            Some(Err(problem)) => {
                status.problem = Some(problem.message);
                None
            }
            None => None,
        };
        let expected = match &schedule {
            Some(schedule) => {
                let zone = schedule.zone();
                let next = next_run(schedule, last, self.clock().now());
                status.rule = Some(schedule.describe());
                status.time_zone = Some(zone.name().to_string());
                status.after = schedule.after.clone();
                status.next_run = Some(crate::ledger::timestamp(next));
                status.next_run_local = Some(
                    next.with_timezone(&zone)
                        .format("%a %-d %b %Y, %H:%M %Z")
                        .to_string(),
                );
                match self.expected_registration(schedule, &loaded.name) {
                    Ok(expected) => Some(expected),
                    Err(error) => {
                        status.problem = Some(error.message);
                        return Ok(status);
                    }
                }
            }
            None => None,
        };
        match self.scheduler.registered(&loaded.name) {
            Err(error) => status.problem = Some(error.to_string()),
            Ok(found) => {
                status.registered_files = found
                    .iter()
                    .flat_map(|found| found.files.iter().map(|file| file.name.clone()))
                    .collect();
                status.registered = match (&expected, &found) {
                    (None, None) => RegistrationState::NotScheduled,
                    (None, Some(_)) => RegistrationState::Stray,
                    (Some(_), None) => RegistrationState::Missing,
                    (Some(expected), Some(found)) => {
                        if found.active && found.files == expected.files {
                            RegistrationState::Matches
                        } else {
                            RegistrationState::Differs
                        }
                    }
                };
            }
        }
        if let Some(expected) = &expected {
            status.scheduler = expected.scheduler.to_string();
        }
        if status.problem.is_none()
            && !matches!(
                status.registered,
                RegistrationState::Matches | RegistrationState::NotScheduled
            )
        {
            status.problem = self.refusals.get(&loaded.name);
        }
        if status.problem.is_none() && schedule.is_some() && !loaded.enabled {
            status.problem = Some(format!(
                "\"{}\" is switched off (enabled = false), so its schedule does not sync it. Set the schedule again to switch it on.",
                loaded.name
            ));
        }
        Ok(status)
    }

    /// Every connection's schedule, in name order.
    pub fn schedules(&self) -> OpResult<Vec<ScheduleStatus>> {
        let names = self.profiles().list().map_err(super::profile_error)?;
        names
            .iter()
            .map(|name| self.schedule_status(name))
            .collect()
    }

    /// Makes what the operating system has match the profiles: registers a schedule that is
    /// missing or differs, removes what is registered for a connection without one. Run at
    /// start; returns every connection's schedule afterwards. A connection the operating
    /// system refuses keeps the refusal as its `problem`.
    pub fn repair_schedules(&self) -> OpResult<Vec<ScheduleStatus>> {
        let mut repaired = Vec::new();
        for status in self.schedules()? {
            let outcome = match status.registered {
                RegistrationState::Missing | RegistrationState::Differs if status.enabled => self
                    .profile(&status.name)
                    .ok()
                    .and_then(|profile| profile.schedule)
                    .and_then(|settings| settings.schedule().ok())
                    .map(|schedule| {
                        let registration = self.expected_registration(&schedule, &status.name)?;
                        self.register(&status.name, &registration)
                    }),
                RegistrationState::Stray => Some(self.unregister(&status.name)),
                _ => None,
            };
            match outcome {
                Some(Err(error)) => repaired.push(ScheduleStatus {
                    problem: Some(error.message),
                    ..status
                }),
                Some(Ok(())) => repaired.push(self.schedule_status(&status.name)?),
                None => repaired.push(status),
            }
        }
        Ok(repaired)
    }

    /// Before a scheduled run: waits while the connection this one runs after (`after`) is
    /// running, up to four hours; then the run goes ahead either way.
    pub async fn wait_for_earlier(&self, profile: &str) -> OpResult<()> {
        let Some(after) = self
            .profile(profile)?
            .schedule
            .and_then(|settings| settings.after)
        else {
            return Ok(());
        };
        let mut waited = Duration::ZERO;
        while self.is_running(&after) && waited < AFTER_WAIT_LIMIT {
            tokio::time::sleep(AFTER_WAIT_STEP).await;
            waited += AFTER_WAIT_STEP;
        }
        Ok(())
    }
}
