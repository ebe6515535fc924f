//! iam/v1 `Keys` (Basic auth): create with `AccountSid` (the secret once), list by
//! `AccountSid` in the "meta" page shape (`meta.key = "keys"`), fetch, rename, delete.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::Error;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account_client::AccountClient;
use super::api2010::rfc2822;
use super::{TwilioError, TwilioResult, paging};
use crate::AppState;
use crate::web::FormData;

fn key_json(k: &ApiKey) -> Value {
    json!({
        "sid": k.sid,
        "friendly_name": k.name,
        "date_created": rfc2822(k.created_at),
        "date_updated": rfc2822(k.updated_at),
        "policy": null,
    })
}

fn account(raw: Option<&str>) -> Result<AccountSid, TwilioError> {
    raw.and_then(|a| AccountSid::parse(a).ok())
        .ok_or_else(|| TwilioError::new(StatusCode::BAD_REQUEST, 20001, "AccountSid is required (AC…)"))
}

fn key_sid(raw: &str) -> Result<ApiKeySid, TwilioError> {
    ApiKeySid::parse(raw).map_err(|_| Error::NotFound.into())
}

/// Restricted keys (a `KeyType` of `restricted` with a `Policy`) are not built yet: a key made
/// without its policy would be full-power while its creator believes it limited, so the request
/// is refused, never half-honoured.
pub(crate) fn refuse_policy(form: &FormData) -> Result<(), TwilioError> {
    let unsupported = |what: &str| {
        TwilioError::new(
            StatusCode::BAD_REQUEST,
            20001,
            format!(
                "{what}: restricted API keys are not supported by this server; create a standard key (no KeyType, no Policy)"
            ),
        )
    };
    match form.get("KeyType").map(str::trim) {
        None | Some("") => {}
        Some(t) if t.eq_ignore_ascii_case("restricted") => return Err(unsupported("KeyType=restricted")),
        Some(other) => {
            return Err(TwilioError::new(
                StatusCode::BAD_REQUEST,
                20001,
                format!("KeyType {other:?} is not a key type (restricted is the only one, and is not supported)"),
            ));
        }
    }
    if form.get("Policy").is_some_and(|p| !p.trim().is_empty()) {
        return Err(unsupported("Policy"));
    }
    Ok(())
}

pub(crate) async fn create(State(state): State<AppState>, c: AccountClient, form: FormData) -> TwilioResult {
    refuse_policy(&form)?;
    let account = account(form.get("AccountSid"))?;
    let name = form.get("FriendlyName").unwrap_or("API key").to_owned();
    let created = state.app.create_api_key(&c.actor, &account, &name).await?;
    let mut body = key_json(&created.key);
    body["secret"] = Value::from(created.secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    #[serde(rename = "AccountSid")]
    account_sid: Option<String>,
    #[serde(flatten)]
    paging: paging::Paging,
}

pub(crate) async fn list(State(state): State<AppState>, c: AccountClient, Query(q): Query<ListQuery>) -> TwilioResult {
    let account = account(q.account_sid.as_deref())?;
    let (size, number) = (q.paging.size(1000)?, q.paging.number());
    let after = q.paging.token().map(str::to_owned);
    let previous = match after.as_deref() {
        Some(t) => Some(state.app.api_keys_cursor_before(&c.actor, &account, t, size).await?),
        None => None,
    };
    let page = state.app.api_keys(&c.actor, &account, &PageRequest { after, limit: size, search: None }).await?;
    let keys: Vec<Value> = page
        .items
        .iter()
        .map(|k| {
            let mut v = key_json(&k.key);
            v.as_object_mut().map(|o| o.remove("policy"));
            v["flags"] = json!([]);
            v
        })
        .collect();
    let list = format!("{}/v1/Keys?AccountSid={account}", state.app.public_url());
    let body = paging::meta_page("keys", &list, size, number, keys, page.next_after, previous);
    Ok(Json(body).into_response())
}

pub(crate) async fn fetch(State(state): State<AppState>, c: AccountClient, Path(sid): Path<String>) -> TwilioResult {
    Ok(Json(key_json(&state.app.api_key(&c.actor, &key_sid(&sid)?).await?)).into_response())
}

pub(crate) async fn update(
    State(state): State<AppState>,
    c: AccountClient,
    Path(sid): Path<String>,
    form: FormData,
) -> TwilioResult {
    refuse_policy(&form)?;
    let key = state.app.api_key(&c.actor, &key_sid(&sid)?).await?;
    if let Some(name) = form.get("FriendlyName") {
        state.app.rename_api_key(&c.actor, &key.account_sid, &key.sid, name).await?;
    }
    Ok(Json(key_json(&state.app.api_key(&c.actor, &key.sid).await?)).into_response())
}

pub(crate) async fn delete(State(state): State<AppState>, c: AccountClient, Path(sid): Path<String>) -> TwilioResult {
    let key = state.app.api_key(&c.actor, &key_sid(&sid)?).await?;
    state.app.revoke_api_key(&c.actor, &key.account_sid, &key.sid).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
