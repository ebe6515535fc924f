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
use gatehouse_domain::account::{Account, AccountStatus};
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account_client::AccountClient;
use super::paging::{Paging, Previous};
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
        "date_updated": rfc2822(k.updated_at),
    })
}

/// `AC….json` → the SID.
fn json_sid<T>(raw: &str, parse: impl Fn(&str) -> Result<T, Error>) -> Result<T, TwilioError> {
    raw.strip_suffix(".json").and_then(|s| parse(s).ok()).ok_or_else(|| Error::NotFound.into())
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(flatten)]
    paging: Paging,
    #[serde(rename = "FriendlyName")]
    friendly_name: Option<String>,
    #[serde(rename = "Status")]
    status: Option<String>,
}

impl ListQuery {
    /// The SID a page starts after: `PageToken` without its `PA`.
    fn after(&self) -> Option<&str> {
        self.paging.token().and_then(|t| t.strip_prefix("PA")).filter(|t| !t.is_empty())
    }

    fn size(&self) -> Result<usize, TwilioError> {
        Ok(self.paging.size(1000)? as usize)
    }
}

/// A 2010 page: its `records` (in order), and the SID the next page starts after, if one
/// follows. `PageToken` is `PA` + the SID the page starts after (the previous page's last).
fn page_2010(
    path: &str,
    key: &str,
    q: &ListQuery,
    extra: &str,
    records: Vec<Value>,
    next_after: Option<String>,
    previous: Previous,
) -> Result<Value, TwilioError> {
    let size = q.size()?;
    let page = u64::from(q.paging.number());
    let uri = |p: u64, token: Option<&str>| {
        let token = token.map(|t| format!("&PageToken=PA{t}")).unwrap_or_default();
        format!("{path}?PageSize={size}{extra}&Page={p}{token}")
    };
    let start = page * size as u64;
    let mut body = json!({
        "first_page_uri": uri(0, None),
        "end": (start + records.len() as u64).saturating_sub(1),
        "previous_page_uri": previous.map(|sid| uri(page.saturating_sub(1), sid.as_deref())),
        "next_page_uri": next_after.as_deref().map(|sid| uri(page + 1, Some(sid))),
        "uri": uri(page, q.after()),
        "page": page,
        "page_size": size,
        "start": start,
    });
    body[key] = Value::Array(records);
    Ok(body)
}

/// The authenticated account, then its subaccounts in SID order, each page read from the
/// (parent, SID) index from its cursor: a page costs a page, however many subaccounts there are.
pub(crate) async fn list_accounts(
    State(state): State<AppState>,
    c: AccountClient,
    Query(q): Query<ListQuery>,
) -> TwilioResult {
    let mut extra = String::new();
    if let Some(n) = &q.friendly_name {
        extra.push_str(&format!("&FriendlyName={}", crate::web::url_encode(n)));
    }
    if let Some(s) = &q.status {
        extra.push_str(&format!("&Status={}", crate::web::url_encode(s)));
    }
    let path = format!("{BASE}/Accounts.json");
    let size = q.size()?;
    // A status Twilio does not have matches no account.
    let status = match q.status.as_deref().map(AccountStatus::parse) {
        Some(Err(_)) => {
            return Ok(Json(page_2010(&path, "accounts", &q, &extra, Vec::new(), None, None)?).into_response());
        }
        Some(Ok(s)) => Some(s),
        None => None,
    };
    let name = q.friendly_name.as_deref();
    let main = state.app.account(&c.actor, &c.account).await?.account;
    let main_listed = name.is_none_or(|n| main.name == n) && status.is_none_or(|s| main.status == s);
    // The page before: read back from the cursor among the subaccounts; the main account is the
    // list's first item: the page before may start after it, or be the first page.
    let previous = match q.after() {
        None => None,
        Some(t) if t == main.sid.as_str() => Some(None),
        Some(t) => {
            let before = |n: usize| {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                state.app.subaccounts_cursor_before(&c.actor, &c.account, name, status, t, n)
            };
            match before(size).await? {
                Some(sid) => Some(Some(sid)),
                None if main_listed && before(size - 1).await?.is_some() => Some(Some(main.sid.to_string())),
                None => Some(None),
            }
        }
    };
    let mut records = Vec::new();
    // The main account is listed first; a cursor at it means its subaccounts from the start.
    let after = match q.after() {
        None => {
            if main_listed {
                records.push(main.clone());
            }
            None
        }
        Some(sid) if sid == main.sid.as_str() => None,
        Some(sid) => Some(sid.to_owned()),
    };
    let room = size - records.len();
    let limit = u32::try_from(room.max(1)).unwrap_or(u32::MAX);
    let subaccounts = state
        .app
        .subaccounts_matching(&c.actor, &c.account, name, status, &PageRequest { after, limit, search: None })
        .await?;
    let next_after = if room == 0 {
        // The page is the main account alone: the next starts at the first subaccount.
        (!subaccounts.items.is_empty()).then(|| main.sid.to_string())
    } else {
        records.extend(subaccounts.items);
        subaccounts.next_after
    };
    let records = records.iter().map(|a| account_json(a, None)).collect();
    Ok(Json(page_2010(&path, "accounts", &q, &extra, records, next_after, previous)?).into_response())
}

