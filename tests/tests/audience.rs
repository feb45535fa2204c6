//! Choosing who gets an account in the real window, demo mode: after the connection is saved,
//! the admin searches the demo organisation's groups, includes All Staff, sees the preview
//! with its totals, filters it to the people with no email address and exports the list to
//! the data folder as CSV. Saves screenshots of the picker and the filtered preview under
//! artifacts/screenshots/.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use rollcall_e2e::page::{WAIT, click, css, element, text_of, type_into, wait_for_title};
use rollcall_e2e::{TauriDriver, rollcall_bin, screenshot};

/// Clicks Next once it opens, and waits for the step titled `title`.
async fn next(client: &Client, title: &str) {
    let deadline = Instant::now() + WAIT;
    while element(client, "wizard-next")
        .await
        .attr("disabled")
        .await
        .unwrap()
        .is_some()
    {
        let hint = text_of(client, "wizard-next-hint").await;
        assert!(Instant::now() < deadline, "Next stayed closed: {hint}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(client, "wizard-next").await;
    wait_for_title(client, title).await;
}

async fn shoot(client: &Client, name: &str) {
    let path = screenshot(client, name).await.unwrap();
    println!("saved {}", path.display());
}

/// Every element with `data-testid=test_id` now on the page.
async fn count(client: &Client, test_id: &str) -> usize {
    client
        .find_all(Locator::Css(&css(test_id)))
        .await
        .unwrap()
        .len()
}

/// Waits until `test_id`'s text satisfies `check`, and returns it.
async fn wait_for_text(client: &Client, test_id: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = text_of(client, test_id).await;
        if check(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "{test_id} stayed {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

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
    let application = rollcall_bin().unwrap_or_else(|message| panic!("{message}"));
    let driver = TauriDriver::start().unwrap_or_else(|message| panic!("{message}"));
    let args = vec![
        "--demo".to_string(),
        "--data-dir".to_string(),
        data_dir.path().display().to_string(),
    ];
    let client = driver
        .session(&application, &args)
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    wait_for_title(&client, "Connect Microsoft Entra ID").await;

    // Connect with the demo organisation's healthy app and save the connection.
    next(&client, "Which Microsoft cloud").await;
    next(&client, "Create an app registration").await;
    next(&client, "Copy your tenant and app IDs").await;
    let tenant_id = text_of(&client, "demo-tenant-id").await;
    let client_id = text_of(&client, "demo-client-id-healthy").await;
    type_into(&client, "input-tenant", &tenant_id).await;
    type_into(&client, "input-client-id", &client_id).await;
    text_of(&client, "tenant-found").await;
    next(&client, "Create a client secret").await;
    let secret = text_of(&client, "demo-secret-healthy").await;
    type_into(&client, "input-secret", &secret).await;
    next(&client, "Grant permissions").await;
    next(&client, "Check the connection").await;
    text_of(&client, "verdict-ok").await;
    type_into(&client, "input-connection-name", "northwind").await;
    click(&client, "save-connection").await;
    text_of(&client, "saved").await;

    // Pick All Staff by searching as the admin types.
    next(&client, "Who gets an account?").await;
    type_into(&client, "group-search", "All Sta").await;
    let results = wait_for_text(&client, "group-results", |text| text.contains("All Staff")).await;
    assert!(
        results.contains("direct member"),
        "no member counts: {results}"
    );
    let all_staff = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//li[@data-testid='group-result'][.//span[@class and normalize-space(text())='All Staff']]",
        ))
        .await
        .unwrap();
    all_staff
        .find(Locator::Css(&css("group-include")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
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

    client.close().await.unwrap();
    drop(driver);
}
