//! One run at a time per connection, and the schedule's operations: turned on only after a
//! sync by hand has worked, registered with the (here in-memory) operating system's
//! scheduler, listed with its next run and whether the registration matches, repaired,
//! switched off.

use std::sync::Arc;

use rollcall_core::history::Trigger;
use rollcall_core::ops::{RegistrationState, RunLock, SyncObserver, SyncRequest};
use rollcall_core::schedule::{
    MemoryScheduler, OsScheduler, RegisterError, Registration, ScheduleSettings,
};
use rollcall_core::secret::SecretKind;

use super::sync::{connected, point_at_platform};
use super::*;

fn scheduled() -> SyncRequest {
    SyncRequest {
        trigger: Trigger::Schedule,
        ..SyncRequest::default()
    }
}

#[tokio::test]
async fn two_syncs_started_at_once_one_runs_the_other_is_busy() {
    let host = connected().await;
    point_at_platform(&host);
    let by_hand = SyncRequest::default();
    let (first, second) = tokio::join!(
        host.ws.sync("school", &by_hand, SyncObserver::default()),
        host.ws.sync("school", &by_hand, SyncObserver::default()),
    );
    let report = first.unwrap();
    assert!(!report.has_problems(), "{report:#?}");
    let busy = second.unwrap_err();
    assert_eq!(busy.code, ErrorCode::Busy, "{busy:?}");
    assert_eq!(busy.exit_status(), 1);
    assert!(
        busy.message
            .starts_with("A sync of \"school\" is already running (started at ")
            && busy.message.ends_with("). Wait for it to finish."),
        "{}",
        busy.message
    );
    assert_eq!(
        host.sandbox.scim().user_count(),
        report.applied.create,
        "only one run wrote"
    );
    assert_eq!(
        host.ws.history("school").unwrap().len(),
        1,
        "a refused run by hand leaves no run behind: the admin saw the refusal"
    );

    // The lock is let go when the run ends: the next sync runs.
    let again = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    assert_eq!(again.writes, 0);
}

#[tokio::test]
async fn a_scheduled_run_that_finds_one_running_records_that_it_skipped() {
    let host = connected().await;
    point_at_platform(&host);
    let (manual, on_timer) = (SyncRequest::default(), scheduled());
    let (by_hand, on_schedule) = tokio::join!(
        host.ws.sync("school", &manual, SyncObserver::default()),
        host.ws.sync("school", &on_timer, SyncObserver::default()),
    );
    by_hand.unwrap();
    let busy = on_schedule.unwrap_err();
    assert_eq!(busy.code, ErrorCode::Busy);

    let runs = host.ws.history("school").unwrap();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let skipped = runs
        .iter()
        .find(|run| run.trigger == Trigger::Schedule)
        .unwrap();
    let reason = skipped.skipped.as_deref().unwrap();
    assert!(
        reason.contains("A sync of \"school\" is already running"),
        "{reason}"
    );
    assert_eq!(skipped.writes, 0);
    assert!(skipped.finished_at.is_some());
    let json = serde_json::to_value(skipped).unwrap();
    assert_eq!(json["skipped"], reason, "the history's JSON says so too");

    // A lock held by someone else (another process) counts the same way.
    let held = RunLock::take(&host.ws.data_dir().locks(), "school", host.ws.clock().now()).unwrap();
    assert!(host.ws.is_running("school"));
    let refused = host
        .ws
        .undo("school", runs[0].id, true, SyncObserver::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Busy, "undo waits its turn too");
    drop(held);
    assert!(!host.ws.is_running("school"));
}

fn daily(time: &str) -> ScheduleSettings {
    ScheduleSettings {
        daily: Some(time.into()),
        time_zone: Some("Europe/London".into()),
        ..ScheduleSettings::default()
    }
}

