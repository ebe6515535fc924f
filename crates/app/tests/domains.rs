//! Domains (add, verify against a resolver, one organization per verified name, re-check) and
//! the organization invitations they allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_app::{DnsError, DnsResolver};
use gatehouse_domain::Error;
use gatehouse_domain::domains::DomainStatus;
use support::*;

#[derive(Default)]
struct Zone(Mutex<HashMap<String, Vec<String>>>);

#[async_trait]
impl DnsResolver for Zone {
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        self.0.lock().unwrap().get(name).cloned().ok_or(DnsError::NotFound)
    }
}

#[tokio::test]
async fn a_domain_is_verified_by_its_record_once_and_rechecked() {
    let zone = Arc::new(Zone::default());
    let (app, clock) = app(sqlite_store().await);
    let app = app.with_dns(zone.clone());
    let acme = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&acme.user);
    let org = &acme.organization.sid;
    assert!(matches!(app.add_domain(&o, org, "not a domain").await, Err(Error::Invalid { field: "name", .. })));
    let d = app.add_domain(&o, org, "Acme.com").await.unwrap();
    assert_eq!((d.name.as_str(), d.status), ("acme.com", DomainStatus::Pending));
    assert!(matches!(app.add_domain(&o, org, "acme.com").await, Err(Error::Conflict(_))), "once per organization");

    let failed = app.verify_domain(&o, org, &d.sid).await.unwrap();
    assert_eq!(failed.status, DomainStatus::Failed);
    assert!(failed.last_error.unwrap().contains("no TXT record found at _gatehouse-challenge.acme.com"));
    zone.0.lock().unwrap().insert(d.record_name(), vec!["gatehouse-verification=wrong".into()]);
    assert!(app.verify_domain(&o, org, &d.sid).await.unwrap().last_error.unwrap().contains("none is"));
    zone.0.lock().unwrap().insert(d.record_name(), vec!["v=spf1 -all".into(), d.record_value()]);
    let verified = app.verify_domain(&o, org, &d.sid).await.unwrap();
    assert_eq!(verified.status, DomainStatus::Verified);

    // Another organization can claim it but never verify it, even with its own record.
    let rival = new_org(&app, "rick@rival.com").await;
    let r = as_user(&rival.user);
    assert!(
        matches!(app.add_domain(&r, &rival.organization.sid, "acme.com").await, Err(Error::Conflict(m)) if m.contains("Another organization"))
    );
    assert_eq!(app.domains(&r, org).await.unwrap_err(), Error::NotFound, "tenancy");

    // The record disappears: the next re-check warns.
    clock.advance(Duration::hours(1));
    assert_eq!(app.recheck_domains().await.unwrap(), 0, "not due yet");
    zone.0.lock().unwrap().clear();
    clock.advance(Duration::hours(6));
    assert_eq!(app.recheck_domains().await.unwrap(), 1);
    let now = app.domains(&o, org).await.unwrap().remove(0);
    assert_eq!(now.status, DomainStatus::Failed);
    assert!(now.last_error.unwrap().contains("The TXT record disappeared"));
    app.remove_domain(&o, org, &d.sid).await.unwrap();
    assert!(app.domains(&o, org).await.unwrap().is_empty());
}

#[derive(Default)]
struct Inbox(Mutex<Vec<gatehouse_domain::security::OutboxEmail>>);

#[async_trait]
impl gatehouse_app::Mailer for Inbox {
    async fn send(&self, email: &gatehouse_domain::security::OutboxEmail) -> Result<(), gatehouse_app::MailError> {
        self.0.lock().unwrap().push(email.clone());
        Ok(())
    }
}

impl Inbox {
    async fn token(&self, app: &gatehouse_app::App, to: &str) -> String {
        app.deliver_due_emails(self, 50).await.unwrap();
        let mails = self.0.lock().unwrap();
        let mail = mails.iter().rev().find(|m| m.recipient.as_str() == to && m.kind == "org_invitation").unwrap();
        mail.body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned()
    }
}

