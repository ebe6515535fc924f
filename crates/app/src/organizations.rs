//! Use cases for organizations: creating one with its Owner (first-run setup and the CLI).

use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::OrgUser;
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::organization::{Organization, parse_organization_name};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, ActorKind, Target, authorize};
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::{OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User, parse_display_name, parse_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::password::check_policy;
use crate::{App, principal};

/// Input for a new organization and its first Owner.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub organization_name: String,
    pub owner_email: String,
    pub owner_name: String,
    pub password: String,
    /// The first account's name; the organization's name if empty.
    pub account_name: String,
}

/// What creating an organization made.
#[derive(Debug, Clone)]
pub struct CreatedOrganization {
    pub user: User,
    pub organization: Organization,
    pub account: Account,
}

/// Validated fields of [`NewOrganization`], collected so every field error is reported.
pub(crate) struct CheckedOrganization {
    org_name: String,
    email: Email,
    name: String,
    account_name: String,
}

pub(crate) fn check_new_organization(input: &NewOrganization) -> Result<CheckedOrganization, Vec<Error>> {
    let mut errors = Vec::new();
    let org_name = parse_organization_name(&input.organization_name).map_err(|e| errors.push(e)).ok();
    let email = Email::parse(&input.owner_email).map_err(|e| errors.push(e)).ok();
    let name = parse_display_name(&input.owner_name).map_err(|e| errors.push(e)).ok();
    if let (Some(email), Some(name)) = (&email, &name)
        && let Err(e) = check_policy(&input.password, email, name)
    {
        errors.push(e);
    }
    let account_name = if input.account_name.trim().is_empty() {
        org_name.clone().map(|n| n.chars().take(64).collect())
    } else {
        parse_name("account_name", &input.account_name, 64).map_err(|e| errors.push(e)).ok()
    };
    match (org_name, email, name, account_name) {
        (Some(org_name), Some(email), Some(name), Some(account_name)) if errors.is_empty() => {
            Ok(CheckedOrganization { org_name, email, name, account_name })
        }
        _ => Err(errors),
    }
}

impl App {
    /// Creates an organization, its Owner (a managed user with a password) and a first managed
    /// account owned by them. Only the operator (`Actor::System`, the CLI) may call this
    /// directly; the web reaches it through [`App::complete_setup`].
    ///
    /// Field errors come back all at once as a list of `Invalid` errors.
    pub async fn create_organization(
        &self,
        actor: &Actor,
        input: NewOrganization,
    ) -> Result<CreatedOrganization, Vec<Error>> {
        if actor.kind != ActorKind::System {
            return Err(vec![Error::Forbidden]);
        }
        let checked = check_new_organization(&input)?;
        let hash = self.passwords.hash(&input.password).await.map_err(|e| vec![e])?;
        let mut tx = self.store.write().await.map_err(|e| vec![e])?;
        let created = self.insert_organization(&mut *tx, actor, checked, &hash, true).await.map_err(|e| vec![e])?;
        tx.commit().await.map_err(|e| vec![e])?;
        Ok(created)
    }

