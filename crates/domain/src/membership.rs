//! Role assignments (identity × role × scope, SPEC §2 "How access is stored") and the rules
//! for a user's set of roles on one account.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::policy::Reach;
use crate::role::{AccountRole, OrgRole};
use crate::sid::{AccountSid, GroupSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use crate::user::User;

/// Where a role assignment applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum ScopeRef {
    Account(AccountSid),
    Organization(OrganizationSid),
}

impl ScopeRef {
    /// The scope's SID as text.
    pub fn sid_str(&self) -> &str {
        match self {
            ScopeRef::Account(a) => a.as_str(),
            ScopeRef::Organization(o) => o.as_str(),
        }
    }
}

/// One stored grant of a role to a user at a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleAssignment {
    pub sid: RoleAssignmentSid,
    pub role_sid: RoleSid,
    pub user_sid: UserSid,
    pub scope: ScopeRef,
    /// On an account: whether it also reaches the account's subaccounts.
    pub with_subaccounts: bool,
    pub created_at: DateTime<Utc>,
}

impl RoleAssignment {
    /// A new assignment, created now.
    pub fn new(role_sid: RoleSid, user_sid: UserSid, scope: ScopeRef, now: DateTime<Utc>) -> Self {
        RoleAssignment {
            sid: RoleAssignmentSid::generate(),
            role_sid,
            user_sid,
            scope,
            with_subaccounts: false,
            created_at: now,
        }
    }

    /// How far it reaches.
    pub fn reach(&self) -> Reach {
        reach(self.with_subaccounts)
    }
}

/// The reach of an assignment made with or without the scope's subaccounts.
pub fn reach(with_subaccounts: bool) -> Reach {
    if with_subaccounts { Reach::WithSubaccounts } else { Reach::Scope }
}

/// A role granted to a group at a scope: each member of the group holds it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupAssignment {
    pub sid: RoleAssignmentSid,
    pub role_sid: RoleSid,
    pub group_sid: GroupSid,
    pub scope: ScopeRef,
    /// On an account: whether it also reaches the account's subaccounts.
    pub with_subaccounts: bool,
    pub created_at: DateTime<Utc>,
}

impl GroupAssignment {
    /// A new assignment, created now.
    pub fn new(role_sid: RoleSid, group_sid: GroupSid, scope: ScopeRef, now: DateTime<Utc>) -> Self {
        GroupAssignment {
            sid: RoleAssignmentSid::generate(),
            role_sid,
            group_sid,
            scope,
            with_subaccounts: false,
            created_at: now,
        }
    }

    /// How far it reaches.
    pub fn reach(&self) -> Reach {
        reach(self.with_subaccounts)
    }
}

/// A user with their roles on one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user: User,
    pub roles: Vec<AccountRole>,
}

impl Member {
    /// Whether this member is the account's Owner.
    pub fn is_owner(&self) -> bool {
        self.roles.contains(&AccountRole::Owner)
    }
}

/// A user as seen by an organization's admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgUser {
    pub user: User,
    /// The user's organization role, if they hold one.
    pub org_role: Option<OrgRole>,
    /// Whether the organization controls the user's lifecycle.
    pub managed: bool,
}

/// Applies SPEC §2's rules to a requested set of account roles for a non-Owner member:
/// at least one role; Owner only by transfer; choosing Administrator clears the others;
/// Developer, Billing Manager, Support and Viewer combine freely.
pub fn normalize_member_roles(requested: &[AccountRole]) -> Result<BTreeSet<AccountRole>, Error> {
    if requested.contains(&AccountRole::Owner) {
        return Err(Error::invalid("roles", "the Owner role changes only by transferring ownership"));
    }
    if requested.contains(&AccountRole::Administrator) {
        return Ok(BTreeSet::from([AccountRole::Administrator]));
    }
    let set: BTreeSet<AccountRole> = requested.iter().copied().collect();
    if set.is_empty() {
        return Err(Error::invalid("roles", "choose at least one role"));
    }
    Ok(set)
}

/// Refuses to change or remove the Owner's roles directly: ownership moves only by transfer,
/// so the account always has exactly one Owner.
pub fn ensure_not_owner(member_roles: &[AccountRole]) -> Result<(), Error> {
    if member_roles.contains(&AccountRole::Owner) {
        return Err(Error::Precondition(
            "the Owner's roles cannot be changed or removed; transfer ownership first".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountRole::*;

    #[test]
    fn role_combination_rules_follow_the_spec_table() {
        let cases: &[(&[AccountRole], Option<&[AccountRole]>)] = &[
            (&[], None),
            (&[Owner], None),
            (&[Owner, Developer], None),
            (&[Administrator], Some(&[Administrator])),
            (&[Administrator, Developer, Viewer], Some(&[Administrator])),
            (&[Developer], Some(&[Developer])),
            (&[Developer, BillingManager, Support, Viewer], Some(&[Developer, BillingManager, Support, Viewer])),
            (&[Viewer, Viewer], Some(&[Viewer])),
        ];
        for (input, expected) in cases {
            let got = normalize_member_roles(input).ok();
            let want = expected.map(|e| e.iter().copied().collect::<BTreeSet<_>>());
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn the_owner_cannot_be_changed_or_removed_directly() {
        assert!(matches!(ensure_not_owner(&[Owner]), Err(Error::Precondition(_))));
        assert_eq!(ensure_not_owner(&[Administrator]), Ok(()));
    }
}
