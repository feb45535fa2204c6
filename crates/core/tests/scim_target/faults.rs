//! Faults while writing (429 with Retry-After, 503, reset connections, lost replies) end in
//! the same state as a fault-free run, with no duplicate accounts; cancelling stops a
//! backoff; and under a platform's write limit the client keeps close to the limit with
//! few 429s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rollcall_core::graph::CancelToken;
use rollcall_core::secret::Secret;
use rollcall_core::targets::scim::ScimTarget;
use rollcall_core::targets::{Target, TargetError};

use crate::contract::story;
use crate::servers::{fresh_prefix, person, sandbox, turn};

#[tokio::test]
async fn faults_while_writing_end_in_the_same_state_as_a_clean_run() {
    let _turn = turn().await;
    let server = sandbox();
    let scim = server.scim();
    let (clean_target, _) = server.target();
    let clean = fresh_prefix("clean");
    story(&clean_target, &clean, &|_| {}).await;

    let (target, sleeper) = server.target();
    let troubled = fresh_prefix("trouble");
    let before = scim.trouble_counts();
    let stage = |step: usize| match step {
        0 => scim.fail_next_writes_with_retry_after(2, 429, 3),
        1 => scim.lose_next_replies(1),
        2 => {
            scim.fail_next_writes(1, 503);
            scim.reset_next_writes(1);
        }
        3 | 6 | 7 => scim.lose_next_replies(1),
        4 | 9 => scim.reset_next_writes(1),
        5 => scim.fail_next_writes_with_retry_after(1, 429, 1),
        _ => scim.fail_next_writes(2, 502),
    };
    story(&target, &troubled, &stage).await;
    let after = scim.trouble_counts();
    assert_eq!(after.resets - before.resets, 3, "{after:?}");
    assert_eq!(after.lost_replies - before.lost_replies, 4, "{after:?}");
    assert_eq!(scim.pending_write_failures(), 0);
    let stats = target.stats();
    assert_eq!(stats.throttled, 3, "{stats:?}");
    assert_eq!(stats.unavailable, 3, "{stats:?}");
    assert_eq!(stats.recovered_creates, 2, "jose and the group: {stats:?}");
    assert!(
        sleeper
            .waits
            .lock()
            .unwrap()
            .contains(&Duration::from_secs(3)),
        "Retry-After is obeyed"
    );
    assert_eq!(
        server.state(&troubled).await,
        server.state(&clean).await,
        "the platform ends as after a run without trouble"
    );
}

#[tokio::test]
async fn a_create_whose_reply_was_lost_is_found_not_sent_twice() {
    let _turn = turn().await;
    let server = sandbox();
    let (target, _) = server.target();
    let prefix = fresh_prefix("lost");
    let ada = person(&prefix, "ada", "ada", "Ada", "Lost");
    server.scim().lose_next_replies(1);
    let created = target.create_account(&ada).await.unwrap();
    assert_eq!(target.stats().recovered_creates, 1);
    let found = target.find_account(&ada.external_id, "").await.unwrap();
    assert_eq!(found.len(), 1, "one account, not two");
    assert_eq!(found[0].id, created.id);

    let group_external = format!("{prefix}-g");
    server.scim().lose_next_replies(1);
    let group = target
        .ensure_group(&group_external, &format!("Lost {prefix}"))
        .await
        .unwrap();
    let again = target
        .ensure_group(&group_external, &format!("Lost {prefix}"))
        .await
        .unwrap();
    assert_eq!(group.id, again.id);
    assert_eq!(target.stats().recovered_creates, 2);
}

#[tokio::test]
async fn a_bad_token_stops_at_once_and_cancel_stops_a_backoff() {
    let _turn = turn().await;
    let server = sandbox();
    let wrong = ScimTarget::new(&server.base, Secret::new("not-the-token")).unwrap();
    let error = wrong.capabilities().await.unwrap_err();
    assert!(
        matches!(error, TargetError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert!(error.stops_the_run());
    assert!(!format!("{error:?} {error}").contains(&server.token));

    let cancel = CancelToken::new();
    let target = ScimTarget::new(&server.base, Secret::new(server.token.clone()))
        .unwrap()
        .with_cancel(cancel.clone());
    target.capabilities().await.unwrap();
    server
        .scim()
        .fail_next_writes_with_retry_after(100, 429, 60);
    let prefix = fresh_prefix("cancel");
    let account = person(&prefix, "c", "cancel", "Can", "Cel");
    let started = Instant::now();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let result = target.create_account(&account).await;
    stopper.await.unwrap();
    server.scim().fail_next_writes(0, 503);
    assert_eq!(result.unwrap_err(), TargetError::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the 60 s Retry-After was cut short by cancel"
    );
}

/// Creates in the write-limit test: 8 seconds at the limit.
const WRITES: usize = 400;

#[tokio::test]
async fn under_a_write_limit_the_client_keeps_near_the_limit_with_few_429s() {
    let _turn = turn().await;
    let server = sandbox();
    let scim = server.scim();
    let rate = 50.0;
    let (target, _) = server.target();
    target.capabilities().await.unwrap();
    let target = Arc::new(target);
    let prefix = fresh_prefix("rate");
    scim.limit_write_rate(Some(rate));
    let before = scim.trouble_counts().throttled;
    let writes_before = scim.request_counts().writes();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..WRITES {
        let target = target.clone();
        let account = person(
            &prefix,
            &format!("r{n}"),
            &format!("rate{n}"),
            "Rate",
            "Limit",
        );
        tasks.push(tokio::spawn(async move {
            target.create_account(&account).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    scim.limit_write_rate(None);
    let throttled = scim.trouble_counts().throttled - before;
    let writes = scim.request_counts().writes() - writes_before;
    // The platform's bucket starts with a second of writes saved up; the rate that counts
    // is what the client sustains beyond that.
    let sustained = (WRITES as f64 - rate) / elapsed;
    let share = throttled as f64 / writes as f64;
    println!(
        "write limit {rate}/s: sustained {sustained:.1}/s, {throttled} of {writes} writes answered 429 ({:.1}%), settled at {:?}/s",
        share * 100.0,
        target.write_rate()
    );
    assert!(sustained >= 0.9 * rate, "sustained only {sustained:.1}/s");
    assert!(
        share <= 0.02,
        "{throttled} of {writes} writes were answered 429"
    );
}

#[tokio::test]
async fn a_platform_without_patch_gets_whole_resources_by_put_and_ends_the_same() {
    let _turn = turn().await;
    let server = sandbox();
    let scim = server.scim();
    let (patching, _) = server.target();
    let with_patch = fresh_prefix("patch");
    story(&patching, &with_patch, &|_| {}).await;

    scim.offer_patch(false);
    let (target, _) = server.target();
    let capabilities = target.capabilities().await.unwrap();
    let before = scim.request_counts();
    let with_put = fresh_prefix("put");
    story(&target, &with_put, &|_| {}).await;
    let after = scim.request_counts();
    scim.offer_patch(true);
    assert!(!capabilities.patch);
    assert_eq!(after.patch, before.patch, "no PATCH was sent");
    assert!(after.put - before.put >= 6, "{before:?} → {after:?}");
    assert_eq!(
        server.state(&with_put).await,
        server.state(&with_patch).await
    );
}
