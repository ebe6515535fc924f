//! SQL for the permission-check index: the access revision, the changes the triggers of
//! migration 0034 note, and the rows the index is built from (ADR 0025).

use async_trait::async_trait;
use gatehouse_domain::access_index::{
    AccessPart, AccessRows, AccessSubject, AccountIn, AssignmentIn, CredentialIn, RoleIn, ScopeBits, sid_bits,
};
use gatehouse_domain::custom_role::permissions_from_names;
use gatehouse_domain::store::AccessIndexTx;
use gatehouse_domain::{Error, Result};
use sqlx::AssertSqlSafe;

use super::rows::{Conn, Row, Run, get};
use super::{EngineTx, dialect};

/// Runs `select`, with `filter` (which binds `$1` to `sid`) when a subject narrows it.
async fn select<T>(
    c: &mut Conn,
    select: &str,
    filter: &str,
    sid: Option<&str>,
    decode: impl Fn(&Row) -> Result<T> + Send,
) -> Result<Vec<T>> {
    match sid {
        None => sqlx::query(AssertSqlSafe(select.to_owned())).all(c, decode).await,
        Some(sid) => sqlx::query(AssertSqlSafe(format!("{select} {filter}"))).bind(sid).all(c, decode).await,
    }
}

/// A SID column as its bits (read without copying the text).
fn bits(r: &Row, column: &str) -> Result<u128> {
    let sid: &str = get(r, column)?;
    sid_bits(sid).ok_or_else(|| Error::Internal(format!("{column} holds {sid:?}, not a SID")))
}

fn bits_or_none(r: &Row, column: &str) -> Result<Option<u128>> {
    let sid: Option<&str> = get(r, column)?;
    sid.map(|s| sid_bits(s).ok_or_else(|| Error::Internal(format!("{column} holds {s:?}, not a SID")))).transpose()
}

fn scope(r: &Row, column: &str) -> Result<ScopeBits> {
    let sid: &str = get(r, column)?;
    ScopeBits::parse(sid).ok_or_else(|| Error::Internal(format!("{column} holds {sid:?}, not a scope")))
}

fn assignment(r: &Row) -> Result<AssignmentIn> {
    Ok(AssignmentIn {
        sid: bits(r, "sid")?,
        role: bits(r, "role_sid")?,
        holder: bits(r, "holder")?,
        scope: scope(r, "scope_sid")?,
        with_subaccounts: get(r, "with_subaccounts")?,
    })
}

/// Which of the index's tables a read covers.
#[derive(Clone, Copy)]
struct Tables {
    accounts: bool,
    roles: bool,
    groups: bool,
    people: bool,
    credentials: bool,
}

impl Tables {
    const ALL: Tables = Tables { accounts: true, roles: true, groups: true, people: true, credentials: true };
    const NONE: Tables = Tables { accounts: false, roles: false, groups: false, people: false, credentials: false };
}

