//! The authorization matrix of the account console's JSON API: every role (Owner,
//! Administrator, Developer, Billing Manager, Support, Viewer, and someone from outside) ×
//! every operation of `/openapi.json` → the expected status; a refused call changes nothing
//! (the audit log of the account and its subaccounts, where every change is written, stays
//! the same).

use std::collections::BTreeSet;

use gatehouse_app::{App, NewAccount, NewInvitation, NewMember, NewOrganization, NewSignUp};
use gatehouse_domain::page::PageRequest;
use gatehouse_domain::policy::{Actor, ActorKind};
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{AccountSid, UserSid};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

const PASSWORD: &str = "matrix test passphrase";

pub(crate) struct Caller {
    pub role: &'static str,
    pub browser: Browser,
    pub csrf: String,
}

pub(crate) struct World {
    pub server: Server,
    pub app: App,
    pub account: AccountSid,
    pub owner: Actor,
    pub callers: Vec<Caller>,
    pub counter: std::cell::Cell<u32>,
}

impl World {
    fn next(&self) -> u32 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// A new member of the account (a Viewer), as a target.
    async fn member(&self) -> UserSid {
        let email = format!("target{}@example.test", self.next());
        let anonymous = Actor { kind: ActorKind::Anonymous, source_ip: None };
        let input = NewSignUp {
            email: email.clone(),
            name: "Target".into(),
            password: PASSWORD.into(),
            account_name: "T".into(),
            organization_name: String::new(),
        };
        let (user, _) = self.app.sign_up(&anonymous, input).await.unwrap();
        let add = NewMember { email, roles: vec![AccountRole::Viewer] };
        self.app.add_member(&Actor::system(), &self.account, add).await.unwrap();
        user.sid
    }

    /// A new subaccount of the account: the account's roles apply to it.
    async fn subaccount(&self) -> (AccountSid, String) {
        let name = format!("Sub {}", self.next());
        let input = NewAccount { name: name.clone(), organization_sid: None, parent_sid: Some(self.account.clone()) };
        (self.app.create_account(&self.owner, input).await.unwrap().sid, name)
    }

    /// How many audit events the account and its subaccounts have.
    pub(crate) async fn audit_len(&self) -> usize {
        let system = Actor::system();
        let subs = self.app.subaccounts(&system, &self.account, &PageRequest::first(200)).await.unwrap();
        let mut n = 0;
        for account in std::iter::once(self.account.clone()).chain(subs.items.into_iter().map(|a| a.sid)) {
            let mut after = None;
            loop {
                let page = PageRequest::new(after, Some(200), None).unwrap();
                let events = self.app.account_audit(&system, &account, &page).await.unwrap();
                n += events.items.len();
                match events.next_after {
                    Some(a) => after = Some(a),
                    None => break,
                }
            }
        }
        n
    }
}

async fn world(engine: Engine) -> Option<World> {
    let server = server(engine).await?;
    let app = server.running.app.clone();
    let owner_browser = Browser::new(&server);
    set_up(&server, &owner_browser).await;
    let me: Value = owner_browser.get("/api/v1/me").await.json().await.unwrap();
    let owner = Actor::user(UserSid::parse(me["user_sid"].as_str().unwrap()).unwrap(), None);
    // A standalone account, so that any member may be offered ownership.
    let input = NewAccount { name: "Matrix".into(), organization_sid: None, parent_sid: None };
    let account = app.create_account(&owner, input).await.unwrap().sid;
    let csrf = csrf_of(&owner_browser.page("/me").await);
    let mut callers = vec![Caller { role: "owner", browser: owner_browser, csrf }];
    for role in ["administrator", "developer", "billing_manager", "support", "viewer", "outsider"] {
        let email = format!("{role}@callers.test");
        let input = NewOrganization {
            organization_name: format!("{role} Inc"),
            owner_email: email.clone(),
            owner_name: role.into(),
            password: PASSWORD.into(),
            account_name: String::new(),
        };
        app.create_organization(&Actor::system(), input).await.unwrap();
        if role != "outsider" {
            let roles = vec![AccountRole::parse_key(role).unwrap()];
            app.add_member(&Actor::system(), &account, NewMember { email: email.clone(), roles }).await.unwrap();
        }
        let browser = Browser::new(&server);
        assert_eq!(location(&sign_in(&browser, &email, PASSWORD).await), "/accounts");
        let csrf = csrf_of(&browser.page("/me").await);
        callers.push(Caller { role, browser, csrf });
    }
    Some(World { server, app, account, owner, callers, counter: std::cell::Cell::new(0) })
}

