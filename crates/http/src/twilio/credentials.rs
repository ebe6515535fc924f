//! Twilio's Credentials API for Public Key Client Validation (`/v1/Credentials/PublicKeys`,
//! accounts.twilio.com, Basic): register an RSA public key (`PublicKey`, `FriendlyName`,
//! `AccountSid`; 2048 bits, exponent 65537, else 70154), list (the "meta" page shape,
//! `meta.key = "credentials"`), fetch, rename, delete. And the check every account credential's
//! request passes (`Twilio-Client-Validation`), whose request the [`capture`] middleware keeps.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_app::{SignedRequest, ValidationRefusal};
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::public_key::AccountPublicKey;
use gatehouse_domain::sid::{AccountSid, CredentialSid};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account_client::AccountClient;
use super::organizations::twilio_date;
use super::{MAX_BODY_BYTES, TwilioError, TwilioResult, paging};
use crate::AppState;
use crate::web::FormData;

/// The header a signed request carries.
pub(crate) const HEADER: &str = "twilio-client-validation";

/// Keeps a signed request (its token, method, path, query, headers and body) for the check the
/// credential's extractor makes; unsigned requests pass untouched.
pub(crate) async fn capture(request: Request, next: Next) -> Response {
    let Some(token) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return TwilioError::new(StatusCode::PAYLOAD_TOO_LARGE, 20001, "The request body is too large").into_response();
    };
    let headers = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_ascii_lowercase(), value.to_str().ok()?.to_owned())))
        .collect();
    let signed = SignedRequest {
        token,
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body: bytes.to_vec(),
    };
    parts.extensions.insert(signed);
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Refuses a request that fails the account's Public Key Client Validation (Twilio's 70052 and
/// 70053).
pub(crate) async fn check(state: &AppState, actor: &Actor, signed: Option<&SignedRequest>) -> Result<(), TwilioError> {
    match state.app.check_client_validation(actor, signed).await? {
        None => Ok(()),
        Some(ValidationRefusal::Invalid(reason)) => Err(TwilioError::new(
            StatusCode::UNAUTHORIZED,
            70052,
            format!("Public Key Client Validation failed: {reason}"),
        )),
        Some(ValidationRefusal::NotEnabled) => Err(TwilioError::new(
            StatusCode::UNAUTHORIZED,
            70053,
            "Public Key Client Validation is not enabled for this account: send the request unsigned, or turn on \
             Require Public Key Client Validation",
        )),
    }
}

fn key_json(state: &AppState, k: &AccountPublicKey) -> Value {
    json!({
        "sid": k.sid,
        "account_sid": k.account_sid,
        "friendly_name": k.name,
        "date_created": twilio_date(k.created_at),
        "date_updated": twilio_date(k.updated_at),
        "url": format!("{}/v1/Credentials/PublicKeys/{}", state.app.public_url(), k.sid),
    })
}

fn credential_sid(raw: &str) -> Result<CredentialSid, TwilioError> {
    CredentialSid::parse(raw).map_err(|_| Error::NotFound.into())
}

pub(crate) async fn create(State(state): State<AppState>, c: AccountClient, form: FormData) -> TwilioResult {
    let account = match form.get("AccountSid").filter(|a| !a.is_empty()) {
        Some(a) => AccountSid::parse(a)
            .map_err(|_| TwilioError::new(StatusCode::BAD_REQUEST, 20001, "AccountSid is not an account SID (AC…)"))?,
        None => c.account.clone(),
    };
    let pem = form.get("PublicKey").unwrap_or_default();
    let name = form.get("FriendlyName").unwrap_or_default();
    let key = state.app.create_public_key(&c.actor, &account, name, pem).await.map_err(|e| match e {
        Error::Invalid { field: "PublicKey", reason } => TwilioError::new(StatusCode::BAD_REQUEST, 70154, reason),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(key_json(&state, &key))).into_response())
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    #[serde(flatten)]
    paging: paging::Paging,
}

/// The credential's account's keys (an account has a handful: listed whole, then windowed).
pub(crate) async fn list(State(state): State<AppState>, c: AccountClient, Query(q): Query<ListQuery>) -> TwilioResult {
    let (size, number) = (q.paging.size(1000)?, q.paging.number());
    let all = state.app.public_keys(&c.actor, &c.account, &PageRequest::first(1000)).await?.items;
    let window = paging::window(&all, |k| k.sid.as_str(), q.paging.token(), size as usize);
    let items = window.items.iter().map(|k| key_json(&state, k)).collect();
    let list = format!("{}/v1/Credentials/PublicKeys", state.app.public_url());
    let body = paging::meta_page("credentials", &list, size, number, items, window.next, window.previous);
    Ok(Json(body).into_response())
}

pub(crate) async fn fetch(State(state): State<AppState>, c: AccountClient, Path(sid): Path<String>) -> TwilioResult {
    Ok(Json(key_json(&state, &state.app.public_key(&c.actor, &credential_sid(&sid)?).await?)).into_response())
}

pub(crate) async fn update(
    State(state): State<AppState>,
    c: AccountClient,
    Path(sid): Path<String>,
    form: FormData,
) -> TwilioResult {
    let sid = credential_sid(&sid)?;
    let key = match form.get("FriendlyName") {
        Some(name) => state.app.rename_public_key(&c.actor, &sid, name).await?,
        None => state.app.public_key(&c.actor, &sid).await?,
    };
    Ok(Json(key_json(&state, &key)).into_response())
}

pub(crate) async fn delete(State(state): State<AppState>, c: AccountClient, Path(sid): Path<String>) -> TwilioResult {
    state.app.delete_public_key(&c.actor, &credential_sid(&sid)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
