//! The permission-check API over HTTP: an organization's OAuth app asks about its users, and the
//! answers follow every way access is held — a direct role, a group's grant (SCIM), an account
//! role on the organization, a grant with its subaccounts — each with its reason and the
//! revision it saw; `min_revision` waits for a change the caller just made; callers without
//! `access.check`, and questions outside the caller's organization, are refused.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// An organization OAuth app's access token.
async fn app_token(server: &Server, org: &str) -> String {
    let app = cli_json(server, &["admin", "create-oauth-app", "--organization", org, "--name", "checker", "--json"]);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app["client_id"].as_str().unwrap()),
        ("client_secret", app["client_secret"].as_str().unwrap()),
    ];
    let r = Client::new().post(format!("{}/v2/token", server.base)).form(&form).send().await.unwrap();
    r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

/// `POST /api/v1/{path}` with a bearer token: the status, the answer and its access revision.
async fn ask(server: &Server, token: &str, path: &str, body: Value) -> (StatusCode, Value, u64) {
    let r = Client::new()
        .post(format!("{}/api/v1/{path}", server.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let revision = r.headers()["gatehouse-access-revision"].to_str().unwrap().parse().unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null), revision)
}

async fn the_check_api_answers_with_reasons_and_revisions(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
    let token = app_token(&server, &org).await;
    let sam_browser = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam = org_user_sid(&olivia, &org, "sam@acme.test").await;
    let csrf = csrf_of(&olivia.page(&format!("/orgs/{org}/users")).await);
    let body = json!({ "friendly_name": "Sub" });
    let (status, sub) =
        api_call(&server, &olivia, &csrf, "post", &format!("/accounts/{acct}/subaccounts"), Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let sub = sub["sid"].as_str().unwrap().to_owned();
    let question =
        |permission: &str, resource: &str| json!({ "principal": sam, "permission": permission, "resource": resource });

    // Nothing yet.
    let (status, answer, _) = ask(&server, &token, "check", question("resources.write", &acct)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!((answer["allowed"].as_bool(), answer["because"].as_array().map(Vec::len)), (Some(false), Some(0)));

    // Developer on the account through Twilio's RoleAssignments: the change's revision, passed
    // as min_revision, is answered with the change.
    let r = Client::new()
        .post(format!("{}/Organizations/{org}/RoleAssignments", server.base))
        .bearer_auth(&token)
        .json(&json!({ "role_sid": "IX00000000000000000000000000000103", "scope": acct, "identity": sam }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let changed: u64 = r.headers()["gatehouse-access-revision"].to_str().unwrap().parse().unwrap();
    let assignment = r.json::<Value>().await.unwrap()["sid"].as_str().unwrap().to_owned();
    let mut q = question("resources.write", &acct);
    q["min_revision"] = json!(changed);
    let (_, answer, _) = ask(&server, &token, "check", q).await;
    assert_eq!(answer["allowed"], true, "{answer}");
    assert!(answer["revision"].as_u64().unwrap() >= changed);
    assert_eq!(
        answer["because"],
        json!([{ "role": "IX00000000000000000000000000000103", "role_name": "Developer", "via": "direct", "assignment": assignment }])
    );
    // A refusal says why: the permission missing, on the API and on the page.
    let r = sam_browser.get(&format!("/api/v1/accounts/{acct}/invoices")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let refused: Value = r.json().await.unwrap();
    assert_eq!(refused["missing_permission"], "billing.read", "{refused}");
    let r = sam_browser.get(&format!("/accounts/{acct}/billing")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(page.contains("Why?") && page.contains("<code>billing.read</code>"), "{page}");
    // Not on the subaccount (no cascade by default), and never billing.
    for (permission, resource) in [("resources.write", &sub), ("billing.read", &acct)] {
        let (_, answer, _) = ask(&server, &token, "check", question(permission, resource)).await;
        assert_eq!(answer["allowed"], false, "{permission} on {resource}");
    }

    // A SCIM group holding Support on the account with its subaccounts: Sam reads the
    // subaccount's logs through the group.
    let app = &server.running.app;
    let system = gatehouse_domain::policy::Actor::system();
    let org_sid = gatehouse_domain::sid::OrganizationSid::parse(&org).unwrap();
    let group = app
        .create_group(
            &system,
            &org_sid,
            gatehouse_app::GroupInput {
                display_name: "Support".into(),
                external_id: None,
                members: vec![gatehouse_domain::sid::UserSid::parse(&sam).unwrap()],
            },
            false,
        )
        .await
        .unwrap();
    let at_acct =
        gatehouse_domain::membership::ScopeRef::Account(gatehouse_domain::sid::AccountSid::parse(&acct).unwrap());
    let support = gatehouse_domain::role::AccountRole::Support.sid();
    app.create_group_role_assignment(&system, &org_sid, &support, &at_acct, true, &group.group.sid).await.unwrap();
    app.catch_up_access().await.unwrap();
    let (_, answer, _) = ask(&server, &token, "check", question("logs.read", &sub)).await;
    assert_eq!(answer["allowed"], true, "{answer}");
    assert_eq!(answer["because"][0]["via"], json!({ "group": group.group.sid.to_string() }));

    // An account role on the organization reaches an account made later.
    let later = create_org_account(&olivia, &org, "Later").await;
    let at_org = gatehouse_domain::membership::ScopeRef::Organization(org_sid.clone());
    let viewer = gatehouse_domain::role::AccountRole::Viewer.sid();
    let sam_user = gatehouse_domain::sid::UserSid::parse(&sam).unwrap();
    app.create_org_role_assignment(&system, &org_sid, &viewer, &at_org, false, &sam_user).await.unwrap();
    app.catch_up_access().await.unwrap();

    // The batch form answers in order.
    let batch = json!({ "checks": [question("account.read", &later), question("account.read", &sub), question("org.users.read", &org)] });
    let (status, answers, _) = ask(&server, &token, "check/batch", batch).await;
    assert_eq!(status, StatusCode::OK, "{answers}");
    let allowed: Vec<bool> =
        answers["results"].as_array().unwrap().iter().map(|a| a["allowed"].as_bool().unwrap()).collect();
    assert_eq!(allowed, [true, true, false]);
    assert_eq!(answers["results"][0]["because"][0]["via"], json!({ "organization": org }));

    // The pages show the same: Sam's Access tab, the account's, and the access map.
    let tab = olivia.page(&format!("/orgs/{org}/users/{sam}?tab=access")).await;
    for shown in
        ["Developer", "Support", "group Support", "and its subaccounts", "Viewer", "and every account it manages"]
    {
        assert!(tab.contains(shown), "Sam's Access tab shows {shown}");
    }
    let here = olivia.page(&format!("/accounts/{sub}/access")).await;
    assert!(here.contains("Group Support") && here.contains("parent account"), "the subaccount's Access tab");
    assert!(here.contains("the organization") && here.contains("<code>logs.read</code>"));
    let map = olivia.page(&format!("/orgs/{org}/access")).await;
    assert!(map.contains("<svg class=\"access-map\"") && map.contains("Support (1 member)"), "the access map");
    assert!(map.contains(">sam<") && map.contains(">Later<"), "people and accounts are named");
    let one_group = olivia.page(&format!("/orgs/{org}/access?group={}", group.group.sid)).await;
    assert!(one_group.contains("the members of Support"));
    assert_eq!(sam_browser.get(&format!("/orgs/{org}/access")).await.status(), StatusCode::FORBIDDEN);

    // Refusals: an unknown permission (422, named), an account of nobody's or not the
    // caller's (404), a key without access.check and a signed-in person (403).
    let (status, answer, _) = ask(&server, &token, "check", question("logs.write", &acct)).await;
    assert_eq!((status, answer["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("permission")));
    let (status, _, _) =
        ask(&server, &token, "check", question("logs.read", "ACffffffffffffffffffffffffffffffff")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (key, secret) = create_key(&olivia, &acct, "plain").await;
    let r = Client::new()
        .post(format!("{}/api/v1/check", server.base))
        .basic_auth(&key, Some(&secret))
        .json(&question("logs.read", &acct))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = api_call(&server, &olivia, &csrf, "post", "/check", Some(&question("logs.read", &acct))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A key restricted to access.check (made over the JSON API) asks about its organization.
    let body = json!({ "friendly_name": "checker", "permissions": ["access.check"] });
    let (status, checker) =
        api_call(&server, &olivia, &csrf, "post", &format!("/accounts/{acct}/keys"), Some(&body)).await;
    assert_eq!((status, &checker["permissions"]), (StatusCode::CREATED, &json!(["access.check"])));
    let r = Client::new()
        .post(format!("{}/api/v1/check", server.base))
        .basic_auth(checker["sid"].as_str().unwrap(), checker["secret"].as_str())
        .json(&question("account.read", &later))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["allowed"], true);
    let mut q = question("logs.read", &acct);
    q["min_revision"] = json!(u64::MAX / 2);
    let (status, answer, _) = ask(&server, &token, "check", q).await;
    assert_eq!((status, answer["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("min_revision")));
    server.running.stop().await.unwrap();
}

/// Another organization's app cannot ask about this one's accounts or organization.
async fn the_check_api_stays_inside_the_callers_organization(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
    let olivia_sid = org_user_sid(&olivia, &org, "olivia@acme.test").await;
    // A second organization, made by someone who signed up on their own.
    let rita = Browser::new(&server);
    sign_up(&server, &rita, "rita@rival.test", "Rita").await;
    let home = rita.page("/accounts").await;
    let personal = format!("AC{}", &sid_after(&home, "href=\"/accounts/AC")[..32]);
    let r = rita.submit("/orgs/new", "/orgs/new", &[("name", "Rival"), ("accounts", &personal)]).await;
    let rival = sid_after(&location(&r), "/orgs/");
    let token = app_token(&server, &rival).await;
    for resource in [acct.as_str(), org.as_str()] {
        let body = json!({ "principal": olivia_sid, "permission": "account.read", "resource": resource });
        let (status, answer, _) = ask(&server, &token, "check", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{resource}: {answer}");
    }
    // Nor do its people see this one's access pages.
    for page in [
        format!("/orgs/{org}/access"),
        format!("/accounts/{acct}/access"),
        format!("/orgs/{org}/users/{olivia_sid}?tab=access"),
    ] {
        assert_eq!(rita.get(&page).await.status(), StatusCode::NOT_FOUND, "{page}");
    }
    server.running.stop().await.unwrap();
}

/// Two nodes on one database: a role change on node 1 is answered by node 2's check API at once
/// with `min_revision`, and within a second without it.
async fn another_node_answers_with_the_change(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
    let token = app_token(&server, &org).await;
    join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam = org_user_sid(&olivia, &org, "sam@acme.test").await;
    let other = second_node(&server).await;
    let node2 = format!("http://{}", other.addr);
    let ask2 = |min_revision: Option<u64>| {
        let mut body = json!({ "principal": sam, "permission": "logs.read", "resource": acct });
        if let Some(m) = min_revision {
            body["min_revision"] = json!(m);
        }
        let (node2, token) = (node2.clone(), token.clone());
        async move {
            let r = Client::new()
                .post(format!("{node2}/api/v1/check"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["allowed"].as_bool().unwrap()
        }
    };
    assert!(!ask2(None).await);
    let assignments = format!("{}/Organizations/{org}/RoleAssignments", server.base);
    let r = Client::new()
        .post(&assignments)
        .bearer_auth(&token)
        .json(&json!({ "role_sid": "IX00000000000000000000000000000105", "scope": acct, "identity": sam }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let revision: u64 = r.headers()["gatehouse-access-revision"].to_str().unwrap().parse().unwrap();
    let assignment = r.json::<Value>().await.unwrap()["sid"].as_str().unwrap().to_owned();
    assert!(ask2(Some(revision)).await, "at once with min_revision");

    // Ended on node 1: node 2 follows within a second, told by NOTIFY (or its poll).
    let r = Client::new().delete(format!("{assignments}/{assignment}")).bearer_auth(&token).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let ended = std::time::Instant::now();
    while ask2(None).await {
        assert!(ended.elapsed() < std::time::Duration::from_secs(1), "node 2 still answers with the old grant");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    other.stop().await.unwrap();
    server.running.stop().await.unwrap();
}

on_both_engines!(
    the_check_api_answers_with_reasons_and_revisions,
    the_check_api_stays_inside_the_callers_organization,
    another_node_answers_with_the_change,
);
