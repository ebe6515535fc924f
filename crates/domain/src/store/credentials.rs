//! The store traits of an account's machine credentials: API keys (and the instance secrets their
//! hashes use), auth tokens, and the public keys of Public Key Client Validation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::api_key::ApiKey;
use crate::error::Result;
use crate::page::{Page, PageRequest};
use crate::public_key::AccountPublicKey;
use crate::sid::{AccountSid, ApiKeySid, CredentialSid, UserSid};

/// API keys and installation-wide secrets.
#[async_trait]
pub trait ApiKeysTx: Send {
    /// Stores a new API key.
    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()>;
    /// An API key by SID, whatever its account (authentication looks keys up this way).
    async fn api_key(&mut self, sid: &ApiKeySid) -> Result<Option<ApiKey>>;
    /// The account's keys that are not revoked, by SID; search matches name and SID.
    async fn account_api_keys(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<ApiKey>>;
    /// As [`AccountsTx::organization_accounts_cursor_before`], in [`Self::account_api_keys`].
    async fn account_api_keys_cursor_before(
        &mut self,
        account: &AccountSid,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>>;
    /// Renames one of the account's keys.
    async fn rename_api_key(
        &mut self,
        account: &AccountSid,
        sid: &ApiKeySid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Revokes one of the account's keys.
    async fn revoke_api_key(&mut self, account: &AccountSid, sid: &ApiKeySid, at: DateTime<Utc>) -> Result<()>;
    /// Records a key's use.
    async fn touch_api_key(&mut self, sid: &ApiKeySid, at: DateTime<Utc>) -> Result<()>;
    /// An installation-wide secret, created with `value` if missing; every node gets the same.
    async fn instance_secret(&mut self, name: &str, value: &str) -> Result<String>;
    /// The keys the user created that are not revoked, by SID.
    async fn api_keys_created_by(&mut self, user: &UserSid) -> Result<Vec<ApiKey>>;
}

/// Accounts' auth tokens (stored as hashes).
#[async_trait]
pub trait AuthTokensTx: Send {
    /// Sets (or replaces) an account's auth-token hash.
    async fn put_auth_token(&mut self, account: &AccountSid, token_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// An account's auth-token hash and when it was made.
    async fn auth_token(&mut self, account: &AccountSid) -> Result<Option<(String, DateTime<Utc>)>>;
}

/// Public keys accounts registered for Public Key Client Validation.
#[async_trait]
pub trait PublicKeysTx: Send {
    async fn insert_public_key(&mut self, key: &AccountPublicKey) -> Result<()>;
    /// One key by SID.
    async fn public_key(&mut self, sid: &CredentialSid) -> Result<Option<AccountPublicKey>>;
    /// The account's keys, by SID.
    async fn account_public_keys(&mut self, account: &AccountSid, page: &PageRequest)
    -> Result<Page<AccountPublicKey>>;
    /// Renames one of the account's keys.
    async fn rename_public_key(
        &mut self,
        account: &AccountSid,
        sid: &CredentialSid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Deletes one of the account's keys; how many (0 or 1).
    async fn delete_public_key(&mut self, account: &AccountSid, sid: &CredentialSid) -> Result<u64>;
}
