//! The Admin Center's Accounts tabs: Managed, Independent and Pending; creating, importing
//! by SID, asking for access, and the lifecycle actions; and the Owner's answer to a request,
//! from the account's overview.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::Error;
use gatehouse_domain::page::Page;
use gatehouse_domain::sid::{AccountRequestSid, AccountSid, OrganizationSid};

use super::accounts::{AccountRow, ListQuery};
use super::{CurrentUser, FormData, FormErrors, Layout, ListNav, notice};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

pub(crate) struct RequestRow {
    pub sid: String,
    pub kind: &'static str,
    pub account_sid: String,
    pub account_name: String,
    pub owner: String,
    pub state: &'static str,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "org_accounts.html")]
struct OrgAccountsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    /// `managed`, `independent` or `pending`.
    kind: &'static str,
    rows: Vec<AccountRow>,
    requests: Vec<RequestRow>,
    list: ListNav,
    /// What the forms were last given, and what went wrong with them.
    import_sid: String,
    access_sid: String,
    errors: FormErrors,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    render(&state, &user, &sid, &q, (String::new(), String::new()), FormErrors::default()).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    sid: &OrganizationSid,
    q: &ListQuery,
    (import_sid, access_sid): (String, String),
    errors: FormErrors,
) -> PageResult {
    let org = state.app.organization(&user.actor, sid).await?;
    let base = format!("/orgs/{sid}/accounts");
    let kind = match q.kind.as_str() {
        "independent" => "independent",
        "pending" => "pending",
        _ => "managed",
    };
    let (rows, requests, mut list) = match kind {
        "pending" => {
            let page = state.app.pending_account_requests(&user.actor, sid, &q.page()?).await?;
            let now = chrono::Utc::now();
            let requests = page
                .items
                .iter()
                .map(|v| RequestRow {
                    sid: v.request.sid.to_string(),
                    kind: if v.request.kind.as_str() == "import" { "Import" } else { "Access" },
                    account_sid: v.account.sid.to_string(),
                    account_name: v.account.name.clone(),
                    owner: v.owner.as_ref().map(|o| format!("{} <{}>", o.name, o.email)).unwrap_or_default(),
                    state: v.request.state(now),
                    expires: v.request.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                })
                .collect();
            (Vec::new(), requests, ListNav::new(&base, &q.q, Some(&q.after), &page))
        }
        _ => {
            let page: Page<_> = if kind == "independent" {
                state.app.independent_accounts(&user.actor, sid, &q.page()?).await?
            } else {
                state.app.organization_accounts(&user.actor, sid, &q.page()?).await?
            };
            let rows = page.items.iter().map(AccountRow::from).collect();
            (rows, Vec::new(), ListNav::new(&base, &q.q, Some(&q.after), &page))
        }
    };
    if kind != "managed" {
        let tab = format!("&kind={kind}");
        list.next_href = list.next_href.map(|h| h + &tab);
        list.first_href = list.first_href.map(|h| h + &tab);
    }
    let layout = user.layout(&format!("Accounts · {}", org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    let page = OrgAccountsPage {
        layout,
        tab: "accounts",
        sid: sid.to_string(),
        name: org.name,
        kind,
        rows,
        requests,
        list,
        import_sid,
        access_sid,
        errors,
    };
    let status = if page.errors.form.is_some() || !page.errors.others("").is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Asks to import an account (`import`) or for access to one (`access`).
pub(crate) async fn request(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, what)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let raw = form.text("account_sid").trim().to_owned();
    let result = match AccountSid::parse(&raw) {
        Err(e) => Err(e),
        Ok(account) => match what.as_str() {
            "import" => state.app.request_account_import(&user.actor, &sid, &account).await,
            "access" => state.app.request_account_access(&user.actor, &sid, &account).await,
            _ => return Err(WebError(Error::NotFound)),
        },
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/orgs/{sid}/accounts?kind=pending&notice=account-request-sent")).into_response())
        }
        Err(e) => {
            let given = if what == "import" { (raw, String::new()) } else { (String::new(), raw) };
            let q = ListQuery { kind: "managed".into(), ..ListQuery::default() };
            render(&state, &user, &sid, &q, given, FormErrors::from_errors(vec![e])?).await
        }
    }
}

/// Suspends, reactivates, closes, removes from the organization, or relinquishes access.
pub(crate) async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, account, action)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let account = path_sid(&account, AccountSid::parse)?;
    let app = &state.app;
    let a = &user.actor;
    // The account must be one this organization sees: managed, or shared with it.
    let managed = app.organization_account(a, &sid, &account).await?;
    let (result, back, done) = match (action.as_str(), managed) {
        ("suspend", true) => (app.suspend_account(a, &account).await, "managed", "account-suspended"),
        ("reactivate", true) => (app.reactivate_account(a, &account).await, "managed", "account-reactivated"),
        ("close", true) => {
            (app.close_account(a, &account, &form.text("confirm_name")).await, "managed", "account-closed")
        }
        ("remove", true) => {
            (app.remove_account_from_organization(a, &sid, &account).await, "managed", "account-removed")
        }
        ("relinquish", false) => {
            (app.relinquish_account_access(a, &sid, &account).await, "independent", "access-relinquished")
        }
        _ => return Err(WebError(Error::NotFound)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{sid}/accounts?kind={back}&notice={done}")).into_response()),
        Err(e) => {
            let q = ListQuery { kind: back.into(), ..ListQuery::default() };
            render(&state, &user, &sid, &q, Default::default(), FormErrors::from_errors(vec![e])?).await
        }
    }
}

/// Withdraws a pending request.
pub(crate) async fn cancel_request(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, request)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let request = path_sid(&request, AccountRequestSid::parse)?;
    state.app.cancel_account_request(&user.actor, &sid, &request).await?;
    Ok(Redirect::to(&format!("/orgs/{sid}/accounts?kind=pending&notice=account-request-cancelled")).into_response())
}

/// The account Owner's answer, from the banner on the account's overview.
pub(crate) async fn answer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let sid = path_sid(&sid, AccountSid::parse)?;
    let accept = form.get("accept").is_some();
    state.app.answer_account_request(&user.actor, &sid, accept).await?;
    let done = if accept { "account-request-accepted" } else { "account-request-declined" };
    Ok(Redirect::to(&format!("/accounts/{sid}?notice={done}")).into_response())
}
