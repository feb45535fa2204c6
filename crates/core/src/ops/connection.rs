//! The connection wizard's operations: checking what was typed, finding the tenant, the
//! admin-center pages, the permissions Rollcall asks for, the connection check and saving the
//! connection (secret into the keychain, profile into the data folder).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Endpoints, ErrorCode, OpError, OpResult, Workspace, profile_error};
use crate::check::{self, CheckOptions, CheckReport, ConnectionInput};
use crate::cloud::{Cloud, PortalLinks};
use crate::credentials::{Field, InputProblem, parse_client_id, parse_secret, parse_tenant};
use crate::diagnosis::{Diagnosis, catalogue};
use crate::discovery::discover;
use crate::network::http_client;
use crate::permissions::REQUIREMENTS;
use crate::profile::{CloudKey, EntraSettings, Profile};
use crate::secret::{Secret, SecretKind};

/// The cloud the admin chose: a named cloud's profile key (`global`, `usgov`, `usgov-dod`,
/// `china`), or `custom` with the sign-in and Graph addresses typed for it. The addresses are
/// read only for `custom`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ts_rs::TS)]
pub struct ChosenCloud {
    pub id: String,
    #[serde(default)]
    pub authority_url: Option<String>,
    #[serde(default)]
    pub graph_url: Option<String>,
}

/// A connection as the wizard collected it. Deliberately not `Debug` or `Serialize`: it
/// holds the secret, which goes only to Entra and the keychain.
#[derive(Deserialize, ts_rs::TS)]
pub struct ConnectionRequest {
    pub cloud: ChosenCloud,
    pub tenant: String,
    pub client_id: String,
    pub secret: String,
    pub secret_expires: Option<NaiveDate>,
}

/// The values typed so far, each checked once something is typed (a custom cloud's
/// addresses whenever given, so an empty address is reported as missing).
#[derive(Default, Deserialize)]
pub struct InputsToCheck {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub secret: Option<String>,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
}

/// A typed value's problem, for the UI to show under that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FieldProblem {
    /// `tenant`, `client_id`, `secret`, or a custom cloud's `authority_url` or `graph_url`.
    #[ts(type = "'tenant' | 'client_id' | 'secret' | 'authority_url' | 'graph_url'")]
    pub field: &'static str,
    pub message: String,
    pub fix: String,
}

impl From<InputProblem> for FieldProblem {
    fn from(problem: InputProblem) -> FieldProblem {
        FieldProblem {
            field: match problem.field {
                Field::Tenant => "tenant",
                Field::ClientId => "client_id",
                Field::Secret => "secret",
            },
            message: problem.message,
            fix: problem.fix,
        }
    }
}

/// The answer to "does this tenant exist?".
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct TenantLookup {
    /// The tenant as Rollcall read what was typed.
    pub entered: Option<String>,
    pub tenant_id: Option<String>,
    pub diagnosis: Option<Diagnosis>,
}

/// Admin-center pages for the chosen cloud and app, and the admin-consent page.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct PortalPages {
    pub admin_center: String,
    #[serde(flatten)]
    pub links: PortalLinks,
    pub admin_consent: Option<String>,
}

/// One permission Rollcall asks for.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct PermissionNeed {
    pub permission: &'static str,
    pub optional: bool,
    pub enables: &'static str,
}

/// The name a connection was saved under.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SavedConnection {
    pub name: String,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|text| !text.trim().is_empty())
}

/// Problems with the addresses of a custom cloud, each judged by the engine on its own: the
/// address is paired with the worldwide cloud's counterpart, which the engine always accepts,
/// so a refusal is about the typed address alone. An empty address is checked too.
fn custom_address_problems(
    authority_url: Option<&str>,
    graph_url: Option<&str>,
) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if let Some(Err(error)) =
        authority_url.map(|authority| Cloud::custom(authority, &Cloud::Global.graph_url()))
    {
        problems.push(FieldProblem {
            field: "authority_url",
            message: error.to_string(),
            fix: "Enter the sign-in address in full, such as https://login.example.com. Plain http works only for a server on this computer (127.0.0.1, localhost or [::1]).".to_string(),
        });
    }
    if let Some(Err(error)) =
        graph_url.map(|graph| Cloud::custom(&Cloud::Global.authority_url(), graph))
    {
        problems.push(FieldProblem {
            field: "graph_url",
            message: error.to_string(),
            fix: "Enter the Microsoft Graph address in full, such as https://graph.example.com. Plain http works only for a server on this computer (127.0.0.1, localhost or [::1]).".to_string(),
        });
    }
    problems
}

