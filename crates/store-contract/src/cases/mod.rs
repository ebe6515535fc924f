//! The contract cases. Each takes a fresh, migrated store.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::Error;
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::sid::UserSid;
use gatehouse_domain::store::Store;
use gatehouse_domain::user::Email;

use crate::fixtures::{self, add_account, add_user, grant, grant_org, t0};

pub async fn users_round_trip_and_emails_are_unique_case_insensitively(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let mut ada = fixtures::user("ada@example.com", "Ada", Some(&org.sid));
    ada.last_login_at = Some(t0() + Duration::hours(1));
    tx.insert_user(&ada, None).await.unwrap();
    assert_eq!(tx.user(&ada.sid).await.unwrap(), Some(ada.clone()));
    let by_email = tx.user_by_email(&Email::parse("ADA@example.com").unwrap()).await.unwrap();
    assert_eq!(by_email, Some(ada.clone()));
    assert_eq!(tx.count_users().await.unwrap(), 1);
    assert!(tx.any_users().await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let twin = fixtures::user("ada@example.com", "Other Ada", None);
    match tx.insert_user(&twin, None).await {
        Err(Error::Conflict(m)) => assert!(m.contains("email"), "{m}"),
        other => panic!("duplicate email gave {other:?}"),
    }
    drop(tx);
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(&UserSid::generate()).await.unwrap(), None);
    assert_eq!(tx.count_users().await.unwrap(), 1);
}

pub async fn password_hashes_are_stored_apart_from_the_user(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let u = fixtures::user("grace@example.com", "Grace", None);
    tx.insert_user(&u, Some("$argon2id$v=19$stub")).await.unwrap();
    let v = add_user(&mut *tx, "nopass@example.com", "No Password").await;
    assert_eq!(tx.password_hash(&u.sid).await.unwrap().as_deref(), Some("$argon2id$v=19$stub"));
    assert_eq!(tx.password_hash(&v.sid).await.unwrap(), None);
    let at = t0() + Duration::days(2);
    tx.record_login(&u.sid, at).await.unwrap();
    assert_eq!(tx.user(&u.sid).await.unwrap().unwrap().last_login_at, Some(at));
}

pub async fn accounts_round_trip_with_settings_and_parent(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    assert_eq!(tx.organization(&org.sid).await.unwrap(), Some(org.clone()));
    let parent = add_account(&mut *tx, "Parent", Some(&org.sid)).await;
    let mut child = fixtures::account("Child", Some(&org.sid), Some(&parent.sid));
    child.settings.require_two_factor = true;
    child.settings.require_https_webhooks = false;
    child.settings.require_public_key_validation = true;
    tx.insert_account(&child).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.account(&child.sid).await.unwrap(), Some(child.clone()));
    assert_eq!(tx.lock_account(&parent.sid).await.unwrap(), Some(parent.clone()));
    let kids = tx.subaccounts(&parent.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(kids.items, vec![child.clone()]);
    use gatehouse_domain::account::AccountStatus;
    let first = PageRequest::first(10);
    let by = |name, status| (name, status);
    for ((name, status), found) in [
        (by(Some("Child"), None), vec![child.clone()]),
        (by(Some("child"), None), vec![]),
        (by(None, Some(AccountStatus::Active)), vec![child.clone()]),
        (by(Some("Child"), Some(AccountStatus::Suspended)), vec![]),
    ] {
        let got = tx.subaccounts_matching(&parent.sid, name, status, &first).await.unwrap();
        assert_eq!(got.items, found, "name {name:?}, status {status:?}: the name is exact");
    }
    let after = PageRequest { after: Some(child.sid.to_string()), ..first.clone() };
    assert!(tx.subaccounts_matching(&parent.sid, None, None, &after).await.unwrap().items.is_empty());
    let orphan = fixtures::account("Orphan", None, Some(&gatehouse_domain::sid::AccountSid::generate()));
    assert!(tx.insert_account(&orphan).await.is_err(), "a parent that does not exist is refused");
}

