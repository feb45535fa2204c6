//! The scope of a profile and who falls in it: the include and exclude groups an admin
//! picks (checked and parsed from pasted IDs or links), and the pure evaluation of a
//! snapshot into the people in scope, each with every path of groups that brought them in.
//! Exclude beats include; guests only count when the profile says so.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::profile::{MappingSettings, ScopeSettings};
use crate::records::{DirectorySnapshot, GroupRecord, MemberKind, ReadProblem, UserRecord};

/// Why a scope or a group choice cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "No include group is set, so nobody would be in scope. Pick at least one group (search by name, or paste its Object ID from the Entra admin center)."
    )]
    NoIncludeGroup,
    #[error(
        "\"{input}\" is not a group's Object ID. Paste the Object ID (a GUID such as 6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b) or the group's page address from the Entra admin center."
    )]
    NotAGroupId { input: String },
    #[error(
        "{count} groups are set; Rollcall reads at most {MAX_GROUPS}. Use fewer, larger groups (a group can contain other groups)."
    )]
    TooManyGroups { count: usize },
    #[error("Type at least one letter or digit of the group's name to search for it.")]
    EmptySearch,
}

/// The most include plus exclude groups one profile may name.
pub const MAX_GROUPS: usize = 500;

/// Finds a GUID in `text`: the text itself, or the one inside a pasted link (after
/// `groupId/` or `objectId/` when the link names several).
pub fn parse_group_ref(input: &str) -> Result<String, ScopeError> {
    let text = input.trim().trim_matches(['{', '}']);
    if let Ok(id) = uuid::Uuid::parse_str(text) {
        return Ok(id.hyphenated().to_string());
    }
    let lower = text.to_ascii_lowercase();
    let candidates: Vec<(usize, uuid::Uuid)> = lower
        .char_indices()
        .filter_map(|(at, _)| {
            let slice = lower.get(at..at + 36)?;
            let shaped = slice.char_indices().all(|(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
            if !shaped {
                return None;
            }
            uuid::Uuid::parse_str(slice).ok().map(|id| (at, id))
        })
        .collect();
    let preferred = candidates.iter().find(|(at, _)| {
        let before = &lower[..*at];
        before.ends_with("groupid/")
            || before.ends_with("objectid/")
            || before.ends_with("groupid=")
    });
    match (preferred, candidates.as_slice()) {
        (Some((_, id)), _) | (None, [(_, id)]) => Ok(id.hyphenated().to_string()),
        _ => Err(ScopeError::NotAGroupId {
            input: input.trim().chars().take(120).collect(),
        }),
    }
}

/// The scope of a profile: which groups bring people in and which keep them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupScope {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub nested: bool,
    pub guests: bool,
}

impl GroupScope {
    /// Checks the `[scope]` settings: every entry must name a group.
    pub fn from_settings(settings: &ScopeSettings) -> Result<GroupScope, ScopeError> {
        let parse = |list: &[String]| -> Result<Vec<String>, ScopeError> {
            let mut ids = Vec::new();
            for entry in list {
                let id = parse_group_ref(entry)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(ids)
        };
        let include = parse(&settings.include_groups)?;
        let exclude = parse(&settings.exclude_groups)?;
        if include.is_empty() {
            return Err(ScopeError::NoIncludeGroup);
        }
        if include.len() + exclude.len() > MAX_GROUPS {
            return Err(ScopeError::TooManyGroups {
                count: include.len() + exclude.len(),
            });
        }
        Ok(GroupScope {
            include,
            exclude,
            nested: settings.nested,
            guests: settings.guests,
        })
    }

    pub(crate) fn roots(&self) -> impl Iterator<Item = &String> {
        self.include.iter().chain(&self.exclude)
    }

    /// Identifies what a stored snapshot was read for: another scope or mapping needs a
    /// full read.
    pub fn cache_key(&self, mapping: &MappingSettings) -> String {
        let mut include = self.include.clone();
        include.sort();
        let mut exclude = self.exclude.clone();
        exclude.sort();
        format!(
            "include={};exclude={};nested={};select={}",
            include.join(","),
            exclude.join(","),
            self.nested,
            user_select(mapping)
        )
    }
}

/// The user properties read: what the preview and any mapping may need, nothing more. The
/// same for every mapping, so editing the mapping never forces a full read.
pub fn user_select(_mapping: &MappingSettings) -> String {
    let mut properties = vec![
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
        "accountEnabled",
        "userType",
        "department",
        "employeeId",
        "onPremisesExtensionAttributes",
    ];
    properties.extend(crate::records::DETAIL_PROPERTIES);
    properties.join(",")
}

/// A person in scope and how they got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched<'a> {
    pub user: &'a UserRecord,
    /// Group names from a scope group down to the group holding the person.
    pub paths: Vec<Vec<String>>,
}

/// The scope worked out from a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeResult<'a> {
    /// In scope, sorted by display name then id.
    pub matched: Vec<Matched<'a>>,
    /// Reached through an include group but kept out by an exclude group.
    pub excluded: usize,
    /// Guests reached through an include group but left out because guests are off.
    pub guests_left_out: usize,
    /// Members that are not people (devices, service principals, contacts), by kind.
    pub skipped: BTreeMap<String, usize>,
    /// Problems with the scope itself (a missing or empty group).
    pub problems: Vec<ReadProblem>,
}

