//! SCIM Users: the JSON representation of a managed user, list (filter, sort, paging,
//! attribute projection, `/.search`), create, fetch, replace, patch and delete.

use std::cmp::Ordering;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use gatehouse_domain::scim::{ScimUser, ScimUserInput};
use gatehouse_domain::scim_filter::{Filter, get_ci, matches, parse_filter, parse_patch_path};
use gatehouse_domain::sid::UserSid;
use gatehouse_domain::user::UserStatus;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    LIST_SCHEMA, MAX_RESULTS, Provisioner, SEARCH_SCHEMA, ScimBody, ScimError, ScimResult, USER_SCHEMA, patch,
    scim_json,
};
use crate::AppState;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Core User attributes the server accepts but does not keep (so identity providers' default
/// mappings work); anything else unknown is refused.
const IGNORED: &[&str] = &[
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "password",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// Attributes whose strings compare exactly (RFC 7643 §4.1: `id`, `externalId`, versions).
pub(crate) fn case_exact(key: &str) -> bool {
    matches!(key, "id" | "externalid" | "meta.version")
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A managed user as a SCIM User resource.
pub(crate) fn user_json(u: &ScimUser, base: &str, prefix: &str) -> Value {
    let mut name = Map::new();
    if let Some(g) = &u.profile.given_name {
        name.insert("givenName".into(), json!(g));
    }
    if let Some(f) = &u.profile.family_name {
        name.insert("familyName".into(), json!(f));
    }
    name.insert("formatted".into(), json!(u.user.name));
    let mut out = json!({
        "schemas": [USER_SCHEMA],
        "id": u.user.sid,
        "userName": u.user.email,
        "name": name,
        "displayName": u.user.name,
        "emails": [{ "value": u.user.email, "type": "work", "primary": true }],
        "active": u.user.status == UserStatus::Active,
        "meta": {
            "resourceType": "User",
            "created": time(u.user.created_at),
            "lastModified": time(u.user.updated_at),
            "version": u.version(),
            "location": format!("{base}{prefix}/Users/{}", u.user.sid),
        },
    });
    if let Some(e) = &u.profile.external_id {
        out["externalId"] = json!(e);
    }
    out
}

fn text(v: Option<&Value>, field: &str) -> Result<Option<String>, ScimError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::bad("invalidValue", format!("{field} must be a string"))),
    }
}

/// Reads a User resource into what the app sets, refusing unknown attributes and
/// inconsistent emails. `active` may be a boolean or, as Entra ID once sent, "True"/"False".
pub(crate) fn input_from(body: &Value) -> Result<ScimUserInput, ScimError> {
    let object = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "a User is a JSON object"))?;
    if let Some(schemas) = get_ci(body, "schemas") {
        let ok = schemas.as_array().is_some_and(|s| s.iter().any(|v| v.as_str() == Some(USER_SCHEMA)));
        if !ok {
            return Err(ScimError::bad("invalidValue", format!("schemas must include {USER_SCHEMA}")));
        }
    }
    for key in object.keys() {
        let known = ["schemas", "id", "externalId", "userName", "name", "displayName", "emails", "active", "meta"]
            .iter()
            .chain(IGNORED)
            .any(|k| k.eq_ignore_ascii_case(key))
            || key.eq_ignore_ascii_case(ENTERPRISE);
        if !known {
            return Err(ScimError::bad("invalidSyntax", format!("{key} is not an attribute of the User schema")));
        }
    }
    let user_name = text(get_ci(body, "userName"), "userName")?
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required"))?;
    let name = get_ci(body, "name");
    let active = match get_ci(body, "active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(ScimError::bad("invalidValue", "active must be true or false")),
    };
    if let Some(emails) = get_ci(body, "emails") {
        let list = emails.as_array().ok_or_else(|| ScimError::bad("invalidValue", "emails must be an array"))?;
        let primary = list.iter().find(|e| get_ci(e, "primary") == Some(&Value::Bool(true))).or(if list.len() == 1 {
            list.first()
        } else {
            None
        });
        if list.len() > 1 && primary.is_none() {
            return Err(ScimError::bad("invalidValue", "with several emails, mark one primary"));
        }
        if let Some(p) = primary {
            let value = text(get_ci(p, "value"), "emails.value")?.unwrap_or_default();
            if !value.eq_ignore_ascii_case(user_name.trim()) {
                return Err(ScimError::bad("invalidValue", "the primary email must equal userName"));
            }
        }
    }
    Ok(ScimUserInput {
        user_name,
        display_name: text(get_ci(body, "displayName"), "displayName")?,
        given_name: text(name.and_then(|n| get_ci(n, "givenName")), "name.givenName")?,
        family_name: text(name.and_then(|n| get_ci(n, "familyName")), "name.familyName")?,
        external_id: text(get_ci(body, "externalId"), "externalId")?,
        active,
    })
}