pub async fn the_database_refuses_a_second_owner_of_one_account(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    grant(&mut *tx, &ada, AccountRole::Owner, &a).await;
    let second = RoleAssignment::new(AccountRole::Owner.sid(), bob.sid.clone(), ScopeRef::Account(a.sid.clone()), t0());
    assert!(matches!(tx.insert_assignment(&second).await, Err(Error::Conflict(_))));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    grant_org(&mut *tx, &ada, OrgRole::Owner, &org).await;
    let second =
        RoleAssignment::new(OrgRole::Owner.sid(), bob.sid.clone(), ScopeRef::Organization(org.sid.clone()), t0());
    assert!(matches!(tx.insert_assignment(&second).await, Err(Error::Conflict(_))));
}

pub async fn the_database_refuses_a_duplicate_role_assignment(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    grant(&mut *tx, &ada, AccountRole::Developer, &a).await;
    let again =
        RoleAssignment::new(AccountRole::Developer.sid(), ada.sid.clone(), ScopeRef::Account(a.sid.clone()), t0());
    match tx.insert_assignment(&again).await {
        Err(Error::Conflict(m)) => assert!(m.contains("already assigned"), "{m}"),
        other => panic!("duplicate assignment gave {other:?}"),
    }
}

pub async fn the_database_refuses_an_assignment_for_a_missing_user(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let ghost =
        RoleAssignment::new(AccountRole::Viewer.sid(), UserSid::generate(), ScopeRef::Account(a.sid.clone()), t0());
    assert!(matches!(tx.insert_assignment(&ghost).await, Err(Error::Internal(_))));
}

pub async fn members_are_paged_with_their_roles_and_searchable(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let other = add_account(&mut *tx, "Other", None).await;
    let mut users = Vec::new();
    for i in 0..5 {
        let u = add_user(&mut *tx, &format!("user{i}@example.com"), &format!("User {i}")).await;
        grant(&mut *tx, &u, AccountRole::Developer, &a).await;
        users.push(u);
    }
    grant(&mut *tx, &users[0], AccountRole::Owner, &a).await;
    grant(&mut *tx, &users[1], AccountRole::Viewer, &a).await;
    grant(&mut *tx, &users[1], AccountRole::Administrator, &other).await;
    let outsider = add_user(&mut *tx, "outsider@example.com", "Outsider").await;
    grant(&mut *tx, &outsider, AccountRole::Viewer, &other).await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let p1 = tx.account_members(&a.sid, None, &PageRequest::first(2)).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    assert_eq!(p1.items[0].user, users[0]);
    assert_eq!(p1.items[0].roles, vec![AccountRole::Owner, AccountRole::Developer]);
    assert_eq!(p1.items[1].roles, vec![AccountRole::Developer, AccountRole::Viewer]);
    let cursor = p1.next_after.clone().expect("a second page");
    let p2 = tx.account_members(&a.sid, None, &PageRequest::new(Some(cursor), Some(10), None).unwrap()).await.unwrap();
    assert_eq!(
        p2.items.iter().map(|m| m.user.sid.clone()).collect::<Vec<_>>(),
        users[2..].iter().map(|u| u.sid.clone()).collect::<Vec<_>>()
    );
    assert_eq!(p2.next_after, None);
    let found =
        tx.account_members(&a.sid, None, &PageRequest::new(None, None, Some("USER3@".into())).unwrap()).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].user, users[3]);
    let none = tx
        .account_members(&a.sid, None, &PageRequest::new(None, None, Some("outsider".into())).unwrap())
        .await
        .unwrap();
    assert!(none.items.is_empty(), "members of another account never appear");
    let viewers = tx.account_members(&a.sid, Some(AccountRole::Viewer), &PageRequest::first(10)).await.unwrap();
    assert_eq!(viewers.items.len(), 1, "only members holding the role");
    assert_eq!(viewers.items[0].roles, vec![AccountRole::Developer, AccountRole::Viewer], "with all their roles");
    let developers = tx.account_members(&a.sid, Some(AccountRole::Developer), &PageRequest::first(3)).await.unwrap();
    let rest = PageRequest::new(developers.next_after.clone(), Some(3), None).unwrap();
    let more = tx.account_members(&a.sid, Some(AccountRole::Developer), &rest).await.unwrap();
    assert_eq!((developers.items.len(), more.items.len(), more.next_after), (3, 2, None), "paged by role");
    let admins = tx.account_members(&a.sid, Some(AccountRole::Administrator), &PageRequest::first(10)).await.unwrap();
    assert!(admins.items.is_empty(), "an Administrator of another account is not one here");
    assert_eq!(tx.account_owner(&a.sid).await.unwrap(), Some(users[0].sid.clone()));
    assert_eq!(tx.account_owner(&other.sid).await.unwrap(), None);
}