    /// The shared body of organization creation, inside the caller's transaction. `vouched`:
    /// the operator (setup link or CLI) vouches for the Owner's address; a public sign-up does
    /// not, so its Owner confirms it by email.
    pub(crate) async fn insert_organization(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        c: CheckedOrganization,
        password_hash: &str,
        vouched: bool,
    ) -> Result<CreatedOrganization> {
        if tx.user_by_email(&c.email).await?.is_some() {
            return Err(Error::invalid("email", "a user with this email address already exists"));
        }
        let now = self.now();
        let organization = Organization::new(c.org_name, now);
        let user = User {
            email_verified_at: vouched.then_some(now),
            ..User::new(c.email, c.name, Some(organization.sid.clone()), now)
        };
        let account = Account::new(c.account_name, Some(organization.sid.clone()), None, now);
        tx.insert_organization(&organization).await?;
        tx.insert_user(&user, Some(password_hash)).await?;
        tx.insert_account(&account).await?;
        let org_scope = ScopeRef::Organization(organization.sid.clone());
        tx.insert_assignment(&RoleAssignment::new(OrgRole::Owner.sid(), user.sid.clone(), org_scope, now)).await?;
        let acct_scope = ScopeRef::Account(account.sid.clone());
        tx.insert_assignment(&RoleAssignment::new(AccountRole::Owner.sid(), user.sid.clone(), acct_scope, now)).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.created", organization.sid.as_str(), now)
                .in_organization(&organization.sid)
                .with_details(json!({ "name": organization.name, "owner": user.sid, "owner_email": user.email })),
        )
        .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.created", user.sid.as_str(), now)
                .in_organization(&organization.sid)
                .with_details(json!({ "email": user.email, "managed": true })),
        )
        .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "account.created", account.sid.as_str(), now)
                .in_account(&account.sid, Some(&organization.sid))
                .with_details(json!({ "name": account.name, "owner": user.sid })),
        )
        .await?;
        Ok(CreatedOrganization { user, organization, account })
    }

    /// The accounts an independent user could bring into an organization they create: those
    /// they own that are top-level, in no organization, and not closed.
    pub async fn accounts_to_bring(&self, actor: &Actor) -> Result<Vec<Account>> {
        let me = crate::acting_user(actor)?;
        let mut tx = self.store.read().await?;
        Ok(tx
            .user_memberships(me)
            .await?
            .into_iter()
            .filter(|(a, role)| {
                *role == AccountRole::Owner
                    && a.parent_sid.is_none()
                    && a.organization_sid.is_none()
                    && a.status != gatehouse_domain::account::AccountStatus::Closed
            })
            .map(|(a, _)| a)
            .collect())
    }

    /// An independent user creates an organization (the Admin Center's entry point): they
    /// become its Owner and a managed user of it, and the accounts they choose among those they
    /// own ([`App::accounts_to_bring`]) become its managed accounts, with their subaccounts.
    pub async fn create_own_organization(
        &self,
        actor: &Actor,
        name: &str,
        accounts: &[gatehouse_domain::sid::AccountSid],
    ) -> Result<Organization> {
        let me = crate::acting_user(actor)?.clone();
        let name = parse_organization_name(name)?;
        let bringable = self.accounts_to_bring(actor).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let user = tx.user(&me).await?.ok_or(Error::Unauthenticated)?;
        if user.organization_sid.is_some() {
            return Err(Error::Precondition(
                "Your login is managed by an organization already, so it cannot create another.".into(),
            ));
        }
        let organization = Organization::new(name, now);
        tx.insert_organization(&organization).await?;
        let org = &organization.sid;
        tx.set_user_organization(&me, Some(org), now).await?;
        tx.insert_assignment(&RoleAssignment::new(
            OrgRole::Owner.sid(),
            me.clone(),
            ScopeRef::Organization(org.clone()),
            now,
        ))
        .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "organization.created", org.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "name": organization.name, "owner": me, "owner_email": user.email })),
        )
        .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.became_managed", me.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "reason": "created_organization" })),
        )
        .await?;
        for sid in accounts {
            let account = bringable.iter().find(|a| &a.sid == sid).ok_or_else(|| {
                Error::invalid(
                    "accounts",
                    format!("{sid} is not a top-level account of yours outside any organization"),
                )
            })?;
            tx.lock_account(sid).await?.filter(|a| a.organization_sid.is_none()).ok_or(Error::NotFound)?;
            tx.set_account_organization(sid, Some(org), now).await?;
            tx.append_audit(
                &AuditEvent::new(actor, "account.joined_organization", sid.as_str(), now)
                    .in_account(sid, Some(org))
                    .with_details(json!({ "name": account.name, "reason": "created_organization" })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(organization)
    }

    /// The organizations the actor holds a role in, with that role (for navigation).
    pub async fn my_organizations(&self, actor: &Actor) -> Result<Vec<(Organization, OrgRole)>> {
        let user = crate::acting_user(actor)?;
        let mut tx = self.store.read().await?;
        tx.user_organizations(user).await
    }

    /// An organization the actor may read.
    pub async fn organization(&self, actor: &Actor, org: &OrganizationSid) -> Result<Organization> {
        let mut tx = self.store.read().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgRead, Target::Organization(org))?;
        tx.organization(org).await?.ok_or(Error::NotFound)
    }

    /// The users of an organization: managed ones and those holding roles on its accounts.
    pub async fn organization_users(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
        managed: Option<bool>,
    ) -> Result<Page<OrgUser>> {
        let mut tx = self.store.read().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgUsersRead, Target::Organization(org))?;
        tx.organization_users(org, page, managed).await
    }

    /// The accounts an organization manages.
    pub async fn organization_accounts(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        page: &PageRequest,
    ) -> Result<Page<Account>> {
        let mut tx = self.store.read().await?;
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgAccountsRead, Target::Organization(org))?;
        tx.organization_accounts(org, page).await
    }

    /// A user, if the actor may see them: themselves, or a managed user of an organization
    /// whose users the actor may read.
    pub async fn user(&self, actor: &Actor, sid: &UserSid) -> Result<User> {
        let mut tx = self.store.read().await?;
        let user = tx.user(sid).await?.ok_or(Error::NotFound)?;
        if actor.user_sid() == Some(sid) {
            return Ok(user);
        }
        let Some(org) = user.organization_sid.clone() else {
            return match actor.kind {
                ActorKind::System => Ok(user),
                _ => Err(Error::NotFound),
            };
        };
        let p = principal(&mut *tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
        authorize(&p, Permission::OrgUsersRead, Target::Organization(&org))?;
        Ok(user)
    }
}
