//! The Admin Center over HTTP: the user page (name, organization role, forced reset, accounts
//! with a role filter, adding and removing), offboarding with a preview and a report, and the
//! Accounts tabs (create, import by SID, access to an independent account, lifecycle).

use reqwest::StatusCode;

use crate::support::*;

async fn removing_a_user_hands_their_accounts_to_an_heir(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let (_, org) = verified_organization(&server, &owner, &dns).await;
    let dana = join_organization(&server, &owner, &org, "dana@acme.test", "standard_user").await;
    let hank = join_organization(&server, &owner, &org, "hank@acme.test", "standard_user").await;
    let payments = create_org_account(&dana, &org, "Payments").await;
    let marketing = create_org_account(&dana, &org, "Marketing").await;
    let (k1, s1) = create_key(&dana, &payments, "ci").await;
    let (k2, s2) = create_key(&dana, &payments, "deploy").await;
    let (k3, s3) = create_key(&dana, &marketing, "reporting").await;
    assert_eq!(key_status(&server, &k1, &s1).await, StatusCode::OK);
    // A Standard User created accounts but has no Admin Center.
    assert_eq!(dana.get(&format!("/orgs/{org}/users")).await.status(), StatusCode::FORBIDDEN);

    let users = owner.page(&format!("/orgs/{org}/users")).await;
    let dana_sid = sid_after(&users[users.find("dana@acme.test").unwrap() - 400..], &format!("/orgs/{org}/users/"));
    let hank_sid = {
        let i = users.find("hank@acme.test").unwrap();
        sid_after(&users[i - 400..], &format!("/orgs/{org}/users/"))
    };
    let offboard = format!("/orgs/{org}/users/{dana_sid}/offboard?kind=removed");
    let preview = owner.page(&offboard).await;
    for expected in ["Payments", "Marketing", &k1, &k2, &k3, "Keep dana as Owner", "hank &#60;hank@acme.test&#62;"] {
        assert!(preview.contains(expected), "{expected} missing from the preview:\n{preview}");
    }
    // Without the acknowledgement, or without an heir, nothing happens.
    let choices = [
        (format!("account_{payments}"), hank_sid.clone()),
        (format!("account_{marketing}"), hank_sid.clone()),
        (format!("key_{k1}"), "revoke".to_owned()),
        (format!("key_{k2}"), "revoke".to_owned()),
        (format!("key_{k3}"), "keep".to_owned()),
    ];
    let form: Vec<(&str, &str)> = choices.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = owner.submit(&offboard, &offboard, &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("tick the box"));
    let mut partial = form[1..].to_vec();
    partial.push(("acknowledge", "on"));
    let r = owner.submit(&offboard, &offboard, &partial).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("choose a new Owner for Payments"));
    assert_eq!(key_status(&server, &k1, &s1).await, StatusCode::OK, "nothing changed");

    let mut full = form.clone();
    full.push(("acknowledge", "on"));
    let r = owner.submit(&offboard, &offboard, &full).await;
    let report = location(&r);
    assert!(report.starts_with(&format!("/orgs/{org}/offboarding/OB")), "{report}");
    let page = owner.page(&report).await;
    assert!(
        page.contains("User removed: dana@acme.test")
            && page.contains("outcome: revoked")
            && page.contains("outcome: kept")
    );
    assert!(owner.page(&format!("/orgs/{org}/offboarding")).await.contains("dana@acme.test"));

    // Heirs own the accounts; chosen keys fail; Dana's session is gone but her login works.
    assert!(hank.page(&format!("/accounts/{payments}")).await.contains("hank &#60;hank@acme.test&#62;"));
    assert_eq!(key_status(&server, &k1, &s1).await, StatusCode::UNAUTHORIZED);
    assert_eq!(key_status(&server, &k2, &s2).await, StatusCode::UNAUTHORIZED);
    assert_eq!(key_status(&server, &k3, &s3).await, StatusCode::OK);
    assert!(location(&dana.get("/accounts").await).starts_with("/signin"), "session ended");
    let again = Browser::new(&server);
    assert_eq!(location(&sign_in(&again, "dana@acme.test", PASSWORD).await), "/accounts");
    assert_eq!(again.get(&format!("/accounts/{payments}")).await.status(), StatusCode::NOT_FOUND);
    let independent = owner.page(&format!("/orgs/{org}/users?kind=managed")).await;
    assert!(!independent.contains("dana@acme.test"), "no longer managed");
    server.running.stop().await.unwrap();
}

