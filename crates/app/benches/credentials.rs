//! `cargo bench -p gatehouse-app`: the in-process costs of a request's credential.
//!
//! - an API key checked on a warm path (from the credential cache: the HMAC of the secret, the
//!   lookup and the comparison, no database round trip);
//! - a SCIM token on a warm path;
//! - one password hash at the production argon2id parameters (what a sign-in costs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_app::{App, NewOrganization, PasswordHasher};
use gatehouse_domain::policy::Actor;
use gatehouse_domain::store::Store;
use std::hint::black_box;

async fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = gatehouse_store::SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    (App::new(store), dir)
}

fn credentials(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (app, _dir) = rt.block_on(app());
    let (key_sid, key_secret, scim_secret) = rt.block_on(async {
        let made = app
            .create_organization(
                &Actor::system(),
                NewOrganization {
                    organization_name: "Bench".into(),
                    owner_email: "owner@bench.test".into(),
                    owner_name: "Owner".into(),
                    password: "correct horse battery staple".into(),
                    account_name: "Bench".into(),
                },
            )
            .await
            .unwrap();
        let account = made.account.sid;
        let key = app.create_api_key(&Actor::system(), &account, "bench").await.unwrap();
        let scim = app.create_scim_token(&Actor::system(), &made.organization.sid, "bench").await.unwrap();
        (key.key.sid.to_string(), key.secret, scim.secret)
    });
    // The first checks read the store and fill the cache; the measured ones are warm.
    rt.block_on(app.authenticate_api_key(&key_sid, &key_secret, None)).unwrap();
    rt.block_on(app.authenticate_scim(&scim_secret, None)).unwrap();
    let (_, misses) = app.credential_cache_counts();

    c.bench_function("API key check, warm", |b| {
        b.iter(|| rt.block_on(app.authenticate_api_key(black_box(&key_sid), black_box(&key_secret), None)).unwrap())
    });
    c.bench_function("SCIM token check, warm", |b| {
        b.iter(|| rt.block_on(app.authenticate_scim(black_box(&scim_secret), None)).unwrap())
    });
    assert_eq!(app.credential_cache_counts().1, misses, "the measured checks never read the store");

    let hasher = PasswordHasher::default();
    let mut group = c.benchmark_group("password");
    group.sample_size(10);
    group.bench_function("argon2id hash at the production parameters", |b| {
        b.iter(|| rt.block_on(hasher.hash(black_box("correct horse battery staple"))).unwrap())
    });
    group.finish();
}

criterion_group!(benches, credentials);
criterion_main!(benches);