pub async fn organization_users_include_managed_users_and_members_of_its_accounts(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let managed = fixtures::user("ann@acme.com", "Ann", Some(&org.sid));
    tx.insert_user(&managed, None).await.unwrap();
    grant_org(&mut *tx, &managed, OrgRole::Owner, &org).await;
    let account = add_account(&mut *tx, "Managed", Some(&org.sid)).await;
    let contractor = add_user(&mut *tx, "carl@contractor.io", "Carl").await;
    grant(&mut *tx, &contractor, AccountRole::Developer, &account).await;
    let stranger = add_user(&mut *tx, "sam@elsewhere.io", "Sam").await;
    let elsewhere = add_account(&mut *tx, "Elsewhere", None).await;
    grant(&mut *tx, &stranger, AccountRole::Owner, &elsewhere).await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let page = tx.organization_users(&org.sid, &PageRequest::first(50), None).await.unwrap();
    let got: Vec<_> = page.items.iter().map(|u| (u.user.email.to_string(), u.org_role, u.managed)).collect();
    assert_eq!(
        got,
        vec![("ann@acme.com".to_string(), Some(OrgRole::Owner), true), ("carl@contractor.io".to_string(), None, false),]
    );
    let searched = tx
        .organization_users(&org.sid, &PageRequest::new(None, None, Some("carl".into())).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(searched.items.len(), 1);
    let managed = tx.organization_users(&org.sid, &PageRequest::first(50), Some(true)).await.unwrap();
    assert_eq!(managed.items.iter().map(|u| u.user.email.as_str()).collect::<Vec<_>>(), vec!["ann@acme.com"]);
    let independent = tx.organization_users(&org.sid, &PageRequest::first(50), Some(false)).await.unwrap();
    assert_eq!(independent.items.iter().map(|u| u.user.email.as_str()).collect::<Vec<_>>(), vec!["carl@contractor.io"]);
    let scope = gatehouse_domain::membership::ScopeRef::Organization(org.sid.clone());
    assert_eq!(tx.scope_owner(&scope).await.unwrap(), Some(managed.items[0].user.sid.clone()), "found by role");
    drop(tx);

    // Who is a guest follows the user's and the account's organization.
    let emails = |page: gatehouse_domain::page::Page<gatehouse_domain::membership::OrgUser>| {
        page.items.into_iter().map(|u| (u.user.email.to_string(), u.managed)).collect::<Vec<_>>()
    };
    let mut tx = store.write().await.unwrap();
    let child = fixtures::account("Child", Some(&org.sid), Some(&account.sid));
    tx.insert_account(&child).await.unwrap();
    let dee = add_user(&mut *tx, "dee@contractor.io", "Dee").await;
    grant(&mut *tx, &dee, AccountRole::Support, &child).await;
    tx.set_user_organization(&contractor.sid, Some(&org.sid), fixtures::t0()).await.unwrap();
    assert_eq!(
        emails(tx.organization_users(&org.sid, &PageRequest::first(50), None).await.unwrap()),
        vec![
            ("ann@acme.com".to_string(), true),
            ("carl@contractor.io".to_string(), true),
            ("dee@contractor.io".to_string(), false)
        ],
        "a guest who becomes managed is listed once, as managed; a subaccount's member is a guest"
    );
    let other = fixtures::organization("Other");
    tx.insert_organization(&other).await.unwrap();
    tx.set_account_organization(&account.sid, Some(&other.sid), fixtures::t0()).await.unwrap();
    assert_eq!(
        emails(tx.organization_users(&org.sid, &PageRequest::first(50), Some(false)).await.unwrap()),
        vec![],
        "an account that moves takes its guests along"
    );
    assert_eq!(
        emails(tx.organization_users(&other.sid, &PageRequest::first(50), None).await.unwrap()),
        vec![("carl@contractor.io".to_string(), false), ("dee@contractor.io".to_string(), false)],
        "the organization it moved to sees them, and Acme's managed user as a guest"
    );
    tx.set_account_organization(&account.sid, None, fixtures::t0()).await.unwrap();
    assert_eq!(emails(tx.organization_users(&other.sid, &PageRequest::first(50), None).await.unwrap()), vec![]);
}

pub async fn account_lists_are_scoped_paged_and_searchable(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let mut in_org = Vec::new();
    for name in ["Alpha", "Beta", "Gamma 50%"] {
        let a = add_account(&mut *tx, name, Some(&org.sid)).await;
        grant(&mut *tx, &ada, AccountRole::Viewer, &a).await;
        in_org.push(a);
    }
    let standalone = add_account(&mut *tx, "Standalone", None).await;
    grant(&mut *tx, &ada, AccountRole::Owner, &standalone).await;
    add_account(&mut *tx, "Not Ada's", None).await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let p = tx.organization_accounts(&org.sid, &PageRequest::first(2)).await.unwrap();
    assert_eq!(p.items, in_org[..2].to_vec());
    let rest = tx.organization_accounts(&org.sid, &PageRequest::new(p.next_after, None, None).unwrap()).await.unwrap();
    assert_eq!(rest.items, in_org[2..].to_vec());
    let pct =
        tx.organization_accounts(&org.sid, &PageRequest::new(None, None, Some("50%".into())).unwrap()).await.unwrap();
    assert_eq!(pct.items.len(), 1, "% is matched literally");
    let by_sid = tx
        .organization_accounts(&org.sid, &PageRequest::new(None, None, Some(in_org[1].sid.to_string())).unwrap())
        .await
        .unwrap();
    assert_eq!(by_sid.items, vec![in_org[1].clone()]);
    let mine = tx.user_accounts(&ada.sid, &PageRequest::first(50)).await.unwrap();
    assert_eq!(mine.items.len(), 4);
    assert!(mine.items.iter().all(|a| a.name != "Not Ada's"));
}

pub async fn user_organizations_report_the_strongest_role(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let globex = fixtures::organization("Globex");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&globex).await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    grant_org(&mut *tx, &ada, OrgRole::StandardUser, &acme).await;
    grant_org(&mut *tx, &ada, OrgRole::Administrator, &acme).await;
    grant_org(&mut *tx, &ada, OrgRole::StandardUser, &globex).await;
    let mut orgs = tx.user_organizations(&ada.sid).await.unwrap();
    orgs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    assert_eq!(orgs, vec![(acme, OrgRole::Administrator), (globex, OrgRole::StandardUser)]);
}

