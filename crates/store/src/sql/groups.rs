//! SQL for groups and their members.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::group::Group;
use gatehouse_domain::sid::{GroupSid, OrganizationSid, UserSid};
use gatehouse_domain::store::GroupsTx;

use super::EngineTx;
use super::rows::{Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, organization_sid, display_name, external_id, created_at, updated_at"
    };
}

fn group(r: &Row) -> Result<Group> {
    Ok(Group {
        sid: GroupSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        display_name: get(r, "display_name")?,
        external_id: get(r, "external_id")?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

#[async_trait]
impl GroupsTx for EngineTx {
    async fn insert_group(&mut self, g: &Group) -> Result<()> {
        sqlx::query(concat!("INSERT INTO groups (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(g.sid.as_str())
            .bind(g.organization_sid.as_str())
            .bind(&g.display_name)
            .bind(g.external_id.as_deref())
            .bind(g.created_at)
            .bind(g.updated_at)
            .run(&mut self.tx)
            .await
    }

    async fn update_group(&mut self, g: &Group) -> Result<()> {
        sqlx::query(
            "UPDATE groups SET display_name = $3, external_id = $4, updated_at = $5 WHERE organization_sid = $1 AND sid = $2",
        )
        .bind(g.organization_sid.as_str())
        .bind(g.sid.as_str())
        .bind(&g.display_name)
        .bind(g.external_id.as_deref())
        .bind(g.updated_at)
        .run(&mut self.tx).await
    }

    async fn group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<Option<Group>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM groups WHERE organization_sid = $1 AND sid = $2"))
            .bind(org.as_str())
            .bind(sid.as_str())
            .optional(&mut self.tx, group)
            .await
    }

    async fn groups(&mut self, org: &OrganizationSid) -> Result<Vec<Group>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM groups WHERE organization_sid = $1 ORDER BY sid"))
            .bind(org.as_str())
            .all(&mut self.tx, group)
            .await
    }

    async fn delete_group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM groups WHERE organization_sid = $1 AND sid = $2")
            .bind(org.as_str())
            .bind(sid.as_str())
            .affected(&mut self.tx)
            .await?)
    }

    async fn group_members(&mut self, org: &OrganizationSid) -> Result<Vec<(GroupSid, UserSid)>> {
        let rows = sqlx::query(
            "SELECT m.group_sid, m.user_sid FROM group_members m JOIN groups g ON g.sid = m.group_sid \
             WHERE g.organization_sid = $1 ORDER BY m.group_sid, m.user_sid",
        )
        .bind(org.as_str())
        .rows(&mut self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    GroupSid::parse(&get::<String>(r, "group_sid")?).map_err(corrupt)?,
                    UserSid::parse(&get::<String>(r, "user_sid")?).map_err(corrupt)?,
                ))
            })
            .collect()
    }

    async fn set_group_members(&mut self, group: &GroupSid, users: &[UserSid]) -> Result<()> {
        let c = &mut *self.tx;
        sqlx::query("DELETE FROM group_members WHERE group_sid = $1").bind(group.as_str()).run(c).await?;
        for u in users {
            sqlx::query("INSERT INTO group_members (group_sid, user_sid) VALUES ($1, $2)")
                .bind(group.as_str())
                .bind(u.as_str())
                .run(c)
                .await?;
        }
        Ok(())
    }

    async fn leave_all_groups(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<u64> {
        let c = &mut *self.tx;
        sqlx::query(
            "UPDATE groups SET updated_at = $2 WHERE sid IN (SELECT group_sid FROM group_members WHERE user_sid = $1)",
        )
        .bind(user.as_str())
        .bind(at)
        .run(c)
        .await?;
        Ok(sqlx::query("DELETE FROM group_members WHERE user_sid = $1").bind(user.as_str()).affected(c).await?)
    }
}
