//! SQL for accounts' auth tokens (hashes only).

use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::sid::AccountSid;

use crate::rows::{Conn, db_err, get};

pub(crate) async fn put(c: &mut Conn, account: &AccountSid, hash: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_auth_tokens (account_sid, token_hash, rotated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_sid) DO UPDATE SET token_hash = excluded.token_hash, rotated_at = excluded.rotated_at",
    )
    .bind(account.as_str())
    .bind(hash)
    .bind(at)
    .execute(c)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get_for(c: &mut Conn, account: &AccountSid) -> Result<Option<(String, DateTime<Utc>)>> {
    let row = sqlx::query("SELECT token_hash, rotated_at FROM account_auth_tokens WHERE account_sid = $1")
        .bind(account.as_str())
        .fetch_optional(c)
        .await
        .map_err(db_err)?;
    row.map(|r| Ok((get(&r, "token_hash")?, get(&r, "rotated_at")?))).transpose()
}