/// At most this many paths are kept per person.
pub const MAX_PATHS: usize = 10;

/// Works out who is in scope from a snapshot. Pure: no I/O.
pub fn evaluate<'a>(snapshot: &'a DirectorySnapshot, scope: &GroupScope) -> ScopeResult<'a> {
    let mut result = ScopeResult {
        problems: snapshot.problems.clone(),
        ..ScopeResult::default()
    };
    let mut paths: HashMap<&str, Vec<Vec<String>>> = HashMap::new();
    let mut skipped: HashMap<&str, MemberKind> = HashMap::new();
    for root in &scope.include {
        let Some(group) = snapshot.groups.get(root) else {
            continue;
        };
        if group.members.is_empty() {
            result.problems.push(ReadProblem {
                code: "group_empty".into(),
                message: format!(
                    "The include group {} has no members, so it brings nobody in. Add members in Entra or pick another group.",
                    group.display_name
                ),
            });
        }
        let mut trail = vec![group.id.as_str()];
        let mut names = vec![group.display_name.clone()];
        let mut expansions: HashMap<&str, usize> = HashMap::new();
        walk(
            snapshot,
            group,
            scope.nested,
            &mut trail,
            &mut names,
            &mut expansions,
            &mut paths,
            &mut skipped,
        );
    }
    let mut excluded: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = scope.exclude.iter().map(String::as_str).collect();
    let mut visited: HashSet<&str> = HashSet::new();
    while let Some(id) = queue.pop_front() {
        if !visited.insert(id) {
            continue;
        }
        let Some(group) = snapshot.groups.get(id) else {
            continue;
        };
        for member in &group.members {
            match member.kind {
                MemberKind::User => {
                    excluded.insert(member.id.as_str());
                }
                MemberKind::Group if scope.nested => queue.push_back(member.id.as_str()),
                _ => {}
            }
        }
    }
    for (id, user_paths) in paths {
        let Some(user) = snapshot.users.get(id) else {
            continue;
        };
        if excluded.contains(id) {
            result.excluded += 1;
            continue;
        }
        if user.is_guest() && !scope.guests {
            result.guests_left_out += 1;
            continue;
        }
        result.matched.push(Matched {
            user,
            paths: user_paths,
        });
    }
    result.matched.sort_by(|a, b| {
        a.user
            .display_name
            .to_lowercase()
            .cmp(&b.user.display_name.to_lowercase())
            .then_with(|| a.user.id.cmp(&b.user.id))
    });
    for kind in skipped.values() {
        *result.skipped.entry(kind.as_str().to_string()).or_insert(0) += 1;
    }
    result
}

/// How often one group is walked into from different paths before further paths through it
/// are no longer listed (a guard against groups nested in many places).
const MAX_EXPANSIONS: usize = 50;

#[allow(clippy::too_many_arguments)]
fn walk<'a>(
    snapshot: &'a DirectorySnapshot,
    group: &'a GroupRecord,
    nested: bool,
    trail: &mut Vec<&'a str>,
    names: &mut Vec<String>,
    expansions: &mut HashMap<&'a str, usize>,
    paths: &mut HashMap<&'a str, Vec<Vec<String>>>,
    skipped: &mut HashMap<&'a str, MemberKind>,
) {
    for member in &group.members {
        match member.kind {
            MemberKind::User => {
                let entry = paths.entry(member.id.as_str()).or_default();
                if entry.len() < MAX_PATHS && !entry.contains(names) {
                    entry.push(names.clone());
                }
            }
            MemberKind::Group => {
                if !nested || trail.contains(&member.id.as_str()) {
                    continue;
                }
                let Some(child) = snapshot.groups.get(&member.id) else {
                    continue;
                };
                let count = expansions.entry(child.id.as_str()).or_insert(0);
                if *count >= MAX_EXPANSIONS {
                    continue;
                }
                *count += 1;
                trail.push(child.id.as_str());
                names.push(child.display_name.clone());
                walk(
                    snapshot, child, nested, trail, names, expansions, paths, skipped,
                );
                trail.pop();
                names.pop();
            }
            kind => {
                skipped.insert(member.id.as_str(), kind);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_references_come_from_ids_and_links() {
        let id = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
        assert_eq!(parse_group_ref(id).unwrap(), id);
        assert_eq!(
            parse_group_ref(&format!("{{{}}}", id.to_uppercase())).unwrap(),
            id
        );
        let link = format!(
            "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/GroupDetailsMenuBlade/~/Overview/groupId/{id}/menuId/"
        );
        assert_eq!(parse_group_ref(&link).unwrap(), id);
        assert!(matches!(
            parse_group_ref("Staff"),
            Err(ScopeError::NotAGroupId { .. })
        ));
    }

    #[test]
    fn a_scope_needs_an_include_group() {
        let settings = ScopeSettings::default();
        assert_eq!(
            GroupScope::from_settings(&settings),
            Err(ScopeError::NoIncludeGroup)
        );
    }
}
