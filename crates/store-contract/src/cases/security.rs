//! Contract cases for sign-in security: the outbox, one-time tokens, second factors, throttles, session stages and flashes.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::Error;
use gatehouse_domain::audit::AuditScope;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::store::Store;
use gatehouse_domain::user::Email;

use crate::fixtures::{self, add_account, add_user, t0};

pub async fn the_outbox_hands_each_due_email_to_one_claimer_and_records_attempts(store: Arc<dyn Store>) {
    use gatehouse_domain::security::{EmailOutcome, EmailStatus, OutboxEmail};
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let mut first =
        OutboxEmail::new(Email::parse("a@x.test").unwrap(), "Hi".into(), "Body".into(), "verify_email", t0());
    first.organization_sid = Some(org.sid.clone());
    let later = OutboxEmail {
        next_attempt_at: t0() + Duration::hours(1),
        ..OutboxEmail::new(Email::parse("b@x.test").unwrap(), "Later".into(), "Body".into(), "verify_email", t0())
    };
    tx.enqueue_email(&first).await.unwrap();
    tx.enqueue_email(&later).await.unwrap();
    tx.commit().await.unwrap();

    let lease = t0() + Duration::minutes(5);
    let mut tx = store.write().await.unwrap();
    let claimed = tx.claim_emails(t0(), lease, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed, vec![first.clone()], "only the due email");
    let mut tx = store.write().await.unwrap();
    assert!(tx.claim_emails(t0(), lease, 10).await.unwrap().is_empty(), "leased: nobody else takes it");
    let retry_at = t0() + Duration::seconds(30);
    let outcome = EmailOutcome::Retry { attempts: 1, next_attempt_at: retry_at, error: "421 try later".into() };
    tx.record_email_attempt(&first.sid, &outcome).await.unwrap();
    assert!(tx.claim_emails(t0() + Duration::seconds(10), lease, 10).await.unwrap().is_empty(), "not due yet");
    let again = tx.claim_emails(retry_at, lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("421 try later"));
    tx.record_email_attempt(&first.sid, &EmailOutcome::Sent { at: retry_at }).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let page = tx.outbox(&AuditScope::Organization(org.sid.clone()), &PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items.len(), 1, "the other email belongs to no organization");
    assert_eq!(page.items[0].status, EmailStatus::Sent);
    assert_eq!(page.items[0].attempts, 2);
    assert_eq!(page.items[0].sent_at, Some(retry_at));
}

pub async fn one_time_tokens_work_once_and_only_before_they_expire(store: Arc<dyn Store>) {
    use gatehouse_domain::security::{OneTimeToken, TokenPurpose};
    let mut tx = store.write().await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let token = |hash: &str, purpose: TokenPurpose| OneTimeToken {
        token_hash: hash.into(),
        purpose,
        user_sid: ada.sid.clone(),
        email: ada.email.clone(),
        created_at: t0(),
        expires_at: t0() + Duration::hours(1),
    };
    tx.insert_token(&token("reset", TokenPurpose::ResetPassword)).await.unwrap();
    tx.insert_token(&token("verify", TokenPurpose::VerifyEmail)).await.unwrap();
    tx.insert_token(&token("old", TokenPurpose::ResetPassword)).await.unwrap();
    assert_eq!(tx.use_token("reset", TokenPurpose::VerifyEmail, t0()).await.unwrap(), None, "wrong purpose");
    let used = tx.use_token("reset", TokenPurpose::ResetPassword, t0()).await.unwrap().unwrap();
    assert_eq!(used.user_sid, ada.sid);
    assert_eq!(tx.use_token("reset", TokenPurpose::ResetPassword, t0()).await.unwrap(), None, "used once");
    assert_eq!(
        tx.use_token("old", TokenPurpose::ResetPassword, t0() + Duration::hours(2)).await.unwrap(),
        None,
        "expired"
    );
    tx.delete_user_tokens(&ada.sid, TokenPurpose::VerifyEmail).await.unwrap();
    assert_eq!(tx.use_token("verify", TokenPurpose::VerifyEmail, t0()).await.unwrap(), None, "deleted");
}

pub async fn second_factors_and_recovery_codes_round_trip(store: Arc<dyn Store>) {
    use gatehouse_domain::security::{PhoneNumber, SecondFactor, SecondFactorKind};
    let mut tx = store.write().await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let totp = SecondFactor {
        user_sid: ada.sid.clone(),
        kind: SecondFactorKind::Totp,
        secret: Some("JBSWY3DPEHPK3PXP".into()),
        phone: None,
        confirmed_at: None,
        last_used_step: None,
        created_at: t0(),
    };
    tx.upsert_second_factor(&totp).await.unwrap();
    let confirmed = SecondFactor { confirmed_at: Some(t0()), ..totp.clone() };
    tx.upsert_second_factor(&confirmed).await.unwrap();
    let sms = SecondFactor {
        kind: SecondFactorKind::Sms,
        secret: None,
        phone: Some(PhoneNumber::parse("+14155550123").unwrap()),
        ..confirmed.clone()
    };
    tx.upsert_second_factor(&sms).await.unwrap();
    assert_eq!(tx.second_factors(&ada.sid).await.unwrap(), vec![sms.clone(), confirmed.clone()]);
    assert!(tx.advance_totp_step(&ada.sid, 100).await.unwrap());
    assert!(!tx.advance_totp_step(&ada.sid, 100).await.unwrap(), "a step is accepted once");
    assert!(!tx.advance_totp_step(&ada.sid, 99).await.unwrap(), "never backwards");
    assert!(tx.advance_totp_step(&ada.sid, 101).await.unwrap());

    let hashes: Vec<String> = (0..10).map(|i| format!("h{i}")).collect();
    tx.replace_recovery_codes(&ada.sid, &hashes, t0()).await.unwrap();
    assert_eq!(tx.remaining_recovery_codes(&ada.sid).await.unwrap(), 10);
    assert!(tx.use_recovery_code(&ada.sid, "h3", t0()).await.unwrap());
    assert!(!tx.use_recovery_code(&ada.sid, "h3", t0()).await.unwrap(), "a code works once");
    assert!(!tx.use_recovery_code(&ada.sid, "nope", t0()).await.unwrap());
    assert_eq!(tx.remaining_recovery_codes(&ada.sid).await.unwrap(), 9);
    tx.replace_recovery_codes(&ada.sid, &hashes[..2], t0()).await.unwrap();
    assert_eq!(tx.remaining_recovery_codes(&ada.sid).await.unwrap(), 2, "regenerating replaces all");
    tx.delete_second_factors(&ada.sid).await.unwrap();
    assert!(tx.second_factors(&ada.sid).await.unwrap().is_empty());
    assert_eq!(tx.remaining_recovery_codes(&ada.sid).await.unwrap(), 0);
}

