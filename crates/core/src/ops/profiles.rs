//! Saved connections as files and secrets: importing, exporting and listing profiles, and
//! storing a profile's secret (the Entra client secret or the platform's token).

use std::path::Path;

use serde::Serialize;

use super::{ErrorCode, OpError, OpResult, Workspace, profile_error};
use crate::credentials::parse_secret;
use crate::profile::{CloudKey, Profile};
use crate::secret::{Secret, SecretKind};

/// One saved connection as a list shows it; `error` when its file cannot be read.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ProfileSummary {
    Valid {
        name: String,
        enabled: bool,
        cloud: CloudKey,
        tenant: String,
        client_id: String,
    },
    Broken {
        name: String,
        error: String,
    },
}

/// Which secret of a profile is being stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretTarget {
    /// The Entra app's client secret Value.
    Graph,
    /// The learning platform's token.
    Platform,
}

impl Workspace {
    /// Checks a profile file and adds it to the data folder under its name.
    pub fn import_profile(&self, file: &Path) -> OpResult<Profile> {
        self.profiles().import(file).map_err(|error| {
            let error = profile_error(error);
            OpError::new(
                error.code,
                format!("{} was not imported. {}", file.display(), error.message),
            )
        })
    }

    /// The profile as TOML text, ready to share (it holds no secret).
    pub fn export_profile(&self, name: &str) -> OpResult<String> {
        self.profiles().export(name).map_err(profile_error)
    }

    /// Every saved connection, sorted by name; one that cannot be read says why.
    pub fn list_profiles(&self) -> OpResult<Vec<ProfileSummary>> {
        let store = self.profiles();
        let names = store.list().map_err(profile_error)?;
        Ok(names
            .into_iter()
            .map(|name| match store.load(&name) {
                Ok(profile) => ProfileSummary::Valid {
                    name: profile.name,
                    enabled: profile.enabled,
                    cloud: profile.entra.cloud,
                    tenant: profile.entra.tenant,
                    client_id: profile.entra.client_id,
                },
                Err(error) => ProfileSummary::Broken {
                    name,
                    error: error.to_string(),
                },
            })
            .collect())
    }

    /// Stores a profile's secret in the keychain. The Entra secret is checked as the wizard
    /// checks it (so the Secret ID is refused); a token only for being there.
    pub fn store_secret(&self, name: &str, which: SecretTarget, value: &str) -> OpResult<()> {
        self.profile(name)?;
        let (kind, secret) = match which {
            SecretTarget::Graph => (
                SecretKind::Graph,
                parse_secret(value).map_err(|problem| {
                    OpError::new(
                        ErrorCode::SecretInvalid,
                        format!("Nothing was stored. {problem}"),
                    )
                })?,
            ),
            SecretTarget::Platform => {
                let value = value.trim();
                if value.is_empty() {
                    return Err(OpError::new(
                        ErrorCode::SecretInvalid,
                        "Nothing was stored: the token is empty. Copy the SCIM token your learning platform shows and pipe it in.",
                    ));
                }
                (SecretKind::Target, Secret::new(value))
            }
        };
        self.secrets.store(name, kind, &secret).map_err(|error| {
            OpError::new(ErrorCode::Keychain, format!("Nothing was stored. {error}"))
        })
    }
}
