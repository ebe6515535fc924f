//! SQL for the audit log (append-only: there is no update or delete here).

use async_trait::async_trait;
use gatehouse_domain::Result;
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, AuditEventSid, OrganizationSid, UserSid};
use gatehouse_domain::store::AuditTx;
use sqlx::AssertSqlSafe;

use super::rows::{Keyset, Row, Run, corrupt, get, values};
use super::{EngineTx, dialect};

#[async_trait]
impl AuditTx for EngineTx {
    async fn append_audit(&mut self, e: &AuditEvent) -> Result<()> {
        self.append_audits(std::slice::from_ref(e)).await
    }

    async fn append_audits(&mut self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO audit_events (sid, occurred_at, actor, action, target, organization_sid, account_sid, source_ip, details) \
             VALUES {}",
            values(1, events.len(), 9, |column, p| if column == 8 { dialect::json_from_text(&p) } else { p })
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in events {
            q = q
                .bind(e.sid.as_str())
                .bind(e.occurred_at)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.target)
                .bind(e.organization_sid.as_ref().map(|s| s.as_str()))
                .bind(e.account_sid.as_ref().map(|s| s.as_str()))
                .bind(e.source_ip.as_deref())
                .bind(e.details.to_string());
        }
        q.run(&mut self.tx).await
    }

    async fn audit_events(&mut self, scope: &AuditScope, page: &PageRequest) -> Result<Page<AuditEvent>> {
        // One scope column per query, so its (column, sid) index serves the filter and the order.
        let (column, sid) = match scope {
            AuditScope::Account(a) => ("account_sid", a.as_str()),
            AuditScope::Organization(o) => ("organization_sid", o.as_str()),
        };
        let sql = format!(
            "SELECT sid, occurred_at, actor, action, target, organization_sid, account_sid, source_ip, {} AS details \
             FROM audit_events \
             WHERE {column} = $1 \
               AND sid < $2 \
               AND ($3 IS NULL OR lower(action) LIKE $3 ESCAPE '\\' OR lower(actor) LIKE $3 ESCAPE '\\' \
                    OR lower(target) LIKE $3 ESCAPE '\\') \
             ORDER BY sid DESC LIMIT $4",
            dialect::json_as_text("details")
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(sid)
            .page(&mut self.tx, page, Keyset::Descending, event, |e| e.sid.to_string())
            .await
    }

    async fn pseudonymize_audit(&mut self, user: &UserSid, email: &str, name: &str, replacement: &str) -> Result<u64> {
        let c = &mut *self.tx;
        let details = dialect::json_as_text("details");
        let replaced = dialect::json_from_text(&format!("replace({details}, $1, $2)"));
        let mentions = dialect::text_contains(&details, "$1");
        let changed =
            sqlx::query(AssertSqlSafe(format!("UPDATE audit_events SET details = {replaced} WHERE {mentions}")))
                .bind(email)
                .bind(replacement)
                .affected(c)
                .await?;
        let named = sqlx::query(AssertSqlSafe(format!(
            "UPDATE audit_events SET details = {replaced} WHERE (actor = $3 OR target = $3) AND $1 <> '' AND {mentions}"
        )))
        .bind(name)
        .bind(replacement)
        .bind(user.as_str())
        .affected(c)
        .await?;
        let ips = sqlx::query("UPDATE audit_events SET source_ip = NULL WHERE actor = $1 AND source_ip IS NOT NULL")
            .bind(user.as_str())
            .affected(c)
            .await?;
        Ok(changed + named + ips)
    }
}

fn event(row: &Row) -> Result<AuditEvent> {
    let details: String = get(row, "details")?;
    Ok(AuditEvent {
        sid: AuditEventSid::parse(&get::<String>(row, "sid")?).map_err(corrupt)?,
        occurred_at: get(row, "occurred_at")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        target: get(row, "target")?,
        organization_sid: get::<Option<String>>(row, "organization_sid")?
            .map(|s| OrganizationSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        account_sid: get::<Option<String>>(row, "account_sid")?
            .map(|s| AccountSid::parse(&s))
            .transpose()
            .map_err(corrupt)?,
        source_ip: get(row, "source_ip")?,
        details: serde_json::from_str(&details).map_err(|e| corrupt(gatehouse_domain::Error::internal(e)))?,
    })
}
