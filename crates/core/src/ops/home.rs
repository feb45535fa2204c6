//! What the home screen shows of each connection (last sync, secret expiry, the platform),
//! a past run's report and its CSV, finding a person to sync on their own, and an account
//! as the platform holds it now.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::reading::cache_error;
use super::{ErrorCode, ExportedFile, OpError, OpResult, Workspace, profile_error};
use crate::history::RunSummary;
use crate::listing::{ChangeKind, Outcome, PlannedPerson};
use crate::preview::push_row;
use crate::profile::TargetSettings;

/// How many recent runs the home screen looks through for the last real one.
const RUNS_LOOKED_AT: usize = 50;

/// How many people `find_people` returns.
const PEOPLE_FOUND: usize = 20;

/// A connection as the home screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ConnectionOverview {
    pub name: String,
    pub enabled: bool,
    /// Why the profile could not be read, when it could not.
    pub broken: Option<String>,
    pub tenant: Option<String>,
    pub target: Option<TargetSettings>,
    /// The client secret's expiry (YYYY-MM-DD), when known.
    pub secret_expires: Option<String>,
    /// Days until then (negative once expired).
    pub secret_days_left: Option<i64>,
    pub last_run: Option<RunSummary>,
    /// The next scheduled sync, when a schedule is set.
    pub next_run: Option<String>,
    /// Include groups chosen.
    pub groups: usize,
    /// Accounts this connection owns on the platform.
    pub accounts: usize,
}

/// A person found in the cache by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PersonMatch {
    pub id: String,
    pub display_name: String,
    pub user_principal_name: String,
}

/// An account as the platform holds it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PlatformAccount {
    pub id: String,
    pub user_name: String,
    pub active: bool,
    pub external_id: Option<String>,
    pub emails: Vec<String>,
}

fn kind_text(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Create => "create",
        ChangeKind::Adopt => "link existing account",
        ChangeKind::Update => "update",
        ChangeKind::Reactivate => "switch back on",
        ChangeKind::Deactivate => "switch off",
    }
}

fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Planned => "not done",
        Outcome::Done => "done",
        Outcome::Failed => "failed",
        Outcome::Held => "held back",
        Outcome::Skipped => "skipped",
    }
}

