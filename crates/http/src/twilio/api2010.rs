//! The 2010 API (`/2010-04-01`, Basic auth): `Accounts.json` — the authenticated account and its
//! subaccounts (create, list with `FriendlyName`/`Status`, fetch, rename, suspend, reactivate,
//! close) — and `Keys` (create with the secret once, list, fetch, rename, delete). Form bodies in
//! PascalCase, RFC 2822 dates, the 2010 page shape with relative `next_page_uri`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_app::NewAccount;
use gatehouse_domain::Error;
use gatehouse_domain::account::Account;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::basic::BasicClient;
use super::{TwilioError, TwilioResult};
use crate::AppState;
use crate::web::FormData;

const BASE: &str = "/2010-04-01";

pub(crate) fn rfc2822(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc2822()
}

fn account_json(a: &Account, auth_token: Option<&str>) -> Value {
    let uri = format!("{BASE}/Accounts/{}", a.sid);
    json!({
        "auth_token": auth_token,
        "date_created": rfc2822(a.created_at),
        "date_updated": rfc2822(a.updated_at),
        "friendly_name": a.name,
        "owner_account_sid": a.parent_sid.as_ref().unwrap_or(&a.sid),
        "sid": a.sid,
        "status": a.status.as_str(),
        "subresource_uris": { "keys": format!("{uri}/Keys.json") },
        "type": "Full",
        "uri": format!("{uri}.json"),
    })
}

fn key_json(k: &ApiKey) -> Value {
    json!({
        "sid": k.sid,
        "friendly_name": k.name,
        "date_created": rfc2822(k.created_at),
        "date_updated": rfc2822(k.created_at),
    })
}

/// `AC….json` → the SID.
fn json_sid<T>(raw: &str, parse: impl Fn(&str) -> Result<T, Error>) -> Result<T, TwilioError> {
    raw.strip_suffix(".json").and_then(|s| parse(s).ok()).ok_or_else(|| Error::NotFound.into())
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(rename = "PageSize")]
    page_size: Option<String>,
    #[serde(rename = "Page")]
    page: Option<String>,
    #[serde(rename = "PageToken")]
    page_token: Option<String>,
    #[serde(rename = "FriendlyName")]
    friendly_name: Option<String>,
    #[serde(rename = "Status")]
    status: Option<String>,
}

impl ListQuery {
    fn size(&self) -> Result<usize, TwilioError> {
        match self.page_size.as_deref() {
            None => Ok(50),
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| TwilioError::new(StatusCode::BAD_REQUEST, 20001, "PageSize must be from 1 to 1000")),
        }
    }
}

/// A 2010 page of `items` (already in order), cut after `PageToken` (`PA` + the last SID).
fn page_2010(
    path: &str,
    key: &str,
    q: &ListQuery,
    extra: &str,
    items: Vec<(String, Value)>,
) -> Result<Value, TwilioError> {
    let size = q.size()?;
    let page: u64 = q.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(0);
    let after = q.page_token.as_deref().and_then(|t| t.strip_prefix("PA")).map(str::to_owned);
    let rest: Vec<(String, Value)> = match &after {
        Some(a) => items.into_iter().skip_while(|(sid, _)| sid != a).skip(1).collect(),
        None => items,
    };
    let more = rest.len() > size;
    let records: Vec<(String, Value)> = rest.into_iter().take(size).collect();
    let uri = |p: u64, token: Option<&str>| {
        let token = token.map(|t| format!("&PageToken=PA{t}")).unwrap_or_default();
        format!("{path}?PageSize={size}{extra}&Page={p}{token}")
    };
    let start = page * size as u64;
    let next = if more { records.last().map(|(sid, _)| uri(page + 1, Some(sid))) } else { None };
    let mut body = json!({
        "first_page_uri": uri(0, None),
        "end": (start + records.len() as u64).saturating_sub(1),
        "previous_page_uri": null,
        "next_page_uri": next,
        "uri": uri(page, after.as_deref()),
        "page": page,
        "page_size": size,
        "start": start,
    });
    body[key] = Value::Array(records.into_iter().map(|(_, v)| v).collect());
    Ok(body)
}

/// The authenticated account and its subaccounts, in that order.
async fn family(state: &AppState, c: &BasicClient) -> Result<Vec<Account>, TwilioError> {
    let main = state.app.account(&c.actor, &c.account).await?.account;
    let mut out = vec![main];
    let mut after = None;
    loop {
        let page =
            state.app.subaccounts(&c.actor, &c.account, &PageRequest { after, limit: 200, search: None }).await?;
        out.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(out)
}

pub(crate) async fn list_accounts(
    State(state): State<AppState>,
    c: BasicClient,
    Query(q): Query<ListQuery>,
) -> TwilioResult {
    let mut extra = String::new();
    if let Some(n) = &q.friendly_name {
        extra.push_str(&format!("&FriendlyName={}", crate::web::url_encode(n)));
    }
    if let Some(s) = &q.status {
        extra.push_str(&format!("&Status={}", crate::web::url_encode(s)));
    }
    let items = family(&state, &c)
        .await?
        .into_iter()
        .filter(|a| q.friendly_name.as_deref().is_none_or(|n| a.name == n))
        .filter(|a| q.status.as_deref().is_none_or(|s| a.status.as_str() == s))
        .map(|a| (a.sid.to_string(), account_json(&a, None)))
        .collect();
    Ok(Json(page_2010(&format!("{BASE}/Accounts.json"), "accounts", &q, &extra, items)?).into_response())
}

pub(crate) async fn create_account(State(state): State<AppState>, c: BasicClient, form: FormData) -> TwilioResult {
    let now = chrono::Utc::now();
    let name = form
        .get("FriendlyName")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("SubAccount Created at {}", now.format("%Y-%m-%d %I:%M %P")));
    let input = NewAccount { name, organization_sid: None, parent_sid: Some(c.account.clone()) };
    let account = state.app.create_account(&c.actor, input).await?;
    let token = state.app.rotate_auth_token(&c.actor, &account.sid).await?;
    let fresh = state.app.account(&c.actor, &account.sid).await?.account;
    Ok((StatusCode::CREATED, Json(account_json(&fresh, Some(&token)))).into_response())
}

