//! Gatehouse domain: the product's nouns and rules, with no I/O.
//!
//! Owns ids (SIDs), entities, the role → permission mapping, the single `authorize` function,
//! the account-role rules, error kinds and the store traits the adapters implement.
//! Must not import tokio, sqlx, axum or any other I/O crate (CI checks `cargo tree`).

pub mod access_index;
pub mod account;
pub mod account_request;
pub mod api_key;
pub mod audit;
pub mod banner;
pub mod billing;
pub mod clock;
pub mod custom_role;
pub mod domains;
pub mod error;
pub mod group;
pub mod invitation;
pub mod membership;
pub mod nomination;
pub mod notification;
pub mod oauth;
pub mod offboarding;
pub mod organization;
pub mod page;
pub mod permission;
pub mod policy;
pub mod public_key;
pub mod role;
pub mod scim;
pub mod scim_filter;
pub mod security;
pub mod session;
pub mod sid;
pub mod store;
pub mod user;

pub use error::{Error, Result};
