//! Contract cases for the account console: invitations, ownership offers, account status, API keys, notifications, billing.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::Error;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::store::Store;
use gatehouse_domain::user::Email;

use crate::fixtures::{self, add_account, add_user, t0};

pub async fn invitations_are_found_by_token_updated_and_one_is_pending_per_address(store: Arc<dyn Store>) {
    use gatehouse_domain::invitation::{Invitation, InvitationStatus};
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let b = add_account(&mut *tx, "Other", None).await;
    let olivia = add_user(&mut *tx, "olivia@example.com", "Olivia").await;
    let invite = |account: &gatehouse_domain::account::Account, email: &str, token: &str| {
        Invitation::new(
            account.sid.clone(),
            Email::parse(email).unwrap(),
            vec![AccountRole::Developer, AccountRole::Viewer],
            Some(olivia.sid.clone()),
            token.into(),
            t0(),
            Duration::days(7),
        )
    };
    let dana = invite(&a, "dana@example.com", "t1");
    tx.insert_invitation(&dana).await.unwrap();
    tx.insert_invitation(&invite(&a, "sam@example.com", "t2")).await.unwrap();
    tx.insert_invitation(&invite(&b, "dana@example.com", "t3")).await.unwrap();
    assert_eq!(tx.invitation(&a.sid, &dana.sid).await.unwrap().as_ref(), Some(&dana));
    assert_eq!(tx.invitation(&b.sid, &dana.sid).await.unwrap(), None, "scoped to its account");
    assert_eq!(tx.invitation_by_token("t1").await.unwrap().map(|i| i.sid), Some(dana.sid.clone()));
    let upper = Email::parse("DANA@example.com").unwrap();
    assert_eq!(tx.pending_invitation(&a.sid, &upper).await.unwrap().map(|i| i.sid), Some(dana.sid.clone()));
    let listed = tx.pending_invitations(&a.sid, &PageRequest::new(None, Some(1), None).unwrap()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(listed.next_after.is_some());
    let found =
        tx.pending_invitations(&a.sid, &PageRequest::new(None, None, Some("sam".into())).unwrap()).await.unwrap();
    assert_eq!(found.items.iter().map(|i| i.email.as_str()).collect::<Vec<_>>(), vec!["sam@example.com"]);

    // A resend replaces the token; acceptance ends the pending state.
    let resent = Invitation { token_hash: "t1b".into(), expires_at: t0() + Duration::days(8), ..dana.clone() };
    tx.update_invitation(&resent).await.unwrap();
    assert_eq!(tx.invitation_by_token("t1").await.unwrap(), None, "the old link stops working");
    assert_eq!(tx.invitation_by_token("t1b").await.unwrap().unwrap().expires_at, t0() + Duration::days(8));
    let accepted = Invitation { status: InvitationStatus::Accepted, ..resent };
    tx.update_invitation(&accepted).await.unwrap();
    assert_eq!(tx.pending_invitation(&a.sid, &upper).await.unwrap(), None);
    // With the first accepted, the address can be invited again; two pending ones cannot exist.
    tx.insert_invitation(&invite(&a, "dana@example.com", "t4")).await.unwrap();
    let twice = tx.insert_invitation(&invite(&a, "Dana@example.com", "t5")).await;
    assert!(
        matches!(&twice, Err(Error::Conflict(m)) if m.contains("pending invitation")),
        "one pending invitation per account and address: {twice:?}"
    );
}

pub async fn an_account_has_at_most_one_owner_nomination(store: Arc<dyn Store>) {
    use gatehouse_domain::membership::ScopeRef;
    use gatehouse_domain::nomination::OwnerNomination;
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme Corp");
    tx.insert_organization(&org).await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let olivia = add_user(&mut *tx, "olivia@example.com", "Olivia").await;
    let dana = add_user(&mut *tx, "dana@example.com", "Dana").await;
    let sam = add_user(&mut *tx, "sam@example.com", "Sam").await;
    let (account, organization) = (ScopeRef::Account(a.sid.clone()), ScopeRef::Organization(org.sid.clone()));
    assert_eq!(tx.owner_nomination(&account).await.unwrap(), None);
    let first = OwnerNomination::new(account.clone(), dana.sid.clone(), olivia.sid.clone(), t0(), 7);
    tx.put_owner_nomination(&first).await.unwrap();
    assert_eq!(tx.owner_nomination(&account).await.unwrap(), Some(first));
    let second =
        OwnerNomination::new(account.clone(), sam.sid.clone(), olivia.sid.clone(), t0() + Duration::hours(1), 7);
    tx.put_owner_nomination(&second).await.unwrap();
    assert_eq!(tx.owner_nomination(&account).await.unwrap(), Some(second.clone()), "a new offer replaces the old");
    assert_eq!(tx.owner_nomination(&organization).await.unwrap(), None, "scopes do not share offers");
    let of_org = OwnerNomination::new(organization.clone(), dana.sid.clone(), olivia.sid.clone(), t0(), 30);
    tx.put_owner_nomination(&of_org).await.unwrap();
    assert_eq!(tx.owner_nomination(&organization).await.unwrap(), Some(of_org));
    tx.delete_owner_nomination(&account).await.unwrap();
    assert_eq!(tx.owner_nomination(&account).await.unwrap(), None);
    assert!(tx.owner_nomination(&organization).await.unwrap().is_some(), "each scope's offer is withdrawn alone");
    tx.delete_owner_nomination(&organization).await.unwrap();
    assert_eq!(tx.owner_nomination(&organization).await.unwrap(), None);
}

pub async fn accounts_are_renamed_and_change_status(store: Arc<dyn Store>) {
    use gatehouse_domain::account::AccountStatus;
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let later = t0() + Duration::hours(1);
    tx.rename_account(&a.sid, "Acme Production", later).await.unwrap();
    tx.set_account_status(&a.sid, AccountStatus::Suspended, later).await.unwrap();
    let got = tx.account(&a.sid).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.status, got.updated_at), ("Acme Production", AccountStatus::Suspended, later));
    tx.set_account_status(&a.sid, AccountStatus::Closed, later).await.unwrap();
    assert_eq!(tx.account(&a.sid).await.unwrap().unwrap().status, AccountStatus::Closed);
}