/// A run's report as CSV: one row per person, then one per problem.
fn report_csv(people: &[PlannedPerson], errors: &[(String, String)]) -> String {
    let mut out = String::from("\u{feff}");
    push_row(
        &mut out,
        ["user_name", "display_name", "change", "result", "details"]
            .into_iter()
            .map(String::from),
    );
    for person in people {
        let details = if person.changes.is_empty() {
            person.reason.clone().unwrap_or_default()
        } else {
            person
                .changes
                .iter()
                .map(|change| {
                    format!(
                        "{}: {} → {}",
                        change.label,
                        change.before.as_deref().unwrap_or("(none)"),
                        change.after.as_deref().unwrap_or("(none)")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        push_row(
            &mut out,
            [
                person.user_name.clone(),
                person.display_name.clone(),
                kind_text(person.kind).to_string(),
                outcome_text(person.outcome).to_string(),
                details,
            ]
            .into_iter(),
        );
    }
    for (user, message) in errors {
        push_row(
            &mut out,
            [
                user.clone(),
                String::new(),
                "problem".to_string(),
                "failed".to_string(),
                message.clone(),
            ]
            .into_iter(),
        );
    }
    out
}

impl Workspace {
    /// Every connection, for the home screen.
    pub fn connections(&self) -> OpResult<Vec<ConnectionOverview>> {
        let store = self.profiles();
        let names = store.list().map_err(profile_error)?;
        let today = self.clock().now().date_naive();
        let mut overviews = Vec::new();
        for name in names {
            let profile = match store.load(&name) {
                Ok(profile) => profile,
                Err(error) => {
                    overviews.push(ConnectionOverview {
                        name,
                        enabled: false,
                        broken: Some(error.to_string()),
                        tenant: None,
                        target: None,
                        secret_expires: None,
                        secret_days_left: None,
                        last_run: None,
                        next_run: None,
                        groups: 0,
                        accounts: 0,
                    });
                    continue;
                }
            };
            let ledger = self.ledger(&profile.name)?;
            // The last run that wrote (or tried to): trial runs are only looks at the plan.
            let runs = ledger
                .runs(RUNS_LOOKED_AT)
                .map_err(super::sync::ledger_error)?;
            let last_run = runs
                .iter()
                .find(|run| !run.dry_run)
                .map(|run| run.summary());
            let next_run = profile
                .schedule
                .as_ref()
                .and_then(|settings| settings.schedule().ok())
                .map(|schedule| {
                    let next = crate::schedule::next_run(
                        &schedule,
                        super::schedule::last_sync(&runs),
                        self.clock().now(),
                    );
                    crate::ledger::timestamp(next)
                });
            let profile = self.as_used(profile);
            let accounts = ledger.account_count().map_err(super::sync::ledger_error)?;
            overviews.push(ConnectionOverview {
                enabled: profile.enabled,
                broken: None,
                tenant: Some(profile.entra.tenant.clone()),
                target: profile.target.clone(),
                secret_expires: profile.entra.secret_expires.map(|day| day.to_string()),
                secret_days_left: profile
                    .entra
                    .secret_expires
                    .map(|day| (day - today).num_days()),
                last_run,
                next_run,
                groups: profile.scope.include_groups.len(),
                accounts,
                name: profile.name,
            });
        }
        Ok(overviews)
    }

    /// The connection's runs as the history list shows them, newest first.
    pub fn run_summaries(&self, profile: &str) -> OpResult<Vec<RunSummary>> {
        Ok(self
            .history(profile)?
            .iter()
            .map(|run| run.summary())
            .collect())
    }

    /// A past run's report (the `sync` JSON), with the people it touched when they are
    /// still kept (else those it switched off).
    pub fn run_report(&self, profile: &str, run: i64) -> OpResult<Value> {
        let loaded = self.profile(profile)?;
        let ledger = self.ledger(&loaded.name)?;
        let record = ledger
            .run(run)
            .map_err(super::sync::ledger_error)?
            .ok_or_else(|| {
                OpError::new(
                    ErrorCode::NoSuchRun,
                    format!("There is no run {run} in this connection's history."),
                )
            })?;
        let Some(mut report) = record.report.clone() else {
            return Err(OpError::new(
                ErrorCode::NoSuchRun,
                format!(
                    "Run {run} never finished (Rollcall was closed or stopped during it), so it has no report. The next sync carries on where it stopped."
                ),
            ));
        };
        let mut people = ledger.people(run).map_err(super::sync::ledger_error)?;
        if people.is_empty() {
            people = record
                .deactivated()
                .into_iter()
                .map(|account| PlannedPerson {
                    kind: ChangeKind::Deactivate,
                    entra_id: account.entra_id,
                    display_name: account.user.clone(),
                    user_name: account.user,
                    changes: Vec::new(),
                    reason: Some(account.reason),
                    outcome: Outcome::Done,
                })
                .collect();
        }
        if let Value::Object(fields) = &mut report {
            fields.insert(
                "people".into(),
                serde_json::to_value(&people).unwrap_or(Value::Array(Vec::new())),
            );
        }
        Ok(report)
    }

    /// Writes a run's report as CSV into the data folder's `exports` folder; says where.
    pub fn export_report(&self, profile: &str, run: i64) -> OpResult<ExportedFile> {
        let report = self.run_report(profile, run)?;
        let people: Vec<PlannedPerson> = report
            .get("people")
            .and_then(|people| serde_json::from_value(people.clone()).ok())
            .unwrap_or_default();
        let errors: Vec<(String, String)> = report
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .map(|error| {
                        let text = |key: &str| {
                            error
                                .get(key)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        (text("user"), text("message"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let path: PathBuf = self
            .data_dir()
            .path()
            .join("exports")
            .join(format!("{profile}-run-{run}-{stamp}.csv"));
        super::reading::write_export(&path, &report_csv(&people, &errors), true)?;
        Ok(ExportedFile {
            path: path.display().to_string(),
            people: people.len(),
        })
    }

    /// People in the connection's cache whose name or address contains `text`.
    pub fn find_people(&self, profile: &str, text: &str) -> OpResult<Vec<PersonMatch>> {
        let loaded = self.profile(profile)?;
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .cache(&loaded.name)?
            .find_people(text, PEOPLE_FOUND)
            .map_err(cache_error)?;
        Ok(found
            .into_iter()
            .map(|(id, display_name, user_principal_name)| PersonMatch {
                id,
                display_name,
                user_principal_name,
            })
            .collect())
    }

    /// The account `person` (object ID or user name) has on the platform now, looked up
    /// there; `None` when the platform holds none.
    pub async fn platform_account(
        &self,
        profile: &str,
        person: &str,
    ) -> OpResult<Option<PlatformAccount>> {
        let loaded = self.profile(profile)?;
        let target = self.target_for(&loaded)?;
        let wanted = person.trim().to_lowercase();
        let owned = self
            .ledger(&loaded.name)?
            .accounts()
            .map_err(super::sync::ledger_error)?;
        let (external_id, user_name) = owned
            .values()
            .find(|account| {
                account.entra_id.to_lowercase() == wanted
                    || account.user_name.to_lowercase() == wanted
            })
            .map(|account| (account.entra_id.clone(), account.user_name.clone()))
            .unwrap_or_else(|| (person.trim().to_string(), person.trim().to_string()));
        drop(owned);
        let found = target
            .find_account(&external_id, &user_name)
            .await
            .map_err(|error| OpError::new(ErrorCode::Target, error.to_string()))?;
        Ok(found
            .into_iter()
            .find(|account| {
                account.external_id.as_deref() == Some(external_id.as_str())
                    || account.user_name.eq_ignore_ascii_case(&user_name)
            })
            .map(|account| PlatformAccount {
                id: account.id,
                user_name: account.user_name,
                active: account.active,
                external_id: account.external_id,
                emails: account.emails,
            }))
    }
}
