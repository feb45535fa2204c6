//! Who is in scope: the include and exclude groups an admin picks, read from Graph with
//! their nested groups, each person with the path(s) of groups that brought them in.
//! Exclude beats include; guests only count when the profile says so. This module finds
//! groups (search, pasted ID or admin-center link), reads them into the cache (full, or
//! incremental through delta links) and works out the scope from the cache. It never writes
//! to a learning platform.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::clock::Clock;
use crate::graph::{GraphClient, GraphError};
use crate::profile::{MappingSettings, ScopeSettings};
use crate::store::{ChangeSet, DeltaLinks, ReadKind, ReadProblem, Store, StoreError};

/// What kind of directory object a group member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum MemberKind {
    #[serde(rename = "user")]
    User,
    #[serde(rename = "group")]
    Group,
    #[serde(rename = "device")]
    Device,
    #[serde(rename = "servicePrincipal")]
    ServicePrincipal,
    #[serde(rename = "orgContact")]
    OrgContact,
    #[serde(rename = "other")]
    Other,
}

impl MemberKind {
    /// From an `@odata.type` such as `#microsoft.graph.user`.
    pub fn from_odata_type(odata_type: Option<&str>) -> MemberKind {
        let name = odata_type
            .unwrap_or_default()
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.");
        MemberKind::parse(name)
    }

    pub fn parse(name: &str) -> MemberKind {
        match name.to_ascii_lowercase().as_str() {
            "user" => MemberKind::User,
            "group" => MemberKind::Group,
            "device" => MemberKind::Device,
            "serviceprincipal" => MemberKind::ServicePrincipal,
            "orgcontact" => MemberKind::OrgContact,
            _ => MemberKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Group => "group",
            MemberKind::Device => "device",
            MemberKind::ServicePrincipal => "servicePrincipal",
            MemberKind::OrgContact => "orgContact",
            MemberKind::Other => "other",
        }
    }
}

/// A person as read from Graph: only the properties the mapping and the preview need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub display_name: String,
    pub enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    pub employee_id: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    /// The further properties a sync can map (name parts, job title, leave date, …).
    pub details: UserDetails,
}

/// A person's properties beyond those the preview needs, under their Graph names; only
/// those Entra holds a value for are present. Stored as one JSON column in the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UserDetails(pub BTreeMap<String, String>);

/// The Graph properties kept in [`UserDetails`]; `onPremisesExtensionAttributes` is kept as
/// `extensionAttribute1` … `extensionAttribute15`.
pub const DETAIL_PROPERTIES: &[&str] = &[
    "givenName",
    "surname",
    "jobTitle",
    "preferredLanguage",
    "country",
    "officeLocation",
    "mobilePhone",
    "companyName",
    "employeeHireDate",
    "employeeLeaveDateTime",
];

impl UserDetails {
    /// The value of a Graph property (or `extensionAttributeN`), when Entra holds one.
    pub fn get(&self, property: &str) -> Option<&str> {
        self.0.get(property).map(String::as_str)
    }

    fn from_json(item: &Value) -> UserDetails {
        let mut details = BTreeMap::new();
        let mut keep = |key: &str, value: Option<&Value>| {
            let text = match value {
                Some(Value::String(text)) => text.trim().to_string(),
                Some(Value::Number(number)) => number.to_string(),
                _ => String::new(),
            };
            if !text.is_empty() {
                details.insert(key.to_string(), text);
            }
        };
        for property in DETAIL_PROPERTIES {
            keep(property, item.get(*property));
        }
        if let Some(Value::Object(extensions)) = item.get("onPremisesExtensionAttributes") {
            for (key, value) in extensions {
                keep(key, Some(value));
            }
        }
        UserDetails(details)
    }
}

impl UserRecord {
    pub fn is_guest(&self) -> bool {
        self.user_type
            .as_deref()
            .is_some_and(|kind| kind.eq_ignore_ascii_case("guest"))
            || self.user_principal_name.contains("#EXT#")
    }

    fn from_json(item: &Value) -> Option<UserRecord> {
        let text = |key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.trim().is_empty())
                .map(str::to_string)
        };
        let id = text("id")?;
        Some(UserRecord {
            user_principal_name: text("userPrincipalName").unwrap_or_default(),
            mail: text("mail"),
            display_name: text("displayName").unwrap_or_default(),
            enabled: item
                .get("accountEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            user_type: text("userType"),
            employee_id: text("employeeId"),
            department: text("department"),
            manager_id: manager_of(item).flatten(),
            details: UserDetails::from_json(item),
            id,
        })
    }
}

