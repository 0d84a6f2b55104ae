//! Keyset pagination: an opaque cursor holds the sort key and id of the last row returned.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Position after the last row of a page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort column's value of the last row (empty when ordering by id alone).
    pub key: String,
    /// The last row's id, the tie-breaker.
    pub id: Uuid,
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a client's cursor; `None` when it was not made by [`Cursor::encode`].
    pub fn decode(s: &str) -> Option<Self> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
    }
}

/// One page of rows and the cursor of the next page, if there is one.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where the next page starts.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(cursor_of)
        } else {
            None
        };
        Self { items: rows, next }
    }

    /// Maps the rows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            key: "Acme, Inc.".into(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor!"), None);
        assert_eq!(Cursor::decode("abc"), None);
    }

    #[test]
    fn a_page_has_a_next_cursor_only_when_more_rows_exist() {
        let cur = |i: &u8| Cursor {
            key: i.to_string(),
            id: Uuid::nil(),
        };
        let p = Page::from_rows(vec![1u8, 2, 3], 2, cur);
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(p.next.unwrap().key, "2");
        assert!(Page::from_rows(vec![1u8, 2], 2, cur).next.is_none());
    }
}
