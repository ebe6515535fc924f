//! SQL for groups and their members.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::group::Group;
use gatehouse_domain::scim_filter::groups::{GroupColumn, GroupQuery};
use gatehouse_domain::sid::{GroupSid, OrganizationSid, UserSid};
use gatehouse_domain::store::GroupsTx;
use gatehouse_domain::user::User;
use sqlx::AssertSqlSafe;

use super::EngineTx;
use super::rows::{self, IN_LIST, Row, Run, corrupt, get, user_columns, values};
use super::scim_filter::{self, Columns};

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

/// Groups, for the SCIM lists' SQL (`scim_filter`); a member is a row of `group_members` (`m`)
/// and its user (`mu`).
struct Groups;

impl Columns for Groups {
    type Column = GroupColumn;
    const FROM: &'static str = "FROM groups g WHERE g.organization_sid = $1";
    const SELECT: &'static str = columns!();
    const SID: &'static str = "g.sid";

    fn expr(column: GroupColumn) -> &'static str {
        match column {
            GroupColumn::Sid => "g.sid",
            GroupColumn::DisplayName => "g.display_name",
            GroupColumn::ExternalId => "g.external_id",
            GroupColumn::CreatedAt => "g.created_at",
            GroupColumn::UpdatedAt => "g.updated_at",
            GroupColumn::MemberValue => "m.user_sid",
            GroupColumn::MemberDisplay => "mu.name",
        }
    }

    /// Groups have no status; the resolver never asks.
    fn active(_yes: bool) -> String {
        "1 = 0".into()
    }

    fn member(inner: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM group_members m JOIN users mu ON mu.sid = m.user_sid \
             WHERE m.group_sid = g.sid AND {inner})"
        )
    }
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

    async fn scim_group_page(&mut self, org: &OrganizationSid, query: &GroupQuery) -> Result<(Vec<Group>, u64)> {
        scim_filter::page::<Groups, _>(&mut self.tx, org, query, group).await
    }

    async fn delete_group(&mut self, org: &OrganizationSid, sid: &GroupSid) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM groups WHERE organization_sid = $1 AND sid = $2")
            .bind(org.as_str())
            .bind(sid.as_str())
            .affected(&mut self.tx)
            .await?)
    }

    async fn members_of(&mut self, groups: &[GroupSid]) -> Result<Vec<(GroupSid, User)>> {
        let mut out = Vec::new();
        for chunk in groups.chunks(IN_LIST) {
            let sql = format!(
                concat!(
                    "SELECT m.group_sid, ",
                    user_columns!(),
                    " FROM group_members m JOIN users u ON u.sid = m.user_sid \
                     WHERE m.group_sid IN {} ORDER BY m.group_sid, m.user_sid"
                ),
                values(1, 1, chunk.len(), |_, p| p)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for g in chunk {
                q = q.bind(g.as_str());
            }
            for r in q.rows(&mut self.tx).await? {
                out.push((GroupSid::parse(&get::<String>(&r, "group_sid")?).map_err(corrupt)?, rows::user(&r)?));
            }
        }
        Ok(out)
    }

    async fn add_group_members(&mut self, group: &GroupSid, users: &[UserSid]) -> Result<Vec<UserSid>> {
        let mut added = Vec::new();
        for chunk in users.chunks(IN_LIST) {
            let sql = format!(
                "INSERT INTO group_members (group_sid, user_sid) VALUES {} ON CONFLICT DO NOTHING RETURNING user_sid",
                values(1, chunk.len(), 2, |_, p| p)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for u in chunk {
                q = q.bind(group.as_str()).bind(u.as_str());
            }
            added.extend(user_sids(&q.rows(&mut self.tx).await?)?);
        }
        Ok(added)
    }

    async fn remove_group_members(&mut self, group: &GroupSid, users: &[UserSid]) -> Result<Vec<UserSid>> {
        let mut removed = Vec::new();
        for chunk in users.chunks(IN_LIST) {
            let sql = format!(
                "DELETE FROM group_members WHERE group_sid = $1 AND user_sid IN {} RETURNING user_sid",
                values(2, 1, chunk.len(), |_, p| p)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(group.as_str());
            for u in chunk {
                q = q.bind(u.as_str());
            }
            removed.extend(user_sids(&q.rows(&mut self.tx).await?)?);
        }
        Ok(removed)
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

fn user_sids(rows: &[Row]) -> Result<Vec<UserSid>> {
    rows.iter().map(|r| UserSid::parse(&get::<String>(r, "user_sid")?).map_err(corrupt)).collect()
}
