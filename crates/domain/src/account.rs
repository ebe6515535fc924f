//! Accounts (= projects): exactly one Owner, a status, settings, an optional parent.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{AccountSid, OrganizationSid};
use crate::user::parse_name;

/// An account's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Active,
    Suspended,
    Closed,
}

impl AccountStatus {
    /// The stored and displayed form (Twilio's `status` values).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "active" => Ok(AccountStatus::Active),
            "suspended" => Ok(AccountStatus::Suspended),
            "closed" => Ok(AccountStatus::Closed),
            _ => Err(Error::invalid("status", "must be active, suspended or closed")),
        }
    }
}

/// Per-account security settings. Defaults are the SPEC's: 2FA not required, webhooks must
/// use HTTPS, public-key client validation not required. Not inherited by new accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AccountSettings {
    pub require_two_factor: bool,
    pub require_https_webhooks: bool,
    pub require_public_key_validation: bool,
}

impl Default for AccountSettings {
    fn default() -> Self {
        AccountSettings {
            require_two_factor: false,
            require_https_webhooks: true,
            require_public_key_validation: false,
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub sid: AccountSid,
    pub name: String,
    pub status: AccountStatus,
    /// Set for a managed account.
    pub organization_sid: Option<OrganizationSid>,
    /// Set for a subaccount.
    pub parent_sid: Option<AccountSid>,
    pub settings: AccountSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    /// A new active account with the default settings: custom settings are not inherited
    /// from a parent or an organization (SPEC §1).
    pub fn new(
        name: String,
        organization_sid: Option<OrganizationSid>,
        parent_sid: Option<AccountSid>,
        now: DateTime<Utc>,
    ) -> Self {
        Account {
            sid: AccountSid::generate(),
            name,
            status: AccountStatus::Active,
            organization_sid,
            parent_sid,
            settings: AccountSettings::default(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The accounts whose grants also apply here (a subaccount's parent).
    pub fn ancestors(&self) -> Vec<AccountSid> {
        self.parent_sid.iter().cloned().collect()
    }

    /// Refuses changes to an account that is not active.
    pub fn ensure_active(&self) -> Result<(), Error> {
        match self.status {
            AccountStatus::Active => Ok(()),
            AccountStatus::Suspended => Err(Error::Precondition(
                "This account is suspended: its console and API keys are refused until an Owner or Administrator \
                 reactivates it."
                    .into(),
            )),
            AccountStatus::Closed => Err(Error::Precondition("This account is closed. Closing is final.".into())),
        }
    }

    /// Checks that `self` may become the parent of a new subaccount: Twilio allows one level.
    pub fn ensure_can_parent(&self) -> Result<(), Error> {
        self.ensure_active()?;
        if self.parent_sid.is_some() {
            return Err(Error::invalid("parent_sid", "a subaccount cannot have subaccounts of its own"));
        }
        Ok(())
    }
}

/// An account's friendly name: 1–64 characters (Twilio's FriendlyName limit).
pub fn parse_account_name(raw: &str) -> Result<String, Error> {
    parse_name("name", raw, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_the_spec_defaults() {
        let s = AccountSettings::default();
        assert!(!s.require_two_factor);
        assert!(s.require_https_webhooks);
        assert!(!s.require_public_key_validation);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [AccountStatus::Active, AccountStatus::Suspended, AccountStatus::Closed] {
            assert_eq!(AccountStatus::parse(s.as_str()), Ok(s));
        }
        assert!(AccountStatus::parse("gone").is_err());
    }
}
