//! Bulk requests (RFC 7644 §3.7): off unless offered; when offered, discovery says so with
//! its limits, each operation ends as the same request alone would (409 for a taken
//! userName among created ones), bulkId references resolve, failOnErrors stops early, and a
//! body over maxPayloadSize or more operations than maxOperations is refused whole with 413.
//! Staged faults and the write rate count once per bulk request.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{Platform, user};
use rollcall_sandbox::scim::{BULK_REQUEST, BULK_RESPONSE, CORE_GROUP, PATCH_OP};

fn post(bulk_id: &str, user_name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": user(user_name)})
}

fn bulk(operations: Vec<Value>) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": operations})
}

impl Platform {
    async fn bulk(&self, body: &Value) -> crate::Reply {
        self.send(Method::POST, "/Bulk", body).await
    }
}

#[tokio::test]
async fn bulk_is_off_unless_offered_and_discovery_says_which() {
    let platform = Platform::start().await;
    let config = platform.get("/ServiceProviderConfig").await.body;
    assert_eq!(config["bulk"]["supported"], json!(false));
    let refused = platform
        .bulk(&bulk(vec![post("a", "ada@example.com")]))
        .await;
    refused.assert_error(501, None);
    assert_eq!(platform.service.user_count(), 0, "nothing was created");

    platform.service.offer_bulk(50, 4096);
    let config = platform.get("/ServiceProviderConfig").await.body;
    assert_eq!(
        config["bulk"],
        json!({"supported": true, "maxOperations": 50, "maxPayloadSize": 4096})
    );
    platform.service.withdraw_bulk();
    let config = platform.get("/ServiceProviderConfig").await.body;
    assert_eq!(config["bulk"]["supported"], json!(false));
}

