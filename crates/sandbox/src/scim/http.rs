//! The HTTP face of the SCIM service: routes for Users and Groups, the bearer-token gate
//! (with staged throttling, failures and dropped connections), request bodies and query
//! parameters, and the `attributes`/`excludedAttributes` projection of responses.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

use super::discovery::{self, MAX_RESULTS};
use super::error::{ScimError, ScimType, scim_json};
use super::filter::Filter;
use super::groups::{self, StoredGroup};
use super::patch;
use super::path::{self, Extension};
use super::roster::{StoredUser, missing, new_id, validate_resource};
use super::schema::{ENTERPRISE_USER, is_enterprise, schema_document};
use super::trouble::{ConnectionFault, dropped_connection};
use super::{ScimService, bulk};

#[derive(Clone)]
pub(super) struct Context {
    pub service: ScimService,
    pub base_url: Arc<str>,
}

pub fn router(service: ScimService, base_url: &str) -> Router {
    let context = Context {
        service,
        base_url: Arc::from(base_url.trim_end_matches('/')),
    };
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Users", get(list_users).post(create_user))
        .route(
            "/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route(
            "/Bulk",
            post(bulk::bulk).layer(DefaultBodyLimit::max(bulk::BODY_CEILING)),
        )
        .route("/Groups", get(list_groups).post(create_group))
        .route(
            "/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(context.clone(), gate))
        .with_state(context)
}

/// Counts the request, waits out any configured latency, checks the bearer token, then for
/// writes: the write rate, any pending simulated failure and any staged dropped connection.
async fn gate(State(context): State<Context>, request: Request, next: Next) -> Response {
    let service = &context.service;
    service.count(request.method());
    let latency = service.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Err(error) = authorize(request.headers(), service.token()) {
        return error.into_response();
    }
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !is_write {
        return next.run(request).await;
    }
    if *request.method() == Method::PATCH && !service.patch_offered() {
        return patch_not_offered().into_response();
    }
    if let Some(error) = service.throttle_write() {
        return error.into_response();
    }
    if let Some(error) = service.take_write_fault() {
        return error.into_response();
    }
    match service.take_connection_fault() {
        None => next.run(request).await,
        Some(ConnectionFault::Reset) => dropped_connection(),
        Some(ConnectionFault::LostReply) => {
            drop(next.run(request).await);
            dropped_connection()
        }
    }
}

/// The 501 for a PATCH on a platform that does not take PATCH.
pub(super) fn patch_not_offered() -> ScimError {
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "this platform does not take PATCH (see /ServiceProviderConfig): send the whole resource with PUT",
    )
}

fn authorize(headers: &HeaderMap, token: &str) -> Result<(), ScimError> {
    let unauthorized = |detail: &str| ScimError::new(StatusCode::UNAUTHORIZED, None, detail);
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "no credentials: send the platform's API token as 'Authorization: Bearer <token>'",
        ));
    };
    let value = value.to_str().unwrap_or_default().trim();
    let presented = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => {
            return Err(unauthorized(
                "the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'",
            ));
        }
    };
    if presented != token {
        return Err(unauthorized(
            "the bearer token is not accepted: copy the current API token from the platform's SCIM settings",
        ));
    }
    Ok(())
}

async fn unknown_endpoint(request: Request) -> Response {
    ScimError::not_found(format!(
        "there is no SCIM endpoint at '{}': this platform serves /Users, /Groups, /Schemas, /ResourceTypes and /ServiceProviderConfig",
        request.uri().path()
    ))
    .into_response()
}

async fn method_not_allowed(request: Request) -> Response {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!(
            "{} is not supported on '{}'",
            request.method(),
            request.uri().path()
        ),
    )
    .into_response()
}

/// Query parameters, names compared without regard to case.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn number(&self, name: &str) -> Result<Option<i64>, ScimError> {
        self.get(name)
            .map(|text| {
                text.trim().parse::<i64>().map_err(|_| {
                    ScimError::invalid_value(format!(
                        "{name}={text} is not a whole number: send e.g. {name}=1"
                    ))
                })
            })
            .transpose()
    }

    /// Discovery endpoints take no filter (RFC 7644 §4).
    fn refuse_filter(&self) -> Result<(), ScimError> {
        if self.get("filter").is_some() {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                None,
                "discovery endpoints do not take a filter: request them without one",
            ));
        }
        Ok(())
    }
}

