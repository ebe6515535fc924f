//! Use cases for an account's API keys: create (the secret is returned once), list with their
//! creators, rename, revoke, and authenticate a request made with `SK…:secret`.
//!
//! Secrets are 32 random alphanumeric characters (~190 bits), stored as HMAC-SHA256 under an
//! instance key kept in the database, so checking one costs a hash and a primary-key read —
//! microseconds, not an argon2 run (STACK.md; ADR 0008).

use std::collections::{BTreeSet, HashMap};

use gatehouse_domain::account::{Account, parse_account_name};
use gatehouse_domain::api_key::{ApiKey, key_permission_catalogue};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::{Permission, PermissionSet};
use gatehouse_domain::policy::{Actor, ActorKind, Target, authorize};
use gatehouse_domain::sid::{AccountSid, ApiKeySid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;

use crate::credential_cache::{Cached, Use};
use gatehouse_domain::user::User;
use gatehouse_domain::{Error, Result};
use hmac::{KeyInit, Mac};
use serde_json::json;

use crate::members::locked_for;
use crate::secret::{constant_time_eq, random_bytes};
use crate::{App, account_principal};

const HASH_KEY_NAME: &str = "api_key_hmac";

/// The live keys `user` created in one account (no further reads: a key names its account).
pub(crate) async fn keys_created_in_account(
    tx: &mut dyn Tx,
    user: &UserSid,
    account: &AccountSid,
) -> Result<Vec<ApiKey>> {
    Ok(tx.api_keys_created_by(user).await?.into_iter().filter(|k| &k.account_sid == account).collect())
}

/// The live keys `user` created in the organization's managed accounts.
pub(crate) async fn keys_created_in_organization(
    tx: &mut dyn Tx,
    user: &UserSid,
    org: &OrganizationSid,
) -> Result<Vec<ApiKey>> {
    let mut keys = Vec::new();
    for key in tx.api_keys_created_by(user).await? {
        if tx.account(&key.account_sid).await?.is_some_and(|a| a.organization_sid.as_ref() == Some(org)) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Revokes the keys a departing user created, except those in `keep`, each audited with
/// `reason` (in `org`'s log too, when given); returns one report row per key (`revoked` or
/// `kept`). Offboarding, removal from an account and SCIM deactivation all end keys here.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn revoke_departing_keys(
    tx: &mut dyn Tx,
    actor: &Actor,
    org: Option<&OrganizationSid>,
    user: &UserSid,
    keys: &[ApiKey],
    keep: &BTreeSet<ApiKeySid>,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<serde_json::Value>> {
    let mut report = Vec::new();
    for key in keys {
        let kept = keep.contains(&key.sid);
        if !kept {
            tx.revoke_api_key(&key.account_sid, &key.sid, now).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "api_key.revoked", key.sid.as_str(), now)
                    .in_account(&key.account_sid, org)
                    .with_details(json!({ "name": key.name, "reason": reason, "created_by": user })),
            )
            .await?;
        }
        report.push(json!({
            "sid": key.sid, "name": key.name, "account": key.account_sid,
            "outcome": if kept { "kept" } else { "revoked" },
        }));
    }
    Ok(report)
}

/// A key with the name of the user who created it, for the keys page.
#[derive(Debug, Clone)]
pub struct ApiKeyView {
    pub key: ApiKey,
    pub created_by: Option<User>,
}

/// A new key and its secret, which is never shown again.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub secret: String,
}

/// 32 characters from [A-Za-z0-9], like Twilio's secrets.
fn new_secret() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let bytes = random_bytes::<64>()?;
    // Rejection sampling keeps every character equally likely.
    let chars: String = bytes
        .iter()
        .filter(|b| usize::from(**b) < 248)
        .map(|b| ALPHABET[usize::from(*b) % 62] as char)
        .take(32)
        .collect();
    if chars.len() < 32 {
        return new_secret();
    }
    Ok(chars)
}

impl App {
    /// The instance's HMAC key, created on first use and cached.
    async fn api_key_hash_key(&self) -> Result<&[u8]> {
        let key = self
            .api_key_hash_key
            .get_or_try_init(|| async {
                let mut tx = self.store.write().await?;
                let fresh = hex::encode(random_bytes::<32>()?);
                let value = tx.instance_secret(HASH_KEY_NAME, &fresh).await?;
                tx.commit().await?;
                hex::decode(value).map_err(|e| Error::Internal(format!("instance key: {e}")))
            })
            .await?;
        Ok(key.as_slice())
    }

