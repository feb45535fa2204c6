//! Which Graph application permissions the app holds, read from the `roles` claim of its
//! access token, against what Rollcall needs: `User.Read.All`, `GroupMember.Read.All` (or
//! `Group.Read.All`), and optionally `User-LifeCycleInfo.Read.All` and `Application.Read.All`.
//!
//! The token is decoded without checking its signature. That is deliberate: Rollcall only reads
//! the token to explain to the admin what was granted; it never trusts the token to make a
//! security decision. Graph checks the signature and enforces the permissions itself on every
//! request, and the test reads (see `probe`) confirm what Graph really allows.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::cloud::PortalLinks;
use crate::diagnosis::Diagnosis;

/// One thing Rollcall needs permission for, and the permissions that allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The permission Rollcall asks for (the least powerful that works).
    pub permission: &'static str,
    /// Every permission that allows it, including `permission`.
    pub satisfied_by: &'static [&'static str],
    /// Whether Rollcall works without it.
    pub optional: bool,
    /// What it enables, in plain words.
    pub enables: &'static str,
}

/// Reading users.
pub const READ_USERS: Requirement = Requirement {
    permission: "User.Read.All",
    satisfied_by: &[
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ],
    optional: false,
    enables: "read each person's name, email and whether their account is enabled",
};

/// Reading groups and their members.
pub const READ_GROUP_MEMBERS: Requirement = Requirement {
    permission: "GroupMember.Read.All",
    satisfied_by: &[
        "GroupMember.Read.All",
        "Group.Read.All",
        "GroupMember.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ],
    optional: false,
    enables: "list groups and their members, to decide who gets an account",
};

/// Reading leave dates.
pub const READ_LIFECYCLE: Requirement = Requirement {
    permission: "User-LifeCycleInfo.Read.All",
    satisfied_by: &[
        "User-LifeCycleInfo.Read.All",
        "User-LifeCycleInfo.ReadWrite.All",
    ],
    optional: true,
    enables: "see the leave date HR sets, so leavers are deactivated on their last day",
};

/// Reading the app's own registration (for the secret's expiry date).
pub const READ_APPLICATIONS: Requirement = Requirement {
    permission: "Application.Read.All",
    satisfied_by: &[
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ],
    optional: true,
    enables: "read the app's own client-secret expiry date, so Rollcall can warn before it runs out",
};

/// The least-privilege set: what Rollcall asks for, nothing that writes.
pub const LEAST_PRIVILEGE: [&str; 4] = [
    "User.Read.All",
    "GroupMember.Read.All",
    "User-LifeCycleInfo.Read.All",
    "Application.Read.All",
];

/// Whether a granted permission gives more than Rollcall needs: write access to the
/// directory, its people, groups, memberships or app registrations.
pub fn broader_than_needed(role: &str) -> bool {
    let lower = role.to_ascii_lowercase();
    lower.contains(".readwrite.") || lower.ends_with(".readwrite")
}

/// Everything Rollcall asks for, required first.
pub const REQUIREMENTS: [Requirement; 4] = [
    READ_USERS,
    READ_GROUP_MEMBERS,
    READ_LIFECYCLE,
    READ_APPLICATIONS,
];

impl Requirement {
    /// Whether `roles` holds any permission that satisfies this requirement.
    pub fn met_by(&self, roles: &[String]) -> bool {
        roles.iter().any(|role| {
            self.satisfied_by
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(role))
        })
    }
}

/// Required versus granted, as the `check` JSON shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PermissionReport {
    /// Every application permission the token carries.
    pub granted: Vec<String>,
    /// Required permissions not granted.
    pub missing: Vec<String>,
    /// Optional permissions not granted.
    #[serde(default)]
    pub optional_missing: Vec<String>,
}

impl PermissionReport {
    /// Compares the granted roles with [`REQUIREMENTS`].
    pub fn assess(roles: &[String]) -> PermissionReport {
        let mut report = PermissionReport {
            granted: roles.to_vec(),
            ..PermissionReport::default()
        };
        for requirement in REQUIREMENTS {
            if !requirement.met_by(roles) {
                let list = if requirement.optional {
                    &mut report.optional_missing
                } else {
                    &mut report.missing
                };
                list.push(requirement.permission.to_string());
            }
        }
        report
    }

