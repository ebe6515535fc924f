//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: `add`, `remove` and `replace`,
//! with or without `path`, including filtered paths such as `members[value eq "…"]` and
//! `emails[type eq "work"].value`, as Okta and Entra ID send them. The patched document is
//! then validated like a replacement, so PATCH and PUT share every rule.

use gatehouse_domain::scim::ENTERPRISE_SCHEMA;
use gatehouse_domain::scim_filter::{CompareOp, Filter, Literal, PatchPath, get_ci, matches, parse_patch_path};
use serde_json::{Map, Value};

use super::{GROUP_SCHEMA, PATCH_SCHEMA, ScimError, USER_SCHEMA};

/// Attributes a client may not change.
const READ_ONLY: &[&str] = &["id", "meta"];

fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_owned())
}

/// A PATCH operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Remove,
    Replace,
}

/// One operation of a PatchOp request: its kind, its parsed path and its value.
pub(crate) type Operation<'a> = (Op, Option<PatchPath>, Option<&'a Value>);

/// The operations of a PatchOp request, checked for form (an `add` or `replace` with a path has
/// a value; a `remove` has a path).
pub(crate) fn operations(request: &Value) -> Result<Vec<Operation<'_>>, ScimError> {
    let schemas = request.get("schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(PATCH_SCHEMA))) {
        return Err(ScimError::bad("invalidSyntax", format!("a PATCH body lists the schema {PATCH_SCHEMA}")));
    }
    let ops = get_ci(request, "Operations")
        .and_then(Value::as_array)
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| ScimError::bad("invalidSyntax", "Operations must be a non-empty array"))?;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let name = get_ci(op, "op").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
        let kind = match name.as_str() {
            "add" => Op::Add,
            "remove" => Op::Remove,
            "replace" => Op::Replace,
            other => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!("{other:?} is not an operation (add, remove, replace)"),
                ));
            }
        };
        let raw = get_ci(op, "path").and_then(Value::as_str);
        let path = raw.map(|p| parse_patch_path(p).map_err(|e| ScimError::bad("invalidPath", e.0))).transpose()?;
        let value = get_ci(op, "value");
        match (kind, raw) {
            (Op::Remove, None) => return Err(ScimError::bad("noTarget", "remove needs a path")),
            (Op::Add | Op::Replace, Some(raw)) if value.is_none() => {
                return Err(ScimError::bad("invalidValue", format!("{name} {raw} needs a value")));
            }
            _ => {}
        }
        out.push((kind, path, value));
    }
    Ok(out)
}

/// Applies a PatchOp request to `resource`. `case_exact` gives each attribute's case rule for
/// value filters.
pub(crate) fn apply(resource: &mut Value, request: &Value, case_exact: &dyn Fn(&str) -> bool) -> Result<(), ScimError> {
    for (op, path, value) in operations(request)? {
        let add = op == Op::Add;
        match (op, path) {
            (Op::Add | Op::Replace, None) => {
                let Some(Value::Object(values)) = value.cloned() else {
                    return Err(ScimError::bad("invalidValue", "an operation without a path needs an object value"));
                };
                for (k, v) in values {
                    // Okta repeats the read-only id in a path-less replace; the same value is no change.
                    if READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(&k)) && get_ci(resource, &k) == Some(&v) {
                        continue;
                    }
                    // An extension's object sets each of its attributes (RFC 7644 §3.5.2.1).
                    if let (true, Value::Object(fields)) = (k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA), &v) {
                        set_extension(resource, fields, add, case_exact)?;
                        continue;
                    }
                    let p = parse_patch_path(&k).map_err(|e| ScimError::bad("invalidPath", e.0))?;
                    set(resource, &p, v, add, case_exact)?;
                }
            }
            // The extension's URI as the path: its object's attributes are each set (RFC 7644
            // §3.5.2.1 and §3.5.2.3: the sub-attributes given replace, the others stay).
            (Op::Add | Op::Replace, Some(p)) if extension_root(&p) => {
                let Some(Value::Object(fields)) = value else {
                    return Err(ScimError::bad("invalidValue", format!("{ENTERPRISE_SCHEMA} takes an object")));
                };
                set_extension(resource, fields, add, case_exact)?;
            }
            (Op::Add | Op::Replace, Some(p)) => {
                set(resource, &p, value.cloned().unwrap_or(Value::Null), add, case_exact)?
            }
            (Op::Remove, Some(p)) if extension_root(&p) => {
                let root = object(resource)?;
                let key = key_of(root, ENTERPRISE_SCHEMA);
                root.remove(&key);
            }
            (Op::Remove, Some(p)) => remove(resource, &p, value, case_exact)?,
            (Op::Remove, None) => return Err(ScimError::bad("noTarget", "remove needs a path")),
        }
    }
    Ok(())
}

