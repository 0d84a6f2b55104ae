//! The partner portal (`/portal`). Every handler takes a [`PartnerSession`], which carries the
//! partner's scope; the services answer 404 for another organisation's ids, which these pages
//! show as the 404 page.
//!
//! [`PartnerSession`]: super::session::PartnerSession

mod agreement;
mod cosell;
mod dashboard;
mod deals;
mod figures;
mod mapping;
mod onboarding;
mod org;
mod surveys;
mod tier;
mod users;

use super::book::RouteBook;
use super::session::PartnerSession;
use super::tokens;

pub(crate) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/portal", dashboard::show)
        .get("/portal/org", org::show)
        .post("/portal/org", org::update)
        .get("/portal/onboarding", onboarding::show)
        .post("/portal/onboarding-tasks/{id}", onboarding::set_task)
        .get("/portal/agreement", agreement::show)
        .post("/portal/agreements/{id}/accept", agreement::accept)
        .get("/portal/tier", tier::show)
        .get("/portal/figures", figures::show)
        .get("/portal/surveys", surveys::index)
        .get("/portal/surveys/{id}", surveys::show)
        .post("/portal/surveys/{id}", surveys::answer);
    let book = cosell::routes(deals::routes(users::routes(book)));
    let book = crate::ui::mapping::routes::<PartnerSession>(
        mapping::routes(book),
        &crate::ui::mapping::PORTAL,
    );
    tokens::routes::<PartnerSession>(book, "/portal/tokens", "/portal/tokens/{id}/revoke")
}
