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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use gatehouse_domain::store::{Store, StoreStats, Tx};

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

/// Transactions begun by this engine's stores since the process started, and the time they waited.
static TRANSACTIONS: AtomicU64 = AtomicU64::new(0);
static BEGIN_WAIT_MICROS: AtomicU64 = AtomicU64::new(0);

fn begun(tx: EngineTx, started: Instant) -> Box<dyn Tx> {
    TRANSACTIONS.fetch_add(1, Ordering::Relaxed);
    BEGIN_WAIT_MICROS.fetch_add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    Box::new(tx)
}

#[async_trait]
impl Store for EngineStore {
    async fn write(&self) -> Result<Box<dyn Tx>> {
        let started = Instant::now();
        let (tx, writing) = dialect::begin_write(&self.pool, &self.writers).await?;
        Ok(begun(EngineTx { tx, _writing: writing }, started))
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        let started = Instant::now();
        Ok(begun(EngineTx { tx: self.pool.begin().await.map_err(db_err)?, _writing: None }, started))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        dialect::ENGINE
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            rows_read: rows::ROWS_READ.load(Ordering::Relaxed),
            connections: self.pool.size(),
            idle_connections: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            transactions: TRANSACTIONS.load(Ordering::Relaxed),
            begin_wait_micros: BEGIN_WAIT_MICROS.load(Ordering::Relaxed),
        }
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