pub(super) fn respond(result: Result<Response, ScimError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn service_provider_config(
    State(context): State<Context>,
    RawQuery(raw): RawQuery,
) -> Response {
    respond(Query::parse(raw.as_deref()).refuse_filter().map(|()| {
        scim_json(
            StatusCode::OK,
            &discovery::service_provider_config(
                &context.base_url,
                context.service.patch_offered(),
                context.service.bulk_limits(),
            ),
        )
    }))
}

async fn schemas(State(context): State<Context>, RawQuery(raw): RawQuery) -> Response {
    respond(Query::parse(raw.as_deref()).refuse_filter().map(|()| {
        let all = discovery::schemas(&context.base_url);
        let total = all.len();
        scim_json(StatusCode::OK, &discovery::list_response(all, total, 1))
    }))
}

async fn schema(State(context): State<Context>, Path(id): Path<String>) -> Response {
    match schema_document(&id, &context.base_url) {
        Some(document) => scim_json(StatusCode::OK, &document),
        None => ScimError::not_found(format!(
            "schema '{id}' is not served here; GET /Schemas lists the ones that are"
        ))
        .into_response(),
    }
}

async fn resource_types(State(context): State<Context>, RawQuery(raw): RawQuery) -> Response {
    respond(Query::parse(raw.as_deref()).refuse_filter().map(|()| {
        let all = vec![
            discovery::user_resource_type(&context.base_url),
            discovery::group_resource_type(&context.base_url),
        ];
        let total = all.len();
        scim_json(StatusCode::OK, &discovery::list_response(all, total, 1))
    }))
}

async fn resource_type(State(context): State<Context>, Path(id): Path<String>) -> Response {
    if id.eq_ignore_ascii_case("User") {
        return scim_json(
            StatusCode::OK,
            &discovery::user_resource_type(&context.base_url),
        );
    }
    if id.eq_ignore_ascii_case("Group") {
        return scim_json(
            StatusCode::OK,
            &discovery::group_resource_type(&context.base_url),
        );
    }
    ScimError::not_found(format!(
        "resource type '{id}' is not served here: this platform provisions Users and Groups"
    ))
    .into_response()
}

/// Reads a JSON request body in `application/scim+json` or `application/json`.
pub(super) fn read_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ScimError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let media = content_type
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media != "application/scim+json" && media != "application/json" {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!(
                    "Content-Type '{media}' is not accepted: send application/scim+json or application/json"
                ),
            ));
        }
    }
    let body = body.map_err(|rejection| {
        ScimError::new(
            rejection.status(),
            None,
            format!("the request body could not be read: {rejection}"),
        )
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "the request body is empty: send a JSON document",
        ));
    }
    serde_json::from_slice(&body).map_err(|error| {
        ScimError::invalid_syntax(format!("the request body is not valid JSON: {error}"))
    })
}

/// A single resource response with its ETag (and Location on create).
fn resource_response(status: StatusCode, etag: &str, document: &Value) -> Response {
    let mut response = scim_json(status, document);
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Some(location) = document.pointer("/meta/location").and_then(Value::as_str)
        && let Ok(location) = HeaderValue::from_str(location)
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// The `If-Match` header's value, if any.
fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::IF_MATCH)
        .map(|value| value.to_str().unwrap_or_default())
}

/// Checks an `If-Match` value (or a bulk operation's `version`) against the current
/// version: 412 when it names another version.
fn check_if_match(wanted: Option<&str>, user: &StoredUser) -> Result<(), ScimError> {
    let Some(value) = wanted else {
        return Ok(());
    };
    let current = user.etag();
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let matches = value
        .split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == bare(&current));
    if matches {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::PRECONDITION_FAILED,
        None,
        format!(
            "the user has changed since you read it (its version is now {current}): read it again and re-apply your change"
        ),
    ))
}

// The writes themselves, shared by the plain requests and the operations of a bulk request
// (`bulk`): each returns the resource as it is now and its version.

pub(super) fn write_create_user(
    context: &Context,
    body: &Value,
) -> Result<(Value, String), ScimError> {
    let attributes = validate_resource(body)?;
    let mut roster = context.service.roster();
    let user = roster.create(attributes, context.service.now())?;
    Ok((user.render(&context.base_url), user.etag()))
}

pub(super) fn write_replace_user(
    context: &Context,
    id: &str,
    body: &Value,
    version: Option<&str>,
) -> Result<(Value, String), ScimError> {
    let attributes = validate_resource(body)?;
    let mut roster = context.service.roster();
    check_if_match(version, roster.get(id).ok_or_else(|| missing(id))?)?;
    let user = roster.replace(id, attributes, context.service.now())?;
    Ok((user.render(&context.base_url), user.etag()))
}

