//! What every SCIM list shares: the query (RFC names and Twilio's `PageSize`/`Page`) or a
//! `/.search` body, resolved into the store's query (filter, order and page, all answered in
//! SQL), then the page projected into a ListResponse; and the projection (`attributes`,
//! `excludedAttributes`) every answer follows.

use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_domain::scim_filter::groups::{GroupQuery, group_condition, group_order};
use gatehouse_domain::scim_filter::stored::{Condition, Order, Query};
use gatehouse_domain::scim_filter::users::{UserQuery, user_condition, user_order};
use gatehouse_domain::scim_filter::{Filter, ParseError, get_ci, parse_filter, parse_patch_path};
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
    projection: Projection,
}

/// Which attributes an answer shows (RFC 7644 §3.9: `attributes`, `excludedAttributes`).
#[derive(Deserialize, Default, Debug, Clone)]
pub(crate) struct Projection {
    #[serde(default, deserialize_with = "comma_list")]
    attributes: Vec<String>,
    #[serde(default, rename = "excludedAttributes", deserialize_with = "comma_list")]
    excluded: Vec<String>,
}

fn comma_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(list_of(Option::<String>::deserialize(d)?.as_deref()))
}

/// The attribute an `attributes` entry names at the top of the resource (`members` of
/// `members.value`, `name` of `urn:…:User:name.givenName`).
fn top_of(a: &str) -> &str {
    let a = a.rsplit(':').next().unwrap_or(a);
    a.split('.').next().unwrap_or(a)
}

impl Projection {
    /// Whether the answer shows the top-level attribute `name` (so whether it must be read).
    pub(crate) fn shows(&self, name: &str) -> bool {
        let asked = self.attributes.is_empty() || self.attributes.iter().any(|a| top_of(a).eq_ignore_ascii_case(name));
        asked && !self.excluded.iter().any(|e| e.rsplit(':').next().unwrap_or(e).eq_ignore_ascii_case(name))
    }

    /// Whether the request named any attribute to show or leave out.
    pub(crate) fn is_given(&self) -> bool {
        !self.attributes.is_empty() || !self.excluded.is_empty()
    }

    /// Keeps only the asked attributes (always `id` and `schemas`), or drops the excluded ones.
    pub(crate) fn apply(&self, resource: Value) -> Value {
        project(resource, &self.attributes, &self.excluded)
    }
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
            Projection {
                attributes: list_of(q.attributes.as_deref()),
                excluded: list_of(q.excluded_attributes.as_deref()),
            },
        )
    }

    fn new(
        filter: Option<&str>,
        start: Option<i64>,
        count: Option<i64>,
        sort_by: Option<String>,
        sort_order: Option<&str>,
        projection: Projection,
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
            projection,
        })
    }
}

/// Keeps only the asked attributes (always `id` and `schemas`), or drops the excluded ones.
fn project(mut resource: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Some(object) = resource.as_object_mut() else { return resource };
    if !attributes.is_empty() {
        let keep =
            |k: &str| k == "id" || k == "schemas" || attributes.iter().any(|a| top_of(a).eq_ignore_ascii_case(k));
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
            Projection { attributes: strings("attributes"), excluded: strings("excludedAttributes") },
        )
    }

    /// The store's query for this list of Users: the filter resolved against where each User
    /// attribute is stored, the order, and the page.
    pub(crate) fn user_query(&self) -> Result<UserQuery, ScimError> {
        self.query(user_condition, user_order)
    }

    /// The store's query for this list of Groups.
    pub(crate) fn group_query(&self) -> Result<GroupQuery, ScimError> {
        self.query(group_condition, group_order)
    }

    /// Whether the answer shows `name` (so whether it must be read).
    pub(crate) fn shows(&self, name: &str) -> bool {
        self.projection.shows(name)
    }

    fn query<C>(
        &self,
        condition: fn(&Filter) -> Result<Condition<C>, ParseError>,
        order: fn(&str) -> Result<Option<Order<C>>, ParseError>,
    ) -> Result<Query<C>, ScimError> {
        let condition = match &self.filter {
            Some(f) => condition(f).map_err(|e| ScimError::bad("invalidFilter", e.0))?,
            None => Condition::Always(true),
        };
        let order = match &self.sort_by {
            Some(by) => order(by).map_err(|e| ScimError::bad("invalidPath", e.0))?,
            None => None,
        };
        Ok(Query {
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
        let page: Vec<Value> = page.into_iter().map(|r| self.projection.apply(r)).collect();
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
