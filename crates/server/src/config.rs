//! One typed configuration: defaults, then a TOML file, then environment variables and flags.
//! Unknown keys in the file are an error, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use gatehouse_app::{InstanceSecrets, MIN_SECRET_BYTES};
use gatehouse_http::ProxyRange;
use serde::Deserialize;

/// The default listen address: local only, so a first run exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gatehouse.db";

/// Everything the server needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// How browsers reach this server; used for printed links and `Secure` cookies.
    pub public_url: String,
    pub log_format: LogFormat,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Where emails go; without it they stay in the outbox (and the log).
    pub smtp: Option<SmtpConfig>,
    pub sms: SmsConfig,
    /// The DNS server that verifies domains (`None`: the system's resolvers).
    pub dns_resolver: Option<SocketAddr>,
    /// Proxies allowed to name the client's address in `X-Forwarded-For` / `Forwarded`.
    pub trusted_proxies: Vec<ProxyRange>,
    /// Instance secrets from key files or the environment (default: kept in the database).
    pub secrets: InstanceSecrets,
    /// Where `GET /metrics` (Prometheus) is served; `None`: nowhere. Never the public listener.
    pub metrics_listen: Option<SocketAddr>,
    /// How many machine credentials a node checks from memory, and for how long at most.
    pub credential_cache_capacity: usize,
    pub credential_cache_ttl: std::time::Duration,
    /// What public sign-up creates: an organization, a standalone account, or nothing.
    pub sign_up: gatehouse_app::SignUpMode,
}

/// `[secrets]` in the file: where the instance secrets are, instead of the database.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsFileConfig {
    /// A file of access-token signing keys, one hex key (64+ digits) per line, newest first:
    /// the first signs, every one verifies.
    pub token_signing_keys_file: Option<PathBuf>,
    /// A file holding the hex key API-key secrets are hashed under.
    pub api_key_hash_key_file: Option<PathBuf>,
}

/// Hex keys separated by newlines or commas; `#` starts a comment line.
fn parse_keys(text: &str, what: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let keys = text
        .split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let key = hex::decode(l).map_err(|_| anyhow::anyhow!("{what}: a key is not hexadecimal"))?;
            if key.len() < MIN_SECRET_BYTES {
                bail!("{what}: each key has at least {MIN_SECRET_BYTES} bytes ({} hex digits)", MIN_SECRET_BYTES * 2);
            }
            Ok(key)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("{what}: no key found");
    }
    Ok(keys)
}

fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading secret file {}", path.display()))
}

/// `[smtp]`: the server the outbox worker delivers through.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Gatehouse <no-reply@example.com>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a local relay or a test sink only).
    None,
}

/// `[sms]`: how second-factor codes are texted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(tag = "sender", rename_all = "lowercase", deny_unknown_fields)]
pub enum SmsConfig {
    /// Write messages to the log (the default).
    #[default]
    Log,
    /// Post them to a Twilio-compatible Messages API.
    Twilio(TwilioSmsConfig),
}

/// The `twilio` SMS sender's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSmsConfig {
    #[serde(default = "default_twilio_base")]
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number, E.164.
    pub from: String,
}

fn default_twilio_base() -> String {
    "https://api.twilio.com".into()
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The file form of [`Config`]; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub session: Option<SessionFileConfig>,
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsConfig>,
    pub dns: Option<DnsFileConfig>,
    /// Addresses or CIDR ranges of reverse proxies in front of the server.
    pub trusted_proxies: Option<Vec<String>>,
    pub secrets: Option<SecretsFileConfig>,
    /// `host:port` of a separate listener for `GET /metrics`.
    pub metrics_listen: Option<String>,
    pub cache: Option<CacheFileConfig>,
    /// What public sign-up creates: "organization", "account" (the default) or "closed".
    pub signup: Option<String>,
}

