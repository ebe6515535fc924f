//! Use cases for accounts: sign-up, creating accounts and subaccounts, reading them.

use gatehouse_domain::account::{Account, AccountStatus, parse_account_name};
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::{Permission, PermissionSet};
use gatehouse_domain::policy::{Actor, ActorKind, Principal, Target, authorize, effective_permissions};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, OrganizationSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, parse_display_name, parse_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::domains::{auto_join_organization, record_auto_join};
use crate::organizations::{CheckedOrganization, NewOrganization, check_new_organization};
use crate::password::check_policy;
use crate::{App, account_principal, acting_user, principal};

/// Input for signing up: a new independent user who owns a new account.
#[derive(Debug, Clone)]
pub struct NewSignUp {
    pub email: String,
    pub name: String,
    pub password: String,
    pub account_name: String,
    /// The new organization's name when sign-up creates organizations (the account's name if
    /// empty); ignored otherwise.
    pub organization_name: String,
}

/// What public sign-up creates (the operator's `signup` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignUpMode {
    /// A new organization, its first account, and its Owner (a managed user): Twilio's sign-up.
    Organization,
    /// A standalone account owned by an independent login.
    #[default]
    Account,
    /// Nobody signs up; people join by invitation (or SCIM).
    Closed,
}

impl SignUpMode {
    /// Parses the setting's value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "organization" => Some(SignUpMode::Organization),
            "account" => Some(SignUpMode::Account),
            "closed" => Some(SignUpMode::Closed),
            _ => None,
        }
    }
}

/// What sign-up refuses with when it is closed.
pub const SIGN_UP_CLOSED: &str = "Sign-up is closed on this server: ask an administrator to invite you.";

/// Input for a new account: standalone, in an organization, or a subaccount of a parent.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub organization_sid: Option<OrganizationSid>,
    pub parent_sid: Option<AccountSid>,
}

/// An account as its console shows it.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: Account,
    pub organization: Option<Organization>,
    pub parent: Option<Account>,
    pub owner: Option<User>,
    /// What the viewer may do here, so pages show only the actions that will succeed.
    pub permissions: PermissionSet,
}

impl AccountView {
    /// How long an invitation to this account works, in days: its organization's setting, or
    /// the default for standalone accounts.
    pub fn invitation_lifetime_days(&self) -> i64 {
        gatehouse_domain::organization::invitation_lifetime_days(self.organization.as_ref())
    }
}

/// What an account's overview page shows (see [`App::account_overview`]).
#[derive(Debug, Clone)]
pub struct AccountOverview {
    pub view: AccountView,
    pub subaccounts: Page<Account>,
    pub activity: Option<Page<AuditEvent>>,
    pub nomination: Option<crate::NominationView>,
    pub request: Option<crate::AccountRequestView>,
    pub auth_token_made: Option<Option<chrono::DateTime<chrono::Utc>>>,
}

/// The account, if it exists and the actor may read it, with the actor's principal there.
async fn readable_account(tx: &mut dyn Tx, actor: &Actor, sid: &AccountSid) -> Result<(Account, Principal)> {
    let account = tx.account(sid).await?.ok_or(Error::NotFound)?;
    let p = account_principal(tx, actor, &account).await?;
    authorize(&p, Permission::AccountRead, Target::Account(&account))?;
    Ok((account, p))
}

/// The account with its organization, parent and Owner, and what `p` may do there.
async fn account_view(tx: &mut dyn Tx, account: Account, p: &Principal) -> Result<AccountView> {
    let permissions = effective_permissions(p, Target::Account(&account));
    let organization = match &account.organization_sid {
        Some(o) => tx.organization(o).await?,
        None => None,
    };
    let parent = match &account.parent_sid {
        Some(parent) => tx.account(parent).await?,
        None => None,
    };
    let owner = match tx.account_owner(&account.sid).await? {
        Some(o) => tx.user(&o).await?,
        None => None,
    };
    Ok(AccountView { account, organization, parent, owner, permissions })
}

