//! SQL for API keys and instance secrets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::custom_role::{permission_names, permissions_from_names};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, ApiKeySid, UserSid};
use gatehouse_domain::store::ApiKeysTx;

use super::EngineTx;
use super::rows::{Keyset, Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, account_sid, name, secret_hash, created_by, created_at, last_used_at, revoked_at, updated_at, permissions"
    };
}

fn api_key(r: &Row) -> Result<ApiKey> {
    Ok(ApiKey {
        sid: ApiKeySid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        account_sid: AccountSid::parse(&get::<String>(r, "account_sid")?).map_err(corrupt)?,
        name: get(r, "name")?,
        secret_hash: get(r, "secret_hash")?,
        created_by: get::<Option<String>>(r, "created_by")?.map(|s| UserSid::parse(&s)).transpose().map_err(corrupt)?,
        created_at: get(r, "created_at")?,
        last_used_at: get(r, "last_used_at")?,
        revoked_at: get(r, "revoked_at")?,
        // Keys made before migration 0028 have it from the backfill; never null after.
        updated_at: get::<Option<DateTime<Utc>>>(r, "updated_at")?.unwrap_or(get(r, "created_at")?),
        restricted_to: get::<Option<String>>(r, "permissions")?.as_deref().map(permissions_from_names),
    })
}

#[async_trait]
impl ApiKeysTx for EngineTx {
    async fn insert_api_key(&mut self, k: &ApiKey) -> Result<()> {
        sqlx::query(concat!("INSERT INTO api_keys (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(k.sid.as_str())
            .bind(k.account_sid.as_str())
            .bind(&k.name)
            .bind(&k.secret_hash)
            .bind(k.created_by.as_ref().map(|s| s.as_str()))
            .bind(k.created_at)
            .bind(k.last_used_at)
            .bind(k.revoked_at)
            .bind(k.updated_at)
            .bind(k.restricted_to.map(permission_names))
            .run(&mut self.tx)
            .await
    }

    async fn api_key(&mut self, sid: &ApiKeySid) -> Result<Option<ApiKey>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM api_keys WHERE sid = $1"))
            .bind(sid.as_str())
            .optional(&mut self.tx, api_key)
            .await
    }

    async fn account_api_keys(&mut self, account: &AccountSid, page: &PageRequest) -> Result<Page<ApiKey>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM api_keys WHERE account_sid = $1 AND revoked_at IS NULL AND sid > $2 \
               AND ($3 IS NULL OR lower(name) LIKE $3 ESCAPE '\\' OR lower(sid) LIKE $3 ESCAPE '\\') \
             ORDER BY sid LIMIT $4"
        ))
        .bind(account.as_str())
        .page(&mut self.tx, page, Keyset::Ascending, api_key, |k| k.sid.to_string())
        .await
    }

    async fn account_api_keys_cursor_before(
        &mut self,
        account: &AccountSid,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT sid FROM api_keys WHERE account_sid = $1 AND revoked_at IS NULL AND sid <= $2 \
             ORDER BY sid DESC LIMIT 1 OFFSET $3",
        )
        .bind(account.as_str())
        .bind(cursor)
        .bind(i64::from(size))
        .row(&mut self.tx)
        .await?;
        row.as_ref().map(|r| get::<String>(r, "sid")).transpose()
    }

    async fn rename_api_key(
        &mut self,
        account: &AccountSid,
        sid: &ApiKeySid,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE api_keys SET name = $3, updated_at = $4 WHERE account_sid = $1 AND sid = $2")
            .bind(account.as_str())
            .bind(sid.as_str())
            .bind(name)
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn revoke_api_key(&mut self, account: &AccountSid, sid: &ApiKeySid, at: DateTime<Utc>) -> Result<()> {
        self.credentials_changed().await?;
        sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE account_sid = $1 AND sid = $2 AND revoked_at IS NULL")
            .bind(account.as_str())
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn touch_api_key(&mut self, sid: &ApiKeySid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn instance_secret(&mut self, name: &str, value: &str) -> Result<String> {
        let c = &mut *self.tx;
        sqlx::query("INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .run(c)
            .await?;
        let row = sqlx::query("SELECT value FROM instance_secrets WHERE name = $1").bind(name).one(c).await?;
        get(&row, "value")
    }

    async fn api_keys_created_by(&mut self, user: &UserSid) -> Result<Vec<ApiKey>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM api_keys WHERE created_by = $1 AND revoked_at IS NULL ORDER BY sid"
        ))
        .bind(user.as_str())
        .all(&mut self.tx, api_key)
        .await
    }
}
