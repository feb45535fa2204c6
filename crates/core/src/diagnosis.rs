//! What the connection doctor tells an admin: one [`Diagnosis`] per problem, each with a stable
//! code for scripts, a plain-words title, the cause, the exact fix and a link to the page where
//! the fix is made. Every code has exactly one constructor here, so the wording lives in one place.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cloud::PortalLinks;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something to know; the connection works.
    Info,
    /// The connection works today but needs attention soon.
    Warning,
    /// The connection does not work until this is fixed.
    Error,
}

/// The stable identity of a finding. Scripts match on these strings; they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisCode {
    /// The tenant entered is not a tenant ID or domain (or the sign-in service said so).
    TenantMalformed,
    /// The client ID entered is not a GUID.
    ClientIdMalformed,
    /// No secret was entered, or none is stored for this profile.
    SecretMissing,
    /// The secret entered is the Secret ID (a GUID), not the secret's Value.
    SecretIdSent,
    /// The secret entered has the wrong shape (masked, quoted, line breaks...).
    SecretMalformed,
    /// The keychain could not be read or written.
    KeychainUnavailable,
    /// No tenant with that ID or domain exists in this cloud.
    TenantNotFound,
    /// The tenant lives in another Microsoft cloud than the one chosen.
    WrongCloud,
    /// The secret value is not valid for this app.
    SecretWrong,
    /// The secret has expired.
    SecretExpired,
    /// The secret expires within 30 days.
    SecretExpiring,
    /// The expiry date of the secret is not known.
    SecretExpiryUnknown,
    /// The client ID names no app registration in this tenant.
    AppNotInTenant,
    /// The app (its enterprise application) is disabled.
    AppDisabled,
    /// The sign-in service refused the request for another reason.
    TokenRefused,
    /// The token carries no application permissions at all: admin consent was not granted.
    AdminConsentMissing,
    /// `User.Read.All` is not granted.
    UserReadMissing,
    /// Neither `GroupMember.Read.All` nor `Group.Read.All` is granted.
    GroupReadMissing,
    /// `User-LifeCycleInfo.Read.All` is not granted (optional).
    LifecycleReadMissing,
    /// Graph answered 403 to a test read.
    GraphForbidden,
    /// Graph answered 401 to a test read.
    GraphUnauthorized,
    /// Graph answered 404 to a test read.
    GraphNotFound,
    /// Graph asked Rollcall to slow down (429).
    GraphThrottled,
    /// Graph (or the sign-in service) answered with a server error.
    ServiceUnavailable,
    /// The server could not be reached at all.
    NetworkUnreachable,
    /// A secure (TLS) connection could not be set up.
    TlsFailure,
    /// The server did not answer in time (or a gateway gave up: 504).
    TimedOut,
    /// The server answered with something Rollcall does not understand.
    UnexpectedResponse,
    /// No token for the learning platform is stored.
    TargetTokenMissing,
    /// The learning platform answered 401: the token is wrong or expired.
    TargetTokenRejected,
    /// The learning platform answered 403: the token lacks rights.
    TargetForbidden,
    /// The target address is not a SCIM service (404, or a web page instead of SCIM).
    TargetNotScim,
    /// The learning platform does not support SCIM filters.
    TargetNoFilter,
    /// The learning platform answered with a server error (5xx).
    TargetUnavailable,
    /// The app holds permissions broader than Rollcall needs (write access to the directory).
    PermissionsTooBroad,
}

