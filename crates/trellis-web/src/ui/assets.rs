//! The embedded stylesheet, icon and scripts, served at content-hashed names with a year-long cache
//! lifetime: a new build changes the name, so browsers never keep a stale copy.

use std::fmt::Write as _;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use super::error::PageError;

/// The route serving every asset.
pub(crate) const ROUTE: &str = "/assets/{file}";

const CSS: &str = include_str!("../../assets/trellis.css");
const ICON: &str = include_str!("../../assets/icon.svg");
const PROGRESS: &str = include_str!("../../assets/progress.js");
const LIVE: &str = include_str!("../../assets/live.js");
const DEAL_CHECK: &str = include_str!("../../assets/deal-check.js");

struct Asset {
    url: String,
    body: &'static str,
    content_type: &'static str,
}

fn hashed(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Asset {
    let digest = Sha256::digest(body.as_bytes());
    let short = digest.iter().take(6).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    Asset {
        url: format!("/assets/{stem}-{short}.{ext}"),
        body,
        content_type,
    }
}

static ASSETS: LazyLock<[Asset; 5]> = LazyLock::new(|| {
    [
        hashed("trellis", "css", CSS, "text/css; charset=utf-8"),
        hashed("icon", "svg", ICON, "image/svg+xml"),
        hashed("progress", "js", PROGRESS, "text/javascript; charset=utf-8"),
        hashed("live", "js", LIVE, "text/javascript; charset=utf-8"),
        hashed(
            "deal-check",
            "js",
            DEAL_CHECK,
            "text/javascript; charset=utf-8",
        ),
    ]
});

/// The stylesheet's current URL.
pub(crate) fn css_url() -> &'static str {
    &ASSETS[0].url
}

/// The icon's current URL.
pub(crate) fn icon_url() -> &'static str {
    &ASSETS[1].url
}

/// The URL of the script that follows a running job (a CSV import, an account mapping).
pub(crate) fn progress_url() -> &'static str {
    &ASSETS[2].url
}

/// The URL of the script that keeps deal pages live.
pub(crate) fn live_url() -> &'static str {
    &ASSETS[3].url
}

/// The URL of the script that checks a deal for conflicts while the partner types.
pub(crate) fn deal_check_url() -> &'static str {
    &ASSETS[4].url
}

/// Serves an asset by its hashed name; any other name is a 404.
pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = ASSETS
        .iter()
        .find(|a| a.url.rsplit('/').next() == Some(file.as_str()))
    else {
        return PageError::not_found_page().into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_carry_a_content_hash() {
        assert!(css_url().starts_with("/assets/trellis-"));
        let ext = |u: &str| {
            std::path::Path::new(u)
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
        };
        assert_eq!(ext(css_url()).as_deref(), Some("css"));
        assert_eq!(css_url().len(), "/assets/trellis-.css".len() + 12);
        assert_eq!(ext(icon_url()).as_deref(), Some("svg"));
        for script in [progress_url(), live_url(), deal_check_url()] {
            assert_eq!(ext(script).as_deref(), Some("js"));
        }
    }
}
