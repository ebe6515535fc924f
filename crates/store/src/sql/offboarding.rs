//! SQL for user administration and offboarding: renames, forced resets, moving accounts between
//! organizations, erasing a deleted user's personal data, and the stored reports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingReport};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, OffboardingSid, OrganizationSid, UserSid};
use gatehouse_domain::store::OffboardingTx;
use gatehouse_domain::user::Email;
use gatehouse_domain::{Error, Result};

use super::EngineTx;
use super::access::{Guests, refresh_guests};
use super::rows::{Keyset, Row, Run, corrupt, get};

#[async_trait]
impl OffboardingTx for EngineTx {
    async fn set_user_name(&mut self, user: &UserSid, name: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET name = $2, updated_at = $3 WHERE sid = $1")
            .bind(user.as_str())
            .bind(name)
            .bind(at)
            .run(&mut self.tx)
            .await?;
        refresh_guests(&mut self.tx, Guests::OfUser, user.as_str()).await
    }

    async fn clear_password_hash(&mut self, user: &UserSid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = NULL, updated_at = $2 WHERE sid = $1")
            .bind(user.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn set_account_organization(
        &mut self,
        account: &AccountSid,
        org: Option<&OrganizationSid>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.credentials_changed().await?;
        sqlx::query("UPDATE accounts SET organization_sid = $2, updated_at = $3 WHERE sid = $1 OR parent_sid = $1")
            .bind(account.as_str())
            .bind(org.map(|o| o.as_str()))
            .bind(at)
            .run(&mut self.tx)
            .await?;
        refresh_guests(&mut self.tx, Guests::OnAccountTree, account.as_str()).await
    }

    async fn erase_user(&mut self, user: &UserSid, erased: &Email, name: &str, at: DateTime<Utc>) -> Result<()> {
        let c = &mut *self.tx;
        let old = sqlx::query("SELECT email FROM users WHERE sid = $1")
            .bind(user.as_str())
            .optional(&mut *c, |r| get::<String>(r, "email"))
            .await?;
        let Some(old) = old else { return Err(Error::NotFound) };
        sqlx::query("DELETE FROM email_outbox WHERE lower(recipient) = lower($1)").bind(&old).run(c).await?;
        // Invitations addressed to them keep their rows (the inviter's history) but not the address.
        for sql in [
            "UPDATE invitations SET email = $2 WHERE lower(email) = lower($1)",
            "UPDATE org_invitations SET email = $2 WHERE lower(email) = lower($1)",
        ] {
            sqlx::query(sql).bind(&old).bind(erased.as_str()).run(c).await?;
        }
        sqlx::query("DELETE FROM scim_profiles WHERE user_sid = $1").bind(user.as_str()).run(c).await?;
        sqlx::query("DELETE FROM one_time_tokens WHERE user_sid = $1").bind(user.as_str()).run(c).await?;
        sqlx::query(
            "UPDATE users SET email = $2, name = $3, password_hash = NULL, status = 'deleted', organization_sid = NULL, \
                              last_login_at = NULL, email_verified_at = NULL, require_two_factor = FALSE, updated_at = $4 \
             WHERE sid = $1",
        )
        .bind(user.as_str())
        .bind(erased.as_str())
        .bind(name)
        .bind(at)
        .run(&mut *c)
        .await?;
        refresh_guests(c, Guests::OfUser, user.as_str()).await
    }

    async fn insert_offboarding_report(&mut self, r: &OffboardingReport) -> Result<()> {
        sqlx::query(
            "INSERT INTO offboarding_reports (sid, organization_sid, user_sid, kind, actor, details, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.sid.as_str())
        .bind(r.organization_sid.as_str())
        .bind(r.user_sid.as_str())
        .bind(r.kind.as_str())
        .bind(&r.actor)
        .bind(r.details.to_string())
        .bind(r.created_at)
        .run(&mut self.tx)
        .await
    }

    async fn offboarding_reports(
        &mut self,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<OffboardingReport>> {
        let items = sqlx::query(
            "SELECT sid, organization_sid, user_sid, kind, actor, details, created_at FROM offboarding_reports \
             WHERE organization_sid = $1 AND sid < $2 ORDER BY sid DESC LIMIT $3",
        )
        .bind(org.as_str())
        .bind(Keyset::Descending.bound(page))
        .bind(page.fetch_limit())
        .all(&mut self.tx, report)
        .await?;
        Ok(Page::from_rows(items, page, |r| r.sid.to_string()))
    }

    async fn offboarding_report(
        &mut self,
        org: &OrganizationSid,
        sid: &OffboardingSid,
    ) -> Result<Option<OffboardingReport>> {
        sqlx::query(
            "SELECT sid, organization_sid, user_sid, kind, actor, details, created_at FROM offboarding_reports \
             WHERE organization_sid = $1 AND sid = $2",
        )
        .bind(org.as_str())
        .bind(sid.as_str())
        .optional(&mut self.tx, report)
        .await
    }
}

fn report(r: &Row) -> Result<OffboardingReport> {
    let details: String = get(r, "details")?;
    Ok(OffboardingReport {
        sid: OffboardingSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        user_sid: UserSid::parse(&get::<String>(r, "user_sid")?).map_err(corrupt)?,
        kind: OffboardingKind::parse(&get::<String>(r, "kind")?).map_err(corrupt)?,
        actor: get(r, "actor")?,
        created_at: get(r, "created_at")?,
        details: serde_json::from_str(&details).map_err(|e| corrupt(Error::internal(e)))?,
    })
}
