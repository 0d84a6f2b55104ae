//! Co-selling: co-sell requests both ways, and the comp-credit report of reps on
//! partner-involved opportunities.
//!
//! - A vendor rep or channel manager asks a partner for help on a vendor account (optionally
//!   one of its opportunities); the partner's admins are told. A partner asks the vendor for
//!   support on one of its registrations (or a customer by name); its channel manager, else
//!   the vendor's reviewers, are told. The side asked accepts (with an optional note) or
//!   declines (with a reason), the requester may withdraw, and an accepted request is marked
//!   completed when the help was given. When a partner accepts a request on an opportunity,
//!   it joins the opportunity as `co_sell`.
//! - What each side sees: a partner sees only its own organisation's requests (another
//!   partner's answer 404); the vendor sees every request.
//! - [`credit`]: the comp credit reps earn on opportunities partners are on.

mod credit;
mod requests;

use serde::Serialize;
use trellis_domain::cosell::{Action, Direction, HelpKind, RequestStatus, Side};
use trellis_domain::{
    AccountId, CoSellRequestId, DealRegistrationId, OpportunityId, OrgId, Timestamp, UserId,
};
use trellis_store::cosell::requests::RequestRow;

pub use credit::{CompCreditQuery, CompCreditReport, CreditLine, LinePartner, RepCredit};
pub use requests::{CoSellInput, CoSellQuery};

use crate::platform::parse_stored;
use crate::{Actor, Result};

/// A request for co-selling help, one way or the other.
#[derive(Clone, Debug, Serialize)]
pub struct CoSellRequest {
    /// Id.
    pub id: CoSellRequestId,
    /// A short reference people can quote: `CS-1A2B3C4D`.
    pub reference: String,
    /// Who asks whom.
    pub direction: Direction,
    /// The help asked for.
    pub kind: HelpKind,
    /// Where it stands.
    pub status: RequestStatus,
    /// The partner: asked, or asking.
    pub partner_id: OrgId,
    /// Its name.
    pub partner_name: String,
    /// The vendor account the help is for (vendor → partner).
    pub account_id: Option<AccountId>,
    /// Its name.
    pub account_name: Option<String>,
    /// The vendor opportunity the help is for.
    pub opportunity_id: Option<OpportunityId>,
    /// Its name.
    pub opportunity_name: Option<String>,
    /// The partner's registration the support is for (partner → vendor).
    pub registration_id: Option<DealRegistrationId>,
    /// The customer, as named when asked.
    pub customer_name: String,
    /// What is asked, in the requester's words.
    pub message: String,
    /// The person who asked.
    pub requested_by: UserId,
    /// Their name.
    pub requested_by_name: String,
    /// Their e-mail address, to reach them.
    pub requested_by_email: String,
    /// The answer: accepted with a note, or declined with a reason.
    pub answer: Option<Note>,
    /// The withdrawal or completion.
    pub closing: Option<Note>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Asked.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Someone's step on a request, with what they wrote.
#[derive(Clone, Debug, Serialize)]
pub struct Note {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: UserId,
    /// Their name.
    pub by_name: String,
    /// The note or reason (may be empty).
    pub text: String,
}

impl CoSellRequest {
    /// The short reference of a request id: its last eight hex digits.
    pub fn reference_of(id: CoSellRequestId) -> String {
        let hex = id.as_uuid().simple().to_string().to_uppercase();
        format!("CS-{}", &hex[hex.len() - 8..])
    }

    /// What `actor` may do with the request now (nothing without `cosell:request`).
    pub fn actions_for(&self, actor: &Actor) -> Vec<Action> {
        if actor
            .require(trellis_domain::Permission::CoSellRequest)
            .is_err()
        {
            return Vec::new();
        }
        Action::available(self.direction, self.status, side_of(actor))
    }
}

/// The side an actor acts for: a partner user for its partner, everyone else for the vendor.
pub fn side_of(actor: &Actor) -> Side {
    if actor.partner_scope().is_some() {
        Side::Partner
    } else {
        Side::Vendor
    }
}

impl TryFrom<RequestRow> for CoSellRequest {
    type Error = crate::Error;
    fn try_from(r: RequestRow) -> Result<Self> {
        let id = CoSellRequestId::from_uuid(r.id);
        let note = |at: Option<i64>, by: Option<uuid::Uuid>, name: Option<String>, text| {
            at.zip(by).map(|(at, by)| Note {
                at: Timestamp::from_millis(at),
                by: UserId::from_uuid(by),
                by_name: name.unwrap_or_default(),
                text: Option::unwrap_or_default(text),
            })
        };
        Ok(Self {
            id,
            reference: Self::reference_of(id),
            direction: parse_stored("direction", &r.direction)?,
            kind: parse_stored("kind", &r.kind)?,
            status: parse_stored("status", &r.status)?,
            partner_id: OrgId::from_uuid(r.org_id),
            partner_name: r.org_name,
            account_id: r.account_id.map(AccountId::from_uuid),
            account_name: r.account_name,
            opportunity_id: r.opportunity_id.map(OpportunityId::from_uuid),
            opportunity_name: r.opportunity_name,
            registration_id: r.registration_id.map(DealRegistrationId::from_uuid),
            customer_name: r.customer_name,
            message: r.message,
            requested_by: UserId::from_uuid(r.requested_by),
            requested_by_name: r.requested_by_name,
            requested_by_email: r.requested_by_email,
            answer: note(r.answered_at, r.answered_by, r.answered_by_name, r.answer),
            closing: note(r.closed_at, r.closed_by, r.closed_by_name, r.close_note),
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}
