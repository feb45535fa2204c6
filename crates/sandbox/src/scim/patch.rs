//! PATCH (RFC 7644 §3.5.2): applying a PatchOp's add, replace and remove operations to a
//! user's attributes, in the RFC's style and in the style Microsoft Entra provisioning sends
//! (`"op": "Replace"`, `"value": "False"`, whole-object values without a path).

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::{Filter, Scope};
use super::path::{self, AttrPath, Extension};
use super::roster::validate_attributes;
use super::schema::{
    Attribute, ENTERPRISE_ATTRIBUTES, ENTERPRISE_USER, Kind, Mutability, find, is_enterprise,
    normalize_single, normalize_value,
};

pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A PATCH target: an attribute path, optionally narrowed by a value filter.
struct PatchPath {
    path: AttrPath,
    filter: Option<Filter>,
}

/// Applies a PatchOp body to `attributes` and returns the validated result.
pub fn apply(
    attributes: &Map<String, Value>,
    body: &Value,
) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(body) = body else {
        return Err(ScimError::invalid_syntax(
            "the body must be a JSON object: {\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"], \"Operations\": [...]}",
        ));
    };
    let schemas = member(body, "schemas").and_then(Value::as_array);
    let is_patch = schemas.is_some_and(|schemas| {
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
    if operations.is_empty() {
        return Err(ScimError::invalid_syntax(
            "\"Operations\" is empty: send at least one operation",
        ));
    }
    let mut document = attributes.clone();
    for (index, operation) in operations.iter().enumerate() {
        apply_one(&mut document, operation, index)?;
    }
    validate_attributes(&document)
}

fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn apply_one(
    document: &mut Map<String, Value>,
    operation: &Value,
    index: usize,
) -> Result<(), ScimError> {
    let Value::Object(operation) = operation else {
        return Err(ScimError::invalid_syntax(format!(
            "Operations[{index}] must be an object with \"op\", \"path\" and \"value\""
        )));
    };
    let op = match member(operation, "op").and_then(Value::as_str) {
        Some(op) if op.eq_ignore_ascii_case("add") => Op::Add,
        Some(op) if op.eq_ignore_ascii_case("replace") => Op::Replace,
        Some(op) if op.eq_ignore_ascii_case("remove") => Op::Remove,
        Some(op) => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}].op is '{op}': use add, replace or remove"
            )));
        }
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}] needs \"op\": \"add\", \"replace\" or \"remove\""
            )));
        }
    };
    let value = member(operation, "value");
    let path = match member(operation, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) if path.trim().is_empty() => None,
        Some(Value::String(path)) => Some(path.trim()),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}].path must be a string such as \"active\" or \"emails[type eq \\\"work\\\"].value\""
            )));
        }
    };
    let Some(path) = path else {
        if op == Op::Remove {
            return Err(ScimError::bad_request(
                ScimType::NoTarget,
                format!(
                    "Operations[{index}] is a remove without a path: say which attribute to remove"
                ),
            ));
        }
        return apply_without_path(document, op, value, index);
    };
    if is_enterprise(path) {
        if op == Op::Remove {
            document.remove(ENTERPRISE_USER);
            return Ok(());
        }
        let Some(Value::Object(values)) = value else {
            return Err(ScimError::invalid_value(format!(
                "Operations[{index}] targets the enterprise extension: its value must be an object of enterprise attributes"
            )));
        };
        return apply_extension_object(document, op, values, index);
    }
    let target = parse_path(path)?;
    if target.path.attribute.mutability == Mutability::ReadOnly {
        return Err(ScimError::bad_request(
            ScimType::Mutability,
            format!(
                "'{}' is read-only and cannot be changed",
                target.path.attribute.name
            ),
        ));
    }
    apply_path(document, op, &target, value, index)
}

fn apply_without_path(
    document: &mut Map<String, Value>,
    op: Op,
    value: Option<&Value>,
    index: usize,
) -> Result<(), ScimError> {
    let Some(Value::Object(values)) = value else {
        return Err(ScimError::invalid_value(format!(
            "Operations[{index}] has no path, so its value must be an object of attributes, e.g. {{\"active\": false}}"
        )));
    };
    for (key, value) in values {
        if is_enterprise(key) {
            match value {
                Value::Object(extension) => {
                    apply_extension_object(document, op, extension, index)?;
                }
                Value::Null => {
                    document.remove(ENTERPRISE_USER);
                }
                other => {
                    return Err(ScimError::invalid_value(format!(
                        "'{ENTERPRISE_USER}' must be an object of enterprise attributes, not {}",
                        super::schema::describe_json(other)
                    )));
                }
            }
            continue;
        }
        // Keys may be plain names or paths ("name.givenName", "urn:…:User:department");
        // attributes this service does not keep are ignored, as on POST.
        let Ok(path) = path::resolve(key) else {
            continue;
        };
        if path.attribute.mutability == Mutability::ReadOnly {
            continue;
        }
        let target = PatchPath { path, filter: None };
        apply_path(document, op, &target, Some(value), index)?;
    }
    Ok(())
}

