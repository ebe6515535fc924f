//! SCIM provisioning credentials and data (RFC 7643/7644): an organization's bearer tokens,
//! and the attributes an identity provider keeps about a managed user beyond the login
//! (`externalId`, the name's parts). Filters live in [`crate::scim_filter`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::permission::{Permission as P, PermissionSet};
use crate::sid::{OrganizationSid, ScimTokenSid, UserSid};
use crate::user::parse_name;

/// What a SCIM token may do in its organization: read and manage its users and their roles.
/// It never changes the organization's settings, domains or accounts.
pub fn scim_token_permissions() -> PermissionSet {
    PermissionSet::of(&[P::OrgRead, P::OrgUsersRead, P::OrgUsersManage, P::OrgRolesAssign, P::OrgAccountsRead])
}

/// An organization's SCIM bearer token. The secret is shown once; its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScimToken {
    pub sid: ScimTokenSid,
    pub organization_sid: OrganizationSid,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_by: Option<UserSid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token's name: 1–64 characters.
pub fn parse_token_name(raw: &str) -> Result<String, crate::Error> {
    parse_name("name", raw, 64)
}

/// What SCIM keeps about a managed user besides the login (email, display name, status).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScimProfile {
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}
