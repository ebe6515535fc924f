//! What every resource's filter-to-store resolution shares ([`super::users`], [`super::groups`]):
//! a condition built only of stored columns, constants and (for Groups) "some member", which the
//! store compiles to SQL; and the rules by which a comparison on one column becomes one.
//!
//! The result means exactly what [`matches`] means on the served JSON: an attribute that is
//! absent equals `null` and differs from everything else; a value of another type only
//! satisfies `ne`; strings of case-insensitive attributes compare with ASCII letters folded.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{AttrPath, CompareOp, Filter, Literal, ParseError, matches};

/// A stored column of a resource.
pub trait Column: Copy + Eq + std::fmt::Debug {
    /// Whether the column may hold no value (the attribute is then absent from the resource).
    fn nullable(self) -> bool;
    /// Whether the column holds an instant (`meta.created`, `meta.lastModified`).
    fn is_time(self) -> bool;
}

/// A condition on one resource, built only of stored columns and constants.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition<C> {
    /// Holds for every resource, or for none.
    Always(bool),
    /// The column has a value (`false`: it has none).
    HasValue(C, bool),
    /// A text comparison. With `fold`, both sides have their ASCII letters lowercased (`value`
    /// already is). Never holds when the column has no value, and neither does its `Not`'s
    /// opposite: the store keeps every condition two-valued.
    Text {
        column: C,
        op: TextOp,
        value: String,
        fold: bool,
    },
    /// A date-time comparison, at the millisecond precision the resource shows.
    Time {
        column: C,
        op: TimeOp,
        at: DateTime<Utc>,
    },
    /// The user is active (`false`: is not).
    Active(bool),
    /// Some member of the group satisfies the inner condition (on the member's columns).
    Member(Box<Condition<C>>),
    And(Box<Condition<C>>, Box<Condition<C>>),
    Or(Box<Condition<C>>, Box<Condition<C>>),
    Not(Box<Condition<C>>),
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

pub(super) fn not<C>(c: Condition<C>) -> Condition<C> {
    match c {
        Condition::Always(b) => Condition::Always(!b),
        other => Condition::Not(Box::new(other)),
    }
}

pub(super) fn and<C>(a: Condition<C>, b: Condition<C>) -> Condition<C> {
    match (a, b) {
        (Condition::Always(false), _) | (_, Condition::Always(false)) => Condition::Always(false),
        (Condition::Always(true), c) | (c, Condition::Always(true)) => c,
        (a, b) => Condition::And(Box::new(a), Box::new(b)),
    }
}

pub(super) fn or<C>(a: Condition<C>, b: Condition<C>) -> Condition<C> {
    match (a, b) {
        (Condition::Always(true), _) | (_, Condition::Always(true)) => Condition::Always(true),
        (Condition::Always(false), c) | (c, Condition::Always(false)) => c,
        (a, b) => Condition::Or(Box::new(a), Box::new(b)),
    }
}

/// Where an attribute of a resource lives.
pub(super) enum Source<C> {
    Column(C),
    /// The user's status (Users only).
    Active,
    /// A value every resource shows alike (`emails.type`, `schemas`, the `meta` object, …).
    Constant(Value),
    /// Nothing the resource ever has.
    Absent,
}

/// Evaluates a filter on an attribute every resource shows alike (`value`, or nothing), as
/// [`matches`] does; `case_exact` is the attribute rule of the resource (or of the element).
pub(super) fn evaluate_constant(
    filter: &Filter,
    path: &AttrPath,
    value: Option<Value>,
    case_exact: &dyn Fn(&str) -> bool,
) -> bool {
    // A one-attribute resource holding the constant (or nothing), under the path's own name.
    let mut resource = serde_json::Map::new();
    if let Some(v) = value {
        let leaf = match &path.sub {
            Some(sub) => json!({ sub.clone(): v }),
            None => v,
        };
        resource.insert(path.name.clone(), leaf);
    }
    matches(&Value::Object(resource), filter, case_exact)
}

/// A filter on an attribute whose value is the same kind for every resource (a column, the
/// status, a constant or nothing), where the filter is a value path or a presence test that
/// only asks whether the value is there.
pub(super) fn on_single<C: Column>(
    filter: &Filter,
    path: &AttrPath,
    source: Source<C>,
    case_exact: &dyn Fn(&str) -> bool,
) -> Condition<C> {
    match source {
        Source::Column(c) => {
            let holds = evaluate_constant(filter, path, Some(json!("a stored value")), case_exact);
            if holds && c.nullable() { Condition::HasValue(c, true) } else { Condition::Always(holds) }
        }
        Source::Active => Condition::Always(evaluate_constant(filter, path, Some(json!(true)), case_exact)),
        Source::Constant(v) => Condition::Always(evaluate_constant(filter, path, Some(v), case_exact)),
        Source::Absent => Condition::Always(evaluate_constant(filter, path, None, case_exact)),
    }
}

