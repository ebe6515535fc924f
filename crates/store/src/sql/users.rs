//! SQL for users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::membership::OrgUser;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::role::BuiltinRole;
use gatehouse_domain::sid::{OrganizationSid, RoleSid, UserSid};
use gatehouse_domain::store::UsersTx;
use gatehouse_domain::user::{Email, User};
use sqlx::AssertSqlSafe;

use super::rows::{self, Run, corrupt, get, user_columns};
use super::{EngineTx, dialect};

#[async_trait]
impl UsersTx for EngineTx {
    async fn insert_user(&mut self, u: &User, password_hash: Option<&str>) -> Result<()> {
        insert_users(&mut self.tx, &[(u, password_hash)]).await
    }

    async fn insert_users(&mut self, users: &[User]) -> Result<()> {
        let rows: Vec<(&User, Option<&str>)> = users.iter().map(|u| (u, None)).collect();
        insert_users(&mut self.tx, &rows).await
    }

    async fn user(&mut self, sid: &UserSid) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_columns!(), " FROM users u WHERE u.sid = $1"))
            .bind(sid.as_str())
            .optional(&mut self.tx, rows::user)
            .await
    }

    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>> {
        sqlx::query(concat!("SELECT ", user_columns!(), " FROM users u WHERE lower(u.email) = $1"))
            .bind(email.as_str())
            .optional(&mut self.tx, rows::user)
            .await
    }

    async fn users_by_sids(&mut self, sids: &[UserSid]) -> Result<Vec<User>> {
        let sids: Vec<&str> = sids.iter().map(UserSid::as_str).collect();
        users_where_in(&mut self.tx, "u.sid", &sids).await
    }

    async fn users_by_emails(&mut self, emails: &[Email]) -> Result<Vec<User>> {
        let emails: Vec<&str> = emails.iter().map(Email::as_str).collect();
        users_where_in(&mut self.tx, "lower(u.email)", &emails).await
    }

    async fn password_hash(&mut self, sid: &UserSid) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT password_hash FROM users WHERE sid = $1").bind(sid.as_str()).row(&mut self.tx).await?;
        match row {
            Some(r) => get::<Option<String>>(&r, "password_hash"),
            None => Ok(None),
        }
    }

    async fn record_login(&mut self, sid: &UserSid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET last_login_at = $2 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn mark_email_verified(&mut self, sid: &UserSid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET email_verified_at = $2, updated_at = $2 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn set_user_email(&mut self, sid: &UserSid, email: &Email, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET email = $2, email_verified_at = NULL, updated_at = $3 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(email.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn set_password_hash(&mut self, sid: &UserSid, hash: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(hash)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn set_user_require_two_factor(&mut self, sid: &UserSid, on: bool, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET require_two_factor = $2, updated_at = $3 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(on)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn count_users(&mut self) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users").one(&mut self.tx).await?;
        Ok(u64::try_from(get::<i64>(&row, "n")?).unwrap_or_default())
    }

    async fn any_users(&mut self) -> Result<bool> {
        Ok(sqlx::query("SELECT sid FROM users LIMIT 1").row(&mut self.tx).await?.is_some())
    }

    async fn organization_users(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
        managed: Option<bool>,
    ) -> Result<Page<OrgUser>> {
        // Each way of belonging (managed, an organization role, a role on one of its accounts) is
        // read in SID order from its own index and cut at the page's size; the page is the first
        // rows of their union, so no branch reads more than one page past the cursor. A search
        // reads the managed users through the (organization, email) and (organization, name)
        // indexes instead: the matches, sorted (ADR 0017).
        let search = page.prefix_range();
        let after = "($2 IS NULL OR u.sid > $2)";
        let managed_branch = |test: &str, alias: &str| {
            format!(
                "SELECT sid FROM (SELECT u.sid FROM users u WHERE u.organization_sid = $1 AND ($5 IS NULL OR $5) \
                 AND {after} AND {test} ORDER BY u.sid LIMIT $4) {alias}"
            )
        };
        let managed_branches = if search.is_some() {
            format!(
                "{} UNION {}",
                managed_branch(&email_starts("$3", "$6"), "by_email"),
                managed_branch(&name_starts("$3", "$6"), "by_name")
            )
        } else {
            managed_branch("1 = 1", "managed")
        };
        let cut = format!("{after} AND ($3 IS NULL OR {})", user_starts("$3", "$6"));
        let sql = format!(
            concat!(
                "WITH page(sid) AS ({managed_branches} \
                   UNION SELECT sid FROM (SELECT ra.user_sid AS sid FROM role_assignments ra JOIN users u ON u.sid = ra.user_sid \
                     WHERE ra.scope_sid = $1 AND {independent} AND {cut} ORDER BY ra.user_sid LIMIT $4) org_roles \
                   UNION SELECT sid FROM (SELECT DISTINCT ra.user_sid AS sid FROM accounts a \
                     JOIN role_assignments ra ON ra.scope_sid = a.sid JOIN users u ON u.sid = ra.user_sid \
                     WHERE a.organization_sid = $1 AND {independent} AND {cut} ORDER BY ra.user_sid LIMIT $4) account_roles) \
                 SELECT ",
                user_columns!(),
                // Org role SIDs sort Owner < Administrator < Standard User, so MIN is the strongest.
                ", (SELECT MIN(ra.role_sid) FROM role_assignments ra \
                     WHERE ra.user_sid = u.sid AND ra.organization_sid = $1) AS org_role_sid \
                 FROM page JOIN users u ON u.sid = page.sid ORDER BY u.sid LIMIT $4"
            ),
            managed_branches = managed_branches,
            cut = cut,
            independent = "($5 IS NULL OR $5 = COALESCE(u.organization_sid = $1, FALSE))",
        );
        let (from, to) = search.unzip();
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(org.as_str())
            .bind(page.after.as_deref())
            .bind(from)
            .bind(page.fetch_limit())
            .bind(managed)
            .bind(to)
            .rows(&mut self.tx)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let user = rows::user(r)?;
            let org_role = match get::<Option<String>>(r, "org_role_sid")? {
                Some(s) => match BuiltinRole::from_sid(&RoleSid::parse(&s).map_err(corrupt)?) {
                    Some(BuiltinRole::Org(role)) => Some(role),
                    _ => None,
                },
                None => None,
            };
            let managed = user.organization_sid.as_ref() == Some(org);
            out.push(OrgUser { user, org_role, managed });
        }
        Ok(Page::from_rows(out, page, |u| u.user.sid.to_string()))
    }
}

/// The user `u`'s address starts with the search `[from, to)` (`PageRequest::prefix_range`;
/// addresses are stored lowercased), through the (organization, email) index.
fn email_starts(from: &str, to: &str) -> String {
    let b = dialect::BYTE_ORDER;
    format!("(u.email >= {from}{b} AND u.email < {to}{b})")
}

/// The user `u`'s name, ASCII letters folded, starts with the search, through the
/// (organization, folded name) index.
fn name_starts(from: &str, to: &str) -> String {
    let (b, name) = (dialect::BYTE_ORDER, dialect::fold_ascii("u.name"));
    format!("({name} >= {from}{b} AND {name} < {to}{b})")
}

/// The people lists' search: the address or the name starts with it.
pub(super) fn user_starts(from: &str, to: &str) -> String {
    format!("({} OR {})", email_starts(from, to), name_starts(from, to))
}

/// Inserts users, each with its password hash if it has one, in one statement.
async fn insert_users(c: &mut rows::Conn, users: &[(&User, Option<&str>)]) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO users (sid, email, name, password_hash, status, organization_sid, last_login_at, \
         email_verified_at, require_two_factor, created_at, updated_at) VALUES {}",
        rows::values(1, users.len(), 11, |_, p| p)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (u, password_hash) in users {
        q = q
            .bind(u.sid.as_str())
            .bind(u.email.as_str())
            .bind(&u.name)
            .bind(*password_hash)
            .bind(u.status.as_str())
            .bind(u.organization_sid.as_ref().map(|s| s.as_str()))
            .bind(u.last_login_at)
            .bind(u.email_verified_at)
            .bind(u.require_two_factor)
            .bind(u.created_at)
            .bind(u.updated_at);
    }
    q.run(c).await
}

/// The users whose `key` (an indexed expression) is one of `values`, a chunk at a time.
async fn users_where_in(c: &mut rows::Conn, key: &str, values: &[&str]) -> Result<Vec<User>> {
    let mut out = Vec::new();
    for chunk in values.chunks(rows::IN_LIST) {
        let list = rows::values(1, 1, chunk.len(), |_, p| p);
        let sql = format!(concat!("SELECT ", user_columns!(), " FROM users u WHERE {} IN {}"), key, list);
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(*v);
        }
        out.extend(q.all(&mut *c, rows::user).await?);
    }
    Ok(out)
}