impl DiagnosisCode {
    /// The snake_case string scripts see.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosisCode::TenantMalformed => "tenant_malformed",
            DiagnosisCode::ClientIdMalformed => "client_id_malformed",
            DiagnosisCode::SecretMissing => "secret_missing",
            DiagnosisCode::SecretIdSent => "secret_id_sent",
            DiagnosisCode::SecretMalformed => "secret_malformed",
            DiagnosisCode::KeychainUnavailable => "keychain_unavailable",
            DiagnosisCode::TenantNotFound => "tenant_not_found",
            DiagnosisCode::WrongCloud => "wrong_cloud",
            DiagnosisCode::SecretWrong => "secret_wrong",
            DiagnosisCode::SecretExpired => "secret_expired",
            DiagnosisCode::SecretExpiring => "secret_expiring",
            DiagnosisCode::SecretExpiryUnknown => "secret_expiry_unknown",
            DiagnosisCode::AppNotInTenant => "app_not_in_tenant",
            DiagnosisCode::AppDisabled => "app_disabled",
            DiagnosisCode::TokenRefused => "token_refused",
            DiagnosisCode::AdminConsentMissing => "admin_consent_missing",
            DiagnosisCode::UserReadMissing => "user_read_missing",
            DiagnosisCode::GroupReadMissing => "group_read_missing",
            DiagnosisCode::LifecycleReadMissing => "lifecycle_read_missing",
            DiagnosisCode::GraphForbidden => "graph_forbidden",
            DiagnosisCode::GraphUnauthorized => "graph_unauthorized",
            DiagnosisCode::GraphNotFound => "graph_not_found",
            DiagnosisCode::GraphThrottled => "graph_throttled",
            DiagnosisCode::ServiceUnavailable => "service_unavailable",
            DiagnosisCode::NetworkUnreachable => "network_unreachable",
            DiagnosisCode::TlsFailure => "tls_failure",
            DiagnosisCode::TimedOut => "timed_out",
            DiagnosisCode::UnexpectedResponse => "unexpected_response",
            DiagnosisCode::TargetTokenMissing => "target_token_missing",
            DiagnosisCode::TargetTokenRejected => "target_token_rejected",
            DiagnosisCode::TargetForbidden => "target_forbidden",
            DiagnosisCode::TargetNotScim => "target_not_scim",
            DiagnosisCode::TargetNoFilter => "target_no_filter",
            DiagnosisCode::TargetUnavailable => "target_unavailable",
            DiagnosisCode::PermissionsTooBroad => "permissions_too_broad",
        }
    }

    /// How serious findings with this code are.
    pub fn severity(self) -> Severity {
        match self {
            DiagnosisCode::TenantMalformed
            | DiagnosisCode::ClientIdMalformed
            | DiagnosisCode::SecretMissing
            | DiagnosisCode::SecretIdSent
            | DiagnosisCode::SecretMalformed
            | DiagnosisCode::KeychainUnavailable
            | DiagnosisCode::TenantNotFound
            | DiagnosisCode::WrongCloud
            | DiagnosisCode::SecretWrong
            | DiagnosisCode::SecretExpired
            | DiagnosisCode::AppNotInTenant
            | DiagnosisCode::AppDisabled
            | DiagnosisCode::TokenRefused
            | DiagnosisCode::AdminConsentMissing
            | DiagnosisCode::UserReadMissing
            | DiagnosisCode::GroupReadMissing
            | DiagnosisCode::GraphForbidden
            | DiagnosisCode::GraphUnauthorized
            | DiagnosisCode::GraphNotFound
            | DiagnosisCode::ServiceUnavailable
            | DiagnosisCode::NetworkUnreachable
            | DiagnosisCode::TlsFailure
            | DiagnosisCode::TimedOut
            | DiagnosisCode::UnexpectedResponse
            | DiagnosisCode::TargetTokenMissing
            | DiagnosisCode::TargetTokenRejected
            | DiagnosisCode::TargetForbidden
            | DiagnosisCode::TargetNotScim
            | DiagnosisCode::TargetUnavailable => Severity::Error,
            DiagnosisCode::SecretExpiring
            | DiagnosisCode::GraphThrottled
            | DiagnosisCode::TargetNoFilter
            | DiagnosisCode::PermissionsTooBroad => Severity::Warning,
            DiagnosisCode::SecretExpiryUnknown | DiagnosisCode::LifecycleReadMissing => {
                Severity::Info
            }
        }
    }
}

impl fmt::Display for DiagnosisCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of the connection doctor. Serializes with exactly these field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Diagnosis {
    /// Stable code for scripts.
    pub code: DiagnosisCode,
    /// error, warning or info.
    pub severity: Severity,
    /// One line in plain words.
    pub title: String,
    /// What went wrong, with the details the service gave.
    pub cause: String,
    /// What to do, step by step.
    pub fix: String,
    /// The page where the fix is made, when there is one.
    pub link: Option<String>,
}

/// Where a network problem happened, so the message can name the right service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The Microsoft sign-in service (discovery and tokens).
    SignIn,
    /// Microsoft Graph.
    Graph,
    /// The learning platform's SCIM service.
    LearningPlatform,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::SignIn => "the Microsoft sign-in service",
            Service::Graph => "Microsoft Graph",
            Service::LearningPlatform => "the learning platform",
        }
    }
}

const TARGET_TOKEN_HOWTO: &str = "In the learning platform's admin settings, open its SCIM or user provisioning page and create (or copy) an API token for provisioning. Store it with `rollcall secret set NAME target` (or in the connection's settings in the window), then check again.";

