//! Checks what the admin typed (tenant, client ID, secret) before anything goes over the
//! network: each mistake is caught here with the field named, what is wrong and what to do.
//! Pasted links to the admin center or the sign-in service are read for the tenant or app ID.
//! This module never does network I/O.

use std::fmt;

use url::Url;
use uuid::Uuid;

use crate::cloud::PortalLinks;
use crate::diagnosis::Diagnosis;
use crate::secret::Secret;

/// Which input a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Tenant,
    ClientId,
    Secret,
}

impl Field {
    /// The field's label as the admin sees it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Tenant => "tenant",
            Field::ClientId => "client ID",
            Field::Secret => "client secret",
        }
    }
}

/// What kind of mistake an input has; decides the diagnosis code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFault {
    /// The tenant is not a tenant ID or domain.
    Tenant,
    /// The client ID is not a GUID.
    ClientId,
    /// No secret was entered.
    SecretMissing,
    /// The secret entered is a GUID: the Secret ID, not the Value.
    SecretId,
    /// The secret has a shape no Entra secret has.
    SecretShape,
}

/// One problem with one input: the field, what is wrong with it and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub field: Field,
    pub fault: InputFault,
    /// What is wrong, naming the field.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.message, self.fix)
    }
}

impl InputProblem {
    /// The finding shown in a check report for this problem.
    pub fn to_diagnosis(&self, links: &PortalLinks) -> Diagnosis {
        match self.fault {
            InputFault::Tenant => Diagnosis::tenant_malformed(self.message.clone(), links),
            InputFault::ClientId => Diagnosis::client_id_malformed(self.message.clone(), links),
            InputFault::SecretMissing => {
                Diagnosis::secret_missing(self.message.clone(), self.fix.clone(), links)
            }
            InputFault::SecretId => Diagnosis::secret_id_sent(self.message.clone(), links),
            InputFault::SecretShape => {
                Diagnosis::secret_malformed(self.message.clone(), self.fix.clone(), links)
            }
        }
    }
}

/// A tenant as Entra accepts it: its ID, or one of its verified domains (lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TenantRef {
    Id(Uuid),
    Domain(String),
}

impl fmt::Display for TenantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenantRef::Id(id) => write!(f, "{}", id.hyphenated()),
            TenantRef::Domain(domain) => f.write_str(domain),
        }
    }
}

/// An app registration's Application (client) ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientId(Uuid);

impl ClientId {
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// Tenant, client ID and secret that passed every input check.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub tenant: TenantRef,
    pub client_id: ClientId,
    pub secret: Secret,
}

/// Microsoft Graph's own application ID, sometimes pasted by mistake.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Longer than any link or identifier anyone means to paste.
const MAX_INPUT: usize = 2048;
const MAX_DOMAIN: usize = 253;
const MAX_SECRET: usize = 1024;
const MIN_SECRET: usize = 8;

const TENANT_FIX: &str = "In the Entra admin center, open Overview and copy the Tenant ID, or enter one of your organization's domains such as contoso.onmicrosoft.com.";
const CLIENT_ID_FIX: &str = "In the Entra admin center, open App registrations → your Rollcall app → Overview and copy the Application (client) ID, which looks like 11111111-2222-3333-4444-555555555555.";
const SECRET_FIX: &str = "In the Entra admin center, open App registrations → your Rollcall app → Certificates & secrets, create a new client secret and paste its Value (about 40 characters, shown only once).";

fn tenant_problem(message: impl Into<String>) -> InputProblem {
    InputProblem {
        field: Field::Tenant,
        fault: InputFault::Tenant,
        message: message.into(),
        fix: TENANT_FIX.to_string(),
    }
}

fn client_id_problem(message: impl Into<String>) -> InputProblem {
    InputProblem {
        field: Field::ClientId,
        fault: InputFault::ClientId,
        message: message.into(),
        fix: CLIENT_ID_FIX.to_string(),
    }
}

fn secret_problem(fault: InputFault, message: impl Into<String>, fix: &str) -> InputProblem {
    InputProblem {
        field: Field::Secret,
        fault,
        message: message.into(),
        fix: fix.to_string(),
    }
}

