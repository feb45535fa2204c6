//! The plan as a list a person can read: who is created, linked, updated (each attribute
//! before → after), switched back on or switched off, and how each went.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apply::PersonError;
use crate::ledger::OwnedAccount;
use crate::mapping::{label, paths};
use crate::plan::{MatchedBy, SyncPlan};
use crate::targets::{AccountWrite, AttributeChange};

/// What a run does to one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Create,
    /// An existing platform account taken over.
    Adopt,
    Update,
    Reactivate,
    Deactivate,
}

/// How a person's change went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Planned (a dry run), or not reached.
    Planned,
    Done,
    /// The platform refused it; the report's errors say why.
    Failed,
    /// A deactivation the guard held back.
    Held,
    /// A deactivation skipped because something before it failed.
    Skipped,
}

/// One attribute before and after, as text (`None`: no value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ValueChange {
    pub path: String,
    /// The name an admin reads ("First name").
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One person in a plan or a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PlannedPerson {
    pub kind: ChangeKind,
    pub entra_id: String,
    pub user_name: String,
    pub display_name: String,
    /// Updates and adoptions: what changes.
    pub changes: Vec<ValueChange>,
    /// Deactivations: why; adoptions: how the account was matched.
    pub reason: Option<String>,
    pub outcome: Outcome,
}

/// A value as an admin reads it.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Null => String::new(),
        Value::Object(object) => object
            .get("value")
            .map(value_text)
            .unwrap_or_else(|| value.to_string()),
        other => other.to_string(),
    }
}

fn display_name(account: &AccountWrite) -> String {
    account
        .attributes
        .get(paths::DISPLAY_NAME)
        .map(value_text)
        .unwrap_or_else(|| account.user_name.clone())
}

fn before_value(owned: Option<&OwnedAccount>, path: &str) -> Option<String> {
    let owned = owned?;
    if path == paths::USER_NAME {
        return Some(owned.user_name.clone());
    }
    if path == paths::ACTIVE {
        return Some(value_text(&Value::Bool(owned.active)));
    }
    owned.attributes.get(path).map(value_text)
}

fn value_changes(changes: &[AttributeChange], owned: Option<&OwnedAccount>) -> Vec<ValueChange> {
    changes
        .iter()
        .map(|change| ValueChange {
            path: change.path.clone(),
            label: label(&change.path),
            before: before_value(owned, &change.path),
            after: change.value.as_ref().map(value_text),
        })
        .collect()
}

fn matched_text(matched_by: MatchedBy) -> String {
    match matched_by {
        MatchedBy::ExternalId => "already on the platform with this person's Entra ID".into(),
        MatchedBy::UserName => "already on the platform with the same user name".into(),
        MatchedBy::Email => "already on the platform with the same email address".into(),
    }
}

fn person(kind: ChangeKind, account: &AccountWrite) -> PlannedPerson {
    PlannedPerson {
        kind,
        entra_id: account.external_id.clone(),
        user_name: account.user_name.clone(),
        display_name: display_name(account),
        changes: Vec::new(),
        reason: None,
        outcome: Outcome::Planned,
    }
}

/// Every person the plan touches, in the order the writes go: creates and adoptions,
/// updates, reactivations, deactivations. `owned` gives the values before.
pub fn list(plan: &SyncPlan, owned: &HashMap<String, OwnedAccount>) -> Vec<PlannedPerson> {
    let mut people = Vec::with_capacity(
        plan.create.len()
            + plan.adopt.len()
            + plan.update.len()
            + plan.reactivate.len()
            + plan.deactivate.len(),
    );
    people.extend(
        plan.create
            .iter()
            .map(|account| person(ChangeKind::Create, account)),
    );
    for adoption in &plan.adopt {
        let mut entry = person(ChangeKind::Adopt, &adoption.account);
        entry.changes = value_changes(&adoption.changes, None);
        entry.reason = Some(matched_text(adoption.matched_by));
        people.push(entry);
    }
    for (kind, updates) in [
        (ChangeKind::Update, &plan.update),
        (ChangeKind::Reactivate, &plan.reactivate),
    ] {
        for update in updates {
            let mut entry = person(kind, &update.account);
            entry.changes = value_changes(&update.changes, owned.get(&update.entra_id));
            people.push(entry);
        }
    }
    for deactivation in &plan.deactivate {
        let mut entry = person(ChangeKind::Deactivate, &deactivation.account);
        entry.user_name = deactivation.user_name.clone();
        entry.reason = Some(deactivation.reason.clone());
        people.push(entry);
    }
    people
}

/// How the run went for each person, from the accounts as the ledger holds them after the
/// writes (`None` on a dry run): a change is done when the ledger shows it, failed when the
/// platform refused it, and planned when the run stopped before it. `held`: the guard held
/// the deactivations; `skipped`: they were skipped after a failure.
pub fn settle(
    people: &mut [PlannedPerson],
    errors: &[PersonError],
    after: Option<&HashMap<String, OwnedAccount>>,
    held: bool,
    skipped: bool,
) {
    let failed: HashSet<&str> = errors.iter().map(|error| error.user.as_str()).collect();
    for entry in people {
        let account = after.and_then(|accounts| accounts.get(&entry.entra_id));
        let done = match entry.kind {
            ChangeKind::Create | ChangeKind::Adopt => account.is_some(),
            ChangeKind::Deactivate => account.is_some_and(|account| !account.active),
            ChangeKind::Update | ChangeKind::Reactivate => {
                account.is_some()
                    && entry
                        .changes
                        .iter()
                        .all(|change| before_value(account, &change.path) == change.after)
            }
        };
        entry.outcome = if entry.kind == ChangeKind::Deactivate && held {
            Outcome::Held
        } else if after.is_none() {
            Outcome::Planned
        } else if entry.kind == ChangeKind::Deactivate && skipped {
            Outcome::Skipped
        } else if done {
            Outcome::Done
        } else if failed.contains(entry.user_name.as_str()) {
            Outcome::Failed
        } else {
            Outcome::Planned
        };
    }
}
