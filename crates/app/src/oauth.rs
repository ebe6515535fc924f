//! OAuth apps and the client-credentials grant (Twilio's `/v2/token`): an organization admin
//! creates an organization's app, or an account's Owner, Administrator or Developer an account's
//! app (`OQ…` client id, secret shown once); the app exchanges its credentials for a
//! signed access token (a JWT, HS256 under an instance key, with `exp`, because Twilio's SDK
//! re-fetches a token without one before every call), and each bearer token is checked against
//! the app on every request so that revoking an app stops its tokens at once.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::oauth::{ACCESS_TOKEN_SECONDS, OAuthApp, OAuthAppOwner, parse_description, parse_token_ttl};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::scim::parse_token_name;
use gatehouse_domain::sid::{AccountSid, OAuthAppSid, OrganizationSid};
use gatehouse_domain::{Error, Result};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

use crate::App;
use crate::credential_cache::{Cached, Use};
use crate::members::locked_for;
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
        let owner = OAuthAppOwner::Organization(org.clone());
        let app = new_app(owner, name, None, ACCESS_TOKEN_SECONDS, &secret, actor, now);
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
        if tx.revoke_oauth_app(&OAuthAppOwner::Organization(org.clone()), sid, now).await? == 0 {
            return Err(Error::NotFound);
        }
        tx.append_audit(&AuditEvent::new(actor, "oauth_app.revoked", sid.as_str(), now).in_organization(org)).await?;
        tx.commit().await
    }

    /// The client-credentials grant: a signed access token for a live app whose secret matches.
    /// Any mismatch is `Unauthenticated`.
    pub async fn issue_access_token(&self, client_id: &str, client_secret: &str) -> Result<AccessToken> {
        let sid = OAuthAppSid::parse(client_id).map_err(|_| Error::Unauthenticated)?;
        let (app, _) = self.oauth_app_checked(&sid).await?;
        if app.revoked_at.is_some() || !constant_time_eq(&app.secret_hash, &token_hash(client_secret)) {
            return Err(Error::Unauthenticated);
        }
        let now = self.now();
        let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "HS256", "typ": "JWT" }).to_string());
        let mut claims = json!({
            "iss": self.public_url,
            "sub": app.sid,
            "iat": now.timestamp(),
            "exp": (now + Duration::seconds(app.access_token_ttl)).timestamp(),
            "jti": new_token()?,
        });
        let (claim, owner) = owner_claim(&app.owner);
        claims[claim] = Value::from(owner);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let signature = self.sign(&signing_input).await?;
        self.note_app_use(&app);
        Ok(AccessToken { token: format!("{signing_input}.{signature}"), expires_in: app.access_token_ttl })
    }

    /// The app, from memory while no credential changed (see `credential_cache`).
    /// With the account that owns it, if an account does (every change to an account moves the
    /// credential epoch, so it is never staler than the app).
    async fn oauth_app_checked(&self, sid: &OAuthAppSid) -> Result<(OAuthApp, Option<Account>)> {
        let epoch = self.store.credential_epoch();
        if let Some(Cached::OAuthApp { app, account }) = self.credentials.get(sid.as_str(), epoch) {
            return Ok((*app, account.map(|a| *a)));
        }
        let mut tx = self.store.read().await?;
        let app = tx.oauth_app(sid).await?.ok_or(Error::Unauthenticated)?;
        let account = match &app.owner {
            OAuthAppOwner::Account(a) => Some(tx.account(a).await?.ok_or(Error::Unauthenticated)?),
            OAuthAppOwner::Organization(_) => None,
        };
        drop(tx);
        let cached = Cached::OAuthApp { app: Box::new(app.clone()), account: account.clone().map(Box::new) };
        self.credentials.put(sid.to_string(), epoch, cached);
        Ok((app, account))
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
        let (app, account) = self.oauth_app_checked(&sid).await?;
        let (claim, owner) = owner_claim(&app.owner);
        if app.revoked_at.is_some() || claims[claim].as_str() != Some(owner) {
            return Err(Error::Unauthenticated);
        }
        // As with its API keys: a suspended or closed account's apps are refused.
        if let Some(account) = account {
            account.ensure_active()?;
        }
        self.note_app_use(&app);
        Ok(Actor { kind: ActorKind::OAuthApp { app: app.sid, owner: app.owner }, source_ip })
    }

    /// Creates an OAuth app for an account (Twilio's iam/v1 `Account/OAuthApps`): its tokens act
    /// for the account with what the account's API keys may do, so making one takes what making
    /// a key takes (Owner, Administrator, Developer). The account must be active.
    pub async fn create_account_oauth_app(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        input: &OAuthAppInput,
    ) -> Result<NewOAuthApp> {
        let name = parse_token_name(input.name.as_deref().unwrap_or("OAuth app"))?;
        let description = parse_description(input.description.as_deref())?;
        let access_token_ttl = parse_token_ttl(input.access_token_ttl.unwrap_or(ACCESS_TOKEN_SECONDS))?;
        let now = self.now();
        let secret = new_token()?;
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::ApiKeysManage).await?;
        account.ensure_active()?;
        let owner = OAuthAppOwner::Account(account_sid.clone());
        let app = new_app(owner, name, description, access_token_ttl, &secret, actor, now);
        tx.insert_oauth_app(&app).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "oauth_app.created", app.sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": app.name, "access_token_ttl": app.access_token_ttl })),
        )
        .await?;
        tx.commit().await?;
        Ok(NewOAuthApp { app, secret })
    }

    /// One of an account's live OAuth apps, for those who may see its keys; any other app
    /// (another account's, an organization's, revoked) is NotFound.
    pub async fn account_oauth_app(&self, actor: &Actor, sid: &OAuthAppSid) -> Result<OAuthApp> {
        let mut tx = self.store.read().await?;
        let (app, account) = account_app(&mut *tx, sid).await?;
        crate::api_keys::keys_readable(&mut *tx, actor, &account).await?;
        Ok(app)
    }

    /// Changes what `input` names of one of an account's live apps (name, description, token
    /// lifetime; tokens already issued keep theirs).
    pub async fn update_account_oauth_app(
        &self,
        actor: &Actor,
        sid: &OAuthAppSid,
        input: &OAuthAppInput,
    ) -> Result<OAuthApp> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (before, account_sid) = account_app(&mut *tx, sid).await?;
        let account = locked_for(&mut *tx, actor, &account_sid, Permission::ApiKeysManage).await?;
        let mut app = before.clone();
        if let Some(name) = &input.name {
            app.name = parse_token_name(name)?;
        }
        if input.description.is_some() {
            app.description = parse_description(input.description.as_deref())?;
        }
        if let Some(ttl) = input.access_token_ttl {
            app.access_token_ttl = parse_token_ttl(ttl)?;
        }
        if app != before {
            tx.update_oauth_app(&app).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "oauth_app.updated", sid.as_str(), now)
                    .in_account(&account_sid, account.organization_sid.as_ref())
                    .with_details(json!({
                        "from": { "name": before.name, "description": before.description, "access_token_ttl": before.access_token_ttl },
                        "to": { "name": app.name, "description": app.description, "access_token_ttl": app.access_token_ttl },
                    })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(app)
    }

    /// Revokes one of an account's apps: its tokens stop working at once.
    pub async fn revoke_account_oauth_app(&self, actor: &Actor, sid: &OAuthAppSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (app, account_sid) = account_app(&mut *tx, sid).await?;
        let account = locked_for(&mut *tx, actor, &account_sid, Permission::ApiKeysManage).await?;
        tx.revoke_oauth_app(&app.owner, sid, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "oauth_app.revoked", sid.as_str(), now)
                .in_account(&account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": app.name })),
        )
        .await?;
        tx.commit().await
    }
}

