//! Opening Rollcall again: a second start on the same mode and data folder hands over to the
//! open window (brought forward) and exits 0 at once; a start on another data folder opens a
//! window of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rollcall_e2e::page::{visible_text_of, wait_for_title};
use rollcall_e2e::{demo_args, open_demo, rollcall_bin, terminate};

/// How long a second start may take to hand over and exit.
const HAND_OVER: Duration = Duration::from_secs(10);

fn start_again(data_dir: &Path) -> Child {
    Command::new(rollcall_bin().unwrap())
        .args(demo_args(data_dir))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The child's exit status once it exits within `limit`, or `None` if it is still running.
fn exited_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

async fn has_focus(client: &fantoccini::Client) -> bool {
    client
        .execute("return document.hasFocus();", Vec::new())
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test]
async fn opening_rollcall_again_brings_the_open_window_forward() {
    let data_dir = tempfile::tempdir().unwrap();
    let (driver, client) = open_demo(data_dir.path())
        .await
        .unwrap_or_else(|message| panic!("{message}"));
    wait_for_title(&client, "Connect Microsoft Entra ID").await;
    // Moved on one step, so "still the same window" is visible in what it shows.
    rollcall_e2e::page::click(&client, "wizard-next").await;
    wait_for_title(&client, "Which Microsoft cloud is your organisation on?").await;

    let started = Instant::now();
    let mut second = start_again(data_dir.path());
    let Some(status) = exited_within(&mut second, HAND_OVER) else {
        terminate(&mut second, Duration::from_secs(5));
        panic!("a second start on the same folder was still running after {HAND_OVER:?}");
    };
    assert!(status.success(), "the second start exited with {status}");
    println!(
        "second start handed over and exited in {} ms",
        started.elapsed().as_millis()
    );

    // The first window is still there, one window, on the step it was on, and focused.
    assert_eq!(client.windows().await.unwrap().len(), 1);
    assert!(
        visible_text_of(&client, "step-title")
            .await
            .contains("Which Microsoft cloud"),
        "the open window lost its place"
    );
    assert!(
        has_focus(&client).await,
        "the open window is not focused after the second start"
    );

    // Another data folder is another instance: it keeps running with a window of its own.
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = start_again(other_dir.path());
    let other_status = exited_within(&mut other, Duration::from_secs(4));
    terminate(&mut other, Duration::from_secs(5));
    assert!(
        other_status.is_none(),
        "a start on another data folder exited ({other_status:?}) instead of opening its window"
    );

    client.close().await.unwrap();
    drop(driver);
}
