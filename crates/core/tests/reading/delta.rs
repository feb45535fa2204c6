//! Incremental refreshes: changes appear, requests follow the changes, and an expired
//! delta token falls back to a full read.

use rollcall_sandbox::{NewUser, UserChanges};

use crate::support::*;

#[tokio::test]
async fn changes_appear_with_requests_in_proportion_to_them() {
    let sandbox = generated(2000).await;
    let control = sandbox.control();
    let all_staff = group(&sandbox, "All Staff");
    let scope = scope(vec![all_staff], vec![], false);
    let client = client(&sandbox);
    let mut cache = cache();
    control.reset_counters();
    // The yardstick is a full read group by group, whose requests grow with the groups.
    let first = rollcall_core::directory::refresh_with(
        &client,
        &mut cache.store,
        &scope,
        &rollcall_core::profile::MappingSettings::default(),
        std::sync::Arc::new(rollcall_core::clock::SystemClock),
        rollcall_core::directory::ReadPlan::GroupByGroup,
    )
    .await
    .unwrap();
    let full_requests = control.counters().total;
    assert!(full_requests >= 20, "{full_requests}");

    let before = preview(&cache, &scope);
    let members: Vec<_> = before.users.iter().filter(|u| u.enabled).take(4).collect();
    let (renamed, disabled, removed, deleted) =
        (&members[0], &members[1], &members[2], &members[3]);
    let team = renamed.paths[0].last().unwrap().clone();
    let team_id = group(&sandbox, &team);
    let removed_group = group(&sandbox, removed.paths[0].last().unwrap());
    let added = control
        .add_user(NewUser {
            display_name: "New Starter".into(),
            department: Some("Admissions".into()),
            groups: vec![team_id],
            ..NewUser::default()
        })
        .unwrap();
    control
        .update_user(
            &renamed.id,
            UserChanges {
                department: Some("Quality Office".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    control.disable_user(&disabled.id).unwrap();
    control
        .remove_group_member(&removed_group, &removed.id)
        .unwrap();
    control.delete_user(&deleted.id, false).unwrap();

    control.reset_counters();
    let second = read(&client, &mut cache, &scope).await;
    let delta_requests = control.counters().total;
    assert_eq!(second.kind, rollcall_core::store::ReadKind::Delta);
    assert!(
        delta_requests <= 8 && delta_requests * 4 < full_requests,
        "delta {delta_requests} vs full {full_requests}"
    );
    assert!(
        control.counters().kind("members") == 0,
        "no group was read again"
    );

    let after = preview(&cache, &scope);
    let find = |id: &str| after.users.iter().find(|u| u.id == id);
    let new = find(&added.id).expect("the new person is in scope");
    assert_eq!(new.paths[0].last().unwrap(), &team);
    assert_eq!(
        find(&renamed.id).unwrap().department.as_deref(),
        Some("Quality Office")
    );
    assert!(!find(&disabled.id).unwrap().enabled);
    assert!(find(&removed.id).is_none());
    assert!(find(&deleted.id).is_none());
    assert_eq!(after.totals.matched, before.totals.matched + 1 - 2);

    // The same as reading everything again.
    let fresh = cache_fresh(&sandbox, &scope).await;
    assert_eq!(
        fresh.store.snapshot().unwrap(),
        cache.store.snapshot().unwrap()
    );
    let _ = first;
}

async fn cache_fresh(
    sandbox: &rollcall_sandbox::Sandbox,
    scope: &rollcall_core::directory::GroupScope,
) -> Cache {
    let mut fresh = cache();
    read(&client(sandbox), &mut fresh, scope).await;
    fresh
}

#[tokio::test]
async fn an_expired_delta_token_falls_back_to_a_full_read() {
    let sandbox = generated(400).await;
    let control = sandbox.control();
    let all_staff = group(&sandbox, "All Staff");
    let scope = scope(vec![all_staff], vec![], false);
    let client = client(&sandbox);
    let mut cache = cache();
    read(&client, &mut cache, &scope).await;
    let team = group(
        &sandbox,
        &preview(&cache, &scope).users[0].paths[0]
            .last()
            .unwrap()
            .clone(),
    );
    let added = control
        .add_user(NewUser {
            display_name: "After Expiry".into(),
            groups: vec![team],
            ..NewUser::default()
        })
        .unwrap();
    control.expire_delta_tokens();
    let report = read(&client, &mut cache, &scope).await;
    assert!(report.fell_back_to_full);
    assert_eq!(report.kind, rollcall_core::store::ReadKind::Full);
    assert!(
        preview(&cache, &scope)
            .users
            .iter()
            .any(|u| u.id == added.id)
    );
    // And the next refresh is incremental again.
    let next = read(&client, &mut cache, &scope).await;
    assert_eq!(next.kind, rollcall_core::store::ReadKind::Delta);
}
