//! In-app updates (tauri-plugin-updater): where Rollcall looks for a newer version (the
//! project's release `latest.json`, each bundle signed with the project's key, whose public
//! half is `plugins.updater.pubkey` in tauri.conf.json), what the window is told (the version,
//! its date and what changed, or a plain line when the server cannot be reached), and
//! installing on the admin's click: downloaded, its signature verified, installed, then a
//! restart offered; never while a read or sync runs (`Workspace::may_update_now`).
//!
//! Demo mode never reaches out and never changes the installed program: it checks only a
//! test server on this computer named by [`ENDPOINT_ENV`] (with that server's own public key
//! in [`PUBKEY_ENV`]), and "installing" there downloads the bundle and verifies its
//! signature, then stops. Outside demo mode both variables are ignored.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rollcall_core::ops::{ErrorCode, OpError, Workspace};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};

/// Demo mode only: the address of a test update server's `latest.json` on this computer.
pub const ENDPOINT_ENV: &str = "ROLLCALL_UPDATE_ENDPOINT";
/// Demo mode only: the public key that test server's bundles are signed with.
pub const PUBKEY_ENV: &str = "ROLLCALL_UPDATE_PUBKEY";

/// The event the window receives while an update downloads.
pub const UPDATE_PROGRESS_EVENT: &str = "update-progress";

/// How long the check may take before Rollcall says the server could not be reached.
const CHECK_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a download may take in all.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where updates come from, decided once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateSource {
    /// The project's releases, as tauri.conf.json says (`plugins.updater`).
    Releases,
    /// Demo mode pointed at a test server on this computer, with that server's key.
    TestServer { endpoint: String, pubkey: String },
    /// Demo mode without a test server: no check at all.
    Off,
}

impl UpdateSource {
    /// The source for a start in `demo` mode (or not), reading the test variables through
    /// `var` only in demo mode. A test server must be on this computer (`http://127.0.0.1`
    /// or `http://localhost`), so a demo can never be pointed at someone else's.
    pub fn choose(
        demo: bool,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<UpdateSource, String> {
        if !demo {
            return Ok(UpdateSource::Releases);
        }
        let given = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        match (given(ENDPOINT_ENV), given(PUBKEY_ENV)) {
            (None, None) => Ok(UpdateSource::Off),
            (Some(endpoint), Some(pubkey)) => {
                let local = ["http://127.0.0.1:", "http://localhost:"]
                    .iter()
                    .any(|start| endpoint.starts_with(start));
                if local {
                    Ok(UpdateSource::TestServer {
                        endpoint,
                        pubkey: pubkey.trim().to_string(),
                    })
                } else {
                    Err(format!(
                        "{ENDPOINT_ENV} is {endpoint:?}, but in demo mode the update server must be on this computer (http://127.0.0.1:PORT/…). Point it there, or unset it."
                    ))
                }
            }
            _ => Err(format!(
                "Set both {ENDPOINT_ENV} and {PUBKEY_ENV} to try updates in demo mode, or neither."
            )),
        }
    }

    /// Puts a test server into the updater's settings (`plugins.updater` of the app's
    /// configuration) before the app is built: its address, its key, plain HTTP allowed
    /// (it is on this computer), and a signature bound to the version announced.
    pub fn apply(&self, plugins: &mut tauri::utils::config::PluginConfig) {
        let UpdateSource::TestServer { endpoint, pubkey } = self else {
            return;
        };
        let settings = plugins
            .0
            .entry("updater".to_string())
            .or_insert_with(|| serde_json::json!({}));
        if let Some(settings) = settings.as_object_mut() {
            settings.insert("endpoints".into(), serde_json::json!([endpoint]));
            settings.insert("pubkey".into(), serde_json::json!(pubkey));
            settings.insert(
                "dangerousInsecureTransportProtocol".into(),
                serde_json::json!(true),
            );
            settings.insert("requireSignedVersion".into(), serde_json::json!(true));
        }
    }
}

/// What the check found, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpdateCheck {
    /// This is the newest version.
    UpToDate,
    /// A newer version: its number, the day it was published, and what changed.
    Available {
        version: String,
        date: Option<String>,
        notes: String,
    },
    /// The update server could not be reached or read; one plain line, not an error.
    Unreachable { message: String },
    /// No check was made (demo mode without a test server).
    NotChecked,
}

/// What installing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpdateInstalled {
    /// Installed; Rollcall uses it once restarted.
    Installed { version: String },
    /// Demo mode: downloaded and its signature verified, and not installed.
    Verified { version: String, message: String },
}

/// How far the download is.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct UpdateProgress {
    pub downloaded: u64,
    pub total: Option<u64>,
}

/// Managed state: whether to check at all, whether this is a demo, the update the last check
/// found (which is what gets installed), and whether one is being installed now.
pub struct Updates {
    checks: bool,
    demo: bool,
    found: Mutex<Option<Update>>,
    installing: AtomicBool,
}

impl Updates {
    pub fn new(source: &UpdateSource, demo: bool) -> Updates {
        Updates {
            checks: *source != UpdateSource::Off,
            demo,
            found: Mutex::new(None),
            installing: AtomicBool::new(false),
        }
    }

