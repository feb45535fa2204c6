//! The window and the command line report the same outcome for the same situation: each
//! case runs once through the CLI command and once through the window's command (over the
//! real IPC, on Tauri's mock runtime), against one sandbox on 127.0.0.1 and one workspace.

use std::sync::Arc;
use std::time::Duration;

use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::graph::RetryPolicy;
use rollcall_core::ops::{ChosenCloud, ConnectionRequest, Workspace};
use rollcall_core::schedule::{MemoryScheduler, ScheduleSettings};
use rollcall_core::secret::MemoryKeychain;
use rollcall_sandbox::{AppState, Dataset, Faults, Sandbox, SandboxOptions};
use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::commands;
use crate::demo::DemoTenant;

const WRONG_SECRET: &str = "xyz1Q~thisIsNotTheSecretOfThisAppAtAll00";

struct Hosts {
    sandbox: Sandbox,
    ws: Workspace,
    /// The operating system's scheduler, in memory: nothing here registers with this computer.
    scheduler: Arc<MemoryScheduler>,
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _folder: tempfile::TempDir,
}

fn hosts() -> Hosts {
    let sandbox = tauri::async_runtime::block_on(Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    }))
    .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let scheduler = Arc::new(MemoryScheduler::new());
    let ws = Workspace::new(
        DataDir::at(folder.path().to_path_buf(), Mode::Real),
        Arc::new(MemoryKeychain::new()),
    )
    .with_retry_policy(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
    })
    .with_scheduler(scheduler.clone());
    let app = mock_builder()
        .manage(ws.clone())
        .manage(commands::ChosenExports::default())
        .manage(commands::ChosenFolders::default())
        .manage(commands::StartupRepair::default())
        .manage(None::<DemoTenant>)
        .invoke_handler(commands::handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Hosts {
        sandbox,
        ws,
        scheduler,
        _app: app,
        window,
        _folder: folder,
    }
}

impl Hosts {
    fn connection(&self, secret: Option<&str>) -> ConnectionRequest {
        let info = self.sandbox.info();
        let app = info
            .apps
            .iter()
            .find(|app| app.state == AppState::Healthy)
            .unwrap();
        ConnectionRequest {
            cloud: ChosenCloud {
                id: "custom".into(),
                authority_url: Some(info.authority_url.clone()),
                graph_url: Some(info.graph_url.clone()),
            },
            tenant: info.tenant.domain.clone(),
            client_id: app.client_id.clone(),
            secret: secret.unwrap_or(&app.secret).to_string(),
            secret_expires: None,
        }
    }

    fn connection_json(&self, secret: Option<&str>) -> Value {
        let connection = self.connection(secret);
        json!({
            "cloud": connection.cloud,
            "tenant": connection.tenant,
            "client_id": connection.client_id,
            "secret": connection.secret,
            "secret_expires": null,
        })
    }

    /// Saves the connection "school" choosing `include` (group IDs).
    fn save(&self, secret: Option<&str>, include: &[String]) {
        self.ws
            .save_connection("school", &self.connection(secret))
            .unwrap();
        let mut profile = self.ws.profile("school").unwrap();
        profile.scope.include_groups = include.to_vec();
        let text = profile.to_toml().unwrap();
        std::fs::write(self.ws.data_dir().profiles().join("school.toml"), text).unwrap();
    }

    /// The command line: its exit status and its `--json` answer.
    fn cli(&self, args: &[&str]) -> (u8, Value) {
        let mut all = vec!["rollcall"];
        all.extend_from_slice(args);
        all.push("--json");
        let mut out = Vec::new();
        let status = rollcall_cli::run_in(all, &self.ws, &mut out);
        let json = serde_json::from_slice(&out).unwrap_or(Value::Null);
        (status, json)
    }

    /// The window: a command over IPC, its reply or its `{code, message}`.
    fn window(&self, command: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: command.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&self.window, request)
            .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn window_preview(&self, include: &[String]) -> Value {
        self.window(
            "read_preview",
            json!({"profile": "school", "choice": {"include": include, "exclude": [], "nested": true, "guests": false}}),
        )
        .unwrap()
    }
}

/// A preview without the moment it was read, which differs between two reads.
fn comparable(mut preview: Value) -> Value {
    if let Some(object) = preview.as_object_mut() {
        object.remove("readAt");
    }
    preview
}