/// Whether the path names the enterprise extension itself (`urn:…:enterprise:2.0:User`), which
/// parses as the URI `urn:…:2.0` and the name `User`.
fn extension_root(p: &PatchPath) -> bool {
    p.filter.is_none()
        && p.attr.sub.is_none()
        && p.attr.uri.as_ref().is_some_and(|u| format!("{u}:{}", p.attr.name).eq_ignore_ascii_case(ENTERPRISE_SCHEMA))
}

/// Sets each of `fields` in the enterprise extension's object.
fn set_extension(
    resource: &mut Value,
    fields: &Map<String, Value>,
    add: bool,
    case_exact: &dyn Fn(&str) -> bool,
) -> Result<(), ScimError> {
    // Some clients repeat the extension's URI inside its object; it is not an attribute.
    for (field, value) in fields.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("schemas")) {
        let p = parse_patch_path(&format!("{ENTERPRISE_SCHEMA}:{field}"))
            .map_err(|e| ScimError::bad("invalidPath", e.0))?;
        set(resource, &p, value.clone(), add, case_exact)?;
    }
    Ok(())
}

/// The value a filter of string equalities describes (`type eq "work"`, joined by `and`), to
/// add when none matches; `None` for any other filter.
fn element_of(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(path, CompareOp::Eq, Literal::Str(s)) if path.sub.is_none() && path.uri.is_none() => {
            Some(Map::from_iter([(path.name.clone(), Value::String(s.clone()))]))
        }
        Filter::And(a, b) => {
            let mut made = element_of(a)?;
            made.extend(element_of(b)?);
            Some(made)
        }
        _ => None,
    }
}

fn guard(p: &PatchPath) -> Result<(), ScimError> {
    if READ_ONLY.iter().any(|r| p.attr.name.eq_ignore_ascii_case(r)) {
        return Err(ScimError::bad("mutability", format!("{} is read-only", p.attr.name)));
    }
    Ok(())
}

fn object(v: &mut Value) -> Result<&mut Map<String, Value>, ScimError> {
    v.as_object_mut().ok_or_else(|| ScimError::bad("invalidSyntax", "the resource is not an object"))
}

/// The object a path's attribute is in: the resource itself (no URI, or the core schema's), or
/// the enterprise extension's object, made when `create` and absent (`None` when not).
fn container<'a>(
    resource: &'a mut Value,
    p: &PatchPath,
    create: bool,
) -> Result<Option<&'a mut Map<String, Value>>, ScimError> {
    let root = object(resource)?;
    match p.attr.uri.as_deref() {
        None => Ok(Some(root)),
        Some(u) if u.eq_ignore_ascii_case(USER_SCHEMA) || u.eq_ignore_ascii_case(GROUP_SCHEMA) => Ok(Some(root)),
        Some(u) if u.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) => {
            let key = key_of(root, ENTERPRISE_SCHEMA);
            if !create && !root.contains_key(&key) {
                return Ok(None);
            }
            object(root.entry(key).or_insert_with(|| Value::Object(Map::new()))).map(Some)
        }
        Some(u) => Err(ScimError::bad("invalidPath", format!("{u} is not a schema of this resource"))),
    }
}

