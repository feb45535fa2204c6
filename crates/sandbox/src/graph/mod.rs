//! Microsoft Graph v1.0 reads: users, groups, members, manager, applications, with
//! `$select`, `$top`, `$filter`, `$search`, `$count`, `$expand` and paging, behind bearer
//! tokens, application permissions and throttling; and JSON batching (`POST /$batch`, up
//! to 20 reads, each answered, throttled and failed as it would be on its own).

pub(crate) mod errors;
pub(crate) mod query;
pub(crate) mod shape;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::Utc;
use serde_json::{Map, Value, json};

use self::errors::{GRAPH_JSON, GraphError, request_headers};
use self::query::{QueryOptions, decode_skiptoken, encode_skiptoken, search_matches};
use self::shape::{SelectTarget, Selection};
use crate::directory::{Directory, ObjectKind, ObjectRef};
use crate::identity::IssuedToken;
use crate::random::is_guid;
use crate::throttle::{Charge, Cost};
use crate::{SandboxState, lock, read};

pub(crate) fn routes() -> Router<Arc<SandboxState>> {
    Router::new().route("/v1.0/{*rest}", any(handle))
}

const USER_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GROUP_ROLES: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APPLICATION_ROLES: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// A successful answer.
pub(crate) enum Answer {
    Json(Value),
    Text(String),
}

/// What a request asks for.
#[derive(Debug, Clone)]
enum Route {
    Users,
    UsersCount,
    User(String),
    Manager(String),
    UsersDelta,
    Groups,
    GroupsCount,
    Group(String),
    Members {
        group: String,
        transitive: bool,
        cast: Option<ObjectKind>,
        count: bool,
    },
    GroupsDelta,
    Applications,
    Application {
        key: String,
        by_app_id: bool,
    },
}

impl Route {
    fn kind(&self) -> &'static str {
        match self {
            Route::Users | Route::UsersCount | Route::User(_) => "users",
            Route::Manager(_) => "manager",
            Route::UsersDelta => "users_delta",
            Route::Groups | Route::GroupsCount | Route::Group(_) => "groups",
            Route::Members {
                transitive: false, ..
            } => "members",
            Route::Members {
                transitive: true, ..
            } => "transitive_members",
            Route::GroupsDelta => "groups_delta",
            Route::Applications | Route::Application { .. } => "applications",
        }
    }

    fn roles(&self) -> &'static [&'static str] {
        match self {
            Route::Users
            | Route::UsersCount
            | Route::User(_)
            | Route::Manager(_)
            | Route::UsersDelta => USER_ROLES,
            Route::Applications | Route::Application { .. } => APPLICATION_ROLES,
            _ => GROUP_ROLES,
        }
    }

    fn base_cost(&self) -> u32 {
        match self {
            Route::Users | Route::UsersCount | Route::User(_) | Route::UsersDelta => 2,
            Route::Members {
                transitive: false, ..
            } => 3,
            Route::Members {
                transitive: true, ..
            } => 5,
            Route::Applications | Route::Application { .. } => 2,
            _ => 1,
        }
    }
}

fn cast_kind(segment: &str) -> Option<ObjectKind> {
    match segment.to_ascii_lowercase().as_str() {
        "microsoft.graph.user" => Some(ObjectKind::User),
        "microsoft.graph.group" => Some(ObjectKind::Group),
        "microsoft.graph.device" => Some(ObjectKind::Device),
        "microsoft.graph.serviceprincipal" => Some(ObjectKind::ServicePrincipal),
        "microsoft.graph.orgcontact" => Some(ObjectKind::OrgContact),
        _ => None,
    }
}

fn segment_not_found(segment: &str) -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        format!("Resource not found for the segment '{segment}'."),
    )
}

