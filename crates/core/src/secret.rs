//! Secrets: the one [`Secret`] type (never serialized, printed as `<redacted>`, wiped from
//! memory when dropped) and where secrets are kept, which is only the operating system's
//! keychain ([`Keychain`]). Entries are keyed by profile name and kind. Each secret is stored
//! bound to what it was entered for ([`EnteredFor`]: the sign-in address, Graph address,
//! tenant and client ID; the platform's address for its token), so a profile that now points
//! elsewhere cannot use it ([`read_for_profile`]). [`MemoryKeychain`] stands in for the
//! keychain in tests.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::profile::Profile;

/// A secret value (a client secret or a learning platform's token). It has no `Serialize`
/// implementation, prints as `<redacted>`, gives its value only through [`Secret::expose`],
/// and overwrites its memory with zeros when dropped (every clone too).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    /// The value itself: call this only at the moment it is sent to the service that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// The value is held in [`Zeroizing`], which wipes it on drop.
impl ZeroizeOnDrop for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Which of a profile's secrets an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// The Entra app's client secret.
    Graph,
    /// The learning platform's token (SCIM bearer token).
    Target,
    /// The password of the mail server the run report is sent through.
    Mail,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Graph => "graph",
            SecretKind::Target => "target",
            SecretKind::Mail => "mail",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecretKind {
    type Err = String;

    fn from_str(value: &str) -> Result<SecretKind, String> {
        match value {
            "graph" => Ok(SecretKind::Graph),
            "target" => Ok(SecretKind::Target),
            "mail" => Ok(SecretKind::Mail),
            other => Err(format!(
                "\"{other}\" is not a kind of secret. Use graph (the Entra client secret), target (the learning platform's token) or mail (the mail server's password)."
            )),
        }
    }
}

/// What a secret was entered for. The Entra client secret: the sign-in and Graph addresses
/// (scheme, host and port), the tenant and the client ID; the platform's token: the
/// platform's base address. Kept beside the secret in its keychain entry, never in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnteredFor(String);

impl EnteredFor {
    /// The Entra client secret of an app in a tenant, signing in at `authority_url` and
    /// reading from `graph_url`.
    pub fn sign_in(authority_url: &str, graph_url: &str, tenant: &str, client_id: &str) -> Self {
        EnteredFor(format!(
            "sign-in {} graph {} tenant {} app {}",
            origin(authority_url),
            origin(graph_url),
            tenant.trim().to_ascii_lowercase(),
            client_id.trim().to_ascii_lowercase()
        ))
    }

    /// The token of the platform at `base_url`.
    pub fn platform(base_url: &str) -> EnteredFor {
        let trimmed = base_url.trim();
        let address = url::Url::parse(trimmed).map_or_else(
            |_| trimmed.to_ascii_lowercase(),
            |url| url.as_str().trim_end_matches('/').to_string(),
        );
        EnteredFor(format!("platform {address}"))
    }

    /// The password of `user` at the mail server `server`, port `port`.
    pub fn mail_server(server: &str, port: u16, user: &str) -> EnteredFor {
        EnteredFor(format!(
            "mail {}:{port} user {}",
            server.trim().to_ascii_lowercase(),
            user.trim()
        ))
    }

    /// What `profile`'s secret of `kind` must have been entered for; `Err` says what the
    /// profile lacks.
    pub fn of(profile: &Profile, kind: SecretKind) -> Result<EnteredFor, String> {
        match kind {
            SecretKind::Graph => {
                let cloud = profile.cloud().map_err(|error| error.to_string())?;
                Ok(EnteredFor::sign_in(
                    &cloud.authority_url(),
                    &cloud.graph_url(),
                    &profile.entra.tenant,
                    &profile.entra.client_id,
                ))
            }
            SecretKind::Target => profile
                .target
                .as_ref()
                .and_then(|target| target.url.as_deref())
                .map(EnteredFor::platform)
                .ok_or_else(|| {
                    format!(
                        "\"{}\" has no learning platform address yet. Set its SCIM address first, then store the token for it.",
                        profile.name
                    )
                }),
            SecretKind::Mail => profile
                .notify
                .email
                .as_ref()
                .and_then(|email| {
                    email.user.as_deref().map(|user| {
                        EnteredFor::mail_server(&email.server, email.port, user)
                    })
                })
                .ok_or_else(|| {
                    format!(
                        "\"{}\" has no mail server user yet. Set [notify.email] with its server and user first, then store the password for it.",
                        profile.name
                    )
                }),
        }
    }
}

/// `scheme://host:port` of an address, so that only where it goes counts.
fn origin(address: &str) -> String {
    let trimmed = address.trim();
    match url::Url::parse(trimmed) {
        Ok(url) => format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        ),
        Err(_) => trimmed.to_ascii_lowercase(),
    }
}

