//! Role assignments as Twilio's Organizations API exposes them: identity × role × scope, where
//! the scope is the organization or one of its managed accounts. Assigning follows SPEC §2's
//! rules (Owner only by transfer; Administrator replaces the other account roles).

use std::collections::BTreeSet;

use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::{GroupAssignment, RoleAssignment, ScopeRef, normalize_member_roles};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::{Permission, ScopeKind};
use gatehouse_domain::policy::{Actor, Target};
use gatehouse_domain::role::{AccountRole, BuiltinRole, OrgRole};
use gatehouse_domain::sid::{GroupSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;
use crate::custom_roles::ensure_may_grant;
use crate::members::{roles_of, set_account_roles};
use crate::org_users::{authorize_org, managed_user};

/// A scope of the organization: itself, or an account it manages (else NotFound).
async fn org_scope(tx: &mut dyn Tx, org: &OrganizationSid, scope: &ScopeRef) -> Result<Option<Account>> {
    match scope {
        ScopeRef::Organization(o) if o == org => Ok(None),
        ScopeRef::Organization(_) => Err(Error::NotFound),
        ScopeRef::Account(a) => {
            let account = tx.account(a).await?.filter(|acc| acc.organization_sid.as_ref() == Some(org));
            account.map(Some).ok_or(Error::NotFound)
        }
    }
}

fn already_assigned(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict("this role is already assigned".into()),
        other => other,
    }
}

/// Checks that `role` may be granted at `scope` of the organization by the actor: the scope is
/// the organization or one of its active managed accounts; the role is built-in (not an Owner
/// role) or one of the organization's custom roles, and fits the scope (an account role on an
/// account, an organization role on the organization); and it holds nothing the actor does not
/// hold there (the escalation rule). Returns the scope's account, locked (`None`: the
/// organization), and the built-in role, if it is one.
async fn check_grant(
    tx: &mut dyn Tx,
    actor: &Actor,
    org: &OrganizationSid,
    role: &RoleSid,
    scope: &ScopeRef,
    with_subaccounts: bool,
) -> Result<(Option<Account>, Option<BuiltinRole>)> {
    if with_subaccounts && matches!(scope, ScopeRef::Organization(_)) {
        return Err(Error::invalid(
            "with_subaccounts",
            "an assignment on the organization reaches every managed account and their subaccounts already",
        ));
    }
    let account = org_scope(tx, org, scope)
        .await
        .map_err(|_| Error::invalid("scope", "the scope must be this organization or one of its managed accounts"))?;
    let (kind, permissions, builtin) = match BuiltinRole::from_sid(role) {
        Some(BuiltinRole::Account(AccountRole::Owner) | BuiltinRole::Org(OrgRole::Owner)) => {
            return Err(Error::invalid("role_sid", "the Owner role changes only by transferring ownership"));
        }
        Some(b) => (b.scope_kind(), b.permissions(), Some(b)),
        None => {
            let custom = tx
                .custom_role(role)
                .await?
                .filter(|r| &r.organization_sid == org)
                .ok_or_else(|| Error::invalid("role_sid", "unknown role"))?;
            (custom.kind, custom.permissions, None)
        }
    };
    // An account role on the organization reaches every account it manages (and their
    // subaccounts, later ones included); an organization role applies to the organization only.
    if kind == ScopeKind::Organization && account.is_some() {
        return Err(Error::invalid("role_sid", "this role does not apply to this scope"));
    }
    // The account, locked for the change and active.
    let account = match account {
        Some(a) => {
            let locked = tx.lock_account(&a.sid).await?.ok_or(Error::NotFound)?;
            locked.ensure_active()?;
            Some(locked)
        }
        None => None,
    };
    let (p, target) = match &account {
        Some(a) => (crate::account_principal(tx, actor, a).await?, Target::Account(a)),
        None => (crate::principal(tx, actor, std::slice::from_ref(scope)).await?, Target::Organization(org)),
    };
    ensure_may_grant(&p, permissions, target)?;
    Ok((account, builtin))
}

