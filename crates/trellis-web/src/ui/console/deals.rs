//! Deal registrations on the vendor's side: the approval queue with its SLA clocks, a
//! registration's review (candidate conflicts with scores and reasons, the rules' advice,
//! decisions, disputes, extensions, conversion) and the rules of engagement editor with its
//! version history. The queue and the review page stay live (`assets/live.js`).

mod queue;
mod review;
mod rules;

use super::super::book::RouteBook;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    let book = book
        .get("/console/deals", queue::index)
        .get("/console/deals/live", queue::live);
    rules::routes(review::routes(book))
}
