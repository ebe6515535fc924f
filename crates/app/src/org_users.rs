//! Use cases of the Admin Center's user page: what an organization sees of one user (their
//! organization role and their roles on the organization's accounts), renaming a managed user,
//! changing their organization role and forcing a password reset.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use gatehouse_domain::account::Account;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::{Member, RoleAssignment, ScopeRef, normalize_member_roles};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::role::{AccountRole, BuiltinRole, OrgRole};
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{User, UserStatus, parse_display_name};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::api_keys::{keys_created_in_organization, revoke_departing_keys};
use crate::members::{add_to_account, locked_for};
use crate::oauth::{Leaving, revoke_departing_apps};
use crate::{App, principal};

/// One user as the Admin Center's user page shows them.
#[derive(Debug, Clone)]
pub struct OrgUserView {
    pub user: User,
    pub org_role: Option<OrgRole>,
    /// Whether the organization controls the user's lifecycle.
    pub managed: bool,
    /// The user's roles on the organization's accounts (managed, and independent ones the
    /// organization has access to), by account SID.
    pub accounts: Vec<(Account, Vec<AccountRole>)>,
}

/// What [`App::add_or_invite`] did.
#[derive(Debug, Clone)]
pub enum AddedOrInvited {
    /// A managed user of the account's organization now holds the roles.
    Added(Member),
    /// Someone else was invited and must accept.
    Invited(gatehouse_domain::invitation::Invitation),
}

/// Authorizes `permission` on the organization inside the caller's transaction.
pub(crate) async fn authorize_org(
    tx: &mut dyn Tx,
    actor: &Actor,
    org: &OrganizationSid,
    permission: Permission,
) -> Result<()> {
    let p = principal(tx, actor, &[ScopeRef::Organization(org.clone())]).await?;
    authorize(&p, permission, Target::Organization(org))
}

/// The user's organization role in `org`.
pub(crate) async fn org_role_of(tx: &mut dyn Tx, org: &OrganizationSid, user: &UserSid) -> Result<Option<OrgRole>> {
    let held = tx.user_assignments(user, &[ScopeRef::Organization(org.clone())]).await?;
    Ok(held.iter().find_map(|a| match BuiltinRole::from_sid(&a.role_sid) {
        Some(BuiltinRole::Org(r)) => Some(r),
        _ => None,
    }))
}

/// A managed user of the organization, or `NotFound` (other organizations' users do not exist
/// here, whatever their SID).
pub(crate) async fn managed_user(tx: &mut dyn Tx, org: &OrganizationSid, user: &UserSid) -> Result<User> {
    tx.user(user).await?.filter(|u| u.organization_sid.as_ref() == Some(org)).ok_or(Error::NotFound)
}

/// Whether the organization may see this account: it manages it, or holds standing access.
pub(crate) async fn org_sees_account(tx: &mut dyn Tx, org: &OrganizationSid, account: &Account) -> Result<bool> {
    if account.organization_sid.as_ref() == Some(org) {
        return Ok(true);
    }
    Ok(tx.accepted_access_request(org, &account.sid).await?.is_some())
}

/// The organization's Owner.
pub(crate) async fn organization_owner(tx: &mut dyn Tx, org: &OrganizationSid) -> Result<UserSid> {
    tx.organization(org).await?.ok_or(Error::NotFound)?;
    tx.scope_owner(&ScopeRef::Organization(org.clone()))
        .await?
        .ok_or_else(|| Error::Internal(format!("organization {org} has no Owner")))
}