/// `[cache]` in the file: the in-memory credential cache.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheFileConfig {
    /// How many API keys, SCIM tokens and OAuth apps a node keeps (0: none).
    pub credential_capacity: Option<usize>,
    /// How long one is kept at most, in seconds (revocations reach every node within a second
    /// whatever this is).
    pub credential_ttl_seconds: Option<u64>,
}

/// `[dns]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsFileConfig {
    /// `ip:port` of the DNS server to ask, instead of the system's.
    pub resolver: Option<String>,
}

/// `[session]` in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFileConfig {
    pub idle_minutes: Option<i64>,
    pub absolute_hours: Option<i64>,
}

/// Values given on the command line or in the environment (they win over the file).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub log_format: Option<LogFormat>,
    /// `GATEHOUSE_TRUSTED_PROXIES`: comma-separated addresses or ranges.
    pub trusted_proxies: Option<String>,
    /// `GATEHOUSE_TOKEN_SIGNING_KEYS`: comma-separated hex keys, newest first.
    pub token_signing_keys: Option<String>,
    /// `GATEHOUSE_API_KEY_HASH_KEY`: a hex key.
    pub api_key_hash_key: Option<String>,
    /// `GATEHOUSE_METRICS_LISTEN`: `host:port` for `GET /metrics`.
    pub metrics_listen: Option<String>,
    /// `GATEHOUSE_SIGNUP`: organization, account or closed.
    pub signup: Option<String>,
}

impl Overrides {
    /// The secrets and proxies given in the environment (never as flags, which `ps` shows).
    pub fn from_environment(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        self.trusted_proxies = self.trusted_proxies.or_else(|| var("GATEHOUSE_TRUSTED_PROXIES"));
        self.token_signing_keys = var("GATEHOUSE_TOKEN_SIGNING_KEYS");
        self.api_key_hash_key = var("GATEHOUSE_API_KEY_HASH_KEY");
        self.metrics_listen = self.metrics_listen.or_else(|| var("GATEHOUSE_METRICS_LISTEN"));
        self.signup = self.signup.or_else(|| var("GATEHOUSE_SIGNUP"));
        self
    }
}

impl FileConfig {
    /// Reads a TOML file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in config file {}", path.display()))
    }
}

