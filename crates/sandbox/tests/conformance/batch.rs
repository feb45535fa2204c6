//! JSON batching (`POST /v1.0/$batch`): each inner read is answered as the same read alone
//! (body, 404, casts with `ConsistencyLevel`), at most 20 reads a batch, the batch needs a
//! token, and injected throttling lands on inner reads with their own `Retry-After`.

use rollcall_sandbox::{AppState, Faults};
use serde_json::{Value, json};

use crate::{app, client, demo, graph_get, token_for};

async fn post_batch(
    sandbox: &rollcall_sandbox::Sandbox,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client()
        .post(format!("{}/v1.0/$batch", sandbox.info().graph_url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn answer<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|response| response["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn inner_reads_are_answered_as_the_same_reads_alone() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let staff = sandbox.control().group_id("All Staff").unwrap();
    let members = format!(
        "groups/{staff}/transitiveMembers/microsoft.graph.user?$select=id,displayName&$top=5&$count=true"
    );
    let (_, _, alone) = graph_get(&sandbox, &token, &members, true).await;
    let missing = "groups/0b0c0d0e-1111-4222-8333-944445555666";
    let (alone_status, _, alone_missing) = graph_get(&sandbox, &token, missing, false).await;
    let (status, body) = post_batch(
        &sandbox,
        &token,
        &json!({"requests": [
            {"id": "1", "method": "GET", "url": format!("/{members}"), "headers": {"ConsistencyLevel": "eventual"}},
            {"id": "2", "method": "GET", "url": format!("/{missing}")},
            {"id": "3", "method": "GET", "url": "/users/$count", "headers": {"ConsistencyLevel": "eventual"}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let first = answer(&body, "1");
    assert_eq!(first["status"], 200);
    assert_eq!(first["body"]["value"], alone["value"]);
    assert_eq!(first["body"]["@odata.count"], alone["@odata.count"]);
    assert_eq!(
        first["body"]["@odata.nextLink"].is_string(),
        alone["@odata.nextLink"].is_string()
    );
    let second = answer(&body, "2");
    assert_eq!(second["status"], alone_status);
    assert_eq!(
        second["body"]["error"]["code"],
        alone_missing["error"]["code"]
    );
    let third = answer(&body, "3");
    assert_eq!(third["status"], 200);
    assert!(third["body"].as_str().unwrap().parse::<u64>().unwrap() > 100);
    assert_eq!(sandbox.control().counters().kind("batch"), 1);
}

#[tokio::test]
async fn a_batch_holds_at_most_twenty_reads_and_needs_a_token() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let reads: Vec<Value> = (0..21)
        .map(|n| json!({"id": n.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    let (status, body) = post_batch(&sandbox, &token, &json!({ "requests": reads })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("20"));
    let (status, _) = post_batch(&sandbox, "not-a-token", &json!({"requests": []})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn throttling_lands_on_inner_reads_with_their_own_retry_after() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    sandbox
        .control()
        .set_faults(Faults {
            throttle_rate: 1.0,
            ..Faults::default()
        })
        .unwrap();
    let (status, body) = post_batch(
        &sandbox,
        &token,
        &json!({"requests": [
            {"id": "a", "method": "GET", "url": "/users?$top=1"},
            {"id": "b", "method": "GET", "url": "/groups?$top=1"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "the batch itself is answered: {body}");
    for id in ["a", "b"] {
        let inner = answer(&body, id);
        assert_eq!(inner["status"], 429);
        assert_eq!(inner["headers"]["Retry-After"], "1.5");
        assert_eq!(inner["body"]["error"]["code"], "TooManyRequests");
    }
}