pub(crate) async fn fetch_account(
    State(state): State<AppState>,
    c: BasicClient,
    Path(file): Path<String>,
) -> TwilioResult {
    let sid = json_sid(&file, AccountSid::parse)?;
    Ok(Json(account_json(&state.app.account(&c.actor, &sid).await?.account, None)).into_response())
}

pub(crate) async fn update_account(
    State(state): State<AppState>,
    c: BasicClient,
    Path(file): Path<String>,
    form: FormData,
) -> TwilioResult {
    let sid = json_sid(&file, AccountSid::parse)?;
    if let Some(name) = form.get("FriendlyName") {
        state.app.rename_account(&c.actor, &sid, name).await?;
    }
    if let Some(status) = form.get("Status") {
        let current = state.app.account(&c.actor, &sid).await?.account;
        match (status, current.status.as_str()) {
            (s, now) if s == now => {}
            ("suspended", _) => state.app.suspend_account(&c.actor, &sid).await?,
            ("active", _) => state.app.reactivate_account(&c.actor, &sid).await?,
            ("closed", _) => state.app.close_account(&c.actor, &sid, &current.name).await?,
            _ => {
                return Err(TwilioError::new(
                    StatusCode::BAD_REQUEST,
                    20001,
                    "Status must be active, suspended or closed",
                ));
            }
        }
    }
    Ok(Json(account_json(&state.app.account(&c.actor, &sid).await?.account, None)).into_response())
}

pub(crate) async fn list_keys(
    State(state): State<AppState>,
    c: BasicClient,
    Path(account): Path<String>,
    Query(q): Query<ListQuery>,
) -> TwilioResult {
    let sid = AccountSid::parse(&account).map_err(|_| TwilioError::from(Error::NotFound))?;
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = state.app.api_keys(&c.actor, &sid, &PageRequest { after, limit: 200, search: None }).await?;
        items.extend(page.items.iter().map(|k| (k.key.sid.to_string(), key_json(&k.key))));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(Json(page_2010(&format!("{BASE}/Accounts/{sid}/Keys.json"), "keys", &q, "", items)?).into_response())
}

pub(crate) async fn create_key(
    State(state): State<AppState>,
    c: BasicClient,
    Path(account): Path<String>,
    form: FormData,
) -> TwilioResult {
    super::iam::refuse_policy(&form)?;
    let sid = AccountSid::parse(&account).map_err(|_| TwilioError::from(Error::NotFound))?;
    let name = form.get("FriendlyName").unwrap_or("API key").to_owned();
    let created = state.app.create_api_key(&c.actor, &sid, &name).await?;
    let mut body = key_json(&created.key);
    body["secret"] = Value::from(created.secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn key_of(
    state: &AppState,
    c: &BasicClient,
    account: &str,
    file: &str,
) -> Result<(AccountSid, ApiKey), TwilioError> {
    let account = AccountSid::parse(account).map_err(|_| TwilioError::from(Error::NotFound))?;
    let sid = json_sid(file, ApiKeySid::parse)?;
    let key = state.app.api_key(&c.actor, &sid).await?;
    if key.account_sid != account {
        return Err(Error::NotFound.into());
    }
    Ok((account, key))
}

pub(crate) async fn fetch_key(
    State(state): State<AppState>,
    c: BasicClient,
    Path((account, file)): Path<(String, String)>,
) -> TwilioResult {
    let (_, key) = key_of(&state, &c, &account, &file).await?;
    Ok(Json(key_json(&key)).into_response())
}

pub(crate) async fn update_key(
    State(state): State<AppState>,
    c: BasicClient,
    Path((account, file)): Path<(String, String)>,
    form: FormData,
) -> TwilioResult {
    let (account, key) = key_of(&state, &c, &account, &file).await?;
    if let Some(name) = form.get("FriendlyName") {
        state.app.rename_api_key(&c.actor, &account, &key.sid, name).await?;
    }
    Ok(Json(key_json(&state.app.api_key(&c.actor, &key.sid).await?)).into_response())
}

pub(crate) async fn delete_key(
    State(state): State<AppState>,
    c: BasicClient,
    Path((account, file)): Path<(String, String)>,
) -> TwilioResult {
    let (account, key) = key_of(&state, &c, &account, &file).await?;
    state.app.revoke_api_key(&c.actor, &account, &key.sid).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
