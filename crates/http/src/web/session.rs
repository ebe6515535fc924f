//! Cookies, the signed-in user extractor, CSRF checks and form decoding.
//!
//! Signed-in forms carry the session's synchronizer token. Forms shown before sign-in (sign-in,
//! sign-up, setup) use a double-submit cookie. Cookies are `HttpOnly`, `SameSite=Lax`, and
//! `Secure` when the public URL is https.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_app::constant_time_eq;
use gatehouse_domain::Error;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::sid::AccountSid;
use gatehouse_domain::user::User;

use super::{Layout, NavLink};
use crate::{AppState, WebError};

pub(crate) const SESSION_COOKIE: &str = "gh_session";
pub(crate) const PRE_CSRF_COOKIE: &str = "gh_csrf";

/// The value of one cookie from the request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` header value; `max_age` 0 deletes the cookie.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// Adds `Set-Cookie` headers to a response.
pub(crate) fn with_cookies(mut response: Response, cookies: Vec<HeaderValue>) -> Response {
    for c in cookies {
        response.headers_mut().append(SET_COOKIE, c);
    }
    response
}

/// The client's address as seen by this process.
pub(crate) fn client_ip(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<crate::client_addr::ClientAddr>() {
        Some(addr) => Some(addr.0.to_string()),
        None => {
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
        }
    }
}

/// The client's address, if the server recorded it (it does when served with connect info).
pub(crate) struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// The request's user agent.
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// A signed-in user, their session and the actor their requests act as.
pub(crate) struct CurrentUser {
    pub user: User,
    pub session: Session,
    pub actor: Actor,
    pub token: String,
    /// Organizations where the user holds a role, for navigation.
    pub orgs: Vec<(String, String, OrgRole)>,
    /// The operator's service banner, if one is shown.
    pub banner: Option<String>,
}

impl CurrentUser {
    /// Refuses a form whose CSRF token is not this session's.
    pub(crate) fn check_csrf(&self, form: &FormData) -> Result<(), WebError> {
        let sent = form.get("csrf").unwrap_or_default();
        if constant_time_eq(sent, &self.session.csrf_token) { Ok(()) } else { Err(WebError(Error::Forbidden)) }
    }

    /// The user's role in an organization, if any.
    pub(crate) fn org_role(&self, org: &str) -> Option<OrgRole> {
        self.orgs.iter().find(|(sid, _, _)| sid == org).map(|(_, _, role)| *role)
    }

    /// The layout for a signed-in page; `active` names the navigation entry to highlight.
    pub(crate) fn layout(&self, title: &str, active: &str, notice: Option<&'static str>) -> Layout {
        let mut nav =
            vec![NavLink { href: "/accounts".into(), label: "Accounts".into(), active: active == "/accounts" }];
        for (sid, name, role) in &self.orgs {
            if matches!(role, OrgRole::Owner | OrgRole::Administrator) {
                let href = format!("/orgs/{sid}");
                nav.push(NavLink { active: active == href, href, label: format!("Admin Center · {name}") });
            }
        }
        if self.orgs.is_empty() && self.user.organization_sid.is_none() {
            // An independent user's entry to the Admin Center: creating an organization.
            nav.push(NavLink { href: "/orgs/new".into(), label: "Admin Center".into(), active: active == "/orgs/new" });
        }
        nav.push(NavLink { href: "/me".into(), label: "Security".into(), active: active == "/me" });
        Layout {
            title: title.into(),
            user_name: Some(self.user.name.clone()),
            user_email: self.user.email.to_string(),
            csrf: self.session.csrf_token.clone(),
            nav,
            notice,
            banner: self.banner.clone(),
        }
    }
}

/// Sends an unauthenticated browser to the sign-in page, coming back afterwards.
pub(crate) struct SignInRedirect(String);

impl IntoResponse for SignInRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&format!("/signin?next={}", super::url_encode(&self.0))).into_response()
    }
}

