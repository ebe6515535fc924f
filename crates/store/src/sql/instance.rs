//! SQL for the installation: its operators and its one service banner.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::account::Account;
use gatehouse_domain::banner::ServiceBanner;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::UserSid;
use gatehouse_domain::store::InstanceTx;

use super::EngineTx;
use super::accounts::account_page;
use super::rows::{Run, get};

#[async_trait]
impl InstanceTx for EngineTx {
    async fn service_banner(&mut self) -> Result<Option<ServiceBanner>> {
        let row = sqlx::query("SELECT message, posted_by, posted_at FROM service_banner WHERE slot = 1")
            .row(&mut self.tx)
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ServiceBanner {
            message: get(&r, "message")?,
            posted_by: get(&r, "posted_by")?,
            posted_at: get(&r, "posted_at")?,
        }))
    }

    async fn put_service_banner(&mut self, b: &ServiceBanner) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_banner (slot, message, posted_by, posted_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (slot) DO UPDATE SET message = excluded.message, posted_by = excluded.posted_by, \
             posted_at = excluded.posted_at",
        )
        .bind(&b.message)
        .bind(&b.posted_by)
        .bind(b.posted_at)
        .run(&mut self.tx)
        .await
    }

    async fn delete_service_banner(&mut self) -> Result<u64> {
        sqlx::query("DELETE FROM service_banner").affected(&mut self.tx).await
    }

    async fn is_operator(&mut self, user: &UserSid) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM operators WHERE user_sid = $1")
            .bind(user.as_str())
            .row(&mut self.tx)
            .await?;
        Ok(row.is_some())
    }

    async fn set_operator(&mut self, user: &UserSid, on: bool, at: DateTime<Utc>) -> Result<()> {
        if on {
            sqlx::query(
                "INSERT INTO operators (user_sid, granted_at) VALUES ($1, $2) ON CONFLICT (user_sid) DO NOTHING",
            )
            .bind(user.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
        } else {
            sqlx::query("DELETE FROM operators WHERE user_sid = $1").bind(user.as_str()).run(&mut self.tx).await
        }
    }

    async fn open_accounts(&mut self, page: &PageRequest) -> Result<Page<Account>> {
        account_page(&mut self.tx, "a.status <> $1", "closed", page).await
    }
}
