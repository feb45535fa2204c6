//! Reading a school: classes of about thirty under year groups, staff teams, some pupils in
//! two classes. The batched read takes a tenth of the requests of reading group by group
//! and leaves the same cache; failures inside a batch are retried or reported as they are
//! for a plain request; a scope group that is gone leaves the read incomplete.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rollcall_core::clock::SystemClock;
use rollcall_core::directory::{GroupScope, ReadError, ReadPlan, RefreshReport, refresh_with};
use rollcall_core::graph::{GraphClient, GraphError, ReadProgress};
use rollcall_core::profile::MappingSettings;
use rollcall_core::store::ReadKind;
use rollcall_sandbox::{Dataset, Faults, Sandbox, SandboxOptions, UserChanges};

use crate::support::*;

async fn school(users: usize) -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::School { users, seed: 5 },
        port: 0,
    })
    .await
    .unwrap()
}

async fn read_by(
    client: &GraphClient,
    cache: &mut Cache,
    scope: &GroupScope,
    plan: ReadPlan,
) -> Result<RefreshReport, ReadError> {
    refresh_with(
        client,
        &mut cache.store,
        scope,
        &MappingSettings::default(),
        Arc::new(SystemClock),
        plan,
    )
    .await
}

/// The whole school, without the sixth form's Year 13, guests in.
fn school_scope(sandbox: &Sandbox) -> GroupScope {
    scope(
        vec![group(sandbox, "Whole School")],
        vec![group(sandbox, "Year 13")],
        true,
    )
}

#[tokio::test]
async fn a_school_is_read_in_a_tenth_of_the_requests_into_the_same_cache() {
    let sandbox = school(2_000).await;
    let scope = school_scope(&sandbox);

    let mut today = cache();
    let by_group = client(&sandbox);
    read_by(&by_group, &mut today, &scope, ReadPlan::GroupByGroup)
        .await
        .unwrap();
    let group_by_group = by_group.stats().requests;

    let seen = Arc::new(Mutex::new(Vec::<ReadProgress>::new()));
    let sink = seen.clone();
    let batched_client = client(&sandbox).with_progress(Arc::new(move |progress| {
        sink.lock().unwrap().push(progress.clone());
    }));
    let mut batched = cache();
    let report = read_by(&batched_client, &mut batched, &scope, ReadPlan::Measured)
        .await
        .unwrap();
    assert!(report.complete);
    let measured = batched_client.stats().requests;
    assert!(
        measured * 10 <= group_by_group,
        "batched {measured} requests against {group_by_group} group by group"
    );
    let expected = today.store.snapshot().unwrap();
    assert!(expected.groups.len() > 70, "{}", expected.groups.len());
    assert_eq!(
        batched.store.snapshot().unwrap(),
        expected,
        "the same cache as group by group"
    );
    assert_eq!(preview_json(&batched, &scope), preview_json(&today, &scope));

    // Both sources of memberships leave the same cache too.
    for plan in [ReadPlan::BatchedMembers, ReadPlan::BatchedGroupsDelta] {
        let mut other = cache();
        read_by(&client(&sandbox), &mut other, &scope, plan)
            .await
            .unwrap();
        assert_eq!(other.store.snapshot().unwrap(), expected, "{plan:?}");
    }

    // Progress counts people and requests.
    let reports = seen.lock().unwrap().clone();
    let last = reports.last().unwrap();
    assert!(last.users >= 2_000, "{last:?}");
    assert!(last.requests >= 1 && last.requests <= measured, "{last:?}");

    // Paths stay exact: a pupil in two classes has both.
    let preview = preview(&batched, &scope);
    let twice = preview
        .users
        .iter()
        .find(|user| user.paths.len() == 2)
        .expect("someone is in two classes");
    assert!(
        twice.paths.iter().all(|path| path.len() == 4
            && path[0] == "Whole School"
            && path[3].contains(" Class "))
    );
    assert!(preview.users.iter().all(|user| {
        !user
            .paths
            .iter()
            .any(|path| path.iter().any(|name| name == "Year 13"))
    }));
    assert_eq!(preview.skipped.get("device"), Some(&1));
}

