//! The User schema this service keeps (RFC 7643 §4.1 and the enterprise extension §4.3):
//! one table of attribute definitions that drives validation, PATCH paths, filters and the
//! `/Schemas` documents, so the three can never disagree.

use serde_json::{Map, Value, json};

use super::error::ScimError;

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The data type of an attribute (RFC 7643 §2.3), as far as this service needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    DateTime,
    Reference,
    Complex(&'static [Attribute]),
}

impl Kind {
    fn wire_name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Boolean => "boolean",
            Kind::DateTime => "dateTime",
            Kind::Reference => "reference",
            Kind::Complex(_) => "complex",
        }
    }
}

/// Who may write an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
}

/// One attribute definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub kind: Kind,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    /// `true` for `returned: always` (id); everything else here is `default`.
    pub always_returned: bool,
    pub unique: bool,
    pub description: &'static str,
}

const fn text(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        name,
        kind: Kind::String,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        always_returned: false,
        unique: false,
        description,
    }
}

const fn of_kind(name: &'static str, kind: Kind, description: &'static str) -> Attribute {
    Attribute {
        kind,
        ..text(name, description)
    }
}

const NAME_PARTS: &[Attribute] = &[
    text("formatted", "The full name, formatted for display."),
    text("familyName", "The family name, or last name."),
    text("givenName", "The given name, or first name."),
    text("middleName", "The middle name(s)."),
    text("honorificPrefix", "The honorific prefix, e.g. 'Ms.'."),
    text("honorificSuffix", "The honorific suffix, e.g. 'III'."),
];

const EMAIL_PARTS: &[Attribute] = &[
    text("value", "The email address."),
    text("display", "A human-readable name for the address."),
    text("type", "A label: 'work', 'home' or 'other'."),
    of_kind(
        "primary",
        Kind::Boolean,
        "Whether this is the preferred address; true at most once.",
    ),
];

const ADDRESS_PARTS: &[Attribute] = &[
    text("formatted", "The full address, formatted for display."),
    text("streetAddress", "The street, house number and so on."),
    text("locality", "The city or locality."),
    text("region", "The state or region."),
    text("postalCode", "The postal code."),
    text(
        "country",
        "The country, as an ISO 3166-1 alpha-2 code, e.g. 'GB'.",
    ),
    text("type", "A label: 'work', 'home' or 'other'."),
    of_kind(
        "primary",
        Kind::Boolean,
        "Whether this is the preferred address; true at most once.",
    ),
];

const META_PARTS: &[Attribute] = &[
    read_only(text("resourceType", "The resource type: 'User'.")),
    read_only(of_kind(
        "created",
        Kind::DateTime,
        "When the resource was created.",
    )),
    read_only(of_kind(
        "lastModified",
        Kind::DateTime,
        "When the resource was last changed.",
    )),
    read_only(of_kind(
        "location",
        Kind::Reference,
        "The URI of the resource.",
    )),
    read_only(text("version", "The resource's entity tag.")),
];

const MANAGER_PARTS: &[Attribute] = &[
    text("value", "The id of the manager's User resource."),
    of_kind(
        "$ref",
        Kind::Reference,
        "The URI of the manager's User resource.",
    ),
    text("displayName", "The manager's display name."),
];

const fn read_only(attribute: Attribute) -> Attribute {
    Attribute {
        mutability: Mutability::ReadOnly,
        ..attribute
    }
}

/// The core User attributes, `id` and `meta` included.
pub const USER_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        case_exact: true,
        always_returned: true,
        unique: true,
        ..read_only(text("id", "The service's identifier for the user."))
    },
    Attribute {
        case_exact: true,
        ..text("externalId", "The client's identifier for the user.")
    },
    Attribute {
        required: true,
        unique: true,
        ..text(
            "userName",
            "The unique sign-in name; compared without regard to case.",
        )
    },
    of_kind("name", Kind::Complex(NAME_PARTS), "The person's name."),
    text("displayName", "The name shown to other people."),
    text("nickName", "The casual name."),
    text("title", "The job title."),
    text(
        "userType",
        "The relationship to the organisation, e.g. 'Student'.",
    ),
    text("preferredLanguage", "The preferred language, e.g. 'en-GB'."),
    text("locale", "The locale for dates and numbers, e.g. 'de-DE'."),
    text("timezone", "The time zone, e.g. 'Europe/Berlin'."),
    of_kind(
        "active",
        Kind::Boolean,
        "Whether the user may sign in to the platform.",
    ),
    Attribute {
        multi_valued: true,
        ..of_kind("emails", Kind::Complex(EMAIL_PARTS), "Email addresses.")
    },
    Attribute {
        multi_valued: true,
        ..of_kind(
            "addresses",
            Kind::Complex(ADDRESS_PARTS),
            "Postal addresses.",
        )
    },
    read_only(of_kind(
        "meta",
        Kind::Complex(META_PARTS),
        "Resource metadata.",
    )),
];

/// The enterprise extension's attributes.
pub const ENTERPRISE_ATTRIBUTES: &[Attribute] = &[
    text(
        "employeeNumber",
        "The organisation's number for the person.",
    ),
    text("costCenter", "The cost center."),
    text("organization", "The organisation."),
    text("division", "The division."),
    text("department", "The department."),
    of_kind(
        "manager",
        Kind::Complex(MANAGER_PARTS),
        "The person's manager.",
    ),
];

