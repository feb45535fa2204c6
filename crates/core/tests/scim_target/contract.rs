//! The contract every SCIM server must keep with Rollcall's client, written once and run
//! against each server: create and find, change only what changed, deactivate and
//! reactivate, manager, names with accents and apostrophes, 409 on a taken user name,
//! groups with members, paging, and the same end state on both servers.

use rollcall_core::targets::scim::ScimTarget;
use rollcall_core::targets::{AttributeChange, Target, TargetError};
use serde_json::json;

use crate::servers::{ENTERPRISE, Server, fresh_prefix, person, sandbox, scim2, turn};

/// Runs one contract against both servers, as two tests.
macro_rules! contract {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sandbox() {
                let _turn = crate::servers::turn().await;
                super::$name(crate::servers::sandbox()).await;
            }

            #[tokio::test]
            async fn scim2_server() {
                let _turn = crate::servers::turn().await;
                super::$name(crate::servers::scim2()).await;
            }
        }
    };
}

contract!(discovery_finds_what_the_platform_offers);
async fn discovery_finds_what_the_platform_offers(server: &Server) {
    let (target, _) = server.target();
    let capabilities = target.capabilities().await.unwrap();
    assert!(capabilities.patch, "{}", server.name);
    assert!(capabilities.filter);
    assert!(capabilities.enterprise_extension);
    assert!(capabilities.groups);
    match server.name {
        "scim2-server" => assert_eq!(capabilities.bulk_max_operations, Some(1000)),
        _ => assert_eq!(capabilities.bulk_max_operations, None),
    }
}

contract!(a_created_account_is_found_by_external_id_and_by_user_name);
async fn a_created_account_is_found_by_external_id_and_by_user_name(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("find");
    let ada = person(&prefix, "ada", "ada.lovelace", "Ada", "Lovelace");
    let created = target.create_account(&ada).await.unwrap();
    assert_eq!(created.user_name, ada.user_name);
    assert_eq!(
        created.external_id.as_deref(),
        Some(ada.external_id.as_str())
    );
    assert!(created.active);
    assert_eq!(created.emails, vec![ada.user_name.clone()]);

    let by_external = target.find_account(&ada.external_id, "").await.unwrap();
    assert_eq!(by_external.len(), 1);
    assert_eq!(by_external[0].id, created.id);
    let by_name = target
        .find_account("someone-else", &ada.user_name.to_uppercase())
        .await
        .unwrap();
    assert_eq!(
        by_name.len(),
        1,
        "user names compare without regard to case"
    );
    assert_eq!(by_name[0].id, created.id);
    assert!(
        target
            .find_account(
                &format!("{prefix}-nobody"),
                &format!("nobody.{prefix}@example.org")
            )
            .await
            .unwrap()
            .is_empty()
    );
    let stored = server.user(&created.id).await;
    assert_eq!(stored["name"]["givenName"], json!("Ada"));
    assert_eq!(stored[ENTERPRISE]["department"], json!("Mathematics"));
    assert_eq!(stored["emails"][0]["primary"], json!(true));
}

contract!(an_update_changes_only_the_attributes_given);
async fn an_update_changes_only_the_attributes_given(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("upd");
    let mut grace = person(&prefix, "grace", "grace.hopper", "Grace", "Hopper");
    let created = target.create_account(&grace).await.unwrap();
    let changes = [
        AttributeChange {
            path: "title".into(),
            value: Some(json!("Head of Computing")),
        },
        AttributeChange {
            path: format!("{ENTERPRISE}:department"),
            value: None,
        },
        AttributeChange {
            path: "emails[type eq \"work\"].value".into(),
            value: Some(json!(format!("rear.admiral.{prefix}@example.org"))),
        },
    ];
    grace
        .attributes
        .insert("title".into(), json!("Head of Computing"));
    target
        .update_account(&created.id, &changes, &grace)
        .await
        .unwrap();
    let stored = server.user(&created.id).await;
    assert_eq!(stored["title"], json!("Head of Computing"));
    assert_eq!(stored["name"]["familyName"], json!("Hopper"), "untouched");
    assert_eq!(stored["displayName"], json!("Grace Hopper"), "untouched");
    assert!(
        stored[ENTERPRISE]["department"].is_null(),
        "removed: {stored}"
    );
    let emails = stored["emails"].as_array().unwrap();
    assert_eq!(
        emails.len(),
        1,
        "the work email was replaced, not added: {stored}"
    );
    assert_eq!(
        emails[0]["value"],
        json!(format!("rear.admiral.{prefix}@example.org"))
    );
    target
        .update_account(&created.id, &[], &grace)
        .await
        .unwrap();
}

