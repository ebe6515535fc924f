//! SQL for organizations and accounts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::account::{Account, AccountSettings, AccountStatus};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};
use gatehouse_domain::store::AccountsTx;
use sqlx::AssertSqlSafe;

use super::rows::{self, Conn, Keyset, Run, account_columns, get};
use super::{EngineTx, dialect};

#[async_trait]
impl AccountsTx for EngineTx {
    async fn insert_organization(&mut self, o: &Organization) -> Result<()> {
        sqlx::query(
            "INSERT INTO organizations (sid, name, require_two_factor, invitation_lifetime_days, created_at, updated_at, \
             deprovision_keeps_keys, auto_join) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(o.sid.as_str())
        .bind(&o.name)
        .bind(o.require_two_factor)
        .bind(o.invitation_lifetime_days)
        .bind(o.created_at)
        .bind(o.updated_at)
        .bind(o.deprovision_keeps_keys)
        .bind(o.auto_join)
        .run(&mut self.tx).await
    }

    async fn set_organization_require_two_factor(
        &mut self,
        sid: &OrganizationSid,
        on: bool,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE organizations SET require_two_factor = $2, updated_at = $3 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(on)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn update_account_settings(
        &mut self,
        sid: &AccountSid,
        s: &AccountSettings,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.credentials_changed().await?;
        sqlx::query(
            "UPDATE accounts SET require_two_factor = $2, require_https_webhooks = $3, \
             require_public_key_validation = $4, updated_at = $5 WHERE sid = $1",
        )
        .bind(sid.as_str())
        .bind(s.require_two_factor)
        .bind(s.require_https_webhooks)
        .bind(s.require_public_key_validation)
        .bind(at)
        .run(&mut self.tx)
        .await
    }

    async fn rename_account(&mut self, sid: &AccountSid, name: &str, at: DateTime<Utc>) -> Result<()> {
        self.credentials_changed().await?;
        sqlx::query("UPDATE accounts SET name = $2, updated_at = $3 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(name)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn set_account_status(&mut self, sid: &AccountSid, status: AccountStatus, at: DateTime<Utc>) -> Result<()> {
        self.credentials_changed().await?;
        sqlx::query("UPDATE accounts SET status = $2, updated_at = $3 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(status.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn update_organization(&mut self, o: &Organization) -> Result<()> {
        sqlx::query(
            "UPDATE organizations SET name = $2, invitation_lifetime_days = $3, deprovision_keeps_keys = $4, updated_at = $5, \
             auto_join = $6 WHERE sid = $1",
        )
        .bind(o.sid.as_str())
        .bind(&o.name)
        .bind(o.invitation_lifetime_days)
        .bind(o.deprovision_keeps_keys)
        .bind(o.updated_at)
        .bind(o.auto_join)
            .run(&mut self.tx).await
    }

    async fn organization(&mut self, sid: &OrganizationSid) -> Result<Option<Organization>> {
        sqlx::query(
            "SELECT sid, name, require_two_factor, invitation_lifetime_days, deprovision_keeps_keys, auto_join, created_at, updated_at FROM organizations \
             WHERE sid = $1",
        )
        .bind(sid.as_str())
        .optional(&mut self.tx, rows::organization).await
    }

    async fn insert_account(&mut self, a: &Account) -> Result<()> {
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
        .run(&mut self.tx)
        .await
    }

    async fn account(&mut self, sid: &AccountSid) -> Result<Option<Account>> {
        by_sid(&mut self.tx, sid, "").await
    }

    async fn lock_account(&mut self, sid: &AccountSid) -> Result<Option<Account>> {
        by_sid(&mut self.tx, sid, dialect::LOCK_ROWS).await
    }

    async fn organization_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>> {
        account_page(&mut self.tx, "a.organization_sid = $1", org.as_str(), page).await
    }

    async fn user_accounts(&mut self, user: &UserSid, page: &PageRequest) -> Result<Page<Account>> {
        account_page(
            &mut self.tx,
            "EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.account_sid = a.sid AND ra.user_sid = $1)",
            user.as_str(),
            page,
        )
        .await
    }

    async fn organization_accounts_cursor_before(
        &mut self,
        org: &OrganizationSid,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>> {
        // The (organization, SID) index read backwards from the cursor.
        let row = sqlx::query(
            "SELECT a.sid FROM accounts a WHERE a.organization_sid = $1 AND a.sid <= $2 \
             ORDER BY a.sid DESC LIMIT 1 OFFSET $3",
        )
        .bind(org.as_str())
        .bind(cursor)
        .bind(i64::from(size))
        .row(&mut self.tx)
        .await?;
        row.as_ref().map(|r| get::<String>(r, "sid")).transpose()
    }

    async fn subaccounts(&mut self, parent: &AccountSid, page: &PageRequest) -> Result<Page<Account>> {
        account_page(&mut self.tx, "a.parent_sid = $1", parent.as_str(), page).await
    }

    async fn subaccounts_matching(
        &mut self,
        parent: &AccountSid,
        name: Option<&str>,
        status: Option<AccountStatus>,
        page: &PageRequest,
    ) -> Result<Page<Account>> {
        // The (parent, SID) index, from the cursor; the filters test the rows it reads.
        let items = sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts a WHERE a.parent_sid = $1 AND a.sid > $2 AND ($3 IS NULL OR a.name = $3) \
               AND ($4 IS NULL OR a.status = $4) ORDER BY a.sid LIMIT $5"
        ))
        .bind(parent.as_str())
        .bind(Keyset::Ascending.bound(page))
        .bind(name)
        .bind(status.map(AccountStatus::as_str))
        .bind(page.fetch_limit())
        .all(&mut self.tx, rows::account)
        .await?;
        Ok(Page::from_rows(items, page, |a| a.sid.to_string()))
    }

    async fn subaccounts_cursor_before(
        &mut self,
        parent: &AccountSid,
        name: Option<&str>,
        status: Option<AccountStatus>,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>> {
        // The (parent, SID) index read backwards from the cursor, with the same filters.
        let row = sqlx::query(
            "SELECT a.sid FROM accounts a WHERE a.parent_sid = $1 AND a.sid <= $2 AND ($3 IS NULL OR a.name = $3) \
               AND ($4 IS NULL OR a.status = $4) ORDER BY a.sid DESC LIMIT 1 OFFSET $5",
        )
        .bind(parent.as_str())
        .bind(cursor)
        .bind(name)
        .bind(status.map(AccountStatus::as_str))
        .bind(i64::from(size))
        .row(&mut self.tx)
        .await?;
        row.as_ref().map(|r| get::<String>(r, "sid")).transpose()
    }
}

/// A page of the accounts that `filter` selects (a condition on `a`, given `key` as `$1`), in SID
/// order; search matches the name and the SID.
pub(super) async fn account_page(c: &mut Conn, filter: &str, key: &str, page: &PageRequest) -> Result<Page<Account>> {
    let sql = format!(
        concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts a WHERE ({}) AND a.sid > $2 \
               AND ($3 IS NULL OR lower(a.name) LIKE $3 ESCAPE '\\' OR lower(a.sid) LIKE $3 ESCAPE '\\') \
             ORDER BY a.sid LIMIT $4"
        ),
        filter
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(key)
        .page(c, page, Keyset::Ascending, rows::account, |a| a.sid.to_string())
        .await
}

/// The account `sid`, read with `suffix` (a `dialect` lock clause, or nothing).
async fn by_sid(c: &mut Conn, sid: &AccountSid, suffix: &str) -> Result<Option<Account>> {
    let sql = format!(concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.sid = $1{}"), suffix);
    sqlx::query(AssertSqlSafe(sql)).bind(sid.as_str()).optional(c, rows::account).await
}
