//! The Twilio-compatible API that Twilio's official SDKs drive unchanged (contract in
//! `shared/reference/twilio-api.md`): the token endpoint and the Organizations API. Errors have
//! Twilio's shape (`code`, `message`, `more_info`, `status`); paging links are absolute, from
//! the public URL.

mod account_client;
mod api2010;
mod credentials;
mod iam;
mod oauth_apps;
mod organizations;
mod paging;
mod roles;
mod token;

use axum::Json;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use gatehouse_domain::Error;
use gatehouse_domain::oauth::OAuthAppOwner;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::sid::OrganizationSid;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::client_ip;

/// Twilio's form and JSON bodies are small; larger ones are refused in Twilio's shape.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// The path prefixes the Twilio-compatible API owns: anything under them that no route
/// matches is Twilio's 20404 (the router's fallback asks [`owns_path`]), never the HTML page.
const PREFIXES: [&str; 4] = ["/2010-04-01/", "/v1/", "/v2/", "/Organizations/"];

/// Whether `path` belongs to the Twilio-compatible API.
pub(crate) fn owns_path(path: &str) -> bool {
    PREFIXES.iter().any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/token", post(token::create))
        .route("/v2/token", post(token::create))
        .route("/Organizations/{org}/Accounts", get(organizations::accounts))
        .route("/Organizations/{org}/Accounts/{account}", get(organizations::account))
        .route(
            "/Organizations/{org}/RoleAssignments",
            get(organizations::role_assignments).post(organizations::create_role_assignment),
        )
        .route("/Organizations/{org}/RoleAssignments/{sid}", delete(organizations::delete_role_assignment))
        .route("/v1/Keys", get(iam::list).post(iam::create))
        .route("/v1/Keys/{sid}", get(iam::fetch).post(iam::update).delete(iam::delete))
        .route("/v1/Roles/{role}/Permissions", get(roles::permissions))
        .route("/v1/Credentials/PublicKeys", get(credentials::list).post(credentials::create))
        .route(
            "/v1/Credentials/PublicKeys/{sid}",
            get(credentials::fetch).post(credentials::update).delete(credentials::delete),
        )
        .route("/v1/Account/OAuthApps", post(oauth_apps::create))
        .route("/v1/Account/OAuthApps/{sid}", get(oauth_apps::fetch).put(oauth_apps::update).delete(oauth_apps::delete))
        .route("/2010-04-01/Accounts.json", get(api2010::list_accounts).post(api2010::create_account))
        .route("/2010-04-01/Accounts/{file}", get(api2010::fetch_account).post(api2010::update_account))
        .route("/2010-04-01/Accounts/{account}/Keys.json", get(api2010::list_keys).post(api2010::create_key))
        .route(
            "/2010-04-01/Accounts/{account}/Keys/{file}",
            get(api2010::fetch_key).post(api2010::update_key).delete(api2010::delete_key),
        )
        .layer(axum::middleware::from_fn(credentials::capture))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(twilio_error_shape))
}

/// Answers that axum makes itself — a rejected body (too large, not a form), a query that does
/// not parse, a method the route lacks — are plain text; the SDK only understands Twilio's
/// JSON errors, so they are rewritten into that shape with the same status.
async fn twilio_error_shape(response: Response) -> Response {
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if !(status.is_client_error() || status.is_server_error()) || content_type.starts_with("application/json") {
        return response;
    }
    // axum's rejections explain themselves in plain text; anything else gets a fixed message.
    let text = if content_type.starts_with("text/plain") {
        let bytes = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim().to_owned()
    } else {
        String::new()
    };
    let same_as_ours = match status {
        StatusCode::NOT_FOUND => Some(Error::NotFound),
        StatusCode::UNAUTHORIZED => Some(Error::Unauthenticated),
        StatusCode::FORBIDDEN => Some(Error::Forbidden),
        _ => None,
    };
    if let Some(e) = same_as_ours {
        return TwilioError::from(e).into_response();
    }
    let (code, fallback) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (20004, "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => (20001, "The request body is larger than the limit of 64 KiB"),
        s if s.is_server_error() => (20500, "Something went wrong; it was logged"),
        _ => (20001, "The request is not valid"),
    };
    let message = if text.is_empty() || status == StatusCode::PAYLOAD_TOO_LARGE || status.is_server_error() {
        fallback.to_owned()
    } else {
        text
    };
    TwilioError::new(status, code, message).into_response()
}