contract!(deactivated_accounts_can_be_reactivated);
async fn deactivated_accounts_can_be_reactivated(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("act");
    let mut alan = person(&prefix, "alan", "alan.turing", "Alan", "Turing");
    let created = target.create_account(&alan).await.unwrap();
    alan.active = false;
    let off = [AttributeChange {
        path: "active".into(),
        value: Some(json!(false)),
    }];
    target
        .update_account(&created.id, &off, &alan)
        .await
        .unwrap();
    let found = target.find_account(&alan.external_id, "").await.unwrap();
    assert!(!found[0].active);
    assert_eq!(server.user(&created.id).await["active"], json!(false));
    alan.active = true;
    let on = [AttributeChange {
        path: "active".into(),
        value: Some(json!(true)),
    }];
    target
        .update_account(&created.id, &on, &alan)
        .await
        .unwrap();
    assert!(target.find_account(&alan.external_id, "").await.unwrap()[0].active);
}

contract!(a_manager_is_set_and_cleared);
async fn a_manager_is_set_and_cleared(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("mgr");
    let boss = target
        .create_account(&person(
            &prefix,
            "boss",
            "edsger.dijkstra",
            "Edsger",
            "Dijkstra",
        ))
        .await
        .unwrap();
    let report = target
        .create_account(&person(
            &prefix,
            "report",
            "barbara.liskov",
            "Barbara",
            "Liskov",
        ))
        .await
        .unwrap();
    target
        .set_manager(&report.id, Some(&boss.id))
        .await
        .unwrap();
    let stored = server.user(&report.id).await;
    assert_eq!(stored[ENTERPRISE]["manager"]["value"], json!(boss.id));
    assert_eq!(
        stored[ENTERPRISE]["department"],
        json!("Mathematics"),
        "the rest of the extension is kept"
    );
    target.set_manager(&report.id, None).await.unwrap();
    let cleared = server.user(&report.id).await;
    assert!(cleared[ENTERPRISE]["manager"].is_null(), "{cleared}");
}

contract!(accents_and_apostrophes_survive);
async fn accents_and_apostrophes_survive(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("uni");
    let jose = person(
        &prefix,
        "jose",
        "jose.mueller",
        "José",
        "Müller-Łukasiewicz",
    );
    let siobhan = person(&prefix, "obrien", "siobhan.o'brien", "Siobhán", "O'Brien");
    let jose_id = target.create_account(&jose).await.unwrap().id;
    let obrien_id = target.create_account(&siobhan).await.unwrap().id;
    let stored = server.user(&jose_id).await;
    assert_eq!(stored["name"]["familyName"], json!("Müller-Łukasiewicz"));
    assert_eq!(stored["displayName"], json!("José Müller-Łukasiewicz"));
    let found = target
        .find_account("", &siobhan.user_name.to_uppercase())
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "a quote in a filter value is escaped");
    assert_eq!(found[0].id, obrien_id);
    assert_eq!(
        server.user(&obrien_id).await["name"]["familyName"],
        json!("O'Brien")
    );
}

contract!(a_taken_user_name_is_a_conflict);
async fn a_taken_user_name_is_a_conflict(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("dup");
    let first = person(&prefix, "one", "ken.thompson", "Ken", "Thompson");
    target.create_account(&first).await.unwrap();
    let mut second = person(&prefix, "two", "ken.thompson", "Ken", "Thompson");
    second.user_name = first.user_name.to_uppercase();
    match target.create_account(&second).await {
        Err(TargetError::Conflict { detail }) => assert!(!detail.is_empty()),
        other => panic!("{}: expected a conflict, got {other:?}", server.name),
    }
    assert_eq!(
        target
            .find_account("", &first.user_name)
            .await
            .unwrap()
            .len(),
        1,
        "no second account"
    );
}

