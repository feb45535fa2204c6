//! The platform's groups (RFC 7643 §4.2): display name, external ID and members (user IDs),
//! kept in memory in creation order; PATCH of members (add, remove by value filter, replace)
//! and of the names; the `attr eq "value"` filters clients use to find a group.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::error::{ScimError, ScimType};
use super::patch::PATCH_OP;

pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// One group as the platform keeps it.
#[derive(Debug, Clone)]
pub struct StoredGroup {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user IDs, in the order they were added, each once.
    pub members: Vec<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub revision: u64,
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl StoredGroup {
    pub fn etag(&self) -> String {
        format!("W/\"g{}\"", self.revision)
    }

    pub fn render(&self, base_url: &str) -> Value {
        let mut document = Map::new();
        document.insert("schemas".into(), json!([CORE_GROUP]));
        document.insert("id".into(), Value::from(self.id.clone()));
        document.insert("displayName".into(), Value::from(self.display_name.clone()));
        if let Some(external) = &self.external_id {
            document.insert("externalId".into(), Value::from(external.clone()));
        }
        if !self.members.is_empty() {
            let members: Vec<Value> = self
                .members
                .iter()
                .map(|id| json!({"value": id, "$ref": format!("{base_url}/Users/{id}"), "type": "User"}))
                .collect();
            document.insert("members".into(), Value::Array(members));
        }
        document.insert(
            "meta".into(),
            json!({
                "resourceType": "Group",
                "created": timestamp(self.created),
                "lastModified": timestamp(self.last_modified),
                "location": format!("{base_url}/Groups/{}", self.id),
                "version": self.etag(),
            }),
        );
        Value::Object(document)
    }
}

/// What a POST or PUT body describes.
#[derive(Debug, Clone)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<String>,
}

fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// Member IDs from a `members` value: an array of `{"value": id}` (or bare ID strings).
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        single => std::slice::from_ref(single),
    };
    let mut ids = Vec::new();
    for item in items {
        let id = match item {
            Value::String(id) => Some(id.clone()),
            Value::Object(parts) => member(parts, "value")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
        match id {
            Some(id) if !id.trim().is_empty() => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            _ => {
                return Err(ScimError::invalid_value(
                    "each member must be an object with the user's id: {\"value\": \"<user id>\"}",
                ));
            }
        }
    }
    Ok(ids)
}

/// Reads a whole Group from a POST or PUT body.
pub fn validate_group(body: &Value) -> Result<GroupFields, ScimError> {
    let Value::Object(map) = body else {
        return Err(ScimError::invalid_syntax(
            "the body must be a JSON object holding a Group",
        ));
    };
    let has_schema = member(map, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas.iter().any(|urn| {
                urn.as_str()
                    .is_some_and(|urn| urn.eq_ignore_ascii_case(CORE_GROUP))
            })
        });
    if !has_schema {
        return Err(ScimError::invalid_syntax(format!(
            "the body needs \"schemas\": [\"{CORE_GROUP}\"]"
        )));
    }
    let display_name = match member(map, "displayName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
        _ => {
            return Err(ScimError::invalid_value(
                "displayName is required: send a non-empty string, e.g. \"displayName\": \"Staff\"",
            ));
        }
    };
    let external_id = match member(map, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(external)) => Some(external.clone()),
        Some(_) => {
            return Err(ScimError::invalid_value("externalId must be a string"));
        }
    };
    let members = member(map, "members")
        .map(member_ids)
        .transpose()?
        .unwrap_or_default();
    Ok(GroupFields {
        display_name,
        external_id,
        members,
    })
}

/// The groups, in creation order.
#[derive(Debug, Default)]
pub struct GroupBook {
    groups: BTreeMap<u64, StoredGroup>,
    next_sequence: u64,
    revision: u64,
}

impl GroupBook {
    pub fn clear(&mut self) {
        *self = GroupBook {
            revision: self.revision,
            ..GroupBook::default()
        };
    }

    pub fn iter(&self) -> impl Iterator<Item = &StoredGroup> {
        self.groups.values()
    }

    pub fn get(&self, id: &str) -> Option<&StoredGroup> {
        self.groups.values().find(|group| group.id == id)
    }

    fn sequence_of(&self, id: &str) -> Option<u64> {
        self.groups
            .iter()
            .find(|(_, group)| group.id == id)
            .map(|(sequence, _)| *sequence)
    }

