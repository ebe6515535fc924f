//! The Admin Center's accounts and user page: import by SID (the Owner confirms), access to an
//! independent account (pending, accepted, relinquished), removal from the organization,
//! expiry, and the user page's name, role and forced reset. Runs on both engines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use chrono::Duration;
use gatehouse_app::{App, NewAccount};
use gatehouse_domain::Error;
use gatehouse_domain::domains::{Domain, DomainStatus};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::{DomainSid, OrganizationSid};
use gatehouse_domain::store::Store;
use support::*;

async fn verified_domain(app: &App, org: &OrganizationSid, name: &str) {
    let mut tx = app.store().write().await.unwrap();
    tx.insert_domain(&Domain {
        sid: DomainSid::generate(),
        organization_sid: org.clone(),
        name: name.into(),
        token: "t".into(),
        status: DomainStatus::Verified,
        verified_at: Some(t0()),
        checked_at: Some(t0()),
        last_error: None,
        created_at: t0(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn import_access_and_removal(store: Arc<dyn Store>) {
    let (app, clock) = app(store);
    let created = new_org(&app, "olivia@acme.com").await;
    let org = created.organization.sid.clone();
    let olivia = as_user(&created.user);
    verified_domain(&app, &org, "acme.com").await;
    let (ivan, ivans) = sign_up(&app, "ivan@acme.com").await;
    let (carla, carlas) = sign_up(&app, "carla@contractor.example").await;
    let page = PageRequest::first(10);

    // Import: only for Owners in a verified domain; pending until the Owner answers.
    let refused = app.request_account_import(&olivia, &org, &carlas.sid).await.unwrap_err();
    assert!(matches!(refused, Error::Precondition(ref m) if m.contains("contractor.example")), "{refused:?}");
    let request = app.request_account_import(&olivia, &org, &ivans.sid).await.unwrap();
    assert_eq!(request.expires_at, t0() + Duration::days(7), "the organization's invitation lifetime");
    let again = app.request_account_import(&olivia, &org, &ivans.sid).await.unwrap_err();
    assert!(matches!(again, Error::Conflict(_)), "{again:?}");
    let pending = app.pending_account_requests(&olivia, &org, &page).await.unwrap().items;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].owner.as_ref().unwrap().sid, ivan.sid);
    assert_eq!(
        app.account_request_for_owner(&olivia, &ivans.sid).await.unwrap_err(),
        Error::NotFound,
        "not a member: the account does not exist for her"
    );
    assert_eq!(app.answer_account_request(&olivia, &ivans.sid, true).await.unwrap_err(), Error::NotFound);
    assert!(app.account_request_for_owner(&as_user(&ivan), &ivans.sid).await.unwrap().is_some());
    app.answer_account_request(&as_user(&ivan), &ivans.sid, true).await.unwrap();
    let managed = app.organization_accounts(&olivia, &org, &page).await.unwrap().items;
    assert!(managed.iter().any(|a| a.sid == ivans.sid), "imported accounts are managed");
    assert_eq!(app.user(&olivia, &ivan.sid).await.unwrap().organization_sid, Some(org.clone()), "Owner is managed");
    assert!(app.pending_account_requests(&olivia, &org, &page).await.unwrap().items.is_empty());
    assert_eq!(
        app.answer_account_request(&as_user(&ivan), &ivans.sid, true).await.unwrap_err(),
        Error::NotFound,
        "answered once"
    );

    // Access: Carla declines once; a second request expires; a third is accepted.
    app.request_account_access(&olivia, &org, &carlas.sid).await.unwrap();
    app.answer_account_request(&as_user(&carla), &carlas.sid, false).await.unwrap();
    assert!(app.independent_accounts(&olivia, &org, &page).await.unwrap().items.is_empty());
    app.request_account_access(&olivia, &org, &carlas.sid).await.unwrap();
    clock.advance(Duration::days(8));
    let late = app.answer_account_request(&as_user(&carla), &carlas.sid, true).await.unwrap_err();
    assert!(matches!(late, Error::Precondition(ref m) if m.contains("expired")), "{late:?}");
    let stale = app.pending_account_requests(&olivia, &org, &page).await.unwrap().items;
    app.cancel_account_request(&olivia, &org, &stale[0].request.sid).await.unwrap();
    app.request_account_access(&olivia, &org, &carlas.sid).await.unwrap();
    app.answer_account_request(&as_user(&carla), &carlas.sid, true).await.unwrap();
    assert_eq!(app.independent_accounts(&olivia, &org, &page).await.unwrap().items.len(), 1);
    let members = app.account_members(&olivia, &carlas.sid, &page).await.unwrap().items;
    assert!(members.iter().any(|m| m.user.sid == created.user.sid && m.roles == [AccountRole::Administrator]));
    // The user page shows roles on independent accounts too.
    let view = app.org_user(&olivia, &org, &created.user.sid).await.unwrap();
    assert!(view.accounts.iter().any(|(a, r)| a.sid == carlas.sid && r == &[AccountRole::Administrator]));
    app.relinquish_account_access(&olivia, &org, &carlas.sid).await.unwrap();
    assert!(app.independent_accounts(&olivia, &org, &page).await.unwrap().items.is_empty());
    assert_eq!(app.account(&olivia, &carlas.sid).await.unwrap_err(), Error::NotFound, "access is gone");
    assert_eq!(app.account(&as_user(&carla), &carlas.sid).await.unwrap().owner.unwrap().sid, carla.sid);

    // Remove from the organization: the account becomes Ivan's independent account.
    app.remove_account_from_organization(&olivia, &org, &ivans.sid).await.unwrap();
    assert_eq!(app.account(&olivia, &ivans.sid).await.unwrap_err(), Error::NotFound);
    assert_eq!(app.account(&as_user(&ivan), &ivans.sid).await.unwrap().account.organization_sid, None);

    // Another organization's admin sees none of it.
    let rival = new_org(&app, "boss@rival.com").await;
    let r = as_user(&rival.user);
    assert_eq!(app.request_account_import(&r, &org, &ivans.sid).await.unwrap_err(), Error::NotFound);
    assert_eq!(
        app.remove_account_from_organization(&r, &rival.organization.sid, &created.account.sid).await.unwrap_err(),
        Error::NotFound
    );
}

async fn the_user_page_renames_changes_roles_and_forces_a_reset(store: Arc<dyn Store>) {
    let (app, _clock) = app(store);
    let created = new_org(&app, "olivia@acme.com").await;
    let org = created.organization.sid.clone();
    let olivia = as_user(&created.user);
    // A managed Standard User who creates an account in the organization (no Admin Center).
    let (sam, _) = sign_up(&app, "sam@acme.com").await;
    {
        let mut tx = app.store().write().await.unwrap();
        tx.set_user_organization(&sam.sid, Some(&org), t0()).await.unwrap();
        let scope = gatehouse_domain::membership::ScopeRef::Organization(org.clone());
        tx.insert_assignment(&gatehouse_domain::membership::RoleAssignment::new(
            OrgRole::StandardUser.sid(),
            sam.sid.clone(),
            scope,
            t0(),
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let s = as_user(&sam);
    let made = app
        .create_account(&s, NewAccount { name: "Sam's".into(), organization_sid: Some(org.clone()), parent_sid: None })
        .await
        .unwrap();
    assert_eq!(made.organization_sid, Some(org.clone()));
    assert!(app.organization(&s, &org).await.unwrap_err().is_forbidden(), "no Admin Center");

    app.rename_org_user(&olivia, &org, &sam.sid, "Samantha").await.unwrap();
    app.set_org_role(&olivia, &org, &sam.sid, OrgRole::Administrator).await.unwrap();
    let view = app.org_user(&olivia, &org, &sam.sid).await.unwrap();
    assert_eq!((view.user.name.as_str(), view.org_role), ("Samantha", Some(OrgRole::Administrator)));
    assert_eq!(view.accounts.len(), 1);
    assert!(matches!(
        app.set_org_role(&olivia, &org, &olivia.user_sid().unwrap().clone(), OrgRole::StandardUser).await,
        Err(Error::Precondition(_))
    ));
    assert!(matches!(app.set_org_role(&olivia, &org, &sam.sid, OrgRole::Owner).await, Err(Error::Invalid { .. })));

    // An admin adds Sam (and herself) to accounts of the organization, and nothing else.
    let added = app
        .add_user_to_account(&olivia, &org, &sam.sid, &created.account.sid, &[AccountRole::Developer])
        .await
        .unwrap();
    assert_eq!(added.roles, [AccountRole::Developer]);
    app.add_user_to_account(&olivia, &org, olivia.user_sid().unwrap(), &made.sid, &[AccountRole::Administrator])
        .await
        .unwrap();
    let again = app.add_user_to_account(&olivia, &org, &sam.sid, &created.account.sid, &[AccountRole::Viewer]).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    let (stranger, strangers) = sign_up(&app, "stranger@example.com").await;
    let nope = app.add_user_to_account(&olivia, &org, &stranger.sid, &made.sid, &[AccountRole::Viewer]).await;
    assert_eq!(nope.unwrap_err(), Error::NotFound, "not a user of the organization");
    let nope = app.add_user_to_account(&olivia, &org, &sam.sid, &strangers.sid, &[AccountRole::Viewer]).await;
    assert_eq!(nope.unwrap_err(), Error::NotFound, "not an account of the organization");
    let session = app.sign_in("sam@acme.com", "correct horse battery", None, None).await.unwrap();
    app.force_password_reset(&olivia, &org, &sam.sid).await.unwrap();
    assert!(app.authenticate(&session.token).await.is_err(), "sessions end");
    assert!(app.sign_in("sam@acme.com", "correct horse battery", None, None).await.is_err(), "old password fails");

    // Independent users are not the organization's to rename; strangers are not found.
    let (x, _) = sign_up(&app, "x@example.com").await;
    assert_eq!(app.rename_org_user(&olivia, &org, &x.sid, "X").await.unwrap_err(), Error::NotFound);
    assert_eq!(app.org_user(&olivia, &org, &x.sid).await.unwrap_err(), Error::NotFound);
}

#[tokio::test]
async fn accounts_on_sqlite() {
    import_access_and_removal(sqlite_store().await).await;
}

#[tokio::test]
async fn accounts_on_postgres() {
    if let Some(store) = postgres_store().await {
        import_access_and_removal(store).await;
    }
}

#[tokio::test]
async fn user_page_on_sqlite() {
    the_user_page_renames_changes_roles_and_forces_a_reset(sqlite_store().await).await;
}

#[tokio::test]
async fn user_page_on_postgres() {
    if let Some(store) = postgres_store().await {
        the_user_page_renames_changes_roles_and_forces_a_reset(store).await;
    }
}
