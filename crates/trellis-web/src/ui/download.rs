//! Files the pages offer for download.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A CSV file to save as `filename` (the caller neutralises its cells).
pub(crate) fn csv(filename: &str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}
