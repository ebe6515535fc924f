//! Who is acting, what they hold, and the one `authorize` function that answers every
//! permission question (SPEC §2). The permission-check API will call this function too.

use serde::Serialize;

use crate::account::Account;
use crate::error::Error;
use crate::membership::ScopeRef;
use crate::permission::{Permission, PermissionSet, ScopeKind};
use crate::sid::{AccountSid, ApiKeySid, OAuthAppSid, OrganizationSid, ScimTokenSid, UserSid};

/// Who is making a request, as authenticated by a surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ActorKind {
    /// The operator through the CLI: allowed everything, still audited.
    System,
    /// The first-run setup page, holding the one-time setup token.
    Setup,
    /// Someone not signed in (sign-up, sign-in).
    Anonymous,
    /// A signed-in user.
    User(UserSid),
    /// An API key, acting for its account with its permissions.
    ApiKey { key: ApiKeySid, account: AccountSid, permissions: PermissionSet },
    /// An organization's SCIM token (an identity provider).
    ScimToken { token: ScimTokenSid, organization: OrganizationSid },
    /// An OAuth app, by a bearer token it obtained: for its organization or its account.
    OAuthApp { app: OAuthAppSid, owner: crate::oauth::OAuthAppOwner },
    /// An account's auth token (`AC…:token` on the 2010 API).
    AuthToken { account: AccountSid },
}

/// The actor plus request context recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub source_ip: Option<String>,
}

impl Actor {
    /// The CLI operator.
    pub fn system() -> Self {
        Actor { kind: ActorKind::System, source_ip: None }
    }

    /// A signed-in user.
    pub fn user(sid: UserSid, source_ip: Option<String>) -> Self {
        Actor { kind: ActorKind::User(sid), source_ip }
    }

    /// How the actor is written in the audit log: a user SID or a fixed word.
    pub fn audit_name(&self) -> String {
        match &self.kind {
            ActorKind::System => "system".into(),
            ActorKind::Setup => "setup".into(),
            ActorKind::Anonymous => "anonymous".into(),
            ActorKind::User(sid) => sid.to_string(),
            ActorKind::ApiKey { key, .. } => key.to_string(),
            ActorKind::ScimToken { token, .. } => token.to_string(),
            ActorKind::OAuthApp { app, .. } => app.to_string(),
            ActorKind::AuthToken { account } => format!("auth_token:{account}"),
        }
    }

    /// The acting user, if any.
    pub fn user_sid(&self) -> Option<&UserSid> {
        match &self.kind {
            ActorKind::User(sid) => Some(sid),
            _ => None,
        }
    }
}

/// How far a grant at an account reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// The scope itself (Twilio's default: no cascade). On an account, its subaccounts too only
    /// if the grant lets its holder manage subaccounts (the parent's Owner and Administrators).
    Scope,
    /// The account's subaccounts only, never the account itself (an auth token closes its
    /// subaccounts, never its own account, as in Twilio).
    SubaccountsOnly,
    /// The account and every subaccount of it (an assignment made "with its subaccounts").
    WithSubaccounts,
}

/// Where a grant is held, generic over how organizations and accounts are named: by SID in the
/// use cases, by compact integer ids in the permission-check index. Both answer through the same
/// [`Place::reached`] and [`decide`], so they cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<O, A> {
    Organization(O),
    Account(A),
}

/// What a permission is asked about, generic like [`Scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<O, A> {
    Organization(O),
    Account { sid: A, parent: Option<A>, organization: Option<O> },
}

