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

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{AttrPath, CompareOp, Filter, Literal, ParseError, matches};
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

impl UserColumn {
    /// Whether the column may hold no value (the attribute is then absent from the resource).
    pub fn nullable(self) -> bool {
        matches!(self, UserColumn::GivenName | UserColumn::FamilyName | UserColumn::ExternalId)
    }
}

/// A condition on one user, built only of stored columns and constants.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCondition {
    /// Holds for every user, or for none.
    Always(bool),
    /// The column has a value (`false`: it has none).
    HasValue(UserColumn, bool),
    /// A text comparison. With `fold`, both sides have their ASCII letters lowercased (`value`
    /// already is). Never holds when the column has no value, and neither does its `Not`'s
    /// opposite: the store keeps every condition two-valued.
    Text {
        column: UserColumn,
        op: TextOp,
        value: String,
        fold: bool,
    },
    /// A date-time comparison, at the millisecond precision the resource shows.
    Time {
        column: UserColumn,
        op: TimeOp,
        at: DateTime<Utc>,
    },
    /// The user is active (`false`: is not).
    Active(bool),
    And(Box<UserCondition>, Box<UserCondition>),
    Or(Box<UserCondition>, Box<UserCondition>),
    Not(Box<UserCondition>),
}

/// How two strings compare (byte order for the orderings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Contains,
    StartsWith,
    EndsWith,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// How a stored instant compares with a bound (`at` at millisecond precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOp {
    /// `at ≤ column < at + 1 ms`: the resource shows `at`.
    Within,
    /// `column ≥ bound`.
    AtOrAfter,
    /// `column < bound`.
    Before,
}

/// How users are ordered: by a column (folded, absent values last) or, with `None`, by SID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOrder {
    Column { column: UserColumn, fold: bool },
    Active,
}

fn not(c: UserCondition) -> UserCondition {
    match c {
        UserCondition::Always(b) => UserCondition::Always(!b),
        other => UserCondition::Not(Box::new(other)),
    }
}

/// Where an attribute of the User resource lives.
enum Source {
    Column(UserColumn),
    Active,
    /// A value every user shows alike (`emails.type`, `schemas`, the `name` object, …).
    Constant(Value),
    /// Nothing the resource ever has.
    Absent,
}

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

/// Where `key` (an [`AttrPath::key`]) lives; `element` is the multi-valued attribute whose value
/// path (`emails[…]`) the key is inside.
fn source(key: &str, element: Option<&str>) -> Result<Source, ParseError> {
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
        other => constant(other).map_or(Source::Absent, Source::Constant),
    })
}

/// Resolves `filter` for the store.
pub fn user_condition(filter: &Filter) -> Result<UserCondition, ParseError> {
    condition(filter, None)
}

fn condition(filter: &Filter, element: Option<&str>) -> Result<UserCondition, ParseError> {
    Ok(match filter {
        Filter::And(a, b) => UserCondition::And(Box::new(condition(a, element)?), Box::new(condition(b, element)?)),
        Filter::Or(a, b) => UserCondition::Or(Box::new(condition(a, element)?), Box::new(condition(b, element)?)),
        Filter::Not(f) => not(condition(f, element)?),
        Filter::ValuePath(path, inner) => match (element, path.key().as_str()) {
            // Each user has one email, one name and one meta: the value path is its inner filter.
            (None, key @ ("emails" | "name" | "meta")) if path.sub.is_none() => condition(inner, Some(key))?,
            // Any other value path is over a single value (whose sub-attributes are all absent)
            // or over something every user has alike, or nothing.
            _ => match scoped_source(path, element)? {
                Source::Column(c) => {
                    let holds = evaluate_constant(filter, path, element, Some(json!("a stored value")));
                    if holds && c.nullable() { UserCondition::HasValue(c, true) } else { UserCondition::Always(holds) }
                }
                Source::Active => UserCondition::Always(evaluate_constant(filter, path, element, Some(json!(true)))),
                Source::Constant(v) => UserCondition::Always(evaluate_constant(filter, path, element, Some(v))),
                Source::Absent => UserCondition::Always(evaluate_constant(filter, path, element, None)),
            },
        },
        Filter::Present(path) => match scoped_source(path, element)? {
            Source::Column(c) if c.nullable() => UserCondition::HasValue(c, true),
            Source::Column(_) | Source::Active => UserCondition::Always(true),
            Source::Constant(v) => UserCondition::Always(evaluate_constant(filter, path, element, Some(v))),
            Source::Absent => UserCondition::Always(evaluate_constant(filter, path, element, None)),
        },
        Filter::Compare(path, op, literal) => match scoped_source(path, element)? {
            Source::Column(c) => compare(c, *op, literal, path)?,
            Source::Active => match (op, literal) {
                (CompareOp::Eq, Literal::Bool(b)) => UserCondition::Active(*b),
                (CompareOp::Ne, Literal::Bool(b)) => UserCondition::Active(!*b),
                (CompareOp::Eq, Literal::Null) => UserCondition::Always(false),
                // A boolean only equals or differs; any other literal is another type.
                (CompareOp::Ne, _) => UserCondition::Always(true),
                _ => UserCondition::Always(false),
            },
            Source::Constant(v) => UserCondition::Always(evaluate_constant(filter, path, element, Some(v))),
            Source::Absent => UserCondition::Always(evaluate_constant(filter, path, element, None)),
        },
    })
}

