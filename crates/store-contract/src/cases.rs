//! The contract cases. Each takes a fresh, migrated store.

use std::sync::Arc;

use chrono::Duration;
use gatehouse_domain::Error;
use gatehouse_domain::audit::{AuditEvent, AuditScope};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::session::{Session, SessionStage};
use gatehouse_domain::sid::UserSid;
use gatehouse_domain::store::Store;
use gatehouse_domain::user::Email;

use crate::fixtures::{self, add_account, add_user, grant, grant_org, t0};

pub async fn users_round_trip_and_emails_are_unique_case_insensitively(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let mut ada = fixtures::user("ada@example.com", "Ada", Some(&org.sid));
    ada.last_login_at = Some(t0() + Duration::hours(1));
    tx.insert_user(&ada, None).await.unwrap();
    assert_eq!(tx.user(&ada.sid).await.unwrap(), Some(ada.clone()));
    let by_email = tx.user_by_email(&Email::parse("ADA@example.com").unwrap()).await.unwrap();
    assert_eq!(by_email, Some(ada.clone()));
    assert_eq!(tx.count_users().await.unwrap(), 1);
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let twin = fixtures::user("ada@example.com", "Other Ada", None);
    match tx.insert_user(&twin, None).await {
        Err(Error::Conflict(m)) => assert!(m.contains("email"), "{m}"),
        other => panic!("duplicate email gave {other:?}"),
    }
    drop(tx);
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.user(&UserSid::generate()).await.unwrap(), None);
    assert_eq!(tx.count_users().await.unwrap(), 1);
}

pub async fn password_hashes_are_stored_apart_from_the_user(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let u = fixtures::user("grace@example.com", "Grace", None);
    tx.insert_user(&u, Some("$argon2id$v=19$stub")).await.unwrap();
    let v = add_user(&mut *tx, "nopass@example.com", "No Password").await;
    assert_eq!(tx.password_hash(&u.sid).await.unwrap().as_deref(), Some("$argon2id$v=19$stub"));
    assert_eq!(tx.password_hash(&v.sid).await.unwrap(), None);
    let at = t0() + Duration::days(2);
    tx.record_login(&u.sid, at).await.unwrap();
    assert_eq!(tx.user(&u.sid).await.unwrap().unwrap().last_login_at, Some(at));
}

pub async fn accounts_round_trip_with_settings_and_parent(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    assert_eq!(tx.organization(&org.sid).await.unwrap(), Some(org.clone()));
    let parent = add_account(&mut *tx, "Parent", Some(&org.sid)).await;
    let mut child = fixtures::account("Child", Some(&org.sid), Some(&parent.sid));
    child.settings.require_two_factor = true;
    child.settings.require_https_webhooks = false;
    child.settings.require_public_key_validation = true;
    tx.insert_account(&child).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.account(&child.sid).await.unwrap(), Some(child.clone()));
    assert_eq!(tx.lock_account(&parent.sid).await.unwrap(), Some(parent.clone()));
    let kids = tx.subaccounts(&parent.sid, &PageRequest::first(10)).await.unwrap();
    assert_eq!(kids.items, vec![child.clone()]);
    let orphan = fixtures::account("Orphan", None, Some(&gatehouse_domain::sid::AccountSid::generate()));
    assert!(tx.insert_account(&orphan).await.is_err(), "a parent that does not exist is refused");
}

pub async fn the_database_refuses_a_second_owner_of_one_account(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    grant(&mut *tx, &ada, AccountRole::Owner, &a).await;
    let second = RoleAssignment::new(AccountRole::Owner.sid(), bob.sid.clone(), ScopeRef::Account(a.sid.clone()), t0());
    assert!(matches!(tx.insert_assignment(&second).await, Err(Error::Conflict(_))));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    grant_org(&mut *tx, &ada, OrgRole::Owner, &org).await;
    let second =
        RoleAssignment::new(OrgRole::Owner.sid(), bob.sid.clone(), ScopeRef::Organization(org.sid.clone()), t0());
    assert!(matches!(tx.insert_assignment(&second).await, Err(Error::Conflict(_))));
}

pub async fn the_database_refuses_a_duplicate_role_assignment(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    grant(&mut *tx, &ada, AccountRole::Developer, &a).await;
    let again =
        RoleAssignment::new(AccountRole::Developer.sid(), ada.sid.clone(), ScopeRef::Account(a.sid.clone()), t0());
    match tx.insert_assignment(&again).await {
        Err(Error::Conflict(m)) => assert!(m.contains("already assigned"), "{m}"),
        other => panic!("duplicate assignment gave {other:?}"),
    }
}

