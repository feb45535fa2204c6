//! Saved connections as files and secrets: importing, exporting and listing profiles,
//! storing a profile's secret (the Entra client secret or the platform's token), and
//! deleting a connection with everything Rollcall keeps for it.

use std::path::Path;

use serde::Serialize;

use super::{ErrorCode, OpError, OpResult, Workspace, profile_error};
use crate::credentials::parse_secret;
use crate::profile::{CloudKey, Profile};
use crate::secret::{Secret, SecretKind, SecretUseError, store_for_profile};

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
    /// The mail server's password, for the run report by email.
    Mail,
}

impl Workspace {
    /// Checks a profile file and adds it to the data folder under its name; refuses when a
    /// profile of that name exists. See [`Workspace::import_profile_with`].
    pub fn import_profile(&self, file: &Path) -> OpResult<Profile> {
        self.import_profile_with(file, false)
    }

    /// Checks a profile file and adds it to the data folder under its name, replacing one of
    /// the same name only when `replace` is set. The imported profile always starts disabled.
    /// A stored secret stays bound to what it was entered for (sign-in and Graph addresses,
    /// tenant and client ID; for the platform's token, its address): when the imported file
    /// names something else, the secret is not used until it is entered again, and the check
    /// and the sync say so. A shared file can never send it elsewhere.
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
                    "{} was not imported: a profile named \"{}\" exists already. Import it with --replace to replace it (its stored secrets are used only where it signs in to the same place), or rename the profile in the file.",
                    file.display(),
                    profile.name
                ),
            ));
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

    /// Deletes a saved connection and everything Rollcall keeps for it: what is registered
    /// with the operating system for its schedule (first, so nothing runs it afterwards), its
    /// secrets, its cache and ledger files and its profile. The accounts it made on the
    /// learning platform stay there as they are. Refused while it syncs, and while another
    /// connection's schedule runs after it.
    pub fn delete_connection(&self, name: &str) -> OpResult<()> {
        let profile = self.profile(name)?;
        let name = profile.name.as_str();
        for other in self.profiles().list().map_err(profile_error)? {
            let waits = self
                .profile(&other)
                .ok()
                .and_then(|other| other.schedule)
                .and_then(|settings| settings.after)
                .is_some_and(|after| after == name);
            if waits && other != name {
                return Err(OpError::new(
                    ErrorCode::Schedule,
                    format!(
                        "\"{name}\" was not deleted: the schedule of \"{other}\" runs after it. Change or turn off that schedule first."
                    ),
                ));
            }
        }
        let lock = self.take_run_lock(name, crate::history::Trigger::Manual)?;
        self.unregister(name)?;
        for kind in [SecretKind::Graph, SecretKind::Target] {
            self.secrets().delete(name, kind).map_err(|error| {
                OpError::new(
                    ErrorCode::Keychain,
                    format!("\"{name}\" was not deleted: its secret could not be removed. {error}"),
                )
            })?;
        }
        let data_dir = self.data_dir();
        for database in [
            crate::store::Store::path_for(data_dir, name),
            crate::ledger::Ledger::path_for(data_dir, name),
        ] {
            let [wal, shm] = crate::data_dir::database_companions(&database);
            for file in [database, wal, shm] {
                remove_if_there(name, &file)?;
            }
        }
        let profile_file = self.profiles().path_of(name).map_err(profile_error)?;
        remove_if_there(name, &profile_file)?;
        drop(lock);
        remove_if_there(name, &data_dir.locks().join(format!("{name}.lock")))
    }

    /// Stores a profile's secret in the keychain. The Entra secret is checked as the wizard
    /// checks it (so the Secret ID is refused); a token only for being there.
    /// The secret is bound to what the profile names now (see [`crate::secret::EnteredFor`]).
    pub fn store_secret(&self, name: &str, which: SecretTarget, value: &str) -> OpResult<()> {
        let profile = self.profile(name)?;
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
            SecretTarget::Mail => {
                let password = value.trim_end_matches(['\r', '\n']);
                if password.is_empty() {
                    return Err(OpError::new(
                        ErrorCode::SecretInvalid,
                        "Nothing was stored: the password is empty. Type or paste the mail server's password.",
                    ));
                }
                (SecretKind::Mail, Secret::new(password.to_string()))
            }
        };
        store_for_profile(self.secrets(), &profile, kind, &secret).map_err(|error| match error {
            SecretUseError::Keychain(error) => {
                OpError::new(ErrorCode::Keychain, format!("Nothing was stored. {error}"))
            }
            other => OpError::new(
                match kind {
                    SecretKind::Graph => ErrorCode::ProfileInvalid,
                    SecretKind::Target => ErrorCode::NoTarget,
                    SecretKind::Mail => ErrorCode::ProfileInvalid,
                },
                format!("Nothing was stored. {other}"),
            ),
        })
    }
}

/// Removes `file`; one that is not there is no error.
fn remove_if_there(name: &str, file: &Path) -> OpResult<()> {
    match std::fs::remove_file(file) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(OpError::new(
            ErrorCode::DataFolder,
            format!(
                "\"{name}\" was only partly deleted: {} could not be removed ({error}). Close any program using it and delete the connection again.",
                file.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data_dir::{DataDir, Mode};
    use crate::secret::MemoryKeychain;

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
    fn import_starts_disabled_refuses_to_replace_and_never_uses_a_secret_meant_elsewhere() {
        use crate::secret::{SecretUseError, read_for_profile};
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
        let value = "abc~DEF.ghi_JKL-mno0123456789";
        ws.store_secret("contoso", SecretTarget::Graph, value)
            .unwrap();
        let usable = || {
            read_for_profile(
                secrets.as_ref(),
                &ws.profile("contoso").unwrap(),
                SecretKind::Graph,
            )
        };
        assert_eq!(usable().unwrap().unwrap().expose(), value);

        let hostile = SHARED.replace("127.0.0.1:8400", "127.0.0.1:9999");
        std::fs::write(&file, &hostile).unwrap();
        let refused = ws.import_profile(&file).unwrap_err();
        assert!(refused.message.contains("--replace"), "{}", refused.message);
        assert!(
            usable().unwrap().is_some(),
            "a refused import changes nothing"
        );

        ws.import_profile_with(&file, true).unwrap();
        let elsewhere = usable().unwrap_err();
        assert!(
            matches!(elsewhere, SecretUseError::SignInChanged { .. }),
            "the secret entered for one sign-in address must not follow the name to another: {elsewhere:?}"
        );
        assert!(
            elsewhere.to_string().starts_with(
                "The client secret was entered for another tenant or app; enter it again."
            ),
            "{elsewhere}"
        );

        std::fs::write(&file, SHARED).unwrap();
        ws.import_profile_with(&file, true).unwrap();
        assert_eq!(
            usable().unwrap().unwrap().expose(),
            value,
            "importing the connection it was entered for makes it usable again"
        );
        let other_app = SHARED.replace("535fb089", "635fb089");
        std::fs::write(&file, other_app).unwrap();
        ws.import_profile_with(&file, true).unwrap();
        assert!(usable().is_err(), "another client ID");
    }
}
