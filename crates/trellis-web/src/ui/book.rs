//! `RouteBook`: adds page routes to the router and records each `(method, path)` as it does, so
//! the route catalog is built by the same code that registers the routes.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use crate::state::AppState;

/// One page route: its method and its path pattern (`/portal/users/{id}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRoute {
    /// `GET` or `POST`.
    pub method: Method,
    /// The path pattern as registered, with `{name}` placeholders.
    pub path: &'static str,
}

/// A router under construction, with the list of what it serves.
#[derive(Debug)]
pub(crate) struct RouteBook {
    router: Router<AppState>,
    pages: Vec<PageRoute>,
}

impl RouteBook {
    pub(crate) fn new() -> Self {
        Self {
            router: Router::new(),
            pages: Vec::new(),
        }
    }

    /// Adds a GET page.
    pub(crate) fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, get(handler))
    }

    /// Adds a POST form target.
    pub(crate) fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, post(handler))
    }

    /// Adds a POST target for a file upload. The request body limit is lifted for this route
    /// only: the handler reads the body itself and must enforce its own limit
    /// (`web.max_import_bytes`), which is configured at run time.
    pub(crate) fn post_upload<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(
            Method::POST,
            path,
            post(handler).layer(DefaultBodyLimit::disable()),
        )
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        // axum merges method routers registered on the same path, so GET and POST may be added
        // separately.
        self.router = self.router.route(path, route);
        self.pages.push(PageRoute { method, path });
        self
    }

    /// The routes recorded so far.
    pub(crate) fn pages(self) -> Vec<PageRoute> {
        self.pages
    }

    /// The router.
    pub(crate) fn into_router(self) -> Router<AppState> {
        self.router
    }
}