fn set(
    resource: &mut Value,
    p: &PatchPath,
    value: Value,
    add: bool,
    case_exact: &dyn Fn(&str) -> bool,
) -> Result<(), ScimError> {
    guard(p)?;
    let Some(root) = container(resource, p, true)? else { return Ok(()) };
    let key = key_of(root, &p.attr.name);
    let inner_exact = |k: &str| case_exact(&format!("{}.{k}", p.attr.name.to_lowercase()));
    match (&p.filter, &p.attr.sub) {
        (None, None) => {
            match (add, root.get_mut(&key), value) {
                // add to a multi-valued attribute appends
                (true, Some(Value::Array(items)), Value::Array(new)) => items.extend(new),
                (true, Some(Value::Array(items)), new) => items.push(new),
                (_, _, new) => {
                    root.insert(key, new);
                }
            }
        }
        (None, Some(sub)) => {
            let entry = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
            let inner = object(entry)?;
            let sub_key = key_of(inner, sub);
            inner.insert(sub_key, value);
        }
        (Some(filter), sub) => {
            // Entra ID adds a value it has not sent before through its filter (`phoneNumbers[type
            // eq "work"].value`): with no value matching, the filter's equalities make a new one.
            // A replace that matches nothing is noTarget (RFC 7644 §3.5.2.3).
            let sub_attribute = sub.as_ref().or(p.sub.as_ref());
            let matched = match root.get(&key) {
                Some(Value::Array(items)) => items.iter().any(|i| matches(i, filter, &inner_exact)),
                _ => false,
            };
            if add
                && !matched
                && let (Some(mut made), Some(s)) = (element_of(filter), sub_attribute)
            {
                made.insert(s.clone(), value);
                match root.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(items) => items.push(Value::Object(made)),
                    _ => return Err(ScimError::bad("invalidPath", format!("{} is not multi-valued", p.attr.name))),
                }
                return Ok(());
            }
            let Some(Value::Array(items)) = root.get_mut(&key) else {
                return Err(ScimError::bad("noTarget", format!("{} has no values to filter", p.attr.name)));
            };
            let mut hit = false;
            for item in items.iter_mut().filter(|i| matches(i, filter, &inner_exact)) {
                hit = true;
                match (sub.as_ref().or(p.sub.as_ref()), &value) {
                    (Some(s), v) => {
                        let inner = object(item)?;
                        let k = key_of(inner, s);
                        inner.insert(k, v.clone());
                    }
                    (None, Value::Object(fields)) => {
                        let inner = object(item)?;
                        for (k, v) in fields {
                            let k = key_of(inner, k);
                            inner.insert(k, v.clone());
                        }
                    }
                    (None, v) => *item = v.clone(),
                }
            }
            if !hit {
                return Err(ScimError::bad("noTarget", format!("no value of {} matches the filter", p.attr.name)));
            }
        }
    }
    Ok(())
}

