//! SQL for organizations' requests to import or access accounts, and the independent accounts
//! an organization has standing access to.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::account::Account;
use gatehouse_domain::account_request::{AccountRequest, AccountRequestKind, AccountRequestStatus};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::sid::{AccountRequestSid, AccountSid, OrganizationSid, UserSid};
use gatehouse_domain::store::AccountRequestsTx;

use super::EngineTx;
use super::accounts::account_page;
use super::rows::{Keyset, Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, organization_sid, account_sid, kind, requested_by, status, created_at, expires_at, updated_at"
    };
}

fn request(r: &Row) -> Result<AccountRequest> {
    Ok(AccountRequest {
        sid: AccountRequestSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        account_sid: AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)?,
        kind: AccountRequestKind::parse(&get::<String>(r, "kind")?).map_err(corrupt)?,
        requested_by: get::<Option<String>>(r, "requested_by")?
            .map(|s| UserSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        status: AccountRequestStatus::parse(&get::<String>(r, "status")?).map_err(corrupt)?,
        created_at: get(r, "created_at")?,
        expires_at: get(r, "expires_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

#[async_trait]
impl AccountRequestsTx for EngineTx {
    async fn insert_account_request(&mut self, r: &AccountRequest) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO account_requests (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(r.sid.as_str())
        .bind(r.organization_sid.as_str())
        .bind(r.account_sid.as_str())
        .bind(r.kind.as_str())
        .bind(r.requested_by.as_ref().map(|s| s.as_str()))
        .bind(r.status.as_str())
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.updated_at)
        .run(&mut self.tx)
        .await
    }

    async fn update_account_request(&mut self, r: &AccountRequest) -> Result<()> {
        sqlx::query("UPDATE account_requests SET status = $3, updated_at = $4 WHERE organization_sid = $1 AND sid = $2")
            .bind(r.organization_sid.as_str())
            .bind(r.sid.as_str())
            .bind(r.status.as_str())
            .bind(r.updated_at)
            .run(&mut self.tx)
            .await
    }

    async fn account_request(
        &mut self,
        org: &OrganizationSid,
        sid: &AccountRequestSid,
    ) -> Result<Option<AccountRequest>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM account_requests WHERE organization_sid = $1 AND sid = $2"))
            .bind(org.as_str())
            .bind(sid.as_str())
            .optional(&mut self.tx, request)
            .await
    }

    async fn pending_account_request(&mut self, account: &AccountSid) -> Result<Option<AccountRequest>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM account_requests WHERE account_sid = $1 AND status = 'pending'"
        ))
        .bind(account.as_str())
        .optional(&mut self.tx, request)
        .await
    }

    async fn accounts_shared_with_admin(
        &mut self,
        user: &UserSid,
        account: &AccountSid,
        parent: &AccountSid,
    ) -> Result<Vec<AccountSid>> {
        // From the account's standing grants (account_requests_shared), then one probe of the
        // (scope, user, role) index per grant: never the user's assignments, which can be many.
        let rows = sqlx::query(
            "SELECT DISTINCT ar.account_sid FROM account_requests ar \
             WHERE (ar.account_sid = $1 OR ar.account_sid = $2) AND ar.kind = 'access' AND ar.status = 'accepted' \
               AND EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.scope_sid = ar.organization_sid \
                             AND ra.user_sid = $3 AND (ra.role_sid = $4 OR ra.role_sid = $5))",
        )
        .bind(account.as_str())
        .bind(parent.as_str())
        .bind(user.as_str())
        .bind(OrgRole::Owner.sid().as_str())
        .bind(OrgRole::Administrator.sid().as_str())
        .rows(&mut self.tx)
        .await?;
        rows.iter().map(|r| AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)).collect()
    }

    async fn accepted_access_request(
        &mut self,
        org: &OrganizationSid,
        account: &AccountSid,
    ) -> Result<Option<AccountRequest>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM account_requests WHERE organization_sid = $1 AND account_sid = $2 \
               AND kind = 'access' AND status = 'accepted'"
        ))
        .bind(org.as_str())
        .bind(account.as_str())
        .optional(&mut self.tx, request)
        .await
    }

    async fn pending_account_requests(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<AccountRequest>> {
        let items = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM account_requests WHERE organization_sid = $1 AND status = 'pending' AND sid > $2 \
             ORDER BY sid LIMIT $3"
        ))
        .bind(org.as_str())
        .bind(Keyset::Ascending.bound(page))
        .bind(page.fetch_limit())
        .all(&mut self.tx, request)
        .await?;
        Ok(Page::from_rows(items, page, |r| r.sid.to_string()))
    }

    async fn independent_accounts(&mut self, org: &OrganizationSid, page: &PageRequest) -> Result<Page<Account>> {
        let accepted = "EXISTS (SELECT 1 FROM account_requests r WHERE r.account_sid = a.sid \
                        AND r.organization_sid = $1 AND r.kind = 'access' AND r.status = 'accepted')";
        account_page(&mut self.tx, accepted, org.as_str(), page).await
    }
}
