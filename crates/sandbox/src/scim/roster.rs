//! The platform's user list in memory: validated User attributes in creation order, with the
//! indexes that keep `id` and `userName` (compared without regard to case) unique, and the
//! rendering of a stored user as a SCIM resource with `meta`.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::schema::{
    CORE_USER, ENTERPRISE_ATTRIBUTES, ENTERPRISE_USER, Mutability, USER_ATTRIBUTES, find,
    is_enterprise, normalize_object, normalize_value,
};

/// One user as the platform keeps it.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub id: String,
    /// Canonical attributes without `id`, `meta` and `schemas`; the enterprise extension is
    /// nested under its URN.
    pub attributes: Map<String, Value>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub revision: u64,
}

impl StoredUser {
    /// The weak entity tag of this version.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.revision)
    }

    /// The SCIM resource, with `meta.location` under `base_url`.
    pub fn render(&self, base_url: &str) -> Value {
        let mut document = Map::new();
        let mut schemas = vec![Value::from(CORE_USER)];
        if self.attributes.contains_key(ENTERPRISE_USER) {
            schemas.push(Value::from(ENTERPRISE_USER));
        }
        document.insert("schemas".into(), Value::Array(schemas));
        document.insert("id".into(), Value::from(self.id.clone()));
        for (key, value) in &self.attributes {
            document.insert(key.clone(), value.clone());
        }
        let mut meta = Map::new();
        meta.insert("resourceType".into(), Value::from("User"));
        meta.insert("created".into(), Value::from(timestamp(self.created)));
        meta.insert(
            "lastModified".into(),
            Value::from(timestamp(self.last_modified)),
        );
        meta.insert(
            "location".into(),
            Value::from(format!("{base_url}/Users/{}", self.id)),
        );
        meta.insert("version".into(), Value::from(self.etag()));
        document.insert("meta".into(), Value::Object(meta));
        Value::Object(document)
    }
}

fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Checks a whole User document from a POST or PUT body and returns its canonical
/// attributes. `id` and `meta` are read-only and ignored (RFC 7644 §3.5.1).
pub fn validate_resource(body: &Value) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(map) = body else {
        return Err(ScimError::invalid_syntax(format!(
            "the body must be a JSON object holding a User, not {}",
            super::schema::describe_json(body)
        )));
    };
    let schemas = map
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("schemas"))
        .map(|(_, value)| value);
    let Some(Value::Array(schemas)) = schemas else {
        return Err(ScimError::invalid_syntax(format!(
            "the body needs \"schemas\": [\"{CORE_USER}\"] (an array of schema URNs)"
        )));
    };
    let mut has_core = false;
    for urn in schemas {
        match urn.as_str() {
            Some(urn) if urn.eq_ignore_ascii_case(CORE_USER) => has_core = true,
            Some(urn) if is_enterprise(urn) => {}
            Some(urn) => {
                return Err(ScimError::invalid_syntax(format!(
                    "schema '{urn}' is not served here: use {CORE_USER} and optionally {ENTERPRISE_USER}"
                )));
            }
            None => {
                return Err(ScimError::invalid_syntax(
                    "\"schemas\" must hold only strings (schema URNs)",
                ));
            }
        }
    }
    if !has_core {
        return Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must include {CORE_USER}"
        )));
    }
    validate_attributes(map)
}

/// Checks User attributes (no `schemas` check) and returns them in canonical form.
pub fn validate_attributes(map: &Map<String, Value>) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in map {
        if is_enterprise(key) {
            let Value::Object(extension) = value else {
                if value.is_null() {
                    continue;
                }
                return Err(ScimError::invalid_value(format!(
                    "'{ENTERPRISE_USER}' must be a JSON object of enterprise attributes, not {}",
                    super::schema::describe_json(value)
                )));
            };
            let extension = normalize_object(ENTERPRISE_ATTRIBUTES, extension, "")?;
            if !extension.is_empty() {
                out.insert(ENTERPRISE_USER.into(), Value::Object(extension));
            }
            continue;
        }
        let Some(attribute) = find(USER_ATTRIBUTES, key) else {
            continue;
        };
        if attribute.mutability == Mutability::ReadOnly {
            continue;
        }
        let normalized = normalize_value(attribute, value, attribute.name)?;
        let empty = match &normalized {
            Value::Null => true,
            Value::Array(items) => items.is_empty(),
            Value::Object(parts) => parts.is_empty(),
            _ => false,
        };
        if !empty {
            out.insert(attribute.name.into(), normalized);
        }
    }
    match out.get("userName") {
        Some(Value::String(name)) if !name.trim().is_empty() => Ok(out),
        _ => Err(ScimError::invalid_value(
            "userName is required: send a non-empty string, e.g. \"userName\": \"ada@example.com\"",
        )),
    }
}

