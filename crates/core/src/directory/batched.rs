//! The batched full read: the people of each scope group through
//! `transitiveMembers/microsoft.graph.user` (pages of 999), the group tree through
//! `transitiveMembers/microsoft.graph.group`, and the direct memberships the paths need
//! either from the groups delta (`members`, a few pages for the whole tenant) or from each
//! group's `members` — all sent as JSON batches (`$batch`, 20 reads each) with several
//! batches in flight. Round trips grow with the people and the groups divided by the page
//! size, not with the number of groups. Which source of memberships is used is chosen from
//! counts read in the first round (see [`read_batched`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use serde_json::Value;
use serde_json::value::RawValue;

use super::object::{DirectoryObject, ObjectPage};
use super::read::IDS_PER_FILTER;
use super::scope::GroupScope;
use crate::graph::{BATCH_LIMIT, BatchRead, GraphClient, GraphError, parse_answer};
use crate::records::{DirectorySnapshot, GroupRecord, Member, MemberKind, ReadProblem, UserRecord};
use crate::store::DeltaLinks;

/// Batches in flight at once: enough to hide a round trip behind the others, few enough
/// that a throttled read backs off as a whole (the pacing in `graph` spends the resource
/// units of every read in a batch before it is sent).
pub const BATCHES_IN_FLIGHT: usize = 4;

/// Groups per page of the groups delta, as assumed when weighing it (Graph decides the
/// page size; the sandbox sends 200, so this errs on the side of reading group by group).
const DELTA_GROUPS_PER_PAGE: u64 = 100;

/// People per page of a member list.
const PAGE_SIZE: u64 = 999;

/// Where the direct memberships (the edges of every path) come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memberships {
    /// Chosen after the first round from the counts it read.
    Measured,
    /// Each group's `members`, batched.
    DirectMembers,
    /// The groups delta with `members`: every group of the tenant in a few pages.
    GroupsDelta,
}

/// What one read of the crawl is for.
#[derive(Debug, Clone)]
enum Job {
    TenantUsers,
    TenantGroups,
    DeltaStart {
        users: bool,
    },
    Root {
        root: usize,
    },
    NestedGroups {
        root: usize,
        first: bool,
    },
    People {
        root: usize,
        first: bool,
    },
    Members {
        group: String,
        people: bool,
        root: Option<usize>,
    },
    Managers,
    ManagersById,
    GroupsDelta,
}

struct Fetch {
    job: Job,
    read: BatchRead,
    /// Sent in the first round, whose answers the plan is chosen from.
    first_round: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RootState {
    Unknown,
    Found,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Managers {
    Undecided,
    WholeList,
    ById { sent: bool },
}

struct Crawl<'a> {
    client: &'a GraphClient,
    scope: &'a GroupScope,
    select: String,
    roots: Vec<String>,
    root_state: Vec<RootState>,
    queue: VecDeque<Fetch>,
    /// Next pages held until the plan is chosen (nested groups, the tenant's managers).
    held: Vec<Fetch>,
    first_round_left: usize,
    memberships: Memberships,
    managers: Managers,
    tenant_users: Option<u64>,
    tenant_groups: Option<u64>,
    scope_people: u64,
    scope_groups: u64,
    /// People lists still paging.
    people_chains: usize,
    names: HashMap<String, String>,
    /// Nested groups seen, in the order seen.
    tree: Vec<String>,
    tree_seen: HashSet<String>,
    members: HashMap<String, Vec<Member>>,
    partial: HashMap<String, Vec<Member>>,
    delta_partial: HashMap<String, Vec<Member>>,
    requested: HashSet<String>,
    users: HashMap<String, UserRecord>,
    managers_found: HashMap<String, Option<String>>,
    links: DeltaLinks,
    /// A 404 or 400 for a scope group's lists, which only counts once that group is known
    /// to exist (a missing scope group is a problem, not a failure).
    deferred: Vec<(usize, GraphError)>,
}

/// The number in a `$count` answer (a text body, which a batch carries as a JSON string).
fn count_in(answer: &RawValue) -> Option<u64> {
    match serde_json::from_str::<Value>(answer.get()).ok()? {
        Value::String(text) => text.trim().parse().ok(),
        Value::Number(number) => number.as_u64(),
        _ => None,
    }
}

/// A first read of a group that no longer answers, or was never a group.
fn is_missing(error: &GraphError) -> bool {
    matches!(
        error,
        GraphError::NotFound { .. } | GraphError::Rejected { status: 400, .. }
    )
}

impl<'a> Crawl<'a> {
    fn push(&mut self, job: Job, url: String, eventual: bool, what: String, front: bool) {
        let fetch = Fetch {
            job,
            read: BatchRead {
                url,
                eventual,
                what,
            },
            first_round: false,
        };
        if front {
            self.queue.push_front(fetch);
        } else {
            self.queue.push_back(fetch);
        }
    }

