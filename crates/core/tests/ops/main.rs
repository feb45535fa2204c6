//! The engine's operations run directly, as a host with no window and no command line would
//! run them: against the sandbox over HTTP on 127.0.0.1, with an in-memory keychain and an
//! injected clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use rollcall_core::clock::FixedClock;
use rollcall_core::data_dir::{DataDir, Mode};
use rollcall_core::graph::{CancelToken, RetryPolicy};
use rollcall_core::ops::{
    ChosenCloud, ConnectionRequest, ErrorCode, ExportTo, ReadObserver, ScopeChoice, Workspace,
};
use rollcall_core::secret::MemoryKeychain;
use rollcall_sandbox::{AppState, Dataset, Faults, Sandbox, SandboxOptions};

/// A workspace in a temporary folder, and the sandbox it talks to.
struct Host {
    sandbox: Sandbox,
    ws: Workspace,
    _folder: tempfile::TempDir,
}

async fn host() -> Host {
    let sandbox = Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    })
    .await
    .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let clock = FixedClock::at(chrono::Utc::now());
    let ws = Workspace::new(
        DataDir::at(folder.path().to_path_buf(), Mode::Real),
        Arc::new(MemoryKeychain::new()),
    )
    .with_clock(Arc::new(clock))
    .with_retry_policy(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
    });
    Host {
        sandbox,
        ws,
        _folder: folder,
    }
}

impl Host {
    fn connection(&self, secret: Option<&str>) -> ConnectionRequest {
        let info = self.sandbox.info();
        let app = info
            .apps
            .iter()
            .find(|app| app.state == AppState::Healthy)
            .unwrap();
        ConnectionRequest {
            cloud: ChosenCloud {
                id: "custom".into(),
                authority_url: Some(info.authority_url.clone()),
                graph_url: Some(info.graph_url.clone()),
            },
            tenant: info.tenant.domain.clone(),
            client_id: app.client_id.clone(),
            secret: secret.unwrap_or(&app.secret).to_string(),
            secret_expires: None,
        }
    }

    fn staff(&self) -> ScopeChoice {
        ScopeChoice {
            include: vec![self.sandbox.control().group_id("Teaching Staff").unwrap()],
            exclude: Vec::new(),
            nested: true,
            guests: false,
        }
    }
}

mod bound_secrets;
mod data_folder;

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test]
async fn a_connection_is_saved_checked_searched_read_and_exported() {
    let host = host().await;
    let saved = host
        .ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    assert_eq!(saved.name, "school");
    assert!(!host.ws.profile("school").unwrap().enabled);

    let report = assert_send(host.ws.check_profile("school")).await.unwrap();
    assert!(report.ok, "{report:#?}");

    let found = assert_send(host.ws.search_groups("school", "Teach"))
        .await
        .unwrap();
    assert!(
        found
            .iter()
            .any(|group| group.display_name == "Teaching Staff")
    );

    let preview = assert_send(host.ws.read_preview(
        "school",
        Some(host.staff()),
        ReadObserver::default(),
    ))
    .await
    .unwrap();
    assert!(preview.complete, "{:?}", preview.read_error);
    assert!(preview.users.len() > 50);
    assert_eq!(
        host.ws.profile("school").unwrap().scope.include_groups,
        host.staff().include,
        "the group choice is remembered for the next read and the sync"
    );
    assert!(
        !host.ws.profile("school").unwrap().enabled,
        "choosing groups does not switch the connection on"
    );

    let saved_scope = assert_send(host.ws.saved_scope("school")).await.unwrap();
    assert_eq!(saved_scope.include[0].group.display_name, "Teaching Staff");
    assert!(!saved_scope.include[0].missing);

    let exported = host
        .ws
        .export_preview("school", None, &ExportTo::DataFolder)
        .unwrap();
    let text = std::fs::read_to_string(&exported.path).unwrap();
    assert_eq!(text.lines().count(), preview.users.len() + 1);
    assert_eq!(exported.people, preview.users.len());
}

