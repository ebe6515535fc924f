//! The organization's controls that the seeds and SPEC name: transferring the organization's
//! ownership (offer, decline, accept, the CLI), deactivating and reactivating a managed user,
//! adding a managed user to an account directly, the account's Users tab filtered by role,
//! independent accounts seen by every admin, and the managed-user gate at acceptance.
//! (Sign-up and the installation are in `self_service.rs`, roles and grants in `org_roles.rs`.)

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

async fn the_owner_hands_the_organization_to_an_administrator(engine: Engine) {
    let Some((server, _dns, olivia, _, org)) = acme(engine).await else { return };
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
    cli(&server, &["admin", "transfer-organization", "--organization", &org, "--to", &olivia_sid]);
    let (_, ada_now) =
        api_call(&server, &olivia, &olivia_csrf, "get", &format!("/orgs/{org}/users/{ada_sid}"), None).await;
    assert_eq!(ada_now["organization_role"], "administrator");
    let out = cli_output(&server, &["admin", "transfer-organization", "--organization", &org, "--to", &sam_sid]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to: the new Owner must be an Administrator"));
    server.running.stop().await.unwrap();
}

async fn an_admin_deactivates_and_reactivates_a_managed_user(engine: Engine) {
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
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
    let Some((server, _dns, olivia, acct, org)) = acme(engine).await else { return };
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
    let Some((server, _dns, olivia, _, org)) = acme(engine).await else { return };
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
    let Some((server, _dns, olivia, _, org)) = acme(engine).await else { return };
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

on_both_engines!(
    every_admin_acts_on_an_independent_account_the_organization_may_access,
    acceptance_is_refused_once_the_domain_is_no_longer_verified,
    admins_add_managed_users_at_once_and_filter_users_by_role,
    the_owner_hands_the_organization_to_an_administrator,
    an_admin_deactivates_and_reactivates_a_managed_user,
);
