//! Use cases for an account's members: add with roles, change roles, remove (revoking the API
//! keys they created there unless kept), list. Every
//! change locks the account first so changes to one account serialise and the account always
//! ends with exactly one Owner.

use std::collections::BTreeSet;

use gatehouse_domain::account::Account;
use gatehouse_domain::api_key::ApiKey;
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::membership::{Member, RoleAssignment, ScopeRef, ensure_not_owner, normalize_member_roles};
use gatehouse_domain::page::{Page, PageRequest};
use gatehouse_domain::permission::Permission;
use gatehouse_domain::policy::{Actor, Target, authorize};
use gatehouse_domain::role::{AccountRole, BuiltinRole};
use gatehouse_domain::sid::{AccountSid, ApiKeySid, UserSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User};
use gatehouse_domain::{Error, Result};
use serde_json::json;

use crate::api_keys::{keys_created_in_account, revoke_departing_keys};
use crate::oauth::{Leaving, revoke_departing_apps};
use crate::{App, account_principal, principal};

/// Input for adding an existing user to an account.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: String,
    pub roles: Vec<AccountRole>,
}

/// A member's roles before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub before: Vec<AccountRole>,
    pub after: Vec<AccountRole>,
}

impl RoleChange {
    /// Whether anything changed (and so was audited).
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

pub(crate) fn role_keys(roles: impl IntoIterator<Item = AccountRole>) -> Vec<&'static str> {
    roles.into_iter().map(AccountRole::key).collect()
}

/// Locks the account, loads the actor's grants on it and checks `permission` and that the
/// account is active.
pub(crate) async fn locked_for(
    tx: &mut dyn Tx,
    actor: &Actor,
    sid: &AccountSid,
    permission: Permission,
) -> Result<Account> {
    let account = tx.lock_account(sid).await?.ok_or(Error::NotFound)?;
    let p = account_principal(tx, actor, &account).await?;
    authorize(&p, permission, Target::Account(&account))?;
    account.ensure_active()?;
    Ok(account)
}

/// The user's roles on the account (empty if not a member).
pub(crate) async fn roles_of(tx: &mut dyn Tx, account: &AccountSid, user: &UserSid) -> Result<Vec<AccountRole>> {
    let assignments = tx.user_assignments(user, &[ScopeRef::Account(account.clone())]).await?;
    let mut roles: Vec<AccountRole> = assignments
        .iter()
        .filter_map(|a| match BuiltinRole::from_sid(&a.role_sid) {
            Some(BuiltinRole::Account(r)) => Some(r),
            _ => None,
        })
        .collect();
    roles.sort();
    Ok(roles)
}

/// Makes the user's built-in roles on the account exactly `roles`: removes those no longer
/// wanted first (so an Owner role can move to another member), then adds the missing ones.
/// Roles kept keep their assignment (its SID, and whether it reaches the subaccounts); custom
/// roles and roles held elsewhere are untouched.
pub(crate) async fn set_account_roles(
    tx: &mut dyn Tx,
    account: &AccountSid,
    user: &UserSid,
    roles: impl IntoIterator<Item = AccountRole>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let wanted: std::collections::BTreeSet<AccountRole> = roles.into_iter().collect();
    let mut kept = std::collections::BTreeSet::new();
    for a in tx.user_assignments(user, &[ScopeRef::Account(account.clone())]).await? {
        if let Some(BuiltinRole::Account(r)) = BuiltinRole::from_sid(&a.role_sid) {
            if wanted.contains(&r) {
                kept.insert(r);
            } else {
                tx.delete_role_assignment(&a.sid).await?;
            }
        }
    }
    grant_roles(tx, account, user, wanted.difference(&kept).copied(), now).await
}

pub(crate) async fn grant_roles(
    tx: &mut dyn Tx,
    account: &AccountSid,
    user: &UserSid,
    roles: impl IntoIterator<Item = AccountRole>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    for role in roles {
        let scope = ScopeRef::Account(account.clone());
        tx.insert_assignment(&RoleAssignment::new(role.sid(), user.clone(), scope, now)).await?;
    }
    Ok(())
}

