//! Pages before sign-in: the first-run setup, sign-in, sign-up, and sign-out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::{NewOrganization, NewSignUp, SignUpMode, SignedIn};
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::session::SessionStage;
use serde::Deserialize;

use super::session::{
    ClientIp, PRE_CSRF_COOKIE, SESSION_COOKIE, check_pre_sign_in_csrf, pre_sign_in_layout, respond_with_csrf,
    set_cookie, user_agent, with_cookies,
};
use super::{CurrentUser, FormData, FormErrors, Layout};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

#[derive(Deserialize)]
pub(crate) struct SetupQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
    notice: Option<String>,
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/accounts".into()
    }
}

#[derive(Template)]
#[template(path = "setup_needed.html")]
struct SetupNeededPage {
    layout: Layout,
}

pub(crate) async fn home(State(state): State<AppState>, user: Option<CurrentUser>) -> PageResult {
    if user.is_some() {
        return Ok(Redirect::to("/accounts").into_response());
    }
    if state.app.needs_setup().await? {
        let page = SetupNeededPage { layout: Layout::anonymous("Finish setting up Gatehouse") };
        return Ok(Html(page.render()?).into_response());
    }
    Ok(Redirect::to("/signin").into_response())
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    organization_name: String,
    account_name: String,
    name: String,
    email: String,
    errors: FormErrors,
}

pub(crate) async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> PageResult {
    if !state.app.setup_token_valid(&q.token).await? {
        return Err(WebError(gatehouse_domain::Error::Precondition(
            "This setup link is not valid: it was already used, or the server printed a newer one. \
             If nobody has set up Gatehouse yet, restart the server for a new link."
                .into(),
        )));
    }
    let (layout, new_cookie) = pre_sign_in_layout(&headers, "Set up Gatehouse")?;
    let page = SetupPage {
        layout,
        token: q.token,
        organization_name: String::new(),
        account_name: String::new(),
        name: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    };
    Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), axum::http::StatusCode::OK))
}

/// Signs the browser in: sets the session cookie and redirects.
pub(crate) fn signed_in_redirect(state: &AppState, signed_in: &SignedIn, to: &str) -> Response {
    let max_age = (signed_in.session.expires_at - signed_in.session.created_at).num_seconds();
    let cookies = vec![
        set_cookie(state, SESSION_COOKIE, &signed_in.token, Some(max_age)),
        set_cookie(state, PRE_CSRF_COOKIE, "", Some(0)),
    ];
    with_cookies(Redirect::to(to).into_response(), cookies)
}

pub(crate) async fn setup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    let input = NewOrganization {
        organization_name: form.text("organization_name"),
        owner_email: form.text("email"),
        owner_name: form.text("name"),
        password: form.text("password"),
        account_name: form.text("account_name"),
    };
    let token = form.text("token");
    match state.app.complete_setup(&token, input.clone(), ip, user_agent(&headers)).await {
        Ok((created, signed_in)) => {
            Ok(signed_in_redirect(&state, &signed_in, &format!("/accounts/{}?notice=welcome", created.account.sid)))
        }
        Err(errors) => {
            let errors = FormErrors::from_errors(errors)?;
            let layout = Layout::anonymous("Set up Gatehouse").with_csrf(form.text("csrf"));
            let page = SetupPage {
                layout,
                token,
                organization_name: input.organization_name,
                account_name: input.account_name,
                name: input.owner_name,
                email: input.owner_email,
                errors,
            };
            Ok(respond_with_csrf(&state, page.render()?, None, axum::http::StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    next: String,
    errors: FormErrors,
    /// What the sign-up link offers: `organization`, `account`, or `closed` (no link).
    sign_up: &'static str,
}

/// The sign-up mode as the pages name it.
fn sign_up_key(state: &AppState) -> &'static str {
    match state.app.sign_up_mode() {
        SignUpMode::Organization => "organization",
        SignUpMode::Account => "account",
        SignUpMode::Closed => "closed",
    }
}

pub(crate) async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Option<CurrentUser>,
    Query(q): Query<NextQuery>,
) -> PageResult {
    if user.is_some() {
        return Ok(Redirect::to(&safe_next(&q.next)).into_response());
    }
    let (mut layout, new_cookie) = pre_sign_in_layout(&headers, "Sign in")?;
    layout.notice = super::notice(q.notice.as_deref());
    let page = SignInPage {
        layout,
        email: String::new(),
        next: q.next,
        errors: FormErrors::default(),
        sign_up: sign_up_key(&state),
    };
    Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), axum::http::StatusCode::OK))
}