/// A keychain entry: the secret and what it was entered for.
#[derive(serde::Serialize, serde::Deserialize)]
struct Bound<T> {
    entered_for: T,
    value: T,
}

/// Why a stored secret cannot be used for a profile.
#[derive(Debug, thiserror::Error)]
pub enum SecretUseError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(
        "The client secret was entered for another tenant or app; enter it again. (The connection \"{profile}\" now signs in somewhere else than when its secret was stored, so Rollcall did not send it. Enter the secret in the connection's settings, or with `rollcall secret set {profile} graph`.)"
    )]
    SignInChanged { profile: String },
    #[error(
        "The learning platform's token was entered for another address; enter it again. (The connection \"{profile}\" now writes to another platform address than when its token was stored, so Rollcall did not send it. Enter the token in the connection's settings, or with `rollcall secret set {profile} target`.)"
    )]
    PlatformChanged { profile: String },
    #[error(
        "The mail password was entered for another mail server or user; enter it again with `rollcall secret set {profile} mail`. (The email settings of \"{profile}\" changed since it was stored, so Rollcall did not send it.)"
    )]
    MailServerChanged { profile: String },
    #[error("{0}")]
    Unknown(String),
}

/// Stores `secret` as `profile`'s secret of `kind`, bound to what it was entered for.
pub fn store_entered_for(
    store: &dyn SecretStore,
    profile: &str,
    kind: SecretKind,
    secret: &Secret,
    entered_for: &EnteredFor,
) -> Result<(), KeychainError> {
    let entry = serde_json::to_string(&Bound {
        entered_for: entered_for.0.as_str(),
        value: secret.expose(),
    })
    .map_err(|error| KeychainError::Rejected {
        detail: error.to_string(),
    })?;
    store.store(profile, kind, &Secret::new(entry))
}

/// Stores `secret` as `profile`'s secret of `kind`, bound to what the profile names now.
pub fn store_for_profile(
    store: &dyn SecretStore,
    profile: &Profile,
    kind: SecretKind,
    secret: &Secret,
) -> Result<(), SecretUseError> {
    let entered_for = EnteredFor::of(profile, kind).map_err(SecretUseError::Unknown)?;
    Ok(store_entered_for(
        store,
        &profile.name,
        kind,
        secret,
        &entered_for,
    )?)
}

/// `profile`'s secret of `kind`, ready to send: `None` when none is stored, an error when it
/// was entered for something other than what the profile names now (nothing is sent then).
pub fn read_for_profile(
    store: &dyn SecretStore,
    profile: &Profile,
    kind: SecretKind,
) -> Result<Option<Secret>, SecretUseError> {
    let Some(entry) = store.read(&profile.name, kind)? else {
        return Ok(None);
    };
    let changed = || match kind {
        SecretKind::Graph => SecretUseError::SignInChanged {
            profile: profile.name.clone(),
        },
        SecretKind::Target => SecretUseError::PlatformChanged {
            profile: profile.name.clone(),
        },
        SecretKind::Mail => SecretUseError::MailServerChanged {
            profile: profile.name.clone(),
        },
    };
    let wanted = EnteredFor::of(profile, kind).map_err(SecretUseError::Unknown)?;
    let bound: Bound<String> = serde_json::from_str(entry.expose()).map_err(|_| changed())?;
    let value = Secret::new(bound.value);
    if bound.entered_for == wanted.0 {
        Ok(Some(value))
    } else {
        Err(changed())
    }
}

/// Why the keychain could not be used, in words an admin can act on.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error(
        "The keyring is locked. Unlock it (on Linux: sign in to the desktop, or unlock the \"login\" keyring in Passwords and Keys) and try again."
    )]
    Locked,
    #[error(
        "This computer has no keychain Rollcall can use ({detail}). On Linux, install and start a Secret Service such as gnome-keyring or KWallet, then try again."
    )]
    Unavailable { detail: String },
    #[error("The keychain refused the secret: {detail}. Check the value and try again.")]
    Rejected { detail: String },
    #[error(
        "The keychain reported an error: {detail}. Try again; if it persists, restart the keychain service or sign out and in."
    )]
    Failed { detail: String },
}

/// Where secrets are kept. One entry per profile and kind.
pub trait SecretStore: Send + Sync {
    /// The stored secret, or `None` when there is none.
    fn read(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, KeychainError>;
    /// Stores (or replaces) a secret.
    fn store(&self, profile: &str, kind: SecretKind, secret: &Secret) -> Result<(), KeychainError>;
    /// Removes a secret; `false` when there was none.
    fn delete(&self, profile: &str, kind: SecretKind) -> Result<bool, KeychainError>;
}

/// The operating system's keychain: macOS Keychain, Windows Credential Manager, or the Secret
/// Service (gnome-keyring, KWallet) on Linux.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

/// The keychain service name Rollcall files its entries under.
pub const KEYCHAIN_SERVICE: &str = "app.rollcall";

impl Default for Keychain {
    fn default() -> Keychain {
        Keychain::new()
    }
}

impl Keychain {
    /// The keychain, with entries under [`KEYCHAIN_SERVICE`].
    pub fn new() -> Keychain {
        Keychain {
            service: KEYCHAIN_SERVICE.to_string(),
        }
    }

