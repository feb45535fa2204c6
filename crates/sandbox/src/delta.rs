//! Delta queries for users and groups: tokens that remember where a client got to, changes
//! since then, `@removed` entries, `members@delta` for groups, `$deltatoken=latest`, and
//! 410 `syncStateNotFound` once a token has expired.
//!
//! A token carries the directory change number it was issued at; a later call returns the
//! objects whose change number is higher. Expiring delta tokens bumps a generation number
//! that every token also carries.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::directory::{Directory, Removal};
use crate::graph::errors::GraphError;
use crate::graph::shape::{self, SelectTarget, Selection};
use crate::graph::{Answer, Call};
use crate::read;

/// Objects per delta page.
pub const DELTA_PAGE: usize = 200;

/// Where a delta round is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Position {
    generation: u64,
    /// Changes after this number are reported (0: everything, the initial round).
    since: u64,
    /// The change number the round started at; the next deltaLink continues from it.
    upto: u64,
    offset: usize,
    select: String,
}

fn encode(kind: char, position: &Position) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{kind}|{}|{}|{}|{}|{}",
        position.generation, position.since, position.upto, position.offset, position.select
    ))
}

fn decode(kind: char, token: &str) -> Option<Position> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let parts: Vec<&str> = text.splitn(6, '|').collect();
    if parts.len() != 6 || parts[0] != kind.to_string() {
        return None;
    }
    Some(Position {
        generation: parts[1].parse().ok()?,
        since: parts[2].parse().ok()?,
        upto: parts[3].parse().ok()?,
        offset: parts[4].parse().ok()?,
        select: parts[5].to_string(),
    })
}

fn expired(call: &Call<'_>, resource: &str, select: &str) -> GraphError {
    let mut error = GraphError::new(
        StatusCode::GONE,
        "syncStateNotFound",
        "The delta token is expired and data must be synchronized again.",
    );
    let query = if select.is_empty() {
        String::new()
    } else {
        format!("$select={select}&")
    };
    error.location = Some(format!(
        "{}/v1.0/{resource}/delta?{query}$deltatoken=",
        call.state.base_url
    ));
    error
}

/// Works out the round's position from the request's tokens or starts a new round.
fn position(
    call: &Call<'_>,
    kind: char,
    resource: &str,
    directory: &Directory,
) -> Result<(Position, bool), GraphError> {
    let generation = call.state.settings().delta_generation;
    let invalid = || {
        GraphError::bad_request(
            "The delta or skip token is not valid; start a new round without it.",
        )
    };
    if let Some(token) = &call.options.deltatoken {
        if token.eq_ignore_ascii_case("latest") {
            let select = call
                .options
                .select
                .as_ref()
                .map(|s| s.join(","))
                .unwrap_or_default();
            let position = Position {
                generation,
                since: directory.sequence,
                upto: directory.sequence,
                offset: 0,
                select,
            };
            return Ok((position, true));
        }
        if token.is_empty() {
            return Ok((start(call, generation, directory), false));
        }
        let mut position = decode(kind, token).ok_or_else(invalid)?;
        if position.generation != generation {
            return Err(expired(call, resource, &position.select));
        }
        position.upto = directory.sequence;
        position.offset = 0;
        return Ok((position, false));
    }
    if let Some(token) = &call.options.skiptoken {
        let position = decode(kind, token).ok_or_else(invalid)?;
        if position.generation != generation {
            return Err(expired(call, resource, &position.select));
        }
        return Ok((position, false));
    }
    Ok((start(call, generation, directory), false))
}

fn start(call: &Call<'_>, generation: u64, directory: &Directory) -> Position {
    Position {
        generation,
        since: 0,
        upto: directory.sequence,
        offset: 0,
        select: call
            .options
            .select
            .as_ref()
            .map(|s| s.join(","))
            .unwrap_or_default(),
    }
}

fn split_select(select: &str, navigation: &str) -> (Option<Vec<String>>, bool) {
    if select.is_empty() {
        return (None, false);
    }
    let mut wants_navigation = false;
    let props: Vec<String> = select
        .split(',')
        .filter(|p| {
            if p.eq_ignore_ascii_case(navigation) {
                wants_navigation = true;
                false
            } else {
                true
            }
        })
        .map(str::to_string)
        .collect();
    (Some(props), wants_navigation)
}

