//! The API's description, built from the one table of endpoints in `api/mod.rs` that also
//! builds the router: the OpenAPI document (`/openapi.json`) and the reference page (`/api`).

use askama::Template;
use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::ENDPOINTS;

/// One endpoint of `/api/v1`.
pub(crate) struct Endpoint {
    pub method: &'static str,
    /// The path under `/api/v1`, with `{parameters}`.
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// The request body's schema in `components.schemas`, if any.
    pub body: Option<&'static str>,
    /// The status of a success.
    pub success: u16,
    /// Who may call it, in words.
    pub who: &'static str,
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn schemas() -> Value {
    let roles = json!({ "type": "array", "items": { "type": "string", "enum": ["owner", "administrator", "developer", "billing_manager", "support", "viewer"] } });
    let object = |props: Value, required: &[&str]| json!({ "type": "object", "additionalProperties": false, "properties": props, "required": required });
    json!({
        "Error": {
            "type": "object",
            "properties": {
                "code": { "type": "string", "enum": ["not_found", "forbidden", "invalid", "conflict", "precondition_failed", "unauthenticated", "internal", "no_route"] },
                "message": string(), "status": { "type": "integer" }, "field": string(),
            },
            "required": ["code", "message", "status"],
        },
        "Rename": object(json!({ "friendly_name": string() }), &["friendly_name"]),
        "Name": object(json!({ "friendly_name": string() }), &["friendly_name"]),
        "Settings": object(json!({
            "require_two_factor": { "type": "boolean" },
            "require_https_webhooks": { "type": "boolean" },
            "require_public_key_validation": { "type": "boolean" },
        }), &["require_two_factor", "require_https_webhooks", "require_public_key_validation"]),
        "Close": object(json!({ "confirm_name": string() }), &["confirm_name"]),
        "Roles": object(json!({ "roles": roles }), &["roles"]),
        "Invite": object(json!({ "email": { "type": "string", "format": "email" }, "roles": roles }), &["email", "roles"]),
        "Nominee": object(json!({ "user_sid": string() }), &["user_sid"]),
        "Card": object(json!({ "number": string(), "exp_month": string(), "exp_year": string(), "cvc": string() }), &["number", "exp_month", "exp_year", "cvc"]),
        "Paypal": object(json!({ "email": { "type": "string", "format": "email" } }), &["email"]),
        "OrgSettings": object(json!({
            "friendly_name": string(),
            "invitation_lifetime_days": { "type": "integer", "minimum": 1, "maximum": 90 },
            "require_two_factor": { "type": "boolean" },
            "deprovisioning_keeps_keys": { "type": "boolean", "description": "Keep the API keys of users the identity provider deletes (default false: revoke them)." },
        }), &["friendly_name", "invitation_lifetime_days", "require_two_factor"]),
        "AddToAccount": object(json!({ "account_sid": string(), "roles": roles }), &["account_sid", "roles"]),
        "NewDomain": object(json!({ "domain_name": string() }), &["domain_name"]),
        "UserChange": object(json!({
            "name": string(),
            "organization_role": { "type": "string", "enum": ["administrator", "standard_user"] },
            "require_two_factor": { "type": "boolean" },
        }), &[]),
        "Offboarding": object(json!({
            "accounts": { "type": "object", "description": "Each owned account's SID → an heir's user SID, or keep_owner (removal only).", "additionalProperties": string() },
            "keep_keys": { "type": "array", "description": "Keys to keep; every other key the user created is revoked.", "items": string() },
        }), &[]),
        "OrgInvite": object(json!({ "email": { "type": "string", "format": "email" }, "role": { "type": "string", "enum": ["administrator", "standard_user"] } }), &["email", "role"]),
        "AccountRequest": object(json!({ "kind": { "type": "string", "enum": ["import", "access"] }, "account_sid": string() }), &["kind", "account_sid"]),
    })
}

fn operation(e: &Endpoint) -> Value {
    let mut parameters: Vec<Value> = e
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": string() }))
        .collect();
    if e.method == "get" && e.path.ends_with('s') && e.path != "/accounts/{sid}/notifications" {
        for (name, description) in
            [("q", "search"), ("after", "the next_after of the previous page"), ("page_size", "1 to 200")]
        {
            parameters.push(json!({ "name": name, "in": "query", "required": false, "description": description, "schema": string() }));
        }
    }
    if e.method == "get" && (e.path == "/orgs/{org}/users" || e.path == "/orgs/{org}/accounts") {
        parameters.push(json!({ "name": "kind", "in": "query", "required": false, "description": "managed or independent", "schema": { "type": "string", "enum": ["managed", "independent"] } }));
    }
    if e.method == "delete" && e.path == "/accounts/{sid}/users/{user}" {
        parameters.push(json!({ "name": "keep_keys", "in": "query", "required": false, "description": "comma-separated SIDs of API keys the user created in this account that stay working; every other key they created here is revoked", "schema": string() }));
    }
    let error = json!({ "description": "An error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut responses = Map::new();
    let ok = if e.success == 204 {
        json!({ "description": "Done" })
    } else {
        json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } })
    };
    responses.insert(e.success.to_string(), ok);
    for code in ["401", "403", "404", "409", "422"] {
        responses.insert(code.into(), error.clone());
    }
    let mut op = json!({
        "summary": e.summary,
        "description": format!("Who may call it: {}.", e.who),
        "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}', '-'], "_")),
        "tags": [e.tag],
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(schema) = e.body {
        op["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } },
        });
    }
    op
}

/// The OpenAPI 3.1 document.
pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let item = paths.entry(e.path.to_owned()).or_insert_with(|| json!({}));
        item[e.method] = operation(e);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gatehouse native API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts, users, invitations, ownership, API keys, notifications, billing, and the Admin Center (organizations, domains, users, offboarding, accounts). Authenticate with an API key (HTTP Basic: key SID and secret) or a signed-in session (writes send the session's CSRF token in X-CSRF-Token). Errors: {code, message, status, field?}.",
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "apiKey": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "apiKey": { "type": "http", "scheme": "basic", "description": "An API key: its SID as user name, its secret as password." },
                "session": { "type": "apiKey", "in": "cookie", "name": "gh_session" },
            },
        },
    })
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Response {
    Json(document()).into_response()
}

#[derive(Template)]
#[template(path = "api_reference.html")]
struct ReferencePage {
    layout: crate::web::Layout,
    endpoints: &'static [Endpoint],
}

/// `GET /api`: the endpoints, readable without JavaScript.
pub(crate) async fn reference_page() -> Result<Response, crate::WebError> {
    let page = ReferencePage { layout: crate::web::Layout::anonymous("API reference"), endpoints: ENDPOINTS };
    Ok(Html(page.render()?).into_response())
}
