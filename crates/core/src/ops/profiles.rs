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
    /// Checks a profile file and adds it to the data folder under its name; refuses when a
    /// profile of that name exists. See [`Workspace::import_profile_with`].
    pub fn import_profile(&self, file: &Path) -> OpResult<Profile> {
        self.import_profile_with(file, false)
    }

    /// Checks a profile file and adds it to the data folder under its name, replacing one of
    /// the same name only when `replace` is set. The imported profile always starts disabled.
    /// A stored secret is kept only when the profile it was entered for stays the same
    /// (cloud, sign-in address, tenant and client ID; for the platform's token, its
    /// address); otherwise it is removed, so a shared file can never send it elsewhere.
    pub fn import_profile_with(&self, file: &Path, replace: bool) -> OpResult<Profile> {
        let refused = |error: OpError| {
            OpError::new(
                error.code,
                format!("{} was not imported. {}", file.display(), error.message),
            )
        };
        let store = self.profiles();
        let text = std::fs::read_to_string(file)
            .map_err(|source| {
                profile_error(crate::profile::ProfileError::Read {
                    path: file.to_path_buf(),
                    source,
                })
            })
            .map_err(refused)?;
        let mut profile = Profile::parse(&text)
            .map_err(profile_error)
            .map_err(refused)?;
        profile.enabled = false;
        let previous = store.load(&profile.name).ok();
        if previous.is_some() && !replace {
            return Err(OpError::new(
                ErrorCode::ProfileInvalid,
                format!(
                    "{} was not imported: a profile named \"{}\" exists already. Import it with --replace to replace it (its stored secrets are kept only if it signs in to the same place), or rename the profile in the file.",
                    file.display(),
                    profile.name
                ),
            ));
        }
        let same_sign_in = previous.as_ref().is_some_and(|old| {
            old.entra.cloud == profile.entra.cloud
                && old.entra.tenant == profile.entra.tenant
                && old.entra.client_id == profile.entra.client_id
                && old.entra.authority_url == profile.entra.authority_url
                && old.entra.graph_url == profile.entra.graph_url
        });
        let target_url = |p: &Profile| p.target.as_ref().and_then(|t| t.url.clone());
        let same_target = previous
            .as_ref()
            .is_some_and(|old| target_url(old) == target_url(&profile));
        let forget = |kind: SecretKind| {
            self.secrets.delete(&profile.name, kind).map_err(|error| {
                OpError::new(
                    ErrorCode::Keychain,
                    format!(
                        "{} was not imported: the secret stored for \"{}\" was entered for another connection and could not be removed. {error}",
                        file.display(),
                        profile.name
                    ),
                )
            })
        };
        if !same_sign_in {
            forget(SecretKind::Graph)?;
        }
        if !same_target {
            forget(SecretKind::Target)?;
        }
        store
            .save(&profile)
            .map_err(profile_error)
            .map_err(refused)?;
        Ok(profile)
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
                let token = super::check_platform_token(value).map_err(|problem| {
                    OpError::new(
                        ErrorCode::SecretInvalid,
                        format!("Nothing was stored. {problem}"),
                    )
                })?;
                (SecretKind::Target, Secret::new(token))
            }
        };
        self.secrets.store(name, kind, &secret).map_err(|error| {
            OpError::new(ErrorCode::Keychain, format!("Nothing was stored. {error}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data_dir::{DataDir, Mode};
    use crate::secret::{MemoryKeychain, SecretStore};

    const SHARED: &str = r#"name = "contoso"
enabled = true

[entra]
cloud = "custom"
tenant = "contoso.onmicrosoft.com"
client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
authority_url = "http://127.0.0.1:8400"
graph_url = "http://127.0.0.1:8400"
"#;

    #[test]
    fn import_starts_disabled_refuses_to_replace_and_drops_a_secret_meant_elsewhere() {
        let folder = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryKeychain::new());
        let ws = Workspace::new(
            DataDir::at(folder.path().to_path_buf(), Mode::Real),
            secrets.clone(),
        );
        let file = folder.path().join("shared.toml");
        std::fs::write(&file, SHARED).unwrap();
        let first = ws.import_profile(&file).unwrap();
        assert!(!first.enabled, "an imported profile starts disabled");
        let secret = Secret::new("abc~DEF.ghi_JKL-mno0123456789");
        secrets
            .store("contoso", SecretKind::Graph, &secret)
            .unwrap();

        let hostile = SHARED.replace("127.0.0.1:8400", "127.0.0.1:9999");
        std::fs::write(&file, hostile).unwrap();
        let refused = ws.import_profile(&file).unwrap_err();
        assert!(refused.message.contains("--replace"), "{}", refused.message);
        assert!(
            secrets
                .read("contoso", SecretKind::Graph)
                .unwrap()
                .is_some()
        );

        ws.import_profile_with(&file, true).unwrap();
        assert!(
            secrets
                .read("contoso", SecretKind::Graph)
                .unwrap()
                .is_none(),
            "the secret entered for one sign-in address must not follow the name to another"
        );

        secrets
            .store("contoso", SecretKind::Graph, &secret)
            .unwrap();
        ws.import_profile_with(&file, true).unwrap();
        assert!(
            secrets
                .read("contoso", SecretKind::Graph)
                .unwrap()
                .is_some(),
            "re-importing the same connection keeps its secret"
        );
    }
}
