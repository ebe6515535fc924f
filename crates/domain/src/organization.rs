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
    /// How long invitations to the organization's accounts work, in days.
    pub invitation_lifetime_days: i32,
    /// When its identity provider deletes a user (SCIM), keep the API keys they created
    /// instead of revoking them.
    pub deprovision_keeps_keys: bool,
    /// Anyone who signs up, or creates a login by accepting an invitation, with an address in one
    /// of its verified domains becomes a managed Standard User of it.
    pub auto_join: bool,
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
            invitation_lifetime_days: DEFAULT_INVITATION_LIFETIME_DAYS_I32,
            deprovision_keeps_keys: false,
            auto_join: false,
            created_at: now,
            updated_at: now,
        }
    }
}

const DEFAULT_INVITATION_LIFETIME_DAYS_I32: i32 = 7;

/// How long invitations (and offers) about an account work, in days: its organization's
/// setting, or the default for a standalone account.
pub fn invitation_lifetime_days(org: Option<&Organization>) -> i64 {
    org.map_or(crate::invitation::DEFAULT_INVITATION_LIFETIME_DAYS, |o| i64::from(o.invitation_lifetime_days))
}

/// Checks an invitation lifetime: 1 to 90 days.
pub fn parse_invitation_lifetime(raw: &str) -> Result<i32, Error> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|d| (1..=90).contains(d))
        .ok_or_else(|| Error::invalid("invitation_lifetime_days", "a number of days from 1 to 90"))
}

/// An organization's name: 1–100 characters after trimming.
pub fn parse_organization_name(raw: &str) -> Result<String, Error> {
    parse_name("organization_name", raw, 100)
}