#[tokio::test]
async fn a_schedule_is_turned_on_only_after_a_sync_by_hand_worked() {
    let mut host = connected().await;
    let scheduler = Arc::new(MemoryScheduler::new());
    host.ws = host
        .ws
        .clone()
        .with_scheduler(scheduler.clone())
        .with_program("/opt/Rollcall/bin/rollcall".into());
    point_at_platform(&host);

    let refused = host.ws.set_schedule("school", &daily("02:00")).unwrap_err();
    assert_eq!(refused.code, ErrorCode::FirstSyncNeeded, "{refused:?}");
    assert!(
        refused.message.contains("\"Sync now\""),
        "{}",
        refused.message
    );

    // A dry run is not a sync that worked.
    host.ws
        .sync(
            "school",
            &SyncRequest {
                dry_run: true,
                ..SyncRequest::default()
            },
            SyncObserver::default(),
        )
        .await
        .unwrap();
    let refused = host.ws.set_schedule("school", &daily("02:00")).unwrap_err();
    assert_eq!(refused.code, ErrorCode::FirstSyncNeeded);
    assert!(scheduler.names().is_empty());
    assert!(host.ws.profile("school").unwrap().schedule.is_none());

    let report = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    assert!(!report.has_problems());

    let zero = host
        .ws
        .set_schedule(
            "school",
            &ScheduleSettings {
                every: Some("0m".into()),
                ..ScheduleSettings::default()
            },
        )
        .unwrap_err();
    assert_eq!(zero.code, ErrorCode::Schedule);
    assert_eq!(zero.exit_status(), 2);
    assert!(zero.message.contains("every = \"0m\""), "{}", zero.message);
    let unknown = host
        .ws
        .set_schedule(
            "school",
            &ScheduleSettings {
                after: Some("staff".into()),
                ..daily("02:00")
            },
        )
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::Schedule);
    assert!(unknown.message.contains("no connection called \"staff\""));

    let status = host.ws.set_schedule("school", &daily("2:00")).unwrap();
    assert_eq!(status.rule.as_deref(), Some("daily at 02:00"));
    assert_eq!(status.time_zone.as_deref(), Some("Europe/London"));
    assert_eq!(status.registered, RegistrationState::Matches);
    assert!(status.enabled);
    assert!(
        status.next_run.is_some() && status.problem.is_none(),
        "{status:#?}"
    );
    let profile = host.ws.profile("school").unwrap();
    assert!(profile.enabled, "a schedule switches scheduled runs on");
    assert_eq!(
        profile.schedule.unwrap().daily.as_deref(),
        Some("02:00"),
        "saved in its canonical spelling"
    );
    assert_eq!(scheduler.names(), ["school"]);

    // Someone changes what the operating system has: the list says so, repair puts it back.
    scheduler.tamper(
        "school",
        Registration {
            scheduler: "systemd",
            files: Vec::new(),
        },
    );
    assert_eq!(
        host.ws.schedules().unwrap()[0].registered,
        RegistrationState::Differs
    );
    let repaired = host.ws.repair_schedules().unwrap();
    assert_eq!(repaired[0].registered, RegistrationState::Matches);

    // The operating system refusing leaves the profile as it was.
    scheduler.refuse_with(Some(RegisterError::NoSessionManager { user: "ada".into() }));
    let refused = host
        .ws
        .set_schedule(
            "school",
            &ScheduleSettings {
                every: Some("90m".into()),
                ..ScheduleSettings::default()
            },
        )
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Register);
    assert!(
        refused
            .message
            .contains("no user session manager (systemd --user) running"),
        "{}",
        refused.message
    );
    assert_eq!(
        host.ws
            .profile("school")
            .unwrap()
            .schedule
            .unwrap()
            .daily
            .as_deref(),
        Some("02:00")
    );
    scheduler.refuse_with(None);

    let off = host.ws.clear_schedule("school").unwrap();
    assert_eq!(off.registered, RegistrationState::NotScheduled);
    assert!(off.rule.is_none() && off.next_run.is_none());
    assert!(
        scheduler.names().is_empty(),
        "switched off, nothing stays registered"
    );
    assert!(!host.ws.profile("school").unwrap().enabled);
}

