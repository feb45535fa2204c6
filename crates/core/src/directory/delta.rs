//! The incremental read: what changed since the stored delta links (groups renamed,
//! members added or removed, people changed or deleted, groups newly nested), turned into
//! changes to the cache.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::Value;

use super::ReadError;
use super::object::{manager_in, user_in};
use super::read::{fill_managers, read_groups, users_by_id};
use super::scope::{GroupScope, user_select};
use crate::graph::{GraphClient, GraphError};
use crate::profile::MappingSettings;
use crate::records::{DirectorySnapshot, Member, MemberKind, ReadProblem};
use crate::store::{ChangeSet, DeltaLinks, Store};

/// A group's changes gathered across delta pages (a large group may span several).
#[derive(Debug, Default)]
struct GroupChange {
    name: Option<String>,
    removed: bool,
    added: Vec<Member>,
    removed_members: Vec<String>,
}

/// Reads what changed since the stored delta links and turns it into changes to the cache.
/// Returns the changes, the groups no longer reachable from the scope, and the new links.
pub(crate) async fn read_changes(
    client: &GraphClient,
    scope: &GroupScope,
    mapping: &MappingSettings,
    store: &mut Store,
    links: &DeltaLinks,
    problems: &mut Vec<ReadProblem>,
) -> Result<(ChangeSet, Vec<String>, DeltaLinks), ReadError> {
    let select = user_select(mapping);
    let mut structure = store.structure()?;
    let mut changes = ChangeSet::default();

    client.set_stage("Reading group changes");
    let mut group_changes: BTreeMap<String, GroupChange> = BTreeMap::new();
    let groups_link = client
        .each_page(links.groups.clone(), false, "group changes", |items| {
            for item in &items {
                let Some(id) = item.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let change = group_changes.entry(id.to_string()).or_default();
                if item.get("@removed").is_some() {
                    change.removed = true;
                }
                if let Some(name) = item.get("displayName").and_then(Value::as_str) {
                    change.name = Some(name.to_string());
                }
                for entry in item
                    .get("members@delta")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(member) = entry.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    if entry.get("@removed").is_some() {
                        change.added.retain(|m| m.id != member);
                        change.removed_members.push(member.to_string());
                    } else {
                        change.removed_members.retain(|m| m != member);
                        change.added.push(Member {
                            id: member.to_string(),
                            kind: MemberKind::from_odata_type(
                                entry.get("@odata.type").and_then(Value::as_str),
                            ),
                        });
                    }
                }
            }
            Ok(())
        })
        .await?
        .unwrap_or_else(|| links.groups.clone());

    let mut needed_users: BTreeSet<String> = BTreeSet::new();
    let mut new_groups: Vec<String> = Vec::new();
    for (id, change) in &group_changes {
        if !structure.groups.contains_key(id) {
            continue;
        }
        if change.removed {
            changes.delete_groups.push(id.clone());
            structure.nesting.remove(id);
            if scope.roots().any(|root| root == id) {
                problems.push(ReadProblem {
                    code: "group_deleted".into(),
                    message: format!(
                        "The scope group {} ({id}) was deleted in Entra. Remove it from the profile's [scope], or restore it in the Entra admin center.",
                        structure.groups.get(id).cloned().unwrap_or_default()
                    ),
                });
            }
            continue;
        }
        if let Some(name) = &change.name {
            changes.groups.push((id.clone(), name.clone()));
        }
        for member in &change.removed_members {
            changes.remove_members.push((id.clone(), member.clone()));
            if let Some(children) = structure.nesting.get_mut(id) {
                children.remove(member);
            }
        }
        for member in &change.added {
            changes.add_members.push((id.clone(), member.clone()));
            match member.kind {
                MemberKind::User if !structure.users.contains(&member.id) => {
                    needed_users.insert(member.id.clone());
                }
                MemberKind::Group => {
                    structure
                        .nesting
                        .entry(id.clone())
                        .or_default()
                        .insert(member.id.clone());
                    if scope.nested && !structure.groups.contains_key(&member.id) {
                        new_groups.push(member.id.clone());
                    }
                }
                _ => {}
            }
        }
    }

    client.set_stage("Reading changes to people");
    let mut seen_in_delta: HashSet<String> = HashSet::new();
    let users_link = client
        .each_page(links.users.clone(), false, "changes to people", |items| {
            for item in &items {
                let Some(id) = item.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let known = structure.users.contains(id) || needed_users.contains(id);
                if !known {
                    continue;
                }
                seen_in_delta.insert(id.to_string());
                if item.get("@removed").is_some() {
                    changes.delete_users.push(id.to_string());
                    continue;
                }
                if let Some(user) = user_in(item) {
                    let manager_known = manager_in(item).is_some();
                    changes.users.push((user, manager_known));
                }
            }
            Ok(())
        })
        .await?
        .unwrap_or_else(|| links.users.clone());

    // People added to a group who did not change themselves: read them by id.
    let missing: Vec<String> = needed_users
        .iter()
        .filter(|id| !seen_in_delta.contains(*id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        client.set_stage("Reading people added to groups");
        for user in users_by_id(client, &missing, &select).await? {
            changes.users.push((user, true));
        }
    }
    // Users delta leaves out the manager when it did not change; a person new to the cache
    // needs it read.
    let unknown_managers: Vec<String> = changes
        .users
        .iter()
        .filter(|(user, manager_known)| !manager_known && !structure.users.contains(&user.id))
        .map(|(user, _)| user.id.clone())
        .collect();
    if !unknown_managers.is_empty() {
        let found = users_by_id(client, &unknown_managers, &select).await?;
        let managers: HashMap<String, Option<String>> = found
            .into_iter()
            .map(|user| (user.id, user.manager_id))
            .collect();
        for (user, manager_known) in &mut changes.users {
            if let Some(manager) = managers.get(&user.id) {
                user.manager_id = manager.clone();
                *manager_known = true;
            }
        }
    }

    // Groups newly nested inside the scope: read them whole.
    if !new_groups.is_empty() {
        let mut named = Vec::new();
        for id in &new_groups {
            let url = client.url(&format!("groups/{id}"), &[("$select", "id,displayName")]);
            match client.get_json(&url, false, &format!("group {id}")).await {
                Ok(json) => named.push((
                    id.clone(),
                    json.get("displayName")
                        .and_then(Value::as_str)
                        .unwrap_or(id)
                        .to_string(),
                )),
                Err(GraphError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let known: HashSet<String> = structure.groups.keys().cloned().collect();
        let mut added = DirectorySnapshot::default();
        read_groups(client, named, &known, true, &select, &mut added).await?;
        fill_managers(client, &mut added.users, None, &select).await?;
        for group in added.groups.into_values() {
            structure
                .groups
                .insert(group.id.clone(), group.display_name.clone());
            for member in &group.members {
                if member.kind == MemberKind::Group {
                    structure
                        .nesting
                        .entry(group.id.clone())
                        .or_default()
                        .insert(member.id.clone());
                }
                changes.add_members.push((group.id.clone(), member.clone()));
            }
            changes.groups.push((group.id, group.display_name));
        }
        for user in added.users.into_values() {
            changes.users.push((user, true));
        }
    }

    // Groups that no scope group reaches any more leave the cache.
    for id in &changes.delete_groups {
        structure.groups.remove(id);
    }
    let mut reachable: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<String> = scope
        .roots()
        .filter(|id| structure.groups.contains_key(*id))
        .cloned()
        .collect();
    while let Some(id) = queue.pop_front() {
        if !reachable.insert(id.clone()) {
            continue;
        }
        if scope.nested {
            for child in structure.nesting.get(&id).into_iter().flatten() {
                if structure.groups.contains_key(child) {
                    queue.push_back(child.clone());
                }
            }
        }
    }
    let unreachable: Vec<String> = structure
        .groups
        .keys()
        .filter(|id| !reachable.contains(*id))
        .cloned()
        .collect();
    Ok((
        changes,
        unreachable,
        DeltaLinks {
            users: users_link,
            groups: groups_link,
        },
    ))
}
