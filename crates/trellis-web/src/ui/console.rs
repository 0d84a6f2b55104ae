//! The vendor console (`/console`). Every handler takes a [`VendorSession`], so a partner user
//! can never reach one (they are redirected to the portal).
//!
//! [`VendorSession`]: super::session::VendorSession

mod applications;
mod attribution;
mod audit;
mod cosell;
mod crm;
mod dashboard;
mod deals;
mod engagement;
mod ipp;
mod jobs;
mod metrics;
mod onboarding;
mod partner;
mod partners;
mod program;
mod surveys;
mod users;
mod webhooks;

use trellis_service::platform::PageRequest;
use trellis_service::platform::users::User;

use super::book::RouteBook;
use super::error::PageResult;
use super::session::VendorSession;
use super::tokens;

pub(crate) fn routes(book: RouteBook) -> RouteBook {
    let book = book.get("/console", dashboard::show);
    let book = users::routes(partner::routes(partners::routes(book)));
    let book = ipp::routes(program::routes(applications::routes(book)));
    let book = cosell::routes(deals::routes(crm::routes(onboarding::routes(book))));
    let book = attribution::routes(book);
    let book = surveys::routes(metrics::routes(book));
    let book = crate::ui::mapping::routes::<VendorSession>(book, &crate::ui::mapping::CONSOLE);
    let book =
        tokens::routes::<VendorSession>(book, "/console/tokens", "/console/tokens/{id}/revoke");
    jobs::routes(audit::routes(webhooks::routes(book)))
}

/// The vendor's users (the first 200 by name): owner choices and owners' names.
async fn vendor_users(s: &VendorSession) -> PageResult<Vec<User>> {
    let vendor = s.services.vendor_org().await?.map(|o| o.id);
    let page = PageRequest {
        cursor: None,
        limit: Some(200),
    };
    Ok(s.services.list_users(&s.actor, vendor, &page).await?.items)
}