    async fn secret_hash(&self, sid: &ApiKeySid, secret: &str) -> Result<String> {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.api_key_hash_key().await?)
            .map_err(|e| Error::Internal(format!("hmac: {e}")))?;
        mac.update(sid.as_str().as_bytes());
        mac.update(b":");
        mac.update(secret.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Creates a key (Owner, Administrator, Developer). The secret is in the answer only.
    pub async fn create_api_key(&self, actor: &Actor, account_sid: &AccountSid, name: &str) -> Result<NewApiKey> {
        self.create_restricted_api_key(actor, account_sid, name, None).await
    }

    /// Creates a key restricted to `permissions` (some of [`key_permission_catalogue`]; `None`:
    /// an ordinary key). Nobody makes a key holding a permission they do not hold on the account
    /// (the escalation rule); the refusal names it.
    pub async fn create_restricted_api_key(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        name: &str,
        permissions: Option<PermissionSet>,
    ) -> Result<NewApiKey> {
        if let Some(p) = permissions
            && (p.is_empty() || !p.is_subset_of(key_permission_catalogue()))
        {
            return Err(Error::invalid("permissions", "a restricted key holds some of the key permissions"));
        }
        let name = parse_account_name(name).map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::Invalid { field: "name", reason },
            other => other,
        })?;
        let sid = ApiKeySid::generate();
        let secret = new_secret()?;
        let secret_hash = self.secret_hash(&sid, &secret).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::ApiKeysManage).await?;
        if let Some(wanted) = permissions {
            let p = crate::account_principal(&mut *tx, actor, &account).await?;
            crate::custom_roles::ensure_may_grant(&p, wanted, Target::Account(&account))?;
        }
        let key = ApiKey {
            sid,
            account_sid: account_sid.clone(),
            name,
            secret_hash,
            created_by: actor.user_sid().cloned(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
            updated_at: now,
            restricted_to: permissions,
        };
        tx.insert_api_key(&key).await?;
        let restricted: Option<Vec<&str>> = permissions.map(|p| p.iter().map(Permission::name).collect());
        tx.append_audit(
            &AuditEvent::new(actor, "api_key.created", key.sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": key.name, "permissions": restricted })),
        )
        .await?;
        tx.commit().await?;
        Ok(NewApiKey { key, secret })
    }

    /// The account's keys that are not revoked, with their creators.
    pub async fn api_keys(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        page: &PageRequest,
    ) -> Result<Page<ApiKeyView>> {
        let mut tx = self.store.read().await?;
        keys_readable(&mut *tx, actor, account_sid).await?;
        let keys = tx.account_api_keys(account_sid, page).await?;
        let mut creators: HashMap<String, Option<User>> = HashMap::new();
        let mut items = Vec::with_capacity(keys.items.len());
        for key in keys.items {
            let created_by = match &key.created_by {
                Some(u) => match creators.get(u.as_str()) {
                    Some(found) => found.clone(),
                    None => {
                        let found = tx.user(u).await?;
                        creators.insert(u.to_string(), found.clone());
                        found
                    }
                },
                None => None,
            };
            items.push(ApiKeyView { key, created_by });
        }
        Ok(Page { items, next_after: keys.next_after })
    }

    /// The cursor of the page of [`Self::api_keys`] before the one after `cursor` (`None`: the
    /// first page), for Twilio's previous-page links.
    pub async fn api_keys_cursor_before(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>> {
        let mut tx = self.store.read().await?;
        keys_readable(&mut *tx, actor, account_sid).await?;
        tx.account_api_keys_cursor_before(account_sid, cursor, size).await
    }

    /// One live key, found by its SID alone (iam/v1 addresses keys that way); the actor needs
    /// `api_keys.read` on its account. Another tenant's key is NotFound.
    pub async fn api_key(&self, actor: &Actor, sid: &ApiKeySid) -> Result<ApiKey> {
        let mut tx = self.store.read().await?;
        let key = tx.api_key(sid).await?.filter(|k| k.revoked_at.is_none()).ok_or(Error::NotFound)?;
        let account = tx.account(&key.account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::ApiKeysRead, Target::Account(&account))?;
        account.ensure_active()?;
        Ok(key)
    }

    /// Loads one live key of the account for a change by `actor`.
    async fn key_for_change(
        &self,
        tx: &mut dyn gatehouse_domain::store::Tx,
        actor: &Actor,
        account_sid: &AccountSid,
        sid: &ApiKeySid,
    ) -> Result<(gatehouse_domain::account::Account, ApiKey)> {
        let account = locked_for(tx, actor, account_sid, Permission::ApiKeysManage).await?;
        let key = tx
            .api_key(sid)
            .await?
            .filter(|k| &k.account_sid == account_sid && k.revoked_at.is_none())
            .ok_or(Error::NotFound)?;
        Ok((account, key))
    }

    /// Renames a key.
    pub async fn rename_api_key(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        sid: &ApiKeySid,
        name: &str,
    ) -> Result<()> {
        let name = parse_account_name(name).map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::Invalid { field: "name", reason },
            other => other,
        })?;
        let mut tx = self.store.write().await?;
        let (account, key) = self.key_for_change(&mut *tx, actor, account_sid, sid).await?;
        let now = self.now();
        tx.rename_api_key(account_sid, sid, &name, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "api_key.renamed", sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "from": key.name, "to": name })),
        )
        .await?;
        tx.commit().await
    }

    /// Revokes a key: requests made with it fail from now on.
    pub async fn revoke_api_key(&self, actor: &Actor, account_sid: &AccountSid, sid: &ApiKeySid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (account, key) = self.key_for_change(&mut *tx, actor, account_sid, sid).await?;
        tx.revoke_api_key(account_sid, sid, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "api_key.revoked", sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": key.name })),
        )
        .await?;
        tx.commit().await
    }

    /// Authenticates `SK…:secret`. Any mismatch is `Unauthenticated`; a key of a suspended or
    /// closed account is refused with the reason. Notes the use (written at most once a minute, off the request path).
    pub async fn authenticate_api_key(&self, sid: &str, secret: &str, source_ip: Option<String>) -> Result<Actor> {
        let sid = ApiKeySid::parse(sid).map_err(|_| Error::Unauthenticated)?;
        let expected = self.secret_hash(&sid, secret).await?;
        let epoch = self.store.credential_epoch();
        let (key, account) = match self.credentials.get(sid.as_str(), epoch) {
            Some(Cached::ApiKey { key, account }) => (*key, *account),
            _ => {
                let mut tx = self.store.read().await?;
                let key = tx.api_key(&sid).await?.ok_or(Error::Unauthenticated)?;
                let account = tx.account(&key.account_sid).await?.ok_or(Error::Unauthenticated)?;
                drop(tx);
                let cached = Cached::ApiKey { key: Box::new(key.clone()), account: Box::new(account.clone()) };
                self.credentials.put(sid.to_string(), epoch, cached);
                (key, account)
            }
        };
        if key.revoked_at.is_some() || !constant_time_eq(&key.secret_hash, &expected) {
            return Err(Error::Unauthenticated);
        }
        account.ensure_active()?;
        self.credentials.note_use(Some(sid.as_str()), Use::ApiKey(sid.clone()), key.last_used_at, self.now());
        let permissions = key.permissions();
        Ok(Actor { kind: ActorKind::ApiKey { key: sid, account: key.account_sid, permissions }, source_ip })
    }

    /// The account an account credential acts for (an API key, an auth token, an account's
    /// OAuth app). An API key's is read with the key: from memory on a warm path (every change to
    /// an account moves the credential epoch, so it is never staler than the key itself). Any
    /// other actor has no such account.
    pub async fn credential_account(&self, actor: &Actor) -> Result<Account> {
        let account = match &actor.kind {
            ActorKind::ApiKey { key, account, .. } => {
                let epoch = self.store.credential_epoch();
                if let Some(Cached::ApiKey { account, .. }) = self.credentials.get(key.as_str(), epoch) {
                    return Ok(*account);
                }
                account
            }
            ActorKind::AuthToken { account }
            | ActorKind::OAuthApp { owner: gatehouse_domain::oauth::OAuthAppOwner::Account(account), .. } => account,
            _ => return Err(Error::Unauthenticated),
        };
        let mut tx = self.store.read_autocommit().await?;
        tx.account(account).await?.ok_or(Error::Unauthenticated)
    }
}

/// Checks that `actor` may list the keys of the account, which must be active.
pub(crate) async fn keys_readable(tx: &mut dyn Tx, actor: &Actor, account_sid: &AccountSid) -> Result<()> {
    let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
    let p = account_principal(tx, actor, &account).await?;
    authorize(&p, Permission::ApiKeysRead, Target::Account(&account))?;
    account.ensure_active()
}