#[tokio::test]
async fn organization_invitations_need_a_verified_domain_and_make_managed_users() {
    let zone = Arc::new(Zone::default());
    let inbox = Inbox::default();
    let (app, _) = app(sqlite_store().await);
    let app = app.with_dns(zone.clone());
    let acme = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&acme.user);
    let org = &acme.organization.sid;
    let refused = app.invite_to_organization(&o, org, "dana@acme.com", "standard_user").await;
    assert!(
        matches!(refused, Err(Error::Precondition(m)) if m.contains("not a verified domain") && m.contains("specific accounts"))
    );
    let d = app.add_domain(&o, org, "acme.com").await.unwrap();
    zone.0.lock().unwrap().insert(d.record_name(), vec![d.record_value()]);
    app.verify_domain(&o, org, &d.sid).await.unwrap();
    assert!(matches!(
        app.invite_to_organization(&o, org, "dana@acme.com", "owner").await,
        Err(Error::Invalid { field: "role", .. })
    ));

    // A new person becomes a managed Standard User.
    app.invite_to_organization(&o, org, "dana@acme.com", "standard_user").await.unwrap();
    assert_eq!(
        app.pending_org_invitations(&o, org, &gatehouse_domain::page::PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let token = inbox.token(&app, "dana@acme.com").await;
    let input = gatehouse_app::NewInvitee { name: "Dana".into(), password: "another good passphrase".into() };
    let (signed_in, joined) = app.accept_org_invitation_as_new(&token, input, None, None).await.unwrap();
    assert_eq!(&joined, org);
    assert_eq!(signed_in.user.organization_sid.as_ref(), Some(org), "managed");
    let orgs = app.my_organizations(&as_user(&signed_in.user)).await.unwrap();
    assert_eq!(orgs[0].1, gatehouse_domain::role::OrgRole::StandardUser);
    assert!(matches!(
        app.invite_to_organization(&o, org, "dana@acme.com", "administrator").await,
        Err(Error::Conflict(_))
    ));

    // An independent login consents by accepting while signed in; nobody else can.
    let (sam, _) = sign_up(&app, "sam@acme.com").await;
    assert!(sam.organization_sid.is_none());
    app.invite_to_organization(&o, org, "sam@acme.com", "administrator").await.unwrap();
    let token = inbox.token(&app, "sam@acme.com").await;
    assert!(app.org_invitation_by_token(&token).await.unwrap().login_exists);
    let (eve, _) = sign_up(&app, "eve@acme.com").await;
    assert!(
        matches!(app.accept_org_invitation(&as_user(&eve), &token).await, Err(Error::Precondition(m)) if m.contains("signed in as eve@acme.com"))
    );
    app.accept_org_invitation(&as_user(&sam), &token).await.unwrap();
    let sam_now = app.user(&o, &sam.sid).await.unwrap();
    assert_eq!(sam_now.organization_sid.as_ref(), Some(org));

    // Someone managed by another organization cannot be invited.
    let rival = new_org(&app, "rick@rival.com").await;
    let refused = app.invite_to_organization(&o, org, "rick@rival.com", "standard_user").await;
    assert!(matches!(refused, Err(Error::Precondition(_))), "rival.com is not ours");

    // Resend replaces the link; revoke stops it.
    let inv = app.invite_to_organization(&o, org, "zoe@acme.com", "standard_user").await.unwrap();
    let first = inbox.token(&app, "zoe@acme.com").await;
    app.resend_org_invitation(&o, org, &inv.sid).await.unwrap();
    assert!(app.org_invitation_by_token(&first).await.is_err());
    app.revoke_org_invitation(&o, org, &inv.sid).await.unwrap();
    let second = inbox.token(&app, "zoe@acme.com").await;
    let input = gatehouse_app::NewInvitee { name: "Zoe".into(), password: "another good passphrase".into() };
    assert!(
        matches!(app.accept_org_invitation_as_new(&second, input, None, None).await, Err(Error::Precondition(m)) if m.contains("withdrawn"))
    );
    // Tenancy: another organization's admin sees nothing.
    assert_eq!(
        app.pending_org_invitations(&as_user(&rival.user), org, &gatehouse_domain::page::PageRequest::first(5))
            .await
            .unwrap_err(),
        Error::NotFound
    );
}
