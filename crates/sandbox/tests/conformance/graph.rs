//! Graph reads: users, groups, members, manager, applications; query options, paging,
//! authentication and permission failures, and malformed requests.

use std::collections::HashSet;

use rollcall_sandbox::AppState;
use serde_json::Value;

use crate::{app, demo, generated, graph_get, token_for};

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

fn assert_graph_error(body: &Value) {
    let inner = &body["error"]["innerError"];
    assert!(inner["request-id"].is_string(), "{body}");
    assert!(inner["client-request-id"].is_string(), "{body}");
    let date = inner["date"].as_str().unwrap();
    assert_eq!(date.len(), 19, "no zone or fraction: {date}");
}

#[tokio::test]
async fn users_list_has_default_properties_headers_and_context() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (status, headers, body) = graph_get(&sandbox, &token, "users", false).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json;odata.metadata=minimal")
    );
    assert_eq!(headers["odata-version"], "4.0");
    assert!(headers.contains_key("request-id") && headers.contains_key("client-request-id"));
    assert_eq!(headers["x-ms-resource-unit"], "2");
    assert_eq!(
        body["@odata.context"],
        format!("{}/v1.0/$metadata#users", sandbox.info().graph_url)
    );
    let users = body["value"].as_array().unwrap();
    assert_eq!(users.len(), 100, "default page size");
    let mut keys: Vec<&str> = users[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "businessPhones",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName"
        ]
    );
    assert!(
        body["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skiptoken=")
    );
}

#[tokio::test]
async fn select_top_and_paging_walk_every_user_exactly_once() {
    let sandbox = generated(2_345, 5).await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let mut next = "users?$select=id,userPrincipalName,accountEnabled&$top=999".to_string();
    let mut seen = HashSet::new();
    let mut pages = 0;
    loop {
        let (status, headers, body) = graph_get(&sandbox, &token, &next, false).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            headers["x-ms-resource-unit"], "1",
            "$select costs one unit less"
        );
        pages += 1;
        if pages == 1 {
            assert!(
                body["@odata.context"]
                    .as_str()
                    .unwrap()
                    .ends_with("#users(id,userPrincipalName,accountEnabled)")
            );
        }
        for user in body["value"].as_array().unwrap() {
            assert_eq!(user.as_object().unwrap().len(), 3, "{user}");
            assert!(
                seen.insert(user["id"].as_str().unwrap().to_string()),
                "seen twice: {user}"
            );
        }
        match body["@odata.nextLink"].as_str() {
            Some(link) => {
                assert!(
                    link.contains("$top=999") && link.contains("$select="),
                    "next link carries the query: {link}"
                );
                next = link.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 2_345);
}

#[tokio::test]
async fn single_user_by_id_or_upn_manager_and_expand() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (_, _, list) = graph_get(
        &sandbox,
        &token,
        "users?$select=id,userPrincipalName&$top=20",
        false,
    )
    .await;
    let head = &list["value"][0];
    let teacher = &list["value"][10];
    let upn = teacher["userPrincipalName"].as_str().unwrap();
    let (status, _, body) = graph_get(&sandbox, &token, &format!("users/{upn}"), false).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], teacher["id"]);
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#users/$entity")
    );

    let (status, _, manager) = graph_get(
        &sandbox,
        &token,
        &format!("users/{}/manager", teacher["id"].as_str().unwrap()),
        false,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(manager["@odata.type"], "#microsoft.graph.user");
    let (status, _, none) = graph_get(
        &sandbox,
        &token,
        &format!("users/{}/manager", head["id"].as_str().unwrap()),
        false,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&none), "Request_ResourceNotFound");
    assert!(
        none["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Resource 'manager' does not exist")
    );

    let (status, _, expanded) = graph_get(
        &sandbox,
        &token,
        "users?$select=id,displayName&$expand=manager($select=id,displayName)&$top=12",
        false,
    )
    .await;
    assert_eq!(status, 200, "{expanded}");
    let users = expanded["value"].as_array().unwrap();
    assert!(users[0].get("manager").is_none(), "the head has no manager");
    assert_eq!(users[10]["manager"]["id"], manager["id"]);
    assert!(users[10]["manager"]["displayName"].is_string());

    let (status, _, missing) = graph_get(
        &sandbox,
        &token,
        "users/nobody@northwindacademy.onmicrosoft.com",
        false,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&missing), "Request_ResourceNotFound");
}