pub async fn the_database_refuses_an_assignment_for_a_missing_user(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let ghost =
        RoleAssignment::new(AccountRole::Viewer.sid(), UserSid::generate(), ScopeRef::Account(a.sid.clone()), t0());
    assert!(matches!(tx.insert_assignment(&ghost).await, Err(Error::Internal(_))));
}

pub async fn members_are_paged_with_their_roles_and_searchable(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let other = add_account(&mut *tx, "Other", None).await;
    let mut users = Vec::new();
    for i in 0..5 {
        let u = add_user(&mut *tx, &format!("user{i}@example.com"), &format!("User {i}")).await;
        grant(&mut *tx, &u, AccountRole::Developer, &a).await;
        users.push(u);
    }
    grant(&mut *tx, &users[0], AccountRole::Owner, &a).await;
    grant(&mut *tx, &users[1], AccountRole::Viewer, &a).await;
    grant(&mut *tx, &users[1], AccountRole::Administrator, &other).await;
    let outsider = add_user(&mut *tx, "outsider@example.com", "Outsider").await;
    grant(&mut *tx, &outsider, AccountRole::Viewer, &other).await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let p1 = tx.account_members(&a.sid, &PageRequest::first(2)).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    assert_eq!(p1.items[0].user, users[0]);
    assert_eq!(p1.items[0].roles, vec![AccountRole::Owner, AccountRole::Developer]);
    assert_eq!(p1.items[1].roles, vec![AccountRole::Developer, AccountRole::Viewer]);
    let cursor = p1.next_after.clone().expect("a second page");
    let p2 = tx.account_members(&a.sid, &PageRequest::new(Some(cursor), Some(10), None).unwrap()).await.unwrap();
    assert_eq!(
        p2.items.iter().map(|m| m.user.sid.clone()).collect::<Vec<_>>(),
        users[2..].iter().map(|u| u.sid.clone()).collect::<Vec<_>>()
    );
    assert_eq!(p2.next_after, None);
    let found =
        tx.account_members(&a.sid, &PageRequest::new(None, None, Some("USER3@".into())).unwrap()).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].user, users[3]);
    let none =
        tx.account_members(&a.sid, &PageRequest::new(None, None, Some("outsider".into())).unwrap()).await.unwrap();
    assert!(none.items.is_empty(), "members of another account never appear");
    assert_eq!(tx.account_owner(&a.sid).await.unwrap(), Some(users[0].sid.clone()));
    assert_eq!(tx.account_owner(&other.sid).await.unwrap(), None);
}

pub async fn organization_users_include_managed_users_and_members_of_its_accounts(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let managed = fixtures::user("ann@acme.com", "Ann", Some(&org.sid));
    tx.insert_user(&managed, None).await.unwrap();
    grant_org(&mut *tx, &managed, OrgRole::Owner, &org).await;
    let account = add_account(&mut *tx, "Managed", Some(&org.sid)).await;
    let contractor = add_user(&mut *tx, "carl@contractor.io", "Carl").await;
    grant(&mut *tx, &contractor, AccountRole::Developer, &account).await;
    let stranger = add_user(&mut *tx, "sam@elsewhere.io", "Sam").await;
    let elsewhere = add_account(&mut *tx, "Elsewhere", None).await;
    grant(&mut *tx, &stranger, AccountRole::Owner, &elsewhere).await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let page = tx.organization_users(&org.sid, &PageRequest::first(50), None).await.unwrap();
    let got: Vec<_> = page.items.iter().map(|u| (u.user.email.to_string(), u.org_role, u.managed)).collect();
    assert_eq!(
        got,
        vec![("ann@acme.com".to_string(), Some(OrgRole::Owner), true), ("carl@contractor.io".to_string(), None, false),]
    );
    let searched = tx
        .organization_users(&org.sid, &PageRequest::new(None, None, Some("carl".into())).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(searched.items.len(), 1);
    let managed = tx.organization_users(&org.sid, &PageRequest::first(50), Some(true)).await.unwrap();
    assert_eq!(managed.items.iter().map(|u| u.user.email.as_str()).collect::<Vec<_>>(), vec!["ann@acme.com"]);
    let independent = tx.organization_users(&org.sid, &PageRequest::first(50), Some(false)).await.unwrap();
    assert_eq!(independent.items.iter().map(|u| u.user.email.as_str()).collect::<Vec<_>>(), vec!["carl@contractor.io"]);
}

pub async fn account_lists_are_scoped_paged_and_searchable(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let mut in_org = Vec::new();
    for name in ["Alpha", "Beta", "Gamma 50%"] {
        let a = add_account(&mut *tx, name, Some(&org.sid)).await;
        grant(&mut *tx, &ada, AccountRole::Viewer, &a).await;
        in_org.push(a);
    }
    let standalone = add_account(&mut *tx, "Standalone", None).await;
    grant(&mut *tx, &ada, AccountRole::Owner, &standalone).await;
    add_account(&mut *tx, "Not Ada's", None).await;
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let p = tx.organization_accounts(&org.sid, &PageRequest::first(2)).await.unwrap();
    assert_eq!(p.items, in_org[..2].to_vec());
    let rest = tx.organization_accounts(&org.sid, &PageRequest::new(p.next_after, None, None).unwrap()).await.unwrap();
    assert_eq!(rest.items, in_org[2..].to_vec());
    let pct =
        tx.organization_accounts(&org.sid, &PageRequest::new(None, None, Some("50%".into())).unwrap()).await.unwrap();
    assert_eq!(pct.items.len(), 1, "% is matched literally");
    let by_sid = tx
        .organization_accounts(&org.sid, &PageRequest::new(None, None, Some(in_org[1].sid.to_string())).unwrap())
        .await
        .unwrap();
    assert_eq!(by_sid.items, vec![in_org[1].clone()]);
    let mine = tx.user_accounts(&ada.sid, &PageRequest::first(50)).await.unwrap();
    assert_eq!(mine.items.len(), 4);
    assert!(mine.items.iter().all(|a| a.name != "Not Ada's"));
}

pub async fn user_organizations_report_the_strongest_role(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let globex = fixtures::organization("Globex");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&globex).await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    grant_org(&mut *tx, &ada, OrgRole::StandardUser, &acme).await;
    grant_org(&mut *tx, &ada, OrgRole::Administrator, &acme).await;
    grant_org(&mut *tx, &ada, OrgRole::StandardUser, &globex).await;
    let mut orgs = tx.user_organizations(&ada.sid).await.unwrap();
    orgs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    assert_eq!(orgs, vec![(acme, OrgRole::Administrator), (globex, OrgRole::StandardUser)]);
}

