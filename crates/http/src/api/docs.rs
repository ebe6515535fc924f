//! The API's description, built from the one table of endpoints in `api/mod.rs` that also
//! builds the router: the OpenAPI document (`/openapi.json`) and the reference page (`/api`).
//! Request and response schemas are derived (schemars) from the types the handlers read and
//! write (`api/bodies.rs` and each handler's input), so the document cannot drift from them.

use askama::Template;
use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::ENDPOINTS;
use super::bodies::ErrorBody;
use gatehouse_domain::page::MAX_PAGE_SIZE;

/// How a type's schema is put in the document: a `$ref` to `components.schemas`.
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T` (its definitions go to `components.schemas`).
pub(crate) fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What a success answers.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    /// No body (204).
    Nothing,
    /// One JSON body of this schema.
    One(SchemaFn),
    /// A page of a list (`q`, `after`, `page_size` apply).
    Page(SchemaFn),
}

/// One endpoint of `/api/v1`.
pub(crate) struct Endpoint {
    pub method: &'static str,
    /// The path under `/api/v1`, with `{parameters}`.
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// The request body's type, if any.
    pub body: Option<SchemaFn>,
    /// What a success answers.
    pub answer: Answer,
    /// The status of a success.
    pub success: u16,
    /// Who may call it, in words.
    pub who: &'static str,
}

impl Endpoint {
    /// The request body's schema name, for the reference page.
    pub(crate) fn body_name(&self) -> Option<String> {
        let schema = self.body?(&mut generator(SchemaSettings::draft2020_12().for_deserialize()));
        schema.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).map(str::to_owned)
    }
}

/// A path parameter's pattern: the SID its name stands for (a malformed SID is simply not
/// found, so the pattern tells clients what exists).
fn path_parameter(name: &str) -> Value {
    let prefix = match name {
        "sid" | "account" => Some("AC"),
        "org" => Some("OR"),
        "user" => Some("US"),
        "key" => Some("SK"),
        "invitation" => Some("IV"),
        "method" => Some("PM"),
        "domain" => Some("DN"),
        "report" => Some("OB"),
        "request" => Some("AR"),
        _ => None,
    };
    let schema = match (name, prefix) {
        ("category", _) => json!({ "type": "string", "enum": ["billing", "usage", "security", "service"] }),
        (_, Some(p)) => json!({ "type": "string", "pattern": format!("^{p}[0-9a-f]{{32}}$") }),
        _ => json!({ "type": "string" }),
    };
    json!({ "name": name, "in": "path", "required": true, "schema": schema })
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn operation(e: &Endpoint, responses_gen: &mut SchemaGenerator, requests_gen: &mut SchemaGenerator) -> Value {
    let mut parameters: Vec<Value> = e
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(path_parameter)
        .collect();
    if let Answer::Page(_) = e.answer {
        parameters.push(query(
            "q",
            "search (at most 100 characters, no control characters)",
            json!({ "type": "string", "maxLength": 100, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$" }),
        ));
        parameters.push(query(
            "after",
            "the next_after of the previous page",
            json!({ "type": "string", "pattern": "^([A-Z]{2}[0-9a-f]{32})?$" }),
        ));
        parameters.push(query(
            "page_size",
            "how many items, 1 to 200",
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE }),
        ));
    }
    if e.method == "get" && (e.path == "/orgs/{org}/users" || e.path == "/orgs/{org}/accounts") {
        parameters.push(query(
            "kind",
            "managed or independent",
            json!({ "type": "string", "enum": ["managed", "independent"] }),
        ));
    }
    if e.method == "get" && e.path == "/accounts/{sid}/users" {
        parameters.push(query(
            "role",
            "only the users holding this role",
            json!({ "type": "string", "enum": ["owner", "administrator", "developer", "billing_manager", "support", "viewer"] }),
        ));
    }
    if e.method == "delete" && e.path == "/orgs/{org}/roles/{role}" {
        parameters.push(query(
            "end_assignments",
            "true: end the role's assignments with it (an assigned role is otherwise not deleted)",
            json!({ "type": "string", "enum": ["true", "false"] }),
        ));
    }
    if e.method == "delete" && e.path == "/accounts/{sid}/users/{user}" {
        parameters.push(query(
            "keep_keys",
            "comma-separated SIDs of API keys the user created in this account that stay working; every other key they created here is revoked",
            json!({ "type": "string", "pattern": "^(SK[0-9a-f]{32}(,SK[0-9a-f]{32})*)?$" }),
        ));
    }
    let error = json!({ "$ref": "#/components/responses/Error" });
    let mut responses = Map::new();
    let ok = match e.answer {
        Answer::Nothing => json!({ "description": "Done" }),
        Answer::One(schema) | Answer::Page(schema) => json!({
            "description": "OK",
            "content": { "application/json": { "schema": schema(responses_gen) } },
        }),
    };
    responses.insert(e.success.to_string(), ok);
    // Every operation authenticates (401), authorizes against the loaded resource (403, and a
    // session's write without its CSRF token), finds it (404), checks state (409) and input (422).
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
            "content": { "application/json": { "schema": schema(requests_gen) } },
        });
    }
    op
}

fn generator(settings: SchemaSettings) -> SchemaGenerator {
    settings.with(|s| s.definitions_path = "/components/schemas".into()).into_generator()
}

/// The OpenAPI 3.1 document: every operation with its parameters, request body and answers,
/// the schemas derived from the types the handlers read and write.
pub(crate) fn document() -> Value {
    let mut responses_gen = generator(SchemaSettings::draft2020_12().for_serialize());
    let mut requests_gen = generator(SchemaSettings::draft2020_12().for_deserialize());
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let item = paths.entry(e.path.to_owned()).or_insert_with(|| json!({}));
        item[e.method] = operation(e, &mut responses_gen, &mut requests_gen);
    }
    let error = schema::<ErrorBody>(&mut responses_gen);
    let mut schemas = responses_gen.take_definitions(true);
    schemas.extend(requests_gen.take_definitions(true));
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
            "schemas": schemas,
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": { "application/json": { "schema": error } },
                },
            },
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
