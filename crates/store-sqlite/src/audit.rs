//! SQL for the audit log (append-only: there is no update or delete here).

use gatehouse_domain::Result;
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::sid::{AccountSid, AuditEventSid, OrganizationSid, UserSid};

use crate::rows::{Conn, Row, corrupt, db_err, get};

pub(crate) async fn append(c: &mut Conn, e: &AuditEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (sid, occurred_at, actor, action, target, organization_sid, account_sid, source_ip, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.sid.as_str())
    .bind(e.occurred_at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(e.organization_sid.as_ref().map(|s| s.as_str()))
    .bind(e.account_sid.as_ref().map(|s| s.as_str()))
    .bind(e.source_ip.as_deref())
    .bind(e.details.to_string())
    .execute(c)
    .await
    .map_err(db_err)?;
    Ok(())
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

pub(crate) async fn list(c: &mut Conn, scope: &AuditScope, page: &PageRequest) -> Result<Page<AuditEvent>> {
    let (account, org) = match scope {
        AuditScope::Account(a) => (Some(a.as_str()), None),
        AuditScope::Organization(o) => (None, Some(o.as_str())),
    };
    let rows = sqlx::query(
        "SELECT sid, occurred_at, actor, action, target, organization_sid, account_sid, source_ip, details \
         FROM audit_events \
         WHERE (($1 IS NOT NULL AND account_sid = $1) OR ($2 IS NOT NULL AND organization_sid = $2)) \
           AND ($3 IS NULL OR sid < $3) \
           AND ($4 IS NULL OR lower(action) LIKE $4 ESCAPE '\\' OR lower(actor) LIKE $4 ESCAPE '\\' \
                OR lower(target) LIKE $4 ESCAPE '\\') \
         ORDER BY sid DESC LIMIT $5",
    )
    .bind(account)
    .bind(org)
    .bind(page.after.as_deref())
    .bind(page.like_pattern())
    .bind(page.fetch_limit())
    .fetch_all(c)
    .await
    .map_err(db_err)?;
    let items = rows.iter().map(event).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, |e| e.sid.to_string()))
}

/// Rewrites `email` in every event's details and `name` in the details of the user's own events
/// (as actor or target), and forgets the source IP of the events the user acted in.
pub(crate) async fn pseudonymize(
    c: &mut Conn,
    user: &UserSid,
    email: &str,
    name: &str,
    replacement: &str,
) -> Result<u64> {
    let changed =
        sqlx::query("UPDATE audit_events SET details = replace(details, $1, $2) WHERE instr(details, $1) > 0")
            .bind(email)
            .bind(replacement)
            .execute(&mut *c)
            .await
            .map_err(db_err)?
            .rows_affected();
    let named = sqlx::query(
        "UPDATE audit_events SET details = replace(details, $1, $2) \
         WHERE (actor = $3 OR target = $3) AND $1 <> '' AND instr(details, $1) > 0",
    )
    .bind(name)
    .bind(replacement)
    .bind(user.as_str())
    .execute(&mut *c)
    .await
    .map_err(db_err)?
    .rows_affected();
    let ips = sqlx::query("UPDATE audit_events SET source_ip = NULL WHERE actor = $1 AND source_ip IS NOT NULL")
        .bind(user.as_str())
        .execute(c)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(changed + named + ips)
}
