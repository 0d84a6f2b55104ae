//! Multi-touch attribution (DESIGN.md §7): who gets the credit for a won deal, and how much of
//! its money.
//!
//! - [`journey`]: journeys of touchpoints with their outcome, read from ChannelAttribution's
//!   path format (`path`, `total_conversions`, `total_conversion_value`, `total_null`) or built
//!   by the caller from opportunities and their touchpoints.
//! - [`money`]: splitting an amount in minor units by weights so that the parts sum exactly.
//! - [`rules`]: the rule models: first, last, linear, time-decay, position-based U and W.
//! - [`markov`]: Markov removal effects of order 1 to 4, solved exactly.
//! - [`shapley`]: Shapley values in the conversion-rate game, exact for up to 12 channels a
//!   journey and sampled with a stated error bound beyond.
//! - [`Model`]: any of them with its parameters, run the same way.
//! - [`Attribution`]: per channel, attributed conversions and attributed value.
//!
//! Pure: no clock, no files, no environment. The caller reads the bytes and keeps the results.

pub mod journey;
pub mod markov;
pub mod model;
pub mod money;
mod read;
pub mod rules;
pub mod shapley;

pub use journey::{Channel, Journey, Journeys, ReadError};
pub use model::{Details, Model, ModelError, Outcome};
pub use rules::{RuleError, RuleModel};

/// What a model credits each channel with.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Channel names, in the order of [`Journeys::channels`].
    pub channels: Vec<String>,
    /// Attributed conversions per channel (fractions of conversions); they sum to the
    /// conversions of the journeys, up to floating-point rounding.
    pub conversions: Vec<f64>,
    /// Attributed value per channel in minor units; they sum exactly to the journeys' value.
    pub value: Vec<i64>,
}

impl Attribution {
    /// Rows (channel, conversions, value) in channel order.
    pub fn rows(&self) -> impl Iterator<Item = (&str, f64, i64)> + '_ {
        self.channels
            .iter()
            .zip(&self.conversions)
            .zip(&self.value)
            .map(|((c, n), v)| (c.as_str(), *n, *v))
    }
}
