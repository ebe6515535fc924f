//! The Gatehouse store: the domain's store traits on sqlx, for SQLite (one file, no setup) and
//! PostgreSQL (several nodes sharing one database).
//!
//! The SQL of every store method is written once, in `sql/<noun>.rs`, and compiled once per
//! engine: `sqlite` and `postgres` each include the `sql` module with their own `Db` type and
//! their own `dialect` module, which holds everything the two engines do differently
//! (connection setup, write locks, JSON and text functions). ADR 0014 records why.
//! Migrations stay per engine (`migrations/sqlite`, `migrations/postgres`, identical file names)
//! because the column types differ. Must not import the app, http or server crates.

mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
