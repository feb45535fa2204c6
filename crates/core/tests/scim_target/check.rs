//! The target check: a working target has no findings (on both servers); a missing, wrong
//! or powerless token, an address that is not SCIM, a platform without filters, a server
//! error, a TLS mismatch and an unreachable address each get their own diagnosis.

use std::time::Duration;

use rollcall_core::diagnosis::{DiagnosisCode, Severity};
use rollcall_core::network::HttpSettings;
use rollcall_core::profile::{TargetKind, TargetSettings};
use rollcall_core::secret::Secret;
use rollcall_core::targets::scim::check;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::servers::{sandbox, scim2, turn};

fn settings(url: &str) -> TargetSettings {
    TargetSettings {
        kind: TargetKind::Scim,
        url: Some(url.to_owned()),
        path: None,
    }
}

fn quick() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
    }
}

async fn codes(url: &str, token: Option<&str>) -> Vec<DiagnosisCode> {
    let token = token.map(Secret::new);
    let findings = check(&settings(url), token.as_ref(), "school", quick()).await;
    for finding in &findings {
        assert!(
            !finding.cause.is_empty() && !finding.fix.is_empty(),
            "{finding:?}"
        );
        if let Some(token) = &token {
            let text = format!("{finding:?}");
            assert!(!text.contains(token.expose()), "the token leaked: {text}");
        }
    }
    findings.iter().map(|finding| finding.code).collect()
}

/// A server on 127.0.0.1 that answers every request with `status` (e.g. `200 OK`), the
/// extra header lines `headers` and `body`.
async fn answering(status: &str, headers: &str, body: &str) -> String {
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{address}/scim/v2")
}

#[tokio::test]
async fn a_working_target_has_no_findings_on_either_server() {
    let _turn = turn().await;
    for server in [sandbox(), scim2()] {
        assert_eq!(
            codes(&server.base, Some(&server.token)).await,
            vec![],
            "{}",
            server.name
        );
    }
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_named_as_such() {
    let _turn = turn().await;
    for server in [sandbox(), scim2()] {
        assert_eq!(
            codes(&server.base, None).await,
            vec![DiagnosisCode::TargetTokenMissing],
            "{}",
            server.name
        );
        assert_eq!(
            codes(&server.base, Some("expired-token")).await,
            vec![DiagnosisCode::TargetTokenRejected],
            "{}",
            server.name
        );
    }
}

#[tokio::test]
async fn an_address_that_is_not_scim_is_named_as_such() {
    let _turn = turn().await;
    let server = sandbox();
    let root = server.base.trim_end_matches("/scim/v2");
    assert_eq!(
        codes(&format!("{root}/wrong/path"), Some(&server.token)).await,
        vec![DiagnosisCode::TargetNotScim],
        "404"
    );
    let page = answering(
        "200 OK",
        "content-type: text/html\r\n",
        "<html><body>Welcome to Moodle</body></html>",
    )
    .await;
    assert_eq!(
        codes(&page, Some("tok-3f9a1c")).await,
        vec![DiagnosisCode::TargetNotScim],
        "a web page"
    );
    let sign_in = answering(
        "302 Found",
        "location: https://lms.example.org/login\r\n",
        "",
    )
    .await;
    let findings = check(
        &settings(&sign_in),
        Some(&Secret::new("tok-3f9a1c")),
        "school",
        quick(),
    )
    .await;
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].cause.contains("https://lms.example.org/login"),
        "{:?}",
        findings[0]
    );
}

#[tokio::test]
async fn forbidden_unavailable_and_filterless_platforms_are_told_apart() {
    let forbidden = answering(
        "403 Forbidden",
        "content-type: application/scim+json\r\n",
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:Error\"],\"status\":\"403\",\"detail\":\"no right\"}",
    )
    .await;
    assert_eq!(
        codes(&forbidden, Some("tok-3f9a1c")).await,
        vec![DiagnosisCode::TargetForbidden]
    );
    let down = answering("503 Service Unavailable", "", "").await;
    assert_eq!(
        codes(&down, Some("tok-3f9a1c")).await,
        vec![DiagnosisCode::TargetUnavailable]
    );
    let no_filter = answering(
        "200 OK",
        "content-type: application/scim+json\r\n",
        "{\"schemas\":[\"x\"],\"filter\":{\"supported\":false},\"Resources\":[],\"patch\":{\"supported\":true}}",
    )
    .await;
    let findings = check(
        &settings(&no_filter),
        Some(&Secret::new("tok-3f9a1c")),
        "school",
        quick(),
    )
    .await;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].code, DiagnosisCode::TargetNoFilter);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[tokio::test]
async fn tls_and_unreachable_addresses_are_told_apart() {
    let _turn = turn().await;
    let server = sandbox();
    let tls = server.base.replace("http://", "https://");
    assert_eq!(
        codes(&tls, Some(&server.token)).await,
        vec![DiagnosisCode::TlsFailure]
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    assert_eq!(
        codes(
            &format!("http://127.0.0.1:{port}/scim/v2"),
            Some("tok-3f9a1c")
        )
        .await,
        vec![DiagnosisCode::NetworkUnreachable]
    );
    let csv = TargetSettings {
        kind: TargetKind::Csv,
        url: None,
        path: Some("exports".into()),
    };
    assert!(check(&csv, None, "school", quick()).await.is_empty());
}
