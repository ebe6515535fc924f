//! Billing: cards and PayPal through the test provider, the default, removal, invoices, and
//! who may see and change them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use gatehouse_app::{NewInvoice, NewMember};
use gatehouse_domain::Error;
use gatehouse_domain::billing::{CardInput, InvoiceStatus};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole;
use support::*;

fn card(number: &str) -> CardInput {
    CardInput { number: number.into(), exp_month: "4".into(), exp_year: "2030".into(), cvc: "123".into() }
}

#[tokio::test]
async fn cards_and_paypal_are_kept_as_labels_with_one_default() {
    let (app, _) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&olivia);
    let visa = app.add_card(&o, &account.sid, &card("4242 4242 4242 4242")).await.unwrap();
    assert!(visa.is_default, "the first method is the default");
    assert_eq!(visa.label(), "Visa •••• 4242, expires 04/2030");
    let declined = app.add_card(&o, &account.sid, &card("4000000000000002")).await;
    assert!(matches!(declined, Err(Error::Invalid { field: "number", reason }) if reason.contains("declined")));
    let paypal = app.add_paypal(&o, &account.sid, "pay@example.com").await.unwrap();
    assert!(!paypal.is_default);
    assert!(matches!(app.add_paypal(&o, &account.sid, "x@decline.test").await, Err(Error::Invalid { .. })));

    app.set_default_payment_method(&o, &account.sid, &paypal.sid).await.unwrap();
    let methods = app.payment_methods(&o, &account.sid).await.unwrap();
    assert_eq!(
        methods.iter().map(|m| (m.label(), m.is_default)).collect::<Vec<_>>(),
        vec![("Visa •••• 4242, expires 04/2030".to_owned(), false), ("PayPal pay@example.com".to_owned(), true),]
    );
    app.remove_payment_method(&o, &account.sid, &paypal.sid).await.unwrap();
    let methods = app.payment_methods(&o, &account.sid).await.unwrap();
    assert_eq!((methods.len(), methods[0].is_default), (1, true), "the remaining card became the default");

    let invoice = NewInvoice {
        period: "2026-10".into(),
        amount_cents: 4200,
        currency: "usd".into(),
        status: InvoiceStatus::Paid,
    };
    assert_eq!(
        app.record_invoice(&o, &account.sid, invoice.clone()).await.unwrap_err(),
        Error::Forbidden,
        "system only"
    );
    app.record_invoice(&Actor::system(), &account.sid, invoice).await.unwrap();
    let invoices = app.invoices(&o, &account.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(invoices.items[0].amount_label(), "USD 42.00");
}

#[tokio::test]
async fn only_owners_administrators_and_billing_managers_see_billing() {
    let (app, _) = app(sqlite_store().await);
    let (olivia, account) = sign_up(&app, "olivia@example.com").await;
    let o = as_user(&olivia);
    let mut actors = Vec::new();
    for (email, role) in [
        ("bill@example.com", AccountRole::BillingManager),
        ("dev@example.com", AccountRole::Developer),
        ("vic@example.com", AccountRole::Viewer),
        ("sup@example.com", AccountRole::Support),
    ] {
        let (u, _) = sign_up(&app, email).await;
        app.add_member(&o, &account.sid, NewMember { email: email.into(), roles: vec![role] }).await.unwrap();
        actors.push(as_user(&u));
    }
    let added = app.add_card(&actors[0], &account.sid, &card("5555555555554444")).await.unwrap();
    assert_eq!(app.payment_methods(&actors[0], &account.sid).await.unwrap().len(), 1);
    for other in &actors[1..] {
        assert!(app.payment_methods(other, &account.sid).await.unwrap_err().is_forbidden());
        assert!(app.invoices(other, &account.sid, &PageRequest::first(5)).await.unwrap_err().is_forbidden());
        assert!(app.add_card(other, &account.sid, &card("4242424242424242")).await.unwrap_err().is_forbidden());
        assert!(app.remove_payment_method(other, &account.sid, &added.sid).await.unwrap_err().is_forbidden());
    }
}
