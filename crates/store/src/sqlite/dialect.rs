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
/// a busy timeout so writers queue instead of failing. Readers share a pool; every write of the
/// process goes through one connection of its own (see [`WriteLock`]).
pub(super) async fn open_pool(url: &str) -> Result<(Pool<Db>, WriteLock)> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::invalid("database_url", e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    // A connection is not pinged before each use (a round trip to its thread on every
    // transaction): a file does not drop connections, and a failed statement reports itself.
    let readers = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(options.clone())
        .await
        .map_err(db_err)?;
    // Kept open for good, so its page cache (16 MiB) stays warm: no other connection of the
    // process changes the file, so SQLite never has to drop it.
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
        // [`maintain`] checkpoints in the background; the writer only does so itself, inside a
        // commit, if the log grows past 80 MB without it (a process that runs no server).
        .connect_with(options.pragma("cache_size", "-16384").pragma("wal_autocheckpoint", "20000"))
        .await
        .map_err(db_err)?;
    Ok((readers, WriteLock { queue: Default::default(), writer }))
}

/// Starts a transaction that will write, on the writer connection, holding the process's write
/// queue until it ends. Writers of this process queue on that lock (a fair async queue) instead
/// of in SQLite's busy handler, which sleeps and retries and so turns contention into long
/// tails; `BEGIN IMMEDIATE` then takes the database's write lock at once (another process
/// writing still waits on the busy timeout). It also serialises every change, so rows need no
/// lock of their own.
pub(super) async fn begin_write(
    _readers: &Pool<Db>,
    writers: &WriteLock,
) -> Result<(Transaction<'static, Db>, WriteGuard)> {
    let guard = writers.queue.clone().lock_owned().await;
    Ok((writers.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?, Some(guard)))
}

/// How the writes of one store are made: one at a time, on one connection.
#[derive(Clone, Debug)]
pub(super) struct WriteLock {
    queue: std::sync::Arc<tokio::sync::Mutex<()>>,
    writer: Pool<Db>,
}

/// Copies the write-ahead log back into the database file (a passive checkpoint) from a reader
/// connection: it runs beside writers and readers instead of inside the commit that happens to
/// cross SQLite's threshold, which stalled that write, and every write queued behind it, for as
/// long as the copy took (ADR 0018). Once every frame is copied, the next write starts the log
/// again from its beginning, so it stays small.
pub(super) async fn maintain(readers: &Pool<Db>) -> Result<()> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(readers).await.map_err(db_err)?;
    Ok(())
}

/// `PRAGMA optimize` with every table checked (`0x10002`): it runs `ANALYZE`, under a limit it
/// sets itself, on the tables whose statistics are missing or whose size changed a lot since,
/// and is a no-op otherwise. Without statistics SQLite guesses, and at a million users some
/// guesses walk the wrong index (a Group's `displayName eq` walked the organization's users).
/// The first run on a large database without statistics takes a few tenths of a second, in the
/// write queue like any write. Plans then depend on the statistics and the SQL text only, never
/// on bound values (the query planner stability guarantee, built in: ADR 0020).
pub(super) async fn refresh_statistics(writers: &WriteLock) -> Result<()> {
    let _queued = writers.queue.lock().await;
    sqlx::query("PRAGMA optimize=0x10002").execute(&writers.writer).await.map_err(db_err)?;
    Ok(())
}

/// Closes the writer connection (a store that closes checkpoints the WAL).
pub(super) async fn close_writers(writers: &WriteLock) {
    writers.writer.close().await;
}

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

/// Nothing to listen to: one node commits every change, and notes it in its own index.
#[derive(Clone, Debug, Default)]
pub(super) struct AccessListener;

impl AccessListener {
    /// Nothing to give back.
    pub(super) async fn close(&self) {}
}

/// Waits `at_most` (a CLI command writing to the same file is seen at the next wait's end).
pub(super) async fn wait_for_access_change(
    _pool: &Pool<Db>,
    _listener: &AccessListener,
    at_most: Duration,
) -> Result<()> {
    tokio::time::sleep(at_most).await;
    Ok(())
}

/// After a read of whole tables (the permission index's load): frees the connection's page
/// cache, which such a read fills with pages no request needs.
pub(super) async fn after_bulk_read(c: &mut super::sql::Conn) -> Result<()> {
    sqlx::query("PRAGMA shrink_memory").execute(c).await.map_err(db_err)?;
    Ok(())
}
