//! What PostgreSQL does differently, named for what it does. The `sqlite` dialect has the same
//! items; the shared SQL in `sql/` uses only these.

use std::str::FromStr;

use gatehouse_domain::{Error, Result};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Transaction};

use super::Db;
use super::sql::db_err;

/// The engine's name, as `Store::engine` reports it.
pub(super) const ENGINE: &str = "postgres";

/// The embedded migrations.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connection setup: a pool of 16 connections to the server the URL names.
pub(super) async fn open_pool(url: &str) -> Result<(Pool<Db>, WriteLock)> {
    let options = PgConnectOptions::from_str(url).map_err(|e| Error::invalid("database_url", e.to_string()))?;
    Ok((PgPoolOptions::new().max_connections(16).connect_with(options).await.map_err(db_err)?, ()))
}

/// Starts a transaction that will write: a plain `BEGIN`. Writers that must not interleave
/// lock the rows they change (`LOCK_ROWS`); nothing is queued in the process.
pub(super) async fn begin_write(
    pool: &Pool<Db>,
    _writers: &WriteLock,
) -> Result<(Transaction<'static, Db>, WriteGuard)> {
    Ok((pool.begin().await.map_err(db_err)?, None))
}

/// Writers do not queue in the process on PostgreSQL.
pub(super) type WriteLock = ();

/// Nothing to close: writers use the pool.
pub(super) async fn close_writers(_writers: &WriteLock) {}

/// Nothing to do: the server vacuums and checkpoints by itself.
pub(super) async fn maintain(_pool: &Pool<Db>) -> Result<()> {
    Ok(())
}

/// Nothing to do: autovacuum gathers the planner's statistics.
pub(super) async fn refresh_statistics(_writers: &WriteLock) -> Result<()> {
    Ok(())
}

/// Nothing is held by a write transaction beyond its own row locks.
pub(super) type WriteGuard = Option<()>;

/// Appended to a `SELECT` whose rows must stay unchanged by others until the transaction ends.
pub(super) const LOCK_ROWS: &str = " FOR UPDATE";

/// Appended to a `SELECT` of rows to claim: a node never waits for, or takes, rows another node
/// is claiming.
pub(super) const CLAIM_ROWS: &str = " FOR UPDATE SKIP LOCKED";

/// A JSON document stored from the text in `sql` (JSON is kept as JSONB here).
pub(super) fn json_from_text(sql: &str) -> String {
    format!("({sql})::jsonb")
}

/// The text of the JSON document in `column`.
pub(super) fn json_as_text(column: &str) -> String {
    format!("{column}::text")
}

/// Whether the text `haystack` contains `needle` (both SQL expressions).
pub(super) fn text_contains(haystack: &str, needle: &str) -> String {
    format!("strpos({haystack}, {needle}) > 0")
}

/// Appended to a text comparison so strings order by their bytes (code points), as Rust's do.
pub(super) const BYTE_ORDER: &str = " COLLATE \"C\"";

/// The text `expr` with ASCII letters lowercased and every other character kept, as the SCIM
/// filter evaluator folds case-insensitive attributes.
pub(super) fn fold_ascii(expr: &str) -> String {
    format!("lower({expr} COLLATE \"C\")")
}

/// The node's `LISTEN gatehouse_access` connection, opened at the first wait and again after a
/// failure (notifications lost meanwhile are caught up by revision, ADR 0025).
#[derive(Clone, Default)]
pub(super) struct AccessListener(std::sync::Arc<tokio::sync::Mutex<Option<sqlx::postgres::PgListener>>>);

impl AccessListener {
    /// Gives its connection back to the pool (which waits for every connection when it closes).
    pub(super) async fn close(&self) {
        self.0.lock().await.take();
    }
}

impl std::fmt::Debug for AccessListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessListener")
    }
}

/// Waits for a `NOTIFY gatehouse_access` (sent at the commit of an access change), or `at_most`.
/// A failed listener is dropped and the error returned; the next wait connects again.
pub(super) async fn wait_for_access_change(
    pool: &Pool<Db>,
    listener: &AccessListener,
    at_most: std::time::Duration,
) -> Result<()> {
    let mut held = listener.0.lock().await;
    if held.is_none() {
        let mut fresh = sqlx::postgres::PgListener::connect_with(pool).await.map_err(db_err)?;
        fresh.listen("gatehouse_access").await.map_err(db_err)?;
        *held = Some(fresh);
    }
    if let Some(l) = held.as_mut()
        && let Ok(Err(e)) = tokio::time::timeout(at_most, l.recv()).await
    {
        *held = None;
        return Err(db_err(e));
    }
    Ok(())
}

/// After a read of whole tables: nothing to free (the server keeps its own buffers).
pub(super) async fn after_bulk_read(_c: &mut super::sql::Conn) -> Result<()> {
    Ok(())
}
