//! Telling the admin: the secret-expiry reminders on the right days (injected clock), once
//! each; a scheduled run that cannot read Entra, or cannot start, is told and kept in the
//! history with the reason.

use std::sync::Arc;

use rollcall_core::history::{RunOutcome, Trigger};
use rollcall_core::notices::{MemoryNotifier, NoticeKind};
use rollcall_core::ops::{SyncObserver, SyncRequest};
use rollcall_core::schedule::{MemoryScheduler, ScheduleSettings};

use super::sync::{connected, point_at_platform};
use super::*;

fn scheduled() -> SyncRequest {
    SyncRequest {
        trigger: Trigger::Schedule,
        ..SyncRequest::default()
    }
}

fn healthy_client_id(host: &Host) -> String {
    host.sandbox
        .info()
        .apps
        .iter()
        .find(|app| app.state == AppState::Healthy)
        .unwrap()
        .client_id
        .clone()
}

#[tokio::test]
async fn secret_expiry_reminders_go_out_30_14_7_and_1_days_before_once_each() {
    let host = host().await;
    let start = chrono::Utc::now();
    let expires = (start + chrono::Duration::days(40)).date_naive();
    let mut request = host.connection(None);
    request.secret_expires = Some(expires);
    host.ws.save_connection("school", &request).unwrap();
    let clock = Arc::new(FixedClock::at(start));
    let told = Arc::new(MemoryNotifier::default());
    let ws = host
        .ws
        .clone()
        .with_clock(clock.clone())
        .with_notifier(told.clone());

    let mut days_left = Vec::new();
    for day in 0..45_i64 {
        let sent = ws.send_reminders().await.unwrap();
        assert!(sent.len() <= 1, "{sent:?}");
        if let Some(notice) = sent.first() {
            assert_eq!(notice.connection, "school");
            days_left.push((40 - day, notice.kind));
        }
        // The window opened again the same day: nothing new.
        assert!(ws.send_reminders().await.unwrap().is_empty());
        clock.advance(chrono::Duration::days(1));
    }
    assert_eq!(
        days_left,
        vec![
            (30, NoticeKind::SecretExpiring),
            (14, NoticeKind::SecretExpiring),
            (7, NoticeKind::SecretExpiring),
            (1, NoticeKind::SecretExpiring),
            (0, NoticeKind::SecretExpiring),
        ]
    );
    let shown = told.sent();
    assert_eq!(shown.len(), 5, "each reminder is shown on the desktop");
    assert!(
        shown[3].title.ends_with("expires tomorrow"),
        "{}",
        shown[3].title
    );
    assert!(
        shown[0].body.contains("Certificates & secrets"),
        "the reminder says how to renew: {}",
        shown[0].body
    );
}

#[tokio::test]
async fn a_scheduled_run_whose_secret_expired_is_told_and_the_history_says_why() {
    let mut host = connected().await;
    let told = Arc::new(MemoryNotifier::default());
    host.ws = host
        .ws
        .clone()
        .with_scheduler(Arc::new(MemoryScheduler::new()))
        .with_program("/opt/Rollcall/bin/rollcall".into())
        .with_notifier(told.clone());
    point_at_platform(&host);
    let first = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    assert!(!first.has_problems(), "{first:#?}");
    assert!(
        told.sent().is_empty(),
        "a sync by hand that worked tells nobody"
    );
    host.ws
        .set_schedule(
            "school",
            &ScheduleSettings {
                every: Some("1h".into()),
                ..ScheduleSettings::default()
            },
        )
        .unwrap();

    host.sandbox
        .control()
        .expire_secrets(&healthy_client_id(&host))
        .unwrap();
    let report = host
        .ws
        .sync("school", &scheduled(), SyncObserver::default())
        .await
        .unwrap();
    assert!(
        report.has_problems(),
        "a run that could not read Entra is a problem"
    );
    assert_eq!(report.applied.deactivate, 0);
    let read = report.read_incomplete().expect("the read problem");
    assert!(read.message.contains("expired"), "{}", read.message);

    let shown = told.sent();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0].kind, NoticeKind::RunFailed);
    assert!(shown[0].body.contains("expired"), "{}", shown[0].body);

    let runs = host.ws.run_summaries("school").unwrap();
    assert_eq!(runs[0].id, report.run);
    assert_eq!(runs[0].trigger, Trigger::Schedule);
    assert_eq!(runs[0].outcome, RunOutcome::Problems, "{:#?}", runs[0]);
    let stored = host.ws.history("school").unwrap()[0]
        .report
        .clone()
        .unwrap();
    assert_eq!(
        stored["problems"][0]["code"], "read_incomplete",
        "the history keeps why: {stored:#}"
    );
}

#[tokio::test]
async fn a_scheduled_run_that_cannot_start_is_kept_in_the_history_and_told() {
    let mut host = connected().await;
    let told = Arc::new(MemoryNotifier::default());
    host.ws = host.ws.clone().with_notifier(told.clone());
    point_at_platform(&host);
    let refused = host
        .ws
        .sync("school", &scheduled(), SyncObserver::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Disabled);

    let runs = host.ws.run_summaries("school").unwrap();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0].outcome, RunOutcome::Failed);
    assert_eq!(runs[0].failed.as_deref(), Some(refused.message.as_str()));
    let shown = told.sent();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].kind, NoticeKind::RunNotStarted);
    assert_eq!(shown[0].body, refused.message);

    // By hand the admin sees the refusal in the window or terminal: no notice, no entry.
    host.ws
        .sync(
            "school",
            &SyncRequest {
                dry_run: true,
                ..scheduled()
            },
            SyncObserver::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(told.sent().len(), 1, "a dry run tells nobody");
}