pub async fn audit_events_are_listed_newest_first_per_scope(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let org = fixtures::organization("Acme");
    tx.insert_organization(&org).await.unwrap();
    let a = add_account(&mut *tx, "Acme", Some(&org.sid)).await;
    let b = add_account(&mut *tx, "Other", None).await;
    let actor = Actor::system();
    let mut sids = Vec::new();
    for i in 0..3 {
        let e = AuditEvent::new(&actor, "member.added", a.sid.as_str(), t0() + Duration::seconds(i))
            .in_account(&a.sid, Some(&org.sid))
            .with_details(serde_json::json!({ "n": i, "roles": ["developer"] }));
        tx.append_audit(&e).await.unwrap();
        sids.push(e);
    }
    let elsewhere = AuditEvent::new(&actor, "account.created", b.sid.as_str(), t0()).in_account(&b.sid, None);
    tx.append_audit(&elsewhere).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let p = tx.audit_events(&AuditScope::Account(a.sid.clone()), &PageRequest::first(2)).await.unwrap();
    assert_eq!(p.items, vec![sids[2].clone(), sids[1].clone()]);
    let rest = tx
        .audit_events(&AuditScope::Account(a.sid.clone()), &PageRequest::new(p.next_after, None, None).unwrap())
        .await
        .unwrap();
    assert_eq!(rest.items, vec![sids[0].clone()]);
    let in_org = tx.audit_events(&AuditScope::Organization(org.sid.clone()), &PageRequest::first(50)).await.unwrap();
    assert_eq!(in_org.items.len(), 3);
    let searched = tx
        .audit_events(
            &AuditScope::Account(b.sid.clone()),
            &PageRequest::new(None, None, Some("created".into())).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(searched.items, vec![elsewhere]);
}

pub async fn sessions_round_trip_and_end_per_user(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    let session = |hash: &str, user: &UserSid| Session {
        token_hash: hash.into(),
        user_sid: user.clone(),
        csrf_token: format!("csrf-{hash}"),
        created_at: t0(),
        last_seen_at: t0(),
        expires_at: t0() + Duration::hours(12),
        ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        stage: SessionStage::Full,
    };
    let s1 = session("h1", &ada.sid);
    tx.insert_session(&s1).await.unwrap();
    tx.insert_session(&session("h2", &ada.sid)).await.unwrap();
    tx.insert_session(&session("h3", &bob.sid)).await.unwrap();
    assert_eq!(tx.session("h1").await.unwrap(), Some(s1.clone()));
    let later = t0() + Duration::minutes(5);
    tx.touch_session("h1", later).await.unwrap();
    assert_eq!(tx.session("h1").await.unwrap().unwrap().last_seen_at, later);
    tx.delete_session("h1").await.unwrap();
    assert_eq!(tx.session("h1").await.unwrap(), None);
    assert_eq!(tx.delete_user_sessions(&ada.sid).await.unwrap(), 1);
    assert!(tx.session("h3").await.unwrap().is_some(), "other users keep their sessions");
}

pub async fn only_the_newest_setup_token_is_valid_and_it_is_consumed_once(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    tx.replace_setup_token("old", t0()).await.unwrap();
    tx.replace_setup_token("new", t0()).await.unwrap();
    assert!(!tx.setup_token_valid("old").await.unwrap());
    assert!(tx.setup_token_valid("new").await.unwrap());
    assert!(tx.consume_setup_token("new").await.unwrap());
    assert!(!tx.consume_setup_token("new").await.unwrap());
    assert!(!tx.setup_token_valid("new").await.unwrap());
}

pub async fn a_dropped_transaction_leaves_nothing_behind(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    add_user(&mut *tx, "ada@example.com", "Ada").await;
    drop(tx);
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.count_users().await.unwrap(), 0);
}

