//! Admin Center: an organization's pending invitations, and the page their links open (a new
//! person creates a managed login; someone with a login signs in and consents).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::{NewInvitee, OrgInvitationView};
use gatehouse_domain::sid::{InvitationSid, OrganizationSid};
use serde::Deserialize;

use super::accounts::ListQuery;
use super::session::{ClientIp, check_pre_sign_in_csrf, pre_sign_in_layout, respond_with_csrf, user_agent};
use super::sign_in::signed_in_redirect;
use super::{CurrentUser, FormData, FormErrors, Layout, ListNav, notice, url_encode};
use crate::{AppState, WebError, path_sid};

type PageResult = Result<Response, WebError>;

struct Row {
    sid: String,
    email: String,
    role: &'static str,
    expires: String,
    state: &'static str,
    /// The address's domain is no longer verified: accepting would be refused.
    domain_unverified: bool,
}

#[derive(Template)]
#[template(path = "org_invitations.html")]
struct PendingPage {
    layout: Layout,
    tab: &'static str,
    sid: String,
    name: String,
    rows: Vec<Row>,
    list: ListNav,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sid): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let sid = path_sid(&sid, OrganizationSid::parse)?;
    let org = state.app.organization(&user.actor, &sid).await?;
    let page = state.app.pending_org_invitations(&user.actor, &sid, &q.page()?).await?;
    let now = chrono::Utc::now();
    let verified: Vec<String> = state
        .app
        .domains(&user.actor, &sid)
        .await?
        .into_iter()
        .filter(|d| d.status == gatehouse_domain::domains::DomainStatus::Verified)
        .map(|d| d.name)
        .collect();
    let rows = page
        .items
        .iter()
        .map(|i| Row {
            sid: i.sid.to_string(),
            email: i.email.to_string(),
            role: i.role.name(),
            expires: i.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            state: i.state(now),
            domain_unverified: !verified.iter().any(|d| d == i.email.domain()),
        })
        .collect();
    let list = ListNav::new(&format!("/orgs/{sid}/invitations"), &q.q, Some(&q.after), &page);
    let layout = user.layout(&format!("Pending · {}", org.name), &format!("/orgs/{sid}"), notice(q.notice.as_deref()));
    let page = PendingPage { layout, tab: "users", sid: sid.to_string(), name: org.name, rows, list };
    Ok(Html(page.render()?).into_response())
}

/// Resends (`resend`) or revokes (`revoke`) an invitation.
pub(crate) async fn change(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((sid, invitation, action)): Path<(String, String, String)>,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let (sid, invitation) = (path_sid(&sid, OrganizationSid::parse)?, path_sid(&invitation, InvitationSid::parse)?);
    let notice = match action.as_str() {
        "resend" => {
            state.app.resend_org_invitation(&user.actor, &sid, &invitation).await?;
            "invitation-resent"
        }
        "revoke" => {
            state.app.revoke_org_invitation(&user.actor, &sid, &invitation).await?;
            "invitation-revoked"
        }
        _ => return Err(WebError(gatehouse_domain::Error::NotFound)),
    };
    Ok(Redirect::to(&format!("/orgs/{sid}/invitations?notice={notice}")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "org_invitation_accept.html")]
struct AcceptPage {
    layout: Layout,
    token: String,
    organization_name: String,
    inviter: String,
    email: String,
    role: &'static str,
    /// `newcomer`, `sign_in`, `invitee` or `someone_else`.
    viewer: &'static str,
    me: String,
    sign_in_href: String,
    name: String,
    errors: FormErrors,
}

fn accept_page(view: &OrgInvitationView, token: &str, layout: Layout, viewer: &'static str, me: String) -> AcceptPage {
    let back = format!("/org-invitations/accept?token={token}");
    AcceptPage {
        layout,
        token: token.to_owned(),
        organization_name: view.organization_name.clone(),
        inviter: view.inviter_name.clone().unwrap_or_else(|| "An administrator".into()),
        email: view.invitation.email.to_string(),
        role: view.invitation.role.name(),
        viewer,
        me,
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
    let view = state.app.org_invitation_by_token(&q.token).await?;
    view.invitation.ensure_acceptable(chrono::Utc::now())?;
    let title = format!("Join {}", view.organization_name);
    match user {
        Some(user) => {
            let me = user.user.email.to_string();
            let (viewer, status) = if user.user.email == view.invitation.email {
                ("invitee", StatusCode::OK)
            } else {
                ("someone_else", StatusCode::CONFLICT)
            };
            let page = accept_page(&view, &q.token, user.layout(&title, "", None), viewer, me);
            Ok((status, Html(page.render()?)).into_response())
        }
        None => {
            let (layout, new_cookie) = pre_sign_in_layout(&headers, &title)?;
            let viewer = if view.login_exists { "sign_in" } else { "newcomer" };
            let page = accept_page(&view, &q.token, layout, viewer, String::new());
            Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), StatusCode::OK))
        }
    }
}

pub(crate) async fn accept(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    state.app.accept_org_invitation(&user.actor, &form.text("token")).await?;
    Ok(Redirect::to("/accounts?notice=organization-joined").into_response())
}

pub(crate) async fn accept_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    let token = form.text("token");
    let input = NewInvitee { name: form.text("name"), password: form.text("password") };
    match state.app.accept_org_invitation_as_new(&token, input.clone(), ip, user_agent(&headers)).await {
        Ok((signed_in, _)) => Ok(signed_in_redirect(&state, &signed_in, "/accounts?notice=organization-joined")),
        Err(e) => {
            let view = state.app.org_invitation_by_token(&token).await?;
            let layout = Layout::anonymous(&format!("Join {}", view.organization_name)).with_csrf(form.text("csrf"));
            let mut page = accept_page(&view, &token, layout, "newcomer", String::new());
            page.name = input.name;
            page.errors = FormErrors::from_errors(vec![e])?;
            Ok(respond_with_csrf(&state, page.render()?, None, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
