//! The SCIM 2.0 target (RFC 7643/7644): [`ScimTarget`] writes accounts and groups into a
//! learning platform's SCIM service with a bearer token from the keychain. It discovers what
//! the platform supports, finds accounts by `externalId` then `userName`, changes only what
//! changed (PATCH where offered, else PUT of the whole resource), paces itself to the
//! platform ([`pacing`]), retries what is worth retrying ([`transport`]) and never creates
//! an account twice when a reply is lost. Where the platform offers bulk, creates go in
//! bulk requests ([`bulk`]). [`check`] diagnoses a target that does not work.

mod bulk;
mod check;
mod pacing;
mod transport;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value, json};

pub use check::check;
pub use transport::ScimStats;

use crate::graph::{CancelToken, RetryPolicy, Sleeper, TokioSleeper};
use crate::network::{HttpSettings, http_client};
use crate::profile::{Profile, TargetKind};
use crate::secret::{Secret, SecretKind, SecretStore};
use crate::targets::{
    AccountWrite, AttributeChange, Capabilities, RemoteAccount, RemoteGroup, Target, TargetError,
    TargetFuture,
};
use transport::{CallError, Replay, Transport};
use wire::{CORE_GROUP, ENTERPRISE_USER, MANAGER_PATH, equals, member, truthy};

/// How often and how long the SCIM client retries: 8 attempts, backoff from 0.5 s doubling
/// to at most 30 s, and no `Retry-After` obeyed for longer than 2 minutes.
pub fn default_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(30),
        max_retry_after: Duration::from_secs(120),
    }
}

/// Members added or removed per PATCH request.
const MEMBERS_PER_REQUEST: usize = 200;
/// Accounts asked for per page when the platform does not say its limit.
const DEFAULT_PAGE: u64 = 100;

/// What discovery found, with what only the client needs.
#[derive(Debug, Clone)]
struct Discovery {
    capabilities: Capabilities,
    /// The platform's `filter.maxResults`, when it says.
    max_results: Option<u64>,
    /// The platform's `bulk.maxPayloadSize` in bytes, when it offers bulk and says.
    bulk_max_payload: Option<u64>,
}

/// A learning platform's SCIM service.
pub struct ScimTarget {
    transport: Transport,
    discovery: tokio::sync::OnceCell<Discovery>,
    bulk: bulk::BulkState,
}

impl std::fmt::Debug for ScimTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimTarget")
            .field("base", &self.transport.base())
            .finish_non_exhaustive()
    }
}

impl ScimTarget {
    /// A client for the SCIM service at `base_url` (e.g. `https://lms.example.com/scim/v2`)
    /// with its bearer token.
    pub fn new(base_url: &str, token: Secret) -> Result<ScimTarget, TargetError> {
        let http = http_client(HttpSettings {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        })
        .map_err(|error| TargetError::Protocol {
            detail: error.to_string(),
        })?;
        Ok(ScimTarget::with_client(http, base_url, token))
    }

    /// A client over a given HTTP client.
    pub fn with_client(http: reqwest::Client, base_url: &str, token: Secret) -> ScimTarget {
        ScimTarget {
            transport: Transport::new(
                http,
                base_url,
                token,
                default_retry_policy(),
                Arc::new(TokioSleeper),
            ),
            discovery: tokio::sync::OnceCell::new(),
            bulk: bulk::BulkState::default(),
        }
    }

