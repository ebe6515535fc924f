//! Starting a server and a cookie-keeping client.

pub use crate::dns_server::DnsServer;
pub use crate::mail_sink::{MailSink, SinkMode};
pub use crate::sms_stub::SmsStub;

use gatehouse_server::Running;
use gatehouse_server::config::{
    Config, DnsFileConfig, FileConfig, Overrides, SmsConfig, SmtpConfig, SmtpTls, TwilioSmsConfig,
};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};

/// Which database a test server runs on.
#[derive(Clone, Copy, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A running test server.
pub struct Server {
    pub base: String,
    pub setup_url: Option<String>,
    pub running: Running,
    /// The SMTP sink the server delivers to, unless started without one.
    pub mail: Option<MailSink>,
    /// The server's database, for the CLI to work on.
    pub database_url: String,
    /// Keeps the SQLite file's directory alive.
    _dir: tempfile::TempDir,
}

/// What a test server is connected to besides its database.
pub struct Options {
    /// Deliver email to an SMTP sink run by the test (otherwise emails stay in the outbox).
    pub smtp: bool,
    /// Text codes through the `twilio` sender at this base URL (otherwise to the log).
    pub twilio_base_url: Option<String>,
    /// Verify domains against this DNS server (`ip:port`).
    pub dns_resolver: Option<String>,
    /// Proxies trusted to name the client's address (`GATEHOUSE_TRUSTED_PROXIES`).
    pub trusted_proxies: Option<String>,
    /// Access-token signing keys (`GATEHOUSE_TOKEN_SIGNING_KEYS`).
    pub token_signing_keys: Option<String>,
    /// The public URL (default: the listen address).
    pub public_url: Option<String>,
    /// Serve `/metrics` on a second listener (`metrics_listen`, port 0).
    pub metrics: bool,
    /// What public sign-up creates (`GATEHOUSE_SIGNUP`; default: accounts).
    pub signup: Option<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            smtp: true,
            twilio_base_url: None,
            dns_resolver: None,
            trusted_proxies: None,
            token_signing_keys: None,
            public_url: None,
            metrics: false,
            signup: None,
        }
    }
}

/// A fresh server on a fresh database, delivering email to a sink, or `None` when PostgreSQL
/// is not configured outside CI.
pub async fn server(engine: Engine) -> Option<Server> {
    server_with(engine, Options::default()).await
}

/// A fresh server with the given connections.
pub async fn server_with(engine: Engine, options: Options) -> Option<Server> {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match engine {
        Engine::Sqlite => format!("sqlite://{}", dir.path().join("http.db").display()),
        Engine::Postgres => {
            let base = gatehouse_store_contract::postgres_test_url()?;
            gatehouse_store::PgStore::create_test_database(&base).await.unwrap()
        }
    };
    let mail = if options.smtp { Some(MailSink::start().await) } else { None };
    let file = FileConfig {
        smtp: mail.as_ref().map(|m| SmtpConfig {
            host: "127.0.0.1".into(),
            port: m.port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Gatehouse <no-reply@gatehouse.test>".into(),
        }),
        sms: options.twilio_base_url.map(|base_url| {
            SmsConfig::Twilio(TwilioSmsConfig {
                base_url,
                account_sid: TWILIO_ACCOUNT.into(),
                auth_token: TWILIO_TOKEN.into(),
                from: "+15005550006".into(),
            })
        }),
        dns: options.dns_resolver.map(|resolver| DnsFileConfig { resolver: Some(resolver) }),
        ..FileConfig::default()
    };
    let config = Config::resolve(
        file,
        Overrides {
            listen: Some("127.0.0.1:0".into()),
            database_url: Some(database_url.clone()),
            trusted_proxies: options.trusted_proxies,
            token_signing_keys: options.token_signing_keys,
            public_url: options.public_url,
            metrics_listen: options.metrics.then(|| "127.0.0.1:0".to_owned()),
            signup: options.signup.map(str::to_owned),
            ..Overrides::default()
        },
    )
    .unwrap();
    let running = gatehouse_server::start(&config, false).await.unwrap();
    let base = format!("http://{}", running.addr);
    // The printed link uses the configured public URL; point it at the real port.
    let setup_url = running.setup_url.as_ref().map(|u| u.replace(&config.public_url, &base));
    Some(Server { base, setup_url, running, mail, database_url, _dir: dir })
}

