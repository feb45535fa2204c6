//! Bad input gets a clear message and never a panic.

use std::collections::BTreeMap;

use rollcall_core::directory::{
    GroupScope, ReadError, ScopeError, member_count, resolve_group, saved_groups, search_groups,
};
use rollcall_core::profile::ScopeSettings;

use crate::support::*;

const MISSING: &str = "0b0c0d0e-1111-4222-8333-944445555666";

#[tokio::test]
async fn missing_deleted_and_empty_groups_are_explained() {
    let sandbox = generated(300).await;
    let client = client(&sandbox);
    let error = resolve_group(&client, MISSING).await.unwrap_err();
    assert!(matches!(error, ReadError::GroupNotFound { .. }));
    assert!(error.to_string().contains(MISSING) && error.to_string().contains("deleted"));

    let empty = group(&sandbox, "Project Phoenix");
    let chosen = resolve_group(&client, &format!("https://entra.microsoft.com/#view/Microsoft_AAD_IAM/GroupDetailsMenuBlade/~/Overview/groupId/{empty}")).await.unwrap();
    assert_eq!(chosen.member_count, Some(0));

    let all_staff = group(&sandbox, "All Staff");
    let scope = scope(vec![all_staff, empty, MISSING.into()], vec![], false);
    let mut cache = cache();
    let report = read(&client, &mut cache, &scope).await;
    let codes: Vec<_> = report.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, vec!["group_not_found"]);
    let preview = preview(&cache, &scope);
    let codes: Vec<_> = preview.problems.iter().map(|p| p.code.as_str()).collect();
    assert!(codes.contains(&"group_not_found") && codes.contains(&"group_empty"));
    assert!(preview.totals.matched > 200);
}

#[tokio::test]
async fn a_saved_choice_comes_back_with_a_gone_group_marked() {
    let sandbox = generated(300).await;
    let client = client(&sandbox);
    let all_staff = group(&sandbox, "All Staff");
    let empty = group(&sandbox, "Project Phoenix");
    let known = BTreeMap::from([(MISSING.to_string(), "Old Leavers".to_string())]);
    let ids = vec![empty.clone(), MISSING.to_string(), all_staff.clone()];
    let groups = saved_groups(&client, &ids, &known).await.unwrap();
    let shown: Vec<(&str, &str, bool)> = groups
        .iter()
        .map(|g| {
            (
                g.group.id.as_str(),
                g.group.display_name.as_str(),
                g.missing,
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (empty.as_str(), "Project Phoenix", false),
            (MISSING, "Old Leavers", true),
            (all_staff.as_str(), "All Staff", false),
        ],
        "in the saved order, the gone group under the name last seen"
    );
    assert_eq!(groups[0].group.member_count, Some(0));
    assert!(groups[2].group.member_count.unwrap() > 0);

    let unknown = saved_groups(&client, &[MISSING.to_string()], &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(
        unknown[0].group.display_name, MISSING,
        "never seen: shown by its ID"
    );
    let json = serde_json::to_value(&unknown[0]).unwrap();
    assert_eq!(json["missing"], true);
    assert_eq!(json["displayName"], MISSING, "flattened for the window");
}

#[tokio::test]
async fn fifty_include_groups_are_read() {
    let sandbox = generated(1000).await;
    let client = client(&sandbox);
    let mut include: Vec<String> = sandbox.info().groups.iter().map(|g| g.id.clone()).collect();
    let real = include.len();
    while include.len() < 50 {
        include.push(format!("00000000-0000-4000-8000-{:012}", include.len()));
    }
    let scope = scope(include, vec![], true);
    let mut cache = cache();
    let report = read(&client, &mut cache, &scope).await;
    assert_eq!(report.problems.len(), 50 - real);
    let preview = preview(&cache, &scope);
    assert!(preview.totals.matched >= 990, "{}", preview.totals.matched);

    let too_many = ScopeSettings {
        include_groups: (0..501)
            .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
            .collect(),
        ..ScopeSettings::default()
    };
    assert!(matches!(
        GroupScope::from_settings(&too_many),
        Err(ScopeError::TooManyGroups { count: 501 })
    ));
    let bad = ScopeSettings {
        include_groups: vec!["Staff".into()],
        ..ScopeSettings::default()
    };
    let message = GroupScope::from_settings(&bad).unwrap_err().to_string();
    assert!(message.contains("Object ID"), "{message}");
}

#[tokio::test]
async fn searches_with_quotes_unicode_and_operators() {
    let sandbox = demo().await;
    let client = client(&sandbox);
    let found = search_groups(&client, "Year \"7").await.unwrap();
    assert!(
        found.iter().any(|g| g.display_name == "Year 7 Tutors"),
        "{found:?}"
    );
    let tutors = found
        .iter()
        .find(|g| g.display_name == "Year 7 Tutors")
        .unwrap();
    assert!(tutors.member_count.unwrap() > 0);
    assert!(
        search_groups(&client, "Ångström 学校 🙂")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(search_groups(&client, "Year OR Staff").await.is_ok());
    assert!(search_groups(&client, "it's").await.is_ok());
    assert!(matches!(
        search_groups(&client, " \"\" ").await,
        Err(ReadError::Scope(ScopeError::EmptySearch))
    ));
    let by_id = search_groups(&client, &group(&sandbox, "Teaching Staff"))
        .await
        .unwrap();
    assert_eq!(by_id[0].display_name, "Teaching Staff");
    assert!(search_groups(&client, MISSING).await.unwrap().is_empty());
    let count = member_count(&client, &group(&sandbox, "All Staff"))
        .await
        .unwrap();
    assert!(count >= 3);
}
