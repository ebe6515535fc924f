//! Starting a server and a cookie-keeping client.

use gatehouse_server::Running;
use gatehouse_server::config::{Config, FileConfig, Overrides};
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
    /// Keeps the SQLite file's directory alive.
    _dir: tempfile::TempDir,
}

/// A fresh server on a fresh database, or `None` when PostgreSQL is not configured outside CI.
pub async fn server(engine: Engine) -> Option<Server> {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match engine {
        Engine::Sqlite => format!("sqlite://{}", dir.path().join("http.db").display()),
        Engine::Postgres => {
            let base = gatehouse_store_contract::postgres_test_url()?;
            gatehouse_store_postgres::PgStore::create_test_database(&base).await.unwrap()
        }
    };
    let config = Config::resolve(
        FileConfig::default(),
        Overrides { listen: Some("127.0.0.1:0".into()), database_url: Some(database_url), ..Overrides::default() },
    )
    .unwrap();
    let running = gatehouse_server::start(&config, false).await.unwrap();
    let base = format!("http://{}", running.addr);
    // The printed link uses the configured public URL; point it at the real port.
    let setup_url = running.setup_url.as_ref().map(|u| u.replace(&config.public_url, &base));
    Some(Server { base, setup_url, running, _dir: dir })
}

/// A browser: keeps cookies, does not follow redirects (tests assert them).
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    pub fn new(server: &Server) -> Self {
        let client = Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap();
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

/// Signs up a new independent user in `browser`.
pub async fn sign_up(browser: &Browser, email: &str, name: &str) {
    let r = browser
        .submit(
            "/signup",
            "/signup",
            &[("name", name), ("email", email), ("password", "another good passphrase"), ("account_name", "Personal")],
        )
        .await;
    assert!(location(&r).starts_with("/accounts/AC"));
}