/// A path inside a value path with a sub-attribute (`emails[value.x eq 1]`) names nothing.
fn scoped_source(path: &AttrPath, element: Option<&str>) -> Result<Source, ParseError> {
    if element.is_some() && path.sub.is_some() {
        return Ok(Source::Absent);
    }
    source(&path.key(), element)
}

/// Evaluates a filter on an attribute every user shows alike (`value`, or nothing), as
/// [`matches`] does.
fn evaluate_constant(filter: &Filter, path: &AttrPath, element: Option<&str>, value: Option<Value>) -> bool {
    // A one-attribute resource holding the constant (or nothing), under the path's own name.
    let mut resource = serde_json::Map::new();
    if let Some(v) = value {
        let leaf = match &path.sub {
            Some(sub) => json!({ sub.clone(): v }),
            None => v,
        };
        resource.insert(path.name.clone(), leaf);
    }
    let case_exact = |k: &str| match element {
        Some(e) => user_case_exact(&format!("{e}.{k}")),
        None => user_case_exact(k),
    };
    matches(&Value::Object(resource), filter, &case_exact)
}

fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn compare(column: UserColumn, op: CompareOp, literal: &Literal, path: &AttrPath) -> Result<UserCondition, ParseError> {
    let text = match literal {
        Literal::Null => {
            return Ok(match op {
                CompareOp::Eq => UserCondition::HasValue(column, false),
                CompareOp::Ne => UserCondition::HasValue(column, true),
                _ => UserCondition::Always(false),
            });
        }
        Literal::Str(s) => s,
        // A number or boolean against a string: another type, so only `ne` holds.
        Literal::Num(_) | Literal::Bool(_) => return Ok(UserCondition::Always(op == CompareOp::Ne)),
    };
    if matches!(column, UserColumn::CreatedAt | UserColumn::UpdatedAt) {
        return time(column, op, text, path).map(|c| if op == CompareOp::Ne { not(c) } else { c });
    }
    let exact = user_case_exact(&path.key());
    let value = if exact { text.clone() } else { fold(text) };
    let cond = |op| UserCondition::Text { column, op, value: value.clone(), fold: !exact };
    Ok(match op {
        CompareOp::Eq => cond(TextOp::Eq),
        CompareOp::Ne => not(cond(TextOp::Eq)),
        CompareOp::Co => cond(TextOp::Contains),
        CompareOp::Sw => cond(TextOp::StartsWith),
        CompareOp::Ew => cond(TextOp::EndsWith),
        CompareOp::Gt => cond(TextOp::Greater),
        CompareOp::Ge => cond(TextOp::GreaterOrEqual),
        CompareOp::Lt => cond(TextOp::Less),
        CompareOp::Le => cond(TextOp::LessOrEqual),
    })
}

/// `meta.created` / `meta.lastModified` compare as the instants they show (milliseconds).
fn time(column: UserColumn, op: CompareOp, text: &str, path: &AttrPath) -> Result<UserCondition, ParseError> {
    let name = format!("{}.{}", path.name, path.sub.as_deref().unwrap_or_default());
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| ParseError(format!("{name} compares with a date-time such as 2026-01-31T09:30:00.000Z")))?
        .with_timezone(&Utc);
    let shown = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
    let aligned = shown == at;
    let next = shown + Duration::milliseconds(1);
    let (op, bound) = match op {
        // An instant finer than milliseconds is never shown: no user equals it.
        CompareOp::Eq | CompareOp::Ne if !aligned => return Ok(UserCondition::Always(false)),
        CompareOp::Eq | CompareOp::Ne => (TimeOp::Within, at),
        CompareOp::Gt => (TimeOp::AtOrAfter, next),
        CompareOp::Ge => (TimeOp::AtOrAfter, if aligned { at } else { next }),
        CompareOp::Lt => (TimeOp::Before, if aligned { at } else { next }),
        CompareOp::Le => (TimeOp::Before, next),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            return Err(ParseError(format!("{name} compares as a date-time: eq, ne, gt, ge, lt, le or pr")));
        }
    };
    Ok(UserCondition::Time { column, op, at: bound })
}

/// How a `sortBy` orders users; `None` when the attribute has the same value for all (or none),
/// which leaves them in SID order.
pub fn user_order(sort_by: &str) -> Result<Option<UserOrder>, ParseError> {
    let path = super::parse_patch_path(sort_by)?;
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

/// A page of an organization's SCIM users, as the store answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserQuery {
    pub condition: UserCondition,
    pub order: Option<UserOrder>,
    pub descending: bool,
    /// How many matching users to skip (SCIM `startIndex` − 1).
    pub offset: u64,
    /// How many to return at most.
    pub limit: u64,
}
