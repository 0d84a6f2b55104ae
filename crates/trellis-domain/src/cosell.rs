//! Co-selling between the vendor and its partners: co-sell requests both ways (a rep asks a
//! partner for help on an account, a partner asks the vendor for support on its deal), and the
//! comp credit the vendor's reps earn on opportunities partners are on ([`credit`]).
//!
//! Pure: who may take which step on a request, and what a request must say. The service
//! checks the records it points at (partner, account, opportunity, registration).

pub mod credit;

use std::fmt;
use std::str::FromStr;

use crate::orgs::string_enum;
use crate::validation::FieldErrors;

string_enum!(
    /// Who asks whom.
    Direction {
        /// A vendor rep or channel manager asks a partner for help on a vendor account.
        ToPartner = "vendor_to_partner" / "Vendor asks a partner",
        /// A partner asks the vendor for support on its deal.
        ToVendor = "partner_to_vendor" / "Partner asks the vendor",
    }
);

string_enum!(
    /// The side of the ecosystem a person acts for.
    Side {
        /// The vendor's people.
        Vendor = "vendor" / "Vendor",
        /// A partner's people.
        Partner = "partner" / "Partner",
    }
);

impl Direction {
    /// The direction of a request made by `side`.
    pub const fn asked_by(side: Side) -> Self {
        match side {
            Side::Vendor => Direction::ToPartner,
            Side::Partner => Direction::ToVendor,
        }
    }

    /// The side that asks.
    pub const fn requester(self) -> Side {
        match self {
            Direction::ToPartner => Side::Vendor,
            Direction::ToVendor => Side::Partner,
        }
    }

    /// The side that is asked, and answers.
    pub const fn responder(self) -> Side {
        match self {
            Direction::ToPartner => Side::Partner,
            Direction::ToVendor => Side::Vendor,
        }
    }
}

string_enum!(
    /// The help asked for. Each kind belongs to one direction, except `other`.
    HelpKind {
        /// The partner introduces the rep to people at the customer.
        Intro = "intro" / "Introduction to the customer",
        /// The partner's technical people help (architecture, integration, a proof of concept).
        Technical = "technical" / "Technical help",
        /// The partner delivers services: implementation, migration, managed operations.
        Services = "services" / "Services or implementation",
        /// The partner names a customer of theirs as a reference.
        Reference = "reference" / "Customer reference",
        /// The vendor's pre-sales engineers help the partner.
        Presales = "presales" / "Technical pre-sales",
        /// The vendor approves a special price or discount.
        Pricing = "pricing" / "Pricing approval",
        /// A vendor executive sponsors the deal.
        Executive = "executive" / "Executive sponsor",
        /// The vendor gives the customer a demo.
        Demo = "demo" / "Demo",
        /// Anything else, said in the message.
        Other = "other" / "Other",
    }
);

impl HelpKind {
    /// Whether this help can be asked for in `direction`.
    pub const fn fits(self, direction: Direction) -> bool {
        match self {
            HelpKind::Intro | HelpKind::Technical | HelpKind::Services | HelpKind::Reference => {
                matches!(direction, Direction::ToPartner)
            }
            HelpKind::Presales | HelpKind::Pricing | HelpKind::Executive | HelpKind::Demo => {
                matches!(direction, Direction::ToVendor)
            }
            HelpKind::Other => true,
        }
    }

    /// The kinds of help that can be asked for in `direction`, in display order.
    pub fn for_direction(direction: Direction) -> Vec<HelpKind> {
        HelpKind::ALL
            .iter()
            .copied()
            .filter(|k| k.fits(direction))
            .collect()
    }

    /// Reads the kind of a request going `direction`, recording under `kind` why not.
    pub fn read(e: &mut FieldErrors, direction: Direction, raw: &str) -> Option<HelpKind> {
        let raw = raw.trim();
        if raw.is_empty() {
            e.add("kind", "is required");
            return None;
        }
        let allowed = || {
            HelpKind::for_direction(direction)
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match raw.parse::<HelpKind>() {
            Ok(k) if k.fits(direction) => Some(k),
            Ok(k) => {
                e.add(
                    "kind",
                    format!(
                        "\"{k}\" is not asked of the {}; expected one of {}",
                        direction.responder(),
                        allowed()
                    ),
                );
                None
            }
            Err(_) => {
                e.add(
                    "kind",
                    format!("unknown value \"{raw}\"; expected one of {}", allowed()),
                );
                None
            }
        }
    }
}

string_enum!(
    /// Where a request stands.
    RequestStatus {
        /// Waiting for the other side's answer.
        Open = "open" / "Waiting for an answer",
        /// The other side agreed to help.
        Accepted = "accepted" / "Accepted",
        /// The other side said no, with a reason.
        Declined = "declined" / "Declined",
        /// The requester took it back.
        Withdrawn = "withdrawn" / "Withdrawn",
        /// The help was given.
        Completed = "completed" / "Completed",
    }
);

string_enum!(
    /// A step someone takes on a request.
    Action {
        /// The side asked agrees to help (with an optional note).
        Accept = "accept" / "Accept",
        /// The side asked says no (a reason is required).
        Decline = "decline" / "Decline",
        /// The requester takes the request back.
        Withdraw = "withdraw" / "Withdraw",
        /// Either side records that the help was given.
        Complete = "complete" / "Mark completed",
    }
);

/// Longest message of a request, in characters.
pub const MESSAGE_MAX: usize = 5_000;
/// Longest note or reason of an answer, in characters.
pub const NOTE_MAX: usize = 2_000;

impl Action {
    /// The status this action leads to when `by` takes it on a request going `direction` that
    /// stands at `status`; `Err` says why it cannot be taken.
    pub fn apply(
        self,
        direction: Direction,
        status: RequestStatus,
        by: Side,
    ) -> Result<RequestStatus, &'static str> {
        use RequestStatus as S;
        let (sides_ok, from, to): (bool, &[S], S) = match self {
            Action::Accept => (by == direction.responder(), &[S::Open], S::Accepted),
            Action::Decline => (by == direction.responder(), &[S::Open], S::Declined),
            Action::Withdraw => (
                by == direction.requester(),
                &[S::Open, S::Accepted],
                S::Withdrawn,
            ),
            Action::Complete => (true, &[S::Accepted], S::Completed),
        };
        if !sides_ok {
            return Err(match self {
                Action::Accept | Action::Decline => {
                    "only the side that was asked can accept or decline a request"
                }
                _ => "only the side that asked can withdraw a request",
            });
        }
        if !from.contains(&status) {
            return Err(match self {
                Action::Accept | Action::Decline => "only an open request can be answered",
                Action::Withdraw => "only an open or accepted request can be withdrawn",
                Action::Complete => "only an accepted request can be marked completed",
            });
        }
        Ok(to)
    }

