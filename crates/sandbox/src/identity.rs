//! Sign-in: OpenID discovery, instance discovery, the client-credentials token endpoint
//! with every credential failure Entra reports, the access tokens it issues, and the
//! admin-consent page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use serde_json::{Value, json};

use crate::SandboxState;
use crate::random::is_guid;
use crate::registrations::Registration;

/// The Graph resource as Entra names it in scopes and token audiences.
pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    Router::new()
        .route("/common/discovery/instance", get(instance_discovery))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route(
            "/{tenant}/oauth2/v2.0/token",
            axum::routing::post(token).get(token_get),
        )
        .route(
            "/{tenant}/adminconsent",
            get(consent_page).post(consent_decision),
        )
        .route(
            "/{tenant}/v2.0/adminconsent",
            get(consent_page).post(consent_decision),
        )
}

/// Which tenant a path segment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TenantLookup {
    Home,
    Foreign,
    /// `common`, `organizations` or `consumers`.
    Multi(String),
    Unknown,
    Malformed,
}

fn is_dns_like(text: &str) -> bool {
    text.contains('.')
        && text.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

pub(crate) fn lookup_tenant(state: &SandboxState, segment: &str) -> TenantLookup {
    let lower = segment.to_lowercase();
    if matches!(lower.as_str(), "common" | "organizations" | "consumers") {
        return TenantLookup::Multi(lower);
    }
    if lower == state.identity.id || lower == state.identity.domain.to_lowercase() {
        return TenantLookup::Home;
    }
    if lower == state.foreign.id || lower == state.foreign.domain.to_lowercase() {
        return TenantLookup::Foreign;
    }
    if is_guid(&lower) || is_dns_like(&lower) {
        TenantLookup::Unknown
    } else {
        TenantLookup::Malformed
    }
}

/// An Entra (STS) error: status, OAuth `error`, AADSTS code and message.
pub(crate) struct StsError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    pub message: String,
}

impl StsError {
    fn new(status: StatusCode, error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn into_response(self, state: &SandboxState) -> Response {
        let trace = state.request_guid();
        let correlation = state.request_guid();
        let timestamp = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}",
                self.code, self.message
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("{}/error?code={}", state.base_url, self.code),
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        sts_headers(response.headers_mut(), &trace);
        response
    }
}

fn sts_headers(headers: &mut HeaderMap, request_id: &str) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-ms-request-id", value);
    }
}

fn tenant_not_found(segment: &str) -> String {
    format!(
        "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
    )
}

fn malformed_tenant(segment: &str) -> String {
    format!(
        "Specified tenant identifier '{segment}' is neither a valid DNS name, nor a valid external domain."
    )
}

async fn instance_discovery(State(state): State<Arc<SandboxState>>) -> Response {
    let host = state.base_url.trim_start_matches("http://").to_string();
    let body = json!({
        "tenant_discovery_endpoint": format!("{}/{}/v2.0/.well-known/openid-configuration", state.base_url, state.identity.id),
        "api-version": "1.1",
        "metadata": [
            {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
            {"preferred_network":"login.microsoftonline.com","preferred_cache":"login.windows.net","aliases":["login.microsoftonline.com","login.windows.net","login.microsoft.com","sts.windows.net"]},
            {"preferred_network":"login.partner.microsoftonline.cn","preferred_cache":"login.partner.microsoftonline.cn","aliases":["login.partner.microsoftonline.cn","login.chinacloudapi.cn"]},
            {"preferred_network":"login.microsoftonline.us","preferred_cache":"login.microsoftonline.us","aliases":["login.microsoftonline.us","login.usgovcloudapi.net"]}
        ]
    });
    axum::Json(body).into_response()
}

fn discovery_document(
    authority: &str,
    tenant: &str,
    graph_host: &str,
    region: Value,
    cloud: &str,
) -> Value {
    json!({
        "token_endpoint": format!("{authority}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{authority}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{authority}/{tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{graph_host}/oidc/userinfo"),
        "authorization_endpoint": format!("{authority}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{authority}/{tenant}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{authority}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": ["sub","iss","cloud_instance_name","cloud_instance_host_name","cloud_graph_host_name","msgraph_host","aud","exp","iat","auth_time","acr","nonce","preferred_username","name","tid","ver","at_hash","c_hash","email"],
        "kerberos_endpoint": format!("{authority}/{tenant}/kerberos"),
        "tenant_region_scope": region,
        "cloud_instance_name": cloud,
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": graph_host.trim_start_matches("https://").trim_start_matches("http://"),
        "rbac_url": "https://pas.windows.net"
    })
}

async fn openid_configuration(
    State(state): State<Arc<SandboxState>>,
    Path(tenant): Path<String>,
) -> Response {
    state.count("discovery");
    let body = match lookup_tenant(&state, &tenant) {
        TenantLookup::Home => discovery_document(
            &state.base_url,
            &state.identity.id,
            &state.base_url,
            json!("EU"),
            "microsoftonline.com",
        ),
        TenantLookup::Foreign => discovery_document(
            "https://login.microsoftonline.us",
            &state.foreign.id,
            "https://graph.microsoft.us",
            json!("USGov"),
            "microsoftonline.us",
        ),
        TenantLookup::Multi(name) => {
            let mut doc = discovery_document(
                &state.base_url,
                &name,
                &state.base_url,
                Value::Null,
                "microsoftonline.com",
            );
            doc["issuer"] = json!(format!("{}/{{tenantid}}/v2.0", state.base_url));
            doc
        }
        TenantLookup::Unknown => {
            return StsError::new(
                StatusCode::BAD_REQUEST,
                "invalid_tenant",
                90002,
                tenant_not_found(&tenant),
            )
            .into_response(&state);
        }
        TenantLookup::Malformed => {
            return StsError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900023,
                malformed_tenant(&tenant),
            )
            .into_response(&state);
        }
    };
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=86400, private"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A token the sandbox issued, remembered so Graph can validate it.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub client_id: String,
    pub roles: Vec<String>,
    /// Unix seconds.
    pub expires: i64,
}

pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// `Authorization: Basic base64(client_id:secret)`, each part form-encoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

async fn token_get(State(state): State<Arc<SandboxState>>) -> Response {
    state.count("token");
    StsError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900561,
        "The endpoint only accepts POST requests. Received a GET request.",
    )
    .into_response(&state)
}