    /// The client for a profile's `[target]` (kind = "scim"), with its token from `secrets`.
    pub fn for_profile(profile: &Profile, secrets: &dyn SecretStore) -> Result<ScimTarget, String> {
        let url = match &profile.target {
            Some(target) if target.kind == TargetKind::Scim => target.url.clone(),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "\"{}\" has no SCIM target. Add a [target] table with kind = \"scim\" and url = the SCIM base address of the learning platform.",
                profile.name
            )
        })?;
        ScimTarget::for_profile_at(profile, secrets, &url)
    }

    /// The client for a profile's SCIM target, sending to `url` (demo mode: where the demo
    /// platform runs now), with the token stored for the profile's own address.
    pub fn for_profile_at(
        profile: &Profile,
        secrets: &dyn SecretStore,
        url: &str,
    ) -> Result<ScimTarget, String> {
        let token = crate::secret::read_for_profile(secrets, profile, SecretKind::Target)
            .map_err(|error| error.to_string())?
            .ok_or_else(|| {
                format!(
                    "No token for the learning platform is stored for \"{}\". Store it with `rollcall secret set {} target`.",
                    profile.name, profile.name
                )
            })?;
        ScimTarget::new(url, token).map_err(|error| error.to_string())
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> ScimTarget {
        self.transport.policy = policy;
        self
    }

    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> ScimTarget {
        self.transport.sleeper = sleeper;
        self
    }

    pub fn with_cancel(mut self, cancel: CancelToken) -> ScimTarget {
        self.transport.cancel = cancel;
        self
    }

    /// The SCIM base address.
    pub fn base_url(&self) -> &str {
        self.transport.base()
    }

    /// Requests, retries, throttling seen so far.
    pub fn stats(&self) -> ScimStats {
        self.transport.stats()
    }

    /// The write rate the client has settled on (writes a second), once the platform
    /// has throttled it.
    pub fn write_rate(&self) -> Option<f64> {
        self.transport.pacing.write_rate()
    }

    /// How many requests the client lets be in flight at once now.
    pub fn window(&self) -> usize {
        self.transport.pacing.window()
    }

    async fn discovered(&self) -> Result<&Discovery, TargetError> {
        self.discovery.get_or_try_init(|| self.discover()).await
    }

    async fn discover(&self) -> Result<Discovery, TargetError> {
        let t = &self.transport;
        let config = t
            .send(Method::GET, &t.url("/ServiceProviderConfig", &[]), None)
            .await?
            .body
            .filter(Value::is_object)
            .ok_or_else(|| TargetError::Protocol {
                detail: format!(
                    "{} answered /ServiceProviderConfig without a SCIM document. Check the target address: it must be the SCIM base address (often ending in /scim/v2).",
                    t.base()
                ),
            })?;
        let supported = |name: &str| {
            member(&config, name)
                .and_then(|feature| member(feature, "supported"))
                .and_then(truthy)
        };
        let number = |feature: &str, name: &str| {
            member(&config, feature)
                .and_then(|part| member(part, name))
                .and_then(|value| match value {
                    Value::Number(number) => number.as_u64(),
                    Value::String(text) => text.trim().parse().ok(),
                    _ => None,
                })
        };
        let bulk_max_operations = match supported("bulk") {
            Some(true) => number("bulk", "maxOperations")
                .filter(|max| *max > 0)
                .map(|max| u32::try_from(max).unwrap_or(u32::MAX)),
            _ => None,
        };
        let mut capabilities = Capabilities {
            patch: supported("patch").unwrap_or(false),
            filter: supported("filter").unwrap_or(true),
            bulk_max_operations,
            etag: supported("etag").unwrap_or(false),
            enterprise_extension: false,
            groups: false,
        };
        let types = t
            .send(Method::GET, &t.url("/ResourceTypes", &[]), None)
            .await;
        match types {
            Ok(reply) => {
                let resources = match &reply.body {
                    Some(Value::Array(items)) => items.clone(),
                    Some(body) => wire::page(body).map(|(items, _)| items).unwrap_or_default(),
                    None => Vec::new(),
                };
                for resource in &resources {
                    let name = member(resource, "name")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let endpoint = member(resource, "endpoint")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if name.eq_ignore_ascii_case("Group")
                        || endpoint.eq_ignore_ascii_case("/Groups")
                    {
                        capabilities.groups = true;
                    }
                    if let Some(Value::Array(extensions)) = member(resource, "schemaExtensions") {
                        capabilities.enterprise_extension |= extensions.iter().any(|extension| {
                            member(extension, "schema")
                                .and_then(Value::as_str)
                                .is_some_and(|urn| urn.eq_ignore_ascii_case(ENTERPRISE_USER))
                        });
                    }
                }
            }
            Err(error) if error.stops_the_run() => return Err(error),
            Err(_) => {
                // No resource types: ask for one group to see whether groups exist.
                capabilities.groups = t
                    .send(Method::GET, &t.url("/Groups", &[("count", "1")]), None)
                    .await
                    .is_ok();
            }
        }
        if !capabilities.enterprise_extension {
            let schemas = t.send(Method::GET, &t.url("/Schemas", &[]), None).await;
            if let Ok(reply) = schemas {
                let items = match &reply.body {
                    Some(Value::Array(items)) => items.clone(),
                    Some(body) => wire::page(body).map(|(items, _)| items).unwrap_or_default(),
                    None => Vec::new(),
                };
                capabilities.enterprise_extension = items.iter().any(|schema| {
                    member(schema, "id")
                        .and_then(Value::as_str)
                        .is_some_and(|urn| urn.eq_ignore_ascii_case(ENTERPRISE_USER))
                });
            }
        }
        let bulk_max_payload = match capabilities.bulk_max_operations {
            Some(_) => number("bulk", "maxPayloadSize").filter(|max| *max > 0),
            None => None,
        };
        Ok(Discovery {
            capabilities,
            max_results: number("filter", "maxResults").filter(|max| *max > 0),
            bulk_max_payload,
        })
    }

    /// Every resource of `path` (`/Users`, `/Groups`) matching `filter`, page by page.
    async fn list(&self, path: &str, filter: Option<&str>) -> Result<Vec<Value>, TargetError> {
        let page_size = self
            .discovered()
            .await?
            .max_results
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, 1_000);
        let t = &self.transport;
        let count = page_size.to_string();
        let mut seen = std::collections::HashSet::new();
        let mut all = Vec::new();
        let mut start: u64 = 1;
        loop {
            let start_text = start.to_string();
            let mut query = vec![
                ("startIndex", start_text.as_str()),
                ("count", count.as_str()),
            ];
            if let Some(filter) = filter {
                query.push(("filter", filter));
            }
            let reply = t.send(Method::GET, &t.url(path, &query), None).await?;
            let body = reply.body.unwrap_or_else(|| json!({}));
            let (items, total) = wire::page(&body)?;
            let received = items.len() as u64;
            let mut fresh = 0;
            for item in items {
                let id = member(&item, "id")
                    .map(Value::to_string)
                    .unwrap_or_default();
                if seen.insert(id) {
                    fresh += 1;
                    all.push(item);
                }
            }
            // Stop on an empty page, a page with nothing new (a platform that ignores
            // startIndex), or when the total is reached.
            if received == 0 || fresh == 0 || total.is_some_and(|total| start + received > total) {
                return Ok(all);
            }
            start += received;
        }
    }

    async fn find_users(
        &self,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<RemoteAccount>, TargetError> {
        let filter = equals(attribute, value);
        let found = self.list("/Users", Some(&filter)).await?;
        found.iter().map(wire::account).collect()
    }

    async fn find(
        &self,
        external_id: &str,
        user_name: &str,
    ) -> Result<Vec<RemoteAccount>, TargetError> {
        if !self.discovered().await?.capabilities.filter {
            let all = self.all_accounts().await?;
            let by_external: Vec<RemoteAccount> = all
                .iter()
                .filter(|account| account.external_id.as_deref() == Some(external_id))
                .cloned()
                .collect();
            if !by_external.is_empty() {
                return Ok(by_external);
            }
            return Ok(all
                .into_iter()
                .filter(|account| account.user_name.to_lowercase() == user_name.to_lowercase())
                .collect());
        }
        if !external_id.is_empty() {
            match self.find_users("externalId", external_id).await {
                Ok(found) => {
                    let exact: Vec<RemoteAccount> = found
                        .into_iter()
                        .filter(|account| account.external_id.as_deref() == Some(external_id))
                        .collect();
                    if !exact.is_empty() {
                        return Ok(exact);
                    }
                }
                // A platform that does not filter by externalId still finds by userName.
                Err(TargetError::Rejected { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        if user_name.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.find_users("userName", user_name).await?;
        Ok(found
            .into_iter()
            .filter(|account| account.user_name.to_lowercase() == user_name.to_lowercase())
            .collect())
    }

    /// A plain `POST /Users` of one account (found, not sent again, after a lost reply).
    async fn create_one(&self, account: &AccountWrite) -> Result<RemoteAccount, TargetError> {
        let document = wire::user_document(account);
        self.create("/Users", &document, wire::account, || async {
            Ok(self
                .find(&account.external_id, "")
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    /// The limits bulk creates keep, when the platform offers bulk and it has not been
    /// seen to refuse it.
    async fn bulk_limits(&self) -> Result<Option<bulk::Limits>, TargetError> {
        let discovery = self.discovered().await?;
        if self.bulk.refused() {
            return Ok(None);
        }
        Ok(discovery
            .capabilities
            .bulk_max_operations
            .map(|max| bulk::Limits {
                max_operations: usize::try_from(max).unwrap_or(usize::MAX),
                max_payload: discovery
                    .bulk_max_payload
                    .and_then(|max| usize::try_from(max).ok())
                    .unwrap_or(bulk::DEFAULT_MAX_PAYLOAD),
            }))
    }

    async fn all_accounts(&self) -> Result<Vec<RemoteAccount>, TargetError> {
        let all = self.list("/Users", None).await?;
        all.iter().map(wire::account).collect()
    }

    /// POSTs `document` to `path`; after a reply that may have been lost, runs `look` to
    /// find what the lost attempt created before sending again.
    async fn create<F, Fut, T>(
        &self,
        path: &str,
        document: &Value,
        read: fn(&Value) -> Result<T, TargetError>,
        look: F,
    ) -> Result<T, TargetError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, TargetError>>,
    {
        let t = &self.transport;
        let url = t.url(path, &[]);
        let mut attempts: u32 = 0;
        let mut uncertain = false;
        loop {
            attempts += 1;
            match t
                .call(Method::POST, &url, Some(document), Replay::Unsafe)
                .await
            {
                Ok(reply) => {
                    let body = reply.body.ok_or_else(|| TargetError::Protocol {
                        detail: format!(
                            "the learning platform answered a create at {url} with HTTP {} and no body",
                            reply.status
                        ),
                    })?;
                    return read(&body);
                }
                Err(CallError::Failed(TargetError::Conflict { detail })) if uncertain => {
                    // The lost attempt may have created it after all.
                    if let Some(found) = look().await? {
                        t.count_recovered_create();
                        return Ok(found);
                    }
                    return Err(TargetError::Conflict { detail });
                }
                Err(CallError::Failed(error)) => return Err(error),
                Err(CallError::Uncertain(trouble)) => {
                    uncertain = true;
                    if attempts >= t.policy.max_attempts {
                        return Err(Transport::gave_up(&trouble, attempts));
                    }
                    t.pause(t.wait_for(&trouble, attempts)).await?;
                    if let Some(found) = look().await? {
                        t.count_recovered_create();
                        return Ok(found);
                    }
                    t.count_retry();
                }
            }
        }
    }

    async fn patch(&self, path: &str, operations: Vec<Value>) -> Result<(), TargetError> {
        let t = &self.transport;
        t.send(
            Method::PATCH,
            &t.url(path, &[]),
            Some(&wire::patch_body(operations)),
        )
        .await
        .map(drop)
    }

    async fn get(&self, path: &str) -> Result<Value, TargetError> {
        let t = &self.transport;
        t.send(Method::GET, &t.url(path, &[]), None)
            .await?
            .body
            .ok_or_else(|| TargetError::Protocol {
                detail: format!("the learning platform answered {path} with no body"),
            })
    }

    async fn put(&self, path: &str, document: Value) -> Result<(), TargetError> {
        let t = &self.transport;
        t.send(Method::PUT, &t.url(path, &[]), Some(&document))
            .await
            .map(drop)
    }

    /// Reads a user, changes it with `change`, and PUTs it back (for platforms without PATCH).
    async fn rewrite_user(
        &self,
        id: &str,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<(), TargetError> {
        let path = format!("/Users/{}", segment(id));
        let mut document = wire::writable(&self.get(&path).await?);
        change(&mut document);
        self.put(&path, wire::with_schemas(document)).await
    }

    async fn find_group(
        &self,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<RemoteGroup>, TargetError> {
        let filter = equals(attribute, value);
        let found = self.list("/Groups", Some(&filter)).await?;
        found.iter().map(wire::group).collect()
    }

    async fn group_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<RemoteGroup>, TargetError> {
        Ok(self
            .find_group("externalId", external_id)
            .await?
            .into_iter()
            .find(|group| group.external_id.as_deref() == Some(external_id)))
    }
}

/// An ID as one URL path segment.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl Target for ScimTarget {
    fn capabilities(&self) -> TargetFuture<'_, Capabilities> {
        Box::pin(async move { Ok(self.discovered().await?.capabilities.clone()) })
    }

    fn list_accounts(&self) -> TargetFuture<'_, Vec<RemoteAccount>> {
        Box::pin(self.all_accounts())
    }

    fn find_account<'a>(
        &'a self,
        external_id: &'a str,
        user_name: &'a str,
    ) -> TargetFuture<'a, Vec<RemoteAccount>> {
        Box::pin(self.find(external_id, user_name))
    }

    fn create_account<'a>(&'a self, account: &'a AccountWrite) -> TargetFuture<'a, RemoteAccount> {
        Box::pin(async move {
            self.discovered().await?;
            self.create_one(account).await
        })
    }

    fn manager_at_create(&self) -> TargetFuture<'_, Option<&'static str>> {
        Box::pin(async move {
            let capabilities = &self.discovered().await?.capabilities;
            Ok(capabilities.enterprise_extension.then_some(MANAGER_PATH))
        })
    }

    fn create_batch(&self) -> TargetFuture<'_, usize> {
        Box::pin(async move {
            Ok(match self.bulk_limits().await? {
                Some(limits) => limits.max_operations,
                None => 1,
            })
        })
    }

    fn create_accounts<'a>(
        &'a self,
        accounts: &'a [AccountWrite],
    ) -> TargetFuture<'a, Vec<Result<RemoteAccount, TargetError>>> {
        Box::pin(async move {
            match self.bulk_limits().await? {
                Some(limits) => Ok(self.create_in_bulk(accounts, limits).await),
                None => {
                    let creates = accounts.iter().map(|account| self.create_one(account));
                    Ok(futures::future::join_all(creates).await)
                }
            }
        })
    }

    fn update_account<'a>(
        &'a self,
        id: &'a str,
        changes: &'a [AttributeChange],
        _full: &'a AccountWrite,
    ) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            if changes.is_empty() {
                return Ok(());
            }
            if self.discovered().await?.capabilities.patch {
                let operations = changes.iter().map(wire::operation).collect();
                return self
                    .patch(&format!("/Users/{}", segment(id)), operations)
                    .await;
            }
            self.rewrite_user(id, |document| {
                for change in changes {
                    match &change.value {
                        Some(value) => wire::set_path(document, &change.path, value.clone()),
                        None => wire::remove_path(document, &change.path),
                    }
                }
            })
            .await
        })
    }

    fn set_manager<'a>(&'a self, id: &'a str, manager_id: Option<&'a str>) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            let change = AttributeChange {
                path: MANAGER_PATH.to_owned(),
                value: manager_id.map(|manager| json!({"value": manager})),
            };
            if self.discovered().await?.capabilities.patch {
                return self
                    .patch(
                        &format!("/Users/{}", segment(id)),
                        vec![wire::operation(&change)],
                    )
                    .await;
            }
            self.rewrite_user(id, |document| match &change.value {
                Some(value) => wire::set_path(document, MANAGER_PATH, value.clone()),
                None => wire::remove_path(document, MANAGER_PATH),
            })
            .await
        })
    }

    fn ensure_group<'a>(
        &'a self,
        external_id: &'a str,
        display_name: &'a str,
    ) -> TargetFuture<'a, RemoteGroup> {
        Box::pin(async move {
            let capabilities = self.discovered().await?.capabilities.clone();
            if !capabilities.groups {
                return Err(TargetError::Rejected {
                    status: 501,
                    detail: "the learning platform does not offer SCIM Groups; turn group syncing off for this connection".to_owned(),
                });
            }
            let found = match self.group_by_external_id(external_id).await? {
                Some(group) => Some(group),
                None => self
                    .find_group("displayName", display_name)
                    .await?
                    .into_iter()
                    .find(|group| group.display_name.eq_ignore_ascii_case(display_name)),
            };
            let Some(group) = found else {
                let document = json!({
                    "schemas": [CORE_GROUP],
                    "externalId": external_id,
                    "displayName": display_name,
                });
                return self
                    .create("/Groups", &document, wire::group, || {
                        self.group_by_external_id(external_id)
                    })
                    .await;
            };
            let renamed = group.display_name != display_name;
            let adopted = group.external_id.as_deref() != Some(external_id);
            if !renamed && !adopted {
                return Ok(group);
            }
            let path = format!("/Groups/{}", segment(&group.id));
            if capabilities.patch {
                self.patch(
                    &path,
                    vec![json!({"op": "replace", "value": {"displayName": display_name, "externalId": external_id}})],
                )
                .await?;
            } else {
                let mut document = wire::writable(&self.get(&path).await?);
                document.insert("displayName".into(), Value::from(display_name));
                document.insert("externalId".into(), Value::from(external_id));
                document.insert("schemas".into(), json!([CORE_GROUP]));
                self.put(&path, Value::Object(document)).await?;
            }
            Ok(RemoteGroup {
                id: group.id,
                external_id: Some(external_id.to_owned()),
                display_name: display_name.to_owned(),
            })
        })
    }

    fn change_members<'a>(
        &'a self,
        id: &'a str,
        add: &'a [String],
        remove: &'a [String],
    ) -> TargetFuture<'a, ()> {
        Box::pin(async move {
            if add.is_empty() && remove.is_empty() {
                return Ok(());
            }
            let path = format!("/Groups/{}", segment(id));
            if self.discovered().await?.capabilities.patch {
                for chunk in add.chunks(MEMBERS_PER_REQUEST) {
                    let members: Vec<Value> = chunk
                        .iter()
                        .map(|member| json!({"value": member}))
                        .collect();
                    self.patch(
                        &path,
                        vec![json!({"op": "add", "path": "members", "value": members})],
                    )
                    .await?;
                }
                for chunk in remove.chunks(MEMBERS_PER_REQUEST) {
                    let operations = chunk
                        .iter()
                        .map(|member| {
                            json!({"op": "remove", "path": format!("members[{}]", equals("value", member))})
                        })
                        .collect();
                    self.patch(&path, operations).await?;
                }
                return Ok(());
            }
            let current = self.get(&path).await?;
            let mut members = wire::member_ids(&current);
            members.retain(|member| !remove.contains(member));
            for member in add {
                if !members.contains(member) {
                    members.push(member.clone());
                }
            }
            let mut document = wire::writable(&current);
            document.insert("schemas".into(), json!([CORE_GROUP]));
            document.insert(
                "members".into(),
                Value::Array(
                    members
                        .iter()
                        .map(|member| json!({"value": member}))
                        .collect(),
                ),
            );
            self.put(&path, Value::Object(document)).await
        })
    }

    fn finish<'a>(&'a self, _roster: &'a [AccountWrite]) -> TargetFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
