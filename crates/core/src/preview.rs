//! The data-quality preview: who the scope selects from the cache, why each person is in
//! (their group paths), and what is wrong with their data, under stable warning codes the
//! UI and scripts can switch on. Serializes as the `preview` JSON and exports to CSV
//! (RFC 4180). Reads only the cache; never talks to Graph or a learning platform.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::directory::{GroupScope, UserRecord, evaluate};
use crate::profile::{MappingSettings, UsernameSource};
use crate::store::{Details, ReadProblem, Store, StoreError};

/// A data problem on one person. The string codes are part of the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// No mail address; the fallback address is shown in `email`.
    NoMail,
    /// Another person in scope has the same mail address.
    DuplicateMail,
    /// Another person in scope would get the same user name.
    DuplicateUsername,
    /// The sign-in name and the mail address differ (members only; guests always differ).
    UpnDiffersFromMail,
    /// The person's manager is not in scope, so the platform cannot link them.
    ManagerOutsideScope,
    /// The mapping takes the user name from a field (mail, employeeId) this person has
    /// empty, so the sync lists them as a problem and sends no account; `username` is empty.
    NoUsername,
}

impl Warning {
    pub fn code(self) -> &'static str {
        match self {
            Warning::NoMail => "no_mail",
            Warning::DuplicateMail => "duplicate_mail",
            Warning::DuplicateUsername => "duplicate_username",
            Warning::UpnDiffersFromMail => "upn_differs_from_mail",
            Warning::ManagerOutsideScope => "manager_outside_scope",
            Warning::NoUsername => "no_username",
        }
    }
}

/// Member or guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    Member,
    Guest,
}

/// One person in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PreviewUser {
    pub id: String,
    #[serde(rename = "userPrincipalName")]
    pub user_principal_name: String,
    pub mail: Option<String>,
    #[serde(rename = "displayName")]
    pub display_name: String,
    pub enabled: bool,
    pub kind: UserKind,
    /// Group names from a scope group down to the group holding the person; one list per
    /// way they were reached.
    pub paths: Vec<Vec<String>>,
    pub warnings: Vec<Warning>,
    /// The user name the learning platform will get; empty when its source is empty (then
    /// nobody is sent, see `no_username`).
    pub username: String,
    /// The email address the learning platform will get (after any fallback).
    pub email: String,
    #[serde(rename = "managerId")]
    pub manager_id: Option<String>,
    pub department: Option<String>,
}

/// Counts over everyone in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Totals {
    pub matched: usize,
    pub enabled: usize,
    pub disabled: usize,
    pub guests: usize,
    /// People per warning code (codes with nobody are left out).
    pub warnings: BTreeMap<String, usize>,
    /// Reached through an include group but kept out by an exclude group.
    pub excluded: usize,
    /// Guests reached but left out because the profile leaves guests out.
    pub guests_left_out: usize,
}

/// The preview: serializes as the `preview` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Preview {
    /// False when the last read did not finish (the people shown come from an older read,
    /// or there is none).
    pub complete: bool,
    pub users: Vec<PreviewUser>,
    pub totals: Totals,
    /// Group members that are not people (devices, service principals, contacts), by kind;
    /// they never get an account.
    pub skipped: BTreeMap<String, usize>,
    /// Problems with the scope (a group that does not exist, an empty group).
    pub problems: Vec<ReadProblem>,
    /// Why the last read did not finish, when it did not.
    #[serde(rename = "readError", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub read_error: Option<String>,
    /// When the snapshot shown was read.
    #[serde(rename = "readAt", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub read_at: Option<String>,
}

fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The user name and email the mapping gives a person, and whether the user name's source
/// is empty. The user name is the one the sync sends (the same rule as the mapping: an
/// empty source gives no account, never a fallback); the email falls back to the sign-in
/// name for display.
fn identity(user: &UserRecord, mapping: &MappingSettings) -> (String, String, bool) {
    let email = user
        .mail
        .clone()
        .unwrap_or_else(|| user.user_principal_name.clone());
    let source = match mapping.username {
        UsernameSource::UserPrincipalName => Some(user.user_principal_name.as_str()),
        UsernameSource::Mail => user.mail.as_deref(),
        UsernameSource::EmployeeId => user.employee_id.as_deref(),
    };
    match source.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => (name.to_string(), email, false),
        None => (String::new(), email, true),
    }
}

