//! Invitations: invite, resend, revoke, expiry, and acceptance by a new person, by the invited
//! signed-in user, and refusal for anyone else; with a capturing mailer and a fixed clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_app::{App, MailError, Mailer, NewInvitation, NewInvitee};
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::security::OutboxEmail;
use support::*;

#[derive(Default)]
struct Inbox(Mutex<Vec<OutboxEmail>>);

#[async_trait]
impl Mailer for Inbox {
    async fn send(&self, email: &OutboxEmail) -> Result<(), MailError> {
        self.0.lock().unwrap().push(email.clone());
        Ok(())
    }
}

impl Inbox {
    /// The token of the newest invitation link sent to `to`.
    async fn token(&self, app: &App, to: &str) -> String {
        app.deliver_due_emails(self, 50).await.unwrap();
        let mails = self.0.lock().unwrap();
        let mail = mails.iter().rev().find(|m| m.recipient.as_str() == to && m.kind == "invitation").unwrap();
        mail.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned()
    }
}

fn invitee() -> NewInvitee {
    NewInvitee { name: "Dana Dev".into(), password: "another good passphrase".into() }
}

#[tokio::test]
async fn a_new_person_accepts_and_becomes_a_member_with_the_invited_roles() {
    let (app, _) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let (owner, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&owner);
    let roles = vec![AccountRole::Developer, AccountRole::Viewer];
    let inv = app.invite(&o, &account.sid, NewInvitation { email: "Dana@Example.com".into(), roles }).await.unwrap();
    assert_eq!(inv.email.as_str(), "dana@example.com");
    let pending = app.pending_invitations(&o, &account.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(pending.items.len(), 1);
    let token = inbox.token(&app, "dana@example.com").await;
    let mail = inbox.0.lock().unwrap().last().unwrap().clone();
    assert!(mail.subject.contains(&account.name) && mail.body.contains("Developer, Viewer"), "{mail:?}");
    assert_eq!(mail.account_sid.as_ref(), Some(&account.sid), "readable on the account's outbox page");

    let view = app.invitation_by_token(&token).await.unwrap();
    assert!(!view.login_exists);
    assert_eq!(view.inviter_name.as_deref(), Some("olivia"));
    let weak =
        app.accept_invitation_as_new(&token, NewInvitee { password: "password".into(), ..invitee() }, None, None).await;
    assert!(matches!(weak, Err(Error::Invalid { field: "password", .. })));
    let (signed_in, joined) = app.accept_invitation_as_new(&token, invitee(), None, None).await.unwrap();
    assert_eq!(joined, account.sid);
    assert!(signed_in.user.email_verified(), "the link proved the address");
    let members = app.account_members(&o, &account.sid, &PageRequest::first(10)).await.unwrap();
    let dana = members.items.iter().find(|m| m.user.email.as_str() == "dana@example.com").unwrap();
    assert_eq!(dana.roles, vec![AccountRole::Developer, AccountRole::Viewer]);
    assert!(app.pending_invitations(&o, &account.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    let again = app.accept_invitation_as_new(&token, invitee(), None, None).await;
    assert!(matches!(again, Err(Error::Precondition(m)) if m.contains("already accepted")));
}

#[tokio::test]
async fn resending_replaces_the_link_and_revoking_or_expiry_stops_it() {
    let (app, clock) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let (owner, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&owner);
    let invite = |email: &str| NewInvitation { email: email.into(), roles: vec![AccountRole::Support] };
    let inv = app.invite(&o, &account.sid, invite("dana@example.com")).await.unwrap();
    let first = inbox.token(&app, "dana@example.com").await;
    app.resend_invitation(&o, &account.sid, &inv.sid).await.unwrap();
    let second = inbox.token(&app, "dana@example.com").await;
    assert_ne!(first, second);
    assert!(app.invitation_by_token(&first).await.is_err(), "the old link stops working");
    // Inviting the same address again updates the pending invitation instead of a second one.
    let again = NewInvitation { email: "dana@example.com".into(), roles: vec![AccountRole::Administrator] };
    let renewed = app.invite(&o, &account.sid, again).await.unwrap();
    assert_eq!((renewed.sid.clone(), renewed.roles.clone()), (inv.sid.clone(), vec![AccountRole::Administrator]));
    let third = inbox.token(&app, "dana@example.com").await;

    clock.advance(Duration::days(7) + Duration::seconds(1));
    let expired = app.accept_invitation_as_new(&third, invitee(), None, None).await;
    assert!(matches!(expired, Err(Error::Precondition(m)) if m.contains("expired")));
    app.resend_invitation(&o, &account.sid, &inv.sid).await.unwrap();
    let fourth = inbox.token(&app, "dana@example.com").await;
    app.revoke_invitation(&o, &account.sid, &inv.sid).await.unwrap();
    let revoked = app.accept_invitation_as_new(&fourth, invitee(), None, None).await;
    assert!(matches!(revoked, Err(Error::Precondition(m)) if m.contains("withdrawn")));
    assert!(matches!(app.resend_invitation(&o, &account.sid, &inv.sid).await, Err(Error::Precondition(_))));
}

#[tokio::test]
async fn an_existing_user_accepts_signed_in_and_nobody_else_can() {
    let (app, _) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let (owner, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&owner);
    let (dana, _) = sign_up(&app, "dana@example.com").await;
    let (mallory, _) = sign_up(&app, "mallory@example.com").await;
    let roles = vec![AccountRole::Viewer];
    app.invite(&o, &account.sid, NewInvitation { email: "dana@example.com".into(), roles }).await.unwrap();
    let token = inbox.token(&app, "dana@example.com").await;
    assert!(app.invitation_by_token(&token).await.unwrap().login_exists);
    let as_new = app.accept_invitation_as_new(&token, invitee(), None, None).await;
    assert!(matches!(as_new, Err(Error::Precondition(m)) if m.contains("sign in to accept")));
    let wrong = app.accept_invitation(&as_user(&mallory), &token).await;
    assert!(matches!(wrong, Err(Error::Precondition(m)) if m.contains("signed in as mallory@example.com")));
    assert_eq!(app.accept_invitation(&as_user(&dana), &token).await.unwrap(), account.sid);

    // A second invitation to a member updates their roles instead of adding a duplicate.
    let roles = vec![AccountRole::Developer, AccountRole::BillingManager];
    app.invite(&o, &account.sid, NewInvitation { email: "dana@example.com".into(), roles }).await.unwrap();
    let token = inbox.token(&app, "dana@example.com").await;
    app.accept_invitation(&as_user(&dana), &token).await.unwrap();
    let members = app.account_members(&o, &account.sid, &PageRequest::first(10)).await.unwrap();
    let d = members.items.iter().find(|m| m.user.sid == dana.sid).unwrap();
    assert_eq!(d.roles, vec![AccountRole::Developer, AccountRole::BillingManager]);
}

#[tokio::test]
async fn only_owners_and_administrators_invite_and_never_as_owner() {
    let (app, _) = app(sqlite_store().await);
    let (owner, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&owner);
    let (dev, _) = sign_up(&app, "dev@example.com").await;
    app.add_member(
        &o,
        &account.sid,
        gatehouse_app::NewMember { email: "dev@example.com".into(), roles: vec![AccountRole::Developer] },
    )
    .await
    .unwrap();
    let invite = NewInvitation { email: "x@example.com".into(), roles: vec![AccountRole::Viewer] };
    assert!(app.invite(&as_user(&dev), &account.sid, invite.clone()).await.unwrap_err().is_forbidden());
    let (outsider, _) = sign_up(&app, "out@example.com").await;
    assert_eq!(app.invite(&as_user(&outsider), &account.sid, invite.clone()).await.unwrap_err(), Error::NotFound);
    let as_owner = NewInvitation { roles: vec![AccountRole::Owner], ..invite.clone() };
    assert!(matches!(app.invite(&o, &account.sid, as_owner).await, Err(Error::Invalid { field: "roles", .. })));
    let bad = NewInvitation { email: "not an email".into(), ..invite };
    assert!(matches!(app.invite(&o, &account.sid, bad).await, Err(Error::Invalid { field: "email", .. })));
}

#[tokio::test]
async fn an_organizations_invitation_lifetime_applies_to_its_accounts() {
    let (app, clock) = app(sqlite_store().await);
    let acme = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&acme.user);
    let org = &acme.organization.sid;
    assert!(matches!(
        app.update_organization(&o, org, "Acme", "0").await,
        Err(Error::Invalid { field: "invitation_lifetime_days", .. })
    ));
    assert!(matches!(app.update_organization(&o, org, " ", "2").await, Err(Error::Invalid { field: "name", .. })));
    let updated = app.update_organization(&o, org, "Acme Corp", "2").await.unwrap();
    assert_eq!((updated.name.as_str(), updated.invitation_lifetime_days), ("Acme Corp", 2));
    assert_eq!(app.organization(&o, org).await.unwrap().invitation_lifetime_days, 2, "stored");
    let inv = app
        .invite(
            &o,
            &acme.account.sid,
            NewInvitation { email: "dana@example.com".into(), roles: vec![AccountRole::Viewer] },
        )
        .await
        .unwrap();
    assert_eq!(inv.expires_at, clock.now_for_tests() + Duration::days(2));
    let (outsider, _) = sign_up(&app, "x@example.com").await;
    assert_eq!(app.update_organization(&as_user(&outsider), org, "Mine", "3").await.unwrap_err(), Error::NotFound);
}
