//! What the platform refuses, and how it says so: never a panic, never a 500.

use reqwest::Method;
use rollcall_sandbox::scim::{CORE_USER, PATCH_OP};
use serde_json::json;

use crate::{Platform, TOKEN, send, user};

#[tokio::test]
async fn requests_without_the_right_bearer_token_are_401() {
    let platform = Platform::start().await;
    platform.create(&user("ada@example.com")).await;
    for path in ["/Users", "/ServiceProviderConfig", "/Schemas", "/Groups"] {
        let reply = send(platform.anonymous(Method::GET, path)).await;
        let detail = reply.assert_error(401, None);
        assert!(detail.contains("Bearer"), "{detail}");
        assert!(
            reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer")
        );
    }
    let wrong = send(
        platform
            .anonymous(Method::GET, "/Users")
            .bearer_auth("not-the-token"),
    )
    .await;
    wrong.assert_error(401, None);
    assert!(
        wrong
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let basic = send(
        platform
            .anonymous(Method::GET, "/Users")
            .basic_auth("admin", Some(TOKEN)),
    )
    .await;
    basic.assert_error(401, None);
    let write = send(
        platform
            .anonymous(Method::POST, "/Users")
            .json(&user("mallory@example.com")),
    )
    .await;
    write.assert_error(401, None);
    assert_eq!(platform.service.user_count(), 1);
    // The scheme name is case-insensitive.
    let lower = send(
        platform
            .anonymous(Method::GET, "/Users")
            .header("authorization", format!("bearer {TOKEN}")),
    )
    .await;
    assert_eq!(lower.status, 200);
}

#[tokio::test]
async fn both_json_media_types_are_accepted_and_others_are_refused() {
    let platform = Platform::start().await;
    let plain = send(
        platform
            .request(Method::POST, "/Users")
            .json(&user("a@example.com")),
    )
    .await;
    assert_eq!(plain.status, 201);
    let scim = platform.post_user(&user("b@example.com")).await;
    assert_eq!(scim.status, 201);
    let with_charset = send(
        platform
            .request(Method::POST, "/Users")
            .header("content-type", "application/scim+json; charset=utf-8")
            .body(user("c@example.com").to_string()),
    )
    .await;
    assert_eq!(with_charset.status, 201);
    let text = send(
        platform
            .request(Method::POST, "/Users")
            .header("content-type", "text/plain")
            .body(user("d@example.com").to_string()),
    )
    .await;
    text.assert_error(415, None);
    assert_eq!(platform.service.user_count(), 3);
}

#[tokio::test]
async fn malformed_user_documents_are_400_with_a_reason() {
    let platform = Platform::start().await;
    let cases = [
        (
            json!({"schemas": [CORE_USER], "active": true}),
            "invalidValue",
            "userName",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": ""}),
            "invalidValue",
            "userName",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": 42}),
            "invalidValue",
            "userName",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": "a", "active": "yes"}),
            "invalidValue",
            "active",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": "a", "emails": {"value": "a@b.c"}}),
            "invalidValue",
            "emails",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": "a", "name": "Ada"}),
            "invalidValue",
            "name",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": "a", "emails": [{"value": "a@b.c", "primary": true}, {"value": "d@e.f", "primary": true}]}),
            "invalidValue",
            "primary",
        ),
        (
            json!({"schemas": [CORE_USER], "userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "Sales"}),
            "invalidValue",
            "enterprise",
        ),
        (json!({"userName": "a"}), "invalidSyntax", "schemas"),
        (
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "a"}),
            "invalidSyntax",
            "Group",
        ),
        (
            json!({"schemas": [CORE_USER, "urn:example:custom"], "userName": "a"}),
            "invalidSyntax",
            "urn:example:custom",
        ),
        (json!(["not", "an", "object"]), "invalidSyntax", "object"),
    ];
    for (body, scim_type, mentioned) in cases {
        let detail = platform
            .post_user(&body)
            .await
            .assert_error(400, Some(scim_type));
        assert!(detail.contains(mentioned), "{body}: {detail}");
    }
    for text in ["{\"schemas\": [", "", "userName=ada"] {
        let reply = send(
            platform
                .request(Method::POST, "/Users")
                .header("content-type", "application/scim+json")
                .body(text),
        )
        .await;
        let detail = reply.assert_error(400, Some("invalidSyntax"));
        assert!(detail.contains("JSON"), "{text}: {detail}");
    }
    assert_eq!(platform.service.user_count(), 0);
}

#[tokio::test]
async fn malformed_filters_and_paging_are_400() {
    let platform = Platform::start().await;
    for filter in [
        "userName",
        "userName eq",
        "userName equals \"a\"",
        "userName eq \"a",
        "userName eq ada",
        "shoeSize eq \"42\"",
        "(userName eq \"a\"",
        "userName eq \"a\" externalId eq \"b\"",
        "active gt true",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        platform
            .get(&format!("/Users?filter={encoded}"))
            .await
            .assert_error(400, Some("invalidFilter"));
    }
    platform
        .get("/Users?startIndex=first")
        .await
        .assert_error(400, Some("invalidValue"));
    platform
        .get("/Users?count=lots")
        .await
        .assert_error(400, Some("invalidValue"));
    platform
        .get("/Users?attributes=shoeSize")
        .await
        .assert_error(400, Some("invalidPath"));
}

#[tokio::test]
async fn malformed_patches_are_400_and_change_nothing() {
    let platform = Platform::start().await;
    let created = platform.create(&user("ada@example.com")).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/Users/{id}");
    let bodies = [
        (
            json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
            "invalidSyntax",
        ),
        (json!({"schemas": [PATCH_OP]}), "invalidSyntax"),
        (
            json!({"schemas": [PATCH_OP], "Operations": []}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "active"}]}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "shoeSize", "value": 42}]}),
            "invalidPath",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "emails[type eq]", "value": "x"}]}),
            "invalidPath",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove"}]}),
            "noTarget",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "id", "value": "x"}]}),
            "mutability",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active"}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": false}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "userName"}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "active", "value": false},
                {"op": "replace", "path": "title", "value": 7},
            ]}),
            "invalidValue",
        ),
    ];
    for (body, scim_type) in bodies {
        platform
            .send(Method::PATCH, &path, &body)
            .await
            .assert_error(400, Some(scim_type));
    }
    assert_eq!(platform.service.user(id).unwrap(), created);
}

#[tokio::test]
async fn unknown_endpoints_and_methods_are_scim_errors() {
    let platform = Platform::start().await;
    platform.get("/Roles").await.assert_error(404, None);
    send(platform.request(Method::DELETE, "/Users"))
        .await
        .assert_error(405, None);
    send(platform.request(Method::POST, "/ServiceProviderConfig"))
        .await
        .assert_error(405, None);
}
