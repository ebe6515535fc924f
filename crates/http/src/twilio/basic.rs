//! HTTP Basic for the 2010 API and iam/v1: `AC…:auth token` (the account's token) or
//! `SK…:secret` (an API key).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use gatehouse_domain::Error;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::sid::AccountSid;

use super::{TwilioError, credential_refused};
use crate::AppState;
use crate::web::client_ip;

/// The authenticated credential and the account it speaks for.
pub(crate) struct BasicClient {
    pub actor: Actor,
    pub account: AccountSid,
}

impl FromRequestParts<AppState> for BasicClient {
    type Rejection = TwilioError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthenticated = || TwilioError::from(Error::Unauthenticated);
        let encoded = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .ok_or_else(unauthenticated)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(unauthenticated)?;
        let (user, secret) = decoded.split_once(':').ok_or_else(unauthenticated)?;
        let actor = if user.starts_with("AC") {
            state.app.authenticate_auth_token(user, secret, client_ip(parts)).await
        } else {
            state.app.authenticate_api_key(user, secret, client_ip(parts)).await
        }
        .map_err(credential_refused)?;
        let account = match &actor.kind {
            ActorKind::AuthToken { account } | ActorKind::ApiKey { account, .. } => account.clone(),
            _ => return Err(unauthenticated()),
        };
        Ok(BasicClient { actor, account })
    }
}