    fn group_name(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// Queues the direct members of `group` once.
    fn queue_members(&mut self, group: &str, people: bool, root: Option<usize>) {
        if !self.requested.insert(group.to_string()) {
            return;
        }
        let select = if people {
            format!("{},displayName", self.select)
        } else {
            "id".to_string()
        };
        let mut query = vec![("$select", select.as_str()), ("$top", "999")];
        if people {
            // The count sizes the managers' read before every page is in.
            query.push(("$count", "true"));
        }
        let url = self.client.url(&format!("groups/{group}/members"), &query);
        let what = format!("the members of {}", self.group_name(group));
        if people {
            self.people_chains += 1;
        }
        self.push(
            Job::Members {
                group: group.to_string(),
                people,
                root,
            },
            url,
            people,
            what,
            false,
        );
    }

    /// The first round: counts, delta starting points, the scope's groups and the first
    /// page of each one's people and nested groups, and the first page of managers.
    fn first_round(&mut self) {
        let users_count = self.client.url("users/$count", &[]);
        self.push(
            Job::TenantUsers,
            users_count,
            true,
            "the number of people in the tenant".into(),
            false,
        );
        if self.scope.nested && self.memberships == Memberships::Measured {
            let groups_count = self.client.url("groups/$count", &[]);
            self.push(
                Job::TenantGroups,
                groups_count,
                true,
                "the number of groups in the tenant".into(),
                false,
            );
        }
        for (users, resource, properties) in [
            (true, "users", format!("{},manager", self.select)),
            (false, "groups", "displayName,members".to_string()),
        ] {
            let url = self.client.url(
                &format!("{resource}/delta"),
                &[("$select", &properties), ("$deltatoken", "latest")],
            );
            self.push(
                Job::DeltaStart { users },
                url,
                false,
                format!("the starting point for {resource} changes"),
                false,
            );
        }
        let managers = self.client.url(
            "users",
            &[
                ("$select", "id"),
                ("$expand", "manager($select=id)"),
                ("$top", "999"),
            ],
        );
        self.push(
            Job::Managers,
            managers,
            false,
            "the managers of the people in scope".into(),
            false,
        );
        for root in 0..self.roots.len() {
            let id = self.roots[root].clone();
            let url = self
                .client
                .url(&format!("groups/{id}"), &[("$select", "id,displayName")]);
            self.push(Job::Root { root }, url, false, format!("group {id}"), false);
            if self.scope.nested {
                let url = self.client.url(
                    &format!("groups/{id}/transitiveMembers/microsoft.graph.group"),
                    &[
                        ("$select", "id,displayName"),
                        ("$top", "999"),
                        ("$count", "true"),
                    ],
                );
                self.push(
                    Job::NestedGroups { root, first: true },
                    url,
                    true,
                    format!("the groups inside group {id}"),
                    false,
                );
                let url = self.client.url(
                    &format!("groups/{id}/transitiveMembers/microsoft.graph.user"),
                    &[
                        ("$select", self.select.as_str()),
                        ("$top", "999"),
                        ("$count", "true"),
                    ],
                );
                self.people_chains += 1;
                self.push(
                    Job::People { root, first: true },
                    url,
                    true,
                    format!("the people in group {id}"),
                    false,
                );
            } else {
                self.queue_members(&id, true, Some(root));
            }
        }
        if self.scope.nested && self.memberships == Memberships::GroupsDelta {
            self.queue_groups_delta();
        }
        for fetch in &mut self.queue {
            fetch.first_round = true;
        }
        self.first_round_left = self.queue.len();
    }

    fn queue_groups_delta(&mut self) {
        let url = self
            .client
            .url("groups/delta", &[("$select", "displayName,members")]);
        self.push(
            Job::GroupsDelta,
            url,
            false,
            "the groups and their members".into(),
            true,
        );
    }

    /// A 404/400 on a scope group's lists: held until the group is known to exist.
    fn root_error(&mut self, root: usize, error: GraphError) -> Result<(), GraphError> {
        if is_missing(&error) && self.root_state[root] != RootState::Found {
            self.deferred.push((root, error));
            Ok(())
        } else {
            Err(error)
        }
    }

    /// The job that reads the page after `job`'s, when it can be asked for at once: the
    /// chains whose plan is settled. Nested groups and managers wait for the plan while
    /// the first round is in.
    fn continuation(&self, job: &Job) -> Option<Job> {
        match job {
            Job::People { root, .. } => Some(Job::People {
                root: *root,
                first: false,
            }),
            Job::Members { .. } | Job::GroupsDelta | Job::DeltaStart { .. } => Some(job.clone()),
            Job::NestedGroups { root, .. } => (self.memberships == Memberships::DirectMembers)
                .then_some(Job::NestedGroups {
                    root: *root,
                    first: false,
                }),
            Job::Managers => (self.managers == Managers::WholeList).then_some(Job::Managers),
            Job::ManagersById => Some(Job::ManagersById),
            Job::TenantUsers | Job::TenantGroups | Job::Root { .. } => None,
        }
    }

    /// Asks for the next page of `fetch`'s chain before its answer is parsed, so Graph
    /// prepares that page while this one is read. True when it was asked for.
    fn follow(&mut self, fetch: &Fetch, answer: &Result<Box<RawValue>, GraphError>) -> bool {
        let Ok(answer) = answer else {
            return false;
        };
        let Some(job) = self.continuation(&fetch.job) else {
            return false;
        };
        let Some(next) = ObjectPage::next_link(answer) else {
            return false;
        };
        self.push(
            job,
            next,
            fetch.read.eventual,
            fetch.read.what.clone(),
            true,
        );
        true
    }

    /// Takes one answer in. `followed`: its next page was already asked for.
    fn take(
        &mut self,
        fetch: Fetch,
        result: Result<Box<RawValue>, GraphError>,
        followed: bool,
    ) -> Result<(), GraphError> {
        if fetch.first_round {
            self.first_round_left = self.first_round_left.saturating_sub(1);
        }
        let what = fetch.read.what;
        match fetch.job {
            Job::TenantUsers => {
                self.tenant_users = result.ok().and_then(|answer| count_in(&answer));
                if let Some(count) = self.tenant_users {
                    self.client.budget_for_tenant(count);
                }
            }
            Job::TenantGroups => {
                self.tenant_groups = result.ok().and_then(|answer| count_in(&answer));
            }
            Job::DeltaStart { users } => {
                let page = self
                    .client
                    .page_of(parse_answer::<Value>(&result?, &what)?, &what)?;
                if let Some(next) = page.next_link {
                    if !followed {
                        self.push(Job::DeltaStart { users }, next, false, what, true);
                    }
                    return Ok(());
                }
                let link = page.delta_link.ok_or_else(|| GraphError::Unreadable {
                    what: what.clone(),
                    detail: "Graph returned no delta link".into(),
                })?;
                if users {
                    self.links.users = link;
                } else {
                    self.links.groups = link;
                }
            }
            Job::Root { root } => {
                match result.and_then(|answer| parse_answer::<DirectoryObject>(&answer, &what)) {
                    Ok(group) => {
                        let id = self.roots[root].clone();
                        let name = group.display_name.unwrap_or_else(|| id.clone());
                        self.names.insert(id.clone(), name);
                        self.root_state[root] = RootState::Found;
                        if self.scope.nested && self.memberships == Memberships::DirectMembers {
                            self.queue_members(&id, false, Some(root));
                        }
                    }
                    Err(error) if is_missing(&error) => self.root_state[root] = RootState::Missing,
                    Err(error) => return Err(error),
                }
            }
            Job::NestedGroups { root, first } => {
                let answer = match result {
                    Ok(answer) => answer,
                    Err(error) => return self.root_error(root, error),
                };
                let page = ObjectPage::read(self.client, &answer, &what)?;
                drop(answer);
                if first {
                    self.scope_groups += page.count.unwrap_or(0);
                }
                for item in page.items {
                    let Some(id) = item.id else {
                        continue;
                    };
                    let name = item.display_name.unwrap_or_else(|| id.clone());
                    self.names.insert(id.clone(), name);
                    if self.tree_seen.insert(id.clone()) {
                        if self.memberships == Memberships::DirectMembers {
                            self.queue_members(&id, false, None);
                        }
                        self.tree.push(id);
                    }
                }
                if let Some(next) = page.next_link
                    && !followed
                {
                    let job = Job::NestedGroups { root, first: false };
                    match self.memberships {
                        Memberships::DirectMembers => self.push(job, next, true, what, true),
                        Memberships::Measured => self.held.push(Fetch {
                            job,
                            read: BatchRead {
                                url: next,
                                eventual: true,
                                what,
                            },
                            first_round: false,
                        }),
                        Memberships::GroupsDelta => {}
                    }
                }
            }
            Job::People { root, first } => {
                let answer = match result {
                    Ok(answer) => answer,
                    Err(error) => {
                        self.people_chains = self.people_chains.saturating_sub(1);
                        return self.root_error(root, error);
                    }
                };
                let page = ObjectPage::read(self.client, &answer, &what)?;
                drop(answer);
                if first {
                    self.scope_people += page.count.unwrap_or(0);
                }
                let mut read = 0u64;
                for user in page
                    .items
                    .into_iter()
                    .filter_map(DirectoryObject::into_user)
                {
                    self.users.insert(user.id.clone(), user);
                    read += 1;
                }
                self.client.count_users(read);
                match page.next_link {
                    Some(next) => {
                        if !followed {
                            let job = Job::People { root, first: false };
                            self.push(job, next, true, what, true);
                        }
                    }
                    None => self.people_chains = self.people_chains.saturating_sub(1),
                }
            }
            Job::Members {
                group,
                people,
                root,
            } => {
                let answer = match (result, root) {
                    (Ok(answer), _) => answer,
                    (Err(error), Some(root)) => {
                        if people {
                            self.people_chains = self.people_chains.saturating_sub(1);
                        }
                        return self.root_error(root, error);
                    }
                    (Err(error), None) => return Err(error),
                };
                let page = ObjectPage::read(self.client, &answer, &what)?;
                drop(answer);
                if people
                    && let Some(count) = page.count
                    && !self.partial.contains_key(&group)
                {
                    self.scope_people += count;
                }
                let list = self.partial.entry(group.clone()).or_default();
                let mut read = 0u64;
                for item in page.items {
                    let Some(member) = item.member() else {
                        continue;
                    };
                    if people
                        && member.kind == MemberKind::User
                        && let Some(user) = item.into_user()
                    {
                        self.users.insert(user.id.clone(), user);
                        read += 1;
                    }
                    list.push(member);
                }
                self.client.count_users(read);
                match page.next_link {
                    Some(next) => {
                        if !followed {
                            let job = Job::Members {
                                group,
                                people,
                                root,
                            };
                            self.push(job, next, people, what, true);
                        }
                    }
                    None => {
                        let list = self.partial.remove(&group).unwrap_or_default();
                        self.members.insert(group, list);
                        if people {
                            self.people_chains = self.people_chains.saturating_sub(1);
                        }
                    }
                }
            }
            Job::Managers | Job::ManagersById => {
                let by_id = matches!(fetch.job, Job::ManagersById);
                let page = ObjectPage::read(self.client, &result?, &what)?;
                for item in page.items {
                    if let Some(id) = item.id {
                        self.managers_found.insert(id, item.manager.flatten());
                    }
                }
                if let Some(next) = page.next_link
                    && !followed
                {
                    let job = if by_id {
                        Job::ManagersById
                    } else {
                        Job::Managers
                    };
                    match self.managers {
                        Managers::Undecided => self.held.push(Fetch {
                            job,
                            read: BatchRead {
                                url: next,
                                eventual: false,
                                what,
                            },
                            first_round: false,
                        }),
                        Managers::WholeList | Managers::ById { .. } => {
                            if by_id || self.managers == Managers::WholeList {
                                self.push(job, next, false, what, true);
                            }
                        }
                    }
                }
            }
            Job::GroupsDelta => {
                let page = ObjectPage::read(self.client, &result?, &what)?;
                for item in page.items {
                    let Some(id) = item.id else {
                        continue;
                    };
                    if item.removed {
                        continue;
                    }
                    if let Some(name) = item.display_name {
                        self.names.insert(id.clone(), name);
                    }
                    let list = self.delta_partial.entry(id).or_default();
                    for change in item.member_changes {
                        if change.removed {
                            continue;
                        }
                        if let Some(member) = change.id {
                            list.push(Member {
                                id: member,
                                kind: change.kind,
                            });
                        }
                    }
                }
                match page.next_link {
                    Some(next) => {
                        if !followed {
                            self.push(Job::GroupsDelta, next, false, what, true);
                        }
                    }
                    None => {
                        for (id, list) in std::mem::take(&mut self.delta_partial) {
                            let mut seen = HashSet::new();
                            let list: Vec<Member> = list
                                .into_iter()
                                .filter(|member| seen.insert(member.id.clone()))
                                .collect();
                            self.members.entry(id).or_insert(list);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Chooses, once the first round is in, where the memberships and the managers come
    /// from; sends the managers by id once every person is known.
    fn decide(&mut self) {
        if self.first_round_left > 0 {
            return;
        }
        if self.memberships == Memberships::Measured {
            let found = self
                .root_state
                .iter()
                .filter(|state| **state == RootState::Found)
                .count() as u64;
            let people_pages = self.scope_people.div_ceil(PAGE_SIZE).max(1);
            let member_rounds = (self.scope_groups + found)
                .div_ceil((BATCH_LIMIT * BATCHES_IN_FLIGHT) as u64)
                .max(1);
            let delta_pages = self
                .tenant_groups
                .map(|groups| groups.div_ceil(DELTA_GROUPS_PER_PAGE).max(1));
            // The groups delta reads every group of the tenant, one page after another: worth
            // it when those pages end no later than the people's own pages or the batched
            // member lists would (a school, where nearly every group is in scope), not when
            // the scope is a small corner of a tenant with many groups.
            let delta = delta_pages.is_some_and(|pages| pages <= people_pages.max(member_rounds));
            let held = std::mem::take(&mut self.held);
            if delta {
                self.memberships = Memberships::GroupsDelta;
                self.queue_groups_delta();
                self.held = held
                    .into_iter()
                    .filter(|fetch| !matches!(fetch.job, Job::NestedGroups { .. }))
                    .collect();
            } else {
                self.memberships = Memberships::DirectMembers;
                for root in 0..self.roots.len() {
                    if self.root_state[root] == RootState::Found {
                        let id = self.roots[root].clone();
                        self.queue_members(&id, false, Some(root));
                    }
                }
                for group in self.tree.clone() {
                    self.queue_members(&group, false, None);
                }
                let mut rest = Vec::new();
                for fetch in held {
                    if matches!(fetch.job, Job::NestedGroups { .. }) {
                        self.queue.push_front(fetch);
                    } else {
                        rest.push(fetch);
                    }
                }
                self.held = rest;
            }
        }
        if self.managers == Managers::Undecided {
            // Today's rule (see `fill_managers`): the whole list with only ids and managers
            // (tenant ÷ 999 reads) or the people in scope by id (scope ÷ 15 reads), whichever
            // is fewer; the scope's size comes from the first pages' counts.
            let estimate = if self.people_chains == 0 {
                self.users.len() as u64
            } else {
                self.scope_people.max(self.users.len() as u64)
            };
            let by_id = estimate.div_ceil(IDS_PER_FILTER as u64);
            let whole = self
                .tenant_users
                .map(|count| count.div_ceil(PAGE_SIZE).max(1));
            let held = std::mem::take(&mut self.held);
            if whole.is_some_and(|pages| pages <= by_id) {
                self.managers = Managers::WholeList;
                for fetch in held {
                    self.queue.push_front(fetch);
                }
            } else {
                self.managers = Managers::ById { sent: false };
                self.managers_found.clear();
            }
        }
        if self.managers == (Managers::ById { sent: false }) && self.people_chains == 0 {
            self.managers = Managers::ById { sent: true };
            let mut ids: Vec<String> = self.users.keys().cloned().collect();
            ids.sort();
            for chunk in ids.chunks(IDS_PER_FILTER) {
                let list = chunk
                    .iter()
                    .map(|id| format!("'{}'", id.replace('\'', "''")))
                    .collect::<Vec<_>>()
                    .join(",");
                let filter = format!("id in ({list})");
                let url = self.client.url(
                    "users",
                    &[
                        ("$filter", &filter),
                        ("$select", "id"),
                        ("$expand", "manager($select=id)"),
                    ],
                );
                self.push(Job::ManagersById, url, false, "people by id".into(), false);
            }
        }
    }

    /// The groups reachable from the scope's groups whose direct members are not read yet.
    fn unread_groups(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for id in self.reachable() {
            if !self.members.contains_key(&id) && !self.requested.contains(&id) {
                missing.push(id);
            }
        }
        missing
    }

    /// Breadth first from the scope's groups that exist, through nested groups when the
    /// scope says so.
    fn reachable(&self) -> Vec<String> {
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        let mut queue: VecDeque<String> = self
            .roots
            .iter()
            .zip(&self.root_state)
            .filter(|(_, state)| **state == RootState::Found)
            .map(|(id, _)| id.clone())
            .collect();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            if self.scope.nested {
                for member in self.members.get(&id).into_iter().flatten() {
                    if member.kind == MemberKind::Group && !seen.contains(&member.id) {
                        queue.push_back(member.id.clone());
                    }
                }
            }
            order.push(id);
        }
        order
    }

    fn finish(mut self) -> Result<(DirectorySnapshot, DeltaLinks), GraphError> {
        for (root, error) in std::mem::take(&mut self.deferred) {
            if self.root_state[root] == RootState::Found {
                return Err(error);
            }
        }
        let mut snapshot = DirectorySnapshot::default();
        for id in self.reachable() {
            let members = self.members.remove(&id).unwrap_or_default();
            let display_name = self.group_name(&id);
            snapshot.groups.insert(
                id.clone(),
                GroupRecord {
                    id,
                    display_name,
                    members,
                },
            );
        }
        let mut users = std::mem::take(&mut self.users);
        for user in users.values_mut() {
            if let Some(manager) = self.managers_found.get(&user.id) {
                user.manager_id = manager.clone();
            }
        }
        snapshot.users = users;
        for (root, id) in self.roots.iter().enumerate() {
            if self.root_state[root] != RootState::Missing {
                continue;
            }
            let role = if self.scope.include.contains(id) {
                "include"
            } else {
                "exclude"
            };
            snapshot.problems.push(ReadProblem {
                code: "group_not_found".into(),
                message: format!(
                    "The {role} group {id} does not exist in this tenant; it may have been deleted. Remove it from the profile's [scope] or replace it with the group's current Object ID."
                ),
            });
        }
        Ok((snapshot, self.links))
    }
}

/// The answers of one batch (each body as JSON text), with the reads they answer.
type Answered = (Vec<Fetch>, Vec<Result<Box<RawValue>, GraphError>>);

/// A batch in flight.
type InFlight<'a> = Pin<Box<dyn Future<Output = Answered> + Send + 'a>>;

/// Sends one batch; its answers come back with the reads they answer.
async fn answer_batch(
    client: &GraphClient,
    fetches: Vec<Fetch>,
    reads: Vec<BatchRead>,
) -> Answered {
    let answers = client.batch(&reads).await;
    (fetches, answers)
}

/// Waits for the first batch in flight to be answered.
async fn next_answered<'a>(in_flight: &mut Vec<InFlight<'a>>) -> Answered {
    std::future::poll_fn(|cx| {
        for index in 0..in_flight.len() {
            if let Poll::Ready(answer) = in_flight[index].as_mut().poll(cx) {
                drop(in_flight.swap_remove(index));
                return Poll::Ready(answer);
            }
        }
        Poll::Pending
    })
    .await
}

/// Sends the reads waiting, in as many batches as there are free slots. The first round
/// goes out in as few batches as it fits; afterwards the reads waiting are spread over the
/// free slots, so the page chains (people, managers, groups) are answered side by side
/// rather than one after another in one batch.
fn send_waiting<'a>(crawl: &mut Crawl<'a>, in_flight: &mut Vec<InFlight<'a>>, first: bool) {
    while in_flight.len() < BATCHES_IN_FLIGHT && !crawl.queue.is_empty() {
        let free = BATCHES_IN_FLIGHT - in_flight.len();
        let size = if first {
            BATCH_LIMIT
        } else {
            crawl.queue.len().div_ceil(free).clamp(1, BATCH_LIMIT)
        };
        let take = size.min(crawl.queue.len());
        let fetches: Vec<Fetch> = crawl.queue.drain(..take).collect();
        let reads: Vec<BatchRead> = fetches.iter().map(|fetch| fetch.read.clone()).collect();
        let mut batch: InFlight<'a> = Box::pin(answer_batch(crawl.client, fetches, reads));
        // Polled once now, so the request goes out before the reader turns to parsing,
        // not when it next waits. The loop polls it again, with its own waker, until the
        // answer is in.
        if let Poll::Ready(answered) = batch.as_mut().poll(&mut Context::from_waker(Waker::noop()))
        {
            batch = Box::pin(std::future::ready(answered));
        }
        in_flight.push(batch);
    }
}

/// Reads the whole scope in JSON batches. `memberships` forces a source of memberships;
/// [`Memberships::Measured`] chooses it from the first round's counts.
pub async fn read_batched(
    client: &GraphClient,
    scope: &GroupScope,
    select: String,
    memberships: Memberships,
) -> Result<(DirectorySnapshot, DeltaLinks), GraphError> {
    let roots: Vec<String> = scope.roots().cloned().collect();
    let mut crawl = Crawl {
        client,
        scope,
        select,
        root_state: vec![RootState::Unknown; roots.len()],
        roots,
        queue: VecDeque::new(),
        held: Vec::new(),
        first_round_left: 0,
        memberships: if scope.nested {
            memberships
        } else {
            Memberships::DirectMembers
        },
        managers: Managers::Undecided,
        tenant_users: None,
        tenant_groups: None,
        scope_people: 0,
        scope_groups: 0,
        people_chains: 0,
        names: HashMap::new(),
        tree: Vec::new(),
        tree_seen: HashSet::new(),
        members: HashMap::new(),
        partial: HashMap::new(),
        delta_partial: HashMap::new(),
        requested: HashSet::new(),
        users: HashMap::new(),
        managers_found: HashMap::new(),
        links: DeltaLinks::default(),
        deferred: Vec::new(),
    };
    client.set_stage("Reading the groups and people in scope");
    crawl.first_round();
    let mut in_flight: Vec<InFlight<'_>> = Vec::new();
    send_waiting(&mut crawl, &mut in_flight, true);
    loop {
        client.check_cancelled()?;
        if in_flight.is_empty() {
            let unread = crawl.unread_groups();
            if unread.is_empty() {
                break;
            }
            // Groups the memberships reach but no list covered (created during the read).
            for group in unread {
                crawl.queue_members(&group, false, None);
            }
            send_waiting(&mut crawl, &mut in_flight, false);
            continue;
        }
        let (fetches, answers) = next_answered(&mut in_flight).await;
        // The next page of each chain is asked for before this batch's pages are parsed,
        // so Graph prepares it while the reader parses: a chain of pages then costs about
        // one answer a page rather than one answer and one parse.
        let mut answered = Vec::with_capacity(fetches.len());
        for (fetch, answer) in fetches.into_iter().zip(answers) {
            let followed = crawl.follow(&fetch, &answer);
            answered.push((fetch, answer, followed));
        }
        send_waiting(&mut crawl, &mut in_flight, false);
        for (fetch, answer, followed) in answered {
            crawl.take(fetch, answer, followed)?;
        }
        crawl.decide();
        send_waiting(&mut crawl, &mut in_flight, false);
        client.report_progress();
    }
    client.check_cancelled()?;
    crawl.finish()
}
