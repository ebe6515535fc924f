//! What every SCIM list shares: the query (RFC names and Twilio's `PageSize`/`Page`) or a
//! `/.search` body, then filter, sort, page and project the resources into a ListResponse.

use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::scim_filter::users::{UserCondition, UserQuery, user_condition, user_order};
use gatehouse_domain::scim_filter::{Filter, ParseError, get_ci, matches, parse_filter, parse_patch_path};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{LIST_SCHEMA, MAX_RESULTS, SEARCH_SCHEMA, ScimError, scim_json};

/// The query of a list (RFC names and Twilio's `PageSize`/`Page`).
#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    #[serde(rename = "sortBy")]
    sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    sort_order: Option<String>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
    #[serde(rename = "PageSize")]
    page_size: Option<String>,
    #[serde(rename = "Page")]
    page: Option<String>,
    /// Twilio's opaque cursor: here, the start index of the page it points to.
    #[serde(rename = "PageToken")]
    page_token: Option<String>,
}

fn number(raw: Option<&str>, field: &str) -> Result<Option<i64>, ScimError> {
    raw.map(|r| {
        r.trim().parse::<i64>().map_err(|_| ScimError::bad("invalidValue", format!("{field} must be an integer")))
    })
    .transpose()
}

fn list_of(raw: Option<&str>) -> Vec<String> {
    raw.map(|r| r.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()).unwrap_or_default()
}

/// A list request, from a query or a `/.search` body.
pub(crate) struct Search {
    filter: Option<Filter>,
    start: usize,
    count: usize,
    sort_by: Option<String>,
    descending: bool,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl Search {
    pub(crate) fn from_query(q: &ListQuery) -> Result<Search, ScimError> {
        let page_size = number(q.page_size.as_deref(), "PageSize")?;
        let page = number(q.page.as_deref(), "Page")?;
        let count = number(q.count.as_deref(), "count")?.or(page_size);
        let start = number(q.start_index.as_deref(), "startIndex")?
            .or(number(q.page_token.as_deref(), "PageToken")?)
            .or_else(|| page.zip(page_size).map(|(p, s)| p * s + 1));
        Search::new(
            q.filter.as_deref(),
            start,
            count,
            q.sort_by.clone(),
            q.sort_order.as_deref(),
            list_of(q.attributes.as_deref()),
            list_of(q.excluded_attributes.as_deref()),
        )
    }

    fn new(
        filter: Option<&str>,
        start: Option<i64>,
        count: Option<i64>,
        sort_by: Option<String>,
        sort_order: Option<&str>,
        attributes: Vec<String>,
        excluded: Vec<String>,
    ) -> Result<Search, ScimError> {
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(|f| parse_filter(f).map_err(|e| ScimError::bad("invalidFilter", e.0)))
            .transpose()?;
        let descending = match sort_order.map(str::to_ascii_lowercase).as_deref() {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(other) => {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!("sortOrder {other:?} is not ascending or descending"),
                ));
            }
        };
        if let Some(s) = &sort_by {
            parse_patch_path(s).map_err(|e| ScimError::bad("invalidPath", e.0))?;
        }
        Ok(Search {
            filter,
            start: start.unwrap_or(1).max(1) as usize,
            count: count.unwrap_or(100).clamp(0, MAX_RESULTS as i64) as usize,
            sort_by,
            descending,
            attributes,
            excluded,
        })
    }
}

fn sort_value(resource: &Value, path: &str, case_exact: &dyn Fn(&str) -> bool) -> Option<String> {
    let p = parse_patch_path(path).ok()?;
    let top = get_ci(resource, &p.attr.name)?;
    let v = match (&p.attr.sub, top) {
        (Some(sub), Value::Array(items)) => items.first().and_then(|i| get_ci(i, sub)),
        (Some(sub), other) => get_ci(other, sub),
        (None, Value::Array(items)) => items.first().map(|i| get_ci(i, "value").unwrap_or(i)),
        (None, other) => Some(other),
    }?;
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    };
    Some(if case_exact(&p.attr.key()) { s } else { s.to_ascii_lowercase() })
}

