//! Notification preferences and notices: a notice reaches exactly the members whose roles
//! its category reaches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gatehouse_app::NewMember;
use gatehouse_domain::Error;
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole;
use support::*;

#[tokio::test]
async fn a_notice_reaches_exactly_the_chosen_roles() {
    let (app, _) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&olivia);
    for (email, roles) in [
        ("bill@example.com", vec![AccountRole::BillingManager]),
        ("dev@example.com", vec![AccountRole::Developer, AccountRole::Viewer]),
        ("vic@example.com", vec![AccountRole::Viewer]),
    ] {
        sign_up(&app, email).await;
        app.add_member(&o, &account.sid, NewMember { email: email.into(), roles }).await.unwrap();
    }
    let prefs = app.notification_preferences(&o, &account.sid).await.unwrap();
    assert_eq!(prefs.len(), 4);
    assert_eq!(prefs[0], (NoticeCategory::Billing, NoticeCategory::Billing.default_roles()));

    let mut sent =
        app.send_notice(&Actor::system(), &account.sid, NoticeCategory::Billing, "Invoice", "Due").await.unwrap();
    sent.sort();
    assert_eq!(sent, vec!["bill@example.com", "olivia@example.com"]);

    app.set_notification_roles(&o, &account.sid, NoticeCategory::Service, &[AccountRole::Viewer]).await.unwrap();
    let mut sent = app
        .send_notice(
            &Actor::system(),
            &account.sid,
            NoticeCategory::Service,
            "Campaign vetting delayed",
            "Expect 3 more days.",
        )
        .await
        .unwrap();
    sent.sort();
    assert_eq!(sent, vec!["dev@example.com", "vic@example.com"], "Viewers only: the Owner is not chosen now");

    app.set_notification_roles(&o, &account.sid, NoticeCategory::Security, &[]).await.unwrap();
    assert!(app.send_notice(&o, &account.sid, NoticeCategory::Security, "x", "y").await.unwrap().is_empty());

    // Only Owners and Administrators choose or send.
    let members = app.account_members(&o, &account.sid, &gatehouse_domain::page::PageRequest::first(10)).await.unwrap();
    let developer = members.items.iter().find(|m| m.user.email.as_str() == "dev@example.com").unwrap();
    let d = as_user(&developer.user);
    assert!(
        app.set_notification_roles(&d, &account.sid, NoticeCategory::Billing, &[AccountRole::Developer])
            .await
            .unwrap_err()
            .is_forbidden()
    );
    assert!(app.send_notice(&d, &account.sid, NoticeCategory::Usage, "x", "y").await.unwrap_err().is_forbidden());
    assert!(app.notification_preferences(&d, &account.sid).await.is_ok(), "members may look");
    assert!(matches!(
        app.send_notice(&o, &account.sid, NoticeCategory::Usage, " ", "y").await,
        Err(Error::Invalid { .. })
    ));
}
