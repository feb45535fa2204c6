//! Delta queries and directory changes made through the control API (in process and over
//! HTTP), with the request counters that show how much a client had to read.

use std::collections::HashMap;

use rollcall_sandbox::{AppState, NewUser, Sandbox, UserChanges};
use serde_json::{Value, json};

use crate::{app, client, demo, generated, graph_get, token_for};

/// Follows nextLinks to the deltaLink; returns (all items, deltaLink, pages).
async fn drain(sandbox: &Sandbox, token: &str, first: &str) -> (Vec<Value>, String, usize) {
    let mut items = Vec::new();
    let mut next = first.to_string();
    let mut pages = 0;
    loop {
        let (status, _, body) = graph_get(sandbox, token, &next, false).await;
        assert_eq!(status, 200, "{next}: {body}");
        pages += 1;
        items.extend(body["value"].as_array().unwrap().iter().cloned());
        if let Some(link) = body["@odata.nextLink"].as_str() {
            assert!(link.contains("$skiptoken="));
            next = link.to_string();
        } else {
            let delta = body["@odata.deltaLink"]
                .as_str()
                .expect("last page has a deltaLink");
            assert!(delta.contains("$deltatoken="));
            return (items, delta.to_string(), pages);
        }
    }
}

#[tokio::test]
async fn user_delta_returns_everyone_then_only_changes_with_removals() {
    let sandbox = generated(450, 3).await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (initial, delta_link, pages) = drain(
        &sandbox,
        &token,
        "users/delta?$select=displayName,department,accountEnabled",
    )
    .await;
    assert_eq!(initial.len(), 450);
    assert!(pages >= 2, "the initial round is paged");

    let (unchanged, delta_link, _) = drain(&sandbox, &token, &delta_link).await;
    assert!(unchanged.is_empty(), "no changes, no data: {unchanged:?}");

    let control = sandbox.control();
    let victim = initial[10]["id"].as_str().unwrap().to_string();
    let mover = initial[20]["id"].as_str().unwrap().to_string();
    let leaver = initial[30]["id"].as_str().unwrap().to_string();
    let gone = initial[40]["id"].as_str().unwrap().to_string();
    control
        .update_user(
            &mover,
            UserChanges {
                department: Some("Library".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    control.disable_user(&leaver).unwrap();
    control.delete_user(&victim, false).unwrap();
    control.delete_user(&gone, true).unwrap();
    let created = control
        .add_user(NewUser {
            display_name: "Zoë Nováková".into(),
            department: Some("Science".into()),
            ..NewUser::default()
        })
        .unwrap();
    control.reset_counters();

    let (changes, _, pages) = drain(&sandbox, &token, &delta_link).await;
    assert_eq!(pages, 1);
    assert_eq!(
        control.counters().kind("users_delta"),
        1,
        "requests in proportion to the changes"
    );
    let by_id: HashMap<&str, &Value> = changes
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c))
        .collect();
    assert_eq!(by_id.len(), 5, "{changes:?}");
    assert_eq!(by_id[mover.as_str()]["department"], "Library");
    assert_eq!(by_id[leaver.as_str()]["accountEnabled"], false);
    assert_eq!(
        by_id[victim.as_str()]["@removed"],
        json!({"reason": "changed"})
    );
    assert_eq!(
        by_id[gone.as_str()]["@removed"],
        json!({"reason": "deleted"})
    );
    assert_eq!(by_id[created.id.as_str()]["displayName"], "Zoë Nováková");
}

#[tokio::test]
async fn latest_token_and_expired_tokens() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (status, _, body) =
        graph_get(&sandbox, &token, "users/delta?$deltatoken=latest", false).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], json!([]));
    let link = body["@odata.deltaLink"].as_str().unwrap().to_string();

    sandbox
        .control()
        .update_user(
            "office@northwindacademy.onmicrosoft.com",
            UserChanges {
                job_title: Some("Front desk".into()),
                ..UserChanges::default()
            },
        )
        .unwrap();
    let (_, _, body) = graph_get(&sandbox, &token, &link, false).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 1);

    sandbox.control().expire_delta_tokens();
    let (status, headers, body) = graph_get(&sandbox, &token, &link, false).await;
    assert_eq!(status, 410);
    assert_eq!(body["error"]["code"], "syncStateNotFound");
    let location = headers["location"].to_str().unwrap();
    assert!(location.contains("/v1.0/users/delta"), "{location}");
}