pub(super) fn write_patch_user(
    context: &Context,
    id: &str,
    body: &Value,
    version: Option<&str>,
) -> Result<(Value, String), ScimError> {
    let mut roster = context.service.roster();
    let current = roster.get(id).ok_or_else(|| missing(id))?;
    check_if_match(version, current)?;
    let attributes = patch::apply(&current.attributes, body)?;
    let user = roster.replace(id, attributes, context.service.now())?;
    Ok((user.render(&context.base_url), user.etag()))
}

pub(super) fn write_delete_user(
    context: &Context,
    id: &str,
    version: Option<&str>,
) -> Result<(), ScimError> {
    let mut roster = context.service.roster();
    check_if_match(version, roster.get(id).ok_or_else(|| missing(id))?)?;
    roster.delete(id)?;
    context.service.group_book().forget_member(id);
    Ok(())
}

pub(super) fn write_create_group(
    context: &Context,
    body: &Value,
) -> Result<(Value, String), ScimError> {
    let fields = groups::validate_group(body)?;
    check_members(context, &fields.members)?;
    let mut book = context.service.group_book();
    let mut id = new_id();
    while book.get(&id).is_some() {
        id = new_id();
    }
    let group = book.create(id, fields, context.service.now())?;
    Ok((group.render(&context.base_url), group.etag()))
}

pub(super) fn write_replace_group(
    context: &Context,
    id: &str,
    body: &Value,
) -> Result<(Value, String), ScimError> {
    let fields = groups::validate_group(body)?;
    check_members(context, &fields.members)?;
    let mut book = context.service.group_book();
    let group = book.replace(id, fields, context.service.now())?;
    Ok((group.render(&context.base_url), group.etag()))
}

pub(super) fn write_patch_group(
    context: &Context,
    id: &str,
    body: &Value,
) -> Result<(Value, String), ScimError> {
    let fields = {
        let book = context.service.group_book();
        let group = book.get(id).ok_or_else(|| groups::missing(id))?;
        groups::patch(group, body)?
    };
    check_members(context, &fields.members)?;
    let mut book = context.service.group_book();
    let group = book.replace(id, fields, context.service.now())?;
    Ok((group.render(&context.base_url), group.etag()))
}

pub(super) fn write_delete_group(context: &Context, id: &str) -> Result<(), ScimError> {
    context.service.group_book().delete(id)
}

async fn create_user(
    State(context): State<Context>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond((|| {
        let body = read_body(&headers, body)?;
        let (document, etag) = write_create_user(&context, &body)?;
        let document = project(document, &Query::parse(raw.as_deref()))?;
        Ok(resource_response(StatusCode::CREATED, &etag, &document))
    })())
}

async fn get_user(
    State(context): State<Context>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    respond((|| {
        let roster = context.service.roster();
        let user = roster.get(&id).ok_or_else(|| missing(&id))?;
        if let Some(tag) = headers.get(header::IF_NONE_MATCH)
            && tag.to_str().unwrap_or_default().trim() == user.etag()
        {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            if let Ok(etag) = HeaderValue::from_str(&user.etag()) {
                response.headers_mut().insert(header::ETAG, etag);
            }
            return Ok(response);
        }
        let document = project(
            user.render(&context.base_url),
            &Query::parse(raw.as_deref()),
        )?;
        Ok(resource_response(StatusCode::OK, &user.etag(), &document))
    })())
}

async fn replace_user(
    State(context): State<Context>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond((|| {
        let body = read_body(&headers, body)?;
        let (document, etag) = write_replace_user(&context, &id, &body, if_match(&headers))?;
        let document = project(document, &Query::parse(raw.as_deref()))?;
        Ok(resource_response(StatusCode::OK, &etag, &document))
    })())
}

async fn patch_user(
    State(context): State<Context>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond((|| {
        let body = read_body(&headers, body)?;
        let (document, etag) = write_patch_user(&context, &id, &body, if_match(&headers))?;
        let document = project(document, &Query::parse(raw.as_deref()))?;
        Ok(resource_response(StatusCode::OK, &etag, &document))
    })())
}

async fn delete_user(
    State(context): State<Context>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(
        write_delete_user(&context, &id, if_match(&headers))
            .map(|()| StatusCode::NO_CONTENT.into_response()),
    )
}

