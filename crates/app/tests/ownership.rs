//! Self-serve ownership transfer: nominate, accept or decline, cancel, expiry; emails to both.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_app::{App, MailError, Mailer, NewMember};
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::security::OutboxEmail;
use gatehouse_domain::sid::AccountSid;
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

async fn roles(
    app: &App,
    owner: &gatehouse_domain::policy::Actor,
    account: &AccountSid,
) -> Vec<(String, Vec<AccountRole>)> {
    let members = app.account_members(owner, account, &PageRequest::first(10)).await.unwrap();
    members.items.into_iter().map(|m| (m.user.email.to_string(), m.roles)).collect()
}

#[tokio::test]
async fn the_nominee_accepts_and_the_old_owner_becomes_administrator() {
    let (app, clock) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let (dana, _) = sign_up(&app, "dana@example.com").await;
    let (sam, _) = sign_up(&app, "sam@example.com").await;
    let o = as_user(&olivia);
    for u in ["dana@example.com", "sam@example.com"] {
        app.add_member(&o, &account.sid, NewMember { email: u.into(), roles: vec![AccountRole::Developer] })
            .await
            .unwrap();
    }
    app.deliver_due_emails(&inbox, 50).await.unwrap();
    inbox.0.lock().unwrap().clear();

    // Only the Owner nominates; only a member can be nominated.
    assert!(app.nominate_owner(&as_user(&dana), &account.sid, &sam.sid).await.unwrap_err().is_forbidden());
    let (outsider, _) = sign_up(&app, "x@example.com").await;
    assert!(matches!(app.nominate_owner(&o, &account.sid, &outsider.sid).await, Err(Error::Invalid { .. })));
    app.nominate_owner(&o, &account.sid, &dana.sid).await.unwrap();
    let view = app.owner_nomination(&as_user(&dana), &account.sid).await.unwrap().unwrap();
    assert_eq!(view.nominee.sid, dana.sid);
    assert!(app.owner_nomination(&as_user(&sam), &account.sid).await.unwrap().is_none(), "a Developer does not see it");
    // Only the nominee accepts.
    assert_eq!(app.accept_ownership(&as_user(&sam), &account.sid).await.unwrap_err(), Error::NotFound);
    clock.advance(Duration::days(1));
    app.accept_ownership(&as_user(&dana), &account.sid).await.unwrap();
    let now = roles(&app, &as_user(&dana), &account.sid).await;
    assert!(now.contains(&("dana@example.com".into(), vec![AccountRole::Owner])));
    assert!(now.contains(&("olivia@example.com".into(), vec![AccountRole::Administrator])));
    assert!(app.owner_nomination(&as_user(&dana), &account.sid).await.unwrap().is_none(), "the offer is used up");

    app.deliver_due_emails(&inbox, 50).await.unwrap();
    let mails = inbox.0.lock().unwrap();
    let to =
        |who: &str| mails.iter().filter(|m| m.recipient.as_str() == who).map(|m| m.subject.clone()).collect::<Vec<_>>();
    assert_eq!(to("dana@example.com").len(), 2, "the offer and the confirmation: {:?}", to("dana@example.com"));
    assert_eq!(to("olivia@example.com"), vec![format!("dana now owns {}", account.name)]);
}