/// Checks all three inputs and reports every problem found, not just the first.
pub fn check_credentials(
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> Result<Credentials, Vec<InputProblem>> {
    let tenant = parse_tenant(tenant);
    let client = parse_client_id(client_id);
    let secret = parse_secret(secret);
    let mut problems = Vec::new();
    if let (Ok(TenantRef::Id(tenant_id)), Ok(client)) = (&tenant, &client)
        && *tenant_id == client.as_uuid()
    {
        problems.push(client_id_problem(
            "The client ID is the same as the tenant ID. The tenant ID names your organization; the client ID names the app.",
        ));
    }
    match (tenant, client, secret) {
        (Ok(tenant), Ok(client_id), Ok(secret)) if problems.is_empty() => Ok(Credentials {
            tenant,
            client_id,
            secret,
        }),
        (tenant, client, secret) => {
            let mut all: Vec<InputProblem> = [tenant.err(), client.err(), secret.err()]
                .into_iter()
                .flatten()
                .collect();
            all.append(&mut problems);
            Err(all)
        }
    }
}

/// Reads a tenant: a tenant ID (GUID, braces allowed), a domain, or a pasted link to the admin
/// center or the sign-in service that names one.
pub fn parse_tenant(input: &str) -> Result<TenantRef, InputProblem> {
    let value = input.trim();
    if value.is_empty() {
        return Err(tenant_problem("The tenant is empty."));
    }
    let count = value.chars().count();
    if count > MAX_INPUT {
        return Err(tenant_problem(format!(
            "The tenant is {count} characters long; a tenant ID has 36 and a domain at most {MAX_DOMAIN}. Something else was pasted."
        )));
    }
    if looks_like_link(value) {
        let candidate = tenant_in_link(value)?;
        return parse_plain_tenant(&candidate).map_err(|problem| {
            tenant_problem(format!(
                "The link was read, but the tenant in it, \"{candidate}\", is not usable: {}",
                problem.message
            ))
        });
    }
    parse_plain_tenant(value)
}

fn parse_plain_tenant(value: &str) -> Result<TenantRef, InputProblem> {
    common_shape_problem(value, Field::Tenant)
        .map_or(Ok(()), |message| Err(tenant_problem(message)))?;
    let lower = value.to_lowercase();
    match lower.as_str() {
        "common" | "organizations" | "consumers" => {
            return Err(tenant_problem(format!(
                "\"{value}\" is a shared sign-in address, not a tenant. Rollcall signs in as an app, which needs your organization's own tenant."
            )));
        }
        _ => {}
    }
    if value.contains('@') {
        let domain = value.rsplit('@').next().unwrap_or_default();
        return Err(tenant_problem(format!(
            "The tenant \"{value}\" is an email address. Enter only the domain after the @ (\"{domain}\"), or the tenant ID."
        )));
    }
    if let Some(guid) = guid_shaped(value) {
        return match parse_guid(guid) {
            Ok(id) if id.is_nil() => Err(tenant_problem(
                "The tenant ID is all zeros, which is a placeholder, not a real tenant.",
            )),
            Ok(id) => Ok(TenantRef::Id(id)),
            Err(why) => Err(tenant_problem(format!("The tenant ID {why}"))),
        };
    }
    parse_domain(value)
        .map(TenantRef::Domain)
        .map_err(tenant_problem)
}

/// Problems every identifier field shares: quotes, placeholders, spaces, invisible characters.
fn common_shape_problem(value: &str, field: Field) -> Option<String> {
    let label = field.label();
    const QUOTES: [char; 7] = ['"', '\'', '`', '“', '”', '‘', '’'];
    if value.starts_with(QUOTES) || value.ends_with(QUOTES) {
        return Some(format!(
            "The {label} is wrapped in quotation marks. Remove them and paste only what is inside."
        ));
    }
    if value.contains("{{")
        || value.contains("}}")
        || value.contains("${")
        || value.starts_with('<')
    {
        return Some(format!(
            "The {label} \"{value}\" is a placeholder from an example, not a real value."
        ));
    }
    match value.to_lowercase().as_str() {
        "undefined" | "null" | "none" | "tenant" | "tenantid" | "tenant-id" | "your-tenant-id"
        | "clientid" | "client-id" | "client_id" | "your-client-id" | "xxx" => {
            return Some(format!(
                "The {label} \"{value}\" is a placeholder from an example, not a real value."
            ));
        }
        _ => {}
    }
    if let Some(bad) = value.chars().find(|c| c.is_control() || is_invisible(*c)) {
        let what = match bad {
            '\n' | '\r' => "a line break",
            '\t' => "a tab",
            _ => "an invisible character",
        };
        return Some(format!(
            "The {label} contains {what} (U+{:04X}). It was probably copied along with other text; paste it again on its own.",
            u32::from(bad)
        ));
    }
    if value.chars().any(char::is_whitespace) {
        return Some(format!(
            "The {label} \"{value}\" contains a space. It has no spaces; copy it again."
        ));
    }
    None
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{00ad}'
    )
}

