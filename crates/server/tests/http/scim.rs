//! SCIM 2.0 over HTTP with the request shapes Okta and Microsoft Entra ID send: look-ups by
//! `userName eq`, create, the `active` toggles (PATCH without and with a path, "False" as a
//! string), filtered paths, PUT with ETags, paging, sorting, projection, `/.search`, errors
//! (auth, filters, unknown attributes, oversized bodies, 405s) and deprovisioning through
//! offboarding; the token made in the Admin Center, on both engines.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

struct Idp {
    client: Client,
    base: String,
    token: String,
}

impl Idp {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.header("content-type", "application/scim+json").body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let (status, headers) = (r.status(), r.headers().clone());
        (status, headers, r.json().await.unwrap_or(Value::Null))
    }
}

fn patch(ops: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
}

fn okta_user(email: &str, given: &str, family: &str, external: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": email, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": external,
        "groups": [],
        "active": true,
    })
}

/// An identity provider holding a token made in the Admin Center of `org`.
async fn idp_for(server: &Server, owner: &Browser, org: &str) -> Idp {
    let page = format!("/orgs/{org}/scim");
    owner.submit(&page, &page, &[("name", "IdP")]).await;
    let token = text_of_id(&owner.page(&format!("{page}?notice=scim-token-created")).await, "new-token-secret");
    Idp { client: Client::new(), base: format!("{}/scim/v2", server.base), token }
}