fn apply_extension_object(
    document: &mut Map<String, Value>,
    op: Op,
    values: &Map<String, Value>,
    index: usize,
) -> Result<(), ScimError> {
    for (key, value) in values {
        let Some(attribute) = find(ENTERPRISE_ATTRIBUTES, key) else {
            continue;
        };
        let target = PatchPath {
            path: AttrPath {
                extension: Extension::Enterprise,
                attribute,
                sub: None,
            },
            filter: None,
        };
        apply_path(document, op, &target, Some(value), index)?;
    }
    Ok(())
}

/// Parses `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`, with an optional URN.
fn parse_path(text: &str) -> Result<PatchPath, ScimError> {
    let Some(open) = text.find('[') else {
        let path = path::resolve(text).map_err(ScimError::invalid_path)?;
        return Ok(PatchPath { path, filter: None });
    };
    let mut close = None;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, c) in text[open..].char_indices() {
        if escaped {
            escaped = false;
        } else if in_string && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        } else if c == ']' && !in_string {
            close = Some(open + offset);
            break;
        }
    }
    let Some(close) = close else {
        return Err(ScimError::invalid_path(format!(
            "'{text}' opens '[' but never closes it"
        )));
    };
    let head = path::resolve(&text[..open]).map_err(ScimError::invalid_path)?;
    let Kind::Complex(parts) = head.attribute.kind else {
        return Err(ScimError::invalid_path(format!(
            "'{}' is not multi-valued, so it cannot take a [filter]",
            head.attribute.name
        )));
    };
    if head.sub.is_some() || !head.attribute.multi_valued {
        return Err(ScimError::invalid_path(format!(
            "'{text}': a [filter] applies only to a multi-valued attribute such as emails"
        )));
    }
    let filter = Filter::parse_in(&text[open + 1..close], Scope::Element(parts))
        .map_err(|error| ScimError::invalid_path(format!("in '{text}': {}", error.detail)))?;
    let rest = &text[close + 1..];
    let sub = if rest.is_empty() {
        None
    } else {
        let name = rest.strip_prefix('.').ok_or_else(|| {
            ScimError::invalid_path(format!(
                "'{text}': after ']' only '.subAttribute' may follow"
            ))
        })?;
        Some(find(parts, name).ok_or_else(|| {
            ScimError::invalid_path(format!(
                "'{}' has no sub-attribute '{name}'",
                head.attribute.name
            ))
        })?)
    };
    Ok(PatchPath {
        path: AttrPath {
            extension: head.extension,
            attribute: head.attribute,
            sub,
        },
        filter: Some(filter),
    })
}

/// The object the path's attribute lives in, created on demand.
fn container(
    document: &mut Map<String, Value>,
    extension: Extension,
) -> Option<&mut Map<String, Value>> {
    match extension {
        Extension::Core => Some(document),
        Extension::Enterprise => {
            let slot = document
                .entry(ENTERPRISE_USER)
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot.as_object_mut()
        }
    }
}

fn required_value<'a>(
    value: Option<&'a Value>,
    path: &str,
    index: usize,
) -> Result<&'a Value, ScimError> {
    value.ok_or_else(|| {
        ScimError::invalid_value(format!("Operations[{index}] ({path}) needs a \"value\""))
    })
}

fn apply_path(
    document: &mut Map<String, Value>,
    op: Op,
    target: &PatchPath,
    value: Option<&Value>,
    index: usize,
) -> Result<(), ScimError> {
    let attribute = target.path.attribute;
    let name = attribute.name;
    if let Some(filter) = &target.filter {
        return apply_filtered(document, op, target, filter, value, index);
    }
    let Some(slot) = container(document, target.path.extension) else {
        return Ok(());
    };
    match (target.path.sub, op) {
        (None, Op::Remove) => {
            slot.remove(name);
        }
        (None, Op::Add | Op::Replace) => {
            let value = required_value(value, name, index)?;
            let value = if attribute.multi_valued && !value.is_array() && !value.is_null() {
                Value::Array(vec![value.clone()])
            } else {
                value.clone()
            };
            let value = normalize_value(attribute, &value, name)?;
            match (value, slot.get_mut(name)) {
                (Value::Null, _) => {
                    slot.remove(name);
                }
                (Value::Array(new), Some(Value::Array(existing))) if op == Op::Add => {
                    for item in new {
                        if !existing.contains(&item) {
                            existing.push(item);
                        }
                    }
                }
                (Value::Object(new), Some(Value::Object(existing))) => {
                    // Complex values merge: sub-attributes not sent stay (RFC 7644 §3.5.2.1, .3).
                    for (key, part) in new {
                        existing.insert(key, part);
                    }
                }
                (value, _) => {
                    slot.insert(name.into(), value);
                }
            }
        }
        (Some(sub), op) => {
            if attribute.multi_valued {
                return Err(ScimError::invalid_path(format!(
                    "'{name}.{}' is ambiguous: pick the values with a filter, e.g. {name}[type eq \"work\"].{}",
                    sub.name, sub.name
                )));
            }
            let at = format!("{name}.{}", sub.name);
            let new = match op {
                Op::Remove => Value::Null,
                _ => normalize_single(sub, required_value(value, &at, index)?, &at)?,
            };
            set_part(slot, name, sub, new);
        }
    }
    if let Some(Value::Object(extension)) = document.get(ENTERPRISE_USER)
        && extension.is_empty()
    {
        document.remove(ENTERPRISE_USER);
    }
    Ok(())
}

