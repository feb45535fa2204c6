//! The connection wizard in the real window, demo mode: filled in with the demo organisation's
//! healthy app it ends all green and saves the connection; with the app that lacks admin
//! consent the Permissions step shows what is missing, and after consent is granted "Check
//! again" turns it green. Saves a screenshot of each step under artifacts/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Instant;

use fantoccini::{Client, Locator};
use rollcall_e2e::page::{
    click, css, element, next, shoot, text_of, type_into, wait_for_attribute, wait_for_title,
};
use rollcall_e2e::{TauriDriver, launch, rollcall_bin};

/// One window at a time: the two flows would otherwise share the 2 cores and the display.
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits until the checklist ticks both required permissions and says all is granted.
async fn expect_every_permission_granted(client: &Client) {
    for permission in ["User.Read.All", "GroupMember.Read.All"] {
        wait_for_attribute(
            client,
            &format!("permission-row-{permission}"),
            "data-state",
            "granted",
        )
        .await;
    }
    assert!(
        text_of(client, "permissions-ok")
            .await
            .contains("Every permission")
    );
}

async fn open_wizard(data_dir: &Path) -> (TauriDriver, Client) {
    let application = rollcall_bin().unwrap_or_else(|message| panic!("{message}"));
    let args = vec![
        "--demo".to_string(),
        "--data-dir".to_string(),
        data_dir.display().to_string(),
    ];
    let launched = Instant::now();
    let (driver, client) = launch(&[], &application, &args)
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    wait_for_title(&client, "Connect Microsoft Entra ID").await;
    println!(
        "wizard: launch to first step visible: {} ms",
        launched.elapsed().as_millis()
    );
    (driver, client)
}

/// From Welcome to the IDs step, filling both IDs with the demo values of the app in `state`.
async fn fill_ids(client: &Client, state: &str, shots: bool) {
    next(client, "Which Microsoft cloud").await;
    next(client, "Create an app registration").await;
    if shots {
        shoot(client, "wizard-03-app-registration").await;
    }
    next(client, "Copy your tenant and app IDs").await;
    let tenant_id = text_of(client, "demo-tenant-id").await;
    let client_id = text_of(client, &format!("demo-client-id-{state}")).await;
    if shots {
        type_into(client, "input-tenant", "not a tenant!").await;
        let problem = text_of(client, "error-tenant").await;
        assert!(problem.contains("tenant"), "tenant problem: {problem}");
        shoot(client, "wizard-04a-ids-problem").await;
    }
    type_into(client, "input-tenant", &tenant_id).await;
    type_into(client, "input-client-id", &client_id).await;
    let found = text_of(client, "tenant-found").await;
    assert!(
        found.contains("Found your organisation") && found.contains(&tenant_id),
        "found: {found}"
    );
    assert!(
        client
            .find(Locator::Css(&css("error-tenant")))
            .await
            .is_err(),
        "the tenant problem stayed after a good tenant ID was pasted"
    );
    if shots {
        shoot(client, "wizard-04-ids").await;
    }
}

/// The secret step, filled with the demo secret of the app in `state`.
async fn fill_secret(client: &Client, state: &str, shots: bool) -> String {
    next(client, "Create a client secret").await;
    let secret = text_of(client, &format!("demo-secret-{state}")).await;
    if shots {
        type_into(
            client,
            "input-secret",
            "b7a3c2d1-0e9f-4a8b-9c7d-6e5f4a3b2c1d",
        )
        .await;
        let problem = text_of(client, "error-secret").await;
        assert!(
            problem.contains("This looks like the Secret ID. Paste the Value instead"),
            "secret problem: {problem}"
        );
        shoot(client, "wizard-05a-secret-id-pasted").await;
    }
    type_into(client, "input-secret", &secret).await;
    wait_for_attribute(client, "input-secret", "type", "password").await;
    if shots {
        shoot(client, "wizard-05-secret").await;
    }
    secret
}

/// Every file under `dir`, read as text where it is text.
fn contents_under(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(contents_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    found
}

#[tokio::test]
async fn healthy_app_ends_all_green_and_the_connection_is_saved() {
    let _one = ONE_WINDOW.lock().await;
    let data_dir = tempfile::tempdir().unwrap();
    let (driver, client) = open_wizard(data_dir.path()).await;

    fill_ids(&client, "healthy", true).await;
    let secret = fill_secret(&client, "healthy", true).await;

    next(&client, "Grant permissions").await;
    expect_every_permission_granted(&client).await;
    shoot(&client, "wizard-06-permissions").await;

    next(&client, "Check the connection").await;
    let verdict = text_of(&client, "verdict-ok").await;
    assert!(
        verdict.contains("Rollcall can read your directory"),
        "verdict: {verdict}"
    );
    shoot(&client, "wizard-07-result").await;

    type_into(&client, "input-connection-name", "northwind").await;
    click(&client, "save-connection").await;
    let saved = text_of(&client, "saved").await;
    assert!(saved.contains("Saved as \"northwind\""), "saved: {saved}");
    shoot(&client, "wizard-08-saved").await;

    let files = contents_under(data_dir.path());
    let profile = files
        .iter()
        .find(|(path, _)| path.ends_with("northwind.toml"))
        .unwrap_or_else(|| {
            panic!(
                "no northwind.toml among {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        });
    assert!(
        profile.1.contains("enabled = false"),
        "profile: {}",
        profile.1
    );
    for (path, text) in &files {
        assert!(
            !text.contains(&secret),
            "the client secret was written to {path}"
        );
    }

    client.close().await.unwrap();
    drop(driver);
}

/// Grants admin consent the way the admin's click on Accept would: a POST to the consent page
/// the window offers.
async fn accept_consent(consent_url: &str) {
    let (address, query) = consent_url
        .split_once('?')
        .unwrap_or_else(|| panic!("the consent address has no client_id: {consent_url}"));
    assert!(
        address.starts_with("http://127.0.0.1:"),
        "demo consent must stay on this computer: {consent_url}"
    );
    let response = reqwest::Client::new()
        .post(address)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{query}&decision=accept"))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "consent was refused: {}",
        response.status()
    );
}

#[tokio::test]
async fn missing_consent_shows_on_permissions_and_check_again_turns_green() {
    let _one = ONE_WINDOW.lock().await;
    let data_dir = tempfile::tempdir().unwrap();
    let (driver, client) = open_wizard(data_dir.path()).await;

    fill_ids(&client, "no_consent", false).await;
    fill_secret(&client, "no_consent", false).await;

    next(&client, "Grant permissions").await;
    wait_for_attribute(
        &client,
        "permission-row-User.Read.All",
        "data-state",
        "missing",
    )
    .await;
    wait_for_attribute(
        &client,
        "permission-row-GroupMember.Read.All",
        "data-state",
        "missing",
    )
    .await;
    let finding = text_of(&client, "diagnosis-admin_consent_missing").await;
    assert!(!finding.is_empty());
    shoot(&client, "wizard-06a-permissions-consent-missing").await;

    let consent_url = element(&client, "grant-consent")
        .await
        .attr("data-url")
        .await
        .unwrap()
        .unwrap_or_default();
    accept_consent(&consent_url).await;

    click(&client, "check-again").await;
    expect_every_permission_granted(&client).await;
    shoot(&client, "wizard-06b-permissions-after-consent").await;

    next(&client, "Check the connection").await;
    let verdict = text_of(&client, "verdict-ok").await;
    assert!(verdict.contains("Rollcall can read your directory"));

    client.close().await.unwrap();
    drop(driver);
}
