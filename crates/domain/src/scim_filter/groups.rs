//! A SCIM filter on Groups, resolved against where each attribute of the served Group resource
//! ([`crate::scim::group_resource`]) is stored, so the store answers it with one query over the
//! organization's groups instead of evaluating [`super::matches`] over every group and member.
//!
//! `members` is multi-valued: `members[inner]` holds when some member satisfies `inner`;
//! `members.value eq "…"` when some member's value does; `members.value ne "…"` when every
//! member's does; and a group without members shows no `members` at all (absent: equal to
//! `null`, different from everything else), exactly as `matches` reads the served JSON.
//! Attributes derived from the request (`meta.location`, `meta.version`, `members.$ref`) cannot
//! be filtered and are refused as `invalidFilter`.

use serde_json::json;

use super::stored::{
    Column, Condition, Order, Query, Source, and, compare_source, evaluate_constant, not, on_single, or, present,
};
use super::{AttrPath, CompareOp, Filter, ParseError};
use crate::scim::{GROUP_SCHEMA, group_case_exact};

/// A stored column of a SCIM group, or of one of its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupColumn {
    /// `id` (case-exact).
    Sid,
    /// `displayName`.
    DisplayName,
    /// `externalId` (case-exact, may be absent).
    ExternalId,
    /// `meta.created`.
    CreatedAt,
    /// `meta.lastModified`.
    UpdatedAt,
    /// A member's `value`: the user's id (case-exact).
    MemberValue,
    /// A member's `display`: the user's name.
    MemberDisplay,
}

impl Column for GroupColumn {
    fn nullable(self) -> bool {
        self == GroupColumn::ExternalId
    }

    fn is_time(self) -> bool {
        matches!(self, GroupColumn::CreatedAt | GroupColumn::UpdatedAt)
    }
}

/// A condition on one group.
pub type GroupCondition = Condition<GroupColumn>;
/// How groups are ordered.
pub type GroupOrder = Order<GroupColumn>;
/// A page of an organization's SCIM groups, as the store answers it.
pub type GroupQuery = Query<GroupColumn>;

/// Where `key` (an [`AttrPath::key`]) of a group lives, outside `members`.
fn source(key: &str) -> Result<Source<GroupColumn>, ParseError> {
    Ok(match key {
        "id" => Source::Column(GroupColumn::Sid),
        "displayname" => Source::Column(GroupColumn::DisplayName),
        "externalid" => Source::Column(GroupColumn::ExternalId),
        "meta.created" => Source::Column(GroupColumn::CreatedAt),
        "meta.lastmodified" => Source::Column(GroupColumn::UpdatedAt),
        "schemas" => Source::Constant(json!([GROUP_SCHEMA])),
        "meta" => Source::Constant(json!({ "present": true })),
        "meta.resourcetype" => Source::Constant(json!("Group")),
        "meta.location" | "meta.version" => {
            return Err(ParseError(format!("{key} cannot be filtered: it is derived, not stored")));
        }
        _ => Source::Absent,
    })
}

/// Where a sub-attribute of one member lives.
fn member_source(sub: &str) -> Result<Source<GroupColumn>, ParseError> {
    Ok(match sub {
        "value" => Source::Column(GroupColumn::MemberValue),
        "display" => Source::Column(GroupColumn::MemberDisplay),
        "type" => Source::Constant(json!("User")),
        "$ref" => return Err(ParseError("members.$ref cannot be filtered: it is derived, not stored".into())),
        _ => Source::Absent,
    })
}

/// Whether every member shows the sub-attribute (so a group shows it exactly when it has
/// members).
fn every_member_has(sub: &str) -> bool {
    matches!(sub, "value" | "display" | "type")
}

