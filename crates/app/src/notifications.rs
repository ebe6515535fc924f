//! Use cases for notification preferences and for sending a notice: each category of notice
//! goes to exactly the members holding one of its chosen roles.

use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::Member;
use gatehouse_domain::notification::{NoticeCategory, receives};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::security::OutboxEmail;
use gatehouse_domain::sid::AccountSid;
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{UserStatus, parse_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::members::{locked_for, role_keys};
use crate::{App, account_principal};

/// Every category with its chosen roles (the defaults where nothing was chosen).
async fn choices(tx: &mut dyn Tx, account: &AccountSid) -> Result<Vec<(NoticeCategory, Vec<AccountRole>)>> {
    let stored = tx.notification_roles(account).await?;
    Ok(NoticeCategory::ALL
        .into_iter()
        .map(|c| {
            let roles = stored.iter().find(|(s, _)| *s == c).map_or_else(|| c.default_roles(), |(_, r)| r.clone());
            (c, roles)
        })
        .collect())
}

impl App {
    /// Which roles receive each category of notice on the account (any member may look).
    pub async fn notification_preferences(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
    ) -> Result<Vec<(NoticeCategory, Vec<AccountRole>)>> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::AccountRead, Target::Account(&account))?;
        account.ensure_active()?;
        choices(&mut *tx, account_sid).await
    }

    /// Chooses the roles that receive a category (Owner or Administrator). An empty choice
    /// silences the category.
    pub async fn set_notification_roles(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        category: NoticeCategory,
        roles: &[AccountRole],
    ) -> Result<()> {
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::NotificationsManage).await?;
        let before = choices(&mut *tx, account_sid).await?.into_iter().find(|(c, _)| *c == category).map(|(_, r)| r);
        if before.as_deref() == Some(roles.as_slice()) {
            return Ok(());
        }
        tx.set_notification_roles(account_sid, category, &roles, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "notifications.changed", account_sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({
                    "category": category.key(),
                    "from": before.map(role_keys),
                    "to": role_keys(roles.iter().copied()),
                })),
        )
        .await?;
        tx.commit().await
    }

    /// Sends a notice to the members whose roles the category reaches (the system, or an Owner
    /// or Administrator). Returns the addresses it went to.
    pub async fn send_notice(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        category: NoticeCategory,
        subject: &str,
        body: &str,
    ) -> Result<Vec<String>> {
        let subject = parse_name("subject", subject, 200)?;
        if body.trim().is_empty() {
            return Err(Error::invalid("body", "write the notice"));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::NotificationsManage).await?;
        let recipients_roles =
            choices(&mut *tx, account_sid).await?.into_iter().find(|(c, _)| *c == category).map(|(_, r)| r);
        let recipients_roles = recipients_roles.unwrap_or_default();
        let mut members: Vec<Member> = Vec::new();
        let mut page = PageRequest::first(200);
        loop {
            let batch = tx.account_members(account_sid, None, &page).await?;
            members.extend(batch.items);
            match batch.next_after {
                Some(after) => page = PageRequest::new(Some(after), Some(200), None)?,
                None => break,
            }
        }
        let mut emails = Vec::new();
        for m in members.iter().filter(|m| m.user.status == UserStatus::Active && receives(&m.roles, &recipients_roles))
        {
            let text = format!(
                "{}\n\n— {} notice about the Gatehouse account \"{}\". You receive these as {}.\n",
                body.trim(),
                category.name(),
                account.name,
                m.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", ")
            );
            let mut email = OutboxEmail::new(m.user.email.clone(), subject.clone(), text, "notice", now);
            email.account_sid = Some(account_sid.clone());
            email.organization_sid = account.organization_sid.clone();
            self.enqueue(&mut *tx, &email).await?;
            emails.push(email);
        }
        let to: Vec<String> = emails.iter().map(|e| e.recipient.to_string()).collect();
        tx.append_audit(
            &AuditEvent::new(actor, "notice.sent", account_sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "category": category.key(), "subject": subject, "recipients": to })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&emails);
        Ok(to)
    }
}
