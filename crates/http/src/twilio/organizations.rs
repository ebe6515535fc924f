//! Twilio's Organizations API: `Accounts` (list, fetch) and `RoleAssignments` (create, list
//! by `Identity` and/or `Scope`, delete), with the "meta" page shape (`content`,
//! `meta.key = "content"`, absolute `next_page_url`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::Error;
use gatehouse_domain::account::Account;
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, GroupSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{OrgClient, TwilioError, TwilioResult, paging};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(flatten)]
    paging: paging::Paging,
    #[serde(rename = "Identity")]
    identity: Option<String>,
    #[serde(rename = "Scope")]
    scope: Option<String>,
    #[serde(rename = "ResourceType")]
    resource_type: Option<String>,
    #[serde(rename = "ResourceId")]
    resource_id: Option<String>,
}

pub(crate) fn twilio_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn account_json(a: &Account, owner: Option<&UserSid>) -> Value {
    json!({
        "account_sid": a.sid,
        "friendly_name": a.name,
        "status": a.status.as_str(),
        "owner_sid": owner,
        "date_created": twilio_date(a.created_at),
    })
}

fn assignment_json(a: &RoleAssignment) -> Value {
    json!({
        "sid": a.sid,
        "role_sid": a.role_sid,
        "scope": a.scope.sid_str(),
        "identity": a.user_sid,
        "resource_type": null,
        "resource_id": null,
    })
}

pub(crate) async fn accounts(
    State(state): State<AppState>,
    c: OrgClient,
    Path(_org): Path<String>,
    Query(q): Query<PageQuery>,
) -> TwilioResult {
    let size = q.paging.size(100)?;
    let after = q.paging.token().map(str::to_owned);
    let previous = match after.as_deref() {
        Some(t) => Some(state.app.organization_accounts_cursor_before(&c.actor, &c.org, t, size).await?),
        None => None,
    };
    let page = state
        .app
        .organization_accounts_with_owners(&c.actor, &c.org, &PageRequest { after, limit: size, search: None })
        .await?;
    let Page { items, next_after } = page;
    let content = items.iter().map(|(a, o)| account_json(a, o.as_ref())).collect();
    let list = format!("{}/Organizations/{}/Accounts", state.app.public_url(), c.org);
    let body = paging::meta_page("content", &list, size, q.paging.number(), content, next_after, previous);
    Ok(Json(body).into_response())
}

pub(crate) async fn account(
    State(state): State<AppState>,
    c: OrgClient,
    Path((_org, account)): Path<(String, String)>,
) -> TwilioResult {
    let not_found = || TwilioError::new(StatusCode::NOT_FOUND, 20404, "Account does not belong to Organization");
    let sid = AccountSid::parse(&account).map_err(|_| not_found())?;
    let (a, owner) = state.app.organization_account_with_owner(&c.actor, &c.org, &sid).await.map_err(|e| match e {
        Error::NotFound => not_found(),
        other => other.into(),
    })?;
    Ok(Json(account_json(&a, owner.as_ref())).into_response())
}

fn scope_ref(raw: &str, org: &OrganizationSid) -> Result<ScopeRef, TwilioError> {
    if let Ok(a) = AccountSid::parse(raw) {
        return Ok(ScopeRef::Account(a));
    }
    match OrganizationSid::parse(raw) {
        Ok(o) if &o == org => Ok(ScopeRef::Organization(o)),
        _ => Err(TwilioError::new(
            StatusCode::BAD_REQUEST,
            25200,
            "Scope must be this organization or one of its managed accounts",
        )),
    }
}

pub(crate) async fn role_assignments(
    State(state): State<AppState>,
    c: OrgClient,
    Path(_org): Path<String>,
    Query(q): Query<PageQuery>,
) -> TwilioResult {
    let size = q.paging.size(100)?;
    for (field, value) in [("ResourceType", &q.resource_type), ("ResourceId", &q.resource_id)] {
        if value.as_deref().is_some_and(|v| !v.is_empty()) {
            return Err(resource_refused(field));
        }
    }
    let identity = q.identity.as_deref().filter(|i| !i.is_empty());
    let scope = q.scope.as_deref().filter(|s| !s.is_empty());
    if identity.is_none() && scope.is_none() {
        return Err(TwilioError::new(
            StatusCode::BAD_REQUEST,
            25203,
            "Listing role assignments needs Identity and/or Scope",
        ));
    }
    let identity = identity
        .map(|i| {
            UserSid::parse(i)
                .map_err(|_| TwilioError::new(StatusCode::BAD_REQUEST, 20001, "Identity must be a user SID"))
        })
        .transpose()?;
    let scope = scope.map(|s| scope_ref(s, &c.org)).transpose()?;
    let mut all = state.app.org_role_assignments(&c.actor, &c.org, identity.as_ref(), scope.as_ref()).await?;
    all.sort_by(|a, b| a.sid.cmp(&b.sid));
    // Keyset paging over the SIDs, as everywhere: PageToken is the last SID of the previous page.
    let after = q.paging.token();
    let page = paging::window(&all, |a| a.sid.as_str(), after, size as usize);
    let mut filters = Vec::new();
    if let Some(i) = &identity {
        filters.push(format!("Identity={i}"));
    }
    if let Some(s) = &scope {
        filters.push(format!("Scope={}", s.sid_str()));
    }
    let list = format!("{}/Organizations/{}/RoleAssignments?{}", state.app.public_url(), c.org, filters.join("&"));
    let content = page.items.iter().map(assignment_json).collect();
    let body = paging::meta_page("content", &list, size, q.paging.number(), content, page.next, page.previous);
    Ok(Json(body).into_response())
}