    fn taken(&self, display_name: &str, except: Option<u64>) -> Option<ScimError> {
        let clash = self.groups.iter().any(|(sequence, group)| {
            Some(*sequence) != except && group.display_name.eq_ignore_ascii_case(display_name)
        });
        clash.then(|| {
            ScimError::new(
                axum::http::StatusCode::CONFLICT,
                Some(ScimType::Uniqueness),
                format!(
                    "a group called '{display_name}' already exists: look it up with filter=displayName eq \"{display_name}\" and update it instead"
                ),
            )
        })
    }

    pub fn create(
        &mut self,
        id: String,
        fields: GroupFields,
        now: DateTime<Utc>,
    ) -> Result<&StoredGroup, ScimError> {
        if let Some(error) = self.taken(&fields.display_name, None) {
            return Err(error);
        }
        self.revision += 1;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let group = StoredGroup {
            id,
            display_name: fields.display_name,
            external_id: fields.external_id,
            members: fields.members,
            created: now,
            last_modified: now,
            revision: self.revision,
        };
        Ok(self.groups.entry(sequence).or_insert(group))
    }

    pub fn replace(
        &mut self,
        id: &str,
        fields: GroupFields,
        now: DateTime<Utc>,
    ) -> Result<&StoredGroup, ScimError> {
        let sequence = self.sequence_of(id).ok_or_else(|| missing(id))?;
        if let Some(error) = self.taken(&fields.display_name, Some(sequence)) {
            return Err(error);
        }
        self.revision += 1;
        let revision = self.revision;
        let group = self.groups.get_mut(&sequence).ok_or_else(|| missing(id))?;
        let changed = group.display_name != fields.display_name
            || group.external_id != fields.external_id
            || group.members != fields.members;
        if changed {
            group.display_name = fields.display_name;
            group.external_id = fields.external_id;
            group.members = fields.members;
            group.last_modified = now.max(group.created);
            group.revision = revision;
        }
        Ok(group)
    }

    pub fn delete(&mut self, id: &str) -> Result<(), ScimError> {
        let sequence = self.sequence_of(id).ok_or_else(|| missing(id))?;
        self.groups.remove(&sequence);
        Ok(())
    }

    /// Takes a deleted user out of every group.
    pub fn forget_member(&mut self, user_id: &str) {
        for group in self.groups.values_mut() {
            group.members.retain(|member| member != user_id);
        }
    }
}

/// The 404 for an unknown group id.
pub fn missing(id: &str) -> ScimError {
    ScimError::not_found(format!(
        "no group has id '{id}': it may have been deleted; look groups up with filter=displayName eq \"…\""
    ))
}

