//! Use cases for an organization's domains: add (showing the TXT record to publish), verify by
//! a real DNS lookup through the `DnsResolver` boundary, remove, list, and the periodic
//! re-check that warns when a verified domain's record disappears.

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::domains::{Domain, DomainStatus, parse_domain_name};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::role::OrgRole;
use gatehouse_domain::sid::{DomainSid, OrganizationSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::Email;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::secret::new_token;
use crate::{App, principal};

/// Why a DNS lookup found nothing usable.
#[derive(Debug, Clone)]
pub enum DnsError {
    /// The name has no TXT record (NXDOMAIN or no data).
    NotFound,
    /// The lookup itself failed (timeout, refused, …).
    Failed(String),
}

/// Looks up TXT records.
#[async_trait]
pub trait DnsResolver: Send + Sync {
    async fn txt(&self, name: &str) -> std::result::Result<Vec<String>, DnsError>;
}

/// How often verified domains are checked again.
pub const RECHECK_EVERY_HOURS: i64 = 6;

/// Whether the address is in one of the organization's verified domains: the gate for making
/// someone a managed user (SPEC §1), checked when they are invited or asked and again when they
/// accept.
pub(crate) async fn in_verified_domain(tx: &mut dyn Tx, org: &OrganizationSid, email: &Email) -> Result<bool> {
    Ok(tx.verified_domain(email.domain()).await?.is_some_and(|d| &d.organization_sid == org))
}

/// The refusal of an acceptance whose address left the organization's verified domains since the
/// invitation or request was made.
pub(crate) fn domain_no_longer_verified(email: &Email, org_name: &str, what: &str) -> Error {
    Error::Precondition(format!(
        "{} is no longer a verified domain of {org_name}, so {what} cannot be accepted: it would make you a managed \
         user. Ask the organization's administrators to verify the domain again.",
        email.domain()
    ))
}

/// The organization a new login with this address joins by domain auto-join: the one that
/// verified the address's domain, if it turned auto-join on.
pub(crate) async fn auto_join_organization(tx: &mut dyn Tx, email: &Email) -> Result<Option<OrganizationSid>> {
    let Some(domain) = tx.verified_domain(email.domain()).await? else { return Ok(None) };
    Ok(tx.organization(&domain.organization_sid).await?.filter(|o| o.auto_join).map(|o| o.sid))
}

/// Makes a new login (created with `org` as its organization) a managed Standard User of the
/// organization it auto-joined, in the caller's transaction, audited so the admins see who joined.
pub(crate) async fn record_auto_join(
    tx: &mut dyn Tx,
    actor: &Actor,
    user: &gatehouse_domain::user::User,
    org: &OrganizationSid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let scope = ScopeRef::Organization(org.clone());
    tx.insert_assignment(&RoleAssignment::new(OrgRole::StandardUser.sid(), user.sid.clone(), scope, now)).await?;
    tx.append_audit(
        &AuditEvent::new(actor, "user.auto_joined", user.sid.as_str(), now)
            .in_organization(org)
            .with_details(json!({ "email": user.email, "domain": user.email.domain(), "role": "standard_user" })),
    )
    .await
}

impl App {
    /// Records, in a transaction of its own (the refused one rolls back), that an acceptance was
    /// refused because `email` left the organization's verified domains: `event` names the
    /// action, target and scope, so the organization's administrators see why.
    pub(crate) async fn audit_refused_acceptance(&self, event: AuditEvent, email: &Email) -> Result<()> {
        let reason = format!("{} is no longer a verified domain", email.domain());
        let mut tx = self.store.write().await?;
        tx.append_audit(&event.with_details(json!({ "email": email, "reason": reason }))).await?;
        tx.commit().await
    }
}

async fn authorized(tx: &mut dyn Tx, actor: &Actor, org: &OrganizationSid) -> Result<()> {
    let p = principal(tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
    authorize(&p, Permission::OrgDomainsManage, Target::Organization(org))
}

impl App {
    /// The organization's domains (Owners and Administrators).
    pub async fn domains(&self, actor: &Actor, org: &OrganizationSid) -> Result<Vec<Domain>> {
        let mut tx = self.store.read().await?;
        authorized(&mut *tx, actor, org).await?;
        tx.organization_domains(org).await
    }

    /// Claims a domain; it is proven later by publishing the TXT record it shows.
    pub async fn add_domain(&self, actor: &Actor, org: &OrganizationSid, name: &str) -> Result<Domain> {
        let name = parse_domain_name(name)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorized(&mut *tx, actor, org).await?;
        if tx.verified_domain(&name).await?.is_some_and(|d| &d.organization_sid != org) {
            return Err(Error::Conflict(format!("Another organization has verified {name}.")));
        }
        let domain = Domain {
            sid: DomainSid::generate(),
            organization_sid: org.clone(),
            name,
            token: new_token()?[..32].to_owned(),
            status: DomainStatus::Pending,
            verified_at: None,
            checked_at: None,
            last_error: None,
            created_at: now,
        };
        tx.insert_domain(&domain).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "domain.added", domain.sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": domain.name })),
        )
        .await?;
        tx.commit().await?;
        Ok(domain)
    }

    /// Looks the TXT record up: whether it proves the domain, and if not, why.
    async fn check_domain(&self, domain: &Domain) -> (bool, Option<String>) {
        match self.dns.txt(&domain.record_name()).await {
            Ok(found) if domain.proven_by(&found) => (true, None),
            Ok(_) => (
                false,
                Some(format!("{} has TXT records, but none is {}", domain.record_name(), domain.record_value())),
            ),
            Err(DnsError::NotFound) => (false, Some(format!("no TXT record found at {}", domain.record_name()))),
            Err(DnsError::Failed(e)) => (false, Some(format!("the DNS lookup failed: {e}"))),
        }
    }

    /// Verifies a domain by looking its TXT record up now.
    pub async fn verify_domain(&self, actor: &Actor, org: &OrganizationSid, sid: &DomainSid) -> Result<Domain> {
        let domain = {
            let mut tx = self.store.read().await?;
            authorized(&mut *tx, actor, org).await?;
            tx.domain(org, sid).await?.ok_or(Error::NotFound)?
        };
        let (proven, error) = self.check_domain(&domain).await;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let current = tx.domain(org, sid).await?.ok_or(Error::NotFound)?;
        let updated = if proven {
            Domain {
                status: DomainStatus::Verified,
                verified_at: current.verified_at.or(Some(now)),
                checked_at: Some(now),
                last_error: None,
                ..current
            }
        } else {
            Domain { status: DomainStatus::Failed, checked_at: Some(now), last_error: error.clone(), ..current }
        };
        tx.update_domain(&updated).await?;
        let action = if proven { "domain.verified" } else { "domain.verification_failed" };
        tx.append_audit(
            &AuditEvent::new(actor, action, sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": updated.name, "error": error })),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Removes a domain (its users stay; new invitations to it stop).
    pub async fn remove_domain(&self, actor: &Actor, org: &OrganizationSid, sid: &DomainSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorized(&mut *tx, actor, org).await?;
        let domain = tx.domain(org, sid).await?.ok_or(Error::NotFound)?;
        tx.delete_domain(org, sid).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "domain.removed", sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": domain.name })),
        )
        .await?;
        tx.commit().await
    }

    /// Checks verified domains again (those not checked for a while). A record that
    /// disappeared turns the domain to `failed` with a warning saying when. Several nodes may
    /// run this: each claims the domains it checks in a transaction (marking them checked now),
    /// so a domain claimed by one is not due for the others. A node that dies mid-check leaves
    /// the domain as it was until its next turn.
    pub async fn recheck_domains(&self) -> Result<usize> {
        let now = self.now();
        let due = {
            let mut tx = self.store.write().await?;
            let claimed = tx.claim_domains_for_recheck(now - Duration::hours(RECHECK_EVERY_HOURS), now, 50).await?;
            tx.commit().await?;
            claimed
        };
        let mut lost = 0;
        for domain in due {
            let (proven, error) = self.check_domain(&domain).await;
            let mut tx = self.store.write().await?;
            let Some(current) = tx.domain(&domain.organization_sid, &domain.sid).await? else { continue };
            if proven {
                tx.update_domain(&Domain { checked_at: Some(now), ..current }).await?;
            } else {
                lost += 1;
                let warning = format!(
                    "The TXT record disappeared (checked {}): {}. Publish it again and verify.",
                    now.format("%Y-%m-%d %H:%M UTC"),
                    error.unwrap_or_default()
                );
                let failed = Domain {
                    status: DomainStatus::Failed,
                    checked_at: Some(now),
                    last_error: Some(warning.clone()),
                    ..current
                };
                tx.update_domain(&failed).await?;
                tx.append_audit(
                    &AuditEvent::new(&Actor::system(), "domain.record_missing", failed.sid.as_str(), now)
                        .in_organization(&failed.organization_sid)
                        .with_details(json!({ "name": failed.name, "warning": warning })),
                )
                .await?;
            }
            tx.commit().await?;
        }
        Ok(lost)
    }
}
