//! Use cases of the installation's operators: the service banner shown at the top of every
//! console page (optionally also sent as a *service* notice to the roles each account chose),
//! and who may use the operator pages. The CLI acts as `system`; in the browser, users the
//! operator made operators (`gatehouse admin grant-operator`).

use std::time::{Duration, Instant};

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::banner::{ServiceBanner, parse_banner_message};
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::App;

/// How long a node shows the banner it read before reading it again: a banner posted or withdrawn
/// on another node shows there within this long.
pub const BANNER_REFRESH: Duration = Duration::from_secs(5);

/// The banner a node read, and when.
pub(crate) type BannerCache = std::sync::Mutex<Option<(Instant, Option<ServiceBanner>)>>;

/// Refuses anyone but the CLI and the installation's operators; to others the operator pages do
/// not exist.
async fn authorize_operator(tx: &mut dyn Tx, actor: &Actor) -> Result<()> {
    match &actor.kind {
        ActorKind::System => Ok(()),
        ActorKind::User(user) if tx.is_operator(user).await? => Ok(()),
        _ => Err(Error::NotFound),
    }
}

impl App {
    /// Whether the actor may use the operator pages.
    pub async fn is_operator(&self, actor: &Actor) -> Result<bool> {
        let mut tx = self.store.read().await?;
        match authorize_operator(&mut *tx, actor).await {
            Ok(()) => Ok(true),
            Err(Error::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The banner every console page shows, read at most every [`BANNER_REFRESH`] per node.
    pub async fn service_banner(&self) -> Result<Option<ServiceBanner>> {
        if let Ok(cached) = self.banner.lock()
            && let Some((at, banner)) = cached.as_ref()
            && at.elapsed() < BANNER_REFRESH
        {
            return Ok(banner.clone());
        }
        let banner = {
            let mut tx = self.store.read_autocommit().await?;
            tx.service_banner().await?
        };
        if let Ok(mut cached) = self.banner.lock() {
            *cached = Some((Instant::now(), banner.clone()));
        }
        Ok(banner)
    }

    fn forget_banner(&self) {
        if let Ok(mut cached) = self.banner.lock() {
            *cached = None;
        }
    }

    /// Shows a banner at the top of every console page until withdrawn (replacing the one shown).
    pub async fn post_service_banner(&self, actor: &Actor, message: &str) -> Result<ServiceBanner> {
        let message = parse_banner_message(message)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_operator(&mut *tx, actor).await?;
        let banner = ServiceBanner { message, posted_by: actor.audit_name(), posted_at: now };
        tx.put_service_banner(&banner).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "service_banner.posted", "installation", now)
                .with_details(json!({ "message": banner.message })),
        )
        .await?;
        tx.commit().await?;
        self.forget_banner();
        Ok(banner)
    }

    /// Withdraws the banner; whether one was shown.
    pub async fn withdraw_service_banner(&self, actor: &Actor) -> Result<bool> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_operator(&mut *tx, actor).await?;
        let withdrawn = tx.delete_service_banner().await? > 0;
        if withdrawn {
            tx.append_audit(&AuditEvent::new(actor, "service_banner.withdrawn", "installation", now)).await?;
        }
        tx.commit().await?;
        self.forget_banner();
        Ok(withdrawn)
    }

    /// Sends the banner as a *service* notice about every account that is not closed, to the
    /// roles each account chose for service notices (one transaction per account). Returns how
    /// many emails were queued.
    pub async fn send_banner_as_notice(&self, actor: &Actor, banner: &ServiceBanner) -> Result<usize> {
        {
            let mut tx = self.store.read().await?;
            authorize_operator(&mut *tx, actor).await?;
        }
        let subject = "Service notice";
        let mut sent = 0;
        let mut page = PageRequest::first(200);
        loop {
            let accounts = {
                let mut tx = self.store.read().await?;
                tx.open_accounts(&page).await?
            };
            for account in &accounts.items {
                let to = self
                    .send_notice(&Actor::system(), &account.sid, NoticeCategory::Service, subject, &banner.message)
                    .await?;
                sent += to.len();
            }
            match accounts.next_after {
                Some(after) => page = PageRequest::new(Some(after), Some(200), None)?,
                None => break,
            }
        }
        Ok(sent)
    }

    /// Grants (or takes away) the operator pages to the login with this address; the CLI's.
    pub async fn set_operator(&self, actor: &Actor, email: &str, on: bool) -> Result<User> {
        if actor.kind != ActorKind::System {
            return Err(Error::Forbidden);
        }
        let email = Email::parse(email)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let user = tx.user_by_email(&email).await?.ok_or(Error::NotFound)?;
        tx.set_operator(&user.sid, on, now).await?;
        let action = if on { "operator.granted" } else { "operator.revoked" };
        tx.append_audit(
            &AuditEvent::new(actor, action, user.sid.as_str(), now).with_details(json!({ "email": user.email })),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
}
