//! Tenant isolation and the organization roles of the Admin Center's JSON API: for every
//! `/orgs/…` operation of `/openapi.json`, on fresh fixtures of organization B, B's Owner and
//! Administrator succeed, B's Standard User is refused (403; only creating an account is
//! theirs), and organization A's Owner gets 404. A's Owner also gets 404 on every account
//! operation with B's account ids. A refused call changes nothing: B's audit log (organization
//! and account), where every change is written, stays the same.

use gatehouse_app::{App, NewAccount, NewOrganization, NewSignUp};
use gatehouse_domain::domains::{Domain, DomainStatus};
use gatehouse_domain::membership::{RoleAssignment, ScopeRef};
use gatehouse_domain::offboarding::{OffboardingKind, OffboardingPlan};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::role::{AccountRole, OrgRole};
use gatehouse_domain::sid::{AccountSid, DomainSid, OrganizationSid, UserSid};
use gatehouse_domain::user::{Email, User};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::matrix::example_body;
use crate::support::*;

const PASSWORD: &str = "org matrix passphrase";

struct Caller {
    who: &'static str,
    browser: Browser,
    csrf: String,
}

struct World {
    server: Server,
    app: App,
    org: OrganizationSid,
    /// B's first account.
    account: AccountSid,
    owner: Actor,
    callers: Vec<Caller>,
    counter: std::cell::Cell<u32>,
}

impl World {
    fn next(&self) -> u32 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// A new managed Standard User of B.
    async fn managed_user(&self) -> UserSid {
        self.managed_user_as(OrgRole::StandardUser).await
    }

    /// A new managed user of B with an organization role.
    async fn managed_user_as(&self, role: OrgRole) -> UserSid {
        let n = self.next();
        let mut tx = self.app.store().write().await.unwrap();
        let user = User::new(
            Email::parse(&format!("m{n}@beta.test")).unwrap(),
            format!("M{n}"),
            Some(self.org.clone()),
            chrono::Utc::now(),
        );
        tx.insert_user(&user, None).await.unwrap();
        let scope = ScopeRef::Organization(self.org.clone());
        tx.insert_assignment(&RoleAssignment::new(role.sid(), user.sid.clone(), scope, chrono::Utc::now()))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        user.sid
    }

    /// A new standalone account of someone outside B.
    async fn outside_account(&self) -> (AccountSid, Actor) {
        let n = self.next();
        let anonymous = Actor { kind: ActorKind::Anonymous, source_ip: None };
        let input = NewSignUp {
            email: format!("x{n}@outside.test"),
            name: "X".into(),
            password: PASSWORD.into(),
            account_name: format!("X{n}"),
            organization_name: String::new(),
        };
        let (user, account) = self.app.sign_up(&anonymous, input).await.unwrap();
        (account.sid, Actor::user(user.sid, None))
    }

    /// Everything written about B: its organization's events and its first account's.
    async fn audit_len(&self) -> usize {
        let system = Actor::system();
        let page = PageRequest::first(200);
        self.app.organization_audit(&system, &self.org, &page).await.unwrap().items.len()
            + self.app.account_audit(&system, &self.account, &page).await.unwrap().items.len()
    }
}

async fn caller(server: &Server, who: &'static str, email: &str) -> Caller {
    let browser = Browser::new(server);
    assert_eq!(location(&sign_in(&browser, email, PASSWORD).await), "/accounts");
    let csrf = csrf_of(&browser.page("/me").await);
    Caller { who, browser, csrf }
}

