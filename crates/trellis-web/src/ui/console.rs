//! The vendor console (`/console`). Every handler takes a [`VendorSession`], so a partner user
//! can never reach one (they are redirected to the portal).
//!
//! [`VendorSession`]: super::session::VendorSession

mod applications;
mod audit;
mod dashboard;
mod ipp;
mod jobs;
mod onboarding;
mod partner;
mod partners;
mod program;
mod users;
mod webhooks;

use super::book::RouteBook;
use super::session::VendorSession;
use super::tokens;

pub(crate) fn routes(book: RouteBook) -> RouteBook {
    let book = book.get("/console", dashboard::show);
    let book = users::routes(partner::routes(partners::routes(book)));
    let book = ipp::routes(program::routes(applications::routes(book)));
    let book = onboarding::routes(book);
    let book =
        tokens::routes::<VendorSession>(book, "/console/tokens", "/console/tokens/{id}/revoke");
    jobs::routes(audit::routes(webhooks::routes(book)))
}
