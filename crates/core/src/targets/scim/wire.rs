//! SCIM documents as they cross the wire: a User built from the mapping's attribute paths,
//! PATCH operations, filters with their quotes escaped, and the reading of what platforms
//! answer, tolerant of the common deviations (booleans as strings, a manager as a bare ID,
//! no `totalResults`, no `Resources` on an empty list, IDs as numbers).

use serde_json::{Map, Value, json};

use crate::targets::{AccountWrite, AttributeChange, RemoteAccount, RemoteGroup, TargetError};

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The enterprise extension's manager, as a PATCH path.
pub const MANAGER_PATH: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

/// `attribute eq "value"`, the value written as a JSON string (quotes and backslashes
/// escaped, as RFC 7644 §3.4.2.2 wants).
pub fn equals(attribute: &str, value: &str) -> String {
    format!("{attribute} eq {}", Value::from(value))
}

/// A boolean as platforms send it: `true`, `"True"`, `"false"`, `1`, `"0"`.
pub fn truthy(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Number(number) => number.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// A member by name, compared without regard to case (SCIM attribute names are
/// case-insensitive).
pub fn member<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn text(value: &Value, name: &str) -> Option<String> {
    match member(value, name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn protocol(detail: impl Into<String>) -> TargetError {
    TargetError::Protocol {
        detail: detail.into(),
    }
}

/// An account as the platform answered it.
pub fn account(value: &Value) -> Result<RemoteAccount, TargetError> {
    let id = text(value, "id").filter(|id| !id.is_empty()).ok_or_else(|| {
        protocol("the learning platform answered with a user that has no \"id\"; it does not follow SCIM")
    })?;
    let emails = match member(value, "emails") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(address) => Some(address.clone()),
                other => text(other, "value"),
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(RemoteAccount {
        id,
        external_id: text(value, "externalId"),
        user_name: text(value, "userName").unwrap_or_default(),
        emails,
        active: member(value, "active").and_then(truthy).unwrap_or(true),
    })
}

/// A group as the platform answered it.
pub fn group(value: &Value) -> Result<RemoteGroup, TargetError> {
    let id = text(value, "id").filter(|id| !id.is_empty()).ok_or_else(|| {
        protocol("the learning platform answered with a group that has no \"id\"; it does not follow SCIM")
    })?;
    Ok(RemoteGroup {
        id,
        external_id: text(value, "externalId"),
        display_name: text(value, "displayName").unwrap_or_default(),
    })
}

/// Member IDs of a group document (`members[].value`, or bare strings).
pub fn member_ids(value: &Value) -> Vec<String> {
    match member(value, "members") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(id) => Some(id.clone()),
                other => text(other, "value"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The manager ID of a user document: `{"value": id}` or a bare ID string.
pub fn manager_id(value: &Value) -> Option<String> {
    let extension = member(value, ENTERPRISE_USER)?;
    match member(extension, "manager")? {
        Value::String(id) => Some(id.clone()),
        other => text(other, "value"),
    }
}

/// One page of a ListResponse: its resources and `totalResults` when given.
pub fn page(value: &Value) -> Result<(Vec<Value>, Option<u64>), TargetError> {
    if !value.is_object() {
        return Err(protocol(
            "the learning platform answered a list request with something that is not a SCIM ListResponse",
        ));
    }
    let resources = match member(value, "Resources") {
        Some(Value::Array(items)) => items.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(protocol(
                "the learning platform's list has \"Resources\" that is not a list",
            ));
        }
    };
    let total = member(value, "totalResults").and_then(|total| match total {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    });
    Ok((resources, total))
}

/// The parts of a path: the extension URN (`None` for the core schema), the attribute, an
/// optional `[attr eq "value"]` selector and an optional sub-attribute.
struct Path<'a> {
    extension: Option<&'a str>,
    attribute: &'a str,
    selector: Option<(String, Value)>,
    sub: Option<&'a str>,
}

fn parse_path(path: &str) -> Path<'_> {
    let (extension, rest) = if path.len() > 4 && path[..4].eq_ignore_ascii_case("urn:") {
        let head = path.find('[').map_or(path, |at| &path[..at]);
        match head.rfind(':') {
            Some(at) => {
                let urn = &path[..at];
                let rest = &path[at + 1..];
                if urn.eq_ignore_ascii_case(CORE_USER) {
                    (None, rest)
                } else {
                    (Some(urn), rest)
                }
            }
            None => (None, path),
        }
    } else {
        (None, path)
    };
    if let Some(open) = rest.find('[')
        && let Some(close) = rest[open..].find(']').map(|at| open + at)
    {
        let attribute = &rest[..open];
        let inside = rest[open + 1..close].trim();
        let selector = inside.split_once(' ').and_then(|(key, rest)| {
            let (op, value) = rest.trim_start().split_once(' ')?;
            if !op.eq_ignore_ascii_case("eq") {
                return None;
            }
            let value = serde_json::from_str::<Value>(value.trim())
                .unwrap_or_else(|_| Value::from(value.trim()));
            Some((key.to_owned(), value))
        });
        let sub = rest[close + 1..]
            .strip_prefix('.')
            .filter(|sub| !sub.is_empty());
        return Path {
            extension,
            attribute,
            selector,
            sub,
        };
    }
    match rest.split_once('.') {
        Some((attribute, sub)) => Path {
            extension,
            attribute,
            selector: None,
            sub: Some(sub),
        },
        None => Path {
            extension,
            attribute: rest,
            selector: None,
            sub: None,
        },
    }
}

fn is_manager(path: &Path<'_>) -> bool {
    path.extension
        .is_some_and(|urn| urn.eq_ignore_ascii_case(ENTERPRISE_USER))
        && path.attribute.eq_ignore_ascii_case("manager")
        && path.sub.is_none()
}

/// The manager as SCIM wants it: `{"value": id}` (a bare ID is wrapped).
fn manager_value(value: Value) -> Value {
    match value {
        Value::String(id) => json!({"value": id}),
        other => other,
    }
}

fn container<'a>(
    document: &'a mut Map<String, Value>,
    extension: Option<&str>,
) -> Option<&'a mut Map<String, Value>> {
    match extension {
        None => Some(document),
        Some(urn) => {
            let slot = document
                .entry(urn.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot.as_object_mut()
        }
    }
}

/// Sets the value at a mapping path in a User document.
pub fn set_path(document: &mut Map<String, Value>, path: &str, value: Value) {
    let parsed = parse_path(path);
    let value = if is_manager(&parsed) {
        manager_value(value)
    } else {
        value
    };
    let Some(target) = container(document, parsed.extension) else {
        return;
    };
    match (&parsed.selector, parsed.sub) {
        (Some((key, wanted)), sub) => {
            let slot = target
                .entry(parsed.attribute.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else { return };
            let position = items
                .iter()
                .position(|item| member(item, key).is_some_and(|found| same(found, wanted)));
            let index = match position {
                Some(index) => index,
                None => {
                    let mut fresh = Map::new();
                    fresh.insert(key.clone(), wanted.clone());
                    items.push(Value::Object(fresh));
                    items.len() - 1
                }
            };
            let Some(Value::Object(element)) = items.get_mut(index) else {
                return;
            };
            match (sub, value) {
                (Some(sub), value) => {
                    element.insert(sub.to_owned(), value);
                }
                (None, Value::Object(parts)) => element.extend(parts),
                (None, other) => {
                    element.insert("value".to_owned(), other);
                }
            }
        }
        (None, Some(sub)) => {
            let slot = target
                .entry(parsed.attribute.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(parts) = slot {
                parts.insert(sub.to_owned(), value);
            }
        }
        (None, None) => {
            target.insert(parsed.attribute.to_owned(), value);
        }
    }
}

/// Removes the value at a mapping path from a User document.
pub fn remove_path(document: &mut Map<String, Value>, path: &str) {
    let parsed = parse_path(path);
    let target = match parsed.extension {
        None => Some(&mut *document),
        Some(urn) => document.get_mut(urn).and_then(Value::as_object_mut),
    };
    let Some(target) = target else { return };
    match (&parsed.selector, parsed.sub) {
        (Some((key, wanted)), sub) => {
            if let Some(Value::Array(items)) = target.get_mut(parsed.attribute) {
                match sub {
                    Some(sub) => {
                        for item in items.iter_mut() {
                            if member(item, key).is_some_and(|found| same(found, wanted))
                                && let Value::Object(element) = item
                            {
                                element.remove(sub);
                            }
                        }
                    }
                    None => items
                        .retain(|item| !member(item, key).is_some_and(|found| same(found, wanted))),
                }
            }
        }
        (None, Some(sub)) => {
            if let Some(Value::Object(parts)) = target.get_mut(parsed.attribute) {
                parts.remove(sub);
            }
        }
        (None, None) => {
            target.remove(parsed.attribute);
        }
    }
}

fn same(found: &Value, wanted: &Value) -> bool {
    match (found, wanted) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

/// The whole User document for a POST or PUT.
pub fn user_document(account: &AccountWrite) -> Value {
    let mut document = Map::new();
    document.insert("userName".into(), Value::from(account.user_name.clone()));
    document.insert(
        "externalId".into(),
        Value::from(account.external_id.clone()),
    );
    document.insert("active".into(), Value::Bool(account.active));
    for (path, value) in &account.attributes {
        set_path(&mut document, path, value.clone());
    }
    mark_primary_email(&mut document);
    with_schemas(document)
}

/// The first email is the primary one when none says so.
fn mark_primary_email(document: &mut Map<String, Value>) {
    if let Some(Value::Array(emails)) = document.get_mut("emails")
        && !emails
            .iter()
            .any(|email| member(email, "primary").and_then(truthy) == Some(true))
        && let Some(Value::Object(first)) = emails.first_mut()
    {
        first.insert("primary".into(), Value::Bool(true));
    }
}

/// Sets `schemas` to the core User schema plus every extension the document uses.
pub fn with_schemas(mut document: Map<String, Value>) -> Value {
    let mut schemas = vec![Value::from(CORE_USER)];
    for key in document.keys() {
        if key.len() > 4
            && key[..4].eq_ignore_ascii_case("urn:")
            && !key.eq_ignore_ascii_case(CORE_USER)
        {
            schemas.push(Value::from(key.clone()));
        }
    }
    document.insert("schemas".into(), Value::Array(schemas));
    document.remove("meta");
    Value::Object(document)
}

/// A PATCH operation for one change. A value goes in with `add`, which creates what is
/// missing and replaces what is there (RFC 7644 §3.5.2.1) where `replace` of an absent
/// `emails[type eq "work"]` would be refused; a removed value goes with `remove`.
pub fn operation(change: &AttributeChange) -> Value {
    let parsed = parse_path(&change.path);
    match &change.value {
        Some(value) => {
            let value = if is_manager(&parsed) {
                manager_value(value.clone())
            } else {
                value.clone()
            };
            let op = if parsed.selector.is_some() {
                "add"
            } else {
                "replace"
            };
            json!({"op": op, "path": change.path, "value": value})
        }
        None => json!({"op": "remove", "path": change.path}),
    }
}

/// A PatchOp body.
pub fn patch_body(operations: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// A user document as read, ready to be sent back with PUT: read-only parts dropped.
pub fn writable(document: &Value) -> Map<String, Value> {
    let mut map = document.as_object().cloned().unwrap_or_default();
    map.remove("meta");
    map.remove("groups");
    map
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn filters_escape_quotes_and_keep_unicode() {
        assert_eq!(
            equals("userName", r#"o'brien"x\y"#),
            r#"userName eq "o'brien\"x\\y""#
        );
        assert_eq!(equals("userName", "józef"), "userName eq \"józef\"");
    }

    #[test]
    fn booleans_as_strings_are_read() {
        let user = json!({"id": 7, "userName": "a", "active": "False"});
        let account = account(&user).unwrap();
        assert_eq!(account.id, "7");
        assert!(!account.active);
        assert_eq!(truthy(&json!("True")), Some(true));
        assert_eq!(truthy(&json!("maybe")), None);
    }

    #[test]
    fn a_bare_manager_id_is_read_and_wrapped_when_sent() {
        let user = json!({ENTERPRISE_USER: {"manager": "m-1"}});
        assert_eq!(manager_id(&user).as_deref(), Some("m-1"));
        let op = operation(&AttributeChange {
            path: MANAGER_PATH.into(),
            value: Some(json!("m-2")),
        });
        assert_eq!(op["value"], json!({"value": "m-2"}));
    }

    #[test]
    fn lists_without_resources_or_totals_are_empty_pages() {
        assert_eq!(
            page(&json!({"totalResults": 0})).unwrap(),
            (vec![], Some(0))
        );
        assert_eq!(page(&json!({"Resources": [{"id": "a"}]})).unwrap().1, None);
        assert!(page(&json!("<html>")).is_err());
    }

    #[test]
    fn the_document_nests_paths_and_marks_the_work_email_primary() {
        let mut attributes = BTreeMap::new();
        attributes.insert("name.givenName".to_owned(), json!("José"));
        attributes.insert(
            "emails[type eq \"work\"].value".to_owned(),
            json!("j@x.org"),
        );
        attributes.insert(format!("{ENTERPRISE_USER}:employeeNumber"), json!("42"));
        attributes.insert(
            "addresses[type eq \"work\"].country".to_owned(),
            json!("DE"),
        );
        let document = user_document(&AccountWrite {
            external_id: "e-1".into(),
            user_name: "j@x.org".into(),
            active: true,
            attributes,
        });
        assert_eq!(document["name"], json!({"givenName": "José"}));
        assert_eq!(
            document["emails"],
            json!([{"type": "work", "value": "j@x.org", "primary": true}])
        );
        assert_eq!(
            document["addresses"],
            json!([{"type": "work", "country": "DE"}])
        );
        assert_eq!(document[ENTERPRISE_USER], json!({"employeeNumber": "42"}));
        assert_eq!(document["schemas"], json!([CORE_USER, ENTERPRISE_USER]));
        let mut map = writable(&document);
        remove_path(&mut map, "emails[type eq \"work\"].value");
        remove_path(&mut map, &format!("{ENTERPRISE_USER}:employeeNumber"));
        assert_eq!(map["emails"], json!([{"type": "work", "primary": true}]));
        assert_eq!(map[ENTERPRISE_USER], json!({}));
    }
}
