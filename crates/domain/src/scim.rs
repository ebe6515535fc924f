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

/// The conflict of a user's `externalId` that another user of the organization holds: the
/// store reports it in these words, and Twilio's SCIM path answers it with its code 25022.
pub const EXTERNAL_ID_TAKEN: &str = "externalId already exists in this organization";
/// The enterprise User extension's URI (RFC 7643 §4.3).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Single-valued string attributes of the core User schema (RFC 7643 §4.1.1) that are kept as
/// sent and shown back, beside those with columns of their own.
pub const KEPT_STRINGS: &[&str] =
    &["nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone"];
/// Multi-valued attributes of the core User schema (RFC 7643 §4.1.2) kept as sent: arrays of
/// objects whose sub-attributes are strings or booleans.
pub const KEPT_MULTI: &[&str] =
    &["phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"];
/// The most values one multi-valued attribute keeps.
const MAX_VALUES: usize = 20;

/// Reads the kept attributes of a User resource (`object`, keys in any case): the strings of
/// [`KEPT_STRINGS`], the arrays of [`KEPT_MULTI`] and the enterprise extension, under their
/// canonical names; `null` or an empty array means absent. Anything of another shape is refused.
pub fn parse_kept_attributes(object: &Map<String, Value>) -> Result<Map<String, Value>, crate::Error> {
    let mut kept = Map::new();
    for (key, value) in object {
        if value.is_null() {
            continue;
        }
        if let Some(name) = KEPT_STRINGS.iter().find(|k| k.eq_ignore_ascii_case(key)) {
            let text = value.as_str().ok_or_else(|| crate::Error::invalid(name, format!("{name} must be a string")))?;
            if let Some(t) = parse_scim_text(name, Some(text.to_owned()))? {
                kept.insert((*name).to_owned(), Value::String(t));
            }
        } else if let Some(name) = KEPT_MULTI.iter().find(|k| k.eq_ignore_ascii_case(key)) {
            let values = value
                .as_array()
                .filter(|a| a.len() <= MAX_VALUES && a.iter().all(|v| simple_object(v, 0)))
                .ok_or_else(|| {
                    crate::Error::invalid(
                        name,
                        format!("{name} must be an array of at most {MAX_VALUES} objects of strings and booleans"),
                    )
                })?;
            if !values.is_empty() {
                kept.insert((*name).to_owned(), value.clone());
            }
        } else if key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
            // Some clients repeat the extension's URI inside it; the resource's `schemas` says it.
            let mut value = value.clone();
            if let Some(o) = value.as_object_mut() {
                o.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
            }
            if !simple_object(&value, 1) {
                return Err(crate::Error::invalid(
                    "enterprise",
                    format!("{ENTERPRISE_SCHEMA} must be an object of strings (and a manager object)"),
                ));
            }
            if value.as_object().is_some_and(|o| !o.is_empty()) {
                kept.insert(ENTERPRISE_SCHEMA.to_owned(), value);
            }
        }
    }
    Ok(kept)
}

/// An object whose members are strings of at most 1,024 characters or booleans, or (up to
/// `depth` levels) such objects.
fn simple_object(v: &Value, depth: u8) -> bool {
    v.as_object().is_some_and(|o| {
        o.len() <= 20
            && o.values().all(|m| match m {
                Value::String(s) => s.chars().count() <= 1024,
                Value::Bool(_) | Value::Null => true,
                Value::Object(_) => depth > 0 && simple_object(m, depth - 1),
                _ => false,
            })
    })
}

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
    /// The other attributes kept as sent ([`parse_kept_attributes`]), by canonical name.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
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
        for (key, value) in &self.profile.attributes {
            if key == ENTERPRISE_SCHEMA {
                out["schemas"] = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
            }
            out[key.as_str()] = value.clone();
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
    /// The other attributes to keep ([`parse_kept_attributes`]).
    pub attributes: Map<String, Value>,
}

impl ScimUserInput {
    /// The profile it sets, its texts checked.
    pub fn profile(&self) -> Result<ScimProfile, crate::Error> {
        Ok(ScimProfile {
            external_id: parse_scim_text("externalId", self.external_id.clone())?,
            given_name: parse_scim_text("name.givenName", self.given_name.clone())?,
            family_name: parse_scim_text("name.familyName", self.family_name.clone())?,
            attributes: self.attributes.clone(),
        })
    }

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
