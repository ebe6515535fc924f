//! API: the caller, an account, its settings and lifecycle, subaccounts and activity.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use gatehouse_app::NewAccount;
use gatehouse_domain::Error;
use gatehouse_domain::account::{Account, AccountSettings};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::policy::ActorKind;
use gatehouse_domain::sid::AccountSid;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiError, ApiResult, Body, ListParams, Params, created, done, page_json, sid};
use crate::AppState;

pub(crate) fn account_json(a: &Account) -> Value {
    json!({
        "sid": a.sid,
        "friendly_name": a.name,
        "status": a.status.as_str(),
        "organization_sid": a.organization_sid,
        "parent_account_sid": a.parent_sid,
        "settings": a.settings,
        "date_created": a.created_at.to_rfc3339(),
        "date_updated": a.updated_at.to_rfc3339(),
    })
}

fn account_sid(raw: &str) -> Result<AccountSid, ApiError> {
    sid(raw, AccountSid::parse)
}

/// Who the credentials are.
pub(crate) async fn me(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult {
    Ok(match &actor.kind {
        ActorKind::ApiKey { key, .. } => {
            let account = state.app.credential_account(&actor).await?;
            Json(json!({ "type": "api_key", "api_key_sid": key, "account": account_json(&account) }))
        }
        ActorKind::User(sid) => {
            let user = state.app.user(&actor, sid).await?;
            Json(json!({ "type": "user", "user_sid": user.sid, "email": user.email, "name": user.name }))
        }
        _ => return Err(ApiError(Error::Unauthenticated)),
    }
    .into_response())
}

pub(crate) async fn show(State(state): State<AppState>, ApiActor(actor): ApiActor, Path(a): Path<String>) -> ApiResult {
    Ok(Json(account_json(&state.app.account(&actor, &account_sid(&a)?).await?.account)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rename {
    friendly_name: String,
}

pub(crate) async fn rename(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Rename>,
) -> ApiResult {
    let sid = account_sid(&a)?;
    state.app.rename_account(&actor, &sid, &body.friendly_name).await?;
    Ok(Json(account_json(&state.app.account(&actor, &sid).await?.account)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    require_two_factor: bool,
    require_https_webhooks: bool,
    require_public_key_validation: bool,
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Settings>,
) -> ApiResult {
    let sid = account_sid(&a)?;
    let settings = AccountSettings {
        require_two_factor: body.require_two_factor,
        require_https_webhooks: body.require_https_webhooks,
        require_public_key_validation: body.require_public_key_validation,
    };
    state.app.update_account_settings(&actor, &sid, settings).await?;
    Ok(Json(account_json(&state.app.account(&actor, &sid).await?.account)).into_response())
}

pub(crate) async fn suspend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.suspend_account(&actor, &account_sid(&a)?).await?;
    Ok(done())
}

pub(crate) async fn reactivate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
) -> ApiResult {
    state.app.reactivate_account(&actor, &account_sid(&a)?).await?;
    Ok(done())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Close {
    confirm_name: String,
}

pub(crate) async fn close(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Close>,
) -> ApiResult {
    state.app.close_account(&actor, &account_sid(&a)?, &body.confirm_name).await?;
    Ok(done())
}

pub(crate) async fn subaccounts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.subaccounts(&actor, &account_sid(&a)?, &params.page()?).await?;
    Ok(page_json(&page, account_json))
}

pub(crate) async fn create_subaccount(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Rename>,
) -> ApiResult {
    let input = NewAccount { name: body.friendly_name, organization_sid: None, parent_sid: Some(account_sid(&a)?) };
    Ok(created(account_json(&state.app.create_account(&actor, input).await?)))
}

pub(crate) fn event_json(e: &AuditEvent) -> Value {
    json!({
        "sid": e.sid,
        "date": e.occurred_at.to_rfc3339(),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "source_ip": e.source_ip,
        "details": e.details,
    })
}

/// The account's audit events, newest first.
pub(crate) async fn events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.account_audit(&actor, &account_sid(&a)?, &params.page()?).await?;
    Ok(page_json(&page, event_json))
}