pub async fn api_keys_are_listed_renamed_revoked_and_touched(store: Arc<dyn Store>) {
    use gatehouse_domain::api_key::ApiKey;
    use gatehouse_domain::sid::ApiKeySid;
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let b = add_account(&mut *tx, "Other", None).await;
    let olivia = add_user(&mut *tx, "olivia@example.com", "Olivia").await;
    let key = |account: &gatehouse_domain::account::Account, name: &str| ApiKey {
        sid: ApiKeySid::generate(),
        account_sid: account.sid.clone(),
        name: name.into(),
        secret_hash: format!("hash-{name}"),
        created_by: Some(olivia.sid.clone()),
        created_at: t0(),
        last_used_at: None,
        revoked_at: None,
        updated_at: t0(),
        restricted_to: None,
    };
    let ci = key(&a, "CI");
    let deploy = key(&a, "Deploy");
    tx.insert_api_key(&ci).await.unwrap();
    tx.insert_api_key(&deploy).await.unwrap();
    tx.insert_api_key(&key(&b, "Theirs")).await.unwrap();
    assert_eq!(tx.api_key(&ci.sid).await.unwrap().as_ref(), Some(&ci));
    let listed = tx.account_api_keys(&a.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items.len(), 2, "only the account's keys");
    let found = tx.account_api_keys(&a.sid, &PageRequest::new(None, None, Some("dep".into())).unwrap()).await.unwrap();
    assert_eq!(found.items.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), vec!["Deploy"]);

    let renamed = t0() + Duration::minutes(1);
    tx.rename_api_key(&b.sid, &ci.sid, "Hijack", renamed).await.unwrap();
    assert_eq!(tx.api_key(&ci.sid).await.unwrap().unwrap().name, "CI", "another account cannot rename it");
    tx.rename_api_key(&a.sid, &ci.sid, "CI runner", renamed).await.unwrap();
    let later = t0() + Duration::minutes(5);
    tx.touch_api_key(&ci.sid, later).await.unwrap();
    let got = tx.api_key(&ci.sid).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.last_used_at, got.updated_at), ("CI runner", Some(later), renamed));
    tx.revoke_api_key(&b.sid, &deploy.sid, later).await.unwrap();
    assert_eq!(tx.api_key(&deploy.sid).await.unwrap().unwrap().revoked_at, None, "scoped to its account");
    tx.revoke_api_key(&a.sid, &deploy.sid, later).await.unwrap();
    assert_eq!(tx.api_key(&deploy.sid).await.unwrap().unwrap().revoked_at, Some(later));
    let listed = tx.account_api_keys(&a.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items.iter().map(|k| k.sid.clone()).collect::<Vec<_>>(), vec![ci.sid.clone()]);
}

