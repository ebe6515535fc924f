//! SCIM discovery (RFC 7644 §4): what this server really supports — PATCH, filters (up to
//! [`MAX_RESULTS`] per page), sorting, ETags; no bulk, no password change — the User and Group
//! schemas' attributes it keeps, and the two resource types.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use gatehouse_domain::scim::{ENTERPRISE_SCHEMA, KEPT_STRINGS};

use super::{GROUP_SCHEMA, LIST_SCHEMA, MAX_RESULTS, Provisioner, ScimError, ScimResult, USER_SCHEMA, scim_json};
use crate::AppState;

fn attribute(name: &str, kind: &str, required: bool, case_exact: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required, "caseExact": case_exact,
        "mutability": mutability, "returned": "default", "uniqueness": uniqueness, "description": "",
    })
}

/// `attribute` with one more characteristic.
fn with(mut attribute: Value, key: &str, value: Value) -> Value {
    attribute[key] = value;
    attribute
}

/// A multi-valued complex attribute of string sub-attributes (and `primary`).
fn multi(name: &str, subs: &[&str], description: &str) -> Value {
    let mut sub_attributes: Vec<Value> =
        subs.iter().map(|s| attribute(s, "string", false, false, "readWrite", "none")).collect();
    sub_attributes.push(attribute("primary", "boolean", false, false, "readWrite", "none"));
    json!({
        "name": name, "type": "complex", "multiValued": true, "required": false, "mutability": "readWrite",
        "returned": "default", "description": description, "subAttributes": sub_attributes,
    })
}

/// The User schema. `user_name_mutable`: `/scim/v2` changes a user's address through
/// `userName`; Twilio's path refuses it, as Twilio does.
fn user_schema(base: &str, prefix: &str, user_name_mutable: bool) -> Value {
    let sub = |name: &str| attribute(name, "string", false, false, "readWrite", "none");
    let kept = "Kept as sent; not filterable.";
    let mut attributes = vec![
        attribute(
            "userName",
            "string",
            true,
            false,
            if user_name_mutable { "readWrite" } else { "immutable" },
            "server",
        ),
        json!({
            "name": "name", "type": "complex", "multiValued": false, "required": false, "mutability": "readWrite",
            "returned": "default", "description": "",
            "subAttributes": [sub("givenName"), sub("familyName"), attribute("formatted", "string", false, false, "readOnly", "none")],
        }),
        attribute("displayName", "string", false, false, "readWrite", "none"),
        attribute("externalId", "string", false, true, "readWrite", "server"),
        attribute("active", "boolean", false, false, "readWrite", "none"),
        json!({
            "name": "emails", "type": "complex", "multiValued": true, "required": false, "mutability": "readWrite",
            "returned": "default", "description": "One address: the primary email equals userName.",
            "subAttributes": [sub("value"), sub("type"), attribute("primary", "boolean", false, false, "readWrite", "none")],
        }),
    ];
    for name in KEPT_STRINGS {
        let kind = if *name == "profileUrl" { "reference" } else { "string" };
        let mut a = attribute(name, kind, false, false, "readWrite", "none");
        a["description"] = Value::from(kept);
        if kind == "reference" {
            a["referenceTypes"] = json!(["external"]);
        }
        attributes.push(a);
    }
    attributes.extend([
        multi("phoneNumbers", &["value", "display", "type"], kept),
        multi("ims", &["value", "display", "type"], kept),
        multi("photos", &["value", "display", "type"], kept),
        multi(
            "addresses",
            &["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type"],
            kept,
        ),
        multi("entitlements", &["value", "display", "type"], kept),
        multi("roles", &["value", "display", "type"], kept),
        multi("x509Certificates", &["value", "display", "type"], kept),
    ]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A managed user of the organization",
        "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": format!("{base}{prefix}/Schemas/{USER_SCHEMA}") },
    })
}

/// The enterprise User extension (RFC 7643 §4.3), kept as sent.
fn enterprise_schema(base: &str, prefix: &str) -> Value {
    let text = |name: &str| attribute(name, "string", false, false, "readWrite", "none");
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_SCHEMA,
        "name": "EnterpriseUser",
        "description": "Enterprise User (kept as sent; not filterable)",
        "attributes": [
            text("employeeNumber"), text("costCenter"), text("organization"), text("division"), text("department"),
            {
                "name": "manager", "type": "complex", "multiValued": false, "required": false, "mutability": "readWrite",
                "returned": "default", "description": "",
                "subAttributes": [text("value"), text("displayName")],
            },
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}{prefix}/Schemas/{ENTERPRISE_SCHEMA}") },
    })
}

