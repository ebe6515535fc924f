//! The permission-check index answers exactly what the use cases decide: over a generated
//! population written through the store (organizations, managed, independent and subaccounts,
//! custom and built-in roles, user and group grants at every scope, with and without
//! subaccounts, deactivated users, accounts shared with an organization), every question is
//! asked of both, on both engines; and then again after changes applied in place.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use gatehouse_app::CheckQuestion;
use gatehouse_domain::account::Account;
use gatehouse_domain::account_request::{AccountRequest, AccountRequestKind, AccountRequestStatus};
use gatehouse_domain::custom_role::CustomRole;
use gatehouse_domain::group::Group;
use gatehouse_domain::membership::{GroupAssignment, RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::permission::{Permission, PermissionSet, ScopeKind};
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::{AccountRequestSid, GroupSid, RoleSid};
use gatehouse_domain::store::Store;
use gatehouse_domain::user::{Email, User, UserStatus};

use support::{app, t0};

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

async fn the_index_agrees_with_the_use_cases(store: Arc<dyn Store>) {
    let (app, _) = app(store.clone());
    let mut rng = Lcg(42);
    let mut tx = store.write().await.unwrap();
    let orgs: Vec<Organization> = (0..2).map(|i| Organization::new(format!("Org {i}"), t0())).collect();
    for o in &orgs {
        tx.insert_organization(o).await.unwrap();
    }
    let mut accounts: Vec<Account> = Vec::new();
    for i in 0..6 {
        let org = (i % 3 != 2).then(|| orgs[i % 2].sid.clone());
        let a = Account::new(format!("A{i}"), org, None, t0());
        tx.insert_account(&a).await.unwrap();
        let child = Account::new(format!("A{i} child"), a.organization_sid.clone(), Some(a.sid.clone()), t0());
        tx.insert_account(&child).await.unwrap();
        accounts.push(a);
        accounts.push(child);
    }
    let mut roles: Vec<(RoleSid, ScopeKind)> = vec![
        (AccountRole::Administrator.sid(), ScopeKind::Account),
        (AccountRole::Developer.sid(), ScopeKind::Account),
        (AccountRole::Viewer.sid(), ScopeKind::Account),
        (OrgRole::Administrator.sid(), ScopeKind::Organization),
        (OrgRole::StandardUser.sid(), ScopeKind::Organization),
    ];
    for (i, o) in orgs.iter().enumerate() {
        for (kind, perms) in [
            (ScopeKind::Account, PermissionSet::of(&[Permission::LogsRead, Permission::SubaccountsManage])),
            (ScopeKind::Organization, PermissionSet::of(&[Permission::OrgUsersRead, Permission::UsageRead])),
        ] {
            let role = CustomRole {
                sid: RoleSid::generate(),
                organization_sid: o.sid.clone(),
                name: format!("Custom {i} {kind:?}"),
                description: String::new(),
                kind,
                permissions: perms,
                created_at: t0(),
                updated_at: t0(),
            };
            tx.insert_custom_role(&role).await.unwrap();
            roles.push((role.sid, kind));
        }
    }
    let scope_for = |rng: &mut Lcg, kind: ScopeKind| -> ScopeRef {
        match (kind, rng.below(3)) {
            (ScopeKind::Organization, _) | (ScopeKind::Account, 0) => {
                ScopeRef::Organization(orgs[rng.below(2)].sid.clone())
            }
            _ => ScopeRef::Account(accounts[rng.below(accounts.len())].sid.clone()),
        }
    };
    let groups: Vec<Group> = (0..3)
        .map(|i| Group {
            sid: GroupSid::generate(),
            organization_sid: orgs[i % 2].sid.clone(),
            display_name: format!("G{i}"),
            external_id: None,
            created_at: t0(),
            updated_at: t0(),
        })
        .collect();
    // PostgreSQL aborts a transaction at a failed statement: no duplicate is ever attempted.
    let mut made = std::collections::HashSet::new();
    for g in &groups {
        tx.insert_group(g).await.unwrap();
        for _ in 0..2 {
            let (role, kind) = roles[rng.below(roles.len())].clone();
            let scope = scope_for(&mut rng, kind);
            let a = GroupAssignment {
                with_subaccounts: matches!(scope, ScopeRef::Account(_)) && rng.below(2) == 0,
                ..GroupAssignment::new(role, g.sid.clone(), scope, t0())
            };
            if made.insert((g.sid.to_string(), a.scope.sid_str().to_owned(), a.role_sid.clone())) {
                tx.insert_group_assignment(&a).await.unwrap();
            }
        }
    }
    let mut users = Vec::new();
    for i in 0..14 {
        let user = User::new(
            Email::parse(&format!("u{i}@x.test")).unwrap(),
            format!("U{i}"),
            Some(orgs[i % 2].sid.clone()),
            t0(),
        );
        tx.insert_user(&user, None).await.unwrap();
        for _ in 0..rng.below(4) {
            let (role, kind) = roles[rng.below(roles.len())].clone();
            let scope = scope_for(&mut rng, kind);
            let a = RoleAssignment {
                with_subaccounts: matches!(scope, ScopeRef::Account(_)) && rng.below(2) == 0,
                ..RoleAssignment::new(role, user.sid.clone(), scope, t0())
            };
            if made.insert((user.sid.to_string(), a.scope.sid_str().to_owned(), a.role_sid.clone())) {
                tx.insert_assignment(&a).await.unwrap();
            }
        }
        for g in &groups {
            if rng.below(3) == 0 {
                tx.add_group_members(&g.sid, std::slice::from_ref(&user.sid)).await.unwrap();
            }
        }
        if i == 13 {
            tx.set_user_status(&user.sid, UserStatus::Deactivated, t0()).await.unwrap();
        }
        users.push(user);
    }
    // An independent account shared with the first organization, whose Administrator is user 0.
    let shared = accounts.iter().find(|a| a.organization_sid.is_none() && a.parent_sid.is_none()).unwrap().clone();
    tx.insert_account_request(&AccountRequest {
        sid: AccountRequestSid::generate(),
        organization_sid: orgs[0].sid.clone(),
        account_sid: shared.sid.clone(),
        kind: AccountRequestKind::Access,
        requested_by: None,
        status: AccountRequestStatus::Accepted,
        created_at: t0(),
        expires_at: t0(),
        updated_at: t0(),
    })
    .await
    .unwrap();
    let admin = RoleAssignment::new(
        OrgRole::Administrator.sid(),
        users[0].sid.clone(),
        ScopeRef::Organization(orgs[0].sid.clone()),
        t0(),
    );
    if made.insert((users[0].sid.to_string(), admin.scope.sid_str().to_owned(), admin.role_sid.clone())) {
        tx.insert_assignment(&admin).await.unwrap();
    }
    tx.commit().await.unwrap();

    let compare = |label: &'static str| {
        let app = app.clone();
        let users = users.clone();
        let accounts = accounts.clone();
        let orgs = orgs.clone();
        async move {
            let mut compared = 0;
            for u in &users {
                let resources =
                    accounts.iter().map(|a| a.sid.to_string()).chain(orgs.iter().map(|o| o.sid.to_string()));
                for resource in resources {
                    for p in Permission::ALL {
                        let q = CheckQuestion {
                            principal: u.sid.to_string(),
                            permission: p.name().into(),
                            resource: resource.clone(),
                        };
                        let from_store = app.check_access_from_store(&q).await.unwrap();
                        let from_index = app.check_access_in_index(&q).unwrap();
                        assert_eq!(from_index.allowed, from_store, "{label}: {} {p:?} on {resource}", u.email);
                        compared += 1;
                    }
                }
            }
            compared
        }
    };
    app.load_access_index().await.unwrap();
    assert!(compare("loaded").await > 5_000);

    // Changes, applied in place: a role edited, a user leaves a group, another is deactivated,
    // a subaccount moves, an assignment ends.
    let mut tx = store.write().await.unwrap();
    let custom =
        roles.iter().find(|(r, _)| gatehouse_domain::role::BuiltinRole::from_sid(r).is_none()).unwrap().0.clone();
    let mut role = tx.custom_role(&custom).await.unwrap().unwrap();
    role.permissions = PermissionSet::of(&[Permission::ResourcesWrite, Permission::AccountRead]);
    tx.update_custom_role(&role).await.unwrap();
    tx.remove_group_members(&groups[0].sid, &[users[1].sid.clone(), users[2].sid.clone()]).await.unwrap();
    tx.set_user_status(&users[3].sid, UserStatus::Deactivated, t0()).await.unwrap();
    tx.delete_user_assignments(&ScopeRef::Organization(orgs[0].sid.clone()), &users[4].sid).await.unwrap();
    tx.commit().await.unwrap();
    let before = app.access_revision();
    let after = app.catch_up_access().await.unwrap();
    assert!(after > before, "the changes moved the revision");
    compare("after changes").await;
}

#[tokio::test]
async fn the_index_agrees_with_the_use_cases_on_sqlite() {
    the_index_agrees_with_the_use_cases(support::sqlite_store().await).await;
}

#[tokio::test]
async fn the_index_agrees_with_the_use_cases_on_postgres() {
    if let Some(store) = support::postgres_store().await {
        the_index_agrees_with_the_use_cases(store).await;
    }
}
