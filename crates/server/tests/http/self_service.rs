//! What people and the operator do for themselves: sign-up in each of the operator's modes,
//! creating an organization from an independent login, domain auto-join, deleting one's own
//! login, and the operator's service banner.

use reqwest::StatusCode;

use crate::support::*;

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
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
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
    sign_up_creates_an_organization_an_account_or_nothing_as_the_operator_chose,
    an_independent_user_creates_an_organization_and_brings_their_accounts,
    new_logins_in_a_verified_domain_auto_join_when_the_organization_chose_it,
    an_independent_user_deletes_their_own_login,
    the_operator_posts_a_service_banner_every_page_shows,
);
