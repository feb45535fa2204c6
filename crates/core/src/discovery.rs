//! Finding a tenant without credentials, through its public OpenID Connect discovery document:
//! a domain becomes a tenant ID, an unknown tenant is reported as such, and a tenant that lives
//! in another Microsoft cloud is recognised before any secret is sent.

use serde::Deserialize;
use uuid::Uuid;

use crate::auth::EntraError;
use crate::cloud::{Cloud, PortalLinks, host_of};
use crate::credentials::TenantRef;
use crate::diagnosis::{Diagnosis, Service};
use crate::network::{TOKEN_BODY_LIMIT, read_body, server_failure, transport_failure};

/// What discovery learned about a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDiscovery {
    /// The tenant's ID (also when a domain was entered).
    pub tenant_id: Uuid,
    /// The tenant's region as Microsoft reports it (for example `NA`, `EU`, `USGov`).
    pub region: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    #[serde(default)]
    tenant_region_scope: Option<String>,
    #[serde(default)]
    tenant_region_sub_scope: Option<String>,
    #[serde(default)]
    msgraph_host: Option<String>,
}

/// The address of a tenant's discovery document in `cloud`.
pub fn discovery_url(cloud: &Cloud, tenant: &TenantRef) -> String {
    format!(
        "{}/{tenant}/v2.0/.well-known/openid-configuration",
        cloud.authority_url()
    )
}

/// Looks the tenant up in `cloud`. Errors are the diagnoses to show: tenant not found, tenant
/// malformed, tenant in another cloud, or a network failure.
pub async fn discover(
    http: &reqwest::Client,
    cloud: &Cloud,
    tenant: &TenantRef,
    links: &PortalLinks,
) -> Result<TenantDiscovery, Diagnosis> {
    let address = discovery_url(cloud, tenant);
    let response = http
        .get(&address)
        .send()
        .await
        .map_err(|error| transport_failure(&error, Service::SignIn, &cloud.login_host()))?;
    let status = response.status().as_u16();
    let body = read_body(response, TOKEN_BODY_LIMIT)
        .await
        .map_err(|error| Diagnosis::unexpected_response(Service::SignIn, &error.to_string()))?;
    if status >= 500 {
        return Err(server_failure(status, Service::SignIn, &cloud.login_host()));
    }
    let tenant_text = tenant.to_string();
    if status >= 400 {
        let refusal = serde_json::from_slice::<EntraError>(&body).ok();
        return Err(match refusal.as_ref().and_then(EntraError::code) {
            Some(900023) => Diagnosis::tenant_malformed(
                format!(
                    "The sign-in service says \"{tenant_text}\" is neither a valid domain nor a tenant ID."
                ),
                links,
            ),
            // 90002 and every other 4xx: sign-in libraries treat any refusal here as "no such
            // tenant", and so does Rollcall.
            _ => Diagnosis::tenant_not_found(&tenant_text, cloud.display_name(), links),
        });
    }
    let document: DiscoveryDocument = serde_json::from_slice(&body).map_err(|error| {
        Diagnosis::unexpected_response(
            Service::SignIn,
            &format!("The tenant's discovery document could not be read: {error}."),
        )
    })?;
    let issuer_host = host_of(&document.issuer);
    if !cloud.owns_login_host(&issuer_host) {
        let actual = cloud_of_document(&issuer_host, &document);
        return Err(match actual {
            Some(actual) => {
                Diagnosis::wrong_cloud(&tenant_text, cloud.display_name(), actual.display_name())
            }
            None => Diagnosis::unexpected_response(
                Service::SignIn,
                &format!(
                    "The tenant's discovery document names {issuer_host} as its sign-in service, which is not part of the {}.",
                    cloud.display_name()
                ),
            ),
        });
    }
    let tenant_id = tenant_in_issuer(&document.issuer).ok_or_else(|| {
        Diagnosis::unexpected_response(
            Service::SignIn,
            &format!(
                "The tenant's discovery document has no tenant ID in its issuer ({}).",
                document.issuer
            ),
        )
    })?;
    Ok(TenantDiscovery {
        tenant_id,
        region: document.tenant_region_scope,
    })
}

/// Which named cloud a discovery document belongs to: the issuer's host decides, and the Graph
/// host or sub-region tells DoD from GCC High.
fn cloud_of_document(issuer_host: &str, document: &DiscoveryDocument) -> Option<Cloud> {
    let cloud = Cloud::from_login_host(issuer_host)?;
    let dod = document
        .msgraph_host
        .as_deref()
        .is_some_and(|host| host.eq_ignore_ascii_case("dod-graph.microsoft.us"))
        || document
            .tenant_region_sub_scope
            .as_deref()
            .is_some_and(|sub| sub.eq_ignore_ascii_case("DOD"));
    Some(match cloud {
        Cloud::UsGov if dod => Cloud::UsGovDod,
        other => other,
    })
}

/// The tenant GUID in an issuer such as `https://login.microsoftonline.com/{tid}/v2.0`.
fn tenant_in_issuer(issuer: &str) -> Option<Uuid> {
    let url = url::Url::parse(issuer).ok()?;
    url.path_segments()?
        .find_map(|segment| Uuid::parse_str(segment).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_gives_the_tenant_id() {
        assert_eq!(
            tenant_in_issuer(
                "https://login.microsoftonline.com/12345678-1234-1234-1234-123456789012/v2.0"
            ),
            Uuid::parse_str("12345678-1234-1234-1234-123456789012").ok()
        );
        assert_eq!(
            tenant_in_issuer("https://login.microsoftonline.com/{tenantid}/v2.0"),
            None
        );
    }

    #[test]
    fn documents_name_their_cloud() {
        let document = |graph: &str, sub: Option<&str>| DiscoveryDocument {
            issuer: String::new(),
            tenant_region_scope: Some("USGov".into()),
            tenant_region_sub_scope: sub.map(str::to_string),
            msgraph_host: Some(graph.into()),
        };
        assert_eq!(
            cloud_of_document(
                "login.microsoftonline.us",
                &document("graph.microsoft.us", None)
            ),
            Some(Cloud::UsGov)
        );
        assert_eq!(
            cloud_of_document(
                "login.microsoftonline.us",
                &document("dod-graph.microsoft.us", None)
            ),
            Some(Cloud::UsGovDod)
        );
        assert_eq!(
            cloud_of_document("login.chinacloudapi.cn", &document("x", None)),
            Some(Cloud::China)
        );
        assert_eq!(cloud_of_document("example.com", &document("x", None)), None);
    }
}
