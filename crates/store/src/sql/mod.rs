//! The SQL of every store method, written once. Each engine module (`sqlite`, `postgres`)
//! includes this module with its own `Db` and `dialect`, so every query here is compiled once
//! per engine; what the engines do differently is asked of `dialect`, never spelled out here.
//! One file per noun, each implementing that noun's trait of `gatehouse_domain::store`.

mod access;
mod access_index;
mod account_requests;
mod accounts;
mod api_keys;
mod audit;
mod auth_tokens;
mod billing;
mod domains;
mod groups;
mod instance;
mod invitations;
mod nominations;
mod notifications;
mod oauth;
mod offboarding;
mod org_invitations;
mod public_keys;
mod roles;
mod rows;
mod scim;
mod scim_filter;
mod scim_users;
mod security;
mod sessions;
mod users;

use async_trait::async_trait;
use gatehouse_domain::Result;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use gatehouse_domain::store::{Store, StoreStats, Tx};

use rows::Run;
pub(super) use rows::{Conn, db_err};

use super::{Db, EngineStore, dialect};

/// An open transaction.
pub(super) struct EngineTx {
    tx: Connection,
    /// Whether this transaction revoked or rotated a credential, and the node's epoch to move
    /// when it commits.
    changed_credentials: bool,
    credentials: Arc<CredentialEpoch>,
    /// What `dialect::begin_write` holds until the transaction ends (declared after `tx`, so
    /// it is released after the rollback of a dropped transaction).
    _writing: dialect::WriteGuard,
}

/// What a transaction's statements run on: a transaction, or (`Store::read_autocommit`) a
/// connection whose statements each commit alone.
enum Connection {
    Transaction(sqlx::Transaction<'static, Db>),
    Autocommit(sqlx::pool::PoolConnection<Db>),
}

impl std::ops::Deref for Connection {
    type Target = rows::Conn;

    fn deref(&self) -> &rows::Conn {
        match self {
            Connection::Transaction(tx) => tx,
            Connection::Autocommit(c) => c,
        }
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut rows::Conn {
        match self {
            Connection::Transaction(tx) => &mut *tx,
            Connection::Autocommit(c) => &mut *c,
        }
    }
}

#[async_trait]
impl Tx for EngineTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        let (changed, credentials) = (self.changed_credentials, self.credentials.clone());
        match self.tx {
            Connection::Transaction(tx) => tx.commit().await.map_err(db_err)?,
            // Each statement committed as it ran.
            Connection::Autocommit(_) => {}
        }
        if changed {
            credentials.local.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

impl EngineTx {
    /// Records that this transaction revoked or rotated a credential or changed an account (API
    /// keys are cached with theirs): the shared version moves with it, once per transaction, and
    /// this node forgets its cached credentials when it commits.
    async fn credentials_changed(&mut self) -> Result<()> {
        if !self.changed_credentials {
            sqlx::query("UPDATE credential_changes SET version = version + 1 WHERE id = 1").run(&mut self.tx).await?;
            self.changed_credentials = true;
        }
        Ok(())
    }
}

/// This node's credential epoch and the shared version it last saw.
#[derive(Debug)]
pub(super) struct CredentialEpoch {
    local: AtomicU64,
    seen: std::sync::atomic::AtomicI64,
}

impl Default for CredentialEpoch {
    fn default() -> Self {
        // Nothing seen yet: the first poll moves the epoch, which only empties an empty cache.
        CredentialEpoch { local: AtomicU64::new(0), seen: std::sync::atomic::AtomicI64::new(-1) }
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
        Ok(begun(self.transaction(Connection::Transaction(tx), writing), started))
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        let started = Instant::now();
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(begun(self.transaction(Connection::Transaction(tx), None), started))
    }

    async fn read_autocommit(&self) -> Result<Box<dyn Tx>> {
        let started = Instant::now();
        let connection = self.pool.acquire().await.map_err(db_err)?;
        Ok(begun(self.transaction(Connection::Autocommit(connection), None), started))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    fn engine(&self) -> &'static str {
        dialect::ENGINE
    }

    fn credential_epoch(&self) -> u64 {
        self.credentials.local.load(Ordering::SeqCst)
    }

    async fn poll_credential_changes(&self) -> Result<()> {
        let row = sqlx::query("SELECT version FROM credential_changes WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        let version: i64 = rows::get(&row, "version")?;
        if self.credentials.seen.swap(version, Ordering::SeqCst) != version {
            self.credentials.local.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    async fn wait_for_access_change(&self, at_most: std::time::Duration) -> Result<()> {
        dialect::wait_for_access_change(&self.pool, &self.access_listener, at_most).await
    }

    async fn maintain(&self) -> Result<()> {
        dialect::maintain(&self.pool).await
    }

    async fn refresh_statistics(&self) -> Result<()> {
        dialect::refresh_statistics(&self.writers).await
    }

    async fn close(&self) {
        dialect::close_writers(&self.writers).await;
        self.access_listener.close().await;
        self.pool.close().await;
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
    fn transaction(&self, tx: Connection, writing: dialect::WriteGuard) -> EngineTx {
        EngineTx { tx, changed_credentials: false, credentials: self.credentials.clone(), _writing: writing }
    }

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
}