/// Which roles succeed, per operation (`method path` as in the OpenAPI document). Everyone
/// else who is a member gets 403 and an outsider 404.
fn allowed(op: &str) -> &'static [&'static str] {
    const ALL: &[&str] = &["owner", "administrator", "developer", "billing_manager", "support", "viewer"];
    const OA: &[&str] = &["owner", "administrator"];
    const KEYS: &[&str] = &["owner", "administrator", "developer"];
    const BILLING: &[&str] = &["owner", "administrator", "billing_manager"];
    match op {
        "get /me" => &["owner", "administrator", "developer", "billing_manager", "support", "viewer", "outsider"],
        "get /accounts/{sid}" | "get /accounts/{sid}/subaccounts" | "get /accounts/{sid}/ownership" => ALL,
        "get /accounts/{sid}/notifications" => ALL,
        // Closing runs on a subaccount, which its parent's Owner and Administrators close (ADR 0004);
        // that an Administrator never closes their own account is the policy's unit test.
        "post /accounts/{sid}/ownership" | "delete /accounts/{sid}/ownership" => &["owner"],
        "post /accounts/{sid}/ownership/accept" | "post /accounts/{sid}/ownership/decline" => &[],
        // Only an OAuth app or an API key holding access.check asks (access_check.rs): no person.
        "post /check" | "post /check/batch" => &[],
        // Only the Owner answers an organization's request, and the matrix's account has none.
        "get /accounts/{sid}/organization-request" => ALL,
        op if op.contains("/organization-request/") => &[],
        op if op.contains("/keys") => KEYS,
        op if op.contains("/payment-methods") || op.contains("/invoices") => BILLING,
        _ => OA,
    }
}

/// Operations that change the account itself run on a fresh subaccount, which only the
/// parent's Owner and Administrators reach: other members of the parent get 404 there.
pub(crate) fn on_subaccount(op: &str) -> bool {
    matches!(
        op,
        "post /accounts/{sid}"
            | "put /accounts/{sid}/settings"
            | "post /accounts/{sid}/suspend"
            | "post /accounts/{sid}/reactivate"
            | "post /accounts/{sid}/close"
    )
}

/// Prepares what the call needs and returns its path (under /api/v1) and body.
pub(crate) async fn prepare(w: &World, op: &str) -> (String, Option<Value>) {
    let (_, path) = op.split_once(' ').unwrap();
    let on_sub = on_subaccount(op);
    let (target, sub_name) = if on_sub { w.subaccount().await } else { (w.account.clone(), String::new()) };
    if op == "post /accounts/{sid}/reactivate" {
        w.app.suspend_account(&Actor::system(), &target).await.unwrap();
    }
    let mut path = path.replace("{sid}", target.as_str());
    if path.contains("{user}") {
        path = path.replace("{user}", w.member().await.as_str());
    }
    if path.contains("{invitation}") {
        let input = NewInvitation { email: format!("inv{}@example.test", w.next()), roles: vec![AccountRole::Viewer] };
        let inv = w.app.invite(&Actor::system(), &w.account, input).await.unwrap();
        path = path.replace("{invitation}", inv.sid.as_str());
    }
    if path.contains("{key}") {
        let key = w.app.create_api_key(&Actor::system(), &w.account, "Target key").await.unwrap();
        path = path.replace("{key}", key.key.sid.as_str());
    }
    if path.contains("{method}") {
        let m = w.app.add_paypal(&Actor::system(), &w.account, &format!("pay{}@example.test", w.next())).await.unwrap();
        path = path.replace("{method}", m.sid.as_str());
    }
    path = path.replace("{category}", "service");
    if op.starts_with("delete /accounts/{sid}/ownership") || op.contains("/ownership/") {
        let nominee = w.member().await;
        w.app.nominate_owner(&w.owner, &w.account, &nominee).await.unwrap();
    }
    let member = if op == "post /accounts/{sid}/ownership" { w.member().await.to_string() } else { String::new() };
    let question = json!({ "principal": w.owner.audit_name(), "permission": "account.read", "resource": w.account });
    let body = match op {
        "post /check" => Some(question),
        "post /check/batch" => Some(json!({ "checks": [question] })),
        _ => example_body(op, w.next(), &sub_name, &member),
    };
    (path, body)
}

