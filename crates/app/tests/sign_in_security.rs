//! Sign-in security use cases on SQLite with a fixed clock, a capturing mailer and SMS sender.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;
use gatehouse_app::{App, MailError, Mailer, SecondFactorProof, SmsSender};
use gatehouse_domain::Error;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::security::{OutboxEmail, PhoneNumber};
use gatehouse_domain::session::SessionStage;
use support::*;

#[derive(Default)]
struct Inbox {
    mails: Mutex<Vec<OutboxEmail>>,
    fail_next: Mutex<u32>,
}

#[async_trait]
impl Mailer for Inbox {
    async fn send(&self, email: &OutboxEmail) -> Result<(), MailError> {
        let mut fail = self.fail_next.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return Err(MailError { permanent: false, message: "421 busy".into() });
        }
        self.mails.lock().unwrap().push(email.clone());
        Ok(())
    }
}

impl Inbox {
    /// The token in the last link sent to `to` whose path contains `path`.
    fn link_token(&self, to: &str, path: &str) -> String {
        let mails = self.mails.lock().unwrap();
        let mail = mails.iter().rev().find(|m| m.recipient.as_str() == to && m.body.contains(path)).expect("a mail");
        let start = mail.body.find("token=").unwrap() + 6;
        mail.body[start..].split_whitespace().next().unwrap().to_owned()
    }
}

#[derive(Default)]
struct Phone(Mutex<Vec<(String, String)>>);

#[async_trait]
impl SmsSender for Phone {
    async fn send(&self, to: &PhoneNumber, body: &str) -> Result<(), String> {
        self.0.lock().unwrap().push((to.as_str().to_owned(), body.to_owned()));
        Ok(())
    }
}

impl Phone {
    fn last_code(&self) -> String {
        let msgs = self.0.lock().unwrap();
        msgs.last()
            .unwrap()
            .1
            .split_whitespace()
            .find(|w| w.trim_end_matches('.').len() == 6 && w.chars().take(6).all(|c| c.is_ascii_digit()))
            .unwrap()
            .trim_end_matches('.')
            .to_owned()
    }
}

fn totp_code(secret: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name("x")
        .build()
        .unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap()).to_string()
}

async fn verified_user(app: &App, inbox: &Inbox, email: &str) -> gatehouse_domain::user::User {
    let (user, _) = sign_up(app, email).await;
    assert!(user.email_verified_at.is_none());
    app.deliver_due_emails(inbox, 10).await.unwrap();
    let token = inbox.link_token(email, "/verify-email");
    let verified = app.verify_email(&token).await.unwrap();
    assert!(verified.email_verified());
    verified
}