pub async fn audit_events_are_listed_newest_first_per_scope(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let a = add_account(&mut *tx, "Acme", Some(&org.sid)).await;
    let b = add_account(&mut *tx, "Other", None).await;
    let actor = Actor::system();
    let mut sids = Vec::new();
    for i in 0..3 {
        let e = AuditEvent::new(&actor, "member.added", a.sid.as_str(), t0() + Duration::seconds(i))
            .in_account(&a.sid, Some(&org.sid))
            .with_details(serde_json::json!({ "n": i, "roles": ["developer"] }));
        tx.append_audit(&e).await.unwrap();
        sids.push(e);
    }
    let elsewhere = AuditEvent::new(&actor, "account.created", b.sid.as_str(), t0()).in_account(&b.sid, None);
    tx.append_audit(&elsewhere).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let p = tx.audit_events(&AuditScope::Account(a.sid.clone()), &PageRequest::first(2)).await.unwrap();
    assert_eq!(p.items, vec![sids[2].clone(), sids[1].clone()]);
    let rest = tx
        .audit_events(&AuditScope::Account(a.sid.clone()), &PageRequest::new(p.next_after, None, None).unwrap())
        .await
        .unwrap();
    assert_eq!(rest.items, vec![sids[0].clone()]);
    let in_org = tx.audit_events(&AuditScope::Organization(org.sid.clone()), &PageRequest::first(50)).await.unwrap();
    assert_eq!(in_org.items.len(), 3);
    let searched = tx
        .audit_events(
            &AuditScope::Account(b.sid.clone()),
            &PageRequest::new(None, None, Some("created".into())).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(searched.items, vec![elsewhere]);
}

pub async fn sessions_round_trip_and_end_per_user(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    let session = |hash: &str, user: &UserSid| Session {
        token_hash: hash.into(),
        user_sid: user.clone(),
        csrf_token: format!("csrf-{hash}"),
        created_at: t0(),
        last_seen_at: t0(),
        expires_at: t0() + Duration::hours(12),
        ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        stage: SessionStage::Full,
    };
    let s1 = session("h1", &ada.sid);
    tx.insert_session(&s1).await.unwrap();
    tx.insert_session(&session("h2", &ada.sid)).await.unwrap();
    tx.insert_session(&session("h3", &bob.sid)).await.unwrap();
    assert_eq!(tx.session("h1").await.unwrap(), Some(s1.clone()));
    let later = t0() + Duration::minutes(5);
    tx.touch_session("h1", later).await.unwrap();
    assert_eq!(tx.session("h1").await.unwrap().unwrap().last_seen_at, later);
    tx.delete_session("h1").await.unwrap();
    assert_eq!(tx.session("h1").await.unwrap(), None);
    assert_eq!(tx.delete_user_sessions(&ada.sid).await.unwrap(), 1);
    assert!(tx.session("h3").await.unwrap().is_some(), "other users keep their sessions");
}

pub async fn recent_setup_tokens_are_valid_and_setup_consumes_them_all(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let later = t0() + Duration::hours(1);
    tx.add_setup_token("old", t0(), t0()).await.unwrap();
    tx.add_setup_token("node-a", later, later - Duration::minutes(10)).await.unwrap();
    tx.add_setup_token("node-b", later, later - Duration::minutes(10)).await.unwrap();
    assert!(!tx.setup_token_valid("old").await.unwrap(), "a stale token is replaced");
    assert!(tx.setup_token_valid("node-a").await.unwrap(), "two nodes starting together both work");
    assert!(tx.setup_token_valid("node-b").await.unwrap());
    assert!(!tx.consume_setup_token("old").await.unwrap());
    assert!(tx.consume_setup_token("node-b").await.unwrap());
    assert!(!tx.consume_setup_token("node-b").await.unwrap());
    assert!(!tx.setup_token_valid("node-a").await.unwrap(), "setup happens once");
}

pub async fn a_dropped_transaction_leaves_nothing_behind(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    add_user(&mut *tx, "ada@example.com", "Ada").await;
    drop(tx);
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.count_users().await.unwrap(), 0);
    assert!(!tx.any_users().await.unwrap());
}

