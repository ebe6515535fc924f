//! Pages to prove and recover a login: email verification, forgotten password, and the
//! second-factor step of signing in.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::SecondFactorProof;
use gatehouse_domain::Error;
use serde::Deserialize;

use super::session::{ClientIp, check_pre_sign_in_csrf, pre_sign_in_layout, respond_with_csrf};
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

#[derive(Deserialize, Default)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: String,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage {
    layout: Layout,
    email: String,
}

/// With a token: confirms the address. Without: tells a signed-in, unconfirmed user to check
/// their inbox, with a button to send the link again.
pub(crate) async fn verify_email(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    if !q.token.is_empty() {
        state.app.verify_email(&q.token).await?;
        let to = if user.is_some() { "/accounts?notice=email-verified" } else { "/signin?notice=email-verified" };
        return Ok(Redirect::to(to).into_response());
    }
    let Some(user) = user else { return Ok(Redirect::to("/signin").into_response()) };
    if user.user.email_verified() {
        return Ok(Redirect::to("/accounts").into_response());
    }
    let page = VerifyEmailPage {
        layout: user.layout("Confirm your email address", "", notice(q.notice.as_deref())),
        email: user.user.email.to_string(),
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) async fn resend_verification(
    State(state): State<AppState>,
    user: CurrentUser,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    match state.app.resend_verification(&user.actor).await {
        Ok(()) | Err(Error::Precondition(_)) => {
            Ok(Redirect::to("/verify-email?notice=verification-sent").into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    sent: Option<&'static str>,
    errors: FormErrors,
}

pub(crate) async fn forgot_form(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let (layout, new_cookie) = pre_sign_in_layout(&headers, "Reset your password")?;
    let page = ForgotPage { layout, email: String::new(), sent: None, errors: FormErrors::default() };
    Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), StatusCode::OK))
}

pub(crate) async fn forgot_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    let email = form.text("email");
    let layout = Layout::anonymous("Reset your password").with_csrf(form.text("csrf"));
    let (sent, errors, status) = match state.app.request_password_reset(&email, ip).await {
        Ok(message) => (Some(message), FormErrors::default(), StatusCode::OK),
        Err(e) => (None, FormErrors::from_errors(vec![e])?, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let page = ForgotPage { layout, email, sent, errors };
    Ok(respond_with_csrf(&state, page.render()?, None, status))
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    errors: FormErrors,
}

pub(crate) async fn reset_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let (layout, new_cookie) = pre_sign_in_layout(&headers, "Choose a new password")?;
    let page = ResetPage { layout, token: q.token, errors: FormErrors::default() };
    Ok(respond_with_csrf(&state, page.render()?, new_cookie.as_deref(), StatusCode::OK))
}

pub(crate) async fn reset_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    check_pre_sign_in_csrf(&headers, &form)?;
    let token = form.text("token");
    let password = form.text("password");
    let result = if password != form.text("password_again") {
        Err(Error::invalid("password_again", "the two passwords differ"))
    } else {
        state.app.reset_password(&token, &password, ip).await.map(|_| ())
    };
    match result {
        Ok(()) => Ok(Redirect::to("/signin?notice=password-reset").into_response()),
        Err(e) => {
            let layout = Layout::anonymous("Choose a new password").with_csrf(form.text("csrf"));
            let page = ResetPage { layout, token, errors: FormErrors::from_errors(vec![e])? };
            Ok(respond_with_csrf(&state, page.render()?, None, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Template)]
#[template(path = "signin_2fa.html")]
struct SecondFactorPage {
    layout: Layout,
    has_totp: bool,
    has_sms: bool,
    sms_sent_to: Option<String>,
    method: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
pub(crate) struct MethodQuery {
    #[serde(default)]
    method: String,
}

async fn render_second_factor(
    state: &AppState,
    user: &CurrentUser,
    method: &str,
    sms_sent_to: Option<String>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let factors = state.app.two_factor_status(&user.actor).await?;
    let has_totp = factors.totp;
    let has_sms = factors.sms_phone.is_some();
    let method = match method {
        "recovery" | "sms" | "totp" => method.to_owned(),
        _ if has_totp => "totp".into(),
        _ if has_sms => "sms".into(),
        _ => "recovery".into(),
    };
    let mut layout = user.layout("Two-step verification", "", None);
    layout.nav.clear();
    let page = SecondFactorPage { layout, has_totp, has_sms, sms_sent_to, method, errors };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn second_factor_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MethodQuery>,
) -> PageResult {
    render_second_factor(&state, &user, &q.method, None, FormErrors::default(), StatusCode::OK).await
}

pub(crate) async fn second_factor_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let method = form.text("method");
    let code = form.text("code");
    if form.get("send_sms").is_some() {
        return match state.app.send_sign_in_sms(&user.token).await {
            Ok(to) => render_second_factor(&state, &user, "sms", Some(to), FormErrors::default(), StatusCode::OK).await,
            Err(e) => {
                render_second_factor(
                    &state,
                    &user,
                    "sms",
                    None,
                    FormErrors::from_errors(vec![e])?,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        };
    }
    let proof = match method.as_str() {
        "sms" => SecondFactorProof::Sms(code),
        "recovery" => SecondFactorProof::Recovery(code),
        _ => SecondFactorProof::Totp(code),
    };
    match state.app.complete_second_factor(&user.token, proof, ip).await {
        Ok(Some(left)) => Ok(Redirect::to(&format!("/me?notice=recovery-code-used&left={left}")).into_response()),
        Ok(None) => Ok(Redirect::to("/accounts").into_response()),
        Err(e) => {
            render_second_factor(
                &state,
                &user,
                &method,
                None,
                FormErrors::from_errors(vec![e])?,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