pub async fn instance_secrets_are_created_once(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.instance_secret("api_key_hash", "first").await.unwrap(), "first");
    assert_eq!(tx.instance_secret("api_key_hash", "second").await.unwrap(), "first", "the first writer wins");
    assert_eq!(tx.instance_secret("other", "x").await.unwrap(), "x");
}

pub async fn a_session_flash_is_read_once(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let session = Session {
        token_hash: "h".into(),
        user_sid: ada.sid.clone(),
        csrf_token: "c".into(),
        created_at: t0(),
        last_seen_at: t0(),
        expires_at: t0() + Duration::hours(1),
        ip: None,
        user_agent: None,
        stage: SessionStage::Full,
    };
    tx.insert_session(&session).await.unwrap();
    assert_eq!(tx.take_session_flash("h").await.unwrap(), None);
    tx.put_session_flash("h", "first").await.unwrap();
    tx.put_session_flash("h", "second").await.unwrap();
    assert_eq!(tx.take_session_flash("h").await.unwrap().as_deref(), Some("second"));
    assert_eq!(tx.take_session_flash("h").await.unwrap(), None, "read once");
    tx.put_session_flash("h", "left").await.unwrap();
    tx.delete_session("h").await.unwrap();
    assert_eq!(tx.take_session_flash("h").await.unwrap(), None, "gone with its session");
}

pub async fn notification_choices_are_stored_per_account_and_category(store: Arc<dyn Store>) {
    use gatehouse_domain::notification::NoticeCategory;
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let b = add_account(&mut *tx, "Other", None).await;
    assert!(tx.notification_roles(&a.sid).await.unwrap().is_empty());
    tx.set_notification_roles(&a.sid, NoticeCategory::Billing, &[AccountRole::BillingManager], t0()).await.unwrap();
    tx.set_notification_roles(&a.sid, NoticeCategory::Billing, &[AccountRole::Owner, AccountRole::Viewer], t0())
        .await
        .unwrap();
    tx.set_notification_roles(&a.sid, NoticeCategory::Service, &[], t0()).await.unwrap();
    let mut got = tx.notification_roles(&a.sid).await.unwrap();
    got.sort();
    assert_eq!(
        got,
        vec![
            (NoticeCategory::Billing, vec![AccountRole::Owner, AccountRole::Viewer]),
            (NoticeCategory::Service, vec![]),
        ]
    );
    assert!(tx.notification_roles(&b.sid).await.unwrap().is_empty(), "per account");
}

