//! The command line: `serve`, `migrate`, `admin create-owner|create-account|add-domain|
//! verify-domain|create-api-key|rotate-auth-token|create-scim-token|create-oauth-app|send-notice|
//! record-invoice`, `openapi`. Every command takes the same
//! `--config` / `--database-url` as `serve`, and operator commands act as `Actor::System`
//! through the same use cases as the web, so they are audited too.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use gatehouse_app::{NewInvoice, NewOrganization};
use gatehouse_domain::Error;
use gatehouse_domain::billing::InvoiceStatus;
use gatehouse_domain::notification::NoticeCategory;
use gatehouse_domain::policy::Actor;
use gatehouse_domain::sid::{AccountSid, OrganizationSid, UserSid};
use serde_json::json;

use crate::config::{Config, FileConfig, LogFormat, Overrides};

/// Gatehouse: self-hosted organization, account and user management.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG")]
    pub config: Option<PathBuf>,
    /// `sqlite://path` or `postgres://user@host/db` (default: sqlite://gatehouse.db).
    #[arg(long, global = true, env = "GATEHOUSE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log format.
    #[arg(long, global = true, env = "GATEHOUSE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server (applies migrations first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "GATEHOUSE_LISTEN")]
        listen: Option<String>,
        /// How browsers reach this server, e.g. https://gatehouse.example.com.
        #[arg(long, env = "GATEHOUSE_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Applies pending database migrations and exits.
    Migrate,
    /// Operator commands.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Prints the native API's OpenAPI document (the same as GET /openapi.json).
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates an organization, its Owner and a first account. Reads the password from stdin.
    CreateOwner {
        #[arg(long)]
        email: String,
        #[arg(long)]
        org_name: String,
        /// The Owner's display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// The first account's name (default: the organization name).
        #[arg(long, default_value = "")]
        account_name: String,
        /// Read the password from the first line of standard input (required: never on argv).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Print the new SIDs as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sends a notice about an account to the members whose roles its category reaches (see the
    /// account's notification preferences). The emails go through the outbox.
    SendNotice {
        #[arg(long)]
        account: String,
        /// billing, usage, security or service.
        #[arg(long)]
        category: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        body: String,
        /// Print the recipients as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Creates an organization's SCIM token (as Admin Center → Settings → SCIM does) and prints
    /// its secret once.
    CreateScimToken {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        name: String,
        /// Print the token as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Adds a domain to an organization and prints the TXT record to publish.
    AddDomain {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Looks a domain's TXT record up now (with the configured resolver) and prints its status.
    VerifyDomain {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Shows a service banner at the top of every console page until withdrawn (replacing the
    /// one shown); with --notify, also emails it as a service notice about every account to the
    /// roles each account chose.
    PostBanner {
        #[arg(long)]
        message: String,
        #[arg(long)]
        notify: bool,
    },
    /// Withdraws the service banner.
    WithdrawBanner,
    /// Lets the login with this address use the operator pages (/operator), or with --revoke
    /// stops it.
    GrantOperator {
        #[arg(long)]
        email: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Makes a managed Administrator the organization's Owner at once (the Owner becomes an
    /// Administrator): for an organization whose Owner cannot make the offer themselves.
    TransferOrganization {
        #[arg(long)]
        organization: String,
        /// The new Owner's user SID (US…), a managed Administrator of the organization.
        #[arg(long)]
        to: String,
    },
    /// Creates a managed account in an organization, owned by the organization's Owner.
    CreateAccount {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Creates an API key of an account (as the account's API keys page does) and prints its
    /// secret once.
    CreateApiKey {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// Restricts the key to these permissions, comma-separated (e.g. `access.check`).
        #[arg(long)]
        permissions: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Makes a new auth token for an account (the 2010 API's `AC…:token`) and prints it once;
    /// the previous one stops working.
    RotateAuthToken {
        #[arg(long)]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Creates an organization's OAuth app (as Admin Center → SCIM & OAuth does) and prints its
    /// client id and secret once.
    CreateOauthApp {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        name: String,
        /// Print the credentials as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Records an invoice for an account (Gatehouse charges nothing; this is how a billing
    /// run reports what it charged elsewhere).
    RecordInvoice {
        #[arg(long)]
        account: String,
        /// The billing month, YYYY-MM.
        #[arg(long)]
        period: String,
        /// The amount, e.g. 12.34.
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// open, paid or void.
        #[arg(long, default_value = "open")]
        status: String,
    },
}

impl Cli {
    /// The resolved configuration for this invocation.
    pub fn config(&self) -> anyhow::Result<Config> {
        let file = match &self.global.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let (listen, public_url) = match &self.command {
            Command::Serve { listen, public_url } => (listen.clone(), public_url.clone()),
            _ => (None, None),
        };
        Config::resolve(
            file,
            Overrides {
                listen,
                database_url: self.global.database_url.clone(),
                public_url,
                log_format: self.global.log_format,
                ..Overrides::default()
            }
            .from_environment(),
        )
    }
}

/// Runs an `admin` command.
pub async fn run_admin(config: &Config, cmd: &AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateOwner { .. } => create_owner(config, cmd).await,
        AdminCommand::RecordInvoice { account, period, amount, currency, status } => {
            let account = AccountSid::parse(account).map_err(|_| anyhow::anyhow!("--account: not an account SID"))?;
            let amount_cents =
                parse_amount(amount).ok_or_else(|| anyhow::anyhow!("--amount: a number such as 12.34"))?;
            let status = InvoiceStatus::parse(status).map_err(|_| anyhow::anyhow!("--status: open, paid or void"))?;
            let app = operator_app(config).await?;
            let input = NewInvoice { period: period.clone(), amount_cents, currency: currency.clone(), status };
            let invoice = app
                .record_invoice(&Actor::system(), &account, input)
                .await
                .map_err(|e| cli_error(e, "--account: no such account"))?;
            println!("Recorded invoice {} for {}: {}", invoice.sid, invoice.period, invoice.amount_label());
            Ok(())
        }
        AdminCommand::CreateScimToken { organization, name, json } => {
            let org = OrganizationSid::parse(organization)
                .map_err(|_| anyhow::anyhow!("--organization: not an organization SID"))?;
            let app = operator_app(config).await?;
            let created = app
                .create_scim_token(&Actor::system(), &org, name)
                .await
                .map_err(|e| cli_error(e, "--organization: no such organization"))?;
            let base = format!("{}/scim/v2", config.public_url);
            if *json {
                println!(
                    "{}",
                    json!({ "sid": created.token.sid, "name": created.token.name, "token": created.secret, "scim_base_url": base })
                );
            } else {
                println!("Created SCIM token {} ({}) for {org}", created.token.name, created.token.sid);
                println!("  Token    {}", created.secret);
                println!("  Base URL {base}");
                println!("The token is shown only now. Send it as Authorization: Bearer.");
            }
            Ok(())
        }
        AdminCommand::AddDomain { organization, name, json }
        | AdminCommand::VerifyDomain { organization, name, json } => {
            let org = OrganizationSid::parse(organization)
                .map_err(|_| anyhow::anyhow!("--organization: not an organization SID"))?;
            let app = operator_app(config).await?;
            let system = Actor::system();
            let failed = |e| cli_error(e, "--organization: no such organization, or no such domain in it");
            let domain = if matches!(cmd, AdminCommand::AddDomain { .. }) {
                app.add_domain(&system, &org, name).await.map_err(failed)?
            } else {
                let wanted = name.trim().trim_end_matches('.').to_lowercase();
                let found = app.domains(&system, &org).await.map_err(failed)?.into_iter().find(|d| d.name == wanted);
                let found = found.ok_or_else(|| anyhow::anyhow!("--name: {wanted} is not a domain of {org}"))?;
                app.verify_domain(&system, &org, &found.sid).await.map_err(failed)?
            };
            if *json {
                let out = json!({
                    "sid": domain.sid, "name": domain.name, "status": domain.status.as_str(),
                    "record_name": domain.record_name(), "record_value": domain.record_value(), "error": domain.last_error,
                });
                println!("{out}");
            } else {
                println!("{} ({}): {}", domain.name, domain.sid, domain.status.as_str());
                println!("  TXT {} = {}", domain.record_name(), domain.record_value());
                if let Some(e) = &domain.last_error {
                    println!("  {e}");
                }
            }
            Ok(())
        }
        AdminCommand::PostBanner { message, notify } => {
            let app = operator_app(config).await?;
            let banner = app.post_service_banner(&Actor::system(), message).await.map_err(|e| cli_error(e, ""))?;
            println!("Banner posted: {}", banner.message);
            if *notify {
                let sent = app.send_banner_as_notice(&Actor::system(), &banner).await?;
                println!("{sent} service notice emails queued.");
            }
            Ok(())
        }
        AdminCommand::WithdrawBanner => {
            let app = operator_app(config).await?;
            let withdrawn = app.withdraw_service_banner(&Actor::system()).await?;
            println!("{}", if withdrawn { "Banner withdrawn." } else { "No banner was shown." });
            Ok(())
        }
        AdminCommand::GrantOperator { email, revoke } => {
            let app = operator_app(config).await?;
            let user = app
                .set_operator(&Actor::system(), email, !revoke)
                .await
                .map_err(|e| cli_error(e, "--email: no login has this address"))?;
            if *revoke {
                println!("{} can no longer use the operator pages.", user.email);
            } else {
                println!("{} can use the operator pages: {}/operator", user.email, config.public_url);
            }
            Ok(())
        }
        AdminCommand::TransferOrganization { organization, to } => {
            let org = OrganizationSid::parse(organization)
                .map_err(|_| anyhow::anyhow!("--organization: not an organization SID"))?;
            let to = UserSid::parse(to).map_err(|_| anyhow::anyhow!("--to: not a user SID (US…)"))?;
            let app = operator_app(config).await?;
            app.transfer_organization(&Actor::system(), &org, &to).await.map_err(|e| {
                cli_error(e, "--organization / --to: no such organization, or no such managed user in it")
            })?;
            println!("{to} now owns {org}; the previous Owner is an Administrator.");
            Ok(())
        }
        AdminCommand::CreateAccount { organization, name, json } => {
            let org = OrganizationSid::parse(organization)
                .map_err(|_| anyhow::anyhow!("--organization: not an organization SID"))?;
            let app = operator_app(config).await?;
            let input = gatehouse_app::NewAccount { name: name.clone(), organization_sid: Some(org), parent_sid: None };
            let account = app
                .create_account(&Actor::system(), input)
                .await
                .map_err(|e| cli_error(e, "--organization: no such organization"))?;
            if *json {
                println!("{}", json!({ "account_sid": account.sid, "name": account.name }));
            } else {
                println!("Created account {} ({})", account.name, account.sid);
            }
            Ok(())
        }
        AdminCommand::CreateApiKey { account, name, permissions, json } => {
            let account = AccountSid::parse(account).map_err(|_| anyhow::anyhow!("--account: not an account SID"))?;
            let restricted = permissions
                .as_deref()
                .map(|p| gatehouse_domain::api_key::parse_key_permissions(p.split(',')))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--permissions: {e}"))?;
            let app = operator_app(config).await?;
            let created = app
                .create_restricted_api_key(&Actor::system(), &account, name, restricted)
                .await
                .map_err(|e| cli_error(e, "--account: no such account"))?;
            if *json {
                println!(
                    "{}",
                    json!({ "sid": created.key.sid, "name": created.key.name, "secret": created.secret, "account_sid": account })
                );
            } else {
                println!("Created API key {} ({}) for {account}", created.key.name, created.key.sid);
                println!("  Secret {}", created.secret);
                println!("The secret is shown only now. Use it as HTTP Basic {}:<secret>.", created.key.sid);
            }
            Ok(())
        }
        AdminCommand::RotateAuthToken { account, json } => {
            let account = AccountSid::parse(account).map_err(|_| anyhow::anyhow!("--account: not an account SID"))?;
            let app = operator_app(config).await?;
            let token = app.rotate_auth_token(&Actor::system(), &account).await.map_err(|e| match e {
                Error::NotFound => anyhow::anyhow!("--account: no such account"),
                other => anyhow::anyhow!("{other}"),
            })?;
            if *json {
                println!("{}", json!({ "account_sid": account, "auth_token": token }));
            } else {
                println!("New auth token for {account}: {token}");
                println!("It is shown only now; the previous one no longer works.");
            }
            Ok(())
        }
        AdminCommand::CreateOauthApp { organization, name, json } => {
            let org = OrganizationSid::parse(organization)
                .map_err(|_| anyhow::anyhow!("--organization: not an organization SID"))?;
            let app = operator_app(config).await?;
            let created = app
                .create_oauth_app(&Actor::system(), &org, name)
                .await
                .map_err(|e| cli_error(e, "--organization: no such organization"))?;
            let token_url = format!("{}/v2/token", config.public_url);
            if *json {
                let out = json!({ "client_id": created.app.sid, "client_secret": created.secret, "name": created.app.name, "token_url": token_url });
                println!("{out}");
            } else {
                println!("Created OAuth app {} for {org}", created.app.name);
                println!("  Client id     {}", created.app.sid);
                println!("  Client secret {}", created.secret);
                println!("  Token URL     {token_url} (grant_type=client_credentials)");
                println!("The secret is shown only now.");
            }
            Ok(())
        }
        AdminCommand::SendNotice { account, category, subject, body, json } => {
            let account = AccountSid::parse(account).map_err(|_| anyhow::anyhow!("--account: not an account SID"))?;
            let category = NoticeCategory::parse_key(category)
                .map_err(|_| anyhow::anyhow!("--category: one of billing, usage, security, service"))?;
            let app = operator_app(config).await?;
            let to = app
                .send_notice(&Actor::system(), &account, category, subject, body)
                .await
                .map_err(|e| cli_error(e, "--account: no such account"))?;
            if *json {
                println!("{}", json!({ "recipients": to }));
            } else {
                println!("Queued for {} recipient(s): {}", to.len(), to.join(", "));
            }
            Ok(())
        }
    }
}

/// Runs `admin create-owner`.
async fn create_owner(config: &Config, cmd: &AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::CreateOwner { email, org_name, name, account_name, password_stdin: _, json } = cmd else {
        bail!("not create-owner");
    };
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    let app = operator_app(config).await?;
    let input = NewOrganization {
        organization_name: org_name.clone(),
        owner_email: email.clone(),
        owner_name: name.clone().unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned()),
        password,
        account_name: account_name.clone(),
    };
    match app.create_organization(&Actor::system(), input).await {
        Ok(created) => {
            if *json {
                let out = json!({
                    "user_sid": created.user.sid,
                    "organization_sid": created.organization.sid,
                    "account_sid": created.account.sid,
                    "email": created.user.email,
                });
                println!("{out}");
            } else {
                println!("Created organization {} ({})", created.organization.name, created.organization.sid);
                println!("  Owner   {} <{}> ({})", created.user.name, created.user.email, created.user.sid);
                println!("  Account {} ({})", created.account.name, created.account.sid);
                println!("Sign in at {}/signin", config.public_url);
            }
            Ok(())
        }
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| match e {
                    Error::Invalid { field, reason } => format!("--{}: {reason}", cli_flag(field)),
                    other => other.to_string(),
                })
                .collect();
            bail!("{}", lines.join("\n"))
        }
    }
}

/// An app for an operator command: the configured store, acting as `Actor::System`.
async fn operator_app(config: &Config) -> anyhow::Result<gatehouse_app::App> {
    let store = crate::open_store(&config.database_url).await?;
    crate::build_app(store, config)
}

/// An operator command's error: field errors name their flag, NotFound says what is missing.
fn cli_error(e: Error, not_found: &str) -> anyhow::Error {
    match e {
        Error::Invalid { field, reason } => anyhow::anyhow!("--{}: {reason}", cli_flag(field)),
        Error::NotFound => anyhow::anyhow!("{not_found}"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The flag a domain field error refers to.
/// "12.34" → 1234 cents.
fn parse_amount(text: &str) -> Option<i64> {
    let (whole, cents) = text.trim().split_once('.').unwrap_or((text.trim(), "0"));
    if cents.len() > 2 || whole.is_empty() || !cents.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    let whole: i64 = whole.parse().ok()?;
    whole.checked_mul(100)?.checked_add(if whole < 0 { -cents } else { cents })
}

fn cli_flag(field: &str) -> &str {
    match field {
        "organization_name" => "org-name",
        "account_name" => "account-name",
        "password" => "password-stdin",
        "new_owner" => "to",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_are_read_in_cents() {
        assert_eq!(parse_amount("12.34"), Some(1234));
        assert_eq!(parse_amount("12.3"), Some(1230));
        assert_eq!(parse_amount("12"), Some(1200));
        assert_eq!(parse_amount("-1.50"), Some(-150));
        for bad in ["", "1.234", "abc", "1.x", ".5"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }
}