impl<O: PartialEq + Copy, A: PartialEq + Copy> Place<O, A> {
    /// Whether permissions are asked here on an account or on an organization.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Place::Organization(_) => ScopeKind::Organization,
            Place::Account { .. } => ScopeKind::Account,
        }
    }

    /// What a grant of `permissions` at `scope`, reaching `reach`, gives here (nothing when it
    /// does not apply). A grant applies on its own scope; on the organization's managed accounts
    /// when held on the organization; and on a subaccount when held on its parent with its
    /// subaccounts, or when it lets its holder manage subaccounts (the parent's Owner and
    /// Administrators) — other access does not cascade from the parent, as in Twilio. Managing
    /// subaccounts includes closing them (ADR 0004, as Twilio's parent credentials do), even for
    /// the parent's Administrators, who cannot close the parent itself.
    #[inline]
    pub fn reached(&self, scope: Scope<O, A>, permissions: PermissionSet, reach: Reach) -> PermissionSet {
        match (*self, scope) {
            (Place::Organization(o), Scope::Organization(s)) if o == s => permissions,
            (Place::Account { sid, parent, .. }, Scope::Account(s)) => {
                if sid == s {
                    if reach == Reach::SubaccountsOnly { PermissionSet::EMPTY } else { permissions }
                } else if parent == Some(s) {
                    let manages = permissions.contains(Permission::SubaccountsManage);
                    let close =
                        if manages { PermissionSet::of_one(Permission::AccountClose) } else { PermissionSet::EMPTY };
                    match reach {
                        Reach::SubaccountsOnly | Reach::WithSubaccounts => permissions.union(close),
                        Reach::Scope if manages => permissions.union(close),
                        Reach::Scope => PermissionSet::EMPTY,
                    }
                } else {
                    PermissionSet::EMPTY
                }
            }
            (Place::Account { organization: Some(o), .. }, Scope::Organization(s))
                if o == s && reach != Reach::SubaccountsOnly =>
            {
                permissions
            }
            _ => PermissionSet::EMPTY,
        }
    }

    /// How a grant at `scope` reaches this place, if it does: the [`Via`] of the check API.
    pub fn via(&self, scope: Scope<O, A>) -> Via<O, A> {
        match (*self, scope) {
            (Place::Account { sid, .. }, Scope::Account(s)) if sid != s => Via::Parent(s),
            (Place::Account { .. }, Scope::Organization(o)) => Via::Organization(o),
            _ => Via::Direct,
        }
    }
}

/// How a grant reaches what is asked about (before groups: a group's grant says its group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via<O, A> {
    Direct,
    Organization(O),
    Parent(A),
}

/// The one decision: `Ok(())` if `held` (the principal's permissions on a place of `kind`)
/// contains `permission`; `MissingPermission` if the principal holds something there but not this;
/// `NotFound` if nothing, so that a resource of another tenant answers exactly like a missing one.
#[inline]
pub fn decide(held: PermissionSet, permission: Permission, kind: ScopeKind) -> Result<(), Error> {
    if permission.scope_kind() == kind && held.contains(permission) {
        Ok(())
    } else if held.any_of(kind) {
        Err(Error::MissingPermission(permission))
    } else {
        Err(Error::NotFound)
    }
}

/// One held grant: the permissions of a role, at a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub scope: ScopeRef,
    pub permissions: PermissionSet,
    pub reach: Reach,
}

impl Grant {
    /// A grant at `scope`, reaching what grants at that scope reach.
    pub fn at(scope: ScopeRef, permissions: PermissionSet) -> Grant {
        Grant { scope, permissions, reach: Reach::Scope }
    }

    /// A grant on an account's subaccounts only.
    pub fn on_subaccounts_of(account: AccountSid, permissions: PermissionSet) -> Grant {
        Grant { scope: ScopeRef::Account(account), permissions, reach: Reach::SubaccountsOnly }
    }

    /// This grant with the given reach.
    pub fn reaching(self, reach: Reach) -> Grant {
        Grant { reach, ..self }
    }

    fn scope(&self) -> Scope<&OrganizationSid, &AccountSid> {
        match &self.scope {
            ScopeRef::Organization(o) => Scope::Organization(o),
            ScopeRef::Account(a) => Scope::Account(a),
        }
    }
}

