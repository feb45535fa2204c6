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

#[tokio::test]
async fn the_journal_keeps_only_the_last_few_runs_and_every_open_intent() {
    let mut world = world(20, "All Staff").await;
    let first = world.sync(Options::default()).await;
    assert!(first.writes > 0);
    let path = world._folder.path().join("ledger").join("school.sqlite3");
    let runs_in_journal = || -> Vec<i64> {
        let connection = rusqlite::Connection::open(&path).unwrap();
        let mut statement = connection
            .prepare("SELECT DISTINCT run FROM journal ORDER BY run")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(runs_in_journal(), vec![first.run]);
    for _ in 1..rollcall_core::sync::JOURNAL_RUNS_KEPT {
        world.sync(Options::default()).await;
    }
    assert_eq!(
        runs_in_journal(),
        vec![first.run],
        "still among the last runs"
    );
    world.sync(Options::default()).await;
    assert!(
        runs_in_journal().is_empty(),
        "the first run's entries are pruned once it is older than the last {} runs",
        rollcall_core::sync::JOURNAL_RUNS_KEPT
    );
    // An intent left open by an old run is kept, so the next run can resolve it.
    world
        .ledger
        .intend(
            first.run,
            "00000000-0000-0000-0000-00000000dead",
            Action::Update,
            &serde_json::json!({}),
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(world.ledger.prune_journal(1).unwrap(), 0);
    assert_eq!(world.ledger.open_intents().unwrap().len(), 1);
}