/// Deactivates (`active == false`) or reactivates a managed user inside the caller's transaction,
/// and audits it; nothing happens when the user already has that status. Deactivation ends their
/// sessions and revokes the API keys and OAuth apps they created in the organization's accounts,
/// unless the organization keeps the keys of deprovisioned users. The Owner is never deactivated:
/// that would lock the organization out. For SCIM's `active` and the Admin Center alike.
pub(crate) async fn set_managed_user_active(
    tx: &mut dyn Tx,
    actor: &Actor,
    org: &OrganizationSid,
    user: &User,
    active: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let sid = &user.sid;
    let was_active = user.status == UserStatus::Active;
    if active && !was_active {
        tx.set_user_status(sid, UserStatus::Active, now).await?;
        tx.append_audit(&AuditEvent::new(actor, "user.reactivated", sid.as_str(), now).in_organization(org)).await?;
    } else if !active && was_active {
        if org_role_of(tx, org, sid).await? == Some(OrgRole::Owner) {
            return Err(Error::Precondition(
                "The organization's Owner cannot be deactivated: that would lock the organization out.".into(),
            ));
        }
        tx.set_user_status(sid, UserStatus::Deactivated, now).await?;
        let ended = tx.delete_user_sessions(sid).await?;
        // Identity providers deactivate first (Okta, Entra ID): the person's keys stop now,
        // unless the organization keeps the keys of deprovisioned users.
        let keys = keys_created_in_organization(tx, sid, org).await?;
        let keeps_keys = tx.organization(org).await?.ok_or(Error::NotFound)?.deprovision_keeps_keys;
        let keep: BTreeSet<_> = if keeps_keys { keys.iter().map(|k| k.sid.clone()).collect() } else { BTreeSet::new() };
        let mut keys_report =
            revoke_departing_keys(tx, actor, Some(org), sid, &keys, &keep, "deactivated", now).await?;
        let leaving = Leaving::Organization(org);
        keys_report
            .extend(revoke_departing_apps(tx, actor, Some(org), sid, leaving, keeps_keys, "deactivated", now).await?);
        tx.append_audit(
            &AuditEvent::new(actor, "user.deactivated", sid.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "sessions_ended": ended, "keys": keys_report })),
        )
        .await?;
    }
    Ok(())
}

impl App {
    /// Deactivates or reactivates a managed user from the Admin Center (SCIM does the same with
    /// `active`). A deactivated user cannot sign in and their credentials stop working; their
    /// roles stay, so reactivating gives them back what they had. Nobody changes their own status.
    pub async fn set_org_user_active(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
        active: bool,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let target = managed_user(&mut *tx, org, user).await?;
        if target.status == UserStatus::Deleted {
            return Err(Error::NotFound);
        }
        if actor.user_sid() == Some(user) {
            return Err(Error::Precondition("You cannot deactivate yourself; ask another administrator.".into()));
        }
        set_managed_user_active(&mut *tx, actor, org, &target, active, now).await?;
        tx.commit().await
    }