#[tokio::test]
async fn offers_can_be_declined_cancelled_or_left_to_expire() {
    let (app, clock) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let (dana, _) = sign_up(&app, "dana@example.com").await;
    let o = as_user(&olivia);
    let d = as_user(&dana);
    app.add_member(&o, &account.sid, NewMember { email: "dana@example.com".into(), roles: vec![AccountRole::Viewer] })
        .await
        .unwrap();

    app.nominate_owner(&o, &account.sid, &dana.sid).await.unwrap();
    app.decline_ownership(&d, &account.sid).await.unwrap();
    assert_eq!(app.accept_ownership(&d, &account.sid).await.unwrap_err(), Error::NotFound);

    app.nominate_owner(&o, &account.sid, &dana.sid).await.unwrap();
    app.cancel_owner_nomination(&o, &account.sid).await.unwrap();
    assert_eq!(app.accept_ownership(&d, &account.sid).await.unwrap_err(), Error::NotFound);

    app.nominate_owner(&o, &account.sid, &dana.sid).await.unwrap();
    clock.advance(Duration::days(8));
    assert!(
        matches!(app.accept_ownership(&d, &account.sid).await, Err(Error::Precondition(m)) if m.contains("expired"))
    );
    let members = roles(&app, &o, &account.sid).await;
    assert!(members.contains(&("olivia@example.com".into(), vec![AccountRole::Owner])), "nothing moved");
    let audit = app.account_audit(&o, &account.sid, &PageRequest::first(50)).await.unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    for a in ["account.owner_nominated", "account.owner_nomination_declined", "account.owner_nomination_cancelled"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn accounts_are_renamed_suspended_reactivated_and_closed_with_their_subaccounts() {
    use gatehouse_app::NewAccount;
    use gatehouse_domain::account::AccountStatus;
    let (app, _) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let (dana, _) = sign_up(&app, "dana@example.com").await;
    let o = as_user(&olivia);
    let d = as_user(&dana);
    app.add_member(
        &o,
        &account.sid,
        NewMember { email: "dana@example.com".into(), roles: vec![AccountRole::Administrator] },
    )
    .await
    .unwrap();
    let sub = app
        .create_account(
            &o,
            NewAccount { name: "Customer A".into(), organization_sid: None, parent_sid: Some(account.sid.clone()) },
        )
        .await
        .unwrap();
    let status = |sid: AccountSid| {
        let app = app.clone();
        let o = o.clone();
        async move { app.account(&o, &sid).await.unwrap().account.status }
    };

    app.rename_account(&d, &account.sid, "Renamed").await.unwrap();
    assert_eq!(app.account(&o, &account.sid).await.unwrap().account.name, "Renamed");
    assert!(matches!(app.rename_account(&d, &account.sid, " ").await, Err(Error::Invalid { .. })));

    // An Administrator suspends and reactivates; a suspended account refuses its users pages.
    app.suspend_account(&d, &account.sid).await.unwrap();
    assert_eq!(status(account.sid.clone()).await, AccountStatus::Suspended);
    let refused = app.account_members(&o, &account.sid, &PageRequest::first(10)).await;
    assert!(matches!(refused, Err(Error::Precondition(m)) if m.contains("suspended")));
    app.reactivate_account(&d, &account.sid).await.unwrap();
    assert_eq!(status(account.sid.clone()).await, AccountStatus::Active);

    // The parent's Administrator closes a subaccount (as Twilio's parent credentials do), never
    // the parent.
    let other = app
        .create_account(
            &o,
            NewAccount { name: "Customer B".into(), organization_sid: None, parent_sid: Some(account.sid.clone()) },
        )
        .await
        .unwrap();
    app.close_account(&d, &other.sid, "Customer B").await.unwrap();
    assert_eq!(status(other.sid.clone()).await, AccountStatus::Closed);

    // Only the Owner closes, typing the name; subaccounts close too; closed is final.
    assert!(app.close_account(&d, &account.sid, "Renamed").await.unwrap_err().is_forbidden());
    assert!(matches!(
        app.close_account(&o, &account.sid, "renamed").await,
        Err(Error::Invalid { field: "confirm_name", .. })
    ));
    app.close_account(&o, &account.sid, "Renamed").await.unwrap();
    assert_eq!(status(account.sid.clone()).await, AccountStatus::Closed);
    assert_eq!(status(sub.sid.clone()).await, AccountStatus::Closed);
    assert!(matches!(app.reactivate_account(&o, &account.sid).await, Err(Error::Precondition(_))));
    assert!(matches!(app.rename_account(&o, &account.sid, "Again").await, Err(Error::Precondition(_))));
}
