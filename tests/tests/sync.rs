//! The sync in the real window, demo mode, against the demo organisation and the demo
//! learning platform (the sandbox's SCIM service): the admin connects, chooses Year 7
//! Tutors, points Rollcall at the platform (a wrong address and a wrong token are shown by
//! their fields first), looks at how accounts will look, and lands on the home screen. The
//! first sync starts with one person, then everyone; people then change in the directory
//! (one joins, one is renamed, one leaves the group) and Sync now shows exactly those
//! changes; then most of the group leaves, the guard holds the switch-offs and says why, the
//! admin allows them with a typed confirmation, and Undo in History brings them back. Each
//! screen is saved under artifacts/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Instant;

use fantoccini::{Client, Locator};
use rollcall_e2e::page::{
    WAIT, click, connect_demo, count, css, demo_sandbox_url, element, include_group, next, shoot,
    text_of, type_into, wait_for_text,
};
use rollcall_e2e::{demo_args, open_demo, rollcall_bin};
use serde_json::{Value, json};

const GROUP: &str = "Year 7 Tutors";

/// The demo platform: its SCIM address and token, as the platform step showed them.
struct Platform {
    url: String,
    token: String,
}

impl Platform {
    /// Every account on the platform, by Entra object ID (`externalId`).
    async fn accounts(&self) -> BTreeMap<String, Value> {
        let page: Value = reqwest::Client::new()
            .get(format!("{}/Users?startIndex=1&count=1000", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| {
                (
                    user["externalId"].as_str().unwrap().to_string(),
                    user.clone(),
                )
            })
            .collect()
    }

    async fn active(&self) -> usize {
        self.accounts()
            .await
            .values()
            .filter(|user| user["active"] == json!(true))
            .count()
    }
}

/// Steers the demo organisation through the sandbox's control API.
struct Directory {
    url: String,
    group: String,
}

impl Directory {
    async fn send(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "the sandbox refused: {status} {body}");
        body
    }

    async fn add_to_group(&self, name: &str) -> String {
        let created = self
            .send(
                reqwest::Client::new()
                    .post(format!("{}/_sandbox/users", self.url))
                    .json(&json!({"display_name": name, "groups": [self.group]})),
            )
            .await;
        created["id"].as_str().unwrap().to_string()
    }

    async fn rename(&self, id: &str, name: &str) {
        self.send(
            reqwest::Client::new()
                .patch(format!("{}/_sandbox/users/{id}", self.url))
                .json(&json!({"display_name": name})),
        )
        .await;
    }

    async fn remove_from_group(&self, id: &str) {
        self.send(reqwest::Client::new().delete(format!(
            "{}/_sandbox/groups/{}/members/{id}",
            self.url, self.group
        )))
        .await;
    }
}