    /// Asks the update server for a newer version; being offline is an answer, not an error.
    pub async fn check<R: Runtime>(&self, app: &AppHandle<R>) -> UpdateCheck {
        if !self.checks {
            return UpdateCheck::NotChecked;
        }
        let updater = match app.updater_builder().timeout(CHECK_TIMEOUT).build() {
            Ok(updater) => updater,
            Err(error) => return unreachable(&error),
        };
        let found = match updater.check().await {
            Ok(found) => found,
            Err(error) => {
                tracing::info!(problem = %error, "no update check");
                return unreachable(&error);
            }
        };
        let answer = found.as_ref().map_or(UpdateCheck::UpToDate, |update| {
            tracing::info!(version = %update.version, "an update is available");
            UpdateCheck::Available {
                version: update.version.clone(),
                date: update.date.map(|date| date.date().to_string()),
                notes: update
                    .body
                    .as_deref()
                    .map(str::trim)
                    .filter(|notes| !notes.is_empty())
                    .unwrap_or("No notes were published with this version.")
                    .to_string(),
            }
        });
        if let Ok(mut slot) = self.found.lock() {
            *slot = found;
        }
        answer
    }

    /// Downloads the update the last check found, verifies its signature and installs it;
    /// refused while a read or sync runs (checked before the download and again before
    /// installing). In demo mode it stops after the signature is verified.
    pub async fn install<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        ws: &Workspace,
    ) -> Result<UpdateInstalled, OpError> {
        ws.may_update_now()?;
        let mut update = self
            .found
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or_else(|| {
                OpError::new(
                    ErrorCode::Update,
                    "There is no update to install. Rollcall looks for one each time it starts.",
                )
            })?;
        let _installing = Installing::begin(&self.installing)?;
        update.timeout = Some(DOWNLOAD_TIMEOUT);
        let version = update.version.clone();
        let bytes = update
            .download(download_progress(app.clone()), || {})
            .await
            .map_err(|error| not_installed(&version, &error))?;
        tracing::info!(version = %version, "update downloaded and its signature verified");
        if self.demo {
            return Ok(UpdateInstalled::Verified {
                message: format!(
                    "Rollcall {version} was downloaded and its signature verified. Demo mode does not install updates, so nothing was changed."
                ),
                version,
            });
        }
        ws.may_update_now()?;
        let installed = version.clone();
        tauri::async_runtime::spawn_blocking(move || update.install(bytes))
            .await
            .map_err(|error| {
                OpError::new(
                    ErrorCode::Update,
                    format!("The update stopped unexpectedly ({error}). Try again."),
                )
            })?
            .map_err(|error| not_installed(&installed, &error))?;
        tracing::info!(version = %version, "update installed");
        Ok(UpdateInstalled::Installed { version })
    }
}

/// Marks an install under way, so a second click does not start a second download.
struct Installing<'a>(&'a AtomicBool);

