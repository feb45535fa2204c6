//! Steering a running sandbox, in process (`SandboxControl`) and over HTTP under
//! `/_sandbox/…` (JSON; the server only listens on 127.0.0.1): consent, app state, faults,
//! token lifetime, throttling quota, delta expiry, directory changes and request counters.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::directory::{ObjectRef, Removal, User};
use crate::faults::Faults;
use crate::{AppInfo, SandboxState, write};

/// Why a control operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no app registration has client id '{0}'; use a client_id from the sandbox's apps")]
    UnknownApp(String),
    #[error("no user has id or userPrincipalName '{0}'")]
    UnknownUser(String),
    #[error("no group has id '{0}'")]
    UnknownGroup(String),
    #[error("no directory object has id '{0}'")]
    UnknownObject(String),
    #[error("{0}")]
    Invalid(String),
}

/// A person to add. Only `display_name` is required; the address is made from it when
/// `user_principal_name` is not given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NewUser {
    pub display_name: String,
    pub user_principal_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub employee_id: Option<String>,
    /// Defaults to true.
    pub account_enabled: Option<bool>,
    /// Group ids the person becomes a direct member of.
    pub groups: Vec<String>,
    /// The manager's id or user principal name.
    pub manager: Option<String>,
}

/// Properties to change on a person; `None` leaves a property as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub office_location: Option<String>,
    pub employee_id: Option<String>,
    pub account_enabled: Option<bool>,
}

/// The person a control call created.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedUser {
    pub id: String,
    #[serde(rename = "userPrincipalName")]
    pub user_principal_name: String,
}

/// How many requests the sandbox has answered: all of them except control-API calls, and
/// by kind (`token`, `discovery`, `consent`, `users`, `users_delta`, `groups`,
/// `groups_delta`, `members`, `transitive_members`, `manager`, `applications`, `throttled`,
/// `fault_429`, `fault_503`, `fault_504`, `fault_dropped`, `control`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestCounters {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
}

impl RequestCounters {
    pub fn kind(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).copied().unwrap_or(0)
    }
}

/// A handle on a running sandbox; cheap to clone.
#[derive(Clone)]
pub struct SandboxControl {
    state: Arc<SandboxState>,
}

impl SandboxControl {
    pub(crate) fn new(state: Arc<SandboxState>) -> Self {
        Self { state }
    }

    fn with_app(
        &self,
        client_id: &str,
        change: impl FnOnce(&mut crate::registrations::Registration),
    ) -> Result<(), ControlError> {
        let mut apps = write(&self.state.apps);
        let app = apps
            .iter_mut()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
            .ok_or_else(|| ControlError::UnknownApp(client_id.to_string()))?;
        change(app);
        Ok(())
    }

    /// The app registrations as they are now.
    pub fn apps(&self) -> Vec<AppInfo> {
        self.state.app_infos()
    }

    /// Makes every client secret of the app expired, as when its end date has passed: the
    /// sign-in then answers AADSTS7000222.
    pub fn expire_secrets(&self, client_id: &str) -> Result<(), ControlError> {
        let ended = chrono::Utc::now() - chrono::Duration::days(1);
        self.with_app(client_id, |app| {
            for secret in &mut app.secrets {
                secret.end = ended;
            }
        })
    }

    /// Admin consent: grants every configured role. Tokens issued before keep their roles.
    pub fn grant_consent(&self, client_id: &str) -> Result<(), ControlError> {
        self.with_app(client_id, |app| {
            app.granted_roles = app.configured_roles.clone()
        })
    }

    /// Withdraws every granted role.
    pub fn revoke_consent(&self, client_id: &str) -> Result<(), ControlError> {
        self.with_app(client_id, |app| app.granted_roles.clear())
    }

    /// Sets the permissions the app requests (not granted until consent).
    pub fn set_configured_roles(
        &self,
        client_id: &str,
        roles: Vec<String>,
    ) -> Result<(), ControlError> {
        self.with_app(client_id, |app| app.configured_roles = roles)
    }

    /// Sets the granted permissions directly.
    pub fn set_granted_roles(
        &self,
        client_id: &str,
        roles: Vec<String>,
    ) -> Result<(), ControlError> {
        self.with_app(client_id, |app| app.granted_roles = roles)
    }

    pub fn set_app_enabled(&self, client_id: &str, enabled: bool) -> Result<(), ControlError> {
        self.with_app(client_id, |app| app.enabled = enabled)
    }

