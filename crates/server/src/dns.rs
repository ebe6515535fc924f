//! The `DnsResolver` for domain verification on hickory-resolver: the system's resolvers, or
//! the one DNS server named in `[dns] resolver` (tests point it at a server they run).

use std::net::SocketAddr;

use async_trait::async_trait;
use gatehouse_app::{DnsError, DnsResolver};
use hickory_resolver::Resolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;

/// Looks TXT records up with a fresh, cache-less resolver per lookup, so a record that was just
/// published (or removed) is seen as it is now.
pub struct HickoryDns {
    server: Option<SocketAddr>,
}

impl HickoryDns {
    pub fn new(server: Option<SocketAddr>) -> Self {
        HickoryDns { server }
    }

    fn resolver(&self) -> Result<Resolver<TokioConnectionProvider>, DnsError> {
        let mut builder = match self.server {
            Some(addr) => {
                let group = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
                Resolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], group),
                    TokioConnectionProvider::default(),
                )
            }
            None => Resolver::builder_tokio().map_err(|e| DnsError::Failed(format!("system resolver: {e}")))?,
        };
        let mut opts = ResolverOpts::default();
        opts.cache_size = 0;
        opts.attempts = 2;
        opts.timeout = std::time::Duration::from_secs(3);
        *builder.options_mut() = opts;
        Ok(builder.build())
    }
}

#[async_trait]
impl DnsResolver for HickoryDns {
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let resolver = self.resolver()?;
        match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|txt| txt.txt_data().iter().map(|part| String::from_utf8_lossy(part)).collect::<String>())
                .collect()),
            Err(e) if e.is_no_records_found() => Err(DnsError::NotFound),
            Err(e) => Err(DnsError::Failed(e.to_string())),
        }
    }
}
