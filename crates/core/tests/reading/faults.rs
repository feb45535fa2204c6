//! Throttling, outages, dropped connections and an expiring token: the cache ends as a
//! fault-free read leaves it, or keeps the previous snapshot when the fault never clears.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rollcall_core::clock::Clock;
use rollcall_core::directory::{ReadError, refresh};
use rollcall_core::graph::{CancelToken, GraphError};
use rollcall_core::profile::MappingSettings;
use rollcall_sandbox::Faults;

use crate::support::*;

/// Tells the truth once (when the first token is issued), then runs ten minutes slow, so
/// the client keeps a token the sandbox has already expired.
#[derive(Debug, Default)]
struct SlowAfterFirstToken {
    told: AtomicBool,
}

impl Clock for SlowAfterFirstToken {
    fn now(&self) -> DateTime<Utc> {
        if self.told.swap(true, Ordering::SeqCst) {
            Utc::now() - chrono::Duration::minutes(10)
        } else {
            Utc::now()
        }
    }
}

#[tokio::test]
async fn faults_and_an_expiring_token_leave_the_same_cache() {
    let sandbox = generated(600).await;
    let all_staff = group(&sandbox, "All Staff");
    let scope = scope(vec![all_staff], vec![], false);

    let mut clean = cache();
    read(&client(&sandbox), &mut clean, &scope).await;

    let control = sandbox.control();
    control.set_token_lifetime(1).unwrap();
    control.set_fault_seed(11);
    control
        .set_faults(Faults {
            throttle_rate: 0.15,
            unavailable_rate: 0.1,
            timeout_rate: 0.05,
            drop_rate: 0.1,
            latency_ms: 60,
        })
        .unwrap();
    let sleeper = Arc::new(RecordingSleeper::default());
    let faulty_client = client_with(
        &sandbox,
        Arc::new(SlowAfterFirstToken::default()),
        sleeper.clone(),
    );
    let mut faulty = cache();
    // Read group by group, so the faults meet many plain requests over more than the
    // token's second of life (batched reads meet faults in `school.rs`).
    let report = rollcall_core::directory::refresh_with(
        &faulty_client,
        &mut faulty.store,
        &scope,
        &MappingSettings::default(),
        Arc::new(rollcall_core::clock::SystemClock),
        rollcall_core::directory::ReadPlan::GroupByGroup,
    )
    .await
    .unwrap();
    control.set_faults(Faults::default()).unwrap();

    assert_eq!(
        faulty.store.snapshot().unwrap(),
        clean.store.snapshot().unwrap(),
        "the cache is the same as after a fault-free read"
    );
    assert_eq!(preview_json(&faulty, &scope), preview_json(&clean, &scope));
    let stats = faulty_client.stats();
    assert!(stats.retries >= 3, "{stats:?}");
    assert!(
        stats.token_renewals >= 1,
        "the expired token was renewed: {stats:?}"
    );
    let counters = control.counters();
    assert!(counters.kind("fault_429") >= 1 && counters.kind("fault_dropped") >= 1);
    let waits = sleeper.waits.lock().unwrap().clone();
    assert!(
        waits.contains(&Duration::from_millis(1500)),
        "Retry-After 1.5 was honoured: {waits:?}"
    );
    assert!(report.retries >= 3);
}

#[tokio::test]
async fn a_fault_that_never_clears_keeps_the_previous_snapshot() {
    let sandbox = generated(300).await;
    let all_staff = group(&sandbox, "All Staff");
    let scope = scope(vec![all_staff], vec![], false);
    let client = client(&sandbox);
    let mut cache = cache();
    read(&client, &mut cache, &scope).await;
    let before = cache.store.snapshot().unwrap();
    let users_before = preview(&cache, &scope).users;

    sandbox
        .control()
        .set_faults(Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        })
        .unwrap();
    let failed = refresh(
        &client,
        &mut cache.store,
        &scope,
        &MappingSettings::default(),
        Arc::new(rollcall_core::clock::SystemClock),
    )
    .await;
    let error = failed.unwrap_err();
    assert!(
        matches!(
            error,
            ReadError::Graph(GraphError::Unavailable {
                attempts: 8,
                status: 503
            })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("Try again later"));
    assert_eq!(cache.store.snapshot().unwrap(), before);
    let status = cache.store.status().unwrap().unwrap();
    assert!(!status.complete);
    let shown = preview(&cache, &scope);
    assert!(!shown.complete, "the preview says the read is incomplete");
    assert!(shown.read_error.unwrap().contains("unavailable"));
    assert_eq!(
        shown.users, users_before,
        "the previous people are still shown"
    );
}

#[tokio::test]
async fn cancelling_stops_the_read_and_keeps_the_cache() {
    let sandbox = generated(300).await;
    let all_staff = group(&sandbox, "All Staff");
    let scope = scope(vec![all_staff], vec![], false);
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    let client = client(&sandbox)
        .with_cancel(cancel)
        .with_progress(Arc::new(move |progress| {
            if progress.pages >= 3 {
                stop.cancel();
            }
        }));
    let mut cache = cache();
    let result = refresh(
        &client,
        &mut cache.store,
        &scope,
        &MappingSettings::default(),
        Arc::new(rollcall_core::clock::SystemClock),
    )
    .await;
    assert!(matches!(
        result,
        Err(ReadError::Graph(GraphError::Cancelled))
    ));
    assert!(cache.store.snapshot().unwrap().users.is_empty());
    assert!(!cache.store.status().unwrap().unwrap().complete);
}
