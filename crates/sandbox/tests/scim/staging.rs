//! The switches tests and demos use to stage trouble, and the counters that show what a
//! client sent.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::{Platform, send, user};

#[tokio::test]
async fn staged_write_failures_fail_writes_only_and_change_nothing() {
    let platform = Platform::start().await;
    platform.service.fail_next_writes(2, 503);
    assert_eq!(platform.service.pending_write_failures(), 2);
    // Reads are not writes.
    assert_eq!(platform.get("/Users").await.status, 200);
    for _ in 0..2 {
        let detail = platform
            .post_user(&user("ada@example.com"))
            .await
            .assert_error(503, None);
        assert!(detail.contains("retry"), "{detail}");
    }
    assert_eq!(platform.service.user_count(), 0);
    assert_eq!(platform.service.pending_write_failures(), 0);
    platform.create(&user("ada@example.com")).await;
    assert_eq!(platform.service.user_count(), 1);
}

#[tokio::test]
async fn staged_throttling_carries_retry_after() {
    let platform = Platform::start().await;
    let created = platform.create(&user("ada@example.com")).await;
    platform
        .service
        .fail_next_writes_with_retry_after(1, 429, 7);
    let reply = platform
        .patch(
            created["id"].as_str().unwrap(),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    reply.assert_error(429, None);
    assert_eq!(reply.header("retry-after"), Some("7"));
    assert_eq!(
        platform
            .service
            .user(created["id"].as_str().unwrap())
            .unwrap()["active"],
        json!(true)
    );
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let platform = Platform::start().await;
    platform.service.set_latency(Duration::from_millis(150));
    let started = Instant::now();
    assert_eq!(platform.get("/ServiceProviderConfig").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    platform.service.set_latency(Duration::ZERO);
    let started = Instant::now();
    platform.get("/ServiceProviderConfig").await;
    assert!(started.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn requests_are_counted_by_method_and_reset_forgets_everything() {
    let platform = Platform::start().await;
    let created = platform.create(&user("ada@example.com")).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    platform.get(&path).await;
    platform.get("/Users").await;
    platform
        .patch(
            created["id"].as_str().unwrap(),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    platform
        .send(Method::PUT, &path, &user("ada@example.com"))
        .await;
    send(platform.request(Method::DELETE, &path)).await;
    send(platform.anonymous(Method::GET, "/Users")).await;
    let counts = platform.service.request_counts();
    assert_eq!(
        (
            counts.get,
            counts.post,
            counts.put,
            counts.patch,
            counts.delete
        ),
        (3, 1, 1, 1, 1)
    );
    assert_eq!(counts.writes(), 4);
    assert_eq!(counts.total(), 7);

    platform.create(&user("grace@example.com")).await;
    platform.service.fail_next_writes(3, 500);
    platform.service.set_latency(Duration::from_secs(5));
    platform.service.reset();
    assert_eq!(platform.service.user_count(), 0);
    assert_eq!(platform.service.request_counts().total(), 0);
    assert_eq!(platform.service.pending_write_failures(), 0);
    // No latency, no failure: this answers at once.
    platform.create(&user("grace@example.com")).await;
}

#[tokio::test]
async fn users_staged_directly_are_served_like_any_other() {
    let platform = Platform::start().await;
    let staged = platform
        .service
        .create_user(&crate::enterprise_user("bjensen@example.com"))
        .unwrap();
    assert!(
        platform
            .service
            .create_user(&user("BJENSEN@example.com"))
            .is_err()
    );
    let id = staged["id"].as_str().unwrap();
    assert_eq!(
        staged["meta"]["location"],
        json!(format!("{}/Users/{id}", platform.base))
    );
    assert_eq!(platform.get(&format!("/Users/{id}")).await.body, staged);
    assert_eq!(
        platform
            .service
            .user_by_user_name("BJensen@Example.com")
            .unwrap()["id"],
        json!(id)
    );
    assert_eq!(platform.service.request_counts().total(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_user_name_yield_exactly_one_user() {
    let platform = Platform::start().await;
    let attempts: Vec<_> = (0..16)
        .map(|n| {
            let name = if n % 2 == 0 {
                "ada@example.com"
            } else {
                "ADA@example.com"
            };
            tokio::spawn(send(
                platform.request(Method::POST, "/Users").json(&user(name)),
            ))
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap().status);
    }
    let created = statuses.iter().filter(|status| **status == 201).count();
    let conflicts = statuses.iter().filter(|status| **status == 409).count();
    assert_eq!((created, conflicts), (1, 15));
    assert_eq!(platform.service.user_count(), 1);
}