const TENANT_ID_HOWTO: &str = "In the Entra admin center, open Overview and copy the Tenant ID (or use your domain, such as contoso.onmicrosoft.com), then paste it here.";
const CLIENT_ID_HOWTO: &str = "In the Entra admin center, open App registrations → your Rollcall app → Overview, copy the Application (client) ID and paste it here.";
const NEW_SECRET_HOWTO: &str = "In the Entra admin center, open App registrations → your Rollcall app → Certificates & secrets, create a new client secret and paste its Value here (the Value is shown only once, right after you create it).";
const CONSENT_HOWTO: &str = "In the Entra admin center, open App registrations → your Rollcall app → API permissions and click \"Grant admin consent\". You need to be a Global Administrator or Privileged Role Administrator.";

impl Diagnosis {
    fn new(
        code: DiagnosisCode,
        title: impl Into<String>,
        cause: impl Into<String>,
        fix: impl Into<String>,
        link: Option<String>,
    ) -> Diagnosis {
        Diagnosis {
            code,
            severity: code.severity(),
            title: title.into(),
            cause: cause.into(),
            fix: fix.into(),
            link,
        }
    }

    /// The tenant entered (or sent) is not a tenant ID or domain; `cause` says why.
    pub fn tenant_malformed(cause: impl Into<String>, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TenantMalformed,
            "The tenant is not written correctly",
            cause,
            TENANT_ID_HOWTO,
            Some(links.tenant_overview.clone()),
        )
    }

    /// The client ID entered is not a GUID; `cause` says why.
    pub fn client_id_malformed(cause: impl Into<String>, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::ClientIdMalformed,
            "The client ID is not written correctly",
            cause,
            CLIENT_ID_HOWTO,
            Some(links.overview.clone()),
        )
    }

    /// No secret entered, or none stored; `cause` says which.
    pub fn secret_missing(
        cause: impl Into<String>,
        fix: impl Into<String>,
        links: &PortalLinks,
    ) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::SecretMissing,
            "No client secret",
            cause,
            fix,
            Some(links.certificates_secrets.clone()),
        )
    }

    /// The Secret ID was pasted (or sent) instead of the secret's Value.
    pub fn secret_id_sent(cause: impl Into<String>, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::SecretIdSent,
            "This looks like the Secret ID; paste the Value",
            cause,
            "In the Entra admin center, open App registrations → your Rollcall app → Certificates & secrets. The page shows two columns: Value and Secret ID. Rollcall needs the Value. If the Value is hidden (it is shown only once), create a new client secret and paste its Value here.",
            Some(links.certificates_secrets.clone()),
        )
    }

    /// The secret entered has a shape no Entra secret has; `cause` and `fix` say which.
    pub fn secret_malformed(
        cause: impl Into<String>,
        fix: impl Into<String>,
        links: &PortalLinks,
    ) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::SecretMalformed,
            "The client secret does not look right",
            cause,
            fix,
            Some(links.certificates_secrets.clone()),
        )
    }

    /// The keychain failed; `cause` is the keychain's own explanation.
    pub fn keychain_unavailable(cause: impl Into<String>) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::KeychainUnavailable,
            "Rollcall cannot open this computer's keychain",
            cause,
            "Unlock your keychain (on Linux: the login keyring, for example by signing in to the desktop again), then try again. On a server without a desktop, run Rollcall inside a session with an unlocked Secret Service such as gnome-keyring.",
            None,
        )
    }

    /// No tenant with this ID or domain exists in the chosen cloud.
    pub fn tenant_not_found(tenant: &str, cloud_name: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TenantNotFound,
            "The tenant was not found",
            format!(
                "The {cloud_name} has no tenant called \"{tenant}\". It may be mistyped, or the tenant may be in another cloud."
            ),
            format!(
                "Check the spelling. {TENANT_ID_HOWTO} If your organization uses a government or China cloud, choose that cloud instead."
            ),
            Some(links.tenant_overview.clone()),
        )
    }

    /// The tenant exists in another cloud; `actual` names it.
    pub fn wrong_cloud(tenant: &str, chosen: &str, actual: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::WrongCloud,
            "This tenant is in another Microsoft cloud",
            format!(
                "The tenant \"{tenant}\" belongs to the {actual}, but this connection is set to the {chosen}. Sign-ins and tokens do not cross clouds."
            ),
            format!(
                "Change the cloud of this connection to the {actual} and check again. The app registration must also be made in that cloud's admin center."
            ),
            None,
        )
    }

    /// The secret value is wrong (AADSTS7000215).
    pub fn secret_wrong(links: &PortalLinks, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::SecretWrong,
            "The client secret is not valid for this app",
            format!("Microsoft rejected the client secret. {detail}"),
            format!(
                "{NEW_SECRET_HOWTO} Make sure you copy the Value column, not the Secret ID, and that the secret belongs to the same app as the client ID."
            ),
            Some(links.certificates_secrets.clone()),
        )
    }

    /// The secret has expired (AADSTS7000222, or its expiry date is past).
    pub fn secret_expired(cause: impl Into<String>, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::SecretExpired,
            "The client secret has expired",
            cause,
            format!(
                "{NEW_SECRET_HOWTO} Then store it in Rollcall and enter the new expiry date, so Rollcall can remind you before it runs out again."
            ),
            Some(links.certificates_secrets.clone()),
        )
    }

    /// The secret expires in `days` days (30 or fewer).
    pub fn secret_expiring(days: i64, date: &str, links: &PortalLinks) -> Diagnosis {
        let when = match days {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            n => format!("in {n} days"),
        };
        let urgency = if days <= 7 {
            "Do this now: when it expires, syncing stops."
        } else if days <= 14 {
            "Do this within the next few days."
        } else {
            "Plan to do this before the date."
        };
        Diagnosis::new(
            DiagnosisCode::SecretExpiring,
            format!("The client secret expires {when}"),
            format!(
                "The client secret is valid until {date}. After that, Rollcall cannot sign in and syncing stops."
            ),
            format!(
                "{urgency} {NEW_SECRET_HOWTO} Then store it in Rollcall and update the expiry date."
            ),
            Some(links.certificates_secrets.clone()),
        )
    }

    /// Rollcall cannot tell when the secret expires.
    pub fn secret_expiry_unknown(links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::SecretExpiryUnknown,
            "Rollcall does not know when the client secret expires",
            "No expiry date was entered, and the app may not read its own registration (that needs the optional Application.Read.All permission).",
            "Open Certificates & secrets in the Entra admin center, note the Expires date of the secret you use and enter it in this connection's settings. Rollcall will then warn you 30, 14 and 7 days before it runs out.",
            Some(links.certificates_secrets.clone()),
        )
    }

    /// The client ID names no app in this tenant (AADSTS700016).
    pub fn app_not_in_tenant(client_id: &str, tenant: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::AppNotInTenant,
            "No app with this client ID exists in this tenant",
            format!(
                "The tenant \"{tenant}\" has no app registration with client ID {client_id}. The client ID may be mistyped, or the app was registered in a different tenant."
            ),
            format!(
                "{CLIENT_ID_HOWTO} Check that the admin center shows the same tenant you entered here (Overview → Tenant ID). If you have no app yet, create one with New registration."
            ),
            Some(links.overview.clone()),
        )
    }

    /// The app or its enterprise application is disabled (AADSTS7000112).
    pub fn app_disabled(client_id: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::AppDisabled,
            "The app is disabled in this tenant",
            format!(
                "The app with client ID {client_id} exists, but it is switched off, so Microsoft will not let it sign in."
            ),
            "In the Entra admin center, open Enterprise applications → your Rollcall app → Properties, set \"Enabled for users to sign in?\" to Yes and save. If Microsoft disabled the app, the Overview page says why; contact Microsoft support.",
            Some(links.enterprise_apps.clone()),
        )
    }

    /// Sign-in refused for a reason without its own code; `code` and `message` are Microsoft's.
    pub fn token_refused(code: &str, message: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TokenRefused,
            "Microsoft refused to sign in the app",
            format!("The sign-in service answered {code}: {message}"),
            "Check the tenant, client ID and secret against the app's Overview page. Search for the code at https://login.microsoftonline.com/error to learn more.",
            Some(links.overview.clone()),
        )
    }

    /// The token holds no application permissions: admin consent was never granted.
    pub fn admin_consent_missing(consent_url: String) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::AdminConsentMissing,
            "Admin consent has not been granted",
            "The app signed in, but its token carries no permissions. The permissions were added to the app but an administrator has not approved (consented to) them for the organization.",
            format!("{CONSENT_HOWTO} Or open the link, sign in as an administrator and accept."),
            Some(consent_url),
        )
    }

    /// `User.Read.All` is not granted.
    pub fn user_read_missing(links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::UserReadMissing,
            "The app may not read users (User.Read.All is missing)",
            "Rollcall reads each person's name, email and status to create their account in your learning platform. Without User.Read.All it cannot read any user.",
            format!(
                "In API permissions, click Add a permission → Microsoft Graph → Application permissions, tick User.Read.All and add it. {CONSENT_HOWTO}"
            ),
            Some(links.api_permissions.clone()),
        )
    }

    /// Neither `GroupMember.Read.All` nor `Group.Read.All` is granted.
    pub fn group_read_missing(links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::GroupReadMissing,
            "The app may not read group members (GroupMember.Read.All is missing)",
            "Rollcall uses group membership to decide who gets an account. Without GroupMember.Read.All (or Group.Read.All) it cannot list groups or their members.",
            format!(
                "In API permissions, click Add a permission → Microsoft Graph → Application permissions, tick GroupMember.Read.All and add it. {CONSENT_HOWTO}"
            ),
            Some(links.api_permissions.clone()),
        )
    }

    /// The app holds `broad` permissions (write access) where read access would do;
    /// `instead` is the least-privilege set.
    pub fn permissions_too_broad(
        broad: &[String],
        instead: &[&str],
        links: &PortalLinks,
    ) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::PermissionsTooBroad,
            "The app holds more permissions than Rollcall needs",
            format!(
                "The app is granted {}, which let anyone holding its secret change or delete people and groups in the whole directory. Rollcall only reads the directory.",
                broad.join(", ")
            ),
            format!(
                "In API permissions, remove {} and grant only {} (application permissions, with admin consent). {CONSENT_HOWTO}",
                broad.join(", "),
                instead.join(", ")
            ),
            Some(links.api_permissions.clone()),
        )
    }

    /// The optional `User-LifeCycleInfo.Read.All` is not granted.
    pub fn lifecycle_read_missing(links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::LifecycleReadMissing,
            "Leave dates are not available (optional)",
            "Without User-LifeCycleInfo.Read.All Rollcall cannot see the leave date HR sets for people, so it deactivates leavers only once they are disabled or removed from the group.",
            format!(
                "Optional: add the application permission User-LifeCycleInfo.Read.All in API permissions. {CONSENT_HOWTO}"
            ),
            Some(links.api_permissions.clone()),
        )
    }

    /// Graph answered 403 to a test read; `what` names the read, `permission` the permission
    /// that allows it.
    pub fn graph_forbidden(what: &str, permission: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::GraphForbidden,
            format!("Microsoft Graph refused to {what}"),
            format!(
                "Graph answered 403 (insufficient privileges) when Rollcall tried to {what}. The app needs {permission}, granted with admin consent. A permission added recently can take a few minutes to apply."
            ),
            format!(
                "In API permissions, check that {permission} is listed under Microsoft Graph as an Application permission with a green \"Granted\" mark. {CONSENT_HOWTO} Then wait a few minutes and check again."
            ),
            Some(links.api_permissions.clone()),
        )
    }

    /// Graph answered 401 to a test read.
    pub fn graph_unauthorized(what: &str, detail: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::GraphUnauthorized,
            format!("Microsoft Graph did not accept the app's sign-in when trying to {what}"),
            format!("Graph answered 401: {detail}"),
            "Check again in a minute. If it persists, make sure the connection uses the right cloud, and that the app's permissions are under Microsoft Graph (not another API).",
            Some(links.api_permissions.clone()),
        )
    }

    /// Graph answered 404 to a test read.
    pub fn graph_not_found(what: &str, links: &PortalLinks) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::GraphNotFound,
            format!("Microsoft Graph found nothing when trying to {what}"),
            format!(
                "Graph answered 404 (not found) when Rollcall tried to {what}. The Graph address may be wrong, or the item was deleted a moment ago."
            ),
            "Check the connection's cloud (and, for custom endpoints, the Graph address), then check again.",
            Some(links.overview.clone()),
        )
    }

    /// Graph asked Rollcall to slow down.
    pub fn graph_throttled(retry_after: Option<&str>) -> Diagnosis {
        let wait = match retry_after {
            Some(seconds) => format!("Graph asked to wait {seconds} seconds."),
            None => "Graph did not say how long to wait.".to_string(),
        };
        Diagnosis::new(
            DiagnosisCode::GraphThrottled,
            "Microsoft Graph asked Rollcall to slow down",
            format!(
                "Graph answered 429 (too many requests). Other tools using the same app or tenant may be making many requests. {wait}"
            ),
            "Wait a few minutes and check again. Rollcall waits and retries by itself during syncs.",
            None,
        )
    }

    /// A server error (5xx other than 504) from `service`.
    pub fn service_unavailable(service: Service, status: u16) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::ServiceUnavailable,
            format!("{} is having trouble", capitalized(service.name())),
            format!(
                "{} answered with error {status}, which means a problem on Microsoft's side, not in your settings.",
                capitalized(service.name())
            ),
            "Wait a few minutes and check again. If it lasts, look at the Microsoft 365 service health page in the admin center.",
            None,
        )
    }

    /// The server could not be reached; `detail` is the system's reason.
    pub fn network_unreachable(service: Service, address: &str, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::NetworkUnreachable,
            format!("Rollcall cannot reach {}", service.name()),
            format!("Connecting to {address} failed: {detail}"),
            "Check that this computer is online. If your network uses a proxy or firewall, ask your IT team to allow this address.",
            None,
        )
    }

    /// A secure connection could not be set up; `detail` is the system's reason.
    pub fn tls_failure(service: Service, address: &str, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TlsFailure,
            format!(
                "Rollcall cannot open a secure connection to {}",
                service.name()
            ),
            format!(
                "The secure (TLS) connection to {address} failed: {detail}. A proxy or security software may be intercepting the connection, or the computer's date may be wrong."
            ),
            "Check the computer's date and time. If your network has a proxy that inspects secure traffic, ask your IT team either to exempt this address from inspection or to install the proxy's certificate in this computer's trusted certificates (Rollcall trusts the ones the system trusts), then try again.",
            None,
        )
    }

    /// No answer in time (or a gateway timeout, 504).
    pub fn timed_out(service: Service, address: &str, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TimedOut,
            format!("{} did not answer in time", capitalized(service.name())),
            format!("Waiting for {address} took too long: {detail}"),
            "Check again in a few minutes. If it keeps happening, check this computer's network connection.",
            None,
        )
    }

    /// An answer Rollcall could not read; `detail` says what was wrong.
    pub fn unexpected_response(service: Service, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::UnexpectedResponse,
            format!(
                "{} gave an answer Rollcall does not understand",
                capitalized(service.name())
            ),
            detail.to_string(),
            "Check the connection's cloud and, for custom endpoints, the addresses. If they are right, check again later.",
            None,
        )
    }
}