#[test]
fn an_interrupted_read_is_reported_the_same_way() {
    let hosts = hosts();
    let staff = vec![hosts.sandbox.control().group_id("Teaching Staff").unwrap()];
    hosts.save(None, &staff);
    let (status, complete) = hosts.cli(&["preview", "school"]);
    assert_eq!(status, 0, "{complete:#}");
    assert_eq!(complete["complete"], true);
    assert_eq!(
        comparable(hosts.window_preview(&staff)),
        comparable(complete.clone())
    );

    hosts
        .sandbox
        .control()
        .set_faults(Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        })
        .unwrap();
    let (status, cli) = hosts.cli(&["preview", "school"]);
    let window = hosts.window_preview(&staff);
    assert_eq!(status, 1, "an incomplete read is a problem found");
    assert_eq!(cli["complete"], false);
    assert!(
        cli["readError"]
            .as_str()
            .is_some_and(|text| !text.is_empty())
    );
    assert_eq!(
        cli["users"], complete["users"],
        "the last complete read is kept"
    );
    assert_eq!(comparable(window), comparable(cli));
}

#[test]
fn a_missing_group_is_reported_the_same_way() {
    let hosts = hosts();
    let gone = vec!["00000000-0000-0000-0000-00000000dead".to_string()];
    hosts.save(None, &gone);
    let (status, cli) = hosts.cli(&["preview", "school"]);
    let window = hosts.window_preview(&gone);
    assert_eq!(status, 1, "{cli:#}");
    assert!(
        cli["problems"].as_array().is_some_and(|p| !p.is_empty()) || cli["complete"] == false,
        "{cli:#}"
    );
    assert_eq!(comparable(window), comparable(cli));

    let lookup = hosts
        .window(
            "resolve_group",
            json!({"profile": "school", "text": gone[0]}),
        )
        .unwrap_err();
    assert_eq!(lookup["code"], "group_not_found", "{lookup:#}");
}

