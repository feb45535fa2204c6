//! Groups: create, find by display name or external ID, members added and removed by PATCH,
//! replaced by PUT, and a deleted user leaving every group.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{Platform, send, user};

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn members(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn groups_keep_their_members_in_step_with_patches() {
    let platform = Platform::start().await;
    let ada = platform.create(&user("ada@example.com")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = platform.create(&user("bob@example.com")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = platform
        .send(
            Method::POST,
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "O'Brien's Team", "externalId": "g-1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();

    let found = platform
        .get("/Groups?filter=displayName%20eq%20%22o'brien's%20team%22")
        .await;
    assert_eq!(
        found.body["totalResults"],
        json!(1),
        "names compare without case"
    );
    let by_external = platform
        .get("/Groups?filter=externalId%20eq%20%22g-1%22")
        .await;
    assert_eq!(by_external.body["Resources"][0]["id"], json!(id));

    let path = format!("/Groups/{id}");
    let added = platform
        .send(
            Method::PATCH,
            &path,
            &json!({"schemas": [PATCH], "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": ada}, {"value": bob}]}
            ]}),
        )
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(members(&added.body), vec![ada.clone(), bob.clone()]);

    let removed = platform
        .send(
            Method::PATCH,
            &path,
            &json!({"schemas": [PATCH], "Operations": [
                {"op": "remove", "path": format!("members[value eq \"{ada}\"]")}
            ]}),
        )
        .await;
    assert_eq!(members(&removed.body), vec![bob.clone()]);

    platform
        .send(
            Method::PATCH,
            &path,
            &json!({"schemas": [PATCH], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}
            ]}),
        )
        .await
        .assert_error(400, Some("invalidValue"));

    send(platform.request(Method::DELETE, &format!("/Users/{bob}"))).await;
    assert!(members(&platform.get(&path).await.body).is_empty());
    assert_eq!(platform.service.groups().len(), 1);
}

#[tokio::test]
async fn a_second_group_with_the_same_name_is_409() {
    let platform = Platform::start().await;
    let body = json!({"schemas": [GROUP], "displayName": "Staff"});
    assert_eq!(
        platform.send(Method::POST, "/Groups", &body).await.status,
        201
    );
    platform
        .send(
            Method::POST,
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "STAFF"}),
        )
        .await
        .assert_error(409, Some("uniqueness"));
    platform
        .get("/Groups?filter=members%20pr")
        .await
        .assert_error(400, Some("invalidFilter"));
}
