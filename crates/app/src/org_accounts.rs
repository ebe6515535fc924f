//! Use cases of the Admin Center's Accounts tabs beyond creating one: importing an existing
//! account (its Owner confirms, it becomes managed), asking an independent account's Owner for
//! access (the requesting admin becomes its Administrator), answering those requests from the
//! account's overview, relinquishing access, and removing an account from the organization.

use gatehouse_domain::account::Account;
use gatehouse_domain::account_request::{AccountRequest, AccountRequestKind, AccountRequestStatus};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountRequestSid, AccountSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::User;
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::domains::{domain_no_longer_verified, in_verified_domain};
use crate::members::set_account_roles;
use crate::org_users::authorize_org;
use crate::{App, account_principal, acting_user};

/// A request with the account it is about and that account's Owner.
#[derive(Debug, Clone)]
pub struct AccountRequestView {
    pub request: AccountRequest,
    pub account: Account,
    pub owner: Option<User>,
    pub organization: Organization,
}

/// The organization's pending request about the account, as its Owner sees it.
pub(crate) async fn pending_request_view(tx: &mut dyn Tx, account: &AccountSid) -> Result<Option<AccountRequestView>> {
    match tx.pending_account_request(account).await? {
        Some(request) => Ok(Some(view(tx, request).await?)),
        None => Ok(None),
    }
}