/// An actor with the grants that were loaded for the target of this request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Allowed everything (CLI, first-run setup).
    System,
    /// A user and their grants on the target, its ancestors and its organization.
    User { sid: UserSid, grants: Vec<Grant> },
    /// A machine credential (an API key, a SCIM token): fixed permissions at its one scope.
    Credential { grants: Vec<Grant> },
    /// Holds nothing.
    Nobody,
}

/// What a permission is asked about.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Organization(&'a OrganizationSid),
    Account(&'a Account),
}

impl<'a> Target<'a> {
    fn place(&self) -> Place<&'a OrganizationSid, &'a AccountSid> {
        match *self {
            Target::Organization(o) => Place::Organization(o),
            Target::Account(a) => {
                Place::Account { sid: &a.sid, parent: a.parent_sid.as_ref(), organization: a.organization_sid.as_ref() }
            }
        }
    }

    fn kind(&self) -> ScopeKind {
        self.place().kind()
    }
}

/// The permissions a principal holds on a target (all of them for `System`).
pub fn effective_permissions(principal: &Principal, target: Target<'_>) -> PermissionSet {
    match principal {
        Principal::System => PermissionSet::all_of(target.kind()),
        Principal::Nobody => PermissionSet::EMPTY,
        Principal::User { grants, .. } | Principal::Credential { grants } => {
            let place = target.place();
            grants
                .iter()
                .fold(PermissionSet::EMPTY, |acc, g| acc.union(place.reached(g.scope(), g.permissions, g.reach)))
        }
    }
}

/// The escalation rule: the first permission of `wanted` the principal does not hold on the
/// target, if any. No person grants (or defines) a role holding a permission they do not hold
/// there themselves. `System` holds everything; an organization's machine credentials (its OAuth
/// apps and SCIM tokens, made by its admins, who hold every permission a role can carry) grant
/// what `org.roles.assign` lets them, as Twilio's RoleAssignments API expects.
pub fn missing_permission(principal: &Principal, wanted: PermissionSet, target: Target<'_>) -> Option<Permission> {
    if matches!(principal, Principal::System | Principal::Credential { .. }) {
        return None;
    }
    let held = match target {
        // On the organization, a grant there holds its account permissions too (they reach the
        // managed accounts).
        Target::Organization(_) => match principal {
            Principal::User { grants, .. } | Principal::Credential { grants } => grants
                .iter()
                .filter(|g| !target.place().reached(g.scope(), g.permissions, g.reach).is_empty())
                .fold(PermissionSet::EMPTY, |acc, g| acc.union(g.permissions)),
            _ => PermissionSet::EMPTY,
        },
        Target::Account(_) => effective_permissions(principal, target),
    };
    wanted.iter().find(|p| !held.contains(*p))
}