pub(crate) async fn sign_in_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    let email = form.text("email");
    match state.app.sign_in(&email, &form.text("password"), ip, user_agent(&headers)).await {
        Ok(signed_in) if signed_in.session.stage == SessionStage::SecondFactor => {
            Ok(signed_in_redirect(&state, &signed_in, "/signin/2fa"))
        }
        Ok(signed_in) => Ok(signed_in_redirect(&state, &signed_in, &safe_next(&form.text("next")))),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            let layout = Layout::anonymous("Sign in").with_csrf(form.text("csrf"));
            let page = SignInPage { layout, email, next: form.text("next"), errors, sign_up: sign_up_key(&state) };
            Ok(respond_with_csrf(&state, page.render()?, None, axum::http::StatusCode::UNAUTHORIZED))
        }
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    layout: Layout,
    email: String,
    name: String,
    account_name: String,
    organization_name: String,
    errors: FormErrors,
    /// `organization`, `account` or `closed`.
    mode: &'static str,
}

pub(crate) async fn sign_up_form(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    // Until the first Owner exists, the setup link is the only way in: a sign-up would
    // create a user and so invalidate the link the operator was given.
    if state.app.needs_setup().await? {
        return Ok(Redirect::to("/").into_response());
    }
    let (layout, new_cookie) = pre_sign_in_layout(&headers, "Create your Gatehouse login")?;
    let mode = sign_up_key(&state);
    let page = SignUpPage {
        layout,
        email: String::new(),
        name: String::new(),
        account_name: String::new(),
        organization_name: String::new(),
        errors: FormErrors::default(),
        mode,
    };
    let status = if mode == "closed" { axum::http::StatusCode::FORBIDDEN } else { axum::http::StatusCode::OK };
    Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), status))
}

pub(crate) async fn sign_up_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    if state.app.needs_setup().await? {
        return Ok(Redirect::to("/").into_response());
    }
    let input = NewSignUp {
        email: form.text("email"),
        name: form.text("name"),
        password: form.text("password"),
        account_name: form.text("account_name"),
        organization_name: form.text("organization_name"),
    };
    let actor = Actor { kind: ActorKind::Anonymous, source_ip: ip.clone() };
    let result = match state.app.sign_up(&actor, input.clone()).await {
        Ok((_, account)) => state
            .app
            .sign_in(&input.email, &input.password, ip, user_agent(&headers))
            .await
            .map(|s| (s, account))
            .map_err(|e| vec![e]),
        Err(errors) => Err(errors),
    };
    match result {
        Ok((signed_in, account)) => {
            Ok(signed_in_redirect(&state, &signed_in, &format!("/accounts/{}?notice=signed-up", account.sid)))
        }
        Err(errors) => {
            let errors = FormErrors::from_errors(errors)?;
            let layout = Layout::anonymous("Create your Gatehouse login").with_csrf(form.text("csrf"));
            let mode = sign_up_key(&state);
            let page = SignUpPage {
                layout,
                email: input.email,
                name: input.name,
                account_name: input.account_name,
                organization_name: input.organization_name,
                errors,
                mode,
            };
            let status = if mode == "closed" {
                axum::http::StatusCode::FORBIDDEN
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(respond_with_csrf(&state, page.render()?, None, status))
        }
    }
}

pub(crate) async fn sign_out(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    state.app.sign_out(&user.actor, &user.token).await?;
    Ok(with_cookies(Redirect::to("/signin").into_response(), vec![set_cookie(&state, SESSION_COOKIE, "", Some(0))]))
}
