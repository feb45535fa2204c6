//! The real keychain (the Secret Service on Linux): a secret goes in, comes back out, and is gone
//! after deletion.

use rollcall_core::secret::{Keychain, KeychainError, Secret, SecretKind, SecretStore};

const HOW_TO_RUN: &str = "This test needs a running, unlocked Secret Service. Run it as: dbus-run-session -- bash -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; cargo test -p rollcall-core'";

fn or_explain<T>(result: Result<T, KeychainError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{error}\n{HOW_TO_RUN}"),
    }
}

#[test]
fn secret_round_trips_through_the_real_keychain() {
    let keychain = Keychain::with_service("app.rollcall.test");
    let profile = format!("keychain-test-{}", std::process::id());
    let secret = Secret::new(format!("abc8Q~{}-round-trip", std::process::id()));

    or_explain(keychain.store(&profile, SecretKind::Graph, &secret));
    let fresh = Keychain::with_service("app.rollcall.test");
    assert_eq!(
        or_explain(fresh.read(&profile, SecretKind::Graph)),
        Some(secret.clone())
    );
    assert_eq!(or_explain(fresh.read(&profile, SecretKind::Target)), None);
    assert!(or_explain(fresh.delete(&profile, SecretKind::Graph)));
    assert_eq!(or_explain(keychain.read(&profile, SecretKind::Graph)), None);
    assert!(!or_explain(keychain.delete(&profile, SecretKind::Graph)));
}
