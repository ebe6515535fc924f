//! An account's API keys page: list with creator and last use, create (the secret is shown
//! once, on the page the creation redirects to), rename, revoke.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;
use gatehouse_domain::api_key::{key_permission_catalogue, parse_key_permissions};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::sid::{AccountSid, ApiKeySid};

use super::accounts::ListQuery;
use super::{AccountTabs, CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct KeyRow {
    sid: String,
    name: String,
    created_by: String,
    created: String,
    last_used: String,
    /// "Standard", or the restricted key's permissions.
    holds: String,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    can_manage: bool,
    rows: Vec<KeyRow>,
    list: ListNav,
    /// The key just created: its SID, name and secret, shown this once.
    created: Option<(String, String, String)>,
    new_name: String,
    errors: FormErrors,
    /// Public keys for Client Validation: (SID, name, registered).
    public_keys: Vec<(String, String, String)>,
    /// Whether the account requires Client Validation.
    requires_validation: bool,
    /// The permissions a key may be restricted to: (name, what it allows, ticked).
    key_permissions: Vec<(&'static str, &'static str, bool)>,
}

struct Extra {
    created: Option<(String, String, String)>,
    new_name: String,
    /// The permissions ticked on the form (kept when it is shown again with an error).
    ticked: Vec<String>,
    errors: FormErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &AccountSid,
    q: &ListQuery,
    extra: Extra,
    status: StatusCode,
) -> PageResult {
    let view = state.app.account(&user.actor, sid).await?;
    let page = state.app.api_keys(&user.actor, sid, &q.page()?).await?;
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let rows = page
        .items
        .iter()
        .map(|k| KeyRow {
            sid: k.key.sid.to_string(),
            name: k.key.name.clone(),
            created_by: k.created_by.as_ref().map_or_else(|| "system".into(), |u| format!("{} ({})", u.name, u.email)),
            created: fmt(k.key.created_at),
            last_used: k.key.last_used_at.map_or_else(|| "never".into(), fmt),
            holds: match k.key.restricted_to {
                None => "Standard".into(),
                Some(p) => p.iter().map(Permission::name).collect::<Vec<_>>().join(", "),
            },
        })
        .collect();
    let list = ListNav::new(&format!("/accounts/{sid}/keys"), &q.q, Some(&q.after), &page);
    let public_keys = state
        .app
        .public_keys(&user.actor, sid, &PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .map(|k| (k.sid.to_string(), k.name, fmt(k.created_at)))
        .collect();
    let page = KeysPage {
        layout: user.layout(&format!("API keys · {}", view.account.name), "/accounts", notice(q.notice.as_deref())),
        tab: "keys",
        sid: sid.to_string(),
        name: view.account.name,
        tabs: AccountTabs::new(view.permissions),
        can_manage: view.permissions.contains(Permission::ApiKeysManage),
        rows,
        list,
        created: extra.created,
        new_name: extra.new_name,
        errors: extra.errors,
        public_keys,
        requires_validation: view.account.settings.require_public_key_validation,
        key_permissions: key_permission_catalogue()
            .iter()
            .map(|p| (p.name(), p.description(), extra.ticked.iter().any(|t| t == p.name())))
            .collect(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    // Right after creating a key, its secret waits in the session, to be shown this once.
    let created = if q.notice.as_deref() == Some("key-created") {
        state
            .app
            .take_flash(&user.token)
            .await?
            .and_then(|f| serde_json::from_str::<CreatedKey>(&f).ok())
            .filter(|k| k.account == sid.as_str())
            .map(|k| (k.sid, k.name, k.secret))
    } else {
        None
    };
    let extra = Extra { created, new_name: String::new(), ticked: Vec::new(), errors: FormErrors::default() };
    render(&state, &user, &sid, &q, extra, StatusCode::OK).await
}

/// A new key's secret on its way to the page that shows it once.
#[derive(serde::Serialize, serde::Deserialize)]
struct CreatedKey {
    account: String,
    sid: String,
    name: String,
    secret: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let name = form.text("name");
    // Ticking permissions makes a restricted key; ticking none, a standard one.
    let ticked: Vec<String> = form.all("permissions").into_iter().map(str::to_owned).collect();
    let restricted =
        if ticked.is_empty() { Ok(None) } else { parse_key_permissions(ticked.iter().map(String::as_str)).map(Some) };
    let created = match restricted {
        Ok(restricted) => state.app.create_restricted_api_key(&user.actor, &sid, &name, restricted).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(new) => {
            let flash = CreatedKey {
                account: sid.to_string(),
                sid: new.key.sid.to_string(),
                name: new.key.name,
                secret: new.secret,
            };
            let flash = serde_json::to_string(&flash).map_err(|e| Error::Internal(format!("flash: {e}")))?;
            state.app.put_flash(&user.token, &flash).await?;
            Ok(Redirect::to(&format!("/accounts/{sid}/keys?notice=key-created")).into_response())
        }
        Err(e) => {
            let extra = Extra { created: None, new_name: name, ticked, errors: FormErrors::from_errors(vec![e])? };
            render(&state, &user, &sid, &ListQuery::default(), extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Renames (`rename`) or revokes (`revoke`) a key.
pub(crate) async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, key, action)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, key) = (path_sid(&sid, AccountSid::parse)?, path_sid(&key, ApiKeySid::parse)?);
    let notice = match action.as_str() {
        "rename" => {
            state.app.rename_api_key(&user.actor, &sid, &key, &form.text("name")).await?;
            "key-renamed"
        }
        "revoke" => {
            state.app.revoke_api_key(&user.actor, &sid, &key).await?;
            "key-revoked"
        }
        _ => return Err(WebError(Error::NotFound)),
    };
    Ok(Redirect::to(&format!("/accounts/{sid}/keys?notice={notice}")).into_response())
}

/// The keys a departure form chose to keep (`key_SK… = keep`; `revoke` is the default).
pub(crate) fn kept_keys(form: &FormData) -> Result<std::collections::BTreeSet<ApiKeySid>, Error> {
    let mut keep = std::collections::BTreeSet::new();
    for (key, value) in form.with_prefix("key_") {
        match value {
            "keep" => {
                keep.insert(ApiKeySid::parse(key)?);
            }
            "revoke" => {}
            _ => return Err(Error::invalid("keys", "choose revoke or keep for each key")),
        }
    }
    Ok(keep)
}
