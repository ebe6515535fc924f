//! Regression tests for the outside security review (issue 11), each at the surface where the
//! defect was found: a deep SCIM filter through every entry point (the server keeps answering),
//! the auth token against its own account, SCIM against the organization's Owner, restricted
//! keys, the sign-in throttle behind one address and behind trusted proxies, access tokens
//! beyond the issued lifetime, keys left behind by removal and SCIM deactivation, and the
//! smaller items (JSON errors on the API and Twilio paths, caching and HSTS headers, malformed
//! SIDs, one password rule).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// The account's auth token, rotated by the operator.
fn auth_token(server: &Server, account: &str) -> String {
    cli_json(server, &["admin", "rotate-auth-token", "--account", account, "--json"])["auth_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A verified organization with a SCIM token made in the Admin Center: (server, owner, first
/// account, organization, token).
async fn scim_organization(engine: Engine, dns: &DnsServer) -> Option<(Server, Browser, String, String, String)> {
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let server = server_with(engine, options).await?;
    let owner = Browser::new(&server);
    let (first, org) = verified_organization(&server, &owner, dns).await;
    let page = format!("/orgs/{org}/scim");
    owner.submit(&page, &page, &[("name", "Okta")]).await;
    let token = text_of_id(&owner.page(&format!("{page}?notice=scim-token-created")).await, "new-token-secret");
    Some((server, owner, first, org, token))
}

async fn scim(server: &Server, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Client::new().request(method, format!("{}{path}", server.base)).bearer_auth(token);
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn patch(ops: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
}

#[tokio::test]
async fn a_deeply_nested_filter_is_refused_by_every_entry_point_and_the_server_keeps_answering() {
    let dns = DnsServer::start().await;
    let Some((server, _, _, org, token)) = scim_organization(Engine::Sqlite, &dns).await else { return };
    let n = 1500;
    let deep = [
        format!("{}userName pr{}", "(".repeat(n), ")".repeat(n)),
        format!("{}userName pr{}", "not (".repeat(n), ")".repeat(n)),
        format!("{}value pr{}", "emails[".repeat(n), "]".repeat(n)),
    ];
    let enc = |s: &str| s.replace('%', "%25").replace(' ', "%20").replace('[', "%5B").replace(']', "%5D");
    for f in &deep {
        for path in [
            format!("/scim/v2/Users?filter={}", enc(f)),
            format!("/scim/v2/Groups?filter={}", enc(f)),
            format!("/Organizations/{org}/scim/Users?filter={}", enc(f)),
            format!("/scim/v2/Users?sortBy=emails%5B{}%5D", enc(f)),
        ] {
            let (status, body) = scim(&server, &token, Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{}", &path[..60]);
            assert!(matches!(body["scimType"].as_str(), Some("invalidFilter" | "invalidPath")), "{body}");
            assert!(body["detail"].as_str().unwrap().contains("limit of"), "{body}");
        }
        let search = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": f });
        let (status, body) = scim(&server, &token, Method::POST, "/scim/v2/Users/.search", Some(search)).await;
        assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));
    }
    let (_, all) = scim(&server, &token, Method::GET, "/scim/v2/Users", None).await;
    let owner_id = all["Resources"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("emails[{}]", deep[2]);
    let body = patch(json!([{ "op": "replace", "path": path, "value": "x" }]));
    let (status, body) = scim(&server, &token, Method::PATCH, &format!("/scim/v2/Users/{owner_id}"), Some(body)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidPath")), "{body}");
    let health = Client::new().get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the server is still up");
    server.running.stop().await.unwrap();
}

/// The auth token (which an Administrator can rotate) closes subaccounts, never its own account.
async fn the_auth_token_closes_subaccounts_but_not_its_own_account(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let mine = set_up(&server, &owner).await;
    let token = auth_token(&server, &mine);
    let http = Client::new();
    let base = format!("{}/2010-04-01", server.base);
    let post = |url: String, form: Vec<(&'static str, &'static str)>| {
        http.post(url).basic_auth(&mine, Some(&token)).form(&form).send()
    };
    let r = post(format!("{base}/Accounts/{mine}.json"), vec![("Status", "closed")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 20403);
    let r = http.get(format!("{base}/Accounts/{mine}.json")).basic_auth(&mine, Some(&token)).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active", "still open");
    let r = post(format!("{base}/Accounts.json"), vec![("FriendlyName", "Staging")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let sub = r.json::<Value>().await.unwrap()["sid"].as_str().unwrap().to_owned();
    let r = post(format!("{base}/Accounts/{sub}.json"), vec![("Status", "closed")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "closed");
    server.running.stop().await.unwrap();
}

/// SCIM refuses to deactivate the organization's Owner, as it refuses to delete them.
async fn scim_cannot_lock_out_the_organizations_owner(engine: Engine) {
    let dns = DnsServer::start().await;
    let Some((server, owner, _, _, token)) = scim_organization(engine, &dns).await else { return };
    let lookup = "/scim/v2/Users?filter=userName%20eq%20%22olivia%40acme.test%22";
    let (_, found) = scim(&server, &token, Method::GET, lookup, None).await;
    let user = found["Resources"][0].clone();
    let path = format!("/scim/v2/Users/{}", user["id"].as_str().unwrap());
    let off = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    let (status, body) = scim(&server, &token, Method::PATCH, &path, Some(off)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("Owner cannot be deactivated"), "{body}");
    let mut put = user.clone();
    put["active"] = json!(false);
    let (status, _) = scim(&server, &token, Method::PUT, &path, Some(put)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, after) = scim(&server, &token, Method::GET, &path, None).await;
    assert_eq!(after["active"], true);
    assert_eq!(owner.get("/accounts").await.status(), StatusCode::OK, "the Owner is still signed in");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn restricted_keys_hold_their_policy_and_bad_policies_are_refused_in_twilios_shape() {
    let Some(server) = server(Engine::Sqlite).await else { return };
    let owner = Browser::new(&server);
    let mine = set_up(&server, &owner).await;
    let token = auth_token(&server, &mine);
    let http = Client::new();
    let keys = format!("{}/v1/Keys", server.base);
    for form in [
        vec![
            ("AccountSid", mine.as_str()),
            ("KeyType", "restricted"),
            ("Policy", r#"{"allow":["/twilio/messaging/messages/read"]}"#),
        ],
        vec![("AccountSid", mine.as_str()), ("KeyType", "restricted")],
        vec![
            ("AccountSid", mine.as_str()),
            ("KeyType", "restricted"),
            ("Policy", r#"{"allow":["logs.read","users.manage"]}"#),
        ],
        vec![("AccountSid", mine.as_str()), ("KeyType", "restricted"), ("Policy", "not json")],
        vec![("AccountSid", mine.as_str()), ("Policy", r#"{"allow":["logs.read"]}"#)],
        vec![("AccountSid", mine.as_str()), ("KeyType", "secret")],
    ] {
        let r = http.post(&keys).basic_auth(&mine, Some(&token)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{form:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], 20001);
        assert!(
            body["message"].as_str().unwrap().contains("Policy")
                || body["message"].as_str().unwrap().contains("KeyType"),
            "{body}"
        );
    }
    let r = http.get(format!("{keys}?AccountSid={mine}")).basic_auth(&mine, Some(&token)).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["keys"], json!([]), "no key was made");
    // A policy of Gatehouse permissions makes a key that holds exactly them.
    let form = [
        ("AccountSid", mine.as_str()),
        ("KeyType", "restricted"),
        ("Policy", r#"{"allow":["logs.read","resources.read"]}"#),
    ];
    let r = http.post(&keys).basic_auth(&mine, Some(&token)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let key: Value = r.json().await.unwrap();
    assert_eq!(key["policy"], json!({ "allow": ["logs.read", "resources.read"] }));
    let (sid, secret) = (key["sid"].as_str().unwrap(), key["secret"].as_str().unwrap());
    let me =
        http.get(format!("{}/api/v1/accounts/{mine}", server.base)).basic_auth(sid, Some(secret)).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::FORBIDDEN, "it does not hold account.read");
    let r = http
        .post(format!("{keys}/{sid}"))
        .basic_auth(&mine, Some(&token))
        .form(&[("Policy", "{}")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a key's policy is fixed");
    server.running.stop().await.unwrap();
}

/// One person's failed sign-ins from an address do not stop another person's from it.
async fn one_persons_failures_do_not_lock_out_others_behind_the_same_address(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    set_up(&server, &Browser::new(&server)).await;
    let bob = Browser::new(&server);
    sign_up(&server, &bob, "bob@example.test", "Bob").await;
    sign_out(&bob).await;
    let olivia = Browser::new(&server);
    for _ in 0..8 {
        assert_eq!(sign_in(&olivia, "olivia@acme.test", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    }
    let r = sign_in(&olivia, "olivia@acme.test", "correct horse battery").await;
    assert!(r.text().await.unwrap().contains("Too many attempts"), "olivia herself is locked");
    let r = sign_in(&bob, "bob@example.test", "another good passphrase").await;
    assert!(r.status().is_redirection(), "bob, from the same address, signs in");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn the_client_address_comes_from_forwarded_headers_only_behind_a_trusted_proxy() {
    let mut xff = reqwest::header::HeaderMap::new();
    xff.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
    for (trusted, expected) in [(Some("127.0.0.1"), "203.0.113.9"), (None, "127.0.0.1")] {
        let options = Options { trusted_proxies: trusted.map(str::to_owned), ..Options::default() };
        let Some(server) = server_with(Engine::Sqlite, options).await else { return };
        set_up(&server, &Browser::new(&server)).await;
        let b = Browser::with_headers(&server, xff.clone());
        assert!(sign_in(&b, "olivia@acme.test", "correct horse battery").await.status().is_redirection());
        let me = b.page("/me").await;
        assert!(me.contains(&format!("<code>{expected}</code>")), "{trusted:?}: {expected}");
        server.running.stop().await.unwrap();
    }
}

fn jwt(key: &[u8], claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "HS256", "typ": "JWT" }).to_string());
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Access tokens are signed under the configured keys (newest first, older ones still
/// verify), and a token that lives longer than the server issues is refused even when signed.
#[tokio::test]
async fn access_tokens_use_the_configured_keys_and_never_live_longer_than_an_hour() {
    let (new, old) = ([0x11u8; 32], [0x22u8; 32]);
    let dns = DnsServer::start().await;
    let options = Options {
        dns_resolver: Some(dns.addr.to_string()),
        token_signing_keys: Some(format!("{},{}", hex_of(&new), hex_of(&old))),
        ..Options::default()
    };
    let Some(server) = server_with(Engine::Sqlite, options).await else { return };
    let owner = Browser::new(&server);
    let (_, org) = verified_organization(&server, &owner, &dns).await;
    let app = cli_json(&server, &["admin", "create-oauth-app", "--organization", &org, "--name", "sdk", "--json"]);
    let (client_id, secret) = (app["client_id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    let http = Client::new();
    let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    let r = http.post(format!("{}/v2/token", server.base)).form(&form).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let issued = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(issued.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(jwt(&new, &claims), issued, "signed with the newest configured key");
    let accounts = format!("{}/Organizations/{org}/Accounts", server.base);
    let status = |token: String| {
        let (http, url) = (http.clone(), accounts.clone());
        async move { http.get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    assert_eq!(status(issued).await, StatusCode::OK);
    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, exp: i64| json!({ "sub": client_id, "org": org, "iat": iat, "exp": exp, "jti": "x" });
    assert_eq!(status(jwt(&old, &claims(now, now + 3600))).await, StatusCode::OK, "the previous key verifies");
    let year = claims(now, now + 365 * 24 * 3600);
    assert_eq!(status(jwt(&new, &year)).await, StatusCode::UNAUTHORIZED, "a year-long token");
    assert_eq!(status(jwt(&new, &claims(now + 600, now + 1200))).await, StatusCode::UNAUTHORIZED, "issued later");
    let no_iat = json!({ "sub": client_id, "org": org, "exp": now + 60 });
    assert_eq!(status(jwt(&new, &no_iat)).await, StatusCode::UNAUTHORIZED, "no iat");
    assert_eq!(status(jwt(&[0x33; 32], &claims(now, now + 60))).await, StatusCode::UNAUTHORIZED, "another key");
    server.running.stop().await.unwrap();
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removing a person from an account lists the keys they created there and revokes them unless
/// kept; SCIM deactivation revokes a person's keys unless the organization keeps them.
async fn removal_and_scim_deactivation_leave_no_keys_behind(engine: Engine) {
    let dns = DnsServer::start().await;
    let Some((server, owner, first, org, token)) = scim_organization(engine, &dns).await else { return };
    // Console removal: the confirmation lists both of Dana's keys; one is kept.
    let dana = join_organization(&server, &owner, &org, "dana@acme.test", "standard_user").await;
    let lookup = "/scim/v2/Users?filter=userName%20eq%20%22dana%40acme.test%22";
    let dana_sid =
        scim(&server, &token, Method::GET, lookup, None).await.1["Resources"][0]["id"].as_str().unwrap().to_owned();
    let add = format!("/orgs/{org}/users/{dana_sid}");
    let r = owner
        .submit(
            &format!("{add}?tab=accounts"),
            &format!("{add}/add-account"),
            &[("account_sid", &first), ("roles", "developer")],
        )
        .await;
    assert!(r.status().is_redirection());
    let (ci, ci_secret) = create_key(&dana, &first, "ci").await;
    let (deploy, deploy_secret) = create_key(&dana, &first, "deploy").await;
    let users = format!("/accounts/{first}/users");
    let r = owner.submit(&users, &format!("{users}/{dana_sid}/remove"), &[]).await;
    assert_eq!(location(&r), format!("{users}/{dana_sid}/remove"), "the keys are listed first");
    let confirm = owner.page(&format!("{users}/{dana_sid}/remove")).await;
    assert!(confirm.contains(&ci) && confirm.contains(&deploy), "{confirm}");
    assert_eq!(key_status(&server, &ci, &ci_secret).await, StatusCode::OK, "nothing changed yet");
    let keep = format!("key_{deploy}");
    let r = owner
        .submit(
            &format!("{users}/{dana_sid}/remove"),
            &format!("{users}/{dana_sid}/remove"),
            &[("keys_decided", "on"), (&format!("key_{ci}"), "revoke"), (&keep, "keep")],
        )
        .await;
    assert_eq!(location(&r), format!("{users}?notice=member-removed"));
    assert_eq!(key_status(&server, &ci, &ci_secret).await, StatusCode::UNAUTHORIZED, "revoked");
    assert_eq!(key_status(&server, &deploy, &deploy_secret).await, StatusCode::OK, "kept");
    let csrf = csrf_of(&owner.page(&users).await);
    let (_, events) = api_call(&server, &owner, &csrf, "GET", &format!("/accounts/{first}/events"), None).await;
    let events = events.to_string();
    assert!(events.contains("api_key.revoked") && events.contains("member.removed"), "audited: {events}");

    // SCIM deactivation (what Okta and Entra send first) revokes Dana's key in her own account.
    let payments = create_org_account(&dana, &org, "Payments").await;
    let (pay, pay_secret) = create_key(&dana, &payments, "payments ci").await;
    let off = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
    let (status, body) = scim(&server, &token, Method::PATCH, &format!("/scim/v2/Users/{dana_sid}"), Some(off)).await;
    assert_eq!((status, body["active"].as_bool()), (StatusCode::OK, Some(false)), "{body}");
    assert_eq!(key_status(&server, &pay, &pay_secret).await, StatusCode::UNAUTHORIZED, "deactivation revoked it");
    assert_eq!(key_status(&server, &deploy, &deploy_secret).await, StatusCode::UNAUTHORIZED, "and the kept one");

    // With the organization's setting on, deactivation keeps keys.
    let settings = format!("/orgs/{org}/settings");
    owner.submit(&settings, &settings, &[("deprovision_keeps_keys", "on")]).await;
    let erin = join_organization(&server, &owner, &org, "erin@acme.test", "standard_user").await;
    let mine = create_org_account(&erin, &org, "Erin's").await;
    let (kept, kept_secret) = create_key(&erin, &mine, "kept").await;
    let (_, found) =
        scim(&server, &token, Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22erin%40acme.test%22", None).await;
    let erin_id = found["Resources"][0]["id"].as_str().unwrap().to_owned();
    let off = patch(json!([{ "op": "replace", "value": { "active": false } }]));
    let (status, _) = scim(&server, &token, Method::PATCH, &format!("/scim/v2/Users/{erin_id}"), Some(off)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(key_status(&server, &kept, &kept_secret).await, StatusCode::OK, "the organization keeps such keys");
    server.running.stop().await.unwrap();
}

#[tokio::test]
async fn small_holes_answer_in_each_surfaces_own_format() {
    let Some(server) = server(Engine::Sqlite).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    let csrf = csrf_of(&owner.page(&format!("/accounts/{acct}/users")).await);
    // An invalid page_size is the API's JSON error.
    for bad in ["abc", "0", "5000", "-1"] {
        let (status, body) =
            api_call(&server, &owner, &csrf, "GET", &format!("/accounts/{acct}/users?page_size={bad}"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("invalid"), Some("page_size")), "{body}");
    }
    // Unknown resources and oversized bodies on Twilio's paths are Twilio's JSON errors.
    let http = Client::new();
    for path in ["/2010-04-01/Nope.json", "/v1/Nothing", "/v2/Whatever/x", &format!("/Organizations/{acct}/Nope")] {
        let r = http.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], 20404, "{path}");
    }
    let big = "x".repeat(200 * 1024);
    let r = http.post(format!("{}/v2/token", server.base)).form(&[("grant_type", big.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], 413);
    // A malformed SID in a web URL is the 404 page.
    let r = owner.get("/accounts/ACnot-a-sid/users").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("<html"));
    // Pages and answers are never cached; plain http has no HSTS.
    let r = owner.get("/accounts").await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers().get("strict-transport-security").is_none());
    server.running.stop().await.unwrap();

    let options = Options { public_url: Some("https://gatehouse.example.test".into()), ..Options::default() };
    let Some(tls) = server_with(Engine::Sqlite, options).await else { return };
    let r = Client::new().get(format!("{}/healthz", tls.base)).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    tls.running.stop().await.unwrap();
}

/// Every place a password is set refuses what sign-up refuses: the company's name + year.
#[tokio::test]
async fn reset_and_setup_refuse_the_passwords_sign_up_refuses() {
    let Some(server) = server(Engine::Sqlite).await else { return };
    let setup = server.setup_url.clone().unwrap();
    let token = setup.split("token=").nth(1).unwrap().to_owned();
    let b = Browser::new(&server);
    let fields = |password: &'static str| {
        vec![
            ("token", token.clone()),
            ("organization_name", "Acme Corp".to_owned()),
            ("account_name", "Acme Production".to_owned()),
            ("name", "Olivia Owner".to_owned()),
            ("email", "olivia@acmecorp.test".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    let weak: Vec<(&str, String)> = fields("acmecorp2026");
    let weak: Vec<(&str, &str)> = weak.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.submit(&setup, "/setup", &weak).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("too weak"));
    let ok = fields("correct horse battery");
    let ok: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(b.submit(&setup, "/setup", &ok).await.status().is_redirection());
    sign_out(&b).await;
    b.submit("/password/forgot", "/password/forgot", &[("email", "olivia@acmecorp.test")]).await;
    let link = server
        .mail()
        .wait_for("olivia@acmecorp.test", "Reset your Gatehouse password")
        .await
        .link("/password/reset?token=");
    let reset_token = link.split("token=").nth(1).unwrap().to_owned();
    for weak in ["acmecorp2026", "oliviaowner2026"] {
        let r = b
            .submit(&link, "/password/reset", &[("token", &reset_token), ("password", weak), ("password_again", weak)])
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
    }
    server.running.stop().await.unwrap();
}

on_both_engines!(
    the_auth_token_closes_subaccounts_but_not_its_own_account,
    scim_cannot_lock_out_the_organizations_owner,
    one_persons_failures_do_not_lock_out_others_behind_the_same_address,
    removal_and_scim_deactivation_leave_no_keys_behind,
);
