//! The write journal: every write's intent is recorded in the ledger file before it is
//! sent, and its outcome after, in the same transaction as the ledger change it makes. A
//! run killed at any instant leaves intents without an outcome; the next run resolves them
//! first: a create whose reply was lost is looked up on the platform (by externalId, then
//! userName) and owned, never sent twice. Other writes are simply planned again (they set
//! a value, so sending them twice does no harm).

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use crate::clock::Clock;
use crate::ledger::{
    Ledger, LedgerChange, LedgerError, Origin, OwnedAccount, apply_change, timestamp,
};
use crate::targets::{AccountWrite, RemoteAccount, Target, TargetError};

/// What a write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Adopt,
    Update,
    Reactivate,
    Manager,
    Group,
    Deactivate,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Adopt => "adopt",
            Action::Update => "update",
            Action::Reactivate => "reactivate",
            Action::Manager => "manager",
            Action::Group => "group",
            Action::Deactivate => "deactivate",
        }
    }

    fn parse(text: &str) -> Action {
        match text {
            "create" => Action::Create,
            "adopt" => Action::Adopt,
            "reactivate" => Action::Reactivate,
            "manager" => Action::Manager,
            "group" => Action::Group,
            "deactivate" => Action::Deactivate,
            _ => Action::Update,
        }
    }
}

/// How a write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The platform confirmed it.
    Done,
    /// The platform refused it or did not answer; the detail says why.
    Failed,
    /// Found on the next run: the write had reached the platform after all.
    FoundLater,
    /// Found on the next run: the write never reached the platform; it is planned again.
    NotApplied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::FoundLater => "found_later",
            Outcome::NotApplied => "not_applied",
        }
    }
}

/// A recorded intent that has no outcome yet.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIntent {
    pub id: i64,
    pub run: i64,
    pub entra_id: String,
    pub action: Action,
    pub payload: Value,
}

