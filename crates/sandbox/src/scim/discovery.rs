//! The discovery documents (RFC 7644 §4, RFC 7643 §5–§7): what the platform supports, which
//! schemas it serves and which resource types it has, so a client can check before it writes.

use serde_json::{Value, json};

use super::bulk::BulkLimits;
use super::schema::{CORE_USER, ENTERPRISE_USER, schema_document};

pub const SERVICE_PROVIDER_CONFIG: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The most resources one list response holds (`filter.maxResults`).
pub const MAX_RESULTS: usize = 200;

/// `GET /ServiceProviderConfig`.
pub fn service_provider_config(base_url: &str, patch: bool, bulk: Option<BulkLimits>) -> Value {
    let bulk = match bulk {
        Some(limits) => json!({
            "supported": true,
            "maxOperations": limits.max_operations,
            "maxPayloadSize": limits.max_payload_size,
        }),
        None => json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0}),
    };
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
        "patch": {"supported": patch},
        "bulk": bulk,
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token in the Authorization header",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig"),
        },
    })
}

/// The User resource type.
pub fn user_resource_type(base_url: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person who can sign in to the learning platform",
        "schema": CORE_USER,
        "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": false}],
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base_url}/ResourceTypes/User"),
        },
    })
}

/// The Group resource type.
pub fn group_resource_type(base_url: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A set of people the learning platform gives roles or courses by",
        "schema": super::groups::CORE_GROUP,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base_url}/ResourceTypes/Group"),
        },
    })
}

/// Every schema document, core User first.
pub fn schemas(base_url: &str) -> Vec<Value> {
    [CORE_USER, ENTERPRISE_USER]
        .into_iter()
        .filter_map(|urn| schema_document(urn, base_url))
        .collect()
}

/// A ListResponse holding `resources` (a page of `total` starting at `start_index`).
pub fn list_response(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