#[tokio::test]
async fn an_interrupted_read_keeps_the_last_preview_and_says_why() {
    let host = host().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    let first = host
        .ws
        .read_preview("school", Some(host.staff()), ReadObserver::default())
        .await
        .unwrap();
    assert!(first.complete);

    // Every Graph request now fails: the read cannot finish.
    host.sandbox
        .control()
        .set_faults(Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        })
        .unwrap();
    host.sandbox.control().expire_delta_tokens();
    let failed = host
        .ws
        .read_preview("school", None, ReadObserver::default())
        .await
        .unwrap();
    assert!(!failed.complete);
    assert!(failed.read_error.is_some());
    assert_eq!(
        failed.users, first.users,
        "the people of the last complete read are still shown"
    );

    // A read cancelled before it starts stops at once, the same way.
    host.sandbox
        .control()
        .set_faults(Faults::default())
        .unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let cancelled = host
        .ws
        .read_preview(
            "school",
            None,
            ReadObserver {
                progress: None,
                cancel,
            },
        )
        .await
        .unwrap();
    assert!(!cancelled.complete);
    assert_eq!(cancelled.users, first.users);
    assert!(
        !host.ws.reads().cancel(),
        "a finished read is not cancellable"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_named_and_stops_the_read() {
    let host = host().await;
    host.ws
        .save_connection(
            "school",
            &host.connection(Some("xyz1Q~thisIsNotTheSecretOfThisAppAtAll00")),
        )
        .unwrap();
    let report = host.ws.check_profile("school").await.unwrap();
    assert!(!report.ok);
    assert!(
        report
            .diagnoses
            .iter()
            .any(|diagnosis| diagnosis.code.as_str() == "secret_wrong"),
        "{report:#?}"
    );
    let preview = host
        .ws
        .read_preview("school", Some(host.staff()), ReadObserver::default())
        .await
        .unwrap();
    assert!(!preview.complete);
    assert!(preview.users.is_empty(), "nothing was ever read");
}

#[tokio::test]
async fn a_missing_group_or_connection_has_its_own_code() {
    let host = host().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    let missing = host
        .ws
        .resolve_group("school", "00000000-0000-0000-0000-00000000dead")
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::GroupNotFound, "{missing:?}");
    assert!(missing.message.contains("deleted"), "{}", missing.message);

    let nobody = host
        .ws
        .read_preview("nobody", None, ReadObserver::default())
        .await
        .unwrap_err();
    assert_eq!(nobody.code, ErrorCode::ProfileNotFound);
    assert_eq!(nobody.exit_status(), 2);

    let bad = host
        .ws
        .read_preview(
            "school",
            Some(ScopeChoice {
                include: vec!["not a group".into()],
                exclude: Vec::new(),
                nested: true,
                guests: false,
            }),
            ReadObserver::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::Scope, "{bad:?}");
    assert!(
        host.ws
            .profile("school")
            .unwrap()
            .scope
            .include_groups
            .is_empty(),
        "a refused choice is not remembered"
    );
}

mod notices;
mod schedule;

mod sync {
    use rollcall_core::history::Trigger;
    use rollcall_core::ops::{SecretTarget, SyncObserver, SyncRequest};
    use rollcall_core::profile::{TargetKind, TargetSettings};

    use super::*;

    pub(super) fn point_at_platform(host: &Host) {
        let info = host.sandbox.info();
        host.ws
            .set_target(
                "school",
                TargetSettings {
                    kind: TargetKind::Scim,
                    url: Some(info.scim_url.clone()),
                    path: None,
                },
            )
            .unwrap();
        host.ws
            .store_secret("school", SecretTarget::Platform, &info.scim_token)
            .unwrap();
    }

    pub(super) async fn connected() -> Host {
        let host = host().await;
        host.ws
            .save_connection("school", &host.connection(None))
            .unwrap();
        host.ws
            .read_preview("school", Some(host.staff()), ReadObserver::default())
            .await
            .unwrap();
        host
    }

