//! Every diagnosis produced for real against the sandbox: each app registration state, each
//! tenant mistake, and network trouble staged through fault injection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use rollcall_core::auth::{AppSignIn, TokenSource};
use rollcall_core::check::{CheckOptions, CheckReport, ConnectionInput, check_connection};
use rollcall_core::clock::{Clock, FixedClock, SystemClock};
use rollcall_core::cloud::Cloud;
use rollcall_core::credentials::{TenantRef, parse_client_id};
use rollcall_core::diagnosis::{DiagnosisCode, Severity};
use rollcall_core::discovery::discover;
use rollcall_core::network::{HttpSettings, http_client};
use rollcall_core::secret::Secret;
use rollcall_sandbox::{AppInfo, Dataset, Faults, Sandbox, SandboxOptions};

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxOptions {
        dataset: Dataset::Demo,
        port: 0,
    })
    .await
    .unwrap()
}

fn cloud_of(sandbox: &Sandbox) -> Cloud {
    Cloud::custom(&sandbox.info().authority_url, &sandbox.info().graph_url).unwrap()
}

fn app<'a>(sandbox: &'a Sandbox, name: &str) -> &'a AppInfo {
    sandbox
        .info()
        .apps
        .iter()
        .find(|app| app.name == name)
        .unwrap_or_else(|| panic!("the sandbox has no app called {name}"))
}

const HEALTHY: &str = "Rollcall Sync";
const NO_CONSENT: &str = "Rollcall Sync (awaiting consent)";
const PARTIAL: &str = "Rollcall Sync (users only)";
const EXPIRED: &str = "Rollcall Sync (expired secret)";
const DISABLED: &str = "Rollcall Sync (disabled)";
const READS_EXPIRY: &str = "Rollcall Sync (reads its own expiry)";

fn input(sandbox: &Sandbox, name: &str) -> ConnectionInput {
    let app = app(sandbox, name);
    ConnectionInput {
        cloud: cloud_of(sandbox),
        tenant: sandbox.info().tenant.domain.clone(),
        client_id: app.client_id.clone(),
        secret: Some(Secret::new(app.secret.clone())),
        secret_expires: None,
        probe_group: None,
    }
}

fn fast() -> CheckOptions {
    CheckOptions {
        http: HttpSettings {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
        },
        clock: Arc::new(SystemClock),
    }
}

fn codes(report: &CheckReport) -> Vec<DiagnosisCode> {
    report.diagnoses.iter().map(|d| d.code).collect()
}

fn assert_has(report: &CheckReport, code: DiagnosisCode) {
    assert!(
        codes(report).contains(&code),
        "expected {code} in {:#?}",
        report.diagnoses
    );
    let found = report.diagnoses.iter().find(|d| d.code == code).unwrap();
    assert!(!found.title.is_empty() && !found.cause.is_empty() && !found.fix.is_empty());
}

