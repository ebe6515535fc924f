//! Invitation pages: an account's pending invitations (resend, revoke) and the page a link
//! opens, where a new person creates their login or a signed-in user accepts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::{InvitationView, NewInvitee};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::sid::{AccountSid, InvitationSid};
use serde::Deserialize;

use super::accounts::ListQuery;
use super::session::{ClientIp, check_pre_sign_in_csrf, pre_sign_in_layout, respond_with_csrf, user_agent};
use super::sign_in::signed_in_redirect;
use super::{AccountTabs, CurrentUser, FormData, FormErrors, Layout, ListNav, notice, url_encode};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct InvitationRow {
    sid: String,
    email: String,
    roles: String,
    invited: String,
    expires: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    tabs: AccountTabs,
    can_manage: bool,
    rows: Vec<InvitationRow>,
    list: ListNav,
    /// How long a resent link works, in days.
    invitation_days: i64,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, AccountSid::parse)?;
    let view = state.app.account(&user.actor, &sid).await?;
    let page = state.app.pending_invitations(&user.actor, &sid, &q.page()?).await?;
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let rows = page
        .items
        .iter()
        .map(|i| InvitationRow {
            sid: i.sid.to_string(),
            email: i.email.to_string(),
            roles: i.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
            invited: fmt(i.created_at),
            expires: fmt(i.expires_at),
            state: i.state(now),
        })
        .collect();
    let list = ListNav::new(&format!("/accounts/{sid}/invitations"), &q.q, Some(&q.after), &page);
    let invitation_days = view.invitation_lifetime_days();
    let page = InvitationsPage {
        layout: user.layout(
            &format!("Pending invitations · {}", view.account.name),
            "/accounts",
            notice(q.notice.as_deref()),
        ),
        tab: "invitations",
        sid: sid.to_string(),
        name: view.account.name,
        tabs: AccountTabs::new(view.permissions),
        can_manage: view.permissions.contains(Permission::UsersManage),
        rows,
        list,
        invitation_days,
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) async fn resend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, invitation)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, invitation) = (path_sid(&sid, AccountSid::parse)?, path_sid(&invitation, InvitationSid::parse)?);
    state.app.resend_invitation(&user.actor, &sid, &invitation).await?;
    Ok(Redirect::to(&format!("/accounts/{sid}/invitations?notice=invitation-resent")).into_response())
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, invitation)): Path<(String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, invitation) = (path_sid(&sid, AccountSid::parse)?, path_sid(&invitation, InvitationSid::parse)?);
    state.app.revoke_invitation(&user.actor, &sid, &invitation).await?;
    Ok(Redirect::to(&format!("/accounts/{sid}/invitations?notice=invitation-revoked")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Who is looking at an invitation.
enum Viewer {
    /// Nobody signed in, and no login has the invited address: create one.
    Newcomer,
    /// Nobody signed in, but a login has the address: sign in first.
    MustSignIn,
    /// Signed in as the invited person.
    Invitee,
    /// Signed in as someone else.
    SomeoneElse(String),
}

#[derive(Template)]
#[template(path = "invitation_accept.html")]
struct AcceptPage {
    layout: Layout,
    token: String,
    account_name: String,
    inviter: String,
    email: String,
    roles: String,
    viewer: Viewer,
    sign_in_href: String,
    name: String,
    errors: FormErrors,
}

fn accept_page(view: &InvitationView, token: &str, layout: Layout, viewer: Viewer) -> AcceptPage {
    let back = format!("/invitations/accept?token={token}");
    AcceptPage {
        layout,
        token: token.to_owned(),
        account_name: view.account_name.clone(),
        inviter: view.inviter_name.clone().unwrap_or_else(|| "An administrator".into()),
        email: view.invitation.email.to_string(),
        roles: view.invitation.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
        viewer,
        sign_in_href: format!("/signin?next={}", url_encode(&back)),
        name: String::new(),
        errors: FormErrors::default(),
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Option<CurrentUser>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let view = state.app.invitation_by_token(&q.token).await?;
    view.invitation.ensure_acceptable(chrono::Utc::now())?;
    let title = format!("Join {}", view.account_name);
    match user {
        Some(user) => {
            let viewer = if user.user.email == view.invitation.email {
                Viewer::Invitee
            } else {
                Viewer::SomeoneElse(user.user.email.to_string())
            };
            let status = if matches!(viewer, Viewer::SomeoneElse(_)) { StatusCode::CONFLICT } else { StatusCode::OK };
            let page = accept_page(&view, &q.token, user.layout(&title, "", None), viewer);
            Ok((status, Html(page.render()?)).into_response())
        }
        None => {
            let (layout, new_cookie) = pre_sign_in_layout(&headers, &title)?;
            let viewer = if view.login_exists { Viewer::MustSignIn } else { Viewer::Newcomer };
            let page = accept_page(&view, &q.token, layout, viewer);
            Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), StatusCode::OK))
        }
    }
}

/// Accepts as the signed-in user.
pub(crate) async fn accept(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let account = state.app.accept_invitation(&user.actor, &form.text("token")).await?;
    Ok(Redirect::to(&format!("/accounts/{account}?notice=invitation-accepted")).into_response())
}

/// Accepts as a new person: creates the login and signs in.
pub(crate) async fn accept_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    let token = form.text("token");
    let input = NewInvitee { name: form.text("name"), password: form.text("password") };
    match state.app.accept_invitation_as_new(&token, input.clone(), ip, user_agent(&headers)).await {
        Ok((signed_in, account)) => {
            Ok(signed_in_redirect(&state, &signed_in, &format!("/accounts/{account}?notice=invitation-accepted")))
        }
        Err(e) => {
            let view = state.app.invitation_by_token(&token).await?;
            let layout = Layout::anonymous(&format!("Join {}", view.account_name)).with_csrf(form.text("csrf"));
            let mut page = accept_page(&view, &token, layout, Viewer::Newcomer);
            page.name = input.name;
            page.errors = FormErrors::from_errors(vec![e])?;
            Ok(respond_with_csrf(&state, page.render()?, None, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
