//! SQL for pending ownership transfers.

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::nomination::OwnerNomination;
use gatehouse_domain::sid::{AccountSid, UserSid};
use gatehouse_domain::store::NominationsTx;

use super::EngineTx;
use super::rows::{Run, corrupt, get};

#[async_trait]
impl NominationsTx for EngineTx {
    async fn put_owner_nomination(&mut self, n: &OwnerNomination) -> Result<()> {
        self.delete_owner_nomination(&n.account_sid).await?;
        sqlx::query(
            "INSERT INTO owner_nominations (account_sid, nominee_sid, nominated_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(n.account_sid.as_str())
        .bind(n.nominee.as_str())
        .bind(n.nominated_by.as_str())
        .bind(n.created_at)
        .bind(n.expires_at)
        .run(&mut self.tx)
        .await
    }

    async fn owner_nomination(&mut self, account: &AccountSid) -> Result<Option<OwnerNomination>> {
        let row = sqlx::query(
            "SELECT account_sid, nominee_sid, nominated_by, created_at, expires_at FROM owner_nominations \
             WHERE account_sid = $1",
        )
        .bind(account.as_str())
        .row(&mut self.tx)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(OwnerNomination {
            account_sid: AccountSid::parse(&get::<String>(&r, "account_sid")?).map_err(corrupt)?,
            nominee: UserSid::parse(&get::<String>(&r, "nominee_sid")?).map_err(corrupt)?,
            nominated_by: UserSid::parse(&get::<String>(&r, "nominated_by")?).map_err(corrupt)?,
            created_at: get(&r, "created_at")?,
            expires_at: get(&r, "expires_at")?,
        }))
    }

    async fn delete_owner_nomination(&mut self, account: &AccountSid) -> Result<()> {
        sqlx::query("DELETE FROM owner_nominations WHERE account_sid = $1")
            .bind(account.as_str())
            .run(&mut self.tx)
            .await
    }
}