impl Ledger {
    /// Records that a write is about to be sent; returns the entry to settle.
    pub fn intend(
        &self,
        run: i64,
        entra_id: &str,
        action: Action,
        payload: &impl Serialize,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, LedgerError> {
        let payload = serde_json::to_string(payload)?;
        let connection = self.lock();
        connection.execute(
            "INSERT INTO journal (run, entra_id, action, payload, intended_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run, entra_id, action.as_str(), payload, timestamp(at)],
        )?;
        Ok(connection.last_insert_rowid())
    }

    /// Records a write's outcome and the ledger change it makes, in one transaction.
    pub fn settle(
        &self,
        intent: i64,
        outcome: Outcome,
        detail: Option<&str>,
        change: &LedgerChange,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LedgerError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        apply_change(&transaction, change, at)?;
        transaction.execute(
            "UPDATE journal SET outcome = ?2, detail = ?3, settled_at = ?4 WHERE id = ?1",
            params![intent, outcome.as_str(), detail, timestamp(at)],
        )?;
        transaction.commit()?;
        Ok(())
    }

    /// Records the intents of a batch of writes in one transaction, before any is sent;
    /// returns their entries, in order.
    pub fn intend_all(
        &self,
        run: i64,
        intents: &[(&str, Action, &str)],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<i64>, LedgerError> {
        let stamp = timestamp(at);
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let mut ids = Vec::with_capacity(intents.len());
        {
            let mut insert = transaction.prepare(
                "INSERT INTO journal (run, entra_id, action, payload, intended_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (entra_id, action, payload) in intents {
                insert.execute(params![run, entra_id, action.as_str(), payload, stamp])?;
                ids.push(transaction.last_insert_rowid());
            }
        }
        transaction.commit()?;
        Ok(ids)
    }

    /// Records the outcomes of a batch of writes and their ledger changes in one
    /// transaction.
    pub fn settle_all(
        &self,
        outcomes: &[(i64, Outcome, Option<String>, LedgerChange)],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LedgerError> {
        let stamp = timestamp(at);
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        {
            let mut settle = transaction.prepare(
                "UPDATE journal SET outcome = ?2, detail = ?3, settled_at = ?4 WHERE id = ?1",
            )?;
            for (intent, outcome, detail, change) in outcomes {
                apply_change(&transaction, change, at)?;
                settle.execute(params![intent, outcome.as_str(), detail, stamp])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Intents recorded without an outcome (a run that was killed or lost a reply).
    pub fn open_intents(&self) -> Result<Vec<OpenIntent>, LedgerError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT id, run, entra_id, action, payload FROM journal WHERE outcome IS NULL ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        let mut open = Vec::new();
        for row in rows {
            let (id, run, entra_id, action, payload) = row?;
            open.push(OpenIntent {
                id,
                run,
                entra_id,
                action: Action::parse(&action),
                payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
            });
        }
        Ok(open)
    }

    /// Deletes the settled entries of all but the newest `keep` runs; returns how many.
    /// Open entries are kept whatever their age: the next run must still resolve them.
    pub fn prune_journal(&self, keep: usize) -> Result<usize, LedgerError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let deleted = self.lock().execute(
            "DELETE FROM journal WHERE outcome IS NOT NULL AND run NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?1)",
            params![keep],
        )?;
        Ok(deleted)
    }

    /// The outcome recorded for an intent, if any (`None` while it is open).
    pub fn outcome_of(&self, intent: i64) -> Result<Option<String>, LedgerError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT outcome FROM journal WHERE id = ?1",
                params![intent],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }
}

/// What resolving the open intents found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct Resolution {
    /// Creates that had reached the platform and are now owned.
    pub found: usize,
    /// Intents that never reached the platform (planned again).
    pub not_applied: usize,
    /// People whose open create could not be checked this time: they are left alone this
    /// run, so nobody is created twice.
    #[serde(skip)]
    pub unresolved: HashSet<String>,
    /// Problems worth telling the admin (duplicates found on the platform).
    pub problems: Vec<(String, String)>,
}

/// Settles every open intent before a run plans: creates are looked up on the platform,
/// everything else is marked not applied (the plan compares with what the ledger last
/// recorded, so it sends the write again). A 401/403 or a cancel stops at once.
pub async fn resolve_open(
    ledger: &Ledger,
    target: &dyn Target,
    clock: &dyn Clock,
) -> Result<Resolution, ResolveError> {
    let mut resolution = Resolution::default();
    for intent in ledger.open_intents()? {
        if intent.action != Action::Create {
            ledger.settle(
                intent.id,
                Outcome::NotApplied,
                Some("the run stopped before the reply; planned again"),
                &LedgerChange::Nothing,
                clock.now(),
            )?;
            resolution.not_applied += 1;
            continue;
        }
        let Ok(write) = serde_json::from_value::<AccountWrite>(intent.payload.clone()) else {
            ledger.settle(
                intent.id,
                Outcome::NotApplied,
                Some("the recorded intent could not be read"),
                &LedgerChange::Nothing,
                clock.now(),
            )?;
            resolution.not_applied += 1;
            continue;
        };
        let found = match target
            .find_account(&write.external_id, &write.user_name)
            .await
        {
            Ok(found) => found,
            Err(error) if error.stops_the_run() => return Err(ResolveError::Target(error)),
            Err(_) => {
                resolution.unresolved.insert(intent.entra_id.clone());
                continue;
            }
        };
        match pick_own(&found, &write.external_id) {
            Some(account) => {
                let mine: Vec<&RemoteAccount> = found
                    .iter()
                    .filter(|a| a.external_id.as_deref() == Some(write.external_id.as_str()))
                    .collect();
                if mine.len() > 1 {
                    resolution.problems.push((
                        write.user_name.clone(),
                        format!(
                            "The platform holds {} accounts for {} (externalId {}); Rollcall keeps {} and leaves the others alone. Remove the extra accounts on the platform.",
                            mine.len(),
                            write.user_name,
                            write.external_id,
                            account.id
                        ),
                    ));
                }
                let owned = OwnedAccount {
                    entra_id: write.external_id.clone(),
                    target_id: account.id.clone(),
                    user_name: write.user_name.clone(),
                    active: write.active,
                    attributes: write.attributes.clone(),
                    manager: None,
                    origin: Origin::Created,
                };
                ledger.settle(
                    intent.id,
                    Outcome::FoundLater,
                    Some("the account was created; the reply had been lost"),
                    &LedgerChange::Own(owned),
                    clock.now(),
                )?;
                resolution.found += 1;
            }
            None => {
                ledger.settle(
                    intent.id,
                    Outcome::NotApplied,
                    Some("the platform has no such account; planned again"),
                    &LedgerChange::Nothing,
                    clock.now(),
                )?;
                resolution.not_applied += 1;
            }
        }
    }
    Ok(resolution)
}

/// The account a lost create made: the one carrying our externalId, or else one with the
/// user name and no externalId at all (a platform that drops externalId). An account with
/// somebody else's externalId is never ours.
fn pick_own<'a>(found: &'a [RemoteAccount], external_id: &str) -> Option<&'a RemoteAccount> {
    found
        .iter()
        .find(|account| account.external_id.as_deref() == Some(external_id))
        .or_else(|| found.iter().find(|account| account.external_id.is_none()))
}

/// Why the open intents could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Target(TargetError),
}