impl Config {
    /// Resolves the configuration: flags and environment over the file over the defaults.
    pub fn resolve(mut file: FileConfig, over: Overrides) -> anyhow::Result<Self> {
        let listen_text = over.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_text
            .parse()
            .with_context(|| format!("listen address {listen_text:?} is not host:port, e.g. 127.0.0.1:8080"))?;
        let database_url = over.database_url.or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            bail!("database URL must start with sqlite: or postgres:, got {database_url:?}");
        }
        let public_url = over
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("public URL must start with http:// or https://, got {public_url:?}");
        }
        let session = file.session.take().unwrap_or_default();
        let session_idle_minutes = session.idle_minutes.unwrap_or(8 * 60);
        let session_absolute_hours = session.absolute_hours.unwrap_or(7 * 24);
        if session_idle_minutes <= 0 || session_absolute_hours <= 0 {
            bail!("session timeouts must be positive");
        }
        let proxies: Vec<String> = match over.trusted_proxies {
            Some(list) => list.split(',').map(str::to_owned).filter(|p| !p.trim().is_empty()).collect(),
            None => file.trusted_proxies.take().unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| ProxyRange::parse(p).map_err(|e| anyhow::anyhow!("trusted_proxies: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let files = file.secrets.take().unwrap_or_default();
        let token_signing_keys = match (over.token_signing_keys, &files.token_signing_keys_file) {
            (Some(env), _) => parse_keys(&env, "GATEHOUSE_TOKEN_SIGNING_KEYS")?,
            (None, Some(path)) => parse_keys(&read_secret_file(path)?, &path.display().to_string())?,
            (None, None) => Vec::new(),
        };
        let api_key_hash_key = match (over.api_key_hash_key, &files.api_key_hash_key_file) {
            (Some(env), _) => Some(parse_keys(&env, "GATEHOUSE_API_KEY_HASH_KEY")?),
            (None, Some(path)) => Some(parse_keys(&read_secret_file(path)?, &path.display().to_string())?),
            (None, None) => None,
        };
        let api_key_hash_key = match api_key_hash_key {
            Some(mut keys) if keys.len() == 1 => keys.pop(),
            Some(_) => bail!("the API-key hash key is one key, not a list"),
            None => None,
        };
        let metrics_listen = match over.metrics_listen.or(file.metrics_listen.take()) {
            Some(text) => Some(text.parse().map_err(|_| {
                anyhow::anyhow!("metrics_listen must be host:port, e.g. \"127.0.0.1:9090\", got {text:?}")
            })?),
            None => None,
        };
        if metrics_listen == Some(listen) && listen.port() != 0 {
            bail!("metrics_listen must differ from listen: /metrics is never served on the public listener");
        }
        let cache = file.cache.take().unwrap_or_default();
        let sign_up = match over.signup.or(file.signup.take()) {
            Some(text) => gatehouse_app::SignUpMode::parse(text.trim()).ok_or_else(|| {
                anyhow::anyhow!("signup must be \"organization\", \"account\" or \"closed\", got {text:?}")
            })?,
            None => gatehouse_app::SignUpMode::default(),
        };
        Ok(Config {
            sign_up,
            credential_cache_capacity: cache.credential_capacity.unwrap_or(gatehouse_app::CREDENTIAL_CACHE_CAPACITY),
            credential_cache_ttl: cache
                .credential_ttl_seconds
                .map_or(gatehouse_app::CREDENTIAL_CACHE_TTL, std::time::Duration::from_secs),
            metrics_listen,
            trusted_proxies,
            secrets: InstanceSecrets { token_signing_keys, api_key_hash_key },
            listen,
            database_url,
            public_url,
            log_format: over.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            session_idle_minutes,
            session_absolute_hours,
            smtp: file.smtp,
            sms: file.sms.unwrap_or_default(),
            dns_resolver: match file.dns.and_then(|d| d.resolver) {
                Some(text) => Some(text.parse().map_err(|_| {
                    anyhow::anyhow!("[dns] resolver must be ip:port, e.g. \"127.0.0.1:53\", got {text:?}")
                })?),
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let c = Config::resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://gatehouse.db");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn sign_up_is_chosen_in_the_file_or_the_environment() {
        let file: FileConfig = toml::from_str("signup = \"organization\"").unwrap();
        let c = Config::resolve(file, Overrides::default()).unwrap();
        assert_eq!(c.sign_up, gatehouse_app::SignUpMode::Organization);
        let over = Overrides { signup: Some("closed".into()), ..Overrides::default() };
        assert_eq!(Config::resolve(FileConfig::default(), over).unwrap().sign_up, gatehouse_app::SignUpMode::Closed);
        let bad = Overrides { signup: Some("open".into()), ..Overrides::default() };
        assert!(Config::resolve(FileConfig::default(), bad).unwrap_err().to_string().contains("signup must be"));
        assert_eq!(
            Config::resolve(FileConfig::default(), Overrides::default()).unwrap().sign_up,
            gatehouse_app::SignUpMode::Account
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:9000\"\ndatabase_url = \"postgres://db/x\"\n[session]\nidle_minutes = 5",
        )
        .unwrap();
        let over = Overrides { listen: Some("0.0.0.0:7000".into()), ..Overrides::default() };
        let c = Config::resolve(file, over).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(c.database_url, "postgres://db/x");
        assert_eq!(c.session_idle_minutes, 5);
    }

    #[test]
    fn smtp_and_sms_sections_parse() {
        let file: FileConfig = toml::from_str(
            "[smtp]\nhost = \"mail.example.com\"\nfrom = \"Gatehouse <no-reply@example.com>\"\nusername = \"u\"\npassword = \"p\"\n\
             [sms]\nsender = \"twilio\"\naccount_sid = \"AC123\"\nauth_token = \"t\"\nfrom = \"+14155550100\"",
        )
        .unwrap();
        let c = Config::resolve(file, Overrides::default()).unwrap();
        let smtp = c.smtp.unwrap();
        assert_eq!((smtp.port, smtp.tls), (587, SmtpTls::Starttls));
        match c.sms {
            SmsConfig::Twilio(t) => assert_eq!(t.base_url, "https://api.twilio.com"),
            other => panic!("{other:?}"),
        }
        let c = Config::resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert_eq!((c.smtp, c.sms), (None, SmsConfig::Log));
    }

    #[test]
    fn the_dns_resolver_is_an_address() {
        let file: FileConfig = toml::from_str("[dns]\nresolver = \"127.0.0.1:5353\"").unwrap();
        let c = Config::resolve(file, Overrides::default()).unwrap();
        assert_eq!(c.dns_resolver, Some("127.0.0.1:5353".parse().unwrap()));
        let file: FileConfig = toml::from_str("[dns]\nresolver = \"dns.example\"").unwrap();
        let err = Config::resolve(file, Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("[dns] resolver must be ip:port"), "{err}");
        assert_eq!(Config::resolve(FileConfig::default(), Overrides::default()).unwrap().dns_resolver, None);
    }

    #[test]
    fn trusted_proxies_and_secrets_come_from_the_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("token-keys");
        std::fs::write(&keys, format!("# newest first\n{}\n{}\n", "ab".repeat(32), "cd".repeat(32))).unwrap();
        let file: FileConfig = toml::from_str(&format!(
            "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n[secrets]\ntoken_signing_keys_file = {:?}",
            keys.display().to_string()
        ))
        .unwrap();
        let c = Config::resolve(file, Overrides::default()).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.secrets.token_signing_keys, vec![vec![0xab; 32], vec![0xcd; 32]]);
        assert_eq!(c.secrets.api_key_hash_key, None);
        let over = Overrides {
            trusted_proxies: Some("192.168.0.0/16".into()),
            token_signing_keys: Some("ef".repeat(32)),
            api_key_hash_key: Some("01".repeat(40)),
            ..Overrides::default()
        };
        let c = Config::resolve(FileConfig::default(), over).unwrap();
        assert_eq!(c.trusted_proxies, vec![ProxyRange::parse("192.168.0.0/16").unwrap()]);
        assert_eq!(c.secrets.token_signing_keys, vec![vec![0xef; 32]]);
        assert_eq!(c.secrets.api_key_hash_key, Some(vec![1; 40]));
        let defaults = Config::resolve(FileConfig::default(), Overrides::default()).unwrap();
        assert!(defaults.trusted_proxies.is_empty() && defaults.secrets == InstanceSecrets::default());
        for bad in [
            Overrides { token_signing_keys: Some("abcd".into()), ..Overrides::default() },
            Overrides { token_signing_keys: Some("zz".repeat(32)), ..Overrides::default() },
            Overrides { trusted_proxies: Some("proxy.local".into()), ..Overrides::default() },
        ] {
            assert!(Config::resolve(FileConfig::default(), bad).is_err());
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<FileConfig>("listne = \"x\"").is_err());
        assert!(toml::from_str::<FileConfig>("[smtp]\nhost = \"h\"\nfrom = \"a@b.c\"\ntls = \"ssl\"").is_err());
        assert!(toml::from_str::<FileConfig>("[sms]\nsender = \"carrier-pigeon\"").is_err());
        let bad = Overrides { database_url: Some("mysql://x".into()), ..Overrides::default() };
        assert!(Config::resolve(FileConfig::default(), bad).is_err());
        let bad = Overrides { listen: Some("localhost".into()), ..Overrides::default() };
        assert!(Config::resolve(FileConfig::default(), bad).is_err());
    }
}
