//! A run that is killed between sending a create and recording its outcome, and a create
//! whose reply was lost: the next run finds the account and never creates it twice.

use std::sync::atomic::Ordering;

use rollcall_core::journal::Action;
use rollcall_core::mapping::map_people;
use rollcall_core::targets::Target;

use crate::support::*;

#[tokio::test]
async fn a_create_sent_before_the_run_was_killed_is_found_not_sent_twice() {
    let mut world = world(60, "All Staff").await;
    world.read().await.unwrap();
    let people = world.people();
    let mapped = map_people(people.iter(), &world.profile.mapping, chrono::Utc::now());
    let write = mapped
        .accounts
        .iter()
        .find(|a| a.write.active)
        .unwrap()
        .write
        .clone();
    // The run recorded its intent and sent the create; then the process died.
    let run = world
        .ledger
        .begin_run(
            rollcall_core::history::Trigger::Manual,
            false,
            chrono::Utc::now(),
        )
        .unwrap();
    let intent = world
        .ledger
        .intend(
            run,
            &write.external_id,
            Action::Create,
            &write,
            chrono::Utc::now(),
        )
        .unwrap();
    world.platform.create_account(&write).await.unwrap();
    assert_eq!(world.ledger.open_intents().unwrap().len(), 1);

    let report = world.sync(Options::default()).await;
    assert_eq!(report.resolved.found, 1);
    assert!(world.ledger.open_intents().unwrap().is_empty());
    assert_eq!(
        world.ledger.outcome_of(intent).unwrap().as_deref(),
        Some("found_later")
    );
    let enabled = people.iter().filter(|p| p.enabled).count();
    assert_eq!(report.applied.create, enabled - 1);
    assert_eq!(world.platform.accounts().len(), enabled);
    assert_eq!(world.platform.by_external(&write.external_id).len(), 1);
}

#[tokio::test]
async fn lost_replies_are_matched_on_the_next_run_and_nobody_is_duplicated() {
    let mut world = world(150, "All Staff").await;
    world
        .platform
        .lose_create_replies
        .store(3, Ordering::SeqCst);
    let first = world.sync(Options::default()).await;
    assert_eq!(
        first
            .errors
            .iter()
            .filter(|e| e.code == "unavailable")
            .count(),
        3,
        "{:?}",
        first.errors
    );
    let enabled = world.people().iter().filter(|p| p.enabled).count();
    assert_eq!(first.applied.create, enabled - 3);
    assert_eq!(world.platform.accounts().len(), enabled);

    let second = world.sync(Options::default()).await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(second.plan.create, 0);
    assert_eq!(second.applied.adopt, 3);
    assert_eq!(world.platform.accounts().len(), enabled, "nobody twice");
    for person in world.people().iter().filter(|p| p.enabled) {
        assert_eq!(world.platform.by_external(&person.id).len(), 1);
    }
    let third = world.sync(Options::default()).await;
    assert_eq!(third.writes, 0);
}
