//! The credentials of the 2010 API and iam/v1, each speaking for one account: HTTP Basic with
//! `AC…:auth token` (the account's token) or `SK…:secret` (an API key), or a bearer access token
//! of one of the account's OAuth apps (iam/v1 `Account/OAuthApps`). Every one passes the
//! account's Public Key Client Validation (`credentials::check`).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use gatehouse_app::SignedRequest;
use gatehouse_domain::Error;
use gatehouse_domain::oauth::OAuthAppOwner;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::sid::AccountSid;

use super::{TwilioError, bearer_token, credential_refused, credentials};
use crate::AppState;
use crate::web::client_ip;

/// The authenticated credential and the account it speaks for.
pub(crate) struct AccountClient {
    pub actor: Actor,
    pub account: AccountSid,
}

impl FromRequestParts<AppState> for AccountClient {
    type Rejection = TwilioError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthenticated = || TwilioError::from(Error::Unauthenticated);
        if let Some(token) = bearer_token(parts) {
            let actor =
                state.app.authenticate_access_token(token, client_ip(parts)).await.map_err(credential_refused)?;
            return match &actor.kind {
                ActorKind::OAuthApp { owner: OAuthAppOwner::Account(account), .. } => {
                    let account = account.clone();
                    credentials::check(state, &actor, parts.extensions.get::<SignedRequest>()).await?;
                    Ok(AccountClient { actor, account })
                }
                // An organization's app calls the Organizations API, not an account's.
                _ => Err(unauthenticated()),
            };
        }
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
        credentials::check(state, &actor, parts.extensions.get::<SignedRequest>()).await?;
        Ok(AccountClient { actor, account })
    }
}
