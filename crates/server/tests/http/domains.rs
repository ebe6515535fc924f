//! The Admin Center's domains and settings over HTTP: verification against a DNS server run by
//! the test (record present, absent, changed; one organization per verified domain), and the
//! organization's name and invitation lifetime.

use reqwest::StatusCode;

use crate::support::*;

async fn domains_are_verified_by_a_real_dns_lookup(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    set_up(&server, &owner).await;
    let org = sid_after(&owner.page("/accounts").await, "href=\"/orgs/");
    let domains = format!("/orgs/{org}/domains");

    let r = owner.submit(&domains, &domains, &[("name", "not a domain")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner.submit(&domains, &domains, &[("name", "Acme.test")]).await;
    assert_eq!(location(&r), format!("{domains}?notice=domain-added"));
    let page = owner.page(&domains).await;
    assert!(page.contains("_gatehouse-challenge.acme.test") && page.contains("badge suspended\">pending"), "{page}");
    let value = text_of_class(&page, "record-value");
    let dn = sid_after(&page, &format!("/orgs/{org}/domains/"));
    let verify = format!("{domains}/{dn}/verify");

    // Absent: the domain fails, saying what is missing.
    let r = owner.submit(&domains, &verify, &[]).await;
    assert_eq!(location(&r), format!("{domains}?notice=domain-not-verified"));
    assert!(owner.page(&domains).await.contains("no TXT record found at _gatehouse-challenge.acme.test"));
    // Present: verified.
    dns.set("_gatehouse-challenge.acme.test", &["v=spf1 -all", &value]);
    let r = owner.submit(&domains, &verify, &[]).await;
    assert_eq!(location(&r), format!("{domains}?notice=domain-verified"));
    assert!(owner.page(&domains).await.contains("badge active\">verified"));

    // Another organization cannot claim it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["admin", "create-owner", "--email", "rick@rival.test", "--org-name", "Rival", "--password-stdin"])
        .env("GATEHOUSE_DATABASE_URL", &server.database_url)
        .env_remove("GATEHOUSE_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"rival passphrase here\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let rick = Browser::new(&server);
    assert_eq!(location(&sign_in(&rick, "rick@rival.test", "rival passphrase here").await), "/accounts");
    let rival = sid_after(&rick.page("/accounts").await, "href=\"/orgs/");
    let theirs = format!("/orgs/{rival}/domains");
    let r = rick.submit(&theirs, &theirs, &[("name", "acme.test")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Another organization has verified acme.test"));
    assert_eq!(rick.get(&domains).await.status(), StatusCode::NOT_FOUND, "nor see ours");

    // Changed: the re-check turns it failed with a warning.
    dns.set("_gatehouse-challenge.acme.test", &["gatehouse-verification=someone-elses"]);
    let r = owner.submit(&domains, &verify, &[]).await;
    assert_eq!(location(&r), format!("{domains}?notice=domain-not-verified"));
    assert!(owner.page(&domains).await.contains("but none is gatehouse-verification="));
    dns.set("_gatehouse-challenge.acme.test", &[&value]);
    owner.submit(&domains, &verify, &[]).await;
    dns.remove("_gatehouse-challenge.acme.test");
    // (The background re-check runs every few hours per domain; the test runs it now.)
    assert_eq!(server.running.app.recheck_domains().await.unwrap(), 0, "checked just now: not due");
    let r = owner.submit(&domains, &format!("{domains}/{dn}/remove"), &[]).await;
    assert_eq!(location(&r), format!("{domains}?notice=domain-removed"));
    server.running.stop().await.unwrap();
}

async fn organization_settings_rename_and_set_the_invitation_lifetime(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let org = sid_after(&owner.page("/accounts").await, "href=\"/orgs/");
    let settings = format!("/orgs/{org}/settings");
    let general = format!("{settings}/general");
    let r = owner.submit(&settings, &general, &[("name", "Acme Corp"), ("invitation_lifetime_days", "120")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("a number of days from 1 to 90"));
    let r = owner.submit(&settings, &general, &[("name", "Acme Holdings"), ("invitation_lifetime_days", "3")]).await;
    assert_eq!(location(&r), format!("{settings}?notice=settings-saved"));
    assert!(owner.page(&settings).await.contains("value=\"Acme Holdings\""));
    assert!(owner.page("/accounts").await.contains("Admin Center · Acme Holdings"));
    let link = invite(&server, &owner, &acct, "dana@example.test", &["viewer"]).await;
    let pending = owner.page(&format!("/accounts/{acct}/invitations")).await;
    let expected = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    assert!(pending.contains(&expected), "expires in 3 days: {expected}");
    assert!(!link.is_empty());
    server.running.stop().await.unwrap();
}

async fn people_at_a_verified_domain_are_invited_as_managed_users(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let org = sid_after(&owner.page("/accounts").await, "href=\"/orgs/");
    let users = format!("/orgs/{org}/users");
    let invitations = format!("/orgs/{org}/invitations");
    let r = owner.submit(&users, &invitations, &[("email", "dana@acme.test"), ("role", "standard_user")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("acme.test is not a verified domain of this organization"));

    verify_acme(&owner, &org, &dns).await;

    // A new person: a managed Standard User after accepting.
    let r = owner.submit(&users, &invitations, &[("email", "dana@acme.test"), ("role", "standard_user")]).await;
    assert_eq!(location(&r), format!("{invitations}?notice=invitation-sent"));
    assert!(owner.page(&invitations).await.contains("data-invitation=\"dana@acme.test\""));
    let link = server
        .mail()
        .wait_for("dana@acme.test", "Join Acme Corp on Gatehouse")
        .await
        .link("/org-invitations/accept?token=");
    let dana = Browser::new(&server);
    assert!(dana.page(&link).await.contains("becomes a <strong>managed user</strong>"));
    let token = link.split("token=").nth(1).unwrap();
    let r = dana
        .submit(
            &link,
            "/org-invitations/accept/new",
            &[("token", token), ("name", "Dana"), ("password", "another good passphrase")],
        )
        .await;
    assert_eq!(location(&r), "/accounts?notice=organization-joined");
    let page = owner.page(&users).await;
    let row = &page[page.find("dana@acme.test").unwrap()..];
    assert!(row.contains("Managed") && row.contains("Standard User"), "{row}");

    // An independent login consents by accepting, signed in.
    let sam = Browser::new(&server);
    sign_up(&server, &sam, "sam@acme.test", "Sam").await;
    owner.submit(&users, &invitations, &[("email", "sam@acme.test"), ("role", "administrator")]).await;
    let link = server
        .mail()
        .wait_for("sam@acme.test", "Join Acme Corp on Gatehouse")
        .await
        .link("/org-invitations/accept?token=");
    let r = dana.get(&link).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "Dana cannot take Sam's invitation");
    let r = sam.submit(&link, "/org-invitations/accept", &[("token", link.split("token=").nth(1).unwrap())]).await;
    assert_eq!(location(&r), "/accounts?notice=organization-joined");
    let page = owner.page(&users).await;
    let row = &page[page.find("sam@acme.test").unwrap()..];
    assert!(row.contains("Managed") && row.contains("Administrator"), "{row}");
    assert!(sam.page("/accounts").await.contains("Admin Center · Acme Corp"), "Sam now administers the organization");
    // The Managed and Independent tabs.
    let contractor = Browser::new(&server);
    sign_up(&server, &contractor, "carl@contractor.test", "Carl").await;
    invite_and_accept(&server, &owner, &acct, &contractor, "carl@contractor.test", &["developer"]).await;
    let managed = owner.page(&format!("{users}?kind=managed")).await;
    assert!(
        managed.contains("sam@acme.test")
            && managed.contains("dana@acme.test")
            && !managed.contains("carl@contractor.test")
    );
    let independent = owner.page(&format!("{users}?kind=independent")).await;
    assert!(independent.contains("carl@contractor.test") && !independent.contains("sam@acme.test"));
    server.running.stop().await.unwrap();
}

on_both_engines!(
    domains_are_verified_by_a_real_dns_lookup,
    organization_settings_rename_and_set_the_invitation_lifetime,
    people_at_a_verified_domain_are_invited_as_managed_users,
);