/// A second node on the same database as `server` (its own process state: caches, listeners).
pub async fn second_node(server: &Server) -> Running {
    let config = Config::resolve(
        FileConfig::default(),
        Overrides {
            listen: Some("127.0.0.1:0".into()),
            database_url: Some(server.database_url.clone()),
            ..Overrides::default()
        },
    )
    .unwrap();
    gatehouse_server::start(&config, false).await.unwrap()
}

/// The credentials the `twilio` SMS sender of test servers uses.
pub const TWILIO_ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "test-auth-token";

impl Server {
    /// The SMTP sink (the server was started with one).
    pub fn mail(&self) -> &MailSink {
        self.mail.as_ref().expect("a server with an SMTP sink")
    }
}

/// A browser: keeps cookies, does not follow redirects (tests assert them).
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    pub fn new(server: &Server) -> Self {
        Self::with_headers(server, reqwest::header::HeaderMap::new())
    }

    /// A browser that sends `headers` with every request (e.g. a proxy's `X-Forwarded-For`).
    pub fn with_headers(server: &Server, headers: reqwest::header::HeaderMap) -> Self {
        gatehouse_server::install_crypto_provider();
        let client =
            Client::builder().cookie_store(true).redirect(Policy::none()).default_headers(headers).build().unwrap();
        Browser { client, base: server.base.clone() }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs a page that must answer 200 and returns its HTML.
    pub async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.text().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(self.url(path)).form(form).send().await.unwrap()
    }

    /// Loads `form_page`, takes its CSRF token and posts `form` to `action` with it.
    pub async fn submit(&self, form_page: &str, action: &str, form: &[(&str, &str)]) -> Response {
        let html = self.page(form_page).await;
        let csrf = csrf_of(&html);
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).unwrap_or_else(|| panic!("no csrf field in:\n{html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The `Location` of a redirect.
pub fn location(r: &Response) -> String {
    assert!(r.status().is_redirection(), "expected a redirect, got {}", r.status());
    r.headers().get("location").unwrap().to_str().unwrap().to_owned()
}

/// The SID that follows `prefix` in a path like `/accounts/AC…`.
pub fn sid_after(path: &str, prefix: &str) -> String {
    let start = path.find(prefix).unwrap() + prefix.len();
    path[start..start + 34].to_owned()
}

/// Completes first-run setup in `browser`; returns the first account's SID.
pub async fn set_up(server: &Server, browser: &Browser) -> String {
    let setup = server.setup_url.clone().expect("a setup link on first run");
    let r = browser
        .submit(
            &setup,
            "/setup",
            &[
                ("token", setup.split("token=").nth(1).unwrap()),
                ("organization_name", "Acme Corp"),
                ("account_name", "Acme Production"),
                ("name", "Olivia Owner"),
                ("email", "olivia@acme.test"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    let to = location(&r);
    assert!(to.starts_with("/accounts/AC"), "{to}");
    sid_after(&to, "/accounts/")
}

/// Signs up a new independent user in `browser` and confirms their address with the link
/// emailed to the sink.
pub async fn sign_up(server: &Server, browser: &Browser, email: &str, name: &str) {
    sign_up_unverified(browser, email, name).await;
    let link = server.mail().wait_for(email, "Confirm your email address").await.link("/verify-email?token=");
    assert_eq!(location(&browser.get(&link).await), "/accounts?notice=email-verified");
}

/// Signs up a new independent user in `browser`, leaving the address unconfirmed.
pub async fn sign_up_unverified(browser: &Browser, email: &str, name: &str) {
    let r = browser
        .submit(
            "/signup",
            "/signup",
            &[("name", name), ("email", email), ("password", "another good passphrase"), ("account_name", "Personal")],
        )
        .await;
    assert!(location(&r).starts_with("/accounts/AC"));
}

/// Runs each named `async fn(Engine)` as a test on SQLite and on PostgreSQL.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { super::$name(crate::support::Engine::Sqlite).await })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() { super::$name(crate::support::Engine::Postgres).await })*
        }
    };
}
pub(crate) use on_both_engines;

/// Signs in through the form; the response is the redirect (or the page with an error).
pub async fn sign_in(browser: &Browser, email: &str, password: &str) -> Response {
    browser.submit("/signin", "/signin", &[("email", email), ("password", password)]).await
}

/// Signs out the browser's session.
pub async fn sign_out(browser: &Browser) {
    let page = browser.get("/signin/2fa").await;
    let html = if page.status() == StatusCode::OK { page.text().await.unwrap() } else { browser.page("/me").await };
    let r = browser.post("/signout", &[("csrf", &csrf_of(&html))]).await;
    assert_eq!(location(&r), "/signin");
}

/// The current code of a base32 TOTP secret, `steps` periods of 30 s from now.
pub fn totp_code(secret: &str, steps: i64) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name("test")
        .build()
        .unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    totp.generate(now.checked_add_signed(steps * 30).unwrap()).to_string()
}

/// The text of the element with `id="…"` (up to its first `<`).
pub fn text_of_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id} in:\n{html}")) + marker.len();
    html[start..].split('<').next().unwrap().trim().to_owned()
}

