//! Offboarding: removing a managed user hands their accounts to heirs, revokes the keys the
//! admin chose, ends sessions and invitations, and tells the story in the audit log; deleting
//! also erases them. Runs on both engines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use gatehouse_app::{App, NewAccount, NewInvitation, OAuthAppInput, PasswordHasher};
use gatehouse_domain::Error;
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingPlan, OwnedAccountChoice};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::OrganizationSid;
use gatehouse_domain::store::Store;
use gatehouse_domain::user::{Email, User, UserStatus};
use support::*;

const PASSWORD: &str = "correct horse battery";

/// A managed user of `org` with an organization role and a password (as an accepted
/// organization invitation would leave them).
async fn managed(app: &App, org: &OrganizationSid, email: &str, role: OrgRole) -> User {
    let hash = PasswordHasher::new().hash(PASSWORD).await.unwrap();
    let mut tx = app.store().write().await.unwrap();
    let user = User {
        email_verified_at: Some(t0()),
        ..User::new(Email::parse(email).unwrap(), email.split('@').next().unwrap().into(), Some(org.clone()), t0())
    };
    tx.insert_user(&user, Some(&hash)).await.unwrap();
    let scope = ScopeRef::Organization(org.clone());
    tx.insert_assignment(&RoleAssignment::new(role.sid(), user.sid.clone(), scope, t0())).await.unwrap();
    tx.commit().await.unwrap();
    user
}

async fn owner_email(app: &App, account: &gatehouse_domain::sid::AccountSid) -> String {
    let view = app.account(&gatehouse_domain::policy::Actor::system(), account).await.unwrap();
    view.owner.unwrap().email.to_string()
}

