//! Finding groups for the picker: search by name, a pasted Object ID or admin-center link,
//! the groups a saved scope names (and whether they still exist), and member counts.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::ReadError;
use super::scope::{ScopeError, parse_group_ref};
use crate::graph::{GraphClient, GraphError};

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