impl App {
    /// Signs up: creates an independent user and a new standalone account they own.
    /// Field errors come back all at once.
    pub async fn sign_up(&self, actor: &Actor, input: NewSignUp) -> Result<(User, Account), Vec<Error>> {
        let mut errors = Vec::new();
        let email = Email::parse(&input.email).map_err(|e| errors.push(e)).ok();
        let name = parse_display_name(&input.name).map_err(|e| errors.push(e)).ok();
        let account_name = parse_name("account_name", &input.account_name, 64).map_err(|e| errors.push(e)).ok();
        if let (Some(email), Some(name)) = (&email, &name)
            && let Err(e) = check_policy(&input.password, email, name)
        {
            errors.push(e);
        }
        let (Some(email), Some(name), Some(account_name)) = (email, name, account_name) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        match self.sign_up_mode {
            SignUpMode::Closed => Err(vec![Error::Precondition(SIGN_UP_CLOSED.into())]),
            SignUpMode::Account => {
                let hash = self.passwords.hash(&input.password).await.map_err(|e| vec![e])?;
                self.insert_sign_up(actor, email, name, account_name, &hash).await.map_err(|e| vec![e])
            }
            SignUpMode::Organization if self.auto_joins(&email).await.map_err(|e| vec![e])? => {
                // The company already has an organization that takes in its domain's logins.
                let hash = self.passwords.hash(&input.password).await.map_err(|e| vec![e])?;
                self.insert_sign_up(actor, email, name, account_name, &hash).await.map_err(|e| vec![e])
            }
            SignUpMode::Organization => {
                let organization_name = match input.organization_name.trim() {
                    "" => account_name.clone(),
                    given => given.to_owned(),
                };
                let checked = check_new_organization(&NewOrganization {
                    organization_name,
                    owner_email: email.to_string(),
                    owner_name: name,
                    password: input.password.clone(),
                    account_name,
                })?;
                let hash = self.passwords.hash(&input.password).await.map_err(|e| vec![e])?;
                self.insert_organization_sign_up(actor, checked, &hash).await.map_err(|e| vec![e])
            }
        }
    }

    /// Whether a new login with this address would auto-join an organization.
    async fn auto_joins(&self, email: &Email) -> Result<bool> {
        let mut tx = self.store.read().await?;
        Ok(auto_join_organization(&mut *tx, email).await?.is_some())
    }

