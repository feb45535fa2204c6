//! The commands the window may call. Each is a thin adapter: read managed state or call
//! rollcall-core, and turn failures into a [`CommandError`] the UI can show.

use chrono::NaiveDate;
use rollcall_core::check::{self, CheckOptions, CheckReport, ConnectionInput};
use rollcall_core::cloud::{Cloud, PortalLinks};
use rollcall_core::credentials::{
    Field, InputProblem, parse_client_id, parse_secret, parse_tenant,
};
use rollcall_core::data_dir::DataDir;
use rollcall_core::diagnosis::{Diagnosis, catalogue};
use rollcall_core::discovery::discover;
use rollcall_core::network::{HttpSettings, http_client};
use rollcall_core::permissions::REQUIREMENTS;
use rollcall_core::profile::{CloudKey, EntraSettings, Profile, ProfileStore};
use rollcall_core::secret::{Keychain, Secret, SecretKind, SecretStore};
use rollcall_sandbox::AppState;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::demo::DemoTenant;

/// An error as the UI receives it: a stable `code` to branch on and a `message` to show.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

/// What the window needs to know at start: the version and, in demo mode, the made-up
/// organisation it is exploring.
#[derive(Debug, Serialize)]
pub struct AppStatus {
    pub version: &'static str,
    pub demo: Option<DemoStatus>,
}

#[derive(Debug, Serialize)]
pub struct DemoStatus {
    pub tenant_name: String,
    pub tenant_domain: String,
    pub people: usize,
    pub authority_url: String,
}

#[tauri::command]
pub fn app_status(demo: State<'_, Option<DemoTenant>>) -> Result<AppStatus, CommandError> {
    Ok(AppStatus {
        version: env!("CARGO_PKG_VERSION"),
        demo: demo.as_ref().map(|tenant| DemoStatus {
            tenant_name: tenant.info().tenant.name.clone(),
            tenant_domain: tenant.info().tenant.domain.clone(),
            people: tenant.info().users,
            authority_url: tenant.info().authority_url.clone(),
        }),
    })
}

// ---- The connection wizard ----------------------------------------------------------------
//
// The wizard's commands. The client secret only ever arrives here, as a command argument; no
// reply carries it back and nothing here logs it. It is kept only in the keychain.

/// Where saved connections go: profile files in the data directory, secrets in the keychain
/// (demo runs use a keychain service of their own, so demo entries never mix with real ones).
pub struct ConnectionStore {
    pub data_dir: DataDir,
    pub keychain: Keychain,
}

/// The keychain service demo runs file their secrets under.
pub const DEMO_KEYCHAIN_SERVICE: &str = "rollcall-demo";

impl ConnectionStore {
    pub fn new(data_dir: DataDir, demo: bool) -> ConnectionStore {
        let keychain = if demo {
            Keychain::with_service(DEMO_KEYCHAIN_SERVICE)
        } else {
            Keychain::new()
        };
        ConnectionStore { data_dir, keychain }
    }
}

/// A typed value's problem, for the UI to show under that field.
#[derive(Debug, Serialize)]
pub struct FieldProblem {
    /// `tenant`, `client_id`, `secret`, or a custom cloud's `authority_url` or `graph_url`.
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
#[derive(Debug, Serialize)]
pub struct TenantLookup {
    /// The tenant as Rollcall read what was typed.
    pub entered: Option<String>,
    pub tenant_id: Option<String>,
    pub diagnosis: Option<Diagnosis>,
}

/// Admin-center pages for the chosen cloud and app, and the admin-consent page.
#[derive(Debug, Serialize)]
pub struct PortalPages {
    pub admin_center: String,
    #[serde(flatten)]
    pub links: PortalLinks,
    pub admin_consent: Option<String>,
}

/// One permission Rollcall asks for.
#[derive(Debug, Serialize)]
pub struct PermissionNeed {
    pub permission: &'static str,
    pub optional: bool,
    pub enables: &'static str,
}

/// The cloud the admin chose: a named cloud's profile key (`global`, `usgov`, `usgov-dod`,
/// `china`), or `custom` with the sign-in and Graph addresses typed for it. The addresses are
/// read only for `custom`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChosenCloud {
    pub id: String,
    #[serde(default)]
    pub authority_url: Option<String>,
    #[serde(default)]
    pub graph_url: Option<String>,
}

