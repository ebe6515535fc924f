//! SQL for SCIM: an organization's tokens, the profiles identity providers keep, and user
//! status changes (SCIM `active`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::scim::{ScimProfile, ScimToken, ScimUser};
use gatehouse_domain::scim_filter::users::UserQuery;
use gatehouse_domain::sid::{OrganizationSid, ScimTokenSid, UserSid};
use gatehouse_domain::store::ScimTx;
use gatehouse_domain::user::UserStatus;

use super::rows::{Row, Run, corrupt, get, values};
use super::{EngineTx, scim_users};
use sqlx::AssertSqlSafe;

macro_rules! columns {
    () => {
        "sid, organization_sid, name, token_hash, created_by, created_at, last_used_at, revoked_at"
    };
}

fn token(r: &Row) -> Result<ScimToken> {
    Ok(ScimToken {
        sid: ScimTokenSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        name: get(r, "name")?,
        token_hash: get(r, "token_hash")?,
        created_by: get::<Option<String>>(r, "created_by")?.map(|s| UserSid::parse(&s)).transpose().map_err(corrupt)?,
        created_at: get(r, "created_at")?,
        last_used_at: get(r, "last_used_at")?,
        revoked_at: get(r, "revoked_at")?,
    })
}

#[async_trait]
impl ScimTx for EngineTx {
    async fn insert_scim_token(&mut self, t: &ScimToken) -> Result<()> {
        sqlx::query(concat!("INSERT INTO scim_tokens (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
            .bind(t.sid.as_str())
            .bind(t.organization_sid.as_str())
            .bind(&t.name)
            .bind(&t.token_hash)
            .bind(t.created_by.as_ref().map(|s| s.as_str()))
            .bind(t.created_at)
            .bind(t.last_used_at)
            .bind(t.revoked_at)
            .run(&mut self.tx)
            .await
    }

    async fn scim_tokens(&mut self, org: &OrganizationSid) -> Result<Vec<ScimToken>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM scim_tokens WHERE organization_sid = $1 AND revoked_at IS NULL ORDER BY sid"
        ))
        .bind(org.as_str())
        .all(&mut self.tx, token)
        .await
    }

    async fn scim_token_by_hash(&mut self, hash: &str) -> Result<Option<ScimToken>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM scim_tokens WHERE token_hash = $1"))
            .bind(hash)
            .optional(&mut self.tx, token)
            .await
    }

    async fn revoke_scim_token(&mut self, org: &OrganizationSid, sid: &ScimTokenSid, at: DateTime<Utc>) -> Result<u64> {
        self.credentials_changed().await?;
        Ok(sqlx::query(
            "UPDATE scim_tokens SET revoked_at = $3 WHERE organization_sid = $1 AND sid = $2 AND revoked_at IS NULL",
        )
        .bind(org.as_str())
        .bind(sid.as_str())
        .bind(at)
        .affected(&mut self.tx)
        .await?)
    }

    async fn touch_scim_token(&mut self, sid: &ScimTokenSid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE scim_tokens SET last_used_at = $2 WHERE sid = $1")
            .bind(sid.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn set_user_status(&mut self, user: &UserSid, status: UserStatus, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE users SET status = $2, updated_at = $3 WHERE sid = $1")
            .bind(user.as_str())
            .bind(status.as_str())
            .bind(at)
            .run(&mut self.tx)
            .await
    }

    async fn scim_profile(&mut self, user: &UserSid) -> Result<Option<ScimProfile>> {
        let row = sqlx::query(
            "SELECT user_sid, external_id, given_name, family_name, attributes FROM scim_profiles WHERE user_sid = $1",
        )
        .bind(user.as_str())
        .row(&mut self.tx)
        .await?;
        Ok(row.as_ref().map(profile).transpose()?.map(|(_, p)| p))
    }

    async fn scim_profiles(&mut self, org: &OrganizationSid) -> Result<Vec<(UserSid, ScimProfile)>> {
        sqlx::query(
            "SELECT user_sid, external_id, given_name, family_name, attributes FROM scim_profiles WHERE organization_sid = $1 ORDER BY user_sid",
        )
        .bind(org.as_str())
        .all(&mut self.tx, profile)
        .await
    }

    async fn put_scim_profile(
        &mut self,
        org: &OrganizationSid,
        user: &UserSid,
        p: &ScimProfile,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let c = &mut *self.tx;
        sqlx::query(
            "INSERT INTO scim_profiles (user_sid, organization_sid, external_id, given_name, family_name, attributes) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_sid) DO UPDATE SET organization_sid = excluded.organization_sid, \
               external_id = excluded.external_id, given_name = excluded.given_name, \
               family_name = excluded.family_name, attributes = excluded.attributes",
        )
        .bind(user.as_str())
        .bind(org.as_str())
        .bind(p.external_id.as_deref())
        .bind(p.given_name.as_deref())
        .bind(p.family_name.as_deref())
        .bind(attributes_text(p))
        .run(c)
        .await?;
        sqlx::query("UPDATE users SET updated_at = $2 WHERE sid = $1").bind(user.as_str()).bind(at).run(c).await
    }

    async fn insert_scim_profiles(&mut self, profiles: &[(OrganizationSid, UserSid, ScimProfile)]) -> Result<()> {
        if profiles.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO scim_profiles (user_sid, organization_sid, external_id, given_name, family_name, attributes) VALUES {}",
            values(1, profiles.len(), 6, |_, p| p)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (org, user, p) in profiles {
            q = q
                .bind(user.as_str())
                .bind(org.as_str())
                .bind(p.external_id.as_deref())
                .bind(p.given_name.as_deref())
                .bind(p.family_name.as_deref())
                .bind(attributes_text(p));
        }
        q.run(&mut self.tx).await
    }

    async fn scim_user_page(&mut self, org: &OrganizationSid, query: &UserQuery) -> Result<(Vec<ScimUser>, u64)> {
        scim_users::page(&mut self.tx, org, query).await
    }
}

fn profile(r: &Row) -> Result<(UserSid, ScimProfile)> {
    Ok((UserSid::parse(&get::<String>(r, "user_sid")?).map_err(corrupt)?, profile_columns(r)?))
}

/// A profile from its columns (`external_id`, `given_name`, `family_name`, `attributes`).
pub(super) fn profile_columns(r: &Row) -> Result<ScimProfile> {
    let attributes = match get::<Option<String>>(r, "attributes")? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| gatehouse_domain::Error::Internal(format!("stored SCIM attributes do not parse: {e}")))?,
        None => serde_json::Map::new(),
    };
    Ok(ScimProfile {
        external_id: get(r, "external_id")?,
        given_name: get(r, "given_name")?,
        family_name: get(r, "family_name")?,
        attributes,
    })
}

/// The `attributes` column of a profile: its JSON, or NULL when it has none.
fn attributes_text(p: &ScimProfile) -> Option<String> {
    (!p.attributes.is_empty()).then(|| serde_json::Value::Object(p.attributes.clone()).to_string())
}
