//! SCIM Users: the JSON representation of a managed user, list (filter, sort, paging,
//! attribute projection, `/.search`), create, fetch, replace, patch and delete.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use gatehouse_domain::scim::{
    ENTERPRISE_SCHEMA, KEPT_MULTI, KEPT_STRINGS, ScimUser, ScimUserInput, parse_kept_attributes,
    user_case_exact as case_exact,
};
use gatehouse_domain::scim_filter::get_ci;
use gatehouse_domain::sid::UserSid;
use serde_json::Value;

use super::list::{ListQuery, Projection, Search};
use super::{Provisioner, ScimBody, ScimError, ScimResult, USER_SCHEMA, if_match, patch, resource_response};
use crate::AppState;

/// Attributes a client may send and the server does not keep. `groups` is read-only
/// (RFC 7643 §4.1.2: a client's value is ignored); membership changes go through Groups.
const READ_ONLY: &[&str] = &["groups"];

/// A managed user as a SCIM User resource.
pub(crate) fn user_json(u: &ScimUser, base: &str, prefix: &str) -> Value {
    u.resource(&format!("{base}{prefix}/Users"))
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
        if key.eq_ignore_ascii_case("password") {
            return Err(ScimError::bad(
                "invalidValue",
                "password is not accepted: a managed user sets their own password (or signs in with SSO); turn password sync off in the identity provider",
            ));
        }
        let known = ["schemas", "id", "externalId", "userName", "name", "displayName", "emails", "active", "meta"]
            .iter()
            .chain(READ_ONLY)
            .chain(KEPT_STRINGS)
            .chain(KEPT_MULTI)
            .any(|k| k.eq_ignore_ascii_case(key))
            || key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA);
        if !known {
            return Err(ScimError::bad("invalidSyntax", format!("{key} is not an attribute of the User schema")));
        }
    }
    let attributes = parse_kept_attributes(object)?;
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
        // One address is kept per user, its userName: another would be accepted and dropped.
        for e in list {
            let value = text(get_ci(e, "value"), "emails.value")?.unwrap_or_default();
            if value.eq_ignore_ascii_case(user_name.trim()) {
                continue;
            }
            // Entra ID's default mapping sends the UPN as userName and the mail attribute as
            // the work email; when they differ the person must say which address is the login.
            let detail = if primary.is_some_and(|p| std::ptr::eq(p, e)) {
                format!(
                    "the primary email ({value}) must equal userName ({user_name}): a user has one address, which is their sign-in. \
                     In Entra ID, map userName to mail (or emails[type eq \"work\"].value to userPrincipalName); \
                     in Okta, map userName to user.email"
                )
            } else {
                format!(
                    "a user has one address, its userName ({user_name}): {value} cannot be kept as another email; \
                     leave it out of the mapping, or make it userName"
                )
            };
            return Err(ScimError::bad("invalidValue", detail));
        }
    }
    Ok(ScimUserInput {
        user_name,
        display_name: text(get_ci(body, "displayName"), "displayName")?,
        given_name: text(name.and_then(|n| get_ci(n, "givenName")), "name.givenName")?,
        family_name: text(name.and_then(|n| get_ci(n, "familyName")), "name.familyName")?,
        external_id: text(get_ci(body, "externalId"), "externalId")?,
        active,
        attributes,
    })
}

fn sid(raw: &str) -> Result<UserSid, ScimError> {
    UserSid::parse(raw).map_err(|_| ScimError::new(StatusCode::NOT_FOUND, None, "Resource not found"))
}

async fn run(state: &AppState, p: &Provisioner, search: Search) -> ScimResult {
    let base = state.app.public_url();
    let (users, total) = state.app.scim_users(&p.actor, &p.org, &search.user_query()?).await?;
    Ok(search.respond(users.iter().map(|u| user_json(u, base, &p.prefix)).collect(), total))
}

pub(crate) async fn list(State(state): State<AppState>, p: Provisioner, Query(q): Query<ListQuery>) -> ScimResult {
    run(&state, &p, Search::from_query(&q)?).await
}