/// The cloud-key a profile records for a cloud.
fn cloud_key(cloud: &Cloud) -> CloudKey {
    match cloud {
        Cloud::Global => CloudKey::Global,
        Cloud::UsGov => CloudKey::Usgov,
        Cloud::UsGovDod => CloudKey::UsgovDod,
        Cloud::China => CloudKey::China,
        Cloud::Custom(_) => CloudKey::Custom,
    }
}

impl Workspace {
    /// The cloud the wizard talks to: the pinned one (demo mode), otherwise the cloud the
    /// admin chose (for `custom`, the addresses they typed, as the engine accepts them).
    pub fn cloud(&self, choice: &ChosenCloud) -> OpResult<Cloud> {
        if let Endpoints::Pinned(cloud) = &self.endpoints {
            return Ok(cloud.clone());
        }
        if choice.id.trim().eq_ignore_ascii_case("custom") {
            let authority_url = choice.authority_url.as_deref().unwrap_or_default();
            let graph_url = choice.graph_url.as_deref().unwrap_or_default();
            return Cloud::custom(authority_url, graph_url).map_err(|error| {
                OpError::new(
                    ErrorCode::Cloud,
                    format!("{error} Correct it on the Cloud step."),
                )
            });
        }
        Cloud::named(&choice.id).map_err(|error| OpError::new(ErrorCode::Cloud, error.to_string()))
    }

    /// Checks the values typed so far (only the ones given); no network.
    pub fn check_inputs(&self, inputs: &InputsToCheck) -> Vec<FieldProblem> {
        let mut problems =
            custom_address_problems(inputs.authority_url.as_deref(), inputs.graph_url.as_deref());
        if let Some(Err(problem)) = non_empty(&inputs.tenant).map(parse_tenant) {
            problems.push(FieldProblem::from(problem));
        }
        if let Some(Err(problem)) = non_empty(&inputs.client_id).map(parse_client_id) {
            problems.push(FieldProblem::from(problem));
        }
        if let Some(Err(problem)) = non_empty(&inputs.secret).map(parse_secret) {
            problems.push(FieldProblem::from(problem));
        }
        problems
    }

    /// Looks a tenant up through its public sign-in metadata; no secret is sent.
    pub async fn find_tenant(&self, cloud: &ChosenCloud, tenant: &str) -> OpResult<TenantLookup> {
        let cloud = self.cloud(cloud)?;
        let links = cloud.links(None);
        let tenant = match parse_tenant(tenant) {
            Ok(tenant) => tenant,
            Err(problem) => {
                return Ok(TenantLookup {
                    entered: None,
                    tenant_id: None,
                    diagnosis: Some(problem.to_diagnosis(&links)),
                });
            }
        };
        let http = http_client(self.http)
            .map_err(|error| OpError::new(ErrorCode::Connect, error.to_string()))?;
        Ok(match discover(&http, &cloud, &tenant, &links).await {
            Ok(found) => TenantLookup {
                entered: Some(tenant.to_string()),
                tenant_id: Some(found.tenant_id.hyphenated().to_string()),
                diagnosis: None,
            },
            Err(diagnosis) => TenantLookup {
                entered: Some(tenant.to_string()),
                tenant_id: None,
                diagnosis: Some(diagnosis),
            },
        })
    }

    /// The admin-center pages for the chosen cloud (and app, once its ID reads correctly),
    /// and the admin-consent page once tenant and app are known.
    pub fn portal_links(
        &self,
        cloud: &ChosenCloud,
        tenant: Option<String>,
        client_id: Option<String>,
    ) -> OpResult<PortalPages> {
        let cloud = self.cloud(cloud)?;
        let client = non_empty(&client_id).and_then(|id| parse_client_id(id).ok());
        let tenant = non_empty(&tenant).and_then(|tenant| parse_tenant(tenant).ok());
        let client_text = client.map(|id| id.to_string());
        let admin_consent = match (&tenant, &client_text) {
            (Some(tenant), Some(client)) => {
                Some(cloud.admin_consent_url(&tenant.to_string(), client))
            }
            _ => None,
        };
        Ok(PortalPages {
            admin_center: cloud.admin_center_url(),
            links: cloud.links(client_text.as_deref()),
            admin_consent,
        })
    }

