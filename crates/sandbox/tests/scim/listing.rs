//! Listing users: filters, paging and attribute selection.

use std::collections::HashSet;

use rollcall_sandbox::scim::CORE_USER;
use serde_json::{Value, json};

use crate::{Platform, user};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn filtered(platform: &Platform, filter: &str) -> Vec<String> {
    let reply = platform
        .get(&format!("/Users?filter={}", encode(filter)))
        .await;
    assert_eq!(reply.status, 200, "{filter}: {:?}", reply.body);
    assert_eq!(
        reply.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    reply.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| resource["userName"].as_str().unwrap().to_owned())
        .collect()
}

async fn three_people(platform: &Platform) -> Vec<Value> {
    let mut created = Vec::new();
    for (name, external) in [
        ("ada@example.com", "A-1"),
        ("grace@example.com", "G-2"),
        ("alan@example.com", "T-3"),
    ] {
        let mut body = user(name);
        body["externalId"] = json!(external);
        created.push(platform.create(&body).await);
    }
    created
}

#[tokio::test]
async fn filters_find_users_by_user_name_external_id_and_id() {
    let platform = Platform::start().await;
    let people = three_people(&platform).await;
    assert_eq!(
        filtered(&platform, r#"userName eq "grace@example.com""#).await,
        ["grace@example.com"]
    );
    // Attribute names and userName values compare without regard to case.
    assert_eq!(
        filtered(&platform, r#"USERNAME eq "Grace@Example.com""#).await,
        ["grace@example.com"]
    );
    assert_eq!(
        filtered(&platform, r#"externalId eq "T-3""#).await,
        ["alan@example.com"]
    );
    // externalId is case-exact.
    assert!(
        filtered(&platform, r#"externalid eq "t-3""#)
            .await
            .is_empty()
    );
    let id = people[0]["id"].as_str().unwrap();
    assert_eq!(
        filtered(&platform, &format!(r#"id eq "{id}""#)).await,
        ["ada@example.com"]
    );
    assert_eq!(
        filtered(
            &platform,
            r#"userName eq "ada@example.com" or externalId eq "G-2""#
        )
        .await,
        ["ada@example.com", "grace@example.com"]
    );
    assert_eq!(
        filtered(&platform, r#"userName sw "a" and externalId eq "T-3""#).await,
        ["alan@example.com"]
    );
    assert!(
        filtered(
            &platform,
            r#"userName eq "ada@example.com" and externalId eq "G-2""#
        )
        .await
        .is_empty()
    );
    let nobody = platform
        .get(&format!(
            "/Users?filter={}",
            encode(r#"userName eq "nobody""#)
        ))
        .await;
    assert_eq!(nobody.body["totalResults"], json!(0));
    assert_eq!(nobody.body["Resources"], json!([]));
}

#[tokio::test]
async fn paging_walks_every_user_exactly_once() {
    let platform = Platform::start().await;
    for n in 0..23 {
        platform
            .service
            .create_user(&user(&format!("learner{n:02}@example.com")))
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = platform
            .get(&format!("/Users?startIndex={start}&count=5"))
            .await;
        assert_eq!(page.status, 200);
        assert_eq!(page.body["totalResults"], json!(23));
        assert_eq!(page.body["startIndex"], json!(start));
        let resources = page.body["Resources"].as_array().unwrap();
        assert_eq!(page.body["itemsPerPage"], json!(resources.len()));
        if resources.is_empty() {
            break;
        }
        assert!(resources.len() <= 5);
        seen.extend(
            resources
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
        start += resources.len();
    }
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 23);
    let all: HashSet<String> = platform
        .service
        .users()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), all);
}

#[tokio::test]
async fn pages_never_exceed_the_advertised_maximum() {
    let platform = Platform::start().await;
    for n in 0..205 {
        platform
            .service
            .create_user(&user(&format!("learner{n}@example.com")))
            .unwrap();
    }
    for query in ["/Users", "/Users?count=1000"] {
        let page = platform.get(query).await;
        assert_eq!(page.body["totalResults"], json!(205));
        assert_eq!(page.body["itemsPerPage"], json!(200), "{query}");
    }
    let counted = platform.get("/Users?count=0").await;
    assert_eq!(counted.body["totalResults"], json!(205));
    assert_eq!(counted.body["Resources"], json!([]));
    let last = platform.get("/Users?startIndex=201&count=10").await;
    assert_eq!(last.body["itemsPerPage"], json!(5));
    let zero_start = platform.get("/Users?startIndex=0&count=1").await;
    assert_eq!(zero_start.body["startIndex"], json!(1));
}

#[tokio::test]
async fn attributes_and_excluded_attributes_shape_the_resources() {
    let platform = Platform::start().await;
    platform
        .create(&crate::enterprise_user("bjensen@example.com"))
        .await;
    let only = platform
        .get("/Users?attributes=userName,name.givenName")
        .await;
    let resource = &only.body["Resources"][0];
    let mut keys: Vec<&str> = resource
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "name", "schemas", "userName"]);
    assert_eq!(resource["name"], json!({"givenName": "Barbara"}));

    let without = platform
        .get("/Users?excludedAttributes=emails,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
        .await;
    let resource = &without.body["Resources"][0];
    assert!(resource.get("emails").is_none());
    assert_eq!(resource["userName"], json!("bjensen@example.com"));
    let extension = &resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert!(extension.get("department").is_none());
    assert_eq!(extension["employeeNumber"], json!("701984"));
    assert_eq!(resource["schemas"][0], json!(CORE_USER));

    let id = resource["id"].as_str().unwrap();
    let single = platform
        .get(&format!("/Users/{id}?attributes=active"))
        .await;
    assert_eq!(single.body["active"], json!(true));
    assert!(single.body.get("displayName").is_none());
    assert_eq!(single.body["id"], json!(id));
}
