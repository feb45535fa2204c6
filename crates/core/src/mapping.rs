//! The mapping: how one person read from Entra becomes the platform account Rollcall wants
//! (`AccountWrite`), by SCIM path, following the profile's `[mapping]`. A value Entra does
//! not hold is left out, never sent as an empty string. People who cannot be mapped (no
//! value for the user name, or a user name another person also gets) are listed as
//! problems and not sent. Pure: no I/O.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::directory::UserRecord;
use crate::profile::{MappingSettings, UsernameSource};
use crate::targets::{AccountWrite, Attributes};

/// The SCIM enterprise user extension's schema URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The SCIM paths the default mapping writes.
pub mod paths {
    pub const USER_NAME: &str = "userName";
    pub const ACTIVE: &str = "active";
    pub const EXTERNAL_ID: &str = "externalId";
    pub const DISPLAY_NAME: &str = "displayName";
    pub const GIVEN_NAME: &str = "name.givenName";
    pub const FAMILY_NAME: &str = "name.familyName";
    pub const WORK_EMAIL: &str = "emails[type eq \"work\"].value";
    pub const TITLE: &str = "title";
    pub const PREFERRED_LANGUAGE: &str = "preferredLanguage";
    pub const COUNTRY: &str = "addresses[type eq \"work\"].country";
    pub const DEPARTMENT: &str =
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    pub const EMPLOYEE_NUMBER: &str =
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";
    pub const MANAGER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
}

/// The name an admin reads for a SCIM path ("First name" for `name.givenName`); a custom
/// path is named by its last part.
pub fn label(path: &str) -> String {
    let known = match path {
        paths::USER_NAME => "User name",
        paths::ACTIVE => "Account active",
        paths::EXTERNAL_ID => "Entra object ID",
        paths::DISPLAY_NAME => "Display name",
        paths::GIVEN_NAME => "First name",
        paths::FAMILY_NAME => "Last name",
        paths::WORK_EMAIL => "Work email",
        paths::TITLE => "Job title",
        paths::PREFERRED_LANGUAGE => "Language",
        paths::COUNTRY => "Country",
        paths::DEPARTMENT => "Department",
        paths::EMPLOYEE_NUMBER => "Employee number",
        paths::MANAGER => "Manager",
        _ => "",
    };
    if !known.is_empty() {
        return known.into();
    }
    path.rsplit([':', '.'])
        .find(|part| !part.is_empty())
        .unwrap_or(path)
        .to_string()
}

/// The Entra properties that `[mapping.custom]` may send to a SCIM path of the admin's
/// choosing (besides `extensionAttribute1` … `extensionAttribute15`).
pub const CUSTOM_SOURCES: &[&str] = &[
    "employeeId",
    "officeLocation",
    "mobilePhone",
    "companyName",
    "employeeHireDate",
];

fn is_extension_attribute(source: &str) -> bool {
    source
        .strip_prefix("extensionAttribute")
        .and_then(|number| number.parse::<u8>().ok())
        .is_some_and(|number| {
            (1..=15).contains(&number) && source == format!("extensionAttribute{number}")
        })
}

/// Checks one `[mapping.custom]` entry: an Entra property Rollcall reads, sent to a SCIM
/// path a platform can hold. The error says what to write instead.
pub fn check_custom(source: &str, path: &str) -> Result<(), String> {
    if !(CUSTOM_SOURCES.contains(&source) || is_extension_attribute(source)) {
        return Err(format!(
            "`{source}` is not an Entra property Rollcall can map. Use one of {}, or extensionAttribute1 … extensionAttribute15.",
            CUSTOM_SOURCES.join(", ")
        ));
    }
    let path = path.trim();
    if [
        paths::USER_NAME,
        paths::ACTIVE,
        paths::EXTERNAL_ID,
        "id",
        "meta",
        "schemas",
        "password",
        "groups",
        paths::MANAGER,
    ]
    .iter()
    .any(|reserved| reserved.eq_ignore_ascii_case(path))
    {
        return Err(format!(
            "`{path}` is set by Rollcall itself and cannot take `{source}`. Pick another SCIM path, for example urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter."
        ));
    }
    if is_known_path(path) {
        return Ok(());
    }
    Err(format!(
        "`{path}` is not a SCIM path Rollcall knows. Use a core attribute (for example title, nickName or phoneNumbers[type eq \"mobile\"].value), an enterprise one ({ENTERPRISE}:costCenter) or your platform's own extension (urn:…:attributeName)."
    ))
}

fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Core User paths, the enterprise extension's, and any extension schema's (`urn:…:name`).
fn is_known_path(path: &str) -> bool {
    const CORE: &[&str] = &[
        "displayName",
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "name.formatted",
        "name.familyName",
        "name.givenName",
        "name.middleName",
        "name.honorificPrefix",
        "name.honorificSuffix",
    ];
    const ENTERPRISE_ATTRIBUTES: &[&str] = &[
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
    ];
    const ADDRESS_PARTS: &[&str] = &[
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
    ];
    if CORE.contains(&path) {
        return true;
    }
    if let Some(attribute) = path
        .strip_prefix(ENTERPRISE)
        .and_then(|rest| rest.strip_prefix(':'))
    {
        return ENTERPRISE_ATTRIBUTES.contains(&attribute);
    }
    if path.starts_with("urn:") {
        return path
            .rsplit_once(':')
            .is_some_and(|(schema, name)| schema.len() > 4 && is_attribute_name(name));
    }
    // multi-valued: emails[type eq "x"].value, phoneNumbers[…].value, addresses[…].part
    let Some((attribute, rest)) = path.split_once("[type eq \"") else {
        return false;
    };
    let Some((kind, sub)) = rest.split_once("\"].") else {
        return false;
    };
    if !is_attribute_name(kind) {
        return false;
    }
    match attribute {
        "emails" | "phoneNumbers" | "ims" | "photos" => sub == "value",
        "addresses" => ADDRESS_PARTS.contains(&sub),
        _ => false,
    }
}

/// One person as the platform should hold them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredAccount {
    /// What to write (`external_id` is the Entra object ID).
    pub write: AccountWrite,
    /// The user principal name, to name the person in reports.
    pub user_principal_name: String,
    /// The manager's Entra object ID, when Entra names one.
    pub manager: Option<String>,
    /// Why the account should be switched off, when `write.active` is false.
    pub inactive_because: Option<InactiveReason>,
}

/// Why a person in scope should not have an active account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum InactiveReason {
    /// Sign-in is blocked in Entra.
    Disabled,
    /// The person's leave date (`employeeLeaveDateTime`) has passed.
    Left { on: NaiveDate },
}

/// A person in scope who is not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingProblem {
    /// The user principal name.
    pub user: String,
    #[serde(rename = "entraId")]
    pub entra_id: String,
    pub code: String,
    pub message: String,
}

/// The people in scope, mapped.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Mapped {
    pub accounts: Vec<DesiredAccount>,
    pub problems: Vec<MappingProblem>,
}

fn put(attributes: &mut Attributes, path: &str, value: Option<&str>) {
    if let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) {
        attributes.insert(path.to_string(), Value::String(value.to_string()));
    }
}

/// The leave date, when Entra holds one that has passed at `now`.
fn left_on(user: &UserRecord, now: DateTime<Utc>) -> Option<NaiveDate> {
    let text = user.details.get("employeeLeaveDateTime")?;
    let at = DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|day| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .ok()?;
    (at <= now).then(|| at.date_naive())
}

/// The value of an Entra property for a custom mapping.
fn custom_value<'a>(user: &'a UserRecord, source: &str) -> Option<&'a str> {
    match source {
        "employeeId" => user.employee_id.as_deref(),
        other => user.details.get(other),
    }
}

/// Maps one person; `Err` names what is missing.
fn map_one(
    user: &UserRecord,
    mapping: &MappingSettings,
    now: DateTime<Utc>,
) -> Result<DesiredAccount, MappingProblem> {
    let (source, user_name) = match mapping.username {
        UsernameSource::UserPrincipalName => {
            ("userPrincipalName", Some(user.user_principal_name.as_str()))
        }
        UsernameSource::Mail => ("mail", user.mail.as_deref()),
        UsernameSource::EmployeeId => ("employeeId", user.employee_id.as_deref()),
    };
    let Some(user_name) = user_name.map(str::trim).filter(|name| !name.is_empty()) else {
        return Err(MappingProblem {
            user: user.user_principal_name.clone(),
            entra_id: user.id.clone(),
            code: "no_username".into(),
            message: format!(
                "{} has no {source} in Entra, and the mapping takes the user name from it, so no account is sent. Fill in {source} in Entra, or choose another user name source in the profile's [mapping].",
                display(user)
            ),
        });
    };
    let mut attributes = Attributes::new();
    put(
        &mut attributes,
        paths::DISPLAY_NAME,
        Some(&user.display_name),
    );
    put(
        &mut attributes,
        paths::GIVEN_NAME,
        user.details.get("givenName"),
    );
    put(
        &mut attributes,
        paths::FAMILY_NAME,
        user.details.get("surname"),
    );
    let email = user
        .mail
        .as_deref()
        .or(Some(user.user_principal_name.as_str()));
    put(&mut attributes, paths::WORK_EMAIL, email);
    put(&mut attributes, paths::TITLE, user.details.get("jobTitle"));
    put(
        &mut attributes,
        paths::DEPARTMENT,
        user.department.as_deref(),
    );
    put(
        &mut attributes,
        paths::PREFERRED_LANGUAGE,
        user.details.get("preferredLanguage"),
    );
    put(&mut attributes, paths::COUNTRY, user.details.get("country"));
    put(
        &mut attributes,
        paths::EMPLOYEE_NUMBER,
        user.employee_id.as_deref(),
    );
    for (source, path) in &mapping.custom {
        put(&mut attributes, path.trim(), custom_value(user, source));
    }
    let inactive_because = if !user.enabled {
        Some(InactiveReason::Disabled)
    } else {
        left_on(user, now).map(|on| InactiveReason::Left { on })
    };
    Ok(DesiredAccount {
        write: AccountWrite {
            external_id: user.id.clone(),
            user_name: user_name.to_string(),
            active: inactive_because.is_none(),
            attributes,
        },
        user_principal_name: user.user_principal_name.clone(),
        manager: user.manager_id.clone(),
        inactive_because,
    })
}

