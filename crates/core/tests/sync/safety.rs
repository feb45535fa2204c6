//! The guard in a real run: an incomplete read switches nobody off, nor does a scope group
//! that no longer exists or a cache older than the run; a 64% drop is held until the admin
//! forces it; a refused token stops the run at once.

use std::sync::atomic::Ordering;

use rollcall_sandbox::{Faults, UserChanges};

use crate::support::*;

async fn synced(users: usize) -> World {
    let mut world = world(users, "All Staff").await;
    let first = world.sync(Options::default()).await;
    assert!(first.applied.create > 50 && first.errors.is_empty());
    world
}

fn active(world: &World) -> usize {
    world
        .platform
        .accounts()
        .iter()
        .filter(|a| a.active)
        .count()
}

#[tokio::test]
async fn an_incomplete_read_switches_nobody_off_even_when_forced() {
    let mut world = synced(200).await;
    let control = world.sandbox.control();
    let leaving: Vec<String> = world
        .people()
        .iter()
        .filter(|p| p.enabled)
        .take(5)
        .map(|p| p.id.clone())
        .collect();
    for id in &leaving {
        control.disable_user(id).unwrap();
    }
    // The cache learns of the five, then the next read fails half way.
    world.read().await.unwrap();
    let before = active(&world);
    control
        .set_faults(Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        })
        .unwrap();
    let started = chrono::Utc::now();
    assert!(world.read().await.is_err(), "the read fails");
    control.set_faults(Faults::default()).unwrap();
    for force in [false, true] {
        let report = world
            .sync_only(
                Options {
                    read: false,
                    force,
                    ..Options::default()
                },
                started,
            )
            .await;
        assert_eq!(report.plan.deactivate, 5);
        assert_eq!(report.applied.deactivate, 0);
        assert_eq!(
            report.blocked[0].code, "read_incomplete",
            "{:?}",
            report.blocked
        );
        assert!(report.has_problems());
        assert_eq!(active(&world), before);
    }
    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.deactivate, 5, "{:?}", report.blocked);
    assert_eq!(active(&world), before - 5);
}

#[tokio::test]
async fn a_read_that_did_not_finish_after_changes_holds_every_deactivation() {
    let mut world = synced(200).await;
    let control = world.sandbox.control();
    // Half the people leave while the cache still says the last read is unfinished.
    let people = world.people();
    for person in people.iter().filter(|p| p.enabled).take(4) {
        control.disable_user(&person.id).unwrap();
    }
    world.read().await.unwrap();
    world
        .store
        .begin_read(rollcall_core::store::ReadKind::Delta, chrono::Utc::now())
        .unwrap();
    let before = active(&world);
    let report = world
        .sync_only(
            Options {
                read: false,
                force: true,
                ..Options::default()
            },
            chrono::Utc::now() - chrono::Duration::minutes(1),
        )
        .await;
    assert_eq!(report.plan.deactivate, 4);
    assert_eq!(report.applied.deactivate, 0);
    assert_eq!(report.blocked[0].code, "read_incomplete");
    assert!(
        report.blocked[0]
            .message
            .starts_with("The read of Entra did not finish"),
        "{}",
        report.blocked[0].message
    );
    assert_eq!(report.not_deactivated.len(), 4);
    assert_eq!(active(&world), before);
}

#[tokio::test]
async fn a_scope_group_that_no_longer_exists_switches_nobody_off() {
    let mut world = synced(150).await;
    let before = active(&world);
    // The include group is replaced by one that does not exist: everyone left "scope".
    world.profile.scope.include_groups = vec!["7e1c2f00-0000-4000-8000-000000000001".into()];
    let report = world
        .sync(Options {
            force: true,
            ..Options::default()
        })
        .await;
    assert_eq!(report.plan.deactivate, before);
    assert_eq!(report.applied.deactivate, 0);
    assert!(
        report
            .blocked
            .iter()
            .any(|h| h.code == "scope_group_missing"),
        "{:?}",
        report.blocked
    );
    assert_eq!(active(&world), before);
}

#[tokio::test]
async fn a_cache_older_than_the_run_switches_nobody_off() {
    let mut world = synced(120).await;
    let control = world.sandbox.control();
    let person = world.people().into_iter().find(|p| p.enabled).unwrap();
    control.disable_user(&person.id).unwrap();
    world.read().await.unwrap();
    let report = world
        .sync_only(
            Options {
                read: false,
                ..Options::default()
            },
            chrono::Utc::now() + chrono::Duration::seconds(5),
        )
        .await;
    assert_eq!(report.applied.deactivate, 0);
    assert_eq!(report.blocked[0].code, "cache_stale");
}

#[tokio::test]
async fn a_64_percent_drop_is_held_and_forcing_applies_it_once() {
    let mut world = synced(250).await;
    let owned = active(&world);
    let drop = (owned * 64 + 50) / 100;
    let control = world.sandbox.control();
    for person in world.people().iter().filter(|p| p.enabled).take(drop) {
        control
            .update_user(
                &person.id,
                UserChanges {
                    account_enabled: Some(false),
                    ..UserChanges::default()
                },
            )
            .unwrap();
    }
    let held = world.sync(Options::default()).await;
    assert_eq!(held.plan.deactivate, drop);
    assert_eq!(held.applied.deactivate, 0);
    assert_eq!(held.blocked.len(), 1, "{:?}", held.blocked);
    assert!(
        held.blocked[0]
            .message
            .starts_with("This would switch off 64% of accounts"),
        "{}",
        held.blocked[0].message
    );
    assert!(held.has_problems());
    assert_eq!(active(&world), owned);

    let forced = world
        .sync(Options {
            force: true,
            ..Options::default()
        })
        .await;
    assert!(forced.blocked.is_empty());
    assert_eq!(forced.applied.deactivate, drop);
    assert_eq!(active(&world), owned - drop);
}

#[tokio::test]
async fn a_refused_token_stops_the_run_at_once() {
    let mut world = synced(100).await;
    let control = world.sandbox.control();
    for person in world.people().iter().filter(|p| p.enabled).take(3) {
        control
            .update_user(
                &person.id,
                UserChanges {
                    department: Some("Renamed".into()),
                    ..UserChanges::default()
                },
            )
            .unwrap();
    }
    world.platform.refuse_token.store(true, Ordering::SeqCst);
    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.update, 0);
    assert!(
        report.stopped.as_deref().unwrap().contains("token"),
        "{report:?}"
    );
    assert_eq!(
        report
            .errors
            .iter()
            .filter(|e| e.code == "unauthorized")
            .count(),
        1,
        "the first refusal stops the run: {:?}",
        report.errors
    );
    world.platform.refuse_token.store(false, Ordering::SeqCst);
    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.update, 3);
}