/// Where a signed-in user must go before anything else, if anywhere: a sign-in that still owes
/// its second factor, an unconfirmed email address, or a required second factor not set up.
fn gate(path: &str, user: &User, session: &Session, must_enrol: bool) -> Option<&'static str> {
    let always = path == "/signout";
    if session.stage == SessionStage::SecondFactor {
        return (!always && !path.starts_with("/signin/2fa")).then_some("/signin/2fa");
    }
    if !user.email_verified() {
        return (!always && !path.starts_with("/verify-email")).then_some("/verify-email");
    }
    if must_enrol {
        return (!always && !path.starts_with("/me")).then_some("/me/2fa?required=1");
    }
    None
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(SignInRedirect(back).into_response());
        };
        // Inside an account that requires 2FA, its own rule applies too (API keys are not
        // affected: they never pass through here).
        let account = parts
            .uri
            .path()
            .strip_prefix("/accounts/")
            .and_then(|rest| AccountSid::parse(rest.split('/').next().unwrap_or_default()).ok());
        let visitor = match state.app.visit(&token, account.as_ref()).await {
            Ok(found) => found,
            Err(Error::Unauthenticated) => {
                let clear = set_cookie(state, SESSION_COOKIE, "", Some(0));
                return Err(with_cookies(SignInRedirect(back).into_response(), vec![clear]));
            }
            Err(e) => return Err(WebError(e).into_response()),
        };
        let (user, session) = (visitor.user, visitor.session);
        if let Some(to) = gate(parts.uri.path(), &user, &session, visitor.must_enrol_two_factor) {
            return Err(Redirect::to(to).into_response());
        }
        let actor = Actor::user(user.sid.clone(), client_ip(parts));
        let orgs = visitor.organizations.into_iter().map(|(o, r)| (o.sid.to_string(), o.name, r)).collect();
        let banner = state.app.service_banner().await.map_err(|e| WebError(e).into_response())?.map(|b| b.message);
        Ok(CurrentUser { user, session, actor, token, orgs, banner })
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        if cookie(&parts.headers, SESSION_COOKIE).is_none() {
            return Ok(None);
        }
        match <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            // Signed out or expired: treat as anonymous. A gate redirect is kept.
            Err(r) if r.status().is_redirection() && cookie(&parts.headers, SESSION_COOKIE).is_none() => Ok(None),
            Err(r) if r.headers().get("location").is_some_and(|l| l.as_bytes().starts_with(b"/signin?")) => Ok(None),
            Err(r) => Err(r),
        }
    }
}

/// A decoded `application/x-www-form-urlencoded` body, keeping repeated keys (checkboxes).
/// Decoding never fails on a missing field; handlers report what is missing in the form.
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    /// The first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The first value of `key`, or empty.
    pub(crate) fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_owned()
    }

    /// Every value of `key`.
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// The fields whose names start with `prefix`, as (rest of the name, value).
    pub(crate) fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0.iter().filter_map(move |(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.as_str())))
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormData {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(FormData(pairs)),
            // Too large keeps its 413 (each surface answers it in its own shape).
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(e.into_response()),
            Err(e) => Err(WebError(Error::invalid("form", e.body_text())).into_response()),
        }
    }
}

/// The double-submit token for forms shown before sign-in: the existing cookie, or a new one
/// (`true`: set it on the response).
fn pre_sign_in_csrf(headers: &HeaderMap) -> Result<(String, bool), WebError> {
    match cookie(headers, PRE_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(c) => Ok((c, false)),
        None => Ok((gatehouse_app::new_random_token()?, true)),
    }
}

/// The layout of a form shown before sign-in, carrying its double-submit token, and the cookie
/// value to set when that token is new.
pub(crate) fn pre_sign_in_layout(headers: &HeaderMap, title: &str) -> Result<(Layout, Option<String>), WebError> {
    let (csrf, fresh) = pre_sign_in_csrf(headers)?;
    let layout = Layout::anonymous(title).with_csrf(csrf.clone());
    Ok((layout, fresh.then_some(csrf)))
}

/// Checks a pre-sign-in form against its double-submit cookie.
pub(crate) fn check_pre_sign_in_csrf(headers: &HeaderMap, form: &FormData) -> Result<(), WebError> {
    let cookie = cookie(headers, PRE_CSRF_COOKIE).unwrap_or_default();
    let sent = form.get("csrf").unwrap_or_default();
    if !cookie.is_empty() && constant_time_eq(&cookie, sent) { Ok(()) } else { Err(WebError(Error::Forbidden)) }
}

/// A page for a browser before sign-in, setting the double-submit cookie when it is new.
pub(crate) fn respond_with_csrf(
    state: &AppState,
    body: String,
    new_cookie: Option<&str>,
    status: axum::http::StatusCode,
) -> Response {
    let cookies = new_cookie.map(|c| vec![set_cookie(state, PRE_CSRF_COOKIE, c, None)]).unwrap_or_default();
    with_cookies((status, axum::response::Html(body)).into_response(), cookies)
}
