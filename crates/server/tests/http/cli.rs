//! The CLI as an operator runs it: `migrate`, `admin create-owner`, then signing in.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::support::*;

fn gatehouse(args: &[&str], db: &str, stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("GATEHOUSE_DATABASE_URL", db)
        .env_remove("GATEHOUSE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn create_owner_prints_sids_as_json_and_the_owner_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let out = gatehouse(&["migrate"], &db, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Migrations applied (sqlite)"));

    let args =
        ["admin", "create-owner", "--email", "ops@acme.test", "--org-name", "Acme", "--password-stdin", "--json"];
    let out = gatehouse(&args, &db, "short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-stdin: use at least 10 characters"));

    let out = gatehouse(&args, &db, "a long enough secret\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (key, prefix) in [("user_sid", "US"), ("organization_sid", "OR"), ("account_sid", "AC")] {
        assert!(created[key].as_str().unwrap().starts_with(prefix), "{created}");
    }
    let again = gatehouse(&args, &db, "a long enough secret\n");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // The server started on that database prints no setup link, and the owner signs in.
    let config = gatehouse_server::config::Config::resolve(
        gatehouse_server::config::FileConfig::default(),
        gatehouse_server::config::Overrides {
            listen: Some("127.0.0.1:0".into()),
            database_url: Some(db.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let running = gatehouse_server::start(&config, false).await.unwrap();
    assert!(running.setup_url.is_none(), "no setup link once an owner exists");
    gatehouse_server::install_crypto_provider();
    let b = Browser {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: format!("http://{}", running.addr),
    };
    let r = b.submit("/signin", "/signin", &[("email", "ops@acme.test"), ("password", "a long enough secret")]).await;
    assert_eq!(location(&r), "/accounts");
    let page = b.page("/accounts").await;
    assert!(page.contains(created["account_sid"].as_str().unwrap()));
    let audit = b.page(&format!("/accounts/{}", created["account_sid"].as_str().unwrap())).await;
    assert!(audit.contains("<code>system</code>"), "the CLI acts as system, and is audited");
    assert_eq!(b.get("/").await.status(), StatusCode::SEE_OTHER);
    running.stop().await.unwrap();
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gatehouse.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:0\"\ndatabse_url = \"sqlite://x.db\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["--config", path.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("databse_url"), "{err}");
}

async fn notices_from_the_cli_reach_exactly_the_chosen_roles(engine: Engine) {
    let Some(server) = server(engine).await else { return };
    let owner = Browser::new(&server);
    let acct = set_up(&server, &owner).await;
    for (email, name, role) in [("bill@example.test", "Bill", "billing_manager"), ("vic@example.test", "Vic", "viewer")]
    {
        let b = Browser::new(&server);
        sign_up(&server, &b, email, name).await;
        invite_and_accept(&server, &owner, &acct, &b, email, &[role]).await;
    }
    // Billing notices go to the Owner and the Billing Manager by default; add Viewers to service ones.
    let prefs = format!("/accounts/{acct}/notifications");
    let page = owner.page(&prefs).await;
    assert!(page.contains("Service notices") && page.contains("campaign-vetting delays"));
    let mut form = vec![("billing", "owner"), ("billing", "billing_manager"), ("service", "viewer")];
    form.extend([("security", "owner"), ("usage", "owner")]);
    let r = owner.submit(&prefs, &prefs, &form).await;
    assert_eq!(location(&r), format!("{prefs}?notice=settings-saved"));

    let args = [
        "admin",
        "send-notice",
        "--account",
        &acct,
        "--category",
        "service",
        "--subject",
        "Campaign vetting delayed",
        "--body",
        "Expect three more days.",
        "--json",
    ];
    let out = gatehouse(&args, &server.database_url, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sent["recipients"], serde_json::json!(["vic@example.test"]));
    let mail = server.mail().wait_for("vic@example.test", "Campaign vetting delayed").await;
    assert!(mail.body.contains("Expect three more days.") && mail.body.contains("You receive these as Viewer"));
    assert_eq!(server.mail().count_to("bill@example.test"), 2, "sign-up and invitation only");

    let bad = gatehouse(
        &["admin", "send-notice", "--account", &acct, "--category", "spam", "--subject", "x", "--body", "y"],
        &server.database_url,
        "",
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--category: one of billing, usage, security, service"));
    // A Viewer sees the choices but cannot change them.
    let vic = Browser::new(&server);
    sign_in(&vic, "vic@example.test", "another good passphrase").await;
    assert!(vic.page(&prefs).await.contains("Only Owners and Administrators change these."));
    let r = vic.submit(&prefs, &prefs, &[("billing", "viewer")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.running.stop().await.unwrap();
}

on_both_engines!(notices_from_the_cli_reach_exactly_the_chosen_roles);
