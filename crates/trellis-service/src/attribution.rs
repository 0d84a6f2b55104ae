//! Attribution (DESIGN.md §7): touchpoints on vendor opportunities and accounts, and recorded
//! runs of the attribution models over them.
//!
//! - [`touchpoints`]: what partners and other channels did on a deal. Trellis captures them
//!   from the records it holds (a converted registration is a *sourced* touch by its partner,
//!   an accepted co-sell request a *co-sell* touch), and people enter the rest (referrals,
//!   influence, marketplace deals, campaigns). Several partners may touch one deal.
//! - [`import`]: touchpoints from a CSV file, all rows or none.
//! - [`journeys`]: the closed opportunities of a data cut as journeys: their touches in time
//!   order, won (with its amount) or lost.
//! - [`fx`]: exchange rates into the reporting currency, kept by finance; a deal converts at
//!   the rate of its close date.
//! - [`runs`]: a model run records the model, its parameters, the data cut and the journeys it
//!   read, so a past report can be shown as it was, replayed with other parameters on the
//!   same data, and compared with another run.
//!
//! Who: vendor users with `attribution:read` see touchpoints and runs; `attribution:write`
//! records and removes touchpoints and runs models. Partners see none of it here (a partner
//! asking answers 404).

mod fx;
mod import;
mod journeys;
mod runs;
mod touchpoints;

pub(crate) use fx::RateTable;
pub use fx::{FxRate, FxRateInput};
pub use import::{MAX_ROWS, TouchpointImport};
pub use journeys::{Cut, CutSummary};
pub use runs::{ChannelFigure, Comparison, ComparisonRow, ModelParams, ModelRun, RunInput};
pub(crate) use touchpoints::Capture;
pub use touchpoints::{Touchpoint, TouchpointInput, TouchpointQuery};

/// Attribution is the vendor's: a partner asking, even with the permission, finds nothing.
fn vendor_with(actor: &crate::Actor, p: trellis_domain::Permission) -> crate::Result<()> {
    actor.require(p)?;
    if actor.is_vendor_side() {
        Ok(())
    } else {
        Err(crate::Error::NotFound)
    }
}