#[test]
fn a_wrong_secret_is_reported_the_same_way() {
    let hosts = hosts();
    let staff = vec![hosts.sandbox.control().group_id("Teaching Staff").unwrap()];
    hosts.save(Some(WRONG_SECRET), &staff);
    let (status, cli) = hosts.cli(&["check", "school"]);
    let window = hosts
        .window(
            "check_connection",
            json!({"connection": hosts.connection_json(Some(WRONG_SECRET))}),
        )
        .unwrap();
    assert_eq!(status, 1);
    let codes = |report: &Value| -> Vec<Value> {
        report["diagnoses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|diagnosis| diagnosis["code"].clone())
            .collect()
    };
    assert!(codes(&cli).contains(&json!("secret_wrong")), "{cli:#}");
    assert_eq!(codes(&window), codes(&cli));
    assert_eq!(window["ok"], cli["ok"]);

    let (status, cli) = hosts.cli(&["preview", "school"]);
    let window = hosts.window_preview(&staff);
    assert_eq!(status, 1);
    assert_eq!(cli["complete"], false);
    assert_eq!(comparable(window), comparable(cli));

    let (status, _) = hosts.cli(&["preview", "nobody"]);
    let window = hosts
        .window(
            "read_preview",
            json!({"profile": "nobody", "choice": {"include": staff, "exclude": [], "nested": true, "guests": false}}),
        )
        .unwrap_err();
    assert_eq!(status, 2, "an unknown connection is bad usage");
    assert_eq!(window["code"], "profile_not_found");
}

#[test]
fn a_sync_is_planned_run_and_listed_the_same_way() {
    let hosts = hosts();
    let staff = vec![hosts.sandbox.control().group_id("Teaching Staff").unwrap()];
    hosts.save(None, &staff);

    let (status, _) = hosts.cli(&["sync", "school"]);
    let window = hosts
        .window("sync_now", json!({"profile": "school", "request": {}}))
        .unwrap_err();
    assert_eq!(status, 2, "a connection with no platform is bad usage");
    assert_eq!(window["code"], "no_target");

    let info = hosts.sandbox.info();
    hosts
        .ws
        .set_target(
            "school",
            rollcall_core::profile::TargetSettings {
                kind: rollcall_core::profile::TargetKind::Scim,
                url: Some(info.scim_url.clone()),
                path: None,
            },
        )
        .unwrap();
    hosts
        .ws
        .store_secret(
            "school",
            rollcall_core::ops::SecretTarget::Platform,
            &info.scim_token,
        )
        .unwrap();

    let (status, cli) = hosts.cli(&["sync", "school", "--dry-run"]);
    let window = hosts
        .window(
            "sync_now",
            json!({"profile": "school", "request": {"dry_run": true}}),
        )
        .unwrap();
    assert_eq!(status, 0, "{cli:#}");
    let outcome = |report: &Value| {
        json!({
            "dry_run": report["dry_run"],
            "plan": report["plan"],
            "applied": report["applied"],
            "errors": report["errors"],
            "blocked": report["blocked"],
        })
    };
    assert!(cli["plan"]["create"].as_u64().unwrap() > 50, "{cli:#}");
    assert_eq!(outcome(&window), outcome(&cli));

    let (status, synced) = hosts.cli(&["sync", "school"]);
    assert_eq!(status, 0, "{synced:#}");
    assert_eq!(synced["applied"]["create"], cli["plan"]["create"]);
    let (_, cli_history) = hosts.cli(&["history", "school"]);
    let window_history = hosts
        .window("sync_history", json!({"profile": "school"}))
        .unwrap();
    assert_eq!(window_history, cli_history);
    assert_eq!(window_history.as_array().map(Vec::len), Some(3));
}

#[test]
fn a_schedule_before_a_first_sync_and_a_zero_interval_are_refused_the_same_way() {
    let hosts = hosts();
    let staff = vec![hosts.sandbox.control().group_id("Teaching Staff").unwrap()];
    hosts.save(None, &staff);
    let cases = [
        (
            ["--daily", "02:00"],
            json!({"daily": "02:00"}),
            "first_sync_needed",
            1,
        ),
        (["--every", "0m"], json!({"every": "0m"}), "schedule", 2),
    ];
    for (flags, settings, code, exit) in cases {
        let mut args = vec!["schedule", "school"];
        args.extend(flags);
        let (status, _) = hosts.cli(&args);
        let window = hosts
            .window(
                "set_schedule",
                json!({"profile": "school", "settings": settings}),
            )
            .unwrap_err();
        assert_eq!(status, exit, "{args:?}");
        assert_eq!(window["code"], code, "{window:#}");
        let settings: ScheduleSettings = serde_json::from_value(settings).unwrap();
        let engine = hosts.ws.set_schedule("school", &settings).unwrap_err();
        assert_eq!(
            window["message"], engine.message,
            "the words the command line prints"
        );
        assert!(hosts.scheduler.names().is_empty(), "nothing registered");
        assert!(hosts.ws.profile("school").unwrap().schedule.is_none());
    }

    let status = hosts
        .window("schedule_status", json!({"profile": "school"}))
        .unwrap();
    assert_eq!(status["sync_by_hand_worked"], false);
    assert_eq!(status["registered"], "not_scheduled");
    let (_, listed) = hosts.cli(&["schedule", "list"]);
    assert_eq!(listed[0], status, "schedule list says the same");
}

#[test]
fn a_test_email_without_settings_and_one_to_a_server_that_is_not_there_fail_the_same_way() {
    let hosts = hosts();
    hosts.save(None, &[]);
    // The test email through both hosts: exit 1 and code `mail`, in the engine's words.
    let refused_by_both = || {
        let (status, _) = hosts.cli(&["notify", "test-email", "school"]);
        let window = hosts
            .window("send_test_email", json!({"profile": "school"}))
            .unwrap_err();
        assert_eq!(status, 1);
        assert_eq!(window["code"], "mail", "{window:#}");
        let engine =
            tauri::async_runtime::block_on(hosts.ws.send_test_email("school")).unwrap_err();
        assert_eq!(window["message"], engine.message, "{window:#}");
        engine.message
    };
    let message = refused_by_both();
    assert!(message.contains("Edit → Notifications"), "{message}");

    // Settings saved in the window, then a test email to a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let saved = hosts
        .window(
            "save_notify",
            json!({"profile": "school", "choice": {"settings": {"desktop": true, "email": {
                "to": ["it@school.example"], "from": "rollcall@school.example",
                "server": "127.0.0.1", "port": port, "user": null, "when": "problems"}}}}),
        )
        .unwrap();
    assert_eq!(saved["password_stored"], false);
    refused_by_both();
}
