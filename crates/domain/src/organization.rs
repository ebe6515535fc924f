//! Organizations: companies that own managed users and managed accounts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::OrganizationSid;
use crate::user::parse_name;

/// A company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub sid: OrganizationSid,
    pub name: String,
    /// Every managed user must use a second factor.
    pub require_two_factor: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    /// A new organization with default settings.
    pub fn new(name: String, now: DateTime<Utc>) -> Self {
        Organization {
            sid: OrganizationSid::generate(),
            name,
            require_two_factor: false,
            created_at: now,
            updated_at: now,
        }
    }
}

/// An organization's name: 1–100 characters after trimming.
pub fn parse_organization_name(raw: &str) -> Result<String, Error> {
    parse_name("organization_name", raw, 100)
}