    /// The keychain with entries under another service name (tests keep theirs apart).
    pub fn with_service(service: impl Into<String>) -> Keychain {
        Keychain {
            service: service.into(),
        }
    }

    fn entry(&self, profile: &str, kind: SecretKind) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, &entry_name(profile, kind)).map_err(explain)
    }
}

fn entry_name(profile: &str, kind: SecretKind) -> String {
    format!("{profile}/{kind}")
}

fn explain(error: keyring::Error) -> KeychainError {
    let detail = error.to_string();
    let locked = detail.to_ascii_lowercase().contains("locked")
        || std::error::Error::source(&error)
            .is_some_and(|source| source.to_string().to_ascii_lowercase().contains("locked"));
    if locked {
        return KeychainError::Locked;
    }
    match error {
        keyring::Error::NoStorageAccess(source) => KeychainError::Unavailable {
            detail: source.to_string(),
        },
        keyring::Error::PlatformFailure(source) => {
            let detail = source.to_string();
            if detail.to_ascii_lowercase().contains("dbus")
                || detail.to_ascii_lowercase().contains("d-bus")
                || detail.to_ascii_lowercase().contains("secret service")
            {
                KeychainError::Unavailable { detail }
            } else {
                KeychainError::Failed { detail }
            }
        }
        keyring::Error::TooLong(..)
        | keyring::Error::Invalid(..)
        | keyring::Error::BadEncoding(_) => KeychainError::Rejected { detail },
        _ => KeychainError::Failed { detail },
    }
}

impl SecretStore for Keychain {
    fn read(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, KeychainError> {
        match self.entry(profile, kind)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(explain(error)),
        }
    }

    fn store(&self, profile: &str, kind: SecretKind, secret: &Secret) -> Result<(), KeychainError> {
        self.entry(profile, kind)?
            .set_password(secret.expose())
            .map_err(explain)
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<bool, KeychainError> {
        match self.entry(profile, kind)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(error) => Err(explain(error)),
        }
    }
}

/// A keychain kept in memory for the life of the value; for tests and previews.
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<String, Secret>>,
}

impl MemoryKeychain {
    pub fn new() -> MemoryKeychain {
        MemoryKeychain::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemoryKeychain {
    fn read(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, KeychainError> {
        Ok(self.entries().get(&entry_name(profile, kind)).cloned())
    }

    fn store(&self, profile: &str, kind: SecretKind, secret: &Secret) -> Result<(), KeychainError> {
        self.entries()
            .insert(entry_name(profile, kind), secret.clone());
        Ok(())
    }

    fn delete(&self, profile: &str, kind: SecretKind) -> Result<bool, KeychainError> {
        Ok(self.entries().remove(&entry_name(profile, kind)).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("abc8Q~very-secret-value");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
        assert_eq!(secret.expose(), "abc8Q~very-secret-value");
    }

    #[test]
    fn a_secret_wipes_its_value() {
        fn wiped_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        let mut secret = Secret::new("abc8Q~very-secret-value");
        wiped_on_drop(&secret);
        let copy = secret.clone();
        secret.zeroize();
        assert_eq!(secret.expose(), "", "the value is gone");
        assert_eq!(
            copy.expose(),
            "abc8Q~very-secret-value",
            "a clone is its own"
        );
    }

    #[test]
    fn memory_keychain_keeps_profiles_and_kinds_apart() {
        let store = MemoryKeychain::new();
        store
            .store("contoso", SecretKind::Graph, &Secret::new("g"))
            .unwrap();
        store
            .store("contoso", SecretKind::Target, &Secret::new("t"))
            .unwrap();
        assert_eq!(
            store.read("contoso", SecretKind::Graph).unwrap(),
            Some(Secret::new("g"))
        );
        assert_eq!(store.read("fabrikam", SecretKind::Graph).unwrap(), None);
        assert!(store.delete("contoso", SecretKind::Graph).unwrap());
        assert!(!store.delete("contoso", SecretKind::Graph).unwrap());
        assert_eq!(
            store.read("contoso", SecretKind::Target).unwrap(),
            Some(Secret::new("t"))
        );
    }

    #[test]
    fn kinds_parse_with_a_helpful_error() {
        assert_eq!("graph".parse::<SecretKind>(), Ok(SecretKind::Graph));
        assert!(
            "password"
                .parse::<SecretKind>()
                .unwrap_err()
                .contains("graph (the Entra client secret)")
        );
    }
}