#[tokio::test]
async fn healthy_app_is_all_green() {
    let sandbox = sandbox().await;
    let started = Instant::now();
    let report = check_connection(&input(&sandbox, HEALTHY), &fast()).await;
    let took = started.elapsed();
    assert!(report.ok, "{report:#?}");
    assert!(
        report
            .diagnoses
            .iter()
            .all(|d| d.severity == Severity::Info),
        "{report:#?}"
    );
    assert_eq!(
        report.tenant.id.as_deref(),
        Some(sandbox.info().tenant.id.as_str())
    );
    assert_eq!(report.tenant.cloud, "custom");
    assert!(report.permissions.missing.is_empty());
    assert!(
        report
            .permissions
            .granted
            .contains(&"User.Read.All".to_string())
    );
    assert!(took < Duration::from_secs(1), "the check took {took:?}");
    let json = serde_json::to_value(&report).unwrap();
    for key in ["ok", "tenant", "permissions", "diagnoses"] {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    for key in ["id", "name", "cloud"] {
        assert!(json["tenant"].get(key).is_some(), "missing tenant.{key}");
    }
}

#[tokio::test]
async fn tenant_id_works_as_well_as_the_domain() {
    let sandbox = sandbox().await;
    let mut by_id = input(&sandbox, HEALTHY);
    by_id.tenant = format!("{{{}}}", sandbox.info().tenant.id.to_uppercase());
    let report = check_connection(&by_id, &fast()).await;
    assert!(report.ok, "{report:#?}");
}

#[tokio::test]
async fn wrong_secret() {
    let sandbox = sandbox().await;
    let mut wrong = input(&sandbox, HEALTHY);
    wrong.secret = Some(Secret::new("xyz1Q~thisIsNotTheSecretOfThisAppAtAll00"));
    let report = check_connection(&wrong, &fast()).await;
    assert!(!report.ok);
    assert_eq!(codes(&report), [DiagnosisCode::SecretWrong]);
    assert!(
        report.diagnoses[0]
            .link
            .as_deref()
            .unwrap()
            .contains("/Credentials/appId/")
    );
}

#[tokio::test]
async fn secret_id_instead_of_value() {
    let sandbox = sandbox().await;
    let healthy = app(&sandbox, HEALTHY);
    let mut pasted = input(&sandbox, HEALTHY);
    pasted.secret = Some(Secret::new(healthy.secret_id.clone()));
    let report = check_connection(&pasted, &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::SecretIdSent]);
    assert_eq!(
        sandbox.control().counters().total,
        0,
        "caught before any request"
    );

    // And if it reaches Microsoft anyway, the answer is read the same way.
    let cloud = cloud_of(&sandbox);
    let sign_in = AppSignIn {
        cloud: cloud.clone(),
        tenant: TenantRef::Domain(sandbox.info().tenant.domain.clone()),
        client_id: parse_client_id(&healthy.client_id).unwrap(),
        secret: Secret::new(healthy.secret_id.clone()),
    };
    let tokens = TokenSource::new(
        sign_in.clone(),
        http_client(HttpSettings::default()).unwrap(),
        Arc::new(SystemClock),
    );
    let error = tokens.token().await.unwrap_err();
    let links = cloud.links(Some(&healthy.client_id));
    assert_eq!(
        error.to_diagnosis(&sign_in, &links).code,
        DiagnosisCode::SecretIdSent
    );
}

#[tokio::test]
async fn expired_secret() {
    let sandbox = sandbox().await;
    let report = check_connection(&input(&sandbox, EXPIRED), &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::SecretExpired]);
}

#[tokio::test]
async fn app_not_in_tenant() {
    let sandbox = sandbox().await;
    let mut stranger = input(&sandbox, HEALTHY);
    stranger.client_id = "0d5c2f6e-8a1b-4c3d-9e7f-a0b1c2d3e4f5".into();
    let report = check_connection(&stranger, &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::AppNotInTenant]);
}

#[tokio::test]
async fn tenant_not_found() {
    let sandbox = sandbox().await;
    for tenant in [
        "nosuch.onmicrosoft.com",
        "9f8e7d6c-5b4a-4321-8fed-cba987654321",
    ] {
        let mut unknown = input(&sandbox, HEALTHY);
        unknown.tenant = tenant.into();
        let report = check_connection(&unknown, &fast()).await;
        assert_eq!(codes(&report), [DiagnosisCode::TenantNotFound], "{tenant}");
        assert!(report.diagnoses[0].cause.contains(tenant));
    }
}

#[tokio::test]
async fn malformed_tenant() {
    let sandbox = sandbox().await;
    let mut typo = input(&sandbox, HEALTHY);
    typo.tenant = "northwind".into();
    let report = check_connection(&typo, &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::TenantMalformed]);
    assert_eq!(
        sandbox.control().counters().total,
        0,
        "caught before any request"
    );

    // A name the input check lets through but the sign-in service refuses.
    let cloud = cloud_of(&sandbox);
    let http = http_client(HttpSettings::default()).unwrap();
    let links = cloud.links(None);
    let refused = discover(
        &http,
        &cloud,
        &TenantRef::Domain("north_wind.example".into()),
        &links,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code, DiagnosisCode::TenantMalformed);
}

#[tokio::test]
async fn disabled_app() {
    let sandbox = sandbox().await;
    let report = check_connection(&input(&sandbox, DISABLED), &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::AppDisabled]);
}

