//! SCIM Groups: an organization's groups with their members (managed users of the same
//! organization) — list, create, fetch, replace and PATCH (the member additions and removals
//! identity providers send), delete.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gatehouse_app::{GroupChange, GroupInput, GroupView, MembersChange};
use gatehouse_domain::scim::group_resource;
use gatehouse_domain::scim_filter::{CompareOp, Filter, Literal, PatchPath, get_ci, parse_patch_path};
use gatehouse_domain::sid::{GroupSid, UserSid};
use serde_json::Value;

use super::list::{ListQuery, Projection, Search};
use super::{GROUP_SCHEMA, Provisioner, ScimBody, ScimError, ScimResult, if_match, patch, resource_response};
use crate::AppState;

/// A group as a SCIM Group resource, with its members when they were read.
fn group_json(v: &GroupView, base: &str, prefix: &str) -> Value {
    group_resource(&v.group, v.members.as_deref(), &format!("{base}{prefix}"))
}

/// A group answered after a change or fetch: projected as the request asks.
fn answer(status: StatusCode, v: &GroupView, state: &AppState, p: &Provisioner, projection: &Projection) -> Response {
    resource_response(status, &group_json(v, state.app.public_url(), &p.prefix), projection)
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
                members.push(member_sid(m)?);
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
    let query = search.group_query()?;
    let (groups, total) = state.app.scim_groups(&p.actor, &p.org, &query, search.shows("members")).await?;
    Ok(search.respond(groups.iter().map(|g| group_json(g, base, &p.prefix)).collect(), total))
}

pub(crate) async fn list(State(state): State<AppState>, p: Provisioner, Query(q): Query<ListQuery>) -> ScimResult {
    run(&state, &p, Search::from_query(&q)?).await
}

pub(crate) async fn search(State(state): State<AppState>, p: Provisioner, ScimBody(body): ScimBody) -> ScimResult {
    run(&state, &p, Search::from_body(&body)?).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    p: Provisioner,
    Query(projection): Query<Projection>,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let group = state.app.create_group(&p.actor, &p.org, input_from(&body)?, projection.shows("members")).await?;
    Ok(answer(StatusCode::CREATED, &group, &state, &p, &projection))
}

pub(crate) async fn fetch(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    Query(projection): Query<Projection>,
) -> ScimResult {
    let group = state.app.group(&p.actor, &p.org, &sid(&path)?, projection.shows("members")).await?;
    Ok(answer(StatusCode::OK, &group, &state, &p, &projection))
}

pub(crate) async fn replace(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    Query(projection): Query<Projection>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let input = input_from(&body)?;
    let change = GroupChange {
        display_name: Some(input.display_name),
        external_id: Some(input.external_id),
        members: MembersChange::Replace(input.members.into_iter().collect()),
    };
    let group = state
        .app
        .change_group(
            &p.actor,
            &p.org,
            &sid(&path)?,
            change,
            if_match(&headers).as_deref(),
            projection.shows("members"),
        )
        .await
        .map_err(|e| p.conflict(e.into()))?;
    Ok(answer(StatusCode::OK, &group, &state, &p, &projection))
}

/// PATCH (RFC 7644 §3.5.2), as a change that names only what it touches: `members` added or
/// removed one by one cost what they name, whatever the group's size. The answer is 204 No
/// Content, which the RFC allows and Okta and Entra ID expect, unless the request asks for
/// attributes (`attributes` / `excludedAttributes`): then 200 with the resource so projected.
pub(crate) async fn patch(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    Query(projection): Query<Projection>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let change = patch_change(&body)?;
    let wanted = projection.is_given();
    let group = state
        .app
        .change_group(
            &p.actor,
            &p.org,
            &sid(&path)?,
            change,
            if_match(&headers).as_deref(),
            wanted && projection.shows("members"),
        )
        .await
        .map_err(|e| p.conflict(e.into()))?;
    if !wanted {
        let mut response = axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT);
        if let Ok(v) = axum::http::HeaderValue::from_str(&group.group.version()) {
            response.headers_mut().insert(axum::http::header::ETAG, v);
        }
        return Ok(response);
    }
    Ok(answer(StatusCode::OK, &group, &state, &p, &projection))
}

/// The members a PATCH value names: `[{"value": id}, …]` (or one such object).
fn member_sids(value: Option<&Value>) -> Result<Vec<UserSid>, ScimError> {
    let items: Vec<&Value> = match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => return Err(ScimError::bad("invalidValue", "members takes a list of {\"value\": user id}")),
    };
    items.into_iter().map(member_sid).collect()
}