    #[tokio::test]
    async fn a_dry_run_then_a_sync_then_nothing_to_do() {
        let host = connected().await;
        let none = host
            .ws
            .sync("school", &SyncRequest::default(), SyncObserver::default())
            .await
            .unwrap_err();
        assert_eq!(none.code, ErrorCode::NoTarget, "{none:?}");
        assert_eq!(none.exit_status(), 2);
        point_at_platform(&host);

        let checked = host.ws.check_profile("school").await.unwrap();
        assert!(checked.ok, "{checked:#?}");

        // Everyone enabled gets an account; disabled people get none on a first sync.
        let people = host
            .ws
            .cached_preview("school", None)
            .unwrap()
            .totals
            .enabled;
        let dry = host
            .ws
            .sync(
                "school",
                &SyncRequest {
                    dry_run: true,
                    ..SyncRequest::default()
                },
                SyncObserver::default(),
            )
            .await
            .unwrap();
        assert!(dry.dry_run);
        assert_eq!(dry.plan.create, people, "{dry:#?}");
        assert_eq!(dry.applied.create, 0);
        assert_eq!(
            host.sandbox.scim().user_count(),
            0,
            "a dry run writes nothing"
        );

        let first = host
            .ws
            .sync("school", &SyncRequest::default(), SyncObserver::default())
            .await
            .unwrap();
        assert_eq!(first.applied.create, people, "{first:#?}");
        assert!(!first.has_problems(), "{first:#?}");
        assert_eq!(host.sandbox.scim().user_count(), people);

        let again = host
            .ws
            .sync("school", &SyncRequest::default(), SyncObserver::default())
            .await
            .unwrap();
        assert_eq!(again.plan.total(), 0, "{again:#?}");
        assert_eq!(again.writes, 0, "a sync with nothing to do writes nothing");

        let runs = host.ws.history("school").unwrap();
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[0].id, again.run, "newest first");
        assert!(runs[2].dry_run);
    }

    #[tokio::test]
    async fn a_switched_off_connection_is_not_synced_by_its_schedule() {
        let host = connected().await;
        point_at_platform(&host);
        let refused = host
            .ws
            .sync(
                "school",
                &SyncRequest {
                    trigger: Trigger::Schedule,
                    ..SyncRequest::default()
                },
                SyncObserver::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Disabled);
        assert_eq!(host.sandbox.scim().user_count(), 0);

        let nobody = host
            .ws
            .sync(
                "school",
                &SyncRequest {
                    only: Some("nobody@nowhere.example".into()),
                    ..SyncRequest::default()
                },
                SyncObserver::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(nobody.code, ErrorCode::NoSuchPerson);
    }

    #[tokio::test]
    async fn a_wrong_platform_token_is_named_by_the_check_and_stops_the_sync() {
        let host = connected().await;
        point_at_platform(&host);
        host.ws
            .store_secret("school", SecretTarget::Platform, "not-the-token")
            .unwrap();
        let checked = host.ws.check_profile("school").await.unwrap();
        assert!(!checked.ok);
        assert!(
            checked
                .diagnoses
                .iter()
                .any(|diagnosis| diagnosis.code.as_str() == "target_token_rejected"),
            "{checked:#?}"
        );
        let report = host
            .ws
            .sync("school", &SyncRequest::default(), SyncObserver::default())
            .await
            .unwrap();
        assert!(report.stopped.is_some(), "{report:#?}");
        assert!(report.has_problems());
        assert_eq!(host.sandbox.scim().user_count(), 0);
    }
}

/// The operations behind the window's platform, accounts, home and history screens.
mod screens {
    use rollcall_core::listing::{ChangeKind, Outcome};
    use rollcall_core::ops::{SyncObserver, SyncRequest, TargetSetup};
    use rollcall_core::profile::{MappingSettings, TargetKind, UsernameSource};
    use rollcall_core::secret::Secret;

    use super::sync::connected;
    use super::*;

    fn scim(host: &Host, url: &str, token: Option<&str>) -> Result<(), ErrorCode> {
        host.ws
            .connect_target(
                "school",
                TargetSetup {
                    kind: TargetKind::Scim,
                    url: Some(url.into()),
                    token: token.map(Secret::new),
                    folder: None,
                },
            )
            .map(|_| ())
            .map_err(|error| error.code)
    }

