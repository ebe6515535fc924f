//! The main flow: setup → sign in → create account → add a user → change roles → remove.

use reqwest::StatusCode;

use crate::support::*;

async fn setup_sign_in_create_add_change_remove(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);

    // First run: the root page explains the setup link; the link creates the Owner.
    let home = owner.page("/").await;
    assert!(home.contains("setup link"), "{home}");
    let first_account = set_up(&server, &owner).await;
    let welcome = owner.page(&format!("/accounts/{first_account}?notice=welcome")).await;
    assert!(welcome.contains("Acme Production") && welcome.contains("Welcome to Gatehouse"));
    assert!(welcome.contains("Olivia Owner &#60;olivia@acme.test&#62;"), "the Owner is shown");

    // The setup link is single-use.
    let again = owner.get(server.setup_url.as_deref().unwrap()).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // Sign out, fail a sign-in, sign in.
    let accounts = owner.page("/accounts").await;
    let r = owner.post("/signout", &[("csrf", &csrf_of(&accounts))]).await;
    assert_eq!(location(&r), "/signin");
    assert_eq!(location(&owner.get("/accounts").await), "/signin?next=%2Faccounts");
    let r = owner.submit("/signin", "/signin", &[("email", "olivia@acme.test"), ("password", "wrong password")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("The email address or password is not right."));
    let r = owner
        .submit(
            "/signin?next=/accounts",
            "/signin",
            &[("email", "Olivia@Acme.test"), ("password", "correct horse battery"), ("next", "/accounts")],
        )
        .await;
    assert_eq!(location(&r), "/accounts");
    assert!(owner.page("/accounts").await.contains("Acme Production"));

    // Create a standalone account.
    let r = owner.submit("/accounts/new", "/accounts", &[("name", "Staging"), ("organization_sid", "")]).await;
    let staging = sid_after(&location(&r), "/accounts/");
    assert!(owner.page(&format!("/accounts/{staging}")).await.contains("Standalone"));
    // An empty name is an inline error, not a lost form.
    let r = owner.submit("/accounts/new", "/accounts", &[("name", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error\">enter a name"));

    // A second person signs up on their own.
    let dev = Browser::new(&server);
    sign_up(&server, &dev, "dana@contractor.test", "Dana Dev").await;
    assert_eq!(dev.get(&format!("/accounts/{staging}")).await.status(), StatusCode::NOT_FOUND);

    // Invite them with two roles; they accept signed in.
    let users = format!("/accounts/{staging}/users");
    invite_and_accept(&server, &owner, &staging, &dev, "dana@contractor.test", &["developer", "viewer"]).await;
    let page = owner.page(&users).await;
    assert!(page.contains("Dana Dev") && page.contains("Developer, Viewer"), "{page}");
    let dana_sid = sid_after(&page[page.find("data-member=\"dana@contractor.test\"").unwrap()..], "/users/");
    // Dana can now open the account but not its users.
    assert_eq!(dev.get(&format!("/accounts/{staging}")).await.status(), StatusCode::OK);
    assert_eq!(dev.get(&users).await.status(), StatusCode::FORBIDDEN);

    // An invitation needs a valid address: the error is inline, next to the field.
    let r = owner
        .submit(&users, &format!("/accounts/{staging}/invitations"), &[("email", "ghost@"), ("roles", "viewer")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("class=\"field-error\""));

    // Make Dana an Administrator (with Developer ticked too: Administrator clears it).
    let roles_url = format!("{users}/{dana_sid}/roles");
    let r = owner.submit(&users, &roles_url, &[("roles", "administrator"), ("roles", "developer")]).await;
    assert_eq!(location(&r), format!("{users}?notice=roles-changed"));
    let page = owner.page(&users).await;
    let row = &page[page.find("data-member=\"dana@contractor.test\"").unwrap()..];
    assert!(row.contains("<td class=\"roles-label\">Administrator</td>"), "{row}");
    // The change applies on Dana's next request, without signing in again.
    assert_eq!(dev.get(&users).await.status(), StatusCode::OK);

    // The Owner cannot be removed.
    let page = owner.page(&users).await;
    assert!(page.contains("role changes only by transferring ownership"));
    let owner_row = &page[page.find("data-member=\"olivia@acme.test\"").unwrap()..];
    let owner_row = &owner_row[..owner_row.find("</tr>").unwrap()];
    assert!(!owner_row.contains("/remove"), "no remove button for the Owner: {owner_row}");

    // Remove Dana: her login survives, her access does not.
    let r = owner.submit(&users, &format!("{users}/{dana_sid}/remove"), &[]).await;
    assert_eq!(location(&r), format!("{users}?notice=member-removed"));
    assert!(!owner.page(&users).await.contains("dana@contractor.test"));
    assert_eq!(dev.get(&format!("/accounts/{staging}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(dev.get("/accounts").await.status(), StatusCode::OK, "Dana is still signed in to her own account");

    // Every change is in the account's activity.
    let overview = owner.page(&format!("/accounts/{staging}")).await;
    for action in
        ["account.created", "invitation.created", "invitation.accepted", "member.roles_changed", "member.removed"]
    {
        assert!(overview.contains(action), "{action} missing from activity");
    }

    // The organization's Admin Center lists both people and the organization's account.
    let org_link = owner.page("/accounts").await;
    let org_sid = sid_after(&org_link, "href=\"/orgs/");
    let org_users = owner.page(&format!("/orgs/{org_sid}/users")).await;
    assert!(org_users.contains("olivia@acme.test") && org_users.contains("Managed"));
    let org_accounts = owner.page(&format!("/orgs/{org_sid}/accounts")).await;
    assert!(org_accounts.contains("Acme Production") && !org_accounts.contains("Staging"));
    assert_eq!(dev.get(&format!("/orgs/{org_sid}/users")).await.status(), StatusCode::NOT_FOUND);

    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn setup_sign_in_create_account_add_change_and_remove_a_user_on_sqlite() {
    setup_sign_in_create_add_change_remove(Engine::Sqlite).await;
}

#[tokio::test]
async fn setup_sign_in_create_account_add_change_and_remove_a_user_on_postgres() {
    setup_sign_in_create_add_change_remove(Engine::Postgres).await;
}

async fn ownership_transfers_through_the_users_page(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    set_up(&server, &owner).await;
    let r = owner.submit("/accounts/new", "/accounts", &[("name", "Side project")]).await;
    let acct = sid_after(&location(&r), "/accounts/");
    let other = Browser::new(&server);
    sign_up(&server, &other, "sam@example.test", "Sam").await;
    let users = format!("/accounts/{acct}/users");
    invite_and_accept(&server, &owner, &acct, &other, "sam@example.test", &["support"]).await;
    let page = owner.page(&users).await;
    let sam = sid_after(&page[page.find("data-member=\"sam@example.test\"").unwrap()..], "/users/");
    // Olivia offers ownership; nothing moves until Sam accepts.
    let r = owner.submit(&users, &format!("/accounts/{acct}/owner"), &[("new_owner", &sam)]).await;
    assert_eq!(location(&r), format!("{users}?notice=owner-nominated"));
    assert!(owner.page(&users).await.contains("Waiting for <strong>Sam</strong>"));
    let offer = server.mail().wait_for("sam@example.test", "Become the Owner of Side project?").await;
    assert!(offer.body.contains(&format!("/accounts/{acct}")));
    let overview = other.page(&format!("/accounts/{acct}")).await;
    assert!(overview.contains("Olivia Owner offers you ownership of this account"), "{overview}");
    // Olivia cannot answer for Sam.
    let r = owner.submit(&users, &format!("/accounts/{acct}/owner/answer"), &[("accept", "1")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r =
        other.submit(&format!("/accounts/{acct}"), &format!("/accounts/{acct}/owner/answer"), &[("accept", "1")]).await;
    assert_eq!(location(&r), format!("/accounts/{acct}?notice=owner-transferred"));
    let overview = other.page(&format!("/accounts/{acct}")).await;
    assert!(overview.contains("Sam &#60;sam@example.test&#62;"), "Sam owns it now");
    server.mail().wait_for("olivia@acme.test", "Sam now owns Side project").await;
    server.mail().wait_for("sam@example.test", "You now own Side project").await;
    let page = owner.page(&users).await;
    let me = &page[page.find("data-member=\"olivia@acme.test\"").unwrap()..];
    assert!(me.contains("<td class=\"roles-label\">Administrator</td>"));
    assert!(!page.contains("Offer ownership</button>"), "an Administrator cannot transfer");
    let activity = other.page(&format!("/accounts/{acct}")).await;
    assert!(activity.contains("account.owner_nominated") && activity.contains("account.owner_transferred"));
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn ownership_transfers_through_the_users_page_on_sqlite() {
    ownership_transfers_through_the_users_page(Engine::Sqlite).await;
}

#[tokio::test]
async fn ownership_transfers_through_the_users_page_on_postgres() {
    ownership_transfers_through_the_users_page(Engine::Postgres).await;
}