    /// Faults for Graph requests from now on.
    pub fn set_faults(&self, faults: Faults) -> Result<(), ControlError> {
        for (name, rate) in [
            ("throttle_rate", faults.throttle_rate),
            ("unavailable_rate", faults.unavailable_rate),
            ("timeout_rate", faults.timeout_rate),
            ("drop_rate", faults.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ControlError::Invalid(format!(
                    "{name} must be between 0.0 and 1.0, not {rate}"
                )));
            }
        }
        self.state.update_settings(|s| s.faults = faults);
        Ok(())
    }

    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    /// Restarts the fault draws from `seed`, so a run can be repeated exactly.
    pub fn set_fault_seed(&self, seed: u64) {
        self.state.reseed_faults(seed);
    }

    /// Lifetime of tokens issued from now on (expires_in).
    pub fn set_token_lifetime(&self, seconds: i64) -> Result<(), ControlError> {
        if seconds < 1 {
            return Err(ControlError::Invalid(format!(
                "a token lifetime must be at least 1 second, not {seconds}"
            )));
        }
        self.state.update_settings(|s| s.token_lifetime = seconds);
        Ok(())
    }

    /// Resource units per 10 s per app (`None`: by tenant size, as Graph does).
    pub fn set_throttle_quota(&self, quota: Option<f64>) -> Result<(), ControlError> {
        if quota.is_some_and(|q| q < 1.0) {
            return Err(ControlError::Invalid(
                "a throttling quota must be at least 1".into(),
            ));
        }
        self.state.update_settings(|s| s.throttle_quota = quota);
        crate::lock(&self.state.throttle).reset();
        Ok(())
    }

    /// Every delta and skip token issued so far answers 410 from now on.
    pub fn expire_delta_tokens(&self) {
        self.state.update_settings(|s| s.delta_generation += 1);
    }

    /// Adds a person; returns their id and userPrincipalName.
    pub fn add_user(&self, user: NewUser) -> Result<CreatedUser, ControlError> {
        if user.display_name.trim().is_empty() {
            return Err(ControlError::Invalid(
                "a new user needs a display_name".into(),
            ));
        }
        let mut directory = write(&self.state.directory);
        let domain = self.state.identity.domain.clone();
        let upn = match user.user_principal_name {
            Some(upn) => upn,
            None => {
                let local: String = user
                    .display_name
                    .to_lowercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(".")
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                let local = if local.is_empty() {
                    "new.user".to_string()
                } else {
                    local
                };
                let mut candidate = format!("{local}@{domain}");
                let mut n = 1;
                while directory.find_user(&candidate).is_some() {
                    n += 1;
                    candidate = format!("{local}{n}@{domain}");
                }
                candidate
            }
        };
        if directory.find_user(&upn).is_some() {
            return Err(ControlError::Invalid(format!(
                "another user already has userPrincipalName '{upn}'"
            )));
        }
        let mut groups = Vec::new();
        for group in &user.groups {
            groups.push(
                directory
                    .find_group(group)
                    .ok_or_else(|| ControlError::UnknownGroup(group.clone()))?,
            );
        }
        let manager = match &user.manager {
            Some(key) => Some(
                directory
                    .find_user(key)
                    .ok_or_else(|| ControlError::UnknownUser(key.clone()))?,
            ),
            None => None,
        };
        let id = self.state.request_guid();
        let nickname = upn.split('@').next().unwrap_or_default().to_string();
        let index = directory.insert_user(User {
            id: id.clone(),
            user_principal_name: upn.clone(),
            display_name: user.display_name,
            given_name: user.given_name,
            surname: user.surname,
            mail: user.mail.or_else(|| Some(upn.clone())),
            mail_nickname: nickname,
            job_title: user.job_title,
            department: user.department,
            office_location: None,
            country: None,
            city: None,
            usage_location: None,
            preferred_language: None,
            employee_id: user.employee_id,
            employee_type: Some("Employee".into()),
            employee_hire_date: None,
            company_name: None,
            mobile_phone: None,
            business_phones: Vec::new(),
            account_enabled: user.account_enabled.unwrap_or(true),
            user_type: "Member".into(),
            creation_type: None,
            external_user_state: None,
            other_mails: Vec::new(),
            created_date_time: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            manager,
            changed: 0,
            removed: None,
        });
        for group in groups {
            directory.add_member(group, ObjectRef::user(index));
        }
        Ok(CreatedUser {
            id,
            user_principal_name: upn,
        })
    }

    /// Changes a person's properties.
    pub fn update_user(&self, key: &str, changes: UserChanges) -> Result<(), ControlError> {
        let mut directory = write(&self.state.directory);
        let index = directory
            .find_user(key)
            .ok_or_else(|| ControlError::UnknownUser(key.to_string()))?;
        let old_upn = directory.users[index].user_principal_name.clone();
        let user = &mut directory.users[index];
        let set = |field: &mut Option<String>, value: Option<String>| {
            if let Some(value) = value {
                *field = if value.is_empty() { None } else { Some(value) };
            }
        };
        if let Some(name) = changes.display_name {
            user.display_name = name;
        }
        set(&mut user.given_name, changes.given_name);
        set(&mut user.surname, changes.surname);
        set(&mut user.mail, changes.mail);
        set(&mut user.department, changes.department);
        set(&mut user.job_title, changes.job_title);
        set(&mut user.office_location, changes.office_location);
        set(&mut user.employee_id, changes.employee_id);
        if let Some(enabled) = changes.account_enabled {
            user.account_enabled = enabled;
        }
        directory.touch_user(index, &old_upn);
        Ok(())
    }

    /// Blocks sign-in (`accountEnabled: false`).
    pub fn disable_user(&self, key: &str) -> Result<(), ControlError> {
        self.update_user(
            key,
            UserChanges {
                account_enabled: Some(false),
                ..UserChanges::default()
            },
        )
    }

    /// Deletes a person: soft (restorable, delta says `changed`) or permanent (`deleted`).
    pub fn delete_user(&self, key: &str, permanent: bool) -> Result<(), ControlError> {
        let mut directory = write(&self.state.directory);
        let index = directory
            .find_user(key)
            .ok_or_else(|| ControlError::UnknownUser(key.to_string()))?;
        let removal = if permanent {
            Removal::Deleted
        } else {
            Removal::Changed
        };
        directory.remove_user(index, removal);
        Ok(())
    }

    /// Makes an object (user, group, device…) a direct member of a group.
    pub fn add_group_member(&self, group: &str, member: &str) -> Result<bool, ControlError> {
        let mut directory = write(&self.state.directory);
        let g = directory
            .find_group(group)
            .ok_or_else(|| ControlError::UnknownGroup(group.to_string()))?;
        let m = directory
            .find_object(member)
            .ok_or_else(|| ControlError::UnknownObject(member.to_string()))?;
        Ok(directory.add_member(g, m))
    }

    pub fn remove_group_member(&self, group: &str, member: &str) -> Result<bool, ControlError> {
        let mut directory = write(&self.state.directory);
        let g = directory
            .find_group(group)
            .ok_or_else(|| ControlError::UnknownGroup(group.to_string()))?;
        let m = directory
            .find_object(member)
            .ok_or_else(|| ControlError::UnknownObject(member.to_string()))?;
        Ok(directory.remove_member(g, m))
    }

    /// Deletes a group: reads of it answer 404, it leaves the groups it was nested in, and
    /// group delta reports it removed.
    pub fn delete_group(&self, group: &str) -> Result<(), ControlError> {
        let mut directory = write(&self.state.directory);
        let index = directory
            .find_group(group)
            .ok_or_else(|| ControlError::UnknownGroup(group.to_string()))?;
        directory.remove_group(index);
        Ok(())
    }

    /// The id of the first live group with this display name.
    pub fn group_id(&self, display_name: &str) -> Option<String> {
        let directory = crate::read(&self.state.directory);
        directory
            .groups
            .iter()
            .enumerate()
            .find(|(index, g)| {
                g.display_name.eq_ignore_ascii_case(display_name)
                    && !directory.deleted_groups.contains(index)
            })
            .map(|(_, g)| g.id.clone())
    }

    pub fn counters(&self) -> RequestCounters {
        self.state.counters()
    }

    pub fn reset_counters(&self) {
        self.state.reset_counters();
    }
}