fn looks_like_link(value: &str) -> bool {
    value.contains("://") || value.to_ascii_lowercase().starts_with("www.")
}

fn parse_link(value: &str) -> Option<Url> {
    if value.to_ascii_lowercase().starts_with("www.") {
        Url::parse(&format!("https://{value}")).ok()
    } else {
        Url::parse(value).ok()
    }
}

/// Finds the tenant named in a link: `login.…/{tenant}/…`, `portal…/#@{domain}/…`,
/// `…/{tenant-id}/#view…`, `?tenant=…`, or `tenantId/{id}` in the page address.
fn tenant_in_link(value: &str) -> Result<String, InputProblem> {
    let Some(url) = parse_link(value) else {
        return Err(tenant_problem(format!(
            "The tenant \"{}\" looks like a link but is not a complete web address.",
            shorten(value)
        )));
    };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    for (key, found) in url.query_pairs() {
        if matches!(
            key.to_ascii_lowercase().as_str(),
            "tenant" | "tenantid" | "tenant_id" | "directoryid"
        ) && !found.is_empty()
        {
            return Ok(found.into_owned());
        }
    }
    if let Some(fragment) = url.fragment() {
        if let Some(rest) = fragment.strip_prefix('@') {
            let domain: String = rest
                .split(['/', '?'])
                .next()
                .unwrap_or_default()
                .to_string();
            if !domain.is_empty() {
                return Ok(domain);
            }
        }
        let parts: Vec<&str> = fragment.split('/').collect();
        for pair in parts.windows(2) {
            if let [key, found] = pair
                && matches!(
                    key.to_ascii_lowercase().as_str(),
                    "tenantid" | "directoryid" | "tenant"
                )
                && !found.is_empty()
            {
                return Ok((*found).to_string());
            }
        }
    }
    let first_segment = url
        .path_segments()
        .and_then(|mut segments| segments.next())
        .unwrap_or_default()
        .to_string();
    let is_login =
        host.starts_with("login.") || host == "sts.windows.net" || host.contains("127.0.0.1");
    if !first_segment.is_empty() && (is_login || guid_shaped(&first_segment).is_some()) {
        return Ok(first_segment);
    }
    Err(tenant_problem(format!(
        "The link to {host} does not say which tenant it belongs to."
    )))
}