/// Keeps only the asked attributes (always `id` and `schemas`), or drops the excluded ones.
fn project(mut resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Some(object) = resource.as_object_mut() else { return resource };
    if !attributes.is_empty() {
        let keep = |k: &str| {
            k == "id"
                || k == "schemas"
                || attributes.iter().any(|a| {
                    let top = a.rsplit(':').next().unwrap_or(a).split('.').next().unwrap_or(a);
                    top.eq_ignore_ascii_case(k)
                })
        };
        object.retain(|k, _| keep(k));
    }
    for e in excluded {
        let top = e.rsplit(':').next().unwrap_or(e);
        match top.split_once('.') {
            Some((attr, sub)) => {
                if let Some(Value::Object(inner)) =
                    object.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v)
                {
                    inner.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                }
            }
            None if !top.eq_ignore_ascii_case("id") => object.retain(|k, _| !k.eq_ignore_ascii_case(top)),
            None => {}
        }
    }
    resource
}

impl Search {
    /// A `/.search` request body.
    pub(crate) fn from_body(body: &Value) -> Result<Search, ScimError> {
        let schemas = get_ci(body, "schemas").and_then(Value::as_array);
        if !schemas.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(SEARCH_SCHEMA))) {
            return Err(ScimError::bad("invalidSyntax", format!("a search lists the schema {SEARCH_SCHEMA}")));
        }
        let int = |k: &str| {
            get_ci(body, k)
                .map(|v| v.as_i64().ok_or_else(|| ScimError::bad("invalidValue", format!("{k} must be an integer"))))
                .transpose()
        };
        let strings = |k: &str| -> Vec<String> {
            get_ci(body, k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        Search::new(
            get_ci(body, "filter").and_then(Value::as_str),
            int("startIndex")?,
            int("count")?,
            get_ci(body, "sortBy").and_then(Value::as_str).map(str::to_owned),
            get_ci(body, "sortOrder").and_then(Value::as_str),
            strings("attributes"),
            strings("excludedAttributes"),
        )
    }

    /// Filters, sorts, pages and projects `resources` into a ListResponse (which always has
    /// `Resources`, as Twilio's SDK needs).
    pub(crate) fn answer(&self, resources: Vec<Value>, case_exact: &dyn Fn(&str) -> bool) -> Response {
        let mut resources: Vec<Value> =
            resources.into_iter().filter(|r| self.filter.as_ref().is_none_or(|f| matches(r, f, case_exact))).collect();
        if let Some(by) = &self.sort_by {
            resources.sort_by(|a, b| {
                let (x, y) = (sort_value(a, by, case_exact), sort_value(b, by, case_exact));
                match (&x, &y) {
                    (Some(x), Some(y)) if self.descending => y.cmp(x),
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                }
            });
        }
        let total = resources.len();
        let page = resources.into_iter().skip(self.start - 1).take(self.count).collect();
        self.respond(page, total as u64)
    }

    /// The store's query for this list of Users: the filter resolved against where each User
    /// attribute is stored, the order, and the page.
    pub(crate) fn user_query(&self) -> Result<UserQuery, ScimError> {
        let invalid = |e: ParseError| ScimError::bad("invalidFilter", e.0);
        let condition = match &self.filter {
            Some(f) => user_condition(f).map_err(invalid)?,
            None => UserCondition::Always(true),
        };
        let order = match &self.sort_by {
            Some(by) => user_order(by).map_err(|e| ScimError::bad("invalidPath", e.0))?,
            None => None,
        };
        Ok(UserQuery {
            condition,
            order,
            descending: self.descending,
            offset: (self.start - 1) as u64,
            limit: self.count as u64,
        })
    }

    /// A ListResponse of one page of resources out of `total` (always with `Resources`, as
    /// Twilio's SDK needs), each projected to the asked attributes.
    pub(crate) fn respond(&self, page: Vec<Value>, total: u64) -> Response {
        let page: Vec<Value> = page.into_iter().map(|r| project(r, &self.attributes, &self.excluded)).collect();
        let body = json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": self.start,
            "itemsPerPage": page.len(),
            "Resources": page,
        });
        scim_json(StatusCode::OK, &body)
    }
}