impl Preview {
    /// The preview of a profile's scope from its cache.
    pub fn from_store(
        store: &Store,
        scope: &GroupScope,
        mapping: &MappingSettings,
    ) -> Result<Preview, StoreError> {
        let status = store.status()?;
        let mut snapshot = store.snapshot_with(Details::Leave)?;
        // The preview is built without holding the snapshot twice: what needs the whole
        // snapshot is worked out first, then each person in scope is moved out of it.
        let result = evaluate(&snapshot, scope);
        let in_scope: HashSet<&str> = result
            .matched
            .iter()
            .map(|matched| matched.user.id.as_str())
            .collect();
        let mut mail_count: HashMap<String, usize> = HashMap::new();
        let mut username_count: HashMap<String, usize> = HashMap::new();
        let identities: Vec<(String, String, bool)> = result
            .matched
            .iter()
            .map(|matched| identity(matched.user, mapping))
            .collect();
        for (matched, (username, _, _)) in result.matched.iter().zip(&identities) {
            if let Some(mail) = &matched.user.mail {
                *mail_count.entry(fold(mail)).or_insert(0) += 1;
            }
            if !username.is_empty() {
                *username_count.entry(fold(username)).or_insert(0) += 1;
            }
        }
        let manager_outside: Vec<bool> = result
            .matched
            .iter()
            .map(|matched| {
                matched
                    .user
                    .manager_id
                    .as_deref()
                    .is_some_and(|manager| !in_scope.contains(manager))
            })
            .collect();
        let mut totals = Totals {
            excluded: result.excluded,
            guests_left_out: result.guests_left_out,
            ..Totals::default()
        };
        let skipped = result.skipped;
        let problems = result.problems;
        let matched: Vec<(String, Vec<Vec<String>>)> = result
            .matched
            .into_iter()
            .map(|matched| (matched.user.id.clone(), matched.paths))
            .collect();
        snapshot.groups.clear();
        let mut users = Vec::with_capacity(matched.len());
        for (((id, paths), (username, email, no_username)), outside) in
            matched.into_iter().zip(identities).zip(manager_outside)
        {
            let Some(user) = snapshot.users.remove(&id) else {
                continue;
            };
            let guest = user.is_guest();
            let mut warnings = Vec::new();
            match &user.mail {
                None => warnings.push(Warning::NoMail),
                Some(mail) => {
                    if mail_count.get(&fold(mail)).copied().unwrap_or(0) > 1 {
                        warnings.push(Warning::DuplicateMail);
                    }
                    if !guest && fold(mail) != fold(&user.user_principal_name) {
                        warnings.push(Warning::UpnDiffersFromMail);
                    }
                }
            }
            if no_username {
                warnings.push(Warning::NoUsername);
            }
            if !username.is_empty()
                && username_count.get(&fold(&username)).copied().unwrap_or(0) > 1
            {
                warnings.push(Warning::DuplicateUsername);
            }
            if outside {
                warnings.push(Warning::ManagerOutsideScope);
            }
            totals.matched += 1;
            if user.enabled {
                totals.enabled += 1;
            } else {
                totals.disabled += 1;
            }
            if guest {
                totals.guests += 1;
            }
            for warning in &warnings {
                *totals
                    .warnings
                    .entry(warning.code().to_string())
                    .or_insert(0) += 1;
            }
            users.push(PreviewUser {
                id: user.id,
                user_principal_name: user.user_principal_name,
                mail: user.mail,
                display_name: user.display_name,
                enabled: user.enabled,
                kind: if guest {
                    UserKind::Guest
                } else {
                    UserKind::Member
                },
                paths,
                warnings,
                username,
                email,
                manager_id: user.manager_id,
                department: user.department,
            });
        }
        drop(snapshot);
        let complete = status.as_ref().is_some_and(|status| status.complete);
        Ok(Preview {
            complete,
            users,
            totals,
            skipped,
            problems,
            read_error: status.as_ref().and_then(|status| {
                (!status.complete).then(|| {
                    status
                        .message
                        .clone()
                        .unwrap_or_else(|| "The directory has not been read yet.".into())
                })
            }),
            read_at: status.and_then(|status| status.finished_at),
        })
    }

    /// The preview as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when
    /// they hold a comma, quote or line break). Paths are joined with " → " and separated
    /// by "; ", warnings by spaces.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header = [
            "id",
            "userPrincipalName",
            "mail",
            "displayName",
            "enabled",
            "kind",
            "username",
            "email",
            "paths",
            "warnings",
        ];
        push_row(&mut out, header.iter().map(|h| h.to_string()));
        for user in &self.users {
            let paths = user
                .paths
                .iter()
                .map(|path| path.join(" → "))
                .collect::<Vec<_>>()
                .join("; ");
            let warnings = user
                .warnings
                .iter()
                .map(|warning| warning.code())
                .collect::<Vec<_>>()
                .join(" ");
            push_row(
                &mut out,
                [
                    user.id.clone(),
                    user.user_principal_name.clone(),
                    user.mail.clone().unwrap_or_default(),
                    user.display_name.clone(),
                    user.enabled.to_string(),
                    match user.kind {
                        UserKind::Member => "member".to_string(),
                        UserKind::Guest => "guest".to_string(),
                    },
                    user.username.clone(),
                    user.email.clone(),
                    paths,
                    warnings,
                ]
                .into_iter(),
            );
        }
        out
    }
}

/// Appends one CSV row (CRLF), each field quoted when needed and formulas neutralised.
pub(crate) fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields.map(|field| csv_field(&field)).collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

/// One CSV field, quoted when needed. A leading `=`, `+`, `-` or `@` is prefixed with `'`
/// so spreadsheet programs do not run it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
    }

    #[test]
    fn an_empty_username_source_is_a_warning_not_a_fallback() {
        let user = UserRecord {
            id: "1".into(),
            user_principal_name: "ann@contoso.com".into(),
            mail: None,
            display_name: "Ann".into(),
            enabled: true,
            user_type: Some("Member".into()),
            employee_id: None,
            department: None,
            manager_id: None,
            details: Default::default(),
        };
        let by_upn = MappingSettings::default();
        assert_eq!(
            identity(&user, &by_upn),
            ("ann@contoso.com".into(), "ann@contoso.com".into(), false),
            "the email falls back to the sign-in name for display"
        );
        let by_mail = MappingSettings {
            username: UsernameSource::Mail,
            ..MappingSettings::default()
        };
        assert_eq!(
            identity(&user, &by_mail),
            (String::new(), "ann@contoso.com".into(), true),
            "no mail: no user name, as the sync sends nothing"
        );
        let by_employee = MappingSettings {
            username: UsernameSource::EmployeeId,
            ..MappingSettings::default()
        };
        assert_eq!(identity(&user, &by_employee).0, "");
        assert!(identity(&user, &by_employee).2);
        let with_id = UserRecord {
            employee_id: Some(" E7 ".into()),
            ..user
        };
        assert_eq!(identity(&with_id, &by_employee).0, "E7");
    }
}