fn resolve(path: &str) -> Result<Route, GraphError> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_encoding_decode)
        .collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let is_delta = |s: &str| {
        matches!(
            s.to_ascii_lowercase().as_str(),
            "delta" | "delta()" | "microsoft.graph.delta" | "microsoft.graph.delta()"
        )
    };
    match parts.as_slice() {
        ["users"] => Ok(Route::Users),
        ["users", "$count"] => Ok(Route::UsersCount),
        ["users", d] if is_delta(d) => Ok(Route::UsersDelta),
        ["users", key] => Ok(Route::User((*key).to_string())),
        ["users", key, "manager"] => Ok(Route::Manager((*key).to_string())),
        ["users", _, other, ..] => Err(segment_not_found(other)),
        ["groups"] => Ok(Route::Groups),
        ["groups", "$count"] => Ok(Route::GroupsCount),
        ["groups", d] if is_delta(d) => Ok(Route::GroupsDelta),
        ["groups", id] => Ok(Route::Group((*id).to_string())),
        ["groups", id, relation, rest @ ..] => {
            let transitive = match *relation {
                "members" => false,
                "transitiveMembers" => true,
                other => return Err(segment_not_found(other)),
            };
            let mut cast = None;
            let mut count = false;
            for part in rest {
                if *part == "$count" && !count {
                    count = true;
                } else if let Some(kind) = cast_kind(part).filter(|_| cast.is_none() && !count) {
                    cast = Some(kind);
                } else {
                    return Err(segment_not_found(part));
                }
            }
            Ok(Route::Members {
                group: (*id).to_string(),
                transitive,
                cast,
                count,
            })
        }
        ["applications"] => Ok(Route::Applications),
        ["applications", id] => Ok(Route::Application {
            key: (*id).to_string(),
            by_app_id: false,
        }),
        [single] if single.starts_with("applications(") => {
            let inner = single
                .strip_prefix("applications(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or_default();
            let key = inner
                .strip_prefix("appId=")
                .map(|k| k.trim_matches('\'').to_string())
                .filter(|k| !k.is_empty())
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "Invalid alternate key '{inner}'; use appId='{{appId}}'."
                    ))
                })?;
            Ok(Route::Application {
                key,
                by_app_id: true,
            })
        }
        [] => Err(segment_not_found("v1.0")),
        [first, ..] => Err(segment_not_found(first)),
    }
}

fn percent_encoding_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks the bearer token; the 401 answers Graph gives.
fn authenticate(state: &SandboxState, headers: &HeaderMap) -> Result<IssuedToken, GraphError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(GraphError::unauthenticated("Access token is empty."));
    }
    if token.split('.').count() != 3 {
        return Err(GraphError::unauthenticated(
            "Invalid JWT token. The token is not in JWS Compact Serialization format.",
        ));
    }
    let issued = state.lookup_token(token).ok_or_else(|| {
        GraphError::unauthenticated("Access token validation failure. Invalid audience.")
    })?;
    if issued.expires <= Utc::now().timestamp() {
        return Err(GraphError::unauthenticated(
            "Access token has expired or is not yet valid.",
        ));
    }
    Ok(issued)
}

async fn handle(
    State(state): State<Arc<SandboxState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if method == Method::POST && uri.path() == crate::faults::BATCH_PATH {
        return match batch(&state, &headers, &body) {
            Ok(answer) => {
                let mut response = axum::Json(answer).into_response();
                let request_id = state.request_guid();
                let client_request_id = client_request_id.unwrap_or_else(|| request_id.clone());
                request_headers(response.headers_mut(), &request_id, &client_request_id);
                response
            }
            Err(error) => error.into_response(&state, client_request_id.as_deref()),
        };
    }
    let outcome = if method == Method::GET {
        serve(&state, &uri, &headers)
    } else {
        Err(GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            format!("The sandbox serves Graph reads only; {method} is not supported here."),
        ))
    };
    match outcome {
        Ok((answer, units)) => {
            let request_id = state.request_guid();
            let client_request_id = client_request_id.unwrap_or_else(|| request_id.clone());
            let mut response = match answer {
                Answer::Json(body) => {
                    let mut response = axum::Json(body).into_response();
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GRAPH_JSON));
                    response
                }
                Answer::Text(text) => {
                    let mut response = text.into_response();
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                    response
                }
            };
            let headers = response.headers_mut();
            request_headers(headers, &request_id, &client_request_id);
            headers.insert("odata-version", HeaderValue::from_static("4.0"));
            headers.insert("x-ms-resource-unit", HeaderValue::from(units));
            response
        }
        Err(error) => error.into_response(&state, client_request_id.as_deref()),
    }
}

