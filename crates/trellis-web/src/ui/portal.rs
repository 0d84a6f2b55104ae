//! The partner portal (`/portal`). Every handler takes a [`PartnerSession`], which carries the
//! partner's scope; the services answer 404 for another organisation's ids, which these pages
//! show as the 404 page.
//!
//! [`PartnerSession`]: super::session::PartnerSession

mod dashboard;
mod org;
mod users;

use super::book::RouteBook;
use super::session::PartnerSession;
use super::tokens;

pub(crate) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/portal", dashboard::show)
        .get("/portal/org", org::show);
    let book = users::routes(book);
    tokens::routes::<PartnerSession>(book, "/portal/tokens", "/portal/tokens/{id}/revoke")
}
