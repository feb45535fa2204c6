//! Creating, reading, replacing and deleting users.

use reqwest::Method;
use rollcall_sandbox::scim::{CORE_USER, ENTERPRISE_USER};
use serde_json::json;

use crate::{Platform, enterprise_user, send, user};

#[tokio::test]
async fn create_answers_201_with_location_and_meta() {
    let platform = Platform::start().await;
    let reply = platform.post_user(&user("ada@example.com")).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("content-type"), Some("application/scim+json"));
    let created = &reply.body;
    let id = created["id"].as_str().unwrap();
    assert!(!id.is_empty());
    let location = format!("{}/Users/{id}", platform.base);
    assert_eq!(reply.header("location"), Some(location.as_str()));
    assert_eq!(created["schemas"], json!([CORE_USER]));
    assert_eq!(created["userName"], json!("ada@example.com"));
    assert_eq!(created["active"], json!(true));
    let meta = &created["meta"];
    assert_eq!(meta["resourceType"], json!("User"));
    assert_eq!(meta["location"], json!(location));
    assert_eq!(meta["created"], meta["lastModified"]);
    assert!(
        chrono::DateTime::parse_from_rfc3339(meta["created"].as_str().unwrap()).is_ok(),
        "{meta}"
    );
    let version = meta["version"].as_str().unwrap();
    assert!(version.starts_with("W/\""), "{version}");
    assert_eq!(reply.header("etag"), Some(version));
    assert_eq!(platform.service.user_count(), 1);
}

#[tokio::test]
async fn the_rfc_enterprise_user_round_trips() {
    let platform = Platform::start().await;
    let sent = enterprise_user("bjensen@example.com");
    let created = platform.create(&sent).await;
    let fetched = platform
        .get(&format!("/Users/{}", created["id"].as_str().unwrap()))
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, created);
    let body = &fetched.body;
    assert_eq!(body["schemas"], json!([CORE_USER, ENTERPRISE_USER]));
    for key in [
        "externalId",
        "userName",
        "name",
        "displayName",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "active",
        "emails",
        ENTERPRISE_USER,
    ] {
        assert_eq!(body[key], sent[key], "{key} did not round-trip");
    }
}

#[tokio::test]
async fn unicode_names_round_trip() {
    let platform = Platform::start().await;
    let created = platform
        .create(&json!({
            "schemas": [CORE_USER],
            "userName": "zoë.ångström@exämple.org",
            "name": {"givenName": "Zoë", "familyName": "Ångström-Øster", "formatted": "Zoë Ångström-Øster"},
            "displayName": "李小龙 🎓",
        }))
        .await;
    let fetched = platform
        .get(&format!("/Users/{}", created["id"].as_str().unwrap()))
        .await;
    assert_eq!(fetched.body["name"]["familyName"], json!("Ångström-Øster"));
    assert_eq!(fetched.body["displayName"], json!("李小龙 🎓"));
    let found = platform
        .get("/Users?filter=userName%20eq%20%22ZO%C3%8B.%C3%A5ngstr%C3%B6m@ex%C3%A4mple.org%22")
        .await;
    assert_eq!(found.body["totalResults"], json!(1), "{:?}", found.body);
}

#[tokio::test]
async fn a_duplicate_user_name_is_409_uniqueness_whatever_its_case() {
    let platform = Platform::start().await;
    platform.create(&user("ada@example.com")).await;
    let detail = platform
        .post_user(&user("ADA@Example.COM"))
        .await
        .assert_error(409, Some("uniqueness"));
    assert!(detail.contains("ADA@Example.COM"), "{detail}");
    assert_eq!(platform.service.user_count(), 1);

    let grace = platform.create(&user("grace@example.com")).await;
    let mut renamed = user("Ada@example.com");
    renamed["active"] = json!(false);
    platform
        .send(
            Method::PUT,
            &format!("/Users/{}", grace["id"].as_str().unwrap()),
            &renamed,
        )
        .await
        .assert_error(409, Some("uniqueness"));
    let grace_now = platform
        .service
        .user(grace["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(grace_now["userName"], json!("grace@example.com"));
}

#[tokio::test]
async fn a_missing_user_is_a_404_scim_error() {
    let platform = Platform::start().await;
    let detail = platform
        .get("/Users/00000000-0000-4000-8000-000000000000")
        .await
        .assert_error(404, None);
    assert!(detail.contains("00000000-0000-4000-8000-000000000000"));
    platform
        .send(Method::PUT, "/Users/nope", &user("x"))
        .await
        .assert_error(404, None);
    platform
        .patch(
            "nope",
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await
        .assert_error(404, None);
}

#[tokio::test]
async fn put_replaces_everything_but_id_and_meta() {
    let platform = Platform::start().await;
    let created = platform
        .create(&enterprise_user("bjensen@example.com"))
        .await;
    let id = created["id"].as_str().unwrap();
    let replacement = json!({
        "schemas": [CORE_USER],
        "id": "someone-else",
        "meta": {"created": "2001-01-01T00:00:00Z"},
        "userName": "babs@example.com",
        "displayName": "Babs",
        "active": false,
    });
    let reply = platform
        .send(Method::PUT, &format!("/Users/{id}"), &replacement)
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let replaced = &reply.body;
    assert_eq!(replaced["id"], json!(id));
    assert_eq!(replaced["meta"]["created"], created["meta"]["created"]);
    assert_ne!(replaced["meta"]["version"], created["meta"]["version"]);
    assert_eq!(replaced["userName"], json!("babs@example.com"));
    assert_eq!(replaced["active"], json!(false));
    assert!(replaced.get("emails").is_none(), "{replaced}");
    assert!(replaced.get(ENTERPRISE_USER).is_none(), "{replaced}");
    assert_eq!(replaced["schemas"], json!([CORE_USER]));
    assert_eq!(platform.service.user(id).unwrap(), *replaced);
}

#[tokio::test]
async fn writes_with_a_stale_if_match_are_412_and_change_nothing() {
    let platform = Platform::start().await;
    let created = platform.create(&user("ada@example.com")).await;
    let id = created["id"].as_str().unwrap();
    let first_version = created["meta"]["version"].as_str().unwrap().to_owned();
    let mut changed = user("ada@example.com");
    changed["displayName"] = json!("Ada");
    let reply = send(
        platform
            .request(Method::PUT, &format!("/Users/{id}"))
            .header("if-match", &first_version)
            .json(&changed),
    )
    .await;
    assert_eq!(reply.status, 200);
    let stale = send(
        platform
            .request(Method::PATCH, &format!("/Users/{id}"))
            .header("if-match", &first_version)
            .json(&json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}],
            })),
    )
    .await;
    stale.assert_error(412, None);
    assert_eq!(platform.service.user(id).unwrap()["active"], json!(true));
    let not_modified = send(
        platform
            .request(Method::GET, &format!("/Users/{id}"))
            .header("if-none-match", reply.header("etag").unwrap()),
    )
    .await;
    assert_eq!(not_modified.status, 304);
}

#[tokio::test]
async fn delete_answers_204_and_the_user_is_gone() {
    let platform = Platform::start().await;
    let created = platform.create(&user("ada@example.com")).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let reply = send(platform.request(Method::DELETE, &path)).await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.body, serde_json::Value::Null);
    platform.get(&path).await.assert_error(404, None);
    send(platform.request(Method::DELETE, &path))
        .await
        .assert_error(404, None);
    assert_eq!(platform.service.user_count(), 0);
    // The userName is free again.
    platform.create(&user("ada@example.com")).await;
}