pub async fn payment_methods_keep_one_default_and_invoices_list_newest_first(store: Arc<dyn Store>) {
    use gatehouse_domain::billing::{Invoice, InvoiceStatus, PaymentDetails, PaymentMethod};
    use gatehouse_domain::sid::{InvoiceSid, PaymentMethodSid};
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let b = add_account(&mut *tx, "Other", None).await;
    let method = |account: &gatehouse_domain::account::Account, details: PaymentDetails, default: bool| PaymentMethod {
        sid: PaymentMethodSid::generate(),
        account_sid: account.sid.clone(),
        details,
        provider_ref: "ref".into(),
        is_default: default,
        created_at: t0(),
    };
    let card = method(
        &a,
        PaymentDetails::Card { brand: "Visa".into(), last4: "4242".into(), exp_month: 4, exp_year: 2030 },
        true,
    );
    let paypal = method(&a, PaymentDetails::Paypal { email: Email::parse("pay@example.com").unwrap() }, false);
    tx.insert_payment_method(&card).await.unwrap();
    tx.insert_payment_method(&paypal).await.unwrap();
    tx.insert_payment_method(&method(
        &b,
        PaymentDetails::Paypal { email: Email::parse("b@example.com").unwrap() },
        true,
    ))
    .await
    .unwrap();
    assert_eq!(tx.payment_methods(&a.sid).await.unwrap(), vec![card.clone(), paypal.clone()]);
    tx.set_default_payment_method(&a.sid, &paypal.sid).await.unwrap();
    let defaults: Vec<bool> = tx.payment_methods(&a.sid).await.unwrap().iter().map(|m| m.is_default).collect();
    assert_eq!(defaults, vec![false, true]);
    tx.delete_payment_method(&b.sid, &card.sid).await.unwrap();
    assert_eq!(tx.payment_methods(&a.sid).await.unwrap().len(), 2, "scoped to its account");
    tx.delete_payment_method(&a.sid, &card.sid).await.unwrap();
    assert_eq!(tx.payment_methods(&a.sid).await.unwrap(), vec![PaymentMethod { is_default: true, ..paypal }]);

    for (period, cents) in [("2026-09", 1000), ("2026-10", 2500)] {
        let inv = Invoice {
            sid: InvoiceSid::generate(),
            account_sid: a.sid.clone(),
            period: period.into(),
            amount_cents: cents,
            currency: "USD".into(),
            status: InvoiceStatus::Paid,
            issued_at: t0(),
        };
        tx.insert_invoice(&inv).await.unwrap();
    }
    let listed = tx.invoices(&a.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items.iter().map(|i| i.period.as_str()).collect::<Vec<_>>(), vec!["2026-10", "2026-09"]);
    assert!(tx.invoices(&b.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let second_default = method(&a, PaymentDetails::Paypal { email: Email::parse("c@example.com").unwrap() }, true);
    assert!(tx.insert_payment_method(&second_default).await.is_err(), "one default per account");
}

/// Twilio's previous-page links: for every page of a list read forward, the cursor read back
/// from its own cursor is the cursor the page before it was read with.
pub async fn a_page_before_is_read_back_from_a_cursor(store: Arc<dyn Store>) {
    use gatehouse_domain::account::AccountStatus;
    use gatehouse_domain::api_key::ApiKey;
    use gatehouse_domain::sid::ApiKeySid;
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let parent = fixtures::add_account(&mut *tx, "Parent", Some(&org.sid)).await;
    let olivia = fixtures::add_user(&mut *tx, "olivia@example.com", "Olivia").await;
    for i in 0..7 {
        let mut sub = fixtures::account(&format!("Sub {}", i % 2), Some(&org.sid), Some(&parent.sid));
        if i == 3 {
            sub.status = AccountStatus::Suspended;
        }
        tx.insert_account(&sub).await.unwrap();
        let key = ApiKey {
            sid: ApiKeySid::generate(),
            account_sid: parent.sid.clone(),
            name: format!("k{i}"),
            secret_hash: format!("hash-{i}"),
            created_by: Some(olivia.sid.clone()),
            created_at: t0(),
            last_used_at: None,
            revoked_at: (i == 2).then(t0),
            updated_at: t0(),
            restricted_to: None,
        };
        tx.insert_api_key(&key).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    for size in 1..=3u32 {
        // Each list's page cursors, walked forward from the start (`None`).
        let mut lists: Vec<(&str, Vec<Option<String>>)> = Vec::new();
        let mut cursors = vec![None];
        while let Some(after) = cursors.last().cloned() {
            let page = PageRequest { after, limit: size, search: None };
            match tx.organization_accounts(&org.sid, &page).await.unwrap().next_after {
                Some(next) => cursors.push(Some(next)),
                None => break,
            }
        }
        lists.push(("organization accounts", cursors));
        for (name, status) in [(None, None), (Some("Sub 1"), None), (None, Some(AccountStatus::Active))] {
            let mut cursors = vec![None];
            while let Some(after) = cursors.last().cloned() {
                let page = PageRequest { after, limit: size, search: None };
                match tx.subaccounts_matching(&parent.sid, name, status, &page).await.unwrap().next_after {
                    Some(next) => cursors.push(Some(next)),
                    None => break,
                }
            }
            for pair in cursors.windows(2) {
                let before = tx
                    .subaccounts_cursor_before(&parent.sid, name, status, pair[1].as_deref().unwrap(), size)
                    .await
                    .unwrap();
                assert_eq!(before, pair[0], "subaccounts {name:?} {status:?}, {size} a page");
            }
            assert!(cursors.len() > 1 || (size == 3 && name.is_some()), "several pages");
        }
        let mut cursors = vec![None];
        while let Some(after) = cursors.last().cloned() {
            let page = PageRequest { after, limit: size, search: None };
            match tx.account_api_keys(&parent.sid, &page).await.unwrap().next_after {
                Some(next) => cursors.push(Some(next)),
                None => break,
            }
        }
        lists.push(("keys", cursors));
        for (list, cursors) in lists {
            assert!(cursors.len() >= 2, "{list}: several pages of {size}");
            for pair in cursors.windows(2) {
                let cursor = pair[1].as_deref().unwrap();
                let before = match list {
                    "keys" => tx.account_api_keys_cursor_before(&parent.sid, cursor, size).await,
                    _ => tx.organization_accounts_cursor_before(&org.sid, cursor, size).await,
                }
                .unwrap();
                assert_eq!(before, pair[0], "{list}, {size} a page: the revoked key is skipped both ways");
            }
        }
    }
}

pub async fn the_banner_is_one_and_operators_are_granted_and_taken_away(store: Arc<dyn Store>) {
    use gatehouse_domain::banner::ServiceBanner;
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.service_banner().await.unwrap(), None);
    let first = ServiceBanner { message: "Vetting delays".into(), posted_by: "system".into(), posted_at: t0() };
    tx.put_service_banner(&first).await.unwrap();
    let second = ServiceBanner { message: "Maintenance tonight".into(), ..first.clone() };
    tx.put_service_banner(&second).await.unwrap();
    assert_eq!(tx.service_banner().await.unwrap(), Some(second), "one banner: the new one replaces it");
    assert_eq!(tx.delete_service_banner().await.unwrap(), 1);
    assert_eq!(tx.service_banner().await.unwrap(), None);

    let ops = add_user(&mut *tx, "ops@example.com", "Ops").await;
    assert!(!tx.is_operator(&ops.sid).await.unwrap());
    tx.set_operator(&ops.sid, true, t0()).await.unwrap();
    tx.set_operator(&ops.sid, true, t0()).await.unwrap();
    assert!(tx.is_operator(&ops.sid).await.unwrap(), "granting twice is one grant");
    tx.set_operator(&ops.sid, false, t0()).await.unwrap();
    assert!(!tx.is_operator(&ops.sid).await.unwrap());

    let open = add_account(&mut *tx, "Open", None).await;
    let closed = add_account(&mut *tx, "Closed", None).await;
    tx.set_account_status(&closed.sid, gatehouse_domain::account::AccountStatus::Closed, t0()).await.unwrap();
    let listed = tx.open_accounts(&PageRequest::first(10)).await.unwrap();
    assert_eq!(listed.items.iter().map(|a| a.sid.clone()).collect::<Vec<_>>(), vec![open.sid]);
}
