//! How directory objects look on the wire: property names, default property sets,
//! `$select` validation and the JSON of users, groups, devices, service principals and
//! organisational contacts.

use serde_json::{Map, Value, json};

use super::errors::GraphError;
use crate::directory::{Directory, Group, ObjectKind, ObjectRef, OtherObject, User};

/// Properties a user has in v1.0 (those this sandbox stores; the rest read as null).
pub const USER_PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "mailNickname",
    "jobTitle",
    "department",
    "officeLocation",
    "country",
    "city",
    "state",
    "postalCode",
    "streetAddress",
    "usageLocation",
    "preferredLanguage",
    "employeeId",
    "employeeType",
    "employeeHireDate",
    "employeeLeaveDateTime",
    "employeeOrgData",
    "companyName",
    "mobilePhone",
    "businessPhones",
    "faxNumber",
    "accountEnabled",
    "userType",
    "creationType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "otherMails",
    "proxyAddresses",
    "identities",
    "createdDateTime",
    "deletedDateTime",
    "onPremisesSyncEnabled",
    "onPremisesImmutableId",
    "onPremisesSamAccountName",
    "onPremisesUserPrincipalName",
    "onPremisesExtensionAttributes",
    "ageGroup",
];

/// Returned when no `$select` is given.
pub const USER_DEFAULTS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Only available when reading a single user; 501 on lists.
pub const SINGLE_USER_ONLY: &[&str] = &[
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
    "skills",
    "mailboxSettings",
];

pub const GROUP_PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "securityEnabled",
    "securityIdentifier",
    "theme",
    "visibility",
];

pub const OTHER_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "deviceId",
    "operatingSystem",
    "accountEnabled",
    "appId",
    "servicePrincipalType",
    "mail",
    "companyName",
];

/// What to include for each object.
#[derive(Debug, Clone)]
pub enum Selection {
    Default,
    Only(Vec<&'static str>),
}

/// Which type's properties a `$select` is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectTarget {
    Users,
    Groups,
    /// Members lists hold any directory object.
    DirectoryObjects,
}

