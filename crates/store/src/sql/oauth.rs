//! SQL for OAuth apps, and role assignments looked up by SID (the Organizations API).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::oauth::OAuthApp;
use gatehouse_domain::sid::{OAuthAppSid, OrganizationSid, UserSid};
use gatehouse_domain::store::OAuthTx;

use super::EngineTx;
use super::rows::{Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, organization_sid, name, secret_hash, created_by, created_at, last_used_at, revoked_at"
    };
}

fn app(r: &Row) -> Result<OAuthApp> {
    Ok(OAuthApp {
        sid: OAuthAppSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        name: get(r, "name")?,
        secret_hash: get(r, "secret_hash")?,
        created_by: get::<Option<String>>(r, "created_by")?.map(|s| UserSid::parse(&s)).transpose().map_err(corrupt)?,
        created_at: get(r, "created_at")?,
        last_used_at: get(r, "last_used_at")?,
        revoked_at: get(r, "revoked_at")?,
    })
}

#[async_trait]
impl OAuthTx for EngineTx {
    async fn insert_oauth_app(&mut self, a: &OAuthApp) -> Result<()> {
        sqlx::query(concat!("INSERT INTO oauth_apps (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(a.sid.as_str())
            .bind(a.organization_sid.as_str())
            .bind(&a.name)
            .bind(&a.secret_hash)
            .bind(a.created_by.as_ref().map(|s| s.as_str()))
            .bind(a.created_at)
            .bind(a.last_used_at)
            .bind(a.revoked_at)
            .run(&mut self.tx)
            .await
    }

    async fn oauth_apps(&mut self, org: &OrganizationSid) -> Result<Vec<OAuthApp>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM oauth_apps WHERE organization_sid = $1 AND revoked_at IS NULL ORDER BY sid"
        ))
        .bind(org.as_str())
        .all(&mut self.tx, app)
        .await
    }

    async fn oauth_app(&mut self, sid: &OAuthAppSid) -> Result<Option<OAuthApp>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM oauth_apps WHERE sid = $1"))
            .bind(sid.as_str())
            .optional(&mut self.tx, app)
            .await
    }

    async fn revoke_oauth_app(&mut self, org: &OrganizationSid, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<u64> {
        self.credentials_changed().await?;
        Ok(sqlx::query(
            "UPDATE oauth_apps SET revoked_at = $3 WHERE organization_sid = $1 AND sid = $2 AND revoked_at IS NULL",
        )
        .bind(org.as_str())
        .bind(sid.as_str())
        .bind(at)
        .affected(&mut self.tx)
        .await?)
    }

    async fn touch_oauth_app(&mut self, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE oauth_apps SET last_used_at = $2 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }
}
