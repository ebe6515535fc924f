//! SCIM provisioning credentials and data (RFC 7643/7644): an organization's bearer tokens,
//! and the attributes an identity provider keeps about a managed user beyond the login
//! (`externalId`, the name's parts). Filters live in [`crate::scim_filter`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::permission::{Permission as P, PermissionSet};
use crate::sid::{OrganizationSid, ScimTokenSid, UserSid};
use crate::user::{UserStatus, parse_name};

/// The core User schema's URI.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema's URI.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Whether a User attribute's strings compare exactly (RFC 7643 §4.1: `id`, `externalId`, the
/// version); the others compare with ASCII letters folded. `key` as `AttrPath::key`.
pub fn user_case_exact(key: &str) -> bool {
    matches!(key, "id" | "externalid" | "meta.version")
}

/// Whether a Group attribute's strings compare exactly (keys as `AttrPath::key`).
pub fn group_case_exact(key: &str) -> bool {
    matches!(key, "id" | "externalid" | "meta.version" | "members.value" | "members")
}

/// The SCIM Group resource the server shows for `group`; `base` is the URL of the SCIM root
/// (`…/scim/v2`). With `members` (the users in the group), it lists them; without, it leaves
/// `members` out (asked to, or not read). What filters can ask of it is in
/// [`crate::scim_filter::groups`].
pub fn group_resource(group: &crate::group::Group, members: Option<&[crate::user::User]>, base: &str) -> Value {
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.sid,
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": scim_time(group.created_at),
            "lastModified": scim_time(group.updated_at),
            "version": group.version(),
            "location": format!("{base}/Groups/{}", group.sid),
        },
    });
    if let Some(members) = members {
        let members: Vec<Value> = members
            .iter()
            .map(|u| json!({ "value": u.sid, "display": u.name, "type": "User", "$ref": format!("{base}/Users/{}", u.sid) }))
            .collect();
        out["members"] = json!(members);
    }
    if let Some(e) = &group.external_id {
        out["externalId"] = json!(e);
    }
    out
}

/// A time as SCIM shows it: RFC 3339 in UTC, to the millisecond.
pub fn scim_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

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

/// An optional SCIM text attribute (`externalId`, a name's part): trimmed, empty means absent,
/// at most 255 characters, no control characters.
pub fn parse_scim_text(field: &'static str, raw: Option<String>) -> Result<Option<String>, crate::Error> {
    match raw.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > 255 || t.chars().any(char::is_control) => {
            Err(crate::Error::invalid(field, "at most 255 characters, without control characters"))
        }
        other => Ok(other),
    }
}

/// What SCIM keeps about a managed user besides the login (email, display name, status).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScimProfile {
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// A SCIM user: the login and its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScimUser {
    pub user: crate::user::User,
    pub profile: ScimProfile,
}

impl ScimUser {
    /// The SCIM User resource the server shows for this user; `location` is the URL of its
    /// Users endpoint (`…/scim/v2/Users`). What filters can ask of it is in
    /// [`crate::scim_filter::users`].
    pub fn resource(&self, location: &str) -> Value {
        let mut name = Map::new();
        if let Some(g) = &self.profile.given_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &self.profile.family_name {
            name.insert("familyName".into(), json!(f));
        }
        name.insert("formatted".into(), json!(self.user.name));
        let mut out = json!({
            "schemas": [USER_SCHEMA],
            "id": self.user.sid,
            "userName": self.user.email,
            "name": name,
            "displayName": self.user.name,
            "emails": [{ "value": self.user.email, "type": "work", "primary": true }],
            "active": self.user.status == UserStatus::Active,
            "meta": {
                "resourceType": "User",
                "created": scim_time(self.user.created_at),
                "lastModified": scim_time(self.user.updated_at),
                "version": self.version(),
                "location": format!("{location}/{}", self.user.sid),
            },
        });
        if let Some(e) = &self.profile.external_id {
            out["externalId"] = json!(e);
        }
        out
    }

    /// The resource version (`meta.version`, the ETag): weak, from the last change's time, so
    /// any change through any surface moves it.
    pub fn version(&self) -> String {
        format!("W/\"{}\"", self.user.updated_at.timestamp_micros())
    }
}

/// What a provisioning request sets on a user (create, replace, or a patched resource).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScimUserInput {
    pub user_name: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub external_id: Option<String>,
    pub active: bool,
}

impl ScimUserInput {
    /// The display name a user gets: `displayName`, else the name's parts, else the address's
    /// local part.
    pub fn name(&self) -> String {
        if let Some(d) = self.display_name.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            return d.to_owned();
        }
        let parts: Vec<&str> = [&self.given_name, &self.family_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() { self.user_name.split('@').next().unwrap_or_default().to_owned() } else { parts.join(" ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_name_falls_back_to_the_name_parts_then_the_address() {
        let mut i = ScimUserInput { user_name: "alex@example.com".into(), ..Default::default() };
        assert_eq!(i.name(), "alex");
        i.given_name = Some("Alex".into());
        i.family_name = Some("Doe".into());
        assert_eq!(i.name(), "Alex Doe");
        i.display_name = Some("  A. Doe ".into());
        assert_eq!(i.name(), "A. Doe");
    }
}