fn finish(
    call: &Call<'_>,
    resource: &str,
    kind: char,
    position: &Position,
    value: Vec<Value>,
    next: Option<usize>,
) -> Answer {
    let mut body = Map::new();
    let context = if position.select.is_empty() {
        call.context(resource)
    } else {
        call.context(&format!("{resource}({})", position.select))
    };
    body.insert("@odata.context".to_string(), json!(context));
    match next {
        Some(offset) => {
            let token = encode(
                kind,
                &Position {
                    offset,
                    ..position.clone()
                },
            );
            body.insert(
                "@odata.nextLink".to_string(),
                json!(format!(
                    "{}/v1.0/{resource}/delta?$skiptoken={token}",
                    call.state.base_url
                )),
            );
        }
        None => {
            let token = encode(
                kind,
                &Position {
                    since: position.upto,
                    offset: 0,
                    ..position.clone()
                },
            );
            body.insert(
                "@odata.deltaLink".to_string(),
                json!(format!(
                    "{}/v1.0/{resource}/delta?$deltatoken={token}",
                    call.state.base_url
                )),
            );
        }
    }
    body.insert("value".to_string(), Value::Array(value));
    Answer::Json(Value::Object(body))
}

/// `GET /users/delta`.
pub(crate) fn users(call: &Call<'_>) -> Result<Answer, GraphError> {
    let directory = read(&call.state.directory);
    let (position, latest) = position(call, 'u', "users", &directory)?;
    let (props, wants_manager) = split_select(&position.select, "manager");
    let selection = shape::selection(props.as_ref(), SelectTarget::Users, false)?;
    let selection = match (&selection, wants_manager) {
        (Selection::Only(props), true) if props.is_empty() => Selection::Only(vec!["id"]),
        _ => selection,
    };
    if latest {
        return Ok(finish(call, "users", 'u', &position, Vec::new(), None));
    }
    let mut value = Vec::new();
    let mut index = position.offset;
    let mut next = None;
    while index < directory.users.len() {
        let user = &directory.users[index];
        index += 1;
        let include = if position.since == 0 {
            user.removed.is_none()
        } else {
            user.changed > position.since
        };
        if !include {
            continue;
        }
        if value.len() == DELTA_PAGE {
            next = Some(index - 1);
            break;
        }
        if let Some(removal) = user.removed {
            let reason = match removal {
                Removal::Changed => "changed",
                Removal::Deleted => "deleted",
            };
            value.push(json!({"id": user.id, "@removed": {"reason": reason}}));
            continue;
        }
        let mut map = shape::user_json(user, &selection, false);
        map.insert("id".to_string(), json!(user.id));
        if wants_manager && let Some(manager) = user.manager.and_then(|m| directory.users.get(m)) {
            map.insert(
                "manager@delta".to_string(),
                json!([{"@odata.type": "#microsoft.graph.user", "id": manager.id}]),
            );
        }
        value.push(Value::Object(map));
    }
    Ok(finish(call, "users", 'u', &position, value, next))
}

/// `GET /groups/delta`, with `members@delta` when `$select` names members.
pub(crate) fn groups(call: &Call<'_>) -> Result<Answer, GraphError> {
    let directory = read(&call.state.directory);
    let (position, latest) = position(call, 'g', "groups", &directory)?;
    let (props, wants_members) = split_select(&position.select, "members");
    let selection = shape::selection(props.as_ref(), SelectTarget::Groups, false)?;
    if latest {
        return Ok(finish(call, "groups", 'g', &position, Vec::new(), None));
    }
    // Net membership changes per group since the token.
    let mut changes: BTreeMap<usize, BTreeMap<crate::directory::ObjectRef, bool>> = BTreeMap::new();
    if position.since > 0 && wants_members {
        for change in directory
            .membership_log
            .iter()
            .filter(|c| c.changed > position.since)
        {
            changes
                .entry(change.group)
                .or_default()
                .insert(change.member, change.added);
        }
    }
    let mut value = Vec::new();
    let mut index = position.offset;
    let mut next = None;
    while index < directory.groups.len() {
        let group = &directory.groups[index];
        index += 1;
        if position.since > 0 && group.changed <= position.since {
            continue;
        }
        let deleted = directory.deleted_groups.contains(&(index - 1));
        if deleted && position.since == 0 {
            continue;
        }
        if value.len() == DELTA_PAGE {
            next = Some(index - 1);
            break;
        }
        if deleted {
            value.push(json!({"id": group.id, "@removed": {"reason": "deleted"}}));
            continue;
        }
        let mut map = shape::group_json(group, &selection);
        map.insert("id".to_string(), json!(group.id));
        if wants_members {
            let members: Vec<Value> = if position.since == 0 {
                group
                    .members
                    .iter()
                    .map(|m| json!({"@odata.type": m.kind.odata_type(), "id": directory.object_id(*m)}))
                    .collect()
            } else {
                changes
                    .get(&(index - 1))
                    .map(|net| {
                        net.iter()
                            .map(|(member, added)| {
                                let mut entry = json!({"@odata.type": member.kind.odata_type(), "id": directory.object_id(*member)});
                                if !added {
                                    entry["@removed"] = json!({"reason": "deleted"});
                                }
                                entry
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if !members.is_empty() {
                map.insert("members@delta".to_string(), Value::Array(members));
            }
        }
        value.push(Value::Object(map));
    }
    Ok(finish(call, "groups", 'g', &position, value, next))
}