/// The saved profile's first include group.
fn saved_include_group(data_dir: &std::path::Path) -> String {
    let profile = data_dir
        .join("demo")
        .join("profiles")
        .join("northwind.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with("include_groups"))
        .unwrap_or_else(|| panic!("no include_groups in {text}"));
    line.split('"').nth(1).unwrap().to_string()
}

/// The text a person sees in the element, as the page lays it out.
async fn inner_text(client: &Client, test_id: &str) -> String {
    let target = element(client, test_id).await;
    client
        .execute(
            "return arguments[0].innerText;",
            vec![serde_json::to_value(&target).unwrap()],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The number in a count on the plan or report.
async fn number(client: &Client, test_id: &str) -> usize {
    let text = text_of(client, test_id).await;
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("{test_id} holds no number: {text:?}"))
}

/// How many of the plan's counts are not zero, by kind.
async fn plan_counts(client: &Client) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for kind in ["create", "adopt", "update", "reactivate", "deactivate"] {
        let id = format!("plan-count-{kind}");
        if count(client, &id).await > 0 {
            let value = number(client, &id).await;
            if value > 0 {
                counts.insert(kind.to_string(), value);
            }
        }
    }
    counts
}

/// Waits for the plan ("What will change") after Sync now.
async fn wait_for_plan(client: &Client) {
    let deadline = Instant::now() + WAIT;
    while count(client, "plan-list").await == 0 && count(client, "plan-nothing").await == 0 {
        assert!(
            count(client, "sync-problem").await == 0,
            "{}",
            text_of(client, "sync-problem").await
        );
        assert!(Instant::now() < deadline, "the plan did not appear");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Runs the plan shown and waits for the report.
async fn run_and_report(client: &Client) {
    click(client, "sync-run").await;
    element(client, "report").await;
}

/// Back to the connection's home page.
async fn home(client: &Client) {
    click(client, "sync-home").await;
    element(client, "sync-now").await;
}

#[tokio::test]
async fn demo_first_sync_changes_held_switch_offs_and_undo() {
    let data_dir = tempfile::tempdir().unwrap();
    let (driver, client) = open_demo(data_dir.path())
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    connect_demo(&client, "northwind").await;

    // Who: Year 7 Tutors.
    next(&client, "Who gets an account?").await;
    include_group(&client, "Year 7", GROUP).await;
    click(&client, "show-preview").await;
    element(&client, "preview-totals").await;
    let group_size = number(&client, "total-matched").await;
    assert!(group_size >= 10, "{GROUP} has {group_size} people");

    // The learning platform: the demo platform is filled in. A wrong address and a wrong
    // token are each shown where the admin typed them.
    next(&client, "Connect your learning platform").await;
    element(&client, "demo-platform").await;
    let demo_url = text_of(&client, "demo-platform-url").await;
    click(&client, "toggle-target-token").await;
    let demo_token = element(&client, "input-target-token")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(!demo_token.is_empty(), "the demo token is filled in");
    shoot(&client, "sync-01-platform-demo").await;

    type_into(
        &client,
        "input-target-url",
        "http://lms.example.com/scim/v2",
    )
    .await;
    let typed = text_of(&client, "error-target-url").await;
    assert!(typed.contains("https"), "{typed}");
    type_into(
        &client,
        "input-target-url",
        &demo_url.replace("/scim/v2", "/not-scim"),
    )
    .await;
    click(&client, "save-platform").await;
    let diagnoses = text_of(&client, "diagnoses").await;
    assert!(!diagnoses.is_empty());
    shoot(&client, "sync-02-platform-wrong-address").await;

    type_into(&client, "input-target-url", &demo_url).await;
    type_into(&client, "input-target-token", "not-the-platform-token").await;
    click(&client, "save-platform").await;
    element(&client, "diagnosis-target_token_rejected").await;
    let by_field = text_of(&client, "token-finding").await;
    assert!(!by_field.is_empty());
    shoot(&client, "sync-03-platform-wrong-token").await;

    type_into(&client, "input-target-token", &demo_token).await;
    click(&client, "save-platform").await;
    element(&client, "platform-connected").await;
    let platform = Platform {
        url: demo_url.clone(),
        token: demo_token,
    };

    // How accounts look, on a real person; saved as it is.
    next(&client, "What each account looks like").await;
    let sentence = text_of(&client, "mapping-sentence").await;
    assert!(sentence.contains("will sign in as"), "{sentence}");
    shoot(&client, "sync-04-mapping").await;
    click(&client, "save-mapping").await;
    element(&client, "mapping-saved").await;

    // Home: never synced yet.
    let opened = Instant::now();
    click(&client, "wizard-next").await;
    element(&client, "sync-now").await;
    println!(
        "sync: home screen shown {} ms after the wizard's last step",
        opened.elapsed().as_millis()
    );
    element(&client, "last-sync-never").await;
    element(&client, "platform-working").await;
    shoot(&client, "sync-05-home-new").await;

    // The first sync: one person first, then everyone.
    click(&client, "sync-now").await;
    type_into(&client, "first-search", "a").await;
    element(&client, "first-match").await;
    shoot(&client, "sync-06-first-person").await;
    click(&client, "first-pick").await;
    let username = text_of(&client, "first-account-username").await;
    assert_eq!(text_of(&client, "first-account-active").await, "Active");
    assert_eq!(platform.accounts().await.len(), 1);
    assert!(
        platform
            .accounts()
            .await
            .values()
            .any(|user| user["userName"] == json!(username)),
        "{username} is on the platform"
    );
    shoot(&client, "sync-07-first-account").await;
    click(&client, "first-everyone").await;
    wait_for_plan(&client).await;
    let counts = plan_counts(&client).await;
    assert_eq!(
        counts.get("create"),
        Some(&(group_size - 1)),
        "everyone else is created: {counts:?}"
    );
    let shown = text_of(&client, "plan-shown").await;
    assert_eq!(
        shown,
        format!("Showing {0} of {0}", group_size - 1),
        "each person is listed"
    );
    shoot(&client, "sync-08-plan-first").await;
    run_and_report(&client).await;
    assert_eq!(platform.active().await, group_size);
    shoot(&client, "sync-09-report-first").await;
    home(&client).await;
    wait_for_text(&client, "last-sync-counts", |text| !text.is_empty()).await;
    shoot(&client, "sync-10-home-synced").await;

    // People change in Entra: one joins, one is renamed, one leaves the group.
    let directory = Directory {
        url: demo_sandbox_url(data_dir.path()),
        group: saved_include_group(data_dir.path()),
    };
    let members: Vec<String> = platform.accounts().await.keys().cloned().collect();
    let joined = directory.add_to_group("Zofia Nowak-Wiśniewska").await;
    directory.rename(&members[0], "Renamed Person").await;
    directory.remove_from_group(&members[1]).await;
    click(&client, "sync-now").await;
    wait_for_plan(&client).await;
    let counts = plan_counts(&client).await;
    assert_eq!(
        counts,
        BTreeMap::from([
            ("create".to_string(), 1),
            ("update".to_string(), 1),
            ("deactivate".to_string(), 1),
        ]),
        "exactly the three changes"
    );
    shoot(&client, "sync-11-plan-changes").await;
    let listed = inner_text(&client, "plan-list").await;
    assert!(listed.contains("Zofia Nowak-Wiśniewska"), "{listed}");
    assert!(listed.contains("Renamed Person"), "{listed}");
    assert!(
        listed.contains('→'),
        "the change is shown before → after: {listed}"
    );
    run_and_report(&client).await;
    let accounts = platform.accounts().await;
    assert_eq!(accounts[&joined]["active"], json!(true));
    assert_eq!(
        accounts[&members[0]]["displayName"],
        json!("Renamed Person")
    );
    assert_eq!(accounts[&members[1]]["active"], json!(false));
    home(&client).await;

    // Most of the group leaves: the guard holds the switch-offs and says why.
    let leaving: Vec<&String> = members[2..].iter().take(group_size - 4).collect();
    for id in &leaving {
        directory.remove_from_group(id).await;
    }
    let active_before = platform.active().await;
    click(&client, "sync-now").await;
    wait_for_plan(&client).await;
    let why = text_of(&client, "hold-too_large_share").await;
    assert!(why.contains('%'), "{why}");
    shoot(&client, "sync-12-held").await;
    click(&client, "hold-allow").await;
    element(&client, "allow-dialog").await;
    let ok = element(&client, "allow-dialog-ok").await;
    assert!(
        ok.attr("disabled").await.unwrap().is_some(),
        "closed until typed"
    );
    type_into(&client, "allow-dialog-typed", &leaving.len().to_string()).await;
    shoot(&client, "sync-13-allow-dialog").await;
    click(&client, "allow-dialog-ok").await;
    element(&client, "report").await;
    assert_eq!(platform.active().await, active_before - leaving.len());
    shoot(&client, "sync-14-report-switched-off").await;
    home(&client).await;

    // Undo in History switches them back on, after a confirmation naming how many.
    click(&client, "open-history").await;
    element(&client, "history").await;
    shoot(&client, "sync-15-history").await;
    let undo = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&css("history-undo")))
        .await
        .unwrap();
    undo.click().await.unwrap();
    let title = text_of(&client, "undo-dialog-title").await;
    assert!(
        title.contains(&leaving.len().to_string()),
        "the confirmation names how many: {title}"
    );
    shoot(&client, "sync-16-undo-dialog").await;
    click(&client, "undo-dialog-ok").await;
    element(&client, "report").await;
    assert_eq!(platform.active().await, active_before);
    shoot(&client, "sync-17-undone").await;

    client.close().await.unwrap();

    // Opened again, the app goes straight to the home screen of the connection, and the
    // demo platform (on a new port at each start) is still the one it writes to.
    let started = Instant::now();
    let application = rollcall_bin().unwrap_or_else(|message| panic!("{message}"));
    let client = driver
        .session(&application, &demo_args(data_dir.path()))
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    element(&client, "sync-now").await;
    println!(
        "sync: home screen shown {} ms after launch (a connection set up)",
        started.elapsed().as_millis()
    );
    element(&client, "platform-working").await;
    wait_for_text(&client, "last-sync-counts", |text| !text.is_empty()).await;
    shoot(&client, "sync-18-home-reopened").await;
    client.close().await.unwrap();
    drop(driver);
}