async fn token(
    State(state): State<Arc<SandboxState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count("token");
    match issue_token(&state, &tenant, &headers, &body) {
        Ok(body) => {
            let mut response = axum::Json(body).into_response();
            let request_id = state.request_guid();
            sts_headers(response.headers_mut(), &request_id);
            response
        }
        Err(error) => error.into_response(&state),
    }
}

fn missing_parameter(name: &str) -> StsError {
    StsError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn issue_token(
    state: &SandboxState,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, StsError> {
    let form = parse_form(body);
    let grant = form.get("grant_type").map(String::as_str);
    match lookup_tenant(state, tenant) {
        TenantLookup::Home => {}
        TenantLookup::Multi(_) => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                9001023,
                "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
            ));
        }
        TenantLookup::Foreign => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900382,
                "Confidential Client is not supported in Cross Cloud request.",
            ));
        }
        TenantLookup::Unknown => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                90002,
                tenant_not_found(tenant),
            ));
        }
        TenantLookup::Malformed => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900023,
                malformed_tenant(tenant),
            ));
        }
    }
    match grant {
        None => return Err(missing_parameter("grant_type")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            ));
        }
    }
    let basic = basic_credentials(headers);
    let client_id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
        .ok_or_else(|| missing_parameter("client_id"))?;
    let secret = form
        .get("client_secret")
        .cloned()
        .or_else(|| basic.as_ref().map(|(_, secret)| secret.clone()))
        .filter(|s| !s.is_empty());
    let now = Utc::now();
    let apps = state.apps_read();
    let app: &Registration = apps
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(client_id.trim()))
        .ok_or_else(|| {
            StsError::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                    state.identity.name
                ),
            )
        })?;
    if !app.enabled {
        return Err(StsError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            7000112,
            format!("Application '{}'({}) is disabled.", app.client_id, app.name),
        ));
    }
    let scope = form
        .get("scope")
        .ok_or_else(|| missing_parameter("scope"))?;
    let resource = scope.strip_suffix("/.default").ok_or_else(|| {
        StsError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        )
    })?;
    let resource = resource.trim_end_matches('/');
    let audience = if resource.eq_ignore_ascii_case(GRAPH_RESOURCE)
        || resource == "00000003-0000-0000-c000-000000000000"
    {
        GRAPH_RESOURCE.to_string()
    } else if resource.eq_ignore_ascii_case(&state.base_url) {
        state.base_url.clone()
    } else {
        return Err(StsError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    };
    let secret = secret.ok_or_else(|| {
        StsError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        )
    })?;
    match app.secrets.iter().find(|s| s.value == secret) {
        None => {
            return Err(StsError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    app.client_id
                ),
            ));
        }
        Some(found) if found.end <= now => {
            return Err(StsError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000222,
                format!(
                    "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                    app.client_id
                ),
            ));
        }
        Some(_) => {}
    }
    let lifetime = state.token_lifetime_seconds();
    let issued = now.timestamp();
    let expires = issued + lifetime;
    let mut claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{}/", state.identity.id),
        "iat": issued,
        "nbf": issued,
        "exp": expires,
        "aio": state.request_guid(),
        "app_displayname": app.name,
        "appid": app.client_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{}/", state.identity.id),
        "idtyp": "app",
        "oid": app.principal_id,
        "sub": app.principal_id,
        "tenant_region_scope": "EU",
        "tid": state.identity.id,
        "uti": state.request_guid(),
        "ver": "1.0",
    });
    if !app.granted_roles.is_empty() {
        claims["roles"] = json!(app.granted_roles);
    }
    let header =
        json!({"typ": "JWT", "alg": "RS256", "x5t": "rollcall-sandbox", "kid": "rollcall-sandbox"});
    let signature = format!("{}{}", state.request_guid(), state.request_guid());
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature.replace('-', ""))
    );
    let issued_token = IssuedToken {
        client_id: app.client_id.clone(),
        roles: app.granted_roles.clone(),
        expires,
    };
    drop(apps);
    state.remember_token(token.clone(), issued_token);
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0}</title></head><body><h1>{0}</h1><p>{1}</p></body></html>",
            escape_html(title),
            escape_html(detail)
        )),
    )
        .into_response()
}

