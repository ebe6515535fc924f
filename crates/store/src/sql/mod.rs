//! The SQL of every store method, written once. Each engine module (`sqlite`, `postgres`)
//! includes this module with its own `Db` and `dialect`, so every query here is compiled once
//! per engine; what the engines do differently is asked of `dialect`, never spelled out here.
//! One file per noun, each implementing that noun's trait of `gatehouse_domain::store`.

mod access;
mod account_requests;
mod accounts;
mod api_keys;
mod audit;
mod auth_tokens;
mod billing;
mod domains;
mod groups;
mod invitations;
mod nominations;
mod notifications;
mod oauth;
mod offboarding;
mod org_invitations;
mod rows;
mod scim;
mod scim_users;
mod security;
mod sessions;
mod users;

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::store::{Store, Tx};

pub(super) use rows::db_err;

use super::{Db, EngineStore, dialect};

/// An open transaction.
pub(super) struct EngineTx {
    tx: sqlx::Transaction<'static, Db>,
    /// What `dialect::begin_write` holds until the transaction ends (declared after `tx`, so
    /// it is released after the rollback of a dropped transaction).
    _writing: dialect::WriteGuard,
}

#[async_trait]
impl Tx for EngineTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(db_err)
    }
}

#[async_trait]
impl Store for EngineStore {
    async fn write(&self) -> Result<Box<dyn Tx>> {
        let (tx, writing) = dialect::begin_write(&self.pool, &self.writers).await?;
        Ok(Box::new(EngineTx { tx, _writing: writing }))
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(EngineTx { tx: self.pool.begin().await.map_err(db_err)?, _writing: None }))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        dialect::ENGINE
    }

    fn rows_read(&self) -> u64 {
        rows::ROWS_READ.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl EngineStore {
    /// Applies the embedded migrations that have not run yet (forward-only).
    pub async fn migrate(&self) -> Result<()> {
        dialect::MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| gatehouse_domain::Error::Internal(format!("migration failed: {e}")))
    }

    /// The names of the embedded migrations, for the parity check.
    pub fn migration_names() -> Vec<String> {
        dialect::MIGRATOR.iter().map(|m| format!("{:04}_{}", m.version, m.description.replace(' ', "_"))).collect()
    }

    /// Closes the pool (on SQLite this checkpoints the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
