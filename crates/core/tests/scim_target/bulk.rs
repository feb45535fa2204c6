//! Creates in SCIM bulk requests, against both servers: the sandbox with bulk offered and
//! scim2-server with bulk as it advertises (1,000 operations, 1 MiB). They end in the same
//! state as plain creates; one taken user name fails only that person's create; requests
//! are split by both limits (and a 413 under them teaches smaller ones); 429 with
//! Retry-After, 503 and lost replies on a bulk request are retried without a duplicate.

use std::time::Duration;

use rollcall_core::targets::scim::ScimTarget;
use rollcall_core::targets::{AccountWrite, Target, TargetError};
use rollcall_sandbox::scim::ScimService;
use serde_json::json;

use crate::servers::{Server, fresh_prefix, person, sandbox, scim2, turn};

/// Bulk offered by the sandbox while it lives.
struct Offered<'a>(&'a ScimService);

impl<'a> Offered<'a> {
    fn new(service: &'a ScimService, max_operations: usize, max_payload: usize) -> Offered<'a> {
        service.offer_bulk(max_operations, max_payload);
        Offered(service)
    }
}

impl Drop for Offered<'_> {
    fn drop(&mut self) {
        self.0.withdraw_bulk();
        self.0.fail_next_writes(0, 503);
        self.0.reset_next_writes(0);
        self.0.lose_next_replies(0);
    }
}

fn people(prefix: &str, count: usize) -> Vec<AccountWrite> {
    (0..count)
        .map(|n| {
            person(
                prefix,
                &format!("b{n}"),
                &format!("bulk.person{n}"),
                "Bulk",
                &format!("Person {n}"),
            )
        })
        .collect()
}

/// Creates `accounts` in batches of what the target takes, as apply does.
async fn create_all(
    target: &ScimTarget,
    accounts: &[AccountWrite],
) -> Vec<Result<String, TargetError>> {
    let batch = target.create_batch().await.unwrap();
    let mut outcomes = Vec::new();
    for chunk in accounts.chunks(batch) {
        for outcome in target.create_accounts(chunk).await.unwrap() {
            outcomes.push(outcome.map(|remote| remote.id));
        }
    }
    outcomes
}

async fn bulk_creates_end_as_plain_creates(server: &Server) {
    let (plain_target, _) = server.target();
    let plain = fresh_prefix("plain");
    for account in people(&plain, 25) {
        plain_target.create_account(&account).await.unwrap();
    }
    let (target, _) = server.target();
    let batch = target.create_batch().await.unwrap();
    let bulk = fresh_prefix("bulk");
    let accounts = people(&bulk, 25);
    let before = target.stats().requests;
    let outcomes = create_all(&target, &accounts).await;
    let requests = target.stats().requests - before;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    for (account, id) in accounts.iter().zip(&outcomes) {
        let stored = server.user(id.as_ref().unwrap()).await;
        assert_eq!(
            stored["userName"],
            json!(account.user_name),
            "{}",
            server.name
        );
        assert_eq!(stored["externalId"], json!(account.external_id));
    }
    assert_eq!(
        server.state(&bulk).await,
        server.state(&plain).await,
        "{}",
        server.name
    );
    assert_requests(server, batch, requests);
}

/// The batch the target took and the requests 25 creates needed, as each server offers.
/// Each account is on the platform once, found by its externalId.
async fn assert_each_once<'a>(
    target: &ScimTarget,
    accounts: impl IntoIterator<Item = &'a AccountWrite>,
) {
    for account in accounts {
        let found = target.find_account(&account.external_id, "").await.unwrap();
        assert_eq!(found.len(), 1, "{}", account.user_name);
    }
}

fn assert_requests(server: &Server, batch: usize, requests: u64) {
    match server.name {
        "scim2-server" => {
            assert_eq!(batch, 1000, "as scim2-server advertises");
            assert_eq!(requests, 1, "one bulk request for 25 creates");
        }
        _ => {
            assert_eq!(batch, 10);
            assert_eq!(requests, 3, "25 creates in requests of 10");
        }
    }
}

#[tokio::test]
async fn bulk_creates_end_as_plain_creates_on_the_sandbox() {
    let _turn = turn().await;
    let server = sandbox();
    let _offered = Offered::new(server.scim(), 10, 1 << 20);
    bulk_creates_end_as_plain_creates(server).await;
}

#[tokio::test]
async fn bulk_creates_end_as_plain_creates_on_scim2_server() {
    let _turn = turn().await;
    bulk_creates_end_as_plain_creates(scim2()).await;
}

async fn a_taken_user_name_fails_only_that_create(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("taken");
    let mut accounts = people(&prefix, 5);
    let by_hand = accounts[2].clone();
    target.create_account(&by_hand).await.unwrap();
    accounts[2].external_id = format!("{prefix}-other");
    accounts[2].user_name = by_hand.user_name.to_uppercase();
    let outcomes = create_all(&target, &accounts).await;
    for (n, outcome) in outcomes.iter().enumerate() {
        match (n, outcome) {
            (2, Err(TargetError::Conflict { detail })) => assert!(!detail.is_empty()),
            (2, other) => panic!("{}: expected a conflict, got {other:?}", server.name),
            (_, outcome) => assert!(outcome.is_ok(), "{}: {outcome:?}", server.name),
        }
    }
    assert_eq!(target.stats().recovered_creates, 0);
    let found = target.find_account("", &by_hand.user_name).await.unwrap();
    assert_eq!(found.len(), 1, "no second account");
    assert_eq!(
        found[0].external_id.as_deref(),
        Some(by_hand.external_id.as_str())
    );
    let created: Vec<&AccountWrite> = accounts
        .iter()
        .enumerate()
        .filter(|(n, _)| *n != 2)
        .map(|(_, a)| a)
        .collect();
    assert_each_once(&target, created).await;
}

