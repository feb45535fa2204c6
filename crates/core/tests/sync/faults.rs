//! Faults on both sides: Graph throttling, 503s and dropped connections while reading, and
//! SCIM throttling, 503s, reset connections and lost replies while writing, through a first
//! sync and a round of changes in Entra. Once the runs settle, the platform holds exactly
//! what a fault-free run leaves on a second sandbox: the same users, groups and members.

use std::collections::{BTreeMap, HashMap};

use rollcall_core::secret::Secret;
use rollcall_core::sync::SyncReport;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_sandbox::{Faults, UserChanges};
use serde_json::Value;

use crate::support::*;

const PEOPLE: usize = 160;

/// A world whose sync pushes its scope group as a SCIM group.
async fn pushing_world() -> World {
    let mut world = world(PEOPLE, "All Staff").await;
    let group = world.sandbox.control().group_id("All Staff").unwrap();
    world.profile.sync.push_groups = vec![group];
    world
}

/// Reads Entra until a read finishes (a host tries again after a failed read), then syncs.
async fn read_and_sync(world: &mut World) -> SyncReport {
    let started = chrono::Utc::now();
    let mut last = None;
    for _ in 0..30 {
        match world.read().await {
            Ok(()) => {
                last = None;
                break;
            }
            Err(error) => last = Some(error.to_string()),
        }
    }
    assert!(last.is_none(), "no read finished: {last:?}");
    let info = world.sandbox.info();
    let target = ScimTarget::new(&info.scim_url, Secret::new(info.scim_token.clone())).unwrap();
    world.sync_into(&target, Options::default(), started).await
}

/// Syncs until a run finds nothing left to do and nothing wrong.
async fn settle(world: &mut World) -> Vec<SyncReport> {
    let mut reports = Vec::new();
    for _ in 0..8 {
        let report = read_and_sync(world).await;
        let done = report.errors.is_empty()
            && report.stopped.is_none()
            && report.blocked.is_empty()
            && report.writes == 0;
        reports.push(report);
        if done {
            return reports;
        }
    }
    panic!("the runs never settled: {reports:#?}");
}

/// Entra changes: one person disabled, one renamed and moved, one taken out of the group;
/// returns the disabled person's Entra ID.
fn change_entra(world: &World) -> String {
    let people = world.people();
    let enabled: Vec<_> = people.iter().filter(|p| p.enabled).collect();
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
    let group = control.group_id("All Staff").unwrap();
    control.remove_group_member(&group, &enabled[2].id).unwrap();
    enabled[0].id.clone()
}

/// Replaces platform IDs with the Entra IDs they stand for and leaves out what differs
/// between two platforms by nature (`id`, `meta`, `$ref`); member lists are sorted.
fn normalise(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::Object(map) => {
            map.remove("id");
            map.remove("meta");
            map.remove("$ref");
            for item in map.values_mut() {
                normalise(item, ids);
            }
            if let Some(Value::Array(members)) = map.get_mut("members") {
                members.sort_by_key(ToString::to_string);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| normalise(item, ids)),
        Value::String(text) => {
            if let Some(entra) = ids.get(text.as_str()) {
                *text = entra.clone();
            }
        }
        _ => {}
    }
}

/// The platform's users and groups by Entra ID, comparable across two sandboxes.
fn end_state(world: &World) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let scim = world.sandbox.scim();
    let users = scim.users();
    let ids: HashMap<String, String> = users
        .iter()
        .filter_map(|user| {
            Some((
                user.get("id")?.as_str()?.to_string(),
                user.get("externalId")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let keyed = |resources: Vec<Value>| -> BTreeMap<String, Value> {
        resources
            .into_iter()
            .map(|mut resource| {
                let key = resource["externalId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                normalise(&mut resource, &ids);
                (key, resource)
            })
            .collect()
    };
    (keyed(users), keyed(scim.groups()))
}

#[tokio::test]
async fn faults_while_reading_and_writing_end_where_a_fault_free_run_ends() {
    let mut calm = pushing_world().await;
    let mut stormy = pushing_world().await;
    let graph = stormy.sandbox.control();
    graph.set_fault_seed(11);
    graph
        .set_faults(Faults {
            throttle_rate: 0.05,
            unavailable_rate: 0.05,
            drop_rate: 0.05,
            ..Faults::default()
        })
        .unwrap();
    let platform = stormy.sandbox.scim().clone();
    platform.limit_write_rate(Some(400.0));

    settle(&mut calm).await;
    platform.fail_next_writes(4, 429);
    platform.reset_next_writes(3);
    platform.lose_next_replies(3);
    let first = read_and_sync(&mut stormy).await;
    assert!(
        !first.errors.is_empty() || first.writes > first.applied.create as u64,
        "the faults were felt: {first:?}"
    );
    let first_runs = settle(&mut stormy).await;
    assert_eq!(end_state(&stormy), end_state(&calm), "after the first sync");
    let (users, groups) = end_state(&stormy);
    let enabled = stormy.people().iter().filter(|p| p.enabled).count();
    assert_eq!(users.len(), enabled, "everyone once: {first_runs:?}");
    assert_eq!(groups.len(), 1);

    let disabled = change_entra(&calm);
    assert_eq!(change_entra(&stormy), disabled, "the same tenant");
    settle(&mut calm).await;
    platform.fail_next_writes(3, 503);
    platform.reset_next_writes(2);
    platform.lose_next_replies(2);
    settle(&mut stormy).await;
    let (calm_users, calm_groups) = end_state(&calm);
    let (users, groups) = end_state(&stormy);
    assert_eq!(users, calm_users, "users after the changes");
    assert_eq!(groups, calm_groups, "groups and members after the changes");
    assert_eq!(
        users[&disabled]["active"], false,
        "the disabled person is switched off"
    );
    let renamed = users
        .values()
        .filter(|user| user["displayName"] == "Siobhán O'Neill")
        .count();
    assert_eq!(renamed, 1);
}
