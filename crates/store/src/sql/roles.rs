//! SQL for custom roles, kept in the `roles` table beside the built-in ones.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::custom_role::{
    CustomRole, parse_role_kind, permission_names, permissions_from_names, role_kind_key,
};
use gatehouse_domain::membership::{GroupAssignment, ScopeRef};
use gatehouse_domain::sid::{AccountSid, GroupSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use gatehouse_domain::store::RolesTx;
use sqlx::AssertSqlSafe;

use super::EngineTx;
use super::rows::{Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, organization_sid, name, description, scope_kind, permissions, created_at, updated_at"
    };
}

macro_rules! group_columns {
    () => {
        "sid, role_sid, group_sid, scope_sid, with_subaccounts, created_at"
    };
}

fn group_assignment(r: &Row) -> Result<GroupAssignment> {
    let scope: String = get(r, "scope_sid")?;
    let scope = if scope.starts_with(OrganizationSid::PREFIX) {
        ScopeRef::Organization(OrganizationSid::parse(&scope).map_err(corrupt)?)
    } else {
        ScopeRef::Account(AccountSid::parse(&scope).map_err(corrupt)?)
    };
    Ok(GroupAssignment {
        sid: RoleAssignmentSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        role_sid: RoleSid::parse(&get::<String>(r, "role_sid")?).map_err(corrupt)?,
        group_sid: GroupSid::parse(&get::<String>(r, "group_sid")?).map_err(corrupt)?,
        scope,
        with_subaccounts: get(r, "with_subaccounts")?,
        created_at: get(r, "created_at")?,
    })
}

fn custom_role(r: &Row) -> Result<CustomRole> {
    let org: Option<String> = get(r, "organization_sid")?;
    Ok(CustomRole {
        sid: RoleSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&org.unwrap_or_default()).map_err(corrupt)?,
        name: get(r, "name")?,
        description: get(r, "description")?,
        kind: parse_role_kind(&get::<String>(r, "scope_kind")?).map_err(corrupt)?,
        permissions: permissions_from_names(&get::<String>(r, "permissions")?),
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

#[async_trait]
impl RolesTx for EngineTx {
    async fn insert_custom_role(&mut self, role: &CustomRole) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO roles (",
            columns!(),
            ", builtin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE)"
        ))
        .bind(role.sid.as_str())
        .bind(role.organization_sid.as_str())
        .bind(&role.name)
        .bind(&role.description)
        .bind(role_kind_key(role.kind))
        .bind(permission_names(role.permissions))
        .bind(role.created_at)
        .bind(role.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn custom_role(&mut self, sid: &RoleSid) -> Result<Option<CustomRole>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM roles WHERE sid = $1 AND NOT builtin"))
            .bind(sid.as_str())
            .optional(&mut self.tx, custom_role)
            .await
    }

    async fn custom_roles_by_sids(&mut self, sids: &[RoleSid]) -> Result<Vec<CustomRole>> {
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=sids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(concat!("SELECT ", columns!(), " FROM roles WHERE NOT builtin AND sid IN ({})"), list);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for sid in sids {
            query = query.bind(sid.as_str());
        }
        query.all(&mut self.tx, custom_role).await
    }

    async fn organization_custom_roles(&mut self, org: &OrganizationSid) -> Result<Vec<CustomRole>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM roles WHERE organization_sid = $1 ORDER BY name, sid"))
            .bind(org.as_str())
            .all(&mut self.tx, custom_role)
            .await
    }

    async fn update_custom_role(&mut self, role: &CustomRole) -> Result<()> {
        sqlx::query(
            "UPDATE roles SET name = $3, description = $4, permissions = $5, updated_at = $6 \
             WHERE organization_sid = $1 AND sid = $2 AND NOT builtin",
        )
        .bind(role.organization_sid.as_str())
        .bind(role.sid.as_str())
        .bind(&role.name)
        .bind(&role.description)
        .bind(permission_names(role.permissions))
        .bind(role.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn delete_custom_role(&mut self, org: &OrganizationSid, sid: &RoleSid) -> Result<u64> {
        sqlx::query("DELETE FROM roles WHERE organization_sid = $1 AND sid = $2 AND NOT builtin")
            .bind(org.as_str())
            .bind(sid.as_str())
            .affected(&mut self.tx)
            .await
    }

    async fn role_assignment_count(&mut self, role: &RoleSid) -> Result<u64> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM role_assignments WHERE role_sid = $1) \
                  + (SELECT COUNT(*) FROM group_role_assignments WHERE role_sid = $1) AS n",
        )
        .bind(role.as_str())
        .row(&mut self.tx)
        .await?;
        Ok(row.map(|r| get::<i64>(&r, "n")).transpose()?.unwrap_or(0).try_into().unwrap_or(0))
    }

    async fn delete_assignments_of_role(&mut self, role: &RoleSid) -> Result<u64> {
        let users = sqlx::query("DELETE FROM role_assignments WHERE role_sid = $1")
            .bind(role.as_str())
            .affected(&mut self.tx)
            .await?;
        let groups = sqlx::query("DELETE FROM group_role_assignments WHERE role_sid = $1")
            .bind(role.as_str())
            .affected(&mut self.tx)
            .await?;
        Ok(users + groups)
    }

    async fn insert_group_assignment(&mut self, a: &GroupAssignment) -> Result<()> {
        sqlx::query(
            "INSERT INTO group_role_assignments (sid, role_sid, group_sid, scope_sid, with_subaccounts, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.sid.as_str())
        .bind(a.role_sid.as_str())
        .bind(a.group_sid.as_str())
        .bind(a.scope.sid_str())
        .bind(a.with_subaccounts)
        .bind(a.created_at)
        .run(&mut self.tx)
        .await
    }

    async fn group_assignments(&mut self, group: &GroupSid) -> Result<Vec<GroupAssignment>> {
        sqlx::query(concat!(
            "SELECT ",
            group_columns!(),
            " FROM group_role_assignments WHERE group_sid = $1 ORDER BY sid"
        ))
        .bind(group.as_str())
        .all(&mut self.tx, group_assignment)
        .await
    }

    async fn group_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<Option<GroupAssignment>> {
        sqlx::query(concat!("SELECT ", group_columns!(), " FROM group_role_assignments WHERE sid = $1"))
            .bind(sid.as_str())
            .optional(&mut self.tx, group_assignment)
            .await
    }

    async fn delete_group_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<u64> {
        sqlx::query("DELETE FROM group_role_assignments WHERE sid = $1").bind(sid.as_str()).affected(&mut self.tx).await
    }

    async fn user_group_grants(&mut self, user: &UserSid, scopes: &[ScopeRef]) -> Result<Vec<GroupAssignment>> {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        // One query for the handful of scopes: the user's groups (group_members_user), then each
        // group's grants there (the unique index leads with the group).
        let list = (2..scopes.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT gra.sid, gra.role_sid, gra.group_sid, gra.scope_sid, gra.with_subaccounts, gra.created_at \
             FROM group_members gm JOIN group_role_assignments gra ON gra.group_sid = gm.group_sid \
             WHERE gm.user_sid = $1 AND gra.scope_sid IN ({list}) ORDER BY gra.sid"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(user.as_str());
        for scope in scopes {
            query = query.bind(scope.sid_str());
        }
        query.all(&mut self.tx, group_assignment).await
    }
}