fn sid(raw: &str) -> Result<UserSid, ScimError> {
    UserSid::parse(raw).map_err(|_| ScimError::new(StatusCode::NOT_FOUND, None, "Resource not found"))
}

fn with_location(status: StatusCode, body: &Value) -> axum::response::Response {
    let mut response = scim_json(status, body);
    if let Some(v) = body["meta"]["version"].as_str().and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(l) = body["meta"]["location"].as_str().and_then(|v| HeaderValue::from_str(v).ok())
    {
        response.headers_mut().insert(header::LOCATION, l);
    }
    response
}

/// The query of a list (RFC names and Twilio's `PageSize`/`Page`).
#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    #[serde(rename = "sortBy")]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    sort_order: Option<String>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
    #[serde(rename = "PageSize")]
    page_size: Option<String>,
    #[serde(rename = "Page")]
    page: Option<String>,
}

fn number(raw: Option<&str>, field: &str) -> Result<Option<i64>, ScimError> {
    raw.map(|r| {
        r.trim().parse::<i64>().map_err(|_| ScimError::bad("invalidValue", format!("{field} must be an integer")))
    })
    .transpose()
}

fn list_of(raw: Option<&str>) -> Vec<String> {
    raw.map(|r| r.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()).unwrap_or_default()
}

/// A list request, from a query or a `/.search` body.
struct Search {
    filter: Option<Filter>,
    start: usize,
    count: usize,
    sort_by: Option<String>,
    descending: bool,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl Search {
    fn from_query(q: &ListQuery) -> Result<Search, ScimError> {
        let page_size = number(q.page_size.as_deref(), "PageSize")?;
        let page = number(q.page.as_deref(), "Page")?;
        let count = number(q.count.as_deref(), "count")?.or(page_size);
        let start =
            number(q.start_index.as_deref(), "startIndex")?.or_else(|| page.zip(page_size).map(|(p, s)| p * s + 1));
        Search::new(
            q.filter.as_deref(),
            start,
            count,
            q.sort_by.clone(),
            q.sort_order.as_deref(),
            list_of(q.attributes.as_deref()),
            list_of(q.excluded_attributes.as_deref()),
        )
    }

    fn new(
        filter: Option<&str>,
        start: Option<i64>,
        count: Option<i64>,
        sort_by: Option<String>,
        sort_order: Option<&str>,
        attributes: Vec<String>,
        excluded: Vec<String>,
    ) -> Result<Search, ScimError> {
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(|f| parse_filter(f).map_err(|e| ScimError::bad("invalidFilter", e.0)))
            .transpose()?;
        let descending = match sort_order.map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(other) => {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!("sortOrder {other:?} is not ascending or descending"),
                ));
            }
        };
        if let Some(s) = &sort_by {
            parse_patch_path(s).map_err(|e| ScimError::bad("invalidPath", e.0))?;
        }
        Ok(Search {
            filter,
            start: start.unwrap_or(1).max(1) as usize,
            count: count.unwrap_or(100).clamp(0, MAX_RESULTS as i64) as usize,
            sort_by,
            descending,
            attributes,
            excluded,
        })
    }
}

fn sort_value(resource: &Value, path: &str) -> Option<String> {
    let p = parse_patch_path(path).ok()?;
    let top = get_ci(resource, &p.attr.name)?;
    let v = match (&p.attr.sub, top) {
        (Some(sub), Value::Array(items)) => items.first().and_then(|i| get_ci(i, sub)),
        (Some(sub), other) => get_ci(other, sub),
        (None, Value::Array(items)) => items.first().map(|i| get_ci(i, "value").unwrap_or(i)),
        (None, other) => Some(other),
    }?;
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    Some(if case_exact(&p.attr.key()) { s } else { s.to_lowercase() })
}

/// Keeps only the asked attributes (always `id` and `schemas`), or drops the excluded ones.
fn project(mut resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Some(object) = resource.as_object_mut() else { return resource };
    if !attributes.is_empty() {
        let keep = |k: &str| {
            k == "id"
                || k == "schemas"
                || attributes.iter().any(|a| {
                    let top = a.rsplit(':').next().unwrap_or(a).split('.').next().unwrap_or(a);
                    top.eq_ignore_ascii_case(k)
                })
        };
        object.retain(|k, _| keep(k));
    }
    for e in excluded {
        let top = e.rsplit(':').next().unwrap_or(e);
        match top.split_once('.') {
            Some((attr, sub)) => {
                if let Some(Value::Object(inner)) =
                    object.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v)
                {
                    inner.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                }
            }
            None if !top.eq_ignore_ascii_case("id") => object.retain(|k, _| !k.eq_ignore_ascii_case(top)),
            None => {}
        }
    }
    resource
}

