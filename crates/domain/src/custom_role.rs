//! Custom roles (SPEC §2 "Permissions and custom roles"): an organization defines a role as any
//! subset of the permission catalogue, for accounts or for the organization. Owner-only
//! permissions (closing an account, transferring an account's or the organization's ownership)
//! never go into a custom role. Built-in roles stay fixed beside them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::permission::{Permission, PermissionSet, ScopeKind};
use crate::sid::{OrganizationSid, RoleSid};
use crate::user::parse_name;

/// Permissions only an Owner holds: no custom role may carry them.
pub const OWNER_ONLY: [Permission; 3] =
    [Permission::AccountClose, Permission::AccountOwnerTransfer, Permission::OrgOwnerTransfer];

/// A role an organization defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomRole {
    pub sid: RoleSid,
    pub organization_sid: OrganizationSid,
    pub name: String,
    pub description: String,
    /// An account role (assigned on accounts) or an organization role (assigned on the
    /// organization; its account permissions reach the organization's managed accounts).
    pub kind: ScopeKind,
    pub permissions: PermissionSet,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A custom role's checked definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    pub name: String,
    pub description: String,
    pub kind: ScopeKind,
    pub permissions: PermissionSet,
}

/// Parses a role kind: `account` or `organization`.
pub fn parse_role_kind(raw: &str) -> Result<ScopeKind, Error> {
    match raw.trim() {
        "account" => Ok(ScopeKind::Account),
        "organization" => Ok(ScopeKind::Organization),
        _ => Err(Error::invalid("kind", "account or organization")),
    }
}

/// The key of a role kind, as [`parse_role_kind`] reads it.
pub fn role_kind_key(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Account => "account",
        ScopeKind::Organization => "organization",
    }
}

/// Checks a definition: a name (1–64 characters), a description (up to 500), at least one
/// permission, each known, none Owner-only, and an account role holding account permissions only.
pub fn check_definition(
    name: &str,
    description: &str,
    kind: ScopeKind,
    permission_names: &[&str],
) -> Result<RoleDefinition, Error> {
    let name = parse_name("name", name, 64)?;
    let description = description.trim().to_owned();
    if description.chars().count() > 500 || description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid("description", "at most 500 characters, without control characters"));
    }
    let mut permissions = PermissionSet::EMPTY;
    for raw in permission_names {
        let p = Permission::parse(raw.trim())
            .ok_or_else(|| Error::invalid("permissions", format!("{raw:?} is not a permission of the catalogue")))?;
        if OWNER_ONLY.contains(&p) {
            return Err(Error::invalid("permissions", format!("{} is the Owner's alone", p.name())));
        }
        if kind == ScopeKind::Account && p.scope_kind() == ScopeKind::Organization {
            return Err(Error::invalid(
                "permissions",
                format!("{} is an organization permission: make an organization role to grant it", p.name()),
            ));
        }
        permissions = permissions.with(p);
    }
    if permissions == PermissionSet::EMPTY {
        return Err(Error::invalid("permissions", "choose at least one permission"));
    }
    Ok(RoleDefinition { name, description, kind, permissions })
}

/// Stores a permission set as the catalogue's names, comma-separated (stable when the catalogue
/// grows).
pub fn permission_names(set: PermissionSet) -> String {
    set.iter().map(Permission::name).collect::<Vec<_>>().join(",")
}

/// Reads [`permission_names`] back; a name the catalogue no longer has is dropped.
pub fn permissions_from_names(text: &str) -> PermissionSet {
    text.split(',').filter_map(Permission::parse).fold(PermissionSet::EMPTY, PermissionSet::with)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_holds_known_non_owner_permissions_of_its_kind() {
        let ok =
            check_definition(" Support lead ", "Reads logs", ScopeKind::Account, &["logs.read", "users.read"]).unwrap();
        assert_eq!(ok.name, "Support lead");
        assert_eq!(ok.permissions, PermissionSet::of(&[Permission::LogsRead, Permission::UsersRead]));
        let org = check_definition("Auditor", "", ScopeKind::Organization, &["org.audit.read", "audit.read"]).unwrap();
        assert!(org.permissions.contains(Permission::AuditRead), "an organization role may carry account permissions");
        for (kind, perms, field) in [
            (ScopeKind::Account, vec!["logs.read", "account.close"], "permissions"),
            (ScopeKind::Organization, vec!["org.owner.transfer"], "permissions"),
            (ScopeKind::Account, vec!["org.users.read"], "permissions"),
            (ScopeKind::Account, vec!["logs.write"], "permissions"),
            (ScopeKind::Account, vec![], "permissions"),
        ] {
            let refused = check_definition("X", "", kind, &perms).unwrap_err();
            assert!(matches!(refused, Error::Invalid { field: f, .. } if f == field), "{perms:?}: {refused:?}");
        }
        assert!(check_definition(" ", "", ScopeKind::Account, &["logs.read"]).is_err());
    }

    #[test]
    fn permissions_round_trip_through_their_names() {
        let set = PermissionSet::of(&[Permission::LogsRead, Permission::OrgRolesManage, Permission::UsageRead]);
        assert_eq!(permissions_from_names(&permission_names(set)), set);
        assert_eq!(permissions_from_names(""), PermissionSet::EMPTY);
    }
}
