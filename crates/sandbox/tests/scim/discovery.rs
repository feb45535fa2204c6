//! Discovery: what a client reads before it writes.

use rollcall_sandbox::scim::{CORE_USER, ENTERPRISE_USER};
use serde_json::{Value, json};

use crate::Platform;

#[tokio::test]
async fn service_provider_config_advertises_what_the_platform_supports() {
    let platform = Platform::start().await;
    let reply = platform.get("/ServiceProviderConfig").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/scim+json"));
    let config = &reply.body;
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"]["supported"], json!(true));
    assert_eq!(config["bulk"]["supported"], json!(false));
    assert_eq!(config["filter"]["supported"], json!(true));
    assert_eq!(config["filter"]["maxResults"], json!(200));
    assert_eq!(config["sort"]["supported"], json!(false));
    assert_eq!(config["etag"]["supported"], json!(true));
    assert_eq!(
        config["authenticationSchemes"][0]["type"],
        json!("oauthbearertoken")
    );
    assert_eq!(
        config["meta"]["location"],
        json!(format!("{}/ServiceProviderConfig", platform.base))
    );
    assert_eq!(
        config["meta"]["resourceType"],
        json!("ServiceProviderConfig")
    );
}

fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["name"] == json!(name))
        .unwrap_or_else(|| panic!("schema has no {name}"))
}

#[tokio::test]
async fn schemas_describe_the_user_and_the_enterprise_extension() {
    let platform = Platform::start().await;
    let list = platform.get("/Schemas").await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(list.body["totalResults"], json!(2));
    let ids: Vec<&Value> = list.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|schema| &schema["id"])
        .collect();
    assert_eq!(ids, [&json!(CORE_USER), &json!(ENTERPRISE_USER)]);

    let core = platform.get(&format!("/Schemas/{CORE_USER}")).await;
    assert_eq!(core.status, 200);
    assert_eq!(
        core.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
    );
    let user_name = attribute(&core.body, "userName");
    assert_eq!(user_name["required"], json!(true));
    assert_eq!(user_name["uniqueness"], json!("server"));
    assert_eq!(user_name["caseExact"], json!(false));
    assert_eq!(attribute(&core.body, "active")["type"], json!("boolean"));
    let emails = attribute(&core.body, "emails");
    assert_eq!(emails["multiValued"], json!(true));
    assert!(
        emails["subAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|part| part["name"] == json!("primary"))
    );
    assert_eq!(
        core.body["meta"]["location"],
        json!(format!("{}/Schemas/{CORE_USER}", platform.base))
    );

    let enterprise = platform.get(&format!("/Schemas/{ENTERPRISE_USER}")).await;
    assert_eq!(enterprise.status, 200);
    assert_eq!(
        attribute(&enterprise.body, "department")["type"],
        json!("string")
    );
    assert_eq!(
        attribute(&enterprise.body, "manager")["type"],
        json!("complex")
    );

    platform
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
        .await
        .assert_error(404, None);
}

#[tokio::test]
async fn resource_types_offer_users_with_the_enterprise_extension_and_groups() {
    let platform = Platform::start().await;
    let list = platform.get("/ResourceTypes").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalResults"], json!(2));
    assert_eq!(list.body["Resources"][1]["endpoint"], json!("/Groups"));
    let user = &list.body["Resources"][0];
    assert_eq!(user["id"], json!("User"));
    assert_eq!(user["endpoint"], json!("/Users"));
    assert_eq!(user["schema"], json!(CORE_USER));
    assert_eq!(
        user["schemaExtensions"],
        json!([{"schema": ENTERPRISE_USER, "required": false}])
    );

    let single = platform.get("/ResourceTypes/User").await;
    assert_eq!(single.status, 200);
    assert_eq!(
        single.body["meta"]["location"],
        json!(format!("{}/ResourceTypes/User", platform.base))
    );
    assert_eq!(platform.get("/ResourceTypes/Group").await.status, 200);
    platform
        .get("/ResourceTypes/Role")
        .await
        .assert_error(404, None);
}

#[tokio::test]
async fn discovery_endpoints_refuse_filters() {
    let platform = Platform::start().await;
    for path in ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"] {
        platform
            .get(&format!("{path}?filter=id%20eq%20%22User%22"))
            .await
            .assert_error(403, None);
    }
}