/// A connection as the wizard collected it. Deliberately not `Debug`: it holds the secret.
#[derive(Deserialize)]
pub struct ConnectionRequest {
    pub cloud: ChosenCloud,
    pub tenant: String,
    pub client_id: String,
    pub secret: String,
    pub secret_expires: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct SavedConnection {
    pub name: String,
}

/// An app registration of the demo organisation, with what its admin center would show.
#[derive(Debug, Serialize)]
pub struct DemoApp {
    pub name: String,
    pub client_id: String,
    pub secret: String,
    pub secret_id: String,
    pub state: AppState,
}

/// The values the demo organisation's admin center would show.
#[derive(Debug, Serialize)]
pub struct DemoValues {
    pub tenant_id: String,
    pub tenant_domain: String,
    pub apps: Vec<DemoApp>,
}

/// The cloud the wizard talks to: in demo mode always the demo organisation's sign-in and Graph
/// addresses, otherwise the cloud the admin chose (for `custom`, the addresses they typed, as
/// the engine accepts them).
fn cloud_for(choice: &ChosenCloud, demo: &Option<DemoTenant>) -> Result<Cloud, CommandError> {
    if let Some(tenant) = demo {
        let info = tenant.info();
        return Cloud::custom(&info.authority_url, &info.graph_url).map_err(|error| CommandError {
            code: "demo_cloud",
            message: format!("The demo organisation's addresses were refused: {error}. Restart Rollcall with --demo."),
        });
    }
    if choice.id.trim().eq_ignore_ascii_case("custom") {
        let authority_url = choice.authority_url.as_deref().unwrap_or_default();
        let graph_url = choice.graph_url.as_deref().unwrap_or_default();
        return Cloud::custom(authority_url, graph_url).map_err(|error| CommandError {
            code: "custom_cloud",
            message: format!("{error} Correct it on the Cloud step."),
        });
    }
    Cloud::named(&choice.id).map_err(|error| CommandError {
        code: "unknown_cloud",
        message: error.to_string(),
    })
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

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|text| !text.trim().is_empty())
}

/// Checks the values typed so far (only the ones given); no network. Tenant, client ID and
/// secret are checked once something is typed; a custom cloud's addresses whenever given, so an
/// empty address is reported as missing.
#[tauri::command]
pub fn check_inputs(
    tenant: Option<String>,
    client_id: Option<String>,
    secret: Option<String>,
    authority_url: Option<String>,
    graph_url: Option<String>,
) -> Vec<FieldProblem> {
    let mut problems = custom_address_problems(authority_url.as_deref(), graph_url.as_deref());
    if let Some(Err(problem)) = non_empty(&tenant).map(parse_tenant) {
        problems.push(FieldProblem::from(problem));
    }
    if let Some(Err(problem)) = non_empty(&client_id).map(parse_client_id) {
        problems.push(FieldProblem::from(problem));
    }
    if let Some(Err(problem)) = non_empty(&secret).map(parse_secret) {
        problems.push(FieldProblem::from(problem));
    }
    problems
}

