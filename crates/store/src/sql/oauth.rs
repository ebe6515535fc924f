//! SQL for OAuth apps, and role assignments looked up by SID (the Organizations API).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::oauth::{OAuthApp, OAuthAppOwner};
use gatehouse_domain::sid::{AccountSid, OAuthAppSid, OrganizationSid, UserSid};
use gatehouse_domain::store::OAuthTx;

use super::EngineTx;
use super::rows::{Row, Run, corrupt, get};

macro_rules! columns {
    () => {
        "sid, organization_sid, account_sid, name, description, secret_hash, access_token_ttl, created_by, \
         created_at, last_used_at, revoked_at"
    };
}

/// The owner's two columns: `(organization_sid, account_sid)`, one of them set.
fn owner_columns(owner: &OAuthAppOwner) -> (Option<&str>, Option<&str>) {
    match owner {
        OAuthAppOwner::Organization(o) => (Some(o.as_str()), None),
        OAuthAppOwner::Account(a) => (None, Some(a.as_str())),
    }
}

fn app(r: &Row) -> Result<OAuthApp> {
    let owner = match (get::<Option<String>>(r, "organization_sid")?, get::<Option<String>>(r, "account_sid")?) {
        (Some(o), None) => OAuthAppOwner::Organization(OrganizationSid::parse(&o).map_err(corrupt)?),
        (None, Some(a)) => OAuthAppOwner::Account(AccountSid::parse(&a).map_err(corrupt)?),
        _ => return Err(gatehouse_domain::Error::Internal("an OAuth app has one owner".into())),
    };
    Ok(OAuthApp {
        sid: OAuthAppSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        owner,
        name: get(r, "name")?,
        description: get(r, "description")?,
        access_token_ttl: get(r, "access_token_ttl")?,
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
        let (organization, account) = owner_columns(&a.owner);
        sqlx::query(concat!(
            "INSERT INTO oauth_apps (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(a.sid.as_str())
        .bind(organization)
        .bind(account)
        .bind(&a.name)
        .bind(a.description.as_deref())
        .bind(&a.secret_hash)
        .bind(a.access_token_ttl)
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

    async fn revoke_oauth_app(&mut self, owner: &OAuthAppOwner, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<u64> {
        self.credentials_changed().await?;
        let (organization, account) = owner_columns(owner);
        Ok(sqlx::query(
            "UPDATE oauth_apps SET revoked_at = $4 WHERE sid = $3 AND revoked_at IS NULL \
               AND organization_sid IS NOT DISTINCT FROM $1 AND account_sid IS NOT DISTINCT FROM $2",
        )
        .bind(organization)
        .bind(account)
        .bind(sid.as_str())
        .bind(at)
        .affected(&mut self.tx)
        .await?)
    }

    async fn update_oauth_app(&mut self, app: &OAuthApp) -> Result<u64> {
        self.credentials_changed().await?;
        let (organization, account) = owner_columns(&app.owner);
        Ok(sqlx::query(
            "UPDATE oauth_apps SET name = $4, description = $5, access_token_ttl = $6 \
             WHERE sid = $3 AND revoked_at IS NULL \
               AND organization_sid IS NOT DISTINCT FROM $1 AND account_sid IS NOT DISTINCT FROM $2",
        )
        .bind(organization)
        .bind(account)
        .bind(app.sid.as_str())
        .bind(&app.name)
        .bind(app.description.as_deref())
        .bind(app.access_token_ttl)
        .affected(&mut self.tx)
        .await?)
    }

    async fn account_oauth_apps_created_by(&mut self, user: &UserSid) -> Result<Vec<OAuthApp>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM oauth_apps WHERE created_by = $1 AND account_sid IS NOT NULL AND revoked_at IS NULL ORDER BY sid"
        ))
        .bind(user.as_str())
        .all(&mut self.tx, app)
        .await
    }

    async fn touch_oauth_app(&mut self, sid: &OAuthAppSid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE oauth_apps SET last_used_at = $2 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }
}
