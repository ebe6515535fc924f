//! What the store reads for the index: SIDs as their bits, whole or for one changed subject.

use super::{sid_bits, sid_text};
use crate::api_key::api_key_permissions;
use crate::oauth::oauth_app_permissions;
use crate::permission::PermissionSet;

/// A SID's scope as the index reads it: an organization's or an account's bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeBits {
    Organization(u128),
    Account(u128),
}

impl ScopeBits {
    /// An `OR…` or `AC…` SID's scope.
    pub fn parse(sid: &str) -> Option<ScopeBits> {
        let bits = sid_bits(sid)?;
        match sid.get(..2)? {
            "OR" => Some(ScopeBits::Organization(bits)),
            "AC" => Some(ScopeBits::Account(bits)),
            _ => None,
        }
    }

    /// Its SID.
    pub fn sid(self) -> String {
        match self {
            ScopeBits::Organization(b) => sid_text("OR", b),
            ScopeBits::Account(b) => sid_text("AC", b),
        }
    }
}

/// An account as the index reads it (SIDs as their bits, see [`sid_bits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountIn {
    pub sid: u128,
    pub parent: Option<u128>,
    pub organization: Option<u128>,
}

/// A custom role as the index reads it (the built-in roles are known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleIn {
    pub sid: u128,
    pub name: String,
    pub permissions: PermissionSet,
}

/// A role assignment of a user or a group (`holder`) at a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentIn {
    pub sid: u128,
    pub role: u128,
    pub holder: u128,
    pub scope: ScopeBits,
    pub with_subaccounts: bool,
}

/// An API key or an OAuth app, with what it holds at its one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialIn {
    pub sid: u128,
    pub scope: ScopeBits,
    pub permissions: PermissionSet,
}

impl CredentialIn {
    /// An API key of an account: `restricted` names its permissions, or it holds every key
    /// permission a key holds by default.
    pub fn api_key(sid: u128, account: u128, restricted: Option<PermissionSet>) -> CredentialIn {
        CredentialIn {
            sid,
            scope: ScopeBits::Account(account),
            permissions: restricted.unwrap_or_else(api_key_permissions),
        }
    }

    /// An OAuth app of an organization or of an account.
    pub fn oauth_app(sid: u128, owner: ScopeBits) -> CredentialIn {
        let permissions = match owner {
            ScopeBits::Organization(_) => oauth_app_permissions(),
            ScopeBits::Account(_) => api_key_permissions(),
        };
        CredentialIn { sid, scope: owner, permissions }
    }
}

/// What the store reads for the index: everything, or what one changed subject now is.
/// Only active users' assignments and memberships, and only live credentials, are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRows {
    pub accounts: Vec<AccountIn>,
    pub roles: Vec<RoleIn>,
    /// Groups that exist.
    pub groups: Vec<u128>,
    pub user_assignments: Vec<AssignmentIn>,
    pub group_assignments: Vec<AssignmentIn>,
    /// (group, user).
    pub memberships: Vec<(u128, u128)>,
    /// (account, organization): an independent account to which the organization holds
    /// standing access (ADR 0024).
    pub shares: Vec<(u128, u128)>,
    pub credentials: Vec<CredentialIn>,
    /// Users who are not active, whose assignments and memberships a whole load skips (a
    /// subject's rows leave them out in the query).
    pub inactive_users: Vec<u128>,
}

impl AccessRows {
    /// These rows and `other`'s.
    pub fn merge(mut self, other: AccessRows) -> AccessRows {
        self.accounts.extend(other.accounts);
        self.roles.extend(other.roles);
        self.groups.extend(other.groups);
        self.user_assignments.extend(other.user_assignments);
        self.group_assignments.extend(other.group_assignments);
        self.memberships.extend(other.memberships);
        self.shares.extend(other.shares);
        self.credentials.extend(other.credentials);
        self.inactive_users.extend(other.inactive_users);
        self
    }
}

/// A part of a whole load, read on its own connection so the parts load at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessPart {
    /// Accounts and their standing shares.
    Accounts,
    /// Users' assignments and memberships, and who is inactive.
    People,
    /// Custom roles, groups and their grants, live credentials.
    Rest,
}
