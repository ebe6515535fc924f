//! Role assignments as Twilio's Organizations API exposes them: identity × role × scope, where
//! the scope is the organization or one of its managed accounts. Assigning follows SPEC §2's
//! rules (Owner only by transfer; Administrator replaces the other account roles).

use std::collections::BTreeSet;

use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::{RoleAssignment, ScopeRef, normalize_member_roles};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::{Permission, ScopeKind};
use gatehouse_domain::policy::{Actor, Target};
use gatehouse_domain::role::{AccountRole, BuiltinRole, OrgRole};
use gatehouse_domain::sid::{OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;
use crate::custom_roles::ensure_may_grant;
use crate::members::{grant_roles, roles_of};
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

impl App {
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

    /// Assigns a role: an account role (not Owner) on a managed account, or Administrator /
    /// Standard User on the organization, to a managed user. Returns the new assignment.
    pub async fn create_org_role_assignment(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        role: &RoleSid,
        scope: &ScopeRef,
        identity: &UserSid,
    ) -> Result<RoleAssignment> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgRolesAssign).await?;
        managed_user(&mut *tx, org, identity)
            .await
            .map_err(|_| Error::invalid("identity", "not a user of this organization"))?;
        let account = org_scope(&mut *tx, org, scope).await.map_err(|_| {
            Error::invalid("scope", "the scope must be this organization or one of its managed accounts")
        })?;
        // The escalation rule: the role's permissions must all be the actor's at that scope.
        let p = match &account {
            Some(a) => crate::account_principal(&mut *tx, actor, a).await?,
            None => crate::principal(&mut *tx, actor, std::slice::from_ref(scope)).await?,
        };
        let target = match &account {
            Some(a) => Target::Account(a),
            None => Target::Organization(org),
        };
        let Some(builtin) = BuiltinRole::from_sid(role) else {
            let custom = tx
                .custom_role(role)
                .await?
                .filter(|r| &r.organization_sid == org)
                .ok_or_else(|| Error::invalid("role_sid", "unknown role"))?;
            let fits =
                matches!((custom.kind, &account), (ScopeKind::Account, Some(_)) | (ScopeKind::Organization, None));
            if !fits {
                return Err(Error::invalid("role_sid", "this role does not apply to this scope"));
            }
            ensure_may_grant(&p, custom.permissions, target)?;
            if let Some(a) = &account {
                tx.lock_account(&a.sid).await?.ok_or(Error::NotFound)?.ensure_active()?;
            }
            tx.insert_assignment(&RoleAssignment::new(role.clone(), identity.clone(), scope.clone(), now))
                .await
                .map_err(|e| match e {
                    Error::Conflict(_) => Error::Conflict("this role is already assigned".into()),
                    other => other,
                })?;
            return self.finish_assignment(tx, actor, org, role, scope, identity, now).await;
        };
        ensure_may_grant(&p, builtin.permissions(), target)?;
        match (builtin, &account) {
            (BuiltinRole::Account(AccountRole::Owner), _) | (BuiltinRole::Org(OrgRole::Owner), _) => {
                return Err(Error::invalid("role_sid", "the Owner role changes only by transferring ownership"));
            }
            (BuiltinRole::Account(r), Some(account)) => {
                let locked = tx.lock_account(&account.sid).await?.ok_or(Error::NotFound)?;
                locked.ensure_active()?;
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
                tx.delete_user_assignments(scope, identity).await?;
                grant_roles(&mut *tx, &locked.sid, identity, next, now).await?;
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
                tx.delete_user_assignments(scope, identity).await?;
                tx.insert_assignment(&RoleAssignment::new(r.sid(), identity.clone(), scope.clone(), now)).await?;
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
                .with_details(json!({ "role": role, "scope": scope.sid_str(), "identity": identity })),
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