impl<'a> Installing<'a> {
    fn begin(flag: &'a AtomicBool) -> Result<Installing<'a>, OpError> {
        if flag.swap(true, Ordering::SeqCst) {
            return Err(OpError::new(
                ErrorCode::Update,
                "The update is already being downloaded. Wait for it to finish.",
            ));
        }
        Ok(Installing(flag))
    }
}

impl Drop for Installing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Sends `update-progress` as the download goes, about every 1% (or 256 KiB when the size is
/// not known).
fn download_progress<R: Runtime>(app: AppHandle<R>) -> impl FnMut(usize, Option<u64>) {
    let mut downloaded: u64 = 0;
    let mut reported: u64 = 0;
    move |chunk, total| {
        downloaded += chunk as u64;
        let step = total.map_or(256 * 1024, |total| (total / 100).max(1));
        if downloaded - reported >= step || total == Some(downloaded) {
            reported = downloaded;
            let _ = app.emit(UPDATE_PROGRESS_EVENT, UpdateProgress { downloaded, total });
        }
    }
}

/// Whether the updater refused the bundle because its signature does not hold: bytes changed
/// on the way, no signature, another key, or a signature made for another version.
fn unverified(error: &UpdaterError) -> bool {
    matches!(
        error,
        UpdaterError::Minisign(_)
            | UpdaterError::Base64(_)
            | UpdaterError::SignatureUtf8(_)
            | UpdaterError::SignedVersionMismatch { .. }
            | UpdaterError::MissingSignedVersion
    )
}

/// The admin's sentence for an update that was not installed.
fn not_installed(version: &str, error: &UpdaterError) -> OpError {
    tracing::warn!(version = %version, problem = %error, "update not installed");
    if unverified(error) {
        return OpError::new(
            ErrorCode::UpdateUnverified,
            format!(
                "This update could not be verified and was not installed. The download of Rollcall {version} does not carry a valid signature from the Rollcall project (it may have been changed on the way). Rollcall keeps running as it is; try again later, or install the new version from the project's Releases page."
            ),
        );
    }
    let what = match error {
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => {
            "it could not be downloaded. Check this computer's internet connection, then try again"
                .to_string()
        }
        UpdaterError::AuthenticationFailed | UpdaterError::PackageInstallFailed => {
            "the system did not allow it to be installed (the password prompt was cancelled or refused). Try again and enter an administrator's password".to_string()
        }
        other => format!("it could not be installed ({other}). Try again, or install the new version from the project's Releases page"),
    };
    OpError::new(
        ErrorCode::Update,
        format!("Rollcall {version} was not installed: {what}. Rollcall keeps running as it is."),
    )
}

/// The plain line for a check that found no answer.
fn unreachable(error: &UpdaterError) -> UpdateCheck {
    let message = match error {
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => {
            "Rollcall could not reach its update server (this computer may be offline), so it does not know whether a newer version is out. It looks again the next time it starts.".to_string()
        }
        other => format!(
            "Rollcall could not read what its update server offers ({other}). It looks again the next time it starts."
        ),
    };
    UpdateCheck::Unreachable { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn only_demo_mode_takes_a_test_server_and_only_one_on_this_computer() {
        let test = [
            (ENDPOINT_ENV, "http://127.0.0.1:4321/latest.json"),
            (PUBKEY_ENV, "dGVzdCBrZXk="),
        ];
        assert_eq!(
            UpdateSource::choose(false, vars(&test)).unwrap(),
            UpdateSource::Releases,
            "a normal start ignores the test variables"
        );
        assert_eq!(
            UpdateSource::choose(true, vars(&test)).unwrap(),
            UpdateSource::TestServer {
                endpoint: "http://127.0.0.1:4321/latest.json".into(),
                pubkey: "dGVzdCBrZXk=".into()
            }
        );
        assert_eq!(
            UpdateSource::choose(true, vars(&[])).unwrap(),
            UpdateSource::Off,
            "a demo without a test server never reaches out"
        );
        let elsewhere = UpdateSource::choose(
            true,
            vars(&[
                (ENDPOINT_ENV, "https://updates.example.com/latest.json"),
                (PUBKEY_ENV, "dGVzdCBrZXk="),
            ]),
        )
        .unwrap_err();
        assert!(elsewhere.contains("on this computer"), "{elsewhere}");
        let half = UpdateSource::choose(true, vars(&test[..1])).unwrap_err();
        assert!(half.contains("both"), "{half}");
    }

    #[test]
    fn a_test_server_replaces_the_address_and_key_and_keeps_the_rest() {
        let mut plugins = tauri::utils::config::PluginConfig::default();
        plugins.0.insert(
            "updater".into(),
            serde_json::json!({"pubkey": "release key", "endpoints": ["https://example.invalid/latest.json"], "windows": {"installMode": "passive"}}),
        );
        UpdateSource::TestServer {
            endpoint: "http://127.0.0.1:9/latest.json".into(),
            pubkey: "test key".into(),
        }
        .apply(&mut plugins);
        let updater = &plugins.0["updater"];
        assert_eq!(updater["pubkey"], "test key");
        assert_eq!(
            updater["endpoints"],
            serde_json::json!(["http://127.0.0.1:9/latest.json"])
        );
        assert_eq!(updater["windows"]["installMode"], "passive");
        let mut untouched = plugins.clone();
        UpdateSource::Releases.apply(&mut untouched);
        assert_eq!(untouched.0, plugins.0);
    }

    #[test]
    fn a_bad_signature_is_refused_in_words_and_the_rest_is_said_plainly() {
        for error in [
            UpdaterError::MissingSignedVersion,
            UpdaterError::SignedVersionMismatch {
                signed: "0.1.0".into(),
                announced: "9.0.0".into(),
            },
            UpdaterError::SignatureUtf8("x".into()),
        ] {
            let refused = not_installed("9.0.0", &error);
            assert_eq!(refused.code, ErrorCode::UpdateUnverified);
            assert!(
                refused
                    .message
                    .starts_with("This update could not be verified and was not installed."),
                "{}",
                refused.message
            );
        }
        let offline = not_installed("9.0.0", &UpdaterError::Network("reset".into()));
        assert_eq!(offline.code, ErrorCode::Update);
        assert!(offline.message.contains("could not be downloaded"));
        let UpdateCheck::Unreachable { message } =
            unreachable(&UpdaterError::Network("no route".into()))
        else {
            panic!("being offline is said in a line");
        };
        assert!(message.contains("could not reach its update server"));
    }

    #[test]
    fn the_shipped_settings_name_the_release_feed_and_a_public_key() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        let updater = &config["plugins"]["updater"];
        let endpoint = updater["endpoints"][0].as_str().unwrap();
        assert!(
            endpoint.starts_with("https://github.com/")
                && endpoint.ends_with("/releases/latest/download/latest.json"),
            "{endpoint}"
        );
        let key = updater["pubkey"].as_str().unwrap();
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(key)
            .unwrap();
        assert!(
            String::from_utf8(decoded)
                .unwrap()
                .starts_with("untrusted comment: minisign public key"),
            "the public key is a minisign key as `tauri signer generate` writes it"
        );
        assert_eq!(updater["requireSignedVersion"], true);
    }
}