/// The most requests one `$batch` may hold.
pub(crate) const BATCH_LIMIT: usize = 20;

/// `POST /$batch`: each inner GET is answered as the plain request would be (its own
/// throttling charge, injected faults, 404, 429 with `Retry-After`), in the order sent.
/// The batch itself needs a valid token; inner requests carry the batch's.
fn batch(state: &SandboxState, headers: &HeaderMap, body: &[u8]) -> Result<Value, GraphError> {
    authenticate(state, headers)?;
    state.count("batch");
    let json: Value = serde_json::from_slice(body)
        .map_err(|error| GraphError::bad_request(format!("Invalid batch payload: {error}")))?;
    let requests = json
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::bad_request("The batch payload has no \"requests\" array."))?;
    if requests.len() > BATCH_LIMIT {
        return Err(GraphError::bad_request(format!(
            "The number of batch requests exceeds the limit of {BATCH_LIMIT}."
        )));
    }
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        let id = request
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let outcome = inner_request(state, headers, request);
        let request_id = state.request_guid();
        let entry = match outcome {
            // The body is moved into the entry: `json!` would copy it whole.
            Ok((Answer::Json(body), _)) => answered(id, GRAPH_JSON, body),
            Ok((Answer::Text(text), _)) => answered(id, "text/plain", Value::String(text)),
            Err(error) => {
                let mut inner_headers = Map::new();
                inner_headers.insert("Content-Type".into(), json!("application/json"));
                if let Some(seconds) = error.retry_after {
                    inner_headers.insert("Retry-After".into(), json!(format!("{seconds}")));
                } else if error.status == StatusCode::SERVICE_UNAVAILABLE {
                    inner_headers.insert(
                        "Retry-After".into(),
                        json!(crate::faults::UNAVAILABLE_RETRY_AFTER),
                    );
                }
                if let Some(location) = &error.location {
                    inner_headers.insert("Location".into(), json!(location));
                }
                json!({
                    "id": id,
                    "status": error.status.as_u16(),
                    "headers": inner_headers,
                    "body": error.body(&request_id, &request_id),
                })
            }
        };
        responses.push(entry);
    }
    Ok(json!({ "responses": responses }))
}

/// A batch entry for a request answered with 200 and `body`.
fn answered(id: String, content_type: &str, body: Value) -> Value {
    let mut entry = Map::new();
    entry.insert("id".into(), Value::String(id));
    entry.insert("status".into(), json!(200));
    entry.insert("headers".into(), json!({ "Content-Type": content_type }));
    entry.insert("body".into(), body);
    Value::Object(entry)
}

/// One request inside a batch: a GET of a URL relative to `/v1.0`.
fn inner_request(
    state: &SandboxState,
    outer: &HeaderMap,
    request: &Value,
) -> Result<(Answer, u32), GraphError> {
    let method = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !method.eq_ignore_ascii_case("GET") {
        return Err(GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            format!("The sandbox serves Graph reads only; {method} is not supported here."),
        ));
    }
    let url = request
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if url.starts_with("http") {
        return Err(GraphError::bad_request(
            "A batch request's url must be relative to the version, such as /users?$top=5.",
        ));
    }
    let uri: Uri = format!("/v1.0/{}", url.trim_start_matches('/'))
        .parse()
        .map_err(|_| GraphError::bad_request(format!("Invalid request url '{url}'.")))?;
    let mut headers = HeaderMap::new();
    if let Some(authorization) = outer.get(header::AUTHORIZATION) {
        headers.insert(header::AUTHORIZATION, authorization.clone());
    }
    for (name, value) in request
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let (Ok(name), Some(Ok(value))) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    if let Some(error) = crate::faults::inner_fault(state) {
        return Err(error);
    }
    serve(state, &uri, &headers)
}

/// Everything a route needs to answer.
pub(crate) struct Call<'a> {
    pub state: &'a SandboxState,
    pub options: QueryOptions,
    pub offset: usize,
    pub eventual: bool,
    pub token: IssuedToken,
    pub path: String,
}

