//! Use cases for an organization's custom roles: list, define, change and delete, by whoever
//! holds `org.roles.manage`, never holding more than they hold themselves (the escalation rule,
//! `policy::missing_permission`). A change reaches everyone holding the role at their next
//! request; deleting a role still assigned must say that its assignments end.

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::custom_role::{CustomRole, RoleDefinition, permission_names};
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::permission::{Permission, PermissionSet};
use gatehouse_domain::policy::{Actor, Principal, Target, authorize, missing_permission};
use gatehouse_domain::sid::{OrganizationSid, RoleSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::{App, principal};

/// Loads the actor's principal on the organization and checks `org.roles.manage`.
async fn role_manager(tx: &mut dyn Tx, actor: &Actor, org: &OrganizationSid) -> Result<Principal> {
    let p = principal(tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
    authorize(&p, Permission::OrgRolesManage, Target::Organization(org))?;
    Ok(p)
}

/// Refuses a role holding a permission the principal does not hold at `target` (it names it).
pub(crate) fn ensure_may_grant(p: &Principal, permissions: PermissionSet, target: Target<'_>) -> Result<()> {
    match missing_permission(p, permissions, target) {
        None => Ok(()),
        Some(missing) => Err(Error::Precondition(format!(
            "You cannot grant {} ({}): you do not hold it here yourself.",
            missing.name(),
            missing.description().to_lowercase()
        ))),
    }
}

/// What to do with a deleted role's assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignedRoleDeletion {
    /// Refuse while the role is assigned (say how many).
    Refuse,
    /// End every assignment of the role with it.
    EndAssignments,
}

impl App {
    /// The organization's custom roles, by name.
    pub async fn custom_roles(&self, actor: &Actor, org: &OrganizationSid) -> Result<Vec<CustomRole>> {
        let mut tx = self.store.read().await?;
        role_manager(&mut *tx, actor, org).await?;
        tx.organization_custom_roles(org).await
    }

    /// One of the organization's custom roles, with how many assignments grant it.
    pub async fn custom_role(&self, actor: &Actor, org: &OrganizationSid, sid: &RoleSid) -> Result<(CustomRole, u64)> {
        let mut tx = self.store.read().await?;
        role_manager(&mut *tx, actor, org).await?;
        let role = tx.custom_role(sid).await?.filter(|r| &r.organization_sid == org).ok_or(Error::NotFound)?;
        let assigned = tx.role_assignment_count(sid).await?;
        Ok((role, assigned))
    }

    /// Defines a custom role.
    pub async fn create_custom_role(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        definition: RoleDefinition,
    ) -> Result<CustomRole> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = role_manager(&mut *tx, actor, org).await?;
        ensure_may_grant(&p, definition.permissions, Target::Organization(org))?;
        let role = CustomRole {
            sid: RoleSid::generate(),
            organization_sid: org.clone(),
            name: definition.name,
            description: definition.description,
            kind: definition.kind,
            permissions: definition.permissions,
            created_at: now,
            updated_at: now,
        };
        tx.insert_custom_role(&role).await.map_err(|e| match e {
            Error::Conflict(_) => Error::invalid("name", "the organization has a role of this name already"),
            other => other,
        })?;
        tx.append_audit(
            &AuditEvent::new(actor, "role.created", role.sid.as_str(), now).in_organization(org).with_details(json!({
                "name": role.name, "kind": gatehouse_domain::custom_role::role_kind_key(role.kind),
                "permissions": permission_names(role.permissions),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Changes a custom role's name, description and permissions (its kind stays).
    pub async fn update_custom_role(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &RoleSid,
        definition: RoleDefinition,
    ) -> Result<CustomRole> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let p = role_manager(&mut *tx, actor, org).await?;
        let before = tx.custom_role(sid).await?.filter(|r| &r.organization_sid == org).ok_or(Error::NotFound)?;
        if definition.kind != before.kind {
            return Err(Error::invalid("kind", "a role's kind does not change: define a new role instead"));
        }
        ensure_may_grant(&p, definition.permissions, Target::Organization(org))?;
        let after = CustomRole {
            name: definition.name,
            description: definition.description,
            permissions: definition.permissions,
            updated_at: now,
            ..before.clone()
        };
        tx.update_custom_role(&after).await.map_err(|e| match e {
            Error::Conflict(_) => Error::invalid("name", "the organization has a role of this name already"),
            other => other,
        })?;
        tx.append_audit(&AuditEvent::new(actor, "role.changed", sid.as_str(), now).in_organization(org).with_details(
            json!({
                "name": { "from": before.name, "to": after.name },
                "permissions": { "from": permission_names(before.permissions), "to": permission_names(after.permissions) },
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a custom role. While it is assigned, `Refuse` says how many assignments grant it;
    /// `EndAssignments` ends them with it.
    pub async fn delete_custom_role(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &RoleSid,
        assigned: AssignedRoleDeletion,
    ) -> Result<u64> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        role_manager(&mut *tx, actor, org).await?;
        let role = tx.custom_role(sid).await?.filter(|r| &r.organization_sid == org).ok_or(Error::NotFound)?;
        let count = tx.role_assignment_count(sid).await?;
        if count > 0 && assigned == AssignedRoleDeletion::Refuse {
            return Err(Error::Precondition(format!(
                "{} is assigned {count} time{}: confirm that those assignments end with it.",
                role.name,
                if count == 1 { "" } else { "s" }
            )));
        }
        let ended = tx.delete_assignments_of_role(sid).await?;
        tx.delete_custom_role(org, sid).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "role.deleted", sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": role.name, "assignments_ended": ended })),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}
