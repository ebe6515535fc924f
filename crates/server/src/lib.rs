//! The `gatehouse` binary's library: configuration, store selection, wiring and serving.
//! `main.rs` only parses the command line; tests start the real server through [`start`].
//! `anyhow` is allowed here and nowhere else.

pub mod cli;
pub mod config;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use gatehouse_app::{App, SessionTimeouts};
use gatehouse_domain::store::Store;
use gatehouse_http::{AppState, HttpConfig};
use gatehouse_store_postgres::PgStore;
use gatehouse_store_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;

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

/// The app wired to a store with the configured session timeouts.
pub fn build_app(store: Arc<dyn Store>, config: &Config) -> App {
    App::new(store).with_session_timeouts(SessionTimeouts {
        idle: Duration::minutes(config.session_idle_minutes),
        absolute: Duration::hours(config.session_absolute_hours),
    })
}

/// A running server.
pub struct Running {
    /// Where it listens (the real port when the config asked for port 0).
    pub addr: SocketAddr,
    /// The one-time setup link, printed on first run while nobody exists.
    pub setup_url: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests and waits for the server to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.context("server task")?.context("server")
    }

    /// Waits until the server ends (after a shutdown signal).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task")?.context("server")
    }
}

/// Opens the store, prepares the first-run setup link if nobody exists, binds and serves
/// until [`Running::stop`] or, with `until_signal`, until SIGINT/SIGTERM.
pub async fn start(config: &Config, until_signal: bool) -> anyhow::Result<Running> {
    let store = open_store(&config.database_url).await?;
    let app = build_app(store, config);
    let setup_url = app
        .issue_setup_token()
        .await
        .map_err(|e| anyhow::anyhow!("preparing the setup link: {e:?}"))?
        .map(|token| format!("{}/setup?token={token}", config.public_url));
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState { app, config: HttpConfig { secure_cookies: config.public_url.starts_with("https://") } };
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
    Ok(Running { addr, setup_url, shutdown: Some(tx), task })
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
