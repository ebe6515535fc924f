//! The store contract on PostgreSQL: each case gets a fresh database.
#![allow(clippy::expect_used)]

use std::sync::Arc;

use gatehouse_domain::store::Store;
use gatehouse_store::PgStore;

async fn fresh() -> Option<Arc<dyn Store>> {
    let base = gatehouse_store_contract::postgres_test_url()?;
    let store = PgStore::connect_fresh(&base).await.expect("fresh database");
    Some(Arc::new(store))
}

gatehouse_store_contract::contract_tests!(fresh);