/// The recovery codes listed on the page that shows them once.
pub fn recovery_codes(html: &str) -> Vec<String> {
    html.split("<li><code>").skip(1).map(|s| s.split('<').next().unwrap().to_owned()).collect()
}

/// Invites `email` to `account` from `admin`'s browser with `roles`; returns the link (a path)
/// from the invitation email the sink received.
pub async fn invite(server: &Server, admin: &Browser, account: &str, email: &str, roles: &[&str]) -> String {
    let users = format!("/accounts/{account}/users");
    let mut form = vec![("email", email)];
    form.extend(roles.iter().map(|r| ("roles", *r)));
    let r = admin.submit(&users, &format!("/accounts/{account}/invitations"), &form).await;
    assert_eq!(location(&r), format!("/accounts/{account}/invitations?notice=invitation-sent"));
    server.mail().wait_for(email, "You are invited to").await.link("/invitations/accept?token=")
}

/// Invites the user signed in as `email` in `member` and accepts there.
pub async fn invite_and_accept(
    server: &Server,
    admin: &Browser,
    account: &str,
    member: &Browser,
    email: &str,
    roles: &[&str],
) {
    let link = invite(server, admin, account, email, roles).await;
    let r = member.submit(&link, "/invitations/accept", &[("token", link.split("token=").nth(1).unwrap())]).await;
    assert_eq!(location(&r), format!("/accounts/{account}?notice=invitation-accepted"));
}

/// The text of the first element with `class="…"` (up to its first `<`).
pub fn text_of_class(html: &str, class: &str) -> String {
    let marker = format!("class=\"{class}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no .{class} in:\n{html}")) + marker.len();
    html[start..].split('<').next().unwrap().trim().to_owned()
}

/// Sets up the first organization (Acme Corp, Owner olivia@acme.test) and verifies its domain
/// acme.test against the test's DNS server; returns the first account's and the
/// organization's SIDs.
pub async fn verified_organization(server: &Server, owner: &Browser, dns: &DnsServer) -> (String, String) {
    let acct = set_up(server, owner).await;
    let org = sid_after(&owner.page("/accounts").await, "href=\"/orgs/");
    verify_acme(owner, &org, dns).await;
    (acct, org)
}

/// Adds acme.test to the organization from `owner`'s browser, publishes its record on the test's
/// DNS server and verifies it.
pub async fn verify_acme(owner: &Browser, org: &str, dns: &DnsServer) {
    let domains = format!("/orgs/{org}/domains");
    owner.submit(&domains, &domains, &[("name", "acme.test")]).await;
    let page = owner.page(&domains).await;
    dns.set("_gatehouse-challenge.acme.test", &[&text_of_class(&page, "record-value")]);
    let dn = sid_after(&page, &format!("/orgs/{org}/domains/"));
    let r = owner.submit(&domains, &format!("{domains}/{dn}/verify"), &[]).await;
    assert_eq!(location(&r), format!("{domains}?notice=domain-verified"));
}

