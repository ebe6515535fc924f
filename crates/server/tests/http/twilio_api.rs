//! The Twilio-compatible Organizations API over HTTP, as Twilio's SDK calls it: an OAuth app made
//! with `gatehouse admin create-oauth-app --json`, `POST /v2/token` (a JWT with `exp`), SCIM users
//! on `/Organizations/{OR}/scim/Users` with that bearer, `Accounts` (meta pages followed through
//! their absolute `next_page_url`), `RoleAssignments` (create, list, delete) and Twilio's error
//! shapes; on both engines.

use base64::Engine as _;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

async fn the_sdk_contract_holds(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let (first, org) = verified_organization(&server, &owner, &dns).await;
    let app = cli_json(&server, &["admin", "create-oauth-app", "--organization", &org, "--name", "sdk", "--json"]);
    let (client_id, secret) = (app["client_id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    assert!(client_id.starts_with("OQ") && client_id.len() == 34);
    let http = Client::new();
    let base = &server.base;

    // The token: form-encoded, no Authorization; a JWT whose exp is about an hour away.
    let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    let r = http.post(format!("{base}/v2/token")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(3600)));
    let token = body["access_token"].as_str().unwrap().to_owned();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    let ttl = claims["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp();
    assert!((3500..=3600).contains(&ttl), "exp is an hour away: {ttl}");
    let bad = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", "wrong")];
    let r = http.post(format!("{base}/v2/token")).form(&bad).send().await.unwrap();
    let err: Value = r.json().await.unwrap();
    assert_eq!((err["status"].as_u64(), err["code"].as_u64()), (Some(401), Some(20003)));
    assert!(err["more_info"].as_str().unwrap().contains("20003"));
    let pascal = [("GrantType", "client_credentials"), ("ClientId", client_id), ("ClientSecret", secret)];
    assert_eq!(http.post(format!("{base}/v1/token")).form(&pascal).send().await.unwrap().status(), StatusCode::OK);

    // SCIM users on Twilio's path with the bearer token.
    let orgs = format!("{base}/Organizations/{org}");
    let user = json!({
        "userName": "alex@acme.test", "externalId": "ext-9",
        "name": { "givenName": "Alex", "familyName": "Doe" },
        "emails": [{ "primary": true, "value": "alex@acme.test", "type": "work" }],
        "active": true, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    });
    let r = http
        .post(format!("{orgs}/scim/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(user.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let alex: Value = r.json().await.unwrap();
    let alex_id = alex["id"].as_str().unwrap().to_owned();
    let r = http
        .get(format!("{orgs}/scim/Users?filter=userName+eq+%22alex%40example.com%22"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let empty: Value = r.json().await.unwrap();
    assert_eq!(empty["Resources"], json!([]), "Resources is there even when empty");
    let r = http
        .get(format!("{orgs}/scim/Users/USffffffffffffffffffffffffffffffff"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Accounts: meta pages of one, followed through next_page_url until the end.
    for name in ["Second", "Third"] {
        owner
            .submit(&format!("/accounts/new?org={org}"), "/accounts", &[("name", name), ("organization_sid", &org)])
            .await;
    }
    let mut url = format!("{orgs}/Accounts?PageSize=1");
    let mut seen = Vec::new();
    while !url.is_empty() {
        let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page: Value = r.json().await.unwrap();
        assert_eq!(page["meta"]["key"], "content");
        let item = &page["content"][0];
        assert!(
            item["date_created"].as_str().unwrap().ends_with('Z') && item["date_created"].as_str().unwrap().len() == 20
        );
        seen.push(item["account_sid"].as_str().unwrap().to_owned());
        url = page["meta"]["next_page_url"].as_str().unwrap_or_default().to_owned();
        assert!(url.is_empty() || url.starts_with(base.as_str()), "absolute: {url}");
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let r = http.get(format!("{orgs}/Accounts/{first}")).bearer_auth(&token).send().await.unwrap();
    let account: Value = r.json().await.unwrap();
    assert_eq!((account["account_sid"].as_str(), account["status"].as_str()), (Some(first.as_str()), Some("active")));
    assert!(account["owner_sid"].as_str().unwrap().starts_with("US"));
    let r = http
        .get(format!("{orgs}/Accounts/ACffffffffffffffffffffffffffffffff"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let err: Value = r.json().await.unwrap();
    assert_eq!(
        (err["status"].as_u64(), err["message"].as_str()),
        (Some(404), Some("Account does not belong to Organization"))
    );

    // RoleAssignments: create, list by Identity and Scope, refuse bad roles, delete.
    let create = |role: &str| json!({ "role_sid": role, "scope": first, "identity": alex_id });
    let r = http
        .post(format!("{orgs}/RoleAssignments"))
        .bearer_auth(&token)
        .json(&create("IX00000000000000000000000000000103"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let ra: Value = r.json().await.unwrap();
    assert!(ra["sid"].as_str().unwrap().starts_with("IY"));
    let r = http
        .post(format!("{orgs}/RoleAssignments"))
        .bearer_auth(&token)
        .json(&create("IX00000000000000000000000000000999"))
        .send()
        .await
        .unwrap();
    let err: Value = r.json().await.unwrap();
    assert_eq!((err["status"].as_u64(), err["code"].as_u64()), (Some(400), Some(25202)));
    assert!(err["moreInfo"].as_str().unwrap().ends_with("25202"), "create errors say moreInfo: {err}");
    let r = http
        .get(format!("{orgs}/RoleAssignments?Identity={alex_id}&Scope={first}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["content"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["content"][0]["role_sid"], "IX00000000000000000000000000000103");
    let r = http.get(format!("{orgs}/RoleAssignments")).bearer_auth(&token).send().await.unwrap();
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["code"], 25203);
    let r = http
        .delete(format!("{orgs}/RoleAssignments/{}", ra["sid"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // Another organization's path, no token and a revoked app are refused.
    let r = http
        .get(format!("{base}/Organizations/OR0123456789abcdef0123456789abcdef/Accounts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(http.get(format!("{orgs}/Accounts")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let page = format!("/orgs/{org}/scim");
    let r = owner.submit(&page, &format!("{page}/{client_id}/revoke"), &[]).await;
    assert_eq!(location(&r), format!("{page}?notice=scim-token-revoked"));
    assert_eq!(
        http.get(format!("{orgs}/Accounts")).bearer_auth(&token).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    server.running.stop().await.unwrap();
}

/// The 2010 API and iam/v1 never cross accounts: one account's credentials on another's ids
/// answer 404, and change nothing.
async fn credentials_stay_in_their_account(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let mine = set_up(&server, &owner).await;
    let stranger = Browser::new(&server);
    sign_up(&server, &stranger, "eve@elsewhere.test", "Eve").await;
    let theirs = sid_after(&stranger.page("/accounts").await, "href=\"/accounts/AC");
    let theirs = format!("AC{}", &theirs[..32]);
    let token = cli_json(&server, &["admin", "rotate-auth-token", "--account", &mine, "--json"])["auth_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_key = cli_json(&server, &["admin", "create-api-key", "--account", &theirs, "--name", "theirs", "--json"]);
    let their_key = their_key["sid"].as_str().unwrap().to_owned();
    let http = Client::new();
    let base = format!("{}/2010-04-01", server.base);
    let get = |url: String| http.get(url).basic_auth(&mine, Some(&token)).send();
    assert_eq!(get(format!("{base}/Accounts/{mine}.json")).await.unwrap().status(), StatusCode::OK);
    for url in [
        format!("{base}/Accounts/{theirs}.json"),
        format!("{base}/Accounts/{theirs}/Keys.json"),
        format!("{base}/Accounts/{theirs}/Keys/{their_key}.json"),
        format!("{}/v1/Keys/{their_key}", server.base),
        format!("{}/v1/Keys?AccountSid={theirs}", server.base),
    ] {
        let r = get(url.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{url}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], 20404, "{url}: {body}");
    }
    let r = http
        .post(format!("{base}/Accounts/{theirs}.json"))
        .basic_auth(&mine, Some(&token))
        .form(&[("Status", "suspended")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .delete(format!("{}/v1/Keys/{their_key}", server.base))
        .basic_auth(&mine, Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(stranger.page(&format!("/accounts/{theirs}/keys")).await.contains(&their_key), "their key still works");
    assert!(stranger.page(&format!("/accounts/{theirs}")).await.contains("badge active"), "not suspended");
    // Rotating in the console shows the new token once and ends the old one.
    let overview = format!("/accounts/{mine}");
    let r = owner.submit(&overview, &format!("{overview}/auth-token"), &[]).await;
    assert_eq!(location(&r), format!("{overview}?notice=auth-token-rotated"));
    let fresh = text_of_id(&owner.page(&format!("{overview}?notice=auth-token-rotated")).await, "auth-token-value");
    assert_eq!(fresh.len(), 32);
    assert_eq!(get(format!("{base}/Accounts/{mine}.json")).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let r = http.get(format!("{base}/Accounts/{mine}.json")).basic_auth(&mine, Some(&fresh)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    server.running.stop().await.unwrap();
}

on_both_engines!(the_sdk_contract_holds, credentials_stay_in_their_account);