    /// One user of the organization: a managed user, or an independent user holding roles on
    /// its accounts. Anyone else is `NotFound`.
    pub async fn org_user(&self, actor: &Actor, org: &OrganizationSid, user: &UserSid) -> Result<OrgUserView> {
        let mut tx = self.store.read().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersRead).await?;
        let found = tx.user(user).await?.ok_or(Error::NotFound)?;
        let mut accounts: BTreeMap<_, (Account, Vec<AccountRole>)> = BTreeMap::new();
        for (account, role) in tx.user_memberships(user).await? {
            if org_sees_account(&mut *tx, org, &account).await? {
                accounts.entry(account.sid.clone()).or_insert_with(|| (account, Vec::new())).1.push(role);
            }
        }
        let managed = found.organization_sid.as_ref() == Some(org);
        let org_role = org_role_of(&mut *tx, org, user).await?;
        if !managed && org_role.is_none() && accounts.is_empty() {
            return Err(Error::NotFound);
        }
        Ok(OrgUserView { user: found, org_role, managed, accounts: accounts.into_values().collect() })
    }

    /// An organization admin adds a user of the organization (themselves included) to one of
    /// its accounts with any roles (Owner only by transfer).
    pub async fn add_user_to_account(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
        account: &AccountSid,
        roles: &[AccountRole],
    ) -> Result<Member> {
        let roles = normalize_member_roles(roles)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let target = tx.user(user).await?.ok_or(Error::NotFound)?;
        let locked = locked_for(&mut *tx, actor, account, Permission::UsersManage).await?;
        let known = target.organization_sid.as_ref() == Some(org)
            || org_role_of(&mut *tx, org, user).await?.is_some()
            || self.holds_role_in_org(&mut *tx, org, user).await?;
        if !org_sees_account(&mut *tx, org, &locked).await? || !known {
            return Err(Error::NotFound);
        }
        let member = add_to_account(&mut *tx, actor, &locked, target, &roles, now).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Adds someone to an account by address, as the account's *Users* tab does: an Owner or
    /// Administrator of the account's organization adding one of its managed users gives them
    /// the roles at once (no email to accept); anyone else is invited.
    pub async fn add_or_invite(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        input: crate::NewInvitation,
    ) -> Result<AddedOrInvited> {
        let email = gatehouse_domain::user::Email::parse(&input.email)?;
        let direct = {
            let mut tx = self.store.read().await?;
            let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
            match (&account.organization_sid, tx.user_by_email(&email).await?) {
                (Some(org), Some(user))
                    if user.organization_sid.as_ref() == Some(org)
                        && user.status != UserStatus::Deleted
                        && authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await.is_ok() =>
                {
                    Some((org.clone(), user.sid))
                }
                _ => None,
            }
        };
        match direct {
            Some((org, user)) => {
                self.add_user_to_account(actor, &org, &user, account_sid, &input.roles).await.map(AddedOrInvited::Added)
            }
            None => self.invite(actor, account_sid, input).await.map(AddedOrInvited::Invited),
        }
    }

    /// Whether the user holds a role on an account the organization sees.
    async fn holds_role_in_org(&self, tx: &mut dyn Tx, org: &OrganizationSid, user: &UserSid) -> Result<bool> {
        for (account, _) in tx.user_memberships(user).await? {
            if org_sees_account(tx, org, &account).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Renames a managed user.
    pub async fn rename_org_user(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
        name: &str,
    ) -> Result<()> {
        let name = parse_display_name(name)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let target = managed_user(&mut *tx, org, user).await?;
        if target.name == name {
            return Ok(());
        }
        tx.set_user_name(user, &name, now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.renamed", user.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "from": target.name, "to": name })),
        )
        .await?;
        tx.commit().await
    }

    /// Makes a managed user an Administrator or a Standard User of the organization. The
    /// Owner's role moves only by transfer, and nobody changes their own role.
    pub async fn set_org_role(
        &self,
        actor: &Actor,
        org: &OrganizationSid,
        user: &UserSid,
        role: OrgRole,
    ) -> Result<()> {
        if role == OrgRole::Owner {
            return Err(Error::invalid("role", "the organization's Owner changes only by transferring ownership"));
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgRolesAssign).await?;
        managed_user(&mut *tx, org, user).await?;
        if actor.user_sid() == Some(user) {
            return Err(Error::Precondition("You cannot change your own organization role.".into()));
        }
        let before = org_role_of(&mut *tx, org, user).await?;
        if before == Some(OrgRole::Owner) {
            return Err(Error::Precondition(
                "The organization's Owner keeps that role until ownership is transferred.".into(),
            ));
        }
        if before == Some(role) {
            return Ok(());
        }
        let scope = ScopeRef::Organization(org.clone());
        tx.delete_user_builtin_assignments(&scope, user).await?;
        tx.insert_assignment(&RoleAssignment::new(role.sid(), user.clone(), scope, now)).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.org_role_changed", user.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "from": before.map(|r| r.name()), "to": role.name() })),
        )
        .await?;
        tx.commit().await
    }

    /// Forces a managed user to choose a new password: the current one stops working, every
    /// session ends and a reset link is emailed to them.
    pub async fn force_password_reset(&self, actor: &Actor, org: &OrganizationSid, user: &UserSid) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        authorize_org(&mut *tx, actor, org, Permission::OrgUsersManage).await?;
        let target = managed_user(&mut *tx, org, user).await?;
        if target.status != UserStatus::Active {
            return Err(Error::Precondition("Only an active user can be asked for a new password.".into()));
        }
        tx.clear_password_hash(user, now).await?;
        let sessions = tx.delete_user_sessions(user).await?;
        let email = self
            .queue_reset_email(
                &mut *tx,
                &target,
                "An administrator of your organization asks you to choose a new Gatehouse password for",
                "Your previous password no longer works.",
            )
            .await?;
        tx.append_audit(
            &AuditEvent::new(actor, "user.password_reset_forced", user.as_str(), now)
                .in_organization(org)
                .with_details(json!({ "sessions_ended": sessions })),
        )
        .await?;
        tx.commit().await?;
        self.emails_queued(&[email]);
        Ok(())
    }
}