fn group_schema(base: &str, prefix: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of the organization's users",
        "attributes": [
            attribute("displayName", "string", true, false, "readWrite", "none"),
            attribute("externalId", "string", false, true, "readWrite", "server"),
            {
                "name": "members", "type": "complex", "multiValued": true, "required": false, "mutability": "readWrite",
                "returned": "default",
                "description": "Managed users of the same organization (groups do not nest).",
                "subAttributes": [
                    attribute("value", "string", false, true, "immutable", "none"),
                    attribute("display", "string", false, false, "readOnly", "none"),
                    with(attribute("type", "string", false, false, "immutable", "none"), "canonicalValues", json!(["User"])),
                    with(attribute("$ref", "reference", false, true, "immutable", "none"), "referenceTypes", json!(["User"])),
                ],
            },
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}{prefix}/Schemas/{GROUP_SCHEMA}") },
    })
}

fn group_type(base: &str, prefix: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A group of the organization's users",
        "schema": GROUP_SCHEMA,
        "schemaExtensions": [],
        "meta": { "resourceType": "ResourceType", "location": format!("{base}{prefix}/ResourceTypes/Group") },
    })
}

fn user_type(base: &str, prefix: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A managed user of the organization",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{ "schema": ENTERPRISE_SCHEMA, "required": false }],
        "meta": { "resourceType": "ResourceType", "location": format!("{base}{prefix}/ResourceTypes/User") },
    })
}

fn list(items: Vec<Value>) -> Value {
    json!({ "schemas": [LIST_SCHEMA], "totalResults": items.len(), "startIndex": 1, "itemsPerPage": items.len(), "Resources": items })
}

pub(crate) async fn service_provider_config(State(state): State<AppState>, p: Provisioner) -> ScimResult {
    let base = state.app.public_url();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": format!("{base}/api"),
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Organization SCIM token",
            "description": "A token an organization admin creates in the Admin Center (Settings → SCIM), sent as Authorization: Bearer.",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}{}/ServiceProviderConfig", p.prefix) },
    });
    Ok(scim_json(StatusCode::OK, &body))
}

pub(crate) async fn schemas(State(state): State<AppState>, p: Provisioner) -> ScimResult {
    let base = state.app.public_url();
    let all = vec![
        user_schema(base, &p.prefix, !p.twilio),
        enterprise_schema(base, &p.prefix),
        group_schema(base, &p.prefix),
    ];
    Ok(scim_json(StatusCode::OK, &list(all)))
}

pub(crate) async fn schema(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    match path.last().map(String::as_str) {
        Some(USER_SCHEMA) => Ok(scim_json(StatusCode::OK, &user_schema(state.app.public_url(), &p.prefix, !p.twilio))),
        Some(ENTERPRISE_SCHEMA) => Ok(scim_json(StatusCode::OK, &enterprise_schema(state.app.public_url(), &p.prefix))),
        Some(GROUP_SCHEMA) => Ok(scim_json(StatusCode::OK, &group_schema(state.app.public_url(), &p.prefix))),
        _ => Err(ScimError::new(StatusCode::NOT_FOUND, None, "No such schema")),
    }
}

pub(crate) async fn resource_types(State(state): State<AppState>, p: Provisioner) -> ScimResult {
    let base = state.app.public_url();
    Ok(scim_json(StatusCode::OK, &list(vec![user_type(base, &p.prefix), group_type(base, &p.prefix)])))
}

pub(crate) async fn resource_type(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
) -> ScimResult {
    match path.last().map(String::as_str) {
        Some("User") => Ok(scim_json(StatusCode::OK, &user_type(state.app.public_url(), &p.prefix))),
        Some("Group") => Ok(scim_json(StatusCode::OK, &group_type(state.app.public_url(), &p.prefix))),
        _ => Err(ScimError::new(StatusCode::NOT_FOUND, None, "No such resource type")),
    }
}
