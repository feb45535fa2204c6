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

pub async fn click(client: &Client, test_id: &str) {
    element(client, test_id).await.click().await.unwrap();
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
