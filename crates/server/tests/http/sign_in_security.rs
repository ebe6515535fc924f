//! Sign-in security over HTTP: email verification and change, two-step verification (TOTP, SMS
//! through the `twilio` sender, recovery codes), enforced 2FA, password reset and change,
//! sessions, throttling, and the outbox with and without SMTP.

use reqwest::StatusCode;

use crate::support::*;

const PASSWORD: &str = "another good passphrase";

async fn email_verification_gates_the_login_until_confirmed(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let ann = Browser::new(&server);
    sign_up_unverified(&ann, "ann@example.test", "Ann").await;
    // Nothing but verifying (and signing out) works yet.
    assert_eq!(location(&ann.get("/accounts").await), "/verify-email");
    assert_eq!(location(&ann.get("/me").await), "/verify-email");
    assert!(ann.page("/verify-email").await.contains("ann@example.test"));

    // The email went through a real SMTP conversation.
    let first = server.mail().wait_for("ann@example.test", "Confirm your email address").await;
    assert_eq!(first.envelope_from, "no-reply@gatehouse.test");
    assert!(
        first.header("From").contains("no-reply@gatehouse.test") && first.header("To").contains("ann@example.test")
    );
    let transcript = server.mail().transcript.lock().unwrap().join("\n");
    assert!(transcript.contains("MAIL FROM:<no-reply@gatehouse.test>"), "{transcript}");
    assert!(transcript.contains("RCPT TO:<ann@example.test>") && transcript.contains("DATA"), "{transcript}");

    // A new link replaces the first.
    let r = ann.submit("/verify-email", "/verify-email/resend", &[]).await;
    assert_eq!(location(&r), "/verify-email?notice=verification-sent");
    for _ in 0..300 {
        if server.mail().count_to("ann@example.test") == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = server.mail().wait_for("ann@example.test", "Confirm your email address").await;
    let (old_link, new_link) = (first.link("/verify-email?token="), second.link("/verify-email?token="));
    assert_ne!(old_link, new_link);
    let r = ann.get(&old_link).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("not valid any more"));
    assert_eq!(location(&ann.get(&new_link).await), "/accounts?notice=email-verified");
    assert_eq!(ann.get("/accounts").await.status(), StatusCode::OK);

    // Changing the address needs the password, tells the old address, and asks to confirm the new one.
    let r = ann.submit("/me", "/me/email", &[("email", "ann@new.test"), ("current_password", "wrong")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("this is not your current password"));
    let r = ann.submit("/me", "/me/email", &[("email", "ann@new.test"), ("current_password", PASSWORD)]).await;
    assert_eq!(location(&r), "/verify-email?notice=email-changed");
    assert_eq!(location(&ann.get("/accounts").await), "/verify-email");
    server.mail().wait_for("ann@example.test", "email address was changed").await;
    let link = server.mail().wait_for("ann@new.test", "Confirm your email address").await.link("/verify-email?token=");
    assert_eq!(location(&ann.get(&link).await), "/accounts?notice=email-verified");
    sign_out(&ann).await;
    assert_eq!(sign_in(&ann, "ann@example.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(location(&sign_in(&ann, "ann@new.test", PASSWORD).await), "/accounts");
    server.running.stop().await.unwrap();
}

/// Enrols an authenticator app for the signed-in browser; returns the secret and recovery codes.
async fn enrol_totp(b: &Browser) -> (String, Vec<String>) {
    let setup = b.get("/me/2fa").await;
    assert_eq!(setup.headers()["cache-control"], "no-store");
    let html = setup.text().await.unwrap();
    assert!(html.contains("<svg") && !html.contains("<?xml"), "a QR code rendered inline");
    let secret = text_of_id(&html, "totp-secret");
    let r = b.post("/me/2fa/totp", &[("csrf", &csrf_of(&html)), ("code", "000000")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("that code is not right"));
    let r = b.post("/me/2fa/totp", &[("csrf", &csrf_of(&html)), ("code", &totp_code(&secret, 0))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let codes = recovery_codes(&r.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn totp_sign_in_recovery_codes_and_turning_it_off(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let ann = Browser::new(&server);
    sign_up(&server, &ann, "ann@example.test", "Ann").await;
    let (secret, codes) = enrol_totp(&ann).await;
    assert_eq!(text_of_id(&ann.page("/me").await, "recovery-left"), "10");
    sign_out(&ann).await;

    // The password alone leads to the second step, and nowhere else.
    assert_eq!(location(&sign_in(&ann, "ann@example.test", PASSWORD).await), "/signin/2fa");
    assert_eq!(location(&ann.get("/accounts").await), "/signin/2fa");
    let step = ann.page("/signin/2fa").await;
    assert!(step.contains("authenticator app"), "{step}");
    let r = ann.post("/signin/2fa", &[("csrf", &csrf_of(&step)), ("method", "totp"), ("code", "123456")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The code of the next period (the enrolment used this one: RFC 6238 allows each once).
    let code = totp_code(&secret, 1);
    let r = ann.post("/signin/2fa", &[("csrf", &csrf_of(&step)), ("method", "totp"), ("code", &code)]).await;
    assert_eq!(location(&r), "/accounts");
    assert_eq!(ann.get("/accounts").await.status(), StatusCode::OK);

    // The same code cannot be replayed by someone else who has the password.
    let eve = Browser::new(&server);
    assert_eq!(location(&sign_in(&eve, "ann@example.test", PASSWORD).await), "/signin/2fa");
    let r = eve.submit("/signin/2fa", "/signin/2fa", &[("method", "totp"), ("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A recovery code works once and says how many are left.
    sign_out(&ann).await;
    sign_in(&ann, "ann@example.test", PASSWORD).await;
    let r =
        ann.submit("/signin/2fa?method=recovery", "/signin/2fa", &[("method", "recovery"), ("code", &codes[0])]).await;
    assert_eq!(location(&r), "/me?notice=recovery-code-used&left=9");
    assert!(ann.page("/me?notice=recovery-code-used&left=9").await.contains("You have 9 recovery codes left."));
    sign_out(&ann).await;
    sign_in(&ann, "ann@example.test", PASSWORD).await;
    let r = ann.submit("/signin/2fa", "/signin/2fa", &[("method", "recovery"), ("code", &codes[0])]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "used codes are spent");
    let r =
        ann.submit("/signin/2fa", "/signin/2fa", &[("method", "recovery"), ("code", &codes[1].to_uppercase())]).await;
    assert_eq!(location(&r), "/me?notice=recovery-code-used&left=8");

    // New codes replace the old ones.
    let r = ann.submit("/me", "/me/recovery-codes", &[]).await;
    let fresh = recovery_codes(&r.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    let r = ann.submit("/me", "/me/2fa/disable", &[("method", "recovery"), ("code", &codes[2])]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "old codes stopped working");
    let r = ann.submit("/me", "/me/2fa/disable", &[("method", "recovery"), ("code", &fresh[0])]).await;
    assert_eq!(location(&r), "/me?notice=two-factor-disabled");
    sign_out(&ann).await;
    assert_eq!(location(&sign_in(&ann, "ann@example.test", PASSWORD).await), "/accounts");
    server.running.stop().await.unwrap();
}

/// Decodes HTTP Basic credentials.
fn basic(header: &str) -> String {
    let encoded = header.strip_prefix("Basic ").expect("Basic auth");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in encoded.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | alphabet.iter().position(|a| *a == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn sms_codes_go_through_the_twilio_sender(engine: Engine) {
    let stub = SmsStub::start().await;
    let options = Options { twilio_base_url: Some(stub.base_url.clone()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let ann = Browser::new(&server);
    sign_up(&server, &ann, "ann@example.test", "Ann").await;

    let r = ann.submit("/me/2fa", "/me/2fa/sms", &[("phone", "555-1234")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("international form"));
    assert!(stub.requests.lock().unwrap().is_empty(), "nothing sent for a bad number");

    let r = ann.submit("/me/2fa", "/me/2fa/sms", &[("phone", "+1 (415) 555-0100")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("We texted a code to"), "{html}");
    let sent = stub.requests.lock().unwrap()[0].clone();
    assert_eq!(sent.account_sid, TWILIO_ACCOUNT);
    assert_eq!(basic(&sent.authorization), format!("{TWILIO_ACCOUNT}:{TWILIO_TOKEN}"));
    assert!(sent.content_type.starts_with("application/x-www-form-urlencoded"), "{}", sent.content_type);
    assert_eq!((sent.form["To"].as_str(), sent.form["From"].as_str()), ("+14155550100", "+15005550006"));
    let code = stub.last_code();
    assert!(sent.form["Body"].contains(&code));

    let r = ann.post("/me/2fa/sms/confirm", &[("csrf", &csrf_of(&html)), ("code", "999999x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = ann.post("/me/2fa/sms/confirm", &[("csrf", &csrf_of(&html)), ("code", &code)]).await;
    assert_eq!(recovery_codes(&r.text().await.unwrap()).len(), 10);

    // Sign in with a texted code.
    sign_out(&ann).await;
    assert_eq!(location(&sign_in(&ann, "ann@example.test", PASSWORD).await), "/signin/2fa");
    let r = ann.submit("/signin/2fa", "/signin/2fa", &[("method", "sms"), ("send_sms", "1")]).await;
    assert!(r.text().await.unwrap().contains("We texted a code to ••••••••••00"));
    assert_eq!(stub.requests.lock().unwrap().len(), 2);
    let r = ann.submit("/signin/2fa", "/signin/2fa", &[("method", "sms"), ("code", &stub.last_code())]).await;
    assert_eq!(location(&r), "/accounts");

    // When the Messages API refuses, the user is told and can pick another method.
    *stub.status.lock().unwrap() = 400;
    sign_out(&ann).await;
    sign_in(&ann, "ann@example.test", PASSWORD).await;
    let r = ann.submit("/signin/2fa", "/signin/2fa", &[("method", "sms"), ("send_sms", "1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("could not be sent"));
    server.running.stop().await.unwrap();
}

async fn password_reset_by_email_ends_every_session(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let ann = Browser::new(&server);
    sign_up(&server, &ann, "ann@example.test", "Ann").await;
    let laptop = Browser::new(&server);
    assert_eq!(location(&sign_in(&laptop, "ann@example.test", PASSWORD).await), "/accounts");

    // Known and unknown addresses get the same page.
    let stranger = Browser::new(&server);
    let known = stranger.submit("/password/forgot", "/password/forgot", &[("email", "ann@example.test")]).await;
    assert_eq!(known.status(), StatusCode::OK);
    let known = known.text().await.unwrap();
    let unknown = stranger.submit("/password/forgot", "/password/forgot", &[("email", "nobody@example.test")]).await;
    assert_eq!(known, unknown.text().await.unwrap());
    assert!(known.contains("If an account uses that address"));
    let link = server
        .mail()
        .wait_for("ann@example.test", "Reset your Gatehouse password")
        .await
        .link("/password/reset?token=");
    assert_eq!(server.mail().count_to("nobody@example.test"), 0);

    let form = stranger.page(&link).await;
    let token = link.split("token=").nth(1).unwrap();
    let post = |password: &'static str, again: &'static str| {
        let csrf = csrf_of(&form);
        let stranger = &stranger;
        async move {
            stranger
                .post(
                    "/password/reset",
                    &[("csrf", &csrf), ("token", token), ("password", password), ("password_again", again)],
                )
                .await
        }
    };
    let weak = post("password123", "password123").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("class=\"field-error\""));
    let differ = post("a very new passphrase", "a very new passphrase!").await;
    assert!(differ.text().await.unwrap().contains("the two passwords differ"));
    assert_eq!(
        location(&post("a very new passphrase", "a very new passphrase").await),
        "/signin?notice=password-reset"
    );
    assert!(stranger.page("/signin?notice=password-reset").await.contains("Sign in with the new password"));

    // Every session ended; the link is spent; the new password works.
    assert!(location(&ann.get("/accounts").await).starts_with("/signin"));
    assert!(location(&laptop.get("/accounts").await).starts_with("/signin"));
    let again = post("yet another passphrase", "yet another passphrase").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().await.unwrap().contains("not valid any more"));
    assert_eq!(sign_in(&ann, "ann@example.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(location(&sign_in(&ann, "ann@example.test", "a very new passphrase").await), "/accounts");
    server.running.stop().await.unwrap();
}

async fn sessions_are_listed_and_revoked(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let ann = Browser::new(&server);
    sign_up(&server, &ann, "ann@example.test", "Ann").await;
    let phone = Browser::new(&server);
    sign_in(&phone, "ann@example.test", PASSWORD).await;
    let me = ann.page("/me").await;
    assert_eq!(me.matches("name=\"session\"").count(), 2, "{me}");
    assert!(me.contains("this session") && me.contains("127.0.0.1"));

    let r = ann.submit("/me", "/me/sessions/revoke-others", &[]).await;
    assert_eq!(location(&r), "/me?notice=sessions-revoked");
    assert!(location(&phone.get("/accounts").await).starts_with("/signin"));
    assert_eq!(ann.page("/me").await.matches("name=\"session\"").count(), 1);

    // A password change needs the current one and ends the other sessions.
    sign_in(&phone, "ann@example.test", PASSWORD).await;
    let wrong = [
        ("current_password", "nope"),
        ("password", "a brand new passphrase"),
        ("password_again", "a brand new passphrase"),
    ];
    let r = ann.submit("/me", "/me/password", &wrong).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("this is not your current password"));
    let right = [
        ("current_password", PASSWORD),
        ("password", "a brand new passphrase"),
        ("password_again", "a brand new passphrase"),
    ];
    assert_eq!(location(&ann.submit("/me", "/me/password", &right).await), "/me?notice=password-changed");
    assert!(location(&phone.get("/accounts").await).starts_with("/signin"));
    assert_eq!(ann.get("/accounts").await.status(), StatusCode::OK, "this session stays");

    // Ending one's own session signs out.
    let me = ann.page("/me").await;
    let id = me.split("name=\"session\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = ann.post("/me/sessions/revoke", &[("csrf", &csrf_of(&me)), ("session", &id)]).await;
    assert_eq!(location(&r), "/signin");
    assert!(location(&ann.get("/accounts").await).starts_with("/signin"));
    server.running.stop().await.unwrap();
}

/// Signs in with a wrong password until refused; returns which attempts were "too many".
async fn locked_after(b: &Browser, email: &str) -> Vec<bool> {
    let mut locked = Vec::new();
    for _ in 0..7 {
        let r = sign_in(b, email, "wrong password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        locked.push(r.text().await.unwrap().contains("Too many attempts. Try again in"));
    }
    locked
}

async fn repeated_failures_lock_sign_in_for_known_and_unknown_emails_alike(engine: Engine) {
    // Each on its own server: attempts also count per source address, and tests share 127.0.0.1.
    let expected = [false, false, false, false, false, false, true];
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let b = Browser::new(&server);
    assert_eq!(locked_after(&b, "olivia@acme.test").await, expected);
    // Locked: even the right password waits.
    let r = sign_in(&b, "olivia@acme.test", "correct horse battery").await;
    assert!(r.text().await.unwrap().contains("Too many attempts"));
    server.running.stop().await.unwrap();

    let Some(fresh) = crate::support::server(engine).await else { return };
    set_up(&fresh, &Browser::new(&fresh)).await;
    assert_eq!(locked_after(&Browser::new(&fresh), "ghost@acme.test").await, expected, "unknown emails alike");
    fresh.running.stop().await.unwrap();
}

/// The organization SID from the Admin Center link in the navigation.
fn org_of(html: &str) -> String {
    sid_after(html, "href=\"/orgs/")
}

async fn two_factor_is_enforced_by_organization_account_and_admin(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let org = org_of(&owner.page("/accounts").await);

    // Organization: every managed user must enrol before anything else.
    let settings = format!("/orgs/{org}/settings");
    let r = owner.submit(&settings, &settings, &[("require_two_factor", "on")]).await;
    assert_eq!(location(&r), format!("{settings}?notice=settings-saved"));
    assert_eq!(location(&owner.get("/accounts").await), "/me/2fa?required=1");
    assert!(owner.page("/me/2fa?required=1").await.contains("required for your login"));
    let (secret, _) = enrol_totp(&owner).await;
    assert_eq!(owner.get("/accounts").await.status(), StatusCode::OK);
    let r = owner.submit("/me", "/me/2fa/disable", &[("method", "totp"), ("code", &totp_code(&secret, 1))]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("requires two-factor"));

    // Account: only inside that account.
    let dana = Browser::new(&server);
    sign_up(&server, &dana, "dana@contractor.test", "Dana").await;
    let users = format!("/accounts/{acct}/users");
    invite_and_accept(&server, &owner, &acct, &dana, "dana@contractor.test", &["developer"]).await;
    assert_eq!(dana.get(&format!("/accounts/{acct}")).await.status(), StatusCode::OK);
    let r = owner
        .submit(
            &format!("/accounts/{acct}"),
            &format!("/accounts/{acct}/settings"),
            &[("require_two_factor", "on"), ("require_https_webhooks", "on")],
        )
        .await;
    assert_eq!(location(&r), format!("/accounts/{acct}?notice=settings-saved"));
    assert_eq!(location(&dana.get(&format!("/accounts/{acct}")).await), "/me/2fa?required=1");
    assert_eq!(location(&dana.get(&format!("/accounts/{acct}/users")).await), "/me/2fa?required=1");
    assert_eq!(dana.get("/accounts").await.status(), StatusCode::OK, "elsewhere she goes on");
    enrol_totp(&dana).await;
    assert_eq!(dana.get(&format!("/accounts/{acct}")).await.status(), StatusCode::OK);
    // A Developer may not change the account's settings.
    let r = dana.submit("/accounts", &format!("/accounts/{acct}/settings"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        owner.page(&format!("/accounts/{acct}")).await.contains("name=\"require_two_factor\" value=\"on\" checked")
    );

    // An organization admin can require it of one managed user.
    owner.submit(&settings, &settings, &[]).await;
    let page = owner.page(&format!("/orgs/{org}/users")).await;
    let olivia = sid_after(&page[page.find("data-user=\"").unwrap()..], "data-user=\"");
    let r = owner
        .submit(
            &format!("/orgs/{org}/users"),
            &format!("/orgs/{org}/users/{olivia}/require-2fa"),
            &[("required", "on")],
        )
        .await;
    assert_eq!(location(&r), format!("/orgs/{org}/users?notice=settings-saved"));
    assert!(owner.page(&format!("/orgs/{org}/users")).await.contains("badge active\">required"));
    let r = owner.submit("/me", "/me/2fa/disable", &[("method", "totp"), ("code", &totp_code(&secret, 1))]).await;
    assert!(r.text().await.unwrap().contains("requires two-factor"));
    // Dana is not a managed user of the organization: refused.
    let dana_page = owner.page(&users).await;
    let dana_sid = sid_after(&dana_page[dana_page.find("data-member=\"dana@contractor.test\"").unwrap()..], "/users/");
    let r = owner
        .submit(
            &format!("/orgs/{org}/users"),
            &format!("/orgs/{org}/users/{dana_sid}/require-2fa"),
            &[("required", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    server.running.stop().await.unwrap();
}

async fn without_smtp_the_outbox_page_shows_each_email(engine: Engine) {
    let Some(server) = server_with(engine, Options { smtp: false, ..Options::default() }).await else { return };
    let owner = Browser::new(&server);
    set_up(&server, &owner).await;
    let org = org_of(&owner.page("/accounts").await);
    let stranger = Browser::new(&server);
    stranger.submit("/password/forgot", "/password/forgot", &[("email", "olivia@acme.test")]).await;
    let outbox = owner.page(&format!("/orgs/{org}/outbox")).await;
    assert!(outbox.contains("Reset your Gatehouse password") && outbox.contains("badge pending"), "{outbox}");
    let link =
        outbox.split("<a href=\"").find(|s| s.contains("/password/reset?token=")).unwrap().split('"').next().unwrap();
    let path = &link[link.find("/password/reset").unwrap()..];
    assert_eq!(stranger.get(path).await.status(), StatusCode::OK, "the link in the outbox works");
    // Only the organization's admins see it.
    let dana = Browser::new(&server);
    sign_up_unverified(&dana, "dana@contractor.test", "Dana").await;
    let link = owner.page(&format!("/orgs/{org}/outbox")).await;
    assert!(!link.contains("dana@contractor.test"), "an independent user's email is not the organization's");
    server.running.stop().await.unwrap();
}

async fn smtp_refusals_are_recorded_on_the_outbox_page(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    set_up(&server, &owner).await;
    let org = org_of(&owner.page("/accounts").await);
    let outbox = format!("/orgs/{org}/outbox");
    let stranger = Browser::new(&server);

    *server.mail().mode.lock().unwrap() = SinkMode::RejectPermanently;
    stranger.submit("/password/forgot", "/password/forgot", &[("email", "olivia@acme.test")]).await;
    let page = wait_for_page(&owner, &outbox, "badge failed").await;
    assert!(page.contains("550"), "{page}");
    assert!(!page.contains("/password/reset?token="), "with SMTP, bodies are not shown");

    *server.mail().mode.lock().unwrap() = SinkMode::RejectTemporarily;
    stranger.submit("/password/forgot", "/password/forgot", &[("email", "olivia@acme.test")]).await;
    let page = wait_for_page(&owner, &outbox, "451").await;
    assert!(page.contains("badge pending"), "a temporary refusal is retried later: {page}");

    *server.mail().mode.lock().unwrap() = SinkMode::Accept;
    stranger.submit("/password/forgot", "/password/forgot", &[("email", "olivia@acme.test")]).await;
    server.mail().wait_for("olivia@acme.test", "Reset your Gatehouse password").await;
    wait_for_page(&owner, &outbox, "badge sent").await;
    server.running.stop().await.unwrap();
}

/// Reloads a page until it contains `needle` (up to 15 s).
async fn wait_for_page(b: &Browser, path: &str, needle: &str) -> String {
    for _ in 0..150 {
        let html = b.page(path).await;
        if html.contains(needle) {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} never showed {needle:?}:\n{}", b.page(path).await);
}

on_both_engines!(
    email_verification_gates_the_login_until_confirmed,
    totp_sign_in_recovery_codes_and_turning_it_off,
    sms_codes_go_through_the_twilio_sender,
    password_reset_by_email_ends_every_session,
    sessions_are_listed_and_revoked,
    repeated_failures_lock_sign_in_for_known_and_unknown_emails_alike,
    two_factor_is_enforced_by_organization_account_and_admin,
    without_smtp_the_outbox_page_shows_each_email,
    smtp_refusals_are_recorded_on_the_outbox_page,
);