async fn world(engine: Engine) -> Option<World> {
    let server = server(engine).await?;
    let app = server.running.app.clone();
    let system = Actor::system();
    let new_org = |name: &str, email: &str| NewOrganization {
        organization_name: name.into(),
        owner_email: email.into(),
        owner_name: name.into(),
        password: PASSWORD.into(),
        account_name: String::new(),
    };
    app.create_organization(&system, new_org("Alpha", "owner@alpha.test")).await.unwrap();
    let beta = app.create_organization(&system, new_org("Beta", "owner@beta.test")).await.unwrap();
    let org = beta.organization.sid.clone();
    // beta.test is verified, so B can invite; an Administrator and a Standard User of B.
    {
        let mut tx = app.store().write().await.unwrap();
        let now = chrono::Utc::now();
        tx.insert_domain(&Domain {
            sid: DomainSid::generate(),
            organization_sid: org.clone(),
            name: "beta.test".into(),
            token: "t".into(),
            status: DomainStatus::Verified,
            verified_at: Some(now),
            checked_at: Some(now),
            last_error: None,
            created_at: now,
        })
        .await
        .unwrap();
        let hash = gatehouse_app::PasswordHasher::new().hash(PASSWORD).await.unwrap();
        for (email, role) in
            [("admin@beta.test", OrgRole::Administrator), ("standard@beta.test", OrgRole::StandardUser)]
        {
            let user = User {
                email_verified_at: Some(now),
                ..User::new(Email::parse(email).unwrap(), email.into(), Some(org.clone()), now)
            };
            tx.insert_user(&user, Some(&hash)).await.unwrap();
            tx.insert_assignment(&RoleAssignment::new(
                role.sid(),
                user.sid.clone(),
                ScopeRef::Organization(org.clone()),
                now,
            ))
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let callers = vec![
        caller(&server, "a_owner", "owner@alpha.test").await,
        caller(&server, "b_standard", "standard@beta.test").await,
        caller(&server, "b_administrator", "admin@beta.test").await,
        caller(&server, "b_owner", "owner@beta.test").await,
    ];
    Some(World {
        server,
        app,
        org,
        account: beta.account.sid,
        owner: Actor::user(beta.user.sid, None),
        callers,
        counter: std::cell::Cell::new(0),
    })
}

/// Fresh fixtures in B for one operation: its path (under /api/v1) and body.
async fn prepare(w: &World, op: &str) -> (String, Option<Value>) {
    let (_, path) = op.split_once(' ').unwrap();
    let system = Actor::system();
    let n = w.next();
    let mut path = path.replace("{org}", w.org.as_str());
    if path.contains("{domain}") {
        let d = w.app.add_domain(&system, &w.org, &format!("d{n}.beta.test")).await.unwrap();
        path = path.replace("{domain}", d.sid.as_str());
    }
    if path.contains("{user}") {
        path = path.replace("{user}", w.managed_user().await.as_str());
    }
    if path.contains("{report}") {
        let user = w.managed_user().await;
        let report = w
            .app
            .offboard(&system, &w.org, &user, OffboardingKind::Removed, &OffboardingPlan::default())
            .await
            .unwrap();
        path = path.replace("{report}", report.sid.as_str());
    }
    if path.contains("{invitation}") {
        let i =
            w.app.invite_to_organization(&system, &w.org, &format!("inv{n}@beta.test"), "standard_user").await.unwrap();
        path = path.replace("{invitation}", i.sid.as_str());
    }
    if path.contains("{account}") {
        let account = if op.ends_with("/relinquish") {
            let (account, outsider) = w.outside_account().await;
            w.app.request_account_access(&w.owner, &w.org, &account).await.unwrap();
            w.app.answer_account_request(&outsider, &account, true).await.unwrap();
            account
        } else {
            let input = NewAccount { name: format!("B{n}"), organization_sid: Some(w.org.clone()), parent_sid: None };
            w.app.create_account(&w.owner, input).await.unwrap().sid
        };
        path = path.replace("{account}", account.as_str());
    }
    if path.contains("{role}") {
        let definition = gatehouse_domain::custom_role::check_definition(
            &format!("Role {n}"),
            "",
            gatehouse_domain::permission::ScopeKind::Account,
            &["logs.read"],
        )
        .unwrap();
        let role = w.app.create_custom_role(&system, &w.org, definition).await.unwrap();
        path = path.replace("{role}", role.sid.as_str());
    }
    if path.contains("{request}") {
        let (account, _) = w.outside_account().await;
        let r = w.app.request_account_access(&w.owner, &w.org, &account).await.unwrap();
        path = path.replace("{request}", r.sid.as_str());
    }
    if op.starts_with("delete /orgs/{org}/ownership") || op.starts_with("post /orgs/{org}/ownership/") {
        // An offer to an Administrator who is none of the callers: only that nominee may answer.
        let nominee = w.managed_user_as(OrgRole::Administrator).await;
        w.app.nominate_org_owner(&w.owner, &w.org, &nominee).await.unwrap();
    }
    let body = match op {
        "post /orgs/{org}/ownership" => Some(json!({ "user_sid": w.managed_user_as(OrgRole::Administrator).await })),
        "post /orgs/{org}/roles" => {
            Some(json!({ "friendly_name": format!("New role {n}"), "kind": "account", "permissions": ["logs.read"] }))
        }
        "post /orgs/{org}/roles/{role}" => {
            Some(json!({ "friendly_name": format!("Renamed {n}"), "permissions": ["usage.read"] }))
        }
        "put /orgs/{org}/settings" => {
            Some(json!({ "friendly_name": "Beta", "invitation_lifetime_days": 9, "require_two_factor": false }))
        }
        "post /orgs/{org}/domains" => Some(json!({ "domain_name": format!("new{n}.beta.test") })),
        "post /orgs/{org}/users/{user}" => Some(json!({ "name": "Renamed", "organization_role": "administrator" })),
        "post /orgs/{org}/users/{user}/remove" | "post /orgs/{org}/users/{user}/delete" => Some(json!({})),
        "post /orgs/{org}/invitations" => {
            Some(json!({ "email": format!("new{n}@beta.test"), "role": "standard_user" }))
        }
        "post /orgs/{org}/accounts" => Some(json!({ "friendly_name": format!("New {n}") })),
        "post /orgs/{org}/users/{user}/accounts" => {
            let input =
                NewAccount { name: format!("For {n}"), organization_sid: Some(w.org.clone()), parent_sid: None };
            let account = w.app.create_account(&w.owner, input).await.unwrap().sid;
            Some(json!({ "account_sid": account, "roles": ["developer", "viewer"] }))
        }
        "post /orgs/{org}/account-requests" => {
            Some(json!({ "kind": "access", "account_sid": w.outside_account().await.0 }))
        }
        _ => None,
    };
    (path, body)
}

/// What each caller gets on B's ids.
fn expected(op: &str, who: &str, success: u16) -> StatusCode {
    match who {
        "a_owner" => StatusCode::NOT_FOUND,
        // Only the nominee answers an offer; to anyone else it does not exist.
        _ if op.starts_with("post /orgs/{org}/ownership/") => StatusCode::NOT_FOUND,
        "b_standard" if op == "post /orgs/{org}/accounts" => StatusCode::CREATED,
        "b_administrator" if op.ends_with(" /orgs/{org}/ownership") && !op.starts_with("get") => StatusCode::FORBIDDEN,
        "b_standard" => StatusCode::FORBIDDEN,
        _ => StatusCode::from_u16(success).unwrap(),
    }
}

fn operations(doc: &Value, prefix: &str) -> Vec<(String, u16)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with(prefix) {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let success = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .find(|k| k.starts_with('2'))
                .unwrap()
                .parse()
                .unwrap();
            ops.push((format!("{method} {path}"), success));
        }
    }
    ops
}