/// One member (`{"value": id, "type": "User"}`): a user of the organization. Groups do not
/// nest, so a member of `type` other than `User` is refused, as the Group schema says.
fn member_sid(m: &Value) -> Result<UserSid, ScimError> {
    match get_ci(m, "type") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("User") => {}
        Some(other) => {
            return Err(ScimError::bad(
                "invalidValue",
                format!("members are users: a member of type {other} is not supported (groups do not nest)"),
            ));
        }
    }
    let value = get_ci(m, "value").and_then(Value::as_str).unwrap_or_default();
    UserSid::parse(value)
        .map_err(|_| ScimError::bad("invalidValue", format!("{value:?} is not a user id of this organization")))
}

/// The one member a remove filter names: `members[value eq "…"]`.
fn filtered_member(filter: &Filter) -> Result<UserSid, ScimError> {
    if let Filter::Compare(path, CompareOp::Eq, Literal::Str(value)) = filter
        && path.sub.is_none()
        && path.name.eq_ignore_ascii_case("value")
        && let Ok(sid) = UserSid::parse(value)
    {
        return Ok(sid);
    }
    Err(ScimError::bad("invalidFilter", "members are removed by id: members[value eq \"…\"]"))
}

/// A PatchOp request as a change to the group. Every operation takes effect or the request is
/// refused: `id` and `meta` are read-only, `displayName` cannot be removed, and attributes
/// other than `displayName`, `externalId` and `members` do not exist on a Group.
fn patch_change(request: &Value) -> Result<GroupChange, ScimError> {
    let mut change = GroupChange::default();
    for (op, path, value) in patch::operations(request)? {
        let target = match path {
            Some(path) => path,
            None => {
                // A path-less add or replace: each attribute of the value, as if it were the path.
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::bad("invalidValue", "an operation without a path needs an object value"));
                };
                for (k, v) in values {
                    if ["id", "schemas", "meta"].iter().any(|r| r.eq_ignore_ascii_case(k)) {
                        continue;
                    }
                    let p = parse_patch_path(k).map_err(|e| ScimError::bad("invalidPath", e.0))?;
                    change = patch_one(change, op, &p, Some(v))?;
                }
                continue;
            }
        };
        change = patch_one(change, op, &target, value)?;
    }
    Ok(change)
}

fn patch_one(
    mut change: GroupChange,
    op: patch::Op,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<GroupChange, ScimError> {
    let name = path.attr.name.to_ascii_lowercase();
    let simple = path.attr.sub.is_none() && path.filter.is_none() && path.sub.is_none();
    match (name.as_str(), op) {
        ("displayname", patch::Op::Remove) if simple => {
            return Err(ScimError::bad("mutability", "displayName is required and cannot be removed"));
        }
        ("displayname", _) if simple => {
            let v = value
                .and_then(Value::as_str)
                .ok_or_else(|| ScimError::bad("invalidValue", "displayName is a string"))?;
            change.display_name = Some(v.to_owned());
        }
        ("externalid", patch::Op::Remove) if simple => change.external_id = Some(None),
        ("externalid", _) if simple => {
            let v = value
                .and_then(Value::as_str)
                .ok_or_else(|| ScimError::bad("invalidValue", "externalId is a string"))?;
            change.external_id = Some(Some(v.to_owned()));
        }
        ("members", patch::Op::Add) if simple => change.members = change.members.then_add(member_sids(value)?),
        ("members", patch::Op::Replace) if simple => {
            change.members = MembersChange::Replace(member_sids(value)?.into_iter().collect());
        }
        // Entra ID names the members to remove in the value; without one, all leave.
        ("members", patch::Op::Remove) if simple => {
            change.members = match value {
                None | Some(Value::Null) => MembersChange::Replace(Default::default()),
                Some(_) => change.members.then_remove(member_sids(value)?),
            };
        }
        ("members", patch::Op::Remove) if path.attr.sub.is_none() && path.sub.is_none() => {
            let filter = path.filter.as_ref().ok_or_else(|| ScimError::bad("invalidPath", "members[…]"))?;
            change.members = change.members.then_remove([filtered_member(filter)?]);
        }
        ("id" | "meta", _) => return Err(ScimError::bad("mutability", format!("{} is read-only", path.attr.name))),
        ("members", _) => {
            return Err(ScimError::bad(
                "invalidPath",
                "members are added or replaced as a list, and removed by id (members[value eq \"…\"])",
            ));
        }
        _ => {
            return Err(ScimError::bad(
                "noTarget",
                format!("{} is not an attribute of a Group that can be changed", path.attr.name),
            ));
        }
    }
    Ok(change)
}

pub(crate) async fn delete(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    state.app.delete_group(&p.actor, &p.org, &sid(&path)?).await?;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}
