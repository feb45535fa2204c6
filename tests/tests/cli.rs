//! The `rollcall` binary from the command line: usage errors, the version, the sandbox's
//! JSON description and its endpoints, and a plain message when no window can be opened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use rollcall_e2e::headless::SandboxChild;
use rollcall_e2e::rollcall_bin;

fn rollcall() -> Command {
    Command::new(rollcall_bin().unwrap_or_else(|message| panic!("{message}")))
}

#[test]
fn unknown_option_prints_usage_and_exits_2() {
    let output = rollcall().arg("--frobnicate").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("--frobnicate"), "stderr: {stderr}");
    assert!(stderr.contains("Usage"), "stderr: {stderr}");
}

#[test]
fn version_prints_the_version_and_exits_0() {
    let output = rollcall().arg("--version").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout.contains(env!("CARGO_PKG_VERSION")),
        "stdout: {stdout}"
    );
}

#[test]
fn without_a_display_the_window_fails_with_a_plain_message() {
    let data_dir = tempfile::tempdir().unwrap();
    let output = rollcall()
        .arg("--demo")
        .arg("--data-dir")
        .arg(data_dir.path())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("no graphical desktop"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[tokio::test]
async fn sandbox_json_describes_a_tenant_that_answers() {
    let running = SandboxChild::start(&[]).unwrap_or_else(|message| panic!("{message}"));
    let info = &running.info;

    for key in ["authority_url", "graph_url", "scim_url", "scim_token"] {
        let value = info[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing: {info}"));
        assert!(!value.is_empty(), "{key} is empty: {info}");
    }
    for url in ["authority_url", "graph_url", "scim_url"] {
        let value = info[url].as_str().unwrap();
        assert!(
            value.starts_with("http://127.0.0.1:"),
            "{url} is not local: {value}"
        );
    }
    let tenant_id = info["tenant"]["id"].as_str().expect("tenant.id");
    let domain = info["tenant"]["domain"].as_str().expect("tenant.domain");
    assert!(
        !tenant_id.is_empty() && !domain.is_empty(),
        "tenant: {}",
        info["tenant"]
    );
    assert!(
        info["users"].as_u64().expect("users") > 0,
        "users: {}",
        info["users"]
    );

    let apps = info["apps"].as_array().expect("apps is a list");
    assert!(!apps.is_empty(), "the sandbox offers no app registrations");
    for app in apps {
        for key in ["name", "client_id", "secret", "secret_id"] {
            assert!(
                app[key].as_str().is_some_and(|v| !v.is_empty()),
                "{key} in {app}"
            );
        }
        assert!(app["roles"].is_array(), "roles in {app}");
        let state = app["state"].as_str().expect("state");
        assert!(
            ["healthy", "no_consent", "partial", "expired", "disabled"].contains(&state),
            "unknown app state {state}"
        );
    }
    assert!(
        apps.iter().any(|app| app["state"] == "healthy"),
        "no healthy app registration to connect with: {apps:?}"
    );

    let authority = info["authority_url"]
        .as_str()
        .unwrap()
        .trim_end_matches('/');
    let discovery = format!("{authority}/{tenant_id}/v2.0/.well-known/openid-configuration");
    let response = reqwest::get(&discovery)
        .await
        .unwrap_or_else(|error| panic!("{discovery} did not answer: {error}"));
    assert_eq!(response.status(), 200, "{discovery}");
    let document: serde_json::Value = response.json().await.unwrap();
    let token_endpoint = document["token_endpoint"].as_str().expect("token_endpoint");
    assert!(
        token_endpoint.starts_with(authority),
        "token_endpoint {token_endpoint} is not on the sandbox"
    );

    drop(running);
}