/// A valid body for an account operation (`method path` as in the OpenAPI document), so that
/// a refusal is about who calls, never about the body. `unique` keeps addresses distinct;
/// `close_name` is the name a close must type; `member` a user SID for an ownership offer.
pub(crate) fn example_body(op: &str, unique: u32, close_name: &str, member: &str) -> Option<Value> {
    match op {
        "post /accounts/{sid}" | "post /accounts/{sid}/subaccounts" => Some(json!({ "friendly_name": "Renamed" })),
        "put /accounts/{sid}/settings" => Some(json!({
            "require_two_factor": false, "require_https_webhooks": false, "require_public_key_validation": true,
        })),
        "post /accounts/{sid}/close" => Some(json!({ "confirm_name": close_name })),
        "put /accounts/{sid}/users/{user}/roles" => Some(json!({ "roles": ["developer"] })),
        "post /accounts/{sid}/invitations" => {
            Some(json!({ "email": format!("new{unique}@example.test"), "roles": ["viewer"] }))
        }
        "post /accounts/{sid}/ownership" => Some(json!({ "user_sid": member })),
        "post /accounts/{sid}/keys" | "post /accounts/{sid}/keys/{key}" => Some(json!({ "friendly_name": "CI" })),
        "put /accounts/{sid}/notifications/{category}" => Some(json!({ "roles": ["owner", "viewer"] })),
        "post /accounts/{sid}/payment-methods/cards" => {
            Some(json!({ "number": "4242424242424242", "exp_month": "4", "exp_year": "2030", "cvc": "123" }))
        }
        "post /accounts/{sid}/payment-methods/paypal" => Some(json!({ "email": format!("pp{unique}@example.test") })),
        _ => None,
    }
}

pub(crate) async fn call(
    w: &World,
    caller: &Caller,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    api_call(&w.server, &caller.browser, &caller.csrf, method, path, body).await
}

async fn every_role_on_every_endpoint(engine: Engine) {
    let Some(w) = world(engine).await else { return };
    let doc: Value = w.callers[0].browser.get("/openapi.json").await.json().await.unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let success: u16 = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .find(|k| k.starts_with('2'))
                .unwrap()
                .parse()
                .unwrap();
            // The Admin Center's operations have their own test (org_matrix.rs).
            if !path.starts_with("/orgs/") {
                ops.push((format!("{method} {path}"), success));
            }
        }
    }
    assert!(ops.len() >= 30, "the document lists the API: {}", ops.len());
    let mut checked = BTreeSet::new();
    for (op, success) in &ops {
        let (method, _) = op.split_once(' ').unwrap();
        for caller in &w.callers {
            let (path, body) = prepare(&w, op).await;
            let before = w.audit_len().await;
            let (status, answer) = call(&w, caller, method, &path, body.as_ref()).await;
            let expected = if allowed(op).contains(&caller.role) {
                StatusCode::from_u16(*success).unwrap()
            } else if op.starts_with("post /check") {
                StatusCode::FORBIDDEN
            } else if caller.role == "outsider"
                || op.contains("/ownership/")
                || op.contains("/organization-request/")
                || (on_subaccount(op) && !["owner", "administrator"].contains(&caller.role))
            {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, expected, "{} → {op} ({path}): {answer}", caller.role);
            if !status.is_success() {
                assert_ne!(answer["code"], "no_route", "{op} is routed");
                assert_eq!(answer["status"], status.as_u16(), "errors have one shape: {answer}");
                assert_eq!(w.audit_len().await, before, "{} → {op} was refused and changed nothing", caller.role);
            }
        }
        checked.insert(op.clone());
    }
    assert_eq!(checked.len(), ops.len());
    w.server.running.stop().await.unwrap();
}

/// The API's other answers: authentication, CSRF for sessions, bad bodies, unknown routes.
async fn the_api_refuses_clearly(engine: Engine) {
    let Some(w) = world(engine).await else { return };
    let owner = &w.callers[0];
    let base = &w.server.base;
    let anonymous = reqwest::Client::new();
    let r = anonymous.get(format!("{base}/api/v1/accounts/{}", w.account)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unauthenticated");
    // A session's write without its CSRF token is refused.
    let r = owner
        .browser
        .client
        .post(format!("{base}/api/v1/accounts/{}", w.account))
        .json(&json!({ "friendly_name": "X" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, body) =
        call(&w, owner, "post", &format!("/accounts/{}", w.account), Some(&json!({ "name": "X" }))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")));
    let (status, body) =
        call(&w, owner, "post", &format!("/accounts/{}", w.account), Some(&json!({ "friendly_name": "" }))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
    let (status, body) = call(&w, owner, "get", "/nowhere", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_route")));
    let (status, _) = call(&w, owner, "get", "/accounts/not-a-sid", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The reference page lists what the document lists.
    let page = owner.browser.page("/api").await;
    assert!(page.contains("/accounts/{sid}/invitations/{invitation}/resend") && page.contains("/openapi.json"));
    w.server.running.stop().await.unwrap();
}

on_both_engines!(every_role_on_every_endpoint, the_api_refuses_clearly);