/// `read_autocommit` holds no snapshot: each statement sees what is committed when it runs.
pub async fn an_autocommit_read_sees_each_commit_as_its_statements_run(store: Arc<dyn Store>) {
    let mut reads = store.read_autocommit().await.unwrap();
    assert_eq!(reads.count_users().await.unwrap(), 0);
    let mut tx = store.write().await.unwrap();
    add_user(&mut *tx, "ada@example.com", "Ada").await;
    tx.commit().await.unwrap();
    assert_eq!(reads.count_users().await.unwrap(), 1);
    assert!(reads.any_users().await.unwrap());
    reads.commit().await.unwrap();
}

pub async fn deleting_assignments_removes_only_that_users_roles_at_that_scope(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "A", None).await;
    let b = add_account(&mut *tx, "B", None).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    grant(&mut *tx, &ada, AccountRole::Developer, &a).await;
    grant(&mut *tx, &ada, AccountRole::Viewer, &a).await;
    grant(&mut *tx, &ada, AccountRole::Viewer, &b).await;
    grant(&mut *tx, &bob, AccountRole::Viewer, &a).await;
    let scope_a = ScopeRef::Account(a.sid.clone());
    assert_eq!(tx.delete_user_assignments(&scope_a, &ada.sid).await.unwrap(), 2);
    let left = tx.user_assignments(&ada.sid, &[scope_a.clone(), ScopeRef::Account(b.sid.clone())]).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].scope, ScopeRef::Account(b.sid.clone()));
    let at_a = tx.scope_assignments(&scope_a, &PageRequest::first(10)).await.unwrap();
    assert_eq!(at_a.items.len(), 1);
    assert_eq!(at_a.items[0].user_sid, bob.sid);
}