async fn list_users(State(context): State<Context>, RawQuery(raw): RawQuery) -> Response {
    respond((|| {
        let query = Query::parse(raw.as_deref());
        // Check the attribute lists even when the page turns out empty.
        project(Value::Object(Map::new()), &query)?;
        let filter = match query.get("filter") {
            Some(text) => Some(Filter::parse(text)?),
            None => None,
        };
        let start_index = query.number("startIndex")?.unwrap_or(1).max(1);
        let count = query
            .number("count")?
            .map_or(MAX_RESULTS, |count| {
                usize::try_from(count.max(0)).unwrap_or(MAX_RESULTS)
            })
            .min(MAX_RESULTS);
        let skip = usize::try_from(start_index - 1).unwrap_or(usize::MAX);
        let roster = context.service.roster();
        // The lookups clients make once per user go through indexes, not a scan.
        let candidates: Vec<&StoredUser> = match filter.as_ref().and_then(Filter::single_equality) {
            Some(("userName", name)) => roster.by_user_name(name).into_iter().collect(),
            Some(("id", id)) => roster.get(id).into_iter().collect(),
            Some(("externalId", external)) => roster
                .iter()
                .filter(|user| {
                    user.attributes.get("externalId").and_then(Value::as_str) == Some(external)
                })
                .collect(),
            _ => roster.iter().collect(),
        };
        let mut total = 0;
        let mut page = Vec::new();
        for user in candidates {
            let on_page = total >= skip && page.len() < count;
            match &filter {
                Some(filter) => {
                    let document = user.render(&context.base_url);
                    if !filter.matches(&document) {
                        continue;
                    }
                    if on_page {
                        page.push(project(document, &query)?);
                    }
                }
                None if on_page => page.push(project(user.render(&context.base_url), &query)?),
                None => {}
            }
            total += 1;
        }
        let start = usize::try_from(start_index).unwrap_or(usize::MAX);
        Ok(scim_json(
            StatusCode::OK,
            &discovery::list_response(page, total, start),
        ))
    })())
}

/// A single Group response with its ETag (and Location on create).
fn group_response(status: StatusCode, group: &StoredGroup, base_url: &str) -> Response {
    resource_response(status, &group.etag(), &group.render(base_url))
}

/// Refuses members that are not users of this platform.
fn check_members(context: &Context, members: &[String]) -> Result<(), ScimError> {
    let roster = context.service.roster();
    match members.iter().find(|id| roster.get(id).is_none()) {
        Some(unknown) => Err(ScimError::invalid_value(format!(
            "member '{unknown}' is not a user of this platform: add members by their user id"
        ))),
        None => Ok(()),
    }
}

async fn list_groups(State(context): State<Context>, RawQuery(raw): RawQuery) -> Response {
    respond((|| {
        let query = Query::parse(raw.as_deref());
        let filter = query.get("filter").map(groups::equality).transpose()?;
        let start_index = query.number("startIndex")?.unwrap_or(1).max(1);
        let count = query
            .number("count")?
            .map_or(MAX_RESULTS, |count| {
                usize::try_from(count.max(0)).unwrap_or(MAX_RESULTS)
            })
            .min(MAX_RESULTS);
        let skip = usize::try_from(start_index - 1).unwrap_or(usize::MAX);
        let book = context.service.group_book();
        let mut matching = Vec::new();
        for group in book.iter() {
            let keep = match &filter {
                Some((attribute, value)) => groups::matches(group, attribute, value)?,
                None => true,
            };
            if keep {
                matching.push(group);
            }
        }
        let total = matching.len();
        let page: Vec<Value> = matching
            .into_iter()
            .skip(skip)
            .take(count)
            .map(|group| group.render(&context.base_url))
            .collect();
        let start = usize::try_from(start_index).unwrap_or(usize::MAX);
        Ok(scim_json(
            StatusCode::OK,
            &discovery::list_response(page, total, start),
        ))
    })())
}

async fn create_group(
    State(context): State<Context>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond((|| {
        let (document, etag) = write_create_group(&context, &read_body(&headers, body)?)?;
        Ok(resource_response(StatusCode::CREATED, &etag, &document))
    })())
}

async fn get_group(State(context): State<Context>, Path(id): Path<String>) -> Response {
    respond((|| {
        let book = context.service.group_book();
        let group = book.get(&id).ok_or_else(|| groups::missing(&id))?;
        Ok(group_response(StatusCode::OK, group, &context.base_url))
    })())
}

async fn replace_group(
    State(context): State<Context>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond((|| {
        let (document, etag) = write_replace_group(&context, &id, &read_body(&headers, body)?)?;
        Ok(resource_response(StatusCode::OK, &etag, &document))
    })())
}