async fn removing_a_user_hands_over_accounts_and_leaves_no_keys_behind(store: Arc<dyn Store>) {
    let (app, _clock) = app(store);
    let created = new_org(&app, "olivia@acme.com").await;
    let org = created.organization.sid.clone();
    let olivia = as_user(&created.user);
    let dana = managed(&app, &org, "dana@acme.com", OrgRole::Administrator).await;
    let hank = managed(&app, &org, "hank@acme.com", OrgRole::StandardUser).await;
    let d = as_user(&dana);

    // Dana owns two accounts (and a subaccount under the first) and created three keys.
    let new = |name: &str| NewAccount { name: name.into(), organization_sid: Some(org.clone()), parent_sid: None };
    let a1 = app.create_account(&d, new("Payments")).await.unwrap();
    let a2 = app.create_account(&d, new("Marketing")).await.unwrap();
    let sub = app
        .create_account(&d, NewAccount { name: "EU".into(), organization_sid: None, parent_sid: Some(a1.sid.clone()) })
        .await
        .unwrap();
    let k1 = app.create_api_key(&d, &a1.sid, "ci").await.unwrap();
    let k2 = app.create_api_key(&d, &a1.sid, "deploy").await.unwrap();
    let k3 = app.create_api_key(&d, &a2.sid, "reporting").await.unwrap();
    // …and an account OAuth app, whose secret leaves with her as the keys' do.
    let input = OAuthAppInput { name: Some("deployer".into()), ..OAuthAppInput::default() };
    let oq = app.create_account_oauth_app(&d, &a2.sid, &input).await.unwrap();
    app.issue_access_token(oq.app.sid.as_str(), &oq.secret).await.unwrap();
    app.invite(&d, &a1.sid, NewInvitation { email: "contractor@example.com".into(), roles: vec![AccountRole::Viewer] })
        .await
        .unwrap();
    let session = app.sign_in("dana@acme.com", PASSWORD, None, None).await.unwrap();

    // The preview lists all of it.
    let preview = app.offboarding_preview(&olivia, &org, &dana.sid).await.unwrap();
    let names = |v: &[gatehouse_domain::account::Account]| v.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&preview.owned_accounts), ["Payments", "Marketing"]);
    assert_eq!(names(&preview.following), ["EU"]);
    assert_eq!(preview.keys.len(), 3);
    assert_eq!(preview.sessions.len(), 1);
    assert_eq!(preview.invitations.len(), 1);
    assert!(preview.heirs.iter().any(|u| u.sid == hank.sid) && !preview.heirs.iter().any(|u| u.sid == dana.sid));

    // A plan that forgets an account, or names a stranger as heir, changes nothing.
    let mut plan = OffboardingPlan::default();
    plan.accounts.insert(a1.sid.clone(), OwnedAccountChoice::Heir(hank.sid.clone()));
    let refused = app.offboard(&olivia, &org, &dana.sid, OffboardingKind::Removed, &plan).await;
    assert!(matches!(refused, Err(Error::Invalid { field: "accounts", .. })), "{refused:?}");
    let (stranger, _) = sign_up(&app, "stranger@example.com").await;
    plan.accounts.insert(a2.sid.clone(), OwnedAccountChoice::Heir(stranger.sid.clone()));
    let refused = app.offboard(&olivia, &org, &dana.sid, OffboardingKind::Removed, &plan).await;
    assert!(matches!(refused, Err(Error::Invalid { field: "accounts", .. })), "{refused:?}");
    assert_eq!(owner_email(&app, &a1.sid).await, "dana@acme.com");
    // Only an admin of this organization, and not on themselves.
    assert!(
        app.offboarding_preview(&as_user(&hank), &org, &dana.sid).await.unwrap_err().is_forbidden(),
        "a Standard User has no Admin Center"
    );
    let other = new_org(&app, "boss@rival.com").await;
    assert_eq!(app.offboarding_preview(&as_user(&other.user), &org, &dana.sid).await.unwrap_err(), Error::NotFound);
    assert_eq!(
        app.offboarding_preview(&olivia, &other.organization.sid, &dana.sid).await.unwrap_err(),
        Error::NotFound
    );

    plan.accounts.insert(a2.sid.clone(), OwnedAccountChoice::Heir(hank.sid.clone()));
    plan.keep_keys.insert(k3.key.sid.clone());
    let report = app.offboard(&olivia, &org, &dana.sid, OffboardingKind::Removed, &plan).await.unwrap();

    // Heirs own the accounts (the subaccount followed its parent).
    for a in [&a1.sid, &a2.sid, &sub.sid] {
        assert_eq!(owner_email(&app, a).await, "hank@acme.com");
    }
    // The chosen keys fail, the kept one works.
    for k in [&k1, &k2] {
        let refused = app.authenticate_api_key(k.key.sid.as_str(), &k.secret, None).await;
        assert_eq!(refused.unwrap_err(), Error::Unauthenticated);
    }
    app.authenticate_api_key(k3.key.sid.as_str(), &k3.secret, None).await.unwrap();
    let refused = app.issue_access_token(oq.app.sid.as_str(), &oq.secret).await;
    assert_eq!(refused.unwrap_err(), Error::Unauthenticated, "her OAuth app is revoked too");
    // Sessions are gone; the login survives as an independent user without managed accounts.
    assert!(app.authenticate(&session.token).await.is_err());
    let after = app.sign_in("dana@acme.com", PASSWORD, None, None).await.unwrap();
    assert_eq!(after.user.organization_sid, None);
    assert!(app.my_accounts(&d, &PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(app.pending_invitations(&olivia, &a1.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    assert!(app.my_organizations(&d).await.unwrap().is_empty());

    // The report and the audit log tell the story.
    let credentials = report.details["keys"].as_array().unwrap();
    assert_eq!(credentials.len(), 4, "three keys and the app: {credentials:?}");
    assert!(credentials.iter().any(|c| c["kind"] == "oauth_app" && c["outcome"] == "revoked"));
    assert_eq!(report.details["sessions_ended"], 1);
    assert_eq!(report.details["invitations_revoked"].as_array().unwrap().len(), 1);
    assert_eq!(app.offboarding_report(&olivia, &org, &report.sid).await.unwrap(), report);
    let events = app.organization_audit(&olivia, &org, &PageRequest::first(100)).await.unwrap().items;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e.occurred_at >= report.created_at) {
        *counts.entry(e.action.as_str()).or_default() += 1;
    }
    assert_eq!(counts.get("account.owner_transferred"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("api_key.revoked"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("invitation.revoked"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("member.removed"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("user.removed_from_organization"), Some(&1), "{counts:?}");
    assert_eq!(events[0].action, "user.removed_from_organization");
    assert_eq!(events[0].details["report"], report.sid.as_str());
    // A second offboarding finds no managed user.
    let again = app.offboard(&olivia, &org, &dana.sid, OffboardingKind::Removed, &OffboardingPlan::default()).await;
    assert_eq!(again.unwrap_err(), Error::NotFound);
}

async fn deleting_erases_the_person_and_keeping_the_owner_lets_the_account_go(store: Arc<dyn Store>) {
    let (app, _clock) = app(store);
    let created = new_org(&app, "olivia@acme.com").await;
    let org = created.organization.sid.clone();
    let olivia = as_user(&created.user);
    let erin = managed(&app, &org, "erin@acme.com", OrgRole::StandardUser).await;
    let finn = managed(&app, &org, "finn@acme.com", OrgRole::StandardUser).await;
    let new = |name: &str| NewAccount { name: name.into(), organization_sid: Some(org.clone()), parent_sid: None };
    let kept = app.create_account(&as_user(&finn), new("Side project")).await.unwrap();
    let erins = app.create_account(&as_user(&erin), new("Erin's")).await.unwrap();

    // Removing Finn but keeping him as Owner: the account leaves the organization with him.
    let mut plan = OffboardingPlan::default();
    plan.accounts.insert(kept.sid.clone(), OwnedAccountChoice::KeepOwner);
    app.offboard(&olivia, &org, &finn.sid, OffboardingKind::Removed, &plan).await.unwrap();
    let view = app.account(&as_user(&finn), &kept.sid).await.unwrap();
    assert_eq!(view.account.organization_sid, None);
    assert_eq!(view.owner.unwrap().sid, finn.sid);
    assert_eq!(app.account(&olivia, &kept.sid).await.unwrap_err(), Error::NotFound, "out of the org's reach");

    // Deleting Erin: she cannot keep an account; with an heir, her data goes.
    let mut plan = OffboardingPlan::default();
    plan.accounts.insert(erins.sid.clone(), OwnedAccountChoice::KeepOwner);
    let refused = app.offboard(&olivia, &org, &erin.sid, OffboardingKind::Deleted, &plan).await;
    assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
    plan.accounts.insert(erins.sid.clone(), OwnedAccountChoice::Heir(created.user.sid.clone()));
    let report = app.offboard(&olivia, &org, &erin.sid, OffboardingKind::Deleted, &plan).await.unwrap();
    assert_eq!(report.details["user"], serde_json::json!({ "sid": erin.sid }));
    let gone = app.user(&gatehouse_domain::policy::Actor::system(), &erin.sid).await.unwrap();
    assert_eq!(gone.status, UserStatus::Deleted);
    assert_eq!(gone.name, "Deleted user");
    assert!(!gone.email.as_str().contains("erin"));
    assert!(app.sign_in("erin@acme.com", PASSWORD, None, None).await.is_err());
    // Her address is free again, and the audit log names her only by SID.
    sign_up(&app, "erin@acme.com").await;
    let events = app.organization_audit(&olivia, &org, &PageRequest::first(200)).await.unwrap().items;
    assert!(events.iter().any(|e| e.action == "user.deleted" && e.target == erin.sid.as_str()));
    assert!(
        events.iter().all(|e| !e.details.to_string().contains("erin@acme.com")),
        "the address survived in the audit log"
    );
}

#[tokio::test]
async fn removal_on_sqlite() {
    removing_a_user_hands_over_accounts_and_leaves_no_keys_behind(sqlite_store().await).await;
}

#[tokio::test]
async fn removal_on_postgres() {
    if let Some(store) = postgres_store().await {
        removing_a_user_hands_over_accounts_and_leaves_no_keys_behind(store).await;
    }
}

#[tokio::test]
async fn deletion_on_sqlite() {
    deleting_erases_the_person_and_keeping_the_owner_lets_the_account_go(sqlite_store().await).await;
}

#[tokio::test]
async fn deletion_on_postgres() {
    if let Some(store) = postgres_store().await {
        deleting_erases_the_person_and_keeping_the_owner_lets_the_account_go(store).await;
    }
}
