//! The permission catalogue (SPEC §2) and a compact set type for it.

use serde::Serialize;

/// Where a permission is asked: on an account or on an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScopeKind {
    Account,
    Organization,
}

macro_rules! permissions {
    ($($variant:ident = $name:literal, $kind:ident;)*) => {
        /// One thing a role may allow.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Permission { $($variant),* }

        impl Permission {
            /// Every permission, in catalogue order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),*];

            /// The dotted name used in APIs and custom-role definitions.
            pub fn name(self) -> &'static str {
                match self { $(Permission::$variant => $name),* }
            }

            /// Whether it is asked on an account or an organization.
            pub const fn scope_kind(self) -> ScopeKind {
                match self { $(Permission::$variant => ScopeKind::$kind),* }
            }

            /// Parses a dotted name.
            pub fn parse(s: &str) -> Option<Permission> {
                match s { $($name => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

permissions! {
    AccountRead = "account.read", Account;
    AccountSettingsWrite = "account.settings.write", Account;
    AccountClose = "account.close", Account;
    AccountOwnerTransfer = "account.owner.transfer", Account;
    UsersRead = "users.read", Account;
    UsersManage = "users.manage", Account;
    RolesAssign = "roles.assign", Account;
    BillingRead = "billing.read", Account;
    BillingWrite = "billing.write", Account;
    ApiKeysRead = "api_keys.read", Account;
    ApiKeysManage = "api_keys.manage", Account;
    LogsRead = "logs.read", Account;
    UsageRead = "usage.read", Account;
    ResourcesRead = "resources.read", Account;
    ResourcesWrite = "resources.write", Account;
    NotificationsManage = "notifications.manage", Account;
    SubaccountsManage = "subaccounts.manage", Account;
    AuditRead = "audit.read", Account;
    OrgRead = "org.read", Organization;
    OrgSettingsWrite = "org.settings.write", Organization;
    OrgUsersRead = "org.users.read", Organization;
    OrgUsersManage = "org.users.manage", Organization;
    OrgAccountsRead = "org.accounts.read", Organization;
    OrgAccountsCreate = "org.accounts.create", Organization;
    OrgAccountsManage = "org.accounts.manage", Organization;
    OrgRolesAssign = "org.roles.assign", Organization;
    OrgOwnerTransfer = "org.owner.transfer", Organization;
    OrgAuditRead = "org.audit.read", Organization;
    OrgDomainsManage = "org.domains.manage", Organization;
    OrgRolesManage = "org.roles.manage", Organization;
    AccessCheck = "access.check", Account;
}

impl Permission {
    /// What it allows, in a sentence (Twilio's role permissions list shows it).
    pub fn description(self) -> &'static str {
        match self {
            Permission::AccountRead => "See the account: its overview, settings and dashboards",
            Permission::AccountSettingsWrite => {
                "Change the account's name and security settings, suspend and reactivate it"
            }
            Permission::AccountClose => "Close the account for good",
            Permission::AccountOwnerTransfer => "Offer the account's ownership to another member",
            Permission::UsersRead => "See the account's users, their roles and pending invitations",
            Permission::UsersManage => "Invite users to the account, and remove them",
            Permission::RolesAssign => "Change the roles of the account's users",
            Permission::BillingRead => "See invoices and payment methods",
            Permission::BillingWrite => "Add, remove and choose payment methods",
            Permission::ApiKeysRead => "See the account's API keys",
            Permission::ApiKeysManage => "Create, rename and revoke API keys",
            Permission::LogsRead => "Read the account's logs",
            Permission::UsageRead => "Read the account's usage",
            Permission::ResourcesRead => "See product resources (phone numbers and the like)",
            Permission::ResourcesWrite => "Create, change and delete product resources",
            Permission::NotificationsManage => "Choose which roles receive which notices",
            Permission::SubaccountsManage => "Create, rename, suspend and close subaccounts",
            Permission::AuditRead => "Read the account's audit log",
            Permission::OrgRead => "See the organization",
            Permission::OrgSettingsWrite => "Change the organization's settings, SCIM tokens and OAuth apps",
            Permission::OrgUsersRead => "See the organization's users",
            Permission::OrgUsersManage => "Invite, change, deactivate and offboard the organization's users",
            Permission::OrgAccountsRead => "See the organization's accounts",
            Permission::OrgAccountsCreate => "Create accounts in the organization",
            Permission::OrgAccountsManage => "Import, suspend, close and remove the organization's accounts",
            Permission::OrgRolesAssign => "Give roles on the organization and its accounts",
            Permission::OrgOwnerTransfer => "Offer the organization's ownership to an Administrator",
            Permission::OrgAuditRead => "Read the organization's audit log",
            Permission::OrgDomainsManage => "Add, verify and remove the organization's domains",
            Permission::OrgRolesManage => "Define, change and delete the organization's custom roles",
            Permission::AccessCheck => {
                "Ask the permission-check API what the organization's users and credentials may do"
            }
        }
    }
}

const fn kind_mask(kind: ScopeKind) -> PermissionSet {
    let mut bits = 0u64;
    let mut i = 0;
    while i < Permission::ALL.len() {
        let p = Permission::ALL[i];
        if matches!(
            (p.scope_kind(), kind),
            (ScopeKind::Account, ScopeKind::Account) | (ScopeKind::Organization, ScopeKind::Organization)
        ) {
            bits |= 1u64 << (p as u8);
        }
        i += 1;
    }
    PermissionSet(bits)
}

const ACCOUNT_PERMISSIONS: PermissionSet = kind_mask(ScopeKind::Account);
const ORGANIZATION_PERMISSIONS: PermissionSet = kind_mask(ScopeKind::Organization);

/// A set of permissions as a bitmask: cheap to copy, union and test on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct PermissionSet(u64);

impl PermissionSet {
    /// The empty set.
    pub const EMPTY: PermissionSet = PermissionSet(0);

    /// The set of the given permissions.
    pub fn of(perms: &[Permission]) -> Self {
        perms.iter().fold(Self::EMPTY, |s, p| s.with(*p))
    }

    /// Every permission of one scope kind.
    pub fn all_of(kind: ScopeKind) -> Self {
        match kind {
            ScopeKind::Account => ACCOUNT_PERMISSIONS,
            ScopeKind::Organization => ORGANIZATION_PERMISSIONS,
        }
    }

    /// The set of one permission.
    pub const fn of_one(p: Permission) -> Self {
        PermissionSet(1u64 << (p as u8))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set as its bits (bit `n` is the `n`th permission of the catalogue).
    pub fn bits(self) -> u64 {
        self.0
    }

    /// The intersection of two sets.
    pub fn intersection(self, other: Self) -> Self {
        PermissionSet(self.0 & other.0)
    }

    /// This set plus `p`.
    pub fn with(self, p: Permission) -> Self {
        PermissionSet(self.0 | (1u64 << (p as u8)))
    }

    /// This set minus `p`.
    pub fn without(self, p: Permission) -> Self {
        PermissionSet(self.0 & !(1u64 << (p as u8)))
    }

    /// The union of two sets.
    pub fn union(self, other: Self) -> Self {
        PermissionSet(self.0 | other.0)
    }

    /// Whether `p` is in the set.
    pub fn contains(self, p: Permission) -> bool {
        self.0 & (1u64 << (p as u8)) != 0
    }

    /// Whether every permission of this set is also in `other`.
    pub fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set holds any permission of `kind`.
    pub fn any_of(self, kind: ScopeKind) -> bool {
        self.0 & Self::all_of(kind).0 != 0
    }

    /// The permissions in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.iter().copied().filter(move |p| self.contains(*p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_fits_the_bitmask_and_names_round_trip() {
        assert!(Permission::ALL.len() <= 64);
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()), Some(*p));
        }
    }

    #[test]
    fn sets_add_remove_and_test_membership() {
        let s = PermissionSet::of(&[Permission::UsersRead, Permission::LogsRead]);
        assert!(s.contains(Permission::UsersRead));
        assert!(!s.contains(Permission::UsersManage));
        assert!(!s.without(Permission::LogsRead).contains(Permission::LogsRead));
        assert_eq!(s.iter().count(), 2);
        assert!(s.any_of(ScopeKind::Account));
        assert!(!s.any_of(ScopeKind::Organization));
    }
}