/// Looks a tenant up through its public sign-in metadata; no secret is sent.
#[tauri::command]
pub async fn find_tenant(
    cloud: ChosenCloud,
    tenant: String,
    demo: State<'_, Option<DemoTenant>>,
) -> Result<TenantLookup, CommandError> {
    let cloud = cloud_for(&cloud, &demo)?;
    let links = cloud.links(None);
    let tenant = match parse_tenant(&tenant) {
        Ok(tenant) => tenant,
        Err(problem) => {
            return Ok(TenantLookup {
                entered: None,
                tenant_id: None,
                diagnosis: Some(problem.to_diagnosis(&links)),
            });
        }
    };
    let http = http_client(HttpSettings::default()).map_err(|error| CommandError {
        code: "network_setup",
        message: error.to_string(),
    })?;
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

/// The admin-center pages for the chosen cloud (and app, once its ID reads correctly), and
/// the admin-consent page once tenant and app are known.
#[tauri::command]
pub fn portal_links(
    cloud: ChosenCloud,
    tenant: Option<String>,
    client_id: Option<String>,
    demo: State<'_, Option<DemoTenant>>,
) -> Result<PortalPages, CommandError> {
    let cloud = cloud_for(&cloud, &demo)?;
    let client = non_empty(&client_id).and_then(|id| parse_client_id(id).ok());
    let tenant = non_empty(&tenant).and_then(|tenant| parse_tenant(tenant).ok());
    let client_text = client.map(|id| id.to_string());
    let admin_consent = match (&tenant, &client_text) {
        (Some(tenant), Some(client)) => Some(cloud.admin_consent_url(&tenant.to_string(), client)),
        _ => None,
    };
    Ok(PortalPages {
        admin_center: cloud.admin_center_url(),
        links: cloud.links(client_text.as_deref()),
        admin_consent,
    })
}

/// Every Graph permission Rollcall asks for and what it enables.
#[tauri::command]
pub fn permission_needs() -> Vec<PermissionNeed> {
    REQUIREMENTS
        .iter()
        .map(|requirement| PermissionNeed {
            permission: requirement.permission,
            optional: requirement.optional,
            enables: requirement.enables,
        })
        .collect()
}

/// Signs in as the app and tries the reads Rollcall needs; the verdict is the `check` report.
#[tauri::command]
pub async fn check_connection(
    connection: ConnectionRequest,
    demo: State<'_, Option<DemoTenant>>,
) -> Result<CheckReport, CommandError> {
    let cloud = cloud_for(&connection.cloud, &demo)?;
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
    // The check's future is not provably `Send`, so it runs on a blocking thread of the same
    // runtime rather than as the command's own future.
    tauri::async_runtime::spawn_blocking(move || {
        tauri::async_runtime::handle().block_on(async move {
            check::check_connection(&input, &CheckOptions::default()).await
        })
    })
    .await
    .map_err(|error| CommandError {
        code: "check_stopped",
        message: format!("The connection check stopped unexpectedly ({error}). Click Check again."),
    })
}

/// The profile a connection is saved as: its cloud (with the addresses of a custom cloud),
/// tenant, app and secret expiry; no secret.
fn profile_for(
    name: &str,
    connection: &ConnectionRequest,
    cloud: &Cloud,
) -> Result<Profile, CommandError> {
    let cloud_key = match cloud {
        Cloud::Global => CloudKey::Global,
        Cloud::UsGov => CloudKey::Usgov,
        Cloud::UsGovDod => CloudKey::UsgovDod,
        Cloud::China => CloudKey::China,
        Cloud::Custom(_) => CloudKey::Custom,
    };
    let custom = matches!(cloud, Cloud::Custom(_));
    let entra = EntraSettings {
        cloud: cloud_key,
        tenant: connection.tenant.trim().to_string(),
        client_id: connection.client_id.trim().to_string(),
        authority_url: custom.then(|| cloud.authority_url()),
        graph_url: custom.then(|| cloud.graph_url()),
        secret_expires: connection.secret_expires,
    };
    Profile::new(name.trim(), entra).map_err(|error| CommandError {
        code: "profile",
        message: error.to_string(),
    })
}

/// Saves the connection: the secret into the keychain, then the profile (switched off) into
/// the data directory. Nothing is left half-saved.
#[tauri::command]
pub fn save_connection(
    name: String,
    connection: ConnectionRequest,
    demo: State<'_, Option<DemoTenant>>,
    store: State<'_, ConnectionStore>,
) -> Result<SavedConnection, CommandError> {
    let cloud = cloud_for(&connection.cloud, &demo)?;
    let secret = parse_secret(&connection.secret).map_err(|problem| CommandError {
        code: "secret",
        message: problem.to_string(),
    })?;
    let profile = ProfileStore::new(&store.data_dir).with_existing_choices(profile_for(
        &name,
        &connection,
        &cloud,
    )?);
    store
        .keychain
        .store(&profile.name, SecretKind::Graph, &secret)
        .map_err(|error| CommandError {
            code: "keychain",
            message: format!(
                "Rollcall could not put the client secret into this computer's keychain: {error}"
            ),
        })?;
    if let Err(error) = store
        .data_dir
        .ensure()
        .map_err(|error| error.to_string())
        .and_then(|_| {
            ProfileStore::new(&store.data_dir)
                .save(&profile)
                .map_err(|error| error.to_string())
        })
    {
        let _ = store.keychain.delete(&profile.name, SecretKind::Graph);
        return Err(CommandError {
            code: "profile",
            message: format!("Rollcall could not save the connection: {error}"),
        });
    }
    Ok(SavedConnection { name: profile.name })
}

/// Every problem the connection check can report, with its fix.
#[tauri::command]
pub fn troubleshooting(
    cloud: ChosenCloud,
    demo: State<'_, Option<DemoTenant>>,
) -> Result<Vec<Diagnosis>, CommandError> {
    let cloud = cloud_for(&cloud, &demo).unwrap_or(Cloud::Global);
    let consent = cloud.admin_consent_url("organizations", "your-app-id");
    Ok(catalogue(&cloud.links(None), &consent))
}

/// The demo organisation's tenant and apps, for the "Demo values" panel; `None` outside demo.
#[tauri::command]
pub fn demo_values(demo: State<'_, Option<DemoTenant>>) -> Option<DemoValues> {
    demo.as_ref().map(|tenant| {
        let info = tenant.info();
        DemoValues {
            tenant_id: info.tenant.id.clone(),
            tenant_domain: info.tenant.domain.clone(),
            apps: info
                .apps
                .iter()
                .map(|app| DemoApp {
                    name: app.name.clone(),
                    client_id: app.client_id.clone(),
                    secret: app.secret.clone(),
                    secret_id: app.secret_id.clone(),
                    state: app.state,
                })
                .collect(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reaches_the_ui_with_the_field_names_it_reads() {
        let status = AppStatus {
            version: "1.0.0",
            demo: Some(DemoStatus {
                tenant_name: "Northwind Academy".into(),
                tenant_domain: "northwind.example".into(),
                people: 250,
                authority_url: "http://127.0.0.1:8400".into(),
            }),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "version": "1.0.0",
                "demo": {
                    "tenant_name": "Northwind Academy",
                    "tenant_domain": "northwind.example",
                    "people": 250,
                    "authority_url": "http://127.0.0.1:8400"
                }
            })
        );
        let real = serde_json::to_value(AppStatus {
            version: "1.0.0",
            demo: None,
        })
        .unwrap();
        assert_eq!(real["demo"], serde_json::Value::Null);
    }

    #[test]
    fn errors_reach_the_ui_as_code_and_message() {
        let error = CommandError {
            code: "data_dir",
            message: "Rollcall could not create its data folder.".into(),
        };
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"code": "data_dir", "message": "Rollcall could not create its data folder."})
        );
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
        check_inputs(
            None,
            None,
            None,
            authority_url.map(str::to_string),
            graph_url.map(str::to_string),
        )
        .into_iter()
        .map(|problem| (problem.field, problem.message))
        .collect()
    }

    #[test]
    fn the_cloud_choice_arrives_in_the_shape_the_window_sends() {
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
        assert_eq!(cloud_for(&named, &None).unwrap(), Cloud::UsGov);
    }

    #[test]
    fn custom_addresses_are_the_cloud_every_command_talks_to() {
        let cloud = cloud_for(
            &chosen(
                "custom",
                Some("http://127.0.0.1:8400/"),
                Some(" http://localhost:8401 "),
            ),
            &None,
        )
        .unwrap();
        assert_eq!(cloud.authority_url(), "http://127.0.0.1:8400");
        assert_eq!(cloud.graph_url(), "http://localhost:8401");
        assert!(
            cloud
                .admin_center_url()
                .starts_with("http://127.0.0.1:8400")
        );

        // A named cloud ignores addresses left over from an earlier choice.
        let named = cloud_for(&chosen("global", Some("ftp://x"), Some("ftp://y")), &None).unwrap();
        assert_eq!(named, Cloud::Global);
    }

    #[test]
    fn refused_custom_addresses_stop_the_command_with_the_engines_reason() {
        let error = cloud_for(
            &chosen(
                "custom",
                Some("http://example.com"),
                Some("http://127.0.0.1:8401"),
            ),
            &None,
        )
        .unwrap_err();
        assert_eq!(error.code, "custom_cloud");
        assert!(
            error
                .message
                .contains("uses plain http on another computer"),
            "{}",
            error.message
        );
        assert!(error.message.ends_with("Correct it on the Cloud step."));

        let missing = cloud_for(&chosen("custom", None, None), &None).unwrap_err();
        assert_eq!(missing.code, "custom_cloud");
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
        let cloud = cloud_for(&connection.cloud, &None).unwrap();
        let profile = profile_for("lab", &connection, &cloud).unwrap();
        let text = profile.to_toml().unwrap();
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

        let worldwide = ConnectionRequest {
            cloud: chosen("global", Some("http://127.0.0.1:8400"), None),
            ..connection
        };
        let text = profile_for("contoso", &worldwide, &Cloud::Global)
            .unwrap()
            .to_toml()
            .unwrap();
        assert!(text.contains("cloud = \"global\""), "{text}");
        assert!(!text.contains("authority_url"), "{text}");
    }
}
