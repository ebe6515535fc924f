//! The client's address, as throttles and the audit log record it: the TCP peer, unless the
//! peer is one of the operator's trusted proxies — then the nearest address in
//! `X-Forwarded-For` (or `Forwarded: for=`) that is not a trusted proxy itself. Without trusted
//! proxies the headers are ignored, since any client can send them.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// An address or a CIDR range (`10.0.0.0/8`, `::1`, `192.168.1.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyRange {
    network: IpAddr,
    prefix: u8,
}

impl ProxyRange {
    /// Parses `ip` or `ip/prefix`.
    pub fn parse(text: &str) -> Result<ProxyRange, String> {
        let bad = || format!("{text:?} is not an IP address or CIDR range (e.g. 10.0.0.0/8)");
        let (ip, prefix) = match text.trim().split_once('/') {
            Some((ip, p)) => (ip, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (text.trim(), None),
        };
        let network: IpAddr = ip.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(ProxyRange { network, prefix })
    }

    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The address found for a request, kept in its extensions.
#[derive(Debug, Clone)]
pub(crate) struct ClientAddr(pub IpAddr);

/// The addresses a request passed through, nearest last: `X-Forwarded-For`, else the `for=`
/// of `Forwarded` (RFC 7239). Unparseable entries end the list (nothing beyond is trusted).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    if !xff.is_empty() {
        return xff.iter().flat_map(|v| v.split(',')).map(|s| s.trim().parse().ok()).collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.eq_ignore_ascii_case("for").then(|| parse_forwarded_node(v))
            })
        })
        .collect()
}

/// `for=` values: `192.0.2.1`, `"[2001:db8::1]:4711"`, `"192.0.2.1:80"`.
fn parse_forwarded_node(v: &str) -> Option<IpAddr> {
    let v = v.trim().trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    v.parse().ok().or_else(|| v.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

/// The client's address given the peer and the trusted proxies.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[ProxyRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// Middleware: records the client's address for [`crate::web::client_ip`].
pub(crate) async fn record(trusted: Arc<Vec<ProxyRange>>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let addr = resolve(peer.ip(), req.headers(), &trusted);
        req.extensions_mut().insert(ClientAddr(addr));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_match_addresses_and_refuse_nonsense() {
        let r = ProxyRange::parse("10.0.0.0/8").unwrap();
        assert!(r.contains(ip("10.1.2.3")) && !r.contains(ip("11.0.0.1")));
        assert!(r.contains(ip("::ffff:10.9.9.9")));
        assert!(ProxyRange::parse("::1").unwrap().contains(ip("::1")));
        assert!(ProxyRange::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        for bad in ["", "10.0.0.0/33", "proxy.local", "10.0.0/8"] {
            assert!(ProxyRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_count_only_behind_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.7, 203.0.113.5, 10.0.0.2"));
        let trusted = [ProxyRange::parse("10.0.0.0/8").unwrap()];
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.5"), "the nearest untrusted hop");
        assert_eq!(resolve(ip("192.0.2.1"), &h, &trusted), ip("192.0.2.1"), "an untrusted peer is the client");
        assert_eq!(resolve(ip("10.0.0.1"), &h, &[]), ip("10.0.0.1"));
        let mut f = HeaderMap::new();
        f.insert("forwarded", HeaderValue::from_static("for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\""));
        assert_eq!(resolve(ip("10.0.0.1"), &f, &trusted), ip("2001:db8::1"));
        let mut junk = HeaderMap::new();
        junk.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.5, nonsense"));
        assert_eq!(resolve(ip("10.0.0.1"), &junk, &trusted), ip("10.0.0.1"), "a broken chain stops at the proxy");
    }
}
