//! The store on PostgreSQL, for several nodes sharing one database.

mod dialect;
// The same SQL is compiled for each engine, by design (ADR 0014).
#[allow(clippy::duplicate_mod)]
#[path = "../sql/mod.rs"]
mod sql;

use std::str::FromStr;

use gatehouse_domain::sid::UserSid;
use gatehouse_domain::{Error, Result};
use sqlx::Connection as _;
use sqlx::postgres::PgConnectOptions;

use sql::db_err;

type Db = sqlx::Postgres;

/// The PostgreSQL store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: sqlx::Pool<Db>,
    writers: dialect::WriteLock,
    credentials: std::sync::Arc<sql::CredentialEpoch>,
    access_listener: dialect::AccessListener,
}

type EngineStore = PgStore;

impl PgStore {
    /// Connects to the database at a `postgres:` URL.
    pub async fn connect(url: &str) -> Result<Self> {
        let (pool, writers) = dialect::open_pool(url).await?;
        Ok(PgStore { pool, writers, credentials: Default::default(), access_listener: Default::default() })
    }

    /// For tests: creates a new, empty database on the server `base_url` points at and returns
    /// its URL. Names start with `gh_t_` so a CI run can drop them afterwards.
    pub async fn create_test_database(base_url: &str) -> Result<String> {
        let base = PgConnectOptions::from_str(base_url).map_err(|e| Error::invalid("database_url", e.to_string()))?;
        let name = format!("gh_t_{}", &UserSid::generate().as_str()[2..]);
        let mut admin = sqlx::PgConnection::connect_with(&base).await.map_err(db_err)?;
        // The name is generated here from hex digits only, so formatting it in is safe.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .map_err(db_err)?;
        admin.close().await.map_err(db_err)?;
        let (path, query) = base_url.split_once('?').map_or((base_url, None), |(p, q)| (p, Some(q)));
        let prefix = match path.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{}", rest.split_once('/').map_or(rest, |(host, _)| host)),
            None => return Err(Error::invalid("database_url", "expected postgres://host/database")),
        };
        Ok(match query {
            Some(q) => format!("{prefix}/{name}?{q}"),
            None => format!("{prefix}/{name}"),
        })
    }

    /// For tests: a migrated store on a new, empty database (see [`PgStore::create_test_database`]).
    pub async fn connect_fresh(base_url: &str) -> Result<Self> {
        let url = Self::create_test_database(base_url).await?;
        let store = Self::connect(&url).await?;
        store.migrate().await?;
        Ok(store)
    }
}