impl Call<'_> {
    pub fn context(&self, entity_set: &str) -> String {
        format!("{}/v1.0/$metadata#{entity_set}", self.state.base_url)
    }

    pub fn next_link(&self, offset: usize) -> String {
        let token = encode_skiptoken(offset, &self.options.carried);
        let separator = if self.options.carried.is_empty() {
            ""
        } else {
            "&"
        };
        format!(
            "{}/v1.0/{}?{}{separator}$skiptoken={token}",
            self.state.base_url, self.path, self.options.carried
        )
    }

    fn lifecycle(&self) -> bool {
        self.token
            .roles
            .iter()
            .any(|r| r == "User-LifeCycleInfo.Read.All")
    }
}

fn serve(
    state: &SandboxState,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(Answer, u32), GraphError> {
    let token = authenticate(state, headers)?;
    let path = uri.path().trim_start_matches("/v1.0/").to_string();
    let route = resolve(&path)?;
    state.count(route.kind());
    let eventual = headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let raw = uri.query().unwrap_or_default();
    let mut options = QueryOptions::parse(raw, eventual)?;
    let mut offset = 0;
    let is_delta = matches!(route, Route::UsersDelta | Route::GroupsDelta);
    if !is_delta && let Some(skiptoken) = options.skiptoken.clone() {
        let (at, carried) = decode_skiptoken(&skiptoken)?;
        options = QueryOptions::parse(&carried, eventual)?;
        offset = at;
    }
    let cost = Cost {
        base: route.base_cost(),
        select: options.select.is_some(),
        expand: options.expand.is_some(),
        small_top: options.top.is_some_and(|t| t < 20),
    }
    .units();
    let quota = state.throttle_quota();
    if let Charge::Throttled { retry_after } =
        lock(&state.throttle).charge(&token.client_id, cost, quota, Instant::now())
    {
        state.count("throttled");
        return Err(GraphError::too_many_requests(retry_after));
    }
    if !token
        .roles
        .iter()
        .any(|r| route.roles().contains(&r.as_str()))
    {
        return Err(GraphError::denied());
    }
    let path_for_links = uri.path().trim_start_matches("/v1.0/").to_string();
    let call = Call {
        state,
        options,
        offset,
        eventual,
        token,
        path: path_for_links,
    };
    let answer = match route {
        Route::Users => list_users(&call)?,
        Route::UsersCount => {
            require_count_header(eventual)?;
            let directory = read(&state.directory);
            let count = directory
                .users
                .iter()
                .filter(|u| u.removed.is_none())
                .filter(|u| user_matches(&call, u))
                .count();
            Answer::Text(count.to_string())
        }
        Route::User(key) => get_user(&call, &key)?,
        Route::Manager(key) => get_manager(&call, &key)?,
        Route::UsersDelta => crate::delta::users(&call)?,
        Route::Groups => list_groups(&call)?,
        Route::GroupsCount => {
            require_count_header(eventual)?;
            let directory = read(&state.directory);
            let count = directory
                .groups
                .iter()
                .enumerate()
                .filter(|(i, g)| !directory.deleted_groups.contains(i) && group_matches(&call, g))
                .count();
            Answer::Text(count.to_string())
        }
        Route::Group(id) => get_group(&call, &id)?,
        Route::Members {
            group,
            transitive,
            cast,
            count,
        } => list_members(&call, &group, transitive, cast, count)?,
        Route::GroupsDelta => crate::delta::groups(&call)?,
        Route::Applications => list_applications(&call)?,
        Route::Application { key, by_app_id } => get_application(&call, &key, by_app_id)?,
    };
    Ok((answer, cost))
}

fn require_count_header(eventual: bool) -> Result<(), GraphError> {
    if eventual {
        Ok(())
    } else {
        Err(GraphError::bad_request(
            "$count is not currently supported.",
        ))
    }
}

fn check_filter_properties(
    call: &Call<'_>,
    allowed: &[&str],
    type_name: &str,
) -> Result<(), GraphError> {
    if let Some(filter) = &call.options.filter {
        for property in filter.properties() {
            if !allowed.iter().any(|p| p.eq_ignore_ascii_case(property)) {
                return Err(GraphError::bad_request(format!(
                    "Could not find a property named '{property}' on type '{type_name}'."
                )));
            }
        }
    }
    Ok(())
}

fn canonical_property<'a>(name: &str, within: &[&'a str]) -> &'a str {
    within
        .iter()
        .copied()
        .find(|p| p.eq_ignore_ascii_case(name))
        .unwrap_or("")
}