pub(crate) async fn create_account(State(state): State<AppState>, c: AccountClient, form: FormData) -> TwilioResult {
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
    c: AccountClient,
    Path(file): Path<String>,
) -> TwilioResult {
    let sid = json_sid(&file, AccountSid::parse)?;
    Ok(Json(account_json(&state.app.account(&c.actor, &sid).await?.account, None)).into_response())
}

pub(crate) async fn update_account(
    State(state): State<AppState>,
    c: AccountClient,
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
    c: AccountClient,
    Path(account): Path<String>,
    Query(q): Query<ListQuery>,
) -> TwilioResult {
    let sid = AccountSid::parse(&account).map_err(|_| TwilioError::from(Error::NotFound))?;
    let limit = u32::try_from(q.size()?).unwrap_or(u32::MAX);
    let previous = match q.after() {
        Some(t) => Some(state.app.api_keys_cursor_before(&c.actor, &sid, t, limit).await?),
        None => None,
    };
    let page = state
        .app
        .api_keys(&c.actor, &sid, &PageRequest { after: q.after().map(str::to_owned), limit, search: None })
        .await?;
    let items = page.items.iter().map(|k| key_json(&k.key)).collect();
    let path = format!("{BASE}/Accounts/{sid}/Keys.json");
    Ok(Json(page_2010(&path, "keys", &q, "", items, page.next_after, previous)?).into_response())
}

pub(crate) async fn create_key(
    State(state): State<AppState>,
    c: AccountClient,
    Path(account): Path<String>,
    form: FormData,
) -> TwilioResult {
    let restricted = super::iam::key_policy(&form)?;
    let sid = AccountSid::parse(&account).map_err(|_| TwilioError::from(Error::NotFound))?;
    let name = form.get("FriendlyName").unwrap_or("API key").to_owned();
    let created = state.app.create_restricted_api_key(&c.actor, &sid, &name, restricted).await?;
    let mut body = key_json(&created.key);
    body["secret"] = Value::from(created.secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn key_of(
    state: &AppState,
    c: &AccountClient,
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
    c: AccountClient,
    Path((account, file)): Path<(String, String)>,
) -> TwilioResult {
    let (_, key) = key_of(&state, &c, &account, &file).await?;
    Ok(Json(key_json(&key)).into_response())
}

pub(crate) async fn update_key(
    State(state): State<AppState>,
    c: AccountClient,
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
    c: AccountClient,
    Path((account, file)): Path<(String, String)>,
) -> TwilioResult {
    let (account, key) = key_of(&state, &c, &account, &file).await?;
    state.app.revoke_api_key(&c.actor, &account, &key.sid).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
