//! SQL for users.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::membership::OrgUser;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::role::BuiltinRole;
use gatehouse_domain::sid::{OrganizationSid, RoleSid, UserSid};
use gatehouse_domain::store::UsersTx;
use gatehouse_domain::user::{Email, User};
use gatehouse_domain::{Error, Result};
use sqlx::AssertSqlSafe;

use super::access::{Guests, refresh_guests};
use super::rows::{self, Keyset, Run, corrupt, get, user_columns};
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
            .await?;
        refresh_guests(&mut self.tx, Guests::OfUser, sid.as_str()).await
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
        // An organization's users are its managed users and its guests (people it does not
        // manage who hold a role in it or on its accounts; `guest_of`, migration 0022). Each
        // is read in SID order from its own index, from the cursor on, and cut at the page's
        // size; the page is the first rows of their union, so no branch reads more than a page.
        let rows = match page.prefix_range() {
            Some((from, to)) => search_page(&mut self.tx, org, page, managed, from, to).await?,
            None => {
                let sql = format!(
                    concat!(
                        "WITH page(sid) AS (\
                           SELECT sid FROM (SELECT u.sid FROM users u WHERE u.organization_sid = $1 \
                             AND ($4 IS NULL OR $4) AND u.sid > $2 ORDER BY u.sid LIMIT $3) managed \
                           UNION SELECT sid FROM (SELECT DISTINCT ra.user_sid AS sid FROM role_assignments ra \
                             WHERE ra.guest_of = $1 AND ($4 IS NULL OR NOT $4) AND ra.user_sid > $2 \
                             ORDER BY ra.user_sid LIMIT $3) guests) \
                         SELECT ",
                        user_columns!(),
                        ", {org_role} FROM page JOIN users u ON u.sid = page.sid ORDER BY u.sid LIMIT $3"
                    ),
                    org_role = ORG_ROLE,
                );
                sqlx::query(AssertSqlSafe(sql))
                    .bind(org.as_str())
                    .bind(Keyset::Ascending.bound(page))
                    .bind(page.fetch_limit())
                    .bind(managed)
                    .rows(&mut self.tx)
                    .await?
            }
        };
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

/// The user `u`'s strongest organization role in `$1`, as `org_role_sid`: organization role SIDs
/// sort Owner < Administrator < Standard User, so MIN is the strongest.
const ORG_ROLE: &str = "(SELECT MIN(ra.role_sid) FROM role_assignments ra \
     WHERE ra.user_sid = u.sid AND ra.organization_sid = $1) AS org_role_sid";

/// Where a search page of an organization's users starts: at the start, or after the cursor's
/// user, whose place in the search's order is its address (it matched by address) or its
/// folded name and SID (it matched by name only).
enum SearchFrom {
    Start,
    AfterAddress(String),
    AfterName(String, String),
}

/// Where a list of people is read from, as columns of one table.
struct Source {
    from: &'static str,
    /// Which rows: the organization's managed users, or its guests (with `$1`, `$5`).
    only: &'static str,
    email: String,
    /// The name, ASCII letters folded.
    name: String,
    sid: &'static str,
    distinct: &'static str,
}

/// A search page of an organization's users (ADR 0017): those whose address starts with the
/// search, in address order, then those whose name only does, in (folded name, SID) order.
/// Each order is an index's — (organization, email) and (organization, folded name, SID) — so
/// every page reads a page from each, wherever it starts, however many match; a single letter
/// in an organization of 100,000 used to sort every match by SID (24-32 ms a page). The cursor
/// stays the last user's SID: its address or name says where the next page starts.
async fn search_page(
    c: &mut rows::Conn,
    org: &OrganizationSid,
    page: &PageRequest,
    managed: Option<bool>,
    from: String,
    to: String,
) -> Result<Vec<rows::Row>> {
    let after = match &page.after {
        None => SearchFrom::Start,
        Some(sid) => {
            let cursor = sqlx::query("SELECT email, name FROM users WHERE sid = $1")
                .bind(sid.as_str())
                .row(&mut *c)
                .await?
                .ok_or_else(|| Error::invalid("after", "is not a cursor from a previous page"))?;
            let email = get::<String>(&cursor, "email")?;
            if email >= from && email < to {
                SearchFrom::AfterAddress(email)
            } else {
                SearchFrom::AfterName(get::<String>(&cursor, "name")?.to_ascii_lowercase(), sid.clone())
            }
        }
    };
    // $1 organization, $2 rows, $3 and $4 the search's range, $5 managed or guests only, then
    // the cursor's place: $6 (address or folded name) and $7 (SID). Managed users are read
    // from `users`, guests from their assignments' copies of their address and name (one row
    // per assignment, hence DISTINCT); each through its own pair of indexes.
    let b = dialect::BYTE_ORDER;
    let managed_users = Source {
        from: "users u",
        only: "u.organization_sid = $1 AND ($5 IS NULL OR $5)",
        email: "u.email".into(),
        name: dialect::fold_ascii("u.name"),
        sid: "u.sid",
        distinct: "",
    };
    let guests = Source {
        from: "role_assignments ra",
        only: "ra.guest_of = $1 AND ($5 IS NULL OR NOT $5)",
        email: "ra.user_email".into(),
        name: format!("ra.user_name_folded{b}"),
        sid: "ra.user_sid",
        distinct: "DISTINCT ",
    };
    let mut branches = Vec::new();
    for (i, source) in [managed_users, guests].iter().enumerate() {
        let Source { from, only, email, name, sid, distinct } = source;
        let by_address = format!("({email} >= $3{b} AND {email} < $4{b})");
        let (address_from, name_from) = match &after {
            SearchFrom::Start => (Some(format!("{email} >= $3{b}")), format!("{name} >= $3{b}")),
            SearchFrom::AfterAddress(_) => (Some(format!("{email} > $6{b}")), format!("{name} >= $3{b}")),
            // Not a row value: SQLite bounds an expression index's range only by a plain
            // comparison, so `>=` starts the range and the rest skips the cursor's own name.
            SearchFrom::AfterName(..) => (None, format!("{name} >= $6{b} AND ({name} > $6{b} OR {sid} > $7)")),
        };
        if let Some(start) = address_from {
            branches.push(format!(
                "SELECT sid, rank, k FROM (SELECT {distinct}{sid} AS sid, 0 AS rank, {email}{b} AS k FROM {from} \
                 WHERE {only} AND {start} AND {email} < $4{b} ORDER BY k, sid LIMIT $2) a{i}"
            ));
        }
        branches.push(format!(
            "SELECT sid, rank, k FROM (SELECT {distinct}{sid} AS sid, 1 AS rank, {name} AS k FROM {from} \
             WHERE {only} AND {name_from} AND {name} < $4{b} AND NOT {by_address} \
             ORDER BY k, sid LIMIT $2) n{i}"
        ));
    }
    let sql = format!(
        concat!(
            "WITH page(sid, rank, k) AS ({branches}) SELECT ",
            user_columns!(),
            ", {org_role} FROM page JOIN users u ON u.sid = page.sid ORDER BY page.rank, page.k{b}, page.sid LIMIT $2"
        ),
        branches = branches.join(" UNION ALL "),
        b = b,
        org_role = ORG_ROLE,
    );
    let q =
        sqlx::query(AssertSqlSafe(sql)).bind(org.as_str()).bind(page.fetch_limit()).bind(from).bind(to).bind(managed);
    let q = match after {
        SearchFrom::Start => q,
        SearchFrom::AfterAddress(email) => q.bind(email),
        SearchFrom::AfterName(name, sid) => q.bind(name).bind(sid),
    };
    q.rows(c).await
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
