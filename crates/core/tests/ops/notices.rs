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

fn email_settings(server: &str, user: Option<&str>) -> rollcall_core::profile::EmailSettings {
    rollcall_core::profile::EmailSettings {
        to: vec!["it@school.example".into()],
        from: "rollcall@school.example".into(),
        server: server.into(),
        port: 587,
        user: user.map(str::to_string),
        when: rollcall_core::profile::EmailWhen::Problems,
    }
}

fn choice(
    email: Option<rollcall_core::profile::EmailSettings>,
    password: Option<&str>,
) -> rollcall_core::ops::NotifyChoice {
    rollcall_core::ops::NotifyChoice {
        settings: rollcall_core::profile::NotifySettings {
            desktop: true,
            email,
        },
        password: password.map(str::to_string),
    }
}

#[tokio::test]
async fn the_notification_settings_are_checked_by_field_and_the_password_kept_in_the_keychain() {
    use rollcall_core::ops::NotifyField;
    let host = host().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    let profile_file = host.ws.data_dir().profiles().join("school.toml");
    let before = std::fs::read_to_string(&profile_file).unwrap();

    // Each problem names its field; nothing is saved while one is there.
    let mut no_one = email_settings("smtp.school.example", None);
    no_one.to.clear();
    let mut bad_from = email_settings("smtp.school.example", None);
    bad_from.from = "rollcall at school".into();
    let cases = [
        (no_one, NotifyField::To, "No one is listed"),
        (bad_from, NotifyField::From, "is not an email address"),
        (
            email_settings("https://smtp.school.example", None),
            NotifyField::Server,
            "without https://",
        ),
        (
            email_settings("smtp.school.example", Some(" ")),
            NotifyField::User,
            "user name is empty",
        ),
        (
            email_settings("smtp.school.example", Some("rollcall@school.example")),
            NotifyField::Password,
            "Enter the password rollcall@school.example signs in to smtp.school.example with",
        ),
    ];
    for (email, field, words) in cases {
        let given = choice(Some(email), None);
        let problems = host.ws.check_notify("school", &given).unwrap();
        assert_eq!(problems.len(), 1, "{field:?}: {problems:?}");
        assert_eq!(problems[0].field, field);
        assert!(
            problems[0].message.contains(words),
            "{}",
            problems[0].message
        );
        let refused = host.ws.save_notify("school", given).unwrap_err();
        assert_eq!(refused.code, ErrorCode::ProfileInvalid);
        assert_eq!(std::fs::read_to_string(&profile_file).unwrap(), before);
    }

    // Saved with the password: the profile holds the settings, the keychain the password.
    let email = email_settings("smtp.school.example", Some("rollcall@school.example"));
    let saved = host
        .ws
        .save_notify("school", choice(Some(email.clone()), Some("mail-pass\n")))
        .unwrap();
    assert!(saved.password_stored);
    assert_eq!(saved.settings.email.as_ref(), Some(&email));
    let text = std::fs::read_to_string(&profile_file).unwrap();
    assert!(text.contains("smtp.school.example"), "{text}");
    assert!(
        !text.contains("mail-pass"),
        "no password in the profile: {text}"
    );
    assert_eq!(host.ws.notify_setup("school").unwrap(), saved);

    // Saved again without typing it: the stored password is kept.
    let again = host
        .ws
        .save_notify("school", choice(Some(email.clone()), None))
        .unwrap();
    assert!(again.password_stored);

    // Another server: the password stored for the first one is not used for it.
    let moved = choice(
        Some(email_settings(
            "smtp.other.example",
            Some("rollcall@school.example"),
        )),
        None,
    );
    let problems = host.ws.check_notify("school", &moved).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, NotifyField::Password);

    // A server that takes mail without signing in needs no password.
    let open = host
        .ws
        .save_notify(
            "school",
            choice(Some(email_settings("relay.school.example", None)), None),
        )
        .unwrap();
    assert!(!open.password_stored);

    // Email switched off again.
    let off = host.ws.save_notify("school", choice(None, None)).unwrap();
    assert_eq!(off.settings.email, None);
    let error = host.ws.send_test_email("school").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Mail);
    assert!(
        error.message.contains("has no email settings"),
        "{}",
        error.message
    );
}
