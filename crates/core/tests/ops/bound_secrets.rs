//! A stored secret is used only for what it was entered for: a profile that now points at
//! another sign-in address, tenant or app (or another platform address) sends nothing and
//! says why, until the secret is entered again.

use rollcall_core::ops::{ErrorCode, SecretTarget, SyncObserver, SyncRequest};
use rollcall_core::profile::{TargetKind, TargetSettings};

use super::*;

async fn another_sandbox() -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    })
    .await
    .unwrap()
}

fn requests_seen(sandbox: &Sandbox) -> (u64, u64) {
    (
        sandbox.control().counters().total,
        sandbox.scim().request_counts().total(),
    )
}

#[tokio::test]
async fn an_imported_profile_pointing_the_name_elsewhere_never_gets_the_secret() {
    let host = host().await;
    let other = another_sandbox().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    assert!(host.ws.check_profile("school").await.unwrap().ok);

    // A shared file: the same name, tenant and app, but signing in at the other server.
    let (a, b) = (host.sandbox.info(), other.info());
    let server = |url: &str| url.split('/').take(3).collect::<Vec<_>>().join("/");
    let exported = host.ws.export_profile("school").unwrap();
    assert!(exported.contains(&server(&a.authority_url)), "{exported}");
    let shared = exported.replace(&server(&a.authority_url), &server(&b.authority_url));
    assert_ne!(shared, exported);
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("school.toml");
    std::fs::write(&file, shared).unwrap();
    host.ws.import_profile_with(&file, true).unwrap();
    other.control().reset_counters();

    let report = host.ws.check_profile("school").await.unwrap();
    assert!(!report.ok, "{report:#?}");
    let said = report
        .diagnoses
        .iter()
        .find(|diagnosis| diagnosis.code.as_str() == "secret_missing")
        .unwrap_or_else(|| panic!("{report:#?}"));
    assert!(
        said.cause.starts_with(
            "The client secret was entered for another tenant or app; enter it again."
        ),
        "{}",
        said.cause
    );
    let read = host
        .ws
        .read_preview("school", Some(host.staff()), ReadObserver::default())
        .await
        .unwrap_err();
    assert_eq!(read.code, ErrorCode::Connect, "{read:?}");
    assert!(
        read.message.contains("entered for another tenant or app"),
        "{}",
        read.message
    );
    assert_eq!(other.control().counters().kind("token"), 0);
    assert_eq!(
        requests_seen(&other),
        (0, 0),
        "nothing at all was sent there"
    );

    // Entering the secret again for the new address binds it there.
    let app = b
        .apps
        .iter()
        .find(|app| app.state == AppState::Healthy)
        .unwrap();
    host.ws
        .save_connection(
            "school",
            &ConnectionRequest {
                cloud: ChosenCloud {
                    id: "custom".into(),
                    authority_url: Some(b.authority_url.clone()),
                    graph_url: Some(b.graph_url.clone()),
                },
                tenant: b.tenant.domain.clone(),
                client_id: app.client_id.clone(),
                secret: app.secret.clone(),
                secret_expires: None,
            },
        )
        .unwrap();
    let again = host.ws.check_profile("school").await.unwrap();
    assert!(again.ok, "{again:#?}");
    assert!(other.control().counters().kind("token") > 0);
}

#[tokio::test]
async fn a_platform_token_is_not_sent_to_a_new_platform_address() {
    let host = host().await;
    let other = another_sandbox().await;
    host.ws
        .save_connection("school", &host.connection(None))
        .unwrap();
    host.ws
        .read_preview("school", Some(host.staff()), ReadObserver::default())
        .await
        .unwrap();
    let point_at = |sandbox: &Sandbox| {
        host.ws
            .set_target(
                "school",
                TargetSettings {
                    kind: TargetKind::Scim,
                    url: Some(sandbox.info().scim_url.clone()),
                    path: None,
                },
            )
            .unwrap();
    };
    point_at(&host.sandbox);
    host.ws
        .store_secret(
            "school",
            SecretTarget::Platform,
            &host.sandbox.info().scim_token,
        )
        .unwrap();
    assert!(host.ws.check_profile("school").await.unwrap().ok);

    point_at(&other);
    let report = host.ws.check_profile("school").await.unwrap();
    assert!(!report.ok, "{report:#?}");
    assert!(
        report.diagnoses.iter().any(
            |diagnosis| diagnosis.code.as_str() == "target_token_missing"
                && diagnosis.cause.starts_with(
                    "The learning platform's token was entered for another address; enter it again."
                )
        ),
        "{report:#?}"
    );
    let refused = host
        .ws
        .sync("school", &SyncRequest::default(), SyncObserver::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Target, "{refused:?}");
    assert!(
        refused.message.contains("entered for another address"),
        "{}",
        refused.message
    );
    assert_eq!(
        other.scim().request_counts().total(),
        0,
        "the token never reached the new address"
    );

    let refused_store = host
        .ws
        .set_target(
            "school",
            TargetSettings {
                kind: TargetKind::Csv,
                url: None,
                path: Some("files".into()),
            },
        )
        .and_then(|_| {
            host.ws
                .store_secret("school", SecretTarget::Platform, "token")
        })
        .unwrap_err();
    assert_eq!(refused_store.code, ErrorCode::NoTarget, "{refused_store:?}");
}