#[tokio::test]
async fn group_delta_reports_membership_changes() {
    let sandbox = demo().await;
    let token = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (initial, link, _) =
        drain(&sandbox, &token, "groups/delta?$select=displayName,members").await;
    let tutors = initial
        .iter()
        .find(|g| g["displayName"] == "Year 9 Tutors")
        .unwrap();
    let members = tutors["members@delta"].as_array().unwrap();
    assert!(members.len() >= 17);
    let empty_group_has_no_members_property = initial.iter().all(|g| {
        g.get("members@delta")
            .is_none_or(|m| !m.as_array().unwrap().is_empty())
    });
    assert!(empty_group_has_no_members_property);

    let group = tutors["id"].as_str().unwrap();
    let leaving = members[0]["id"].as_str().unwrap();
    let control = sandbox.control();
    control.remove_group_member(group, leaving).unwrap();
    let newcomer = control
        .add_user(NewUser {
            display_name: "Nadia Haddad".into(),
            ..NewUser::default()
        })
        .unwrap();
    control.add_group_member(group, &newcomer.id).unwrap();

    let (changes, _, _) = drain(&sandbox, &token, &link).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let delta = changes[0]["members@delta"].as_array().unwrap();
    assert!(
        delta
            .iter()
            .any(|m| m["id"] == leaving && m["@removed"]["reason"] == "deleted")
    );
    assert!(
        delta
            .iter()
            .any(|m| m["id"] == newcomer.id.as_str() && m.get("@removed").is_none())
    );
}

#[tokio::test]
async fn the_http_control_api_steers_a_sandbox_like_the_handle_does() {
    let sandbox = demo().await;
    let control_url = sandbox.info().control_url.clone();
    let waiting = app(&sandbox, AppState::NoConsent);
    let http = client();

    let response = http
        .post(format!("{control_url}/apps/{}/consent", waiting.client_id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let apps: Value = http
        .get(format!("{control_url}/apps"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["client_id"] == waiting.client_id.as_str())
        .unwrap();
    assert_eq!(now["state"], "healthy");
    let response = http
        .delete(format!("{control_url}/apps/{}/consent", waiting.client_id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = token_for(&sandbox, &waiting).await;
    let (status, _, _) = graph_get(&sandbox, &token, "users", false).await;
    assert_eq!(status, 403, "consent revoked over HTTP");

    let response = http
        .put(format!("{control_url}/apps/{}/enabled", waiting.client_id))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = crate::token_request(
        &sandbox,
        &sandbox.info().tenant.id,
        &[
            ("client_id", &waiting.client_id),
            ("client_secret", &waiting.secret),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(7000112))
    );

    let created: Value = http
        .post(format!("{control_url}/users"))
        .json(&json!({"display_name": "Test Person", "department": "Science", "groups": [sandbox.control().group_id("Year 7 Tutors").unwrap()]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let response = http
        .patch(format!("{control_url}/users/{id}"))
        .json(&json!({"department": "Art"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let healthy = token_for(&sandbox, &app(&sandbox, AppState::Healthy)).await;
    let (_, _, person) = graph_get(
        &sandbox,
        &healthy,
        &format!("users/{id}?$select=department"),
        false,
    )
    .await;
    assert_eq!(person["department"], "Art");
    let response = http
        .post(format!("{control_url}/users/{id}/disable"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http
        .delete(format!("{control_url}/users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, _, _) = graph_get(&sandbox, &healthy, &format!("users/{id}"), false).await;
    assert_eq!(status, 404);

    let response = http
        .patch(format!("{control_url}/users/nobody"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("nobody"));
    let response = http
        .put(format!("{control_url}/faults"))
        .json(&json!({"throttle_rate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let counters: Value = http
        .get(format!("{control_url}/counters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(counters["total"].as_u64().unwrap() > 5);
    assert!(counters["by_kind"]["token"].as_u64().unwrap() >= 2);
}
