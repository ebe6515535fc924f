//! Offboarding (SPEC §3 and §4): removing a user from an organization, or deleting them, in
//! one transaction after a preview, leaving a stored report. The rules for the admin's choices
//! live here; the use case gathers the facts and applies the plan.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::account::Account;
use crate::error::Error;
use crate::sid::{AccountSid, ApiKeySid, OffboardingSid, OrganizationSid, UserSid};
use crate::user::Email;

/// What happens to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OffboardingKind {
    /// Removed from the organization: the login survives as an independent user.
    Removed,
    /// Deleted: the same, then the user's personal data is erased.
    Deleted,
}

impl OffboardingKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            OffboardingKind::Removed => "removed",
            OffboardingKind::Deleted => "deleted",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "removed" => Ok(OffboardingKind::Removed),
            "deleted" => Ok(OffboardingKind::Deleted),
            _ => Err(Error::invalid("kind", "must be removed or deleted")),
        }
    }
}

/// The admin's choice for one account the departing user owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "choice", content = "heir")]
pub enum OwnedAccountChoice {
    /// A managed user of the organization becomes the Owner; the account stays managed.
    Heir(UserSid),
    /// The departing user stays the Owner and the account leaves the organization's control.
    KeepOwner,
}

impl OwnedAccountChoice {
    /// Parses a form or API value: `keep_owner` (or `keep`), or an heir's user SID.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        match raw.trim() {
            "keep_owner" | "keep" => Ok(OwnedAccountChoice::KeepOwner),
            "" => Err(Error::invalid("accounts", "choose a new Owner, or keep the user as Owner")),
            sid => UserSid::parse(sid)
                .map(OwnedAccountChoice::Heir)
                .map_err(|_| Error::invalid("accounts", "a new Owner is a user SID (US…), or keep_owner")),
        }
    }
}

/// The admin's choices: one per owned account, and the keys to keep (all others are revoked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffboardingPlan {
    pub accounts: BTreeMap<AccountSid, OwnedAccountChoice>,
    pub keep_keys: BTreeSet<ApiKeySid>,
}

/// Checks a plan against what the preview listed: every owned account has a choice, no
/// choice names another account, a deleted user keeps nothing, a subaccount cannot leave
/// without its parent, and only listed keys are kept. Heirs are checked by the use case.
pub fn check_plan(
    kind: OffboardingKind,
    owned: &[Account],
    keys: &BTreeSet<ApiKeySid>,
    plan: &OffboardingPlan,
) -> Result<(), Error> {
    for account in owned {
        match plan.accounts.get(&account.sid) {
            None => {
                return Err(Error::invalid(
                    "accounts",
                    format!("choose a new Owner for {} ({}), or keep the user as its Owner", account.name, account.sid),
                ));
            }
            Some(OwnedAccountChoice::KeepOwner) if kind == OffboardingKind::Deleted => {
                return Err(Error::invalid(
                    "accounts",
                    format!("a deleted user cannot keep {}: choose a managed user as its new Owner", account.name),
                ));
            }
            Some(OwnedAccountChoice::KeepOwner) if account.parent_sid.is_some() => {
                return Err(Error::invalid(
                    "accounts",
                    format!(
                        "{} is a subaccount and stays with its parent's organization: choose a new Owner",
                        account.name
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = plan.accounts.keys().find(|sid| !owned.iter().any(|a| &a.sid == *sid)) {
        return Err(Error::invalid(
            "accounts",
            format!("{extra} is not an account this user owns in the organization"),
        ));
    }
    if let Some(extra) = plan.keep_keys.iter().find(|k| !keys.contains(*k)) {
        return Err(Error::invalid("keys", format!("{extra} is not a key this user created in the organization")));
    }
    Ok(())
}

/// The stored record of one offboarding; `details` lists every account, key, membership,
/// session and invitation it touched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffboardingReport {
    pub sid: OffboardingSid,
    pub organization_sid: OrganizationSid,
    pub user_sid: UserSid,
    pub kind: OffboardingKind,
    /// Who did it (as in the audit log).
    pub actor: String,
    pub created_at: DateTime<Utc>,
    pub details: serde_json::Value,
}

/// The name a deleted user's row keeps.
pub const ERASED_NAME: &str = "Deleted user";

/// The address a deleted user's row keeps: derived from the SID alone, under the reserved
/// `.invalid` top-level domain, so the real address is free to sign up again.
pub fn erased_email(user: &UserSid) -> Result<Email, Error> {
    Email::parse(&format!("{}@erased.invalid", user.as_str().to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, parent: Option<AccountSid>) -> Account {
        Account::new(name.into(), Some(OrganizationSid::generate()), parent, Utc::now())
    }

    #[test]
    fn every_owned_account_needs_a_choice_and_deleted_users_keep_nothing() {
        let a = account("A", None);
        let sub = account("Sub", Some(AccountSid::generate()));
        let heir = OwnedAccountChoice::Heir(UserSid::generate());
        let owned = vec![a.clone(), sub.clone()];
        let keys = BTreeSet::new();
        let mut plan = OffboardingPlan::default();
        plan.accounts.insert(a.sid.clone(), OwnedAccountChoice::KeepOwner);
        assert!(check_plan(OffboardingKind::Removed, &owned, &keys, &plan).is_err(), "Sub has no choice");
        plan.accounts.insert(sub.sid.clone(), OwnedAccountChoice::KeepOwner);
        assert!(check_plan(OffboardingKind::Removed, &owned, &keys, &plan).is_err(), "a subaccount cannot leave");
        plan.accounts.insert(sub.sid.clone(), heir.clone());
        assert_eq!(check_plan(OffboardingKind::Removed, &owned, &keys, &plan), Ok(()));
        assert!(check_plan(OffboardingKind::Deleted, &owned, &keys, &plan).is_err(), "deleted users keep nothing");
        plan.accounts.insert(a.sid.clone(), heir.clone());
        assert_eq!(check_plan(OffboardingKind::Deleted, &owned, &keys, &plan), Ok(()));
        plan.accounts.insert(AccountSid::generate(), heir);
        assert!(check_plan(OffboardingKind::Deleted, &owned, &keys, &plan).is_err(), "foreign account");
    }

    #[test]
    fn only_listed_keys_can_be_kept() {
        let key = ApiKeySid::generate();
        let keys = BTreeSet::from([key.clone()]);
        let mut plan = OffboardingPlan { keep_keys: BTreeSet::from([key]), ..Default::default() };
        assert_eq!(check_plan(OffboardingKind::Removed, &[], &keys, &plan), Ok(()));
        plan.keep_keys.insert(ApiKeySid::generate());
        assert!(check_plan(OffboardingKind::Removed, &[], &keys, &plan).is_err());
    }

    #[test]
    fn the_erased_address_is_valid_and_names_no_one() {
        let sid = UserSid::generate();
        let e = erased_email(&sid).unwrap();
        assert_eq!(e.domain(), "erased.invalid");
        assert!(e.as_str().starts_with(&sid.as_str().to_lowercase()));
    }
}
