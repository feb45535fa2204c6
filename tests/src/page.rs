//! Reading and driving the app's page through WebDriver by `data-testid`. Test support: a step
//! that cannot be done fails the test that asked for it, with a message naming the element.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

/// How long a step may take to appear after an action.
pub const WAIT: Duration = Duration::from_secs(30);

/// The CSS selector for a `data-testid`.
pub fn css(test_id: &str) -> String {
    format!("[data-testid=\"{test_id}\"]")
}

/// The element with `data-testid=test_id`, once it appears.
pub async fn element(client: &Client, test_id: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&css(test_id)))
        .await
        .unwrap_or_else(|error| panic!("nothing with data-testid={test_id} appeared: {error}"))
}

/// The element's text.
pub async fn text_of(client: &Client, test_id: &str) -> String {
    element(client, test_id).await.text().await.unwrap()
}

/// The element's text, after checking a person could see it.
pub async fn visible_text_of(client: &Client, test_id: &str) -> String {
    let element = element(client, test_id).await;
    assert!(
        element.is_displayed().await.unwrap(),
        "{test_id} is not visible"
    );
    element.text().await.unwrap()
}

/// Clicks the element, scrolled to the middle of the window first (as a person scrolls to
/// a button before pressing it), so a footer never covers it.
pub async fn click(client: &Client, test_id: &str) {
    let target = element(client, test_id).await;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&target).unwrap()],
        )
        .await
        .unwrap();
    target.click().await.unwrap();
}

/// Replaces the field's text with `text`, as typed.
pub async fn type_into(client: &Client, test_id: &str, text: &str) {
    let input = element(client, test_id).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Waits until the element's attribute `name` reads `expected`.
pub async fn wait_for_attribute(client: &Client, test_id: &str, name: &str, expected: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = element(client, test_id).await.attr(name).await.unwrap();
        if value.as_deref() == Some(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{test_id} kept {name}={value:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the step title contains `expected` (the page updates after a click).
pub async fn wait_for_title(client: &Client, expected: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let title = visible_text_of(client, "step-title").await;
        if title.contains(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the step title stayed {title:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the wizard's Next once it opens, and waits for the step titled `title`.
pub async fn next(client: &Client, title: &str) {
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

/// Saves a screenshot named `name` and says where.
pub async fn shoot(client: &Client, name: &str) {
    let path = crate::screenshot(client, name).await.unwrap();
    println!("saved {}", path.display());
}

/// Every element with `data-testid=test_id` now on the page.
pub async fn count(client: &Client, test_id: &str) -> usize {
    client
        .find_all(Locator::Css(&css(test_id)))
        .await
        .unwrap()
        .len()
}

/// Waits until `test_id`'s text satisfies `check`, and returns it.
pub async fn wait_for_text(client: &Client, test_id: &str, check: impl Fn(&str) -> bool) -> String {
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

/// Walks the wizard from Welcome to a saved connection named `name`, with the demo
/// organisation's healthy app, and stops on the saved Result step.
pub async fn connect_demo(client: &Client, name: &str) {
    wait_for_title(client, "Connect Microsoft Entra ID").await;
    next(client, "Which Microsoft cloud").await;
    next(client, "Create an app registration").await;
    next(client, "Copy your tenant and app IDs").await;
    let tenant_id = text_of(client, "demo-tenant-id").await;
    let client_id = text_of(client, "demo-client-id-healthy").await;
    type_into(client, "input-tenant", &tenant_id).await;
    type_into(client, "input-client-id", &client_id).await;
    text_of(client, "tenant-found").await;
    next(client, "Create a client secret").await;
    let secret = text_of(client, "demo-secret-healthy").await;
    type_into(client, "input-secret", &secret).await;
    next(client, "Grant permissions").await;
    next(client, "Check the connection").await;
    text_of(client, "verdict-ok").await;
    type_into(client, "input-connection-name", name).await;
    click(client, "save-connection").await;
    text_of(client, "saved").await;
}

/// Sets up the demo connection `name` for `group` (found by typing `search`) into the demo
/// learning platform, with the accounts as they are shown, and stops on its home page.
pub async fn set_up_demo(client: &Client, name: &str, search: &str, group: &str) {
    connect_demo(client, name).await;
    next(client, "Who gets an account?").await;
    include_group(client, search, group).await;
    click(client, "show-preview").await;
    element(client, "preview-totals").await;
    next(client, "Connect your learning platform").await;
    element(client, "demo-platform").await;
    click(client, "save-platform").await;
    element(client, "platform-connected").await;
    next(client, "What each account looks like").await;
    element(client, "mapping-sentence").await;
    click(client, "save-mapping").await;
    element(client, "mapping-saved").await;
    click(client, "wizard-next").await;
    element(client, "sync-now").await;
}

/// The address of the demo organisation the window runs: the saved connection's sign-in
/// address, which in demo mode is the embedded sandbox on 127.0.0.1. (Demo mode keeps its
/// files in the `demo` folder of the data folder it is given.)
pub fn demo_sandbox_url(data_dir: &std::path::Path) -> String {
    let profiles = data_dir.join("demo").join("profiles");
    let file = std::fs::read_dir(&profiles)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "toml"))
        .unwrap_or_else(|| panic!("no saved connection in {}", profiles.display()));
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with("authority_url"))
        .unwrap_or_else(|| panic!("no authority_url in {text}"));
    let url = line
        .split_once('=')
        .map(|(_, value)| value.trim().trim_matches('"').trim_end_matches('/'))
        .unwrap()
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "not the sandbox: {url}"
    );
    url
}

/// Searches the group picker for `search` and includes the group named `name`; returns
/// the search results as shown.
pub async fn include_group(client: &Client, search: &str, name: &str) -> String {
    type_into(client, "group-search", search).await;
    let results = wait_for_text(client, "group-results", |text| text.contains(name)).await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&format!(
            "//li[@data-testid='group-result'][.//span[@class and normalize-space(text())='{name}']]//*[@data-testid='group-include']"
        )))
        .await
        .unwrap_or_else(|error| panic!("no Include button for {name}: {error}"))
        .click()
        .await
        .unwrap();
    results
}