impl Diagnosis {
    /// No token for the learning platform is stored for this connection.
    pub fn target_token_missing(profile: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetTokenMissing,
            "No token for the learning platform",
            format!(
                "The connection \"{profile}\" writes to a SCIM service, but no token for it is stored in this computer's keychain."
            ),
            TARGET_TOKEN_HOWTO.replace("NAME", profile),
            None,
        )
    }

    /// The stored token cannot be used for this connection; `cause` says why (it was entered
    /// for another platform address).
    pub fn target_token_not_usable(profile: &str, cause: impl Into<String>) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetTokenMissing,
            "The learning platform's token must be entered again",
            cause,
            TARGET_TOKEN_HOWTO.replace("NAME", profile),
            None,
        )
    }

    /// The platform answered 401: the token is wrong, revoked or expired.
    pub fn target_token_rejected(address: &str, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetTokenRejected,
            "The learning platform does not accept Rollcall's token",
            format!(
                "{address} answered 401 (unauthorized): the token is wrong, was revoked, or has expired. The platform said: {detail}"
            ),
            format!(
                "{TARGET_TOKEN_HOWTO} Copy the whole token, without spaces or quotation marks."
            ),
            None,
        )
    }

    /// The platform answered 403: the token is valid but may not provision users.
    pub fn target_forbidden(address: &str, detail: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetForbidden,
            "The learning platform's token may not manage users",
            format!(
                "{address} answered 403 (forbidden): the token is accepted but lacks the right to read and write users. The platform said: {detail}"
            ),
            "In the learning platform's admin settings, give the token (or the account it belongs to) the right to provision users, or create a token with that right, store it with `rollcall secret set NAME target`, and check again.",
            None,
        )
    }

    /// The target address is not a SCIM service; `cause` says what answered instead.
    pub fn target_not_scim(address: &str, cause: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetNotScim,
            "The target address is not the platform's SCIM address",
            format!("{address} is not a SCIM service: {cause}"),
            "In the learning platform's provisioning settings, copy its SCIM base address (it often ends in /scim/v2, without /Users at the end), paste it as the SCIM base address (the profile's [target] url), then check again.",
            None,
        )
    }

    /// The platform does not support SCIM filters.
    pub fn target_no_filter(address: &str) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetNoFilter,
            "The learning platform cannot search its accounts",
            format!(
                "{address} does not support SCIM filters (such as userName eq \"…\"), so Rollcall cannot look up one account at a time. Rollcall reads the platform's whole list instead, which makes each sync slower."
            ),
            "Nothing needs to change for syncing to work. If the platform offers a setting to enable SCIM filtering, turn it on; otherwise ask its support whether filtering is planned.",
            None,
        )
    }

    /// The platform answered with a server error.
    pub fn target_unavailable(address: &str, status: u16) -> Diagnosis {
        Diagnosis::new(
            DiagnosisCode::TargetUnavailable,
            "The learning platform is having trouble",
            format!(
                "{address} answered with error {status}, which means a problem on the learning platform's side, not in Rollcall's settings."
            ),
            "Wait a few minutes and check again. If it lasts, contact the learning platform's support and mention the error number.",
            None,
        )
    }
}

