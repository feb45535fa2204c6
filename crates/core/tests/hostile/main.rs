//! Hostile input: what a broken or malicious server, or a doctored profile file, can send
//! Rollcall. None of it may panic; each is refused with a message, and links to other hosts
//! are never followed. The parsers are fuzzed (proptest, bounded to a few seconds) and fed
//! the corpus kept beside this file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod batch;
mod links;
mod support;

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use proptest::prelude::*;
use rollcall_core::auth::{TOKEN_LIFETIME_CAP, token_expiry};
use rollcall_core::graph::{RETRY_AFTER_CAP, parse_retry_after};
use rollcall_core::profile::Profile;
use rollcall_core::targets::scim::wire;
use serde_json::Value;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// Every parser that takes a server's or a file's bytes, fed `bytes`.
fn feed_every_parser(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let _ = Profile::parse(&text);
    for line in text.lines() {
        if let Some(after) = parse_retry_after(line) {
            assert!(after <= RETRY_AFTER_CAP, "{line:?} gave {after:?}");
        }
    }
    let _ = parse_retry_after(&text);
    if let Ok(token) = serde_json::from_slice::<oauth2::basic::BasicTokenResponse>(bytes) {
        use oauth2::TokenResponse;
        let now = Utc::now();
        let expiry = token_expiry(now, token.expires_in());
        assert!(expiry <= now + TOKEN_LIFETIME_CAP);
    }
    if let Ok(json) = serde_json::from_slice::<Value>(bytes) {
        let client = support::offline_client();
        let _ = client.page_of(json.clone(), "a hostile page");
        let _ = wire::page(&json);
        let _ = wire::account(&json);
        let _ = wire::group(&json);
        let _ = wire::member_ids(&json);
        let _ = wire::manager_id(&json);
    }
}

#[test]
fn the_corpus_panics_nothing() {
    let corpus = corpus();
    assert!(corpus.len() >= 10, "the corpus is missing");
    for (name, bytes) in corpus {
        let outcome = std::panic::catch_unwind(|| feed_every_parser(&bytes));
        assert!(outcome.is_ok(), "{name} made a parser panic");
    }
}

#[test]
fn a_next_link_that_is_not_an_address_fails_the_page_rather_than_ending_the_read() {
    let client = support::offline_client();
    for link in [
        serde_json::json!(7),
        serde_json::json!([]),
        serde_json::json!({}),
    ] {
        let page = serde_json::json!({"value": [{"id": "u1"}], "@odata.nextLink": link});
        let error = client.page_of(page, "the people").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("@odata.nextLink"), "{message}");
    }
    let last = serde_json::json!({"value": [], "@odata.nextLink": null, "@odata.deltaLink": "https://x/d"});
    let page = client.page_of(last, "the people").unwrap();
    assert_eq!(page.next_link, None, "null is no next page");
    assert_eq!(page.delta_link.as_deref(), Some("https://x/d"));
}

#[test]
fn huge_retry_after_values_are_capped_not_fatal() {
    for value in [
        "1e20",
        "1e300",
        "18446744073709551616",
        "1.7976931348623157e308",
    ] {
        assert_eq!(parse_retry_after(value), Some(RETRY_AFTER_CAP), "{value}");
    }
    for value in ["NaN", "inf", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", ""] {
        assert_eq!(parse_retry_after(value), None, "{value}");
    }
    assert_eq!(parse_retry_after("2.5"), Some(Duration::from_millis(2500)));
}

#[test]
fn a_huge_expires_in_is_capped_not_fatal() {
    let now = Utc::now();
    let forever = token_expiry(now, Some(Duration::from_secs(u64::MAX)));
    assert_eq!(forever, now + TOKEN_LIFETIME_CAP);
    let hour = token_expiry(now, Some(Duration::from_secs(3600)));
    assert_eq!(hour, now + chrono::Duration::hours(1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_panic_no_parser(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        feed_every_parser(&bytes);
    }

    #[test]
    fn json_shaped_replies_panic_no_parser(
        next in ".{0,40}",
        total in any::<i64>(),
        expires in any::<u64>(),
        id in ".{0,20}",
    ) {
        let reply = serde_json::json!({
            "value": [{"id": id, "members": [{"value": id}]}],
            "@odata.nextLink": next,
            "Resources": [{"id": id, "userName": next}],
            "totalResults": total,
            "access_token": id,
            "token_type": "Bearer",
            "expires_in": expires,
        });
        feed_every_parser(reply.to_string().as_bytes());
    }

    #[test]
    fn profile_shaped_files_panic_nothing(
        name in ".{0,30}",
        authority in ".{0,40}",
        port in any::<u32>(),
    ) {
        let text = format!(
            "name = {name:?}\nenabled = true\n[cloud]\nkind = \"custom\"\nauthority = {authority:?}\ngraph = \"https://127.0.0.1:{port}\"\n"
        );
        feed_every_parser(text.as_bytes());
    }

    #[test]
    fn retry_after_numbers_stay_bounded(seconds in any::<f64>()) {
        if let Some(after) = parse_retry_after(&seconds.to_string()) {
            prop_assert!(after <= RETRY_AFTER_CAP);
        }
    }
}
