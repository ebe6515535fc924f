//! The store trait of the installation itself: its operators, its service banner, and every open
//! account (for notices to the whole installation).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::Account;
use crate::banner::ServiceBanner;
use crate::error::Result;
use crate::page::{Page, PageRequest};
use crate::sid::UserSid;

/// The installation itself: its operators and the service banner.
#[async_trait]
pub trait InstanceTx: Send {
    /// The banner being shown, if any.
    async fn service_banner(&mut self) -> Result<Option<ServiceBanner>>;
    /// Shows this banner, replacing the one shown.
    async fn put_service_banner(&mut self, banner: &ServiceBanner) -> Result<()>;
    /// Withdraws the banner; how many were shown (0 or 1).
    async fn delete_service_banner(&mut self) -> Result<u64>;
    /// Whether the user may use the operator pages.
    async fn is_operator(&mut self, user: &UserSid) -> Result<bool>;
    /// Grants or takes away the operator pages.
    async fn set_operator(&mut self, user: &UserSid, on: bool, at: DateTime<Utc>) -> Result<()>;
    /// Every account that is not closed, by SID (for notices to the whole installation).
    async fn open_accounts(&mut self, page: &PageRequest) -> Result<Page<Account>>;
}