/// What an account's OAuth app is made or changed with; what is `None` is left as it is (or
/// takes its default when made: "OAuth app", no description, an hour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthAppInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub access_token_ttl: Option<i64>,
}

/// A new live app whose secret is `secret`, made by `actor`.
fn new_app(
    owner: OAuthAppOwner,
    name: String,
    description: Option<String>,
    access_token_ttl: i64,
    secret: &str,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> OAuthApp {
    OAuthApp {
        sid: OAuthAppSid::generate(),
        owner,
        name,
        description,
        access_token_ttl,
        secret_hash: token_hash(secret),
        created_by: actor.user_sid().cloned(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    }
}

/// The claim that names an app's owner in its tokens, and the owner's SID.
fn owner_claim(owner: &OAuthAppOwner) -> (&'static str, &str) {
    match owner {
        OAuthAppOwner::Organization(o) => ("org", o.as_str()),
        OAuthAppOwner::Account(a) => ("acct", a.as_str()),
    }
}

/// A live app of an account, with the account; anything else is NotFound.
async fn account_app(tx: &mut dyn gatehouse_domain::store::Tx, sid: &OAuthAppSid) -> Result<(OAuthApp, AccountSid)> {
    let app = tx.oauth_app(sid).await?.filter(|a| a.revoked_at.is_none()).ok_or(Error::NotFound)?;
    match &app.owner {
        OAuthAppOwner::Account(account) => {
            let account = account.clone();
            Ok((app, account))
        }
        OAuthAppOwner::Organization(_) => Err(Error::NotFound),
    }
}

/// Where a person is leaving: an organization's accounts, or one account.
pub(crate) enum Leaving<'a> {
    Organization(&'a OrganizationSid),
    Account(&'a AccountSid),
    /// Every account (the person's login is deleted).
    Everywhere,
}

/// Revokes the account OAuth apps `user` created where they are leaving (their secret left with
/// them, as a key's does), unless `keep`; each audited with `reason`; one report row per app,
/// shaped as the keys' rows, with `"kind": "oauth_app"`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn revoke_departing_apps(
    tx: &mut dyn gatehouse_domain::store::Tx,
    actor: &Actor,
    org: Option<&OrganizationSid>,
    user: &gatehouse_domain::sid::UserSid,
    leaving: Leaving<'_>,
    keep: bool,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Value>> {
    let mut report = Vec::new();
    for app in tx.account_oauth_apps_created_by(user).await? {
        let OAuthAppOwner::Account(account) = &app.owner else { continue };
        let there = match leaving {
            Leaving::Account(a) => a == account,
            Leaving::Organization(o) => {
                tx.account(account).await?.is_some_and(|a| a.organization_sid.as_ref() == Some(o))
            }
            Leaving::Everywhere => true,
        };
        if !there {
            continue;
        }
        if !keep {
            tx.revoke_oauth_app(&app.owner, &app.sid, now).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "oauth_app.revoked", app.sid.as_str(), now)
                    .in_account(account, org)
                    .with_details(json!({ "name": app.name, "reason": reason, "created_by": user })),
            )
            .await?;
        }
        report.push(json!({
            "kind": "oauth_app", "sid": app.sid, "name": app.name, "account": account,
            "outcome": if keep { "kept" } else { "revoked" },
        }));
    }
    Ok(report)
}
