//! Contract cases for what each engine's `dialect` module does differently: write locks, claims
//! of outbox rows, JSON stored as text or JSONB, text search inside it, and connection setup.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::Error;
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::security::OutboxEmail;
use gatehouse_domain::store::Store;
use gatehouse_domain::user::Email;

use crate::fixtures::{self, add_account, add_user, t0};

/// Long enough for a second transaction that does not wait to have finished.
const A_MOMENT: std::time::Duration = std::time::Duration::from_millis(150);

/// `begin_write` and `LOCK_ROWS`: a writer that locks an account holds every other writer that
/// locks it until it commits, so the second sees the first's change (no lost update).
pub async fn a_locked_account_holds_other_writers_until_commit(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let account = add_account(&mut *tx, "Before", None).await;
    tx.commit().await.unwrap();

    let mut first = store.write().await.unwrap();
    assert_eq!(first.lock_account(&account.sid).await.unwrap().unwrap().name, "Before");
    let second = tokio::spawn({
        let store = store.clone();
        let sid = account.sid.clone();
        async move {
            let mut tx = store.write().await.unwrap();
            let name = tx.lock_account(&sid).await.unwrap().unwrap().name;
            tx.commit().await.unwrap();
            name
        }
    });
    tokio::time::sleep(A_MOMENT).await;
    assert!(!second.is_finished(), "the second writer went past a held lock");
    first.rename_account(&account.sid, "After", t0()).await.unwrap();
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), "After", "the second writer read the account before the first committed");
}

/// `CLAIM_ROWS`: while one node's claim is open, another node's claim gets none of its emails,
/// neither then nor after the first commits.
pub async fn concurrent_claimers_never_get_the_same_email(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    for n in 0..3 {
        let to = Email::parse(&format!("u{n}@x.test")).unwrap();
        tx.enqueue_email(&OutboxEmail::new(to, "Hi".into(), "Body".into(), "verify_email", t0())).await.unwrap();
    }
    tx.commit().await.unwrap();

    let lease = t0() + Duration::minutes(2);
    let mut first = store.write().await.unwrap();
    assert_eq!(first.claim_emails(t0(), lease, 10).await.unwrap().len(), 3);
    let second = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.write().await.unwrap();
            let claimed = tx.claim_emails(t0(), lease, 10).await.unwrap();
            tx.commit().await.unwrap();
            claimed.len()
        }
    });
    tokio::time::sleep(A_MOMENT).await;
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), 0, "a second claimer got emails the first had claimed");
}

/// `json_from_text`, `json_as_text` and `text_contains`: audit details come back as the JSON
/// that was stored, and erasure rewrites only the events that mention the person.
pub async fn audit_details_round_trip_as_json_and_erasure_rewrites_only_mentions(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let details = serde_json::json!({
        "email": "dana@acme.com",
        "nested": {"list": [1, 2.5, null, true], "quote": "say \"hi\" \\ bye", "unicode": "Zoë ✓"},
    });
    let mut mention = AuditEvent::new(
        &Actor::user(dana.sid.clone(), Some("192.0.2.7".into())),
        "user.updated",
        dana.sid.as_str(),
        t0(),
    );
    mention.organization_sid = Some(org.sid.clone());
    mention.details = details.clone();
    let mut other = AuditEvent::new(
        &Actor::user(dana.sid.clone(), Some("192.0.2.7".into())),
        "org.renamed",
        org.sid.as_str(),
        t0(),
    );
    other.organization_sid = Some(org.sid.clone());
    other.details = serde_json::json!({"name": "Acme Inc"});
    tx.append_audit(&mention).await.unwrap();
    tx.append_audit(&other).await.unwrap();
    let scope = AuditScope::Organization(org.sid.clone());
    let listed = tx.audit_events(&scope, &PageRequest::first(10)).await.unwrap().items;
    assert_eq!(listed.iter().find(|e| e.sid == mention.sid).unwrap().details, details, "JSON changed on the way");

    tx.pseudonymize_audit(&dana.sid, "dana@acme.com", "Dana", "US-erased").await.unwrap();
    let listed = tx.audit_events(&scope, &PageRequest::first(10)).await.unwrap().items;
    let rewritten = &listed.iter().find(|e| e.sid == mention.sid).unwrap().details;
    assert_eq!(rewritten["email"], "US-erased");
    assert_eq!(rewritten["nested"], details["nested"], "the rest of the document is kept");
    assert_eq!(listed.iter().find(|e| e.sid == other.sid).unwrap().details, other.details);
}

/// `open_pool`: the connection enforces foreign keys (SQLite's are off unless set up).
pub async fn the_connection_enforces_foreign_keys(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let orphan = fixtures::account("Orphan", Some(&fixtures::organization("Nowhere").sid), None);
    match tx.insert_account(&orphan).await {
        Err(Error::Internal(_)) => {}
        other => panic!("an account of a missing organization was stored: {other:?}"),
    }
}

/// The credential epoch: a committed revocation or rotation moves it (a dropped one does not,
/// nor does any other write), and a poll moves it when the shared version changed.
pub async fn revocations_move_the_credential_epoch_when_they_commit(store: Arc<dyn Store>) {
    use gatehouse_domain::account::AccountStatus;
    store.poll_credential_changes().await.unwrap();
    let start = store.credential_epoch();
    let mut tx = store.write().await.unwrap();
    let account = add_account(&mut *tx, "Acme", None).await;
    tx.commit().await.unwrap();
    store.poll_credential_changes().await.unwrap();
    assert_eq!(store.credential_epoch(), start, "other writes leave it");

    let mut tx = store.write().await.unwrap();
    tx.set_account_status(&account.sid, AccountStatus::Suspended, t0()).await.unwrap();
    assert_eq!(store.credential_epoch(), start, "not before the commit");
    drop(tx);
    store.poll_credential_changes().await.unwrap();
    assert_eq!(store.credential_epoch(), start, "a rolled-back change moves nothing");

    for change in 0..5 {
        let mut tx = store.write().await.unwrap();
        match change {
            0 => tx.set_account_status(&account.sid, AccountStatus::Suspended, t0()).await.unwrap(),
            1 => tx.put_auth_token(&account.sid, "hash", t0()).await.unwrap(),
            // API keys are cached with their account: any change to it is a change.
            2 => tx.rename_account(&account.sid, "Acme 2", t0()).await.unwrap(),
            3 => tx.update_account_settings(&account.sid, &Default::default(), t0()).await.unwrap(),
            _ => {
                // Twice in one transaction: one move of the shared version.
                tx.rename_account(&account.sid, "Acme 3", t0()).await.unwrap();
                tx.set_account_organization(&account.sid, None, t0()).await.unwrap();
            }
        }
        let before = store.credential_epoch();
        tx.commit().await.unwrap();
        assert!(store.credential_epoch() > before, "a committed change moves it at once");
        let moved = store.credential_epoch();
        store.poll_credential_changes().await.unwrap();
        store.poll_credential_changes().await.unwrap();
        assert!(store.credential_epoch() >= moved, "polls never move it back");
    }
}
