//! The account console over HTTP: rename, suspend, reactivate and close an account and its
//! subaccounts, with the roles that may and may not.

use reqwest::StatusCode;

use crate::support::*;

async fn an_account_is_renamed_suspended_reactivated_and_closed(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let overview = format!("/accounts/{acct}");
    let r = owner
        .submit(&format!("/accounts/new?parent={acct}"), "/accounts", &[("name", "Customer A"), ("parent_sid", &acct)])
        .await;
    let sub = sid_after(&location(&r), "/accounts/");
    let admin = Browser::new(&server);
    sign_up(&server, &admin, "ada@example.test", "Ada").await;
    invite_and_accept(&server, &owner, &acct, &admin, "ada@example.test", &["administrator"]).await;

    let r = admin.submit(&overview, &format!("{overview}/status/name"), &[("name", "Acme Live")]).await;
    assert_eq!(location(&r), format!("{overview}?notice=account-renamed"));
    assert!(owner.page(&overview).await.contains("<h1>Acme Live</h1>"));

    // Suspended: a banner on the overview, the users pages refused with the reason.
    let r = admin.submit(&overview, &format!("{overview}/status/suspend"), &[]).await;
    assert_eq!(location(&r), format!("{overview}?notice=account-suspended"));
    let page = owner.page(&overview).await;
    assert!(page.contains("badge suspended") && page.contains("Reactivate account"), "{page}");
    let users = owner.get(&format!("{overview}/users")).await;
    assert_eq!(users.status(), StatusCode::CONFLICT);
    assert!(users.text().await.unwrap().contains("This account is suspended"));
    let r = owner
        .submit(&overview, &format!("{overview}/invitations"), &[("email", "x@example.test"), ("roles", "viewer")])
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER, "no invitations while suspended");
    let r = admin.submit(&overview, &format!("{overview}/status/reactivate"), &[]).await;
    assert_eq!(location(&r), format!("{overview}?notice=account-reactivated"));
    assert_eq!(owner.get(&format!("{overview}/users")).await.status(), StatusCode::OK);

    // Only the Owner closes, by typing the name; its subaccounts close with it.
    assert!(!admin.page(&overview).await.contains("Close account</button>"));
    let r = admin.submit(&overview, &format!("{overview}/status/close"), &[("confirm_name", "Acme Live")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = owner.submit(&overview, &format!("{overview}/status/close"), &[("confirm_name", "acme")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner.submit(&overview, &format!("{overview}/status/close"), &[("confirm_name", "Acme Live")]).await;
    assert_eq!(location(&r), format!("{overview}?notice=account-closed"));
    let page = owner.page(&overview).await;
    assert!(page.contains("This account is closed. Closing is final.") && !page.contains("Reactivate account"));
    assert!(owner.page(&format!("/accounts/{sub}")).await.contains("badge closed"), "the subaccount closed too");
    let r = owner.submit("/accounts", &format!("{overview}/status/reactivate"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let activity = owner.page(&overview).await;
    for action in ["account.renamed", "account.suspended", "account.reactivated", "account.closed"] {
        assert!(activity.contains(action), "{action}");
    }
    server.running.stop().await.unwrap();
}

/// `Authorization: Basic` for a key.
fn basic(sid: &str, secret: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{sid}:{secret}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

async fn api_keys_show_their_secret_once_and_stop_working_when_revoked(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let keys = format!("/accounts/{acct}/keys");
    let r = owner.submit(&keys, &keys, &[("name", "CI deploys")]).await;
    assert_eq!(location(&r), format!("{keys}?notice=key-created"));
    let r = owner.get(&format!("{keys}?notice=key-created")).await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let sid = text_of_id(&html, "new-key-sid");
    let secret = text_of_id(&html, "new-key-secret");
    assert!(sid.starts_with("SK") && secret.len() == 32, "{sid} {secret}");
    let again = owner.page(&format!("{keys}?notice=key-created")).await;
    assert!(again.contains(&sid) && !again.contains(&secret), "shown once, even on reload");
    let list = owner.page(&keys).await;
    assert!(list.contains(&sid) && list.contains("CI deploys") && !list.contains(&secret));
    assert!(list.contains("Olivia Owner (olivia@acme.test)") && list.contains("never"));

    // The key authenticates the JSON API with its account's scope.
    let api = reqwest::Client::new();
    let me = api
        .get(format!("{}/api/v1/me", server.base))
        .header("authorization", basic(&sid, &secret))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(
        (body["api_key_sid"].as_str(), body["account"]["sid"].as_str()),
        (Some(sid.as_str()), Some(acct.as_str()))
    );
    let wrong = api
        .get(format!("{}/api/v1/me", server.base))
        .header("authorization", basic(&sid, "nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("unauthenticated"), Some(401)));
    let missing = api.get(format!("{}/api/v1/nothing", server.base)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<serde_json::Value>().await.unwrap()["code"], "no_route");
    // The use is written off the request path, within about a second.
    let mut recorded = false;
    for _ in 0..30 {
        if !owner.page(&keys).await.contains(">never<") {
            recorded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recorded, "last use recorded within three seconds");

    // A Viewer sees no keys; a suspended account's keys are refused with the reason.
    let viewer = Browser::new(&server);
    sign_up(&server, &viewer, "vic@example.test", "Vic").await;
    invite_and_accept(&server, &owner, &acct, &viewer, "vic@example.test", &["viewer"]).await;
    assert_eq!(viewer.get(&keys).await.status(), StatusCode::FORBIDDEN);
    assert!(!viewer.page(&format!("/accounts/{acct}")).await.contains("API keys</a>"));
    let overview = format!("/accounts/{acct}");
    owner.submit(&overview, &format!("{overview}/status/suspend"), &[]).await;
    let r = api
        .get(format!("{}/api/v1/me", server.base))
        .header("authorization", basic(&sid, &secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().contains("suspended"));
    owner.submit(&overview, &format!("{overview}/status/reactivate"), &[]).await;

    // Rename, then revoke: the key stops working at once.
    let r = owner.submit(&keys, &format!("{keys}/{sid}/rename"), &[("name", "CI (old)")]).await;
    assert_eq!(location(&r), format!("{keys}?notice=key-renamed"));
    let r = owner.submit(&keys, &format!("{keys}/{sid}/revoke"), &[]).await;
    assert_eq!(location(&r), format!("{keys}?notice=key-revoked"));
    let r = api
        .get(format!("{}/api/v1/me", server.base))
        .header("authorization", basic(&sid, &secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!owner.page(&keys).await.contains(&sid));
    server.running.stop().await.unwrap();
}

async fn billing_shows_cards_as_brand_and_last_four_to_billing_roles_only(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let billing = format!("/accounts/{acct}/billing");
    let r = owner
        .submit(
            &billing,
            &format!("{billing}/cards"),
            &[("number", "4242 4242 4242 4241"), ("exp_month", "4"), ("exp_year", "2030"), ("cvc", "123")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("this is not a valid card number"));
    let r = owner
        .submit(
            &billing,
            &format!("{billing}/cards"),
            &[("number", "4242 4242 4242 4242"), ("exp_month", "4"), ("exp_year", "2030"), ("cvc", "123")],
        )
        .await;
    assert_eq!(location(&r), format!("{billing}?notice=payment-method-added"));
    let r = owner.submit(&billing, &format!("{billing}/paypal"), &[("paypal_email", "pay@example.test")]).await;
    assert_eq!(location(&r), format!("{billing}?notice=payment-method-added"));
    let page = owner.page(&billing).await;
    assert!(page.contains("Visa •••• 4242, expires 04/2030 <span class=\"badge active\">default</span>"), "{page}");
    assert!(page.contains("PayPal pay@example.test") && !page.contains("4242 4242"), "no card number is kept");

    // Invoices come from the system (the CLI here).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args([
            "admin",
            "record-invoice",
            "--account",
            &acct,
            "--period",
            "2026-10",
            "--amount",
            "42.5",
            "--status",
            "paid",
        ])
        .env("GATEHOUSE_DATABASE_URL", &server.database_url)
        .env_remove("GATEHOUSE_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(owner.page(&billing).await.contains("<td>2026-10</td><td>USD 42.50</td>"));

    // A Billing Manager manages it; a Developer sees no Billing tab and is refused.
    let bill = Browser::new(&server);
    sign_up(&server, &bill, "bill@example.test", "Bill").await;
    invite_and_accept(&server, &owner, &acct, &bill, "bill@example.test", &["billing_manager"]).await;
    let page = bill.page(&billing).await;
    let paypal = sid_after(&page[page.find("PayPal pay@example.test").unwrap()..], "/billing/methods/");
    let r = bill.submit(&billing, &format!("{billing}/methods/{paypal}/default"), &[]).await;
    assert_eq!(location(&r), format!("{billing}?notice=payment-method-default"));
    assert!(bill.page(&billing).await.contains("PayPal pay@example.test <span class=\"badge active\">default</span>"));
    let dev = Browser::new(&server);
    sign_up(&server, &dev, "dev@example.test", "Dev").await;
    invite_and_accept(&server, &owner, &acct, &dev, "dev@example.test", &["developer"]).await;
    assert!(!dev.page(&format!("/accounts/{acct}")).await.contains(">Billing</a>"));
    assert_eq!(dev.get(&billing).await.status(), StatusCode::FORBIDDEN);
    let r = dev.submit("/accounts", &format!("{billing}/methods/{paypal}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = bill.submit(&billing, &format!("{billing}/methods/{paypal}/remove"), &[]).await;
    assert_eq!(location(&r), format!("{billing}?notice=payment-method-removed"));
    let page = bill.page(&billing).await;
    assert!(
        !page.contains("PayPal pay@example.test")
            && page.contains("Visa •••• 4242, expires 04/2030 <span class=\"badge active\">default</span>")
    );
    server.running.stop().await.unwrap();
}

on_both_engines!(
    an_account_is_renamed_suspended_reactivated_and_closed,
    api_keys_show_their_secret_once_and_stop_working_when_revoked,
    billing_shows_cards_as_brand_and_last_four_to_billing_roles_only,
);
