//! PATCH in the RFC's style and in the style Microsoft Entra provisioning sends.

use rollcall_sandbox::scim::{CORE_USER, ENTERPRISE_USER};
use serde_json::{Value, json};

use crate::{Platform, enterprise_user, user};

async fn created(platform: &Platform, body: &Value) -> String {
    platform.create(body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn deactivating_works_in_the_rfc_style_and_the_entra_style() {
    let platform = Platform::start().await;
    let ada = created(&platform, &user("ada@example.com")).await;
    let reply = platform
        .patch(
            &ada,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["active"], json!(false));
    assert_eq!(platform.service.user(&ada).unwrap()["active"], json!(false));

    let grace = created(&platform, &user("grace@example.com")).await;
    let reply = platform
        .patch(
            &grace,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        platform.get(&format!("/Users/{grace}")).await.body["active"],
        json!(false)
    );

    // And back: Entra reactivates with "True".
    platform
        .patch(
            &grace,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(
        platform.service.user(&grace).unwrap()["active"],
        json!(true)
    );
}

#[tokio::test]
async fn a_value_object_without_a_path_merges_into_the_user() {
    let platform = Platform::start().await;
    let id = created(&platform, &enterprise_user("bjensen@example.com")).await;
    let before = platform.service.user(&id).unwrap();
    let reply = platform
        .patch(
            &id,
            json!([{"op": "replace", "value": {
                "active": false,
                "displayName": "Barbara Jensen",
                "name": {"givenName": "Barb"},
                ENTERPRISE_USER: {"department": "Training"},
            }}]),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let after = &reply.body;
    assert_eq!(after["active"], json!(false));
    assert_eq!(after["displayName"], json!("Barbara Jensen"));
    assert_eq!(after["name"]["givenName"], json!("Barb"));
    // Sub-attributes not sent stay.
    assert_eq!(after["name"]["familyName"], json!("Jensen"));
    assert_eq!(after[ENTERPRISE_USER]["department"], json!("Training"));
    assert_eq!(after[ENTERPRISE_USER]["employeeNumber"], json!("701984"));
    assert_eq!(after["emails"], before["emails"]);
    assert_eq!(after["meta"]["created"], before["meta"]["created"]);
    assert_ne!(after["meta"]["version"], before["meta"]["version"]);
}

#[tokio::test]
async fn enterprise_extension_paths_add_replace_and_remove() {
    let platform = Platform::start().await;
    let id = created(&platform, &user("ada@example.com")).await;
    let reply = platform
        .patch(
            &id,
            json!([
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Mathematics"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "1815"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "m-1"}},
            ]),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["schemas"], json!([CORE_USER, ENTERPRISE_USER]));
    assert_eq!(
        reply.body[ENTERPRISE_USER],
        json!({"department": "Mathematics", "employeeNumber": "1815", "manager": {"value": "m-1"}})
    );
    let reply = platform
        .patch(
            &id,
            json!([
                {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m-2"},
                {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
            ]),
        )
        .await;
    assert_eq!(
        reply.body[ENTERPRISE_USER],
        json!({"employeeNumber": "1815", "manager": {"value": "m-2"}})
    );
    let reply = platform
        .patch(&id, json!([{"op": "remove", "path": ENTERPRISE_USER}]))
        .await;
    assert!(reply.body.get(ENTERPRISE_USER).is_none());
    assert_eq!(reply.body["schemas"], json!([CORE_USER]));
}

#[tokio::test]
async fn email_value_paths_update_the_matching_address() {
    let platform = Platform::start().await;
    let id = created(&platform, &enterprise_user("bjensen@example.com")).await;
    let reply = platform
        .patch(
            &id,
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com"}]),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.body["emails"],
        json!([
            {"value": "barbara@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"},
        ])
    );
    let reply = platform
        .patch(
            &id,
            json!([
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "add", "path": "emails", "value": [{"value": "b@other.org", "type": "other"}]},
            ]),
        )
        .await;
    assert_eq!(
        reply.body["emails"],
        json!([
            {"value": "barbara@example.com", "type": "work", "primary": true},
            {"value": "b@other.org", "type": "other"},
        ])
    );
}

#[tokio::test]
async fn an_entra_update_with_several_operations_applies_them_all() {
    let platform = Platform::start().await;
    let id = created(&platform, &user("ryan@contoso.com")).await;
    let reply = platform
        .patch(
            &id,
            json!([
                {"op": "Replace", "path": "displayName", "value": "Ryan Leenay"},
                {"op": "Add", "path": "name.givenName", "value": "Ryan"},
                {"op": "Add", "path": "name.familyName", "value": "Leenay"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ryan@contoso.com"},
                {"op": "Add", "path": "title", "value": "Teacher"},
                {"op": "Replace", "path": "externalId", "value": "ryan"},
            ]),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let user = platform.service.user(&id).unwrap();
    assert_eq!(user["displayName"], json!("Ryan Leenay"));
    assert_eq!(
        user["name"],
        json!({"givenName": "Ryan", "familyName": "Leenay"})
    );
    assert_eq!(
        user["emails"],
        json!([{"type": "work", "value": "ryan@contoso.com"}])
    );
    assert_eq!(user["title"], json!("Teacher"));
    assert_eq!(user["externalId"], json!("ryan"));
}

#[tokio::test]
async fn a_patch_that_changes_nothing_keeps_the_version() {
    let platform = Platform::start().await;
    let id = created(&platform, &user("ada@example.com")).await;
    let before = platform.service.user(&id).unwrap();
    let reply = platform
        .patch(
            &id,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["meta"], before["meta"]);
}

#[tokio::test]
async fn renaming_onto_a_taken_user_name_is_409() {
    let platform = Platform::start().await;
    created(&platform, &user("ada@example.com")).await;
    let grace = created(&platform, &user("grace@example.com")).await;
    platform
        .patch(
            &grace,
            json!([{"op": "replace", "path": "userName", "value": "ADA@example.com"}]),
        )
        .await
        .assert_error(409, Some("uniqueness"));
    // A new case of one's own name is fine.
    let reply = platform
        .patch(
            &grace,
            json!([{"op": "replace", "path": "userName", "value": "Grace@Example.com"}]),
        )
        .await;
    assert_eq!(reply.status, 200);
}