#[tokio::test]
async fn guests_disabled_accounts_and_mailless_people_are_visible_with_select() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (_, _, body) = graph_get(
        &sandbox,
        &token,
        "users?$select=userPrincipalName,userType,accountEnabled,mail,displayName&$top=999",
        false,
    )
    .await;
    let users = body["value"].as_array().unwrap();
    assert!((240..=260).contains(&users.len()));
    assert!(
        users.iter().any(|u| u["userType"] == "Guest"
            && u["userPrincipalName"].as_str().unwrap().contains("#EXT#"))
    );
    assert!(
        users
            .iter()
            .filter(|u| u["accountEnabled"] == false)
            .count()
            >= 10
    );
    assert!(users.iter().filter(|u| u["mail"].is_null()).count() >= 30);
    assert!(
        users
            .iter()
            .any(|u| { !u["displayName"].as_str().unwrap().is_ascii() })
    );

    let (status, _, filtered) = graph_get(
        &sandbox,
        &token,
        "users?$filter=accountEnabled eq false&$select=id",
        false,
    )
    .await;
    assert_eq!(status, 200, "{filtered}");
    assert_eq!(
        filtered["value"].as_array().unwrap().len(),
        users
            .iter()
            .filter(|u| u["accountEnabled"] == false)
            .count()
    );
}

#[tokio::test]
async fn groups_filter_search_count_and_members() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (status, _, body) = graph_get(
        &sandbox,
        &token,
        "groups?$filter=startswith(displayName,'Year')",
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");

    let (status, _, search) = graph_get(
        &sandbox,
        &token,
        "groups?$search=\"displayName:tutors\"&$count=true",
        true,
    )
    .await;
    assert_eq!(status, 200, "{search}");
    assert_eq!(search["@odata.count"], 6);
    let (status, _, refused) = graph_get(
        &sandbox,
        &token,
        "groups?$search=\"displayName:tutors\"",
        false,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&refused), "Request_UnsupportedQuery");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ConsistencyLevel: eventual")
    );
    let (_, _, ignored) = graph_get(&sandbox, &token, "groups?$count=true", false).await;
    assert!(
        ignored.get("@odata.count").is_none(),
        "$count=true without the header is ignored"
    );

    let all_staff = sandbox.control().group_id("All Staff").unwrap();
    let (status, _, direct) = graph_get(
        &sandbox,
        &token,
        &format!("groups/{all_staff}/members"),
        false,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        direct["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#directoryObjects")
    );
    assert!(
        direct["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["@odata.type"] == "#microsoft.graph.group")
    );

    let (_, headers, transitive) = graph_get(
        &sandbox,
        &token,
        &format!("groups/{all_staff}/transitiveMembers?$top=999"),
        false,
    )
    .await;
    assert_eq!(headers["x-ms-resource-unit"], "5");
    let members = transitive["value"].as_array().unwrap();
    let types: HashSet<&str> = members
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    for kind in [
        "#microsoft.graph.user",
        "#microsoft.graph.group",
        "#microsoft.graph.device",
        "#microsoft.graph.servicePrincipal",
    ] {
        assert!(types.contains(kind), "{kind} in {types:?}");
    }
    let (_, _, users_only) = graph_get(&sandbox, &token, &format!("groups/{all_staff}/transitiveMembers/microsoft.graph.user?$top=999&$select=id,displayName"), false).await;
    let user_count = members
        .iter()
        .filter(|m| m["@odata.type"] == "#microsoft.graph.user")
        .count();
    assert_eq!(users_only["value"].as_array().unwrap().len(), user_count);
    assert!(
        users_only["@odata.context"]
            .as_str()
            .unwrap()
            .contains("#users(id,displayName)")
    );

    let (status, headers, count) = graph_get(
        &sandbox,
        &token,
        &format!("groups/{all_staff}/transitiveMembers/microsoft.graph.user/$count"),
        true,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(count, Value::from(user_count as u64));
    let (status, _, refused) = graph_get(
        &sandbox,
        &token,
        &format!("groups/{all_staff}/members/$count"),
        false,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"]["message"],
        "$count is not currently supported."
    );

    let (status, _, group) =
        graph_get(&sandbox, &token, &format!("groups/{all_staff}"), false).await;
    assert_eq!(status, 200);
    assert_eq!(group["displayName"], "All Staff");
    assert!(
        group["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#groups/$entity")
    );
    let (status, _, count) = graph_get(&sandbox, &token, "users/$count", true).await;
    assert_eq!(status, 200);
    assert_eq!(count, Value::from(sandbox.info().users as u64));
}

#[tokio::test]
async fn authentication_and_permission_failures() {
    let sandbox = demo().await;
    let url = format!("{}/v1.0/users", sandbox.info().graph_url);
    let response = crate::client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer realm=\"\"")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "InvalidAuthenticationToken");
    assert_graph_error(&body);

    let (status, _, body) = graph_get(&sandbox, "a.b.c", "users", false).await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "InvalidAuthenticationToken")
    );

    sandbox.control().set_token_lifetime(1).unwrap();
    let short = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, _, body) = graph_get(&sandbox, &short, "users", false).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        "Access token has expired or is not yet valid."
    );
    sandbox.control().set_token_lifetime(3599).unwrap();

    let none = token_for(&sandbox, &app(&sandbox, AppState::NoConsent)).await;
    let (status, _, body) = graph_get(&sandbox, &none, "users", false).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
    assert_graph_error(&body);

    let partial = token_for(&sandbox, &app(&sandbox, AppState::Partial)).await;
    let (status, _, _) = graph_get(&sandbox, &partial, "users?$top=1", false).await;
    assert_eq!(status, 200);
    let (status, _, body) = graph_get(&sandbox, &partial, "groups", false).await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "Authorization_RequestDenied")
    );
}

