//! Attribution: touchpoints on opportunities and accounts, recorded model runs, and the
//! exchange rates that bring deals into the reporting currency.

pub mod fx;
pub mod runs;
pub mod touchpoints;
