//! Pointing a connection at its learning platform: what the admin types checked as typed
//! (the SCIM address, the token, the CSV folder), then saved (the token in the keychain).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ErrorCode, OpError, OpResult, SecretTarget, Workspace};
use crate::cloud::checked_endpoint;
use crate::profile::{TargetKind, TargetSettings};
use crate::secret::{Secret, SecretKind, SecretUseError, read_for_profile};

/// Which input of the platform step a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TargetField {
    TargetUrl,
    TargetToken,
    TargetFolder,
}

/// A problem with something typed on the platform step, shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TargetFieldProblem {
    pub field: TargetField,
    pub message: String,
}

/// The learning platform as the admin chose it. `token`: `None` keeps the stored one.
#[derive(Debug)]
pub struct TargetSetup {
    pub kind: TargetKind,
    pub url: Option<String>,
    pub token: Option<Secret>,
    pub folder: Option<PathBuf>,
}

/// What the window sends: the folder is the one the shell kept from the system dialog.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct TargetChoice {
    pub kind: TargetKind,
    pub url: Option<String>,
    pub token: Option<String>,
    /// CSV: use the folder last chosen in the system dialog.
    #[serde(default)]
    pub chosen_folder: bool,
}

/// The SCIM address, as it will be saved; the message names the rule it broke.
pub fn check_scim_address(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err("Enter the SCIM address your learning platform shows (for example https://lms.example.com/scim/v2).".into());
    }
    checked_endpoint("SCIM address", value).map_err(|error| error.to_string())
}

/// A pasted platform token, trimmed; refused when it holds spaces, quotes or a `Bearer`
/// prefix, since what was pasted is then more than the token. The message never repeats it.
pub fn check_platform_token(value: &str) -> Result<String, String> {
    let token = value.trim();
    if token.is_empty() {
        return Err("Paste the SCIM token your learning platform shows.".into());
    }
    if token
        .get(..7)
        .is_some_and(|start| start.eq_ignore_ascii_case("bearer "))
    {
        return Err("Paste only the token itself, without the word \"Bearer\" in front.".into());
    }
    if token.contains(['"', '\'', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}']) {
        return Err("The token has quotation marks in it; paste it without them.".into());
    }
    if token.chars().any(char::is_whitespace) {
        return Err(
            "The token has spaces or line breaks in it; copy it again in one piece.".into(),
        );
    }
    Ok(token.to_string())
}

