//! OAuth apps (Twilio's `OQ…` client credentials): an organization's machine clients that
//! exchange `client_id`/`client_secret` for short-lived bearer tokens at `/v2/token` and call the
//! Organizations API with them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::permission::{Permission as P, PermissionSet};
use crate::sid::{OAuthAppSid, OrganizationSid, UserSid};

/// How long an access token works (the SDK re-fetches when `exp` passes).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;

/// What an OAuth app's token may do in its organization: read it and its accounts, manage its
/// users and their role assignments. Never settings, domains or account lifecycles.
pub fn oauth_app_permissions() -> PermissionSet {
    PermissionSet::of(&[P::OrgRead, P::OrgUsersRead, P::OrgUsersManage, P::OrgRolesAssign, P::OrgAccountsRead])
}

/// An organization's OAuth app. The secret is shown once; its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthApp {
    pub sid: OAuthAppSid,
    pub organization_sid: OrganizationSid,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub created_by: Option<UserSid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