async fn consent_page(
    State(state): State<Arc<SandboxState>>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    state.count("consent");
    let params = parse_form(query.unwrap_or_default().as_bytes());
    if !matches!(
        lookup_tenant(&state, &tenant),
        TenantLookup::Home | TenantLookup::Multi(_)
    ) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in error",
            &format!("AADSTS90002: {}", tenant_not_found(&tenant)),
        );
    }
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    let apps = state.apps_read();
    let Some(app) = apps
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(&client_id))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in error",
            &format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'.",
                state.identity.name
            ),
        );
    };
    let permissions: String = app
        .configured_roles
        .iter()
        .map(|role| {
            format!(
                "<li>{} (Microsoft Graph, application)</li>",
                escape_html(role)
            )
        })
        .collect();
    let hidden: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(k),
                escape_html(v)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Permissions requested</title></head><body>\
         <h1>Grant permissions to {name}?</h1>\
         <p>{tenant_name} ({domain})</p>\
         <p>This app would like to:</p><ul>{permissions}</ul>\
         <form method=\"post\">{hidden}\
         <button type=\"submit\" name=\"decision\" value=\"accept\" id=\"accept\">Accept</button> \
         <button type=\"submit\" name=\"decision\" value=\"cancel\" id=\"cancel\">Cancel</button>\
         </form></body></html>",
        name = escape_html(&app.name),
        tenant_name = escape_html(&state.identity.name),
        domain = escape_html(&state.identity.domain),
    ))
    .into_response()
}

async fn consent_decision(
    State(state): State<Arc<SandboxState>>,
    Path(_tenant): Path<String>,
    body: Bytes,
) -> Response {
    state.count("consent");
    let form = parse_form(&body);
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    let accepted = form.get("decision").map(String::as_str) == Some("accept");
    let redirect = form.get("redirect_uri").filter(|r| !r.is_empty()).cloned();
    let state_param = form.get("state").cloned();
    if accepted && !state.grant_consent(&client_id) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in error",
            &format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'.",
                state.identity.name
            ),
        );
    }
    let Some(redirect) = redirect else {
        return if accepted {
            Html("<!doctype html><html><head><meta charset=\"utf-8\"><title>Permissions granted</title></head><body><h1>Permissions granted; you can close this window</h1></body></html>").into_response()
        } else {
            Html("<!doctype html><html><head><meta charset=\"utf-8\"><title>Cancelled</title></head><body><h1>No permissions were granted; you can close this window</h1></body></html>").into_response()
        };
    };
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    if accepted {
        pairs.append_pair("admin_consent", "True");
        pairs.append_pair("tenant", &state.identity.id);
        if let Some(scope) = form.get("scope") {
            pairs.append_pair("scope", scope);
        }
    } else {
        pairs.append_pair("error", "permission_denied");
        pairs.append_pair("error_description", "The admin canceled the request");
    }
    if let Some(value) = state_param {
        pairs.append_pair("state", &value);
    }
    let separator = if redirect.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect}{separator}{}", pairs.finish())).into_response()
}
