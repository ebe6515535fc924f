//! The `gatehouse` binary's library: configuration, store selection, wiring and serving.
//! `main.rs` only parses the command line; tests start the real server through [`start`].
//! `anyhow` is allowed here and nowhere else.

pub mod cli;
pub mod config;
pub mod dns;
pub mod sms;
pub mod smtp;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use gatehouse_app::{App, SessionTimeouts};
use gatehouse_domain::store::Store;
use gatehouse_http::{AppState, HttpConfig};
use gatehouse_store::PgStore;
use gatehouse_store::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;
use config::SmsConfig;

/// Installs the process-wide TLS provider (ring) that every rustls client here uses: SMTP,
/// the SMS API, PostgreSQL. Idempotent; call it before building any client.
pub fn install_crypto_provider() {
    // An Err means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Opens the store named by the URL (`sqlite:` or `postgres:`) and applies pending migrations.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url).await.map_err(|e| anyhow::anyhow!("opening {url}: {e:?}"))?;
        store.migrate().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = PgStore::connect(url).await.map_err(|e| anyhow::anyhow!("connecting to PostgreSQL: {e:?}"))?;
        store.migrate().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(Arc::new(store))
    } else {
        anyhow::bail!("database URL must start with sqlite: or postgres:")
    }
}

/// The app wired to a store with the configured timeouts, public URL and SMS sender.
pub fn build_app(store: Arc<dyn Store>, config: &Config) -> anyhow::Result<App> {
    let sms: Arc<dyn gatehouse_app::SmsSender> = match &config.sms {
        SmsConfig::Log => Arc::new(gatehouse_app::LogSms),
        SmsConfig::Twilio(t) => Arc::new(sms::TwilioSms::new(t)?),
    };
    App::new(store)
        .with_session_timeouts(SessionTimeouts {
            idle: Duration::minutes(config.session_idle_minutes),
            absolute: Duration::hours(config.session_absolute_hours),
        })
        .with_public_url(&config.public_url)
        .with_email_logging(config.smtp.is_none())
        .with_sms(sms)
        .with_dns(Arc::new(dns::HickoryDns::new(config.dns_resolver)))
        .with_credential_cache(config.credential_cache_capacity, config.credential_cache_ttl)
        .with_sign_up(config.sign_up)
        .with_instance_secrets(config.secrets.clone())
        .map_err(|e| anyhow::anyhow!("instance secrets: {e}"))
}

/// Checks verified domains' TXT records again every few minutes (each domain at most every
/// few hours, see `RECHECK_EVERY_HOURS`), on every node.
fn spawn_domain_rechecker(app: App) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = app.recheck_domains().await {
                tracing::error!(error = ?e, "domain re-check");
            }
            tokio::time::sleep(std::time::Duration::from_secs(300)).await;
        }
    })
}

/// Polls the shared credential-change version twice a second, so a revocation on another node
/// empties this node's credential cache within a second, and writes the credentials' noted
/// uses (`last_used_at`, sessions' `last_seen_at`) once a second, off the request path.
fn spawn_credential_poller(app: App) -> JoinHandle<()> {
    tokio::spawn(async move {
        for tick in 0u64.. {
            if let Err(e) = app.store().poll_credential_changes().await {
                tracing::warn!(error = ?e, "credential change poll");
            }
            if tick % 2 == 1
                && let Err(e) = app.record_credential_uses().await
            {
                tracing::warn!(error = ?e, "recording credential uses");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    })
}

/// The store's upkeep (on SQLite, the write-ahead log's checkpoint) ten times a second, so the
/// log never grows far under a burst of writes, and the planner's statistics at start-up and
/// then every hour; in a task of its own, so a long checkpoint never delays the credential poll.
fn spawn_store_upkeep(app: App) -> JoinHandle<()> {
    const TICK: std::time::Duration = std::time::Duration::from_millis(100);
    const STATISTICS_EVERY: u64 = 36_000; // ticks: an hour
    tokio::spawn(async move {
        for tick in 0u64.. {
            if tick % STATISTICS_EVERY == 0
                && let Err(e) = app.store().refresh_statistics().await
            {
                tracing::warn!(error = ?e, "refreshing the planner's statistics");
            }
            if let Err(e) = app.store().maintain().await {
                tracing::warn!(error = ?e, "store upkeep");
            }
            tokio::time::sleep(TICK).await;
        }
    })
}

/// Delivers the outbox through `mailer` until the task is aborted: whenever an email is queued,
/// and every few seconds for retries and for emails queued by other nodes.
fn spawn_email_worker(app: App, mailer: Arc<dyn gatehouse_app::Mailer>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let signal = app.outbox_signal();
        loop {
            // Registered before delivering, so an email queued meanwhile is not missed.
            let woken = signal.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match app.deliver_due_emails(mailer.as_ref(), 20).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "email worker"),
            }
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), woken).await;
        }
    })
}

