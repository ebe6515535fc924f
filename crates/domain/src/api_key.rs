//! API keys of an account: a SID (`SK…`) and a secret shown once, stored as a keyed hash.
//! A key acts for its account with a fixed set of permissions: it reads the account and uses
//! its resources, but never manages users, roles, keys, billing or the account itself.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::permission::{Permission, PermissionSet};
use crate::sid::{AccountSid, ApiKeySid, UserSid};

/// `last_used_at` is written at most this often, so authenticating stays a read.
pub const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// What an API key may do on its account.
pub fn api_key_permissions() -> PermissionSet {
    PermissionSet::of(&[
        Permission::AccountRead,
        Permission::ResourcesRead,
        Permission::ResourcesWrite,
        Permission::LogsRead,
        Permission::UsageRead,
    ])
}

/// What an account's auth token (the 2010 API's `AC…:token`) may do: act as the account's
/// machine master — read and configure it, manage its API keys and subaccounts (create, rename,
/// suspend, close), use its resources. It never manages people, roles, billing or ownership.
pub fn auth_token_permissions() -> PermissionSet {
    api_key_permissions()
        .with(Permission::AccountSettingsWrite)
        .with(Permission::AccountClose)
        .with(Permission::ApiKeysRead)
        .with(Permission::ApiKeysManage)
        .with(Permission::SubaccountsManage)
}

/// An account's API key. The secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub sid: ApiKeySid,
    pub account_sid: AccountSid,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub created_by: Option<UserSid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether `last_used_at` is stale enough to be written again at `now`.
    pub fn use_worth_recording(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at.is_none_or(|t| now - t >= Duration::seconds(LAST_USED_RESOLUTION_SECONDS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_manage_people_keys_billing_or_the_account() {
        let p = api_key_permissions();
        assert!(p.contains(Permission::AccountRead) && p.contains(Permission::ResourcesWrite));
        for never in [
            Permission::UsersManage,
            Permission::RolesAssign,
            Permission::ApiKeysManage,
            Permission::BillingWrite,
            Permission::AccountClose,
            Permission::AccountSettingsWrite,
        ] {
            assert!(!p.contains(never), "{never:?}");
        }
    }

    #[test]
    fn last_use_is_recorded_once_a_minute() {
        let now = Utc::now();
        let mut key = ApiKey {
            sid: ApiKeySid::generate(),
            account_sid: AccountSid::generate(),
            name: "CI".into(),
            secret_hash: String::new(),
            created_by: None,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        assert!(key.use_worth_recording(now));
        key.last_used_at = Some(now);
        assert!(!key.use_worth_recording(now + Duration::seconds(59)));
        assert!(key.use_worth_recording(now + Duration::seconds(60)));
    }
}