#[tokio::test]
async fn tenant_in_another_cloud() {
    let sandbox = sandbox().await;
    let mut foreign = input(&sandbox, HEALTHY);
    foreign.tenant = sandbox.info().foreign_tenant.domain.clone();
    let report = check_connection(&foreign, &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::WrongCloud]);
    assert!(report.diagnoses[0].cause.contains("US Government"));
    assert_eq!(
        sandbox.control().counters().kind("token"),
        0,
        "no secret was sent"
    );
}

#[tokio::test]
async fn admin_consent_not_granted() {
    let sandbox = sandbox().await;
    let waiting = app(&sandbox, NO_CONSENT);
    let report = check_connection(&input(&sandbox, NO_CONSENT), &fast()).await;
    assert!(!report.ok);
    assert_has(&report, DiagnosisCode::AdminConsentMissing);
    let link = report.diagnoses[0].link.clone().unwrap();
    assert!(link.starts_with(&sandbox.info().authority_url));
    assert!(link.contains(&format!("client_id={}", waiting.client_id)));
    assert_eq!(
        report.permissions.missing,
        ["User.Read.All", "GroupMember.Read.All"]
    );

    // After consent, the same connection is green.
    sandbox.control().grant_consent(&waiting.client_id).unwrap();
    let report = check_connection(&input(&sandbox, NO_CONSENT), &fast()).await;
    assert!(report.ok, "{report:#?}");
}

#[tokio::test]
async fn partial_permissions_and_the_refused_read() {
    let sandbox = sandbox().await;
    let report = check_connection(&input(&sandbox, PARTIAL), &fast()).await;
    assert!(!report.ok);
    assert_eq!(report.permissions.missing, ["GroupMember.Read.All"]);
    assert_has(&report, DiagnosisCode::GroupReadMissing);
    assert_has(&report, DiagnosisCode::GraphForbidden);
    let forbidden = report
        .diagnoses
        .iter()
        .find(|d| d.code == DiagnosisCode::GraphForbidden)
        .unwrap();
    assert!(
        forbidden.cause.contains("GroupMember.Read.All"),
        "{forbidden:?}"
    );
    assert!(!codes(&report).contains(&DiagnosisCode::UserReadMissing));
}

#[tokio::test]
async fn unreachable_server() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let address = format!("http://127.0.0.1:{port}");
    let report = check_connection(
        &ConnectionInput {
            cloud: Cloud::custom(&address, &address).unwrap(),
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "535fb089-9ff3-47b6-9bfb-4f1264799865".into(),
            secret: Some(Secret::new("abc8Q~Zx0123456789abcdefghijklmnopqrstuv")),
            secret_expires: None,
            probe_group: None,
        },
        &fast(),
    )
    .await;
    assert_eq!(codes(&report), [DiagnosisCode::NetworkUnreachable]);
}

#[tokio::test]
async fn tls_failure() {
    let sandbox = sandbox().await;
    // The sandbox speaks plain HTTP; asking it for TLS fails the handshake.
    let https = sandbox.info().authority_url.replace("http://", "https://");
    let mut secure = input(&sandbox, HEALTHY);
    secure.cloud = Cloud::custom(&https, &https).unwrap();
    let report = check_connection(&secure, &fast()).await;
    assert_eq!(codes(&report), [DiagnosisCode::TlsFailure], "{report:#?}");
    let said = &report.diagnoses[0];
    assert!(said.cause.contains("proxy"), "{}", said.cause);
    assert!(
        said.fix.contains("proxy") && said.fix.contains("certificate"),
        "says what to do about an inspecting proxy: {}",
        said.fix
    );
}

#[tokio::test]
async fn slow_graph_times_out() {
    let sandbox = sandbox().await;
    sandbox
        .control()
        .set_faults(Faults {
            latency_ms: 1_500,
            ..Faults::default()
        })
        .unwrap();
    let options = CheckOptions {
        http: HttpSettings {
            timeout: Duration::from_millis(300),
            connect_timeout: Duration::from_millis(300),
        },
        ..fast()
    };
    let report = check_connection(&input(&sandbox, HEALTHY), &options).await;
    assert_has(&report, DiagnosisCode::TimedOut);
    assert!(!report.ok);
}

