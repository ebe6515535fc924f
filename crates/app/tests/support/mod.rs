//! Shared set-up for the app's tests: a fresh store per test and a fixed clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use gatehouse_app::{App, CreatedOrganization, NewOrganization, NewSignUp};
use gatehouse_domain::account::Account;
use gatehouse_domain::clock::Clock;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::store::Store;
use gatehouse_domain::user::User;

/// A clock that only moves when a test moves it.
pub struct FixedClock(pub std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }

    pub fn now_for_tests(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).single().unwrap()
}

pub async fn sqlite_store() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    let url = format!("sqlite://{}", dir.join("app.db").display());
    let store = gatehouse_store::SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

pub async fn postgres_store() -> Option<Arc<dyn Store>> {
    let base = postgres_url()?;
    Some(Arc::new(gatehouse_store::PgStore::connect_fresh(&base).await.unwrap()))
}

/// `GATEHOUSE_TEST_POSTGRES_URL`; required under `CI=true`, otherwise the test says it skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true needs GATEHOUSE_TEST_POSTGRES_URL");
            eprintln!("SKIPPED: GATEHOUSE_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

pub fn app(store: Arc<dyn Store>) -> (App, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock(std::sync::Mutex::new(t0())));
    (App::new(store).with_clock(clock.clone()), clock)
}

pub async fn new_org(app: &App, email: &str) -> CreatedOrganization {
    app.create_organization(
        &Actor::system(),
        NewOrganization {
            organization_name: "Acme".into(),
            owner_email: email.into(),
            owner_name: "Olivia Owner".into(),
            password: "correct horse battery".into(),
            account_name: String::new(),
        },
    )
    .await
    .unwrap()
}

pub async fn sign_up(app: &App, email: &str) -> (User, Account) {
    app.sign_up(
        &Actor { kind: gatehouse_domain::policy::ActorKind::Anonymous, source_ip: None },
        NewSignUp {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            password: "correct horse battery".into(),
            account_name: format!("{email}'s account"),
            organization_name: String::new(),
        },
    )
    .await
    .unwrap()
}

pub fn as_user(u: &User) -> Actor {
    Actor::user(u.sid.clone(), Some("203.0.113.7".into()))
}