pub async fn deleting_assignments_removes_only_that_users_roles_at_that_scope(store: Arc<dyn Store>) {
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "A", None).await;
    let b = add_account(&mut *tx, "B", None).await;
    let ada = add_user(&mut *tx, "ada@example.com", "Ada").await;
    let bob = add_user(&mut *tx, "bob@example.com", "Bob").await;
    grant(&mut *tx, &ada, AccountRole::Developer, &a).await;
    grant(&mut *tx, &ada, AccountRole::Viewer, &a).await;
    grant(&mut *tx, &ada, AccountRole::Viewer, &b).await;
    grant(&mut *tx, &bob, AccountRole::Viewer, &a).await;
    let scope_a = ScopeRef::Account(a.sid.clone());
    assert_eq!(tx.delete_user_assignments(&scope_a, &ada.sid).await.unwrap(), 2);
    let left = tx.user_assignments(&ada.sid, &[scope_a.clone(), ScopeRef::Account(b.sid.clone())]).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].scope, ScopeRef::Account(b.sid.clone()));
    let at_a = tx.scope_assignments(&scope_a, &PageRequest::first(10)).await.unwrap();
    assert_eq!(at_a.items.len(), 1);
    assert_eq!(at_a.items[0].user_sid, bob.sid);
}

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
    let t = Throttle::after_failure(None, "sign_in:ip:1.2.3.4", t0());
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
    use gatehouse_domain::nomination::OwnerNomination;
    let mut tx = store.write().await.unwrap();
    let a = add_account(&mut *tx, "Acme", None).await;
    let olivia = add_user(&mut *tx, "olivia@example.com", "Olivia").await;
    let dana = add_user(&mut *tx, "dana@example.com", "Dana").await;
    let sam = add_user(&mut *tx, "sam@example.com", "Sam").await;
    assert_eq!(tx.owner_nomination(&a.sid).await.unwrap(), None);
    let first = OwnerNomination::new(a.sid.clone(), dana.sid.clone(), olivia.sid.clone(), t0());
    tx.put_owner_nomination(&first).await.unwrap();
    assert_eq!(tx.owner_nomination(&a.sid).await.unwrap(), Some(first));
    let second = OwnerNomination::new(a.sid.clone(), sam.sid.clone(), olivia.sid.clone(), t0() + Duration::hours(1));
    tx.put_owner_nomination(&second).await.unwrap();
    assert_eq!(tx.owner_nomination(&a.sid).await.unwrap(), Some(second), "a new offer replaces the old");
    tx.delete_owner_nomination(&a.sid).await.unwrap();
    assert_eq!(tx.owner_nomination(&a.sid).await.unwrap(), None);
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

    tx.rename_api_key(&b.sid, &ci.sid, "Hijack").await.unwrap();
    assert_eq!(tx.api_key(&ci.sid).await.unwrap().unwrap().name, "CI", "another account cannot rename it");
    tx.rename_api_key(&a.sid, &ci.sid, "CI runner").await.unwrap();
    let later = t0() + Duration::minutes(5);
    tx.touch_api_key(&ci.sid, later).await.unwrap();
    let got = tx.api_key(&ci.sid).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.last_used_at), ("CI runner", Some(later)));
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