fn user_matches(call: &Call<'_>, user: &crate::directory::User) -> bool {
    if let Some(filter) = &call.options.filter {
        let value =
            |p: &str| shape::user_value(user, canonical_property(p, shape::USER_PROPERTIES), false);
        if !filter.matches(&value) {
            return false;
        }
    }
    if let Some(terms) = &call.options.search {
        return terms.iter().any(|term| {
            let property = canonical_property(&term.property, shape::USER_PROPERTIES);
            shape::user_value(user, property, false)
                .as_str()
                .is_some_and(|v| search_matches(v, &term.text))
        });
    }
    true
}

fn group_matches(call: &Call<'_>, group: &crate::directory::Group) -> bool {
    if let Some(filter) = &call.options.filter {
        let value =
            |p: &str| shape::group_value(group, canonical_property(p, shape::GROUP_PROPERTIES));
        if !filter.matches(&value) {
            return false;
        }
    }
    if let Some(terms) = &call.options.search {
        return terms.iter().any(|term| {
            let property = canonical_property(&term.property, shape::GROUP_PROPERTIES);
            shape::group_value(group, property)
                .as_str()
                .is_some_and(|v| search_matches(v, &term.text))
        });
    }
    true
}

fn context_with_select(call: &Call<'_>, set: &str) -> String {
    match &call.options.select {
        Some(props) => call.context(&format!("{set}({})", props.join(","))),
        None => call.context(set),
    }
}

/// `$expand=manager` or `manager($select=a,b)`.
fn manager_expansion(call: &Call<'_>) -> Result<Option<Selection>, GraphError> {
    let Some(expand) = &call.options.expand else {
        return Ok(None);
    };
    let expand = expand.trim();
    let (name, inner) = match expand.split_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest.strip_suffix(')').unwrap_or(rest))),
        None => (expand, None),
    };
    if !name.eq_ignore_ascii_case("manager") {
        return Err(GraphError::bad_request(format!(
            "Could not find a property named '{name}' on type 'Microsoft.DirectoryServices.User'."
        )));
    }
    let mut select = None;
    if let Some(inner) = inner {
        for option in inner.split(';') {
            let (key, value) = option.split_once('=').unwrap_or((option, ""));
            match key.trim().to_ascii_lowercase().as_str() {
                "$select" => {
                    select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .collect::<Vec<_>>(),
                    );
                }
                "$levels" => {
                    return Err(GraphError::unsupported_query(
                        "$levels is only supported on a single user, with ConsistencyLevel: eventual.",
                    ));
                }
                other => {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{other}' is not allowed inside $expand."
                    )));
                }
            }
        }
    }
    let selection = shape::selection(select.as_ref(), SelectTarget::Users, false)?;
    Ok(Some(selection))
}

fn user_entry(
    call: &Call<'_>,
    directory: &Directory,
    user: &crate::directory::User,
    selection: &Selection,
    expand: Option<&Selection>,
) -> Map<String, Value> {
    let mut map = shape::user_json(user, selection, call.lifecycle());
    if let Some(manager_selection) = expand
        && let Some(manager) = user.manager.and_then(|m| directory.users.get(m))
        && manager.removed.is_none()
    {
        let mut body = Map::new();
        body.insert("@odata.type".to_string(), json!("#microsoft.graph.user"));
        body.insert("id".to_string(), json!(manager.id));
        body.extend(shape::user_json(manager, manager_selection, false));
        map.insert("manager".to_string(), Value::Object(body));
    }
    map
}

