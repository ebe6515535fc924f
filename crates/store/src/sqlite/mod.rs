//! The store on SQLite: one file, WAL, no setup at all.

mod dialect;
// The same SQL is compiled for each engine, by design (ADR 0014).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;

type Db = sqlx::Sqlite;

/// The SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: sqlx::Pool<Db>,
    writers: dialect::WriteLock,
    credentials: std::sync::Arc<sql::CredentialEpoch>,
    access_listener: dialect::AccessListener,
}

type EngineStore = SqliteStore;

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL with WAL,
    /// `synchronous=NORMAL`, foreign keys on and a busy timeout.
    pub async fn connect(url: &str) -> gatehouse_domain::Result<Self> {
        let (pool, writers) = dialect::open_pool(url).await?;
        Ok(SqliteStore { pool, writers, credentials: Default::default(), access_listener: Default::default() })
    }
}