/// A running server.
pub struct Running {
    /// Where `/metrics` is served, when `metrics_listen` is set (the real port).
    pub metrics_addr: Option<SocketAddr>,
    /// Where it listens (the real port when the config asked for port 0).
    pub addr: SocketAddr,
    /// The one-time setup link, printed on first run while nobody exists.
    pub setup_url: Option<String>,
    /// The application the server runs (embedders and tests act through it too).
    pub app: App,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    worker: Option<JoinHandle<()>>,
    rechecker: JoinHandle<()>,
    poller: JoinHandle<()>,
    upkeep: JoinHandle<()>,
    access: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests and waits for the server to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits until the server ends (after a shutdown signal), then stops the email worker.
    /// An email being sent at that moment stays leased and is retried after the lease.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let result = (&mut self.task).await.context("server task")?.context("server");
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
        self.rechecker.abort();
        self.poller.abort();
        self.upkeep.abort();
        self.access.abort();
        if let Err(e) = self.app.record_credential_uses().await {
            tracing::warn!(error = ?e, "recording credential uses at shutdown");
        }
        self.app.store().close().await;
        result
    }
}

/// Opens the store, prepares the first-run setup link if nobody exists, binds and serves
/// until [`Running::stop`] or, with `until_signal`, until SIGINT/SIGTERM.
pub async fn start(config: &Config, until_signal: bool) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // A public URL derived from the listen address names the port really bound (port 0 asks
    // the OS for one), so that absolute links (SCIM locations, paging) reach this server.
    let bound;
    let config = if config.public_url == format!("http://{}", config.listen) {
        bound = Config { public_url: format!("http://{addr}"), ..config.clone() };
        &bound
    } else {
        config
    };
    let store = open_store(&config.database_url).await?;
    // The shared credential version as of now, before anything is cached: later polls move the
    // epoch only for changes made after this.
    store.poll_credential_changes().await.map_err(|e| anyhow::anyhow!("reading credential changes: {e:?}"))?;
    let app = build_app(store, config)?;
    // The permission-check index, loaded before the first request (ADR 0025).
    let started = std::time::Instant::now();
    let index = app.load_access_index().await.map_err(|e| anyhow::anyhow!("loading the permission index: {e:?}"))?;
    tracing::info!(
        users = index.users,
        accounts = index.accounts,
        assignments = index.assignments,
        bytes = index.bytes,
        millis = started.elapsed().as_millis() as u64,
        "permission index loaded"
    );
    let worker = match &config.smtp {
        Some(smtp) => Some(spawn_email_worker(app.clone(), Arc::new(smtp::SmtpMailer::new(smtp)?))),
        None => {
            tracing::info!("no [smtp] configured: emails stay in the outbox and are printed to the log");
            None
        }
    };
    let setup_url = app
        .issue_setup_token()
        .await
        .map_err(|e| anyhow::anyhow!("preparing the setup link: {e:?}"))?
        .map(|token| format!("{}/setup?token={token}", config.public_url));
    let app_handle = app.clone();
    let http = HttpConfig {
        secure_cookies: config.public_url.starts_with("https://"),
        trusted_proxies: config.trusted_proxies.clone(),
    };
    let metrics = Arc::new(gatehouse_http::Metrics::default());
    let metrics_addr = match config.metrics_listen {
        Some(at) => Some(serve_metrics(at, gatehouse_http::metrics_router(app.clone(), metrics.clone())).await?),
        None => None,
    };
    let state = AppState { app, config: http, metrics };
    let router = gatehouse_http::router(state);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                if until_signal {
                    tokio::select! {
                        _ = rx => {}
                        _ = shutdown_signal() => {}
                    }
                } else {
                    let _ = rx.await;
                }
                tracing::info!("shutting down: finishing requests in flight");
            })
            .await
    });
    let rechecker = spawn_domain_rechecker(app_handle.clone());
    let poller = spawn_credential_poller(app_handle.clone());
    let upkeep = spawn_store_upkeep(app_handle.clone());
    let follower = app_handle.clone();
    let access = tokio::spawn(async move { follower.follow_access_changes().await });
    Ok(Running {
        addr,
        metrics_addr,
        setup_url,
        app: app_handle,
        shutdown: Some(tx),
        task,
        worker,
        rechecker,
        poller,
        upkeep,
        access,
    })
}

/// Serves `GET /metrics` on its own listener for as long as the process runs (it holds no
/// state a shutdown must finish); returns the address really bound.
async fn serve_metrics(at: SocketAddr, router: axum::Router) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(at).await.with_context(|| format!("metrics_listen on {at}"))?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    tracing::info!(%addr, "serving /metrics");
    Ok(addr)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
