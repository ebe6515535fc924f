//! The organization's controls that the seeds and SPEC name: transferring the organization's
//! ownership (offer, decline, accept, the CLI), deactivating and reactivating a managed user,
//! adding a managed user to an account directly, the account's Users tab filtered by role,
//! independent accounts seen by every admin, and the managed-user gate at acceptance.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

/// The SID of the user listed with `email` on the organization's Users page.
async fn org_user_sid(admin: &Browser, org: &str, email: &str) -> String {
    let users = admin.page(&format!("/orgs/{org}/users?q={email}")).await;
    let at = users.find(email).unwrap_or_else(|| panic!("{email} is not listed"));
    sid_after(&users[at.saturating_sub(400)..], &format!("/orgs/{org}/users/"))
}

async fn the_owner_hands_the_organization_to_an_administrator(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let olivia = Browser::new(&server);
    let (_, org) = verified_organization(&server, &olivia, &dns).await;
    let ada = join_organization(&server, &olivia, &org, "ada@acme.test", "administrator").await;
    join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let (ada_sid, sam_sid) =
        (org_user_sid(&olivia, &org, "ada@acme.test").await, org_user_sid(&olivia, &org, "sam@acme.test").await);
    let olivia_sid = org_user_sid(&olivia, &org, "olivia@acme.test").await;
    let settings = format!("/orgs/{org}/settings");

    // Only an Administrator can be offered the organization, and only by the Owner.
    let ada_page = format!("/orgs/{org}/users/{ada_sid}");
    assert!(olivia.page(&ada_page).await.contains("Offer ownership of the organization"));
    assert!(!olivia.page(&format!("/orgs/{org}/users/{sam_sid}")).await.contains("Offer ownership"));
    let r = olivia.submit(&ada_page, &format!("/orgs/{org}/owner"), &[("new_owner", &sam_sid)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("must be an Administrator of the organization"));
    let ada_csrf = csrf_of(&ada.page(&settings).await);
    let (status, _) = api_call(
        &server,
        &ada,
        &ada_csrf,
        "post",
        &format!("/orgs/{org}/ownership"),
        Some(&json!({ "user_sid": ada_sid })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an Administrator cannot offer what they do not own");

    // Offered, declined: Olivia is told and stays the Owner.
    let r = olivia.submit(&ada_page, &format!("/orgs/{org}/owner"), &[("new_owner", &ada_sid)]).await;
    assert_eq!(location(&r), format!("{settings}?notice=org-owner-nominated#ownership"));
    let mail = server.mail().wait_for("ada@acme.test", "Become the Owner of the organization Acme Corp?").await;
    assert!(mail.link("/orgs/").ends_with(&format!("/orgs/{org}/settings#ownership")));
    assert!(olivia.page(&settings).await.contains("Waiting for <strong>ada</strong>"));
    assert!(ada.page(&settings).await.contains("You are offered ownership of this organization"));
    let r = ada.submit(&settings, &format!("/orgs/{org}/owner/answer"), &[("decline", "1")]).await;
    assert_eq!(location(&r), format!("{settings}?notice=owner-declined"));
    server.mail().wait_for("olivia@acme.test", "ada declined to own the organization Acme Corp").await;
    let (_, offer) = api_call(
        &server,
        &olivia,
        &csrf_of(&olivia.page(&settings).await),
        "get",
        &format!("/orgs/{org}/ownership"),
        None,
    )
    .await;
    assert_eq!(offer["offer"], serde_json::Value::Null);

    // Offered again through the API, accepted: Ada owns it, Olivia is an Administrator.
    let olivia_csrf = csrf_of(&olivia.page(&settings).await);
    let (status, _) = api_call(
        &server,
        &olivia,
        &olivia_csrf,
        "post",
        &format!("/orgs/{org}/ownership"),
        Some(&json!({ "user_sid": ada_sid })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, offer) = api_call(&server, &ada, &ada_csrf, "get", &format!("/orgs/{org}/ownership"), None).await;
    assert_eq!(offer["offer"]["nominee"]["user_sid"], ada_sid.as_str());
    let (status, _) =
        api_call(&server, &olivia, &olivia_csrf, "post", &format!("/orgs/{org}/ownership/accept"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only the nominee answers");
    let r = ada.submit(&settings, &format!("/orgs/{org}/owner/answer"), &[("accept", "1")]).await;
    assert_eq!(location(&r), format!("{settings}?notice=org-owner-transferred"));
    server.mail().wait_for("olivia@acme.test", "ada now owns the organization Acme Corp").await;
    server.mail().wait_for("ada@acme.test", "You now own the organization Acme Corp").await;
    let (_, olivia_now) =
        api_call(&server, &ada, &ada_csrf, "get", &format!("/orgs/{org}/users/{olivia_sid}"), None).await;
    assert_eq!(olivia_now["organization_role"], "administrator", "{olivia_now}");
    let (_, events) = api_call(&server, &ada, &ada_csrf, "get", &format!("/orgs/{org}/events"), None).await;
    let transferred =
        events["items"].as_array().unwrap().iter().find(|e| e["action"] == "organization.owner_transferred");
    assert_eq!(transferred.unwrap()["details"]["to"], ada_sid.as_str());
    // The previous Owner can now be offboarded, and no longer offers the organization.
    let (status, _) =
        api_call(&server, &ada, &ada_csrf, "get", &format!("/orgs/{org}/users/{olivia_sid}/offboarding"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api_call(
        &server,
        &olivia,
        &olivia_csrf,
        "post",
        &format!("/orgs/{org}/ownership"),
        Some(&json!({ "user_sid": ada_sid })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The operator moves it back at once when the Owner cannot.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["admin", "transfer-organization", "--organization", &org, "--to", &olivia_sid])
        .env("GATEHOUSE_DATABASE_URL", &server.database_url)
        .env_remove("GATEHOUSE_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, ada_now) =
        api_call(&server, &olivia, &olivia_csrf, "get", &format!("/orgs/{org}/users/{ada_sid}"), None).await;
    assert_eq!(ada_now["organization_role"], "administrator");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["admin", "transfer-organization", "--organization", &org, "--to", &sam_sid])
        .env("GATEHOUSE_DATABASE_URL", &server.database_url)
        .env_remove("GATEHOUSE_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to: the new Owner must be an Administrator"));
    server.running.stop().await.unwrap();
}

async fn an_admin_deactivates_and_reactivates_a_managed_user(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let olivia = Browser::new(&server);
    let (acct, org) = verified_organization(&server, &olivia, &dns).await;
    let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam_sid = org_user_sid(&olivia, &org, "sam@acme.test").await;
    let olivia_sid = org_user_sid(&olivia, &org, "olivia@acme.test").await;
    let page = format!("/orgs/{org}/users/{sam_sid}");
    olivia
        .submit(
            &format!("{page}?tab=accounts"),
            &format!("{page}/add-account"),
            &[("account_sid", &acct), ("roles", "developer")],
        )
        .await;
    let (key, secret) = create_key(&sam, &acct, "ci").await;

    // From the user page: Sam cannot sign in, his session and key stop; his roles stay.
    let r = olivia.submit(&page, &format!("{page}/deactivate"), &[]).await;
    assert_eq!(location(&r), format!("{page}?tab=&notice=user-deactivated"));
    assert!(olivia.page(&page).await.contains("<span class=\"badge deactivated\">deactivated</span>"));
    assert!(location(&sam.get("/accounts").await).starts_with("/signin"), "session ended");
    assert_eq!(sign_in(&Browser::new(&server), "sam@acme.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(key_status(&server, &key, &secret).await, StatusCode::UNAUTHORIZED);

    // From the API: reactivated, he signs in and still holds his role on the account.
    let csrf = csrf_of(&olivia.page(&page).await);
    let (status, _) =
        api_call(&server, &olivia, &csrf, "post", &format!("/orgs/{org}/users/{sam_sid}/reactivate"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let again = Browser::new(&server);
    assert_eq!(location(&sign_in(&again, "sam@acme.test", PASSWORD).await), "/accounts");
    assert!(again.page("/accounts").await.contains(&acct));
    let (_, events) = api_call(&server, &olivia, &csrf, "get", &format!("/orgs/{org}/events"), None).await;
    let actions: Vec<_> = events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.deactivated") && actions.contains(&"user.reactivated"), "{actions:?}");

    // Nobody deactivates the Owner or themselves; outsiders see nothing.
    let (status, answer) =
        api_call(&server, &olivia, &csrf, "post", &format!("/orgs/{org}/users/{olivia_sid}/deactivate"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let outsider = Browser::new(&server);
    sign_up(&server, &outsider, "x@elsewhere.test", "X").await;
    let csrf = csrf_of(&outsider.page("/me").await);
    let (status, _) =
        api_call(&server, &outsider, &csrf, "post", &format!("/orgs/{org}/users/{sam_sid}/deactivate"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.running.stop().await.unwrap();
}

async fn admins_add_managed_users_at_once_and_filter_users_by_role(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let olivia = Browser::new(&server);
    let (acct, org) = verified_organization(&server, &olivia, &dns).await;
    let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    join_organization(&server, &olivia, &org, "dana@acme.test", "standard_user").await;
    let users = format!("/accounts/{acct}/users");
    let mails_to_sam = server.mail().count_to("sam@acme.test");

    // The organization's Owner adds a managed user from the account's Users tab: roles at once.
    let r = olivia
        .submit(&users, &format!("/accounts/{acct}/invitations"), &[("email", "sam@acme.test"), ("roles", "developer")])
        .await;
    assert_eq!(location(&r), format!("{users}?notice=member-added"));
    assert!(sam.page("/accounts").await.contains(&acct), "Sam holds the role now");
    assert_eq!(server.mail().count_to("sam@acme.test"), mails_to_sam, "no invitation to accept");
    // Someone outside the organization is invited.
    let r = olivia
        .submit(
            &users,
            &format!("/accounts/{acct}/invitations"),
            &[("email", "carl@contractor.test"), ("roles", "viewer")],
        )
        .await;
    assert_eq!(location(&r), format!("/accounts/{acct}/invitations?notice=invitation-sent"));
    server.mail().wait_for("carl@contractor.test", "You are invited to Acme Production").await;
    // An account Administrator who is no organization admin invites, even a managed user.
    let sam_sid = org_user_sid(&olivia, &org, "sam@acme.test").await;
    olivia.submit(&users, &format!("/accounts/{acct}/users/{sam_sid}/roles"), &[("roles", "administrator")]).await;
    let r = sam
        .submit(
            &users,
            &format!("/accounts/{acct}/invitations"),
            &[("email", "dana@acme.test"), ("roles", "developer")],
        )
        .await;
    assert_eq!(location(&r), format!("/accounts/{acct}/invitations?notice=invitation-sent"));
    server.mail().wait_for("dana@acme.test", "You are invited to Acme Production").await;

    // The Users tab filters by role, in the page and in the API.
    let member = |email: &str| format!("data-member=\"{email}\"");
    let admins = olivia.page(&format!("{users}?role=administrator")).await;
    assert!(admins.contains(&member("sam@acme.test")) && !admins.contains(&member("olivia@acme.test")));
    let owners = olivia.page(&format!("{users}?role=owner")).await;
    assert!(owners.contains(&member("olivia@acme.test")) && !owners.contains(&member("sam@acme.test")));
    assert!(olivia.page(&format!("{users}?role=support")).await.contains("Nobody holds this role here."));
    let csrf = csrf_of(&olivia.page(&users).await);
    let (_, page) =
        api_call(&server, &olivia, &csrf, "get", &format!("/accounts/{acct}/users?role=administrator"), None).await;
    let emails: Vec<_> = page["items"].as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap()).collect();
    assert_eq!(emails, vec!["sam@acme.test"], "{page}");
    let (status, answer) =
        api_call(&server, &olivia, &csrf, "get", &format!("/accounts/{acct}/users?role=boss"), None).await;
    assert_eq!((status, answer["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("role")));
    server.running.stop().await.unwrap();
}

async fn acceptance_is_refused_once_the_domain_is_no_longer_verified(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let olivia = Browser::new(&server);
    let (_, org) = verified_organization(&server, &olivia, &dns).await;
    // An invitation to the organization, and an import request to Ivan's own account.
    let users = format!("/orgs/{org}/users");
    olivia
        .submit(&users, &format!("/orgs/{org}/invitations"), &[("email", "ivy@acme.test"), ("role", "standard_user")])
        .await;
    let link = server.mail().wait_for("ivy@acme.test", "on Gatehouse").await.link("/org-invitations/accept?token=");
    let ivan = Browser::new(&server);
    sign_up(&server, &ivan, "ivan@acme.test", "Ivan").await;
    let ivans = format!("AC{}", &sid_after(&ivan.page("/accounts").await, "href=\"/accounts/AC")[..32]);
    let accounts = format!("/orgs/{org}/accounts");
    olivia.submit(&accounts, &format!("{accounts}/request/import"), &[("account_sid", &ivans)]).await;

    // acme.test is removed from the organization before either accepts.
    let csrf = csrf_of(&olivia.page(&users).await);
    let (_, domains) = api_call(&server, &olivia, &csrf, "get", &format!("/orgs/{org}/domains"), None).await;
    let domain = domains["items"][0]["sid"].as_str().unwrap().to_owned();
    let (status, _) = api_call(&server, &olivia, &csrf, "delete", &format!("/orgs/{org}/domains/{domain}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Ivy cannot become a managed user; the admins see why, on the list and in the log.
    let ivy = Browser::new(&server);
    let token = link.split("token=").nth(1).unwrap();
    let r = ivy
        .submit(&link, "/org-invitations/accept/new", &[("token", token), ("name", "Ivy"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("acme.test is no longer a verified domain of Acme Corp"));
    assert_eq!(sign_in(&ivy, "ivy@acme.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED, "no login made");
    let pending = olivia.page(&format!("/orgs/{org}/invitations")).await;
    assert!(pending.contains("domain not verified"), "{pending}");
    // Ivan's import is refused the same way; his account stays his own.
    let overview = format!("/accounts/{ivans}");
    let r = ivan.submit(&overview, &format!("{overview}/request/answer"), &[("accept", "1")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("so this import cannot be accepted"));
    assert!(!olivia.page(&format!("{accounts}?kind=managed")).await.contains(&ivans));
    let (_, events) = api_call(&server, &olivia, &csrf, "get", &format!("/orgs/{org}/events"), None).await;
    let actions: Vec<_> = events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"org_invitation.acceptance_refused")
            && actions.contains(&"account_request.acceptance_refused"),
        "{actions:?}"
    );
    server.running.stop().await.unwrap();
}

async fn every_admin_acts_on_an_independent_account_the_organization_may_access(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let olivia = Browser::new(&server);
    let (_, org) = verified_organization(&server, &olivia, &dns).await;
    let ada = join_organization(&server, &olivia, &org, "ada@acme.test", "administrator").await;
    let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let carla = Browser::new(&server);
    sign_up(&server, &carla, "carla@contractor.test", "Carla").await;
    let carlas = format!("AC{}", &sid_after(&carla.page("/accounts").await, "href=\"/accounts/AC")[..32]);
    let users = format!("/accounts/{carlas}/users");
    let bob = Browser::new(&server);
    sign_up(&server, &bob, "bob@contractor.test", "Bob").await;
    invite_and_accept(&server, &carla, &carlas, &bob, "bob@contractor.test", &["viewer"]).await;
    assert_eq!(ada.get(&users).await.status(), StatusCode::NOT_FOUND, "no access yet");

    // Olivia asks; Carla accepts. Ada, who did not ask, sees the account's users and removes one.
    let accounts = format!("/orgs/{org}/accounts");
    olivia.submit(&accounts, &format!("{accounts}/request/access"), &[("account_sid", &carlas)]).await;
    let theirs = format!("/accounts/{carlas}");
    carla.submit(&theirs, &format!("{theirs}/request/answer"), &[("accept", "1")]).await;
    assert!(ada.page(&format!("{accounts}?kind=independent")).await.contains(&carlas));
    let page = ada.page(&users).await;
    assert!(page.contains("data-member=\"bob@contractor.test\""), "{page}");
    let bob_sid = {
        let csrf = csrf_of(&page);
        let (_, members) = api_call(&server, &ada, &csrf, "get", &format!("{users}?role=viewer"), None).await;
        members["items"][0]["user_sid"].as_str().unwrap().to_owned()
    };
    let r = ada.submit(&users, &format!("{users}/{bob_sid}/remove"), &[]).await;
    assert_eq!(location(&r), format!("{users}?notice=member-removed"));
    assert!(!ada.page(&users).await.contains("bob@contractor.test"));
    // A Standard User of the organization gets nothing; nobody but Carla may close it.
    assert_eq!(sam.get(&users).await.status(), StatusCode::NOT_FOUND);
    let r = ada.submit(&theirs, &format!("{theirs}/status/close"), &[("confirm_name", "Personal")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Ada relinquishes: it ends for Olivia too.
    let r = ada.submit(&accounts, &format!("{accounts}/{carlas}/relinquish"), &[]).await;
    assert_eq!(location(&r), format!("{accounts}?kind=independent&notice=access-relinquished"));
    assert_eq!(olivia.get(&users).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ada.get(&users).await.status(), StatusCode::NOT_FOUND);
    server.running.stop().await.unwrap();
}

async fn sign_up_creates_an_organization_an_account_or_nothing_as_the_operator_chose(engine: Engine) {
    // Organization: the new login owns a new organization and its first account.
    let options = Options { signup: Some("organization"), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let bea = Browser::new(&server);
    assert!(bea.page("/signin").await.contains("Create a login and your own organization"));
    let form = [
        ("name", "Bea"),
        ("email", "bea@beta.test"),
        ("password", PASSWORD),
        ("organization_name", "Beta Ltd"),
        ("account_name", "Beta Production"),
    ];
    let r = bea.submit("/signup", "/signup", &form).await;
    let account = sid_after(&location(&r), "/accounts/");
    let link = server.mail().wait_for("bea@beta.test", "Confirm your email address").await.link("/verify-email?token=");
    bea.get(&link).await;
    let home = bea.page("/accounts").await;
    assert!(home.contains("Admin Center · Beta Ltd") && home.contains(&account), "{home}");
    let org = sid_after(&home, "href=\"/orgs/");
    let users = bea.page(&format!("/orgs/{org}/users")).await;
    assert!(users.contains("bea@beta.test") && users.contains("Owner") && users.contains("Managed"), "{users}");
    assert!(bea.page(&format!("/orgs/{org}/accounts")).await.contains(&account), "the first account is managed");
    server.running.stop().await.unwrap();

    // Closed: no link, no form, and a post is refused.
    let options = Options { signup: Some("closed"), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let visitor = Browser::new(&server);
    let signin = visitor.page("/signin").await;
    assert!(!signin.contains("href=\"/signup\"") && signin.contains("Ask an administrator to invite you"));
    let page = visitor.get("/signup").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign-up is closed on this server") && !html.contains("name=\"password\""));
    let csrf = csrf_of(&visitor.page("/signin").await);
    let r = visitor
        .post(
            "/signup",
            &[("csrf", &csrf), ("name", "X"), ("email", "x@x.test"), ("password", PASSWORD), ("account_name", "X")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(sign_in(&visitor, "x@x.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED, "nobody was made");
    server.running.stop().await.unwrap();
}

async fn an_independent_user_creates_an_organization_and_brings_their_accounts(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let ivan = Browser::new(&server);
    sign_up(&server, &ivan, "ivan@ivan.test", "Ivan").await;
    let home = ivan.page("/accounts").await;
    let personal = format!("AC{}", &sid_after(&home, "href=\"/accounts/AC")[..32]);
    assert!(home.contains("href=\"/orgs/new\""), "the Admin Center's entry point");
    let page = ivan.page("/orgs/new").await;
    assert!(page.contains(&personal), "{page}");
    let r = ivan.submit("/orgs/new", "/orgs/new", &[("name", " "), ("accounts", &personal)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = ivan.submit("/orgs/new", "/orgs/new", &[("name", "Ivan Co"), ("accounts", &personal)]).await;
    let to = location(&r);
    assert!(to.ends_with("/domains?notice=organization-created"), "{to}");
    let org = sid_after(&to, "/orgs/");
    let managed = ivan.page(&format!("/orgs/{org}/accounts?kind=managed")).await;
    assert!(managed.contains(&personal), "{managed}");
    let home = ivan.page("/accounts").await;
    assert!(home.contains("Admin Center · Ivan Co") && !home.contains("href=\"/orgs/new\""));
    // A managed user cannot create another organization.
    let r = ivan.submit(&format!("/orgs/{org}/users"), "/orgs/new", &[("name", "Second")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("managed by an organization already"));
    server.running.stop().await.unwrap();
}

async fn new_logins_in_a_verified_domain_auto_join_when_the_organization_chose_it(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let olivia = Browser::new(&server);
    let (acct, org) = verified_organization(&server, &olivia, &dns).await;
    // Off (the default): a sign-up in acme.test is an independent login.
    let before = Browser::new(&server);
    sign_up(&server, &before, "early@acme.test", "Early").await;
    let settings = format!("/orgs/{org}/settings");
    let r = olivia.submit(&settings, &settings, &[("auto_join", "on")]).await;
    assert_eq!(location(&r), format!("{settings}?notice=settings-saved"));
    assert!(olivia.page(&settings).await.contains("name=\"auto_join\" value=\"on\" checked"));

    // On: a sign-up becomes a managed Standard User; its first account is the organization's.
    let newbie = Browser::new(&server);
    sign_up(&server, &newbie, "newbie@acme.test", "Newbie").await;
    let home = newbie.page("/accounts").await;
    let theirs = format!("AC{}", &sid_after(&home, "href=\"/accounts/AC")[..32]);
    assert!(!home.contains("Admin Center"), "a Standard User has no Admin Center: {home}");
    let managed = olivia.page(&format!("/orgs/{org}/users?kind=managed")).await;
    assert!(managed.contains("newbie@acme.test") && !managed.contains("early@acme.test"), "{managed}");
    assert!(olivia.page(&format!("/orgs/{org}/accounts?kind=managed")).await.contains(&theirs));
    // So does someone who creates a login by accepting an account invitation.
    let link = invite(&server, &olivia, &acct, "nia@acme.test", &["viewer"]).await;
    let nia = Browser::new(&server);
    let token = link.split("token=").nth(1).unwrap().to_owned();
    nia.submit(&link, "/invitations/accept/new", &[("token", &token), ("name", "Nia"), ("password", PASSWORD)]).await;
    assert!(olivia.page(&format!("/orgs/{org}/users?kind=managed")).await.contains("nia@acme.test"));
    let csrf = csrf_of(&olivia.page(&settings).await);
    let (_, events) = api_call(&server, &olivia, &csrf, "get", &format!("/orgs/{org}/events"), None).await;
    let joined = events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "user.auto_joined").count();
    assert_eq!(joined, 2);
    let (_, body) = api_call(&server, &olivia, &csrf, "get", &format!("/orgs/{org}"), None).await;
    assert_eq!(body["auto_join"], true);
    server.running.stop().await.unwrap();
}

async fn an_independent_user_deletes_their_own_login(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let olivia = Browser::new(&server);
    set_up(&server, &olivia).await;
    let carla = Browser::new(&server);
    sign_up(&server, &carla, "carla@contractor.test", "Carla").await;
    let personal = format!("AC{}", &sid_after(&carla.page("/accounts").await, "href=\"/accounts/AC")[..32]);
    let r = carla.submit("/accounts/new", "/accounts", &[("name", "Side")]).await;
    let side = sid_after(&location(&r), "/accounts/");
    let bob = Browser::new(&server);
    sign_up(&server, &bob, "bob@contractor.test", "Bob").await;
    invite_and_accept(&server, &carla, &personal, &bob, "bob@contractor.test", &["viewer"]).await;
    let (key, secret) = create_key(&carla, &personal, "ci").await;

    // The page lists each owned account with its members as heirs; every choice is required.
    assert!(carla.page("/me").await.contains("href=\"/me/delete\""));
    let page = carla.page("/me/delete").await;
    assert!(
        page.contains(&personal)
            && page.contains(&side)
            && page.contains("Make Bob &#60;bob@contractor.test&#62; the Owner"),
        "{page}"
    );
    let bob_sid = sid_after(&page[page.find("Make Bob").unwrap() - 60..], "value=\"");
    let personal_field = format!("account_{personal}");
    let side_field = format!("account_{side}");
    let r = carla
        .submit("/me/delete", "/me/delete", &[(&personal_field, &bob_sid), ("confirm_email", "carla@contractor.test")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("choose a new Owner for Side, or close it"));
    let choices = [(personal_field.as_str(), bob_sid.as_str()), (side_field.as_str(), "close")];
    let mut wrong = choices.to_vec();
    wrong.push(("confirm_email", "someone@else.test"));
    let r = carla.submit("/me/delete", "/me/delete", &wrong).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(key_status(&server, &key, &secret).await, StatusCode::OK, "nothing happened");

    // Confirmed: Bob owns Personal, Side is closed, the key stops, Carla is gone.
    let mut confirmed = choices.to_vec();
    confirmed.push(("confirm_email", "Carla@Contractor.test"));
    let r = carla.submit("/me/delete", "/me/delete", &confirmed).await;
    assert_eq!(location(&r), "/signin?notice=login-deleted");
    assert!(bob.page(&format!("/accounts/{personal}")).await.contains("Bob &#60;bob@contractor.test&#62;"));
    let system = gatehouse_domain::policy::Actor::system();
    let side_sid = gatehouse_domain::sid::AccountSid::parse(&side).unwrap();
    let closed = server.running.app.account(&system, &side_sid).await.unwrap().account.status;
    assert_eq!(closed, gatehouse_domain::account::AccountStatus::Closed);
    assert_eq!(key_status(&server, &key, &secret).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in(&Browser::new(&server), "carla@contractor.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = Browser::new(&server);
    let r = again
        .submit(
            "/signup",
            "/signup",
            &[
                ("name", "Carla again"),
                ("email", "carla@contractor.test"),
                ("password", PASSWORD),
                ("account_name", "New"),
            ],
        )
        .await;
    let status = r.status();
    assert!(status.is_redirection(), "the address can sign up again: {status} {}", r.text().await.unwrap());

    // A managed user's login is their organization's to delete.
    assert!(olivia.page("/me").await.contains("Your organization manages your login"));
    assert_eq!(olivia.get("/me/delete").await.status(), StatusCode::CONFLICT);
    server.running.stop().await.unwrap();
}

/// Runs the real CLI on the server's database; returns its standard output, or panics.
fn cli(server: &Server, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("GATEHOUSE_DATABASE_URL", &server.database_url)
        .env_remove("GATEHOUSE_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn the_operator_posts_a_service_banner_every_page_shows(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let olivia = Browser::new(&server);
    set_up(&server, &olivia).await;
    let bob = Browser::new(&server);
    sign_up(&server, &bob, "bob@contractor.test", "Bob").await;
    assert_eq!(olivia.get("/operator").await.status(), StatusCode::NOT_FOUND, "not an operator yet");
    assert!(cli(&server, &["admin", "grant-operator", "--email", "olivia@acme.test"]).contains("/operator"));

    // From the operator page: shown on every signed-in page, to everyone, until withdrawn.
    let r = olivia.submit("/operator", "/operator/banner", &[("message", "two\nlines")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = olivia.submit("/operator", "/operator/banner", &[("message", "Campaign vetting is delayed")]).await;
    assert_eq!(location(&r), "/operator?notice=banner-posted");
    for page in ["/accounts", "/me"] {
        assert!(bob.page(page).await.contains("Service notice:</strong> Campaign vetting is delayed"), "{page}");
    }
    assert_eq!(bob.get("/operator").await.status(), StatusCode::NOT_FOUND, "only operators");
    let r = olivia.submit("/operator", "/operator/banner/withdraw", &[]).await;
    assert_eq!(location(&r), "/operator?notice=banner-withdrawn");
    assert!(!bob.page("/accounts").await.contains("service-banner"));

    // From the CLI, also as a service notice to the roles each account chose (Owners by default).
    let out = cli(&server, &["admin", "post-banner", "--message", "Maintenance at 22:00 UTC", "--notify"]);
    assert!(out.contains("service notice emails queued"), "{out}");
    server.mail().wait_for("bob@contractor.test", "Service notice").await;
    let shown = async {
        for _ in 0..80 {
            if bob.page("/accounts").await.contains("Maintenance at 22:00 UTC") {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    };
    assert!(shown.await, "another process's banner shows within the refresh interval");
    cli(&server, &["admin", "grant-operator", "--email", "olivia@acme.test", "--revoke"]);
    assert_eq!(olivia.get("/operator").await.status(), StatusCode::NOT_FOUND);
    server.running.stop().await.unwrap();
}

on_both_engines!(
    the_operator_posts_a_service_banner_every_page_shows,
    an_independent_user_deletes_their_own_login,
    new_logins_in_a_verified_domain_auto_join_when_the_organization_chose_it,
    sign_up_creates_an_organization_an_account_or_nothing_as_the_operator_chose,
    an_independent_user_creates_an_organization_and_brings_their_accounts,
    every_admin_acts_on_an_independent_account_the_organization_may_access,
    acceptance_is_refused_once_the_domain_is_no_longer_verified,
    admins_add_managed_users_at_once_and_filter_users_by_role,
    the_owner_hands_the_organization_to_an_administrator,
    an_admin_deactivates_and_reactivates_a_managed_user,
);

mod custom_roles {
    //! Custom roles over the JSON API: defined, assigned through Twilio's RoleAssignments path,
    //! honoured at the next request, changed, and deleted with their assignments; the escalation
    //! rule and the Owner-only permissions refused.

    use reqwest::StatusCode;
    use serde_json::json;

    use super::org_user_sid;
    use crate::support::*;

    async fn an_organization_defines_assigns_and_deletes_a_custom_role(engine: Engine) {
        let dns = DnsServer::start().await;
        let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
        let Some(server) = server_with(engine, options).await else { return };
        let olivia = Browser::new(&server);
        let (acct, org) = verified_organization(&server, &olivia, &dns).await;
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
        app.create_org_role_assignment(&system, &org_sid, &rsid, &scope, &sam_user).await.unwrap();
        assert_eq!(sam.get(&billing).await.status(), StatusCode::OK);
        assert_eq!(sam.get(&format!("/api/v1/accounts/{acct}/keys")).await.status(), StatusCode::FORBIDDEN);

        // Changed: the new permissions hold at once. Deleted: refused while assigned, unless its
        // assignments end with it.
        let change = json!({ "friendly_name": "Key reader", "permissions": ["account.read", "api_keys.read"] });
        let (status, _) =
            api_call(&server, &olivia, &csrf, "post", &format!("{roles}/{role_sid}"), Some(&change)).await;
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
        assert!(
            page.contains("Billing Manager") && page.contains("<code>logs.read</code> — Read the account&#39;s logs")
        );
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
        let dns = DnsServer::start().await;
        let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
        let Some(server) = server_with(engine, options).await else { return };
        let olivia = Browser::new(&server);
        let (acct, org) = verified_organization(&server, &olivia, &dns).await;
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
            app.create_group_role_assignment(&system, &org_sid, &developer, &scope, &group_sid).await.unwrap();
        assert_eq!(sam.get(&keys).await.status(), StatusCode::OK, "a member holds the group's role");
        let again = app.create_group_role_assignment(&system, &org_sid, &developer, &scope, &group_sid).await;
        assert!(matches!(again, Err(gatehouse_domain::Error::Conflict(_))), "{again:?}");
        let owner = gatehouse_domain::role::AccountRole::Owner.sid();
        let refused = app.create_group_role_assignment(&system, &org_sid, &owner, &scope, &group_sid).await;
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
        let dns = DnsServer::start().await;
        let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
        let Some(server) = server_with(engine, options).await else { return };
        let olivia = Browser::new(&server);
        let (acct, org) = verified_organization(&server, &olivia, &dns).await;
        let sam = join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
        let sam_sid = org_user_sid(&olivia, &org, "sam@acme.test").await;
        let app = &server.running.app;
        let system = gatehouse_domain::policy::Actor::system();
        let org_sid = gatehouse_domain::sid::OrganizationSid::parse(&org).unwrap();
        let at_org = gatehouse_domain::membership::ScopeRef::Organization(org_sid.clone());
        let sam_user = gatehouse_domain::sid::UserSid::parse(&sam_sid).unwrap();
        let developer = gatehouse_domain::role::AccountRole::Developer.sid();
        app.create_org_role_assignment(&system, &org_sid, &developer, &at_org, &sam_user).await.unwrap();
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
}
