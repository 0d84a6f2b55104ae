//! The vendor console (`/console`). Every handler takes a [`VendorSession`], so a partner user
//! can never reach one (they are redirected to the portal).
//!
//! [`VendorSession`]: super::session::VendorSession

mod audit;
mod dashboard;
mod jobs;
mod partners;
mod users;
mod webhooks;

use super::book::RouteBook;
use super::session::VendorSession;
use super::tokens;

pub(crate) fn routes(book: RouteBook) -> RouteBook {
    let book = book.get("/console", dashboard::show);
    let book = users::routes(partners::routes(book));
    let book =
        tokens::routes::<VendorSession>(book, "/console/tokens", "/console/tokens/{id}/revoke");
    jobs::routes(audit::routes(webhooks::routes(book)))
}