pub async fn throttles_are_saved_replaced_and_cleared(store: Arc<dyn Store>) {
    use gatehouse_domain::security::Throttle;
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.throttle("sign_in:ip:1.2.3.4").await.unwrap(), None);
    let t = Throttle::after_failure(None, "sign_in:ip:1.2.3.4", 5, t0());
    tx.save_throttle(&t).await.unwrap();
    let t2 = Throttle { failures: 7, locked_until: Some(t0() + Duration::seconds(4)), ..t.clone() };
    tx.save_throttle(&t2).await.unwrap();
    assert_eq!(tx.throttle("sign_in:ip:1.2.3.4").await.unwrap(), Some(t2));
    tx.clear_throttle("sign_in:ip:1.2.3.4").await.unwrap();
    assert_eq!(tx.throttle("sign_in:ip:1.2.3.4").await.unwrap(), None);
}

pub async fn sessions_are_listed_staged_and_ended_except_the_current_one(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    for (i, hash) in ["a", "b", "c"].iter().enumerate() {
        let at = t0() + Duration::minutes(i as i64);
        tx.insert_session(&Session {
            token_hash: (*hash).into(),
            user_sid: ada.sid.clone(),
            csrf_token: "x".into(),
            created_at: at,
            last_seen_at: at,
            expires_at: at + Duration::hours(1),
            ip: None,
            user_agent: None,
            stage: SessionStage::SecondFactor,
        })
        .await
        .unwrap();
    }
    let listed: Vec<String> = tx.user_sessions(&ada.sid).await.unwrap().into_iter().map(|s| s.token_hash).collect();
    assert_eq!(listed, vec!["c", "b", "a"], "newest first");
    tx.set_session_stage("b", SessionStage::Full).await.unwrap();
    assert_eq!(tx.session("b").await.unwrap().unwrap().stage, SessionStage::Full);
    assert_eq!(tx.delete_user_sessions_except(&ada.sid, "b").await.unwrap(), 2);
    assert_eq!(tx.user_sessions(&ada.sid).await.unwrap().len(), 1);
}

pub async fn security_settings_and_credentials_are_updated_in_place(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let a = add_account(&mut *tx, "Acme", Some(&org.sid)).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let later = t0() + Duration::hours(3);
    tx.mark_email_verified(&ada.sid, later).await.unwrap();
    tx.set_user_require_two_factor(&ada.sid, true, later).await.unwrap();
    tx.set_password_hash(&ada.sid, "$argon2id$new", later).await.unwrap();
    tx.set_organization_require_two_factor(&org.sid, true, later).await.unwrap();
    let mut settings = a.settings;
    settings.require_two_factor = true;
    settings.require_https_webhooks = false;
    tx.update_account_settings(&a.sid, &settings, later).await.unwrap();
    let u = tx.user(&ada.sid).await.unwrap().unwrap();
    assert_eq!(u.email_verified_at, Some(later));
    assert!(u.require_two_factor);
    assert_eq!(u.updated_at, later);
    assert_eq!(tx.password_hash(&ada.sid).await.unwrap().as_deref(), Some("$argon2id$new"));
    assert!(tx.organization(&org.sid).await.unwrap().unwrap().require_two_factor);
    let renamed = gatehouse_domain::organization::Organization {
        name: "Acme Holdings".into(),
        invitation_lifetime_days: 3,
        updated_at: later,
        ..tx.organization(&org.sid).await.unwrap().unwrap()
    };
    tx.update_organization(&renamed).await.unwrap();
    assert_eq!(tx.organization(&org.sid).await.unwrap().unwrap(), renamed);
    let a2 = tx.account(&a.sid).await.unwrap().unwrap();
    assert_eq!(a2.settings, settings);
    assert_eq!(a2.updated_at, later);

    // A new email address is unconfirmed, and cannot be one another user has.
    let new = Email::parse("ada.l@example.com").unwrap();
    tx.set_user_email(&ada.sid, &new, later).await.unwrap();
    let u = tx.user(&ada.sid).await.unwrap().unwrap();
    assert_eq!((u.email, u.email_verified_at), (new.clone(), None));
    assert_eq!(tx.user_by_email(&new).await.unwrap().map(|u| u.sid), Some(ada.sid.clone()));
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    assert!(matches!(tx.set_user_email(&bob.sid, &new, later).await, Err(Error::Conflict(_))));
}