/// One example of every finding, in the order an admin tends to meet them, for a page that
/// lists every problem the connection check can report and how to fix it. The causes speak of
/// "your" tenant and app, since no particular connection is meant.
pub fn catalogue(links: &PortalLinks, consent_url: &str) -> Vec<Diagnosis> {
    let tenant = "your tenant";
    let app = "your app";
    vec![
        Diagnosis::tenant_malformed("The tenant entered is not a tenant ID or a domain.", links),
        Diagnosis::client_id_malformed("The client ID entered is not a GUID.", links),
        Diagnosis::secret_missing(
            "No client secret was entered, or none is stored for this connection.",
            NEW_SECRET_HOWTO,
            links,
        ),
        Diagnosis::secret_id_sent("The client secret entered is a GUID: the Secret ID.", links),
        Diagnosis::secret_malformed(
            "The client secret has a shape no Entra secret has (quotation marks, spaces, or only part of it).",
            NEW_SECRET_HOWTO,
            links,
        ),
        Diagnosis::keychain_unavailable("The keychain could not be opened."),
        Diagnosis::tenant_not_found(tenant, "chosen Microsoft cloud", links),
        Diagnosis::wrong_cloud(tenant, "cloud you chose", "another Microsoft cloud"),
        Diagnosis::secret_wrong(links, "the sign-in service refused the secret"),
        Diagnosis::secret_expired("The client secret has passed its expiry date.", links),
        Diagnosis::secret_expiring(14, "its expiry date", links),
        Diagnosis::secret_expiry_unknown(links),
        Diagnosis::app_not_in_tenant(app, tenant, links),
        Diagnosis::app_disabled(app, links),
        Diagnosis::token_refused("AADSTS", "the sign-in service gave another reason", links),
        Diagnosis::admin_consent_missing(consent_url.to_string()),
        Diagnosis::user_read_missing(links),
        Diagnosis::group_read_missing(links),
        Diagnosis::lifecycle_read_missing(links),
        Diagnosis::graph_forbidden("a test read", "User.Read.All", links),
        Diagnosis::graph_unauthorized("a test read", "Graph did not accept the sign-in", links),
        Diagnosis::graph_not_found("a group", links),
        Diagnosis::graph_throttled(None),
        Diagnosis::service_unavailable(Service::Graph, 503),
        Diagnosis::network_unreachable(Service::SignIn, "the sign-in service", "no connection"),
        Diagnosis::tls_failure(
            Service::SignIn,
            "the sign-in service",
            "the secure connection failed",
        ),
        Diagnosis::timed_out(Service::Graph, "Microsoft Graph", "no answer in time"),
        Diagnosis::unexpected_response(Service::Graph, "The answer could not be read."),
        Diagnosis::target_token_missing("your connection"),
        Diagnosis::target_token_rejected("the learning platform", "the token is not valid"),
        Diagnosis::target_forbidden("the learning platform", "insufficient rights"),
        Diagnosis::target_not_scim(
            "the target address",
            "it answered with a web page instead of SCIM",
        ),
        Diagnosis::target_no_filter("the learning platform"),
        Diagnosis::target_unavailable("the learning platform", 503),
        Diagnosis::permissions_too_broad(
            &["Directory.ReadWrite.All".to_string()],
            &crate::permissions::LEAST_PRIVILEGE,
            links,
        ),
    ]
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;

    #[test]
    fn serializes_with_the_documented_field_names() {
        let links = Cloud::Global.links(Some("abc"));
        let diagnosis = Diagnosis::secret_wrong(&links, "AADSTS7000215");
        let json = serde_json::to_value(&diagnosis).unwrap();
        let object = json.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["cause", "code", "fix", "link", "severity", "title"]);
        assert_eq!(json["code"], "secret_wrong");
        assert_eq!(json["severity"], "error");
        assert!(
            json["link"]
                .as_str()
                .unwrap()
                .contains("/Credentials/appId/abc")
        );
    }

    #[test]
    fn serde_names_match_as_str() {
        let codes = [
            DiagnosisCode::TenantMalformed,
            DiagnosisCode::SecretIdSent,
            DiagnosisCode::AdminConsentMissing,
            DiagnosisCode::LifecycleReadMissing,
            DiagnosisCode::TimedOut,
            DiagnosisCode::SecretExpiryUnknown,
        ];
        for code in codes {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn the_catalogue_has_every_code_once_each_with_a_fix() {
        // Adding a code without a catalogue entry fails here: the match must name every code.
        fn position(code: DiagnosisCode) -> usize {
            match code {
                DiagnosisCode::TenantMalformed => 0,
                DiagnosisCode::ClientIdMalformed => 1,
                DiagnosisCode::SecretMissing => 2,
                DiagnosisCode::SecretIdSent => 3,
                DiagnosisCode::SecretMalformed => 4,
                DiagnosisCode::KeychainUnavailable => 5,
                DiagnosisCode::TenantNotFound => 6,
                DiagnosisCode::WrongCloud => 7,
                DiagnosisCode::SecretWrong => 8,
                DiagnosisCode::SecretExpired => 9,
                DiagnosisCode::SecretExpiring => 10,
                DiagnosisCode::SecretExpiryUnknown => 11,
                DiagnosisCode::AppNotInTenant => 12,
                DiagnosisCode::AppDisabled => 13,
                DiagnosisCode::TokenRefused => 14,
                DiagnosisCode::AdminConsentMissing => 15,
                DiagnosisCode::UserReadMissing => 16,
                DiagnosisCode::GroupReadMissing => 17,
                DiagnosisCode::LifecycleReadMissing => 18,
                DiagnosisCode::GraphForbidden => 19,
                DiagnosisCode::GraphUnauthorized => 20,
                DiagnosisCode::GraphNotFound => 21,
                DiagnosisCode::GraphThrottled => 22,
                DiagnosisCode::ServiceUnavailable => 23,
                DiagnosisCode::NetworkUnreachable => 24,
                DiagnosisCode::TlsFailure => 25,
                DiagnosisCode::TimedOut => 26,
                DiagnosisCode::UnexpectedResponse => 27,
                DiagnosisCode::TargetTokenMissing => 28,
                DiagnosisCode::TargetTokenRejected => 29,
                DiagnosisCode::TargetForbidden => 30,
                DiagnosisCode::TargetNotScim => 31,
                DiagnosisCode::TargetNoFilter => 32,
                DiagnosisCode::TargetUnavailable => 33,
                DiagnosisCode::PermissionsTooBroad => 34,
            }
        }
        let links = Cloud::Global.links(None);
        let all = catalogue(
            &links,
            "https://login.microsoftonline.com/t/adminconsent?client_id=c",
        );
        assert_eq!(all.len(), 35);
        for (index, diagnosis) in all.iter().enumerate() {
            assert_eq!(
                position(diagnosis.code),
                index,
                "{} is out of place",
                diagnosis.code
            );
            assert!(!diagnosis.title.is_empty() && !diagnosis.fix.is_empty());
        }
        assert_eq!(
            all[15].link.as_deref(),
            Some("https://login.microsoftonline.com/t/adminconsent?client_id=c")
        );
    }

    #[test]
    fn expiry_warnings_grow_more_urgent() {
        let links = Cloud::Global.links(None);
        let soon = Diagnosis::secret_expiring(5, "2026-01-06", &links);
        let later = Diagnosis::secret_expiring(25, "2026-01-26", &links);
        assert_eq!(soon.severity, Severity::Warning);
        assert!(soon.fix.starts_with("Do this now"));
        assert!(later.fix.starts_with("Plan to"));
        assert_eq!(soon.title, "The client secret expires in 5 days");
        assert_eq!(
            Diagnosis::secret_expiring(1, "x", &links).title,
            "The client secret expires tomorrow"
        );
    }
}
