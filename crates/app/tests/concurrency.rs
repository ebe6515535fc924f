//! 50 concurrent ownership transfers and role changes on one account end with exactly one
//! Owner and one audit event per change that committed — on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use gatehouse_app::{App, NewMember};
use gatehouse_domain::audit::AuditEvent;
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::store::Store;
use support::*;

async fn all_audit(app: &App, store: &Arc<dyn Store>, account: &gatehouse_domain::sid::AccountSid) -> Vec<AuditEvent> {
    let _ = store;
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = app
            .account_audit(&Actor::system(), account, &PageRequest::new(after, Some(200), None).unwrap())
            .await
            .unwrap();
        out.extend(page.items);
        match page.next_after {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
}

async fn fifty_concurrent_changes_leave_exactly_one_owner(store: Arc<dyn Store>) {
    let app = App::new(store.clone());
    let (owner, account) = sign_up(&app, "owner@example.com").await;
    let account = account.sid;
    let mut members = vec![owner];
    for i in 0..4 {
        let (user, _) = sign_up(&app, &format!("member{i}@example.com")).await;
        app.add_member(
            &Actor::system(),
            &account,
            NewMember { email: user.email.to_string(), roles: vec![AccountRole::Developer] },
        )
        .await
        .unwrap();
        members.push(user);
    }
    let before = all_audit(&app, &store, &account).await.len();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50usize {
        let app = app.clone();
        let account = account.clone();
        let target = members[i % members.len()].sid.clone();
        let owner_candidate = members[(i / 2) % 2].sid.clone();
        tasks.spawn(async move {
            let actor = Actor::system();
            if i % 2 == 0 {
                (true, app.transfer_ownership(&actor, &account, &owner_candidate).await.is_ok())
            } else {
                let roles = if i % 4 == 1 {
                    vec![AccountRole::Administrator]
                } else {
                    vec![AccountRole::Developer, AccountRole::Viewer]
                };
                (
                    false,
                    matches!(app.change_member_roles(&actor, &account, &target, &roles).await, Ok(c) if c.changed()),
                )
            }
        });
    }
    let (mut transfers, mut role_changes) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (true, true) => transfers += 1,
            (false, true) => role_changes += 1,
            _ => {}
        }
    }
    assert!(transfers >= 2, "ownership moved back and forth: {transfers}");
    assert!(role_changes >= 2, "roles changed: {role_changes}");
    eprintln!("committed: {transfers} ownership transfers, {role_changes} role changes");
    let committed = transfers + role_changes;

    let mut tx = store.read().await.unwrap();
    let members_now = tx.account_members(&account, None, &PageRequest::first(50)).await.unwrap();
    let owners: Vec<_> = members_now.items.iter().filter(|m| m.is_owner()).collect();
    assert_eq!(owners.len(), 1, "exactly one Owner: {members_now:?}");
    assert_eq!(owners[0].roles, vec![AccountRole::Owner], "the Owner holds no other role");
    assert!(members_now.items.iter().all(|m| !m.roles.is_empty()));
    drop(tx);
    let after = all_audit(&app, &store, &account).await;
    let changes =
        after.iter().filter(|e| e.action == "account.owner_transferred" || e.action == "member.roles_changed").count();
    assert_eq!(after.len() - before, changes, "only change events were added");
    assert_eq!(changes, committed, "one audit event per committed change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_changes_leave_exactly_one_owner_on_sqlite() {
    fifty_concurrent_changes_leave_exactly_one_owner(sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_changes_leave_exactly_one_owner_on_postgres() {
    if let Some(store) = postgres_store().await {
        fifty_concurrent_changes_leave_exactly_one_owner(store).await;
    }
}

/// Counts deliveries per email; slow enough that two workers overlap.
#[derive(Default)]
struct CountingMailer(std::sync::Mutex<std::collections::HashMap<String, u32>>);

#[async_trait::async_trait]
impl gatehouse_app::Mailer for CountingMailer {
    async fn send(&self, email: &gatehouse_domain::security::OutboxEmail) -> Result<(), gatehouse_app::MailError> {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        *self.0.lock().unwrap().entry(email.recipient.to_string()).or_default() += 1;
        Ok(())
    }
}

/// Two nodes (two apps, each with its own connection pool) drain one outbox at once: every
/// email is sent exactly once.
async fn two_nodes_send_each_email_once(node_a: Arc<dyn Store>, node_b: Arc<dyn Store>) {
    let (a, b) = (App::new(node_a), App::new(node_b));
    for i in 0..30 {
        sign_up(if i % 2 == 0 { &a } else { &b }, &format!("user{i}@example.com")).await;
    }
    let mailer = Arc::new(CountingMailer::default());
    let mut workers = tokio::task::JoinSet::new();
    for app in [a.clone(), b.clone(), a, b] {
        let mailer = mailer.clone();
        workers.spawn(async move {
            let mut sent = 0;
            loop {
                match app.deliver_due_emails(mailer.as_ref(), 4).await.unwrap() {
                    0 => return sent,
                    n => sent += n,
                }
            }
        });
    }
    let mut total = 0;
    while let Some(n) = workers.join_next().await {
        total += n.unwrap();
    }
    let counts = mailer.0.lock().unwrap().clone();
    assert_eq!(counts.len(), 30, "every email went out");
    assert!(counts.values().all(|c| *c == 1), "none twice: {counts:?}");
    assert_eq!(total, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_send_each_email_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nodes.db").display());
    let first = gatehouse_store::SqliteStore::connect(&url).await.unwrap();
    first.migrate().await.unwrap();
    let second = gatehouse_store::SqliteStore::connect(&url).await.unwrap();
    two_nodes_send_each_email_once(Arc::new(first), Arc::new(second)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_send_each_email_once_on_postgres() {
    let Some(base) = postgres_url() else { return };
    let url = gatehouse_store::PgStore::create_test_database(&base).await.unwrap();
    let first = gatehouse_store::PgStore::connect(&url).await.unwrap();
    first.migrate().await.unwrap();
    let second = gatehouse_store::PgStore::connect(&url).await.unwrap();
    two_nodes_send_each_email_once(Arc::new(first), Arc::new(second)).await;
}
