//! The records a directory read produces and the cache stores: people, groups with their
//! direct members, and the snapshot that holds them. Plain data shared by the reading code
//! (`directory`) and the cache (`store`), so neither depends on the other for its types.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// What kind of directory object a group member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum MemberKind {
    #[serde(rename = "user")]
    User,
    #[serde(rename = "group")]
    Group,
    #[serde(rename = "device")]
    Device,
    #[serde(rename = "servicePrincipal")]
    ServicePrincipal,
    #[serde(rename = "orgContact")]
    OrgContact,
    #[serde(rename = "other")]
    Other,
}

impl MemberKind {
    /// From an `@odata.type` such as `#microsoft.graph.user`.
    pub fn from_odata_type(odata_type: Option<&str>) -> MemberKind {
        let name = odata_type
            .unwrap_or_default()
            .trim_start_matches('#')
            .trim_start_matches("microsoft.graph.");
        MemberKind::parse(name)
    }

    pub fn parse(name: &str) -> MemberKind {
        [
            MemberKind::User,
            MemberKind::Group,
            MemberKind::Device,
            MemberKind::ServicePrincipal,
            MemberKind::OrgContact,
        ]
        .into_iter()
        .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
        .unwrap_or(MemberKind::Other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Group => "group",
            MemberKind::Device => "device",
            MemberKind::ServicePrincipal => "servicePrincipal",
            MemberKind::OrgContact => "orgContact",
            MemberKind::Other => "other",
        }
    }
}

/// A person as read from Graph: only the properties the mapping and the preview need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRecord {
    pub id: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub display_name: String,
    pub enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    pub employee_id: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    /// The further properties a sync can map (name parts, job title, leave date, …).
    pub details: UserDetails,
}

/// A person's properties beyond those the preview needs, under their Graph names; only
/// those Entra holds a value for are present. Stored as one JSON column in the cache. The
/// names Rollcall knows are kept without a copy of their own (a read holds a hundred
/// thousand people, each with several).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UserDetails(pub BTreeMap<Cow<'static, str>, String>);

/// The Graph properties kept in [`UserDetails`]; `onPremisesExtensionAttributes` is kept as
/// `extensionAttribute1` … `extensionAttribute15`.
pub const DETAIL_PROPERTIES: &[&str] = &[
    "givenName",
    "surname",
    "jobTitle",
    "preferredLanguage",
    "country",
    "officeLocation",
    "mobilePhone",
    "companyName",
    "employeeHireDate",
    "employeeLeaveDateTime",
];

/// The names of `onPremisesExtensionAttributes`' values, as [`UserDetails`] keeps them.
pub const EXTENSION_ATTRIBUTES: &[&str] = &[
    "extensionAttribute1",
    "extensionAttribute2",
    "extensionAttribute3",
    "extensionAttribute4",
    "extensionAttribute5",
    "extensionAttribute6",
    "extensionAttribute7",
    "extensionAttribute8",
    "extensionAttribute9",
    "extensionAttribute10",
    "extensionAttribute11",
    "extensionAttribute12",
    "extensionAttribute13",
    "extensionAttribute14",
    "extensionAttribute15",
];

impl UserDetails {
    /// The value of a Graph property (or `extensionAttributeN`), when Entra holds one.
    pub fn get(&self, property: &str) -> Option<&str> {
        self.0.get(property).map(String::as_str)
    }
}

impl UserRecord {
    pub fn is_guest(&self) -> bool {
        self.user_type
            .as_deref()
            .is_some_and(|kind| kind.eq_ignore_ascii_case("guest"))
            || self.user_principal_name.contains("#EXT#")
    }
}

/// One direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    pub id: String,
    pub kind: MemberKind,
}

/// A group in the snapshot, with its direct members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: String,
    pub display_name: String,
    pub members: Vec<Member>,
}

/// The groups reachable from the scope's groups and the people in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySnapshot {
    pub groups: BTreeMap<String, GroupRecord>,
    pub users: HashMap<String, UserRecord>,
    /// Problems found while reading (a scope group that does not exist, …).
    pub problems: Vec<ReadProblem>,
}

/// A problem found while reading, kept with the snapshot (for example a scope group that no
/// longer exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ReadProblem {
    pub code: String,
    pub message: String,
}