/// Whether Rollcall can write files into `folder` (created when missing).
pub fn check_folder(folder: &Path) -> Result<(), String> {
    if !folder.is_absolute() {
        return Err(format!(
            "\"{}\" is not a full path to a folder. Choose the folder with \"Choose folder…\".",
            folder.display()
        ));
    }
    let cannot = |error: std::io::Error| {
        format!(
            "Rollcall cannot write into {}: {error}. Choose a folder you can write to.",
            folder.display()
        )
    };
    std::fs::create_dir_all(folder).map_err(cannot)?;
    let probe = folder.join(".rollcall-write-check");
    std::fs::write(&probe, b"").map_err(cannot)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

impl Workspace {
    /// Checks what is typed on the platform step; no network. Only what is given is checked.
    pub fn check_target_inputs(
        &self,
        kind: TargetKind,
        url: &str,
        token: &str,
    ) -> Vec<TargetFieldProblem> {
        let mut problems = Vec::new();
        if kind == TargetKind::Scim {
            if !url.trim().is_empty()
                && let Err(message) = check_scim_address(url)
            {
                problems.push(TargetFieldProblem {
                    field: TargetField::TargetUrl,
                    message,
                });
            }
            if !token.is_empty()
                && let Err(message) = check_platform_token(token)
            {
                problems.push(TargetFieldProblem {
                    field: TargetField::TargetToken,
                    message,
                });
            }
        }
        problems
    }

    /// Saves the connection's learning platform: the SCIM address and token (the token in
    /// the keychain; none given keeps the stored one), or the folder for CSV files. Each
    /// problem names its field; nothing is saved until every field is right.
    pub fn connect_target(&self, profile: &str, setup: TargetSetup) -> OpResult<TargetSettings> {
        let loaded = self.profile(profile)?;
        let settings = match setup.kind {
            TargetKind::Scim => {
                let url = check_scim_address(setup.url.as_deref().unwrap_or_default())
                    .map_err(|message| OpError::new(ErrorCode::TargetUrl, message))?;
                let settings = TargetSettings {
                    kind: TargetKind::Scim,
                    url: Some(url),
                    path: None,
                };
                if let Some(token) = &setup.token {
                    check_platform_token(token.expose())
                        .map_err(|message| OpError::new(ErrorCode::TargetToken, message))?;
                } else {
                    // Keeping the stored token: it must have been entered for this address.
                    let mut edited = loaded.clone();
                    edited.target = Some(settings.clone());
                    match read_for_profile(self.secrets(), &edited, SecretKind::Target) {
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            return Err(OpError::new(
                                ErrorCode::TargetToken,
                                "Paste the SCIM token your learning platform shows.",
                            ));
                        }
                        Err(SecretUseError::Keychain(error)) => {
                            return Err(OpError::new(ErrorCode::Keychain, error.to_string()));
                        }
                        Err(other) => {
                            return Err(OpError::new(ErrorCode::TargetToken, other.to_string()));
                        }
                    }
                }
                settings
            }
            TargetKind::Csv => {
                let Some(folder) = setup.folder else {
                    return Err(OpError::new(
                        ErrorCode::TargetFolder,
                        "Choose the folder the CSV files go to.",
                    ));
                };
                check_folder(&folder)
                    .map_err(|message| OpError::new(ErrorCode::TargetFolder, message))?;
                TargetSettings {
                    kind: TargetKind::Csv,
                    url: None,
                    path: Some(folder.display().to_string()),
                }
            }
        };
        let saved = self.set_target(&loaded.name, settings)?;
        if let Some(token) = setup.token {
            // Stored bound to the address just saved, so it is sent nowhere else.
            self.store_secret(&loaded.name, SecretTarget::Platform, token.expose())
                .map_err(|error| {
                    OpError::new(
                        error.code,
                        format!("The platform was saved, but its token was not: {error}"),
                    )
                })?;
        }
        saved
            .target
            .ok_or_else(|| OpError::new(ErrorCode::ProfileWrite, "The platform was not saved."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_pasted_with_more_than_the_token_are_refused_without_repeating_it() {
        assert_eq!(
            check_platform_token("  abc.def-123  ").unwrap(),
            "abc.def-123"
        );
        for pasted in [
            "\"abc123\"",
            "'abc123'",
            "“abc123”",
            "Bearer abc123",
            "abc 123",
            "abc\n123",
            "   ",
        ] {
            let message = check_platform_token(pasted).unwrap_err();
            assert!(!message.contains("abc123"), "{message}");
        }
    }

    #[test]
    fn scim_addresses_must_be_https_except_on_this_computer() {
        assert_eq!(
            check_scim_address("https://lms.example.com/scim/v2/").unwrap(),
            "https://lms.example.com/scim/v2"
        );
        assert!(check_scim_address("http://127.0.0.1:9000/scim/v2").is_ok());
        assert!(
            check_scim_address("http://lms.example.com/scim/v2")
                .unwrap_err()
                .contains("https")
        );
        assert!(check_scim_address("lms.example.com").is_err());
        assert!(check_scim_address("").is_err());
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_folder(&dir.path().join("csv")).is_ok());
        assert!(check_folder(Path::new("relative/folder")).is_err());
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let message = check_folder(&file.join("inside")).unwrap_err();
        assert!(message.contains("cannot write"), "{message}");
    }
}
