//! CSRF, tenancy over HTTP, health checks, headers.

use reqwest::StatusCode;

use crate::support::*;

#[tokio::test]
async fn health_and_readiness_answer_with_the_engine() {
    let server = server(Engine::Sqlite).await.unwrap();
    let b = Browser::new(&server);
    assert_eq!(b.get("/healthz").await.status(), StatusCode::OK);
    let ready: serde_json::Value = b.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["database"], "sqlite");
    assert_eq!(ready["status"], "ready");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let server = server(Engine::Sqlite).await.unwrap();
    let owner = Browser::new(&server);
    set_up(&server, &owner).await;
    let r = owner.post("/accounts", &[("name", "Forged"), ("csrf", "0".repeat(64).as_str())]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = owner.post("/accounts", &[("name", "Forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!owner.page("/accounts").await.contains("Forged"));
    // Sign-in forms use a double-submit cookie: a fresh browser without it is refused.
    let stranger = Browser::new(&server);
    let r = stranger
        .post("/signin", &[("email", "olivia@acme.test"), ("password", "correct horse battery"), ("csrf", "x")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn another_tenants_pages_answer_not_found_and_their_forms_change_nothing() {
    let server = server(Engine::Sqlite).await.unwrap();
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let page = owner.page("/accounts").await;
    let org = sid_after(&page, "href=\"/orgs/");
    let mallory = Browser::new(&server);
    sign_up(&server, &mallory, "mallory@evil.test", "Mallory").await;
    let users = format!("/accounts/{acct}/users");
    for path in [
        format!("/accounts/{acct}"),
        users.clone(),
        format!("/orgs/{org}/users"),
        format!("/orgs/{org}/accounts"),
        format!("/accounts/new?parent={acct}"),
    ] {
        assert_eq!(mallory.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = csrf_of(&mallory.page("/accounts").await);
    let invitations = format!("/accounts/{acct}/invitations");
    assert_eq!(mallory.get(&invitations).await.status(), StatusCode::NOT_FOUND);
    let r = mallory
        .post(&invitations, &[("csrf", &csrf), ("email", "mallory@evil.test"), ("roles", "administrator")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.mail().count_to("mallory@evil.test"), 1, "only the sign-up confirmation");
    let r = mallory.post("/accounts", &[("csrf", &csrf), ("name", "Mallory Sub"), ("parent_sid", &acct)]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = mallory.post("/accounts", &[("csrf", &csrf), ("name", "In org"), ("organization_sid", &org)]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = owner.page(&users).await;
    assert!(!page.contains("mallory@evil.test"), "nothing changed");
    assert!(!owner.page(&format!("/accounts/{acct}")).await.contains("Mallory Sub"));
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn pages_carry_security_headers_and_session_cookies_are_http_only() {
    let server = server(Engine::Sqlite).await.unwrap();
    let b = Browser::new(&server);
    let r = b.get("/signin").await;
    for h in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy", "x-request-id"]
    {
        assert!(r.headers().contains_key(h), "{h}");
    }
    let owner = Browser::new(&server);
    let setup = server.setup_url.clone().unwrap();
    let html = owner.page(&setup).await;
    let r = owner
        .post(
            "/setup",
            &[
                ("csrf", &csrf_of(&html)),
                ("token", setup.split("token=").nth(1).unwrap()),
                ("organization_name", "Acme"),
                ("name", "O"),
                ("email", "o@acme.test"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gh_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn setup_shows_every_field_error_at_once_and_keeps_the_input() {
    let server = server(Engine::Sqlite).await.unwrap();
    let b = Browser::new(&server);
    let setup = server.setup_url.clone().unwrap();
    let html = b.page(&setup).await;
    let r = b
        .post(
            "/setup",
            &[
                ("csrf", &csrf_of(&html)),
                ("token", setup.split("token=").nth(1).unwrap()),
                ("organization_name", ""),
                ("name", "Olivia"),
                ("email", "olivia@acme.test"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("enter a name"), "organization name error");
    assert!(page.contains("use at least 10 characters"), "password error");
    assert!(page.contains("value=\"olivia@acme.test\""), "input kept");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn an_unknown_page_is_a_finished_404_page() {
    let server = server(Engine::Sqlite).await.unwrap();
    let b = Browser::new(&server);
    let r = b.get("/nope").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("<h1>Not found</h1>"));
    let r = b.get("/accounts/not-a-sid").await;
    assert_eq!(location(&r), "/signin?next=%2Faccounts%2Fnot-a-sid", "signed out: sign in first");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn sign_up_waits_until_first_run_setup_is_done() {
    let server = server(Engine::Sqlite).await.unwrap();
    let b = Browser::new(&server);
    assert_eq!(location(&b.get("/signup").await), "/");
    assert!(b.page("/").await.contains("setup link"));
    set_up(&server, &Browser::new(&server)).await;
    assert_eq!(b.get("/signup").await.status(), StatusCode::OK);
    server.running.stop().await.unwrap();
}
