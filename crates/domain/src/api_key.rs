//! API keys of an account: a SID (`SK…`) and a secret shown once, stored as a keyed hash.
//! A key acts for its account with a fixed set of permissions: it reads the account and uses
//! its resources, but never manages users, roles, keys, billing or the account itself.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::membership::ScopeRef;
use crate::permission::{Permission, PermissionSet};
use crate::policy::Grant;
use crate::sid::{AccountSid, ApiKeySid, UserSid};

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

/// What a key may be restricted to: the default key permissions and asking the permission-check
/// API (`access.check`, which only a key made for it holds).
pub fn key_permission_catalogue() -> PermissionSet {
    api_key_permissions().with(Permission::AccessCheck)
}

/// Reads a restricted key's permissions by their catalogue names: each must be one a key may
/// hold (unknown or unfit names are refused, naming them, never dropped), and at least one.
pub fn parse_key_permissions<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<PermissionSet, crate::Error> {
    let mut set = PermissionSet::EMPTY;
    for name in names {
        match Permission::parse(name.trim()) {
            Some(p) if key_permission_catalogue().contains(p) => set = set.with(p),
            _ => {
                let allowed: Vec<&str> = key_permission_catalogue().iter().map(Permission::name).collect();
                return Err(crate::Error::invalid(
                    "permissions",
                    format!("{name:?} is not a permission an API key may hold (one of: {})", allowed.join(", ")),
                ));
            }
        }
    }
    if set.is_empty() {
        return Err(crate::Error::invalid("permissions", "a restricted key holds at least one permission"));
    }
    Ok(set)
}

/// What an account's auth token (the 2010 API's `AC…:token`) may do on its own account: act as
/// the account's machine master — read and configure it, manage its API keys and subaccounts,
/// use its resources. It never manages people, roles, billing or ownership, and never closes
/// its own account: the Owner and Administrators can obtain it, and an Administrator may not
/// close the account (SPEC §2). The table is in ADR 0013.
pub fn auth_token_permissions() -> PermissionSet {
    api_key_permissions()
        .with(Permission::AccountSettingsWrite)
        .with(Permission::ApiKeysRead)
        .with(Permission::ApiKeysManage)
        .with(Permission::SubaccountsManage)
}

/// What an auth token holds: [`auth_token_permissions`] on its account (reaching its
/// subaccounts, since it manages them), and on its subaccounts only, closing them — as in
/// Twilio, where an account's credentials close its subaccounts but never the account itself.
pub fn auth_token_grants(account: &AccountSid) -> Vec<Grant> {
    vec![
        Grant::at(ScopeRef::Account(account.clone()), auth_token_permissions()),
        Grant::on_subaccounts_of(account.clone(), PermissionSet::of(&[Permission::AccountClose])),
    ]
}

/// What an API key holds: its permissions ([`api_key_permissions`] unless it is restricted) on
/// its own account, not its subaccounts.
pub fn api_key_grants(account: &AccountSid, permissions: PermissionSet) -> Vec<Grant> {
    vec![Grant::at(ScopeRef::Account(account.clone()), permissions)]
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
    /// When it was made or last renamed.
    pub updated_at: DateTime<Utc>,
    /// A restricted key's permissions; `None`: [`api_key_permissions`].
    pub restricted_to: Option<PermissionSet>,
}

impl ApiKey {
    /// What the key may do on its account.
    pub fn permissions(&self) -> PermissionSet {
        self.restricted_to.unwrap_or_else(api_key_permissions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::account::{Account, AccountSettings, AccountStatus};
    use crate::policy::{Principal, Target, authorize, effective_permissions};
    use crate::role::{AccountRole, OrgRole};

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

    fn account(parent: Option<&AccountSid>) -> Account {
        Account {
            sid: AccountSid::generate(),
            name: "Acme".into(),
            status: AccountStatus::Active,
            organization_sid: None,
            parent_sid: parent.cloned(),
            settings: AccountSettings::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    /// ADR 0013's table: each credential holds no more than the weakest role that can obtain it
    /// (API keys: Developer; the auth token: Administrator, who rotates it), except that the
    /// auth token closes subaccounts, as Twilio's does.
    #[test]
    fn no_credential_does_more_than_the_people_who_can_obtain_it() {
        assert!(api_key_permissions().is_subset_of(AccountRole::Developer.permissions()));
        assert!(auth_token_permissions().is_subset_of(AccountRole::Administrator.permissions()));
        let org_admin = OrgRole::Administrator.permissions();
        assert!(crate::scim::scim_token_permissions().is_subset_of(org_admin));
        assert!(crate::oauth::oauth_app_permissions().is_subset_of(org_admin));
        let parent = account(None);
        let child = account(Some(&parent.sid));
        let token = Principal::Credential { grants: auth_token_grants(&parent.sid) };
        let key = Principal::Credential { grants: api_key_grants(&parent.sid, api_key_permissions()) };
        assert_eq!(effective_permissions(&token, Target::Account(&parent)), auth_token_permissions());
        assert_eq!(
            effective_permissions(&token, Target::Account(&child)),
            auth_token_permissions().with(Permission::AccountClose)
        );
        assert_eq!(effective_permissions(&key, Target::Account(&parent)), api_key_permissions());
        assert_eq!(effective_permissions(&key, Target::Account(&child)), PermissionSet::EMPTY);
        assert_eq!(
            authorize(&token, Permission::AccountClose, Target::Account(&parent)),
            Err(Error::MissingPermission(Permission::AccountClose))
        );
        assert_eq!(authorize(&token, Permission::AccountClose, Target::Account(&child)), Ok(()));
        let other = account(None);
        assert_eq!(authorize(&token, Permission::AccountRead, Target::Account(&other)), Err(Error::NotFound));
    }
}
