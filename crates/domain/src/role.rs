//! Built-in roles, their fixed SIDs (SPEC §2) and their permissions (one exhaustive match).

use serde::Serialize;

use crate::error::Error;
use crate::permission::{Permission as P, PermissionSet, ScopeKind};
use crate::sid::RoleSid;

/// A role on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AccountRole {
    Owner,
    Administrator,
    Developer,
    BillingManager,
    Support,
    Viewer,
}

/// A role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum OrgRole {
    Owner,
    Administrator,
    StandardUser,
}

/// Any built-in role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BuiltinRole {
    Account(AccountRole),
    Org(OrgRole),
}

impl AccountRole {
    /// All account roles, in display order.
    pub const ALL: [AccountRole; 6] = [
        AccountRole::Owner,
        AccountRole::Administrator,
        AccountRole::Developer,
        AccountRole::BillingManager,
        AccountRole::Support,
        AccountRole::Viewer,
    ];

    /// Roles an Owner or Administrator may hand out by changing roles (not Owner).
    pub const ASSIGNABLE: [AccountRole; 5] = [
        AccountRole::Administrator,
        AccountRole::Developer,
        AccountRole::BillingManager,
        AccountRole::Support,
        AccountRole::Viewer,
    ];

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            AccountRole::Owner => "Owner",
            AccountRole::Administrator => "Administrator",
            AccountRole::Developer => "Developer",
            AccountRole::BillingManager => "Billing Manager",
            AccountRole::Support => "Support",
            AccountRole::Viewer => "Viewer",
        }
    }

    /// A stable lowercase key for forms and APIs.
    pub fn key(self) -> &'static str {
        match self {
            AccountRole::Owner => "owner",
            AccountRole::Administrator => "administrator",
            AccountRole::Developer => "developer",
            AccountRole::BillingManager => "billing_manager",
            AccountRole::Support => "support",
            AccountRole::Viewer => "viewer",
        }
    }

    /// Parses a key as produced by [`AccountRole::key`].
    pub fn parse_key(s: &str) -> Result<Self, Error> {
        AccountRole::ALL
            .into_iter()
            .find(|r| r.key() == s)
            .ok_or_else(|| Error::invalid("roles", format!("unknown role {s:?}")))
    }

    /// The fixed SID (0101 Owner, 0102–0105 are Twilio's, 0106 Viewer).
    pub fn sid(self) -> RoleSid {
        BuiltinRole::Account(self).sid()
    }

    /// What the role allows on its account (and the account's subaccounts).
    pub fn permissions(self) -> PermissionSet {
        let all = PermissionSet::all_of(ScopeKind::Account);
        match self {
            AccountRole::Owner => all,
            AccountRole::Administrator => all.without(P::AccountClose).without(P::AccountOwnerTransfer),
            AccountRole::Developer => PermissionSet::of(&[
                P::AccountRead,
                P::ResourcesRead,
                P::ResourcesWrite,
                P::ApiKeysRead,
                P::ApiKeysManage,
                P::LogsRead,
                P::UsageRead,
            ]),
            AccountRole::BillingManager => {
                PermissionSet::of(&[P::AccountRead, P::BillingRead, P::BillingWrite, P::UsageRead])
            }
            AccountRole::Support => PermissionSet::of(&[P::AccountRead, P::LogsRead, P::UsageRead]),
            AccountRole::Viewer => PermissionSet::of(&[P::AccountRead, P::ResourcesRead, P::LogsRead, P::UsageRead]),
        }
    }
}

impl OrgRole {
    /// All organization roles, in display order.
    pub const ALL: [OrgRole; 3] = [OrgRole::Owner, OrgRole::Administrator, OrgRole::StandardUser];

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            OrgRole::Owner => "Owner",
            OrgRole::Administrator => "Administrator",
            OrgRole::StandardUser => "Standard User",
        }
    }

    /// The fixed SID (0201–0203).
    pub fn sid(self) -> RoleSid {
        BuiltinRole::Org(self).sid()
    }

    /// What the role allows: organization permissions, plus the account permissions that
    /// cascade to every account the organization manages.
    pub fn permissions(self) -> PermissionSet {
        let org = PermissionSet::all_of(ScopeKind::Organization);
        let accounts = PermissionSet::all_of(ScopeKind::Account);
        match self {
            OrgRole::Owner => org.union(accounts),
            OrgRole::Administrator => org.without(P::OrgOwnerTransfer).union(accounts),
            OrgRole::StandardUser => PermissionSet::of(&[P::OrgAccountsCreate]),
        }
    }
}

impl BuiltinRole {
    /// Every built-in role.
    pub const ALL: [BuiltinRole; 9] = [
        BuiltinRole::Account(AccountRole::Owner),
        BuiltinRole::Account(AccountRole::Administrator),
        BuiltinRole::Account(AccountRole::Developer),
        BuiltinRole::Account(AccountRole::BillingManager),
        BuiltinRole::Account(AccountRole::Support),
        BuiltinRole::Account(AccountRole::Viewer),
        BuiltinRole::Org(OrgRole::Owner),
        BuiltinRole::Org(OrgRole::Administrator),
        BuiltinRole::Org(OrgRole::StandardUser),
    ];

