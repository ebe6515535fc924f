//! An independent user deletes their own login (*Security → Delete your login*): the same erasure
//! as the Admin Center's *Delete user*, after they decide, for each account they own, who owns it
//! next (one of its members) or that it closes. A managed user's login is their organization's
//! to delete.

use std::collections::{BTreeMap, BTreeSet};

use gatehouse_domain::account::{Account, AccountStatus};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::invitation::{Invitation, InvitationStatus};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, UserStatus};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::api_keys::revoke_departing_keys;
use crate::oauth::{Leaving, revoke_departing_apps};
use crate::offboarding::{HEIR_CHOICES, erase_person};
use crate::{App, acting_user};

/// What becomes of an account the departing user owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFate {
    /// This member becomes its Owner (the subaccounts the user owns under it follow).
    Heir(UserSid),
    /// It closes for good, with its subaccounts.
    Close,
}

/// What deleting one's own login involves: each account they own (top-level among those they
/// own) with the members who could own it next.
#[derive(Debug, Clone)]
pub struct SelfDeletionPreview {
    pub user: User,
    pub owned: Vec<(Account, Vec<User>)>,
}

/// The accounts the user owns that are not closed: the top-level ones (each decided on) and the
/// subaccounts whose parent they also own (which follow it).
async fn owned_accounts(tx: &mut dyn Tx, user: &UserSid) -> Result<(Vec<Account>, Vec<Account>)> {
    let owned: Vec<Account> = tx
        .user_memberships(user)
        .await?
        .into_iter()
        .filter(|(a, role)| *role == AccountRole::Owner && a.status != AccountStatus::Closed)
        .map(|(a, _)| a)
        .collect();
    let sids: BTreeSet<_> = owned.iter().map(|a| a.sid.clone()).collect();
    let (following, decided) = owned.into_iter().partition(|a| a.parent_sid.as_ref().is_some_and(|p| sids.contains(p)));
    Ok((decided, following))
}

/// The signed-in independent user, or why they cannot delete their own login.
async fn independent_user(tx: &mut dyn Tx, actor: &Actor) -> Result<User> {
    let user = tx.user(acting_user(actor)?).await?.ok_or(Error::Unauthenticated)?;
    if user.organization_sid.is_some() {
        return Err(Error::Precondition(
            "Your login is managed by your organization: ask its administrators to delete it.".into(),
        ));
    }
    Ok(user)
}

impl App {
    /// What deleting the actor's own login would decide.
    pub async fn self_deletion_preview(&self, actor: &Actor) -> Result<SelfDeletionPreview> {
        let mut tx = self.store.read().await?;
        let user = independent_user(&mut *tx, actor).await?;
        let (decided, _) = owned_accounts(&mut *tx, &user.sid).await?;
        let mut owned = Vec::new();
        for account in decided {
            let members = tx.account_members(&account.sid, None, &PageRequest::first(HEIR_CHOICES)).await?;
            let heirs = members
                .items
                .into_iter()
                .map(|m| m.user)
                .filter(|u| u.sid != user.sid && u.status == UserStatus::Active)
                .filter(|u| account.organization_sid.is_none() || u.organization_sid == account.organization_sid)
                .collect();
            owned.push((account, heirs));
        }
        Ok(SelfDeletionPreview { user, owned })
    }

    /// Deletes the actor's own login, confirmed by typing their address: each account they own
    /// goes to the member they chose or closes, the API keys and account OAuth apps they made
    /// are revoked, the invitations they sent are withdrawn, their sessions end, and the person
    /// is erased as the Admin Center's delete erases them. One transaction; audited.
    pub async fn delete_own_login(
        &self,
        actor: &Actor,
        confirm_email: &str,
        fates: &BTreeMap<AccountSid, AccountFate>,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let user = independent_user(&mut *tx, actor).await?;
        if Email::parse(confirm_email).ok().as_ref() != Some(&user.email) {
            return Err(Error::invalid("confirm_email", "type your email address exactly to confirm"));
        }
        let (decided, following) = owned_accounts(&mut *tx, &user.sid).await?;
        let mut accounts_report = Vec::new();
        for account in &decided {
            let fate = fates.get(&account.sid).ok_or_else(|| {
                Error::invalid("accounts", format!("choose a new Owner for {}, or close it", account.name))
            })?;
            let locked = tx.lock_account(&account.sid).await?.ok_or(Error::NotFound)?;
            match fate {
                AccountFate::Heir(heir) => {
                    self.check_heir(&mut *tx, &locked, heir).await?;
                    let family = std::iter::once(&locked)
                        .chain(following.iter().filter(|s| s.parent_sid.as_ref() == Some(&account.sid)));
                    for member in family {
                        self.move_ownership(&mut *tx, actor, member, &user.sid, heir).await?;
                    }
                    accounts_report.push(json!({ "sid": account.sid, "outcome": "transferred", "new_owner": heir }));
                }
                AccountFate::Close => {
                    self.close_with_subaccounts(&mut *tx, actor, &locked).await?;
                    accounts_report.push(json!({ "sid": account.sid, "outcome": "closed" }));
                }
            }
        }
        let keys: Vec<_> =
            tx.api_keys_created_by(&user.sid).await?.into_iter().filter(|k| k.revoked_at.is_none()).collect();
        let mut keys_report =
            revoke_departing_keys(&mut *tx, actor, None, &user.sid, &keys, &BTreeSet::new(), "login_deleted", now)
                .await?;
        keys_report.extend(
            revoke_departing_apps(&mut *tx, actor, None, &user.sid, Leaving::Everywhere, false, "login_deleted", now)
                .await?,
        );
        for i in tx.invitations_sent_by(&user.sid).await? {
            let email = i.email.clone();
            let (sid, account) = (i.sid.clone(), i.account_sid.clone());
            tx.update_invitation(&Invitation { status: InvitationStatus::Revoked, updated_at: now, ..i }).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "invitation.revoked", sid.as_str(), now)
                    .in_account(&account, None)
                    .with_details(json!({ "email": email, "reason": "login_deleted" })),
            )
            .await?;
        }
        let sessions = tx.delete_user_sessions(&user.sid).await?;
        tx.leave_all_groups(&user.sid, now).await?;
        erase_person(&mut *tx, &user, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.deleted_own_login", user.sid.as_str(), now)
                .with_details(json!({ "accounts": accounts_report, "keys": keys_report, "sessions_ended": sessions })),
        )
        .await?;
        tx.commit().await
    }
}
