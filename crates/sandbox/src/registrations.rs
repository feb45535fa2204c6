//! App registrations: client ids, client secrets (value, secret ID, expiry), the Graph
//! application permissions each app requests (configured) and those an administrator
//! consented to (granted), and whether the app is enabled.

use chrono::{DateTime, Duration, Utc};

use crate::AppState;
use crate::random::Dice;

/// Application permission names this sandbox knows (Graph app roles).
pub const USER_READ_ALL: &str = "User.Read.All";
pub const GROUP_MEMBER_READ_ALL: &str = "GroupMember.Read.All";
pub const APPLICATION_READ_ALL: &str = "Application.Read.All";

/// One client secret.
#[derive(Debug, Clone)]
pub struct ClientSecret {
    pub value: String,
    /// The "Secret ID" the portal shows: the credential's keyId.
    pub key_id: String,
    pub display_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl ClientSecret {
    /// The first three characters, as Graph's `hint`.
    pub fn hint(&self) -> String {
        self.value.chars().take(3).collect()
    }
}

/// One app registration and its service principal in the tenant.
#[derive(Debug, Clone)]
pub struct Registration {
    pub name: String,
    pub client_id: String,
    /// The application object's id (`/applications/{id}`).
    pub object_id: String,
    /// The service principal's object id (`oid`/`sub` in tokens).
    pub principal_id: String,
    pub secrets: Vec<ClientSecret>,
    pub configured_roles: Vec<String>,
    pub granted_roles: Vec<String>,
    pub enabled: bool,
    /// The scenario this app was made for.
    pub state: AppState,
}

/// A portal-style secret value: three characters, a digit, `Q~`, then 34 more.
fn secret_value(dice: &mut Dice) -> String {
    const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const TAIL: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~.-";
    format!(
        "{}{}Q~{}",
        dice.text(ALPHA, 3),
        dice.text(b"0123456789", 1),
        dice.text(TAIL, 34)
    )
}

/// The scenario apps, deterministic from `seed`; expiry dates relative to `now`.
pub fn scenario_apps(seed: u64, now: DateTime<Utc>) -> Vec<Registration> {
    let mut dice = Dice::for_stream(seed, "apps");
    let both = || vec![USER_READ_ALL.to_string(), GROUP_MEMBER_READ_ALL.to_string()];
    type Spec = (&'static str, AppState, Vec<String>, Vec<String>, bool, i64);
    let specs: Vec<Spec> = vec![
        (
            "Rollcall Sync",
            AppState::Healthy,
            both(),
            both(),
            true,
            540,
        ),
        (
            "Rollcall Sync (awaiting consent)",
            AppState::NoConsent,
            both(),
            Vec::new(),
            true,
            540,
        ),
        (
            "Rollcall Sync (users only)",
            AppState::Partial,
            both(),
            vec![USER_READ_ALL.to_string()],
            true,
            540,
        ),
        (
            "Rollcall Sync (expired secret)",
            AppState::Expired,
            both(),
            both(),
            true,
            -3,
        ),
        (
            "Rollcall Sync (disabled)",
            AppState::Disabled,
            both(),
            both(),
            false,
            540,
        ),
        (
            "Rollcall Sync (reads its own expiry)",
            AppState::Healthy,
            {
                let mut roles = both();
                roles.push(APPLICATION_READ_ALL.to_string());
                roles
            },
            {
                let mut roles = both();
                roles.push(APPLICATION_READ_ALL.to_string());
                roles
            },
            true,
            10,
        ),
    ];
    specs
        .into_iter()
        .map(|(name, state, configured, granted, enabled, days_left)| {
            let end = now + Duration::days(days_left);
            let start = end
                - Duration::days(if days_left > 0 {
                    730 - days_left.min(700)
                } else {
                    365
                });
            let secret = ClientSecret {
                value: secret_value(&mut dice),
                key_id: dice.guid(),
                display_name: "rollcall".to_string(),
                start,
                end,
            };
            Registration {
                name: name.to_string(),
                client_id: dice.guid(),
                object_id: dice.guid(),
                principal_id: dice.guid(),
                secrets: vec![secret],
                configured_roles: configured,
                granted_roles: granted,
                enabled,
                state,
            }
        })
        .collect()
}

/// The state an app is in now, from its consent, secrets and enablement.
pub fn current_state(app: &Registration, now: DateTime<Utc>) -> AppState {
    if !app.enabled {
        AppState::Disabled
    } else if app.secrets.iter().all(|s| s.end <= now) {
        AppState::Expired
    } else if app.granted_roles.is_empty() {
        AppState::NoConsent
    } else if app
        .configured_roles
        .iter()
        .any(|r| !app.granted_roles.contains(r))
    {
        AppState::Partial
    } else {
        AppState::Healthy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_look_like_portal_secrets_and_states_match_the_scenarios() {
        let now = Utc::now();
        let apps = scenario_apps(1, now);
        for app in &apps {
            let value = &app.secrets[0].value;
            assert_eq!(&value[4..6], "Q~", "{value}");
            assert_eq!(value.len(), 40);
            assert_eq!(current_state(app, now), app.state, "{}", app.name);
        }
        assert_eq!(apps[0].client_id, scenario_apps(1, now)[0].client_id);
        assert_ne!(apps[0].client_id, scenario_apps(2, now)[0].client_id);
    }
}
