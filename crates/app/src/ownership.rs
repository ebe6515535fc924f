//! Use cases for an account's ownership: the self-serve transfer (the Owner nominates a member,
//! the nominee accepts or declines; both are emailed), and the immediate transfer used by
//! `system` and by offboarding. The previous Owner always becomes an Administrator.

use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::nomination::{NOMINATION_LIFETIME_DAYS, OwnerNomination};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Principal, Target, authorize};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::User;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::members::{locked_for, role_keys, roles_of, set_account_roles};
use crate::{App, account_principal, acting_user};

/// A pending offer as shown on the account's pages.
#[derive(Debug, Clone)]
pub struct NominationView {
    pub nomination: OwnerNomination,
    pub nominee: User,
    pub nominated_by: User,
}

impl App {
    /// Checks that `new_owner` may own the account: a member other than the Owner, and for a
    /// managed account a managed user of its organization. Returns the current Owner.
    pub(crate) async fn check_heir(&self, tx: &mut dyn Tx, account: &Account, new_owner: &UserSid) -> Result<UserSid> {
        let old_owner = tx
            .account_owner(&account.sid)
            .await?
            .ok_or_else(|| Error::Internal(format!("account {} has no Owner", account.sid)))?;
        if &old_owner == new_owner {
            return Err(Error::Precondition("this user already owns the account".into()));
        }
        if roles_of(tx, &account.sid, new_owner).await?.is_empty() {
            return Err(Error::invalid("new_owner", "the new Owner must already be a member of this account"));
        }
        let user = tx.user(new_owner).await?.ok_or(Error::NotFound)?;
        if let Some(org) = &account.organization_sid
            && user.organization_sid.as_ref() != Some(org)
        {
            return Err(Error::invalid(
                "new_owner",
                "a managed account's Owner must be a managed user of its organization",
            ));
        }
        Ok(old_owner)
    }

