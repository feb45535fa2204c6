//! The plan: a pure function from the accounts Rollcall wants (the mapped people in scope),
//! the ledger of accounts it owns and, for people it does not own yet, the platform's
//! existing accounts, to a `SyncPlan`: create, adopt, update (only what changed), reactivate,
//! managers, group memberships, deactivate. The same plan serves the preview, a dry run and
//! a run. It never deletes, and never touches an account the ledger does not own except to
//! adopt one that matches a person exactly once.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::ledger::{OwnedAccount, OwnedGroup};
use crate::mapping::{DesiredAccount, InactiveReason, paths};
use crate::targets::{AccountWrite, AttributeChange, RemoteAccount};

/// How an existing platform account was matched to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    ExternalId,
    UserName,
    Email,
}

/// An existing platform account the connection takes over, overwriting it with the mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adoption {
    pub target_id: String,
    pub matched_by: MatchedBy,
    pub account: AccountWrite,
    /// Every attribute, plus `userName`, `externalId` and `active`.
    pub changes: Vec<AttributeChange>,
}

/// A change to an owned account (an update, or a reactivation with `active: true`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountUpdate {
    pub entra_id: String,
    pub target_id: String,
    pub changes: Vec<AttributeChange>,
    pub account: AccountWrite,
}

/// An owned account to switch off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deactivation {
    pub entra_id: String,
    pub target_id: String,
    pub user_name: String,
    pub reason: String,
    /// The account as last written, with `active: false`.
    pub account: AccountWrite,
}

/// The manager to set on an account (by Entra ID; apply looks up the platform ID once
/// the manager's own account exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagerChange {
    pub entra_id: String,
    pub manager: Option<String>,
}

/// A group pushed to the platform and the members (Entra IDs) to add and remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupChange {
    pub entra_id: String,
    pub display_name: String,
    /// The platform's group ID, when the group was pushed before.
    pub target_id: Option<String>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// Every member wanted, for the ledger.
    pub members: Vec<String>,
}

/// A person the plan leaves alone this run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanError {
    pub user: String,
    #[serde(rename = "entraId")]
    pub entra_id: String,
    pub code: String,
    pub message: String,
}

/// Everything a run would write, in the order apply writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncPlan {
    pub create: Vec<AccountWrite>,
    pub adopt: Vec<Adoption>,
    pub update: Vec<AccountUpdate>,
    pub reactivate: Vec<AccountUpdate>,
    pub managers: Vec<ManagerChange>,
    pub groups: Vec<GroupChange>,
    pub deactivate: Vec<Deactivation>,
    pub errors: Vec<PlanError>,
    /// Owned accounts already as wanted.
    pub unchanged: usize,
    /// Disabled people in scope without an account: none is created for them.
    pub not_created_inactive: usize,
}

impl SyncPlan {
    /// The number of writes the plan makes.
    pub fn writes(&self) -> usize {
        self.create.len()
            + self.adopt.len()
            + self.update.len()
            + self.reactivate.len()
            + self.managers.len()
            + self.groups.len()
            + self.deactivate.len()
    }
}

/// A group to push: its Entra ID, name and the people in scope in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedGroup {
    pub entra_id: String,
    pub display_name: String,
    pub members: BTreeSet<String>,
}

/// What the plan is made from.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The mapped people in scope.
    pub desired: &'a [DesiredAccount],
    /// People in scope the plan must not touch this run (mapping problems, a create whose
    /// outcome is not known yet): never deactivated for being absent from `desired`.
    pub held: &'a HashSet<String>,
    pub owned: &'a HashMap<String, OwnedAccount>,
    /// Platform accounts to match people the ledger does not own yet against.
    pub remote: &'a [RemoteAccount],
    pub groups: &'a [WantedGroup],
    pub owned_groups: &'a HashMap<String, OwnedGroup>,
}

fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The attribute changes that turn `owned` into `wanted` (userName included, active not).
fn differences(wanted: &AccountWrite, owned: &OwnedAccount) -> Vec<AttributeChange> {
    let mut changes = Vec::new();
    if wanted.user_name != owned.user_name {
        changes.push(AttributeChange {
            path: paths::USER_NAME.into(),
            value: Some(Value::String(wanted.user_name.clone())),
        });
    }
    for (path, value) in &wanted.attributes {
        if owned.attributes.get(path) != Some(value) {
            changes.push(AttributeChange {
                path: path.clone(),
                value: Some(value.clone()),
            });
        }
    }
    for path in owned.attributes.keys() {
        if !wanted.attributes.contains_key(path) {
            changes.push(AttributeChange {
                path: path.clone(),
                value: None,
            });
        }
    }
    changes
}

fn reason_text(reason: Option<&InactiveReason>) -> String {
    match reason {
        Some(InactiveReason::Disabled) => "disabled in Entra".into(),
        Some(InactiveReason::Left { on }) => format!("left on {on}"),
        None => "no longer in scope (left the groups, or deleted in Entra)".into(),
    }
}

fn inactive(account: &OwnedAccount) -> AccountWrite {
    AccountWrite {
        active: false,
        ..account.as_write()
    }
}

/// Makes the plan. Pure: no I/O.
pub fn plan(input: PlanInput<'_>) -> SyncPlan {
    let mut plan = SyncPlan::default();
    let desired_ids: HashSet<&str> = input
        .desired
        .iter()
        .map(|account| account.write.external_id.as_str())
        .collect();
    let mut unowned: Vec<&DesiredAccount> = Vec::new();
    for wanted in input.desired {
        let id = wanted.write.external_id.as_str();
        if input.held.contains(id) {
            continue;
        }
        let Some(owned) = input.owned.get(id) else {
            if wanted.write.active {
                unowned.push(wanted);
            } else {
                plan.not_created_inactive += 1;
            }
            continue;
        };
        match (wanted.write.active, owned.active) {
            (true, true) => {
                let changes = differences(&wanted.write, owned);
                if changes.is_empty() {
                    plan.unchanged += 1;
                } else {
                    plan.update.push(AccountUpdate {
                        entra_id: id.to_string(),
                        target_id: owned.target_id.clone(),
                        changes,
                        account: wanted.write.clone(),
                    });
                }
            }
            (true, false) => {
                let mut changes = differences(&wanted.write, owned);
                changes.push(AttributeChange {
                    path: paths::ACTIVE.into(),
                    value: Some(Value::Bool(true)),
                });
                plan.reactivate.push(AccountUpdate {
                    entra_id: id.to_string(),
                    target_id: owned.target_id.clone(),
                    changes,
                    account: wanted.write.clone(),
                });
            }
            (false, true) => plan.deactivate.push(Deactivation {
                entra_id: id.to_string(),
                target_id: owned.target_id.clone(),
                user_name: owned.user_name.clone(),
                reason: reason_text(wanted.inactive_because.as_ref()),
                account: inactive(owned),
            }),
            (false, false) => plan.unchanged += 1,
        }
    }
    let mut gone: Vec<&OwnedAccount> = input
        .owned
        .values()
        .filter(|owned| {
            owned.active
                && !desired_ids.contains(owned.entra_id.as_str())
                && !input.held.contains(&owned.entra_id)
        })
        .collect();
    gone.sort_by(|a, b| a.user_name.cmp(&b.user_name));
    for owned in gone {
        plan.deactivate.push(Deactivation {
            entra_id: owned.entra_id.clone(),
            target_id: owned.target_id.clone(),
            user_name: owned.user_name.clone(),
            reason: reason_text(None),
            account: inactive(owned),
        });
    }
    match_existing(&mut plan, &unowned, input);
    plan_managers(&mut plan, input);
    plan_groups(&mut plan, input);
    plan
}