fn list_users(call: &Call<'_>) -> Result<Answer, GraphError> {
    let selection = shape::selection(call.options.select.as_ref(), SelectTarget::Users, false)?;
    check_filter_properties(
        call,
        shape::USER_PROPERTIES,
        "Microsoft.DirectoryServices.User",
    )?;
    let expand = manager_expansion(call)?;
    let directory = read(&call.state.directory);
    let top = call.options.page_size();
    let mut value = Vec::with_capacity(top.min(directory.users.len()));
    let mut index = call.offset;
    let mut next = None;
    while index < directory.users.len() {
        let user = &directory.users[index];
        index += 1;
        if user.removed.is_some() || !user_matches(call, user) {
            continue;
        }
        if value.len() == top {
            next = Some(index - 1);
            break;
        }
        value.push(Value::Object(user_entry(
            call,
            &directory,
            user,
            &selection,
            expand.as_ref(),
        )));
    }
    Ok(collection_page(
        call,
        "users",
        || {
            directory
                .users
                .iter()
                .filter(|u| u.removed.is_none() && user_matches(call, u))
                .count()
        },
        next,
        value,
    ))
}

/// One page of a collection: `@odata.context`, `@odata.count` (first page only, when asked
/// for), `@odata.nextLink` when more follows, and the values.
fn collection_page(
    call: &Call<'_>,
    set: &str,
    count: impl FnOnce() -> usize,
    next: Option<usize>,
    value: Vec<Value>,
) -> Answer {
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_string(),
        json!(context_with_select(call, set)),
    );
    if call.options.count && call.offset == 0 {
        body.insert("@odata.count".to_string(), json!(count()));
    }
    if let Some(next) = next {
        body.insert("@odata.nextLink".to_string(), json!(call.next_link(next)));
    }
    body.insert("value".to_string(), Value::Array(value));
    Answer::Json(Value::Object(body))
}

fn find_user(directory: &Directory, key: &str) -> Result<usize, GraphError> {
    directory
        .find_user(key)
        .ok_or_else(|| GraphError::not_found(key))
}

fn get_user(call: &Call<'_>, key: &str) -> Result<Answer, GraphError> {
    let selection = shape::selection(call.options.select.as_ref(), SelectTarget::Users, true)?;
    let expand = manager_expansion(call)?;
    let directory = read(&call.state.directory);
    let index = find_user(&directory, key)?;
    let user = &directory.users[index];
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_string(),
        json!(format!("{}/$entity", context_with_select(call, "users"))),
    );
    body.extend(user_entry(
        call,
        &directory,
        user,
        &selection,
        expand.as_ref(),
    ));
    Ok(Answer::Json(Value::Object(body)))
}

fn get_manager(call: &Call<'_>, key: &str) -> Result<Answer, GraphError> {
    let selection = shape::selection(call.options.select.as_ref(), SelectTarget::Users, true)?;
    let directory = read(&call.state.directory);
    let index = find_user(&directory, key)?;
    let manager = directory.users[index]
        .manager
        .and_then(|m| directory.users.get(m))
        .filter(|m| m.removed.is_none())
        .ok_or_else(|| GraphError::not_found("manager"))?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_string(),
        json!(call.context("directoryObjects/$entity")),
    );
    body.insert("@odata.type".to_string(), json!("#microsoft.graph.user"));
    body.extend(shape::user_json(manager, &selection, call.lifecycle()));
    Ok(Answer::Json(Value::Object(body)))
}

fn list_groups(call: &Call<'_>) -> Result<Answer, GraphError> {
    let selection = shape::selection(call.options.select.as_ref(), SelectTarget::Groups, false)?;
    check_filter_properties(
        call,
        shape::GROUP_PROPERTIES,
        "Microsoft.DirectoryServices.Group",
    )?;
    if call.options.expand.is_some() {
        return Err(GraphError::unsupported_query(
            "$expand on groups is not supported by this sandbox; read /groups/{id}/members instead.",
        ));
    }
    let directory = read(&call.state.directory);
    let top = call.options.page_size();
    let mut value = Vec::new();
    let mut index = call.offset;
    let mut next = None;
    while index < directory.groups.len() {
        let group = &directory.groups[index];
        index += 1;
        if directory.deleted_groups.contains(&(index - 1)) || !group_matches(call, group) {
            continue;
        }
        if value.len() == top {
            next = Some(index - 1);
            break;
        }
        value.push(Value::Object(shape::group_json(group, &selection)));
    }
    Ok(collection_page(
        call,
        "groups",
        || {
            directory
                .groups
                .iter()
                .enumerate()
                .filter(|(i, g)| !directory.deleted_groups.contains(i) && group_matches(call, g))
                .count()
        },
        next,
        value,
    ))
}