    /// Moves ownership inside the caller's transaction (the account is locked) and audits it.
    pub(crate) async fn move_ownership(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        account: &Account,
        old_owner: &UserSid,
        new_owner: &UserSid,
    ) -> Result<()> {
        let now = self.now();
        let new_roles = roles_of(tx, &account.sid, new_owner).await?;
        let scope = ScopeRef::Account(account.sid.clone());
        set_account_roles(tx, &account.sid, old_owner, [AccountRole::Administrator], now).await?;
        set_account_roles(tx, &account.sid, new_owner, [AccountRole::Owner], now).await?;
        tx.delete_owner_nomination(&scope).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.owner_transferred", account.sid.as_str(), now)
                .in_account(&account.sid, account.organization_sid.as_ref())
                .with_details(
                    json!({ "from": old_owner, "to": new_owner, "new_owner_previous_roles": role_keys(new_roles) }),
                ),
        )
        .await
    }

    /// Makes another member the Owner at once; the previous Owner becomes an Administrator.
    /// For `system` (the CLI) and offboarding; people use [`App::nominate_owner`].
    pub async fn transfer_ownership(&self, actor: &Actor, account_sid: &AccountSid, new_owner: &UserSid) -> Result<()> {
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::AccountOwnerTransfer).await?;
        let old_owner = self.check_heir(&mut *tx, &account, new_owner).await?;
        self.move_ownership(&mut *tx, actor, &account, &old_owner, new_owner).await?;
        tx.commit().await
    }

    /// The Owner offers ownership to a member, who must accept within 7 days. A new offer
    /// replaces an earlier one. The nominee is emailed.
    pub async fn nominate_owner(&self, actor: &Actor, account_sid: &AccountSid, nominee: &UserSid) -> Result<()> {
        let owner_sid = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::AccountOwnerTransfer).await?;
        let old_owner = self.check_heir(&mut *tx, &account, nominee).await?;
        if old_owner != owner_sid {
            return Err(Error::Forbidden);
        }
        let owner = tx.user(&owner_sid).await?.ok_or(Error::Unauthenticated)?;
        let nominee_user = tx.user(nominee).await?.ok_or(Error::NotFound)?;
        let scope = ScopeRef::Account(account_sid.clone());
        let nomination = OwnerNomination::new(scope, nominee.clone(), owner_sid.clone(), now, NOMINATION_LIFETIME_DAYS);
        tx.put_owner_nomination(&nomination).await?;
        let text = format!(
            "{} ({}) wants to make you the Owner of the Gatehouse account \"{}\". As Owner you can do everything, \
             including closing the account; {} would become an Administrator.\n\nTo accept or decline by {}, open:",
            owner.name,
            owner.email,
            account.name,
            owner.name,
            nomination.expires_at.format("%Y-%m-%d %H:%M UTC")
        );
        let subject = format!("Become the Owner of {}?", account.name);
        let mail = self.account_email("ownership", &mut *tx, &account, &nominee_user, subject, text).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.owner_nominated", account_sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "nominee": nominee, "expires_at": nomination.expires_at })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(())
    }

    /// The Owner withdraws their offer.
    pub async fn cancel_owner_nomination(&self, actor: &Actor, account_sid: &AccountSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::AccountOwnerTransfer).await?;
        let nomination = tx.owner_nomination(&ScopeRef::Account(account_sid.clone())).await?.ok_or(Error::NotFound)?;
        tx.delete_owner_nomination(&ScopeRef::Account(account_sid.clone())).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.owner_nomination_cancelled", account_sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(json!({ "nominee": nomination.nominee })),
        )
        .await?;
        tx.commit().await
    }

    /// Loads the pending offer for its nominee, on the locked, active account.
    async fn offer_for_nominee(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        account_sid: &AccountSid,
    ) -> Result<(Account, OwnerNomination, User)> {
        let me = acting_user(actor)?;
        let account = tx.lock_account(account_sid).await?.ok_or(Error::NotFound)?;
        let nomination = tx
            .owner_nomination(&ScopeRef::Account(account_sid.clone()))
            .await?
            .filter(|n| &n.nominee == me)
            .ok_or(Error::NotFound)?;
        account.ensure_active()?;
        let user = tx.user(me).await?.ok_or(Error::Unauthenticated)?;
        Ok((account, nomination, user))
    }

    /// The nominee accepts: they become the Owner, the previous Owner an Administrator; both
    /// are emailed.
    pub async fn accept_ownership(&self, actor: &Actor, account_sid: &AccountSid) -> Result<()> {
        let mut tx = self.store.write().await?;
        let (account, nomination, me) = self.offer_for_nominee(&mut *tx, actor, account_sid).await?;
        nomination.ensure_open(self.now())?;
        let old_owner = self.check_heir(&mut *tx, &account, &me.sid).await?;
        self.move_ownership(&mut *tx, actor, &account, &old_owner, &me.sid).await?;
        let previous = tx.user(&old_owner).await?.ok_or(Error::NotFound)?;
        let mails = vec![
            self.account_email(
                "ownership",
                &mut *tx,
                &account,
                &previous,
                format!("{} now owns {}", me.name, account.name),
                format!(
                    "{} ({}) accepted ownership of \"{}\". You are now an Administrator of it.",
                    me.name, me.email, account.name
                ),
            )
            .await?,
            self.account_email(
                "ownership",
                &mut *tx,
                &account,
                &me,
                format!("You now own {}", account.name),
                format!("You are now the Owner of \"{}\"; {} is an Administrator.", account.name, previous.name),
            )
            .await?,
        ];
        tx.commit().await?;
        self.emails_queued(&mails);
        Ok(())
    }

    /// The nominee declines; the Owner is emailed.
    pub async fn decline_ownership(&self, actor: &Actor, account_sid: &AccountSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let (account, nomination, me) = self.offer_for_nominee(&mut *tx, actor, account_sid).await?;
        tx.delete_owner_nomination(&ScopeRef::Account(account_sid.clone())).await?;
        let owner = tx.user(&nomination.nominated_by).await?.ok_or(Error::NotFound)?;
        let mail = self
            .account_email(
                "ownership",
                &mut *tx,
                &account,
                &owner,
                format!("{} declined to own {}", me.name, account.name),
                format!(
                    "{} ({}) declined your offer to own \"{}\". You remain its Owner.",
                    me.name, me.email, account.name
                ),
            )
            .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.owner_nomination_declined", account_sid.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref()),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[mail]);
        Ok(())
    }

    /// The account's pending offer, for its members who may see users, and for the nominee.
    pub async fn owner_nomination(&self, actor: &Actor, account_sid: &AccountSid) -> Result<Option<NominationView>> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::AccountRead, Target::Account(&account))?;
        nomination_for(&mut *tx, actor, &account, &p).await
    }
}

/// The account's pending ownership offer, if the actor (holding `p` there) is its nominee or
/// may read the account's users.
pub(crate) async fn nomination_for(
    tx: &mut dyn Tx,
    actor: &Actor,
    account: &Account,
    p: &Principal,
) -> Result<Option<NominationView>> {
    let Some(nomination) = tx.owner_nomination(&ScopeRef::Account(account.sid.clone())).await? else { return Ok(None) };
    let is_nominee = actor.user_sid() == Some(&nomination.nominee);
    if !is_nominee && authorize(p, Permission::UsersRead, Target::Account(account)).is_err() {
        return Ok(None);
    }
    let nominee = tx.user(&nomination.nominee).await?.ok_or(Error::NotFound)?;
    let nominated_by = tx.user(&nomination.nominated_by).await?.ok_or(Error::NotFound)?;
    Ok(Some(NominationView { nomination, nominee, nominated_by }))
}