    fn code(self) -> u16 {
        match self {
            BuiltinRole::Account(AccountRole::Owner) => 101,
            BuiltinRole::Account(AccountRole::Administrator) => 102,
            BuiltinRole::Account(AccountRole::Developer) => 103,
            BuiltinRole::Account(AccountRole::BillingManager) => 104,
            BuiltinRole::Account(AccountRole::Support) => 105,
            BuiltinRole::Account(AccountRole::Viewer) => 106,
            BuiltinRole::Org(OrgRole::Owner) => 201,
            BuiltinRole::Org(OrgRole::Administrator) => 202,
            BuiltinRole::Org(OrgRole::StandardUser) => 203,
        }
    }

    /// The fixed SID.
    pub fn sid(self) -> RoleSid {
        RoleSid::builtin(self.code())
    }

    /// The built-in role with this SID, if any.
    pub fn from_sid(sid: &RoleSid) -> Option<BuiltinRole> {
        BuiltinRole::ALL.into_iter().find(|r| r.sid() == *sid)
    }

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Account(r) => r.name(),
            BuiltinRole::Org(r) => r.name(),
        }
    }

    /// Where the role is assigned.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            BuiltinRole::Account(_) => ScopeKind::Account,
            BuiltinRole::Org(_) => ScopeKind::Organization,
        }
    }

    /// What the role allows.
    pub fn permissions(self) -> PermissionSet {
        match self {
            BuiltinRole::Account(r) => r.permissions(),
            BuiltinRole::Org(r) => r.permissions(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every role × every permission, written out so a change to the mapping shows up here.
    #[test]
    fn every_role_has_exactly_the_permissions_of_the_table() {
        use crate::permission::Permission;
        // Columns: Owner, Administrator, Developer, BillingManager, Support, Viewer,
        //          OrgOwner, OrgAdministrator, StandardUser.
        let table: &[(Permission, [u8; 9])] = &[
            (P::AccountRead, [1, 1, 1, 1, 1, 1, 1, 1, 0]),
            (P::AccountSettingsWrite, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::AccountClose, [1, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::AccountOwnerTransfer, [1, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::UsersRead, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::UsersManage, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::RolesAssign, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::BillingRead, [1, 1, 0, 1, 0, 0, 1, 1, 0]),
            (P::BillingWrite, [1, 1, 0, 1, 0, 0, 1, 1, 0]),
            (P::ApiKeysRead, [1, 1, 1, 0, 0, 0, 1, 1, 0]),
            (P::ApiKeysManage, [1, 1, 1, 0, 0, 0, 1, 1, 0]),
            (P::LogsRead, [1, 1, 1, 0, 1, 1, 1, 1, 0]),
            (P::UsageRead, [1, 1, 1, 1, 1, 1, 1, 1, 0]),
            (P::ResourcesRead, [1, 1, 1, 0, 0, 1, 1, 1, 0]),
            (P::ResourcesWrite, [1, 1, 1, 0, 0, 0, 1, 1, 0]),
            (P::NotificationsManage, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::SubaccountsManage, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::AuditRead, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgRead, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgSettingsWrite, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgUsersRead, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgUsersManage, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgAccountsRead, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgAccountsCreate, [0, 0, 0, 0, 0, 0, 1, 1, 1]),
            (P::OrgAccountsManage, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgRolesAssign, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgOwnerTransfer, [0, 0, 0, 0, 0, 0, 1, 0, 0]),
            (P::OrgDomainsManage, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgAuditRead, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::OrgRolesManage, [0, 0, 0, 0, 0, 0, 1, 1, 0]),
            (P::AccessCheck, [1, 1, 0, 0, 0, 0, 1, 1, 0]),
        ];
        assert_eq!(table.len(), Permission::ALL.len(), "every permission has a row");
        for (perm, row) in table {
            for (role, expected) in BuiltinRole::ALL.iter().zip(row) {
                assert_eq!(role.permissions().contains(*perm), *expected == 1, "{role:?} × {perm:?}");
            }
        }
    }

    #[test]
    fn builtin_sids_are_the_fixed_ones_and_round_trip() {
        assert_eq!(AccountRole::Administrator.sid().as_str(), "IX00000000000000000000000000000102");
        assert_eq!(AccountRole::Support.sid().as_str(), "IX00000000000000000000000000000105");
        assert_eq!(OrgRole::StandardUser.sid().as_str(), "IX00000000000000000000000000000203");
        for r in BuiltinRole::ALL {
            assert_eq!(BuiltinRole::from_sid(&r.sid()), Some(r));
        }
    }

    #[test]
    fn role_keys_round_trip() {
        for r in AccountRole::ALL {
            assert_eq!(AccountRole::parse_key(r.key()), Ok(r));
        }
        assert!(AccountRole::parse_key("root").is_err());
    }
}
