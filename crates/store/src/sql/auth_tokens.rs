//! SQL for accounts' auth tokens (hashes only).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::sid::AccountSid;
use gatehouse_domain::store::AuthTokensTx;

use super::EngineTx;
use super::rows::{Run, get};

#[async_trait]
impl AuthTokensTx for EngineTx {
    async fn put_auth_token(&mut self, account: &AccountSid, hash: &str, at: DateTime<Utc>) -> Result<()> {
        self.credentials_changed().await?;
        sqlx::query(
            "INSERT INTO account_auth_tokens (account_sid, token_hash, rotated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_sid) DO UPDATE SET token_hash = excluded.token_hash, rotated_at = excluded.rotated_at",
        )
        .bind(account.as_str())
        .bind(hash)
        .bind(at)
        .run(&mut self.tx).await
    }

    async fn auth_token(&mut self, account: &AccountSid) -> Result<Option<(String, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT token_hash, rotated_at FROM account_auth_tokens WHERE account_sid = $1")
            .bind(account.as_str())
            .row(&mut self.tx)
            .await?;
        row.map(|r| Ok((get(&r, "token_hash")?, get(&r, "rotated_at")?))).transpose()
    }
}
