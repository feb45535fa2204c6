//! Bulk requests (RFC 7644 §3.7): `POST /Bulk` with a `BulkRequest` whose `Operations`
//! (method, path, bulkId, version, data) are each run through the same writes as a plain
//! request, in order, until `failOnErrors` errors; a `BulkResponse` with each operation's
//! `status`, `location`, `version`, `bulkId` and, for a failure, the SCIM error as
//! `response`. A body over `maxPayloadSize` or more operations than `maxOperations` is
//! refused whole with 413. Off unless [`ScimService::offer_bulk`] switched it on.
//!
//! Latency, staged faults, lost replies and the write rate apply to the bulk request as a
//! whole, as they do to any one HTTP request: a platform's gateway sees one request, so a
//! staged 503 fails every operation in it and a lost reply loses every operation's answer.
//! What each operation meets on its own (a taken userName, a missing user) is its own.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::error::{ScimError, ScimType, scim_json};
use super::http::{
    Context, patch_not_offered, read_body, respond, write_create_group, write_create_user,
    write_delete_group, write_delete_user, write_patch_group, write_patch_user,
    write_replace_group, write_replace_user,
};

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// The most the HTTP layer reads of a bulk body; anything over the platform's own
/// `maxPayloadSize` is refused with a SCIM 413 before it is parsed.
pub const BODY_CEILING: usize = 256 * 1024 * 1024;

/// What the platform takes in one bulk request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// Operations in one request (`bulk.maxOperations`).
    pub max_operations: usize,
    /// Bytes in one request body (`bulk.maxPayloadSize`).
    pub max_payload_size: usize,
}

/// `POST /Bulk`.
pub(super) async fn bulk(
    State(context): State<Context>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    respond(run(&context, &headers, body))
}

fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

fn run(
    context: &Context,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ScimError> {
    let Some(limits) = context.service.bulk_limits() else {
        return Err(ScimError::new(
            StatusCode::NOT_IMPLEMENTED,
            None,
            "this platform does not take bulk requests (/ServiceProviderConfig says bulk.supported is false): send each write as a request of its own",
        ));
    };
    if let Ok(bytes) = &body
        && bytes.len() > limits.max_payload_size
    {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!(
                "the bulk request is {} bytes; this platform takes at most {} bytes in one (bulk.maxPayloadSize): split it into smaller requests",
                bytes.len(),
                limits.max_payload_size
            ),
        ));
    }
    let body = read_body(headers, body)?;
    let Value::Object(request) = &body else {
        return Err(ScimError::invalid_syntax(format!(
            "the body must be a JSON object with \"schemas\": [\"{BULK_REQUEST}\"] and \"Operations\""
        )));
    };
    let is_bulk_request = match member(request, "schemas") {
        Some(Value::Array(schemas)) => schemas.iter().any(|urn| {
            urn.as_str()
                .is_some_and(|urn| urn.eq_ignore_ascii_case(BULK_REQUEST))
        }),
        _ => false,
    };
    if !is_bulk_request {
        return Err(ScimError::invalid_syntax(format!(
            "a bulk request needs \"schemas\": [\"{BULK_REQUEST}\"]"
        )));
    }
    let Some(Value::Array(operations)) = member(request, "Operations") else {
        return Err(ScimError::invalid_syntax(
            "a bulk request needs \"Operations\": a list of operations, each with method, path and (for POST) bulkId and data",
        ));
    };
    if operations.len() > limits.max_operations {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!(
                "the bulk request holds {} operations; this platform takes at most {} in one (bulk.maxOperations): split it into smaller requests",
                operations.len(),
                limits.max_operations
            ),
        ));
    }
    let fail_on_errors = match member(request, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64().filter(|count| *count > 0) {
            Some(count) => Some(count),
            None => {
                return Err(ScimError::invalid_value(format!(
                    "failOnErrors must be a whole number of at least 1, not {value}"
                )));
            }
        },
    };
    let mut created: Vec<(String, String)> = Vec::new();
    let mut results = Vec::with_capacity(operations.len());
    let mut errors: u64 = 0;
    for operation in operations {
        if fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
        let result = perform(context, operation, &mut created);
        if result.failed {
            errors += 1;
        }
        results.push(result.document);
    }
    Ok(scim_json(
        StatusCode::OK,
        &json!({"schemas": [BULK_RESPONSE], "Operations": results}),
    ))
}

/// One operation's entry in the response.
struct Performed {
    document: Value,
    failed: bool,
}

