//! OAuth apps (Twilio's `OQ…` client credentials): machine clients that exchange
//! `client_id`/`client_secret` for short-lived bearer tokens at `/v2/token`. An organization's
//! apps call the Organizations API; an account's apps (Twilio's iam/v1 `Account/OAuthApps`) call
//! the 2010 and iam/v1 APIs for the account, with what its API keys may do.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::permission::{Permission as P, PermissionSet};
use crate::sid::{AccountSid, OAuthAppSid, OrganizationSid, UserSid};

/// How long an access token works (the SDK re-fetches when `exp` passes).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;

/// What an OAuth app's token may do in its organization: read it and its accounts, manage its
/// users and their role assignments, and ask the permission-check API about it. Never settings,
/// domains or account lifecycles.
pub fn oauth_app_permissions() -> PermissionSet {
    PermissionSet::of(&[
        P::OrgRead,
        P::OrgUsersRead,
        P::OrgUsersManage,
        P::OrgRolesAssign,
        P::OrgAccountsRead,
        P::AccessCheck,
    ])
}

/// Whom an app's tokens act for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "sid", rename_all = "snake_case")]
pub enum OAuthAppOwner {
    Organization(OrganizationSid),
    Account(AccountSid),
}

/// The shortest and longest lifetime an app may give its tokens, in seconds.
pub const TOKEN_TTL_RANGE: std::ops::RangeInclusive<i64> = 60..=ACCESS_TOKEN_SECONDS;

/// Checks an app's token lifetime: whole seconds within [`TOKEN_TTL_RANGE`].
pub fn parse_token_ttl(seconds: i64) -> Result<i64, crate::Error> {
    if TOKEN_TTL_RANGE.contains(&seconds) {
        Ok(seconds)
    } else {
        Err(crate::Error::invalid(
            "access_token_ttl",
            format!("must be from {} to {} seconds", TOKEN_TTL_RANGE.start(), TOKEN_TTL_RANGE.end()),
        ))
    }
}

/// An app's description: at most 255 characters, without control characters; empty is none.
pub fn parse_description(raw: Option<&str>) -> Result<Option<String>, crate::Error> {
    crate::scim::parse_scim_text("description", raw.map(str::to_owned))
}

/// An OAuth app. The secret is shown once; its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthApp {
    pub sid: OAuthAppSid,
    pub owner: OAuthAppOwner,
    pub name: String,
    pub description: Option<String>,
    /// How long the tokens it obtains work, in seconds ([`TOKEN_TTL_RANGE`]).
    pub access_token_ttl: i64,
    #[serde(skip)]
    pub secret_hash: String,
    pub created_by: Option<UserSid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