    /// The findings: missing consent (no roles at all, with the consent page), each required
    /// permission missing, and the optional leave-date permission.
    pub fn diagnoses(&self, links: &PortalLinks, consent_url: String) -> Vec<Diagnosis> {
        if self.granted.is_empty() {
            return vec![Diagnosis::admin_consent_missing(consent_url)];
        }
        let mut found = Vec::new();
        if !READ_USERS.met_by(&self.granted) {
            found.push(Diagnosis::user_read_missing(links));
        }
        if !READ_GROUP_MEMBERS.met_by(&self.granted) {
            found.push(Diagnosis::group_read_missing(links));
        }
        if !READ_LIFECYCLE.met_by(&self.granted) {
            found.push(Diagnosis::lifecycle_read_missing(links));
        }
        let broad: Vec<String> = self
            .granted
            .iter()
            .filter(|role| broader_than_needed(role))
            .cloned()
            .collect();
        if !broad.is_empty() {
            found.push(Diagnosis::permissions_too_broad(
                &broad,
                &LEAST_PRIVILEGE,
                links,
            ));
        }
        found
    }
}

/// Why a token's permissions could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The access token could not be read ({0}); Rollcall cannot tell which permissions were granted."
)]
pub struct UnreadableToken(String);

#[derive(Deserialize)]
struct RoleClaims {
    #[serde(default)]
    roles: Vec<String>,
}

/// The `roles` claim of a JWT access token (empty when the claim is absent, which is how Entra
/// says that no application permission has been consented to).
pub fn roles_in_token(token: &str) -> Result<Vec<String>, UnreadableToken> {
    let mut parts = token.split('.');
    let payload = match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_)) => payload,
        _ => return Err(UnreadableToken("it is not a JSON Web Token".into())),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|error| UnreadableToken(format!("its payload is not base64url: {error}")))?;
    let claims: RoleClaims = serde_json::from_slice(&bytes)
        .map_err(|error| UnreadableToken(format!("its payload is not JSON: {error}")))?;
    Ok(claims.roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::diagnosis::DiagnosisCode;

    fn token(claims: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode("{\"alg\":\"RS256\"}"),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_roles_and_their_absence() {
        assert_eq!(
            roles_in_token(&token(r#"{"roles":["User.Read.All","Group.Read.All"]}"#)).unwrap(),
            strings(&["User.Read.All", "Group.Read.All"])
        );
        assert!(
            roles_in_token(&token(r#"{"appid":"x"}"#))
                .unwrap()
                .is_empty()
        );
        assert!(roles_in_token("opaque").is_err());
        assert!(roles_in_token("a.!!!.c").is_err());
    }

    #[test]
    fn compares_required_with_granted() {
        let links = Cloud::Global.links(Some("c"));
        let full = PermissionReport::assess(&strings(&["User.Read.All", "Group.Read.All"]));
        assert!(full.missing.is_empty());
        assert_eq!(
            full.optional_missing,
            ["User-LifeCycleInfo.Read.All", "Application.Read.All"]
        );
        let codes: Vec<DiagnosisCode> = full
            .diagnoses(&links, String::new())
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, [DiagnosisCode::LifecycleReadMissing]);

        let partial = PermissionReport::assess(&strings(&["user.read.all"]));
        assert_eq!(partial.missing, ["GroupMember.Read.All"]);

        let none = PermissionReport::assess(&[]);
        assert_eq!(none.missing, ["User.Read.All", "GroupMember.Read.All"]);
        let found = none.diagnoses(&links, "https://consent".into());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, DiagnosisCode::AdminConsentMissing);
        assert_eq!(found[0].link.as_deref(), Some("https://consent"));

        let directory = PermissionReport::assess(&strings(&["Directory.Read.All"]));
        assert!(directory.missing.is_empty());
    }

    #[test]
    fn write_permissions_are_reported_with_the_least_privilege_set() {
        let links = Cloud::Global.links(None);
        let report = PermissionReport::assess(&strings(&[
            "Directory.ReadWrite.All",
            "User.ReadWrite.All",
            "GroupMember.Read.All",
            "User-LifeCycleInfo.Read.All",
        ]));
        assert!(report.missing.is_empty());
        let found = report.diagnoses(&links, "consent".into());
        let broad: Vec<_> = found
            .iter()
            .filter(|d| d.code == DiagnosisCode::PermissionsTooBroad)
            .collect();
        assert_eq!(broad.len(), 1);
        assert_eq!(broad[0].severity, crate::diagnosis::Severity::Warning);
        assert!(
            broad[0]
                .fix
                .contains("Directory.ReadWrite.All, User.ReadWrite.All")
        );
        assert!(broad[0].fix.contains("User.Read.All, GroupMember.Read.All"));
        let lean = PermissionReport::assess(&strings(&LEAST_PRIVILEGE));
        assert!(lean.diagnoses(&links, "consent".into()).is_empty());
    }
}