#[tokio::test]
async fn graph_gateway_timeout_and_outage_and_throttling() {
    let sandbox = sandbox().await;
    let cases = [
        (
            Faults {
                timeout_rate: 1.0,
                ..Faults::default()
            },
            DiagnosisCode::TimedOut,
        ),
        (
            Faults {
                unavailable_rate: 1.0,
                ..Faults::default()
            },
            DiagnosisCode::ServiceUnavailable,
        ),
        (
            Faults {
                throttle_rate: 1.0,
                ..Faults::default()
            },
            DiagnosisCode::GraphThrottled,
        ),
        (
            Faults {
                drop_rate: 1.0,
                ..Faults::default()
            },
            DiagnosisCode::NetworkUnreachable,
        ),
    ];
    for (faults, code) in cases {
        sandbox.control().set_faults(faults).unwrap();
        let report = check_connection(&input(&sandbox, HEALTHY), &fast()).await;
        assert_has(&report, code);
    }
    let report = {
        sandbox.control().set_faults(Faults::default()).unwrap();
        check_connection(&input(&sandbox, HEALTHY), &fast()).await
    };
    assert!(report.ok, "{report:#?}");
}

#[tokio::test]
async fn secret_expiring_read_from_graph() {
    let sandbox = sandbox().await;
    let reader = app(&sandbox, READS_EXPIRY);
    let report = check_connection(&input(&sandbox, READS_EXPIRY), &fast()).await;
    assert!(
        report.ok,
        "a secret that still works is not an error: {report:#?}"
    );
    assert_has(&report, DiagnosisCode::SecretExpiring);
    let expected = chrono::DateTime::parse_from_rfc3339(&reader.secret_expires)
        .unwrap()
        .date_naive();
    assert_eq!(report.secret_expires, Some(expected));
    let warning = report
        .diagnoses
        .iter()
        .find(|d| d.code == DiagnosisCode::SecretExpiring)
        .unwrap();
    assert_eq!(warning.severity, Severity::Warning);
    assert!(warning.title.contains("days"), "{warning:?}");
}

#[tokio::test]
async fn secret_expiry_entered_by_the_admin() {
    let sandbox = sandbox().await;
    let today = Utc::now().date_naive();
    let mut soon = input(&sandbox, HEALTHY);
    soon.secret_expires = Some(today + chrono::Duration::days(6));
    let report = check_connection(&soon, &fast()).await;
    assert_has(&report, DiagnosisCode::SecretExpiring);
    assert!(report.diagnoses[0].fix.starts_with("Do this now"));

    soon.secret_expires = NaiveDate::from_ymd_opt(2020, 1, 31);
    let report = check_connection(&soon, &fast()).await;
    assert_has(&report, DiagnosisCode::SecretExpired);
    assert!(!report.ok);

    soon.secret_expires = None;
    let report = check_connection(&soon, &fast()).await;
    assert_has(&report, DiagnosisCode::SecretExpiryUnknown);
    assert!(report.ok);
}

#[tokio::test]
async fn tokens_are_reused_until_near_expiry() {
    let sandbox = sandbox().await;
    let healthy = app(&sandbox, HEALTHY);
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let sign_in = AppSignIn {
        cloud: cloud_of(&sandbox),
        tenant: TenantRef::Domain(sandbox.info().tenant.domain.clone()),
        client_id: parse_client_id(&healthy.client_id).unwrap(),
        secret: Secret::new(healthy.secret.clone()),
    };
    let tokens = TokenSource::new(
        sign_in,
        http_client(HttpSettings::default()).unwrap(),
        clock.clone(),
    );
    let first = tokens.token().await.unwrap();
    let again = tokens.token().await.unwrap();
    assert_eq!(first.bearer(), again.bearer());
    assert_eq!(sandbox.control().counters().kind("token"), 1);
    assert!(first.expires_at > clock.now() + chrono::Duration::minutes(50));

    clock.advance(chrono::Duration::minutes(56));
    let renewed = tokens.token().await.unwrap();
    assert_ne!(first.bearer(), renewed.bearer());
    assert_eq!(sandbox.control().counters().kind("token"), 2);
    assert_eq!(format!("{renewed:?}").matches("<redacted>").count(), 1);
}
