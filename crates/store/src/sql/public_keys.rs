//! SQL for the public keys accounts register for Public Key Client Validation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::public_key::AccountPublicKey;
use gatehouse_domain::sid::{AccountSid, CredentialSid};
use gatehouse_domain::store::PublicKeysTx;

use super::EngineTx;
use super::rows::{Keyset, Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, account_sid, name, pem, created_at, updated_at"
    };
}

fn public_key(r: &Row) -> Result<AccountPublicKey> {
    Ok(AccountPublicKey {
        sid: CredentialSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        account_sid: AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)?,
        name: get(r, "name")?,
        pem: get(r, "pem")?,
        created_at: get(r, "created_at")?,
        updated_at: get(r, "updated_at")?,
    })
}

#[async_trait]
impl PublicKeysTx for EngineTx {
    async fn insert_public_key(&mut self, k: &AccountPublicKey) -> Result<()> {
        sqlx::query(concat!("INSERT INTO account_public_keys (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(k.sid.as_str())
            .bind(k.account_sid.as_str())
            .bind(&k.name)
            .bind(&k.pem)
            .bind(k.created_at)
            .bind(k.updated_at)
            .run(&mut self.tx)
            .await
    }

    async fn public_key(&mut self, sid: &CredentialSid) -> Result<Option<AccountPublicKey>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM account_public_keys WHERE sid = $1"))
            .bind(sid.as_str())
            .optional(&mut self.tx, public_key)
            .await
    }

    async fn account_public_keys(
        &mut self,
        account: &AccountSid,
        page: &PageRequest,
    ) -> Result<Page<AccountPublicKey>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM account_public_keys WHERE account_sid = $1 AND sid > $2 \
               AND ($3 IS NULL OR lower(name) LIKE $3 ESCAPE '\\' OR lower(sid) LIKE $3 ESCAPE '\\') \
             ORDER BY sid LIMIT $4"
        ))
        .bind(account.as_str())
        .page(&mut self.tx, page, Keyset::Ascending, public_key, |k| k.sid.to_string())
        .await
    }

    async fn rename_public_key(
        &mut self,
        account: &AccountSid,
        sid: &CredentialSid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE account_public_keys SET name = $3, updated_at = $4 WHERE account_sid = $1 AND sid = $2")
            .bind(account.as_str())
            .bind(sid.as_str())
            .bind(name)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn delete_public_key(&mut self, account: &AccountSid, sid: &CredentialSid) -> Result<u64> {
        sqlx::query("DELETE FROM account_public_keys WHERE account_sid = $1 AND sid = $2")
            .bind(account.as_str())
            .bind(sid.as_str())
            .affected(&mut self.tx)
            .await
    }
}
