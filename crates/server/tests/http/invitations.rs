//! Invitations over HTTP: the pending tab, resend and revoke, and the page a link opens — for a
//! new person, for a user who must sign in first, and for someone signed in as another person.

use reqwest::StatusCode;

use crate::support::*;

fn token_of(link: &str) -> &str {
    link.split("token=").nth(1).unwrap()
}

async fn a_new_person_creates_a_login_from_the_link(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let link = invite(&server, &owner, &acct, "dana@contractor.test", &["developer", "viewer"]).await;
    let pending = owner.page(&format!("/accounts/{acct}/invitations")).await;
    assert!(pending.contains("data-invitation=\"dana@contractor.test\"") && pending.contains("Developer, Viewer"));

    let dana = Browser::new(&server);
    let page = dana.page(&link).await;
    assert!(page.contains("Olivia Owner invited <strong>dana@contractor.test</strong>"), "{page}");
    assert!(page.contains("Create login and join"));
    let weak = dana
        .submit(
            &link,
            "/invitations/accept/new",
            &[("token", token_of(&link)), ("name", "Dana"), ("password", "password1")],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("class=\"field-error\""), "inline password error");
    let r = dana
        .submit(
            &link,
            "/invitations/accept/new",
            &[("token", token_of(&link)), ("name", "Dana Dev"), ("password", "another good passphrase")],
        )
        .await;
    assert_eq!(location(&r), format!("/accounts/{acct}?notice=invitation-accepted"));
    assert_eq!(dana.get(&format!("/accounts/{acct}")).await.status(), StatusCode::OK, "signed in, verified, a member");
    let users = owner.page(&format!("/accounts/{acct}/users")).await;
    assert!(users.contains("Dana Dev") && users.contains("Developer, Viewer"));
    assert!(!owner.page(&format!("/accounts/{acct}/invitations")).await.contains("dana@contractor.test"));
    // The link is spent.
    let again = Browser::new(&server).get(&link).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already accepted"));
    server.running.stop().await.unwrap();
}

async fn existing_users_sign_in_to_accept_and_others_are_refused(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let sam = Browser::new(&server);
    sign_up(&server, &sam, "sam@example.test", "Sam").await;
    let mallory = Browser::new(&server);
    sign_up(&server, &mallory, "mallory@evil.test", "Mallory").await;
    let link = invite(&server, &owner, &acct, "sam@example.test", &["support"]).await;

    // Someone else, signed in, is told whose invitation it is and cannot take it.
    let r = mallory.get(&link).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("but you are signed in as mallory@evil.test"));
    let r = mallory.submit("/accounts", "/invitations/accept", &[("token", token_of(&link))]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(mallory.get(&format!("/accounts/{acct}")).await.status(), StatusCode::NOT_FOUND);

    // Sam, signed out, is sent to sign in and comes back to the invitation.
    sign_out(&sam).await;
    let page = sam.page(&link).await;
    let next = format!("/signin?next={}", link.replace('/', "%2F").replace('?', "%3F").replace('=', "%3D"));
    assert!(page.contains(&next), "{page}");
    let r = sam
        .submit(
            &next,
            "/signin",
            &[("email", "sam@example.test"), ("password", "another good passphrase"), ("next", &link)],
        )
        .await;
    assert_eq!(location(&r), link);
    let r = sam.submit(&link, "/invitations/accept", &[("token", token_of(&link))]).await;
    assert_eq!(location(&r), format!("/accounts/{acct}?notice=invitation-accepted"));
    assert_eq!(sam.get(&format!("/accounts/{acct}")).await.status(), StatusCode::OK);
    server.running.stop().await.unwrap();
}

async fn resent_links_replace_old_ones_and_revoked_links_stop(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let first = invite(&server, &owner, &acct, "dana@contractor.test", &["viewer"]).await;
    let pending = format!("/accounts/{acct}/invitations");
    let page = owner.page(&pending).await;
    let iv = sid_after(&page, &format!("/accounts/{acct}/invitations/"));
    let r = owner.submit(&pending, &format!("{pending}/{iv}/resend"), &[]).await;
    assert_eq!(location(&r), format!("{pending}?notice=invitation-resent"));
    for _ in 0..300 {
        if server.mail().count_to("dana@contractor.test") == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second =
        server.mail().wait_for("dana@contractor.test", "You are invited to").await.link("/invitations/accept?token=");
    assert_ne!(first, second);
    let stranger = Browser::new(&server);
    assert_eq!(stranger.get(&first).await.status(), StatusCode::CONFLICT, "the old link stops working");
    assert_eq!(stranger.get(&second).await.status(), StatusCode::OK);

    // A Developer can neither see the list nor resend or revoke (users are not theirs to manage).
    let dev = Browser::new(&server);
    sign_up(&server, &dev, "dev@example.test", "Dev").await;
    invite_and_accept(&server, &owner, &acct, &dev, "dev@example.test", &["developer"]).await;
    assert_eq!(dev.get(&pending).await.status(), StatusCode::FORBIDDEN);
    let r = dev.submit("/accounts", &format!("{pending}/{iv}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = owner.submit(&pending, &format!("{pending}/{iv}/revoke"), &[]).await;
    assert_eq!(location(&r), format!("{pending}?notice=invitation-revoked"));
    let r = stranger.get(&second).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("withdrawn"));
    assert!(!owner.page(&pending).await.contains("dana@contractor.test"));
    server.running.stop().await.unwrap();
}

on_both_engines!(
    a_new_person_creates_a_login_from_the_link,
    existing_users_sign_in_to_accept_and_others_are_refused,
    resent_links_replace_old_ones_and_revoked_links_stop,
);