/// Reads a client ID: a GUID (braces allowed), or a pasted link to the app's page.
pub fn parse_client_id(input: &str) -> Result<ClientId, InputProblem> {
    let value = input.trim();
    if value.is_empty() {
        return Err(client_id_problem("The client ID is empty."));
    }
    let count = value.chars().count();
    if count > MAX_INPUT {
        return Err(client_id_problem(format!(
            "The client ID is {count} characters long; it should be 36. Something else was pasted."
        )));
    }
    let owned;
    let value = if looks_like_link(value) {
        owned = client_id_in_link(value)?;
        owned.as_str()
    } else {
        value
    };
    if let Some(message) = common_shape_problem(value, Field::ClientId) {
        return Err(client_id_problem(message));
    }
    if value.contains('@') {
        return Err(client_id_problem(format!(
            "The client ID \"{value}\" is an email address. The client ID is the app's GUID, not a person's sign-in."
        )));
    }
    let Some(guid) = guid_shaped(value) else {
        if value.contains('.') {
            return Err(client_id_problem(format!(
                "The client ID \"{value}\" looks like a domain name. The client ID is the app's GUID, not a domain."
            )));
        }
        return Err(client_id_problem(format!(
            "The client ID \"{}\" is not a GUID (32 hexadecimal digits in groups 8-4-4-4-12). It may be the app's display name.",
            shorten(value)
        )));
    };
    match parse_guid(guid) {
        Ok(id) if id.is_nil() => Err(client_id_problem(
            "The client ID is all zeros, which is a placeholder from an example.",
        )),
        Ok(id) if id.hyphenated().to_string() == GRAPH_APP_ID => Err(client_id_problem(
            "The client ID is Microsoft Graph's own ID (00000003-0000-0000-c000-000000000000), not your app's.",
        )),
        Ok(id) => Ok(ClientId(id)),
        Err(why) => Err(client_id_problem(format!("The client ID {why}"))),
    }
}

fn client_id_in_link(value: &str) -> Result<String, InputProblem> {
    let Some(url) = parse_link(value) else {
        return Err(client_id_problem(format!(
            "The client ID \"{}\" looks like a link but is not a complete web address.",
            shorten(value)
        )));
    };
    for (key, found) in url.query_pairs() {
        if matches!(
            key.to_ascii_lowercase().as_str(),
            "client_id" | "appid" | "applicationid"
        ) && !found.is_empty()
        {
            return Ok(found.into_owned());
        }
    }
    let text = format!("{}#{}", url.path(), url.fragment().unwrap_or_default());
    let parts: Vec<&str> = text.split(['/', '#']).collect();
    for pair in parts.windows(2) {
        if let [key, found] = pair
            && key.eq_ignore_ascii_case("appId")
            && !found.is_empty()
        {
            return Ok((*found).to_string());
        }
    }
    Err(client_id_problem(format!(
        "The link to {} does not contain a client ID. Open the app's Overview page and copy the Application (client) ID itself.",
        url.host_str().unwrap_or("that page")
    )))
}

