//! Who the scope selects, and why.

use rollcall_sandbox::NewUser;

use crate::support::*;

#[tokio::test]
async fn nested_paths_exclusions_guests_and_non_people() {
    let sandbox = demo().await;
    let control = sandbox.control();
    let all_staff = group(&sandbox, "All Staff");
    let teaching = group(&sandbox, "Teaching Staff");
    let year7 = group(&sandbox, "Year 7 Tutors");
    let heads = group(&sandbox, "Heads of Department");
    let slt = group(&sandbox, "Senior Leadership Team");
    // Someone in two groups under Teaching Staff; someone in SLT also tutoring Year 7.
    let both = control
        .add_user(NewUser {
            display_name: "Two Paths".into(),
            groups: vec![year7.clone(), heads.clone()],
            ..NewUser::default()
        })
        .unwrap();
    let leader = control
        .add_user(NewUser {
            display_name: "Leader Tutor".into(),
            groups: vec![year7.clone(), slt.clone()],
            ..NewUser::default()
        })
        .unwrap();
    let guest = control
        .add_user(NewUser {
            display_name: "Visiting Examiner".into(),
            user_principal_name: Some(
                "examiner_board.example#EXT#@northwindacademy.onmicrosoft.com".into(),
            ),
            mail: Some("examiner@board.example".into()),
            groups: vec![teaching.clone()],
            ..NewUser::default()
        })
        .unwrap();

    let client = client(&sandbox);
    let mut cache = cache();
    let scope = scope(vec![all_staff.clone()], vec![slt.clone()], false);
    let report = read(&client, &mut cache, &scope).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let preview = preview(&cache, &scope);
    assert!(preview.complete);

    let find = |id: &str| preview.users.iter().find(|u| u.id == id);
    let two = find(&both.id).expect("the person in two groups is in scope");
    let mut paths = two.paths.clone();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            vec!["All Staff", "Teaching Staff", "Heads of Department"],
            vec!["All Staff", "Teaching Staff", "Year 7 Tutors"],
        ]
    );
    assert!(find(&leader.id).is_none(), "exclude beats include");
    assert!(preview.totals.excluded >= 1);
    assert!(find(&guest.id).is_none(), "guests are off");
    assert_eq!(preview.totals.guests_left_out, 1);
    assert_eq!(preview.totals.guests, 0);
    assert_eq!(preview.skipped.get("device"), Some(&1));
    assert_eq!(preview.skipped.get("servicePrincipal"), Some(&1));
    assert!(preview.users.iter().all(|u| !u.paths.is_empty()));
    let disabled: Vec<_> = preview.users.iter().filter(|u| !u.enabled).collect();
    assert!(
        !disabled.is_empty(),
        "leavers still in their groups are reported"
    );
    assert_eq!(preview.totals.disabled, disabled.len());
    assert_eq!(preview.totals.matched, preview.users.len());
    assert!(
        preview
            .totals
            .warnings
            .get("duplicate_mail")
            .copied()
            .unwrap_or(0)
            >= 2
    );
    assert!(preview.totals.warnings.contains_key("no_mail"));
    let no_mail = preview
        .users
        .iter()
        .find(|u| u.mail.is_none())
        .expect("someone without mail");
    assert_eq!(no_mail.email, no_mail.user_principal_name, "fallback shown");

    // The JSON keeps the contract's names.
    let json = serde_json::to_value(&preview).unwrap();
    let first = &json["users"][0];
    for key in [
        "id",
        "userPrincipalName",
        "mail",
        "displayName",
        "enabled",
        "kind",
        "paths",
        "warnings",
    ] {
        assert!(first.get(key).is_some(), "users[].{key}");
    }
    for key in ["matched", "enabled", "disabled", "guests", "warnings"] {
        assert!(json["totals"].get(key).is_some(), "totals.{key}");
    }

    // With guests on, the guest appears as a guest, through Teaching Staff.
    let with_guests = scope_with_guests(&scope);
    let preview = crate::support::preview(&cache, &with_guests);
    let shown = preview.users.iter().find(|u| u.id == guest.id).unwrap();
    assert_eq!(serde_json::to_value(shown.kind).unwrap(), "guest");
    assert_eq!(shown.paths, vec![vec!["All Staff", "Teaching Staff"]]);
    assert_eq!(preview.totals.guests, 1);

    // CSV: a header and one row per person.
    let csv = preview.to_csv();
    assert_eq!(csv.lines().count(), preview.users.len() + 1);
    assert!(csv.starts_with("id,userPrincipalName,mail,displayName"));
}

fn scope_with_guests(
    scope: &rollcall_core::directory::GroupScope,
) -> rollcall_core::directory::GroupScope {
    let mut scope = scope.clone();
    scope.guests = true;
    scope
}

#[tokio::test]
async fn without_nesting_only_direct_members_count() {
    let sandbox = demo().await;
    let all_staff = group(&sandbox, "All Staff");
    let client = client(&sandbox);
    let mut cache = cache();
    let mut flat = scope(vec![all_staff], vec![], false);
    flat.nested = false;
    read(&client, &mut cache, &flat).await;
    let preview = preview(&cache, &flat);
    assert!(
        preview
            .users
            .iter()
            .all(|u| u.paths == vec![vec!["All Staff".to_string()]])
    );
}
