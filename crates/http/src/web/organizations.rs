//! Admin Center pages of an organization: its users and its accounts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::sid::OrganizationSid;

use super::accounts::{AccountRow, ListQuery};
use super::{CurrentUser, Layout, ListNav, notice};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

pub(crate) async fn home(Path(sid): Path<String>) -> PageResult {
    let sid = OrganizationSid::parse(&sid)?;
    Ok(Redirect::to(&format!("/orgs/{sid}/users")).into_response())
}

pub(crate) struct OrgUserRow {
    pub sid: String,
    pub name: String,
    pub email: String,
    pub kind: &'static str,
    pub org_role: &'static str,
    pub status: &'static str,
    pub last_login: String,
}

#[derive(Template)]
#[template(path = "org_users.html")]
struct OrgUsersPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    rows: Vec<OrgUserRow>,
    list: ListNav,
}

pub(crate) async fn users(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = OrganizationSid::parse(&sid)?;
    let org = state.app.organization(&user.actor, &sid).await?;
    let page = state.app.organization_users(&user.actor, &sid, &q.page()?).await?;
    let base = format!("/orgs/{sid}/users");
    let list = ListNav::new(&base, &q.q, Some(&q.after), &page);
    let rows = page
        .items
        .iter()
        .map(|u| OrgUserRow {
            sid: u.user.sid.to_string(),
            name: u.user.name.clone(),
            email: u.user.email.to_string(),
            kind: if u.managed { "Managed" } else { "Independent" },
            org_role: u.org_role.map_or("—", |r| r.name()),
            status: u.user.status.as_str(),
            last_login: u
                .user
                .last_login_at
                .map_or_else(|| "never".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        })
        .collect();
    let layout = user.layout(&format!("Users · {}", org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    Ok(Html(OrgUsersPage { layout, tab: "users", sid: sid.to_string(), name: org.name, rows, list }.render()?)
        .into_response())
}

#[derive(Template)]
#[template(path = "org_accounts.html")]
struct OrgAccountsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    rows: Vec<AccountRow>,
    list: ListNav,
}

pub(crate) async fn accounts(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = OrganizationSid::parse(&sid)?;
    let org = state.app.organization(&user.actor, &sid).await?;
    let page = state.app.organization_accounts(&user.actor, &sid, &q.page()?).await?;
    let base = format!("/orgs/{sid}/accounts");
    let list = ListNav::new(&base, &q.q, Some(&q.after), &page);
    let rows = page.items.iter().map(AccountRow::from).collect();
    let layout = user.layout(&format!("Accounts · {}", org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    Ok(Html(OrgAccountsPage { layout, tab: "accounts", sid: sid.to_string(), name: org.name, rows, list }.render()?)
        .into_response())
}
