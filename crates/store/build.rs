//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the
//! migrations at compile time, and Cargo does not otherwise watch those files.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
