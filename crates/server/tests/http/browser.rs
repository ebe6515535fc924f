//! Flows in real headless Chromium (Debian `chromium` + `chromium-driver`), driven over
//! WebDriver: setup, invite a new person who accepts, change roles, remove (accepting the
//! confirmation), an API key whose secret shows once; the Admin Center's verify a domain →
//! invite a managed user → they accept → remove them with an heir; adding a managed user to an
//! account at once and handing the organization to an Administrator (at 390 px); and sign-up,
//! email verification, TOTP, recovery codes and password reset through emails from an SMTP sink.
//! Under `CI=true` a missing chromedriver fails the test; elsewhere it says SKIPPED.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::support::*;

/// Stops chromedriver when the test ends, however it ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Driver {
    _child: ChildGuard,
    _profile: tempfile::TempDir,
    client: Client,
}

fn chromedriver_path() -> Option<String> {
    let found = std::env::var("GATEHOUSE_TEST_CHROMEDRIVER").ok().filter(|p| !p.is_empty()).or_else(|| {
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string())
    });
    if found.is_none() {
        assert!(
            !gatehouse_store_contract::in_ci(),
            "chromedriver is missing and CI=true forbids skipping browser tests"
        );
        eprintln!("SKIPPED: chromedriver not found (install Debian chromium chromium-driver)");
    }
    found
}