/// Finds an attribute by name, without regard to case (RFC 7643 §2.1).
pub fn find(attributes: &'static [Attribute], name: &str) -> Option<&'static Attribute> {
    attributes
        .iter()
        .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
}

/// True when `urn` names the enterprise extension (URNs compare without regard to case).
pub fn is_enterprise(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(ENTERPRISE_USER)
}

/// Checks one value against its definition and returns it in canonical form: sub-attribute
/// names spelled as the schema spells them, "True"/"False" strings as booleans, unknown
/// sub-attributes dropped. `Null` means "unassigned" and is returned as is.
pub fn normalize_value(attribute: &Attribute, value: &Value, at: &str) -> Result<Value, ScimError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    if attribute.multi_valued {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "'{at}' is multi-valued: send a JSON array, e.g. [{{\"value\": \"…\"}}]"
                )));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let single = normalize_single(attribute, item, &format!("{at}[{index}]"))?;
            if !single.is_null() {
                out.push(single);
            }
        }
        let primaries = out
            .iter()
            .filter(|item| item.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!(
                "'{at}' has {primaries} values marked primary: mark at most one as primary"
            )));
        }
        return Ok(Value::Array(out));
    }
    normalize_single(attribute, value, at)
}

/// Checks one element (of a single-valued attribute, or one item of a multi-valued one).
pub fn normalize_single(
    attribute: &Attribute,
    value: &Value,
    at: &str,
) -> Result<Value, ScimError> {
    match (attribute.kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (Kind::String | Kind::DateTime | Kind::Reference, Value::String(_)) => Ok(value.clone()),
        (Kind::Boolean, Value::Bool(_)) => Ok(value.clone()),
        (Kind::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("true") => {
            Ok(Value::Bool(true))
        }
        (Kind::Boolean, Value::String(text)) if text.eq_ignore_ascii_case("false") => {
            Ok(Value::Bool(false))
        }
        (Kind::Complex(parts), Value::Object(map)) => {
            Ok(Value::Object(normalize_object(parts, map, at)?))
        }
        (kind, other) => Err(ScimError::invalid_value(format!(
            "'{at}' must be a {}, not {}",
            describe_kind(kind),
            describe_json(other)
        ))),
    }
}

/// Checks every member of `map` against `attributes`, keeping known ones in canonical spelling.
pub fn normalize_object(
    attributes: &'static [Attribute],
    map: &Map<String, Value>,
    at: &str,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in map {
        let Some(attribute) = find(attributes, key) else {
            continue;
        };
        let path = if at.is_empty() {
            attribute.name.to_owned()
        } else {
            format!("{at}.{}", attribute.name)
        };
        let normalized = normalize_value(attribute, value, &path)?;
        if !normalized.is_null() {
            out.insert(attribute.name.to_owned(), normalized);
        }
    }
    Ok(out)
}

fn describe_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "JSON string",
        Kind::Boolean => "JSON boolean (true or false)",
        Kind::DateTime => "date-time string",
        Kind::Reference => "URI string",
        Kind::Complex(_) => "JSON object",
    }
}

/// A short description of a JSON value's type, for error details.
pub fn describe_json(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn attribute_document(attribute: &Attribute) -> Value {
    let mut doc = json!({
        "name": attribute.name,
        "type": attribute.kind.wire_name(),
        "multiValued": attribute.multi_valued,
        "description": attribute.description,
        "required": attribute.required,
        "caseExact": attribute.case_exact,
        "mutability": match attribute.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
        },
        "returned": if attribute.always_returned { "always" } else { "default" },
        "uniqueness": if attribute.name == "id" {
            "global"
        } else if attribute.unique {
            "server"
        } else {
            "none"
        },
    });
    if let Some(map) = doc.as_object_mut() {
        match attribute.kind {
            Kind::Complex(parts) => {
                map.insert(
                    "subAttributes".into(),
                    Value::Array(parts.iter().map(attribute_document).collect()),
                );
            }
            Kind::Reference => {
                let types = if attribute.name == "$ref" {
                    json!(["User"])
                } else {
                    json!(["uri"])
                };
                map.insert("referenceTypes".into(), types);
            }
            _ => {}
        }
        if attribute.name == "type" {
            map.insert("canonicalValues".into(), json!(["work", "home", "other"]));
        }
    }
    doc
}

/// The `/Schemas/{id}` document for the core User schema or the enterprise extension.
pub fn schema_document(urn: &str, base_url: &str) -> Option<Value> {
    let (id, name, description, attributes): (&str, &str, &str, &[Attribute]) =
        if urn.eq_ignore_ascii_case(CORE_USER) {
            (CORE_USER, "User", "User Account", USER_ATTRIBUTES)
        } else if is_enterprise(urn) {
            (
                ENTERPRISE_USER,
                "EnterpriseUser",
                "Enterprise User",
                ENTERPRISE_ATTRIBUTES,
            )
        } else {
            return None;
        };
    // id and meta are common attributes (RFC 7643 §3.1), not part of the User schema itself.
    let listed: Vec<Value> = attributes
        .iter()
        .filter(|attribute| attribute.name != "id" && attribute.name != "meta")
        .map(attribute_document)
        .collect();
    Some(json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": listed,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base_url}/Schemas/{id}"),
        },
    }))
}
