//! The full read: the scope's groups, their nested groups and the people in them, read from
//! Graph into a snapshot, with the managers filled in and delta rounds started at "now".

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value;

use super::batched::{Memberships, read_batched};
use super::object::{manager_in, user_in};
use super::scope::{GroupScope, user_select};
use crate::graph::{GraphClient, GraphError};
use crate::profile::MappingSettings;
use crate::records::{DirectorySnapshot, GroupRecord, Member, MemberKind, ReadProblem, UserRecord};
use crate::store::DeltaLinks;

/// Graph caps `in (…)` filters at 15 values.
pub(crate) const IDS_PER_FILTER: usize = 15;

/// Reads people by id, 15 to a request, with their managers.
pub(crate) async fn users_by_id(
    client: &GraphClient,
    ids: &[String],
    select: &str,
) -> Result<Vec<UserRecord>, GraphError> {
    let mut users = Vec::new();
    for chunk in ids.chunks(IDS_PER_FILTER) {
        let list = chunk
            .iter()
            .map(|id| format!("'{}'", id.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(",");
        let filter = format!("id in ({list})");
        let url = client.url(
            "users",
            &[
                ("$filter", &filter),
                ("$select", select),
                ("$expand", "manager($select=id)"),
            ],
        );
        client
            .each_page(url, false, "people by id", |items| {
                users.extend(items.iter().filter_map(user_in));
                Ok(())
            })
            .await?;
    }
    client.count_users(users.len() as u64);
    Ok(users)
}

/// Fills in managers.
///
/// Graph has no manager on a group's member list, `$expand=manager` on the whole user list
/// reads every person in the tenant, and `/users/{id}/manager` is one request per person.
/// Rollcall takes whichever of two bounded reads costs fewer requests: the whole user list
/// with only `id` and the manager's `id` (`$top=999`: tenant ÷ 999 requests), or the people
/// in scope by id, 15 to a request (`$filter=id in (…)`: scope ÷ 15 requests). A school
/// whose scope is most of the tenant pays about 100 requests per 100,000 people; a
/// department of 500 in a tenant of a million pays 34 instead of 1,000.
pub(crate) async fn fill_managers(
    client: &GraphClient,
    users: &mut HashMap<String, UserRecord>,
    tenant_users: Option<u64>,
    select: &str,
) -> Result<(), GraphError> {
    if users.is_empty() {
        return Ok(());
    }
    client.set_stage("Reading managers");
    let by_id = (users.len() as u64).div_ceil(IDS_PER_FILTER as u64);
    let whole_list = tenant_users.map(|count| count.div_ceil(999).max(1));
    if whole_list.is_some_and(|pages| pages <= by_id) {
        let url = client.url(
            "users",
            &[
                ("$select", "id"),
                ("$expand", "manager($select=id)"),
                ("$top", "999"),
            ],
        );
        client
            .each_page(url, false, "the managers of the people in scope", |items| {
                for item in &items {
                    let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                    if let Some(user) = users.get_mut(id) {
                        user.manager_id = manager_in(item).flatten();
                    }
                }
                Ok(())
            })
            .await?;
    } else {
        let ids: Vec<String> = users.keys().cloned().collect();
        for found in users_by_id(client, &ids, select).await? {
            if let Some(user) = users.get_mut(&found.id) {
                user.manager_id = found.manager_id;
            }
        }
    }
    Ok(())
}

/// The number of people in the tenant (`/users/$count`), when Graph says.
async fn tenant_user_count(client: &GraphClient) -> Option<u64> {
    let url = client.url("users/$count", &[]);
    client
        .get_text(&url, true, "the number of people in the tenant")
        .await
        .ok()?
        .parse()
        .ok()
}

/// Reads groups breadth first from `start`: each group's direct members (`$select`,
/// `$top=999`, every page), following nested groups when `nested`. Groups in `known` are
/// not read again.
pub(crate) async fn read_groups(
    client: &GraphClient,
    start: Vec<(String, String)>,
    known: &HashSet<String>,
    nested: bool,
    select: &str,
    snapshot: &mut DirectorySnapshot,
) -> Result<(), GraphError> {
    let member_select = format!("{select},displayName");
    let mut queue: VecDeque<(String, String)> = start.into_iter().collect();
    let mut seen: HashSet<String> = known.clone();
    for (id, _) in &queue {
        seen.insert(id.clone());
    }
    while let Some((id, name)) = queue.pop_front() {
        client.set_stage(format!("Reading the members of {name}"));
        let url = client.url(
            &format!("groups/{id}/members"),
            &[("$select", &member_select), ("$top", "999")],
        );
        let mut members = Vec::new();
        let mut found_groups = Vec::new();
        let mut users = 0u64;
        client
            .each_page(url, false, &format!("the members of {name}"), |items| {
                for item in &items {
                    let kind = MemberKind::from_odata_type(
                        item.get("@odata.type").and_then(Value::as_str),
                    );
                    let Some(member_id) = item.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    match kind {
                        MemberKind::User => {
                            if let Some(user) = user_in(item) {
                                snapshot.users.insert(user.id.clone(), user);
                                users += 1;
                            }
                        }
                        MemberKind::Group => {
                            let child_name = item
                                .get("displayName")
                                .and_then(Value::as_str)
                                .unwrap_or(member_id)
                                .to_string();
                            found_groups.push((member_id.to_string(), child_name));
                        }
                        _ => {}
                    }
                    members.push(Member {
                        id: member_id.to_string(),
                        kind,
                    });
                }
                Ok(())
            })
            .await?;
        client.count_users(users);
        snapshot.groups.insert(
            id.clone(),
            GroupRecord {
                id: id.clone(),
                display_name: name,
                members,
            },
        );
        if nested {
            for (child, child_name) in found_groups {
                if seen.insert(child.clone()) {
                    queue.push_back((child, child_name));
                }
            }
        }
    }
    Ok(())
}

/// Looks up the scope's own groups; those that do not exist become problems.
async fn read_roots(
    client: &GraphClient,
    scope: &GroupScope,
    problems: &mut Vec<ReadProblem>,
) -> Result<Vec<(String, String)>, GraphError> {
    let mut roots = Vec::new();
    for id in scope.roots() {
        client.check_cancelled()?;
        let url = client.url(&format!("groups/{id}"), &[("$select", "id,displayName")]);
        match client.get_json(&url, false, &format!("group {id}")).await {
            Ok(json) => {
                let name = json
                    .get("displayName")
                    .and_then(Value::as_str)
                    .unwrap_or(id)
                    .to_string();
                roots.push((id.clone(), name));
            }
            Err(GraphError::NotFound { .. } | GraphError::Rejected { status: 400, .. }) => {
                let role = if scope.include.contains(id) {
                    "include"
                } else {
                    "exclude"
                };
                problems.push(ReadProblem {
                    code: "group_not_found".into(),
                    message: format!(
                        "The {role} group {id} does not exist in this tenant; it may have been deleted. Remove it from the profile's [scope] or replace it with the group's current Object ID."
                    ),
                });
            }
            Err(error) => return Err(error),
        }
    }
    Ok(roots)
}

/// Starts delta rounds at "now" (`$deltatoken=latest`), so later refreshes only see what
/// changes from here on, without paging through the whole tenant first.
async fn delta_start(client: &GraphClient, select: &str) -> Result<DeltaLinks, GraphError> {
    let mut links = DeltaLinks::default();
    for (resource, properties) in [
        ("users", format!("{select},manager")),
        ("groups", "displayName,members".to_string()),
    ] {
        let url = client.url(
            &format!("{resource}/delta"),
            &[("$select", &properties), ("$deltatoken", "latest")],
        );
        let link = client
            .each_page(
                url,
                false,
                &format!("the starting point for {resource} changes"),
                |_| Ok(()),
            )
            .await?
            .ok_or_else(|| GraphError::Unreadable {
                what: format!("the starting point for {resource} changes"),
                detail: "Graph returned no delta link".into(),
            })?;
        match resource {
            "users" => links.users = link,
            _ => links.groups = link,
        }
    }
    Ok(links)
}

/// How a full read gets the scope's groups, memberships and people.
///
/// Measured on the sandbox's school tenant (100,000 people, 3,345 groups: classes of 30
/// under seven year groups, staff teams of 30) — see the reading bench for the numbers:
/// group by group, every group's members are one request after another, 3,400 and more
/// round trips, so the read's time is the number of groups times the latency (six minutes
/// at 100 ms). Batched, the people come in the pages of their scope group's
/// `transitiveMembers/microsoft.graph.user` (tenant ÷ 999 round trips, the same as a bare
/// client paging that list), and the memberships the paths need ride alongside in JSON
/// batches with several in flight, so the read takes about as many round trips as the
/// people's pages. The memberships come from the groups delta (`members`, one resource
/// unit a page) when that tenant-wide list is no longer than the people's pages — a
/// school, where nearly every group is in scope — and otherwise from each group's
/// `members` in batches of 20 (two units each), so a small scope in a tenant of many
/// groups does not read them all. Both yield the same snapshot as the group-by-group read,
/// which stays as the yardstick the tests compare with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadPlan {
    /// Batched; the source of memberships chosen from the first round's counts.
    #[default]
    Measured,
    /// Batched, with each group's direct members.
    BatchedMembers,
    /// Batched, with the memberships from the groups delta.
    BatchedGroupsDelta,
    /// One group after another, each group's direct members with the people's properties.
    GroupByGroup,
}

/// Reads the whole scope from Graph, by the measured plan.
pub async fn read_full(
    client: &GraphClient,
    scope: &GroupScope,
    mapping: &MappingSettings,
) -> Result<(DirectorySnapshot, DeltaLinks), GraphError> {
    read_full_with(client, scope, mapping, ReadPlan::default()).await
}

/// Reads the whole scope from Graph by `plan`.
pub async fn read_full_with(
    client: &GraphClient,
    scope: &GroupScope,
    mapping: &MappingSettings,
    plan: ReadPlan,
) -> Result<(DirectorySnapshot, DeltaLinks), GraphError> {
    let select = user_select(mapping);
    let memberships = match plan {
        ReadPlan::GroupByGroup => return read_group_by_group(client, scope, select).await,
        ReadPlan::Measured => Memberships::Measured,
        ReadPlan::BatchedMembers => Memberships::DirectMembers,
        ReadPlan::BatchedGroupsDelta => Memberships::GroupsDelta,
    };
    read_batched(client, scope, select, memberships).await
}

/// Today's first way: the scope's groups and then every nested group, one after another.
async fn read_group_by_group(
    client: &GraphClient,
    scope: &GroupScope,
    select: String,
) -> Result<(DirectorySnapshot, DeltaLinks), GraphError> {
    client.set_stage("Counting the people in the tenant");
    let tenant_users = tenant_user_count(client).await;
    if let Some(count) = tenant_users {
        client.budget_for_tenant(count);
    }
    client.set_stage("Marking the starting point for later changes");
    let links = delta_start(client, &select).await?;
    let mut snapshot = DirectorySnapshot::default();
    let roots = read_roots(client, scope, &mut snapshot.problems).await?;
    read_groups(
        client,
        roots,
        &HashSet::new(),
        scope.nested,
        &select,
        &mut snapshot,
    )
    .await?;
    fill_managers(client, &mut snapshot.users, tenant_users, &select).await?;
    Ok((snapshot, links))
}