#[tokio::test]
async fn a_refusal_at_start_up_is_kept_for_the_home_screen_until_registering_works() {
    let mut host = connected().await;
    let scheduler = Arc::new(MemoryScheduler::new());
    host.ws = host
        .ws
        .clone()
        .with_scheduler(scheduler.clone())
        .with_program("/opt/Rollcall/bin/rollcall".into());
    point_at_platform(&host);
    let before = host.ws.schedule_status("school").unwrap();
    assert!(!before.sync_by_hand_worked, "{before:#?}");
    host.ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    assert!(
        host.ws
            .schedule_status("school")
            .unwrap()
            .sync_by_hand_worked
    );
    host.ws.set_schedule("school", &daily("02:00")).unwrap();

    // The registration goes missing (another computer user, a reinstall) and the operating
    // system refuses to take it back when the window starts.
    scheduler.unregister("school").unwrap();
    scheduler.refuse_with(Some(RegisterError::NoSessionManager { user: "ada".into() }));
    let repaired = host.ws.repair_schedules().unwrap();
    assert_eq!(repaired[0].registered, RegistrationState::Missing);
    let shown = host.ws.schedule_status("school").unwrap();
    assert_eq!(shown.registered, RegistrationState::Missing);
    assert_eq!(
        shown.problem, repaired[0].problem,
        "the status asked for later says why, as the repair found it"
    );
    assert!(
        shown
            .problem
            .as_deref()
            .is_some_and(|problem| problem.contains("no user session manager")),
        "{shown:#?}"
    );

    scheduler.refuse_with(None);
    let again = host.ws.repair_schedules().unwrap();
    assert_eq!(again[0].registered, RegistrationState::Matches);
    assert_eq!(host.ws.schedule_status("school").unwrap().problem, None);
}

#[tokio::test]
async fn deleting_a_connection_removes_its_registration_secrets_and_files() {
    let mut host = connected().await;
    let scheduler = Arc::new(MemoryScheduler::new());
    host.ws = host
        .ws
        .clone()
        .with_scheduler(scheduler.clone())
        .with_program("/opt/Rollcall/bin/rollcall".into());
    point_at_platform(&host);
    host.ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap();
    host.ws.set_schedule("school", &daily("02:00")).unwrap();
    assert_eq!(scheduler.names(), ["school"]);
    let accounts = host.sandbox.scim().user_count();
    assert!(accounts > 0);
    let folder = host.ws.data_dir().path().to_path_buf();
    let files = [
        folder.join("profiles").join("school.toml"),
        folder.join("cache").join("school.sqlite3"),
        folder.join("ledger").join("school.sqlite3"),
    ];
    for file in &files {
        assert!(file.is_file(), "{} is there before", file.display());
    }

    // Not while it syncs.
    let held = RunLock::take(&host.ws.data_dir().locks(), "school", host.ws.clock().now()).unwrap();
    let busy = host.ws.delete_connection("school").unwrap_err();
    assert_eq!(busy.code, ErrorCode::Busy, "{busy:?}");
    assert_eq!(
        scheduler.names(),
        ["school"],
        "a refused delete changes nothing"
    );
    drop(held);

    host.ws.delete_connection("school").unwrap();
    assert!(
        scheduler.names().is_empty(),
        "nothing stays registered to run a connection that is gone"
    );
    for file in &files {
        assert!(!file.exists(), "{} is gone", file.display());
    }
    for kind in [SecretKind::Graph, SecretKind::Target] {
        assert!(host.ws.secrets().read("school", kind).unwrap().is_none());
    }
    assert_eq!(
        host.ws.profile("school").unwrap_err().code,
        ErrorCode::ProfileNotFound
    );
    assert_eq!(
        host.sandbox.scim().user_count(),
        accounts,
        "the platform's accounts stay as they are"
    );
    assert_eq!(
        host.ws.delete_connection("school").unwrap_err().code,
        ErrorCode::ProfileNotFound
    );
}
