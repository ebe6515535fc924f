//! Twilio's paging, for every list of the Twilio-compatible API: `PageToken` is the SID a page
//! starts after (prefixed `PA` on the 2010 API), `Page` the page's number. A page links to the
//! next page when one follows and to the previous one when it is not the first; the previous
//! page's token is read backwards from the page's own (`*_cursor_before` in the store), so pages
//! walked back are the pages walked forward.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::TwilioError;

/// Twilio's paging parameters, flattened into each list's query: `PageSize`, `Page` (the
/// page's number, shown back in links) and `PageToken` (where the page starts).
#[derive(Deserialize, Default)]
pub(crate) struct Paging {
    #[serde(rename = "PageSize")]
    page_size: Option<String>,
    #[serde(rename = "Page")]
    page: Option<String>,
    #[serde(rename = "PageToken")]
    page_token: Option<String>,
}

impl Paging {
    /// The page size asked for (50 when none); outside `1..=max` it is refused (20001).
    pub(crate) fn size(&self, max: u32) -> Result<u32, TwilioError> {
        match self.page_size.as_deref() {
            None => Ok(50),
            Some(s) => s.parse().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                TwilioError::new(StatusCode::BAD_REQUEST, 20001, format!("PageSize must be from 1 to {max}"))
            }),
        }
    }

    /// The page's number (0 when none or not a number).
    pub(crate) fn number(&self) -> u32 {
        self.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(0)
    }

    /// The token the page starts after, if one was sent.
    pub(crate) fn token(&self) -> Option<&str> {
        self.page_token.as_deref().filter(|t| !t.is_empty())
    }
}

/// Where the page before this one starts: `None` when this is the first page; `Some(None)` when
/// the page before is the first (no token); `Some(Some(sid))` after `sid`.
pub(crate) type Previous = Option<Option<String>>;

/// A "meta" page of the Organizations API and iam/v1: `{key: [...], "meta": {...}}` with
/// absolute links. `list` is the list's absolute URL with its filters (`…/v1/Keys?AccountSid=AC…`).
pub(crate) fn meta_page(
    key: &str,
    list: &str,
    size: u32,
    number: u32,
    items: Vec<Value>,
    next: Option<String>,
    previous: Previous,
) -> Value {
    let separator = if list.contains('?') { '&' } else { '?' };
    let url = |page: u32, token: Option<&str>| {
        let token = token.map(|t| format!("&PageToken={t}")).unwrap_or_default();
        format!("{list}{separator}PageSize={size}&Page={page}{token}")
    };
    let mut body = json!({
        "meta": {
            "key": key,
            "page": number,
            "page_size": size,
            "first_page_url": url(0, None),
            "previous_page_url": previous.map(|p| url(number.saturating_sub(1), p.as_deref())),
            "url": url(number, None),
            "next_page_url": next.as_deref().map(|t| url(number + 1, Some(t))),
        },
    });
    body[key] = Value::Array(items);
    body
}

/// One page of a list held whole in memory, in key order.
pub(crate) struct Window<'a, T> {
    pub items: &'a [T],
    pub next: Option<String>,
    pub previous: Previous,
}

/// The `size` items of `all` (sorted by `key`) after `token`, with the tokens of the pages
/// around them.
pub(crate) fn window<'a, T>(all: &'a [T], key: impl Fn(&T) -> &str, token: Option<&str>, size: usize) -> Window<'a, T> {
    let start = token.map_or(0, |t| all.partition_point(|i| key(i) <= t));
    let end = (start + size).min(all.len());
    let items = &all[start..end];
    let next = (end < all.len()).then(|| items.last().map(|i| key(i).to_owned())).flatten();
    let previous = (start > 0).then(|| {
        let first = start.saturating_sub(size);
        (first > 0).then(|| key(&all[first - 1]).to_owned())
    });
    Window { items, next, previous }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_links_the_pages_around_it() {
        let all = ["a", "b", "c", "d", "e"];
        fn key<'a>(s: &'a &str) -> &'a str {
            s
        }
        let first = window(&all, key, None, 2);
        assert_eq!((first.items, first.next.as_deref(), first.previous.clone()), (&all[..2], Some("b"), None));
        let second = window(&all, key, Some("b"), 2);
        assert_eq!(
            (second.items, second.next.as_deref(), second.previous.clone()),
            (&all[2..4], Some("d"), Some(None))
        );
        let third = window(&all, key, Some("d"), 2);
        assert_eq!((third.items, third.next, third.previous), (&all[4..], None, Some(Some("b".to_owned()))));
    }

    #[test]
    fn a_meta_page_links_back_except_on_the_first_page() {
        let page = meta_page("keys", "https://x/v1/Keys?AccountSid=AC1", 2, 2, vec![], None, Some(Some("SK2".into())));
        assert_eq!(
            page["meta"]["previous_page_url"],
            "https://x/v1/Keys?AccountSid=AC1&PageSize=2&Page=1&PageToken=SK2"
        );
        assert_eq!(page["keys"], json!([]));
        let first = meta_page("content", "https://x/Organizations/OR1/Accounts", 2, 0, vec![], None, None);
        assert_eq!(first["meta"]["previous_page_url"], Value::Null);
        assert_eq!(first["meta"]["first_page_url"], "https://x/Organizations/OR1/Accounts?PageSize=2&Page=0");
    }
}
