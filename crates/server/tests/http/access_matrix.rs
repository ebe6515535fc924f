//! The authorization matrix, extended to the ways access is held beyond Twilio: Developer held
//! directly, through a custom role with Developer's permissions, through a group, on the
//! organization, and on the account with its subaccounts — each answers every operation of the
//! account API exactly as the direct Developer does (a refused call changes nothing), except that
//! the last two also reach subaccounts (403 where the direct role sees nothing: 404).

use gatehouse_app::NewAccount;
use gatehouse_domain::custom_role::RoleDefinition;
use gatehouse_domain::membership::ScopeRef;
use gatehouse_domain::permission::ScopeKind;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::role::AccountRole;
use gatehouse_domain::sid::{OrganizationSid, UserSid};
use reqwest::StatusCode;
use serde_json::Value;

use crate::matrix::{Caller, World, call, on_subaccount, prepare};
use crate::support::*;

const WAYS: [&str; 5] = ["developer", "custom", "group", "organization", "cascade"];

async fn world(engine: Engine) -> Option<World> {
    let (server, _dns, olivia, _first, org) = acme(engine).await?;
    let app = server.running.app.clone();
    let system = Actor::system();
    let org_sid = OrganizationSid::parse(&org).unwrap();
    let me: Value = olivia.get("/api/v1/me").await.json().await.unwrap();
    let owner = Actor::user(UserSid::parse(me["user_sid"].as_str().unwrap()).unwrap(), None);
    let input = NewAccount { name: "Matrix".into(), organization_sid: Some(org_sid.clone()), parent_sid: None };
    let account = app.create_account(&owner, input).await.unwrap().sid;
    let custom = app
        .create_custom_role(
            &system,
            &org_sid,
            RoleDefinition {
                name: "Like a developer".into(),
                description: String::new(),
                kind: ScopeKind::Account,
                permissions: AccountRole::Developer.permissions(),
            },
        )
        .await
        .unwrap();
    let developer = AccountRole::Developer.sid();
    let on_account = ScopeRef::Account(account.clone());
    let mut callers = vec![Caller { role: "owner", csrf: csrf_of(&olivia.page("/me").await), browser: olivia }];
    for way in WAYS {
        let email = format!("{way}@acme.test");
        let browser = join_organization(&server, &callers[0].browser, &org, &email, "standard_user").await;
        let user = UserSid::parse(&org_user_sid(&callers[0].browser, &org, &email).await).unwrap();
        let at_org = ScopeRef::Organization(org_sid.clone());
        let (role, scope, with_subaccounts) = match way {
            "custom" => (&custom.sid, &on_account, false),
            "organization" => (&developer, &at_org, false),
            "cascade" => (&developer, &on_account, true),
            _ => (&developer, &on_account, false),
        };
        if way == "group" {
            let group = app.create_group_with_emails(&system, &org_sid, "Developers", &[email.as_str()]).await.unwrap();
            app.create_group_role_assignment(&system, &org_sid, role, scope, false, &group).await.unwrap();
        } else {
            app.create_org_role_assignment(&system, &org_sid, role, scope, with_subaccounts, &user).await.unwrap();
        }
        let csrf = csrf_of(&browser.page("/me").await);
        callers.push(Caller { role: way, browser, csrf });
    }
    app.catch_up_access().await.unwrap();
    Some(World { server, app, account, owner, callers, counter: std::cell::Cell::new(0) })
}

async fn every_way_of_holding_a_role_answers_as_the_role(engine: Engine) {
    let Some(w) = world(engine).await else { return };
    let doc: Value = w.callers[0].browser.get("/openapi.json").await.json().await.unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Ownership offers go to a managed account's managed users only (and are the Owner's): the
        // matrix of matrix.rs covers them.
        if path.starts_with("/orgs/") || path.starts_with("/check") || path.contains("/ownership") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let op = format!("{method} {path}");
            let mut direct = None;
            for caller in w.callers.iter().skip(1) {
                let (path, body) = prepare(&w, &op).await;
                let before = w.audit_len().await;
                let (status, answer) = call(&w, caller, method, &path, body.as_ref()).await;
                let expected = match direct {
                    None => {
                        direct = Some(status);
                        status
                    }
                    Some(d)
                        if d == StatusCode::NOT_FOUND
                            && on_subaccount(&op)
                            && ["organization", "cascade"].contains(&caller.role) =>
                    {
                        StatusCode::FORBIDDEN
                    }
                    Some(d) => d,
                };
                assert_eq!(status, expected, "{} → {op} ({path}): {answer}", caller.role);
                if !status.is_success() {
                    assert_eq!(w.audit_len().await, before, "{} → {op} was refused and changed nothing", caller.role);
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} operations");
    w.server.running.stop().await.unwrap();
}

on_both_engines!(every_way_of_holding_a_role_answers_as_the_role);
