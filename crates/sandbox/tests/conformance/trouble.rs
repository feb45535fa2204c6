//! Throttling and injected faults: 429 with Retry-After, 503/504 and dropped connections at
//! the configured rates.

use rollcall_sandbox::{AppState, Faults};

use crate::{app, client, demo, graph_get, token_for};

#[tokio::test]
async fn an_exhausted_bucket_answers_429_with_retry_after() {
    let sandbox = demo().await;
    sandbox.control().set_throttle_quota(Some(10.0)).unwrap();
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let mut throttled = None;
    for _ in 0..30 {
        let (status, headers, body) = graph_get(&sandbox, &token, "users?$top=5", false).await;
        if status == 429 {
            throttled = Some((headers, body));
            break;
        }
        assert_eq!(status, 200);
    }
    let (headers, body) = throttled.expect("the bucket runs dry");
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(body["error"]["innerError"]["status"], "429");
    let retry: f64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0.0 && retry <= 10.0, "{retry}");
    tokio::time::sleep(std::time::Duration::from_secs_f64(retry + 0.05)).await;
    let (status, _, _) = graph_get(&sandbox, &token, "users?$top=5", false).await;
    assert_eq!(status, 200, "after Retry-After the request goes through");
    assert!(sandbox.control().counters().kind("throttled") >= 1);
}

#[tokio::test]
async fn faults_happen_at_the_configured_rates_and_only_on_graph() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let control = sandbox.control();
    control.set_fault_seed(11);
    control
        .set_faults(Faults {
            throttle_rate: 0.2,
            unavailable_rate: 0.1,
            timeout_rate: 0.1,
            drop_rate: 0.1,
            latency_ms: 0,
        })
        .unwrap();
    let (mut ok, mut throttled, mut unavailable, mut timeout, mut dropped) = (0, 0, 0, 0, 0);
    let url = format!("{}/v1.0/users?$top=1&$select=id", sandbox.info().graph_url);
    for _ in 0..400 {
        match client().get(&url).bearer_auth(&token).send().await {
            Err(_) => dropped += 1,
            Ok(response) => match response.status().as_u16() {
                200 => ok += 1,
                429 => {
                    assert!(response.headers().contains_key("retry-after"));
                    throttled += 1;
                }
                503 => unavailable += 1,
                504 => timeout += 1,
                other => panic!("unexpected status {other}"),
            },
        }
    }
    let near = |count: i32, rate: f64| ((count as f64 / 400.0) - rate).abs() < 0.07;
    assert!(near(throttled, 0.2), "429: {throttled}");
    assert!(near(unavailable, 0.1), "503: {unavailable}");
    assert!(near(timeout, 0.1), "504: {timeout}");
    assert!(near(dropped, 0.1), "dropped: {dropped}");
    assert!(near(ok, 0.5), "ok: {ok}");

    // Sign-in is not subject to Graph faults.
    for _ in 0..10 {
        token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    }

    control
        .set_faults(Faults {
            latency_ms: 300,
            ..Faults::default()
        })
        .unwrap();
    let started = std::time::Instant::now();
    let (status, _, _) = graph_get(&sandbox, &token, "users?$top=1", false).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn the_same_fault_seed_gives_the_same_sequence() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let control = sandbox.control();
    control
        .set_faults(Faults {
            unavailable_rate: 0.5,
            ..Faults::default()
        })
        .unwrap();
    let mut runs = Vec::new();
    for _ in 0..2 {
        control.set_fault_seed(99);
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(graph_get(&sandbox, &token, "users?$top=1", false).await.0);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&503) && runs[0].contains(&200));
}
