//! Users: login identities. Email is normalised (trimmed, lowercased) and unique on that form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::sid::{OrganizationSid, UserSid};

/// A syntactically valid, normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims and lowercases, then checks the shape `local@domain.tld` (RFC 5321 lengths).
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let e = raw.trim().to_lowercase();
        let invalid = |reason: &str| Error::invalid("email", reason);
        if e.is_empty() {
            return Err(invalid("enter an email address"));
        }
        if e.len() > 254 {
            return Err(invalid("an email address is at most 254 characters"));
        }
        let Some((local, domain)) = e.rsplit_once('@') else {
            return Err(invalid("an email address looks like name@example.com"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.chars().any(|c| c.is_whitespace() || c == '@' || c.is_control());
        if !domain_ok || !local_ok {
            return Err(invalid("an email address looks like name@example.com"));
        }
        Ok(Email(e))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// A user's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Deactivated,
    Deleted,
}

impl UserStatus {
    /// The stored and displayed form.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
            UserStatus::Deleted => "deleted",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "active" => Ok(UserStatus::Active),
            "deactivated" => Ok(UserStatus::Deactivated),
            "deleted" => Ok(UserStatus::Deleted),
            _ => Err(Error::invalid("status", "must be active, deactivated or deleted")),
        }
    }
}

/// A person's display name: 1–100 characters after trimming.
pub fn parse_display_name(raw: &str) -> Result<String, Error> {
    parse_name("name", raw, 100)
}

/// Shared rule for human-entered names: trimmed, non-empty, bounded, no control characters.
pub fn parse_name(field: &'static str, raw: &str, max: usize) -> Result<String, Error> {
    let n = raw.trim();
    if n.is_empty() {
        return Err(Error::invalid(field, "enter a name"));
    }
    if n.chars().count() > max {
        return Err(Error::invalid(field, format!("at most {max} characters")));
    }
    if n.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(n.to_owned())
}

/// A login identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub sid: UserSid,
    pub email: Email,
    pub name: String,
    pub status: UserStatus,
    /// Set for a managed user: the organization that controls its lifecycle.
    pub organization_sid: Option<OrganizationSid>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the user proved they receive mail at `email`; unverified users can only verify.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Set by an organization admin: this user must use a second factor.
    pub require_two_factor: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// A new active user who has never signed in; managed when `organization_sid` is set.
    pub fn new(email: Email, name: String, organization_sid: Option<OrganizationSid>, now: DateTime<Utc>) -> Self {
        User {
            sid: UserSid::generate(),
            email,
            name,
            status: UserStatus::Active,
            organization_sid,
            last_login_at: None,
            email_verified_at: None,
            require_two_factor: false,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether the user has proved their email address.
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// Minimum password length (NIST SP 800-63B asks for at least 8; we ask for 10).
pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks a chosen password before it is hashed.
pub fn check_password(password: &str, email: &Email) -> Result<(), Error> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(Error::invalid("password", format!("use at least {MIN_PASSWORD_LEN} characters")));
    }
    if len > 256 {
        return Err(Error::invalid("password", "use at most 256 characters"));
    }
    let local = email.as_str().split('@').next().unwrap_or_default();
    if password.to_lowercase().contains(local) && local.len() >= 4 {
        return Err(Error::invalid("password", "must not contain your email address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_to_lowercase_without_spaces() {
        let e = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@exa mple.com",
            "ada@.example.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn short_or_email_like_passwords_are_rejected() {
        let email = Email::parse("grace@example.com").unwrap();
        assert!(check_password("short", &email).is_err());
        assert!(check_password("grace-hopper-1906", &email).is_err());
        assert!(check_password("correct horse battery", &email).is_ok());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_display_name("  Ada ").unwrap(), "Ada");
        assert!(parse_display_name("   ").is_err());
        assert!(parse_display_name(&"x".repeat(101)).is_err());
        assert!(parse_display_name("a\u{0007}b").is_err());
    }
}