fn canonical(name: &str, within: &[&'static str]) -> Option<&'static str> {
    within
        .iter()
        .copied()
        .find(|p| p.eq_ignore_ascii_case(name))
}

/// Checks `$select` names like Graph does and maps them to canonical spelling.
pub fn selection(
    select: Option<&Vec<String>>,
    target: SelectTarget,
    single: bool,
) -> Result<Selection, GraphError> {
    let Some(names) = select else {
        return Ok(Selection::Default);
    };
    let mut chosen = Vec::new();
    for name in names {
        let found = match target {
            SelectTarget::Users => canonical(name, USER_PROPERTIES),
            SelectTarget::Groups => canonical(name, GROUP_PROPERTIES),
            SelectTarget::DirectoryObjects => canonical(name, USER_PROPERTIES)
                .or_else(|| canonical(name, GROUP_PROPERTIES))
                .or_else(|| canonical(name, OTHER_PROPERTIES)),
        };
        match found {
            Some(property) => chosen.push(property),
            None if target == SelectTarget::Users
                && canonical(name, SINGLE_USER_ONLY).is_some() =>
            {
                if !single {
                    return Err(GraphError::new(
                        axum::http::StatusCode::NOT_IMPLEMENTED,
                        "NotImplemented",
                        "This operation target is not yet supported.",
                    ));
                }
                return Err(GraphError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ));
            }
            None => {
                let type_name = match target {
                    SelectTarget::Users => "Microsoft.DirectoryServices.User",
                    SelectTarget::Groups => "Microsoft.DirectoryServices.Group",
                    SelectTarget::DirectoryObjects => "Microsoft.DirectoryServices.DirectoryObject",
                };
                return Err(GraphError::bad_request(format!(
                    "Could not find a property named '{name}' on type '{type_name}'."
                )));
            }
        }
    }
    Ok(Selection::Only(chosen))
}

fn text(value: &Option<String>) -> Value {
    value
        .as_deref()
        .map_or(Value::Null, |s| Value::String(s.to_string()))
}

/// One user property's value; unknown names read as null.
pub fn user_value(user: &User, property: &str, lifecycle: bool) -> Value {
    match property {
        "id" => json!(user.id),
        "userPrincipalName" => json!(user.user_principal_name),
        "displayName" => json!(user.display_name),
        "givenName" => text(&user.given_name),
        "surname" => text(&user.surname),
        "mail" => text(&user.mail),
        "mailNickname" => json!(user.mail_nickname),
        "jobTitle" => text(&user.job_title),
        "department" => text(&user.department),
        "officeLocation" => text(&user.office_location),
        "country" => text(&user.country),
        "city" => text(&user.city),
        "usageLocation" => text(&user.usage_location),
        "preferredLanguage" => text(&user.preferred_language),
        "employeeId" => text(&user.employee_id),
        "employeeType" => text(&user.employee_type),
        "employeeHireDate" => text(&user.employee_hire_date),
        "employeeLeaveDateTime" if lifecycle && !user.account_enabled => {
            json!("2024-07-31T00:00:00Z")
        }
        "companyName" => text(&user.company_name),
        "mobilePhone" => text(&user.mobile_phone),
        "businessPhones" => json!(user.business_phones),
        "accountEnabled" => json!(user.account_enabled),
        "userType" => json!(user.user_type),
        "creationType" => text(&user.creation_type),
        "externalUserState" => text(&user.external_user_state),
        "otherMails" => json!(user.other_mails),
        "proxyAddresses" => match &user.mail {
            Some(mail) => json!([format!("SMTP:{mail}")]),
            None => json!([]),
        },
        "identities" => json!([{
            "signInType": "userPrincipalName",
            "issuer": user.user_principal_name.rsplit('@').next().unwrap_or_default(),
            "issuerAssignedId": user.user_principal_name,
        }]),
        "createdDateTime" => json!(user.created_date_time),
        "onPremisesSyncEnabled" => Value::Null,
        _ => Value::Null,
    }
}

/// A user as Graph shows it, with the given selection.
pub fn user_json(user: &User, selection: &Selection, lifecycle: bool) -> Map<String, Value> {
    let properties: &[&str] = match selection {
        Selection::Default => USER_DEFAULTS,
        Selection::Only(props) => props,
    };
    let mut map = Map::new();
    for property in properties {
        map.insert(
            (*property).to_string(),
            user_value(user, property, lifecycle),
        );
    }
    map
}

pub fn group_value(group: &Group, property: &str) -> Value {
    match property {
        "id" => json!(group.id),
        "displayName" => json!(group.display_name),
        "description" => text(&group.description),
        "mail" => text(&group.mail),
        "mailEnabled" => json!(group.mail_enabled),
        "mailNickname" => json!(group.mail_nickname),
        "securityEnabled" => json!(group.security_enabled),
        "groupTypes" => json!(group.group_types),
        "createdDateTime" => json!(group.created_date_time),
        "proxyAddresses" => json!([]),
        "visibility" => {
            if group.group_types.iter().any(|t| t == "Unified") {
                json!("Private")
            } else {
                Value::Null
            }
        }
        _ => Value::Null,
    }
}

pub fn group_json(group: &Group, selection: &Selection) -> Map<String, Value> {
    let properties: &[&str] = match selection {
        Selection::Default => GROUP_PROPERTIES,
        Selection::Only(props) => props,
    };
    let mut map = Map::new();
    for property in properties {
        map.insert((*property).to_string(), group_value(group, property));
    }
    map
}

fn other_value(other: &OtherObject, property: &str) -> Option<Value> {
    let value = match (other.kind, property) {
        (_, "id") => json!(other.id),
        (_, "displayName") => json!(other.display_name),
        (ObjectKind::Device, "deviceId") => text(&other.detail),
        (ObjectKind::Device, "operatingSystem") => json!("Windows"),
        (ObjectKind::Device | ObjectKind::ServicePrincipal, "accountEnabled") => json!(true),
        (ObjectKind::ServicePrincipal, "appId") => text(&other.detail),
        (ObjectKind::ServicePrincipal, "servicePrincipalType") => json!("Application"),
        (ObjectKind::OrgContact, "mail") => text(&other.detail),
        (ObjectKind::OrgContact, "companyName") => Value::Null,
        _ => return None,
    };
    Some(value)
}

/// Any directory object as a member entry, with `@odata.type`.
pub fn member_json(
    directory: &Directory,
    member: ObjectRef,
    selection: &Selection,
    lifecycle: bool,
) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("@odata.type".to_string(), json!(member.kind.odata_type()));
    match member.kind {
        ObjectKind::User => {
            if let Some(user) = directory.users.get(member.index) {
                let body = match selection {
                    Selection::Default => user_json(user, selection, lifecycle),
                    Selection::Only(props) => {
                        let own: Vec<&'static str> = props
                            .iter()
                            .copied()
                            .filter(|p| USER_PROPERTIES.contains(p))
                            .collect();
                        user_json(user, &Selection::Only(own), lifecycle)
                    }
                };
                map.extend(body);
            }
        }
        ObjectKind::Group => {
            if let Some(group) = directory.groups.get(member.index) {
                let body = match selection {
                    Selection::Default => group_json(group, selection),
                    Selection::Only(props) => {
                        let own: Vec<&'static str> = props
                            .iter()
                            .copied()
                            .filter(|p| GROUP_PROPERTIES.contains(p))
                            .collect();
                        group_json(group, &Selection::Only(own))
                    }
                };
                map.extend(body);
            }
        }
        _ => {
            if let Some(other) = directory.others.get(member.index) {
                let props: Vec<&str> = match selection {
                    Selection::Default => OTHER_PROPERTIES.to_vec(),
                    Selection::Only(props) => props.clone(),
                };
                for property in props {
                    if let Some(value) = other_value(other, property) {
                        map.insert(property.to_string(), value);
                    }
                }
            }
        }
    }
    map
}

/// A value for `$filter` on any member.
pub fn member_value(directory: &Directory, member: ObjectRef, property: &str) -> Value {
    match member.kind {
        ObjectKind::User => directory
            .users
            .get(member.index)
            .map_or(Value::Null, |u| user_value(u, property, false)),
        ObjectKind::Group => directory
            .groups
            .get(member.index)
            .map_or(Value::Null, |g| group_value(g, property)),
        _ => directory
            .others
            .get(member.index)
            .and_then(|o| other_value(o, property))
            .unwrap_or(Value::Null),
    }
}