/// `path pr` on a source.
pub(super) fn present<C: Column>(
    filter: &Filter,
    path: &AttrPath,
    source: Source<C>,
    case_exact: &dyn Fn(&str) -> bool,
) -> Condition<C> {
    match source {
        Source::Column(c) if c.nullable() => Condition::HasValue(c, true),
        Source::Column(_) | Source::Active => Condition::Always(true),
        other => on_single(filter, path, other, case_exact),
    }
}

/// `path op literal` on a source; `exact` is the attribute's case rule.
pub(super) fn compare_source<C: Column>(
    filter: &Filter,
    path: &AttrPath,
    source: Source<C>,
    op: CompareOp,
    literal: &Literal,
    case_exact: &dyn Fn(&str) -> bool,
) -> Result<Condition<C>, ParseError> {
    Ok(match source {
        Source::Column(c) => compare(c, op, literal, path, case_exact(&path.key()))?,
        Source::Active => match (op, literal) {
            (CompareOp::Eq, Literal::Bool(b)) => Condition::Active(*b),
            (CompareOp::Ne, Literal::Bool(b)) => Condition::Active(!*b),
            (CompareOp::Eq, Literal::Null) => Condition::Always(false),
            // A boolean only equals or differs; any other literal is another type.
            (CompareOp::Ne, _) => Condition::Always(true),
            _ => Condition::Always(false),
        },
        other => on_single(filter, path, other, case_exact),
    })
}

fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn compare<C: Column>(
    column: C,
    op: CompareOp,
    literal: &Literal,
    path: &AttrPath,
    exact: bool,
) -> Result<Condition<C>, ParseError> {
    let text = match literal {
        Literal::Null => {
            return Ok(match op {
                CompareOp::Eq => Condition::HasValue(column, false),
                CompareOp::Ne => Condition::HasValue(column, true),
                _ => Condition::Always(false),
            });
        }
        Literal::Str(s) => s,
        // A number or boolean against a string: another type, so only `ne` holds.
        Literal::Num(_) | Literal::Bool(_) => return Ok(Condition::Always(op == CompareOp::Ne)),
    };
    if column.is_time() {
        return time(column, op, text, path).map(|c| if op == CompareOp::Ne { not(c) } else { c });
    }
    let value = if exact { text.clone() } else { fold(text) };
    let cond = |op| Condition::Text { column, op, value: value.clone(), fold: !exact };
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
fn time<C: Column>(column: C, op: CompareOp, text: &str, path: &AttrPath) -> Result<Condition<C>, ParseError> {
    let name = format!("{}.{}", path.name, path.sub.as_deref().unwrap_or_default());
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| ParseError(format!("{name} compares with a date-time such as 2026-01-31T09:30:00.000Z")))?
        .with_timezone(&Utc);
    let shown = DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at);
    let aligned = shown == at;
    let next = shown + Duration::milliseconds(1);
    let (op, bound) = match op {
        // An instant finer than milliseconds is never shown: nothing equals it.
        CompareOp::Eq | CompareOp::Ne if !aligned => return Ok(Condition::Always(false)),
        CompareOp::Eq | CompareOp::Ne => (TimeOp::Within, at),
        CompareOp::Gt => (TimeOp::AtOrAfter, next),
        CompareOp::Ge => (TimeOp::AtOrAfter, if aligned { at } else { next }),
        CompareOp::Lt => (TimeOp::Before, if aligned { at } else { next }),
        CompareOp::Le => (TimeOp::Before, next),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            return Err(ParseError(format!("{name} compares as a date-time: eq, ne, gt, ge, lt, le or pr")));
        }
    };
    Ok(Condition::Time { column, op, at: bound })
}

/// How a list is ordered: by a column (folded, absent values last), by status, or, with
/// `None` in the query, by SID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order<C> {
    Column { column: C, fold: bool },
    Active,
}

/// A page of an organization's resources, as the store answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Query<C> {
    pub condition: Condition<C>,
    pub order: Option<Order<C>>,
    pub descending: bool,
    /// How many matching resources to skip (SCIM `startIndex` − 1).
    pub offset: u64,
    /// How many to return at most.
    pub limit: u64,
}