/// Sets (or with `Null`, clears) one sub-attribute of a single-valued complex attribute.
fn set_part(slot: &mut Map<String, Value>, name: &str, sub: &Attribute, value: Value) {
    let entry = slot
        .entry(name)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(parts) = entry {
        if value.is_null() {
            parts.remove(sub.name);
        } else {
            parts.insert(sub.name.into(), value);
        }
        if parts.is_empty() {
            slot.remove(name);
        }
    }
}

fn apply_filtered(
    document: &mut Map<String, Value>,
    op: Op,
    target: &PatchPath,
    filter: &Filter,
    value: Option<&Value>,
    index: usize,
) -> Result<(), ScimError> {
    let attribute = target.path.attribute;
    let name = attribute.name;
    let Some(slot) = container(document, target.path.extension) else {
        return Ok(());
    };
    let new_value = match (op, target.path.sub) {
        (Op::Remove, _) => None,
        (_, Some(sub)) => {
            let at = format!("{name}[…].{}", sub.name);
            Some(normalize_single(
                sub,
                required_value(value, &at, index)?,
                &at,
            )?)
        }
        (_, None) => Some(normalize_single(
            attribute,
            required_value(value, name, index)?,
            name,
        )?),
    };
    let mut items = match slot.remove(name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let matched: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| filter.matches(item))
        .map(|(position, _)| position)
        .collect();
    match (op, target.path.sub, new_value) {
        (Op::Remove, None, _) => {
            let mut position = 0;
            items.retain(|_| {
                let keep = !matched.contains(&position);
                position += 1;
                keep
            });
        }
        (Op::Remove, Some(sub), _) => {
            for &position in &matched {
                if let Some(Value::Object(item)) = items.get_mut(position) {
                    item.remove(sub.name);
                }
            }
        }
        (_, _, None) => {}
        (_, sub, Some(new_value)) if matched.is_empty() => {
            // Nothing matches: build the element the filter describes, as Entra expects
            // for `emails[type eq "work"].value` on a user without a work address.
            let Some(mut element) = filter.equalities() else {
                slot.insert(name.into(), Value::Array(items));
                return Err(ScimError::bad_request(
                    ScimType::NoTarget,
                    format!("no value of '{name}' matches the filter in Operations[{index}]"),
                ));
            };
            match (sub, new_value) {
                (Some(sub), part) => {
                    element.insert(sub.name.into(), part);
                }
                (None, Value::Object(parts)) => element.extend(parts),
                (None, _) => {}
            }
            items.push(Value::Object(element));
        }
        (op, sub, Some(new_value)) => {
            for &position in &matched {
                let Some(item) = items.get_mut(position) else {
                    continue;
                };
                match (sub, &new_value, op) {
                    (Some(sub), part, _) => {
                        if let Value::Object(item) = item {
                            item.insert(sub.name.into(), part.clone());
                        }
                    }
                    (None, Value::Object(parts), Op::Add) => {
                        if let Value::Object(item) = item {
                            item.extend(parts.clone());
                        }
                    }
                    (None, whole, _) => *item = whole.clone(),
                }
            }
        }
    }
    if !items.is_empty() {
        slot.insert(name.into(), Value::Array(items));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patch(start: Value, operations: Value) -> Result<Map<String, Value>, ScimError> {
        apply(
            start.as_object().unwrap(),
            &json!({"schemas": [PATCH_OP], "Operations": operations}),
        )
    }

    #[test]
    fn entra_style_replace_of_active_with_a_string() {
        let out = patch(
            json!({"userName": "ada", "active": true}),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .unwrap();
        assert_eq!(out["active"], json!(false));
    }

    #[test]
    fn filtered_email_value_updates_or_creates_the_work_address() {
        let start = json!({"userName": "ada", "emails": [{"value": "a@home.org", "type": "home"}]});
        let out = patch(
            start,
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada@work.org"}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "a@home.org", "type": "home"}, {"value": "ada@work.org", "type": "work"}])
        );
        let out = patch(
            Value::Object(out),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@work.org"}]),
        )
        .unwrap();
        assert_eq!(out["emails"][1]["value"], json!("new@work.org"));
        let out = patch(
            Value::Object(out),
            json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "new@work.org", "type": "work"}])
        );
    }

    #[test]
    fn removing_user_name_is_refused() {
        let error = patch(
            json!({"userName": "ada"}),
            json!([{"op": "remove", "path": "userName"}]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn read_only_paths_are_refused() {
        let error = patch(
            json!({"userName": "ada"}),
            json!([{"op": "replace", "path": "id", "value": "x"}]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::Mutability));
    }
}
