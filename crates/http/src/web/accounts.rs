//! Account pages: your accounts, create an account or subaccount, an account's overview.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::NewAccount;
use gatehouse_domain::account::{Account, AccountSettings};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::sid::{AccountSid, OrganizationSid};
use serde::Deserialize;

use super::{AccountTabs, CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

/// Query of a list page: search, cursor, notice after a redirect.
#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub after: String,
    pub notice: Option<String>,
    /// A list's tab, where it has tabs (the Admin Center's users: `managed`, `independent`).
    #[serde(default)]
    pub kind: String,
    /// An account's users: only those holding this role (a role key; empty for everyone).
    #[serde(default)]
    pub role: String,
}

impl ListQuery {
    pub(crate) fn page(&self) -> Result<PageRequest, WebError> {
        let after = Some(self.after.clone()).filter(|a| !a.is_empty());
        Ok(PageRequest::new(after, None, Some(self.q.clone()))?)
    }
}

/// An account as a row of a list.
pub(crate) struct AccountRow {
    pub sid: String,
    pub name: String,
    pub status: &'static str,
    pub kind: &'static str,
}

impl From<&Account> for AccountRow {
    fn from(a: &Account) -> Self {
        let kind = match (&a.parent_sid, &a.organization_sid) {
            (Some(_), _) => "Subaccount",
            (None, Some(_)) => "Managed",
            (None, None) => "Standalone",
        };
        AccountRow { sid: a.sid.to_string(), name: a.name.clone(), status: a.status.as_str(), kind }
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    rows: Vec<AccountRow>,
    list: ListNav,
}

pub(crate) async fn list(State(state): State<AppState>, user: CurrentUser, Query(q): Query<ListQuery>) -> PageResult {
    let page = state.app.my_accounts(&user.actor, &q.page()?).await?;
    let list = ListNav::new("/accounts", &q.q, Some(&q.after), &page);
    let rows = page.items.iter().map(AccountRow::from).collect();
    let layout = user.layout("Your accounts", "/accounts", notice(q.notice.as_deref()));
    Ok(Html(AccountsPage { layout, rows, list }.render()?).into_response())
}

#[derive(Deserialize, Default)]
pub(crate) struct NewAccountQuery {
    #[serde(default)]
    parent: String,
    #[serde(default)]
    org: String,
}

#[derive(Template)]
#[template(path = "account_new.html")]
struct NewAccountPage {
    layout: Layout,
    name: String,
    parent_sid: String,
    parent_name: String,
    /// Organizations the user may create accounts in: (sid, name).
    orgs: Vec<(String, String)>,
    org: String,
    errors: FormErrors,
}

async fn render_new_account(
    state: &AppState,
    user: &CurrentUser,
    name: String,
    parent: &str,
    org: &str,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let parent_name = if parent.is_empty() {
        String::new()
    } else {
        let sid = AccountSid::parse(parent)?;
        state.app.account(&user.actor, &sid).await?.account.name
    };
    let orgs =
        user.orgs.iter().filter(|(_, _, r)| OrgRole::ALL.contains(r)).map(|(s, n, _)| (s.clone(), n.clone())).collect();
    let title = if parent.is_empty() { "Create an account" } else { "Create a subaccount" };
    let page = NewAccountPage {
        layout: user.layout(title, "/accounts", None),
        name,
        parent_sid: parent.to_owned(),
        parent_name,
        orgs,
        org: org.to_owned(),
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NewAccountQuery>,
) -> PageResult {
    render_new_account(&state, &user, String::new(), &q.parent, &q.org, FormErrors::default(), StatusCode::OK).await
}

pub(crate) async fn create(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let parent = form.text("parent_sid");
    let org = form.text("organization_sid");
    let input = NewAccount {
        name: form.text("name"),
        parent_sid: Some(parent.as_str()).filter(|p| !p.is_empty()).map(AccountSid::parse).transpose()?,
        organization_sid: Some(org.as_str()).filter(|o| !o.is_empty()).map(OrganizationSid::parse).transpose()?,
    };
    match state.app.create_account(&user.actor, input).await {
        Ok(account) => Ok(Redirect::to(&format!("/accounts/{}?notice=account-created", account.sid)).into_response()),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            render_new_account(
                &state,
                &user,
                form.text("name"),
                &parent,
                &org,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// One audit event as a row.
pub(crate) struct ActivityRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    status: &'static str,
    kind: &'static str,
    organization: Option<(String, String)>,
    parent: Option<(String, String)>,
    owner: String,
    require_two_factor: bool,
    require_https_webhooks: bool,
    require_public_key_validation: bool,
    tabs: AccountTabs,
    can_write_settings: bool,
    /// May suspend and reactivate (whatever the status).
    can_change_status: bool,
    can_close: bool,
    can_read_outbox: bool,
    can_manage_subaccounts: bool,
    is_subaccount: bool,
    subaccounts: Vec<AccountRow>,
    activity: Option<Vec<ActivityRow>>,
    /// Set when the viewer is offered ownership: who offers it and until when.
    offer: Option<(String, String)>,
    /// Set when an organization asks the viewer (the Owner) about this account:
    /// (organization, `import` or `access`, until when).
    request: Option<(String, &'static str, String)>,
    /// For those who may rotate it: when the auth token was made (or "never"), and the new
    /// token right after a rotation.
    auth_token: Option<(String, Option<String>)>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    let overview =
        state.app.account_overview(&user.actor, &sid, &PageRequest::first(50), &PageRequest::first(15)).await?;
    let (view, subaccounts) = (overview.view, overview.subaccounts);
    let activity = overview.activity.map(|events| {
        events
            .items
            .into_iter()
            .map(|e| ActivityRow {
                at: e.occurred_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                actor: e.actor,
                action: e.action,
                target: e.target,
            })
            .collect()
    });
    let offer = overview
        .nomination
        .filter(|n| n.nominee.sid == user.user.sid)
        .map(|n| (n.nominated_by.name, n.nomination.expires_at.format("%Y-%m-%d %H:%M UTC").to_string()));
    let request = overview.request.map(|v| {
        (v.organization.name, v.request.kind.as_str(), v.request.expires_at.format("%Y-%m-%d %H:%M UTC").to_string())
    });
    let auth_token = match overview.auth_token_made {
        Some(made) => {
            let fresh = if q.notice.as_deref() == Some("auth-token-rotated") {
                state
                    .app
                    .take_flash(&user.token)
                    .await?
                    .and_then(|f| f.strip_prefix(&format!("{sid}:")).map(str::to_owned))
            } else {
                None
            };
            Some((made.map_or_else(|| "never made".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()), fresh))
        }
        None => None,
    };
    let a = &view.account;
    let page = AccountPage {
        layout: user.layout(&a.name, "/accounts", notice(q.notice.as_deref())),
        tab: "overview",
        sid: a.sid.to_string(),
        name: a.name.clone(),
        status: a.status.as_str(),
        kind: AccountRow::from(a).kind,
        organization: view.organization.as_ref().map(|o| (o.sid.to_string(), o.name.clone())),
        parent: view.parent.as_ref().map(|p| (p.sid.to_string(), p.name.clone())),
        owner: view.owner.as_ref().map(|o| format!("{} <{}>", o.name, o.email)).unwrap_or_default(),
        require_two_factor: a.settings.require_two_factor,
        require_https_webhooks: a.settings.require_https_webhooks,
        require_public_key_validation: a.settings.require_public_key_validation,
        tabs: AccountTabs::new(view.permissions),
        can_write_settings: view.permissions.contains(Permission::AccountSettingsWrite)
            && a.status.as_str() == "active",
        can_change_status: view.permissions.contains(Permission::AccountSettingsWrite),
        can_close: view.permissions.contains(Permission::AccountClose),
        can_read_outbox: view.permissions.contains(Permission::UsersManage),
        can_manage_subaccounts: view.permissions.contains(Permission::SubaccountsManage),
        is_subaccount: a.parent_sid.is_some(),
        subaccounts: subaccounts.items.iter().map(AccountRow::from).collect(),
        activity,
        offer,
        request,
        auth_token,
    };
    Ok(Html(page.render()?).into_response())
}

/// Saves the account's security settings (the three checkboxes of the overview page).
pub(crate) async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let settings = AccountSettings {
        require_two_factor: form.get("require_two_factor").is_some(),
        require_https_webhooks: form.get("require_https_webhooks").is_some(),
        require_public_key_validation: form.get("require_public_key_validation").is_some(),
    };
    state.app.update_account_settings(&user.actor, &sid, settings).await?;
    Ok(Redirect::to(&format!("/accounts/{sid}?notice=settings-saved")).into_response())
}

/// What the lifecycle forms of the overview ask for.
async fn lifecycle(
    state: &AppState,
    user: &CurrentUser,
    sid: &AccountSid,
    form: &FormData,
    action: &str,
) -> PageResult {
    let notice = match action {
        "name" => {
            state.app.rename_account(&user.actor, sid, &form.text("name")).await?;
            "account-renamed"
        }
        "suspend" => {
            state.app.suspend_account(&user.actor, sid).await?;
            "account-suspended"
        }
        "reactivate" => {
            state.app.reactivate_account(&user.actor, sid).await?;
            "account-reactivated"
        }
        _ => {
            state.app.close_account(&user.actor, sid, &form.text("confirm_name")).await?;
            "account-closed"
        }
    };
    Ok(Redirect::to(&format!("/accounts/{sid}?notice={notice}")).into_response())
}

/// Renames, suspends, reactivates or closes the account (`/accounts/{sid}/{action}`).
pub(crate) async fn change_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, action)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    if !matches!(action.as_str(), "name" | "suspend" | "reactivate" | "close") {
        return Err(WebError(gatehouse_domain::Error::NotFound));
    }
    lifecycle(&state, &user, &sid, &form, &action).await
}

/// Rotates the account's auth token; the new one is shown once on the overview.
pub(crate) async fn rotate_auth_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let token = state.app.rotate_auth_token(&user.actor, &sid).await?;
    state.app.put_flash(&user.token, &format!("{sid}:{token}")).await?;
    Ok(Redirect::to(&format!("/accounts/{sid}?notice=auth-token-rotated")).into_response())
}