contract!(groups_are_ensured_once_and_keep_their_members);
async fn groups_are_ensured_once_and_keep_their_members(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("grp");
    let ada = target
        .create_account(&person(&prefix, "a", "ada", "Ada", "Byron"))
        .await
        .unwrap();
    let bob = target
        .create_account(&person(&prefix, "b", "bob", "Bob", "Kahn"))
        .await
        .unwrap();
    let external = format!("{prefix}-staff");
    let group = target
        .ensure_group(&external, &format!("Staff {prefix}"))
        .await
        .unwrap();
    let again = target
        .ensure_group(&external, &format!("Staff {prefix}"))
        .await
        .unwrap();
    assert_eq!(again.id, group.id, "found, not created twice");
    target
        .change_members(&group.id, &[ada.id.clone(), bob.id.clone()], &[])
        .await
        .unwrap();
    target
        .change_members(&group.id, &[], std::slice::from_ref(&ada.id))
        .await
        .unwrap();
    let stored = server.group(&group.id).await;
    let members: Vec<&str> = stored["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec![bob.id.as_str()]);
    let renamed = target
        .ensure_group(&external, &format!("All Staff {prefix}"))
        .await
        .unwrap();
    assert_eq!(renamed.id, group.id);
    assert_eq!(
        server.group(&group.id).await["displayName"],
        json!(format!("All Staff {prefix}"))
    );
}

contract!(every_account_is_listed_across_pages);
async fn every_account_is_listed_across_pages(server: &Server) {
    let (target, _) = server.target();
    let prefix = fresh_prefix("page");
    let people: Vec<_> = (0..230)
        .map(|n| {
            person(
                &prefix,
                &format!("p{n}"),
                &format!("person{n}"),
                "Page",
                "Turner",
            )
        })
        .collect();
    let mut tasks = Vec::new();
    let target = std::sync::Arc::new(target);
    for account in people.clone() {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            target.create_account(&account).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let listed = target.list_accounts().await.unwrap();
    let mine = listed
        .iter()
        .filter(|account| {
            account
                .external_id
                .as_deref()
                .is_some_and(|external| external.starts_with(&prefix))
        })
        .count();
    assert_eq!(mine, 230, "every account once, across pages of at most 200");
}

/// The same story on any server: three people, changes, a manager and a group, in ten
/// steps; `stage` is called before each step with its number (0–9), to stage trouble.
pub async fn story(target: &ScimTarget, prefix: &str, stage: &dyn Fn(usize)) {
    let mut ada = person(prefix, "ada", "ada.lovelace", "Ada", "Lovelace");
    let jose = person(prefix, "jose", "jose.mueller", "José", "Müller-Łukasiewicz");
    let mut obrien = person(prefix, "obrien", "siobhan.o'brien", "Siobhán", "O'Brien");
    stage(0);
    let ada_id = target.create_account(&ada).await.unwrap().id;
    stage(1);
    let jose_id = target.create_account(&jose).await.unwrap().id;
    stage(2);
    let obrien_id = target.create_account(&obrien).await.unwrap().id;
    ada.attributes.insert("title".into(), json!("Principal"));
    stage(3);
    target
        .update_account(
            &ada_id,
            &[AttributeChange {
                path: "title".into(),
                value: Some(json!("Principal")),
            }],
            &ada,
        )
        .await
        .unwrap();
    stage(4);
    target.set_manager(&jose_id, Some(&ada_id)).await.unwrap();
    stage(5);
    target.set_manager(&obrien_id, Some(&ada_id)).await.unwrap();
    obrien.active = false;
    stage(6);
    target
        .update_account(
            &obrien_id,
            &[AttributeChange {
                path: "active".into(),
                value: Some(json!(false)),
            }],
            &obrien,
        )
        .await
        .unwrap();
    stage(7);
    let group = target
        .ensure_group(&format!("{prefix}-staff"), &format!("Staff {prefix}"))
        .await
        .unwrap();
    stage(8);
    target
        .change_members(
            &group.id,
            &[ada_id.clone(), jose_id.clone(), obrien_id.clone()],
            &[],
        )
        .await
        .unwrap();
    stage(9);
    target
        .change_members(&group.id, &[], std::slice::from_ref(&obrien_id))
        .await
        .unwrap();
}

#[tokio::test]
async fn both_servers_end_in_the_same_state() {
    let _turn = turn().await;
    let mut states = Vec::new();
    for server in [sandbox(), scim2()] {
        let (target, _) = server.target();
        let prefix = fresh_prefix("same");
        story(&target, &prefix, &|_| {}).await;
        states.push((server.name, server.state(&prefix).await));
    }
    let (_, first) = &states[0];
    assert_eq!(first["people"].as_object().unwrap().len(), 3);
    assert_eq!(
        first["groups"]["Staff P"]["members"],
        json!(["ada.lovelace.P@example.org", "jose.mueller.P@example.org"])
    );
    assert_eq!(
        first, &states[1].1,
        "{} and {} differ",
        states[0].0, states[1].0
    );
}