fn answer<T: Serialize>(result: Result<T, ControlError>) -> Response {
    match result {
        Ok(value) => axum::Json(json!(value)).into_response(),
        Err(error) => {
            let status = match error {
                ControlError::Invalid(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::NOT_FOUND,
            };
            (status, axum::Json(json!({"error": error.to_string()}))).into_response()
        }
    }
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ControlError::Invalid(format!("the request body is not the expected JSON: {e}"))
    })
}

type Shared = State<Arc<SandboxState>>;

fn control(state: &Arc<SandboxState>) -> SandboxControl {
    state.count("control");
    SandboxControl::new(state.clone())
}

#[derive(Deserialize)]
struct Roles {
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Deserialize)]
struct Seconds {
    seconds: i64,
}

#[derive(Deserialize)]
struct Quota {
    quota: Option<f64>,
}

#[derive(Deserialize)]
struct Seed {
    seed: u64,
}

#[derive(Deserialize)]
struct Member {
    id: String,
}

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/_sandbox/apps", get(|State(s): Shared| async move { answer(Ok::<_, ControlError>(control(&s).apps())) }))
        .route(
            "/_sandbox/apps/{client_id}/consent",
            post(|State(s): Shared, Path(id): Path<String>| async move { answer(control(&s).grant_consent(&id)) })
                .delete(|State(s): Shared, Path(id): Path<String>| async move { answer(control(&s).revoke_consent(&id)) }),
        )
        .route(
            "/_sandbox/apps/{client_id}/roles",
            put(|State(s): Shared, Path(id): Path<String>, b: Bytes| async move {
                answer(body::<Roles>(&b).and_then(|r| control(&s).set_configured_roles(&id, r.roles)))
            }),
        )
        .route(
            "/_sandbox/apps/{client_id}/granted-roles",
            put(|State(s): Shared, Path(id): Path<String>, b: Bytes| async move {
                answer(body::<Roles>(&b).and_then(|r| control(&s).set_granted_roles(&id, r.roles)))
            }),
        )
        .route(
            "/_sandbox/apps/{client_id}/enabled",
            put(|State(s): Shared, Path(id): Path<String>, b: Bytes| async move {
                answer(body::<Enabled>(&b).and_then(|e| control(&s).set_app_enabled(&id, e.enabled)))
            }),
        )
        .route(
            "/_sandbox/apps/{client_id}/expire-secrets",
            post(|State(s): Shared, Path(id): Path<String>| async move { answer(control(&s).expire_secrets(&id)) }),
        )
        .route(
            "/_sandbox/faults",
            get(|State(s): Shared| async move { answer(Ok::<_, ControlError>(control(&s).faults())) })
                .put(|State(s): Shared, b: Bytes| async move { answer(body::<Faults>(&b).and_then(|f| control(&s).set_faults(f))) }),
        )
        .route(
            "/_sandbox/faults/seed",
            put(|State(s): Shared, b: Bytes| async move {
                answer(body::<Seed>(&b).map(|seed| control(&s).set_fault_seed(seed.seed)))
            }),
        )
        .route(
            "/_sandbox/token-lifetime",
            put(|State(s): Shared, b: Bytes| async move {
                answer(body::<Seconds>(&b).and_then(|t| control(&s).set_token_lifetime(t.seconds)))
            }),
        )
        .route(
            "/_sandbox/throttle",
            put(|State(s): Shared, b: Bytes| async move {
                answer(body::<Quota>(&b).and_then(|q| control(&s).set_throttle_quota(q.quota)))
            }),
        )
        .route(
            "/_sandbox/delta/expire",
            post(|State(s): Shared| async move { {
                control(&s).expire_delta_tokens();
                answer(Ok::<_, ControlError>(json!({})))
            } }),
        )
        .route(
            "/_sandbox/users",
            post(|State(s): Shared, b: Bytes| async move {
                match body::<NewUser>(&b).and_then(|u| control(&s).add_user(u)) {
                    Ok(created) => (StatusCode::CREATED, axum::Json(json!(created))).into_response(),
                    Err(error) => answer::<()>(Err(error)),
                }
            }),
        )
        .route(
            "/_sandbox/users/{key}",
            axum::routing::patch(|State(s): Shared, Path(key): Path<String>, b: Bytes| async move {
                answer(body::<UserChanges>(&b).and_then(|c| control(&s).update_user(&key, c)))
            })
            .delete(|State(s): Shared, Path(key): Path<String>, RawQuery(q): RawQuery| async move {
                let permanent = q.unwrap_or_default().contains("permanent=true");
                answer(control(&s).delete_user(&key, permanent))
            }),
        )
        .route(
            "/_sandbox/users/{key}/disable",
            post(|State(s): Shared, Path(key): Path<String>| async move { answer(control(&s).disable_user(&key)) }),
        )
        .route(
            "/_sandbox/groups/{group}",
            axum::routing::delete(|State(s): Shared, Path(group): Path<String>| async move {
                answer(control(&s).delete_group(&group))
            }),
        )
        .route(
            "/_sandbox/groups/{group}/members",
            post(|State(s): Shared, Path(group): Path<String>, b: Bytes| async move {
                answer(body::<Member>(&b).and_then(|m| control(&s).add_group_member(&group, &m.id)))
            }),
        )
        .route(
            "/_sandbox/groups/{group}/members/{member}",
            axum::routing::delete(|State(s): Shared, Path((group, member)): Path<(String, String)>| async move {
                answer(control(&s).remove_group_member(&group, &member))
            }),
        )
        .route(
            "/_sandbox/counters",
            get(|State(s): Shared| async move { answer(Ok::<_, ControlError>(s.counters())) })
                .delete(|State(s): Shared| async move { {
                s.reset_counters();
                answer(Ok::<_, ControlError>(json!({})))
            } }),
        )
}