/// Attributes beyond the login (title, locale, timezone, phone numbers, addresses, the
/// enterprise extension) are kept as sent and shown back, changed by PUT and PATCH, and refused
/// in filters; a password is refused; Entra ID's UPN-versus-mail mismatch says what to remap.
async fn profile_attributes_are_kept_and_shown_back(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let (_, org) = verified_organization(&server, &owner, &dns).await;
    let idp = idp_for(&server, &owner, &org).await;
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    let mut sent = okta_user("lee@acme.test", "Lee", "Park", "entra-lee");
    sent["title"] = json!("Support engineer");
    sent["timezone"] = json!("Europe/Paris");
    sent["phoneNumbers"] = json!([{ "value": "+33 1 23 45 67 89", "type": "work" }]);
    sent["addresses"] = json!([{ "locality": "Paris", "country": "FR", "type": "work" }]);
    sent[enterprise] = json!({ "department": "Support", "manager": { "value": "US1" } });
    let (status, _, lee) = idp.call(Method::POST, "/Users", Some(sent.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{lee}");
    let id = lee["id"].as_str().unwrap().to_owned();
    let (_, _, fetched) = idp.call(Method::GET, &format!("/Users/{id}"), None).await;
    for key in ["locale", "title", "timezone", "phoneNumbers", "addresses", enterprise] {
        assert_eq!(fetched[key], sent[key], "{key} is shown back: {fetched}");
    }
    assert_eq!(fetched["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User", enterprise]));

    // Entra ID's PATCH shapes: the extension by its URI path, a filtered phone number, a removal.
    let ops = json!([
        { "op": "Add", "path": format!("{enterprise}:department"), "value": "Customer care" },
        { "op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+33 9 99 99 99 99" },
        { "op": "Remove", "path": "title" },
    ]);
    let (status, _, body) = idp.call(Method::PATCH, &format!("/Users/{id}"), Some(patch(ops))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[enterprise]["department"], "Customer care");
    assert_eq!(body["phoneNumbers"][0]["value"], "+33 9 99 99 99 99");
    assert!(body.get("title").is_none(), "removed: {body}");
    // A PUT replaces them all: what it leaves out is gone.
    let (_, _, body) = idp
        .call(Method::PUT, &format!("/Users/{id}"), Some(okta_user("lee@acme.test", "Lee", "Park", "entra-lee")))
        .await;
    assert_eq!((body["locale"].as_str(), body.get("timezone"), body.get(enterprise)), (Some("en-US"), None, None));

    // Refusals, each changing nothing.
    for (filter, what) in [("title%20eq%20%22x%22", "title"), ("phoneNumbers%20pr", "phoneNumbers")] {
        let (status, _, body) = idp.call(Method::GET, &format!("/Users?filter={filter}"), None).await;
        assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")), "{what}");
    }
    let mut with_password = okta_user("pat@acme.test", "Pat", "Lee", "entra-pat");
    with_password["password"] = json!("hunter2hunter2");
    let (status, _, body) = idp.call(Method::POST, "/Users", Some(with_password)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    let mut bad_phone = okta_user("pat@acme.test", "Pat", "Lee", "entra-pat");
    bad_phone["phoneNumbers"] = json!("+1 555");
    let (status, _, _) = idp.call(Method::POST, "/Users", Some(bad_phone)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Entra ID's default mapping: userName = the UPN, the work email = the mail attribute.
    let mut entra = okta_user("p.lee@acme.test", "Pat", "Lee", "entra-pat");
    entra["emails"] = json!([{ "value": "pat@acme.test", "type": "work", "primary": true }]);
    let (status, _, body) = idp.call(Method::POST, "/Users", Some(entra)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("In Entra ID, map userName to mail") && detail.contains("pat@acme.test"), "{detail}");
    let (_, _, all) = idp.call(Method::GET, "/Users", None).await;
    assert_eq!(all["totalResults"], 2, "the Owner and Lee: {all}");

    // Discovery describes what is kept: the extension, and userName as mutable on /scim/v2.
    let (_, _, schemas) = idp.call(Method::GET, "/Schemas", None).await;
    let ids: Vec<&str> = schemas["Resources"].as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
    assert!(ids.contains(&enterprise), "{ids:?}");
    let user_name = &schemas["Resources"][0]["attributes"][0];
    assert_eq!((user_name["name"].as_str(), user_name["mutability"].as_str()), (Some("userName"), Some("readWrite")));
    let (_, _, user_type) = idp.call(Method::GET, "/ResourceTypes/User", None).await;
    assert_eq!(user_type["schemaExtensions"][0]["schema"], enterprise);
}

async fn identity_providers_provision_users(engine: Engine) {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let Some(server) = server_with(engine, options).await else { return };
    let owner = Browser::new(&server);
    let (_, org) = verified_organization(&server, &owner, &dns).await;

    // The token comes from the Admin Center and is shown once.
    let page = format!("/orgs/{org}/scim");
    let r = owner.submit(&page, &page, &[("name", "Okta")]).await;
    assert_eq!(location(&r), format!("{page}?notice=scim-token-created"));
    let html = owner.page(&format!("{page}?notice=scim-token-created")).await;
    let token = text_of_id(&html, "new-token-secret");
    assert!(!owner.page(&format!("{page}?notice=scim-token-created")).await.contains(&token), "shown once");
    let idp = Idp { client: Client::new(), base: format!("{}/scim/v2", server.base), token };

    // Authentication and discovery.
    let anonymous = Client::new().get(format!("{}/Users", idp.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["content-type"], "application/scim+json");
    let wrong = Idp {
        token: "scim_nope".into(),
        ..Idp { client: Client::new(), base: idp.base.clone(), token: String::new() }
    };
    let (status, _, body) = wrong.call(Method::GET, "/Users", None).await;
    assert_eq!(
        (status, body["schemas"][0].as_str()),
        (StatusCode::UNAUTHORIZED, Some("urn:ietf:params:scim:api:messages:2.0:Error"))
    );
    let (status, _, config) = idp.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (config["patch"]["supported"].as_bool(), config["bulk"]["supported"].as_bool()),
        (Some(true), Some(false))
    );
    let (status, _, body) = idp.call(Method::POST, "/ServiceProviderConfig", Some(json!({}))).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("405")));
    let (_, _, schemas) = idp.call(Method::GET, "/Schemas", None).await;
    assert_eq!(schemas["Resources"][0]["id"], "urn:ietf:params:scim:schemas:core:2.0:User");
    let (_, _, types) = idp.call(Method::GET, "/ResourceTypes", None).await;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");

    // Okta: look up by userName (none), create, look up again.
    let lookup = "/Users?filter=userName%20eq%20%22jane%40acme.test%22&startIndex=1&count=100";
    let (status, _, empty) = idp.call(Method::GET, lookup, None).await;
    assert_eq!(
        (status, empty["totalResults"].as_u64(), empty["Resources"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0), Some(0))
    );
    let (status, headers, jane) =
        idp.call(Method::POST, "/Users", Some(okta_user("jane@acme.test", "Jane", "Doe", "okta-1"))).await;
    assert_eq!(status, StatusCode::CREATED, "{jane}");
    let id = jane["id"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"].to_str().unwrap(), format!("{}/Users/{id}", idp.base));
    assert_eq!(
        (jane["userName"].as_str(), jane["name"]["familyName"].as_str(), jane["active"].as_bool()),
        (Some("jane@acme.test"), Some("Doe"), Some(true))
    );
    let (_, _, found) = idp.call(Method::GET, lookup, None).await;
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    // Duplicates, foreign domains, unknown attributes and oversized bodies change nothing.
    let (status, _, body) =
        idp.call(Method::POST, "/Users", Some(okta_user("JANE@acme.test", "J", "D", "okta-9"))).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")));
    let (status, _, body) =
        idp.call(Method::POST, "/Users", Some(okta_user("max@acme.test", "Max", "M", "okta-1"))).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "externalId is unique");
    let (status, _, body) =
        idp.call(Method::POST, "/Users", Some(okta_user("eve@elsewhere.test", "Eve", "E", "okta-2"))).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    let mut odd = okta_user("odd@acme.test", "O", "D", "okta-3");
    odd["favouriteColour"] = json!("blue");
    let (status, _, body) = idp.call(Method::POST, "/Users", Some(odd)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidSyntax")));
    assert!(body["detail"].as_str().unwrap().contains("favouriteColour"));
    let mut huge = okta_user("big@acme.test", "B", "G", "okta-4");
    huge["displayName"] = json!("x".repeat(70 * 1024));
    let (status, _, body) = idp.call(Method::POST, "/Users", Some(huge)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("413")));
    let (status, _, body) = idp.call(Method::GET, "/Users?filter=userName%20xx%20%22a%22", None).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));
    let (_, _, all) = idp.call(Method::GET, "/Users", None).await;
    assert_eq!(all["totalResults"], 2, "the Owner and Jane: {all}");

    // A managed user who signed up with a password (via an invitation), signed in.
    let dana = join_organization(&server, &owner, &org, "dana@acme.test", "standard_user").await;
    let payments = {
        let r = dana
            .submit(
                &format!("/accounts/new?org={org}"),
                "/accounts",
                &[("name", "Payments"), ("organization_sid", &org)],
            )
            .await;
        sid_after(&location(&r), "/accounts/")
    };
    // Dana's key survives her deprovisioning: the organization chose to keep such keys.
    let keys = format!("/accounts/{payments}/keys");
    dana.submit(&keys, &keys, &[("name", "dana's ci")]).await;
    let created = dana.page(&format!("{keys}?notice=key-created")).await;
    let (key_sid, key_secret) = (text_of_id(&created, "new-key-sid"), text_of_id(&created, "new-key-secret"));
    let settings = format!("/orgs/{org}/settings");
    let r = owner.submit(&settings, &settings, &[("deprovision_keeps_keys", "on")]).await;
    assert_eq!(location(&r), format!("{settings}?notice=settings-saved"));
    let key_works = || async {
        Client::new()
            .get(format!("{}/api/v1/me", server.base))
            .basic_auth(&key_sid, Some(&key_secret))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(key_works().await, StatusCode::OK);
    let (_, _, found) = idp
        .call(Method::GET, "/Users?filter=emails%5Btype%20eq%20%22work%22%20and%20value%20sw%20%22dana%22%5D", None)
        .await;
    let dana_id = found["Resources"][0]["id"].as_str().unwrap().to_owned();

    // Okta deactivates without a path; the user's sessions end.
    let (status, _, body) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{dana_id}"),
            Some(patch(json!([{ "op": "replace", "value": { "active": false } }]))),
        )
        .await;
    assert_eq!((status, body["active"].as_bool()), (StatusCode::OK, Some(false)), "{body}");
    assert!(location(&dana.get("/accounts").await).starts_with("/signin"));
    assert_eq!(sign_in(&Browser::new(&server), "dana@acme.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    // Entra ID reactivates with a path and the string "True", and renames with sub-paths.
    let ops = json!([
        { "op": "Replace", "path": "active", "value": "True" },
        { "op": "Replace", "path": "name.familyName", "value": "Scully" },
        { "op": "Add", "path": "externalId", "value": "entra-7" },
        { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "dana@acme.test" },
        { "op": "Replace", "path": "displayName", "value": "Dana Scully" },
    ]);
    let (status, _, body) = idp.call(Method::PATCH, &format!("/Users/{dana_id}"), Some(patch(ops))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["active"].as_bool(), body["displayName"].as_str(), body["externalId"].as_str()),
        (Some(true), Some("Dana Scully"), Some("entra-7"))
    );
    assert_eq!(location(&sign_in(&Browser::new(&server), "dana@acme.test", PASSWORD).await), "/accounts");
    let (status, _, body) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{dana_id}"),
            Some(patch(json!([{ "op": "replace", "path": "id", "value": "US1" }]))),
        )
        .await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("mutability")));
    let (status, _, body) = idp
        .call(
            Method::PATCH,
            &format!("/Users/{dana_id}"),
            Some(patch(json!([{ "op": "replace", "path": "userName", "value": "other@acme.test" }]))),
        )
        .await;
    // userName is mutable on /scim/v2 (RFC 7643): the user's address changes, in a verified
    // domain; the primary email follows it.
    assert_eq!((status, body["userName"].as_str()), (StatusCode::OK, Some("other@acme.test")), "{body}");
    assert_eq!(body["emails"][0]["value"], "other@acme.test");
    let rename = |to: &str| patch(json!([{ "op": "replace", "path": "userName", "value": to }]));
    let (status, _, body) =
        idp.call(Method::PATCH, &format!("/Users/{dana_id}"), Some(rename("dana@elsewhere.test"))).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{body}");
    let twilio_path = Idp {
        client: Client::new(),
        base: idp.base.replace("/scim/v2", &format!("/Organizations/{org}/scim")),
        token: idp.token.clone(),
    };
    let (status, _, body) =
        twilio_path.call(Method::PATCH, &format!("/Users/{dana_id}"), Some(rename("dana@acme.test"))).await;
    assert_eq!(
        (status, body["scimType"].as_str(), body["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some("mutability"), Some(25012)),
        "Twilio's path keeps Twilio's rule: {body}"
    );
    let (status, _, body) = idp.call(Method::PATCH, &format!("/Users/{dana_id}"), Some(rename("dana@acme.test"))).await;
    assert_eq!((status, body["userName"].as_str()), (StatusCode::OK, Some("dana@acme.test")), "{body}");
    // Every operation takes effect or is refused: never a 200 that changed nothing.
    let before = idp.call(Method::GET, &format!("/Users/{dana_id}"), None).await.2;
    for (op, expected) in [
        (json!({ "op": "remove", "path": "displayName" }), "mutability"),
        (json!({ "op": "remove", "path": "active" }), "mutability"),
        (json!({ "op": "remove", "path": "emails" }), "mutability"),
        (
            json!({ "op": "add", "path": "emails", "value": [{ "value": "dana.home@acme.test", "type": "home" }] }),
            "invalidValue",
        ),
    ] {
        let (status, _, body) =
            idp.call(Method::PATCH, &format!("/Users/{dana_id}"), Some(patch(json!([op.clone()])))).await;
        assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some(expected)), "{op}: {body}");
    }
    assert_eq!(idp.call(Method::GET, &format!("/Users/{dana_id}"), None).await.2, before, "refusals change nothing");

    // PUT with ETags: a stale version is refused, the current one accepted.
    let (_, headers, current) = idp.call(Method::GET, &format!("/Users/{dana_id}"), None).await;
    let version = current["meta"]["version"].as_str().unwrap().to_owned();
    assert_eq!(headers["etag"].to_str().unwrap(), version);
    let mut replacement = okta_user("dana@acme.test", "Dana", "Scully", "entra-7");
    replacement["displayName"] = json!("Agent Scully");
    let stale = idp
        .client
        .put(format!("{}/Users/{dana_id}", idp.base))
        .bearer_auth(&idp.token)
        .header("if-match", "W/\"1\"")
        .header("content-type", "application/scim+json")
        .body(replacement.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let fresh = idp
        .client
        .put(format!("{}/Users/{dana_id}", idp.base))
        .bearer_auth(&idp.token)
        .header("if-match", &version)
        .header("content-type", "application/scim+json")
        .body(replacement.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    let body: Value = fresh.json().await.unwrap();
    assert_eq!(body["displayName"], "Agent Scully");
    assert_ne!(body["meta"]["version"].as_str().unwrap(), version, "the version moved");

    // Lists: sorting, paging, projection, /.search.
    let (_, _, token_page) = idp.call(Method::GET, "/Users?sortBy=userName&PageSize=1&PageToken=3", None).await;
    assert_eq!(token_page["startIndex"], 3, "Twilio's PageToken is a start index here: {token_page}");
    let (_, _, sorted) =
        idp.call(Method::GET, "/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=1", None).await;
    assert_eq!(
        (sorted["totalResults"].as_u64(), sorted["itemsPerPage"].as_u64(), sorted["startIndex"].as_u64()),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(sorted["Resources"][0]["userName"], "jane@acme.test", "olivia, jane, dana descending: the second");
    let (_, _, projected) =
        idp.call(Method::GET, "/Users?attributes=userName&filter=userName%20eq%20%22jane%40acme.test%22", None).await;
    let keys: Vec<&String> = projected["Resources"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "id, schemas, userName: {keys:?}");
    let (_, _, without) = idp.call(Method::GET, "/Users?excludedAttributes=emails,meta&count=1", None).await;
    assert!(without["Resources"][0].get("emails").is_none() && without["Resources"][0].get("id").is_some());
    let search = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "externalId eq \"okta-1\"", "count": 10 });
    let (status, _, found) = idp.call(Method::POST, "/Users/.search", Some(search)).await;
    assert_eq!((status, found["Resources"][0]["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    let (status, _, _) = idp.call(Method::GET, "/Users?filter=externalId%20eq%20%22OKTA-1%22", None).await;
    assert_eq!(status, StatusCode::OK);

    // Twilio's path is the same engine; another organization's path is not found.
    let (status, _, body) = idp.call(Method::GET, "/Users", None).await;
    let twilio = Idp {
        client: Client::new(),
        base: format!("{}/Organizations/{org}/scim", server.base),
        token: idp.token.clone(),
    };
    let (t_status, _, t_body) = twilio.call(Method::GET, "/Users", None).await;
    assert_eq!(
        (status, t_status, body["totalResults"].clone()),
        (StatusCode::OK, StatusCode::OK, t_body["totalResults"].clone())
    );
    let twilio_location = t_body["Resources"][0]["meta"]["location"].as_str().unwrap();
    assert!(
        twilio_location.starts_with(&format!("{}/Organizations/{org}/scim/Users/US", server.base)),
        "{twilio_location}"
    );
    let elsewhere = Idp {
        client: Client::new(),
        base: format!("{}/Organizations/OR0123456789abcdef0123456789abcdef/scim", server.base),
        token: idp.token.clone(),
    };
    assert_eq!(elsewhere.call(Method::GET, "/Users", None).await.0, StatusCode::NOT_FOUND);
    // Errors are RFC 7644 Error resources; Twilio's path adds Twilio's code and link.
    let (status, _, scim_err) = idp.call(Method::GET, "/Users/US0123456789abcdef0123456789abcdef", None).await;
    let (t_status, _, twilio_err) = twilio.call(Method::GET, "/Users/US0123456789abcdef0123456789abcdef", None).await;
    assert_eq!((status, t_status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    let mut members: Vec<_> = scim_err.as_object().unwrap().keys().cloned().collect();
    members.sort();
    assert_eq!(members, ["detail", "schemas", "status"], "only the Error schema's members on /scim/v2: {scim_err}");
    assert_eq!((twilio_err["code"].as_u64(), twilio_err["status"].as_str()), (Some(20404), Some("404")));
    assert!(twilio_err["moreInfo"].as_str().unwrap().ends_with("/20404"), "{twilio_err}");
    let (status, _, body) = idp.call(Method::GET, "/Nowhere", None).await;
    assert_eq!((status, body.get("code")), (StatusCode::NOT_FOUND, None));
    // attributes / excludedAttributes hold on a resource's own answers too (RFC 7644 §3.9).
    let (status, headers, one) = idp.call(Method::GET, &format!("/Users/{id}?attributes=userName"), None).await;
    let mut keys: Vec<_> = one.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!((status, keys), (StatusCode::OK, vec!["id".to_string(), "schemas".into(), "userName".into()]));
    assert!(headers.contains_key("etag"), "the version is sent even when meta is not shown");
    let (status, _, created) = idp
        .call(
            Method::POST,
            "/Users?excludedAttributes=emails,name",
            Some(okta_user("pat@acme.test", "Pat", "P", "okta-pat")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("emails").is_none() && created.get("name").is_none() && created["userName"] == "pat@acme.test");
    let pat = created["id"].as_str().unwrap().to_owned();
    assert_eq!(idp.call(Method::DELETE, &format!("/Users/{pat}"), None).await.0, StatusCode::NO_CONTENT);
    // A search across every resource type is refused as not implemented, in SCIM's shape.
    let search = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"] });
    let (status, _, body) = idp.call(Method::POST, "/.search", Some(search)).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::NOT_IMPLEMENTED, Some("501")), "{body}");
    // The Group schema says members are users, and a member of another type is refused.
    let (_, _, schema) = idp.call(Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", None).await;
    let member_attributes = schema["attributes"][2]["subAttributes"].as_array().unwrap();
    let by_name = |n: &str| member_attributes.iter().find(|a| a["name"] == n).unwrap().clone();
    assert_eq!(
        (by_name("$ref")["referenceTypes"].clone(), by_name("type")["canonicalValues"].clone()),
        (json!(["User"]), json!(["User"]))
    );
    let nested = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Nested",
        "members": [{ "value": id, "type": "Group" }],
    });
    let (status, _, body) = idp.call(Method::POST, "/Groups", Some(nested)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{body}");

    // Groups: Okta creates one, adds Jane and renames it (repeating the id); Entra ID adds and
    // removes Dana by value; Okta removes Jane with a filtered path.
    let group = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "members": [] });
    let (status, headers, eng) = idp.call(Method::POST, "/Groups", Some(group)).await;
    assert_eq!(status, StatusCode::CREATED, "{eng}");
    let gid = eng["id"].as_str().unwrap().to_owned();
    assert!(headers["location"].to_str().unwrap().ends_with(&format!("/Groups/{gid}")));
    let g = format!("/Groups/{gid}");
    let members = |body: &Value| body["members"].as_array().map(Vec::len);
    let add_jane =
        patch(json!([{ "op": "add", "path": "members", "value": [{ "value": id, "display": "jane@acme.test" }] }]));
    // A PATCH answers 204 without the resource (whose members may be many) unless asked for it.
    let (status, headers, _) = idp.call(Method::PATCH, &g, Some(add_jane)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, fetched_headers, body) = idp.call(Method::GET, &g, None).await;
    assert_eq!(members(&body), Some(1), "{body}");
    assert_eq!(headers["etag"], fetched_headers["etag"], "the 204 carries the new version");
    let (_, _, lean) = idp.call(Method::GET, &format!("{g}?excludedAttributes=members"), None).await;
    assert!(lean.get("members").is_none() && lean["displayName"] == "Engineering", "{lean}");
    let rename = patch(json!([{ "op": "replace", "value": { "id": gid, "displayName": "Platform" } }]));
    let (status, _, body) = idp.call(Method::PATCH, &format!("{g}?attributes=displayName,members"), Some(rename)).await;
    assert_eq!(
        (status, body["displayName"].as_str(), members(&body)),
        (StatusCode::OK, Some("Platform"), Some(1)),
        "{body}"
    );
    let add_dana = patch(json!([{ "op": "Add", "path": "members", "value": [{ "value": dana_id }] }]));
    assert_eq!(idp.call(Method::PATCH, &g, Some(add_dana)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(members(&idp.call(Method::GET, &g, None).await.2), Some(2));
    let remove_dana = patch(json!([{ "op": "Remove", "path": "members", "value": [{ "value": dana_id }] }]));
    assert_eq!(idp.call(Method::PATCH, &g, Some(remove_dana)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(members(&idp.call(Method::GET, &g, None).await.2), Some(1));
    let remove_jane = patch(json!([{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }]));
    assert_eq!(idp.call(Method::PATCH, &g, Some(remove_jane)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(idp.call(Method::GET, &g, None).await.2["members"], json!([]));
    let required = patch(json!([{ "op": "remove", "path": "displayName" }]));
    let (status, _, body) = idp.call(Method::PATCH, &g, Some(required)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("mutability")));
    let unknown = patch(json!([{ "op": "replace", "path": "description", "value": "x" }]));
    let (status, _, body) = idp.call(Method::PATCH, &g, Some(unknown)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("noTarget")));
    let stranger = patch(
        json!([{ "op": "add", "path": "members", "value": [{ "value": "US0123456789abcdef0123456789abcdef" }] }]),
    );
    let (status, _, body) = idp.call(Method::PATCH, &g, Some(stranger)).await;
    assert_eq!((status, body["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    idp.call(
        Method::PATCH,
        &g,
        Some(patch(json!([{ "op": "add", "path": "members", "value": [{ "value": dana_id }] }]))),
    )
    .await;
    let (_, _, found) = idp.call(Method::GET, "/Groups?filter=displayName%20eq%20%22platform%22", None).await;
    assert_eq!(found["totalResults"], 1);
    let (_, _, types) = idp.call(Method::GET, "/ResourceTypes/Group", None).await;
    assert_eq!(types["endpoint"], "/Groups");
    let other = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Temp" });
    let (_, _, temp) = idp.call(Method::POST, "/Groups", Some(other)).await;
    let (status, _, _) = idp.call(Method::DELETE, &format!("/Groups/{}", temp["id"].as_str().unwrap()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Deprovisioning: offboarding hands Dana's account to the Owner and erases her.
    let (status, _, _) = idp.call(Method::DELETE, &format!("/Users/{dana_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(idp.call(Method::GET, &format!("/Users/{dana_id}"), None).await.0, StatusCode::NOT_FOUND);
    assert!(owner.page(&format!("/accounts/{payments}")).await.contains("Olivia Owner"));
    assert_eq!(key_works().await, StatusCode::OK, "kept, as the organization chose");
    assert!(owner.page(&format!("/orgs/{org}/offboarding")).await.contains(&dana_id));
    let (_, _, body) = idp.call(Method::GET, &g, None).await;
    assert_eq!(body["members"], json!([]), "a deprovisioned user leaves their groups");

    // A revoked token stops working at once.
    let html = owner.page(&page).await;
    let st = sid_after(&html, "data-token=\"");
    let r = owner.submit(&page, &format!("{page}/{st}/revoke"), &[]).await;
    assert_eq!(location(&r), format!("{page}?notice=scim-token-revoked"));
    assert_eq!(idp.call(Method::GET, "/Users", None).await.0, StatusCode::UNAUTHORIZED);
    server.running.stop().await.unwrap();
}

on_both_engines!(identity_providers_provision_users, profile_attributes_are_kept_and_shown_back);