fn find_group(directory: &Directory, id: &str) -> Result<usize, GraphError> {
    if !is_guid(id) {
        return Err(GraphError::bad_request(format!(
            "Invalid object identifier '{id}'."
        )));
    }
    directory
        .find_group(id)
        .ok_or_else(|| GraphError::not_found(id))
}

fn get_group(call: &Call<'_>, id: &str) -> Result<Answer, GraphError> {
    let selection = shape::selection(call.options.select.as_ref(), SelectTarget::Groups, true)?;
    let directory = read(&call.state.directory);
    let index = find_group(&directory, id)?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_string(),
        json!(format!("{}/$entity", context_with_select(call, "groups"))),
    );
    body.extend(shape::group_json(&directory.groups[index], &selection));
    Ok(Answer::Json(Value::Object(body)))
}

/// The transitive members of a group, cached until the directory changes.
fn transitive(state: &SandboxState, directory: &Directory, group: usize) -> Arc<Vec<ObjectRef>> {
    let mut cache = lock(&state.transitive_cache);
    if let Some((version, members)) = cache.get(&group)
        && *version == directory.version
    {
        return members.clone();
    }
    let members = Arc::new(directory.transitive_members(group));
    cache.insert(group, (directory.version, members.clone()));
    members
}

fn list_members(
    call: &Call<'_>,
    group: &str,
    transitive_members: bool,
    cast: Option<ObjectKind>,
    count_segment: bool,
) -> Result<Answer, GraphError> {
    let target = if cast == Some(ObjectKind::User) {
        SelectTarget::Users
    } else if cast == Some(ObjectKind::Group) {
        SelectTarget::Groups
    } else {
        SelectTarget::DirectoryObjects
    };
    let selection = shape::selection(call.options.select.as_ref(), target, false)?;
    if call.options.filter.is_some() && !(call.eventual && call.options.count) {
        return Err(GraphError::unsupported_query(
            "Filtering members needs the header 'ConsistencyLevel: eventual' and $count=true.",
        ));
    }
    if count_segment {
        require_count_header(call.eventual)?;
    }
    let directory = read(&call.state.directory);
    let index = find_group(&directory, group)?;
    let members: Arc<Vec<ObjectRef>> = if transitive_members {
        transitive(call.state, &directory, index)
    } else {
        Arc::new(directory.groups[index].members.clone())
    };
    let matches = |member: &ObjectRef| {
        if cast.is_some_and(|k| k != member.kind) {
            return false;
        }
        if let Some(filter) = &call.options.filter
            && !filter.matches(&|p: &str| shape::member_value(&directory, *member, p))
        {
            return false;
        }
        if let Some(terms) = &call.options.search {
            return terms.iter().any(|t| {
                shape::member_value(&directory, *member, &t.property)
                    .as_str()
                    .is_some_and(|v| search_matches(v, &t.text))
            });
        }
        true
    };
    if count_segment {
        return Ok(Answer::Text(
            members.iter().filter(|m| matches(m)).count().to_string(),
        ));
    }
    let top = call.options.page_size();
    let mut value = Vec::new();
    let mut position = call.offset;
    let mut next = None;
    while position < members.len() {
        let member = members[position];
        position += 1;
        if !matches(&member) {
            continue;
        }
        if value.len() == top {
            next = Some(position - 1);
            break;
        }
        value.push(Value::Object(shape::member_json(
            &directory,
            member,
            &selection,
            call.lifecycle(),
        )));
    }
    let set = match cast {
        Some(ObjectKind::User) => "users",
        Some(ObjectKind::Group) => "groups",
        Some(ObjectKind::Device) => "devices",
        Some(ObjectKind::ServicePrincipal) => "servicePrincipals",
        Some(ObjectKind::OrgContact) => "contacts",
        None => "directoryObjects",
    };
    Ok(collection_page(
        call,
        set,
        || members.iter().filter(|m| matches(m)).count(),
        next,
        value,
    ))
}

