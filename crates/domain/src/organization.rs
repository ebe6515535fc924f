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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An organization's name: 1–100 characters after trimming.
pub fn parse_organization_name(raw: &str) -> Result<String, Error> {
    parse_name("organization_name", raw, 100)
}