#[tokio::test]
async fn sign_up_sends_a_verification_link_that_works_once() {
    let (app, _) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let (user, _) = sign_up(&app, "ann@example.com").await;
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 1);
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 0, "sent once");
    let token = inbox.link_token("ann@example.com", "/verify-email");
    assert!(inbox.mails.lock().unwrap()[0].body.contains("http://127.0.0.1:8080/verify-email?token="));
    // A resend replaces the first link.
    app.resend_verification(&as_user(&user)).await.unwrap();
    app.deliver_due_emails(&inbox, 10).await.unwrap();
    assert!(matches!(app.verify_email(&token).await, Err(Error::Precondition(_))));
    let second = inbox.link_token("ann@example.com", "/verify-email");
    assert!(app.verify_email(&second).await.unwrap().email_verified());
    assert!(matches!(app.verify_email(&second).await, Err(Error::Precondition(_))), "once");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff() {
    let (app, clock) = app(sqlite_store().await);
    let inbox = Inbox::default();
    *inbox.fail_next.lock().unwrap() = 2;
    sign_up(&app, "ann@example.com").await;
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 1);
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 0, "waits 30 s");
    clock.advance(Duration::seconds(31));
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 1);
    clock.advance(Duration::seconds(31));
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 0, "then 60 s");
    clock.advance(Duration::seconds(30));
    assert_eq!(app.deliver_due_emails(&inbox, 10).await.unwrap(), 1);
    assert_eq!(inbox.mails.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_password_reset_works_once_ends_sessions_and_looks_the_same_for_unknown_emails() {
    let (app, _) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let user = verified_user(&app, &inbox, "ann@example.com").await;
    let session = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    let known = app.request_password_reset("ann@example.com", None).await.unwrap();
    let unknown = app.request_password_reset("nobody@example.com", None).await.unwrap();
    assert_eq!(known, unknown);
    app.deliver_due_emails(&inbox, 10).await.unwrap();
    assert_eq!(inbox.mails.lock().unwrap().iter().filter(|m| m.kind == "reset_password").count(), 1);
    let token = inbox.link_token("ann@example.com", "/password/reset");
    let weak = app.reset_password(&token, "password", None).await;
    assert!(matches!(weak, Err(Error::Invalid { field: "password", .. })), "{weak:?}");
    app.reset_password(&token, "lighthouse keeper orange", None).await.unwrap();
    assert_eq!(app.authenticate(&session.token).await.unwrap_err(), Error::Unauthenticated, "sessions ended");
    assert!(app.reset_password(&token, "another lighthouse keeper", None).await.is_err(), "once");
    assert!(app.sign_in("ann@example.com", "correct horse battery", None, None).await.is_err());
    let s = app.sign_in("ann@example.com", "lighthouse keeper orange", None, None).await.unwrap();
    assert_eq!(s.user.sid, user.sid);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let (app, _) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let user = verified_user(&app, &inbox, "ann@example.com").await;
    let here = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    let there = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    let me = as_user(&user);
    let r = app.change_password(&me, &here.token, "wrong", "lighthouse keeper orange").await;
    assert!(matches!(r, Err(Error::Invalid { field: "current_password", .. })));
    assert_eq!(
        app.change_password(&me, &here.token, "correct horse battery", "lighthouse keeper orange").await.unwrap(),
        1
    );
    assert!(app.authenticate(&here.token).await.is_ok());
    assert!(app.authenticate(&there.token).await.is_err());
    assert_eq!(app.my_sessions(&me).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sessions_can_be_listed_and_revoked() {
    let (app, _) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let user = verified_user(&app, &inbox, "ann@example.com").await;
    let a = app
        .sign_in("ann@example.com", "correct horse battery", Some("198.51.100.1".into()), Some("Firefox".into()))
        .await
        .unwrap();
    let b = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    let c = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    let me = as_user(&user);
    let sessions = app.my_sessions(&me).await.unwrap();
    assert_eq!(sessions.len(), 3);
    assert!(
        sessions.iter().any(|s| s.ip.as_deref() == Some("198.51.100.1") && s.user_agent.as_deref() == Some("Firefox"))
    );
    app.revoke_session(&me, &b.session.token_hash[..16]).await.unwrap();
    assert!(app.authenticate(&b.token).await.is_err());
    assert_eq!(app.revoke_session(&me, "short").await.unwrap_err(), Error::NotFound);
    assert_eq!(app.revoke_other_sessions(&me, &a.token).await.unwrap(), 1);
    assert!(app.authenticate(&c.token).await.is_err());
    assert!(app.authenticate(&a.token).await.is_ok());
}

#[tokio::test]
async fn totp_enrolment_sign_in_replay_recovery_codes_and_disabling() {
    let (app, clock) = app(sqlite_store().await);
    let inbox = Inbox::default();
    let (unverified, _) = sign_up(&app, "zoe@example.com").await;
    assert!(matches!(app.start_totp(&as_user(&unverified)).await, Err(Error::Precondition(_))), "verify email first");

    let user = verified_user(&app, &inbox, "ann@example.com").await;
    let me = as_user(&user);
    let enrol = app.start_totp(&me).await.unwrap();
    assert!(enrol.otpauth_url.starts_with("otpauth://totp/Gatehouse:ann%40example.com?"), "{}", enrol.otpauth_url);
    assert_eq!(app.start_totp(&me).await.unwrap().secret, enrol.secret, "same secret until confirmed");
    assert!(matches!(app.confirm_totp(&me, "000000").await, Err(Error::Invalid { field: "code", .. })));
    let codes = app.confirm_totp(&me, &totp_code(&enrol.secret, clock.now_for_tests())).await.unwrap();
    assert_eq!(codes.len(), 10);
    assert!(app.two_factor_status(&me).await.unwrap().enabled());

    // Sign-in now stops halfway until the second factor.
    let s = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    assert_eq!(s.session.stage, SessionStage::SecondFactor);
    let used_code = totp_code(&enrol.secret, clock.now_for_tests());
    let replay = app.complete_second_factor(&s.token, SecondFactorProof::Totp(used_code), None).await;
    assert!(matches!(replay, Err(Error::Invalid { .. })), "the enrolment code cannot be replayed");
    clock.advance(Duration::seconds(30));
    let code = totp_code(&enrol.secret, clock.now_for_tests());
    assert_eq!(app.complete_second_factor(&s.token, SecondFactorProof::Totp(code), None).await.unwrap(), None);
    assert_eq!(app.authenticate(&s.token).await.unwrap().1.stage, SessionStage::Full);

    // A recovery code works once, and says how many are left.
    let s2 = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    let left = app
        .complete_second_factor(&s2.token, SecondFactorProof::Recovery(codes[0].to_uppercase()), None)
        .await
        .unwrap();
    assert_eq!(left, Some(9));
    let s3 = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    assert!(app.complete_second_factor(&s3.token, SecondFactorProof::Recovery(codes[0].clone()), None).await.is_err());

    let fresh = app.regenerate_recovery_codes(&me).await.unwrap();
    assert!(
        app.complete_second_factor(&s3.token, SecondFactorProof::Recovery(codes[1].clone()), None).await.is_err(),
        "old codes stop working"
    );
    assert!(app.disable_two_factor(&me, SecondFactorProof::Recovery("nope-nope".into())).await.is_err());
    app.disable_two_factor(&me, SecondFactorProof::Recovery(fresh[0].clone())).await.unwrap();
    let s4 = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    assert_eq!(s4.session.stage, SessionStage::Full);
}

#[tokio::test]
async fn sms_codes_enrol_a_phone_and_complete_a_sign_in() {
    let store = sqlite_store().await;
    let (app, _) = app(store);
    let phone = Arc::new(Phone::default());
    let app = app.with_sms(phone.clone());
    let inbox = Inbox::default();
    let user = verified_user(&app, &inbox, "ann@example.com").await;
    let me = as_user(&user);
    assert!(matches!(app.start_sms(&me, "555-0123").await, Err(Error::Invalid { field: "phone", .. })));
    assert_eq!(app.start_sms(&me, "+1 415 555 0123").await.unwrap(), "••••••••••23");
    assert_eq!(phone.0.lock().unwrap()[0].0, "+14155550123");
    let codes = app.confirm_sms(&me, &phone.last_code()).await.unwrap();
    assert_eq!(codes.len(), 10);
    let s = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    app.send_sign_in_sms(&s.token).await.unwrap();
    let code = phone.last_code();
    app.complete_second_factor(&s.token, SecondFactorProof::Sms(code.clone()), None).await.unwrap();
    let s2 = app.sign_in("ann@example.com", "correct horse battery", None, None).await.unwrap();
    assert!(
        app.complete_second_factor(&s2.token, SecondFactorProof::Sms(code), None).await.is_err(),
        "a code works once"
    );
}

#[tokio::test]
async fn repeated_failures_lock_sign_in_for_that_email_and_a_spraying_address_with_growing_delays() {
    let (app, clock) = app(sqlite_store().await);
    sign_up(&app, "ann@example.com").await;
    let ip = Some("203.0.113.9".to_string());
    for _ in 0..5 {
        assert_eq!(
            app.sign_in("ann@example.com", "wrong password", ip.clone(), None).await.unwrap_err(),
            Error::Unauthenticated
        );
    }
    assert_eq!(
        app.sign_in("ann@example.com", "wrong password", ip.clone(), None).await.unwrap_err(),
        Error::Unauthenticated
    );
    let locked = app.sign_in("ann@example.com", "correct horse battery", None, None).await;
    assert!(matches!(&locked, Err(Error::Precondition(m)) if m.contains("Too many attempts")), "{locked:?}");
    let from_ip = app.sign_in("other@example.com", "whatever it is", ip.clone(), None).await;
    assert_eq!(from_ip.unwrap_err(), Error::Unauthenticated, "another person behind the address is not locked out");
    // Guesses sprayed from one address at many targets lock the address, at a higher threshold.
    // Seven failures so far from the address (six for ann, one for other); the hundred are
    // free, the one after them is judged and locks the address.
    for i in 8..=gatehouse_domain::security::THROTTLE_FREE_FAILURES_PER_ADDRESS + 1 {
        let r = app.sign_in(&format!("user{i}@example.com"), "wrong password", ip.clone(), None).await;
        assert_eq!(r.unwrap_err(), Error::Unauthenticated, "failure {i} from the address");
    }
    let sprayed = app.sign_in("someone@example.com", "wrong password", ip.clone(), None).await;
    assert!(matches!(sprayed, Err(Error::Precondition(_))), "the address is locked after {sprayed:?}");
    clock.advance(Duration::seconds(2));
    assert!(app.sign_in("ann@example.com", "correct horse battery", None, None).await.is_ok(), "after the delay");
    // Unknown emails are throttled the same way.
    for _ in 0..6 {
        let _ = app.sign_in("ghost@example.com", "wrong password", None, None).await;
    }
    assert!(matches!(
        app.sign_in("ghost@example.com", "wrong password", None, None).await,
        Err(Error::Precondition(_))
    ));
}

#[tokio::test]
async fn two_factor_can_be_required_by_the_organization_by_an_admin_or_by_an_account() {
    let (app, _) = app(sqlite_store().await);
    let org = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&org.user);
    assert!(!app.must_enrol_two_factor(&org.user, None).await.unwrap());
    app.set_organization_require_two_factor(&o, &org.organization.sid, true).await.unwrap();
    assert!(app.must_enrol_two_factor(&org.user, None).await.unwrap());
    app.set_organization_require_two_factor(&o, &org.organization.sid, false).await.unwrap();
    let mut account = app.account(&o, &org.account.sid).await.unwrap().account;
    account.settings.require_two_factor = true;
    app.update_account_settings(&o, &org.account.sid, account.settings).await.unwrap();
    assert!(app.must_enrol_two_factor(&org.user, Some(&org.account.sid)).await.unwrap());
    assert!(!app.must_enrol_two_factor(&org.user, None).await.unwrap(), "only in that account");
    app.set_user_require_two_factor(&o, &org.organization.sid, &org.user.sid, true).await.unwrap();
    let me = app.user(&o, &org.user.sid).await.unwrap();
    assert!(app.must_enrol_two_factor(&me, None).await.unwrap());
    let (outsider, _) = sign_up(&app, "x@example.com").await;
    let r = app
        .set_organization_require_two_factor(&Actor::user(outsider.sid.clone(), None), &org.organization.sid, true)
        .await;
    assert_eq!(r.unwrap_err(), Error::NotFound);
}

#[tokio::test]
async fn sign_ins_of_managed_users_reach_the_organization_audit_log_and_count_after_the_second_factor() {
    let (app, clock) = app(sqlite_store().await);
    let org = new_org(&app, "olivia@acme.com").await;
    let o = as_user(&org.user);
    let ip = Some("198.51.100.4".to_string());
    let _ = app.sign_in("olivia@acme.com", "wrong password", ip.clone(), None).await;
    let enrol = app.start_totp(&o).await.unwrap();
    app.confirm_totp(&o, &totp_code(&enrol.secret, clock.now_for_tests())).await.unwrap();
    let before = app.user(&o, &org.user.sid).await.unwrap().last_login_at;
    clock.advance(Duration::seconds(60));
    let s = app.sign_in("olivia@acme.com", "correct horse battery", ip.clone(), None).await.unwrap();
    assert_eq!(app.user(&o, &org.user.sid).await.unwrap().last_login_at, before, "not yet: a factor is owed");
    let code = totp_code(&enrol.secret, clock.now_for_tests());
    app.complete_second_factor(&s.token, SecondFactorProof::Totp(code), ip.clone()).await.unwrap();
    let now = clock.now_for_tests();
    assert_eq!(app.user(&o, &org.user.sid).await.unwrap().last_login_at, Some(now));
    // Throttled attempts are audited too.
    for _ in 0..7 {
        let _ = app.sign_in("olivia@acme.com", "wrong password", ip.clone(), None).await;
    }
    let events = app
        .organization_audit(&o, &org.organization.sid, &gatehouse_domain::page::PageRequest::first(50))
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for expected in ["user.sign_in_failed", "user.password_accepted", "user.signed_in", "user.two_factor_enabled"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let signed_in = events.iter().find(|e| e.action == "user.signed_in").unwrap();
    assert_eq!(signed_in.details["second_factor"], "totp");
    assert_eq!(signed_in.source_ip.as_deref(), Some("198.51.100.4"));
    assert!(events.iter().any(|e| e.action == "user.sign_in_failed" && e.details["reason"] == "throttled"));
}