pub async fn a_domain_is_verified_by_one_organization_only(store: Arc<dyn Store>) {
    use gatehouse_domain::domains::{Domain, DomainStatus};
    use gatehouse_domain::sid::DomainSid;
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let claim = |org: &gatehouse_domain::organization::Organization| Domain {
        sid: DomainSid::generate(),
        organization_sid: org.sid.clone(),
        name: "acme.com".into(),
        token: "t".into(),
        status: DomainStatus::Pending,
        verified_at: None,
        checked_at: None,
        last_error: None,
        created_at: t0(),
    };
    let ours = claim(&acme);
    let theirs = claim(&rival);
    tx.insert_domain(&ours).await.unwrap();
    tx.insert_domain(&theirs).await.unwrap();
    assert_eq!(tx.verified_domain("acme.com").await.unwrap(), None);
    let verified =
        Domain { status: DomainStatus::Verified, verified_at: Some(t0()), checked_at: Some(t0()), ..ours.clone() };
    tx.update_domain(&verified).await.unwrap();
    assert_eq!(tx.verified_domain("acme.com").await.unwrap(), Some(verified.clone()));
    assert_eq!(tx.organization_domains(&acme.sid).await.unwrap(), vec![verified.clone()]);
    assert_eq!(tx.domain(&rival.sid, &ours.sid).await.unwrap(), None, "scoped to its organization");
    let later = t0() + Duration::hours(2);
    assert_eq!(tx.domains_due_for_recheck(later, 10).await.unwrap(), vec![verified.clone()]);
    assert!(tx.domains_due_for_recheck(t0(), 10).await.unwrap().is_empty(), "checked at t0, not before");
    tx.delete_domain(&rival.sid, &ours.sid).await.unwrap();
    assert!(tx.verified_domain("acme.com").await.unwrap().is_some(), "another organization cannot remove it");
    tx.commit().await.unwrap();

    // Last: on PostgreSQL a refused statement ends the transaction.
    let mut tx = store.write().await.unwrap();
    let second = Domain { status: DomainStatus::Verified, ..theirs };
    let refused = tx.update_domain(&second).await;
    assert!(matches!(&refused, Err(Error::Conflict(m)) if m.contains("another organization")), "{refused:?}");
}

pub async fn organization_invitations_round_trip_and_users_become_managed(store: Arc<dyn Store>) {
    use gatehouse_domain::invitation::{InvitationStatus, OrgInvitation};
    use gatehouse_domain::role::OrgRole;
    use gatehouse_domain::sid::InvitationSid;
    let mut tx = store.write().await.unwrap();
    let acme = fixtures::organization("Acme");
    let rival = fixtures::organization("Rival");
    tx.insert_organization(&acme).await.unwrap();
    tx.insert_organization(&rival).await.unwrap();
    let dana = add_user(&mut *tx, "dana@acme.com", "Dana").await;
    let invite = |org: &gatehouse_domain::organization::Organization, token: &str| OrgInvitation {
        sid: InvitationSid::generate(),
        organization_sid: org.sid.clone(),
        email: Email::parse("dana@acme.com").unwrap(),
        role: OrgRole::StandardUser,
        invited_by: None,
        token_hash: token.into(),
        status: InvitationStatus::Pending,
        created_at: t0(),
        expires_at: t0() + Duration::days(7),
        updated_at: t0(),
    };
    let ours = invite(&acme, "o1");
    tx.insert_org_invitation(&ours).await.unwrap();
    tx.insert_org_invitation(&invite(&rival, "r1")).await.unwrap();
    assert_eq!(tx.org_invitation_by_token("o1").await.unwrap().as_ref(), Some(&ours));
    assert_eq!(tx.org_invitation(&rival.sid, &ours.sid).await.unwrap(), None, "scoped");
    let upper = Email::parse("DANA@acme.com").unwrap();
    assert_eq!(tx.pending_org_invitation(&acme.sid, &upper).await.unwrap().map(|i| i.sid), Some(ours.sid.clone()));
    assert_eq!(tx.pending_org_invitations(&acme.sid, &PageRequest::first(10)).await.unwrap().items.len(), 1);
    let admin = OrgInvitation { role: OrgRole::Administrator, token_hash: "o2".into(), ..ours.clone() };
    tx.update_org_invitation(&admin).await.unwrap();
    assert_eq!(tx.org_invitation_by_token("o2").await.unwrap().unwrap().role, OrgRole::Administrator);
    tx.update_org_invitation(&OrgInvitation { status: InvitationStatus::Accepted, ..admin }).await.unwrap();
    assert!(tx.pending_org_invitations(&acme.sid, &PageRequest::first(10)).await.unwrap().items.is_empty());
    tx.set_user_organization(&dana.sid, &acme.sid, t0()).await.unwrap();
    assert_eq!(tx.user(&dana.sid).await.unwrap().unwrap().organization_sid, Some(acme.sid.clone()));
}
