//! What SQLite does differently, named for what it does. The `postgres` dialect has the same
//! items; the shared SQL in `sql/` uses only these.

use std::str::FromStr;
use std::time::Duration;

use gatehouse_domain::{Error, Result};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Transaction};

use super::Db;
use super::sql::db_err;

/// The engine's name, as `Store::engine` reports it.
pub(super) const ENGINE: &str = "sqlite";

/// The embedded migrations.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connection setup: creates the file if missing; WAL, `synchronous=NORMAL`, foreign keys on and
/// a busy timeout so writers queue instead of failing.
pub(super) async fn open_pool(url: &str) -> Result<Pool<Db>> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::invalid("database_url", e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new().max_connections(8).connect_with(options).await.map_err(db_err)
}

/// Starts a transaction that will write, holding `writers` until it ends. Writers of this
/// process queue on that lock (a fair async queue) instead of in SQLite's busy handler, which
/// sleeps and retries and so turns contention into long tails; `BEGIN IMMEDIATE` then takes the
/// database's write lock at once (another process writing still waits on the busy timeout). It
/// also serialises every change, so rows need no lock of their own.
pub(super) async fn begin_write(
    pool: &Pool<Db>,
    writers: &WriteLock,
) -> Result<(Transaction<'static, Db>, WriteGuard)> {
    let guard = writers.clone().lock_owned().await;
    Ok((pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?, Some(guard)))
}

/// The lock writers of one store queue on.
pub(super) type WriteLock = std::sync::Arc<tokio::sync::Mutex<()>>;

/// Held by a write transaction until it ends.
pub(super) type WriteGuard = Option<tokio::sync::OwnedMutexGuard<()>>;

/// Appended to a `SELECT` whose rows must stay unchanged by others until the transaction ends:
/// nothing, as the write transaction already holds the whole database.
pub(super) const LOCK_ROWS: &str = "";

/// Appended to a `SELECT` of rows to claim, so concurrent claimers never get the same row:
/// nothing, as only one write transaction runs at a time.
pub(super) const CLAIM_ROWS: &str = "";

/// A JSON document stored from the text in `sql` (JSON is kept as TEXT here).
pub(super) fn json_from_text(sql: &str) -> String {
    sql.to_owned()
}

/// The text of the JSON document in `column`.
pub(super) fn json_as_text(column: &str) -> String {
    column.to_owned()
}

/// Whether the text `haystack` contains `needle` (both SQL expressions).
pub(super) fn text_contains(haystack: &str, needle: &str) -> String {
    format!("instr({haystack}, {needle}) > 0")
}

/// Appended to a text comparison so strings order by their bytes (code points), as Rust's do.
pub(super) const BYTE_ORDER: &str = "";

/// The text `expr` with ASCII letters lowercased and every other character kept, as the SCIM
/// filter evaluator folds case-insensitive attributes.
pub(super) fn fold_ascii(expr: &str) -> String {
    format!("lower({expr})")
}