async fn organizations_see_only_their_own(engine: Engine) {
    let Some(w) = world(engine).await else { return };
    let doc: Value = w.callers[0].browser.get("/openapi.json").await.json().await.unwrap();
    let ops = operations(&doc, "/orgs/");
    assert!(ops.len() >= 25, "the Admin Center's operations: {}", ops.len());
    for (op, success) in &ops {
        let (method, _) = op.split_once(' ').unwrap();
        for caller in &w.callers {
            let (path, body) = prepare(&w, op).await;
            let before = w.audit_len().await;
            let (status, answer) =
                api_call(&w.server, &caller.browser, &caller.csrf, method, &path, body.as_ref()).await;
            assert_eq!(status, expected(op, caller.who, *success), "{} → {op} ({path}): {answer}", caller.who);
            if !status.is_success() {
                assert_ne!(answer["code"], "no_route", "{op} is routed");
                assert_eq!(answer["status"], status.as_u16(), "errors have one shape: {answer}");
                assert_eq!(w.audit_len().await, before, "{} → {op} was refused and changed nothing", caller.who);
            }
        }
    }

    // A's Owner on every account operation with B's ids: 404, nothing changed.
    let a_owner = &w.callers[0];
    for (op, _) in operations(&doc, "/accounts/") {
        let (method, template) = op.split_once(' ').unwrap();
        let system = Actor::system();
        let mut path = template.replace("{sid}", w.account.as_str()).replace("{category}", "service");
        if path.contains("{user}") {
            path = path.replace("{user}", w.managed_user().await.as_str());
        }
        if path.contains("{invitation}") {
            let input = gatehouse_app::NewInvitation {
                email: format!("i{}@example.test", w.next()),
                roles: vec![AccountRole::Viewer],
            };
            path = path.replace("{invitation}", w.app.invite(&system, &w.account, input).await.unwrap().sid.as_str());
        }
        if path.contains("{key}") {
            path = path
                .replace("{key}", w.app.create_api_key(&system, &w.account, "B key").await.unwrap().key.sid.as_str());
        }
        if path.contains("{method}") {
            let m = w.app.add_paypal(&system, &w.account, &format!("p{}@example.test", w.next())).await.unwrap();
            path = path.replace("{method}", m.sid.as_str());
        }
        let body = example_body(&op, w.next(), "Beta", UserSid::generate().as_str());
        let before = w.audit_len().await;
        let (status, answer) = api_call(&w.server, &a_owner.browser, &a_owner.csrf, method, &path, body.as_ref()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a_owner → {op} ({path}): {answer}");
        assert_eq!(w.audit_len().await, before, "a_owner → {op} changed nothing");
    }
    w.server.running.stop().await.unwrap();
}

on_both_engines!(organizations_see_only_their_own);
