//! The connection verdict: input checks → tenant discovery → token → permissions → test reads
//! → secret expiry, collected into one [`CheckReport`] (the `check` JSON). Endpoints come from
//! the cloud, time from an injected clock, and timeouts from [`HttpSettings`], so tests run
//! against a local sandbox in well under a second. Never panics, never prints.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::auth::{AppSignIn, TokenSource};
use crate::clock::{Clock, SystemClock};
use crate::cloud::Cloud;
use crate::credentials::{InputFault, TenantRef, check_credentials};
use crate::diagnosis::{Diagnosis, Service, Severity};
use crate::discovery::discover;
use crate::expiry::{ExpirySource, expiry_diagnosis, expiry_from_graph};
use crate::network::{HttpSettings, http_client};
use crate::permissions::{PermissionReport, READ_APPLICATIONS, roles_in_token};
use crate::probe::run_probes;
use crate::profile::Profile;
use crate::secret::{Secret, SecretKind, SecretStore, SecretUseError};

/// What the admin entered for one connection.
#[derive(Debug, Clone)]
pub struct ConnectionInput {
    pub cloud: Cloud,
    /// Tenant ID, domain, or a pasted link naming one.
    pub tenant: String,
    /// Application (client) ID, or a pasted link naming one.
    pub client_id: String,
    /// The client secret's Value; `None` when none was entered or stored.
    pub secret: Option<Secret>,
    /// The expiry date the admin center showed, if entered.
    pub secret_expires: Option<NaiveDate>,
    /// The group whose members the test read lists (the first group Graph lists when `None`).
    pub probe_group: Option<String>,
}

impl ConnectionInput {
    /// The connection described by a profile, with its secret from `secrets`. A keychain that
    /// cannot be read is a finding of its own.
    pub fn from_profile(
        profile: &Profile,
        secrets: &dyn SecretStore,
    ) -> Result<ConnectionInput, Diagnosis> {
        let cloud = profile
            .cloud()
            .map_err(|error| Diagnosis::unexpected_response(Service::SignIn, &error.to_string()))?;
        let secret = crate::secret::read_for_profile(secrets, profile, SecretKind::Graph).map_err(
            |error| match error {
                SecretUseError::Keychain(error) => Diagnosis::keychain_unavailable(error.to_string()),
                other => Diagnosis::secret_missing(
                    other.to_string(),
                    "Store the app's client secret Value again for this connection (in the connection settings, or with `rollcall secret set NAME graph`). To get one: in the Entra admin center, open App registrations → your Rollcall app → Certificates & secrets and create a new client secret.".replace("NAME", &profile.name),
                    &cloud.links(Some(&profile.entra.client_id)),
                ),
            },
        )?;
        Ok(ConnectionInput {
            cloud,
            tenant: profile.entra.tenant.clone(),
            client_id: profile.entra.client_id.clone(),
            secret,
            secret_expires: profile.entra.secret_expires,
            probe_group: profile.scope.include_groups.first().cloned(),
        })
    }
}

/// How a check runs: timeouts and the clock.
#[derive(Clone)]
pub struct CheckOptions {
    pub http: HttpSettings,
    pub clock: Arc<dyn Clock>,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            http: HttpSettings::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for CheckOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckOptions")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// The tenant as the check found it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TenantSummary {
    /// The tenant ID, once discovery found it.
    pub id: Option<String>,
    /// The tenant's name as entered (its domain), when known.
    pub name: Option<String>,
    /// The cloud the connection is set to (`global`, `usgov`, `usgov-dod`, `china`, `custom`).
    pub cloud: String,
}

/// The verdict. Serializes as the `check` JSON:
/// `{"ok", "tenant": {"id", "name", "cloud"}, "permissions": {"granted", "missing"}, "diagnoses"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CheckReport {
    /// True when nothing stops the connection from working (warnings and notes allowed).
    pub ok: bool,
    pub tenant: TenantSummary,
    pub permissions: PermissionReport,
    /// Findings, errors first.
    pub diagnoses: Vec<Diagnosis>,
    /// The client secret's expiry date, when known.
    #[serde(default)]
    pub secret_expires: Option<NaiveDate>,
}

impl CheckReport {
    fn new(cloud: &Cloud) -> CheckReport {
        CheckReport {
            ok: false,
            tenant: TenantSummary {
                id: None,
                name: None,
                cloud: cloud.key().to_string(),
            },
            permissions: PermissionReport::default(),
            diagnoses: Vec::new(),
            secret_expires: None,
        }
    }

    /// A report that stopped before the check began (a profile that could not be read, a
    /// keychain that is locked).
    pub fn stopped(cloud: &Cloud, diagnosis: Diagnosis) -> CheckReport {
        let mut report = CheckReport::new(cloud);
        report.add(diagnosis);
        report.finish()
    }

    fn add(&mut self, diagnosis: Diagnosis) {
        let repeated = self
            .diagnoses
            .iter()
            .any(|seen| seen.code == diagnosis.code && seen.title == diagnosis.title);
        if !repeated {
            self.diagnoses.push(diagnosis);
        }
    }

