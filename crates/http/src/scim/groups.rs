//! SCIM Groups: an organization's groups with their members (managed users of the same
//! organization) — list, create, fetch, replace and PATCH (the member additions and removals
//! identity providers send), delete.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use gatehouse_app::{GroupInput, GroupView};
use gatehouse_domain::scim_filter::get_ci;
use gatehouse_domain::sid::{GroupSid, UserSid};
use serde_json::{Value, json};

use super::list::{ListQuery, Search};
use super::{
    GROUP_SCHEMA, Provisioner, ScimBody, ScimError, ScimResult, if_match, patch, resource_response, scim_time,
};
use crate::AppState;

/// Attributes whose strings compare exactly.
fn case_exact(key: &str) -> bool {
    matches!(key, "id" | "externalid" | "meta.version" | "members.value" | "members")
}

/// A group as a SCIM Group resource.
pub(crate) fn group_json(v: &GroupView, base: &str, prefix: &str) -> Value {
    let members: Vec<Value> = v
        .members
        .iter()
        .map(|u| json!({ "value": u.sid, "display": u.name, "type": "User", "$ref": format!("{base}{prefix}/Users/{}", u.sid) }))
        .collect();
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": v.group.sid,
        "displayName": v.group.display_name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": scim_time(v.group.created_at),
            "lastModified": scim_time(v.group.updated_at),
            "version": v.group.version(),
            "location": format!("{base}{prefix}/Groups/{}", v.group.sid),
        },
    });
    if let Some(e) = &v.group.external_id {
        out["externalId"] = json!(e);
    }
    out
}

/// Reads a Group resource; members are referred to by user id (`value`).
fn input_from(body: &Value) -> Result<GroupInput, ScimError> {
    let object = body.as_object().ok_or_else(|| ScimError::bad("invalidSyntax", "a Group is a JSON object"))?;
    if let Some(schemas) = get_ci(body, "schemas")
        && !schemas.as_array().is_some_and(|s| s.iter().any(|v| v.as_str() == Some(GROUP_SCHEMA)))
    {
        return Err(ScimError::bad("invalidValue", format!("schemas must include {GROUP_SCHEMA}")));
    }
    for key in object.keys() {
        if !["schemas", "id", "externalId", "displayName", "members", "meta"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            return Err(ScimError::bad("invalidSyntax", format!("{key} is not an attribute of the Group schema")));
        }
    }
    let display_name = get_ci(body, "displayName")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required"))?
        .to_owned();
    let external_id = match get_ci(body, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ScimError::bad("invalidValue", "externalId must be a string")),
    };
    let mut members = Vec::new();
    match get_ci(body, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for m in items {
                let value = get_ci(m, "value").and_then(Value::as_str).unwrap_or_default();
                let sid = UserSid::parse(value).map_err(|_| {
                    ScimError::bad("invalidValue", format!("{value:?} is not a user id of this organization"))
                })?;
                members.push(sid);
            }
        }
        Some(_) => return Err(ScimError::bad("invalidValue", "members must be an array")),
    }
    Ok(GroupInput { display_name, external_id, members })
}

fn sid(raw: &[String]) -> Result<GroupSid, ScimError> {
    GroupSid::parse(raw.last().map_or("", String::as_str))
        .map_err(|_| ScimError::new(StatusCode::NOT_FOUND, None, "Resource not found"))
}

async fn run(state: &AppState, p: &Provisioner, search: Search) -> ScimResult {
    let base = state.app.public_url();
    let groups = state.app.groups(&p.actor, &p.org).await?;
    Ok(search.answer(groups.iter().map(|g| group_json(g, base, &p.prefix)).collect(), &case_exact))
}

pub(crate) async fn list(State(state): State<AppState>, p: Provisioner, Query(q): Query<ListQuery>) -> ScimResult {
    run(&state, &p, Search::from_query(&q)?).await
}

pub(crate) async fn search(State(state): State<AppState>, p: Provisioner, ScimBody(body): ScimBody) -> ScimResult {
    run(&state, &p, Search::from_body(&body)?).await
}

pub(crate) async fn create(State(state): State<AppState>, p: Provisioner, ScimBody(body): ScimBody) -> ScimResult {
    let group = state.app.create_group(&p.actor, &p.org, input_from(&body)?).await?;
    Ok(resource_response(StatusCode::CREATED, &group_json(&group, state.app.public_url(), &p.prefix)))
}

pub(crate) async fn fetch(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    let group = state.app.group(&p.actor, &p.org, &sid(&path)?).await?;
    Ok(resource_response(StatusCode::OK, &group_json(&group, state.app.public_url(), &p.prefix)))
}

pub(crate) async fn replace(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let input = input_from(&body)?;
    let group = state
        .app
        .replace_group(&p.actor, &p.org, &sid(&path)?, input, if_match(&headers).as_deref())
        .await
        .map_err(|e| p.conflict(e.into()))?;
    Ok(resource_response(StatusCode::OK, &group_json(&group, state.app.public_url(), &p.prefix)))
}

pub(crate) async fn patch(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let id = sid(&path)?;
    let base = state.app.public_url();
    let current = state.app.group(&p.actor, &p.org, &id).await?;
    let version = current.group.version();
    if let Some(expected) = if_match(&headers)
        && expected != "*"
        && expected != version
    {
        let e = ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            format!("Version conflict: the group is at {version}"),
        );
        return Err(p.conflict(e));
    }
    let mut resource = group_json(&current, base, &p.prefix);
    patch::apply(&mut resource, &body, &case_exact)?;
    let group = state
        .app
        .replace_group(&p.actor, &p.org, &id, input_from(&resource)?, Some(&version))
        .await
        .map_err(|e| p.conflict(e.into()))?;
    Ok(resource_response(StatusCode::OK, &group_json(&group, base, &p.prefix)))
}

pub(crate) async fn delete(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    state.app.delete_group(&p.actor, &p.org, &sid(&path)?).await?;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}