async fn run(state: &AppState, p: &Provisioner, search: Search) -> ScimResult {
    let base = state.app.public_url();
    let users = state.app.scim_users(&p.actor, &p.org).await?;
    let mut resources: Vec<Value> = users
        .iter()
        .map(|u| user_json(u, base, &p.prefix))
        .filter(|r| search.filter.as_ref().is_none_or(|f| matches(r, f, &case_exact)))
        .collect();
    if let Some(by) = &search.sort_by {
        resources.sort_by(|a, b| {
            let (x, y) = (sort_value(a, by), sort_value(b, by));
            let ord = match (&x, &y) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if search.descending && x.is_some() && y.is_some() { ord.reverse() } else { ord }
        });
    }
    let total = resources.len();
    let page: Vec<Value> = resources
        .into_iter()
        .skip(search.start - 1)
        .take(search.count)
        .map(|r| project(r, &search.attributes, &search.excluded))
        .collect();
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": search.start,
        "itemsPerPage": page.len(),
        "Resources": page,
    });
    Ok(scim_json(StatusCode::OK, &body))
}

pub(crate) async fn list(State(state): State<AppState>, p: Provisioner, Query(q): Query<ListQuery>) -> ScimResult {
    run(&state, &p, Search::from_query(&q)?).await
}

/// `POST /Users/.search`: the same as a list, with the parameters in the body.
pub(crate) async fn search(State(state): State<AppState>, p: Provisioner, ScimBody(body): ScimBody) -> ScimResult {
    let schemas = get_ci(&body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(SEARCH_SCHEMA))) {
        return Err(ScimError::bad("invalidSyntax", format!("a search lists the schema {SEARCH_SCHEMA}")));
    }
    let int = |k: &str| {
        get_ci(&body, k)
            .map(|v| v.as_i64().ok_or_else(|| ScimError::bad("invalidValue", format!("{k} must be an integer"))))
            .transpose()
    };
    let strings = |k: &str| -> Vec<String> {
        get_ci(&body, k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let search = Search::new(
        get_ci(&body, "filter").and_then(Value::as_str),
        int("startIndex")?,
        int("count")?,
        get_ci(&body, "sortBy").and_then(Value::as_str).map(str::to_owned),
        get_ci(&body, "sortOrder").and_then(Value::as_str),
        strings("attributes"),
        strings("excludedAttributes"),
    )?;
    run(&state, &p, search).await
}

pub(crate) async fn create(State(state): State<AppState>, p: Provisioner, ScimBody(body): ScimBody) -> ScimResult {
    let input = input_from(&body)?;
    let user = state.app.scim_create_user(&p.actor, &p.org, input).await?;
    Ok(with_location(StatusCode::CREATED, &user_json(&user, state.app.public_url(), &p.prefix)))
}

pub(crate) async fn fetch(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    let user = state.app.scim_user(&p.actor, &p.org, &sid(path.last().map_or("", String::as_str))?).await?;
    Ok(with_location(StatusCode::OK, &user_json(&user, state.app.public_url(), &p.prefix)))
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned())
}

/// Version conflicts: 412 on `/scim/v2` (RFC 7644), 409 on Twilio's path (its contract).
fn conflict(p: &Provisioner, e: ScimError) -> ScimError {
    if p.twilio && e.status == StatusCode::PRECONDITION_FAILED {
        ScimError { status: StatusCode::CONFLICT, ..e }
    } else {
        e
    }
}

pub(crate) async fn replace(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let id = sid(path.last().map_or("", String::as_str))?;
    let input = input_from(&body)?;
    let user = state
        .app
        .scim_replace_user(&p.actor, &p.org, &id, input, if_match(&headers).as_deref())
        .await
        .map_err(|e| conflict(&p, e.into()))?;
    Ok(with_location(StatusCode::OK, &user_json(&user, state.app.public_url(), &p.prefix)))
}

pub(crate) async fn patch(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let id = sid(path.last().map_or("", String::as_str))?;
    let base = state.app.public_url();
    let current = state.app.scim_user(&p.actor, &p.org, &id).await?;
    if let Some(expected) = if_match(&headers)
        && expected != "*"
        && expected != current.version()
    {
        let e = ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            format!("Version conflict: the user is at {}", current.version()),
        );
        return Err(conflict(&p, e));
    }
    let mut resource = user_json(&current, base, &p.prefix);
    patch::apply(&mut resource, &body, &case_exact)?;
    let input = input_from(&resource)?;
    // The version read above must still hold when the change is written.
    let user = state
        .app
        .scim_replace_user(&p.actor, &p.org, &id, input, Some(&current.version()))
        .await
        .map_err(|e| conflict(&p, e.into()))?;
    Ok(with_location(StatusCode::OK, &user_json(&user, base, &p.prefix)))
}

pub(crate) async fn delete(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    let id = sid(path.last().map_or("", String::as_str))?;
    state.app.scim_delete_user(&p.actor, &p.org, &id).await?;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}