/// Invites a new person at a verified domain into the organization with `role`
/// (`administrator` or `standard_user`); they accept and set a password. Returns their browser,
/// signed in.
pub async fn join_organization(server: &Server, admin: &Browser, org: &str, email: &str, role: &str) -> Browser {
    let users = format!("/orgs/{org}/users");
    let r = admin.submit(&users, &format!("/orgs/{org}/invitations"), &[("email", email), ("role", role)]).await;
    assert_eq!(location(&r), format!("/orgs/{org}/invitations?notice=invitation-sent"));
    let link = server.mail().wait_for(email, "on Gatehouse").await.link("/org-invitations/accept?token=");
    let person = Browser::new(server);
    let token = link.split("token=").nth(1).unwrap();
    let name = email.split('@').next().unwrap();
    let r = person
        .submit(&link, "/org-invitations/accept/new", &[("token", token), ("name", name), ("password", PASSWORD)])
        .await;
    assert_eq!(location(&r), "/accounts?notice=organization-joined");
    person
}

/// The password `join_organization` gives people.
pub const PASSWORD: &str = "another good passphrase";

/// Calls `/api/v1{path}` with `browser`'s session (and its CSRF token); returns the status and
/// the JSON answer (`null` when there is none).
pub async fn api_call(
    server: &Server,
    browser: &Browser,
    csrf: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let url = format!("{}/api/v1{path}", server.base);
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut request = browser.client.request(method, url).header("x-csrf-token", csrf);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Creates an API key in `account` from `browser`; returns (SID, secret).
pub async fn create_key(browser: &Browser, account: &str, name: &str) -> (String, String) {
    let keys = format!("/accounts/{account}/keys");
    let r = browser.submit(&keys, &keys, &[("name", name)]).await;
    assert_eq!(location(&r), format!("{keys}?notice=key-created"));
    let html = browser.page(&format!("{keys}?notice=key-created")).await;
    (text_of_id(&html, "new-key-sid"), text_of_id(&html, "new-key-secret"))
}

/// The status `GET /api/v1/me` answers with an API key: 200 while it works, 401 once revoked.
pub async fn key_status(server: &Server, sid: &str, secret: &str) -> StatusCode {
    key_status_at(&server.base, sid, secret).await
}

/// [`key_status`] against the server at `base` (another node).
pub async fn key_status_at(base: &str, sid: &str, secret: &str) -> StatusCode {
    reqwest::Client::new().get(format!("{base}/api/v1/me")).basic_auth(sid, Some(secret)).send().await.unwrap().status()
}

/// Creates an account in the organization from `browser`; returns its SID.
pub async fn create_org_account(browser: &Browser, org: &str, name: &str) -> String {
    let r = browser
        .submit(&format!("/accounts/new?org={org}"), "/accounts", &[("name", name), ("organization_sid", org)])
        .await;
    sid_after(&location(&r), "/accounts/")
}

/// Runs the real CLI on the server's database; returns what it printed and how it ended.
pub fn cli_output(server: &Server, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("GATEHOUSE_DATABASE_URL", &server.database_url)
        .env_remove("GATEHOUSE_CONFIG")
        .output()
        .unwrap()
}

/// Runs the real CLI on the server's database; returns its standard output, or panics.
pub fn cli(server: &Server, args: &[&str]) -> String {
    let out = cli_output(server, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the real CLI on the server's database and parses its `--json` answer.
pub fn cli_json(server: &Server, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&cli(server, args)).unwrap()
}

/// A fresh server whose first organization (Acme Corp; its Owner olivia@acme.test, signed in in
/// the browser returned) has verified acme.test against the DNS server returned, which must stay
/// alive: (server, DNS server, the Owner's browser, first account, organization).
pub async fn acme(engine: Engine) -> Option<(Server, DnsServer, Browser, String, String)> {
    let dns = DnsServer::start().await;
    let options = Options { dns_resolver: Some(dns.addr.to_string()), ..Options::default() };
    let server = server_with(engine, options).await?;
    let owner = Browser::new(&server);
    let (account, org) = verified_organization(&server, &owner, &dns).await;
    Some((server, dns, owner, account, org))
}

/// The SID of the user listed with `email` on the organization's Users page.
pub async fn org_user_sid(admin: &Browser, org: &str, email: &str) -> String {
    let users = admin.page(&format!("/orgs/{org}/users?q={email}")).await;
    let at = users.find(email).unwrap_or_else(|| panic!("{email} is not listed"));
    sid_after(&users[at.saturating_sub(400)..], &format!("/orgs/{org}/users/"))
}
