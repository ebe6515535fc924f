//! Evaluating a parsed filter against a resource's JSON (RFC 7644 §3.4.2.2), with each
//! attribute's case rule supplied by the caller. Case-insensitive strings compare with ASCII
//! letters folded, as the databases' `lower` does, so the store's SQL answers alike.

use std::cmp::Ordering;

use serde_json::Value;

use super::{AttrPath, CompareOp, Filter, Literal};

/// Looks `name` up in a JSON object, case-insensitively (SCIM attribute names are).
pub fn get_ci<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// The values a path names in a resource (several for multi-valued attributes). A path into a
/// multi-valued complex attribute without a sub-attribute compares its elements' `value`.
fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(top) = get_ci(resource, &path.name) else { return Vec::new() };
    let items: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    match &path.sub {
        Some(sub) => items.into_iter().filter_map(|v| get_ci(v, sub)).collect(),
        None => items.into_iter().map(|v| if v.is_object() { get_ci(v, "value").unwrap_or(v) } else { v }).collect(),
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare(v: &Value, op: CompareOp, lit: &Literal, case_exact: bool) -> bool {
    let fold = |s: &str| if case_exact { s.to_owned() } else { s.to_ascii_lowercase() };
    match (v, lit) {
        (_, Literal::Null) => match op {
            CompareOp::Eq => v.is_null(),
            CompareOp::Ne => !v.is_null(),
            _ => false,
        },
        (Value::String(a), Literal::Str(b)) => {
            let (a, b) = (fold(a), fold(b));
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
            }
        }
        (Value::Number(a), Literal::Num(b)) => {
            let Some(a) = a.as_f64() else { return false };
            let ord = a.partial_cmp(b);
            match op {
                CompareOp::Eq => ord == Some(Ordering::Equal),
                CompareOp::Ne => ord != Some(Ordering::Equal),
                CompareOp::Gt => ord == Some(Ordering::Greater),
                CompareOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                CompareOp::Lt => ord == Some(Ordering::Less),
                CompareOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                _ => false,
            }
        }
        (Value::Bool(a), Literal::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        // A value of another type never matches, except that `ne` holds.
        _ => op == CompareOp::Ne,
    }
}

/// Whether `resource` matches `filter`. `case_exact(key)` says whether an attribute's strings
/// compare exactly (keys as [`AttrPath::key`], e.g. `id`, `emails.value`).
pub fn matches(resource: &Value, filter: &Filter, case_exact: &dyn Fn(&str) -> bool) -> bool {
    match filter {
        Filter::And(a, b) => matches(resource, a, case_exact) && matches(resource, b, case_exact),
        Filter::Or(a, b) => matches(resource, a, case_exact) || matches(resource, b, case_exact),
        Filter::Not(f) => !matches(resource, f, case_exact),
        Filter::Present(path) => values(resource, path).into_iter().any(present),
        Filter::Compare(path, op, lit) => {
            let found = values(resource, path);
            if found.is_empty() {
                // An absent attribute equals null and differs from everything else.
                return match (op, lit) {
                    (CompareOp::Eq, Literal::Null) => true,
                    (CompareOp::Ne, Literal::Null) => false,
                    (CompareOp::Ne, _) => true,
                    _ => false,
                };
            }
            let exact = case_exact(&path.key());
            if *op == CompareOp::Ne {
                found.into_iter().all(|v| compare(v, CompareOp::Ne, lit, exact))
            } else {
                found.into_iter().any(|v| compare(v, *op, lit, exact))
            }
        }
        Filter::ValuePath(path, inner) => {
            // The inner filter applies to each element (a single complex value counts as one).
            let inner_exact = |k: &str| case_exact(&format!("{}.{k}", path.name.to_lowercase()));
            match get_ci(resource, &path.name) {
                Some(Value::Array(items)) => items.iter().any(|item| matches(item, inner, &inner_exact)),
                Some(single) => matches(single, inner, &inner_exact),
                None => false,
            }
        }
    }
}
