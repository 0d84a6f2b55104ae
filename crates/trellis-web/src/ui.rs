//! Server-rendered pages: the public sign-in pages, the vendor console (`/console`) and the
//! partner portal (`/portal`).
//!
//! Handlers parse, call one use case and render an askama template; they never check
//! permissions themselves (the services do) and never build HTML in Rust. The session extractors
//! in [`session`] are the type-level gate: a console handler takes a `VendorSession`, a portal
//! handler a `PartnerSession`, and neither can obtain the other side's actor. Every route is
//! registered through a [`RouteBook`], which also lists it, so the isolation suite's catalog
//! ([`portal_pages`]) cannot miss a route.

mod assets;
mod book;
mod chart;
mod console;
mod cosell;
mod csrf;
mod deal_view;
mod download;
mod error;
mod flash;
mod form;
mod live;
mod mapping;
mod portal;
mod profile_form;
mod public;
mod session;
mod tokens;
pub(crate) mod uploads;
mod user_actions;
mod view;

use axum::Router;
use axum::middleware;
use axum::routing::any;

pub use book::PageRoute;
use book::RouteBook;

use crate::state::AppState;

/// Every page route, the stylesheet, and the flash-message layer.
pub fn routes() -> Router<AppState> {
    let book = portal::routes(console::routes(public::routes(RouteBook::new())));
    book.into_router()
        .route(assets::ROUTE, axum::routing::get(assets::serve))
        // Unknown pages under the two areas get the HTML 404 page rather than an empty body.
        .route("/console/{*rest}", any(error::not_found))
        .route("/portal/{*rest}", any(error::not_found))
        .layer(middleware::from_fn(flash::carry))
}

/// Every portal route (GET and POST), as registered: the catalog the isolation suite walks.
pub fn portal_pages() -> Vec<PageRoute> {
    portal::routes(RouteBook::new()).pages()
}

/// Every console route (GET and POST), as registered.
pub fn console_pages() -> Vec<PageRoute> {
    console::routes(RouteBook::new()).pages()
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn the_portal_catalog_lists_every_portal_route_and_nothing_else() {
        let pages = portal_pages();
        assert!(pages.iter().all(|p| p.path.starts_with("/portal")));
        for (method, path) in [
            (Method::GET, "/portal"),
            (Method::GET, "/portal/org"),
            (Method::GET, "/portal/users/{id}"),
            (Method::POST, "/portal/users/{id}/status"),
            (Method::POST, "/portal/tokens"),
            (Method::POST, "/portal/tokens/{id}/revoke"),
        ] {
            assert!(
                pages.contains(&PageRoute {
                    method: method.clone(),
                    path
                }),
                "{method} {path} missing"
            );
        }
        assert!(
            console_pages()
                .iter()
                .all(|p| p.path.starts_with("/console"))
        );
        assert!(
            console_pages()
                .iter()
                .any(|p| p.path == "/console/webhooks/{id}/replay")
        );
    }
}
