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

on_both_engines!(an_account_is_renamed_suspended_reactivated_and_closed);
