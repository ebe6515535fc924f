//! The signed-in user's own security: email address, password, two-step verification
//! (authenticator app, text message, recovery codes) and sessions.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_app::{SecondFactorProof, TwoFactorStatus};
use gatehouse_domain::Error;
use serde::Deserialize;

use super::session::{SESSION_COOKIE, set_cookie, with_cookies};
use super::{CurrentUser, FormData, FormErrors, Layout, notice};
use crate::{AppState, WebError};

type PageResult = Result<Response, WebError>;

/// How many leading hex characters of a session's hash name it on the page.
const SESSION_ID_LEN: usize = 16;

#[derive(Deserialize, Default)]
pub(crate) struct MeQuery {
    notice: Option<String>,
    /// Recovery codes left after signing in with one.
    left: Option<u64>,
    required: Option<String>,
}

/// One of the user's sessions as a table row.
struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    ip: String,
    user_agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct SecurityPage {
    layout: Layout,
    email: String,
    verified: bool,
    status: TwoFactorStatus,
    /// After signing in with a recovery code: how many are left.
    recovery_left_notice: Option<String>,
    sessions: Vec<SessionRow>,
    /// Which form the errors belong to: `email`, `password`, `disable`.
    errors_for: &'static str,
    errors: FormErrors,
    /// Whether an organization manages the login (then only it deletes the login).
    managed: bool,
}

async fn security_page(
    state: &AppState,
    user: &CurrentUser,
    notice_code: Option<&str>,
    recovery_left_notice: Option<u64>,
    errors_for: &'static str,
    errors: FormErrors,
) -> Result<SecurityPage, WebError> {
    let status = state.app.two_factor_status(&user.actor).await?;
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let sessions = state
        .app
        .my_sessions(&user.actor)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.token_hash.chars().take(SESSION_ID_LEN).collect(),
            created: fmt(s.created_at),
            last_seen: fmt(s.last_seen_at),
            ip: s.ip.unwrap_or_else(|| "unknown".into()),
            user_agent: s.user_agent.unwrap_or_else(|| "unknown".into()),
            current: s.token_hash == user.session.token_hash,
        })
        .collect();
    Ok(SecurityPage {
        layout: user.layout("Your login and security", "/me", notice(notice_code)),
        email: user.user.email.to_string(),
        verified: user.user.email_verified(),
        status,
        recovery_left_notice: recovery_left_notice.map(|left| {
            let plural = if left == 1 { "" } else { "s" };
            let hint = if left < 3 { " Make new ones below before you run out." } else { "" };
            format!("You have {left} recovery code{plural} left.{hint}")
        }),
        sessions,
        errors_for,
        errors,
        managed: user.user.organization_sid.is_some(),
    })
}

pub(crate) async fn show(State(state): State<AppState>, user: CurrentUser, Query(q): Query<MeQuery>) -> PageResult {
    let page = security_page(&state, &user, q.notice.as_deref(), q.left, "", FormErrors::default()).await?;
    Ok(Html(page.render()?).into_response())
}

