//! Shapes shared by the API modules: list envelopes, paging parameters, instants.

use serde::{Deserialize, Serialize};
use trellis_domain::Timestamp;
use trellis_service::platform::PageRequest;
use utoipa::{IntoParams, ToSchema};

/// Paging parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<usize>,
}

impl From<&Paging> for PageRequest {
    fn from(p: &Paging) -> Self {
        PageRequest {
            cursor: p.cursor.clone(),
            limit: p.limit,
        }
    }
}

/// RFC 3339 UTC.
pub fn instant(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// Optional RFC 3339 UTC.
pub fn instant_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent stays `None` (leave the
/// field alone), `null` becomes `Some(None)` (clear it), a value `Some(Some(v))`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Declares `$name { items: Vec<$item>, next_cursor }` for one list route.
macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// One page of results.
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// Converts a service page.
            pub fn from_page<T>(page: trellis_service::Page<T>, f: impl FnMut(T) -> $item) -> Self {
                Self {
                    items: page.items.into_iter().map(f).collect(),
                    next_cursor: page.next.map(|c| c.encode()),
                }
            }
        }
    };
}
pub(crate) use list_type;

/// `{"ok": true}` style acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ack {
    /// Always true.
    pub ok: bool,
}