/// Reads `tables`, whole (`sid` none) or for one subject.
async fn load(c: &mut Conn, tables: Tables, sid: Option<&str>) -> Result<AccessRows> {
    let mut rows = AccessRows::default();
    {
        if tables.accounts {
            rows.accounts =
                select(c, "SELECT sid, parent_sid, organization_sid FROM accounts", "WHERE sid = $1", sid, |r| {
                    Ok(AccountIn {
                        sid: bits(r, "sid")?,
                        parent: bits_or_none(r, "parent_sid")?,
                        organization: bits_or_none(r, "organization_sid")?,
                    })
                })
                .await?;
            rows.shares = select(
                c,
                "SELECT account_sid, organization_sid FROM account_requests WHERE kind = 'access' AND status = 'accepted'",
                "AND account_sid = $1",
                sid,
                |r| Ok((bits(r, "account_sid")?, bits(r, "organization_sid")?)),
            )
            .await?;
        }
        if tables.roles {
            rows.roles =
                select(c, "SELECT sid, name, permissions FROM roles WHERE NOT builtin", "AND sid = $1", sid, |r| {
                    Ok(RoleIn {
                        sid: bits(r, "sid")?,
                        name: get(r, "name")?,
                        permissions: permissions_from_names(&get::<String>(r, "permissions")?),
                    })
                })
                .await?;
        }
        if tables.groups {
            rows.groups = select(c, "SELECT sid FROM groups", "WHERE sid = $1", sid, |r| bits(r, "sid")).await?;
            rows.group_assignments = select(
                c,
                "SELECT sid, role_sid, group_sid AS holder, scope_sid, with_subaccounts FROM group_role_assignments",
                "WHERE group_sid = $1",
                sid,
                assignment,
            )
            .await?;
        }
        if tables.people {
            // Only active users hold anything. One user's rows are read with their status; a
            // whole load reads the (few) inactive users from their own index instead of looking
            // every assignment's user up.
            let (assignments, memberships) = match sid {
                Some(_) => (
                    "SELECT ra.sid, ra.role_sid, ra.user_sid AS holder, ra.scope_sid, ra.with_subaccounts \
                     FROM role_assignments ra JOIN users u ON u.sid = ra.user_sid \
                     WHERE u.status = 'active' AND ra.user_sid = $1",
                    "SELECT gm.group_sid, gm.user_sid FROM group_members gm JOIN users u ON u.sid = gm.user_sid \
                     WHERE u.status = 'active' AND gm.user_sid = $1",
                ),
                None => (
                    "SELECT sid, role_sid, user_sid AS holder, scope_sid, with_subaccounts FROM role_assignments",
                    "SELECT group_sid, user_sid FROM group_members",
                ),
            };
            rows.user_assignments = select(c, assignments, "", sid, assignment).await?;
            rows.memberships =
                select(c, memberships, "", sid, |r| Ok((bits(r, "group_sid")?, bits(r, "user_sid")?))).await?;
            if sid.is_none() {
                rows.inactive_users =
                    select(c, "SELECT sid FROM users WHERE status <> 'active'", "", None, |r| bits(r, "sid")).await?;
            }
        }
        if tables.credentials {
            rows.credentials = select(
                c,
                "SELECT sid, account_sid, permissions FROM api_keys WHERE revoked_at IS NULL",
                "AND sid = $1",
                sid,
                |r| {
                    let restricted: Option<String> = get(r, "permissions")?;
                    Ok(CredentialIn::api_key(
                        bits(r, "sid")?,
                        bits(r, "account_sid")?,
                        restricted.as_deref().map(permissions_from_names),
                    ))
                },
            )
            .await?;
            let apps = select(
                c,
                "SELECT sid, COALESCE(organization_sid, account_sid) AS owner FROM oauth_apps WHERE revoked_at IS NULL",
                "AND sid = $1",
                sid,
                |r| Ok(CredentialIn::oauth_app(bits(r, "sid")?, scope(r, "owner")?)),
            )
            .await?;
            rows.credentials.extend(apps);
        }
    }
    Ok(rows)
}

#[async_trait]
impl AccessIndexTx for EngineTx {
    async fn access_revision(&mut self) -> Result<u64> {
        let row = sqlx::query("SELECT revision FROM access_revision WHERE id = 1").one(&mut self.tx).await?;
        Ok(u64::try_from(get::<i64>(&row, "revision")?).unwrap_or_default())
    }

    async fn access_changes(&mut self, after: u64, limit: u32) -> Result<Vec<(u64, AccessSubject)>> {
        let rows = sqlx::query(
            "SELECT revision, kind, sid FROM access_changes WHERE revision > $1 ORDER BY revision LIMIT $2",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .rows(&mut self.tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let revision = u64::try_from(get::<i64>(r, "revision")?).unwrap_or_default();
            // A kind this version does not know changes nothing it indexes.
            if let Some(subject) = AccessSubject::from_note(&get::<String>(r, "kind")?, get(r, "sid")?) {
                out.push((revision, subject));
            }
        }
        Ok(out)
    }

    async fn access_rows(&mut self, subject: Option<&AccessSubject>) -> Result<AccessRows> {
        let c = &mut *self.tx;
        // Which tables a subject's change touches, and its SID.
        let (tables, sid) = match subject {
            None => (Tables::ALL, None),
            Some(AccessSubject::User(s)) => (Tables { people: true, ..Tables::NONE }, Some(s.as_str())),
            Some(AccessSubject::Group(s)) => (Tables { groups: true, ..Tables::NONE }, Some(s.as_str())),
            Some(AccessSubject::Role(s)) => (Tables { roles: true, ..Tables::NONE }, Some(s.as_str())),
            Some(AccessSubject::Account(s)) => (Tables { accounts: true, ..Tables::NONE }, Some(s.as_str())),
            Some(AccessSubject::Credential(s)) => (Tables { credentials: true, ..Tables::NONE }, Some(s.as_str())),
        };
        load(c, tables, sid).await
    }

    async fn access_part(&mut self, part: AccessPart) -> Result<AccessRows> {
        let tables = match part {
            AccessPart::Accounts => Tables { accounts: true, ..Tables::NONE },
            AccessPart::People => Tables { people: true, ..Tables::NONE },
            AccessPart::Rest => Tables { roles: true, groups: true, credentials: true, ..Tables::NONE },
        };
        let rows = load(&mut self.tx, tables, None).await?;
        // A whole part reads far more pages than the connection will need again: they leave
        // its cache rather than stay in the node's memory.
        dialect::after_bulk_read(&mut self.tx).await?;
        Ok(rows)
    }

    async fn prune_access_changes(&mut self, upto: u64) -> Result<u64> {
        sqlx::query("DELETE FROM access_changes WHERE revision <= $1")
            .bind(i64::try_from(upto).unwrap_or(i64::MAX))
            .affected(&mut self.tx)
            .await
    }
}
