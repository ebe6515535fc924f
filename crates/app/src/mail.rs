//! The email outbox: emails are written in the transaction of the change that causes them and
//! delivered afterwards by a worker through a `Mailer` (SMTP in production). Several nodes can
//! run workers: each claims due emails under a lease, so no two nodes take the same email.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditScope;
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::security::{EmailOutcome, MAX_EMAIL_ATTEMPTS, OutboxEmail, email_retry_delay};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::User;
use gatehouse_domain::{Error, Result};

use crate::{App, account_principal, principal};

/// Why a delivery failed; `permanent` failures (e.g. a 5xx SMTP reply) are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailError {
    pub permanent: bool,
    pub message: String,
}

/// Delivers one email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the email; `Ok` once the receiving server accepted it.
    async fn send(&self, email: &OutboxEmail) -> Result<(), MailError>;
}

/// How long a worker holds claimed emails before another may retry them.
const LEASE_SECONDS: i64 = 120;

impl App {
    /// Queues an email in the caller's transaction. Call [`App::emails_queued`] after commit.
    pub(crate) async fn enqueue(&self, tx: &mut dyn Tx, email: &OutboxEmail) -> Result<()> {
        tx.enqueue_email(email).await
    }

    /// An email to a person about an account, ending with a link to the account's overview,
    /// queued in the caller's transaction; `kind` names it in the outbox.
    pub(crate) async fn account_email(
        &self,
        kind: &'static str,
        tx: &mut dyn Tx,
        account: &Account,
        to: &User,
        subject: String,
        text: String,
    ) -> Result<OutboxEmail> {
        let link = format!("{}/accounts/{}", self.public_url, account.sid);
        let body = format!("Hello {},\n\n{text}\n\n{link}\n", to.name);
        let mut email = OutboxEmail::new(to.email.clone(), subject, body, kind, self.now());
        email.account_sid = Some(account.sid.clone());
        email.organization_sid = account.organization_sid.clone();
        self.enqueue(tx, &email).await?;
        Ok(email)
    }

    /// An email to a person about an organization, ending with a link to one of its Admin Center
    /// pages (`path` after `/orgs/{OR}`), queued in the caller's transaction; `letter` is the
    /// subject and the text.
    pub(crate) async fn organization_email(
        &self,
        kind: &'static str,
        tx: &mut dyn Tx,
        org: &Organization,
        to: &User,
        path: &str,
        (subject, text): (String, String),
    ) -> Result<OutboxEmail> {
        let link = format!("{}/orgs/{}{path}", self.public_url, org.sid);
        let body = format!("Hello {},\n\n{text}\n\n{link}\n", to.name);
        let mut email = OutboxEmail::new(to.email.clone(), subject, body, kind, self.now());
        email.organization_sid = Some(org.sid.clone());
        self.enqueue(tx, &email).await?;
        Ok(email)
    }

    /// After a commit that queued emails: wakes the delivery worker, and without SMTP prints
    /// them to the log so a first-run user can still follow every link.
    pub(crate) fn emails_queued(&self, emails: &[OutboxEmail]) {
        for e in emails {
            if self.mail.log_bodies {
                let page = match (&e.account_sid, &e.organization_sid) {
                    (Some(a), _) => format!("{}/accounts/{a}/outbox", self.public_url),
                    (None, Some(o)) => format!("{}/orgs/{o}/outbox", self.public_url),
                    (None, None) => "(none: only this log)".into(),
                };
                tracing::info!(to = %e.recipient, subject = %e.subject, outbox = %page, body = %e.body, "email kept in the outbox (no SMTP configured)");
            } else {
                tracing::info!(to = %e.recipient, subject = %e.subject, email = %e.sid, "email queued");
            }
        }
        self.mail.signal.notify_waiters();
    }

    /// The signal a delivery worker waits on between polls.
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.mail.signal.clone()
    }

    /// Whether outbox pages show email bodies: only while no SMTP server delivers them, so that
    /// once mail flows, links meant for one person's inbox are not readable by administrators.
    pub fn outbox_shows_bodies(&self) -> bool {
        self.mail.log_bodies
    }

    /// How many emails wait in the outbox (for metrics; no actor: it says no more than a number).
    pub async fn outbox_backlog(&self) -> Result<u64> {
        let mut tx = self.store.read().await?;
        tx.pending_emails().await
    }

    /// Claims due emails, sends them through `mailer` and records each outcome. Returns how many
    /// were attempted.
    pub async fn deliver_due_emails(&self, mailer: &dyn Mailer, batch: i64) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let claimed = tx.claim_emails(now, now + Duration::seconds(LEASE_SECONDS), batch).await?;
        tx.commit().await?;
        for email in &claimed {
            let outcome = match mailer.send(email).await {
                Ok(()) => EmailOutcome::Sent { at: self.now() },
                Err(e) => {
                    let attempts = email.attempts + 1;
                    tracing::warn!(email = %email.sid, to = %email.recipient, attempts, error = %e.message, "email delivery failed");
                    if e.permanent || attempts >= MAX_EMAIL_ATTEMPTS {
                        EmailOutcome::Failed { attempts, error: e.message }
                    } else {
                        EmailOutcome::Retry {
                            attempts,
                            next_attempt_at: self.now() + email_retry_delay(attempts),
                            error: e.message,
                        }
                    }
                }
            };
            let mut tx = self.store.write().await?;
            tx.record_email_attempt(&email.sid, &outcome).await?;
            tx.commit().await?;
        }
        Ok(claimed.len())
    }

    /// The local outbox of an account (its Owners and Administrators) or an organization (its
    /// Owners and Administrators): the emails about their users, newest first.
    pub async fn outbox(&self, actor: &Actor, scope: &AuditScope, page: &PageRequest) -> Result<Page<OutboxEmail>> {
        let mut tx = self.store.read().await?;
        match scope {
            AuditScope::Account(sid) => {
                let account = tx.account(sid).await?.ok_or(Error::NotFound)?;
                let p = account_principal(&mut *tx, actor, &account).await?;
                authorize(&p, Permission::UsersManage, Target::Account(&account))?;
            }
            AuditScope::Organization(org) => {
                let p =
                    principal(&mut *tx, actor, &[gatehouse_domain::membership::ScopeRef::Organization(org.clone())])
                        .await?;
                authorize(&p, Permission::OrgUsersManage, Target::Organization(org))?;
            }
        }
        tx.outbox(scope, page).await
    }
}

/// Outbox settings of an app.
#[derive(Clone)]
pub(crate) struct MailSettings {
    /// Without SMTP, email bodies go to the log.
    pub log_bodies: bool,
    pub signal: Arc<tokio::sync::Notify>,
}
