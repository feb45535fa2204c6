//! Progress while reading: the first read has no yardstick, so it guesses no time; a later
//! read of the same groups measures itself against the last one and says how long is left.

use std::sync::{Arc, Mutex};

use rollcall_core::graph::ReadProgress;
use rollcall_core::profile::MappingSettings;
use rollcall_core::store::ReadKind;

use crate::support::*;

/// Reads with a fresh client (as the window does for each read) and returns every progress
/// report it sent.
async fn read_watching(
    sandbox: &rollcall_sandbox::Sandbox,
    cache: &mut Cache,
    scope: &rollcall_core::directory::GroupScope,
) -> (rollcall_core::directory::RefreshReport, Vec<ReadProgress>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let client = client(sandbox).with_progress(Arc::new(move |progress: &ReadProgress| {
        sink.lock().unwrap().push(progress.clone());
    }));
    let report = read(&client, cache, scope).await;
    let reports = seen.lock().unwrap().clone();
    (report, reports)
}

#[tokio::test]
async fn a_repeated_full_read_says_how_long_is_left() {
    let sandbox = generated(3000).await;
    let scope = scope(vec![group(&sandbox, "All Staff")], vec![], false);
    let mut cache = cache();

    let (first, reports) = read_watching(&sandbox, &mut cache, &scope).await;
    assert!(!reports.is_empty());
    assert!(
        reports
            .iter()
            .all(|r| r.time_left_ms.is_none() && r.expected_requests.is_none()),
        "the first read has nothing to measure itself against"
    );
    let key = scope.cache_key(&MappingSettings::default());
    assert_eq!(
        cache.store.read_cost(ReadKind::Full, &key).unwrap(),
        Some(first.requests),
        "the cost of the read is kept for next time"
    );

    // The delta token expires, so the next refresh falls back to a full read.
    sandbox.control().expire_delta_tokens();
    let (again, reports) = read_watching(&sandbox, &mut cache, &scope).await;
    assert!(again.fell_back_to_full);
    let estimated: Vec<&ReadProgress> = reports
        .iter()
        .filter(|r| r.time_left_ms.is_some())
        .collect();
    assert!(
        !estimated.is_empty(),
        "the full read after the fallback estimates the time left: {reports:?}"
    );
    for report in &estimated {
        let expected = report.expected_requests.unwrap();
        assert!(
            expected >= first.requests && expected <= again.requests + 2,
            "the yardstick is the last full read plus the delta requests before it: {expected} vs {} and {}",
            first.requests,
            again.requests
        );
        assert!(report.requests < expected);
    }
    assert!(
        cache
            .store
            .read_cost(ReadKind::Delta, &key)
            .unwrap()
            .is_none(),
        "a delta read that fell back is not a delta read's cost"
    );
}