/// Reads a client secret Value. A GUID is refused at once: it is the Secret ID.
pub fn parse_secret(input: &str) -> Result<Secret, InputProblem> {
    let value = input.trim();
    if value.is_empty() {
        return Err(secret_problem(
            InputFault::SecretMissing,
            "The client secret is empty.",
            SECRET_FIX,
        ));
    }
    let count = value.chars().count();
    if count > MAX_SECRET {
        return Err(secret_problem(
            InputFault::SecretShape,
            format!(
                "The client secret is {count} characters long; Entra secrets are about 40. More than the secret was pasted."
            ),
            "Copy only the Value of the client secret and paste it again.",
        ));
    }
    let unbraced = value
        .strip_prefix('{')
        .and_then(|inner| inner.strip_suffix('}'))
        .unwrap_or(value);
    if guid_shaped(unbraced).is_some() && parse_guid(unbraced).is_ok() {
        return Err(secret_problem(
            InputFault::SecretId,
            "This looks like the Secret ID. Paste the Value instead: the client secret is in the Value column.",
            "On the Certificates & secrets page, copy the Value column, not the Secret ID column. If the Value is hidden, create a new client secret and copy its Value right away.",
        ));
    }
    const QUOTES: [char; 7] = ['"', '\'', '`', '“', '”', '‘', '’'];
    if value.starts_with(QUOTES) && value.ends_with(QUOTES) && count > 1 {
        return Err(secret_problem(
            InputFault::SecretShape,
            "The client secret is wrapped in quotation marks.",
            "Remove the quotation marks and paste only the Value.",
        ));
    }
    if value.contains("***") || value.contains('•') || value.contains('●') {
        return Err(secret_problem(
            InputFault::SecretShape,
            "The client secret is masked (it contains ***): the admin center hides the Value once you leave the page.",
            SECRET_FIX,
        ));
    }
    if looks_like_link(value) {
        return Err(secret_problem(
            InputFault::SecretShape,
            "The client secret is a web address, not a secret.",
            SECRET_FIX,
        ));
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
    {
        return Err(secret_problem(
            InputFault::SecretShape,
            "The client secret contains a space, line break or invisible character; Entra secrets never do.",
            "Copy the Value again on its own (double-click it or use the copy button) and paste it.",
        ));
    }
    if let Some(bad) = value.chars().find(|c| !c.is_ascii()) {
        return Err(secret_problem(
            InputFault::SecretShape,
            format!(
                "The client secret contains \"{bad}\", a character Entra secrets never contain. A text editor may have changed it."
            ),
            "Copy the Value straight from the admin center (not through a document) and paste it again.",
        ));
    }
    if count < MIN_SECRET {
        return Err(secret_problem(
            InputFault::SecretShape,
            format!(
                "The client secret is only {count} characters long; Entra secrets are about 40. Only part of it may have been copied."
            ),
            SECRET_FIX,
        ));
    }
    Ok(Secret::new(value))
}

/// The GUID inside `value` when it has a GUID's shape (hex digits and dashes, optionally in
/// braces), even if it is not a valid GUID.
fn guid_shaped(value: &str) -> Option<&str> {
    let inner = value
        .strip_prefix('{')
        .and_then(|inner| inner.strip_suffix('}'))
        .unwrap_or(value);
    let dashes = inner.matches('-').count();
    let hexish = inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let mostly_hex = inner.chars().filter(char::is_ascii_hexdigit).count() * 10
        >= inner.chars().filter(|c| *c != '-').count() * 8;
    let no_dot = !inner.contains('.');
    if hexish && no_dot && mostly_hex && (dashes >= 2 || inner.len() == 32) {
        Some(inner)
    } else {
        None
    }
}

/// Parses a GUID-shaped value; the error completes the sentence "The tenant ID …".
fn parse_guid(value: &str) -> Result<Uuid, String> {
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_hexdigit() || *c == '-'))
    {
        return Err(format!(
            "\"{value}\" contains \"{bad}\"; a GUID uses only the digits 0-9 and letters a-f."
        ));
    }
    let digits = value.chars().filter(char::is_ascii_hexdigit).count();
    if digits != 32 {
        return Err(format!(
            "\"{value}\" has {digits} digits; a GUID has 32, in groups 8-4-4-4-12. Part may be missing or doubled."
        ));
    }
    let groups: Vec<usize> = value.split('-').map(str::len).collect();
    if value.contains('-') && groups != [8, 4, 4, 4, 12] {
        return Err(format!(
            "\"{value}\" has its dashes in the wrong places; a GUID is grouped 8-4-4-4-12."
        ));
    }
    Uuid::parse_str(value).map_err(|error| format!("\"{value}\" is not a valid GUID ({error})."))
}

/// Checks a domain name; returns it in lower case.
fn parse_domain(value: &str) -> Result<String, String> {
    let domain = value.trim_end_matches('.').to_lowercase();
    if let Some(bad) = domain.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "The tenant \"{value}\" contains \"{bad}\", which Entra does not accept in a domain. Use the tenant ID or your contoso.onmicrosoft.com domain instead."
        ));
    }
    if domain.len() > MAX_DOMAIN {
        return Err(format!(
            "The tenant is {} characters long; a domain has at most {MAX_DOMAIN}.",
            domain.len()
        ));
    }
    if let Some(bad) = domain
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "The tenant \"{value}\" contains \"{bad}\", which a domain cannot contain."
        ));
    }
    if !domain.contains('.') {
        return Err(format!(
            "The tenant \"{value}\" is neither a tenant ID nor a domain: a domain has a dot, as in contoso.onmicrosoft.com."
        ));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(format!(
                "The tenant \"{value}\" has two dots in a row or starts with a dot."
            ));
        }
        if label.len() > 63 {
            return Err(format!(
                "The tenant \"{}\" has a part longer than 63 characters, which no domain has.",
                shorten(value)
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "The tenant \"{value}\" has a part that starts or ends with a dash (\"{label}\"), which no domain has."
            ));
        }
    }
    if domain
        .rsplit('.')
        .next()
        .is_some_and(|top| top.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "The tenant \"{value}\" is a network address, not a domain or tenant ID."
        ));
    }
    Ok(domain)
}