impl App {
    /// The independent accounts the organization has standing access to.
    pub async fn independent_accounts(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<Account>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsRead).await?;
        tx.independent_accounts(org, page).await
    }

    /// Whether the organization manages the account (`true`) or holds standing access to it
    /// (`false`); any other account is `NotFound`.
    pub async fn organization_account(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        account: &AccountSid,
    ) -> Result<bool> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsRead).await?;
        let found = tx.account(account).await?.ok_or(Error::NotFound)?;
        if found.organization_sid.as_ref() == Some(org) {
            return Ok(true);
        }
        match tx.accepted_access_request(org, account).await? {
            Some(_) => Ok(false),
            None => Err(Error::NotFound),
        }
    }

    /// The organization's managed accounts with their Owners (Twilio's Organizations API).
    pub async fn organization_accounts_with_owners(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<(Account, Option<UserSid>)>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsRead).await?;
        let accounts = tx.organization_accounts(org, page).await?;
        let mut items = Vec::with_capacity(accounts.items.len());
        for account in accounts.items {
            let owner = tx.account_owner(&account.sid).await?;
            items.push((account, owner));
        }
        Ok(Page { items, next_after: accounts.next_after })
    }

    /// The cursor of the page of [`Self::organization_accounts_with_owners`] before the one
    /// after `cursor` (`None`: the first page), for Twilio's previous-page links.
    pub async fn organization_accounts_cursor_before(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsRead).await?;
        tx.organization_accounts_cursor_before(org, cursor, size).await
    }

    /// One managed account of the organization with its Owner; any other account is NotFound.
    pub async fn organization_account_with_owner(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &AccountSid,
    ) -> Result<(Account, Option<UserSid>)> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsRead).await?;
        let account =
            tx.account(sid).await?.filter(|a| a.organization_sid.as_ref() == Some(org)).ok_or(Error::NotFound)?;
        let owner = tx.account_owner(sid).await?;
        Ok((account, owner))
    }

    /// The organization's pending import and access requests (expired ones included).
    pub async fn pending_account_requests(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<AccountRequestView>> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsRead).await?;
        let requests = tx.pending_account_requests(org, page).await?;
        let mut items = Vec::with_capacity(requests.items.len());
        for request in &requests.items {
            items.push(view(&mut *tx, request.clone()).await?);
        }
        Ok(Page { items, next_after: requests.next_after })
    }

    /// Asks an account's Owner to let the organization import it. The account must be a
    /// top-level, active account no organization manages, and its Owner's address must be in
    /// one of the organization's verified domains. The Owner is emailed.
    pub async fn request_account_import(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        account_sid: &AccountSid,
    ) -> Result<AccountRequest> {
        self.request_account(actor, org, account_sid, AccountRequestKind::Import).await
    }

    /// Asks an independent account's Owner for access: once they accept, the requesting admin
    /// becomes an Administrator of the account. The Owner is emailed.
    pub async fn request_account_access(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        account_sid: &AccountSid,
    ) -> Result<AccountRequest> {
        self.request_account(actor, org, account_sid, AccountRequestKind::Access).await
    }

    async fn request_account(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        account_sid: &AccountSid,
        kind: AccountRequestKind,
    ) -> Result<AccountRequest> {
        let requester = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsManage).await?;
        let organization = tx.organization(org).await?.ok_or(Error::NotFound)?;
        let missing = || Error::invalid("account_sid", "no account has this SID");
        let account = tx.lock_account(account_sid).await?.ok_or_else(missing)?;
        account.ensure_active()?;
        if account.parent_sid.is_some() {
            return Err(Error::invalid("account_sid", "this is a subaccount: ask about its parent account instead"));
        }
        let owner_sid = tx.account_owner(account_sid).await?.ok_or_else(missing)?;
        let owner = tx.user(&owner_sid).await?.ok_or_else(missing)?;
        match kind {
            AccountRequestKind::Import => {
                if account.organization_sid.is_some() {
                    return Err(Error::Precondition(
                        "This account is already managed by an organization; it cannot be imported.".into(),
                    ));
                }
                if !in_verified_domain(&mut *tx, org, &owner.email).await? {
                    return Err(Error::Precondition(format!(
                        "The account's Owner signed up with an address outside this organization's verified domains \
                         ({}). Verify that domain first, or ask for access instead.",
                        owner.email.domain()
                    )));
                }
                if owner.organization_sid.as_ref().is_some_and(|o| o != org) {
                    return Err(Error::Precondition("The account's Owner is managed by another organization.".into()));
                }
            }
            AccountRequestKind::Access => {
                if account.organization_sid.as_ref() == Some(org) {
                    return Err(Error::Precondition("This organization already manages this account.".into()));
                }
                if tx.accepted_access_request(org, account_sid).await?.is_some() {
                    return Err(Error::Precondition("This organization already has access to this account.".into()));
                }
            }
        }
        let request = AccountRequest::new(
            org.clone(),
            account_sid.clone(),
            kind,
            Some(requester),
            i64::from(organization.invitation_lifetime_days),
            now,
        );
        tx.insert_account_request(&request).await?;
        let (subject, what) = match kind {
            AccountRequestKind::Import => (
                format!("{} asks to manage your account {}", organization.name, account.name),
                "to import your account into the organization. Once imported it becomes a managed account: \
                 you stay its Owner and become a managed user of the organization.",
            ),
            AccountRequestKind::Access => (
                format!("{} asks for access to your account {}", organization.name, account.name),
                "for access to your account: the administrator who asked would become its Administrator. \
                 The account stays yours, and the organization can give the access up at any time.",
            ),
        };
        let text = format!(
            "The organization {} asks {what}\n\nAccept or decline on the account's page before {}:",
            organization.name,
            request.expires_at.format("%Y-%m-%d %H:%M UTC")
        );
        let email = self.account_email("account_request", &mut *tx, &account, &owner, subject, text).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account_request.created", request.sid.as_str(), now)
                .in_account(account_sid, Some(org))
                .with_details(json!({ "kind": kind.as_str(), "account": account_sid, "owner": owner.sid })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[email]);
        Ok(request)
    }

    /// Withdraws one of the organization's pending requests.
    pub async fn cancel_account_request(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        sid: &AccountRequestSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsManage).await?;
        let request = tx.account_request(org, sid).await?.ok_or(Error::NotFound)?;
        if request.status != AccountRequestStatus::Pending {
            return Err(Error::Conflict(format!("This request was already {}.", request.status.as_str())));
        }
        tx.update_account_request(&AccountRequest {
            status: AccountRequestStatus::Cancelled,
            updated_at: now,
            ..request
        })
        .await?;
        tx.append_audit(&AuditEvent::new(actor, "account_request.cancelled", sid.as_str(), now).in_organization(org))
            .await?;
        tx.commit().await
    }

    /// The pending request about an account, shown to its Owner (other members see nothing;
    /// anyone else gets `NotFound`).
    pub async fn account_request_for_owner(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
    ) -> Result<Option<AccountRequestView>> {
        let me = acting_user(actor)?;
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::AccountRead, Target::Account(&account))?;
        if tx.account_owner(account_sid).await?.as_ref() != Some(me) {
            return Ok(None);
        }
        pending_request_view(&mut *tx, account_sid).await
    }

    /// The account's Owner accepts or declines the pending request about it. Accepting an
    /// import makes the account (and its subaccounts) managed and the Owner a managed user;
    /// accepting access makes the requesting admin an Administrator of the account.
    pub async fn answer_account_request(&self, actor: &Actor, account_sid: &AccountSid, accept: bool) -> Result<()> {
        let me = acting_user(actor)?.clone();
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = tx.lock_account(account_sid).await?.ok_or(Error::NotFound)?;
        if tx.account_owner(account_sid).await? != Some(me.clone()) {
            return Err(Error::NotFound);
        }
        let request = tx.pending_account_request(account_sid).await?.ok_or(Error::NotFound)?;
        request.ensure_open(now)?;
        let org = request.organization_sid.clone();
        let status = if accept { AccountRequestStatus::Accepted } else { AccountRequestStatus::Declined };
        if accept {
            account.ensure_active()?;
            match request.kind {
                AccountRequestKind::Import => {
                    let owner = tx.user(&me).await?.ok_or(Error::Unauthenticated)?;
                    match &owner.organization_sid {
                        Some(o) if o != &org => {
                            return Err(Error::Precondition(
                                "You are a managed user of another organization, so this account cannot join this one."
                                    .into(),
                            ));
                        }
                        Some(_) => {}
                        None if !in_verified_domain(&mut *tx, &org, &owner.email).await? => {
                            let org_name = tx.organization(&org).await?.ok_or(Error::NotFound)?.name;
                            drop(tx);
                            let event = AuditEvent::new(
                                actor,
                                "account_request.acceptance_refused",
                                request.sid.as_str(),
                                self.now(),
                            )
                            .in_account(&request.account_sid, Some(&request.organization_sid));
                            self.audit_refused_acceptance(event, &owner.email).await?;
                            return Err(domain_no_longer_verified(&owner.email, &org_name, "this import"));
                        }
                        None => {
                            tx.set_user_organization(&me, Some(&org), now).await?;
                            tx.append_audit(
                                &AuditEvent::new(actor, "user.became_managed", me.as_str(), now)
                                    .in_organization(&org)
                                    .with_details(json!({ "reason": "account_import", "account": account_sid })),
                            )
                            .await?;
                        }
                    }
                    tx.set_account_organization(account_sid, Some(&org), now).await?;
                }
                AccountRequestKind::Access => {
                    let requester = request.requested_by.clone().ok_or_else(|| {
                        Error::Precondition(
                            "The administrator who asked no longer exists; ask them to ask again.".into(),
                        )
                    })?;
                    let active = tx
                        .user(&requester)
                        .await?
                        .is_some_and(|u| u.status == gatehouse_domain::user::UserStatus::Active);
                    if !active {
                        return Err(Error::Precondition("The administrator who asked is no longer active.".into()));
                    }
                    // The Owner asking themselves keeps ownership; anyone else becomes Administrator.
                    if requester != me {
                        set_account_roles(&mut *tx, account_sid, &requester, [AccountRole::Administrator], now).await?;
                    }
                }
            }
        }
        tx.update_account_request(&AccountRequest { status, updated_at: now, ..request.clone() }).await?;
        tx.append_audit(
            &AuditEvent::new(actor, &format!("account_request.{}", status.as_str()), request.sid.as_str(), now)
                .in_account(account_sid, Some(&org))
                .with_details(json!({ "kind": request.kind.as_str(), "organization": org })),
        )
        .await?;
        tx.commit().await
    }

    /// Gives up the organization's access to an independent account: every role the
    /// organization's managed users hold on it ends (the Owner is outside the organization).
    pub async fn relinquish_account_access(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        account_sid: &AccountSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsManage).await?;
        let request = tx.accepted_access_request(org, account_sid).await?.ok_or(Error::NotFound)?;
        let scope = ScopeRef::Account(account_sid.clone());
        let mut removed = Vec::new();
        let mut after = None;
        loop {
            let page = tx.account_members(account_sid, None, &PageRequest { after, limit: 200, search: None }).await?;
            for m in &page.items {
                if m.user.organization_sid.as_ref() == Some(org) && !m.is_owner() {
                    removed.push(m.user.sid.clone());
                }
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        for user in &removed {
            tx.delete_user_assignments(&scope, user).await?;
        }
        tx.update_account_request(&AccountRequest {
            status: AccountRequestStatus::Relinquished,
            updated_at: now,
            ..request
        })
        .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.access_relinquished", account_sid.as_str(), now)
                .in_account(account_sid, Some(org))
                .with_details(json!({ "members_removed": removed })),
        )
        .await?;
        tx.commit().await
    }

    /// Removes a managed account (and its subaccounts) from the organization: it becomes an
    /// independent account of its Owner, and the organization's roles no longer reach it.
    pub async fn remove_account_from_organization(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        account_sid: &AccountSid,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgAccountsManage).await?;
        let account = tx
            .lock_account(account_sid)
            .await?
            .filter(|a| a.organization_sid.as_ref() == Some(org))
            .ok_or(Error::NotFound)?;
        if account.parent_sid.is_some() {
            return Err(Error::Precondition(
                "A subaccount belongs to its parent's organization; remove the parent account instead.".into(),
            ));
        }
        tx.set_account_organization(account_sid, None, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.left_organization", account_sid.as_str(), now)
                .in_account(account_sid, Some(org))
                .with_details(json!({ "reason": "removed_by_organization" })),
        )
        .await?;
        tx.commit().await
    }
}

async fn view(tx: &mut dyn Tx, request: AccountRequest) -> Result<AccountRequestView> {
    let account = tx.account(&request.account_sid).await?.ok_or(Error::NotFound)?;
    let owner = match tx.account_owner(&account.sid).await? {
        Some(o) => tx.user(&o).await?,
        None => None,
    };
    let organization = tx.organization(&request.organization_sid).await?.ok_or(Error::NotFound)?;
    Ok(AccountRequestView { request, account, owner, organization })
}
