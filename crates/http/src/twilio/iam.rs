//! iam/v1 `Keys` (Basic auth): create with `AccountSid` (the secret once), list by
//! `AccountSid` in the "meta" page shape (`meta.key = "keys"`), fetch, rename, delete.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_domain::Error;
use gatehouse_domain::api_key::{ApiKey, parse_key_permissions};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::PermissionSet;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account_client::AccountClient;
use super::api2010::rfc2822;
use super::{TwilioError, TwilioResult, paging};
use crate::AppState;
use crate::web::FormData;

fn key_json(k: &ApiKey) -> Value {
    let policy = k.restricted_to.map(|p| json!({ "allow": p.iter().map(|p| p.name()).collect::<Vec<_>>() }));
    json!({
        "sid": k.sid,
        "friendly_name": k.name,
        "date_created": rfc2822(k.created_at),
        "date_updated": rfc2822(k.updated_at),
        "policy": policy,
    })
}

fn account(raw: Option<&str>) -> Result<AccountSid, TwilioError> {
    raw.and_then(|a| AccountSid::parse(a).ok())
        .ok_or_else(|| TwilioError::new(StatusCode::BAD_REQUEST, 20001, "AccountSid is required (AC…)"))
}

fn key_sid(raw: &str) -> Result<ApiKeySid, TwilioError> {
    ApiKeySid::parse(raw).map_err(|_| Error::NotFound.into())
}

/// What a key creation asks for: a standard key (no `KeyType`, no `Policy`), or
/// `KeyType=restricted` with a `Policy` of `{"allow": [...]}` naming Gatehouse permissions a key
/// may hold (`resources.read`, `logs.read`, `access.check`, …). Anything else is refused with
/// Twilio's error, naming what is wrong — never half-honoured.
pub(crate) fn key_policy(form: &FormData) -> Result<Option<PermissionSet>, TwilioError> {
    let bad = |message: String| TwilioError::new(StatusCode::BAD_REQUEST, 20001, message);
    let policy = form.get("Policy").map(str::trim).filter(|p| !p.is_empty());
    match form.get("KeyType").map(str::trim) {
        None | Some("") => match policy {
            None => Ok(None),
            Some(_) => Err(bad("Policy is only accepted with KeyType=restricted".into())),
        },
        Some(t) if t.eq_ignore_ascii_case("restricted") => {
            let policy =
                policy.ok_or_else(|| bad("KeyType=restricted needs a Policy: {\"allow\": [permissions]}".into()))?;
            let allow: Vec<String> = serde_json::from_str::<Value>(policy)
                .ok()
                .and_then(|v| serde_json::from_value(v.get("allow")?.clone()).ok())
                .ok_or_else(|| bad("Policy must be JSON of the form {\"allow\": [\"logs.read\", …]}".into()))?;
            parse_key_permissions(allow.iter().map(String::as_str)).map(Some).map_err(|e| match e {
                Error::Invalid { reason, .. } => bad(format!("Policy: {reason}")),
                other => other.into(),
            })
        }
        Some(other) => Err(bad(format!("KeyType {other:?} is not a key type (restricted is the only one)"))),
    }
}

/// A key's permissions are fixed when it is made: an update naming a policy is refused.
fn refuse_policy_change(form: &FormData) -> Result<(), TwilioError> {
    if form.get("Policy").is_some_and(|p| !p.trim().is_empty())
        || form.get("KeyType").is_some_and(|t| !t.trim().is_empty())
    {
        return Err(TwilioError::new(
            StatusCode::BAD_REQUEST,
            20001,
            "a key's KeyType and Policy are fixed when it is created; create a new key instead",
        ));
    }
    Ok(())
}

pub(crate) async fn create(State(state): State<AppState>, c: AccountClient, form: FormData) -> TwilioResult {
    let restricted = key_policy(&form)?;
    let account = account(form.get("AccountSid"))?;
    let name = form.get("FriendlyName").unwrap_or("API key").to_owned();
    let created = state.app.create_restricted_api_key(&c.actor, &account, &name, restricted).await?;
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
    refuse_policy_change(&form)?;
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
