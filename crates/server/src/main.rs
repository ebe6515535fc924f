//! `gatehouse`: parses the command line, sets up logging and runs the command.

use clap::Parser;
use gatehouse_server::cli::{Cli, Command, run_admin};
use gatehouse_server::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only for a person at a terminal: a log file or journal gets plain text (and the
    // request span's fields are not decorated on every request for nobody to see).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    gatehouse_server::install_crypto_provider();
    let cli = Cli::parse();
    let config = cli.config()?;
    init_logging(&config);
    match &cli.command {
        Command::Serve { .. } => serve(&config).await,
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&gatehouse_http::openapi_document())?);
            Ok(())
        }
        Command::Migrate => {
            let store = gatehouse_server::open_store(&config.database_url).await?;
            println!("Migrations applied ({}).", store.engine());
            store.close().await;
            Ok(())
        }
        Command::Admin { command } => run_admin(&config, command).await,
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let running = gatehouse_server::start(config, true).await?;
    let engine = if config.database_url.starts_with("sqlite:") { "SQLite" } else { "PostgreSQL" };
    tracing::info!(addr = %running.addr, database = engine, "Gatehouse is listening");
    println!("Gatehouse is listening on http://{} ({engine}).", running.addr);
    if let Some(url) = &running.setup_url {
        tracing::info!(setup_url = %url, "first run: open the setup link to create the first Owner");
        println!();
        println!(
            "First run: nobody can sign in yet. Open this one-time link to create your organization and its Owner:"
        );
        println!();
        println!("    {url}");
        println!();
        println!("The link works once. Restarting the server before it is used prints a new one.");
    }
    running.wait().await?;
    tracing::info!("stopped");
    Ok(())
}
