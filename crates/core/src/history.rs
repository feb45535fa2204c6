//! The run history, kept in the ledger file: every sync (what started it, when it began and
//! ended, its counts, per-person errors, what was held back and why, and which accounts it
//! deactivated, so `undo` can switch them back on), and the write rate measured on earlier
//! runs that the estimate is made from.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apply::Counts;
use crate::ledger::{Ledger, LedgerError, timestamp};
use crate::listing::PlannedPerson;

/// The runs whose per-person lists are kept; older lists are deleted as new runs finish.
const PEOPLE_RUNS_KEPT: i64 = 20;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The admin, in the window or on the command line.
    Manual,
    /// The schedule.
    Schedule,
    /// `undo` of an earlier run.
    Undo,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::Undo => "undo",
        }
    }

    fn parse(text: &str) -> Trigger {
        match text {
            "schedule" => Trigger::Schedule,
            "undo" => Trigger::Undo,
            _ => Trigger::Manual,
        }
    }
}

/// An account a run switched off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DeactivatedAccount {
    /// The user name on the platform.
    pub user: String,
    #[serde(rename = "entraId")]
    pub entra_id: String,
    #[serde(rename = "targetId")]
    pub target_id: String,
    /// Why, in words: "no longer in scope", "disabled in Entra", "left on 2026-05-31".
    pub reason: String,
}

/// One stored run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub trigger: Trigger,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// Writes sent to the platform.
    pub writes: u64,
    pub elapsed_ms: u64,
    /// The run's report as JSON (`None` for a run that never finished).
    pub report: Option<Value>,
    /// Why the run did not happen at all (a scheduled run that found another running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Why the run could not start (a scheduled run of a connection switched off, without
    /// a token, or whose secret cannot be used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

impl RunRecord {
    /// The accounts this run deactivated.
    pub fn deactivated(&self) -> Vec<DeactivatedAccount> {
        self.report
            .as_ref()
            .and_then(|report| report.get("deactivated"))
            .and_then(|list| serde_json::from_value(list.clone()).ok())
            .unwrap_or_default()
    }
}

/// How a run ended, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Everything planned was done.
    Ok,
    /// Some people could not be written, or Entra could not be read; the report says why.
    Problems,
    /// Deactivations were held back by the guard.
    Held,
    /// The run stopped early (cancelled, or the platform refused the token).
    Stopped,
    /// The run never finished (the app was closed or crashed; the next run carries on).
    Unfinished,
    /// A scheduled run that did not start, because another run of the connection was going.
    Skipped,
    /// A run that could not start (see `failed`).
    Failed,
}

/// One run as the history list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RunSummary {
    pub id: i64,
    pub trigger: Trigger,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub elapsed_ms: u64,
    /// What the platform confirmed.
    pub applied: Counts,
    /// People the run could not write.
    pub errors: usize,
    /// Deactivations the guard held back.
    pub held: usize,
    pub outcome: RunOutcome,
    /// Whether Undo applies: the run switched someone off.
    pub undoable: bool,
    /// Why the run did not happen, when it was skipped.
    pub skipped: Option<String>,
    /// Why the run could not start, when it could not.
    pub failed: Option<String>,
}

