//! Use cases on a real SQLite store with a fixed clock: role rules, tenancy, ownership,
//! sign-in and first-run setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Duration;
use gatehouse_app::{NewAccount, NewMember, NewOrganization};
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole::{self, *};
use support::*;

fn member(email: &str, roles: &[AccountRole]) -> NewMember {
    NewMember { email: email.into(), roles: roles.to_vec() }
}

#[tokio::test]
async fn choosing_administrator_clears_the_other_roles_and_demotion_replaces_it() {
    let (app, _) = app(sqlite_store().await);
    let (owner, account) = sign_up(&app, "owner@example.com").await;
    let (dev, _) = sign_up(&app, "dev@example.com").await;
    let added = app
        .add_member(&as_user(&owner), &account.sid, member("DEV@example.com", &[Developer, Administrator]))
        .await
        .unwrap();
    assert_eq!(added.roles, vec![Administrator]);
    let change = app.change_member_roles(&as_user(&owner), &account.sid, &dev.sid, &[Support, Viewer]).await.unwrap();
    assert_eq!(change.before, vec![Administrator]);
    assert_eq!(change.after, vec![Support, Viewer]);
    let audit = app.account_audit(&as_user(&owner), &account.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(audit.items[0].action, "member.roles_changed");
    assert_eq!(audit.items[0].actor, owner.sid.to_string());
    assert_eq!(audit.items[0].source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(audit.items[1].action, "member.added");
}

#[tokio::test]
async fn the_owner_cannot_be_removed_or_given_other_roles() {
    let (app, _) = app(sqlite_store().await);
    let (owner, account) = sign_up(&app, "owner@example.com").await;
    let r = app.remove_member(&as_user(&owner), &account.sid, &owner.sid, &Default::default()).await;
    assert!(matches!(r, Err(Error::Precondition(_))), "{r:?}");
    let r = app.change_member_roles(&as_user(&owner), &account.sid, &owner.sid, &[Developer]).await;
    assert!(matches!(r, Err(Error::Precondition(_))), "{r:?}");
    let r = app.add_member(&as_user(&owner), &account.sid, member("x@example.com", &[Owner])).await;
    assert!(matches!(r, Err(Error::Invalid { field: "roles", .. })), "{r:?}");
}

#[tokio::test]
async fn a_developer_cannot_add_or_remove_members() {
    let (app, _) = app(sqlite_store().await);
    let (owner, account) = sign_up(&app, "owner@example.com").await;
    let (dev, _) = sign_up(&app, "dev@example.com").await;
    sign_up(&app, "new@example.com").await;
    app.add_member(&as_user(&owner), &account.sid, member("dev@example.com", &[Developer])).await.unwrap();
    let r = app.add_member(&as_user(&dev), &account.sid, member("new@example.com", &[Viewer])).await;
    assert!(r.unwrap_err().is_forbidden());
    assert!(
        app.account_members(&as_user(&dev), &account.sid, &PageRequest::first(10)).await.unwrap_err().is_forbidden()
    );
    assert!(app.account(&as_user(&dev), &account.sid).await.is_ok(), "developers can read the account");
}

#[tokio::test]
async fn another_tenants_account_answers_not_found_and_changes_nothing() {
    let (app, _) = app(sqlite_store().await);
    let (alice, a) = sign_up(&app, "alice@example.com").await;
    let (mallory, _) = sign_up(&app, "mallory@example.com").await;
    let m = as_user(&mallory);
    assert_eq!(app.account(&m, &a.sid).await.unwrap_err(), Error::NotFound);
    assert_eq!(
        app.add_member(&m, &a.sid, member("mallory@example.com", &[Administrator])).await.unwrap_err(),
        Error::NotFound
    );
    assert_eq!(app.remove_member(&m, &a.sid, &alice.sid, &Default::default()).await.unwrap_err(), Error::NotFound);
    assert_eq!(app.transfer_ownership(&m, &a.sid, &mallory.sid).await.unwrap_err(), Error::NotFound);
    let sub = app
        .create_account(&m, NewAccount { name: "Sneaky".into(), parent_sid: Some(a.sid.clone()), ..Default::default() })
        .await;
    assert_eq!(sub.unwrap_err(), Error::NotFound);
    let members = app.account_members(&as_user(&alice), &a.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(members.items.len(), 1);
}

#[tokio::test]
async fn adding_an_unknown_email_is_a_field_error_and_a_second_add_a_conflict() {
    let (app, _) = app(sqlite_store().await);
    let (owner, account) = sign_up(&app, "owner@example.com").await;
    let r = app.add_member(&as_user(&owner), &account.sid, member("nobody@example.com", &[Viewer])).await;
    assert!(matches!(r, Err(Error::Invalid { field: "email", .. })), "{r:?}");
    sign_up(&app, "dev@example.com").await;
    app.add_member(&as_user(&owner), &account.sid, member("dev@example.com", &[Viewer])).await.unwrap();
    let r = app.add_member(&as_user(&owner), &account.sid, member("dev@example.com", &[Developer])).await;
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
}

#[tokio::test]
async fn ownership_transfers_to_a_member_and_the_old_owner_becomes_administrator() {
    let (app, _) = app(sqlite_store().await);
    let (owner, account) = sign_up(&app, "owner@example.com").await;
    let (dev, _) = sign_up(&app, "dev@example.com").await;
    let (outsider, _) = sign_up(&app, "out@example.com").await;
    app.add_member(&as_user(&owner), &account.sid, member("dev@example.com", &[Developer, Viewer])).await.unwrap();
    let r = app.transfer_ownership(&as_user(&owner), &account.sid, &outsider.sid).await;
    assert!(matches!(r, Err(Error::Invalid { field: "new_owner", .. })), "{r:?}");
    app.transfer_ownership(&as_user(&owner), &account.sid, &dev.sid).await.unwrap();
    let view = app.account(&as_user(&dev), &account.sid).await.unwrap();
    assert_eq!(view.owner.unwrap().sid, dev.sid);
    let members = app.account_members(&as_user(&dev), &account.sid, &PageRequest::first(10)).await.unwrap();
    let roles: Vec<_> = members.items.iter().map(|m| (m.user.sid.clone(), m.roles.clone())).collect();
    assert!(roles.contains(&(dev.sid.clone(), vec![Owner])));
    assert!(roles.contains(&(owner.sid.clone(), vec![Administrator])));
    let r = app.transfer_ownership(&as_user(&owner), &account.sid, &owner.sid).await;
    assert!(r.unwrap_err().is_forbidden(), "an Administrator cannot change the Owner");
}

#[tokio::test]
async fn a_managed_accounts_owner_must_be_a_managed_user() {
    let (app, _) = app(sqlite_store().await);
    let org = new_org(&app, "olivia@acme.com").await;
    let (contractor, _) = sign_up(&app, "carl@contractor.io").await;
    let o = as_user(&org.user);
    app.add_member(&o, &org.account.sid, member("carl@contractor.io", &[Developer])).await.unwrap();
    let r = app.transfer_ownership(&o, &org.account.sid, &contractor.sid).await;
    assert!(matches!(r, Err(Error::Invalid { field: "new_owner", .. })), "{r:?}");
    let r = app
        .create_account(
            &as_user(&contractor),
            NewAccount { name: "X".into(), organization_sid: Some(org.organization.sid.clone()), ..Default::default() },
        )
        .await;
    assert_eq!(r.unwrap_err(), Error::NotFound, "a contractor holds no organization role");
}

#[tokio::test]
async fn organization_owners_manage_every_managed_account_and_see_its_users() {
    let (app, _) = app(sqlite_store().await);
    let org = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&org.user);
    let second = app
        .create_account(
            &o,
            NewAccount {
                name: "Second".into(),
                organization_sid: Some(org.organization.sid.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(second.organization_sid.as_ref(), Some(&org.organization.sid));
    let (carl, _) = sign_up(&app, "carl@contractor.io").await;
    app.add_member(&o, &second.sid, member("carl@contractor.io", &[Support])).await.unwrap();
    let users = app.organization_users(&o, &org.organization.sid, &PageRequest::first(10), None).await.unwrap();
    let emails: Vec<_> = users.items.iter().map(|u| (u.user.email.to_string(), u.managed)).collect();
    assert_eq!(emails, vec![("olivia@acme.com".into(), true), ("carl@contractor.io".into(), false)]);
    let accounts = app.organization_accounts(&o, &org.organization.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(accounts.items.len(), 2);
    let c = as_user(&carl);
    assert_eq!(
        app.organization_users(&c, &org.organization.sid, &PageRequest::first(10), None).await.unwrap_err(),
        Error::NotFound
    );
    let audit = app.organization_audit(&o, &org.organization.sid, &PageRequest::first(50)).await.unwrap();
    assert!(audit.items.iter().any(|e| e.action == "member.added"));
}

#[tokio::test]
async fn subaccounts_belong_to_the_parents_owner_and_do_not_nest() {
    let (app, _) = app(sqlite_store().await);
    let (owner, parent) = sign_up(&app, "owner@example.com").await;
    let (admin, _) = sign_up(&app, "admin@example.com").await;
    app.add_member(&as_user(&owner), &parent.sid, member("admin@example.com", &[Administrator])).await.unwrap();
    let sub = app
        .create_account(
            &as_user(&admin),
            NewAccount { name: "Child".into(), parent_sid: Some(parent.sid.clone()), ..Default::default() },
        )
        .await
        .unwrap();
    let view = app.account(&as_user(&admin), &sub.sid).await.unwrap();
    assert_eq!(view.owner.unwrap().sid, owner.sid, "the parent's Owner owns the subaccount");
    assert_eq!(view.parent.unwrap().sid, parent.sid);
    let nested = app
        .create_account(
            &as_user(&owner),
            NewAccount { name: "Grandchild".into(), parent_sid: Some(sub.sid.clone()), ..Default::default() },
        )
        .await;
    assert!(matches!(nested, Err(Error::Invalid { field: "parent_sid", .. })), "{nested:?}");
    let subs = app.subaccounts(&as_user(&owner), &parent.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(subs.items, vec![sub]);
}

#[tokio::test]
async fn sign_in_fails_alike_for_a_wrong_password_and_an_unknown_email() {
    let (app, _) = app(sqlite_store().await);
    let (owner, _) = sign_up(&app, "owner@example.com").await;
    assert_eq!(
        app.sign_in("owner@example.com", "wrong password!!", None, None).await.unwrap_err(),
        Error::Unauthenticated
    );
    assert_eq!(
        app.sign_in("ghost@example.com", "wrong password!!", None, None).await.unwrap_err(),
        Error::Unauthenticated
    );
    let ok = app
        .sign_in("  OWNER@example.com", "correct horse battery", Some("198.51.100.1".into()), Some("test".into()))
        .await
        .unwrap();
    assert_eq!(ok.user.sid, owner.sid);
    assert_eq!(ok.user.last_login_at, Some(t0()));
    let (who, _) = app.authenticate(&ok.token).await.unwrap();
    assert_eq!(who.sid, owner.sid);
    let me = app.user(&as_user(&owner), &owner.sid).await.unwrap();
    assert_eq!(me.last_login_at, Some(t0()));
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_and_on_sign_out() {
    let (app, clock) = app(sqlite_store().await);
    sign_up(&app, "owner@example.com").await;
    let s = app.sign_in("owner@example.com", "correct horse battery", None, None).await.unwrap();
    clock.advance(Duration::hours(7));
    assert!(app.authenticate(&s.token).await.is_ok(), "activity within the idle window");
    // The activity is written by the recorder the server runs every second.
    assert_eq!(app.record_credential_uses().await.unwrap(), 1);
    clock.advance(Duration::hours(7));
    assert!(app.authenticate(&s.token).await.is_ok(), "the previous request refreshed the session");
    clock.advance(Duration::hours(9));
    assert_eq!(app.authenticate(&s.token).await.unwrap_err(), Error::Unauthenticated);
    let s2 = app.sign_in("owner@example.com", "correct horse battery", None, None).await.unwrap();
    app.sign_out(&Actor::user(s2.user.sid.clone(), None), &s2.token).await.unwrap();
    assert_eq!(app.authenticate(&s2.token).await.unwrap_err(), Error::Unauthenticated);
    assert_eq!(app.authenticate("not-a-token").await.unwrap_err(), Error::Unauthenticated);
}

#[tokio::test]
async fn the_setup_link_works_once_and_only_while_nobody_exists() {
    let (app, clock) = app(sqlite_store().await);
    let old = app.issue_setup_token().await.unwrap().unwrap();
    clock.advance(Duration::minutes(11));
    let other_node = app.issue_setup_token().await.unwrap().unwrap();
    let token = app.issue_setup_token().await.unwrap().unwrap();
    assert!(!app.setup_token_valid(&old).await.unwrap(), "a restart later replaces the old link");
    assert!(app.setup_token_valid(&token).await.unwrap());
    assert!(app.setup_token_valid(&other_node).await.unwrap(), "nodes started together each print a working link");
    let input = NewOrganization {
        organization_name: "Acme".into(),
        owner_email: "olivia@acme.com".into(),
        owner_name: "Olivia".into(),
        password: "correct horse battery".into(),
        account_name: "Production".into(),
    };
    let bad = app
        .complete_setup(
            &token,
            NewOrganization { owner_email: "nope".into(), password: "short".into(), ..input.clone() },
            None,
            None,
        )
        .await;
    let fields: Vec<_> = bad
        .unwrap_err()
        .into_iter()
        .filter_map(|e| match e {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        })
        .collect();
    assert_eq!(fields, vec!["email"], "password is checked once the email parses");
    let (created, signed_in) = app.complete_setup(&token, input.clone(), None, None).await.unwrap();
    assert_eq!(created.account.name, "Production");
    assert_eq!(signed_in.user.sid, created.user.sid);
    assert!(app.complete_setup(&token, input, None, None).await.is_err());
    assert_eq!(app.issue_setup_token().await.unwrap(), None);
    assert!(!app.setup_token_valid(&token).await.unwrap());
    assert!(!app.setup_token_valid(&other_node).await.unwrap(), "setup consumed every link");
}

#[tokio::test]
async fn only_the_operator_creates_organizations_directly() {
    let (app, _) = app(sqlite_store().await);
    let (u, _) = sign_up(&app, "u@example.com").await;
    let r = app
        .create_organization(
            &as_user(&u),
            NewOrganization {
                organization_name: "X".into(),
                owner_email: "x@x.com".into(),
                owner_name: "X".into(),
                password: "correct horse battery".into(),
                account_name: String::new(),
            },
        )
        .await;
    assert_eq!(r.unwrap_err(), vec![Error::Forbidden]);
}

#[tokio::test]
async fn role_assignments_and_users_are_readable_only_by_those_who_may_see_them() {
    use gatehouse_domain::membership::ScopeRef;
    let (app, _) = app(sqlite_store().await);
    let org = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&org.user);
    let (carl, _) = sign_up(&app, "carl@contractor.io").await;
    app.add_member(&o, &org.account.sid, member("carl@contractor.io", &[Developer, Support])).await.unwrap();

    let at_account =
        app.role_assignments(&o, &ScopeRef::Account(org.account.sid.clone()), &PageRequest::first(10)).await.unwrap();
    let mut roles: Vec<_> = at_account.items.iter().map(|a| (a.user_sid.clone(), a.role_sid.to_string())).collect();
    roles.sort();
    let mut want = vec![
        (org.user.sid.clone(), "IX00000000000000000000000000000101".to_string()),
        (carl.sid.clone(), "IX00000000000000000000000000000103".to_string()),
        (carl.sid.clone(), "IX00000000000000000000000000000105".to_string()),
    ];
    want.sort();
    assert_eq!(roles, want);
    let at_org = app
        .role_assignments(&o, &ScopeRef::Organization(org.organization.sid.clone()), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(at_org.items.len(), 1);
    assert_eq!(at_org.items[0].role_sid.as_str(), "IX00000000000000000000000000000201");

    let c = as_user(&carl);
    let r = app.role_assignments(&c, &ScopeRef::Account(org.account.sid.clone()), &PageRequest::first(10)).await;
    assert!(r.unwrap_err().is_forbidden(), "a Developer sees the account, not its users");
    let r =
        app.role_assignments(&c, &ScopeRef::Organization(org.organization.sid.clone()), &PageRequest::first(10)).await;
    assert_eq!(r.unwrap_err(), Error::NotFound);

    assert_eq!(app.user(&o, &org.user.sid).await.unwrap().email.as_str(), "olivia@acme.com");
    assert_eq!(
        app.user(&c, &org.user.sid).await.unwrap_err(),
        Error::NotFound,
        "a contractor cannot look up managed users"
    );
    assert_eq!(
        app.user(&o, &carl.sid).await.unwrap_err(),
        Error::NotFound,
        "independent users are not the organization's to look up"
    );
    assert_eq!(app.user(&c, &carl.sid).await.unwrap().sid, carl.sid, "everyone can see themselves");
}