    /// The actions `by` can take now on a request going `direction` that stands at `status`.
    pub fn available(direction: Direction, status: RequestStatus, by: Side) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| a.apply(direction, status, by).is_ok())
            .collect()
    }

    /// Whether the action needs a reason (a refusal is always explained).
    pub const fn needs_reason(self) -> bool {
        matches!(self, Action::Decline)
    }

    /// The event published when the action is taken: `cosell.accepted`.
    pub const fn event(self) -> &'static str {
        match self {
            Action::Accept => "cosell.accepted",
            Action::Decline => "cosell.declined",
            Action::Withdraw => "cosell.withdrawn",
            Action::Complete => "cosell.completed",
        }
    }

    /// The action in the past tense, for summaries and e-mails: `accepted`.
    pub const fn past(self) -> &'static str {
        match self {
            Action::Accept => "accepted",
            Action::Decline => "declined",
            Action::Withdraw => "withdrew",
            Action::Complete => "completed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_takes_only_its_own_steps_from_the_right_status() {
        use Action as A;
        use RequestStatus as S;
        let (out, back) = (Direction::ToPartner, Direction::ToVendor);
        assert_eq!(
            A::Accept.apply(out, S::Open, Side::Partner),
            Ok(S::Accepted)
        );
        assert_eq!(
            A::Decline.apply(back, S::Open, Side::Vendor),
            Ok(S::Declined)
        );
        assert!(A::Accept.apply(out, S::Open, Side::Vendor).is_err());
        assert!(A::Decline.apply(back, S::Open, Side::Partner).is_err());
        assert!(A::Accept.apply(out, S::Declined, Side::Partner).is_err());
        assert_eq!(
            A::Withdraw.apply(out, S::Accepted, Side::Vendor),
            Ok(S::Withdrawn)
        );
        assert!(A::Withdraw.apply(out, S::Open, Side::Partner).is_err());
        assert!(
            A::Withdraw
                .apply(back, S::Completed, Side::Partner)
                .is_err()
        );
        assert_eq!(
            A::Complete.apply(back, S::Accepted, Side::Partner),
            Ok(S::Completed)
        );
        assert_eq!(
            A::Complete.apply(back, S::Accepted, Side::Vendor),
            Ok(S::Completed)
        );
        assert_eq!(
            A::Complete.apply(out, S::Open, Side::Vendor),
            Err("only an accepted request can be marked completed")
        );
        assert_eq!(
            A::available(out, S::Open, Side::Partner),
            [A::Accept, A::Decline]
        );
        assert_eq!(
            A::available(out, S::Accepted, Side::Vendor),
            [A::Withdraw, A::Complete]
        );
        // Every closed status is final.
        for s in [S::Declined, S::Withdrawn, S::Completed] {
            for a in A::ALL {
                for side in Side::ALL {
                    assert!(a.apply(out, s, *side).is_err(), "{a} from {s}");
                }
            }
        }
    }

    #[test]
    fn a_kind_must_fit_the_direction_and_errors_name_the_field() {
        let mut e = FieldErrors::new();
        assert_eq!(
            HelpKind::read(&mut e, Direction::ToPartner, " intro "),
            Some(HelpKind::Intro)
        );
        assert_eq!(
            HelpKind::read(&mut e, Direction::ToVendor, "other"),
            Some(HelpKind::Other)
        );
        assert!(e.is_empty());
        assert_eq!(HelpKind::read(&mut e, Direction::ToVendor, "intro"), None);
        let msg = e.for_field("kind").unwrap();
        assert!(
            msg.contains("not asked of the vendor") && msg.contains("presales"),
            "{msg}"
        );
        let mut e = FieldErrors::new();
        assert_eq!(HelpKind::read(&mut e, Direction::ToPartner, ""), None);
        assert_eq!(e.for_field("kind"), Some("is required"));
        assert_eq!(
            HelpKind::for_direction(Direction::ToVendor),
            [
                HelpKind::Presales,
                HelpKind::Pricing,
                HelpKind::Executive,
                HelpKind::Demo,
                HelpKind::Other
            ]
        );
    }
}