/// Renders the security page again with the errors of one of its forms.
async fn security_errors(state: &AppState, user: &CurrentUser, errors_for: &'static str, e: Error) -> PageResult {
    let errors = FormErrors::from_errors(vec![e])?;
    let page = security_page(state, user, None, None, errors_for, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

pub(crate) async fn change_password(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let new = form.text("password");
    let result = if new != form.text("password_again") {
        Err(Error::invalid("password_again", "the two passwords differ"))
    } else {
        state.app.change_password(&user.actor, &user.token, &form.text("current_password"), &new).await
    };
    match result {
        Ok(_) => Ok(Redirect::to("/me?notice=password-changed").into_response()),
        Err(e) => security_errors(&state, &user, "password", e).await,
    }
}

pub(crate) async fn change_email(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    match state.app.change_email(&user.actor, &form.text("current_password"), &form.text("email")).await {
        Ok(_) => Ok(Redirect::to("/verify-email?notice=email-changed").into_response()),
        Err(e) => security_errors(&state, &user, "email", e).await,
    }
}

pub(crate) async fn revoke_session(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let id = form.text("session");
    state.app.revoke_session(&user.actor, &id).await?;
    if user.session.token_hash.starts_with(&id) {
        let clear = set_cookie(&state, SESSION_COOKIE, "", Some(0));
        return Ok(with_cookies(Redirect::to("/signin").into_response(), vec![clear]));
    }
    Ok(Redirect::to("/me?notice=session-revoked").into_response())
}

pub(crate) async fn revoke_other_sessions(
    State(state): State<AppState>,
    user: CurrentUser,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    state.app.revoke_other_sessions(&user.actor, &user.token).await?;
    Ok(Redirect::to("/me?notice=sessions-revoked").into_response())
}

fn proof(method: &str, code: String) -> SecondFactorProof {
    match method {
        "recovery" => SecondFactorProof::Recovery(code),
        "sms" => SecondFactorProof::Sms(code),
        _ => SecondFactorProof::Totp(code),
    }
}

pub(crate) async fn disable_two_factor(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    match state.app.disable_two_factor(&user.actor, proof(&form.text("method"), form.text("code"))).await {
        Ok(()) => Ok(Redirect::to("/me?notice=two-factor-disabled").into_response()),
        Err(e) => security_errors(&state, &user, "disable", e).await,
    }
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
    heading: &'static str,
}

/// Shows new recovery codes, once: they are not stored in a readable form.
fn recovery_codes_page(user: &CurrentUser, codes: Vec<String>, heading: &'static str) -> PageResult {
    let notice = (heading != "New recovery codes").then(|| notice(Some("two-factor-enabled"))).flatten();
    let page = RecoveryCodesPage { layout: user.layout("Recovery codes", "/me", notice), codes, heading };
    Ok(Html(page.render()?).into_response())
}

pub(crate) async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    user: CurrentUser,
    form: FormData,
) -> PageResult {
    user.check_csrf(&form)?;
    let codes = state.app.regenerate_recovery_codes(&user.actor).await?;
    recovery_codes_page(&user, codes, "New recovery codes")
}

#[derive(Template)]
#[template(path = "two_factor_setup.html")]
struct SetupPage {
    layout: Layout,
    status: TwoFactorStatus,
    /// Secret in base32 and the QR code (SVG) while an authenticator app is being added.
    totp: Option<(String, String)>,
    /// The masked phone a confirmation code was texted to.
    sms_sent_to: Option<String>,
    phone: String,
    errors_for: &'static str,
    errors: FormErrors,
}

/// The QR code of an `otpauth://` URL as inline SVG.
fn qr_svg(data: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // Inline in HTML, the XML declaration has no place; keep only the <svg> element.
    Ok(svg.find("<svg").map_or(svg.clone(), |i| svg[i..].to_owned()))
}

struct SetupState {
    sms_sent_to: Option<String>,
    phone: String,
    errors_for: &'static str,
    errors: FormErrors,
}

async fn setup_page(state: &AppState, user: &CurrentUser, notice_code: Option<&str>, s: SetupState) -> PageResult {
    let status = state.app.two_factor_status(&user.actor).await?;
    let totp = if status.totp {
        None
    } else {
        let enrolment = state.app.start_totp(&user.actor).await?;
        Some((enrolment.secret, qr_svg(&enrolment.otpauth_url)?))
    };
    let status_code = if s.errors_for.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SetupPage {
        layout: user.layout("Set up two-step verification", "/me", notice(notice_code)),
        status,
        totp,
        sms_sent_to: s.sms_sent_to,
        phone: s.phone,
        errors_for: s.errors_for,
        errors: s.errors,
    };
    Ok((status_code, Html(page.render()?)).into_response())
}

pub(crate) async fn two_factor_setup(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MeQuery>,
) -> PageResult {
    let notice_code = if q.required.is_some() { Some("two-factor-required") } else { q.notice.as_deref() };
    let blank = SetupState { sms_sent_to: None, phone: String::new(), errors_for: "", errors: FormErrors::default() };
    setup_page(&state, &user, notice_code, blank).await
}

async fn setup_errors(
    state: &AppState,
    user: &CurrentUser,
    errors_for: &'static str,
    phone: String,
    e: Error,
) -> PageResult {
    let errors = FormErrors::from_errors(vec![e])?;
    setup_page(state, user, None, SetupState { sms_sent_to: None, phone, errors_for, errors }).await
}

pub(crate) async fn confirm_totp(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    match state.app.confirm_totp(&user.actor, &form.text("code")).await {
        Ok(codes) if codes.is_empty() => Ok(Redirect::to("/me?notice=two-factor-enabled").into_response()),
        Ok(codes) => recovery_codes_page(&user, codes, "Save your recovery codes"),
        Err(e) => setup_errors(&state, &user, "totp", String::new(), e).await,
    }
}

pub(crate) async fn start_sms(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    let phone = form.text("phone");
    match state.app.start_sms(&user.actor, &phone).await {
        Ok(to) => {
            let sent = SetupState { sms_sent_to: Some(to), phone, errors_for: "", errors: FormErrors::default() };
            setup_page(&state, &user, None, sent).await
        }
        Err(e) => setup_errors(&state, &user, "phone", phone, e).await,
    }
}

pub(crate) async fn confirm_sms(State(state): State<AppState>, user: CurrentUser, form: FormData) -> PageResult {
    user.check_csrf(&form)?;
    match state.app.confirm_sms(&user.actor, &form.text("code")).await {
        Ok(codes) if codes.is_empty() => Ok(Redirect::to("/me?notice=two-factor-enabled").into_response()),
        Ok(codes) => recovery_codes_page(&user, codes, "Save your recovery codes"),
        Err(e) => {
            let errors = FormErrors::from_errors(vec![e])?;
            let retry =
                SetupState { sms_sent_to: Some(String::new()), phone: form.text("phone"), errors_for: "sms", errors };
            setup_page(&state, &user, None, retry).await
        }
    }
}