impl App {
    /// Grants a role (built-in but not Owner, or one of the organization's custom roles) to one
    /// of its groups at a scope: every member holds it there, and joining or leaving the group
    /// (also through SCIM) changes their access at their next request.
    pub async fn create_group_role_assignment(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        role: &RoleSid,
        scope: &ScopeRef,
        with_subaccounts: bool,
        group: &GroupSid,
    ) -> Result<GroupAssignment> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgRolesAssign).await?;
        tx.group(org, group).await?.ok_or_else(|| Error::invalid("identity", "not a group of this organization"))?;
        check_grant(&mut *tx, actor, org, role, scope, with_subaccounts).await?;
        let assignment = GroupAssignment {
            with_subaccounts,
            ..GroupAssignment::new(role.clone(), group.clone(), scope.clone(), now)
        };
        tx.insert_group_assignment(&assignment).await.map_err(already_assigned)?;
        tx.append_audit(
            &AuditEvent::new(actor, "role_assignment.created", assignment.sid.as_str(), now)
                .in_organization(org)
                .with_details(
                    json!({ "role": role, "scope": scope.sid_str(), "with_subaccounts": with_subaccounts, "group": group }),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(assignment)
    }

    /// The roles granted to one of the organization's groups.
    pub async fn group_role_assignments(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        group: &GroupSid,
    ) -> Result<Vec<GroupAssignment>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        tx.group(org, group).await?.ok_or(Error::NotFound)?;
        tx.group_assignments(group).await
    }

    /// The organization's role assignments of an identity and/or at a scope (at least one).
    pub async fn org_role_assignments(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        identity: Option<&UserSid>,
        scope: Option<&ScopeRef>,
    ) -> Result<Vec<RoleAssignment>> {
        if identity.is_none() && scope.is_none() {
            return Err(Error::invalid("Identity", "give Identity and/or Scope"));
        }
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        if let Some(scope) = scope {
            org_scope(&mut *tx, org, scope).await?;
        }
        let mut out = Vec::new();
        if let Some(user) = identity {
            managed_user(&mut *tx, org, user).await?;
            for a in tx.all_user_assignments(user).await? {
                let in_org = org_scope(&mut *tx, org, &a.scope).await.is_ok();
                if in_org && scope.is_none_or(|s| s == &a.scope) {
                    out.push(a);
                }
            }
        } else if let Some(scope) = scope {
            let mut after = None;
            loop {
                let page = tx.scope_assignments(scope, &PageRequest { after, limit: 200, search: None }).await?;
                out.extend(page.items);
                match page.next_after {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// Assigns a role to a managed user: an account role (not Owner) on a managed account, or on
    /// the organization (then on every account it manages, later ones included); Administrator,
    /// Standard User or a custom organization role on the organization. Returns the assignment.
    pub async fn create_org_role_assignment(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        role: &RoleSid,
        scope: &ScopeRef,
        with_subaccounts: bool,
        identity: &UserSid,
    ) -> Result<RoleAssignment> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgRolesAssign).await?;
        managed_user(&mut *tx, org, identity)
            .await
            .map_err(|_| Error::invalid("identity", "not a user of this organization"))?;
        let (account, builtin) = check_grant(&mut *tx, actor, org, role, scope, with_subaccounts).await?;
        let new = |role: RoleSid| RoleAssignment {
            with_subaccounts,
            ..RoleAssignment::new(role, identity.clone(), scope.clone(), now)
        };
        let Some(builtin) = builtin else {
            tx.insert_assignment(&new(role.clone())).await.map_err(already_assigned)?;
            return self.finish_assignment(tx, actor, org, role, scope, identity, now).await;
        };
        match (builtin, &account) {
            (BuiltinRole::Account(r), Some(locked)) => {
                let existing = roles_of(&mut *tx, &locked.sid, identity).await?;
                if existing.contains(&AccountRole::Owner) {
                    return Err(Error::Conflict("this user is the account's Owner, which holds every role".into()));
                }
                if existing.contains(&r) {
                    return Err(Error::Conflict("this role is already assigned".into()));
                }
                let wanted: Vec<AccountRole> = existing.iter().copied().chain([r]).collect();
                let next: BTreeSet<AccountRole> = normalize_member_roles(&wanted)?;
                if !next.contains(&r) {
                    return Err(Error::Precondition(
                        "The user is an Administrator, which includes this role; remove Administrator first.".into(),
                    ));
                }
                // The other roles keep their assignments; the new one reaches as asked.
                set_account_roles(&mut *tx, &locked.sid, identity, next.into_iter().filter(|n| *n != r), now).await?;
                tx.insert_assignment(&new(r.sid())).await?;
            }
            (BuiltinRole::Org(r), None) => {
                if tx
                    .user_assignments(identity, std::slice::from_ref(scope))
                    .await?
                    .iter()
                    .any(|a| a.role_sid == OrgRole::Owner.sid())
                {
                    return Err(Error::Conflict("this user is the organization's Owner".into()));
                }
                tx.delete_user_builtin_assignments(scope, identity).await?;
                tx.insert_assignment(&RoleAssignment::new(r.sid(), identity.clone(), scope.clone(), now)).await?;
            }
            (BuiltinRole::Account(r), None) => {
                tx.insert_assignment(&new(r.sid())).await.map_err(already_assigned)?;
            }
            _ => return Err(Error::invalid("role_sid", "this role does not apply to this scope")),
        }
        self.finish_assignment(tx, actor, org, role, scope, identity, now).await
    }

    /// Reads back the assignment just made, audits it and commits.
    #[allow(clippy::too_many_arguments)]
    async fn finish_assignment(
        &self,
        mut tx: Box<dyn gatehouse_domain::store::Tx>,
        actor: &Actor,
        org: &OrganizationSid,
        role: &RoleSid,
        scope: &ScopeRef,
        identity: &UserSid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<RoleAssignment> {
        let created = tx
            .user_assignments(identity, std::slice::from_ref(scope))
            .await?
            .into_iter()
            .find(|a| &a.role_sid == role)
            .ok_or_else(|| Error::Internal("the new assignment is missing".into()))?;
        tx.append_audit(
            &AuditEvent::new(actor, "role_assignment.created", created.sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({
                    "role": role,
                    "scope": scope.sid_str(),
                    "with_subaccounts": created.with_subaccounts,
                    "identity": identity,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Removes one of the organization's assignments (not an Owner's: ownership moves only by
    /// transfer).
    pub async fn delete_org_role_assignment(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &RoleAssignmentSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgRolesAssign).await?;
        if let Some(granted) = tx.group_assignment(sid).await? {
            // A group's grant: its group must be this organization's.
            let group = tx.group(org, &granted.group_sid).await?.ok_or(Error::NotFound)?;
            tx.delete_group_assignment(sid).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "role_assignment.deleted", sid.as_str(), now)
                    .in_organization(org)
                    .with_details(
                        json!({ "role": granted.role_sid, "scope": granted.scope.sid_str(), "group": group.sid }),
                    ),
            )
            .await?;
            return tx.commit().await;
        }
        let assignment = tx.role_assignment(sid).await?.ok_or(Error::NotFound)?;
        org_scope(&mut *tx, org, &assignment.scope).await?;
        if assignment.role_sid == AccountRole::Owner.sid() || assignment.role_sid == OrgRole::Owner.sid() {
            return Err(Error::Precondition("The Owner's role changes only by transferring ownership.".into()));
        }
        tx.delete_role_assignment(sid).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "role_assignment.deleted", sid.as_str(), now).in_organization(org).with_details(
                json!({ "role": assignment.role_sid, "scope": assignment.scope.sid_str(), "identity": assignment.user_sid }),
            ),
        )
        .await?;
        tx.commit().await
    }
}