/// Gives a user who is not yet a member these (normalised) roles on a locked account, and
/// audits it.
pub(crate) async fn add_to_account(
    tx: &mut dyn Tx,
    actor: &Actor,
    account: &Account,
    user: User,
    roles: &std::collections::BTreeSet<AccountRole>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Member> {
    if !roles_of(tx, &account.sid, &user.sid).await?.is_empty() {
        return Err(Error::Conflict(format!("{} is already a member; change their roles instead", user.email)));
    }
    grant_roles(tx, &account.sid, &user.sid, roles.iter().copied(), now).await?;
    tx.append_audit(
        &AuditEvent::new(actor, "member.added", user.sid.as_str(), now)
            .in_account(&account.sid, account.organization_sid.as_ref())
            .with_details(json!({ "email": user.email, "roles": role_keys(roles.iter().copied()) })),
    )
    .await?;
    Ok(Member { user, roles: roles.iter().copied().collect() })
}

impl App {
    /// Adds an existing user, found by email, to an account with the given roles
    /// (Owner or Administrator only; SPEC §2 role rules applied).
    pub async fn add_member(&self, actor: &Actor, account_sid: &AccountSid, input: NewMember) -> Result<Member> {
        let email = Email::parse(&input.email)?;
        let roles = normalize_member_roles(&input.roles)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::UsersManage).await?;
        let user = tx
            .user_by_email(&email)
            .await?
            .ok_or_else(|| Error::invalid("email", "no user has this email address yet; ask them to sign up first"))?;
        let member = add_to_account(&mut *tx, actor, &account, user, &roles, now).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Replaces a member's roles (not the Owner's: ownership moves only by transfer).
    /// Choosing Administrator clears the others. Takes effect on the member's next request.
    /// Asking for the roles the member already has changes nothing and is not audited.
    pub async fn change_member_roles(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        user: &UserSid,
        requested: &[AccountRole],
    ) -> Result<RoleChange> {
        let roles = normalize_member_roles(requested)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::RolesAssign).await?;
        let current = roles_of(&mut *tx, account_sid, user).await?;
        if current.is_empty() {
            return Err(Error::NotFound);
        }
        ensure_not_owner(&current)?;
        let new: Vec<AccountRole> = roles.into_iter().collect();
        if new == current {
            return Ok(RoleChange { before: current, after: new });
        }
        set_account_roles(&mut *tx, account_sid, user, new.iter().copied(), now).await?;
        tx.append_audit(
            &AuditEvent::new(actor, "member.roles_changed", user.as_str(), now)
                .in_account(account_sid, account.organization_sid.as_ref())
                .with_details(
                    json!({ "from": role_keys(current.iter().copied()), "to": role_keys(new.iter().copied()) }),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(RoleChange { before: current, after: new })
    }

    /// A member of the account and the live API keys they created in it: removing them revokes
    /// these unless the remover keeps some (the confirmation lists them).
    pub async fn member_keys(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        user: &UserSid,
    ) -> Result<(User, Vec<ApiKey>)> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::UsersManage, Target::Account(&account))?;
        if roles_of(&mut *tx, account_sid, user).await?.is_empty() {
            return Err(Error::NotFound);
        }
        let member = tx.user(user).await?.ok_or(Error::NotFound)?;
        let keys = keys_created_in_account(&mut *tx, user, account_sid).await?;
        Ok((member, keys))
    }

    /// Removes a member from an account. Their login survives; the Owner cannot be removed. The
    /// API keys they created in the account are revoked, except those in `keep_keys` (which
    /// must be among them); the audit event lists each key's outcome.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        user: &UserSid,
        keep_keys: &BTreeSet<ApiKeySid>,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let account = locked_for(&mut *tx, actor, account_sid, Permission::UsersManage).await?;
        let current = roles_of(&mut *tx, account_sid, user).await?;
        if current.is_empty() {
            return Err(Error::NotFound);
        }
        ensure_not_owner(&current)?;
        let keys = keys_created_in_account(&mut *tx, user, account_sid).await?;
        if let Some(stranger) = keep_keys.iter().find(|k| !keys.iter().any(|key| &key.sid == *k)) {
            return Err(Error::invalid("keep_keys", format!("{stranger} is not a live key this user created here")));
        }
        tx.delete_user_assignments(&ScopeRef::Account(account_sid.clone()), user).await?;
        let org = account.organization_sid.as_ref();
        let mut keys_report =
            revoke_departing_keys(&mut *tx, actor, org, user, &keys, keep_keys, "removed", now).await?;
        let leaving = Leaving::Account(account_sid);
        keys_report.extend(revoke_departing_apps(&mut *tx, actor, org, user, leaving, false, "removed", now).await?);
        tx.append_audit(
            &AuditEvent::new(actor, "member.removed", user.as_str(), now)
                .in_account(account_sid, org)
                .with_details(json!({ "roles": role_keys(current), "keys": keys_report })),
        )
        .await?;
        tx.commit().await
    }

    /// An account's members and their roles.
    pub async fn account_members(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        page: &PageRequest,
    ) -> Result<Page<Member>> {
        self.account_members_in_role(actor, account_sid, None, page).await
    }

    /// An account's members holding `role` (every member when `None`), with all their roles.
    pub async fn account_members_in_role(
        &self,
        actor: &Actor,
        account_sid: &AccountSid,
        role: Option<AccountRole>,
        page: &PageRequest,
    ) -> Result<Page<Member>> {
        let mut tx = self.store.read().await?;
        let account = tx.account(account_sid).await?.ok_or(Error::NotFound)?;
        let p = account_principal(&mut *tx, actor, &account).await?;
        authorize(&p, Permission::UsersRead, Target::Account(&account))?;
        account.ensure_active()?;
        tx.account_members(account_sid, role, page).await
    }

    /// The role assignments at one scope (an account's or an organization's), the shape of
    /// Twilio's RoleAssignments API.
    pub async fn role_assignments(
        &self,
        actor: &Actor,
        scope: &ScopeRef,
        page: &PageRequest,
    ) -> Result<Page<RoleAssignment>> {
        let mut tx = self.store.read().await?;
        match scope {
            ScopeRef::Account(sid) => {
                let account = tx.account(sid).await?.ok_or(Error::NotFound)?;
                let p = account_principal(&mut *tx, actor, &account).await?;
                authorize(&p, Permission::UsersRead, Target::Account(&account))?;
            }
            ScopeRef::Organization(org) => {
                let p = principal(&mut *tx, actor, std::slice::from_ref(scope)).await?;
                authorize(&p, Permission::OrgUsersRead, Target::Organization(org))?;
            }
        }
        tx.scope_assignments(scope, page).await
    }
}
