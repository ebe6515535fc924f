//! Keyset pagination and search for every list that can grow.

use serde::Serialize;

use crate::error::Error;

/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A request for one page: items after a cursor (a SID), optionally filtered by a search text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: u32,
    pub search: Option<String>,
}

impl PageRequest {
    /// Validates raw inputs: limit 1..=200 (default 50), search trimmed (empty = none).
    pub fn new(after: Option<String>, limit: Option<u32>, search: Option<String>) -> Result<Self, Error> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE_SIZE}")));
        }
        let after = after.filter(|a| !a.is_empty());
        if after.as_ref().is_some_and(|a| a.len() != 34 || !a.is_ascii()) {
            return Err(Error::invalid("after", "is not a cursor from a previous page"));
        }
        // Checked as sent: a search box sends no control characters, and PostgreSQL's text
        // cannot hold NUL.
        if search.as_ref().is_some_and(|s| s.chars().any(char::is_control)) {
            return Err(Error::invalid("q", "a search cannot contain control characters"));
        }
        let search = search.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
            return Err(Error::invalid("q", "search at most 100 characters"));
        }
        Ok(PageRequest { after, limit, search })
    }

    /// The first page of everything, at most `limit` items.
    pub fn first(limit: u32) -> Self {
        PageRequest { after: None, limit, search: None }
    }

    /// The search as a SQL `LIKE` pattern (with `\` as the escape character), lowercased: a
    /// substring test, for lists bounded by their owner (an organization's accounts, an
    /// account's keys or invitations).
    pub fn like_pattern(&self) -> Option<String> {
        self.search.as_ref().map(|s| {
            let s = s.to_lowercase();
            let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })
    }

    /// The search as a range of text, ASCII letters lowercased: `[from, to)` holds exactly the
    /// texts (folded alike) that start with it, in byte order, so an index on the folded column
    /// answers it (people lists, which grow with an organization: see ADR 0017).
    pub fn prefix_range(&self) -> Option<(String, String)> {
        self.search.as_ref().map(|s| {
            let from = s.to_ascii_lowercase();
            // U+10FFFF is the greatest code point, so `from` followed by anything sorts below it.
            let to = format!("{from}\u{10FFFF}");
            (from, to)
        })
    }

    /// How many rows a store should fetch: one more than the page, to know if another follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of results and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows, using `key` to make the next cursor.
    pub fn from_rows(mut rows: Vec<T>, req: &PageRequest, key: impl Fn(&T) -> String) -> Self {
        let limit = req.limit as usize;
        let next_after = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(key)
        } else {
            None
        };
        Page { items: rows, next_after }
    }

    /// Maps the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_after: self.next_after }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_are_rejected() {
        assert!(PageRequest::new(None, Some(0), None).is_err());
        assert!(PageRequest::new(None, Some(201), None).is_err());
        assert_eq!(PageRequest::new(None, None, None).map(|p| p.limit), Ok(50));
    }

    #[test]
    fn a_search_with_control_characters_is_refused() {
        assert!(PageRequest::new(None, None, Some("a\u{0}b".into())).is_err());
        assert!(PageRequest::new(None, None, Some("a\u{85}".into())).is_err());
        assert!(PageRequest::new(None, None, Some(" Ada ".into())).is_ok());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        let p = PageRequest::new(None, None, Some(" 50%_Off ".into())).unwrap();
        assert_eq!(p.like_pattern().as_deref(), Some("%50\\%\\_off%"));
    }

    #[test]
    fn a_prefix_range_holds_exactly_the_texts_that_start_with_the_search() {
        let p = PageRequest::new(None, None, Some(" Jo ".into())).unwrap();
        let (from, to) = p.prefix_range().unwrap();
        let within = |t: &str| t >= from.as_str() && t < to.as_str();
        for t in ["jo", "john", "jo\u{10FFFE}", "jo\u{FFFF}z"] {
            assert!(within(t), "{t:?}");
        }
        for t in ["j", "jn", "jp", "ajo", "Jo", "kz"] {
            assert!(!within(t), "{t:?}");
        }
        let unicode = PageRequest::new(None, None, Some("Åsa".into())).unwrap();
        assert_eq!(unicode.prefix_range().unwrap().0, "Åsa", "only ASCII letters fold, as in SQL on both engines");
        assert_eq!(PageRequest::first(5).prefix_range(), None);
    }

    #[test]
    fn a_page_knows_whether_another_follows() {
        let req = PageRequest::first(2);
        let p = Page::from_rows(vec![1, 2, 3], &req, |n| n.to_string());
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next_after.as_deref(), Some("2"));
        let p = Page::from_rows(vec![1, 2], &req, |n| n.to_string());
        assert_eq!(p.next_after, None);
    }
}