    /// Every Graph permission Rollcall asks for and what it enables.
    pub fn permission_needs(&self) -> Vec<PermissionNeed> {
        REQUIREMENTS
            .iter()
            .map(|requirement| PermissionNeed {
                permission: requirement.permission,
                optional: requirement.optional,
                enables: requirement.enables,
            })
            .collect()
    }

    fn check_options(&self) -> CheckOptions {
        CheckOptions {
            http: self.http,
            clock: self.clock.clone(),
        }
    }

    /// Signs in as the app the wizard collected and tries the reads Rollcall needs.
    pub async fn check_connection(&self, connection: ConnectionRequest) -> OpResult<CheckReport> {
        let cloud = self.cloud(&connection.cloud)?;
        let secret = Some(connection.secret)
            .filter(|secret| !secret.trim().is_empty())
            .map(Secret::new);
        let input = ConnectionInput {
            cloud,
            tenant: connection.tenant,
            client_id: connection.client_id,
            secret,
            secret_expires: connection.secret_expires,
            probe_group: None,
        };
        Ok(check::check_connection(&input, &self.check_options()).await)
    }

    /// Checks a saved connection with its stored secret, and its learning platform when one
    /// is configured (its findings join the report's).
    pub async fn check_profile(&self, name: &str) -> OpResult<CheckReport> {
        let profile = self.profile(name)?;
        let mut report =
            check::check_profile(&profile, self.secrets(), &self.check_options()).await;
        let platform = self.check_target(&profile.name).await?;
        if platform
            .iter()
            .any(|diagnosis| diagnosis.severity == crate::diagnosis::Severity::Error)
        {
            report.ok = false;
        }
        report.diagnoses.extend(platform);
        report
            .diagnoses
            .sort_by_key(|diagnosis| std::cmp::Reverse(diagnosis.severity));
        let findings: Vec<&str> = report.diagnoses.iter().map(|d| d.code.as_str()).collect();
        tracing::info!(profile = %profile.name, ok = report.ok, ?findings, "connection checked");
        Ok(report)
    }

    /// Saves the connection: the secret into the keychain, then the profile (switched off,
    /// keeping the groups, platform and limits a profile of that name already chose) into
    /// the data folder. When the profile cannot be written, the secret that was stored
    /// before is put back, so a connection that worked keeps working.
    pub fn save_connection(
        &self,
        name: &str,
        connection: &ConnectionRequest,
    ) -> OpResult<SavedConnection> {
        let cloud = self.cloud(&connection.cloud)?;
        let secret = parse_secret(&connection.secret)
            .map_err(|problem| OpError::new(ErrorCode::SecretInvalid, problem.to_string()))?;
        let custom = matches!(cloud, Cloud::Custom(_));
        let entra = EntraSettings {
            cloud: cloud_key(&cloud),
            tenant: connection.tenant.trim().to_string(),
            client_id: connection.client_id.trim().to_string(),
            authority_url: custom.then(|| cloud.authority_url()),
            graph_url: custom.then(|| cloud.graph_url()),
            secret_expires: connection.secret_expires,
        };
        let fresh = Profile::new(name.trim(), entra).map_err(profile_error)?;
        let profile = self.profiles().with_existing_choices(fresh);
        let keychain_error = |error: crate::secret::KeychainError| {
            OpError::new(
                ErrorCode::Keychain,
                format!(
                    "Rollcall could not put the client secret into this computer's keychain: {error}"
                ),
            )
        };
        let previous = self
            .secrets
            .read(&profile.name, SecretKind::Graph)
            .map_err(keychain_error)?;
        crate::secret::store_for_profile(self.secrets(), &profile, SecretKind::Graph, &secret)
            .map_err(|error| match error {
                crate::secret::SecretUseError::Keychain(error) => keychain_error(error),
                other => OpError::new(ErrorCode::ProfileInvalid, other.to_string()),
            })?;
        let saved = self
            .data_dir
            .ensure()
            .map_err(|error| error.to_string())
            .and_then(|_| {
                self.profiles()
                    .save(&profile)
                    .map_err(|error| error.to_string())
            });
        if let Err(error) = saved {
            let _ = match previous {
                Some(previous) => self
                    .secrets
                    .store(&profile.name, SecretKind::Graph, &previous),
                None => self
                    .secrets
                    .delete(&profile.name, SecretKind::Graph)
                    .map(|_| ()),
            };
            return Err(OpError::new(
                ErrorCode::ProfileWrite,
                format!("Rollcall could not save the connection: {error}"),
            ));
        }
        Ok(SavedConnection { name: profile.name })
    }