    #[tokio::test]
    async fn the_platform_step_names_the_field_that_is_wrong_and_keeps_the_stored_token() {
        let host = connected().await;
        let info = host.sandbox.info().clone();
        assert_eq!(
            scim(
                &host,
                "http://lms.example.com/scim/v2",
                Some(&info.scim_token)
            ),
            Err(ErrorCode::TargetUrl)
        );
        assert_eq!(
            scim(
                &host,
                &info.scim_url,
                Some(&format!("\"{}\"", info.scim_token))
            ),
            Err(ErrorCode::TargetToken)
        );
        assert_eq!(
            scim(&host, &info.scim_url, None),
            Err(ErrorCode::TargetToken),
            "no token stored yet"
        );
        assert!(
            host.ws.profile("school").unwrap().target.is_none(),
            "nothing saved"
        );
        let typed = host
            .ws
            .check_target_inputs(TargetKind::Scim, "ftp://x", "Bearer abc");
        assert_eq!(typed.len(), 2, "{typed:?}");

        scim(
            &host,
            &info.scim_url,
            Some(&format!("  {}  ", info.scim_token)),
        )
        .unwrap();
        assert_eq!(host.ws.check_target("school").await.unwrap(), Vec::new());
        // Edited later without typing the token again: the stored one is kept.
        scim(&host, &info.scim_url, None).unwrap();
        assert_eq!(host.ws.check_target("school").await.unwrap(), Vec::new());
        // A new address needs the token again: it was entered for the old one.
        assert_eq!(
            scim(&host, "https://lms.example.com/scim/v2", None),
            Err(ErrorCode::TargetToken)
        );

        let folder = tempfile::tempdir().unwrap();
        let blocked = folder.path().join("file");
        std::fs::write(&blocked, "x").unwrap();
        let refused = host
            .ws
            .connect_target(
                "school",
                TargetSetup {
                    kind: TargetKind::Csv,
                    url: None,
                    token: None,
                    folder: Some(blocked.join("inside")),
                },
            )
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::TargetFolder);
        assert_eq!(
            host.ws.profile("school").unwrap().target.unwrap().kind,
            TargetKind::Scim,
            "a refused folder leaves the platform as it was"
        );
    }

    #[tokio::test]
    async fn the_mapping_is_shown_on_real_people_before_it_is_saved() {
        let host = connected().await;
        let shown = host.ws.mapping_preview("school", None).unwrap();
        assert!(shown.people > 10, "{}", shown.people);
        assert_eq!(shown.samples.len(), 5);
        let first = &shown.samples[0];
        assert_eq!(first.user_name, first.user_principal_name);
        assert!(first.values.iter().any(|value| value.label == "First name"));

        let by_mail = MappingSettings {
            username: UsernameSource::Mail,
            ..MappingSettings::default()
        };
        let tried = host
            .ws
            .mapping_preview("school", Some(by_mail.clone()))
            .unwrap();
        assert!(
            tried
                .unsendable
                .iter()
                .all(|person| !person.message.is_empty()),
            "{:?}",
            tried.unsendable
        );
        assert_eq!(
            host.ws.profile("school").unwrap().mapping,
            MappingSettings::default(),
            "trying a mapping saves nothing"
        );
        host.ws.save_mapping("school", by_mail.clone()).unwrap();
        assert_eq!(host.ws.profile("school").unwrap().mapping, by_mail);
    }

    #[tokio::test]
    async fn the_home_screen_history_and_report_follow_the_runs() {
        let host = connected().await;
        let info = host.sandbox.info().clone();
        scim(&host, &info.scim_url, Some(&info.scim_token)).unwrap();
        let home = host.ws.connections().unwrap();
        assert_eq!(home.len(), 1);
        assert!(home[0].last_run.is_none());
        assert_eq!(home[0].groups, 1);

        let found = host.ws.find_people("school", "a").unwrap();
        assert!(!found.is_empty() && found.len() <= 20);
        let chosen = found[0].clone();
        let listed = SyncRequest {
            list_people: true,
            ..SyncRequest::default()
        };
        let one = host
            .ws
            .sync(
                "school",
                &SyncRequest {
                    only: Some(chosen.id.clone()),
                    ..listed.clone()
                },
                SyncObserver::default(),
            )
            .await
            .unwrap();
        assert_eq!(one.people.len(), 1, "{:#?}", one.people);
        assert_eq!(one.people[0].kind, ChangeKind::Create);
        assert_eq!(one.people[0].outcome, Outcome::Done);
        let account = host
            .ws
            .platform_account("school", &chosen.id)
            .await
            .unwrap()
            .unwrap();
        assert!(account.active);
        assert_eq!(account.external_id.as_deref(), Some(chosen.id.as_str()));

        let plan = host
            .ws
            .sync(
                "school",
                &SyncRequest {
                    dry_run: true,
                    ..listed.clone()
                },
                SyncObserver::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.people.len(), plan.plan.create);
        assert!(
            plan.people
                .iter()
                .all(|person| person.outcome == Outcome::Planned)
        );
        let all = host
            .ws
            .sync("school", &listed, SyncObserver::default())
            .await
            .unwrap();
        assert!(
            all.people
                .iter()
                .all(|person| person.outcome == Outcome::Done)
        );

        let home = host.ws.connections().unwrap();
        let last = home[0].last_run.clone().unwrap();
        assert_eq!(last.id, all.run);
        assert_eq!(last.applied.create, all.applied.create);
        assert_eq!(home[0].accounts, all.applied.create + 1);
        let runs = host.ws.run_summaries("school").unwrap();
        assert_eq!(runs.len(), 3);
        let report = host.ws.run_report("school", all.run).unwrap();
        assert_eq!(
            report["people"].as_array().map(Vec::len),
            Some(all.people.len())
        );
        let file = host.ws.export_report("school", all.run).unwrap();
        let text = std::fs::read_to_string(&file.path).unwrap();
        assert_eq!(text.lines().count(), all.people.len() + 1, "{text}");
        assert!(text.contains(&all.people[0].user_name));
    }
}