/// The manager in an item: `Some(Some(id))` named, `Some(None)` known to have none,
/// `None` not said (delta only reports a manager when it changed).
fn manager_of(item: &Value) -> Option<Option<String>> {
    if let Some(manager) = item.get("manager") {
        return Some(
            manager
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string),
        );
    }
    let changes = item.get("manager@delta")?.as_array()?;
    let current = changes
        .iter()
        .rfind(|entry| entry.get("@removed").is_none())
        .and_then(|entry| entry.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Some(current)
}

/// One direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    pub id: String,
    pub kind: MemberKind,
}

/// A group in the snapshot, with its direct members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: String,
    pub display_name: String,
    pub members: Vec<Member>,
}

/// The groups reachable from the scope's groups and the people in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySnapshot {
    pub groups: BTreeMap<String, GroupRecord>,
    pub users: HashMap<String, UserRecord>,
    /// Problems found while reading (a scope group that does not exist, …).
    pub problems: Vec<ReadProblem>,
}

/// Why a scope or a group choice cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "No include group is set, so nobody would be in scope. Pick at least one group (search by name, or paste its Object ID from the Entra admin center)."
    )]
    NoIncludeGroup,
    #[error(
        "\"{input}\" is not a group's Object ID. Paste the Object ID (a GUID such as 6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b) or the group's page address from the Entra admin center."
    )]
    NotAGroupId { input: String },
    #[error(
        "{count} groups are set; Rollcall reads at most {MAX_GROUPS}. Use fewer, larger groups (a group can contain other groups)."
    )]
    TooManyGroups { count: usize },
    #[error("Type at least one letter or digit of the group's name to search for it.")]
    EmptySearch,
}

/// The most include plus exclude groups one profile may name.
pub const MAX_GROUPS: usize = 500;

/// Finds a GUID in `text`: the text itself, or the one inside a pasted link (after
/// `groupId/` or `objectId/` when the link names several).
pub fn parse_group_ref(input: &str) -> Result<String, ScopeError> {
    let text = input.trim().trim_matches(['{', '}']);
    if let Ok(id) = uuid::Uuid::parse_str(text) {
        return Ok(id.hyphenated().to_string());
    }
    let lower = text.to_ascii_lowercase();
    let candidates: Vec<(usize, uuid::Uuid)> = lower
        .char_indices()
        .filter_map(|(at, _)| {
            let slice = lower.get(at..at + 36)?;
            let shaped = slice.char_indices().all(|(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
            if !shaped {
                return None;
            }
            uuid::Uuid::parse_str(slice).ok().map(|id| (at, id))
        })
        .collect();
    let preferred = candidates.iter().find(|(at, _)| {
        let before = &lower[..*at];
        before.ends_with("groupid/")
            || before.ends_with("objectid/")
            || before.ends_with("groupid=")
    });
    match (preferred, candidates.as_slice()) {
        (Some((_, id)), _) | (None, [(_, id)]) => Ok(id.hyphenated().to_string()),
        _ => Err(ScopeError::NotAGroupId {
            input: input.trim().chars().take(120).collect(),
        }),
    }
}

/// The scope of a profile: which groups bring people in and which keep them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupScope {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub nested: bool,
    pub guests: bool,
}

impl GroupScope {
    /// Checks the `[scope]` settings: every entry must name a group.
    pub fn from_settings(settings: &ScopeSettings) -> Result<GroupScope, ScopeError> {
        let parse = |list: &[String]| -> Result<Vec<String>, ScopeError> {
            let mut ids = Vec::new();
            for entry in list {
                let id = parse_group_ref(entry)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(ids)
        };
        let include = parse(&settings.include_groups)?;
        let exclude = parse(&settings.exclude_groups)?;
        if include.is_empty() {
            return Err(ScopeError::NoIncludeGroup);
        }
        if include.len() + exclude.len() > MAX_GROUPS {
            return Err(ScopeError::TooManyGroups {
                count: include.len() + exclude.len(),
            });
        }
        Ok(GroupScope {
            include,
            exclude,
            nested: settings.nested,
            guests: settings.guests,
        })
    }

    fn roots(&self) -> impl Iterator<Item = &String> {
        self.include.iter().chain(&self.exclude)
    }

    /// Identifies what a stored snapshot was read for: another scope or mapping needs a
    /// full read.
    pub fn cache_key(&self, mapping: &MappingSettings) -> String {
        let mut include = self.include.clone();
        include.sort();
        let mut exclude = self.exclude.clone();
        exclude.sort();
        format!(
            "include={};exclude={};nested={};select={}",
            include.join(","),
            exclude.join(","),
            self.nested,
            user_select(mapping)
        )
    }
}

/// The user properties read: what the preview and any mapping may need, nothing more. The
/// same for every mapping, so editing the mapping never forces a full read.
pub fn user_select(_mapping: &MappingSettings) -> String {
    let mut properties = vec![
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
        "accountEnabled",
        "userType",
        "department",
        "employeeId",
        "onPremisesExtensionAttributes",
    ];
    properties.extend(DETAIL_PROPERTIES);
    properties.join(",")
}

/// A group the admin can pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupChoice {
    pub id: String,
    #[serde(rename = "displayName")]
    pub display_name: String,
    pub description: Option<String>,
    /// Direct members (`/members/$count`), when Graph could count them.
    #[serde(rename = "memberCount")]
    pub member_count: Option<u64>,
}

/// Why a group could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(
        "No group with ID {id} exists in this tenant; it may have been deleted. Search for the group by name, or paste the Object ID from its overview page in the Entra admin center."
    )]
    GroupNotFound { id: String },
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn group_choice(item: &Value) -> Option<GroupChoice> {
    Some(GroupChoice {
        id: item.get("id")?.as_str()?.to_string(),
        display_name: item
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        description: item
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        member_count: None,
    })
}