#[tokio::test]
async fn a_taken_user_name_fails_only_that_create_on_the_sandbox() {
    let _turn = turn().await;
    let server = sandbox();
    let _offered = Offered::new(server.scim(), 100, 1 << 20);
    a_taken_user_name_fails_only_that_create(server).await;
}

#[tokio::test]
async fn a_taken_user_name_fails_only_that_create_on_scim2_server() {
    let _turn = turn().await;
    a_taken_user_name_fails_only_that_create(scim2()).await;
}

#[tokio::test]
async fn requests_are_split_by_both_limits_and_a_413_teaches_a_smaller_size() {
    let _turn = turn().await;
    let server = sandbox();
    let scim = server.scim();
    let prefix = fresh_prefix("split");
    let mut accounts = people(&prefix, 12);
    accounts[5]
        .attributes
        .insert("displayName".into(), json!("x".repeat(4000)));
    let document_size = rollcall_core::targets::scim::wire::user_document(&accounts[0])
        .to_string()
        .len();
    // Room for about three ordinary operations in a request; the long one fits in none.
    let payload = document_size * 3 + 400;
    let _offered = Offered::new(scim, 5, payload);
    let (target, _) = server.target();
    let posts = scim.request_counts().post;
    let outcomes = create_all(&target, &accounts).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let sent = scim.request_counts().post - posts;
    // 11 ordinary operations in requests of at most 3 (payload), then the long one alone.
    assert!((5..=6).contains(&sent), "{sent} requests");
    assert_eq!(target.stats().retries, 0, "no 413: the limits were kept");
    assert_eq!(
        scim.user(outcomes[5].as_ref().unwrap()).unwrap()["displayName"],
        json!("x".repeat(4000))
    );

    // The platform lowers its limit after the client read it: 413, then halves.
    let (target, _) = server.target();
    target.create_batch().await.unwrap();
    scim.offer_bulk(100, document_size * 2 + 400);
    let smaller = fresh_prefix("smaller");
    let accounts = people(&smaller, 8);
    let outcomes = target.create_accounts(&accounts).await.unwrap();
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_each_once(&target, &accounts).await;
    // (The same label, so the documents are as long as those that met the 413.)
    let later = people(&fresh_prefix("smaller"), 4);
    let posts = scim.request_counts().post;
    let outcomes = target.create_accounts(&later).await.unwrap();
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(
        scim.request_counts().post - posts,
        2,
        "the size learned from the 413 is kept: no 413 again"
    );
}

#[tokio::test]
async fn faults_on_a_bulk_request_are_retried_without_a_duplicate() {
    let _turn = turn().await;
    let server = sandbox();
    let scim = server.scim();
    let _offered = Offered::new(scim, 100, 1 << 20);
    let clean = fresh_prefix("bclean");
    let (target, _) = server.target();
    create_all(&target, &people(&clean, 10)).await;

    for name in ["429", "503", "reset", "lost"] {
        let (target, sleeper) = server.target();
        target.create_batch().await.unwrap();
        let prefix = fresh_prefix("bfault");
        let accounts = people(&prefix, 10);
        match name {
            "429" => scim.fail_next_writes_with_retry_after(2, 429, 3),
            "503" => scim.fail_next_writes(2, 503),
            "reset" => scim.reset_next_writes(1),
            _ => scim.lose_next_replies(1),
        }
        let outcomes = target.create_accounts(&accounts).await.unwrap();
        assert!(outcomes.iter().all(Result::is_ok), "{name}: {outcomes:?}");
        assert_eq!(scim.pending_write_failures(), 0, "{name}");
        let stats = target.stats();
        match name {
            "429" => {
                assert_eq!(stats.throttled, 2, "{stats:?}");
                assert!(
                    sleeper
                        .waits
                        .lock()
                        .unwrap()
                        .contains(&Duration::from_secs(3))
                );
            }
            "503" => assert_eq!(stats.unavailable, 2, "{stats:?}"),
            "lost" => assert_eq!(stats.recovered_creates, 10, "all found: {stats:?}"),
            _ => assert_eq!(stats.recovered_creates, 0, "{stats:?}"),
        }
        for (account, outcome) in accounts.iter().zip(&outcomes) {
            let found = target.find_account(&account.external_id, "").await.unwrap();
            assert_eq!(found.len(), 1, "{name}: one account, not two");
            assert_eq!(found[0].id, outcome.as_ref().unwrap().id);
        }
        assert_eq!(
            server.state(&prefix).await,
            server.state(&clean).await,
            "{name}"
        );
    }
}

#[tokio::test]
async fn without_bulk_on_offer_creates_go_one_by_one() {
    let _turn = turn().await;
    let server = sandbox();
    let (target, _) = server.target();
    assert_eq!(target.create_batch().await.unwrap(), 1);
    let prefix = fresh_prefix("nobulk");
    let accounts = people(&prefix, 3);
    let posts = server.scim().request_counts().post;
    let outcomes = target.create_accounts(&accounts).await.unwrap();
    assert!(outcomes.iter().all(Result::is_ok));
    assert_eq!(server.scim().request_counts().post - posts, 3);
}