/// Resolves `filter` for the store.
pub fn group_condition(filter: &Filter) -> Result<GroupCondition, ParseError> {
    Ok(match filter {
        Filter::And(a, b) => and(group_condition(a)?, group_condition(b)?),
        Filter::Or(a, b) => or(group_condition(a)?, group_condition(b)?),
        Filter::Not(f) => not(group_condition(f)?),
        // As `matches` reads a value path: by its attribute's name, over each element.
        Filter::ValuePath(path, inner) if path.name.eq_ignore_ascii_case("members") => {
            Condition::Member(Box::new(element_condition(inner, "members")?))
        }
        // A group has one meta: the value path is its inner filter.
        Filter::ValuePath(path, inner) if path.name.eq_ignore_ascii_case("meta") => element_condition(inner, "meta")?,
        Filter::ValuePath(path, _) => on_single(filter, path, source(&path.key())?, &group_case_exact),
        Filter::Present(path) if path.name.eq_ignore_ascii_case("members") => {
            // Some member shows a non-empty value of the sub-attribute.
            Condition::Member(Box::new(element_condition(&Filter::Present(member_path(path)), "members")?))
        }
        Filter::Present(path) => present(filter, path, source(&path.key())?, &group_case_exact),
        Filter::Compare(path, op, literal) if path.name.eq_ignore_ascii_case("members") => {
            let sub = member_path(path);
            let has = if every_member_has(&sub.name.to_ascii_lowercase()) {
                Condition::Member(Box::new(Condition::Always(true)))
            } else {
                Condition::Always(false)
            };
            // Where no member shows the sub-attribute, the group shows nothing to compare.
            let absent = Condition::Always(evaluate_constant(filter, path, None, &group_case_exact));
            let each = element_condition(&Filter::Compare(sub, *op, literal.clone()), "members")?;
            let shown = if *op == CompareOp::Ne {
                // Every member's value differs.
                and(has.clone(), not(Condition::Member(Box::new(not(each)))))
            } else {
                Condition::Member(Box::new(each))
            };
            or(shown, and(not(has), absent))
        }
        Filter::Compare(path, op, literal) => {
            compare_source(filter, path, source(&path.key())?, *op, literal, &group_case_exact)?
        }
    })
}

/// `members` or `members.sub` as the path of one member's sub-attribute (a member without a
/// sub-attribute compares its `value`).
fn member_path(path: &AttrPath) -> AttrPath {
    AttrPath { uri: None, name: path.sub.clone().unwrap_or_else(|| "value".into()), sub: None }
}

/// A filter on one element of `members` (one member) or of `meta`, inside `element[…]`.
fn element_condition(filter: &Filter, element: &str) -> Result<GroupCondition, ParseError> {
    let scoped = |path: &AttrPath| -> Result<Source<GroupColumn>, ParseError> {
        let name = path.name.to_ascii_lowercase();
        match (&path.sub, element) {
            // The elements' attributes are simple: `value.x` names nothing.
            (Some(_), _) => Ok(Source::Absent),
            (None, "members") => member_source(&name),
            (None, _) => source(&format!("{element}.{name}")),
        }
    };
    let case_exact = |k: &str| group_case_exact(&format!("{element}.{k}"));
    Ok(match filter {
        Filter::And(a, b) => and(element_condition(a, element)?, element_condition(b, element)?),
        Filter::Or(a, b) => or(element_condition(a, element)?, element_condition(b, element)?),
        Filter::Not(f) => not(element_condition(f, element)?),
        Filter::ValuePath(path, _) => on_single(filter, path, scoped(path)?, &case_exact),
        Filter::Present(path) => present(filter, path, scoped(path)?, &case_exact),
        Filter::Compare(path, op, literal) => compare_source(filter, path, scoped(path)?, *op, literal, &case_exact)?,
    })
}

/// How a `sortBy` orders groups; `None` when the attribute has the same value for all (or
/// none), which leaves them in SID order. Sorting by a member attribute is refused.
pub fn group_order(sort_by: &str) -> Result<Option<GroupOrder>, ParseError> {
    let path = super::parse_patch_path(sort_by)?;
    if path.attr.name.eq_ignore_ascii_case("members") {
        return Err(ParseError("groups cannot be sorted by their members".into()));
    }
    let key = path.attr.key();
    Ok(match source(&key)? {
        Source::Column(column) => Some(Order::Column { column, fold: !group_case_exact(&key) }),
        Source::Active | Source::Constant(_) | Source::Absent => None,
    })
}