fn shorten(value: &str) -> String {
    if value.chars().count() > 60 {
        let start: String = value.chars().take(57).collect();
        format!("{start}...")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const CLIENT: &str = "535fb089-9ff3-47b6-9bfb-4f1264799865";
    const SECRET: &str = "abc8Q~Zx0123456789abcdefghijklmnopqrstuv";

    #[test]
    fn accepts_what_admins_paste() {
        let id = TenantRef::Id(Uuid::parse_str(TENANT).unwrap());
        assert_eq!(parse_tenant(TENANT), Ok(id.clone()));
        assert_eq!(parse_tenant(&format!("  {{{TENANT}}}\n")), Ok(id.clone()));
        assert_eq!(parse_tenant(&TENANT.to_uppercase()), Ok(id.clone()));
        assert_eq!(
            parse_tenant(" Contoso.OnMicrosoft.com "),
            Ok(TenantRef::Domain("contoso.onmicrosoft.com".into()))
        );
        assert_eq!(
            parse_tenant(&format!(
                "https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
            )),
            Ok(id.clone())
        );
        assert_eq!(
            parse_tenant("https://portal.azure.com/#@contoso.onmicrosoft.com/resource/x"),
            Ok(TenantRef::Domain("contoso.onmicrosoft.com".into()))
        );
        assert_eq!(
            parse_tenant(&format!(
                "https://entra.microsoft.com/{TENANT}/#view/Microsoft_AAD_IAM/TenantOverview"
            )),
            Ok(id.clone())
        );
        assert_eq!(
            parse_tenant(&format!(
                "https://entra.microsoft.com/?tenant={TENANT}#home"
            )),
            Ok(id)
        );
        assert_eq!(
            parse_client_id(&format!("{{{CLIENT}}}")).map(|c| c.to_string()),
            Ok(CLIENT.to_string())
        );
        assert_eq!(
            parse_client_id(&format!(
                "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/{CLIENT}/isMSAApp~/false"
            ))
            .map(|c| c.to_string()),
            Ok(CLIENT.to_string())
        );
        assert_eq!(
            parse_secret(&format!("{SECRET}\n")).unwrap().expose(),
            SECRET
        );
        assert!(check_credentials(TENANT, CLIENT, SECRET).is_ok());
    }

    fn expect_problem(
        result: Result<impl fmt::Debug, InputProblem>,
        field: Field,
        fault: InputFault,
        needle: &str,
    ) {
        match result {
            Ok(value) => panic!("accepted {value:?}, expected a problem mentioning {needle:?}"),
            Err(problem) => {
                assert_eq!(problem.field, field, "{problem:?}");
                assert_eq!(problem.fault, fault, "{problem:?}");
                assert!(
                    problem.message.contains(field.label()),
                    "message does not name the field: {problem:?}"
                );
                assert!(
                    problem
                        .message
                        .to_lowercase()
                        .contains(&needle.to_lowercase()),
                    "message {:?} does not mention {needle:?}",
                    problem.message
                );
                assert!(!problem.fix.is_empty());
            }
        }
    }

    #[test]
    fn malformed_tenants_get_specific_messages() {
        let long = "a".repeat(10_000);
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("\"contoso.com\"", "quotation marks"),
            ("“contoso.com”", "quotation marks"),
            ("{{tenantid}}", "placeholder"),
            ("undefined", "placeholder"),
            ("<tenant-id>", "placeholder"),
            ("common", "shared sign-in"),
            ("organizations", "shared sign-in"),
            ("admin@contoso.com", "email"),
            ("contoso", "has a dot"),
            ("contoso com", "space"),
            ("contoso.com\nfabrikam.com", "line break"),
            ("con\u{200b}toso.com", "invisible"),
            ("contosö.com", "ö"),
            ("contoso..com", "two dots"),
            ("-contoso.com", "dash"),
            ("contoso_corp.com", "_"),
            ("192.168.1.10", "network address"),
            ("72f988bf-86f1-41af-91ab-2d7cd011db4", "31 digits"),
            ("72f988bf-86f1-41af-91ab-2d7cd011db47a", "33 digits"),
            ("72f988bg-86f1-41af-91ab-2d7cd011db47", "\"g\""),
            ("72f988bf86f1-41af-91ab-2d7c-d011db47", "dashes"),
            ("00000000-0000-0000-0000-000000000000", "zeros"),
            (long.as_str(), "10000 characters"),
            (
                "https://entra.microsoft.com/#view/Microsoft_AAD_IAM",
                "does not say",
            ),
            (
                "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                "shared sign-in",
            ),
            ("https://", "not a complete"),
        ];
        for (input, needle) in cases {
            expect_problem(
                parse_tenant(input),
                Field::Tenant,
                InputFault::Tenant,
                needle,
            );
        }
    }

    #[test]
    fn malformed_client_ids_get_specific_messages() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("Rollcall", "not a GUID"),
            ("contoso.onmicrosoft.com", "domain"),
            ("someone@contoso.com", "email"),
            ("535fb089-9ff3-47b6-9bfb-4f126479986", "31 digits"),
            ("535fb089-9ff3-47b6-9bfb-4f126479986z", "\"z\""),
            ("00000000-0000-0000-0000-000000000000", "zeros"),
            ("00000003-0000-0000-c000-000000000000", "Graph"),
            ("'535fb089-9ff3-47b6-9bfb-4f1264799865'", "quotation"),
            ("535fb089-9ff3-47b6-9bfb 4f1264799865", "space"),
            (
                "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps",
                "does not contain",
            ),
            ("{{client_id}}", "placeholder"),
        ];
        for (input, needle) in cases {
            expect_problem(
                parse_client_id(input),
                Field::ClientId,
                InputFault::ClientId,
                needle,
            );
        }
        let problems = check_credentials(CLIENT, CLIENT, SECRET).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("same as the tenant ID"));
    }

    #[test]
    fn malformed_secrets_get_specific_messages() {
        let long = "x".repeat(10_000);
        let cases: &[(&str, InputFault, &str)] = &[
            ("", InputFault::SecretMissing, "empty"),
            ("\n\t ", InputFault::SecretMissing, "empty"),
            (
                "4f1e3c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9",
                InputFault::SecretId,
                "Secret ID",
            ),
            (
                "{4f1e3c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9}",
                InputFault::SecretId,
                "paste the Value",
            ),
            ("abc***********", InputFault::SecretShape, "masked"),
            (
                "\"abc8Q~Zx0123456789abcdef\"",
                InputFault::SecretShape,
                "quotation",
            ),
            (
                "abc8Q~Zx01234 56789abcdef",
                InputFault::SecretShape,
                "space",
            ),
            ("abc8Q~Zx0123€56789abcdef", InputFault::SecretShape, "€"),
            ("abc8Q", InputFault::SecretShape, "only 5 characters"),
            (long.as_str(), InputFault::SecretShape, "10000 characters"),
            (
                "https://example.com/secret",
                InputFault::SecretShape,
                "web address",
            ),
        ];
        for (input, fault, needle) in cases {
            expect_problem(parse_secret(input), Field::Secret, *fault, needle);
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let problems = check_credentials("", "nope", "").unwrap_err();
        let fields: Vec<Field> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, [Field::Tenant, Field::ClientId, Field::Secret]);
    }

    #[test]
    fn problems_become_diagnoses() {
        let links = crate::cloud::Cloud::Global.links(None);
        let problem = parse_secret("4f1e3c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9").unwrap_err();
        assert_eq!(
            problem.to_diagnosis(&links).code,
            crate::diagnosis::DiagnosisCode::SecretIdSent
        );
    }
}