fn remove(
    resource: &mut Value,
    p: &PatchPath,
    value: Option<&Value>,
    case_exact: &dyn Fn(&str) -> bool,
) -> Result<(), ScimError> {
    guard(p)?;
    let Some(root) = container(resource, p, false)? else { return Ok(()) };
    let key = key_of(root, &p.attr.name);
    let inner_exact = |k: &str| case_exact(&format!("{}.{k}", p.attr.name.to_lowercase()));
    match (&p.filter, &p.attr.sub) {
        (None, None) => match (root.get_mut(&key), value) {
            // Entra ID removes members by value: {"op":"remove","path":"members","value":[{"value":"…"}]}
            (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                let ids: Vec<&Value> = gone.iter().filter_map(|g| get_ci(g, "value")).collect();
                items.retain(|i| !get_ci(i, "value").is_some_and(|v| ids.contains(&v)));
            }
            _ => {
                root.remove(&key);
            }
        },
        (None, Some(sub)) => {
            if let Some(Value::Object(inner)) = root.get_mut(&key) {
                let k = key_of(inner, sub);
                inner.remove(&k);
            }
        }
        (Some(filter), _) => {
            if let Some(Value::Array(items)) = root.get_mut(&key) {
                match &p.sub {
                    Some(sub) => {
                        for item in items.iter_mut().filter(|i| matches(i, filter, &inner_exact)) {
                            if let Value::Object(inner) = item {
                                let k = key_of(inner, sub);
                                inner.remove(&k);
                            }
                        }
                    }
                    None => items.retain(|i| !matches(i, filter, &inner_exact)),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(ops: Value) -> Value {
        json!({ "schemas": [PATCH_SCHEMA], "Operations": ops })
    }

    fn never(_: &str) -> bool {
        false
    }

    #[test]
    fn okta_and_entra_shapes() {
        let mut user = json!({
            "userName": "a@x.test", "active": true, "displayName": "A",
            "name": { "givenName": "A" },
            "emails": [{ "value": "a@x.test", "type": "work", "primary": true }],
        });
        // Okta: replace without a path.
        apply(&mut user, &op(json!([{ "op": "replace", "value": { "active": false } }])), &never).unwrap();
        assert_eq!(user["active"], false);
        // Entra ID: replace with paths, including a filtered one and a sub-attribute.
        apply(
            &mut user,
            &op(json!([
                { "op": "Replace", "path": "name.familyName", "value": "Doe" },
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@x.test" },
                { "op": "Add", "path": "displayName", "value": "Alex Doe" },
            ])),
            &never,
        )
        .unwrap();
        assert_eq!(
            (user["name"]["familyName"].as_str(), user["displayName"].as_str()),
            (Some("Doe"), Some("Alex Doe"))
        );
        // Removing group members, filtered (Okta) and by value (Entra ID).
        let mut group = json!({ "members": [{ "value": "US1" }, { "value": "US2" }, { "value": "US3" }] });
        apply(&mut group, &op(json!([{ "op": "remove", "path": "members[value eq \"US1\"]" }])), &never).unwrap();
        apply(&mut group, &op(json!([{ "op": "remove", "path": "members", "value": [{ "value": "US3" }] }])), &never)
            .unwrap();
        assert_eq!(group["members"], json!([{ "value": "US2" }]));
        apply(&mut group, &op(json!([{ "op": "add", "path": "members", "value": [{ "value": "US4" }] }])), &never)
            .unwrap();
        assert_eq!(group["members"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn enterprise_attributes_are_set_in_the_extension_object() {
        let mut user = json!({ "userName": "a@x.test" });
        let department = format!("{ENTERPRISE_SCHEMA}:department");
        apply(&mut user, &op(json!([{ "op": "Add", "path": department, "value": "Sales" }])), &never).unwrap();
        apply(
            &mut user,
            &op(json!([{ "op": "replace", "value": { ENTERPRISE_SCHEMA: { "employeeNumber": "42" }, "title": "Rep" } }])),
            &never,
        )
        .unwrap();
        assert_eq!(user[ENTERPRISE_SCHEMA], json!({ "department": "Sales", "employeeNumber": "42" }));
        assert_eq!(user["title"], "Rep");
        apply(&mut user, &op(json!([{ "op": "remove", "path": department }])), &never).unwrap();
        assert_eq!(user[ENTERPRISE_SCHEMA], json!({ "employeeNumber": "42" }));
        let whole = op(json!([{ "op": "replace", "path": ENTERPRISE_SCHEMA, "value": { "division": "EMEA" } }]));
        apply(&mut user, &whole, &never).unwrap();
        assert_eq!(user[ENTERPRISE_SCHEMA], json!({ "employeeNumber": "42", "division": "EMEA" }));
        apply(&mut user, &op(json!([{ "op": "remove", "path": ENTERPRISE_SCHEMA }])), &never).unwrap();
        assert!(user.get(ENTERPRISE_SCHEMA).is_none());
        // Entra ID adds a phone number it has not sent before through its filter.
        let phone = op(json!([{ "op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "555" }]));
        apply(&mut user, &phone, &never).unwrap();
        assert_eq!(user["phoneNumbers"], json!([{ "type": "work", "value": "555" }]));
        apply(&mut user, &phone, &never).unwrap();
        assert_eq!(user["phoneNumbers"], json!([{ "type": "work", "value": "555" }]), "then it sets it");
        let other = op(json!([{ "op": "add", "path": "urn:example:ext:color", "value": "red" }]));
        assert_eq!(apply(&mut user, &other, &never).unwrap_err().scim_type, Some("invalidPath"));
    }

    #[test]
    fn bad_requests_are_refused_with_their_scim_type() {
        let mut user = json!({ "userName": "a@x.test" });
        let cases = [
            (json!({ "Operations": [] }), "invalidSyntax"),
            (op(json!([])), "invalidSyntax"),
            (op(json!([{ "op": "move", "path": "active" }])), "invalidSyntax"),
            (op(json!([{ "op": "remove" }])), "noTarget"),
            (op(json!([{ "op": "replace", "path": "id", "value": "US1" }])), "mutability"),
            (op(json!([{ "op": "replace", "path": "emails[type eq", "value": "x" }])), "invalidPath"),
            (op(json!([{ "op": "replace", "value": 3 }])), "invalidValue"),
            (op(json!([{ "op": "replace", "path": "emails[type eq \"home\"].value", "value": "x" }])), "noTarget"),
        ];
        for (request, expected) in cases {
            let e = apply(&mut user, &request, &never).unwrap_err();
            assert_eq!(e.scim_type, Some(expected), "{request}");
        }
    }
}