#[tokio::test]
async fn a_delta_after_a_batched_read_stays_in_proportion() {
    let sandbox = school(2_000).await;
    let scope = school_scope(&sandbox);
    let control = sandbox.control();
    let mut cache = cache();
    read(&client(&sandbox), &mut cache, &scope).await;
    let someone = preview(&cache, &scope).users[10].id.clone();
    control
        .update_user(
            &someone,
            UserChanges {
                department: Some("Moved".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    control.reset_counters();
    let delta = read(&client(&sandbox), &mut cache, &scope).await;
    assert_eq!(delta.kind, ReadKind::Delta);
    assert!(delta.requests <= 4, "{delta:?}");
    assert_eq!(control.counters().kind("members"), 0);
    let after = preview(&cache, &scope);
    let moved = after.users.iter().find(|user| user.id == someone).unwrap();
    assert_eq!(moved.department.as_deref(), Some("Moved"));
}

#[tokio::test]
async fn throttling_and_outages_inside_a_batch_are_retried_as_for_a_plain_request() {
    let sandbox = school(600).await;
    let scope = school_scope(&sandbox);
    let mut clean = cache();
    read(&client(&sandbox), &mut clean, &scope).await;

    let control = sandbox.control();
    control.set_fault_seed(3);
    control
        .set_faults(Faults {
            throttle_rate: 0.2,
            unavailable_rate: 0.15,
            ..Faults::default()
        })
        .unwrap();
    control.reset_counters();
    for plan in [ReadPlan::BatchedMembers, ReadPlan::BatchedGroupsDelta] {
        let sleeper = Arc::new(RecordingSleeper::default());
        let faulty_client = client_with(&sandbox, Arc::new(SystemClock), sleeper.clone());
        let mut faulty = cache();
        read_by(&faulty_client, &mut faulty, &scope, plan)
            .await
            .unwrap();
        assert_eq!(
            faulty.store.snapshot().unwrap(),
            clean.store.snapshot().unwrap(),
            "{plan:?}: the same cache as a fault-free read"
        );
        let waits = sleeper.waits.lock().unwrap().clone();
        assert!(
            waits.contains(&Duration::from_millis(1500)),
            "{plan:?}: Retry-After 1.5 of a throttled read in a batch was honoured: {waits:?}"
        );
        assert!(faulty_client.stats().throttled >= 1);
    }
    control.set_faults(Faults::default()).unwrap();
    let counters = control.counters();
    assert!(counters.kind("fault_429") >= 1 && counters.kind("fault_503") >= 1);
    assert!(counters.kind("batch") >= 2);

    // An outage that never clears ends the same way for a batched and a plain read.
    control
        .set_faults(Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        })
        .unwrap();
    let mut errors = Vec::new();
    for plan in [ReadPlan::GroupByGroup, ReadPlan::Measured] {
        let mut failed = cache();
        let error = read_by(&client(&sandbox), &mut failed, &scope, plan)
            .await
            .unwrap_err();
        assert!(!failed.store.status().unwrap().unwrap().complete);
        errors.push(error.to_string());
    }
    assert_eq!(errors[0], errors[1]);
    assert!(
        errors[0].contains("unavailable after 8 attempts"),
        "{errors:?}"
    );
}

/// Reads by `plan` while the class "Year 8 Class 3" is deleted: when the read is about to
/// ask for its members (group by group), or once its parents are known (batched).
async fn read_while_a_class_is_deleted(plan: ReadPlan) -> (ReadError, Cache) {
    let sandbox = school(2_000).await;
    let scope = school_scope(&sandbox);
    let class = group(&sandbox, "Year 8 Class 3");
    let control = sandbox.control();
    let done = Arc::new(AtomicBool::new(false));
    let once = done.clone();
    let client = client(&sandbox).with_progress(Arc::new(move |progress: &ReadProgress| {
        let due = match plan {
            ReadPlan::GroupByGroup => progress.stage == "Reading the members of Year 8 Class 3",
            _ => progress.pages >= 1,
        };
        if due && !once.swap(true, Ordering::SeqCst) {
            control.delete_group(&class).unwrap();
        }
    }));
    let mut cache = cache();
    let error = read_by(&client, &mut cache, &scope, plan)
        .await
        .unwrap_err();
    assert!(done.load(Ordering::SeqCst));
    (error, cache)
}

#[tokio::test]
async fn a_class_deleted_mid_read_is_reported_as_a_plain_read_reports_it() {
    let (plain, plain_cache) = read_while_a_class_is_deleted(ReadPlan::GroupByGroup).await;
    let (batched, batched_cache) = read_while_a_class_is_deleted(ReadPlan::BatchedMembers).await;
    for (error, cache) in [(&plain, &plain_cache), (&batched, &batched_cache)] {
        match error {
            ReadError::Graph(GraphError::NotFound { what, .. }) => {
                assert_eq!(what, "the members of Year 8 Class 3");
            }
            other => panic!("{other:?}"),
        }
        assert!(cache.store.snapshot().unwrap().users.is_empty());
        assert!(!cache.store.status().unwrap().unwrap().complete);
    }
    assert_eq!(plain.to_string(), batched.to_string());
}

#[tokio::test]
async fn a_deleted_include_group_leaves_the_read_incomplete_and_the_snapshot_kept() {
    let sandbox = school(2_000).await;
    let control = sandbox.control();
    let year_10 = group(&sandbox, "Year 10");
    let scope = scope(
        vec![group(&sandbox, "Year 9"), year_10.clone()],
        vec![],
        false,
    );
    let mut cache = cache();
    let first = read(&client(&sandbox), &mut cache, &scope).await;
    assert!(first.complete);
    let before = cache.store.snapshot().unwrap();
    let shown_before = preview(&cache, &scope);
    assert!(shown_before.complete);

    control.delete_group(&year_10).unwrap();
    // By delta: Graph reports the group removed.
    let delta = read(&client(&sandbox), &mut cache, &scope).await;
    assert_eq!(delta.kind, ReadKind::Delta);
    assert!(!delta.complete);
    assert!(delta.problems.iter().any(|p| p.code == "group_deleted"));
    assert_eq!(
        cache.store.snapshot().unwrap(),
        before,
        "the snapshot is kept"
    );
    let shown = preview(&cache, &scope);
    assert!(!shown.complete, "the preview says the read is incomplete");
    assert!(
        shown.read_error.as_deref().unwrap().contains(&year_10),
        "{:?}",
        shown.read_error
    );
    assert_eq!(shown.users, shown_before.users, "the same people are shown");

    // By a full read (the delta link expired): Graph answers 404 for the group.
    control.expire_delta_tokens();
    let full = read(&client(&sandbox), &mut cache, &scope).await;
    assert!(full.fell_back_to_full);
    assert!(!full.complete);
    assert!(full.problems.iter().any(|p| p.code == "group_not_found"));
    assert_eq!(
        cache.store.snapshot().unwrap(),
        before,
        "the snapshot is kept"
    );
    let status = cache.store.status().unwrap().unwrap();
    assert!(!status.complete);
    assert!(
        status
            .message
            .unwrap()
            .contains("no account will be deactivated")
    );
}