/// Matches people the ledger does not own to existing platform accounts (externalId, then
/// userName case-insensitively, then email); the rest are created.
fn match_existing(plan: &mut SyncPlan, unowned: &[&DesiredAccount], input: PlanInput<'_>) {
    let owned_targets: HashSet<&str> = input
        .owned
        .values()
        .map(|owned| owned.target_id.as_str())
        .collect();
    let candidates: Vec<&RemoteAccount> = input
        .remote
        .iter()
        .filter(|remote| !owned_targets.contains(remote.id.as_str()))
        .collect();
    let mut by_external: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_email: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, remote) in candidates.iter().enumerate() {
        if let Some(external) = remote.external_id.as_deref() {
            by_external.entry(external).or_default().push(index);
        }
        by_name
            .entry(fold(&remote.user_name))
            .or_default()
            .push(index);
        for email in &remote.emails {
            let entry = by_email.entry(fold(email)).or_default();
            if !entry.contains(&index) {
                entry.push(index);
            }
        }
    }
    let error = |wanted: &DesiredAccount, code: &str, message: String| PlanError {
        user: wanted.write.user_name.clone(),
        entra_id: wanted.write.external_id.clone(),
        code: code.into(),
        message,
    };
    let mut claims: HashMap<usize, Vec<(usize, MatchedBy)>> = HashMap::new();
    for (person, wanted) in unowned.iter().enumerate() {
        let email = wanted
            .write
            .attributes
            .get(paths::WORK_EMAIL)
            .and_then(Value::as_str)
            .map(fold);
        let tiers = [
            (
                MatchedBy::ExternalId,
                by_external.get(wanted.write.external_id.as_str()),
            ),
            (
                MatchedBy::UserName,
                by_name.get(&fold(&wanted.write.user_name)),
            ),
            (
                MatchedBy::Email,
                email.as_ref().and_then(|email| by_email.get(email)),
            ),
        ];
        let found = tiers
            .into_iter()
            .find_map(|(how, hits)| hits.filter(|hits| !hits.is_empty()).map(|hits| (how, hits)));
        let Some((how, hits)) = found else {
            plan.create.push(wanted.write.clone());
            continue;
        };
        if hits.len() > 1 {
            let names: Vec<&str> = hits
                .iter()
                .map(|&index| candidates[index].user_name.as_str())
                .collect();
            plan.errors.push(error(
                wanted,
                "ambiguous_match",
                format!(
                    "{} matches {} existing platform accounts ({}), so Rollcall cannot tell which is theirs and changes none. Remove the extra accounts on the platform, or give each its own user name.",
                    wanted.write.user_name,
                    hits.len(),
                    names.join(", ")
                ),
            ));
            continue;
        }
        let remote = candidates[hits[0]];
        if how != MatchedBy::ExternalId
            && remote
                .external_id
                .as_deref()
                .is_some_and(|other| other != wanted.write.external_id)
        {
            plan.errors.push(error(
                wanted,
                "account_belongs_to_another",
                format!(
                    "The platform already has an account \"{}\" that belongs to another directory identity (externalId {}), so Rollcall leaves it alone and does not create {}. Rename or remove that account on the platform, or change this person's user name.",
                    remote.user_name,
                    remote.external_id.as_deref().unwrap_or_default(),
                    wanted.write.user_name
                ),
            ));
            continue;
        }
        claims.entry(hits[0]).or_default().push((person, how));
    }
    let mut claims: Vec<(usize, Vec<(usize, MatchedBy)>)> = claims.into_iter().collect();
    claims.sort_by_key(|(index, _)| *index);
    for (index, claimants) in claims {
        let remote = candidates[index];
        if claimants.len() > 1 {
            let names: Vec<&str> = claimants
                .iter()
                .map(|(person, _)| unowned[*person].write.user_name.as_str())
                .collect();
            for (person, _) in &claimants {
                plan.errors.push(error(
                    unowned[*person],
                    "ambiguous_match",
                    format!(
                        "{} people in Entra ({}) match the one platform account \"{}\", so Rollcall adopts it for none of them and never merges them. Give each person their own email and user name in Entra, or remove the account on the platform.",
                        claimants.len(),
                        names.join(", "),
                        remote.user_name
                    ),
                ));
            }
            continue;
        }
        let (person, how) = claimants[0];
        let account = unowned[person].write.clone();
        let mut changes = vec![
            AttributeChange {
                path: paths::USER_NAME.into(),
                value: Some(Value::String(account.user_name.clone())),
            },
            AttributeChange {
                path: paths::EXTERNAL_ID.into(),
                value: Some(Value::String(account.external_id.clone())),
            },
            AttributeChange {
                path: paths::ACTIVE.into(),
                value: Some(Value::Bool(true)),
            },
        ];
        changes.extend(
            account
                .attributes
                .iter()
                .map(|(path, value)| AttributeChange {
                    path: path.clone(),
                    value: Some(value.clone()),
                }),
        );
        plan.adopt.push(Adoption {
            target_id: remote.id.clone(),
            matched_by: how,
            account,
            changes,
        });
    }
    plan.errors.sort_by(|a, b| a.user.cmp(&b.user));
}