async fn the_user_page_edits_a_managed_user_and_their_accounts(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let (acct, org) = verified_organization(&server, &owner, &dns).await;
    let sam = join_organization(&server, &owner, &org, "sam@acme.test", "standard_user").await;
    let users = owner.page(&format!("/orgs/{org}/users")).await;
    let sam_sid = sid_after(&users[users.find("sam@acme.test").unwrap() - 400..], &format!("/orgs/{org}/users/"));
    let page = format!("/orgs/{org}/users/{sam_sid}");
    let html = owner.page(&page).await;
    assert!(html.contains("Managed user") && html.contains("Force a password reset"));

    let r = owner.submit(&page, &format!("{page}/name"), &[("name", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner.submit(&page, &format!("{page}/name"), &[("name", "Samantha")]).await;
    assert_eq!(location(&r), format!("{page}?tab=&notice=user-renamed"));
    let r = owner.submit(&page, &format!("{page}/role"), &[("role", "administrator")]).await;
    assert_eq!(location(&r), format!("{page}?tab=&notice=org-role-changed"));
    assert!(sam.page("/accounts").await.contains("Admin Center · Acme Corp"), "applies at the next request");

    // Accounts: add Sam to the first account as Developer, filter by role, remove.
    let accounts = format!("{page}?tab=accounts");
    let r = owner
        .submit(&accounts, &format!("{page}/add-account"), &[("account_sid", &acct), ("roles", "developer")])
        .await;
    assert_eq!(location(&r), format!("{page}?tab=accounts&notice=member-added"));
    assert!(owner.page(&format!("{accounts}&role=developer")).await.contains(&format!("data-account=\"{acct}\"")));
    assert!(!owner.page(&format!("{accounts}&role=viewer")).await.contains(&format!("data-account=\"{acct}\"")));
    let r = owner.submit(&accounts, &format!("{page}/accounts/{acct}/remove"), &[]).await;
    assert_eq!(location(&r), format!("{page}?tab=accounts&notice=member-removed"));
    assert!(!owner.page(&accounts).await.contains(&format!("data-account=\"{acct}\"")));

    // Forcing a reset ends Sam's sessions and mails a link; the old password fails.
    let r = owner.submit(&page, &format!("{page}/reset-password"), &[]).await;
    assert_eq!(location(&r), format!("{page}?tab=&notice=password-reset-forced"));
    assert!(location(&sam.get("/accounts").await).starts_with("/signin"), "sessions ended");
    let retry = Browser::new(&server);
    assert_eq!(sign_in(&retry, "sam@acme.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    let link =
        server.mail().wait_for("sam@acme.test", "Reset your Gatehouse password").await.link("/password/reset?token=");
    assert!(link.contains("token="));
    // Another organization's administrator sees nothing of Sam.
    let outsider = Browser::new(&server);
    sign_up(&server, &outsider, "x@elsewhere.test", "X").await;
    assert_eq!(outsider.get(&page).await.status(), StatusCode::NOT_FOUND);
    server.running.stop().await.unwrap();
}

async fn accounts_are_imported_shared_and_managed_from_the_admin_center(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let (_, org) = verified_organization(&server, &owner, &dns).await;
    let accounts = format!("/orgs/{org}/accounts");
    let ivan = Browser::new(&server);
    sign_up(&server, &ivan, "ivan@acme.test", "Ivan").await;
    let ivans = sid_after(&ivan.page("/accounts").await, "href=\"/accounts/AC");
    let ivans = format!("AC{}", &ivans[..32]);
    let carla = Browser::new(&server);
    sign_up(&server, &carla, "carla@contractor.test", "Carla").await;
    let carlas = sid_after(&carla.page("/accounts").await, "href=\"/accounts/AC");
    let carlas = format!("AC{}", &carlas[..32]);

    // Import: refused outside the verified domains; pending until Ivan accepts on his account.
    let import = format!("{accounts}/request/import");
    let r = owner.submit(&accounts, &import, &[("account_sid", "AC123")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner.submit(&accounts, &import, &[("account_sid", &carlas)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("outside this organization"));
    let r = owner.submit(&accounts, &import, &[("account_sid", &ivans)]).await;
    assert_eq!(location(&r), format!("{accounts}?kind=pending&notice=account-request-sent"));
    assert!(owner.page(&format!("{accounts}?kind=pending")).await.contains(&ivans));
    server.mail().wait_for("ivan@acme.test", "asks to manage your account").await;
    let overview = format!("/accounts/{ivans}");
    assert!(ivan.page(&overview).await.contains("Acme Corp asks to manage this account"));
    let r = ivan.submit(&overview, &format!("{overview}/request/answer"), &[("accept", "1")]).await;
    assert_eq!(location(&r), format!("{overview}?notice=account-request-accepted"));
    assert!(owner.page(&accounts).await.contains(&format!("data-account=\"{ivans}\"")));

    // Suspend, reactivate, remove from the organization.
    for (action, notice) in
        [("suspend", "account-suspended"), ("reactivate", "account-reactivated"), ("remove", "account-removed")]
    {
        let r = owner.submit(&accounts, &format!("{accounts}/{ivans}/{action}"), &[]).await;
        assert_eq!(location(&r), format!("{accounts}?kind=managed&notice={notice}"), "{action}");
    }
    assert_eq!(owner.get(&overview).await.status(), StatusCode::NOT_FOUND);

    // Access to Carla's independent account: she declines, then accepts; then relinquished.
    let access = format!("{accounts}/request/access");
    owner.submit(&accounts, &access, &[("account_sid", &carlas)]).await;
    let theirs = format!("/accounts/{carlas}");
    assert!(carla.page(&theirs).await.contains("Acme Corp asks for access to this account"));
    carla.submit(&theirs, &format!("{theirs}/request/answer"), &[("decline", "1")]).await;
    assert!(!owner.page(&format!("{accounts}?kind=independent")).await.contains(&carlas));
    owner.submit(&accounts, &access, &[("account_sid", &carlas)]).await;
    carla.submit(&theirs, &format!("{theirs}/request/answer"), &[("accept", "1")]).await;
    assert!(owner.page(&format!("{accounts}?kind=independent")).await.contains(&carlas));
    assert_eq!(owner.get(&theirs).await.status(), StatusCode::OK, "the asking admin is its Administrator");
    let r = owner.submit(&accounts, &format!("{accounts}/{carlas}/relinquish"), &[]).await;
    assert_eq!(location(&r), format!("{accounts}?kind=independent&notice=access-relinquished"));
    assert_eq!(owner.get(&theirs).await.status(), StatusCode::NOT_FOUND);
    // Carla's account is not the organization's to suspend.
    let r = owner.submit(&accounts, &format!("{accounts}/{carlas}/suspend"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Close a managed account from the list (the typed name must match).
    let made = create_org_account(&owner, &org, "Sandbox").await;
    let r = owner.submit(&accounts, &format!("{accounts}/{made}/close"), &[("confirm_name", "sandbox")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner.submit(&accounts, &format!("{accounts}/{made}/close"), &[("confirm_name", "Sandbox")]).await;
    assert_eq!(location(&r), format!("{accounts}?kind=managed&notice=account-closed"));
    server.running.stop().await.unwrap();
}

on_both_engines!(
    removing_a_user_hands_their_accounts_to_an_heir,
    the_user_page_edits_a_managed_user_and_their_accounts,
    accounts_are_imported_shared_and_managed_from_the_admin_center,
);