/// Decides one permission question.
///
/// `Ok(())` if allowed. `Forbidden` if the principal can see the target but lacks the
/// permission. `NotFound` if the principal holds nothing on the target, so that a resource of
/// another tenant answers exactly like a missing one.
pub fn authorize(principal: &Principal, permission: Permission, target: Target<'_>) -> Result<(), Error> {
    decide(effective_permissions(principal, target), permission, target.kind())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{AccountSettings, AccountStatus};
    use crate::role::{AccountRole, OrgRole};
    use crate::sid::AccountSid;
    use chrono::Utc;

    fn account(org: Option<&OrganizationSid>, parent: Option<&AccountSid>) -> Account {
        Account {
            sid: AccountSid::generate(),
            name: "Acme".into(),
            status: AccountStatus::Active,
            organization_sid: org.cloned(),
            parent_sid: parent.cloned(),
            settings: AccountSettings::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn user(grants: Vec<Grant>) -> Principal {
        Principal::User { sid: UserSid::generate(), grants }
    }

    fn on_account(a: &Account, r: AccountRole) -> Grant {
        Grant::at(ScopeRef::Account(a.sid.clone()), r.permissions())
    }

    #[test]
    fn a_role_on_the_account_answers_by_its_permissions() {
        let a = account(None, None);
        let dev = user(vec![on_account(&a, AccountRole::Developer)]);
        assert_eq!(authorize(&dev, Permission::ApiKeysManage, Target::Account(&a)), Ok(()));
        assert_eq!(
            authorize(&dev, Permission::BillingRead, Target::Account(&a)),
            Err(Error::MissingPermission(Permission::BillingRead))
        );
    }

    #[test]
    fn another_tenants_account_answers_not_found() {
        let mine = account(None, None);
        let theirs = account(None, None);
        let owner = user(vec![on_account(&mine, AccountRole::Owner)]);
        assert_eq!(authorize(&owner, Permission::AccountRead, Target::Account(&theirs)), Err(Error::NotFound));
    }

    #[test]
    fn only_the_parents_owner_and_administrators_reach_subaccounts_and_nothing_goes_upwards() {
        let parent = account(None, None);
        let child = account(None, Some(&parent.sid));
        let admin_of_parent = user(vec![on_account(&parent, AccountRole::Administrator)]);
        assert_eq!(authorize(&admin_of_parent, Permission::UsersManage, Target::Account(&child)), Ok(()));
        assert_eq!(authorize(&admin_of_parent, Permission::AccountClose, Target::Account(&child)), Ok(()), "closes it");
        assert_eq!(
            authorize(&admin_of_parent, Permission::AccountClose, Target::Account(&parent)),
            Err(Error::MissingPermission(Permission::AccountClose))
        );
        let owner_of_parent = user(vec![on_account(&parent, AccountRole::Owner)]);
        assert_eq!(authorize(&owner_of_parent, Permission::AccountClose, Target::Account(&child)), Ok(()));
        for role in [AccountRole::Developer, AccountRole::BillingManager, AccountRole::Support, AccountRole::Viewer] {
            let member_of_parent = user(vec![on_account(&parent, role)]);
            assert_eq!(
                authorize(&member_of_parent, Permission::AccountRead, Target::Account(&child)),
                Err(Error::NotFound),
                "{role:?} on the parent does not reach the subaccount"
            );
        }
        let admin_of_child = user(vec![on_account(&child, AccountRole::Administrator)]);
        assert_eq!(authorize(&admin_of_child, Permission::AccountRead, Target::Account(&parent)), Err(Error::NotFound));
    }

    #[test]
    fn a_grant_with_its_subaccounts_reaches_them_and_nothing_else_does() {
        let org = OrganizationSid::generate();
        let parent = account(Some(&org), None);
        let child = account(Some(&org), Some(&parent.sid));
        let sibling = account(Some(&org), None);
        let viewer = |reach| user(vec![on_account(&parent, AccountRole::Viewer).reaching(reach)]);
        let plain = viewer(Reach::Scope);
        let cascading = viewer(Reach::WithSubaccounts);
        assert_eq!(authorize(&plain, Permission::LogsRead, Target::Account(&child)), Err(Error::NotFound));
        assert_eq!(authorize(&cascading, Permission::LogsRead, Target::Account(&child)), Ok(()));
        assert_eq!(authorize(&cascading, Permission::LogsRead, Target::Account(&parent)), Ok(()));
        assert_eq!(
            authorize(&cascading, Permission::ResourcesWrite, Target::Account(&child)),
            Err(Error::MissingPermission(Permission::ResourcesWrite)),
            "only the role's permissions"
        );
        assert_eq!(authorize(&cascading, Permission::LogsRead, Target::Account(&sibling)), Err(Error::NotFound));
        // An account role on the organization reaches every managed account and subaccount.
        let org_wide = user(vec![Grant::at(ScopeRef::Organization(org.clone()), AccountRole::Viewer.permissions())]);
        for a in [&parent, &child, &sibling] {
            assert_eq!(authorize(&org_wide, Permission::LogsRead, Target::Account(a)), Ok(()));
        }
        assert_eq!(
            authorize(&org_wide, Permission::OrgUsersRead, Target::Organization(&org)),
            Err(Error::NotFound),
            "account permissions, none of the organization's"
        );
    }

    #[test]
    fn organization_admins_control_managed_accounts_only() {
        let org = OrganizationSid::generate();
        let managed = account(Some(&org), None);
        let independent = account(None, None);
        let admin = user(vec![Grant::at(ScopeRef::Organization(org.clone()), OrgRole::Administrator.permissions())]);
        assert_eq!(authorize(&admin, Permission::RolesAssign, Target::Account(&managed)), Ok(()));
        assert_eq!(authorize(&admin, Permission::OrgUsersManage, Target::Organization(&org)), Ok(()));
        assert_eq!(
            authorize(&admin, Permission::OrgOwnerTransfer, Target::Organization(&org)),
            Err(Error::MissingPermission(Permission::OrgOwnerTransfer))
        );
        assert_eq!(authorize(&admin, Permission::AccountRead, Target::Account(&independent)), Err(Error::NotFound));
    }

    #[test]
    fn standard_users_see_no_account_they_hold_no_role_on() {
        let org = OrganizationSid::generate();
        let managed = account(Some(&org), None);
        let std_user = user(vec![Grant::at(ScopeRef::Organization(org.clone()), OrgRole::StandardUser.permissions())]);
        assert_eq!(authorize(&std_user, Permission::AccountRead, Target::Account(&managed)), Err(Error::NotFound));
        assert_eq!(authorize(&std_user, Permission::OrgAccountsCreate, Target::Organization(&org)), Ok(()));
        assert_eq!(
            authorize(&std_user, Permission::OrgUsersRead, Target::Organization(&org)),
            Err(Error::MissingPermission(Permission::OrgUsersRead))
        );
    }

    #[test]
    fn a_permission_of_the_wrong_kind_is_never_granted() {
        let org = OrganizationSid::generate();
        let managed = account(Some(&org), None);
        let owner = user(vec![Grant::at(ScopeRef::Organization(org.clone()), OrgRole::Owner.permissions())]);
        assert_eq!(
            authorize(&owner, Permission::OrgUsersManage, Target::Account(&managed)),
            Err(Error::MissingPermission(Permission::OrgUsersManage))
        );
    }

    #[test]
    fn nobody_grants_what_they_do_not_hold() {
        let org = OrganizationSid::generate();
        let managed = account(Some(&org), None);
        let admin = user(vec![Grant::at(ScopeRef::Organization(org.clone()), OrgRole::Administrator.permissions())]);
        let all_accounts = PermissionSet::all_of(crate::permission::ScopeKind::Account);
        assert_eq!(missing_permission(&admin, all_accounts, Target::Organization(&org)), None);
        let transfer = PermissionSet::of(&[Permission::OrgUsersRead, Permission::OrgOwnerTransfer]);
        assert_eq!(
            missing_permission(&admin, transfer, Target::Organization(&org)),
            Some(Permission::OrgOwnerTransfer)
        );
        let account_admin = user(vec![on_account(&managed, AccountRole::Administrator)]);
        let wanted = PermissionSet::of(&[Permission::LogsRead, Permission::AccountClose]);
        assert_eq!(
            missing_permission(&account_admin, wanted, Target::Account(&managed)),
            Some(Permission::AccountClose)
        );
        assert_eq!(missing_permission(&Principal::System, wanted, Target::Account(&managed)), None);
    }

    #[test]
    fn system_may_do_anything_and_nobody_nothing() {
        let a = account(None, None);
        assert_eq!(authorize(&Principal::System, Permission::AccountClose, Target::Account(&a)), Ok(()));
        assert_eq!(authorize(&Principal::Nobody, Permission::AccountRead, Target::Account(&a)), Err(Error::NotFound));
    }
}
