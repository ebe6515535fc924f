//! SQL for notification preferences.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::invitation::Invitation;
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::AccountSid;
use gatehouse_domain::store::NotificationsTx;

use super::EngineTx;
use super::rows::{Run, corrupt, get};

#[async_trait]
impl NotificationsTx for EngineTx {
    async fn notification_roles(&mut self, account: &AccountSid) -> Result<Vec<(NoticeCategory, Vec<AccountRole>)>> {
        let rows = sqlx::query("SELECT category, roles FROM notification_preferences WHERE account_sid = $1")
            .bind(account.as_str())
            .rows(&mut self.tx)
            .await?;
        rows.iter()
            .map(|r| {
                let category = NoticeCategory::parse_key(&get::<String>(r, "category")?).map_err(corrupt)?;
                let roles = Invitation::parse_roles(&get::<String>(r, "roles")?).map_err(corrupt)?;
                Ok((category, roles))
            })
            .collect()
    }

    async fn set_notification_roles(
        &mut self,
        account: &AccountSid,
        category: NoticeCategory,
        roles: &[AccountRole],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let text = roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(",");
        sqlx::query(
            "INSERT INTO notification_preferences (account_sid, category, roles, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_sid, category) DO UPDATE SET roles = excluded.roles, updated_at = excluded.updated_at",
        )
        .bind(account.as_str())
        .bind(category.key())
        .bind(text)
        .bind(at)
        .run(&mut self.tx).await
    }
}
