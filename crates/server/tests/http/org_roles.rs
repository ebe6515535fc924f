//! Roles and grants beyond Twilio: custom roles over the JSON API and the Roles tab (defined,
//! assigned, honoured at the next request, changed, deleted with their assignments; Owner-only
//! and unknown permissions refused), groups that grant their members, and account roles granted
//! on the organization.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

async fn an_organization_defines_assigns_and_deletes_a_custom_role(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
    let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam_sid = org_user_sid(&olivia, &org, "sam@acme.test").await;
    let csrf = csrf_of(&olivia.page(&format!("/orgs/{org}/users")).await);
    let roles = format!("/orgs/{org}/roles");

    // Owner-only permissions and unknown names are refused; a role of account permissions is made.
    for permissions in [json!(["logs.read", "account.close"]), json!(["logs.write"])] {
        let body = json!({ "friendly_name": "Bad", "kind": "account", "permissions": permissions });
        let (status, answer) = api_call(&server, &olivia, &csrf, "post", &roles, Some(&body)).await;
        assert_eq!((status, answer["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("permissions")));
    }
    let body = json!({ "friendly_name": "Billing reader", "kind": "account", "permissions": ["account.read", "billing.read"] });
    let (status, role) = api_call(&server, &olivia, &csrf, "post", &roles, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let role_sid = role["sid"].as_str().unwrap().to_owned();
    let (_, listed) = api_call(&server, &olivia, &csrf, "get", &roles, None).await;
    let items = listed["items"].as_array().unwrap();
    assert!(items.iter().any(|r| r["builtin"] == true && r["friendly_name"] == "Administrator"));
    assert!(items.iter().any(|r| r["sid"] == role_sid.as_str() && r["builtin"] == false));

    // Assigned to Sam on the account: billing is his at his next request, nothing else.
    let billing = format!("/api/v1/accounts/{acct}/invoices");
    assert_eq!(sam.get(&billing).await.status(), StatusCode::NOT_FOUND, "no role yet");
    let app = &server.running.app;
    let system = gatehouse_domain::policy::Actor::system();
    let org_sid = gatehouse_domain::sid::OrganizationSid::parse(&org).unwrap();
    let scope =
        gatehouse_domain::membership::ScopeRef::Account(gatehouse_domain::sid::AccountSid::parse(&acct).unwrap());
    let sam_user = gatehouse_domain::sid::UserSid::parse(&sam_sid).unwrap();
    let rsid = gatehouse_domain::sid::RoleSid::parse(&role_sid).unwrap();
    app.create_org_role_assignment(&system, &org_sid, &rsid, &scope, false, &sam_user).await.unwrap();
    assert_eq!(sam.get(&billing).await.status(), StatusCode::OK);
    assert_eq!(sam.get(&format!("/api/v1/accounts/{acct}/keys")).await.status(), StatusCode::FORBIDDEN);

    // Changed: the new permissions hold at once. Deleted: refused while assigned, unless its
    // assignments end with it.
    let change = json!({ "friendly_name": "Key reader", "permissions": ["account.read", "api_keys.read"] });
    let (status, _) = api_call(&server, &olivia, &csrf, "post", &format!("{roles}/{role_sid}"), Some(&change)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sam.get(&format!("/api/v1/accounts/{acct}/keys")).await.status(), StatusCode::OK);
    assert_eq!(sam.get(&billing).await.status(), StatusCode::FORBIDDEN);
    let (status, answer) = api_call(&server, &olivia, &csrf, "delete", &format!("{roles}/{role_sid}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(answer["message"].as_str().unwrap().contains("assigned 1 time"), "{answer}");
    let path = format!("{roles}/{role_sid}?end_assignments=true");
    let (status, _) = api_call(&server, &olivia, &csrf, "delete", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sam.get(&format!("/api/v1/accounts/{acct}/keys")).await.status(), StatusCode::NOT_FOUND);

    // The escalation rule: an Administrator cannot define a role holding what they lack.
    let ada = join_organization(&server, &olivia, &org, "ada@acme.test", "administrator").await;
    let ada_csrf = csrf_of(&ada.page(&format!("/orgs/{org}/users")).await);
    let body = json!({ "friendly_name": "Owner-ish", "kind": "organization", "permissions": ["org.users.read"] });
    let (status, _) = api_call(&server, &ada, &ada_csrf, "post", &roles, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "an Administrator holds org.users.read");
    server.running.stop().await.unwrap();
}

async fn the_roles_tab_defines_edits_and_deletes_custom_roles(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let olivia = Browser::new(&server);
    set_up(&server, &olivia).await;
    let org = sid_after(&olivia.page("/accounts").await, "href=\"/orgs/");
    let roles = format!("/orgs/{org}/roles");
    let page = olivia.page(&roles).await;
    assert!(page.contains("Billing Manager") && page.contains("<code>logs.read</code> — Read the account&#39;s logs"));
    assert!(!page.contains("value=\"account.close\""), "Owner-only permissions are not offered");
    let r = olivia.submit(&roles, &roles, &[("name", "Log reader"), ("kind", "account")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "at least one permission");
    let r = olivia
        .submit(&roles, &roles, &[("name", "Log reader"), ("kind", "account"), ("permissions", "logs.read")])
        .await;
    assert_eq!(location(&r), format!("{roles}?notice=role-saved"));
    let page = olivia.page(&roles).await;
    let role = sid_after(&page[page.find("Log reader").unwrap()..], "<code>");
    let edit = format!("{roles}/{role}");
    let r = olivia
        .submit(
            &edit,
            &edit,
            &[("name", "Log and usage reader"), ("permissions", "logs.read"), ("permissions", "usage.read")],
        )
        .await;
    assert_eq!(location(&r), format!("{roles}?notice=role-saved"));
    assert!(olivia.page(&roles).await.contains("Log and usage reader"));
    let r = olivia.submit(&edit, &format!("{edit}/delete"), &[]).await;
    assert_eq!(location(&r), format!("{roles}?notice=role-deleted"));
    assert!(!olivia.page(&roles).await.contains("Log and usage reader"));
    server.running.stop().await.unwrap();
}

async fn a_group_grants_its_members_what_it_is_granted(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
    let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam_sid = org_user_sid(&olivia, &org, "sam@acme.test").await;
    let page = format!("/orgs/{org}/scim");
    olivia.submit(&page, &page, &[("name", "Okta")]).await;
    let token = text_of_id(&olivia.page(&format!("{page}?notice=scim-token-created")).await, "new-token-secret");
    let scim = |method: reqwest::Method, path: String, body: serde_json::Value| {
        reqwest::Client::new()
            .request(method, format!("{}{path}", server.base))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    // The identity provider pushes the group "Support" with Sam in it.
    let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Support", "members": [{ "value": sam_sid }] });
    let r = scim(reqwest::Method::POST, "/scim/v2/Groups".into(), body).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let group = r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    // The group is made Developer on the account: Sam reads its keys, at once.
    let keys = format!("/api/v1/accounts/{acct}/keys");
    assert_eq!(sam.get(&keys).await.status(), StatusCode::NOT_FOUND);
    let system = gatehouse_domain::policy::Actor::system();
    let org_sid = gatehouse_domain::sid::OrganizationSid::parse(&org).unwrap();
    let scope =
        gatehouse_domain::membership::ScopeRef::Account(gatehouse_domain::sid::AccountSid::parse(&acct).unwrap());
    let group_sid = gatehouse_domain::sid::GroupSid::parse(&group).unwrap();
    let developer = gatehouse_domain::role::AccountRole::Developer.sid();
    let app = &server.running.app;
    let granted =
        app.create_group_role_assignment(&system, &org_sid, &developer, &scope, false, &group_sid).await.unwrap();
    assert_eq!(sam.get(&keys).await.status(), StatusCode::OK, "a member holds the group's role");
    let again = app.create_group_role_assignment(&system, &org_sid, &developer, &scope, false, &group_sid).await;
    assert!(matches!(again, Err(gatehouse_domain::Error::Conflict(_))), "{again:?}");
    let owner = gatehouse_domain::role::AccountRole::Owner.sid();
    let refused = app.create_group_role_assignment(&system, &org_sid, &owner, &scope, false, &group_sid).await;
    assert!(matches!(refused, Err(gatehouse_domain::Error::Invalid { field: "role_sid", .. })), "{refused:?}");

    // Leaving the group (a SCIM PATCH) ends it; so does ending the grant.
    let remove = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "remove", "path": format!("members[value eq \"{sam_sid}\"]") }] });
    let r = scim(reqwest::Method::PATCH, format!("/scim/v2/Groups/{group}"), remove).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(sam.get(&keys).await.status(), StatusCode::NOT_FOUND, "no longer a member");
    let add = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "add", "path": "members", "value": [{ "value": sam_sid }] }] });
    scim(reqwest::Method::PATCH, format!("/scim/v2/Groups/{group}"), add).await.unwrap();
    assert_eq!(sam.get(&keys).await.status(), StatusCode::OK);
    app.delete_org_role_assignment(&system, &org_sid, &granted.sid).await.unwrap();
    assert_eq!(sam.get(&keys).await.status(), StatusCode::NOT_FOUND);
    server.running.stop().await.unwrap();
}

