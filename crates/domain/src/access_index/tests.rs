//! The index against `policy::authorize`, and changes applied in place.
use super::*;
use crate::account::{Account, AccountSettings, AccountStatus};
use crate::membership::ScopeRef;
use crate::policy::{Grant, Principal, Target, authorize};
use crate::sid::{AccountSid, GroupSid, OrganizationSid, RoleAssignmentSid, RoleSid, UserSid};
use chrono::Utc;

fn b(sid: &str) -> u128 {
    sid_bits(sid).unwrap()
}

/// A small deterministic generator (no dependency for a test).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

fn account(org: Option<&OrganizationSid>, parent: Option<&AccountSid>) -> Account {
    Account {
        sid: AccountSid::generate(),
        name: "A".into(),
        status: AccountStatus::Active,
        organization_sid: org.cloned(),
        parent_sid: parent.cloned(),
        settings: AccountSettings::default(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

/// Over a generated population of organizations, accounts and subaccounts, custom and
/// built-in roles, direct and group grants at every scope, with and without subaccounts, the
/// index answers every question exactly as `policy::authorize` does on the same grants.
#[test]
fn the_index_agrees_with_authorize_over_a_generated_population() {
    let mut rng = Lcg(7);
    let orgs: Vec<OrganizationSid> = (0..3).map(|_| OrganizationSid::generate()).collect();
    let mut accounts: Vec<Account> = Vec::new();
    for i in 0..12 {
        let org = (i % 4 != 3).then(|| &orgs[i % 3]);
        accounts.push(account(org, None));
    }
    for i in 0..12 {
        let parent = accounts[i].clone();
        accounts.push(account(parent.organization_sid.as_ref(), Some(&parent.sid)));
    }
    let mut roles: Vec<(RoleSid, PermissionSet)> =
        BuiltinRole::ALL.iter().map(|r| (r.sid(), r.permissions())).collect();
    let mut custom = Vec::new();
    for _ in 0..4 {
        let bits = (rng.below(1 << 30) as u64) | ((rng.below(1 << 30) as u64) << 30);
        let permissions = Permission::ALL
            .iter()
            .copied()
            .filter(|p| bits & (1 << (*p as u8)) != 0)
            .fold(PermissionSet::EMPTY, PermissionSet::with);
        let sid = RoleSid::generate();
        custom.push(RoleIn { sid: b(sid.as_str()), name: "Custom".into(), permissions });
        roles.push((sid, permissions));
    }
    let groups: Vec<GroupSid> = (0..4).map(|_| GroupSid::generate()).collect();
    let users: Vec<UserSid> = (0..20).map(|_| UserSid::generate()).collect();
    let mut rows = AccessRows {
        accounts: accounts
            .iter()
            .map(|a| AccountIn {
                sid: b(a.sid.as_str()),
                parent: a.parent_sid.as_ref().map(|p| b(p.as_str())),
                organization: a.organization_sid.as_ref().map(|o| b(o.as_str())),
            })
            .collect(),
        roles: custom,
        groups: groups.iter().map(|g| b(g.as_str())).collect(),
        ..AccessRows::default()
    };
    let scope = |rng: &mut Lcg| -> ScopeRef {
        if rng.below(4) == 0 {
            ScopeRef::Organization(orgs[rng.below(orgs.len())].clone())
        } else {
            ScopeRef::Account(accounts[rng.below(accounts.len())].sid.clone())
        }
    };
    let grant = |rng: &mut Lcg, holder: u128| -> (AssignmentIn, Grant) {
        let (role, permissions) = roles[rng.below(roles.len())].clone();
        let scope = scope(rng);
        let with_subaccounts = rng.below(3) == 0;
        let a = AssignmentIn {
            sid: b(RoleAssignmentSid::generate().as_str()),
            role: b(role.as_str()),
            holder,
            scope: ScopeBits::parse(scope.sid_str()).unwrap(),
            with_subaccounts,
        };
        let reach = if with_subaccounts { Reach::WithSubaccounts } else { Reach::Scope };
        (a, Grant::at(scope, permissions).reaching(reach))
    };
    let mut group_grants: Vec<Vec<Grant>> = vec![Vec::new(); groups.len()];
    for (g, sid) in groups.iter().enumerate() {
        for _ in 0..3 {
            let (a, gr) = grant(&mut rng, b(sid.as_str()));
            rows.group_assignments.push(a);
            group_grants[g].push(gr);
        }
    }
    let mut principals = Vec::new();
    for u in &users {
        let mut grants = Vec::new();
        for _ in 0..rng.below(5) {
            let (a, gr) = grant(&mut rng, b(u.as_str()));
            rows.user_assignments.push(a);
            grants.push(gr);
        }
        for (g, sid) in groups.iter().enumerate() {
            if rng.below(3) == 0 {
                rows.memberships.push((b(sid.as_str()), b(u.as_str())));
                grants.extend(group_grants[g].iter().cloned());
            }
        }
        principals.push(Principal::User { sid: u.clone(), grants });
    }
    let index = AccessIndex::build(rows, 1);
    let mut compared = 0;
    for (u, principal) in users.iter().zip(&principals) {
        let who = Who::User(sid_bits(u.as_str()).unwrap());
        for permission in Permission::ALL {
            for a in &accounts {
                let place = index.place(a.sid.as_str()).unwrap();
                assert_eq!(
                    index.authorize(who, *permission, place),
                    authorize(principal, *permission, Target::Account(a)),
                    "{u} {permission:?} on {}",
                    a.sid
                );
                let reasons = index.reasons(who, *permission, place);
                assert_eq!(reasons.is_empty(), index.authorize(who, *permission, place).is_err());
                compared += 1;
            }
            for o in &orgs {
                let place = index.place(o.as_str()).unwrap();
                assert_eq!(
                    index.authorize(who, *permission, place),
                    authorize(principal, *permission, Target::Organization(o))
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 10_000);
}

#[test]
fn a_change_replaces_what_the_subject_was() {
    let org = OrganizationSid::generate();
    let a = AccountSid::generate();
    let user = UserSid::generate();
    let role = RoleSid::generate();
    let assignment = |role: &RoleSid| AssignmentIn {
        sid: b(RoleAssignmentSid::generate().as_str()),
        role: b(role.as_str()),
        holder: b(user.as_str()),
        scope: ScopeBits::Account(b(a.as_str())),
        with_subaccounts: false,
    };
    let rows = AccessRows {
        accounts: vec![AccountIn { sid: b(a.as_str()), parent: None, organization: Some(b(org.as_str())) }],
        roles: vec![RoleIn {
            sid: b(role.as_str()),
            name: "Logs".into(),
            permissions: PermissionSet::of(&[Permission::LogsRead]),
        }],
        user_assignments: vec![assignment(&role)],
        ..AccessRows::default()
    };
    let mut index = AccessIndex::build(rows, 3);
    let who = Who::User(sid_bits(user.as_str()).unwrap());
    let place = index.place(a.as_str()).unwrap();
    assert_eq!(index.authorize(who, Permission::LogsRead, place), Ok(()));
    // The role is edited: its holders' access changes with it.
    let edited = AccessRows {
        roles: vec![RoleIn {
            sid: b(role.as_str()),
            name: "Logs".into(),
            permissions: PermissionSet::of(&[Permission::UsageRead]),
        }],
        ..AccessRows::default()
    };
    index.apply(&[AccessSubject::Role(role.to_string())], edited, 4);
    assert_eq!(index.authorize(who, Permission::LogsRead, place), Err(Error::MissingPermission(Permission::LogsRead)));
    assert_eq!(index.authorize(who, Permission::UsageRead, place), Ok(()));
    // The user loses every assignment: nothing remains.
    index.apply(&[AccessSubject::User(user.to_string())], AccessRows::default(), 5);
    assert_eq!(index.authorize(who, Permission::UsageRead, place), Err(Error::NotFound));
    assert_eq!(index.revision(), 5);
    // A built-in role is never emptied by a change noted against it.
    let dev = AccountRole::Developer.sid();
    index.apply(&[AccessSubject::Role(dev.to_string())], AccessRows::default(), 6);
    index.apply(
        &[AccessSubject::User(user.to_string())],
        AccessRows { user_assignments: vec![assignment(&dev)], ..AccessRows::default() },
        7,
    );
    assert_eq!(index.authorize(who, Permission::ApiKeysManage, place), Ok(()));
}