async fn patch_group(
    State(context): State<Context>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond((|| {
        let (document, etag) = write_patch_group(&context, &id, &read_body(&headers, body)?)?;
        Ok(resource_response(StatusCode::OK, &etag, &document))
    })())
}

async fn delete_group(State(context): State<Context>, Path(id): Path<String>) -> Response {
    respond(write_delete_group(&context, &id).map(|()| StatusCode::NO_CONTENT.into_response()))
}

/// Applies `attributes` and `excludedAttributes` (RFC 7644 §3.9). `schemas` and `id` are
/// always returned.
fn project(document: Value, query: &Query) -> Result<Value, ScimError> {
    let Value::Object(mut full) = document else {
        return Ok(document);
    };
    if let Some(list) = query
        .get("attributes")
        .filter(|list| !list.trim().is_empty())
    {
        let mut kept = Map::new();
        for key in ["schemas", "id"] {
            if let Some(value) = full.get(key) {
                kept.insert(key.into(), value.clone());
            }
        }
        for name in list
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            copy_path(&full, &mut kept, name)?;
        }
        full = kept;
    }
    if let Some(list) = query.get("excludedAttributes") {
        for name in list
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            remove_path(&mut full, name)?;
        }
    }
    Ok(Value::Object(full))
}

fn resolve_listed(name: &str) -> Result<path::AttrPath, ScimError> {
    path::resolve(name).map_err(|detail| {
        ScimError::bad_request(
            ScimType::InvalidPath,
            format!("attributes/excludedAttributes: {detail}"),
        )
    })
}

fn copy_path(
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
    name: &str,
) -> Result<(), ScimError> {
    if is_enterprise(name) {
        if let Some(extension) = from.get(ENTERPRISE_USER) {
            to.insert(ENTERPRISE_USER.into(), extension.clone());
        }
        return Ok(());
    }
    let resolved = resolve_listed(name)?;
    let (source, target) = match resolved.extension {
        Extension::Core => (Some(from), &mut *to),
        Extension::Enterprise => {
            let source = from.get(ENTERPRISE_USER).and_then(Value::as_object);
            let slot = to
                .entry(ENTERPRISE_USER)
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = slot else {
                return Ok(());
            };
            (source, target)
        }
    };
    let Some(value) = source.and_then(|source| source.get(resolved.attribute.name)) else {
        return Ok(());
    };
    let copied = match resolved.sub {
        None => value.clone(),
        Some(sub) => pick_part(value, sub.name, target.get(resolved.attribute.name)),
    };
    target.insert(resolved.attribute.name.into(), copied);
    if let Some(Value::Object(extension)) = to.get(ENTERPRISE_USER)
        && extension.is_empty()
    {
        to.remove(ENTERPRISE_USER);
    }
    Ok(())
}

/// Keeps only sub-attribute `part` of a complex value (or of each element), merged into what
/// was already picked for the same attribute.
fn pick_part(value: &Value, part: &str, already: Option<&Value>) -> Value {
    let pick = |element: &Value, before: Option<&Value>| {
        let mut out = before
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(found) = element.get(part) {
            out.insert(part.into(), found.clone());
        }
        Value::Object(out)
    };
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| pick(item, already.and_then(|before| before.get(index))))
                .collect(),
        ),
        other => pick(other, already),
    }
}

fn remove_path(document: &mut Map<String, Value>, name: &str) -> Result<(), ScimError> {
    if is_enterprise(name) {
        document.remove(ENTERPRISE_USER);
        return Ok(());
    }
    let resolved = resolve_listed(name)?;
    if resolved.attribute.always_returned {
        return Ok(());
    }
    let container = match resolved.extension {
        Extension::Core => Some(&mut *document),
        Extension::Enterprise => document
            .get_mut(ENTERPRISE_USER)
            .and_then(Value::as_object_mut),
    };
    let Some(container) = container else {
        return Ok(());
    };
    match resolved.sub {
        None => {
            container.remove(resolved.attribute.name);
        }
        Some(sub) => match container.get_mut(resolved.attribute.name) {
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    item.remove(sub.name);
                }
            }
            Some(Value::Object(parts)) => {
                parts.remove(sub.name);
            }
            _ => {}
        },
    }
    if let Some(Value::Object(extension)) = document.get(ENTERPRISE_USER)
        && extension.is_empty()
    {
        document.remove(ENTERPRISE_USER);
    }
    Ok(())
}
