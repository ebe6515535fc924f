//! Builders for the entities the contract cases store.

use chrono::{DateTime, Duration, TimeZone, Utc};
use gatehouse_domain::account::Account;
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::organization::Organization;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::{AccountSid, OrganizationSid};
use gatehouse_domain::store::Tx;
use gatehouse_domain::user::{Email, User};

/// A fixed instant with whole microseconds (both engines keep microseconds).
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).single().unwrap_or_default() + Duration::microseconds(123_456)
}

pub(crate) fn user(email: &str, name: &str, org: Option<&OrganizationSid>) -> User {
    User::new(Email::parse(email).unwrap_or_else(|e| panic!("{e}")), name.into(), org.cloned(), t0())
}

pub(crate) fn organization(name: &str) -> Organization {
    Organization::new(name.into(), t0())
}

pub(crate) fn account(name: &str, org: Option<&OrganizationSid>, parent: Option<&AccountSid>) -> Account {
    Account::new(name.into(), org.cloned(), parent.cloned(), t0())
}

pub(crate) async fn add_user(tx: &mut dyn Tx, email: &str, name: &str) -> User {
    let u = user(email, name, None);
    tx.insert_user(&u, None).await.unwrap_or_else(|e| panic!("insert user: {e:?}"));
    u
}

pub(crate) async fn add_account(tx: &mut dyn Tx, name: &str, org: Option<&OrganizationSid>) -> Account {
    let a = account(name, org, None);
    tx.insert_account(&a).await.unwrap_or_else(|e| panic!("insert account: {e:?}"));
    a
}

pub(crate) async fn grant(tx: &mut dyn Tx, user: &User, role: AccountRole, account: &Account) {
    let ra = RoleAssignment::new(role.sid(), user.sid.clone(), ScopeRef::Account(account.sid.clone()), t0());
    tx.insert_assignment(&ra).await.unwrap_or_else(|e| panic!("grant {role:?}: {e:?}"));
}

pub(crate) async fn grant_org(tx: &mut dyn Tx, user: &User, role: OrgRole, org: &Organization) {
    let ra = RoleAssignment::new(role.sid(), user.sid.clone(), ScopeRef::Organization(org.sid.clone()), t0());
    tx.insert_assignment(&ra).await.unwrap_or_else(|e| panic!("grant {role:?}: {e:?}"));
}