/// Graph's app role ids for the permissions the sandbox knows.
fn app_role_id(role: &str) -> &'static str {
    match role {
        "User.Read.All" => "df021288-bdef-4463-88db-98f22de89214",
        "Group.Read.All" => "5b567255-7703-4780-807c-7be8301ae99b",
        "GroupMember.Read.All" => "98830695-27a2-44f7-8c18-0c3ebc9698f6",
        "Directory.Read.All" => "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
        "Application.Read.All" => "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "User-LifeCycleInfo.Read.All" => "8556a004-db57-4d7a-8b82-97a13428e96f",
        _ => "00000000-0000-0000-0000-000000000000",
    }
}

const APPLICATION_PROPERTIES: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "createdDateTime",
    "signInAudience",
    "passwordCredentials",
    "keyCredentials",
    "requiredResourceAccess",
];

fn application_json(
    app: &crate::registrations::Registration,
    select: Option<&Vec<String>>,
) -> Result<Map<String, Value>, GraphError> {
    let properties: Vec<&str> = match select {
        None => APPLICATION_PROPERTIES.to_vec(),
        Some(names) => names
            .iter()
            .map(|name| {
                APPLICATION_PROPERTIES
                    .iter()
                    .copied()
                    .find(|p| p.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        GraphError::bad_request(format!(
                            "Could not find a property named '{name}' on type 'Microsoft.DirectoryServices.Application'."
                        ))
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    let mut map = Map::new();
    for property in properties {
        let value = match property {
            "id" => json!(app.object_id),
            "appId" => json!(app.client_id),
            "displayName" => json!(app.name),
            "createdDateTime" => json!("2024-01-15T09:00:00Z"),
            "signInAudience" => json!("AzureADMyOrg"),
            "keyCredentials" => json!([]),
            "passwordCredentials" => Value::Array(
                app.secrets
                    .iter()
                    .map(|s| {
                        json!({
                            "customKeyIdentifier": null,
                            "displayName": s.display_name,
                            "endDateTime": s.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            "hint": s.hint(),
                            "keyId": s.key_id,
                            "secretText": null,
                            "startDateTime": s.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        })
                    })
                    .collect(),
            ),
            _ => json!([{
                "resourceAppId": "00000003-0000-0000-c000-000000000000",
                "resourceAccess": app
                    .configured_roles
                    .iter()
                    .map(|r| json!({"id": app_role_id(r), "type": "Role"}))
                    .collect::<Vec<_>>(),
            }]),
        };
        map.insert(property.to_string(), value);
    }
    Ok(map)
}

fn get_application(call: &Call<'_>, key: &str, by_app_id: bool) -> Result<Answer, GraphError> {
    let apps = call.state.apps_read();
    let app = apps
        .iter()
        .find(|a| {
            if by_app_id {
                a.client_id.eq_ignore_ascii_case(key)
            } else {
                a.object_id.eq_ignore_ascii_case(key)
            }
        })
        .ok_or_else(|| GraphError::not_found(key))?;
    let mut body = Map::new();
    let set = match &call.options.select {
        Some(props) => format!("applications({})/$entity", props.join(",")),
        None => "applications/$entity".to_string(),
    };
    body.insert("@odata.context".to_string(), json!(call.context(&set)));
    body.extend(application_json(app, call.options.select.as_ref())?);
    Ok(Answer::Json(Value::Object(body)))
}

fn list_applications(call: &Call<'_>) -> Result<Answer, GraphError> {
    let apps = call.state.apps_read();
    let mut value = Vec::new();
    for app in apps.iter() {
        if let Some(filter) = &call.options.filter {
            let map = application_json(app, None)?;
            let matches = filter.matches(&|p: &str| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(p))
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null)
            });
            if !matches {
                continue;
            }
        }
        value.push(Value::Object(application_json(
            app,
            call.options.select.as_ref(),
        )?));
    }
    Ok(Answer::Json(json!({
        "@odata.context": context_with_select(call, "applications"),
        "value": value,
    })))
}