    /// Every problem the connection check can report, with its fix.
    pub fn troubleshooting(&self, cloud: &ChosenCloud) -> Vec<Diagnosis> {
        let cloud = self.cloud(cloud).unwrap_or(Cloud::Global);
        let consent = cloud.admin_consent_url("organizations", "your-app-id");
        catalogue(&cloud.links(None), &consent)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data_dir::{DataDir, Mode};
    use crate::secret::{MemoryKeychain, SecretStore, read_for_profile};

    fn workspace(folder: &std::path::Path) -> (Workspace, Arc<MemoryKeychain>) {
        let secrets = Arc::new(MemoryKeychain::new());
        let data_dir = DataDir::at(folder.to_path_buf(), Mode::Real);
        (Workspace::new(data_dir, secrets.clone()), secrets)
    }

    fn plain() -> (Workspace, tempfile::TempDir) {
        let folder = tempfile::tempdir().unwrap();
        (workspace(folder.path()).0, folder)
    }

    fn chosen(id: &str, authority_url: Option<&str>, graph_url: Option<&str>) -> ChosenCloud {
        ChosenCloud {
            id: id.to_string(),
            authority_url: authority_url.map(str::to_string),
            graph_url: graph_url.map(str::to_string),
        }
    }

    fn address_problems(
        authority_url: Option<&str>,
        graph_url: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        let (ws, _folder) = plain();
        ws.check_inputs(&InputsToCheck {
            authority_url: authority_url.map(str::to_string),
            graph_url: graph_url.map(str::to_string),
            ..InputsToCheck::default()
        })
        .into_iter()
        .map(|problem| (problem.field, problem.message))
        .collect()
    }

    #[test]
    fn the_cloud_choice_arrives_in_the_shape_the_window_sends() {
        let (ws, _folder) = plain();
        let custom: ChosenCloud = serde_json::from_value(serde_json::json!({
            "id": "custom",
            "authority_url": "http://127.0.0.1:8400",
            "graph_url": "http://127.0.0.1:8401"
        }))
        .unwrap();
        assert_eq!(
            custom.authority_url.as_deref(),
            Some("http://127.0.0.1:8400")
        );
        assert_eq!(custom.graph_url.as_deref(), Some("http://127.0.0.1:8401"));
        let named: ChosenCloud =
            serde_json::from_value(serde_json::json!({"id": "usgov"})).unwrap();
        assert_eq!(ws.cloud(&named).unwrap(), Cloud::UsGov);
    }

    #[test]
    fn custom_addresses_are_the_cloud_every_operation_talks_to() {
        let (ws, _folder) = plain();
        let cloud = ws
            .cloud(&chosen(
                "custom",
                Some("http://127.0.0.1:8400/"),
                Some(" http://localhost:8401 "),
            ))
            .unwrap();
        assert_eq!(cloud.authority_url(), "http://127.0.0.1:8400");
        assert_eq!(cloud.graph_url(), "http://localhost:8401");
        assert!(
            cloud
                .admin_center_url()
                .starts_with("http://127.0.0.1:8400")
        );

        // A named cloud ignores addresses left over from an earlier choice.
        let named = ws
            .cloud(&chosen("global", Some("ftp://x"), Some("ftp://y")))
            .unwrap();
        assert_eq!(named, Cloud::Global);
    }

    #[test]
    fn pinned_endpoints_win_over_the_choice() {
        let (ws, _folder) = plain();
        let demo = Cloud::custom("http://127.0.0.1:9", "http://127.0.0.1:9").unwrap();
        let ws = ws.with_endpoints(Endpoints::Pinned(demo));
        let cloud = ws.cloud(&chosen("global", None, None)).unwrap();
        assert_eq!(cloud.graph_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn refused_custom_addresses_stop_the_operation_with_the_engines_reason() {
        let (ws, _folder) = plain();
        let error = ws
            .cloud(&chosen(
                "custom",
                Some("http://example.com"),
                Some("http://127.0.0.1:8401"),
            ))
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Cloud);
        assert!(
            error
                .message
                .contains("uses plain http on another computer"),
            "{}",
            error.message
        );
        assert!(error.message.ends_with("Correct it on the Cloud step."));

        let missing = ws.cloud(&chosen("custom", None, None)).unwrap_err();
        assert_eq!(missing.code, ErrorCode::Cloud);
        assert!(missing.message.contains("is not a web address"));
    }

    #[test]
    fn each_custom_address_is_judged_on_its_own() {
        // The exact wording the window shows; the UI's test double repeats it.
        assert_eq!(
            address_problems(Some("http://example.com"), Some("https://graph.example.com")),
            vec![("authority_url", "The authority_url http://example.com uses plain http on another computer, which would send the secret unprotected. Use https, or http only on this computer (127.0.0.1, localhost or [::1]).".to_string())]
        );
        assert_eq!(
            address_problems(Some("http://127.0.0.1:8400"), Some("ftp://x")),
            vec![("graph_url", "The graph_url ftp://x must start with https:// (or http:// on this computer only).".to_string())]
        );
        assert_eq!(
            address_problems(Some(""), Some("")),
            vec![
                ("authority_url", "The authority_url \"\" is not a web address. Enter it in full, for example https://login.example.com.".to_string()),
                ("graph_url", "The graph_url \"\" is not a web address. Enter it in full, for example https://login.example.com.".to_string()),
            ]
        );
        assert!(
            address_problems(Some("http://[::1]:8400"), Some("http://localhost:8401")).is_empty()
        );
        // Addresses not given are not checked, so the ID fields can be checked alone.
        assert!(address_problems(None, None).is_empty());
    }

    #[test]
    fn a_custom_connection_is_saved_with_its_addresses() {
        let folder = tempfile::tempdir().unwrap();
        let (ws, secrets) = workspace(folder.path());
        let connection = ConnectionRequest {
            cloud: chosen(
                "custom",
                Some("http://127.0.0.1:8400"),
                Some("http://127.0.0.1:8401/"),
            ),
            tenant: " northwind.example ".into(),
            client_id: "66666666-7777-8888-9999-000000000000".into(),
            secret: "abc~DEF.ghi_JKL-mno0123456789".into(),
            secret_expires: None,
        };
        let cloud = ws.cloud(&connection.cloud).unwrap();
        ws.save_connection("lab", &connection).unwrap();
        let text = ws.export_profile("lab").unwrap();
        assert!(text.contains("cloud = \"custom\""), "{text}");
        assert!(
            text.contains("authority_url = \"http://127.0.0.1:8400\""),
            "{text}"
        );
        assert!(
            text.contains("graph_url = \"http://127.0.0.1:8401\""),
            "{text}"
        );
        assert!(
            !text.contains("abc~DEF"),
            "the secret must not reach the profile: {text}"
        );
        assert_eq!(Profile::parse(&text).unwrap().cloud().unwrap(), cloud);
        assert_eq!(
            read_for_profile(
                secrets.as_ref(),
                &ws.profile("lab").unwrap(),
                SecretKind::Graph
            )
            .unwrap()
            .unwrap()
            .expose(),
            "abc~DEF.ghi_JKL-mno0123456789",
            "the secret is in the keychain"
        );
        assert!(!ws.profile("lab").unwrap().enabled, "saved switched off");

        let worldwide = ConnectionRequest {
            cloud: chosen("global", Some("http://127.0.0.1:8400"), None),
            ..connection
        };
        ws.save_connection("contoso", &worldwide).unwrap();
        let text = ws.export_profile("contoso").unwrap();
        assert!(text.contains("cloud = \"global\""), "{text}");
        assert!(!text.contains("authority_url"), "{text}");
    }

    #[test]
    fn a_failed_save_keeps_the_secret_that_worked_before() {
        let folder = tempfile::tempdir().unwrap();
        let (ws, secrets) = workspace(folder.path());
        let request = ConnectionRequest {
            cloud: chosen("global", None, None),
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "00000000-0000-0000-0000-000000000001".into(),
            secret: "abc8Q~firstSecretValueThatWorks0000000000".into(),
            secret_expires: None,
        };
        ws.save_connection("contoso", &request).unwrap();
        // The profiles folder becomes a file: the next save cannot write the profile.
        let profiles = ws.data_dir().profiles();
        std::fs::remove_dir_all(&profiles).unwrap();
        std::fs::write(&profiles, "not a folder").unwrap();
        let second = ConnectionRequest {
            secret: "xyz8Q~secondSecretValueNeverSaved00000000".into(),
            ..request
        };
        let error = ws.save_connection("contoso", &second).unwrap_err();
        assert_eq!(error.code, ErrorCode::ProfileWrite);
        let kept = secrets.read("contoso", SecretKind::Graph).unwrap().unwrap();
        assert!(
            kept.expose()
                .contains("abc8Q~firstSecretValueThatWorks0000000000"),
            "the first secret is still stored"
        );
        assert!(!kept.expose().contains("secondSecretValue"));
    }
}