mod access_index;
mod admin;
mod console;
mod dialect;
mod people_search;
mod scim_filters;
mod security;

pub use access_index::*;
pub use admin::*;
pub use console::*;
pub use dialect::*;
pub use people_search::*;
pub use scim_filters::*;
pub use security::*;

pub async fn replacing_built_in_roles_keeps_custom_and_cross_kind_ones(store: Arc<dyn Store>) {
    use gatehouse_domain::custom_role::CustomRole;
    use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
    use gatehouse_domain::permission::{Permission, PermissionSet, ScopeKind};
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let account = add_account(&mut *tx, "Main", Some(&org.sid)).await;
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let custom = CustomRole {
        sid: gatehouse_domain::sid::RoleSid::generate(),
        organization_sid: org.sid.clone(),
        name: "Logs".into(),
        description: String::new(),
        kind: ScopeKind::Account,
        permissions: PermissionSet::of(&[Permission::LogsRead]),
        created_at: t0(),
        updated_at: t0(),
    };
    tx.insert_custom_role(&custom).await.unwrap();
    let at_account = ScopeRef::Account(account.sid.clone());
    let at_org = ScopeRef::Organization(org.sid.clone());
    for (role, scope) in [
        (AccountRole::Developer.sid(), &at_account),
        (custom.sid.clone(), &at_account),
        (OrgRole::StandardUser.sid(), &at_org),
        (AccountRole::Viewer.sid(), &at_org),
    ] {
        tx.insert_assignment(&RoleAssignment::new(role, dana.sid.clone(), scope.clone(), t0())).await.unwrap();
    }
    assert_eq!(tx.delete_user_builtin_assignments(&at_account, &dana.sid).await.unwrap(), 1, "Developer only");
    assert_eq!(tx.delete_user_builtin_assignments(&at_org, &dana.sid).await.unwrap(), 1, "Standard User only");
    let left: Vec<_> =
        tx.user_assignments(&dana.sid, &[at_account, at_org]).await.unwrap().into_iter().map(|a| a.role_sid).collect();
    assert_eq!(
        left,
        vec![custom.sid.clone(), AccountRole::Viewer.sid()],
        "the custom role and the account role on the organization stay"
    );
}
