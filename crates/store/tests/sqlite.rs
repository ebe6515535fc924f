//! The store contract on SQLite: each case gets its own database file.
#![allow(clippy::expect_used)]

use std::sync::Arc;

use gatehouse_domain::store::Store;
use gatehouse_store::SqliteStore;

async fn fresh() -> Option<Arc<dyn Store>> {
    // The directory lives as long as the test process; each case has its own file.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let url = format!("sqlite://{}", dir.join("contract.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Some(Arc::new(store))
}

gatehouse_store_contract::contract_tests!(fresh);

/// The bundled SQLite is built with the query planner stability guarantee (`.cargo/config.toml`,
/// ADR 0020): without it, every cached statement with a `LIMIT $n` is compiled again on every
/// execution.
#[tokio::test]
async fn sqlite_is_built_with_the_query_planner_stability_guarantee() {
    let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.expect("connect");
    let options: Vec<String> =
        sqlx::query_scalar("PRAGMA compile_options").fetch_all(&pool).await.expect("compile options");
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "compile options: {options:?}");
}

/// The planner's statistics are gathered by `refresh_statistics` (a database without them is
/// planned by guesses).
#[tokio::test]
async fn refreshing_statistics_gathers_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("stats.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let mut tx = store.write().await.expect("write");
    let org = gatehouse_domain::organization::Organization::new("Stats".into(), chrono::Utc::now());
    tx.insert_organization(&org).await.expect("organization");
    tx.commit().await.expect("commit");
    store.refresh_statistics().await.expect("refresh");
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&url).await.expect("reopen");
    let analyzed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'organizations'")
        .fetch_one(&pool)
        .await
        .expect("statistics");
    assert!(analyzed > 0, "no statistics for organizations");
}