#[tokio::test]
async fn malformed_requests_get_graph_shaped_400s() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let cases = [
        (
            "users?$top=1000",
            "Request_UnsupportedQuery",
            Some("Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."),
        ),
        ("users?$top=abc", "Request_UnsupportedQuery", None),
        (
            "users?$select=nonsense",
            "Request_BadRequest",
            Some(
                "Could not find a property named 'nonsense' on type 'Microsoft.DirectoryServices.User'.",
            ),
        ),
        (
            "users?$filter=startswith(displayName,'unterminated",
            "BadRequest",
            None,
        ),
        (
            "users?$filter=endswith(mail,'@example.com')",
            "Request_UnsupportedQuery",
            Some("Unsupported Query."),
        ),
        ("users?$frobnicate=1", "BadRequest", None),
        ("users?$skip=10", "Request_UnsupportedQuery", None),
        (
            "users/$count",
            "Request_BadRequest",
            Some("$count is not currently supported."),
        ),
        ("users?$skiptoken=not-a-token", "Request_BadRequest", None),
        (
            "groups/not-a-guid",
            "Request_BadRequest",
            Some("Invalid object identifier 'not-a-guid'."),
        ),
        ("groups/not-a-guid/members", "Request_BadRequest", None),
        (
            "groups/00000000-0000-4000-8000-000000000000/members/microsoft.graph.banana",
            "BadRequest",
            None,
        ),
        (
            "bananas",
            "BadRequest",
            Some("Resource not found for the segment 'bananas'."),
        ),
    ];
    for (path, code, message) in cases {
        let (status, _, body) = graph_get(&sandbox, &token, path, false).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(error_code(&body), code, "{path}: {body}");
        if let Some(message) = message {
            assert_eq!(body["error"]["message"], message, "{path}");
        }
        assert_graph_error(&body);
    }
    let (status, _, body) = graph_get(&sandbox, &token, "users?$select=skills", false).await;
    assert_eq!((status, error_code(&body)), (501, "NotImplemented"));
    let (status, _, body) = graph_get(
        &sandbox,
        &token,
        "groups/00000000-0000-4000-8000-000000000000",
        false,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (404, "Request_ResourceNotFound")
    );
}

#[tokio::test]
async fn an_app_reads_its_own_secret_expiry_with_application_read_all() {
    let sandbox = demo().await;
    let reader = sandbox
        .info()
        .apps
        .iter()
        .find(|a| a.roles.iter().any(|r| r == "Application.Read.All"))
        .cloned()
        .unwrap();
    let token = token_for(&sandbox, &reader).await;
    let (status, _, body) = graph_get(
        &sandbox,
        &token,
        &format!(
            "applications(appId='{}')?$select=passwordCredentials",
            reader.client_id
        ),
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let credential = &body["passwordCredentials"][0];
    assert_eq!(credential["keyId"], reader.secret_id.as_str());
    assert_eq!(credential["hint"], &reader.secret[..3]);
    assert!(credential["secretText"].is_null());
    let end =
        chrono::DateTime::parse_from_rfc3339(credential["endDateTime"].as_str().unwrap()).unwrap();
    let days = (end.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!(
        (8..=10).contains(&days),
        "expires in about ten days: {days}"
    );
    let (status, _, by_id) = graph_get(
        &sandbox,
        &token,
        &format!("applications/{}", reader.object_id),
        false,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_id["appId"], reader.client_id.as_str());

    let plain = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (status, _, body) = graph_get(
        &sandbox,
        &plain,
        &format!("applications/{}", reader.object_id),
        false,
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "Authorization_RequestDenied")
    );
}
