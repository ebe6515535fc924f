//! Groups (SPEC §1): sets of users of one organization, provisioned by SCIM (teams).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::sid::{GroupSid, OrganizationSid};
use crate::user::parse_name;

/// A group of an organization's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub sid: GroupSid,
    pub organization_sid: OrganizationSid,
    pub display_name: String,
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Group {
    /// The resource version (SCIM `meta.version`): any change, members included, moves it.
    pub fn version(&self) -> String {
        format!("W/\"{}\"", self.updated_at.timestamp_micros())
    }
}

/// A group's name: 1–255 characters.
pub fn parse_group_name(raw: &str) -> Result<String, Error> {
    parse_name("displayName", raw, 255)
}
