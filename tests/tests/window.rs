//! The real app in demo mode, driven through WebDriver (tauri-driver + WebKitWebDriver):
//! the Welcome step and the demo banner show, Next leads to the cloud question with Worldwide
//! chosen. Saves screenshots under artifacts/screenshots/ and prints the launch time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use fantoccini::Locator;
use rollcall_e2e::page::{visible_text_of as text_of, wait_for_title};
use rollcall_e2e::{launch, rollcall_bin, screenshot};

#[tokio::test]
async fn demo_window_walks_from_welcome_to_the_cloud_question() {
    let application = rollcall_bin().unwrap_or_else(|message| panic!("{message}"));
    let data_dir = tempfile::tempdir().unwrap();
    let args = vec![
        "--demo".to_string(),
        "--data-dir".to_string(),
        data_dir.path().display().to_string(),
    ];

    let launched = Instant::now();
    let (driver, client) = launch(&[], &application, &args)
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    wait_for_title(&client, "Connect Microsoft Entra ID").await;
    let first_step = launched.elapsed();
    println!(
        "launch to first step visible: {} ms",
        first_step.as_millis()
    );

    let banner = text_of(&client, "demo-banner").await;
    assert!(
        banner.contains("Demo mode") && banner.contains("made-up organisation"),
        "banner: {banner}"
    );
    assert_eq!(text_of(&client, "wizard-next").await, "Get started");
    let welcome = screenshot(&client, "01-welcome").await.unwrap();
    println!("saved {}", welcome.display());

    client
        .find(Locator::Css("[data-testid=\"wizard-next\"]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_title(&client, "Which Microsoft cloud is your organisation on?").await;
    let worldwide = client
        .find(Locator::Css("[data-testid=\"cloud-global\"]"))
        .await
        .unwrap();
    assert!(
        worldwide.is_selected().await.unwrap(),
        "Worldwide is not preselected"
    );
    assert!(
        text_of(&client, "step-cloud").await.contains("Cloud"),
        "the step list does not show the Cloud step"
    );
    let cloud = screenshot(&client, "02-cloud").await.unwrap();
    println!("saved {}", cloud.display());

    client.close().await.unwrap();
    drop(driver);
}