/// A Twilio error: `{"code", "message", "more_info", "status"}`.
#[derive(Debug)]
pub(crate) struct TwilioError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    /// RoleAssignments create/delete answer Twilio's `TwilioServiceErrorResponse`, whose link
    /// is `moreInfo` (camelCase); everything else says `more_info`.
    pub camel: bool,
}

impl TwilioError {
    pub(crate) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        TwilioError { status, code, message: message.into(), camel: false }
    }

    /// The same error in the camelCase shape.
    pub(crate) fn camel(self) -> Self {
        TwilioError { camel: true, ..self }
    }
}

impl From<Error> for TwilioError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Self::new(StatusCode::NOT_FOUND, 20404, "The requested resource was not found"),
            Error::Forbidden => Self::new(StatusCode::FORBIDDEN, 20403, "These credentials do not allow this"),
            Error::MissingPermission(p) => Self::new(
                StatusCode::FORBIDDEN,
                20403,
                format!("These credentials do not allow this: they lack {}", p.name()),
            ),
            Error::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate"),
            Error::Invalid { field, reason } => Self::new(StatusCode::BAD_REQUEST, 20001, format!("{field}: {reason}")),
            Error::Conflict(m) => Self::new(StatusCode::CONFLICT, 20409, m),
            Error::Precondition(m) => Self::new(StatusCode::BAD_REQUEST, 20001, m),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, 20500, "Something went wrong; it was logged")
            }
        }
    }
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let link = if self.camel { "moreInfo" } else { "more_info" };
        let mut body = json!({ "code": self.code, "message": self.message, "status": self.status.as_u16() });
        body[link] = Value::from(format!("https://www.twilio.com/docs/errors/{}", self.code));
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"twilio\""));
        }
        response
    }
}

pub(crate) type TwilioResult = Result<Response, TwilioError>;

/// A credential that authentication refused. The one precondition a credential check has is its
/// account's status: a credential of a suspended or closed account is Twilio's 401 with code
/// 20005 ("Account not active"), on the 2010, iam/v1 and Organizations paths alike.
pub(crate) fn credential_refused(e: Error) -> TwilioError {
    match e {
        Error::Precondition(reason) => {
            TwilioError::new(StatusCode::UNAUTHORIZED, 20005, format!("Account not active: {reason}"))
        }
        other => other.into(),
    }
}

/// An organization's machine client on the Organizations API: a bearer access token from
/// `/v2/token` (or the organization's SCIM token); the path's organization must be its own.
pub(crate) struct OrgClient {
    pub actor: Actor,
    pub org: OrganizationSid,
}

/// The token of `Authorization: Bearer …`, if the request sends one.
pub(crate) fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

/// Authenticates a bearer token: an access token (a JWT: three dot-separated parts) or a
/// SCIM token. Returns the actor and its organization.
pub(crate) async fn bearer(state: &AppState, parts: &Parts) -> Result<(Actor, OrganizationSid), Error> {
    let token = bearer_token(parts).ok_or(Error::Unauthenticated)?;
    let actor = if token.split('.').count() == 3 {
        state.app.authenticate_access_token(token, client_ip(parts)).await?
    } else {
        state.app.authenticate_scim(token, client_ip(parts)).await?
    };
    let org = match &actor.kind {
        ActorKind::OAuthApp { owner: OAuthAppOwner::Organization(organization), .. }
        | ActorKind::ScimToken { organization, .. } => organization.clone(),
        _ => return Err(Error::Unauthenticated),
    };
    Ok((actor, org))
}

impl FromRequestParts<AppState> for OrgClient {
    type Rejection = TwilioError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (actor, org) = bearer(state, parts).await.map_err(credential_refused)?;
        let in_path = parts.uri.path().strip_prefix("/Organizations/").and_then(|r| r.split('/').next());
        if in_path != Some(org.as_str()) {
            return Err(Error::NotFound.into());
        }
        Ok(OrgClient { actor, org })
    }
}
