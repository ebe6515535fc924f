//! An organization's domains: proven by a DNS TXT record, so that users with addresses there
//! can become its managed users. A domain verified by one organization cannot be another's.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{DomainSid, OrganizationSid};

/// Where a domain's proof stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainStatus {
    /// Added; the record was not checked yet.
    Pending,
    Verified,
    /// The last check did not find the record (see `last_error`).
    Failed,
}

impl DomainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Pending => "pending",
            DomainStatus::Verified => "verified",
            DomainStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "pending" => Ok(DomainStatus::Pending),
            "verified" => Ok(DomainStatus::Verified),
            "failed" => Ok(DomainStatus::Failed),
            _ => Err(Error::invalid("status", "must be pending, verified or failed")),
        }
    }
}

/// A domain an organization claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Domain {
    pub sid: DomainSid,
    pub organization_sid: OrganizationSid,
    /// Lowercase, without a trailing dot.
    pub name: String,
    /// The random value the TXT record must carry.
    pub token: String,
    pub status: DomainStatus,
    pub verified_at: Option<DateTime<Utc>>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the last check failed, in words.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Domain {
    /// The name of the TXT record to publish.
    pub fn record_name(&self) -> String {
        format!("_gatehouse-challenge.{}", self.name)
    }

    /// The value of the TXT record to publish.
    pub fn record_value(&self) -> String {
        format!("gatehouse-verification={}", self.token)
    }

    /// Whether the TXT strings found prove the domain.
    pub fn proven_by(&self, txt: &[String]) -> bool {
        let want = self.record_value();
        txt.iter().any(|t| t.trim() == want)
    }
}

/// Checks a domain name: lowercase labels of letters, digits and hyphens, at least two labels,
/// not an IP address.
pub fn parse_domain_name(raw: &str) -> Result<String, Error> {
    let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let bad = || Error::invalid("name", "enter a domain name such as example.com");
    if name.is_empty() || name.len() > 253 {
        return Err(bad());
    }
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let tld_ok = labels.last().is_some_and(|t| !t.bytes().all(|b| b.is_ascii_digit()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(bad());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_normalised_and_checked() {
        assert_eq!(parse_domain_name(" Acme.COM. ").unwrap(), "acme.com");
        assert_eq!(parse_domain_name("mail.acme-corp.co.uk").unwrap(), "mail.acme-corp.co.uk");
        for bad in
            ["", "localhost", "acme..com", "-acme.com", "acme-.com", "10.0.0.1", "ac me.com", "acme.com/x", "acmé.com"]
        {
            assert!(parse_domain_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_record_proves_the_domain_only_with_its_token() {
        let d = Domain {
            sid: DomainSid::generate(),
            organization_sid: OrganizationSid::generate(),
            name: "acme.com".into(),
            token: "abc123".into(),
            status: DomainStatus::Pending,
            verified_at: None,
            checked_at: None,
            last_error: None,
            created_at: Utc::now(),
        };
        assert_eq!(d.record_name(), "_gatehouse-challenge.acme.com");
        assert!(d.proven_by(&["v=spf1 -all".into(), "gatehouse-verification=abc123".into()]));
        assert!(!d.proven_by(&["gatehouse-verification=abc124".into()]));
        assert!(!d.proven_by(&[]));
    }
}