/// Counts a group's direct members (`/members/$count`, `ConsistencyLevel: eventual`).
pub async fn member_count(client: &GraphClient, group_id: &str) -> Result<u64, GraphError> {
    let url = client.url(&format!("groups/{group_id}/members/$count"), &[]);
    let text = client
        .get_text(&url, true, &format!("the member count of group {group_id}"))
        .await?;
    text.parse().map_err(|_| GraphError::Unreadable {
        what: format!("the member count of group {group_id}"),
        detail: format!("\"{text}\" is not a number"),
    })
}

/// One group by Object ID (or a pasted link containing it), with its member count.
pub async fn resolve_group(client: &GraphClient, input: &str) -> Result<GroupChoice, ReadError> {
    let id = parse_group_ref(input)?;
    let url = client.url(
        &format!("groups/{id}"),
        &[("$select", "id,displayName,description")],
    );
    let json = match client.get_json(&url, false, &format!("group {id}")).await {
        Ok(json) => json,
        Err(GraphError::NotFound { .. }) => return Err(ReadError::GroupNotFound { id }),
        Err(GraphError::Rejected { status: 400, .. }) => {
            return Err(ReadError::GroupNotFound { id });
        }
        Err(error) => return Err(error.into()),
    };
    let mut choice = group_choice(&json).ok_or_else(|| GraphError::Unreadable {
        what: format!("group {id}"),
        detail: "the answer has no id".into(),
    })?;
    choice.member_count = member_count(client, &choice.id).await.ok();
    Ok(choice)
}

/// A group of a saved scope, as the picker shows it again: found in Entra with its current
/// name and member count, or gone (deleted, or the ID no longer exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedGroup {
    #[serde(flatten)]
    pub group: GroupChoice,
    pub missing: bool,
}

/// Looks up the groups a profile's scope names, in order, so the picker can show the choice
/// made last time. A group Entra no longer has is returned as missing, under the name the
/// cache last saw (`known_names`) or its ID.
pub async fn saved_groups(
    client: &GraphClient,
    ids: &[String],
    known_names: &BTreeMap<String, String>,
) -> Result<Vec<SavedGroup>, ReadError> {
    let mut groups = Vec::with_capacity(ids.len());
    for id in ids {
        let saved = match resolve_group(client, id).await {
            Ok(group) => SavedGroup {
                group,
                missing: false,
            },
            Err(ReadError::GroupNotFound { .. } | ReadError::Scope(_)) => SavedGroup {
                group: GroupChoice {
                    id: id.clone(),
                    display_name: known_names.get(id).cloned().unwrap_or_else(|| id.clone()),
                    description: None,
                    member_count: None,
                },
                missing: true,
            },
            Err(error) => return Err(error),
        };
        groups.push(saved);
    }
    Ok(groups)
}

