//! OAuth apps and the client-credentials grant (Twilio's `/v2/token`): an organization admin
//! creates an app (`OQ…` client id, secret shown once), the app exchanges its credentials for a
//! signed access token (a JWT, HS256 under an instance key, with `exp`, because Twilio's SDK
//! re-fetches a token without one before every call), and each bearer token is checked against
//! the app on every request so that revoking an app stops its tokens at once.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::oauth::{ACCESS_TOKEN_SECONDS, OAuthApp};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::scim::parse_token_name;
use gatehouse_domain::sid::{OAuthAppSid, OrganizationSid};
use gatehouse_domain::{Error, Result};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

use crate::App;
use crate::credential_cache::{Cached, Use};
use crate::org_users::authorize_org;
use crate::secret::{constant_time_eq, new_token, random_bytes, token_hash};

const SIGNING_KEY_NAME: &str = "access_token_hs256";
/// How far in the future a token's `iat` may be (other nodes' clocks).
const CLOCK_SKEW_SECONDS: i64 = 60;

/// A new app and its secret, shown once.
#[derive(Debug, Clone)]
pub struct NewOAuthApp {
    pub app: OAuthApp,
    pub secret: String,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: i64,
}

impl App {
    /// The signing keys, newest first: the configured ones, or the database's one.
    async fn token_signing_keys(&self) -> Result<&[Vec<u8>]> {
        let keys = self
            .token_signing_keys
            .get_or_try_init(|| async {
                let mut tx = self.store.write().await?;
                let fresh = hex::encode(random_bytes::<32>()?);
                let value = tx.instance_secret(SIGNING_KEY_NAME, &fresh).await?;
                tx.commit().await?;
                Ok::<_, Error>(vec![hex::decode(value).map_err(|e| Error::Internal(format!("signing key: {e}")))?])
            })
            .await?;
        Ok(keys.as_slice())
    }

    fn mac(key: &[u8], signing_input: &str) -> Result<String> {
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(key).map_err(|e| Error::Internal(format!("hmac: {e}")))?;
        mac.update(signing_input.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    async fn sign(&self, signing_input: &str) -> Result<String> {
        let key = self.token_signing_keys().await?.first().ok_or_else(|| Error::Internal("no signing key".into()))?;
        Self::mac(key, signing_input)
    }

    /// Whether `signature` is the MAC of `signing_input` under any of the signing keys.
    async fn signed_by_us(&self, signing_input: &str, signature: &str) -> Result<bool> {
        for key in self.token_signing_keys().await? {
            if constant_time_eq(&Self::mac(key, signing_input)?, signature) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Creates an OAuth app for the organization (its Owner and Administrators).
    pub async fn create_oauth_app(&self, actor: &Actor, org: &OrganizationSid, name: &str) -> Result<NewOAuthApp> {
        let name = parse_token_name(name)?;
        let now = self.now();
        let secret = new_token()?;
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgSettingsWrite).await?;
        tx.organization(org).await?.ok_or(Error::NotFound)?;
        let app = OAuthApp {
            sid: OAuthAppSid::generate(),
            organization_sid: org.clone(),
            name,
            secret_hash: token_hash(&secret),
            created_by: actor.user_sid().cloned(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        tx.insert_oauth_app(&app).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "oauth_app.created", app.sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": app.name })),
        )
        .await?;
        tx.commit().await?;
        Ok(NewOAuthApp { app, secret })
    }

    /// The organization's OAuth apps that still work.
    pub async fn oauth_apps(&self, actor: &Actor, org: &OrganizationSid) -> Result<Vec<OAuthApp>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgSettingsWrite).await?;
        tx.oauth_apps(org).await
    }

    /// Revokes an app: its tokens stop working at once.
    pub async fn revoke_oauth_app(&self, actor: &Actor, org: &OrganizationSid, sid: &OAuthAppSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgSettingsWrite).await?;
        if tx.revoke_oauth_app(org, sid, now).await? == 0 {
            return Err(Error::NotFound);
        }
        tx.append_audit(&AuditEvent::new(actor, "oauth_app.revoked", sid.as_str(), now).in_organization(org)).await?;
        tx.commit().await
    }

    /// The client-credentials grant: a signed access token for a live app whose secret matches.
    /// Any mismatch is `Unauthenticated`.
    pub async fn issue_access_token(&self, client_id: &str, client_secret: &str) -> Result<AccessToken> {
        let sid = OAuthAppSid::parse(client_id).map_err(|_| Error::Unauthenticated)?;
        let app = self.oauth_app_checked(&sid).await?;
        if app.revoked_at.is_some() || !constant_time_eq(&app.secret_hash, &token_hash(client_secret)) {
            return Err(Error::Unauthenticated);
        }
        let now = self.now();
        let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "HS256", "typ": "JWT" }).to_string());
        let claims = json!({
            "iss": self.public_url,
            "sub": app.sid,
            "org": app.organization_sid,
            "iat": now.timestamp(),
            "exp": (now + Duration::seconds(ACCESS_TOKEN_SECONDS)).timestamp(),
            "jti": new_token()?,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let signature = self.sign(&signing_input).await?;
        self.note_app_use(&app);
        Ok(AccessToken { token: format!("{signing_input}.{signature}"), expires_in: ACCESS_TOKEN_SECONDS })
    }

    /// The app, from memory while no credential changed (see `credential_cache`).
    async fn oauth_app_checked(&self, sid: &OAuthAppSid) -> Result<OAuthApp> {
        let epoch = self.store.credential_epoch();
        if let Some(Cached::OAuthApp(app)) = self.credentials.get(sid.as_str(), epoch) {
            return Ok(*app);
        }
        let mut tx = self.store.read().await?;
        let app = tx.oauth_app(sid).await?.ok_or(Error::Unauthenticated)?;
        drop(tx);
        self.credentials.put(sid.to_string(), epoch, Cached::OAuthApp(Box::new(app.clone())));
        Ok(app)
    }

    fn note_app_use(&self, app: &OAuthApp) {
        self.credentials.note_use(Some(app.sid.as_str()), Use::OAuthApp(app.sid.clone()), app.last_used_at, self.now());
    }

    /// Checks `Authorization: Bearer <access token>`: the signature, `exp`, and that the app
    /// still exists and is not revoked.
    pub async fn authenticate_access_token(&self, token: &str, source_ip: Option<String>) -> Result<Actor> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Unauthenticated);
        };
        if !self.signed_by_us(&format!("{header}.{payload}"), signature).await? {
            return Err(Error::Unauthenticated);
        }
        let claims: Value = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(Error::Unauthenticated)?;
        let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
            return Err(Error::Unauthenticated);
        };
        // Only what this server issues is accepted: a token minted with a leaked key for longer
        // than an hour, or dated in the future, is refused.
        let now = self.now().timestamp();
        if exp <= now || exp - iat > ACCESS_TOKEN_SECONDS || iat > now + CLOCK_SKEW_SECONDS {
            return Err(Error::Unauthenticated);
        }
        let sid = claims["sub"].as_str().and_then(|s| OAuthAppSid::parse(s).ok()).ok_or(Error::Unauthenticated)?;
        let app = self.oauth_app_checked(&sid).await?;
        if app.revoked_at.is_some() || claims["org"].as_str() != Some(app.organization_sid.as_str()) {
            return Err(Error::Unauthenticated);
        }
        self.note_app_use(&app);
        Ok(Actor { kind: ActorKind::OAuthApp { app: app.sid, organization: app.organization_sid }, source_ip })
    }
}