async fn an_account_role_on_the_organization_reaches_every_managed_account(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
    let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam_sid = org_user_sid(&olivia, &org, "sam@acme.test").await;
    let app = &server.running.app;
    let system = gatehouse_domain::policy::Actor::system();
    let org_sid = gatehouse_domain::sid::OrganizationSid::parse(&org).unwrap();
    let at_org = gatehouse_domain::membership::ScopeRef::Organization(org_sid.clone());
    let sam_user = gatehouse_domain::sid::UserSid::parse(&sam_sid).unwrap();
    let developer = gatehouse_domain::role::AccountRole::Developer.sid();
    app.create_org_role_assignment(&system, &org_sid, &developer, &at_org, false, &sam_user).await.unwrap();
    // Every managed account, those made later included; his organization role is untouched.
    let later = create_org_account(&olivia, &org, "Later").await;
    for account in [&acct, &later] {
        assert_eq!(sam.get(&format!("/api/v1/accounts/{account}/keys")).await.status(), StatusCode::OK);
    }
    assert!(!sam.page("/accounts").await.contains("Admin Center"), "still a Standard User");
    // Making him an Administrator of the organization keeps the account role he holds there.
    let page = format!("/orgs/{org}/users/{sam_sid}");
    olivia.submit(&page, &format!("{page}/role"), &[("role", "administrator")]).await;
    let held = app.org_role_assignments(&system, &org_sid, Some(&sam_user), None).await.unwrap();
    let roles: Vec<_> = held.iter().map(|a| a.role_sid.clone()).collect();
    assert!(
        roles.contains(&developer) && roles.contains(&gatehouse_domain::role::OrgRole::Administrator.sid()),
        "{roles:?}"
    );
    server.running.stop().await.unwrap();
}

on_both_engines!(
    an_account_role_on_the_organization_reaches_every_managed_account,
    a_group_grants_its_members_what_it_is_granted,
    an_organization_defines_assigns_and_deletes_a_custom_role,
    the_roles_tab_defines_edits_and_deletes_custom_roles,
);
