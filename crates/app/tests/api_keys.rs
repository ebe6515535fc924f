//! API keys: created with a secret shown once, listed with creator and last use, renamed,
//! revoked; they authenticate with the account's scope, and never after revocation or while
//! the account is suspended.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Duration;
use gatehouse_app::NewMember;
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::ActorKind;
use gatehouse_domain::role::AccountRole;
use support::*;

#[tokio::test]
async fn a_key_authenticates_until_it_is_revoked() {
    let (app, clock) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&olivia);
    let created = app.create_api_key(&o, &account.sid, "CI").await.unwrap();
    assert_eq!(created.secret.len(), 32);
    assert!(created.secret.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(created.key.secret_hash, created.secret, "only a hash is kept");

    let actor = app.authenticate_api_key(created.key.sid.as_str(), &created.secret, None).await.unwrap();
    let permissions = gatehouse_domain::api_key::api_key_permissions();
    assert_eq!(
        actor.kind,
        ActorKind::ApiKey { key: created.key.sid.clone(), account: account.sid.clone(), permissions }
    );
    // The key reads its account, but manages nothing.
    assert_eq!(app.account(&actor, &account.sid).await.unwrap().account.sid, account.sid);
    assert!(app.create_api_key(&actor, &account.sid, "Escalate").await.unwrap_err().is_forbidden());
    let (_, other) = sign_up(&app, "x@example.com").await;
    assert_eq!(app.account(&actor, &other.sid).await.unwrap_err(), Error::NotFound);

    for (sid, secret) in [
        (created.key.sid.as_str(), "wrong-secret-wrong-secret-wrong!"),
        ("SK00000000000000000000000000000000", created.secret.as_str()),
        ("not a sid", created.secret.as_str()),
    ] {
        assert_eq!(app.authenticate_api_key(sid, secret, None).await.unwrap_err(), Error::Unauthenticated);
    }

    // The use is written off the request path, once, by the recorder the server runs.
    let listed = app.api_keys(&o, &account.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items[0].key.last_used_at, None, "not written by the request itself");
    assert_eq!(app.record_credential_uses().await.unwrap(), 1);
    assert_eq!(app.record_credential_uses().await.unwrap(), 0, "written once");
    let listed = app.api_keys(&o, &account.sid, &PageRequest::first(10)).await.unwrap();
    let view = &listed.items[0];
    assert_eq!(view.created_by.as_ref().map(|u| u.sid.clone()), Some(olivia.sid.clone()));
    assert_eq!(view.key.last_used_at, Some(clock.now_for_tests()));

    app.rename_api_key(&o, &account.sid, &created.key.sid, "CI runner").await.unwrap();
    clock.advance(Duration::minutes(2));
    app.suspend_account(&o, &account.sid).await.unwrap();
    let suspended = app.authenticate_api_key(created.key.sid.as_str(), &created.secret, None).await;
    assert!(matches!(suspended, Err(Error::Precondition(m)) if m.contains("suspended")));
    app.reactivate_account(&o, &account.sid).await.unwrap();
    app.revoke_api_key(&o, &account.sid, &created.key.sid).await.unwrap();
    assert_eq!(
        app.authenticate_api_key(created.key.sid.as_str(), &created.secret, None).await.unwrap_err(),
        Error::Unauthenticated
    );
    assert!(app.api_keys(&o, &account.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    let audit = app.account_audit(&o, &account.sid, &PageRequest::first(50)).await.unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    for a in ["api_key.created", "api_key.renamed", "api_key.revoked"] {
        assert!(actions.contains(&a), "{a}");
    }
}

#[tokio::test]
async fn developers_manage_keys_viewers_and_billing_managers_do_not() {
    let (app, _) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&olivia);
    let mut people = Vec::new();
    for (email, role) in [
        ("dev@example.com", AccountRole::Developer),
        ("viewer@example.com", AccountRole::Viewer),
        ("billing@example.com", AccountRole::BillingManager),
    ] {
        let (u, _) = sign_up(&app, email).await;
        app.add_member(&o, &account.sid, NewMember { email: email.into(), roles: vec![role] }).await.unwrap();
        people.push(as_user(&u));
    }
    let key = app.create_api_key(&people[0], &account.sid, "Dev key").await.unwrap();
    for outsider in &people[1..] {
        assert!(app.create_api_key(outsider, &account.sid, "No").await.unwrap_err().is_forbidden());
        assert!(app.revoke_api_key(outsider, &account.sid, &key.key.sid).await.unwrap_err().is_forbidden());
        assert!(app.api_keys(outsider, &account.sid, &PageRequest::first(5)).await.unwrap_err().is_forbidden());
    }
    assert!(matches!(app.create_api_key(&o, &account.sid, " ").await, Err(Error::Invalid { field: "name", .. })));
}

/// A restricted key holds only what it was made with, some of the key permissions; nobody makes
/// one holding what they lack themselves, and the refusal names it.
#[tokio::test]
async fn a_restricted_key_holds_only_its_permissions() {
    use gatehouse_domain::api_key::parse_key_permissions;
    let (app, _) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&olivia);
    let only = parse_key_permissions(["logs.read", "access.check"]).unwrap();
    let created = app.create_restricted_api_key(&o, &account.sid, "Checker", Some(only)).await.unwrap();
    assert_eq!(created.key.restricted_to, Some(only));
    let actor = app.authenticate_api_key(created.key.sid.as_str(), &created.secret, None).await.unwrap();
    assert!(app.account(&actor, &account.sid).await.unwrap_err().is_forbidden(), "no account.read");
    for bad in [vec!["logs.read", "users.manage"], vec!["nonsense"], vec![]] {
        let refused = parse_key_permissions(bad.iter().copied());
        assert!(matches!(refused, Err(Error::Invalid { field: "permissions", .. })), "{bad:?}: {refused:?}");
    }
    // A Developer holds no access.check: their key may not either.
    let (dan, _) = sign_up(&app, "dan@example.com").await;
    let mut tx = app.store().write().await.unwrap();
    let scope = gatehouse_domain::membership::ScopeRef::Account(account.sid.clone());
    let assignment = gatehouse_domain::membership::RoleAssignment::new(
        gatehouse_domain::role::AccountRole::Developer.sid(),
        dan.sid.clone(),
        scope,
        support::t0(),
    );
    tx.insert_assignment(&assignment).await.unwrap();
    tx.commit().await.unwrap();
    let refused = app.create_restricted_api_key(&as_user(&dan), &account.sid, "Mine", Some(only)).await.unwrap_err();
    assert!(refused.to_string().contains("access.check"), "{refused}");
    let logs = parse_key_permissions(["logs.read"]).unwrap();
    app.create_restricted_api_key(&as_user(&dan), &account.sid, "Logs", Some(logs)).await.unwrap();
}
