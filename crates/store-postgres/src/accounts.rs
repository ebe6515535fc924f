//! SQL for organizations and accounts.

use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::account::{Account, AccountSettings, AccountStatus};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};

use crate::rows::{self, Conn, Row, account_columns, db_err};

pub(crate) async fn insert_organization(c: &mut Conn, o: &Organization) -> Result<()> {
    sqlx::query(
        "INSERT INTO organizations (sid, name, require_two_factor, invitation_lifetime_days, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(o.sid.as_str())
    .bind(&o.name)
    .bind(o.require_two_factor)
    .bind(o.invitation_lifetime_days)
    .bind(o.created_at)
    .bind(o.updated_at)
    .execute(c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn set_organization_require_two_factor(
    c: &mut Conn,
    sid: &OrganizationSid,
    on: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE organizations SET require_two_factor = $2, updated_at = $3 WHERE sid = $1")
        .bind(sid.as_str())
        .bind(on)
        .bind(at)
        .execute(c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update_settings(
    c: &mut Conn,
    sid: &AccountSid,
    s: &AccountSettings,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET require_two_factor = $2, require_https_webhooks = $3, \
         require_public_key_validation = $4, updated_at = $5 WHERE sid = $1",
    )
    .bind(sid.as_str())
    .bind(s.require_two_factor)
    .bind(s.require_https_webhooks)
    .bind(s.require_public_key_validation)
    .bind(at)
    .execute(c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn rename(c: &mut Conn, sid: &AccountSid, name: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE accounts SET name = $2, updated_at = $3 WHERE sid = $1")
        .bind(sid.as_str())
        .bind(name)
        .bind(at)
        .execute(c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn set_status(c: &mut Conn, sid: &AccountSid, status: AccountStatus, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE accounts SET status = $2, updated_at = $3 WHERE sid = $1")
        .bind(sid.as_str())
        .bind(status.as_str())
        .bind(at)
        .execute(c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update_organization(c: &mut Conn, o: &Organization) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET name = $2, invitation_lifetime_days = $3, deprovision_keeps_keys = $4, updated_at = $5 \
         WHERE sid = $1",
    )
    .bind(o.sid.as_str())
    .bind(&o.name)
    .bind(o.invitation_lifetime_days)
    .bind(o.deprovision_keeps_keys)
    .bind(o.updated_at)
        .execute(c)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn organization(c: &mut Conn, sid: &OrganizationSid) -> Result<Option<Organization>> {
    sqlx::query(
        "SELECT sid, name, require_two_factor, invitation_lifetime_days, deprovision_keeps_keys, created_at, updated_at FROM organizations \
         WHERE sid = $1",
    )
    .bind(sid.as_str())
    .fetch_optional(c)
    .await
    .map_err(db_err)?
    .map(|r| rows::organization(&r))
    .transpose()
}

pub(crate) async fn insert(c: &mut Conn, a: &Account) -> Result<()> {
    sqlx::query(
        "INSERT INTO accounts (sid, name, status, organization_sid, parent_sid, require_two_factor, \
         require_https_webhooks, require_public_key_validation, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.sid.as_str())
    .bind(&a.name)
    .bind(a.status.as_str())
    .bind(a.organization_sid.as_ref().map(|s| s.as_str()))
    .bind(a.parent_sid.as_ref().map(|s| s.as_str()))
    .bind(a.settings.require_two_factor)
    .bind(a.settings.require_https_webhooks)
    .bind(a.settings.require_public_key_validation)
    .bind(a.created_at)
    .bind(a.updated_at)
    .execute(c)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Locks the account row until the transaction ends, serialising changes to its members.
pub(crate) async fn lock(c: &mut Conn, sid: &AccountSid) -> Result<Option<Account>> {
    sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.sid = $1 FOR UPDATE"))
        .bind(sid.as_str())
        .fetch_optional(c)
        .await
        .map_err(db_err)?
        .map(|r| rows::account(&r))
        .transpose()
}

pub(crate) async fn by_sid(c: &mut Conn, sid: &AccountSid) -> Result<Option<Account>> {
    sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.sid = $1"))
        .bind(sid.as_str())
        .fetch_optional(c)
        .await
        .map_err(db_err)?
        .map(|r| rows::account(&r))
        .transpose()
}

fn page_of(rows: Vec<Row>, page: &PageRequest) -> Result<Page<Account>> {
    let accounts = rows.iter().map(rows::account).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(accounts, page, |a| a.sid.to_string()))
}

pub(crate) async fn of_organization(c: &mut Conn, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts a WHERE a.organization_sid = $1 \
           AND ($2 IS NULL OR a.sid > $2) \
           AND ($3 IS NULL OR lower(a.name) LIKE $3 ESCAPE '\\' OR lower(a.sid) LIKE $3 ESCAPE '\\') \
         ORDER BY a.sid LIMIT $4"
    ))
    .bind(org.as_str())
    .bind(page.after.as_deref())
    .bind(page.like_pattern())
    .bind(page.fetch_limit())
    .fetch_all(c)
    .await
    .map_err(db_err)?;
    page_of(rows, page)
}

pub(crate) async fn of_user(c: &mut Conn, user: &UserSid, page: &PageRequest) -> Result<Page<Account>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts a WHERE EXISTS (SELECT 1 FROM role_assignments ra \
                                        WHERE ra.account_sid = a.sid AND ra.user_sid = $1) \
           AND ($2 IS NULL OR a.sid > $2) \
           AND ($3 IS NULL OR lower(a.name) LIKE $3 ESCAPE '\\' OR lower(a.sid) LIKE $3 ESCAPE '\\') \
         ORDER BY a.sid LIMIT $4"
    ))
    .bind(user.as_str())
    .bind(page.after.as_deref())
    .bind(page.like_pattern())
    .bind(page.fetch_limit())
    .fetch_all(c)
    .await
    .map_err(db_err)?;
    page_of(rows, page)
}

pub(crate) async fn children(c: &mut Conn, parent: &AccountSid, page: &PageRequest) -> Result<Page<Account>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts a WHERE a.parent_sid = $1 \
           AND ($2 IS NULL OR a.sid > $2) \
           AND ($3 IS NULL OR lower(a.name) LIKE $3 ESCAPE '\\' OR lower(a.sid) LIKE $3 ESCAPE '\\') \
         ORDER BY a.sid LIMIT $4"
    ))
    .bind(parent.as_str())
    .bind(page.after.as_deref())
    .bind(page.like_pattern())
    .bind(page.fetch_limit())
    .fetch_all(c)
    .await
    .map_err(db_err)?;
    page_of(rows, page)
}
