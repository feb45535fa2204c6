//! The Microsoft clouds Rollcall can sign in to: for each, the sign-in host, the Graph root and
//! its `.default` scope, the Entra admin center and the portal pages an admin is sent to.
//! A custom cloud (the sandbox, or a test server) must be https, or http on this computer only.

use std::fmt;

use url::{Host, Url};

/// One Microsoft cloud, or a custom pair of endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloud {
    /// The worldwide cloud (also used by GCC moderate tenants).
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
    /// Endpoints given by hand; checked by [`Cloud::custom`].
    Custom(CustomEndpoints),
}

/// The sign-in and Graph addresses of a custom cloud, without trailing slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomEndpoints {
    authority_url: String,
    graph_url: String,
}

impl CustomEndpoints {
    /// The sign-in address (for the sandbox, `http://127.0.0.1:PORT`).
    pub fn authority_url(&self) -> &str {
        &self.authority_url
    }

    /// The Graph address.
    pub fn graph_url(&self) -> &str {
        &self.graph_url
    }
}

/// Why a custom endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    #[error(
        "The {field} \"{value}\" is not a web address. Enter it in full, for example https://login.example.com."
    )]
    NotAUrl { field: &'static str, value: String },
    #[error(
        "The {field} {value} uses plain http on another computer, which would send the secret unprotected. Use https, or http only on this computer (127.0.0.1, localhost or [::1])."
    )]
    InsecureRemote { field: &'static str, value: String },
    #[error("The {field} {value} must start with https:// (or http:// on this computer only).")]
    UnsupportedScheme { field: &'static str, value: String },
    #[error(
        "The {field} {value} must be just the server address, without ?query or #fragment parts."
    )]
    ExtraParts { field: &'static str, value: String },
    #[error(
        "\"{value}\" is not a known cloud. Use one of: global, usgov, usgov-dod, china, custom."
    )]
    UnknownCloud { value: String },
}

/// Links into the Entra admin center for one app registration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PortalLinks {
    /// Start a new app registration.
    pub new_registration: String,
    /// The app's overview page (or the list of app registrations when the client ID is unknown).
    pub overview: String,
    /// The app's API permissions page, with the "Grant admin consent" button.
    pub api_permissions: String,
    /// The app's Certificates & secrets page.
    pub certificates_secrets: String,
    /// The list of enterprise applications (where a disabled app is turned back on).
    pub enterprise_apps: String,
    /// The tenant overview page, which shows the tenant ID.
    pub tenant_overview: String,
}

const REGISTERED_APPS: &str = "#view/Microsoft_AAD_RegisteredApps";

impl Cloud {
    /// Every named cloud, in the order they are offered.
    pub const NAMED: [Cloud; 4] = [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::China];

    /// A custom cloud, accepted only over https, or over http on the loopback interface.
    pub fn custom(authority_url: &str, graph_url: &str) -> Result<Cloud, CloudError> {
        Ok(Cloud::Custom(CustomEndpoints {
            authority_url: checked_endpoint("authority_url", authority_url)?,
            graph_url: checked_endpoint("graph_url", graph_url)?,
        }))
    }

    /// A named cloud from its profile key (`global`, `usgov`, `usgov-dod`, `china`). `custom`
    /// needs endpoints and is built with [`Cloud::custom`].
    pub fn named(key: &str) -> Result<Cloud, CloudError> {
        match key.trim().to_ascii_lowercase().as_str() {
            "global" => Ok(Cloud::Global),
            "usgov" => Ok(Cloud::UsGov),
            "usgov-dod" => Ok(Cloud::UsGovDod),
            "china" => Ok(Cloud::China),
            _ => Err(CloudError::UnknownCloud {
                value: key.to_string(),
            }),
        }
    }

