//! The native JSON API under `/api/v1`: authenticated with an API key (`SK…:secret`, HTTP
//! Basic), errors in one JSON shape with a stable code (see [`ApiError`]).

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use gatehouse_domain::Error;
use gatehouse_domain::account::Account;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::sid::AccountSid;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::client_ip;

/// The API's routes, nested under `/api/v1`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/accounts/{sid}", get(account))
        .fallback(|| async { ApiError(Error::NotFound) })
}

/// An error answered as `{"code", "message", "status", "field"?}` with a stable `code`.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = match self.0 {
            Error::NotFound => {
                (StatusCode::NOT_FOUND, "not_found", "No such resource, or no access to it.".into(), None)
            }
            Error::Forbidden => {
                (StatusCode::FORBIDDEN, "forbidden", "These credentials do not allow this.".into(), None)
            }
            Error::Invalid { field, reason } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", reason, Some(field)),
            Error::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, None),
            Error::Precondition(m) => (StatusCode::CONFLICT, "precondition_failed", m, None),
            Error::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authenticate with an API key: HTTP Basic with the key SID as user and its secret as password.".into(),
                None,
            ),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong; it was logged.".into(), None)
            }
        };
        let mut body = json!({ "code": code, "message": message, "status": status.as_u16() });
        if let Some(field) = field {
            body["field"] = Value::from(field);
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"gatehouse\""));
        }
        response
    }
}

/// The caller, authenticated by an API key in `Authorization: Basic`.
pub(crate) struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let encoded = value.strip_prefix("Basic ").ok_or(ApiError(Error::Unauthenticated))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(ApiError(Error::Unauthenticated))?;
        let (user, secret) = decoded.split_once(':').ok_or(ApiError(Error::Unauthenticated))?;
        let actor = state.app.authenticate_api_key(user, secret, client_ip(parts)).await?;
        Ok(ApiActor(actor))
    }
}

fn account_json(a: &Account) -> Value {
    json!({
        "sid": a.sid,
        "friendly_name": a.name,
        "status": a.status.as_str(),
        "organization_sid": a.organization_sid,
        "parent_account_sid": a.parent_sid,
        "settings": a.settings,
        "date_created": a.created_at.to_rfc3339(),
        "date_updated": a.updated_at.to_rfc3339(),
    })
}

/// Who the credentials are: the key and its account.
async fn me(State(state): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<Value>, ApiError> {
    let ActorKind::ApiKey { key, account } = &actor.kind else { return Err(ApiError(Error::Unauthenticated)) };
    let view = state.app.account(&actor, account).await?;
    Ok(Json(json!({ "api_key_sid": key, "account": account_json(&view.account) })))
}

async fn account(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(sid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sid = AccountSid::parse(&sid).map_err(|_| ApiError(Error::NotFound))?;
    Ok(Json(account_json(&state.app.account(&actor, &sid).await?.account)))
}