/// Managers that differ from what the ledger last set. A manager outside scope is left
/// out, as any missing value.
fn plan_managers(plan: &mut SyncPlan, input: PlanInput<'_>) {
    let will_exist: HashSet<&str> = input
        .owned
        .keys()
        .map(String::as_str)
        .chain(plan.create.iter().map(|a| a.external_id.as_str()))
        .chain(plan.adopt.iter().map(|a| a.account.external_id.as_str()))
        .collect();
    for wanted in input.desired {
        let id = wanted.write.external_id.as_str();
        if input.held.contains(id) || !will_exist.contains(id) {
            continue;
        }
        let manager = wanted
            .manager
            .as_deref()
            .filter(|manager| *manager != id && will_exist.contains(manager))
            .map(str::to_string);
        let current = input.owned.get(id).and_then(|owned| owned.manager.clone());
        if manager != current {
            plan.managers.push(ManagerChange {
                entra_id: id.to_string(),
                manager,
            });
        }
    }
    plan.managers.sort_by(|a, b| a.entra_id.cmp(&b.entra_id));
}

/// Group memberships that differ from what the ledger last pushed. Only people whose
/// account exists (or is created this run) are members.
fn plan_groups(plan: &mut SyncPlan, input: PlanInput<'_>) {
    let will_exist: HashSet<&str> = input
        .owned
        .keys()
        .map(String::as_str)
        .chain(plan.create.iter().map(|a| a.external_id.as_str()))
        .chain(plan.adopt.iter().map(|a| a.account.external_id.as_str()))
        .collect();
    for group in input.groups {
        let members: Vec<String> = group
            .members
            .iter()
            .filter(|member| will_exist.contains(member.as_str()))
            .cloned()
            .collect();
        let pushed = input.owned_groups.get(&group.entra_id);
        let before: HashSet<&str> = pushed
            .map(|pushed| pushed.members.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let now: HashSet<&str> = members.iter().map(String::as_str).collect();
        let add: Vec<String> = members
            .iter()
            .filter(|member| !before.contains(member.as_str()))
            .cloned()
            .collect();
        let mut remove: Vec<String> = before
            .iter()
            .filter(|member| !now.contains(*member))
            .map(|member| member.to_string())
            .collect();
        remove.sort();
        let renamed = pushed.is_some_and(|pushed| pushed.display_name != group.display_name);
        if pushed.is_none() || renamed || !add.is_empty() || !remove.is_empty() {
            plan.groups.push(GroupChange {
                entra_id: group.entra_id.clone(),
                display_name: group.display_name.clone(),
                target_id: pushed.map(|pushed| pushed.target_id.clone()),
                add,
                remove,
                members,
            });
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ledger::Origin;
    use crate::targets::Attributes;

    pub(crate) fn wanted(id: &str, user_name: &str) -> DesiredAccount {
        let mut attributes = Attributes::new();
        attributes.insert(
            paths::DISPLAY_NAME.into(),
            Value::String(format!("Person {id}")),
        );
        attributes.insert(paths::WORK_EMAIL.into(), Value::String(user_name.into()));
        DesiredAccount {
            write: AccountWrite {
                external_id: id.into(),
                user_name: user_name.into(),
                active: true,
                attributes,
            },
            user_principal_name: user_name.into(),
            manager: None,
            inactive_because: None,
        }
    }

    pub(crate) fn owned_as(account: &DesiredAccount, target_id: &str) -> OwnedAccount {
        OwnedAccount {
            entra_id: account.write.external_id.clone(),
            target_id: target_id.into(),
            user_name: account.write.user_name.clone(),
            active: account.write.active,
            attributes: account.write.attributes.clone(),
            manager: None,
            origin: Origin::Created,
        }
    }

    fn remote(id: &str, external: Option<&str>, user_name: &str, email: &str) -> RemoteAccount {
        RemoteAccount {
            id: id.into(),
            external_id: external.map(str::to_string),
            user_name: user_name.into(),
            emails: vec![email.into()],
            active: true,
        }
    }

    struct World {
        desired: Vec<DesiredAccount>,
        held: HashSet<String>,
        owned: HashMap<String, OwnedAccount>,
        remote: Vec<RemoteAccount>,
        groups: Vec<WantedGroup>,
        owned_groups: HashMap<String, OwnedGroup>,
    }

    impl World {
        fn new(desired: Vec<DesiredAccount>) -> World {
            World {
                desired,
                held: HashSet::new(),
                owned: HashMap::new(),
                remote: Vec::new(),
                groups: Vec::new(),
                owned_groups: HashMap::new(),
            }
        }

        fn own(mut self, account: OwnedAccount) -> World {
            self.owned.insert(account.entra_id.clone(), account);
            self
        }

        fn plan(&self) -> SyncPlan {
            plan(PlanInput {
                desired: &self.desired,
                held: &self.held,
                owned: &self.owned,
                remote: &self.remote,
                groups: &self.groups,
                owned_groups: &self.owned_groups,
            })
        }
    }

    #[test]
    fn new_people_are_created_and_owned_ones_as_wanted_are_left_alone() {
        let ann = wanted("e1", "ann@contoso.com");
        let bob = wanted("e2", "bob@contoso.com");
        let world = World::new(vec![ann.clone(), bob.clone()]).own(owned_as(&ann, "t1"));
        let plan = world.plan();
        assert_eq!(plan.create, vec![bob.write]);
        assert!(plan.update.is_empty() && plan.deactivate.is_empty());
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.writes(), 1);
    }

    #[test]
    fn an_update_carries_only_the_attributes_that_changed() {
        let before = wanted("e1", "ann@contoso.com");
        let mut after = before.clone();
        after.write.user_name = "ann.smith@contoso.com".into();
        after
            .write
            .attributes
            .insert(paths::DEPARTMENT.into(), Value::String("Maths".into()));
        after.write.attributes.remove(paths::WORK_EMAIL);
        let plan = World::new(vec![after]).own(owned_as(&before, "t1")).plan();
        assert_eq!(plan.update.len(), 1);
        let update = &plan.update[0];
        assert_eq!(update.target_id, "t1");
        let changed: Vec<(&str, Option<&Value>)> = update
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.value.as_ref()))
            .collect();
        assert_eq!(
            changed,
            [
                (
                    paths::USER_NAME,
                    Some(&Value::String("ann.smith@contoso.com".into()))
                ),
                (paths::DEPARTMENT, Some(&Value::String("Maths".into()))),
                (paths::WORK_EMAIL, None),
            ]
        );
    }

    #[test]
    fn people_who_left_scope_or_were_disabled_are_deactivated_and_come_back() {
        let stays = wanted("e1", "ann@contoso.com");
        let leaves = wanted("e2", "bob@contoso.com");
        let mut disabled = wanted("e3", "cy@contoso.com");
        let was_enabled = owned_as(&disabled, "t3");
        disabled.write.active = false;
        disabled.inactive_because = Some(InactiveReason::Disabled);
        let back = wanted("e4", "di@contoso.com");
        let mut was_off = owned_as(&back, "t4");
        was_off.active = false;
        let mut held = wanted("e5", "ed@contoso.com");
        held.write.user_name = "ED@contoso.com".into();
        let mut world = World::new(vec![stays.clone(), disabled, back])
            .own(owned_as(&stays, "t1"))
            .own(owned_as(&leaves, "t2"))
            .own(was_enabled)
            .own(was_off)
            .own(owned_as(&held, "t5"));
        world.held.insert("e5".into());
        let plan = world.plan();
        let off: Vec<(&str, &str)> = plan
            .deactivate
            .iter()
            .map(|d| (d.target_id.as_str(), d.reason.as_str()))
            .collect();
        assert_eq!(
            off,
            [
                ("t3", "disabled in Entra"),
                (
                    "t2",
                    "no longer in scope (left the groups, or deleted in Entra)"
                )
            ]
        );
        assert!(plan.deactivate.iter().all(|d| !d.account.active));
        assert_eq!(plan.reactivate.len(), 1);
        assert_eq!(plan.reactivate[0].target_id, "t4");
        assert!(
            plan.reactivate[0]
                .changes
                .iter()
                .any(|c| c.path == "active" && c.value == Some(Value::Bool(true)))
        );
        assert!(plan.create.is_empty(), "nobody is created twice");
    }

    #[test]
    fn a_leave_date_that_passed_says_when() {
        let mut leaver = wanted("e1", "ann@contoso.com");
        let owned = owned_as(&leaver, "t1");
        leaver.write.active = false;
        leaver.inactive_because = Some(InactiveReason::Left {
            on: chrono::NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
        });
        let plan = World::new(vec![leaver]).own(owned).plan();
        assert_eq!(plan.deactivate[0].reason, "left on 2026-05-31");
    }

    #[test]
    fn existing_accounts_are_adopted_by_external_id_then_user_name_then_email() {
        let a = wanted("e1", "ann@contoso.com");
        let b = wanted("e2", "bob@contoso.com");
        let mut c = wanted("e3", "cy@contoso.com");
        c.write.attributes.insert(
            paths::WORK_EMAIL.into(),
            Value::String("Cy.Lee@Contoso.com".into()),
        );
        let d = wanted("e4", "di@contoso.com");
        let mut world = World::new(vec![a, b, c, d]);
        world.remote = vec![
            remote("r1", Some("e1"), "ann.old@contoso.com", "x@contoso.com"),
            remote("r2", None, "BOB@contoso.com", "bob@contoso.com"),
            remote("r3", None, "clee", "cy.lee@contoso.com"),
            remote("r9", None, "stranger@contoso.com", "stranger@contoso.com"),
        ];
        let plan = world.plan();
        let adopted: Vec<(&str, &str, MatchedBy)> = plan
            .adopt
            .iter()
            .map(|a| {
                (
                    a.account.external_id.as_str(),
                    a.target_id.as_str(),
                    a.matched_by,
                )
            })
            .collect();
        assert_eq!(
            adopted,
            [
                ("e1", "r1", MatchedBy::ExternalId),
                ("e2", "r2", MatchedBy::UserName),
                ("e3", "r3", MatchedBy::Email)
            ]
        );
        assert!(plan.adopt[0].changes.iter().any(|c| c.path == "externalId"));
        assert_eq!(plan.create.len(), 1);
        assert_eq!(plan.create[0].external_id, "e4");
        assert!(plan.update.is_empty() && plan.deactivate.is_empty());
    }

    #[test]
    fn two_people_matching_one_account_is_an_error_for_both_never_a_merge() {
        let mut a = wanted("e1", "ann@contoso.com");
        a.write.attributes.insert(
            paths::WORK_EMAIL.into(),
            Value::String("office@contoso.com".into()),
        );
        let mut b = wanted("e2", "bob@contoso.com");
        b.write.attributes.insert(
            paths::WORK_EMAIL.into(),
            Value::String("office@contoso.com".into()),
        );
        let mut world = World::new(vec![a, b]);
        world.remote = vec![remote("r1", None, "office", "office@contoso.com")];
        let plan = world.plan();
        assert!(plan.adopt.is_empty());
        assert!(plan.create.is_empty());
        let codes: Vec<(&str, &str)> = plan
            .errors
            .iter()
            .map(|e| (e.entra_id.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [("e1", "ambiguous_match"), ("e2", "ambiguous_match")]
        );
    }

    #[test]
    fn accounts_the_ledger_does_not_own_are_never_touched() {
        let a = wanted("e1", "ann@contoso.com");
        let mut world = World::new(vec![a.clone()]).own(owned_as(&a, "t1"));
        world.remote = vec![
            remote("t1", Some("e1"), "ann@contoso.com", "ann@contoso.com"),
            remote(
                "r7",
                Some("someone-else"),
                "zed@contoso.com",
                "zed@contoso.com",
            ),
            remote("r8", None, "old@contoso.com", "old@contoso.com"),
        ];
        let plan = world.plan();
        assert_eq!(plan.writes(), 0, "{plan:?}");

        // Same user name, but the account carries another identity's externalId.
        let b = wanted("e2", "zed@contoso.com");
        world.desired.push(b);
        let plan = world.plan();
        assert!(plan.create.is_empty() && plan.adopt.is_empty());
        assert_eq!(plan.errors[0].code, "account_belongs_to_another");
    }

    #[test]
    fn managers_are_set_once_both_accounts_exist_and_left_out_when_outside_scope() {
        let boss = wanted("b", "boss@contoso.com");
        let mut report = wanted("r", "report@contoso.com");
        report.manager = Some("b".into());
        let mut outsider = wanted("o", "o@contoso.com");
        outsider.manager = Some("not-in-scope".into());
        let world = World::new(vec![boss.clone(), report.clone(), outsider]);
        let plan = world.plan();
        assert_eq!(
            plan.managers,
            [ManagerChange {
                entra_id: "r".into(),
                manager: Some("b".into())
            }]
        );
        let mut done = owned_as(&report, "t2");
        done.manager = Some("b".into());
        let world = World::new(vec![boss.clone(), report])
            .own(owned_as(&boss, "t1"))
            .own(done);
        assert!(world.plan().managers.is_empty(), "already set");
    }

    #[test]
    fn groups_push_only_membership_changes() {
        let a = wanted("e1", "ann@contoso.com");
        let b = wanted("e2", "bob@contoso.com");
        let mut world = World::new(vec![a.clone(), b.clone()])
            .own(owned_as(&a, "t1"))
            .own(owned_as(&b, "t2"));
        world.groups = vec![WantedGroup {
            entra_id: "g1".into(),
            display_name: "Year 7".into(),
            members: ["e1".to_string(), "e2".to_string()].into_iter().collect(),
        }];
        world.owned_groups.insert(
            "g1".into(),
            OwnedGroup {
                entra_id: "g1".into(),
                target_id: "tg".into(),
                display_name: "Year 7".into(),
                members: vec!["e1".into(), "gone".into()],
            },
        );
        let plan = world.plan();
        assert_eq!(plan.groups.len(), 1);
        assert_eq!(plan.groups[0].add, ["e2"]);
        assert_eq!(plan.groups[0].remove, ["gone"]);
        world.owned_groups.get_mut("g1").unwrap().members = vec!["e1".into(), "e2".into()];
        assert!(world.plan().groups.is_empty());
    }
}
