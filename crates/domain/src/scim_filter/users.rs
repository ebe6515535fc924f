//! A SCIM filter on Users, resolved against where each attribute of the served User resource
//! ([`crate::scim::user_resource`]) is stored, so the store can answer it with one indexed query
//! instead of evaluating [`super::matches`] over every user of an organization.
//!
//! The result means exactly what `matches` means on the served JSON: an attribute that is
//! absent (a missing `externalId`, an attribute the server does not keep) equals `null` and
//! differs from everything else; a value of another type only satisfies `ne`; strings of
//! case-insensitive attributes compare with ASCII letters folded, as `matches` does.
//! Attributes the resource derives from the request (`meta.location`, `meta.version`) cannot be
//! filtered and are refused as `invalidFilter`.

use serde_json::{Value, json};

use super::stored::{Column, Condition, Order, Query, Source, compare_source, on_single, present};
pub use super::stored::{TextOp, TimeOp};
use super::{AttrPath, Filter, ParseError};
use crate::scim::user_case_exact;

/// A stored column of a SCIM user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserColumn {
    /// `id` (case-exact).
    Sid,
    /// `userName`, `emails.value` (stored lowercased).
    Email,
    /// `displayName`, `name.formatted`.
    Name,
    /// `name.givenName` (may be absent).
    GivenName,
    /// `name.familyName` (may be absent).
    FamilyName,
    /// `externalId` (case-exact, may be absent).
    ExternalId,
    /// `meta.created`.
    CreatedAt,
    /// `meta.lastModified`.
    UpdatedAt,
}

impl Column for UserColumn {
    fn nullable(self) -> bool {
        matches!(self, UserColumn::GivenName | UserColumn::FamilyName | UserColumn::ExternalId)
    }

    fn is_time(self) -> bool {
        matches!(self, UserColumn::CreatedAt | UserColumn::UpdatedAt)
    }
}

/// A condition on one user, built only of stored columns and constants.
pub type UserCondition = Condition<UserColumn>;
/// How users are ordered.
pub type UserOrder = Order<UserColumn>;
/// A page of an organization's SCIM users, as the store answers it.
pub type UserQuery = Query<UserColumn>;

/// The value the resource shows for an attribute that is stored nowhere but is the same for all.
fn constant(key: &str) -> Option<Value> {
    Some(match key {
        "schemas" => json!([crate::scim::USER_SCHEMA]),
        // Objects: compared, they only satisfy `ne`; they are always present.
        "name" | "meta" => json!({ "present": true }),
        "meta.resourcetype" => json!("User"),
        _ => return None,
    })
}

/// Whether `key` (lowercase) is in one of the attributes kept as sent ([`crate::scim::KEPT_STRINGS`],
/// [`crate::scim::KEPT_MULTI`]).
fn kept_as_sent(key: &str) -> bool {
    let top = key.split('.').next().unwrap_or_default();
    crate::scim::KEPT_STRINGS.iter().chain(crate::scim::KEPT_MULTI).any(|k| k.eq_ignore_ascii_case(top))
}

/// Where `key` (an [`AttrPath::key`]) lives; `element` is the multi-valued attribute whose value
/// path (`emails[…]`) the key is inside.
fn source(key: &str, element: Option<&str>) -> Result<Source<UserColumn>, ParseError> {
    let key = match element {
        Some(e) => format!("{e}.{key}"),
        None => key.to_owned(),
    };
    Ok(match key.as_str() {
        "id" => Source::Column(UserColumn::Sid),
        "username" | "emails" | "emails.value" => Source::Column(UserColumn::Email),
        "displayname" | "name.formatted" => Source::Column(UserColumn::Name),
        "name.givenname" => Source::Column(UserColumn::GivenName),
        "name.familyname" => Source::Column(UserColumn::FamilyName),
        "externalid" => Source::Column(UserColumn::ExternalId),
        "meta.created" => Source::Column(UserColumn::CreatedAt),
        "meta.lastmodified" => Source::Column(UserColumn::UpdatedAt),
        "active" => Source::Active,
        "emails.type" => Source::Constant(json!("work")),
        "emails.primary" => Source::Constant(json!(true)),
        "meta.location" | "meta.version" => {
            return Err(ParseError(format!("{key} cannot be filtered: it is derived, not stored")));
        }
        other if kept_as_sent(other) => {
            return Err(ParseError(format!("{key} cannot be filtered or sorted on: it is kept as sent, not indexed")));
        }
        other => constant(other).map_or(Source::Absent, Source::Constant),
    })
}

/// Refuses a path into another schema than the core User's (the enterprise extension is kept
/// as sent, not indexed), which would otherwise read as absent and match nothing.
fn core_schema(path: &AttrPath) -> Result<(), ParseError> {
    match &path.uri {
        Some(uri) if !uri.eq_ignore_ascii_case(crate::scim::USER_SCHEMA) => Err(ParseError(format!(
            "{uri} attributes cannot be filtered or sorted on: they are kept as sent, not indexed"
        ))),
        _ => Ok(()),
    }
}

/// Resolves `filter` for the store.
pub fn user_condition(filter: &Filter) -> Result<UserCondition, ParseError> {
    condition(filter, None)
}

fn condition(filter: &Filter, element: Option<&str>) -> Result<UserCondition, ParseError> {
    let case_exact = |k: &str| match element {
        Some(e) => user_case_exact(&format!("{e}.{k}")),
        None => user_case_exact(k),
    };
    Ok(match filter {
        Filter::And(a, b) => UserCondition::And(Box::new(condition(a, element)?), Box::new(condition(b, element)?)),
        Filter::Or(a, b) => UserCondition::Or(Box::new(condition(a, element)?), Box::new(condition(b, element)?)),
        Filter::Not(f) => super::stored::not(condition(f, element)?),
        Filter::ValuePath(path, inner) => match (element, path.key().as_str()) {
            // Each user has one email, one name and one meta: the value path is its inner filter.
            (None, key @ ("emails" | "name" | "meta")) if path.sub.is_none() => condition(inner, Some(key))?,
            // Any other value path is over a single value (whose sub-attributes are all absent)
            // or over something every user has alike, or nothing.
            _ => on_single(filter, path, scoped_source(path, element)?, &case_exact),
        },
        Filter::Present(path) => present(filter, path, scoped_source(path, element)?, &case_exact),
        Filter::Compare(path, op, literal) => {
            compare_source(filter, path, scoped_source(path, element)?, *op, literal, &case_exact)?
        }
    })
}

/// A path inside a value path with a sub-attribute (`emails[value.x eq 1]`) names nothing.
fn scoped_source(path: &AttrPath, element: Option<&str>) -> Result<Source<UserColumn>, ParseError> {
    core_schema(path)?;
    if element.is_some() && path.sub.is_some() {
        return Ok(Source::Absent);
    }
    source(&path.key(), element)
}

/// How a `sortBy` orders users; `None` when the attribute has the same value for all (or none),
/// which leaves them in SID order.
pub fn user_order(sort_by: &str) -> Result<Option<UserOrder>, ParseError> {
    let path = super::parse_patch_path(sort_by)?;
    core_schema(&path.attr)?;
    let key = match &path.attr.sub {
        Some(sub) => format!("{}.{}", path.attr.name.to_lowercase(), sub.to_lowercase()),
        None => path.attr.name.to_lowercase(),
    };
    Ok(match source(&key, None)? {
        Source::Column(column) => Some(UserOrder::Column { column, fold: !user_case_exact(&key) }),
        Source::Active => Some(UserOrder::Active),
        Source::Constant(_) | Source::Absent => None,
    })
}