    fn finish(mut self) -> CheckReport {
        self.diagnoses
            .sort_by_key(|diagnosis| std::cmp::Reverse(diagnosis.severity));
        self.ok = !self
            .diagnoses
            .iter()
            .any(|diagnosis| diagnosis.severity == Severity::Error);
        self
    }

    /// Whether any finding is an error or a warning.
    pub fn has_warnings(&self) -> bool {
        self.diagnoses
            .iter()
            .any(|diagnosis| diagnosis.severity >= Severity::Warning)
    }
}

/// Checks the connection of a profile, with its secret from `secrets`.
pub async fn check_profile(
    profile: &Profile,
    secrets: &dyn SecretStore,
    options: &CheckOptions,
) -> CheckReport {
    match ConnectionInput::from_profile(profile, secrets) {
        Ok(input) => check_connection(&input, options).await,
        Err(diagnosis) => {
            let cloud = profile.cloud().unwrap_or(Cloud::Global);
            CheckReport::stopped(&cloud, diagnosis)
        }
    }
}

/// Runs every check in order and returns the verdict. Stops at the first stage that fails,
/// because later stages cannot run without it (no token without a tenant, and so on).
pub async fn check_connection(input: &ConnectionInput, options: &CheckOptions) -> CheckReport {
    let cloud = &input.cloud;
    let mut report = CheckReport::new(cloud);
    let secret_text = input.secret.as_ref().map_or("", Secret::expose);
    let credentials = match check_credentials(&input.tenant, &input.client_id, secret_text) {
        Ok(credentials) => credentials,
        Err(problems) => {
            let client = crate::credentials::parse_client_id(&input.client_id)
                .ok()
                .map(|id| id.to_string());
            let links = cloud.links(client.as_deref());
            for problem in problems {
                let diagnosis = match (problem.fault, &input.secret) {
                    (InputFault::SecretMissing, None) => Diagnosis::secret_missing(
                        "No client secret has been stored for this connection.",
                        "Store the app's client secret Value in Rollcall (in the connection settings, or with `rollcall secret set NAME graph`). To get one: in the Entra admin center, open App registrations → your Rollcall app → Certificates & secrets and create a new client secret.",
                        &links,
                    ),
                    _ => problem.to_diagnosis(&links),
                };
                report.add(diagnosis);
            }
            return report.finish();
        }
    };
    let client_id = credentials.client_id.to_string();
    let links = cloud.links(Some(&client_id));
    if let TenantRef::Domain(domain) = &credentials.tenant {
        report.tenant.name = Some(domain.clone());
    }
    let http = match http_client(options.http) {
        Ok(http) => http,
        Err(error) => {
            report.add(Diagnosis::unexpected_response(
                Service::SignIn,
                &error.to_string(),
            ));
            return report.finish();
        }
    };

    let found = match discover(&http, cloud, &credentials.tenant, &links).await {
        Ok(found) => found,
        Err(diagnosis) => {
            report.add(diagnosis);
            return report.finish();
        }
    };
    let tenant_id = found.tenant_id.hyphenated().to_string();
    report.tenant.id = Some(tenant_id.clone());

    let sign_in = AppSignIn {
        cloud: cloud.clone(),
        tenant: TenantRef::Id(found.tenant_id),
        client_id: credentials.client_id,
        secret: credentials.secret.clone(),
    };
    let tokens = TokenSource::new(sign_in.clone(), http.clone(), options.clock.clone());
    let token = match tokens.token().await {
        Ok(token) => token,
        Err(error) => {
            report.add(error.to_diagnosis(&sign_in, &links));
            return report.finish();
        }
    };

    let roles = match roles_in_token(token.bearer()) {
        Ok(roles) => Some(roles),
        Err(error) => {
            report.add(Diagnosis::unexpected_response(
                Service::SignIn,
                &error.to_string(),
            ));
            None
        }
    };
    let granted = roles.clone().unwrap_or_default();
    if roles.is_some() {
        report.permissions = PermissionReport::assess(&granted);
        let consent_url = cloud.admin_consent_url(&tenant_id, &client_id);
        for diagnosis in report.permissions.diagnoses(&links, consent_url) {
            report.add(diagnosis);
        }
    }
    // With no permission at all every read is refused; the consent finding says it all.
    if roles.as_ref().is_none_or(|roles| !roles.is_empty()) {
        let graph_url = cloud.graph_url();
        let outcome = run_probes(
            &http,
            &graph_url,
            &token,
            input.probe_group.as_deref(),
            &links,
        )
        .await;
        for diagnosis in outcome.diagnoses {
            report.add(diagnosis);
        }
    }

    let mut expires = input
        .secret_expires
        .map(|date| (date, ExpirySource::Entered));
    if READ_APPLICATIONS.met_by(&granted)
        && let Ok(Some(end)) = expiry_from_graph(
            &http,
            &cloud.graph_url(),
            &token,
            &sign_in.client_id,
            &sign_in.secret,
        )
        .await
    {
        expires = Some((end.date_naive(), ExpirySource::Graph));
    }
    match expires {
        Some((date, source)) => {
            report.secret_expires = Some(date);
            if let Some(diagnosis) = expiry_diagnosis(date, source, options.clock.now(), &links) {
                report.add(diagnosis);
            }
        }
        None => report.add(Diagnosis::secret_expiry_unknown(&links)),
    }
    report.finish()
}
