//! iam/v1 `Account/OAuthApps` (Twilio's account OAuth apps, JSON bodies): create (the secret
//! once), fetch, update (`PUT`), delete. An app belongs to an account (the credential's own, or
//! `owner_sid`); its client-credentials tokens (`/v2/token`) call the 2010 and iam/v1 APIs for
//! that account with what its API keys may do. What this server does not do is refused, never
//! dropped: a `policy` (restricted apps), a `client_sid` chosen by the caller, another `type` or
//! token endpoint auth method, and unknown fields.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_app::OAuthAppInput;
use gatehouse_domain::Error;
use gatehouse_domain::oauth::{OAuthApp, OAuthAppOwner};
use gatehouse_domain::sid::{AccountSid, OAuthAppSid};
use serde_json::{Map, Value, json};

use super::account_client::AccountClient;
use super::api2010::rfc2822;
use super::{TwilioError, TwilioResult};
use crate::AppState;

const TYPE: &str = "client_credentials";
const AUTH_METHOD: &str = "client_secret_basic";

fn bad(message: impl Into<String>) -> TwilioError {
    TwilioError::new(StatusCode::BAD_REQUEST, 20001, message)
}

fn app_json(app: &OAuthApp) -> Value {
    let owner = match &app.owner {
        OAuthAppOwner::Account(a) => a.as_str(),
        OAuthAppOwner::Organization(o) => o.as_str(),
    };
    json!({
        "type": TYPE,
        "sid": app.sid,
        "client_sid": app.sid,
        "friendly_name": app.name,
        "description": app.description,
        "owner_sid": owner,
        "date_created": rfc2822(app.created_at),
        "created_by": app.created_by,
        "status": "active",
        "policy": null,
        "token_endpoint_auth_method": AUTH_METHOD,
        "access_token_ttl": app.access_token_ttl,
    })
}

/// Reads a create (`creating`) or update body: the fields this server keeps, each checked, and
/// a refusal for every field it would otherwise drop.
fn input(body: &Bytes, creating: bool) -> Result<(OAuthAppInput, Option<String>), TwilioError> {
    let fields: Map<String, Value> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => o,
        Ok(_) | Err(_) if body.is_empty() => Map::new(),
        _ => return Err(bad("The body must be a JSON object")),
    };
    let text = |name: &str| -> Result<Option<String>, TwilioError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("{name} must be a string"))),
        }
    };
    let allowed: &[&str] = if creating {
        &[
            "type",
            "friendly_name",
            "owner_sid",
            "description",
            "client_sid",
            "token_endpoint_auth_method",
            "policy",
            "access_token_ttl",
        ]
    } else {
        &["type", "friendly_name", "description", "policy", "access_token_ttl"]
    };
    if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!("{unknown} is not a field of an OAuth app here")));
    }
    if text("type")?.is_some_and(|t| t != TYPE) {
        return Err(bad(format!("type must be {TYPE}")));
    }
    if text("token_endpoint_auth_method")?.is_some_and(|m| m != AUTH_METHOD) {
        return Err(bad(format!(
            "token_endpoint_auth_method must be {AUTH_METHOD} (account apps authenticate with their secret)"
        )));
    }
    if text("client_sid")?.is_some() {
        return Err(bad("client_sid is chosen by the server: leave it out"));
    }
    let policy_given = match fields.get("policy") {
        None | Some(Value::Null) => false,
        Some(Value::Object(p)) => p.values().any(|v| v.as_array().is_some_and(|a| !a.is_empty())),
        Some(_) => true,
    };
    if policy_given {
        return Err(bad(
            "policy: restricted OAuth apps are not supported by this server; an app may do what the account's API keys may (leave policy out)",
        ));
    }
    let access_token_ttl = match fields.get("access_token_ttl") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| bad("access_token_ttl must be a whole number of seconds"))?),
    };
    let input = OAuthAppInput { name: text("friendly_name")?, description: text("description")?, access_token_ttl };
    Ok((input, text("owner_sid")?))
}

fn app_sid(raw: &str) -> Result<OAuthAppSid, TwilioError> {
    OAuthAppSid::parse(raw).map_err(|_| Error::NotFound.into())
}

pub(crate) async fn create(State(state): State<AppState>, c: AccountClient, body: Bytes) -> TwilioResult {
    let (input, owner) = input(&body, true)?;
    let account = match owner {
        Some(o) => AccountSid::parse(&o).map_err(|_| bad("owner_sid must be an account SID (AC…)"))?,
        None => c.account.clone(),
    };
    let created = state.app.create_account_oauth_app(&c.actor, &account, &input).await?;
    let mut body = app_json(&created.app);
    body["secret"] = Value::from(created.secret);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn fetch(State(state): State<AppState>, c: AccountClient, Path(sid): Path<String>) -> TwilioResult {
    Ok(Json(app_json(&state.app.account_oauth_app(&c.actor, &app_sid(&sid)?).await?)).into_response())
}

pub(crate) async fn update(
    State(state): State<AppState>,
    c: AccountClient,
    Path(sid): Path<String>,
    body: Bytes,
) -> TwilioResult {
    let (input, _) = input(&body, false)?;
    Ok(Json(app_json(&state.app.update_account_oauth_app(&c.actor, &app_sid(&sid)?, &input).await?)).into_response())
}

pub(crate) async fn delete(State(state): State<AppState>, c: AccountClient, Path(sid): Path<String>) -> TwilioResult {
    state.app.revoke_account_oauth_app(&c.actor, &app_sid(&sid)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