    /// Sign-up that creates an organization: its Owner must still confirm their address.
    async fn insert_organization_sign_up(
        &self,
        actor: &Actor,
        checked: CheckedOrganization,
        hash: &str,
    ) -> Result<(User, Account)> {
        let mut tx = self.store.write().await?;
        let created = self.insert_organization(&mut *tx, actor, checked, hash, false).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.signed_up", created.user.sid.as_str(), self.now())
                .in_organization(&created.organization.sid)
                .with_details(json!({ "email": created.user.email, "organization": created.organization.sid })),
        )
        .await?;
        let email = self.queue_verification(&mut *tx, &created.user).await?;
        tx.commit().await?;
        self.emails_queued(&[email]);
        Ok((created.user, created.account))
    }

    async fn insert_sign_up(
        &self,
        actor: &Actor,
        email: Email,
        name: String,
        account_name: String,
        hash: &str,
    ) -> Result<(User, Account)> {
        let mut tx = self.store.write().await?;
        if tx.user_by_email(&email).await?.is_some() {
            return Err(Error::invalid("email", "a user with this email address already exists"));
        }
        let now = self.now();
        // Domain auto-join: the login and its first account join the organization instead.
        let org = auto_join_organization(&mut *tx, &email).await?;
        let user = User::new(email, name, org.clone(), now);
        tx.insert_user(&user, Some(hash)).await?;
        let account = Account::new(account_name, org.clone(), None, now);
        tx.insert_account(&account).await?;
        let scope = ScopeRef::Account(account.sid.clone());
        tx.insert_assignment(&RoleAssignment::new(AccountRole::Owner.sid(), user.sid.clone(), scope, now)).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.signed_up", user.sid.as_str(), now)
                .in_account(&account.sid, org.as_ref())
                .with_details(json!({ "email": user.email })),
        )
        .await?;
        if let Some(org) = &org {
            record_auto_join(&mut *tx, actor, &user, org, now).await?;
        }
        tx.append_audit(
            &AuditEvent::new(actor, "account.created", account.sid.as_str(), now)
                .in_account(&account.sid, org.as_ref())
                .with_details(json!({ "name": account.name, "owner": user.sid })),
        )
        .await?;
        let email = self.queue_verification(&mut *tx, &user).await?;
        tx.commit().await?;
        self.emails_queued(&[email]);
        Ok((user, account))
    }

    /// Creates an account. A subaccount (with `parent_sid`) needs `subaccounts.manage` on the
    /// parent, joins the parent's organization and is owned by the parent's Owner. An account in
    /// an organization needs `org.accounts.create` and a managed creator, who becomes its Owner.
    /// A standalone account is owned by its creator.
    pub async fn create_account(&self, actor: &Actor, input: NewAccount) -> Result<Account> {
        let name = parse_account_name(&input.name)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        // A subaccount's Owner is its parent's; the operator (CLI) creates an organization's
        // account on behalf of its Owner; otherwise the creator owns the new account.
        let creator = match (&actor.kind, &input.organization_sid, &input.parent_sid) {
            (_, _, Some(_)) => None,
            (ActorKind::System, Some(org), None) => Some(crate::org_users::organization_owner(&mut *tx, org).await?),
            _ => Some(acting_user(actor)?.clone()),
        };
        let (account, owner) = if let Some(parent_sid) = &input.parent_sid {
            let parent = tx.lock_account(parent_sid).await?.ok_or(Error::NotFound)?;
            let p = account_principal(&mut *tx, actor, &parent).await?;
            authorize(&p, Permission::SubaccountsManage, Target::Account(&parent))?;
            parent.ensure_can_parent()?;
            let owner = tx
                .account_owner(&parent.sid)
                .await?
                .ok_or_else(|| Error::Internal("parent account has no Owner".into()))?;
            (Account::new(name, parent.organization_sid.clone(), Some(parent.sid.clone()), now), owner)
        } else if let Some(org) = &input.organization_sid {
            let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
            authorize(&p, Permission::OrgAccountsCreate, Target::Organization(org))?;
            let creator = creator.ok_or(Error::Unauthenticated)?;
            let user = tx.user(&creator).await?.ok_or(Error::Unauthenticated)?;
            if user.organization_sid.as_ref() != Some(org) {
                return Err(Error::Precondition(
                    "a managed account's Owner must be a managed user of the organization".into(),
                ));
            }
            (Account::new(name, Some(org.clone()), None, now), creator)
        } else {
            (Account::new(name, None, None, now), creator.ok_or(Error::Unauthenticated)?)
        };
        tx.insert_account(&account).await?;
        let scope = ScopeRef::Account(account.sid.clone());
        tx.insert_assignment(&RoleAssignment::new(AccountRole::Owner.sid(), owner.clone(), scope, now)).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.created", account.sid.as_str(), now)
                .in_account(&account.sid, account.organization_sid.as_ref())
                .with_details(json!({ "name": account.name, "owner": owner, "parent": account.parent_sid })),
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// An account with its organization, parent, Owner and the viewer's permissions.
    pub async fn account(&self, actor: &Actor, sid: &AccountSid) -> Result<AccountView> {
        let mut tx = self.store.read().await?;
        let (account, p) = readable_account(&mut *tx, actor, sid).await?;
        account_view(&mut *tx, account, &p).await
    }

    /// Everything the account's overview page shows, read in one transaction with one
    /// authorization: the account (as [`App::account`]), a first page of its subaccounts, its
    /// latest events (when the viewer may read them), an ownership offer the viewer may see, a
    /// pending organization request when the viewer is the Owner, and when the auth token was
    /// made (when the viewer may change settings; `Some(None)`: never).
    pub async fn account_overview(
        &self,
        actor: &Actor,
        sid: &AccountSid,
        subaccounts: &PageRequest,
        activity: &PageRequest,
    ) -> Result<AccountOverview> {
        let mut tx = self.store.read().await?;
        let (account, p) = readable_account(&mut *tx, actor, sid).await?;
        let nomination = crate::ownership::nomination_for(&mut *tx, actor, &account, &p).await?;
        let view = account_view(&mut *tx, account, &p).await?;
        let subaccounts = tx.subaccounts(sid, subaccounts).await?;
        let activity = if view.permissions.contains(Permission::AuditRead) {
            Some(tx.audit_events(&AuditScope::Account(sid.clone()), activity).await?)
        } else {
            None
        };
        let is_owner = view.owner.as_ref().is_some_and(|o| actor.user_sid() == Some(&o.sid));
        let request = if is_owner { crate::org_accounts::pending_request_view(&mut *tx, sid).await? } else { None };
        let auth_token_made = if view.permissions.contains(Permission::AccountSettingsWrite) {
            Some(tx.auth_token(sid).await?.map(|(_, at)| at))
        } else {
            None
        };
        Ok(AccountOverview { view, subaccounts, activity, nomination, request, auth_token_made })
    }

    /// The accounts on which the actor holds a role.
    pub async fn my_accounts(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Account>> {
        let user = acting_user(actor)?;
        let mut tx = self.store.read().await?;
        tx.user_accounts(user, page).await
    }

    /// The subaccounts of an account the actor may read.
    pub async fn subaccounts(&self, actor: &Actor, parent: &AccountSid, page: &PageRequest) -> Result<Page<Account>> {
        let mut tx = self.store.read().await?;
        readable_account(&mut *tx, actor, parent).await?;
        tx.subaccounts(parent, page).await
    }

    /// The subaccounts of an account with exactly this name and status (Twilio's list filters).
    pub async fn subaccounts_matching(
        &self,
        actor: &Actor,
        parent: &AccountSid,
        name: Option<&str>,
        status: Option<AccountStatus>,
        page: &PageRequest,
    ) -> Result<Page<Account>> {
        let mut tx = self.store.read().await?;
        readable_account(&mut *tx, actor, parent).await?;
        tx.subaccounts_matching(parent, name, status, page).await
    }

    /// The cursor of the page of [`Self::subaccounts_matching`] before the one after `cursor`
    /// (`None`: the first page), for Twilio's previous-page links.
    pub async fn subaccounts_cursor_before(
        &self,
        actor: &Actor,
        parent: &AccountSid,
        name: Option<&str>,
        status: Option<AccountStatus>,
        cursor: &str,
        size: u32,
    ) -> Result<Option<String>> {
        let mut tx = self.store.read().await?;
        readable_account(&mut *tx, actor, parent).await?;
        tx.subaccounts_cursor_before(parent, name, status, cursor, size).await
    }

    /// An account's audit events, newest first.
    pub async fn account_audit(&self, actor: &Actor, sid: &AccountSid, page: &PageRequest) -> Result<Page<AuditEvent>> {
        let mut tx = self.store.read().await?;
        let account = tx.account(sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::AuditRead, Target::Account(&account))?;
        tx.audit_events(&AuditScope::Account(sid.clone()), page).await
    }

    /// An organization's audit events, newest first.
    pub async fn organization_audit(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let mut tx = self.store.read().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgAuditRead, Target::Organization(org))?;
        tx.audit_events(&AuditScope::Organization(org.clone()), page).await
    }
}
