//! API: an account's API keys. The secret is in the answer to the creation only.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use gatehouse_app::ApiKeyView;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiActor, ApiResult, Body, ListParams, Params, created, done, page_json, sid};
use crate::AppState;

fn key_json(k: &ApiKeyView) -> Value {
    json!({
        "sid": k.key.sid,
        "friendly_name": k.key.name,
        "created_by": k.created_by.as_ref().map(|u| json!({ "user_sid": u.sid, "email": u.email, "name": u.name })),
        "date_created": k.key.created_at.to_rfc3339(),
        "date_last_used": k.key.last_used_at.map(|t| t.to_rfc3339()),
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Params(params): Params<ListParams>,
) -> ApiResult {
    let page = state.app.api_keys(&actor, &sid(&a, AccountSid::parse)?, &params.page()?).await?;
    Ok(page_json(&page, key_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Name {
    friendly_name: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(a): Path<String>,
    Body(body): Body<Name>,
) -> ApiResult {
    let new = state.app.create_api_key(&actor, &sid(&a, AccountSid::parse)?, &body.friendly_name).await?;
    Ok(created(json!({
        "sid": new.key.sid,
        "friendly_name": new.key.name,
        "secret": new.secret,
        "date_created": new.key.created_at.to_rfc3339(),
    })))
}

pub(crate) async fn rename(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, k)): Path<(String, String)>,
    Body(body): Body<Name>,
) -> ApiResult {
    let (account, key) = (sid(&a, AccountSid::parse)?, sid(&k, ApiKeySid::parse)?);
    state.app.rename_api_key(&actor, &account, &key, &body.friendly_name).await?;
    Ok(Json(json!({ "sid": key, "friendly_name": body.friendly_name.trim() })).into_response())
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((a, k)): Path<(String, String)>,
) -> ApiResult {
    state.app.revoke_api_key(&actor, &sid(&a, AccountSid::parse)?, &sid(&k, ApiKeySid::parse)?).await?;
    Ok(done())
}
