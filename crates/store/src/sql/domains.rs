//! SQL for organization domains.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gatehouse_domain::Result;
use gatehouse_domain::domains::{Domain, DomainStatus};
use gatehouse_domain::sid::{DomainSid, OrganizationSid};
use gatehouse_domain::store::DomainsTx;

use sqlx::AssertSqlSafe;

use super::rows::{Row, Run, corrupt, get};
use super::{EngineTx, dialect};

macro_rules! columns {
    () => {
        "sid, organization_sid, name, token, status, verified_at, checked_at, last_error, created_at"
    };
}

fn domain(r: &Row) -> Result<Domain> {
    Ok(Domain {
        sid: DomainSid::parse(&get::<String>(r, "sid")?).map_err(corrupt)?,
        organization_sid: OrganizationSid::parse(&get::<String>(r, "organization_sid")?).map_err(corrupt)?,
        name: get(r, "name")?,
        token: get(r, "token")?,
        status: DomainStatus::parse(&get::<String>(r, "status")?).map_err(corrupt)?,
        verified_at: get(r, "verified_at")?,
        checked_at: get(r, "checked_at")?,
        last_error: get(r, "last_error")?,
        created_at: get(r, "created_at")?,
    })
}

#[async_trait]
impl DomainsTx for EngineTx {
    async fn insert_domain(&mut self, d: &Domain) -> Result<()> {
        sqlx::query(concat!("INSERT INTO domains (", columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(d.sid.as_str())
            .bind(d.organization_sid.as_str())
            .bind(&d.name)
            .bind(&d.token)
            .bind(d.status.as_str())
            .bind(d.verified_at)
            .bind(d.checked_at)
            .bind(d.last_error.as_deref())
            .bind(d.created_at)
            .run(&mut self.tx)
            .await
    }

    async fn update_domain(&mut self, d: &Domain) -> Result<()> {
        sqlx::query(
            "UPDATE domains SET status = $3, verified_at = $4, checked_at = $5, last_error = $6 \
             WHERE organization_sid = $1 AND sid = $2",
        )
        .bind(d.organization_sid.as_str())
        .bind(d.sid.as_str())
        .bind(d.status.as_str())
        .bind(d.verified_at)
        .bind(d.checked_at)
        .bind(d.last_error.as_deref())
        .run(&mut self.tx)
        .await
    }

    async fn organization_domains(&mut self, org: &OrganizationSid) -> Result<Vec<Domain>> {
        let rows =
            sqlx::query(concat!("SELECT ", columns!(), " FROM domains WHERE organization_sid = $1 ORDER BY name"))
                .bind(org.as_str())
                .rows(&mut self.tx)
                .await?;
        rows.iter().map(domain).collect()
    }

    async fn domain(&mut self, org: &OrganizationSid, sid: &DomainSid) -> Result<Option<Domain>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM domains WHERE organization_sid = $1 AND sid = $2"))
            .bind(org.as_str())
            .bind(sid.as_str())
            .optional(&mut self.tx, domain)
            .await
    }

    async fn verified_domain(&mut self, name: &str) -> Result<Option<Domain>> {
        sqlx::query(concat!("SELECT ", columns!(), " FROM domains WHERE name = $1 AND status = 'verified'"))
            .bind(name)
            .optional(&mut self.tx, domain)
            .await
    }

    async fn claim_domains_for_recheck(
        &mut self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Domain>> {
        let sql = format!(
            concat!(
                "UPDATE domains SET checked_at = $3 WHERE sid IN (\
                   SELECT sid FROM domains WHERE status = 'verified' AND (checked_at IS NULL OR checked_at < $1) \
                   ORDER BY checked_at LIMIT $2{}) \
                 RETURNING ",
                columns!()
            ),
            dialect::CLAIM_ROWS
        );
        sqlx::query(AssertSqlSafe(sql)).bind(before).bind(limit).bind(now).all(&mut self.tx, domain).await
    }

    async fn delete_domain(&mut self, org: &OrganizationSid, sid: &DomainSid) -> Result<()> {
        sqlx::query("DELETE FROM domains WHERE organization_sid = $1 AND sid = $2")
            .bind(org.as_str())
            .bind(sid.as_str())
            .run(&mut self.tx)
            .await
    }
}