    /// The key written in profiles and shown in the `check` JSON.
    pub fn key(&self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
            Cloud::Custom(_) => "custom",
        }
    }

    /// The name an admin knows the cloud by.
    pub fn display_name(&self) -> &'static str {
        match self {
            Cloud::Global => "Microsoft global cloud",
            Cloud::UsGov => "US Government (GCC High)",
            Cloud::UsGovDod => "US Government (DoD)",
            Cloud::China => "China (operated by 21Vianet)",
            Cloud::Custom(_) => "custom endpoints",
        }
    }

    /// The sign-in address, without a trailing slash.
    pub fn authority_url(&self) -> String {
        match self {
            Cloud::Global => "https://login.microsoftonline.com".to_string(),
            Cloud::UsGov | Cloud::UsGovDod => "https://login.microsoftonline.us".to_string(),
            Cloud::China => "https://login.partner.microsoftonline.cn".to_string(),
            Cloud::Custom(endpoints) => endpoints.authority_url.clone(),
        }
    }

    /// The sign-in host name (with the port for a custom cloud).
    pub fn login_host(&self) -> String {
        host_of(&self.authority_url())
    }

    /// The Graph root, without a trailing slash or version.
    pub fn graph_url(&self) -> String {
        match self {
            Cloud::Global => "https://graph.microsoft.com".to_string(),
            Cloud::UsGov => "https://graph.microsoft.us".to_string(),
            Cloud::UsGovDod => "https://dod-graph.microsoft.us".to_string(),
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn".to_string(),
            Cloud::Custom(endpoints) => endpoints.graph_url.clone(),
        }
    }

    /// The scope asked for in the client-credentials request: the Graph root plus `/.default`
    /// ("every application permission an admin granted").
    pub fn graph_scope(&self) -> String {
        format!("{}/.default", self.graph_url())
    }

    /// The Entra admin center. A custom cloud serves its own pages at its sign-in address.
    pub fn admin_center_url(&self) -> String {
        match self {
            Cloud::Global => "https://entra.microsoft.com".to_string(),
            Cloud::UsGov | Cloud::UsGovDod => "https://entra.microsoft.us".to_string(),
            Cloud::China => "https://entra.microsoft.cn".to_string(),
            Cloud::Custom(endpoints) => endpoints.authority_url.clone(),
        }
    }

    /// Deep links into the admin center for the app with `client_id` (the app list when the
    /// client ID is not known yet).
    pub fn links(&self, client_id: Option<&str>) -> PortalLinks {
        let center = self.admin_center_url();
        let app_page = |blade: &str| match client_id {
            Some(id) => format!(
                "{center}/{REGISTERED_APPS}/ApplicationMenuBlade/~/{blade}/appId/{id}/isMSAApp~/false"
            ),
            None => format!("{center}/{REGISTERED_APPS}/ApplicationsListBlade"),
        };
        PortalLinks {
            new_registration: format!(
                "{center}/{REGISTERED_APPS}/CreateApplicationBlade/isMSAApp~/false"
            ),
            overview: app_page("Overview"),
            api_permissions: app_page("CallAnAPI"),
            certificates_secrets: app_page("Credentials"),
            enterprise_apps: format!(
                "{center}/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
            ),
            tenant_overview: format!("{center}/#view/Microsoft_AAD_IAM/TenantOverview.ReactView"),
        }
    }

    /// The page where a tenant admin grants every application permission the app registration
    /// asks for, in one click.
    pub fn admin_consent_url(&self, tenant: &str, client_id: &str) -> String {
        let mut url = format!("{}/{}/adminconsent", self.authority_url(), tenant);
        url.push_str("?client_id=");
        url.push_str(client_id);
        url
    }

    /// The named cloud whose sign-in service answers at `host` (any of its aliases).
    pub fn from_login_host(host: &str) -> Option<Cloud> {
        match host.to_ascii_lowercase().as_str() {
            "login.microsoftonline.com"
            | "login.windows.net"
            | "login.microsoft.com"
            | "sts.windows.net" => Some(Cloud::Global),
            "login.microsoftonline.us" | "login.usgovcloudapi.net" => Some(Cloud::UsGov),
            "login.partner.microsoftonline.cn" | "login.chinacloudapi.cn" => Some(Cloud::China),
            _ => None,
        }
    }

    /// Whether `host` is this cloud's sign-in host (or one of its aliases).
    pub fn owns_login_host(&self, host: &str) -> bool {
        match self {
            Cloud::Custom(_) => host.eq_ignore_ascii_case(&self.login_host()),
            Cloud::UsGovDod => Cloud::from_login_host(host) == Some(Cloud::UsGov),
            named => Cloud::from_login_host(host).as_ref() == Some(named),
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The host (and port, when given) of an address; the address itself when it does not parse.
pub(crate) fn host_of(address: &str) -> String {
    match Url::parse(address) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => address.to_string(),
        },
        Err(_) => address.to_string(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks an address Rollcall will send a secret or token to: a full https address (http
/// only on this computer), with no query or fragment; returns it without a trailing slash.
pub fn checked_endpoint(field: &'static str, value: &str) -> Result<String, CloudError> {
    let trimmed = value.trim();
    let url = Url::parse(trimmed).map_err(|_| CloudError::NotAUrl {
        field,
        value: trimmed.to_string(),
    })?;
    if url.host().is_none() {
        return Err(CloudError::NotAUrl {
            field,
            value: trimmed.to_string(),
        });
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(CloudError::InsecureRemote {
                field,
                value: trimmed.to_string(),
            });
        }
        _ => {
            return Err(CloudError::UnsupportedScheme {
                field,
                value: trimmed.to_string(),
            });
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(CloudError::ExtraParts {
            field,
            value: trimmed.to_string(),
        });
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_clouds_know_their_hosts_and_scopes() {
        assert_eq!(
            Cloud::Global.graph_scope(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(Cloud::UsGov.login_host(), "login.microsoftonline.us");
        assert_eq!(
            Cloud::UsGovDod.graph_scope(),
            "https://dod-graph.microsoft.us/.default"
        );
        assert_eq!(
            Cloud::China.login_host(),
            "login.partner.microsoftonline.cn"
        );
        assert_eq!(
            Cloud::China.admin_center_url(),
            "https://entra.microsoft.cn"
        );
        for cloud in Cloud::NAMED {
            assert_eq!(Cloud::named(cloud.key()), Ok(cloud.clone()));
        }
    }

    #[test]
    fn links_point_at_the_app() {
        let links = Cloud::Global.links(Some("11111111-2222-3333-4444-555555555555"));
        assert!(
            links
                .certificates_secrets
                .starts_with("https://entra.microsoft.com/#view/")
        );
        assert!(
            links
                .certificates_secrets
                .contains("/Credentials/appId/11111111-2222-3333-4444-555555555555")
        );
        assert!(links.api_permissions.contains("/CallAnAPI/appId/"));
        assert_eq!(
            Cloud::UsGov.admin_consent_url("contoso.us", "abc"),
            "https://login.microsoftonline.us/contoso.us/adminconsent?client_id=abc"
        );
    }

    #[test]
    fn custom_endpoints_must_be_safe() {
        let local = Cloud::custom("http://127.0.0.1:8400/", "http://localhost:8400").unwrap();
        assert_eq!(local.authority_url(), "http://127.0.0.1:8400");
        assert_eq!(local.admin_center_url(), "http://127.0.0.1:8400");
        assert_eq!(local.graph_scope(), "http://localhost:8400/.default");
        assert!(Cloud::custom("http://[::1]:1", "https://graph.example.com").is_ok());
        assert!(matches!(
            Cloud::custom("http://login.example.com", "https://graph.example.com"),
            Err(CloudError::InsecureRemote {
                field: "authority_url",
                ..
            })
        ));
        assert!(matches!(
            Cloud::custom("https://login.example.com", "ftp://graph.example.com"),
            Err(CloudError::UnsupportedScheme {
                field: "graph_url",
                ..
            })
        ));
        assert!(matches!(
            Cloud::custom("login.example.com", "https://graph.example.com"),
            Err(CloudError::NotAUrl { .. })
        ));
        assert!(matches!(
            Cloud::custom("http://127.0.0.2.example.com", "https://graph.example.com"),
            Err(CloudError::InsecureRemote { .. })
        ));
        assert!(Cloud::named("mars").is_err());
    }

    #[test]
    fn login_hosts_identify_clouds() {
        assert_eq!(
            Cloud::from_login_host("login.windows.net"),
            Some(Cloud::Global)
        );
        assert!(Cloud::UsGovDod.owns_login_host("login.microsoftonline.us"));
        assert!(!Cloud::Global.owns_login_host("login.microsoftonline.us"));
        assert_eq!(Cloud::from_login_host("example.com"), None);
    }
}