/// The methods an operation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn parse(text: &str) -> Option<Verb> {
        match text.to_ascii_uppercase().as_str() {
            "POST" => Some(Verb::Post),
            "PUT" => Some(Verb::Put),
            "PATCH" => Some(Verb::Patch),
            "DELETE" => Some(Verb::Delete),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    fn success(self) -> StatusCode {
        match self {
            Verb::Post => StatusCode::CREATED,
            Verb::Put | Verb::Patch => StatusCode::OK,
            Verb::Delete => StatusCode::NO_CONTENT,
        }
    }
}

/// The resource an operation's path names.
enum Resource {
    Users(Option<String>),
    Groups(Option<String>),
}

fn resource(path: &str) -> Option<Resource> {
    let trimmed = path.trim().trim_start_matches('/');
    let (kind, id) = match trimmed.split_once('/') {
        Some((kind, id)) if !id.is_empty() && !id.contains('/') => (kind, Some(id.to_owned())),
        Some(_) => return None,
        None => (trimmed, None),
    };
    if kind.eq_ignore_ascii_case("Users") {
        Some(Resource::Users(id))
    } else if kind.eq_ignore_ascii_case("Groups") {
        Some(Resource::Groups(id))
    } else {
        None
    }
}

/// Replaces `bulkId:x` with the ID created for `x` earlier in the request, in every string
/// of `value`; the first reference that names no such resource is the error.
fn resolve(value: &mut Value, created: &[(String, String)]) -> Result<(), String> {
    match value {
        Value::String(text) => {
            if let Some(reference) = text.strip_prefix("bulkId:") {
                let id = created
                    .iter()
                    .find(|(bulk_id, _)| bulk_id == reference)
                    .map(|(_, id)| id.clone())
                    .ok_or_else(|| reference.to_owned())?;
                *text = id;
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|item| resolve(item, created)),
        Value::Object(map) => map.values_mut().try_for_each(|item| resolve(item, created)),
        _ => Ok(()),
    }
}

fn perform(context: &Context, operation: &Value, created: &mut Vec<(String, String)>) -> Performed {
    let text = |name: &str| {
        operation
            .as_object()
            .and_then(|map| member(map, name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let verb = text("method").as_deref().and_then(Verb::parse);
    let bulk_id = text("bulkId");
    let mut entry = Map::new();
    if let Some(verb) = verb {
        entry.insert("method".into(), Value::from(verb.as_str()));
    }
    if let Some(bulk_id) = &bulk_id {
        entry.insert("bulkId".into(), Value::from(bulk_id.clone()));
    }
    let outcome = attempt(context, operation, verb, bulk_id.as_deref(), created);
    match outcome {
        Ok((status, location, version)) => {
            if let Some(location) = location {
                entry.insert("location".into(), Value::from(location));
            }
            if let Some(version) = version {
                entry.insert("version".into(), Value::from(version));
            }
            entry.insert("status".into(), Value::from(status.as_u16().to_string()));
            Performed {
                document: Value::Object(entry),
                failed: false,
            }
        }
        Err((error, location)) => {
            if let Some(location) = location {
                entry.insert("location".into(), Value::from(location));
            }
            entry.insert(
                "status".into(),
                Value::from(error.status.as_u16().to_string()),
            );
            entry.insert("response".into(), error.body());
            Performed {
                document: Value::Object(entry),
                failed: true,
            }
        }
    }
}

type Done = (StatusCode, Option<String>, Option<String>);
/// An operation's error, with the location of the resource it named (none for a POST).
type Failed = (ScimError, Option<String>);

fn attempt(
    context: &Context,
    operation: &Value,
    verb: Option<Verb>,
    bulk_id: Option<&str>,
    created: &mut Vec<(String, String)>,
) -> Result<Done, Failed> {
    let Some(map) = operation.as_object() else {
        return Err((
            ScimError::invalid_syntax("each operation must be a JSON object"),
            None,
        ));
    };
    let Some(verb) = verb else {
        return Err((
            ScimError::invalid_value("each operation needs \"method\": POST, PUT, PATCH or DELETE"),
            None,
        ));
    };
    let Some(path) = member(map, "path").and_then(Value::as_str) else {
        return Err((
            ScimError::invalid_value(
                "each operation needs \"path\": /Users or /Groups for POST, /Users/{id} or /Groups/{id} otherwise",
            ),
            None,
        ));
    };
    let mut path_text = path.to_owned();
    // A path segment may be a reference to a resource created earlier in the request.
    if let Some((kind, reference)) = path_text.trim_start_matches('/').split_once('/')
        && let Some(reference) = reference.strip_prefix("bulkId:")
    {
        match created.iter().find(|(id, _)| id == reference) {
            Some((_, id)) => path_text = format!("/{kind}/{id}"),
            None => {
                return Err((unresolved(reference), None));
            }
        }
    }
    let Some(target) = resource(&path_text) else {
        return Err((
            ScimError::invalid_value(format!(
                "path '{path_text}' is not one this platform takes in a bulk request: use /Users, /Groups, /Users/{{id}} or /Groups/{{id}}"
            )),
            None,
        ));
    };
    let location = match &target {
        Resource::Users(Some(id)) => Some(format!("{}/Users/{id}", context.base_url)),
        Resource::Groups(Some(id)) => Some(format!("{}/Groups/{id}", context.base_url)),
        _ => None,
    };
    let fail = |error: ScimError| (error, location.clone());
    let version = member(map, "version").and_then(Value::as_str);
    let mut data = member(map, "data").cloned();
    if let Some(data) = data.as_mut()
        && let Err(reference) = resolve(data, created)
    {
        return Err(fail(unresolved(&reference)));
    }
    let data = match (verb, data) {
        (Verb::Delete, _) => Value::Null,
        (_, Some(data)) => data,
        (_, None) => {
            return Err(fail(ScimError::invalid_syntax(format!(
                "a {} operation needs \"data\": the body a single {} request would carry",
                verb.as_str(),
                verb.as_str()
            ))));
        }
    };
    if verb == Verb::Patch && !context.service.patch_offered() {
        return Err(fail(patch_not_offered()));
    }
    let written = match (verb, &target) {
        (Verb::Post, Resource::Users(None) | Resource::Groups(None)) => {
            let Some(bulk_id) = bulk_id.filter(|id| !id.is_empty()) else {
                return Err(fail(ScimError::invalid_value(
                    "a POST operation needs a \"bulkId\" (any text unique in the request) so its result can be told apart",
                )));
            };
            if created.iter().any(|(id, _)| id == bulk_id) {
                return Err(fail(ScimError::invalid_value(format!(
                    "bulkId '{bulk_id}' is used twice in this request: give each POST its own"
                ))));
            }
            let written = match &target {
                Resource::Users(_) => write_create_user(context, &data),
                Resource::Groups(_) => write_create_group(context, &data),
            }
            .map_err(&fail)?;
            if let Some(id) = written.0.get("id").and_then(Value::as_str) {
                created.push((bulk_id.to_owned(), id.to_owned()));
            }
            Some(written)
        }
        (Verb::Post, _) => {
            return Err(fail(ScimError::invalid_value(
                "a POST operation's path is /Users or /Groups, without an id",
            )));
        }
        (_, Resource::Users(None) | Resource::Groups(None)) => {
            return Err(fail(ScimError::invalid_value(format!(
                "a {} operation's path names one resource: /Users/{{id}} or /Groups/{{id}}",
                verb.as_str()
            ))));
        }
        (Verb::Put, Resource::Users(Some(id))) => {
            Some(write_replace_user(context, id, &data, version).map_err(&fail)?)
        }
        (Verb::Patch, Resource::Users(Some(id))) => {
            Some(write_patch_user(context, id, &data, version).map_err(&fail)?)
        }
        (Verb::Delete, Resource::Users(Some(id))) => {
            write_delete_user(context, id, version).map_err(&fail)?;
            None
        }
        (Verb::Put, Resource::Groups(Some(id))) => {
            Some(write_replace_group(context, id, &data).map_err(&fail)?)
        }
        (Verb::Patch, Resource::Groups(Some(id))) => {
            Some(write_patch_group(context, id, &data).map_err(&fail)?)
        }
        (Verb::Delete, Resource::Groups(Some(id))) => {
            write_delete_group(context, id).map_err(&fail)?;
            None
        }
    };
    let (location, version) = match written {
        Some((document, version)) => (
            document
                .pointer("/meta/location")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or(location),
            Some(version),
        ),
        None => (location, None),
    };
    Ok((verb.success(), location, version))
}

fn unresolved(reference: &str) -> ScimError {
    ScimError::new(
        StatusCode::CONFLICT,
        Some(ScimType::InvalidValue),
        format!(
            "bulkId:{reference} names no resource created earlier in this request: put the POST with bulkId '{reference}' before the operations that refer to it"
        ),
    )
}
