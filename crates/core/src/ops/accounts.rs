//! What each account looks like on the platform: the mapping shown on real people from the
//! last read before it is saved, and the `[safety]` limits on deactivations.

use serde::Serialize;

use super::reading::{cache_error, scope_of};
use super::{OpResult, Workspace, profile_error};
use crate::directory::evaluate;
use crate::listing::value_text;
use crate::mapping::{CUSTOM_SOURCES, DesiredAccount, label, map_people, paths};
use crate::profile::{MappingSettings, Profile, SafetySettings};

/// How many people the mapping is shown on.
const SAMPLES: usize = 5;

/// One attribute of an account as the platform would get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MappedValue {
    pub path: String,
    pub label: String,
    pub value: String,
}

/// A real person, as the platform would hold them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AccountSample {
    pub entra_id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub user_name: String,
    pub values: Vec<MappedValue>,
}

/// Someone the mapping cannot send, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UnsendablePerson {
    pub entra_id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub code: String,
    pub message: String,
}

/// The mapping shown on people from the last read, before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MappingPreview {
    pub mapping: MappingSettings,
    /// Up to five people; the first has letters outside plain ASCII when anyone does, so
    /// the admin sees how such names come out.
    pub samples: Vec<AccountSample>,
    pub unsendable: Vec<UnsendablePerson>,
    /// People in scope.
    pub people: usize,
    /// The Entra properties a custom field can come from.
    pub custom_sources: Vec<String>,
}

fn sample(account: &DesiredAccount, display_name: &str) -> AccountSample {
    let mut values = vec![MappedValue {
        path: paths::USER_NAME.into(),
        label: label(paths::USER_NAME),
        value: account.write.user_name.clone(),
    }];
    values.extend(
        account
            .write
            .attributes
            .iter()
            .map(|(path, value)| MappedValue {
                path: path.clone(),
                label: label(path),
                value: value_text(value),
            }),
    );
    AccountSample {
        entra_id: account.write.external_id.clone(),
        display_name: display_name.to_string(),
        user_principal_name: account.user_principal_name.clone(),
        user_name: account.write.user_name.clone(),
        values,
    }
}

impl Workspace {
    /// The mapping (`mapping`, or the saved one) shown on people from the last read, with
    /// everyone it cannot send. Nothing is saved.
    pub fn mapping_preview(
        &self,
        profile: &str,
        mapping: Option<MappingSettings>,
    ) -> OpResult<MappingPreview> {
        let loaded = self.profile(profile)?;
        let mapping = mapping.unwrap_or_else(|| loaded.mapping.clone());
        for (source, path) in &mapping.custom {
            crate::mapping::check_custom(source, path).map_err(|message| {
                super::OpError::new(super::ErrorCode::ProfileInvalid, message)
            })?;
        }
        let scope = scope_of(&loaded.scope)?;
        let snapshot = self.cache(&loaded.name)?.snapshot().map_err(cache_error)?;
        let result = evaluate(&snapshot, &scope);
        let people = result.matched.len();
        let users: Vec<_> = result.matched.iter().map(|matched| matched.user).collect();
        let mapped = map_people(users.iter().copied(), &mapping, self.clock().now());
        let name_of = |id: &str| {
            snapshot
                .users
                .get(id)
                .map(|user| user.display_name.clone())
                .unwrap_or_default()
        };
        let mut order: Vec<&DesiredAccount> = mapped.accounts.iter().collect();
        if let Some(unusual) = order.iter().position(|account| {
            !name_of(&account.write.external_id).is_ascii()
                || !account.user_principal_name.is_ascii()
        }) {
            order.swap(0, unusual);
        }
        let samples = order
            .iter()
            .take(SAMPLES)
            .map(|account| sample(account, &name_of(&account.write.external_id)))
            .collect();
        let unsendable = mapped
            .problems
            .iter()
            .map(|problem| UnsendablePerson {
                entra_id: problem.entra_id.clone(),
                display_name: name_of(&problem.entra_id),
                user_principal_name: problem.user.clone(),
                code: problem.code.clone(),
                message: problem.message.clone(),
            })
            .collect();
        let mut custom_sources: Vec<String> = CUSTOM_SOURCES
            .iter()
            .map(|source| source.to_string())
            .collect();
        custom_sources.extend((1..=15).map(|number| format!("extensionAttribute{number}")));
        Ok(MappingPreview {
            mapping,
            samples,
            unsendable,
            people,
            custom_sources,
        })
    }

    /// Saves the connection's `[mapping]`, checked as the profile file would be.
    pub fn save_mapping(
        &self,
        profile: &str,
        mapping: MappingSettings,
    ) -> OpResult<MappingSettings> {
        let saved = self.edit_profile(profile, |loaded| loaded.mapping = mapping)?;
        Ok(saved.mapping)
    }

    /// The connection's `[safety]` limits.
    pub fn safety(&self, profile: &str) -> OpResult<SafetySettings> {
        Ok(self.profile(profile)?.safety)
    }

    /// Saves the connection's `[safety]` limits, checked as the profile file would be.
    pub fn save_safety(&self, profile: &str, safety: SafetySettings) -> OpResult<SafetySettings> {
        let saved = self.edit_profile(profile, |loaded| loaded.safety = safety)?;
        Ok(saved.safety)
    }

    /// Changes a saved profile and saves it, after checking the result as the profile file
    /// would be checked, so a value the file would refuse is refused here with the same rule.
    pub(super) fn edit_profile(
        &self,
        profile: &str,
        change: impl FnOnce(&mut Profile),
    ) -> OpResult<Profile> {
        let mut loaded = self.profile(profile)?;
        change(&mut loaded);
        let text = loaded.to_toml().map_err(profile_error)?;
        let checked = Profile::parse(&text).map_err(profile_error)?;
        self.profiles().save(&checked).map_err(profile_error)?;
        Ok(checked)
    }
}
