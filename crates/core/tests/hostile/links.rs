//! Hostile Graph servers over real HTTP: links to other hosts, endless bodies, absurd
//! `Retry-After` values, and cancels during long waits and hung requests.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rollcall_core::graph::{GraphError, RetryPolicy};

use crate::support::{RecordingSleeper, client_for, json_reply, sandbox, scripted};

#[tokio::test]
async fn a_next_link_to_another_port_stops_the_read_and_nothing_is_sent_there() {
    let sandbox = sandbox().await;
    let elsewhere = scripted(|_| Some(json_reply("200 OK", "", r#"{"value":[]}"#))).await;
    let next = format!("{}/v1.0/users?$skiptoken=abc", elsewhere.url);
    let graph = scripted(move |_| {
        let body = serde_json::json!({"value": [{"id": "1"}], "@odata.nextLink": next});
        Some(json_reply("200 OK", "", &body.to_string()))
    })
    .await;
    let client = client_for(&sandbox, &graph.url);
    let mut pages = 0;
    let outcome = client
        .each_page(client.url("/v1.0/users", &[]), false, "the people", |_| {
            pages += 1;
            Ok(())
        })
        .await;
    let error = outcome.unwrap_err();
    assert!(matches!(error, GraphError::ForeignLink { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("not the configured Graph address"),
        "{message}"
    );
    assert!(!message.contains("skiptoken"), "{message}");
    assert_eq!(pages, 1);
    assert_eq!(graph.requests.load(Ordering::SeqCst), 1);
    assert_eq!(elsewhere.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_http_link_from_an_https_graph_is_refused() {
    assert!(!rollcall_core::graph::same_origin(
        "http://graph.microsoft.com/v1.0/users",
        "https://graph.microsoft.com"
    ));
    assert!(rollcall_core::graph::same_origin(
        "https://graph.microsoft.com:443/v1.0/users?$skiptoken=x",
        "https://graph.microsoft.com"
    ));
}

#[tokio::test]
async fn an_endless_body_is_refused_with_a_message() {
    let sandbox = sandbox().await;
    let graph = scripted(|_| {
        Some(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{\"value\":["
                .to_string(),
        )
    })
    .await;
    let client = client_for(&sandbox, &graph.url);
    let error = client
        .get_json(&client.url("/v1.0/users", &[]), false, "the people")
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("larger than"), "{message}");
}

#[tokio::test]
async fn an_absurd_retry_after_is_cut_to_the_policy_not_fatal() {
    let sandbox = sandbox().await;
    let graph = scripted(|_| {
        Some(json_reply(
            "429 Too Many Requests",
            "Retry-After: 1e300\r\n",
            "{}",
        ))
    })
    .await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let client = client_for(&sandbox, &graph.url)
        .with_retry_policy(policy)
        .with_sleeper(sleeper.clone());
    let error = client
        .get_json(&client.url("/v1.0/users", &[]), false, "the people")
        .await
        .unwrap_err();
    assert!(
        matches!(error, GraphError::Throttled { attempts: 3 }),
        "{error:?}"
    );
    let waits = sleeper.waits.lock().unwrap().clone();
    assert!(!waits.is_empty());
    assert!(
        waits.iter().all(|wait| *wait <= policy.max_retry_after),
        "{waits:?}"
    );
}

#[tokio::test]
async fn cancel_during_a_thirty_second_retry_after_returns_within_a_second() {
    let sandbox = sandbox().await;
    let graph = scripted(|_| {
        Some(json_reply(
            "429 Too Many Requests",
            "Retry-After: 30\r\n",
            "{}",
        ))
    })
    .await;
    let client = client_for(&sandbox, &graph.url);
    let cancel = client.cancel_token().clone();
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let error = client
        .get_json(&client.url("/v1.0/users", &[]), false, "the people")
        .await
        .unwrap_err();
    assert!(matches!(error, GraphError::Cancelled), "{error:?}");
    assert_eq!(graph.requests.load(Ordering::SeqCst), 1);
    assert!(
        started.elapsed() < Duration::from_millis(1300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cancel_during_a_hung_request_returns_within_a_second() {
    let sandbox = sandbox().await;
    let graph = scripted(|_| None).await;
    let client = client_for(&sandbox, &graph.url);
    let cancel = client.cancel_token().clone();
    let started = Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let error = client
        .get_json(&client.url("/v1.0/users", &[]), false, "the people")
        .await
        .unwrap_err();
    assert!(matches!(error, GraphError::Cancelled), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1300),
        "{:?}",
        started.elapsed()
    );
}
