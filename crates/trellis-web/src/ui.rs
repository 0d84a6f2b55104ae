//! Server-rendered pages: the vendor console, the partner portal and the public sign-in pages.

use axum::Router;

use crate::state::AppState;

/// Every page route.
pub fn routes() -> Router<AppState> {
    Router::new()
}
