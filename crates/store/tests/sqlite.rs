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
