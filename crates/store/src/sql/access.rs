//! SQL for role assignments, account members and organization roles.

use std::collections::BTreeMap;

use async_trait::async_trait;
use gatehouse_domain::account::Account;
use gatehouse_domain::membership::{Member, RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::ScopeKind;
use gatehouse_domain::role::{AccountRole, BuiltinRole, OrgRole};
use gatehouse_domain::sid::{AccountSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use gatehouse_domain::store::AccessTx;
use gatehouse_domain::{Error, Result};
use sqlx::AssertSqlSafe;

use super::rows::{self, Keyset, Row, Run, account_columns, corrupt, get, user_columns};
use super::users::user_starts;
use super::{EngineTx, dialect};

fn scope_columns(scope: &ScopeRef) -> (Option<&str>, Option<&str>) {
    match scope {
        ScopeRef::Account(a) => (Some(a.as_str()), None),
        ScopeRef::Organization(o) => (None, Some(o.as_str())),
    }
}

/// The organization an assignment makes its user a guest of: the one its scope belongs to (the
/// organization itself, or the account's), unless that organization manages the user. An
/// organization's users are its managed users and its guests (ADR 0022).
const GUEST_OF: &str = "(SELECT o.sid FROM organizations o \
     WHERE o.sid = COALESCE(role_assignments.organization_sid, \
                            (SELECT a.organization_sid FROM accounts a WHERE a.sid = role_assignments.account_sid)) \
       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.sid = role_assignments.user_sid AND u.organization_sid = o.sid))";

/// Which assignments [`refresh_guests`] recomputes, given `$1`.
pub(super) enum Guests {
    /// One assignment, by SID.
    Assignment,
    /// A user's, after the user's organization, address or name changed.
    OfUser,
    /// Those on an account and its subaccounts, after the account changed organization.
    OnAccountTree,
}

/// Recomputes, on the assignments `which` selects (`key` bound as `$1`), whose guest each makes
/// its user and the copies of the user's address and folded name that guests are searched by.
pub(super) async fn refresh_guests(c: &mut rows::Conn, which: Guests, key: &str) -> Result<()> {
    let rows = match which {
        Guests::Assignment => "sid = $1",
        Guests::OfUser => "user_sid = $1",
        Guests::OnAccountTree => "account_sid IN (SELECT sid FROM accounts WHERE sid = $1 OR parent_sid = $1)",
    };
    let user = "FROM users u WHERE u.sid = role_assignments.user_sid";
    let sql = format!(
        "UPDATE role_assignments SET guest_of = {GUEST_OF}, user_email = (SELECT u.email {user}), \
         user_name_folded = (SELECT {} {user}) WHERE {rows}",
        dialect::fold_ascii("u.name")
    );
    sqlx::query(AssertSqlSafe(sql)).bind(key).run(c).await
}

#[async_trait]
impl AccessTx for EngineTx {
    async fn insert_assignment(&mut self, a: &RoleAssignment) -> Result<()> {
        let (account, org) = scope_columns(&a.scope);
        sqlx::query(
            "INSERT INTO role_assignments (sid, role_sid, user_sid, account_sid, organization_sid, scope_sid, with_subaccounts, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.sid.as_str())
        .bind(a.role_sid.as_str())
        .bind(a.user_sid.as_str())
        .bind(account)
        .bind(org)
        .bind(a.scope.sid_str())
        .bind(a.with_subaccounts)
        .bind(a.created_at)
        .run(&mut self.tx)
        .await?;
        refresh_guests(&mut self.tx, Guests::Assignment, a.sid.as_str()).await
    }

    async fn delete_user_assignments(&mut self, scope: &ScopeRef, user: &UserSid) -> Result<u64> {
        sqlx::query("DELETE FROM role_assignments WHERE scope_sid = $1 AND user_sid = $2")
            .bind(scope.sid_str())
            .bind(user.as_str())
            .affected(&mut self.tx)
            .await
    }

    async fn delete_user_builtin_assignments(&mut self, scope: &ScopeRef, user: &UserSid) -> Result<u64> {
        // The built-in roles of the scope's kind, bound as values: one (scope, user, role) index
        // probe each, without reading the roles table.
        let kind = match scope {
            ScopeRef::Account(_) => ScopeKind::Account,
            ScopeRef::Organization(_) => ScopeKind::Organization,
        };
        let roles: Vec<RoleSid> =
            BuiltinRole::ALL.into_iter().filter(|r| r.scope_kind() == kind).map(|r| r.sid()).collect();
        let list = (3..roles.len() + 3).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql =
            format!("DELETE FROM role_assignments WHERE scope_sid = $1 AND user_sid = $2 AND role_sid IN ({list})");
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(scope.sid_str()).bind(user.as_str());
        for role in &roles {
            query = query.bind(role.as_str());
        }
        query.affected(&mut self.tx).await
    }

    async fn user_assignments(&mut self, user: &UserSid, scopes: &[ScopeRef]) -> Result<Vec<RoleAssignment>> {
        let c = &mut *self.tx;
        let mut out = Vec::new();
        // A handful of scopes (an account, its parent, its organization): one indexed query each.
        for scope in scopes {
            let rows = sqlx::query(
                "SELECT sid, role_sid, user_sid, account_sid, organization_sid, with_subaccounts, created_at \
                 FROM role_assignments WHERE user_sid = $1 AND scope_sid = $2 ORDER BY sid",
            )
            .bind(user.as_str())
            .bind(scope.sid_str())
            .rows(c)
            .await?;
            for r in &rows {
                out.push(assignment(r)?);
            }
        }
        Ok(out)
    }

    async fn scope_assignments(&mut self, scope: &ScopeRef, page: &PageRequest) -> Result<Page<RoleAssignment>> {
        let items = sqlx::query(
            "SELECT sid, role_sid, user_sid, account_sid, organization_sid, with_subaccounts, created_at \
             FROM role_assignments WHERE scope_sid = $1 AND sid > $2 ORDER BY sid LIMIT $3",
        )
        .bind(scope.sid_str())
        .bind(Keyset::Ascending.bound(page))
        .bind(page.fetch_limit())
        .all(&mut self.tx, assignment)
        .await?;
        Ok(Page::from_rows(items, page, |a| a.sid.to_string()))
    }

    async fn account_members(
        &mut self,
        account: &AccountSid,
        role: Option<AccountRole>,
        page: &PageRequest,
    ) -> Result<Page<Member>> {
        let c = &mut *self.tx;
        // Read from the account's assignments in user order (the (scope, user, role) index), one
        // row per member (their first role, or the role asked for), so a page reads about a page
        // of rows (with a role, the index entries of members without it are skipped).
        let one_row = match role {
            Some(_) => "ra.role_sid = $6",
            None => {
                "ra.role_sid = (SELECT MIN(r2.role_sid) FROM role_assignments r2 \
                 WHERE r2.scope_sid = ra.scope_sid AND r2.user_sid = ra.user_sid)"
            }
        };
        let sql = format!(
            concat!(
                "SELECT ",
                user_columns!(),
                " FROM role_assignments ra JOIN users u ON u.sid = ra.user_sid \
                 WHERE ra.scope_sid = $1 AND ra.user_sid > $2 AND {} \
                   AND ($3 IS NULL OR {}) \
                 ORDER BY ra.user_sid LIMIT $4"
            ),
            one_row,
            user_starts("$3", "$5")
        );
        let (from, to) = page.prefix_range().unzip();
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(account.as_str())
            .bind(Keyset::Ascending.bound(page))
            .bind(from)
            .bind(page.fetch_limit())
            .bind(to);
        if let Some(role) = role {
            query = query.bind(role.sid().to_string());
        }
        let rows = query.rows(c).await?;
        let users = rows.iter().map(rows::user).collect::<Result<Vec<_>>>()?;
        let page = Page::from_rows(users, page, |u| u.sid.to_string());
        let (Some(first), Some(last)) = (page.items.first(), page.items.last()) else {
            return Ok(page.map(|user| Member { user, roles: Vec::new() }));
        };
        // The page is a contiguous SID range, so one range query fetches every member's roles.
        let role_rows = sqlx::query(
            "SELECT user_sid, role_sid FROM role_assignments \
             WHERE scope_sid = $1 AND user_sid >= $2 AND user_sid <= $3",
        )
        .bind(account.as_str())
        .bind(first.sid.as_str())
        .bind(last.sid.as_str())
        .rows(c)
        .await?;
        let mut roles: BTreeMap<String, Vec<AccountRole>> = BTreeMap::new();
        for r in &role_rows {
            let role_sid = RoleSid::parse(&get::<String>(r, "role_sid")?).map_err(corrupt)?;
            if let Some(BuiltinRole::Account(role)) = BuiltinRole::from_sid(&role_sid) {
                roles.entry(get(r, "user_sid")?).or_default().push(role);
            }
        }
        Ok(page.map(|user| {
            let mut r = roles.remove(user.sid.as_str()).unwrap_or_default();
            r.sort();
            Member { user, roles: r }
        }))
    }

    async fn scope_owner(&mut self, scope: &ScopeRef) -> Result<Option<UserSid>> {
        let owner = match scope {
            ScopeRef::Account(_) => AccountRole::Owner.sid(),
            ScopeRef::Organization(_) => OrgRole::Owner.sid(),
        };
        let row = sqlx::query("SELECT user_sid FROM role_assignments WHERE scope_sid = $1 AND role_sid = $2")
            .bind(scope.sid_str())
            .bind(owner.as_str())
            .row(&mut self.tx)
            .await?;
        row.map(|r| UserSid::parse(&get::<String>(&r, "user_sid")?).map_err(corrupt)).transpose()
    }

    async fn user_organizations(&mut self, user: &UserSid) -> Result<Vec<(Organization, OrgRole)>> {
        let rows = sqlx::query(
            "SELECT o.sid, o.name, o.require_two_factor, o.invitation_lifetime_days, o.deprovision_keeps_keys, o.auto_join, o.created_at, o.updated_at, ra.role_sid \
             FROM organizations o \
             JOIN role_assignments ra ON ra.organization_sid = o.sid \
             WHERE ra.user_sid = $1 ORDER BY o.sid, ra.role_sid",
        )
        .bind(user.as_str())
        .rows(&mut self.tx).await?;
        let mut out: Vec<(Organization, OrgRole)> = Vec::new();
        for r in &rows {
            let org = rows::organization(r)?;
            let role_sid = RoleSid::parse(&get::<String>(r, "role_sid")?).map_err(corrupt)?;
            let Some(BuiltinRole::Org(role)) = BuiltinRole::from_sid(&role_sid) else { continue };
            // Ordered by role SID, so the first row per organization is the strongest role.
            if out.last().is_none_or(|(o, _)| o.sid != org.sid) {
                out.push((org, role));
            }
        }
        Ok(out)
    }

    async fn user_memberships(&mut self, user: &UserSid) -> Result<Vec<(Account, AccountRole)>> {
        let rows = sqlx::query(concat!(
            "SELECT ra.role_sid, ",
            account_columns!(),
            " FROM role_assignments ra JOIN accounts a ON a.sid = ra.account_sid \
             WHERE ra.user_sid = $1 ORDER BY a.sid, ra.role_sid"
        ))
        .bind(user.as_str())
        .rows(&mut self.tx)
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let role_sid = RoleSid::parse(&get::<String>(r, "role_sid")?).map_err(corrupt)?;
            if let Some(BuiltinRole::Account(role)) = BuiltinRole::from_sid(&role_sid) {
                out.push((rows::account(r)?, role));
            }
        }
        Ok(out)
    }

    async fn role_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<Option<RoleAssignment>> {
        sqlx::query(
            "SELECT sid, role_sid, user_sid, account_sid, organization_sid, with_subaccounts, created_at FROM role_assignments WHERE sid = $1",
        )
        .bind(sid.as_str())
        .optional(&mut self.tx, assignment)
        .await
    }

    async fn all_user_assignments(&mut self, user: &UserSid) -> Result<Vec<RoleAssignment>> {
        sqlx::query(
            "SELECT sid, role_sid, user_sid, account_sid, organization_sid, with_subaccounts, created_at FROM role_assignments \
             WHERE user_sid = $1 ORDER BY sid",
        )
        .bind(user.as_str())
        .all(&mut self.tx, assignment)
        .await
    }

    async fn delete_role_assignment(&mut self, sid: &RoleAssignmentSid) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM role_assignments WHERE sid = $1").bind(sid.as_str()).affected(&mut self.tx).await?)
    }
}

fn assignment(row: &Row) -> Result<RoleAssignment> {
    let account: Option<String> = get(row, "account_sid")?;
    let org: Option<String> = get(row, "organization_sid")?;
    let scope = match (account, org) {
        (Some(a), None) => ScopeRef::Account(AccountSid::parse(&a).map_err(corrupt)?),
        (None, Some(o)) => ScopeRef::Organization(OrganizationSid::parse(&o).map_err(corrupt)?),
        _ => return Err(Error::Internal("role assignment without exactly one scope".into())),
    };
    Ok(RoleAssignment {
        sid: RoleAssignmentSid::parse(&get::<String>(row, "sid")?).map_err(corrupt)?,
        role_sid: RoleSid::parse(&get::<String>(row, "role_sid")?).map_err(corrupt)?,
        user_sid: UserSid::parse(&get::<String>(row, "user_sid")?).map_err(corrupt)?,
        scope,
        with_subaccounts: get(row, "with_subaccounts")?,
        created_at: get(row, "created_at")?,
    })
}
