//! Attribution: the touchpoints partners (and other channels) leave on vendor opportunities and
//! accounts, from which the attribution models of `trellis-attribution` apportion revenue.
//!
//! Pure: the kinds of touch, where a touchpoint came from, and what a channel label may be.
//! The service checks the records a touchpoint points at.

use std::fmt;
use std::str::FromStr;

use crate::orgs::string_enum;

string_enum!(
    /// What a partner (or channel) did on a deal.
    TouchpointKind {
        /// Brought the deal: a converted registration, or entered as sourced.
        Sourced = "sourced" / "Sourced",
        /// Referred the customer without working the deal.
        Referral = "referral" / "Referral",
        /// Worked the deal with the vendor's rep (an accepted co-sell request).
        CoSell = "co_sell" / "Co-sell",
        /// Influenced the buying decision (a reference, a demo, an integration).
        Influence = "influence" / "Influence",
        /// The deal was transacted through a marketplace listing.
        Marketplace = "marketplace" / "Marketplace",
        /// A campaign reached the buyer.
        Campaign = "campaign" / "Campaign",
    }
);

string_enum!(
    /// Where a touchpoint came from.
    TouchpointOrigin {
        /// Captured when a partner's registration became the opportunity.
        Registration = "registration" / "Deal registration",
        /// Captured when a partner accepted a co-sell request on the opportunity.
        CoSell = "co_sell" / "Co-sell request",
        /// Entered by a person.
        Manual = "manual" / "Entered",
        /// Imported from a file or an integration.
        Import = "import" / "Imported",
        /// Derived, when touchpoints arrived, from the partners already on opportunities.
        Backfill = "backfill" / "Earlier partner role",
    }
);

impl TouchpointOrigin {
    /// True for touchpoints Trellis captured itself (from a record it holds), as opposed to
    /// those a person or a file brought.
    pub const fn is_captured(self) -> bool {
        matches!(self, Self::Registration | Self::CoSell | Self::Backfill)
    }
}

/// The longest channel label, in characters.
pub const CHANNEL_MAX: usize = 80;

/// Checks a channel label (a touch by something other than a partner: `AWS Marketplace`,
/// `Spring webinar`): trimmed, not blank, at most [`CHANNEL_MAX`] characters, and without
/// ` > `, which separates touches in a journeys file.
pub fn check_channel(label: &str) -> Result<String, &'static str> {
    let label = label.trim();
    if label.is_empty() {
        return Err("name the partner or the channel");
    }
    if label.chars().count() > CHANNEL_MAX {
        return Err("at most 80 characters");
    }
    if label.contains('>') || label.chars().any(char::is_control) {
        return Err("must not contain \">\" or control characters");
    }
    Ok(label.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_origins_round_trip_through_their_ids() {
        for k in TouchpointKind::ALL {
            assert_eq!(k.as_str().parse::<TouchpointKind>(), Ok(*k));
        }
        for o in TouchpointOrigin::ALL {
            assert_eq!(o.as_str().parse::<TouchpointOrigin>(), Ok(*o));
        }
        assert!("email".parse::<TouchpointKind>().is_err());
    }

    #[test]
    fn a_channel_label_is_trimmed_and_checked() {
        assert_eq!(
            check_channel("  AWS Marketplace "),
            Ok("AWS Marketplace".into())
        );
        assert!(check_channel("   ").is_err());
        assert!(check_channel("Web > Email").is_err());
        assert!(check_channel(&"x".repeat(81)).is_err());
        assert!(check_channel(&"é".repeat(80)).is_ok());
    }
}