/// The most groups a search returns.
pub const SEARCH_LIMIT: usize = 25;

/// Groups whose name matches what the admin typed: a pasted ID or link resolves that group;
/// otherwise `$search` on displayName (words starting with the text), falling back to
/// `startswith(displayName, …)` when Graph refuses the search. Each result carries its
/// member count.
pub async fn search_groups(
    client: &GraphClient,
    text: &str,
) -> Result<Vec<GroupChoice>, ReadError> {
    if let Ok(id) = parse_group_ref(text) {
        let _ = id;
        return match resolve_group(client, text).await {
            Ok(choice) => Ok(vec![choice]),
            Err(ReadError::GroupNotFound { .. }) => Ok(Vec::new()),
            Err(error) => Err(error),
        };
    }
    // Quotes and backslashes would end the search phrase early; Graph splits words anyway.
    let cleaned: String = text
        .chars()
        .map(|c| if matches!(c, '"' | '\\') { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !cleaned.chars().any(char::is_alphanumeric) {
        return Err(ScopeError::EmptySearch.into());
    }
    let top = SEARCH_LIMIT.to_string();
    let search = format!("\"displayName:{cleaned}\"");
    let url = client.url(
        "groups",
        &[
            ("$search", &search),
            ("$select", "id,displayName,description"),
            ("$top", &top),
            ("$count", "true"),
        ],
    );
    let what = format!("groups named like \"{cleaned}\"");
    let page = match client.page(&url, true, &what).await {
        Ok(page) => page,
        Err(GraphError::Rejected { status: 400, .. }) => {
            let filter = format!("startswith(displayName,'{}')", cleaned.replace('\'', "''"));
            let url = client.url(
                "groups",
                &[
                    ("$filter", &filter),
                    ("$select", "id,displayName,description"),
                    ("$top", &top),
                ],
            );
            client.page(&url, false, &what).await?
        }
        Err(error) => return Err(error.into()),
    };
    let mut choices: Vec<GroupChoice> = page.items.iter().filter_map(group_choice).collect();
    choices.truncate(SEARCH_LIMIT);
    for choice in &mut choices {
        choice.member_count = member_count(client, &choice.id).await.ok();
    }
    Ok(choices)
}

/// Graph caps `in (…)` filters at 15 values.
const IDS_PER_FILTER: usize = 15;

/// Reads people by id, 15 to a request, with their managers.
async fn users_by_id(
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
                users.extend(items.iter().filter_map(UserRecord::from_json));
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
async fn fill_managers(
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
                        user.manager_id = manager_of(item).flatten();
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
async fn read_groups(
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
                            if let Some(user) = UserRecord::from_json(item) {
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

/// Reads the whole scope from Graph.
pub async fn read_full(
    client: &GraphClient,
    scope: &GroupScope,
    mapping: &MappingSettings,
) -> Result<(DirectorySnapshot, DeltaLinks), GraphError> {
    let select = user_select(mapping);
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
async fn read_changes(
    client: &GraphClient,
    scope: &GroupScope,
    mapping: &MappingSettings,
    store: &Store,
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
                if let Some(user) = UserRecord::from_json(item) {
                    let manager_known = manager_of(item).is_some();
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

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    pub kind: ReadKind,
    /// True when an incremental refresh was asked for but a full read was needed (the
    /// delta link had expired, or the scope changed).
    pub fell_back_to_full: bool,
    pub requests: u64,
    pub pages: u64,
    pub retries: u64,
    pub elapsed_ms: u64,
    /// People stored after the refresh.
    pub users: usize,
    pub problems: Vec<ReadProblem>,
}

/// Brings the cache up to date: incrementally through the stored delta links when the
/// cache was read for this same scope, otherwise (or when a delta link has expired) with a
/// full read. The cache changes in one transaction at the end; if anything fails or the
/// read is cancelled, the previous snapshot stays and the status row says the read is
/// incomplete.
pub async fn refresh(
    client: &GraphClient,
    store: &mut Store,
    scope: &GroupScope,
    mapping: &MappingSettings,
    clock: Arc<dyn Clock>,
) -> Result<RefreshReport, ReadError> {
    let started = std::time::Instant::now();
    let key = scope.cache_key(mapping);
    let stored = store.snapshot_info()?;
    let links = store.delta_links()?;
    let incremental = match (&stored, &links) {
        (Some((stored_key, _)), Some(links)) if *stored_key == key => Some(links.clone()),
        _ => None,
    };
    let kind = if incremental.is_some() {
        ReadKind::Delta
    } else {
        ReadKind::Full
    };
    client.expect_requests(store.read_cost(kind, &key)?);
    store.begin_read(kind, clock.now())?;
    let outcome = run_refresh(client, store, scope, mapping, &key, incremental, &clock).await;
    let stats = client.stats();
    match outcome {
        Ok((kind, fell_back, problems)) => {
            let users = store.structure().map(|s| s.users.len()).unwrap_or(0);
            Ok(RefreshReport {
                kind,
                fell_back_to_full: fell_back,
                requests: stats.requests,
                pages: stats.pages,
                retries: stats.retries,
                elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                users,
                problems,
            })
        }
        Err(error) => {
            let _ = store.fail_read(&error.to_string(), stats.requests, clock.now());
            Err(error)
        }
    }
}

async fn run_refresh(
    client: &GraphClient,
    store: &mut Store,
    scope: &GroupScope,
    mapping: &MappingSettings,
    key: &str,
    incremental: Option<DeltaLinks>,
    clock: &Arc<dyn Clock>,
) -> Result<(ReadKind, bool, Vec<ReadProblem>), ReadError> {
    let mut fell_back = false;
    if let Some(links) = incremental {
        let mut problems = store
            .snapshot_info()?
            .map(|(_, problems)| problems)
            .unwrap_or_default();
        match read_changes(client, scope, mapping, store, &links, &mut problems).await {
            Ok((changes, unreachable, links)) => {
                client.check_cancelled()?;
                problems.dedup();
                store.apply_changes(
                    &changes,
                    &unreachable,
                    &problems,
                    &links,
                    key,
                    client.stats().requests,
                    clock.now(),
                )?;
                return Ok((ReadKind::Delta, false, problems));
            }
            Err(ReadError::Graph(GraphError::DeltaExpired { .. })) => {
                fell_back = true;
                let full = store.read_cost(ReadKind::Full, key)?;
                client.expect_requests(full.map(|total| total + client.stats().requests));
            }
            Err(error) => return Err(error),
        }
    }
    let (snapshot, links) = read_full(client, scope, mapping).await?;
    client.check_cancelled()?;
    client.set_stage("Saving");
    store.replace_snapshot(&snapshot, &links, key, client.stats().requests, clock.now())?;
    Ok((ReadKind::Full, fell_back, snapshot.problems))
}

/// A person in scope and how they got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'a> {
    pub user: &'a UserRecord,
    /// Group names from a scope group down to the group holding the person.
    pub paths: Vec<Vec<String>>,
}

/// The scope worked out from a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeResult<'a> {
    /// In scope, sorted by display name then id.
    pub matched: Vec<Matched<'a>>,
    /// Reached through an include group but kept out by an exclude group.
    pub excluded: usize,
    /// Guests reached through an include group but left out because guests are off.
    pub guests_left_out: usize,
    /// Members that are not people (devices, service principals, contacts), by kind.
    pub skipped: BTreeMap<String, usize>,
    /// Problems with the scope itself (a missing or empty group).
    pub problems: Vec<ReadProblem>,
}

/// At most this many paths are kept per person.
pub const MAX_PATHS: usize = 10;

/// Works out who is in scope from a snapshot. Pure: no I/O.
pub fn evaluate<'a>(snapshot: &'a DirectorySnapshot, scope: &GroupScope) -> ScopeResult<'a> {
    let mut result = ScopeResult {
        problems: snapshot.problems.clone(),
        ..ScopeResult::default()
    };
    let mut paths: HashMap<&str, Vec<Vec<String>>> = HashMap::new();
    let mut skipped: HashMap<&str, MemberKind> = HashMap::new();
    for root in &scope.include {
        let Some(group) = snapshot.groups.get(root) else {
            continue;
        };
        if group.members.is_empty() {
            result.problems.push(ReadProblem {
                code: "group_empty".into(),
                message: format!(
                    "The include group {} has no members, so it brings nobody in. Add members in Entra or pick another group.",
                    group.display_name
                ),
            });
        }
        let mut trail = vec![group.id.as_str()];
        let mut names = vec![group.display_name.clone()];
        let mut expansions: HashMap<&str, usize> = HashMap::new();
        walk(
            snapshot,
            group,
            scope.nested,
            &mut trail,
            &mut names,
            &mut expansions,
            &mut paths,
            &mut skipped,
        );
    }
    let mut excluded: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = scope.exclude.iter().map(String::as_str).collect();
    let mut visited: HashSet<&str> = HashSet::new();
    while let Some(id) = queue.pop_front() {
        if !visited.insert(id) {
            continue;
        }
        let Some(group) = snapshot.groups.get(id) else {
            continue;
        };
        for member in &group.members {
            match member.kind {
                MemberKind::User => {
                    excluded.insert(member.id.as_str());
                }
                MemberKind::Group if scope.nested => queue.push_back(member.id.as_str()),
                _ => {}
            }
        }
    }
    for (id, user_paths) in paths {
        let Some(user) = snapshot.users.get(id) else {
            continue;
        };
        if excluded.contains(id) {
            result.excluded += 1;
            continue;
        }
        if user.is_guest() && !scope.guests {
            result.guests_left_out += 1;
            continue;
        }
        result.matched.push(Matched {
            user,
            paths: user_paths,
        });
    }
    result.matched.sort_by(|a, b| {
        a.user
            .display_name
            .to_lowercase()
            .cmp(&b.user.display_name.to_lowercase())
            .then_with(|| a.user.id.cmp(&b.user.id))
    });
    for kind in skipped.values() {
        *result.skipped.entry(kind.as_str().to_string()).or_insert(0) += 1;
    }
    result
}

/// How often one group is walked into from different paths before further paths through it
/// are no longer listed (a guard against groups nested in many places).
const MAX_EXPANSIONS: usize = 50;

#[allow(clippy::too_many_arguments)]
fn walk<'a>(
    snapshot: &'a DirectorySnapshot,
    group: &'a GroupRecord,
    nested: bool,
    trail: &mut Vec<&'a str>,
    names: &mut Vec<String>,
    expansions: &mut HashMap<&'a str, usize>,
    paths: &mut HashMap<&'a str, Vec<Vec<String>>>,
    skipped: &mut HashMap<&'a str, MemberKind>,
) {
    for member in &group.members {
        match member.kind {
            MemberKind::User => {
                let entry = paths.entry(member.id.as_str()).or_default();
                if entry.len() < MAX_PATHS && !entry.contains(names) {
                    entry.push(names.clone());
                }
            }
            MemberKind::Group => {
                if !nested || trail.contains(&member.id.as_str()) {
                    continue;
                }
                let Some(child) = snapshot.groups.get(&member.id) else {
                    continue;
                };
                let count = expansions.entry(child.id.as_str()).or_insert(0);
                if *count >= MAX_EXPANSIONS {
                    continue;
                }
                *count += 1;
                trail.push(child.id.as_str());
                names.push(child.display_name.clone());
                walk(
                    snapshot, child, nested, trail, names, expansions, paths, skipped,
                );
                trail.pop();
                names.pop();
            }
            kind => {
                skipped.insert(member.id.as_str(), kind);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_references_come_from_ids_and_links() {
        let id = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
        assert_eq!(parse_group_ref(id).unwrap(), id);
        assert_eq!(
            parse_group_ref(&format!("{{{}}}", id.to_uppercase())).unwrap(),
            id
        );
        let link = format!(
            "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/GroupDetailsMenuBlade/~/Overview/groupId/{id}/menuId/"
        );
        assert_eq!(parse_group_ref(&link).unwrap(), id);
        assert!(matches!(
            parse_group_ref("Staff"),
            Err(ScopeError::NotAGroupId { .. })
        ));
    }

    #[test]
    fn a_scope_needs_an_include_group() {
        let settings = ScopeSettings::default();
        assert_eq!(
            GroupScope::from_settings(&settings),
            Err(ScopeError::NoIncludeGroup)
        );
    }
}