async fn driver() -> Option<Driver> {
    let path = chromedriver_path()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = ChildGuard(
        Command::new(path).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(client) = ClientBuilder::new(HttpConnector::new()).capabilities(caps.clone()).connect(&url).await {
            return Some(Driver { _child: child, _profile: profile, client });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on {url}");
}

async fn fill(c: &Client, name: &str, value: &str) {
    let el = c.find(Locator::Css(&format!("form [name='{name}']"))).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

async fn text(c: &Client) -> String {
    c.wait().for_element(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

/// Waits until the page that was showing is replaced (its `<html>` goes stale).
async fn replaced(old: fantoccini::elements::Element) {
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the page did not change");
}

/// Clicks something that submits a form or follows a link, and waits for the next page.
async fn click_and_load(c: &Client, css: Locator<'_>) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.wait().for_element(css).await.unwrap().click().await.unwrap();
    replaced(old).await;
}

#[tokio::test]
async fn an_admin_sets_up_and_manages_a_user_in_chromium() {
    let Some(server) = server(Engine::Sqlite).await else { return };
    let Some(driver) = driver().await else { return };
    let c = &driver.client;
    c.set_window_size(1280, 1400).await.unwrap();

    c.goto(server.setup_url.as_deref().unwrap()).await.unwrap();
    fill(c, "organization_name", "Acme Corp").await;
    fill(c, "name", "Olivia Owner").await;
    fill(c, "email", "olivia@acme.test").await;
    fill(c, "password", "short").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("use at least 10 characters"), "inline error");
    fill(c, "password", "correct horse battery").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    let page = text(c).await;
    assert!(page.contains("Welcome to Gatehouse") && page.contains("Acme Corp"), "{page}");

    // Invite someone new.
    click_and_load(c, Locator::LinkText("Users")).await;
    fill(c, "email", "dana@contractor.test").await;
    c.find(Locator::Css("form.add-member input[value='viewer']")).await.unwrap().click().await.unwrap();
    click_and_load(c, Locator::Css("form.add-member button")).await;
    let page = text(c).await;
    assert!(page.contains("Invitation sent.") && page.contains("dana@contractor.test"), "{page}");
    let link =
        server.mail().wait_for("dana@contractor.test", "You are invited to").await.link("/invitations/accept?token=");

    // Dana opens the link (in this browser, after Olivia signs out) and creates her login.
    click_and_load(c, Locator::Css("button.link")).await;
    c.goto(&format!("{}{link}", server.base)).await.unwrap();
    assert!(text(c).await.contains("Olivia Owner invited dana@contractor.test"));
    fill(c, "name", "Dana Dev").await;
    fill(c, "password", "another good passphrase").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("Welcome! You joined this account."));
    click_and_load(c, Locator::Css("button.link")).await;

    // Olivia signs in again and manages Dana.
    c.goto(&format!("{}/signin", server.base)).await.unwrap();
    fill(c, "email", "olivia@acme.test").await;
    fill(c, "password", "correct horse battery").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    click_and_load(c, Locator::LinkText("Acme Corp")).await;
    click_and_load(c, Locator::LinkText("Users")).await;
    let page = text(c).await;
    assert!(page.contains("Dana Dev") && page.contains("Developer, Viewer"), "{page}");

    let row = "tr[data-member='dana@contractor.test']";
    c.find(Locator::Css(&format!("{row} input[value='developer']"))).await.unwrap().click().await.unwrap();
    click_and_load(c, Locator::Css(&format!("{row} .roles-form button"))).await;
    let roles = c.wait().for_element(Locator::Css(&format!("{row} .roles-label"))).await.unwrap().text().await.unwrap();
    assert_eq!(roles, "Viewer");

    // Removing asks for confirmation first (app.js); dismissing keeps the user.
    c.find(Locator::Css(&format!("{row} button.danger"))).await.unwrap().click().await.unwrap();
    c.dismiss_alert().await.unwrap();
    assert!(c.find(Locator::Css(row)).await.is_ok(), "dismissed: still there");
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(Locator::Css(&format!("{row} button.danger"))).await.unwrap().click().await.unwrap();
    c.accept_alert().await.unwrap();
    replaced(old).await;
    let page = text(c).await;
    assert!(page.contains("User removed from the account.") && !page.contains("dana@contractor.test"), "{page}");

    // An API key: its secret is on the page that creates it, and never again.
    click_and_load(c, Locator::LinkText("API keys")).await;
    fill(c, "name", "CI deploys").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    let secret = c.find(Locator::Css("#new-key-secret")).await.unwrap().text().await.unwrap();
    assert_eq!(secret.len(), 32);
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.refresh().await.unwrap();
    replaced(old).await;
    let page = text(c).await;
    assert!(
        page.contains("Olivia Owner (olivia@acme.test)") && !page.contains(&secret),
        "the secret is shown only once"
    );
    assert!(c.find(Locator::Css("#new-key-secret")).await.is_err());

    click_and_load(c, Locator::Css("button.link")).await;
    assert!(c.current_url().await.unwrap().path().starts_with("/signin"));
    driver.client.clone().close().await.unwrap();
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn an_admin_verifies_a_domain_invites_a_managed_user_and_removes_them_with_an_heir_in_chromium() {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(Engine::Sqlite, options).await else { return };
    let Some(driver) = driver().await else { return };
    let c = &driver.client;
    c.set_window_size(1280, 1400).await.unwrap();
    let base = &server.base;

    c.goto(server.setup_url.as_deref().unwrap()).await.unwrap();
    fill(c, "organization_name", "Acme Corp").await;
    fill(c, "name", "Olivia Owner").await;
    fill(c, "email", "olivia@acme.test").await;
    fill(c, "password", "correct horse battery").await;
    click_and_load(c, Locator::Css("button.primary")).await;

    // Verify acme.test: publish the record the page shows (on the test's DNS server).
    click_and_load(c, Locator::LinkText("Admin Center · Acme Corp")).await;
    click_and_load(c, Locator::LinkText("Domains")).await;
    fill(c, "name", "acme.test").await;
    click_and_load(c, Locator::Css("form.search button.primary")).await;
    let value = c.find(Locator::Css(".record-value")).await.unwrap().text().await.unwrap();
    dns.set("_gatehouse-challenge.acme.test", &[&value]);
    click_and_load(c, Locator::XPath("//button[normalize-space()='Verify']")).await;
    assert!(text(c).await.contains("Domain verified."));
    snap(c, "admin-domain-verified").await;

    // Invite Dana as a managed Standard User; she accepts in this browser and creates an account.
    click_and_load(c, Locator::LinkText("Users")).await;
    fill(c, "email", "dana@acme.test").await;
    click_and_load(c, Locator::XPath("//button[normalize-space()='Invite']")).await;
    assert!(text(c).await.contains("dana@acme.test"));
    let link = server.mail().wait_for("dana@acme.test", "on Gatehouse").await.link("/org-invitations/accept?token=");
    click_and_load(c, Locator::Css("button.link")).await;
    c.goto(&format!("{base}{link}")).await.unwrap();
    assert!(text(c).await.contains("managed user"));
    fill(c, "name", "Dana Dev").await;
    fill(c, "password", "another good passphrase").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("You joined the organization"));
    c.goto(&format!("{base}/accounts/new")).await.unwrap();
    fill(c, "name", "Payments").await;
    c.find(Locator::Css("select[name='organization_sid'] option:nth-child(2)")).await.unwrap().click().await.unwrap();
    click_and_load(c, Locator::Css("button.primary")).await;
    let payments = c.current_url().await.unwrap().path().trim_start_matches("/accounts/").to_owned();
    assert!(payments.starts_with("AC"), "{payments}");
    click_and_load(c, Locator::Css("button.link")).await;

    // Olivia removes Dana, choosing herself as the heir of Payments.
    sign_in_with(c, base, "olivia@acme.test", "correct horse battery").await;
    click_and_load(c, Locator::LinkText("Admin Center · Acme Corp")).await;
    click_and_load(c, Locator::LinkText("Dana Dev")).await;
    assert!(text(c).await.contains("Managed user"));
    click_and_load(c, Locator::LinkText("Remove from the organization")).await;
    let page = text(c).await;
    assert!(page.contains("Payments") && page.contains("Accounts they own"), "{page}");
    c.find(Locator::Css(&format!("select[name='account_{payments}'] option[value^='US']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name='acknowledge']")).await.unwrap().click().await.unwrap();
    snap(c, "admin-offboard-preview").await;
    click_and_load(c, Locator::Css("button.danger")).await;
    let report = text(c).await;
    assert!(report.contains("User removed: dana@acme.test") && report.contains("outcome: transferred"), "{report}");
    snap(c, "admin-offboard-report").await;
    c.goto(&format!("{base}/accounts/{payments}")).await.unwrap();
    assert!(text(c).await.contains("Olivia Owner <olivia@acme.test>"), "Olivia owns Payments");
    driver.client.clone().close().await.unwrap();
    server.running.stop().await.unwrap();
}

/// With `GATEHOUSE_SCREENSHOTS=<dir>`, saves the page as `<dir>/<name>.png` for a person to look
/// at; otherwise does nothing.
async fn snap(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("GATEHOUSE_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// Signs in through the form; the next page is the second step when 2FA is on.
async fn sign_in_with(c: &Client, base: &str, email: &str, password: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    fill(c, "email", email).await;
    fill(c, "password", password).await;
    click_and_load(c, Locator::Css("button.primary")).await;
}

#[tokio::test]
async fn sign_up_verify_enable_totp_use_a_recovery_code_and_reset_the_password_in_chromium() {
    let Some(server) = server(Engine::Sqlite).await else { return };
    let Some(driver) = driver().await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let (c, base, mail) = (&driver.client, server.base.as_str(), server.mail());
    c.set_window_size(1280, 1400).await.unwrap();

    // Sign up: the login waits for the emailed link.
    c.goto(&format!("{base}/signup")).await.unwrap();
    fill(c, "name", "Ann Admin").await;
    fill(c, "email", "ann@example.test").await;
    fill(c, "password", "another good passphrase").await;
    fill(c, "account_name", "Ann's account").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("We sent a confirmation link to ann@example.test"));
    let link = mail.wait_for("ann@example.test", "Confirm your email address").await.link("/verify-email?token=");
    c.goto(&format!("{base}{link}")).await.unwrap();
    assert!(text(c).await.contains("Your email address is confirmed."));

    // Turn on an authenticator app: scan (the QR code is there), or type the key.
    click_and_load(c, Locator::LinkText("Security")).await;
    click_and_load(c, Locator::LinkText("Set up two-step verification")).await;
    snap(c, "two-factor-setup").await;
    let qr = c.find(Locator::Css(".qr svg")).await.unwrap();
    assert!(qr.is_displayed().await.unwrap(), "the QR code is shown");
    let secret = c.find(Locator::Css("#totp-secret")).await.unwrap().text().await.unwrap();
    fill(c, "code", &totp_code(&secret, 0)).await;
    click_and_load(c, Locator::Css("#totp button.primary")).await;
    snap(c, "recovery-codes").await;
    let mut codes = Vec::new();
    for el in c.find_all(Locator::Css("#recovery-codes code")).await.unwrap() {
        codes.push(el.text().await.unwrap());
    }
    assert_eq!(codes.len(), 10);
    click_and_load(c, Locator::LinkText("I saved them")).await;
    assert_eq!(c.find(Locator::Css("#recovery-left")).await.unwrap().text().await.unwrap(), "10");
    snap(c, "security").await;

    // Sign out, sign in with a code from the app.
    click_and_load(c, Locator::Css("button.link")).await;
    sign_in_with(c, base, "ann@example.test", "another good passphrase").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/signin/2fa");
    snap(c, "signin-2fa").await;
    fill(c, "code", &totp_code(&secret, 1)).await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/accounts");

    // Sign out, sign in with a recovery code.
    click_and_load(c, Locator::Css("button.link")).await;
    sign_in_with(c, base, "ann@example.test", "another good passphrase").await;
    click_and_load(c, Locator::LinkText("recovery code")).await;
    fill(c, "code", &codes[0]).await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("You have 9 recovery codes left."));

    // Forgot the password: the reset link arrives by email.
    click_and_load(c, Locator::Css("button.link")).await;
    click_and_load(c, Locator::LinkText("Forgot your password?")).await;
    fill(c, "email", "ann@example.test").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("If an account uses that address"));
    let link = mail.wait_for("ann@example.test", "Reset your Gatehouse password").await.link("/password/reset?token=");
    c.goto(&format!("{base}{link}")).await.unwrap();
    fill(c, "password", "a fresh passphrase here").await;
    fill(c, "password_again", "a fresh passphrase here").await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("Sign in with the new password"));
    sign_in_with(c, base, "ann@example.test", "a fresh passphrase here").await;
    click_and_load(c, Locator::LinkText("recovery code")).await;
    fill(c, "code", &codes[1]).await;
    click_and_load(c, Locator::Css("button.primary")).await;
    assert!(text(c).await.contains("You have 8 recovery codes left."));
    driver.client.clone().close().await.unwrap();
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn an_admin_adds_a_managed_user_at_once_and_hands_over_the_organization_in_chromium() {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(Engine::Sqlite, options).await else { return };
    let Some(driver) = driver().await else { return };
    let olivia = Browser::new(&server);
    let (acct, org) = verified_organization(&server, &olivia, &dns).await;
    join_organization(&server, &olivia, &org, "ada@acme.test", "administrator").await;
    join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let (c, base) = (&driver.client, server.base.as_str());
    // A phone-sized window: the Admin Center's forms work at 390 px too.
    c.set_window_size(390, 1400).await.unwrap();

    // Olivia adds Sam, a managed user, on the account's Users tab: he holds the role at once.
    sign_in_with(c, base, "olivia@acme.test", "correct horse battery").await;
    c.goto(&format!("{base}/accounts/{acct}/users")).await.unwrap();
    fill(c, "email", "sam@acme.test").await;
    click_and_load(c, Locator::Css("form.add-member button")).await;
    let page = text(c).await;
    assert!(page.contains("User added to the account.") && page.contains("sam@acme.test"), "{page}");
    snap(c, "account-users-added-at-once").await;

    // She offers the organization to Ada (confirming), from Ada's user page.
    c.goto(&format!("{base}/orgs/{org}/users")).await.unwrap();
    click_and_load(c, Locator::LinkText("ada")).await;
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(Locator::XPath("//button[normalize-space()='Offer ownership of the organization']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.accept_alert().await.unwrap();
    replaced(old).await;
    let page = text(c).await;
    assert!(page.contains("Ownership of the organization offered.") && page.contains("Waiting for ada"), "{page}");
    click_and_load(c, Locator::Css("button.link")).await;

    // Ada accepts on the settings page the email links to; Olivia is now an Administrator.
    let link = server.mail().wait_for("ada@acme.test", "Become the Owner of the organization").await.link("/orgs/");
    sign_in_with(c, base, "ada@acme.test", PASSWORD).await;
    c.goto(&format!("{base}{link}")).await.unwrap();
    assert!(text(c).await.contains("You are offered ownership of this organization"));
    snap(c, "organization-ownership-offer").await;
    click_and_load(c, Locator::XPath("//button[normalize-space()='Accept ownership']")).await;
    assert!(text(c).await.contains("You now own the organization."));
    c.goto(&format!("{base}/orgs/{org}/users")).await.unwrap();
    let row = c.find(Locator::XPath("//tr[contains(., 'olivia@acme.test')]")).await.unwrap().text().await.unwrap();
    assert!(row.contains("Administrator"), "{row}");
    driver.client.clone().close().await.unwrap();
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn a_custom_role_granted_to_a_scim_group_shows_on_the_access_tab_and_map_in_chromium() {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(Engine::Sqlite, options).await else { return };
    let Some(driver) = driver().await else { return };
    let olivia = Browser::new(&server);
    let (acct, org) = verified_organization(&server, &olivia, &dns).await;
    join_organization(&server, &olivia, &org, "sam@acme.test", "standard_user").await;
    let sam = org_user_sid(&olivia, &org, "sam@acme.test").await;
    // The identity provider pushes the group "Support" with Sam in it.
    let token = cli_json(&server, &["admin", "create-scim-token", "--organization", &org, "--name", "idp", "--json"]);
    let body = serde_json::json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Support",
        "members": [{ "value": sam }] });
    let r = reqwest::Client::new()
        .post(format!("{}/scim/v2/Groups", server.base))
        .bearer_auth(token["token"].as_str().unwrap())
        .header("content-type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let (c, base) = (&driver.client, server.base.as_str());
    c.set_window_size(1280, 1000).await.unwrap();
    sign_in_with(c, base, "olivia@acme.test", "correct horse battery").await;

    // A custom role, defined on the Roles tab.
    c.goto(&format!("{base}/orgs/{org}/roles")).await.unwrap();
    fill(c, "name", "Log reader").await;
    for p in ["account.read", "logs.read"] {
        c.find(Locator::Css(&format!("input[name='permissions'][value='{p}']"))).await.unwrap().click().await.unwrap();
    }
    click_and_load(c, Locator::XPath("//button[normalize-space()='Define role']")).await;

    // Before: Sam holds nothing on the account; the map shows the group with no square.
    c.goto(&format!("{base}/orgs/{org}/users/{sam}?tab=access")).await.unwrap();
    let page = text(c).await;
    assert!(page.contains("Standard User") && !page.contains("Log reader"), "{page}");
    c.goto(&format!("{base}/orgs/{org}/access")).await.unwrap();
    assert!(text(c).await.contains("Support (1 member)"));
    assert!(!c.source().await.unwrap().contains("Support on Acme Production"), "the group holds nothing yet");

    // Granted to the group on the account, with its subaccounts.
    let select = |name: &'static str, label: &'static str| async move {
        let xpath = format!("//select[@name='{name}']/option[contains(., '{label}')]");
        c.find(Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
    };
    select("group", "Support").await;
    select("role", "Log reader").await;
    select("scope", "Acme Production").await;
    c.find(Locator::Css("input[name='with_subaccounts']")).await.unwrap().click().await.unwrap();
    click_and_load(c, Locator::XPath("//button[normalize-space()='Grant']")).await;
    let page = text(c).await;
    assert!(
        page.contains("Role granted.") && page.contains("What this group holds") && page.contains("Log reader"),
        "{page}"
    );
    snap(c, "access-map-group").await;
    c.goto(&format!("{base}/orgs/{org}/access")).await.unwrap();
    let source = c.source().await.unwrap();
    for square in ["Support on Acme Production: Log reader", "sam on Acme Production: Log reader"] {
        assert!(source.contains(square), "the map shows {square}: {source}");
    }
    snap(c, "access-map").await;

    // Sam's Access tab says what he holds and why; the account's says who can do what there.
    c.goto(&format!("{base}/orgs/{org}/users/{sam}?tab=access")).await.unwrap();
    let page = text(c).await;
    assert!(
        page.contains("Log reader") && page.contains("group Support") && page.contains("and its subaccounts"),
        "{page}"
    );
    assert!(page.contains("logs.read"));
    c.set_window_size(390, 1400).await.unwrap();
    snap(c, "user-access-tab-390").await;
    c.goto(&format!("{base}/accounts/{acct}/access")).await.unwrap();
    let page = text(c).await;
    assert!(page.contains("Group Support") && page.contains("Log reader"), "{page}");
    driver.client.clone().close().await.unwrap();
    server.running.stop().await.unwrap();
}