impl RunRecord {
    /// The run as the history list shows it.
    pub fn summary(&self) -> RunSummary {
        let report = self.report.as_ref();
        let count = |key: &str| {
            report
                .and_then(|report| report.get(key))
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        let applied: Counts = report
            .and_then(|report| report.get("applied"))
            .and_then(|counts| serde_json::from_value(counts.clone()).ok())
            .unwrap_or_default();
        let held = report
            .and_then(|report| report.get("blocked"))
            .and_then(Value::as_array)
            .and_then(|holds| holds.first())
            .and_then(|hold| hold.get("accounts"))
            .and_then(Value::as_u64)
            .map_or(0, |accounts| {
                usize::try_from(accounts).unwrap_or(usize::MAX)
            });
        let stopped = report.is_some_and(|report| report.get("stopped").is_some());
        let errors = count("errors");
        let has_problem = |code: &str| {
            report
                .and_then(|report| report.get("problems"))
                .and_then(Value::as_array)
                .is_some_and(|problems| {
                    problems
                        .iter()
                        .any(|problem| problem.get("code").and_then(Value::as_str) == Some(code))
                })
        };
        let read_failed = has_problem(crate::sync::READ_INCOMPLETE);
        let outcome = if self.skipped.is_some() {
            RunOutcome::Skipped
        } else if self.failed.is_some() {
            RunOutcome::Failed
        } else if report.is_none() {
            RunOutcome::Unfinished
        } else if stopped {
            RunOutcome::Stopped
        } else if read_failed {
            // Entra could not be read (an expired secret, say): that, not what the guard
            // held back because of it, is what the admin must fix.
            RunOutcome::Problems
        } else if held > 0 || count("blocked") > 0 {
            RunOutcome::Held
        } else if errors > 0 || has_problem(crate::sync::REPORT_NOT_EMAILED) {
            RunOutcome::Problems
        } else {
            RunOutcome::Ok
        };
        RunSummary {
            id: self.id,
            trigger: self.trigger,
            dry_run: self.dry_run,
            started_at: self.started_at.clone(),
            finished_at: self.finished_at.clone(),
            elapsed_ms: self.elapsed_ms,
            applied,
            errors,
            held,
            outcome,
            undoable: !self.dry_run && count("deactivated") > 0,
            skipped: self.skipped.clone(),
            failed: self.failed.clone(),
        }
    }
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Ledger {
    /// Records that a run began; returns its number.
    pub fn begin_run(
        &self,
        trigger: Trigger,
        dry_run: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, LedgerError> {
        let connection = self.lock();
        connection.execute(
            "INSERT INTO runs (trigger, dry_run, started_at) VALUES (?1, ?2, ?3)",
            params![trigger.as_str(), dry_run, timestamp(at)],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Records how a run ended.
    pub fn finish_run(
        &self,
        run: i64,
        report: &impl Serialize,
        writes: u64,
        elapsed_ms: u64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LedgerError> {
        let report = serde_json::to_string(report)?;
        self.lock().execute(
            "UPDATE runs SET finished_at = ?2, writes = ?3, elapsed_ms = ?4, report = ?5 WHERE id = ?1",
            params![run, timestamp(at), to_i64(writes), to_i64(elapsed_ms), report],
        )?;
        Ok(())
    }

    /// Keeps the list of people a run touched, for its report; drops the lists of runs
    /// older than the last `PEOPLE_RUNS_KEPT`.
    pub fn record_people(&self, run: i64, people: &[PlannedPerson]) -> Result<(), LedgerError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        {
            let mut insert = transaction
                .prepare("INSERT INTO run_people (run, position, entry) VALUES (?1, ?2, ?3)")?;
            for (position, person) in people.iter().enumerate() {
                insert.execute(params![
                    run,
                    i64::try_from(position).unwrap_or(i64::MAX),
                    serde_json::to_string(person)?
                ])?;
            }
        }
        transaction.execute(
            "DELETE FROM run_people WHERE run <= (SELECT COALESCE(MAX(id), 0) FROM runs) - ?1",
            params![PEOPLE_RUNS_KEPT],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// The people a run touched, in plan order (empty for runs whose list was dropped).
    pub fn people(&self, run: i64) -> Result<Vec<PlannedPerson>, LedgerError> {
        let connection = self.lock();
        let mut statement =
            connection.prepare("SELECT entry FROM run_people WHERE run = ?1 ORDER BY position")?;
        let rows = statement.query_map(params![run], |row| row.get::<_, String>(0))?;
        let mut people = Vec::new();
        for row in rows {
            if let Ok(person) = serde_json::from_str(&row?) {
                people.push(person);
            }
        }
        Ok(people)
    }

    /// Records a run that did not happen, and why (a scheduled run that found another run of
    /// the connection going); returns its number. It shows in the history like any run.
    pub fn record_skipped_run(
        &self,
        trigger: Trigger,
        reason: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, LedgerError> {
        self.record_run_not_made(trigger, "skipped", reason, at)
    }

    /// Records a run that could not start, and why (say, a scheduled run whose secret has
    /// expired); returns its number. It shows in the history like any run.
    pub fn record_failed_run(
        &self,
        trigger: Trigger,
        reason: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, LedgerError> {
        self.record_run_not_made(trigger, "failed", reason, at)
    }

    /// A run that began and ended at `at` without syncing, its report only `{key: reason}`
    /// (read back by `row_to_run`).
    fn record_run_not_made(
        &self,
        trigger: Trigger,
        key: &str,
        reason: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, LedgerError> {
        let report = serde_json::to_string(&serde_json::json!({ key: reason }))?;
        let connection = self.lock();
        connection.execute(
            "INSERT INTO runs (trigger, dry_run, started_at, finished_at, report) VALUES (?1, 0, ?2, ?2, ?3)",
            params![trigger.as_str(), timestamp(at), report],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Puts `problems` first among the problems of run `run`'s stored report (what the host
    /// learnt around the run: a read of Entra that did not finish, a report email that could
    /// not be sent).
    pub fn add_run_problems(
        &self,
        run: i64,
        problems: &[crate::records::ReadProblem],
    ) -> Result<(), LedgerError> {
        if problems.is_empty() {
            return Ok(());
        }
        let connection = self.lock();
        let stored: Option<String> = connection
            .query_row(
                "SELECT report FROM runs WHERE id = ?1",
                params![run],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        let Some(mut report) = stored.and_then(|text| serde_json::from_str::<Value>(&text).ok())
        else {
            return Ok(());
        };
        if let Some(list) = report.get_mut("problems").and_then(Value::as_array_mut) {
            let mut added = problems
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<Value>, _>>()?;
            added.append(list);
            *list = added;
        }
        connection.execute(
            "UPDATE runs SET report = ?1 WHERE id = ?2",
            params![serde_json::to_string(&report)?, run],
        )?;
        Ok(())
    }

    /// The most recent runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, LedgerError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT id, trigger, dry_run, started_at, finished_at, writes, elapsed_ms, report FROM runs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = statement.query_map(
            params![i64::try_from(limit).unwrap_or(i64::MAX)],
            row_to_run,
        )?;
        let mut runs = Vec::new();
        for row in rows {
            runs.push(row?);
        }
        Ok(runs)
    }

    /// One run by number.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>, LedgerError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id, trigger, dry_run, started_at, finished_at, writes, elapsed_ms, report FROM runs WHERE id = ?1",
                params![id],
                row_to_run,
            )
            .optional()?)
    }

    /// Writes a second, measured over the last runs that wrote (at least 20 writes each);
    /// `None` before there is one.
    pub fn write_rate(&self) -> Result<Option<f64>, LedgerError> {
        let (writes, elapsed): (i64, i64) = self.lock().query_row(
            "SELECT COALESCE(SUM(writes), 0), COALESCE(SUM(elapsed_ms), 0) FROM
               (SELECT writes, elapsed_ms FROM runs WHERE dry_run = 0 AND writes >= 20 AND finished_at IS NOT NULL
                ORDER BY id DESC LIMIT 5)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        if writes <= 0 || elapsed <= 0 {
            return Ok(None);
        }
        Ok(Some(writes as f64 * 1000.0 / elapsed as f64))
    }
}

fn row_to_run(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let report: Option<Value> = row
        .get::<_, Option<String>>(7)?
        .and_then(|text| serde_json::from_str(&text).ok());
    let text_of = |key: &str| {
        report
            .as_ref()
            .and_then(|report| report.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let skipped = text_of("skipped");
    let failed = text_of("failed");
    Ok(RunRecord {
        id: row.get(0)?,
        trigger: Trigger::parse(&row.get::<_, String>(1)?),
        dry_run: row.get(2)?,
        started_at: row.get(3)?,
        finished_at: row.get(4)?,
        writes: to_u64(row.get(5)?),
        elapsed_ms: to_u64(row.get(6)?),
        report,
        skipped,
        failed,
    })
}
