//! Choosing who gets an account in the real window, demo mode: after the connection is saved,
//! the admin searches the demo organisation's groups, includes All Staff, sees the preview
//! with its totals, filters it to the people with no email address and exports the list to
//! the data folder as CSV; then reads again against a slowed-down organisation, watching the
//! time left, and cancels; and finds the choice again on coming back to the step. Saves
//! screenshots of the picker, the filtered preview and the read in progress under
//! artifacts/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use rollcall_e2e::open_demo;
use rollcall_e2e::page::{
    WAIT, click, connect_demo, count, css, demo_sandbox_url, element, include_group, next, shoot,
    text_of, wait_for_text, wait_for_title,
};

/// The number in a total on the preview.
async fn total(client: &Client, test_id: &str) -> usize {
    let text = text_of(client, test_id).await;
    text.replace(',', "")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{test_id} is not a number: {text:?}"))
}

#[tokio::test]
async fn demo_group_preview_filters_to_people_without_mail() {
    let data_dir = tempfile::tempdir().unwrap();
    let (driver, client) = open_demo(data_dir.path())
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    connect_demo(&client, "northwind").await;

    // Pick All Staff by searching as the admin types.
    next(&client, "Who gets an account?").await;
    let results = include_group(&client, "All Sta", "All Staff").await;
    assert!(
        results.contains("direct member"),
        "no member counts: {results}"
    );
    let included = text_of(&client, "included-groups").await;
    assert!(included.contains("All Staff"), "included: {included}");
    shoot(&client, "audience-01-picker").await;

    // Preview: the totals, then only the people with no mail.
    let started = Instant::now();
    click(&client, "show-preview").await;
    let matched = {
        element(&client, "preview-totals").await;
        total(&client, "total-matched").await
    };
    println!(
        "audience: preview of All Staff shown after {} ms",
        started.elapsed().as_millis()
    );
    assert!(matched > 20, "All Staff selects only {matched} people");
    let without_mail = total(&client, "total-warning-no_mail").await;
    assert!(
        without_mail > 0 && without_mail < matched,
        "no_mail total {without_mail} of {matched}"
    );
    click(&client, "filter-no_mail").await;
    let shown = wait_for_text(&client, "people-shown", |text| {
        text.starts_with(&format!("Showing {without_mail} of"))
    })
    .await;
    assert!(shown.ends_with(&format!("of {matched}")), "shown: {shown}");
    let rows = count(&client, "person-row").await;
    assert!(
        rows > 0 && rows <= without_mail,
        "{rows} rows drawn for {without_mail} people"
    );
    let first = client
        .find(Locator::Css(&css("person-row")))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(first.contains("No email address"), "row: {first}");
    assert!(
        first.contains("All Staff →"),
        "row has no group path: {first}"
    );
    shoot(&client, "audience-02-preview-no-mail").await;

    // Export: with no file typed, the list goes into the data folder, and the window says where.
    click(&client, "export-csv").await;
    let done = text_of(&client, "export-done").await;
    assert!(
        done.starts_with(&format!("Saved {matched} people to ")),
        "export: {done}"
    );
    let written = done
        .split_once(" people to ")
        .map(|(_, path)| std::path::PathBuf::from(path.trim()))
        .unwrap();
    assert!(
        written.starts_with(data_dir.path()),
        "the export went outside the data folder: {}",
        written.display()
    );
    let csv = std::fs::read_to_string(&written).unwrap();
    assert_eq!(
        csv.lines().count(),
        matched + 1,
        "one header line and one line per person"
    );

    // "Save as CSV…" opens the system's save dialog; the admin types a file name (without
    // .csv) and presses Enter, and the list is written there as a .csv file.
    let chosen = data_dir.path().join("chosen").join("staff list");
    std::fs::create_dir_all(chosen.parent().unwrap()).unwrap();
    click(&client, "export-choose").await;
    let typed = chosen.display().to_string();
    tokio::task::spawn_blocking(move || answer_save_dialog("Save the list of people", &typed))
        .await
        .unwrap();
    let done = wait_for_text(&client, "export-done", |text| text.contains("staff list")).await;
    let written = data_dir.path().join("chosen").join("staff list.csv");
    assert!(
        done.ends_with(&written.display().to_string()),
        "export: {done}"
    );
    assert_eq!(
        std::fs::read_to_string(&written).unwrap().lines().count(),
        matched + 1
    );

    // Read again with the demo organisation slowed down and its change tokens expired, so a
    // full read runs long enough to watch: it measures itself against the first read, shows
    // the time left on a filling bar, and Cancel stops it keeping the people already read.
    let sandbox = demo_sandbox_url(data_dir.path());
    let http = reqwest::Client::new();
    let slow = serde_json::json!({
        "throttle_rate": 0.0, "unavailable_rate": 0.0, "timeout_rate": 0.0, "drop_rate": 0.0,
        "latency_ms": 400
    });
    let answer = http
        .put(format!("{sandbox}/_sandbox/faults"))
        .json(&slow)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "faults: {}", answer.status());
    let answer = http
        .post(format!("{sandbox}/_sandbox/delta/expire"))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "expire: {}", answer.status());
    click(&client, "back-to-groups").await;
    click(&client, "show-preview").await;
    let left = wait_for_text(&client, "read-time-left", |text| text.ends_with(" left")).await;
    println!("audience: while reading again the window says {left:?}");
    let filled = client
        .execute(
            "return document.querySelector('[data-testid=\"read-progress-bar\"]').position",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap_or(-1.0);
    assert!(
        filled > 0.0 && filled < 1.0,
        "the bar should fill towards the end: {filled}"
    );
    shoot(&client, "audience-03-reading-time-left").await;
    click(&client, "cancel-read").await;
    let incomplete = text_of(&client, "preview-incomplete").await;
    assert!(
        incomplete.contains("cancelled"),
        "after Cancel: {incomplete}"
    );
    assert_eq!(
        total(&client, "total-matched").await,
        matched,
        "the people of the last complete read are still shown"
    );

    // Leaving the step and coming back opens the picker with the choice saved last time,
    // looked up again in the directory.
    click(&client, "wizard-back").await;
    wait_for_title(&client, "Check the connection").await;
    next(&client, "Who gets an account?").await;
    let included = wait_for_text(&client, "included-groups", |text| {
        text.contains("All Staff")
    })
    .await;
    assert!(included.contains("direct member"), "included: {included}");
    assert!(
        element(&client, "show-preview")
            .await
            .attr("disabled")
            .await
            .unwrap()
            .is_none(),
        "the saved choice can be previewed at once"
    );

    client.close().await.unwrap();
    drop(driver);
}

/// Types `path` into the file-name box of the save dialog titled `title` and presses Enter,
/// as an admin would, through the X server the window is on.
fn answer_save_dialog(title: &str, path: &str) {
    let xdotool = |args: &[&str]| {
        let output = std::process::Command::new("xdotool")
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("xdotool could not run ({error}); install xdotool"));
        assert!(
            output.status.success(),
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let deadline = Instant::now() + WAIT;
    let window = loop {
        let found = std::process::Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", title])
            .output()
            .unwrap();
        let ids = String::from_utf8_lossy(&found.stdout).trim().to_string();
        if let Some(id) = ids.lines().last() {
            break id.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no window titled {title:?} opened"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // Give the dialog a moment to lay out its file-name box and select the suggested name.
    std::thread::sleep(Duration::from_millis(700));
    xdotool(&["windowfocus", "--sync", &window]);
    xdotool(&["key", "--window", &window, "ctrl+a"]);
    xdotool(&["type", "--delay", "15", path]);
    xdotool(&["key", "Return"]);
}