#[tokio::test]
async fn each_operation_ends_as_it_would_alone_and_a_taken_user_name_is_409() {
    let platform = Platform::start().await;
    platform.service.offer_bulk(100, 1 << 20);
    platform.create(&user("taken@example.com")).await;
    let reply = platform
        .bulk(&bulk(vec![
            post("one", "ada@example.com"),
            post("two", "TAKEN@example.com"),
            post("three", "grace@example.com"),
            json!({"method": "POST", "path": "/Users", "bulkId": "four", "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}}),
        ]))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/scim+json"));
    assert_eq!(reply.body["schemas"], json!([BULK_RESPONSE]));
    let results = reply.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 4);

    assert_eq!(results[0]["bulkId"], json!("one"));
    assert_eq!(results[0]["method"], json!("POST"));
    assert_eq!(results[0]["status"], json!("201"));
    let location = results[0]["location"].as_str().unwrap();
    let id = location.rsplit('/').next().unwrap();
    let ada = platform.get(&format!("/Users/{id}")).await;
    assert_eq!(ada.body["userName"], json!("ada@example.com"));
    assert_eq!(results[0]["version"], ada.body["meta"]["version"]);

    assert_eq!(results[1]["bulkId"], json!("two"));
    assert_eq!(results[1]["status"], json!("409"));
    assert!(
        results[1].get("location").is_none(),
        "a failed POST has none"
    );
    assert_eq!(results[1]["response"]["scimType"], json!("uniqueness"));
    assert_eq!(results[1]["response"]["status"], json!("409"));

    assert_eq!(results[2]["status"], json!("201"));
    assert_eq!(results[3]["status"], json!("400"));
    assert!(
        results[3]["response"]["detail"]
            .as_str()
            .unwrap()
            .contains("userName is required")
    );
    assert_eq!(platform.service.user_count(), 3, "taken, ada and grace");
    let counts = platform.service.request_counts();
    assert_eq!(counts.post, 2, "one plain create and one bulk request");
}

#[tokio::test]
async fn bulk_ids_resolve_and_every_method_runs_through_the_plain_writes() {
    let platform = Platform::start().await;
    platform.service.offer_bulk(100, 1 << 20);
    let existing = platform.create(&user("old@example.com")).await;
    let old_id = existing["id"].as_str().unwrap().to_owned();
    let gone = platform.create(&user("gone@example.com")).await;
    let gone_id = gone["id"].as_str().unwrap().to_owned();
    let reply = platform
        .bulk(&bulk(vec![
            post("boss", "boss@example.com"),
            json!({"method": "PATCH", "path": format!("/Users/{old_id}"), "data": {
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "bulkId:boss"}}],
            }}),
            json!({"method": "PUT", "path": "/Users/bulkId:boss", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "boss@example.com", "title": "Head",
            }}),
            json!({"method": "POST", "path": "/Groups", "bulkId": "staff", "data": {
                "schemas": [CORE_GROUP], "displayName": "Staff", "members": [{"value": "bulkId:boss"}, {"value": old_id}],
            }}),
            json!({"method": "DELETE", "path": format!("/Users/{gone_id}")}),
            json!({"method": "PATCH", "path": "/Users/bulkId:nobody", "data": {"schemas": [PATCH_OP], "Operations": []}}),
            json!({"method": "DELETE", "path": "/Users/no-such-user"}),
        ]))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let results = reply.body["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = results
        .iter()
        .map(|result| result["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["201", "200", "200", "201", "204", "409", "404"]);
    let boss_id = results[0]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let old = platform.get(&format!("/Users/{old_id}")).await.body;
    assert_eq!(
        old["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
        json!(boss_id)
    );
    let boss = platform.get(&format!("/Users/{boss_id}")).await.body;
    assert_eq!(boss["title"], json!("Head"));
    assert_eq!(
        results[2]["location"],
        json!(format!("{}/Users/{boss_id}", platform.base))
    );
    let groups = platform.service.groups();
    let members: Vec<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [boss_id.as_str(), old_id.as_str()]);
    assert_eq!(platform.get(&format!("/Users/{gone_id}")).await.status, 404);
    assert!(
        results[5]["response"]["detail"]
            .as_str()
            .unwrap()
            .contains("bulkId:nobody")
    );
}

#[tokio::test]
async fn fail_on_errors_stops_after_that_many_errors() {
    let platform = Platform::start().await;
    platform.service.offer_bulk(100, 1 << 20);
    platform.create(&user("taken@example.com")).await;
    let mut body = bulk(vec![
        post("a", "taken@example.com"),
        post("b", "ada@example.com"),
        post("c", "taken@example.com"),
        post("d", "grace@example.com"),
    ]);
    body["failOnErrors"] = json!(2);
    let reply = platform.bulk(&body).await;
    assert_eq!(reply.status, 200);
    let statuses: Vec<&str> = reply.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["409", "201", "409"], "d is never run");
    assert!(
        platform
            .service
            .user_by_user_name("grace@example.com")
            .is_none()
    );
    body["failOnErrors"] = json!(0);
    platform
        .bulk(&body)
        .await
        .assert_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn over_the_payload_or_operation_limit_is_413_and_changes_nothing() {
    let platform = Platform::start().await;
    platform.service.offer_bulk(2, 600);
    let three = bulk(vec![
        post("a", "a@example.com"),
        post("b", "b@example.com"),
        post("c", "c@example.com"),
    ]);
    let detail = platform.bulk(&three).await.assert_error(413, None);
    assert!(detail.contains("at most 2"), "{detail}");
    let mut large = user("large@example.com");
    large["displayName"] = json!("x".repeat(700));
    let detail = platform
        .bulk(&bulk(vec![
            json!({"method": "POST", "path": "/Users", "bulkId": "l", "data": large}),
        ]))
        .await
        .assert_error(413, None);
    assert!(detail.contains("at most 600 bytes"), "{detail}");
    assert_eq!(platform.service.user_count(), 0);
    let two = bulk(vec![post("a", "a@example.com"), post("b", "b@example.com")]);
    assert_eq!(platform.bulk(&two).await.status, 200);
    assert_eq!(platform.service.user_count(), 2);
}

#[tokio::test]
async fn a_bulk_request_that_is_not_one_is_400() {
    let platform = Platform::start().await;
    platform.service.offer_bulk(10, 1 << 20);
    platform
        .bulk(&json!({"schemas": [PATCH_OP], "Operations": []}))
        .await
        .assert_error(400, Some("invalidSyntax"));
    platform
        .bulk(&json!({"schemas": [BULK_REQUEST]}))
        .await
        .assert_error(400, Some("invalidSyntax"));
    let reply = platform
        .bulk(&bulk(vec![
            json!({"method": "POST", "path": "/Users", "data": user("nobulkid@example.com")}),
            json!({"method": "GET", "path": "/Users"}),
            json!({"method": "POST", "path": "/Courses", "bulkId": "x", "data": {}}),
        ]))
        .await;
    let statuses: Vec<&str> = reply.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["400", "400", "400"]);
    assert_eq!(platform.service.user_count(), 0);
}

#[tokio::test]
async fn faults_and_the_write_rate_count_once_per_bulk_request() {
    let platform = Platform::start().await;
    platform.service.offer_bulk(100, 1 << 20);
    let operations = |prefix: &str| {
        bulk(
            (0..5)
                .map(|n| post(&n.to_string(), &format!("{prefix}{n}@example.com")))
                .collect(),
        )
    };
    platform
        .service
        .fail_next_writes_with_retry_after(1, 429, 2);
    let throttled = platform.bulk(&operations("t")).await;
    throttled.assert_error(429, None);
    assert_eq!(throttled.header("retry-after"), Some("2"));
    assert_eq!(
        platform.service.user_count(),
        0,
        "a refused request changes nothing"
    );

    platform.service.fail_next_writes(1, 503);
    platform
        .bulk(&operations("u"))
        .await
        .assert_error(503, None);
    assert_eq!(platform.service.user_count(), 0);

    platform.service.lose_next_replies(1);
    let lost = platform
        .request(Method::POST, "/Bulk")
        .header("content-type", "application/scim+json")
        .body(operations("lost").to_string())
        .send()
        .await;
    let failed = match lost {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the client must see the connection fail");
    assert_eq!(platform.service.user_count(), 5, "all five were applied");

    platform.service.limit_write_rate(Some(1.0));
    assert_eq!(platform.bulk(&operations("r")).await.status, 200);
    assert_eq!(
        platform.service.user_count(),
        10,
        "five operations, one write"
    );
    assert_eq!(platform.bulk(&operations("s")).await.status, 429);
}
