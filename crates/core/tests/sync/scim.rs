//! The same sync into the sandbox's SCIM 2.0 service over HTTP, through the real SCIM
//! client: first sync, a no-op sync with no writes, life in Entra reaching the platform, a
//! lost reply that leaves no duplicate, and the guard holding a 64% drop.

use rollcall_core::secret::Secret;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_sandbox::UserChanges;
use serde_json::Value;

use crate::support::*;

fn scim(world: &World) -> ScimTarget {
    let info = world.sandbox.info();
    ScimTarget::new(&info.scim_url, Secret::new(info.scim_token.clone())).unwrap()
}

fn by_external_id(world: &World) -> std::collections::BTreeMap<String, Value> {
    world
        .sandbox
        .scim()
        .users()
        .into_iter()
        .filter_map(|user| {
            let id = user.get("externalId")?.as_str()?.to_string();
            Some((id, user))
        })
        .collect()
}

async fn sync_scim(world: &mut World, options: Options) -> rollcall_core::sync::SyncReport {
    let started = chrono::Utc::now();
    world.read().await.unwrap();
    let target = scim(world);
    world.sync_into(&target, options, started).await
}

#[tokio::test]
async fn a_first_sync_then_nothing_then_changes_reach_the_scim_service() {
    let mut world = world(300, "All Staff").await;
    let report = sync_scim(&mut world, Options::default()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let enabled: Vec<_> = world.people().into_iter().filter(|p| p.enabled).collect();
    assert_eq!(report.applied.create, enabled.len());
    let users = by_external_id(&world);
    assert_eq!(users.len(), enabled.len());
    assert_eq!(world.sandbox.scim().user_count(), enabled.len());
    for person in &enabled {
        let user = &users[&person.id];
        assert_eq!(user["userName"], person.user_principal_name.as_str());
        assert_eq!(user["displayName"], person.display_name.as_str());
        assert_eq!(user["active"], true);
    }

    let writes = world.sandbox.scim().request_counts().writes();
    let again = sync_scim(&mut world, Options::default()).await;
    assert_eq!(again.writes, 0);
    assert_eq!(
        world.sandbox.scim().request_counts().writes(),
        writes,
        "no-op sync"
    );

    let control = world.sandbox.control();
    control.disable_user(&enabled[0].id).unwrap();
    control
        .update_user(
            &enabled[1].id,
            UserChanges {
                display_name: Some("Siobhán O'Neill".into()),
                department: Some("Quality Office".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    let report = sync_scim(&mut world, Options::default()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.applied.update, report.applied.deactivate), (1, 1));
    let users = by_external_id(&world);
    assert_eq!(users[&enabled[0].id]["active"], false);
    assert_eq!(users[&enabled[1].id]["displayName"], "Siobhán O'Neill");
    assert_eq!(users.len(), enabled.len(), "nothing deleted");
}

#[tokio::test]
async fn lost_replies_from_the_scim_service_leave_no_duplicate() {
    let mut world = world(120, "All Staff").await;
    world.sandbox.scim().lose_next_replies(3);
    let first = sync_scim(&mut world, Options::default()).await;
    let second = sync_scim(&mut world, Options::default()).await;
    let enabled = world.people().iter().filter(|p| p.enabled).count();
    assert_eq!(
        world.sandbox.scim().user_count(),
        enabled,
        "{first:?}\n{second:?}"
    );
    assert_eq!(by_external_id(&world).len(), enabled);
    let third = sync_scim(&mut world, Options::default()).await;
    assert_eq!(third.writes, 0, "{third:?}");
}

#[tokio::test]
async fn a_64_percent_drop_is_held_by_the_guard_on_the_scim_service() {
    let mut world = world(150, "All Staff").await;
    sync_scim(&mut world, Options::default()).await;
    let enabled: Vec<_> = world.people().into_iter().filter(|p| p.enabled).collect();
    let drop = (enabled.len() * 64 + 50) / 100;
    let control = world.sandbox.control();
    for person in enabled.iter().take(drop) {
        control.disable_user(&person.id).unwrap();
    }
    let held = sync_scim(&mut world, Options::default()).await;
    assert_eq!(held.applied.deactivate, 0);
    assert!(
        held.blocked[0]
            .message
            .starts_with("This would switch off 64% of accounts")
    );
    let active = |world: &World| {
        by_external_id(world)
            .values()
            .filter(|u| u["active"] == true)
            .count()
    };
    assert_eq!(active(&world), enabled.len());
    let forced = sync_scim(
        &mut world,
        Options {
            force: true,
            ..Options::default()
        },
    )
    .await;
    assert_eq!(forced.applied.deactivate, drop);
    assert_eq!(active(&world), enabled.len() - drop);
}

/// The platform's users as a sync left them: by externalId, without the platform's own
/// IDs and timestamps, the manager named by externalId.
fn platform_state(world: &World) -> std::collections::BTreeMap<String, Value> {
    let users = by_external_id(world);
    let external_of: std::collections::HashMap<String, String> = users
        .iter()
        .map(|(external, user)| (user["id"].as_str().unwrap().to_owned(), external.clone()))
        .collect();
    users
        .into_iter()
        .map(|(external, mut user)| {
            let map = user.as_object_mut().unwrap();
            map.remove("id");
            map.remove("meta");
            if let Some(manager) = map
                .get_mut(rollcall_sandbox::scim::ENTERPRISE_USER)
                .and_then(|extension| extension.get_mut("manager"))
                .and_then(|manager| manager.get_mut("value"))
            {
                *manager = Value::from(external_of[manager.as_str().unwrap()].clone());
            }
            (external, user)
        })
        .collect()
}

#[tokio::test]
async fn a_first_sync_in_bulk_leaves_the_platform_as_one_without() {
    let mut plain = world(400, "All Staff").await;
    let without = sync_scim(&mut plain, Options::default()).await;
    assert!(without.errors.is_empty(), "{:?}", without.errors);
    let plain_posts = plain.sandbox.scim().request_counts().post;

    let mut bulk = world(400, "All Staff").await;
    bulk.sandbox.scim().offer_bulk(50, 64 * 1024);
    let with = sync_scim(&mut bulk, Options::default()).await;
    assert!(with.errors.is_empty(), "{:?}", with.errors);
    assert_eq!(with.applied, without.applied);
    assert!(with.applied.create > 200, "{:?}", with.applied);
    assert!(with.applied.managers > 0, "{:?}", with.applied);
    let bulk_posts = bulk.sandbox.scim().request_counts().post;
    assert!(
        bulk_posts * 10 < plain_posts,
        "{bulk_posts} bulk requests instead of {plain_posts} creates"
    );
    assert_eq!(platform_state(&bulk), platform_state(&plain));
    assert!(bulk.ledger.open_intents().unwrap().is_empty());
    assert_eq!(bulk.ledger.accounts().unwrap().len(), with.applied.create);

    let again = sync_scim(&mut bulk, Options::default()).await;
    assert_eq!(again.writes, 0, "nothing left to write: {again:?}");
}

#[tokio::test]
async fn lost_bulk_replies_and_a_taken_user_name_leave_no_duplicate() {
    let mut world = world(200, "All Staff").await;
    let scim = world.sandbox.scim().clone();
    scim.offer_bulk(40, 1 << 20);
    world.read().await.unwrap();
    let enabled: Vec<_> = world.people().into_iter().filter(|p| p.enabled).collect();
    // Somebody made one person's account by hand, under the same user name.
    scim.create_user(&serde_json::json!({
        "schemas": [rollcall_sandbox::scim::CORE_USER],
        "userName": enabled[3].user_principal_name.to_uppercase(),
    }))
    .unwrap();
    scim.lose_next_replies(2);
    let first = sync_scim(&mut world, Options::default()).await;
    assert_eq!(scim.trouble_counts().lost_replies, 2);
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.applied.adopt, 1, "the hand-made account is adopted");
    assert_eq!(first.applied.create, enabled.len() - 1);
    assert_eq!(scim.user_count(), enabled.len(), "nobody twice");
    assert_eq!(by_external_id(&world).len(), enabled.len());
    let again = sync_scim(&mut world, Options::default()).await;
    assert_eq!(again.writes, 0, "{again:?}");
}

/// Each person's manager as the platform holds it, by Entra ID (externalId), for everyone
/// who has one.
fn platform_managers(world: &World) -> std::collections::BTreeMap<String, String> {
    platform_state(world)
        .into_iter()
        .filter_map(|(external, user)| {
            let manager = user[rollcall_sandbox::scim::ENTERPRISE_USER]["manager"]["value"]
                .as_str()?
                .to_owned();
            Some((external, manager))
        })
        .collect()
}

#[tokio::test]
async fn a_create_carries_the_manager_so_each_new_person_costs_one_request() {
    let mut world = world(300, "All Staff").await;
    let first = sync_scim(&mut world, Options::default()).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let enabled: Vec<_> = world.people().into_iter().filter(|p| p.enabled).collect();
    let in_scope: std::collections::HashSet<&str> =
        enabled.iter().map(|person| person.id.as_str()).collect();
    let expected: std::collections::BTreeMap<String, String> = enabled
        .iter()
        .filter_map(|person| {
            let manager = person.manager_id.as_deref()?;
            (manager != person.id && in_scope.contains(manager))
                .then(|| (person.id.clone(), manager.to_owned()))
        })
        .collect();
    assert!(expected.len() > 100, "the tenant has managers in scope");
    assert_eq!(platform_managers(&world), expected);
    assert_eq!(first.applied.managers, expected.len());
    let counts = world.sandbox.scim().request_counts();
    assert_eq!(
        counts.post as usize, first.applied.create,
        "one POST a person"
    );
    assert_eq!(
        counts.patch + counts.put,
        0,
        "no second request for the manager"
    );
    assert!(world.ledger.open_intents().unwrap().is_empty());
    let again = sync_scim(&mut world, Options::default()).await;
    assert_eq!(
        again.writes, 0,
        "the managers are known to be set: {again:?}"
    );

    // A newcomer whose manager's account exists already gets it in the same create.
    let manager = &enabled[0];
    let control = world.sandbox.control();
    let newcomer = control
        .add_user(rollcall_sandbox::NewUser {
            display_name: "Ngozi Okafor-Brennan".into(),
            manager: Some(manager.id.clone()),
            groups: vec![control.group_id("All Staff").unwrap()],
            ..rollcall_sandbox::NewUser::default()
        })
        .unwrap()
        .id;
    let before = world.sandbox.scim().request_counts();
    let joined = sync_scim(&mut world, Options::default()).await;
    assert!(joined.errors.is_empty(), "{:?}", joined.errors);
    assert_eq!(joined.applied.create, 1);
    assert_eq!(joined.applied.managers, 1);
    let after = world.sandbox.scim().request_counts();
    assert_eq!(after.post - before.post, 1);
    assert_eq!(after.patch - before.patch, 0);
    assert_eq!(platform_managers(&world)[&newcomer], manager.id);
}
