//! Use cases for an account's name and lifecycle: rename, suspend, reactivate, close. Owners and
//! Administrators rename, suspend and reactivate; only the Owner closes (typing the name), and
//! closing is final. A parent's Owner and Administrators do the same for its subaccounts.

use gatehouse_domain::account::{Account, AccountStatus, parse_account_name};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::sid::AccountSid;
use gatehouse_domain::store::Tx;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::members::locked_for;
use crate::{App, account_principal};

/// Locks the account and checks `permission`, whatever its status.
async fn locked_any_status(
    tx: &mut dyn Tx,
    actor: &Actor,
    sid: &AccountSid,
    permission: Permission,
) -> Result<Account> {
    let account = tx.lock_account(sid).await?.ok_or(Error::NotFound)?;
    let p = account_principal(tx, actor, &account).await?;
    authorize(&p, permission, Target::Account(&account))?;
    Ok(account)
}

impl App {
    /// Closes an account and its subaccounts inside the caller's transaction (the account is
    /// locked and the actor authorized), audited.
    pub(crate) async fn close_with_subaccounts(&self, tx: &mut dyn Tx, actor: &Actor, account: &Account) -> Result<()> {
        let (now, sid) = (self.now(), &account.sid);
        let mut closed_subaccounts = Vec::new();
        let mut page = PageRequest::first(200);
        loop {
            let children = tx.subaccounts(sid, &page).await?;
            for child in children.items.iter().filter(|c| c.status != AccountStatus::Closed) {
                tx.set_account_status(&child.sid, AccountStatus::Closed, now).await?;
                self.status_event(tx, actor, child, "account.closed", json!({ "with_parent": sid })).await?;
                closed_subaccounts.push(child.sid.clone());
            }
            match children.next_after {
                Some(after) => page = PageRequest::new(Some(after), Some(200), None)?,
                None => break,
            }
        }
        tx.set_account_status(sid, AccountStatus::Closed, now).await?;
        tx.delete_owner_nomination(&gatehouse_domain::membership::ScopeRef::Account(sid.clone())).await?;
        self.status_event(tx, actor, account, "account.closed", json!({ "subaccounts": closed_subaccounts })).await
    }

    async fn status_event(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        account: &Account,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        tx.append_audit(
            &AuditEvent::new(actor, action, account.sid.as_str(), self.now())
                .in_account(&account.sid, account.organization_sid.as_ref())
                .with_details(details),
        )
        .await
    }

    /// Renames an active account.
    pub async fn rename_account(&self, actor: &Actor, sid: &AccountSid, name: &str) -> Result<()> {
        let name = parse_account_name(name)?;
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, sid, Permission::AccountSettingsWrite).await?;
        if account.name == name {
            return Ok(());
        }
        tx.rename_account(sid, &name, self.now()).await?;
        self.status_event(&mut *tx, actor, &account, "account.renamed", json!({ "from": account.name, "to": name }))
            .await?;
        tx.commit().await
    }

    /// Suspends an active account: its console and credentials are refused until reactivated.
    pub async fn suspend_account(&self, actor: &Actor, sid: &AccountSid) -> Result<()> {
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, sid, Permission::AccountSettingsWrite).await?;
        tx.set_account_status(sid, AccountStatus::Suspended, self.now()).await?;
        self.status_event(&mut *tx, actor, &account, "account.suspended", json!({})).await?;
        tx.commit().await
    }

    /// Reactivates a suspended account. A closed account stays closed.
    pub async fn reactivate_account(&self, actor: &Actor, sid: &AccountSid) -> Result<()> {
        let mut tx = self.store.write().await?;
        let account = locked_any_status(&mut *tx, actor, sid, Permission::AccountSettingsWrite).await?;
        match account.status {
            AccountStatus::Suspended => {}
            AccountStatus::Active => return Err(Error::Precondition("this account is already active".into())),
            AccountStatus::Closed => return Err(Error::Precondition("a closed account cannot be reopened".into())),
        }
        tx.set_account_status(sid, AccountStatus::Active, self.now()).await?;
        self.status_event(&mut *tx, actor, &account, "account.reactivated", json!({})).await?;
        tx.commit().await
    }

    /// Closes an account for good (Owner only), confirmed by typing its exact name. Its
    /// subaccounts close with it. A suspended account can be closed too.
    pub async fn close_account(&self, actor: &Actor, sid: &AccountSid, confirm_name: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        let account = locked_any_status(&mut *tx, actor, sid, Permission::AccountClose).await?;
        if account.status == AccountStatus::Closed {
            return Err(Error::Precondition("this account is already closed".into()));
        }
        if confirm_name.trim() != account.name {
            return Err(Error::invalid("confirm_name", "type the account's name exactly to confirm"));
        }
        self.close_with_subaccounts(&mut *tx, actor, &account).await?;
        tx.commit().await
    }
}