fn display(user: &UserRecord) -> String {
    if user.display_name.trim().is_empty() {
        user.user_principal_name.clone()
    } else {
        format!("{} ({})", user.display_name, user.user_principal_name)
    }
}

/// Maps everyone in scope. People whose user name source is empty, and every person of a
/// pair (or more) that would get the same user name (compared case-insensitively), become
/// problems instead of accounts.
pub fn map_people<'a>(
    users: impl IntoIterator<Item = &'a UserRecord>,
    mapping: &MappingSettings,
    now: DateTime<Utc>,
) -> Mapped {
    let mut mapped = Mapped::default();
    let mut accounts = Vec::new();
    for user in users {
        match map_one(user, mapping, now) {
            Ok(account) => accounts.push(account),
            Err(problem) => mapped.problems.push(problem),
        }
    }
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, account) in accounts.iter().enumerate() {
        by_name
            .entry(account.write.user_name.to_lowercase())
            .or_default()
            .push(index);
    }
    let mut clashing = vec![false; accounts.len()];
    for indexes in by_name.values().filter(|indexes| indexes.len() > 1) {
        for &index in indexes {
            clashing[index] = true;
        }
    }
    for (index, account) in accounts.into_iter().enumerate() {
        if !clashing[index] {
            mapped.accounts.push(account);
            continue;
        }
        mapped.problems.push(MappingProblem {
            user: account.user_principal_name.clone(),
            entra_id: account.write.external_id.clone(),
            code: "duplicate_username".into(),
            message: format!(
                "{} and at least one other person in scope would both get the user name \"{}\", so neither is sent. Give them different values in Entra, or choose another user name source in the profile's [mapping].",
                account.user_principal_name, account.write.user_name
            ),
        });
    }
    mapped.problems.sort_by(|a, b| a.user.cmp(&b.user));
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::UserDetails;

    pub(crate) fn person(id: &str, upn: &str) -> UserRecord {
        UserRecord {
            id: id.into(),
            user_principal_name: upn.into(),
            mail: Some(upn.into()),
            display_name: format!("Person {id}"),
            enabled: true,
            user_type: Some("Member".into()),
            employee_id: None,
            department: None,
            manager_id: None,
            details: UserDetails::default(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn default_mapping_fills_the_scim_paths_and_leaves_missing_values_out() {
        let mut user = person("e1", "siobhan.o'neill@contoso.com");
        user.display_name = "Siobhán O'Neill".into();
        user.department = Some("Science".into());
        user.employee_id = Some("E-1".into());
        user.details.0.insert("givenName".into(), "Siobhán".into());
        user.details.0.insert("surname".into(), "O'Neill".into());
        user.details.0.insert("jobTitle".into(), "  ".into());
        user.details.0.insert("country".into(), "IE".into());
        let mapped = map_people([&user], &MappingSettings::default(), now());
        assert!(mapped.problems.is_empty());
        let account = &mapped.accounts[0];
        assert_eq!(account.write.user_name, "siobhan.o'neill@contoso.com");
        assert_eq!(account.write.external_id, "e1");
        assert!(account.write.active);
        let a = &account.write.attributes;
        assert_eq!(a[paths::GIVEN_NAME], "Siobhán");
        assert_eq!(a[paths::FAMILY_NAME], "O'Neill");
        assert_eq!(a[paths::DISPLAY_NAME], "Siobhán O'Neill");
        assert_eq!(a[paths::WORK_EMAIL], "siobhan.o'neill@contoso.com");
        assert_eq!(a[paths::DEPARTMENT], "Science");
        assert_eq!(a[paths::EMPLOYEE_NUMBER], "E-1");
        assert_eq!(a[paths::COUNTRY], "IE");
        assert!(!a.contains_key(paths::TITLE), "a blank title is left out");
        assert!(!a.contains_key(paths::PREFERRED_LANGUAGE));
        assert!(
            a.values()
                .all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        );
    }

    #[test]
    fn custom_attributes_go_to_the_paths_the_admin_names() {
        let mut user = person("e1", "a@contoso.com");
        user.details
            .0
            .insert("extensionAttribute3".into(), "CC-42".into());
        user.details
            .0
            .insert("officeLocation".into(), "Room 5".into());
        let mut mapping = MappingSettings::default();
        mapping.custom.insert(
            "extensionAttribute3".into(),
            format!("{ENTERPRISE}:costCenter"),
        );
        mapping
            .custom
            .insert("officeLocation".into(), "urn:lms:ext:1.0:User:room".into());
        mapping.custom.insert(
            "mobilePhone".into(),
            "phoneNumbers[type eq \"mobile\"].value".into(),
        );
        let mapped = map_people([&user], &mapping, now());
        let a = &mapped.accounts[0].write.attributes;
        assert_eq!(a[&format!("{ENTERPRISE}:costCenter")], "CC-42");
        assert_eq!(a["urn:lms:ext:1.0:User:room"], "Room 5");
        assert!(!a.contains_key("phoneNumbers[type eq \"mobile\"].value"));
    }

    #[test]
    fn custom_mapping_names_bad_sources_and_paths() {
        assert!(check_custom("extensionAttribute15", "title").is_ok());
        assert!(check_custom("extensionAttribute10", "title").is_ok());
        assert!(
            check_custom("extensionAttribute16", "title")
                .unwrap_err()
                .contains("not an Entra property")
        );
        assert!(check_custom("extensionAttribute0", "title").is_err());
        assert!(check_custom("favouriteColour", "title").is_err());
        assert!(
            check_custom("employeeId", "userName")
                .unwrap_err()
                .contains("set by Rollcall")
        );
        assert!(
            check_custom("employeeId", "titel")
                .unwrap_err()
                .contains("not a SCIM path")
        );
        assert!(check_custom("employeeId", &format!("{ENTERPRISE}:shoeSize")).is_err());
        assert!(check_custom("employeeId", "addresses[type eq \"work\"].locality").is_ok());
    }

    #[test]
    fn an_empty_username_source_or_a_shared_username_is_a_problem_not_an_account() {
        let mut no_id = person("e1", "a@contoso.com");
        no_id.employee_id = None;
        let mut twin_a = person("e2", "b@contoso.com");
        twin_a.employee_id = Some("X7".into());
        let mut twin_b = person("e3", "c@contoso.com");
        twin_b.employee_id = Some("x7".into());
        let mut fine = person("e4", "d@contoso.com");
        fine.employee_id = Some("D4".into());
        let mapping = MappingSettings {
            username: UsernameSource::EmployeeId,
            ..MappingSettings::default()
        };
        let mapped = map_people([&no_id, &twin_a, &twin_b, &fine], &mapping, now());
        assert_eq!(mapped.accounts.len(), 1);
        assert_eq!(mapped.accounts[0].write.user_name, "D4");
        let codes: Vec<(&str, &str)> = mapped
            .problems
            .iter()
            .map(|p| (p.entra_id.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                ("e1", "no_username"),
                ("e2", "duplicate_username"),
                ("e3", "duplicate_username")
            ]
        );
    }

    #[test]
    fn disabled_people_and_passed_leave_dates_are_inactive() {
        let mut disabled = person("e1", "a@contoso.com");
        disabled.enabled = false;
        let mut leaver = person("e2", "b@contoso.com");
        leaver.details.0.insert(
            "employeeLeaveDateTime".into(),
            "2026-05-31T00:00:00Z".into(),
        );
        let mut later = person("e3", "c@contoso.com");
        later.details.0.insert(
            "employeeLeaveDateTime".into(),
            "2026-07-31T00:00:00Z".into(),
        );
        let mapped = map_people(
            [&disabled, &leaver, &later],
            &MappingSettings::default(),
            now(),
        );
        let by_id: HashMap<&str, &DesiredAccount> = mapped
            .accounts
            .iter()
            .map(|a| (a.write.external_id.as_str(), a))
            .collect();
        assert_eq!(by_id["e1"].inactive_because, Some(InactiveReason::Disabled));
        assert!(!by_id["e1"].write.active);
        assert_eq!(
            by_id["e2"].inactive_because,
            Some(InactiveReason::Left {
                on: NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
            })
        );
        assert!(by_id["e3"].write.active);
    }
}