/// Applies a PatchOp body to a group's fields.
pub fn patch(group: &StoredGroup, body: &Value) -> Result<GroupFields, ScimError> {
    let mut fields = GroupFields {
        display_name: group.display_name.clone(),
        external_id: group.external_id.clone(),
        members: group.members.clone(),
    };
    let Value::Object(body) = body else {
        return Err(ScimError::invalid_syntax(
            "the body must be a PatchOp object",
        ));
    };
    let is_patch = member(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas.iter().any(|urn| {
                urn.as_str()
                    .is_some_and(|urn| urn.eq_ignore_ascii_case(PATCH_OP))
            })
        });
    if !is_patch {
        return Err(ScimError::invalid_syntax(format!(
            "a PATCH body needs \"schemas\": [\"{PATCH_OP}\"]"
        )));
    }
    let Some(Value::Array(operations)) = member(body, "Operations") else {
        return Err(ScimError::invalid_syntax(
            "a PATCH body needs \"Operations\": an array of {\"op\", \"path\", \"value\"} objects",
        ));
    };
    for operation in operations {
        let Value::Object(operation) = operation else {
            return Err(ScimError::invalid_syntax(
                "each operation must be an object",
            ));
        };
        let op = member(operation, "op")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let path = member(operation, "path")
            .and_then(Value::as_str)
            .map(str::trim);
        let value = member(operation, "value").cloned().unwrap_or(Value::Null);
        match (op.as_str(), path) {
            ("add", Some(path)) if path.eq_ignore_ascii_case("members") => {
                for id in member_ids(&value)? {
                    if !fields.members.contains(&id) {
                        fields.members.push(id);
                    }
                }
            }
            ("replace", Some(path)) if path.eq_ignore_ascii_case("members") => {
                fields.members = member_ids(&value)?;
            }
            ("remove", Some(path)) if path.eq_ignore_ascii_case("members") => {
                if value.is_null() {
                    fields.members.clear();
                } else {
                    let gone = member_ids(&value)?;
                    fields.members.retain(|id| !gone.contains(id));
                }
            }
            ("remove", Some(path)) if path.to_ascii_lowercase().starts_with("members[") => {
                let inner = path
                    .get("members[".len()..)
                    .and_then(|rest| rest.strip_suffix(']'))
                    .ok_or_else(|| {
                        ScimError::invalid_path(format!("'{path}' is not a valid members path"))
                    })?;
                let (attribute, id) = equality(inner)?;
                if !attribute.eq_ignore_ascii_case("value") {
                    return Err(ScimError::invalid_path(
                        "members can be selected by value only: members[value eq \"<user id>\"]",
                    ));
                }
                fields.members.retain(|member| *member != id);
            }
            ("add" | "replace", Some(path)) if path.eq_ignore_ascii_case("displayName") => {
                match value.as_str() {
                    Some(name) if !name.trim().is_empty() => fields.display_name = name.to_owned(),
                    _ => {
                        return Err(ScimError::invalid_value(
                            "displayName must be a non-empty string",
                        ));
                    }
                }
            }
            ("add" | "replace", Some(path)) if path.eq_ignore_ascii_case("externalId") => {
                fields.external_id = value.as_str().map(str::to_owned);
            }
            ("add" | "replace", None) => {
                let Value::Object(parts) = &value else {
                    return Err(ScimError::invalid_value(
                        "an operation without a path needs an object value",
                    ));
                };
                if let Some(name) = member(parts, "displayName").and_then(Value::as_str) {
                    fields.display_name = name.to_owned();
                }
                if let Some(external) = member(parts, "externalId") {
                    fields.external_id = external.as_str().map(str::to_owned);
                }
                if let Some(members) = member(parts, "members") {
                    let ids = member_ids(members)?;
                    if op == "replace" {
                        fields.members = ids;
                    } else {
                        for id in ids {
                            if !fields.members.contains(&id) {
                                fields.members.push(id);
                            }
                        }
                    }
                }
            }
            ("add" | "replace" | "remove", Some(path)) => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidPath,
                    format!(
                        "'{path}' is not a group attribute this platform changes: use members, displayName or externalId"
                    ),
                ));
            }
            _ => {
                return Err(ScimError::invalid_syntax(format!(
                    "'{op}' is not a PATCH operation: use add, replace or remove"
                )));
            }
        }
    }
    Ok(fields)
}

/// Parses `attribute eq "value"` (the only filter groups take), with `\"` and `\\` escapes.
pub fn equality(text: &str) -> Result<(String, String), ScimError> {
    let refuse = || {
        ScimError::invalid_filter(format!(
            "'{text}' is not a filter groups take: use displayName eq \"…\", externalId eq \"…\" or id eq \"…\""
        ))
    };
    let text = text.trim();
    let (attribute, rest) = text.split_once(char::is_whitespace).ok_or_else(refuse)?;
    let rest = rest.trim_start();
    let (op, quoted) = rest.split_once(char::is_whitespace).ok_or_else(refuse)?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(refuse());
    }
    let quoted = quoted.trim();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .ok_or_else(refuse)?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            value.push(chars.next().ok_or_else(refuse)?);
        } else if c == '"' {
            return Err(refuse());
        } else {
            value.push(c);
        }
    }
    Ok((attribute.to_owned(), value))
}

/// True when `group` matches the equality filter on `attribute`.
pub fn matches(group: &StoredGroup, attribute: &str, value: &str) -> Result<bool, ScimError> {
    Ok(match attribute.to_ascii_lowercase().as_str() {
        "displayname" => group.display_name.eq_ignore_ascii_case(value),
        "externalid" => group.external_id.as_deref() == Some(value),
        "id" => group.id == value,
        _ => {
            return Err(ScimError::invalid_filter(format!(
                "groups cannot be filtered by '{attribute}': use displayName, externalId or id"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_filters_unescape_quotes() {
        assert_eq!(
            equality(r#"displayName eq "O'Brien \"team\"""#).unwrap(),
            ("displayName".to_owned(), "O'Brien \"team\"".to_owned())
        );
        assert!(equality("displayName co \"x\"").is_err());
        assert!(equality("displayName eq x").is_err());
    }
}