/// The users, in creation order.
#[derive(Debug, Default)]
pub struct Roster {
    users: BTreeMap<u64, StoredUser>,
    by_id: HashMap<String, u64>,
    by_user_name: HashMap<String, u64>,
    next_sequence: u64,
    revision: u64,
}

fn user_name_key(attributes: &Map<String, Value>) -> String {
    attributes
        .get("userName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase()
}

pub(super) fn new_id() -> String {
    let seed = RandomState::new();
    let mut high = seed.build_hasher();
    high.write_u8(1);
    let mut low = seed.build_hasher();
    low.write_u8(2);
    let bits = (u128::from(high.finish()) << 64) | u128::from(low.finish());
    // Shape it as a version 4, variant 1 UUID.
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Roster {
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn clear(&mut self) {
        *self = Roster {
            revision: self.revision,
            ..Roster::default()
        };
    }

    pub fn get(&self, id: &str) -> Option<&StoredUser> {
        self.by_id
            .get(id)
            .and_then(|sequence| self.users.get(sequence))
    }

    pub fn by_user_name(&self, user_name: &str) -> Option<&StoredUser> {
        self.by_user_name
            .get(&user_name.to_lowercase())
            .and_then(|sequence| self.users.get(sequence))
    }

    pub fn iter(&self) -> impl Iterator<Item = &StoredUser> {
        self.users.values()
    }

    fn taken(user_name: &str) -> ScimError {
        ScimError::new(
            axum::http::StatusCode::CONFLICT,
            Some(ScimType::Uniqueness),
            format!(
                "userName '{user_name}' is already taken (userName is compared without regard to case): look the user up with filter=userName eq \"{user_name}\" and update it instead"
            ),
        )
    }

    /// Adds a user with validated attributes; 409 `uniqueness` if the userName is taken.
    pub fn create(
        &mut self,
        attributes: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<&StoredUser, ScimError> {
        let key = user_name_key(&attributes);
        if self.by_user_name.contains_key(&key) {
            let name = attributes
                .get("userName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(Self::taken(name));
        }
        let mut id = new_id();
        while self.by_id.contains_key(&id) {
            id = new_id();
        }
        self.revision += 1;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.by_id.insert(id.clone(), sequence);
        self.by_user_name.insert(key, sequence);
        let user = StoredUser {
            id,
            attributes,
            created: now,
            last_modified: now,
            revision: self.revision,
        };
        Ok(self.users.entry(sequence).or_insert(user))
    }

    /// Replaces a user's attributes. Unchanged attributes keep the version and timestamps.
    pub fn replace(
        &mut self,
        id: &str,
        attributes: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<&StoredUser, ScimError> {
        let sequence = *self.by_id.get(id).ok_or_else(|| missing(id))?;
        let key = user_name_key(&attributes);
        if let Some(holder) = self.by_user_name.get(&key)
            && *holder != sequence
        {
            let name = attributes
                .get("userName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(Self::taken(name));
        }
        let Some(user) = self.users.get_mut(&sequence) else {
            return Err(missing(id));
        };
        if user.attributes != attributes {
            let old_key = user_name_key(&user.attributes);
            self.by_user_name.remove(&old_key);
            self.by_user_name.insert(key, sequence);
            self.revision += 1;
            user.attributes = attributes;
            user.last_modified = now.max(user.created);
            user.revision = self.revision;
        }
        Ok(user)
    }

    /// Removes a user.
    pub fn delete(&mut self, id: &str) -> Result<(), ScimError> {
        let sequence = self.by_id.remove(id).ok_or_else(|| missing(id))?;
        if let Some(user) = self.users.remove(&sequence) {
            self.by_user_name.remove(&user_name_key(&user.attributes));
        }
        Ok(())
    }
}

/// The 404 for an unknown user id.
pub fn missing(id: &str) -> ScimError {
    ScimError::not_found(format!(
        "no user has id '{id}': it may have been deleted; look users up with filter=userName eq \"…\""
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_look_like_version_4_uuids_and_differ() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn renaming_frees_the_old_user_name() {
        let mut roster = Roster::default();
        let now = Utc::now();
        let first = validate_attributes(json!({"userName": "ada"}).as_object().unwrap()).unwrap();
        let id = roster.create(first, now).unwrap().id.clone();
        let renamed =
            validate_attributes(json!({"userName": "ada.l"}).as_object().unwrap()).unwrap();
        roster.replace(&id, renamed, now).unwrap();
        let again = validate_attributes(json!({"userName": "ADA"}).as_object().unwrap()).unwrap();
        assert!(roster.create(again, now).is_ok());
        assert_eq!(roster.len(), 2);
    }
}
