//! The store trait of the permission-check index (ADR 0025): the access revision, the noted
//! changes, and the rows the index is built from.

use async_trait::async_trait;

use crate::access_index::{AccessPart, AccessRows, AccessSubject};
use crate::error::Result;

/// Reads for the in-memory permission-check index. Changes are noted by the database itself
/// (triggers), in the transaction that makes them, so no write path can forget one.
#[async_trait]
pub trait AccessIndexTx: Send {
    /// How many access changes have been committed: the access revision.
    async fn access_revision(&mut self) -> Result<u64>;
    /// The changes after revision `after`, oldest first, at most `limit` of them.
    async fn access_changes(&mut self, after: u64, limit: u32) -> Result<Vec<(u64, AccessSubject)>>;
    /// What the index is built from: everything, or what one changed subject now is (a user's
    /// assignments and memberships; a group and its assignments; a custom role; an account and
    /// its standing shares; a live API key or OAuth app).
    async fn access_rows(&mut self, subject: Option<&AccessSubject>) -> Result<AccessRows>;
    /// One part of everything (a whole load reads its parts at once, on separate connections).
    async fn access_part(&mut self, part: AccessPart) -> Result<AccessRows>;
    /// Forgets the changes up to and including `upto`; a node behind them reloads everything.
    async fn prune_access_changes(&mut self, upto: u64) -> Result<u64>;
}
