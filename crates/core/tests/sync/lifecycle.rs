//! First sync, a no-op second sync, and the life of people in Entra (disable, rename,
//! change department, leave scope, delete, join, re-enable) reaching the platform; adoption
//! of accounts that already exist; one person first; dry run; undo.

use rollcall_core::preview::Preview;
use rollcall_core::sync::{SyncContext, undo};
use rollcall_sandbox::{NewUser, UserChanges};
use serde_json::Value;

use crate::support::*;

const DEPARTMENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

#[tokio::test]
async fn first_sync_then_nothing_then_every_change_in_entra_reaches_the_platform() {
    let mut world = world(300, "All Staff").await;
    let report = world.sync(Options::default()).await;
    let people = world.people();
    let enabled: Vec<_> = people.iter().filter(|p| p.enabled).collect();
    assert!(enabled.len() > 100, "{}", enabled.len());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.applied.create, enabled.len());
    assert_eq!(report.plan.create, enabled.len());
    let accounts = by_external(&world.platform);
    assert_eq!(
        accounts.len(),
        enabled.len(),
        "no disabled person gets an account"
    );
    for person in &enabled {
        let account = &accounts[&person.id];
        assert_eq!(account.user_name, person.user_principal_name);
        assert!(account.active);
        assert_eq!(
            account
                .attributes
                .get("displayName")
                .and_then(Value::as_str),
            Some(person.display_name.as_str())
        );
        assert!(
            account
                .attributes
                .values()
                .all(|v| v.as_str().is_some_and(|s| !s.is_empty())),
            "no empty strings are sent"
        );
    }
    // Managers point at the manager's own account.
    let with_manager: Vec<_> = enabled
        .iter()
        .filter(|p| {
            p.manager_id
                .as_ref()
                .is_some_and(|m| accounts.contains_key(m))
        })
        .collect();
    assert!(!with_manager.is_empty());
    for person in with_manager {
        let manager = &accounts[person.manager_id.as_ref().unwrap()];
        assert_eq!(
            accounts[&person.id].manager.as_deref(),
            Some(manager.id.as_str())
        );
    }

    // Nothing changed in Entra: nothing is written.
    let writes = world.platform.writes();
    let again = world.sync(Options::default()).await;
    assert_eq!(world.platform.writes(), writes, "{again:?}");
    assert_eq!(again.writes, 0);
    assert_eq!(
        again.plan.create + again.plan.update + again.plan.deactivate,
        0
    );
    assert_eq!(again.unchanged, enabled.len());

    // Life in Entra.
    let control = world.sandbox.control();
    let preview =
        Preview::from_store(&world.store, &world.scope(), &world.profile.mapping).unwrap();
    let members: Vec<_> = preview.users.iter().filter(|u| u.enabled).take(5).collect();
    let (disabled, renamed, moved, leaver, deleted) =
        (members[0], members[1], members[2], members[3], members[4]);
    control.disable_user(&disabled.id).unwrap();
    control
        .update_user(
            &renamed.id,
            UserChanges {
                display_name: Some("Siobhán O'Neill-Ñúñez".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    control
        .update_user(
            &moved.id,
            UserChanges {
                department: Some("Quality Office".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    let leaver_group = control.group_id(leaver.paths[0].last().unwrap()).unwrap();
    control
        .remove_group_member(&leaver_group, &leaver.id)
        .unwrap();
    control.delete_user(&deleted.id, false).unwrap();
    let team = control.group_id(moved.paths[0].last().unwrap()).unwrap();
    let joiner = control
        .add_user(NewUser {
            display_name: "Zoë D'Arcy".into(),
            department: Some("Admissions".into()),
            groups: vec![team],
            ..NewUser::default()
        })
        .unwrap();

    let writes = world.platform.writes();
    let report = world.sync(Options::default()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.blocked.is_empty(), "{:?}", report.blocked);
    assert_eq!(report.applied.create, 1);
    assert_eq!(report.applied.update, 2);
    assert_eq!(report.applied.deactivate, 3);
    let accounts = by_external(&world.platform);
    assert_eq!(
        accounts[&renamed.id].attributes["displayName"],
        "Siobhán O'Neill-Ñúñez"
    );
    assert_eq!(accounts[&moved.id].attributes[DEPARTMENT], "Quality Office");
    assert_eq!(accounts[&joiner.id].user_name, joiner.user_principal_name);
    for gone in [disabled, leaver, deleted] {
        assert!(!accounts[&gone.id].active, "{} is switched off", gone.id);
    }
    assert_eq!(accounts.len(), enabled.len() + 1, "nothing is ever deleted");
    let reasons: Vec<&str> = report
        .deactivated
        .iter()
        .map(|d| d.reason.as_str())
        .collect();
    assert!(reasons.contains(&"disabled in Entra"), "{reasons:?}");
    let writes_for_changes = world.platform.writes() - writes;
    assert!(
        writes_for_changes <= 8,
        "writes follow the changes: {writes_for_changes}"
    );

    // Sign-in allowed again: the account comes back.
    control
        .update_user(
            &disabled.id,
            UserChanges {
                account_enabled: Some(true),
                ..UserChanges::default()
            },
        )
        .unwrap();
    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.reactivate, 1);
    assert_eq!(report.applied.deactivate, 0);
    assert!(by_external(&world.platform)[&disabled.id].active);

    // History keeps every run, and undo switches back on what a run switched off.
    let runs = world.ledger.runs(10).unwrap();
    assert_eq!(runs.len(), 4);
    let deactivating = runs.iter().find(|r| r.deactivated().len() == 3).unwrap();
    let cancel = rollcall_core::graph::CancelToken::new();
    let progress = |_: &rollcall_core::apply::SyncProgress| {};
    let undone = undo(
        deactivating.id,
        &SyncContext {
            ledger: &world.ledger,
            target: world.platform.as_ref(),
            clock: &rollcall_core::clock::SystemClock,
            progress: &progress,
            cancel: &cancel,
        },
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        undone.applied.reactivate, 2,
        "the re-enabled person was already back"
    );
    let accounts = by_external(&world.platform);
    assert!(accounts[&leaver.id].active && accounts[&deleted.id].active);
}

#[tokio::test]
async fn existing_accounts_are_adopted_and_strangers_left_alone() {
    let mut world = world(120, "All Staff").await;
    world.read().await.unwrap();
    let people = world.people();
    let enabled: Vec<_> = people
        .iter()
        .filter(|p| p.enabled && p.mail.is_some())
        .collect();
    let same_name = enabled[0];
    let same_mail = enabled[1];
    let by_name = world.platform.add_existing(
        None,
        &same_name.user_principal_name.to_uppercase(),
        "old@example.com",
    );
    let by_mail =
        world
            .platform
            .add_existing(None, "legacy-login-42", same_mail.mail.as_deref().unwrap());
    let stranger =
        world
            .platform
            .add_existing(None, "visiting.teacher@example.com", "visiting@example.com");
    let taken = world.platform.add_existing(
        Some("11111111-0000-0000-0000-000000000000"),
        &enabled[2].user_principal_name,
        "x@example.com",
    );

    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.adopt, 2, "{report:?}");
    let adopted: Vec<(&str, String)> = report
        .adopted
        .iter()
        .map(|a| (a.user.as_str(), format!("{:?}", a.matched_by)))
        .collect();
    assert!(adopted.contains(&(same_name.user_principal_name.as_str(), "UserName".into())));
    assert!(adopted.contains(&(same_mail.user_principal_name.as_str(), "Email".into())));
    let accounts = world.platform.accounts.lock().unwrap().clone();
    assert_eq!(
        accounts[&by_name].external_id.as_deref(),
        Some(same_name.id.as_str())
    );
    assert_eq!(accounts[&by_name].user_name, same_name.user_principal_name);
    assert_eq!(
        accounts[&by_mail].external_id.as_deref(),
        Some(same_mail.id.as_str())
    );
    let untouched = &accounts[&stranger];
    assert!(untouched.active && untouched.external_id.is_none());
    assert_eq!(untouched.user_name, "visiting.teacher@example.com");
    assert_eq!(
        accounts[&taken].external_id.as_deref(),
        Some("11111111-0000-0000-0000-000000000000"),
        "an account with another identity is never taken over"
    );
    let error = report
        .errors
        .iter()
        .find(|e| e.user == enabled[2].user_principal_name)
        .unwrap();
    assert_eq!(error.code, "account_belongs_to_another");
    for person in &enabled {
        assert!(
            world.platform.by_external(&person.id).len() <= 1,
            "no duplicates"
        );
    }

    // The accounts that were already there are never switched off by a later sync either.
    let report = world.sync(Options::default()).await;
    assert_eq!(report.plan.deactivate, 0);
    assert!(world.platform.accounts.lock().unwrap()[&stranger].active);
}

#[tokio::test]
async fn one_person_first_then_everyone_and_a_dry_run_writes_nothing() {
    let mut world = world(80, "All Staff").await;
    world.read().await.unwrap();
    let people = world.people();
    let enabled: Vec<_> = people.iter().filter(|p| p.enabled).collect();

    let dry = world
        .sync(Options {
            dry_run: true,
            ..Options::default()
        })
        .await;
    assert!(dry.dry_run);
    assert_eq!(dry.plan.create, enabled.len());
    assert_eq!(dry.applied.create, 0);
    assert_eq!(world.platform.writes(), 0);
    assert!(world.platform.accounts().is_empty());

    let test_user = &enabled[0].user_principal_name;
    let one = world
        .sync(Options {
            only: Some(test_user.to_uppercase()),
            ..Options::default()
        })
        .await;
    assert_eq!(one.plan.create, 1);
    assert_eq!(one.applied.create, 1);
    assert_eq!(world.platform.accounts().len(), 1);
    assert_eq!(&world.platform.accounts()[0].user_name, test_user);

    let all = world.sync(Options::default()).await;
    assert_eq!(all.applied.create, enabled.len() - 1);
    assert_eq!(world.platform.accounts().len(), enabled.len());

    let json = serde_json::to_value(&all).unwrap();
    for key in ["dry_run", "plan", "applied", "errors", "blocked"] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    for key in ["create", "update", "deactivate", "reactivate"] {
        assert!(json["plan"].get(key).is_some() && json["applied"].get(key).is_some());
    }
}

#[tokio::test]
async fn chosen_groups_are_pushed_with_their_members_kept_in_step() {
    let mut world = world(150, "All Staff").await;
    world.read().await.unwrap();
    let preview =
        Preview::from_store(&world.store, &world.scope(), &world.profile.mapping).unwrap();
    let team_name = preview.users.iter().find(|u| u.enabled).unwrap().paths[0]
        .last()
        .unwrap()
        .clone();
    let control = world.sandbox.control();
    let team = control.group_id(&team_name).unwrap();
    world.profile.sync.push_groups = vec![team.clone()];
    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.groups, 1, "{:?}", report.errors);
    let in_team: Vec<String> = preview
        .users
        .iter()
        .filter(|u| u.enabled && u.paths.iter().any(|p| p.contains(&team_name)))
        .map(|u| u.id.clone())
        .collect();
    let accounts = by_external(&world.platform);
    let mut expected: Vec<String> = in_team.iter().map(|id| accounts[id].id.clone()).collect();
    expected.sort();
    let mut members = world.platform.groups.lock().unwrap()[&team].1.clone();
    members.sort();
    assert_eq!(members, expected);
    assert!(!members.is_empty());

    // Someone leaves the team: they leave the platform's group, nothing else is sent again.
    control.remove_group_member(&team, &in_team[0]).unwrap();
    let report = world.sync(Options::default()).await;
    assert_eq!(report.applied.groups, 1);
    let members = world.platform.groups.lock().unwrap()[&team].1.clone();
    assert!(!members.contains(&accounts[&in_team[0]].id));
    assert_eq!(members.len(), expected.len() - 1);
    let report = world.sync(Options::default()).await;
    assert_eq!(report.writes, 0);
}

#[tokio::test]
async fn a_cancelled_run_stops_cleanly_and_the_next_one_finishes_the_work() {
    let mut world = world(120, "All Staff").await;
    world.read().await.unwrap();
    let enabled = world.people().iter().filter(|p| p.enabled).count();
    let view = rollcall_core::sync::CacheView::read(&world.store).unwrap();
    let cancel = rollcall_core::graph::CancelToken::new();
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |step: &rollcall_core::apply::SyncProgress| {
        seen.lock().unwrap().push(*step);
        if step.phase == rollcall_core::apply::Phase::Creating && step.done >= 50 {
            cancel.cancel();
        }
    };
    let report = rollcall_core::sync::run(
        &world.profile,
        view,
        &SyncContext {
            ledger: &world.ledger,
            target: world.platform.as_ref(),
            clock: &rollcall_core::clock::SystemClock,
            progress: &progress,
            cancel: &cancel,
        },
        &rollcall_core::sync::SyncOptions {
            dry_run: false,
            force_deactivations: false,
            only: None,
            trigger: rollcall_core::history::Trigger::Manual,
            started_at: chrono::Utc::now() - chrono::Duration::minutes(1),
            list_people: false,
        },
    )
    .await
    .unwrap();
    assert!(report.stopped.as_deref().unwrap().contains("cancelled"));
    assert!(
        report.applied.create >= 50 && report.applied.create < enabled,
        "{}",
        report.applied.create
    );
    let steps = seen.lock().unwrap().clone();
    assert!(
        steps
            .iter()
            .any(|s| s.phase == rollcall_core::apply::Phase::Creating
                && s.total == enabled
                && s.done == 0)
    );
    assert!(
        world.ledger.open_intents().unwrap().is_empty(),
        "every sent write is settled"
    );

    let rest = world.sync(Options::default()).await;
    assert_eq!(rest.applied.create, enabled - report.applied.create);
    assert_eq!(world.platform.accounts().len(), enabled);
    assert!(rest.estimate.rate.is_some(), "measured on the earlier runs");
}

/// The hosts run a sync on a multi-threaded runtime: its future must be `Send`.
#[allow(dead_code)]
fn a_sync_can_run_on_any_thread(world: &World, view: rollcall_core::sync::CacheView) {
    fn send<T: Send>(_: T) {}
    let cancel = rollcall_core::graph::CancelToken::new();
    let progress = |_: &rollcall_core::apply::SyncProgress| {};
    let context = SyncContext {
        ledger: &world.ledger,
        target: world.platform.as_ref(),
        clock: &rollcall_core::clock::SystemClock,
        progress: &progress,
        cancel: &cancel,
    };
    let options = rollcall_core::sync::SyncOptions {
        dry_run: true,
        force_deactivations: false,
        only: None,
        trigger: rollcall_core::history::Trigger::Manual,
        started_at: chrono::Utc::now(),
        list_people: false,
    };
    send(rollcall_core::sync::run(
        &world.profile,
        view,
        &context,
        &options,
    ));
    send(undo(1, &context, true));
}