/// The refusal of a role assignment narrowed to a resource (`resource_type`, `resource_id`).
fn resource_refused(field: &str) -> TwilioError {
    TwilioError::new(
        StatusCode::BAD_REQUEST,
        20001,
        format!(
            "{field} is not supported: a role assignment here applies to its whole scope (the organization or an account); leave resource_type and resource_id out"
        ),
    )
}

/// The body of a create: JSON (`role_sid`, `scope`, `identity`), or the same as a form, which
/// Twilio's async SDK sends under a JSON content type.
fn create_fields(body: &Bytes) -> Result<(String, String, String), TwilioError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let form: Vec<(String, String)> =
        if json.is_none() { serde_urlencoded::from_bytes(body).unwrap_or_default() } else { Vec::new() };
    let get = |k: &str| -> String {
        match &json {
            Some(v) => v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned(),
            None => form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default(),
        }
    };
    // Twilio's newer role assignments may name a resource inside the scope; here a role applies
    // to a whole organization or account, so a resource is refused rather than ignored (which
    // would grant more than was asked).
    for field in ["resource_type", "resource_id"] {
        let given = match &json {
            Some(v) => v.get(field).is_some_and(|f| !f.is_null() && f.as_str() != Some("")),
            None => form.iter().any(|(f, v)| f == field && !v.is_empty()),
        };
        if given {
            return Err(resource_refused(field));
        }
    }
    let (role, scope, identity) = (get("role_sid"), get("scope"), get("identity"));
    if role.is_empty() || scope.is_empty() || identity.is_empty() {
        return Err(TwilioError::new(StatusCode::BAD_REQUEST, 20001, "role_sid, scope and identity are required"));
    }
    Ok((role, scope, identity))
}

pub(crate) async fn create_role_assignment(
    State(state): State<AppState>,
    c: OrgClient,
    Path(_org): Path<String>,
    body: Bytes,
) -> TwilioResult {
    create_assignment(&state, &c, &body).await.map_err(TwilioError::camel)
}

async fn create_assignment(state: &AppState, c: &OrgClient, body: &Bytes) -> TwilioResult {
    let (role, scope, identity) = create_fields(body)?;
    let invalid_role = || TwilioError::new(StatusCode::BAD_REQUEST, 25202, "Invalid role");
    let role = RoleSid::parse(&role).map_err(|_| invalid_role())?;
    let scope = scope_ref(&scope, &c.org)?;
    let refused = |e| match e {
        Error::Invalid { field: "role_sid", .. } => invalid_role(),
        Error::Invalid { field: "scope", reason } => TwilioError::new(StatusCode::BAD_REQUEST, 25200, reason),
        other => other.into(),
    };
    // A group (GR…) is an identity too: its members hold what it is granted.
    if let Ok(group) = GroupSid::parse(&identity) {
        let created = state
            .app
            .create_group_role_assignment(&c.actor, &c.org, &role, &scope, false, &group)
            .await
            .map_err(refused)?;
        let body = json!({
            "sid": created.sid, "role_sid": created.role_sid, "scope": created.scope.sid_str(),
            "identity": created.group_sid, "resource_type": null, "resource_id": null,
        });
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    let identity = UserSid::parse(&identity).map_err(|_| {
        TwilioError::new(StatusCode::BAD_REQUEST, 20001, "identity must be a user (US…) or group (GR…) SID")
    })?;
    let created = state
        .app
        .create_org_role_assignment(&c.actor, &c.org, &role, &scope, false, &identity)
        .await
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(assignment_json(&created))).into_response())
}

pub(crate) async fn delete_role_assignment(
    State(state): State<AppState>,
    c: OrgClient,
    Path((_org, sid)): Path<(String, String)>,
) -> TwilioResult {
    let sid = RoleAssignmentSid::parse(&sid).map_err(|_| TwilioError::from(Error::NotFound).camel())?;
    state.app.delete_org_role_assignment(&c.actor, &c.org, &sid).await.map_err(|e| TwilioError::from(e).camel())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