/// `POST /Users/.search`: the same as a list, with the parameters in the body.
pub(crate) async fn search(State(state): State<AppState>, p: Provisioner, ScimBody(body): ScimBody) -> ScimResult {
    run(&state, &p, Search::from_body(&body)?).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    p: Provisioner,
    Query(projection): Query<Projection>,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let input = input_from(&body)?;
    let user = state.app.scim_create_user(&p.actor, &p.org, input).await?;
    Ok(resource_response(StatusCode::CREATED, &user_json(&user, state.app.public_url(), &p.prefix), &projection))
}

pub(crate) async fn fetch(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    Query(projection): Query<Projection>,
) -> ScimResult {
    let user = state.app.scim_user(&p.actor, &p.org, &sid(path.last().map_or("", String::as_str))?).await?;
    Ok(resource_response(StatusCode::OK, &user_json(&user, state.app.public_url(), &p.prefix), &projection))
}

pub(crate) async fn replace(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    Query(projection): Query<Projection>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> ScimResult {
    let id = sid(path.last().map_or("", String::as_str))?;
    let input = input_from(&body)?;
    if p.twilio {
        let current = state.app.scim_user(&p.actor, &p.org, &id).await?;
        keeps_user_name(&current, &input)?;
    }
    let user = state
        .app
        .scim_replace_user(&p.actor, &p.org, &id, input, if_match(&headers).as_deref())
        .await
        .map_err(|e| p.conflict(e.into()))?;
    Ok(resource_response(StatusCode::OK, &user_json(&user, state.app.public_url(), &p.prefix), &projection))
}

pub(crate) async fn patch(
    State(state): State<AppState>,
    p: Provisioner,
    Path(path): Path<Vec<String>>,
    Query(projection): Query<Projection>,
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
        return Err(p.conflict(e));
    }
    let mut resource = user_json(&current, base, &p.prefix);
    let before = resource.clone();
    patch::apply(&mut resource, &body, &case_exact)?;
    // The address is userName: a new userName moves the primary email along with it.
    let old_name = current.user.email.as_str();
    if let Some(Value::String(new_name)) = get_ci(&resource, "userName").cloned()
        && !new_name.eq_ignore_ascii_case(old_name)
        && let Some(Value::Array(emails)) = resource.as_object_mut().and_then(|o| o.get_mut("emails"))
    {
        for e in emails.iter_mut() {
            if get_ci(e, "value").and_then(Value::as_str).is_some_and(|v| v.eq_ignore_ascii_case(old_name)) {
                e["value"] = Value::from(new_name.clone());
            }
        }
    }
    // What every user has cannot be removed: a removal would be read back as its default and
    // so answer 200 without a change.
    for attribute in ["userName", "displayName", "active", "emails"] {
        let gone =
            |r: &Value| get_ci(r, attribute).is_none_or(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty));
        if !gone(&before) && gone(&resource) {
            return Err(ScimError::bad(
                "mutability",
                format!("every user has {attribute}: it can be replaced, not removed"),
            ));
        }
    }
    let input = input_from(&resource)?;
    if p.twilio {
        keeps_user_name(&current, &input)?;
    }
    // The version read above must still hold when the change is written.
    let user = state
        .app
        .scim_replace_user(&p.actor, &p.org, &id, input, Some(&current.version()))
        .await
        .map_err(|e| p.conflict(e.into()))?;
    Ok(resource_response(StatusCode::OK, &user_json(&user, base, &p.prefix), &projection))
}

/// Twilio's path keeps Twilio's rule: `userName` cannot change (its code 25012). `/scim/v2`
/// changes the user's address instead (RFC 7643: `userName` is mutable).
fn keeps_user_name(current: &ScimUser, input: &ScimUserInput) -> Result<(), ScimError> {
    if input.user_name.trim().eq_ignore_ascii_case(current.user.email.as_str()) {
        return Ok(());
    }
    Err(ScimError {
        twilio_code: Some(25012),
        ..ScimError::bad("mutability", "userName cannot be changed on this path")
    })
}

pub(crate) async fn delete(State(state): State<AppState>, p: Provisioner, Path(path): Path<Vec<String>>) -> ScimResult {
    let id = sid(path.last().map_or("", String::as_str))?;
    state.app.scim_delete_user(&p.actor, &p.org, &id).await?;
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}
