//! Deal registration: partners register customer deals, the conflict index finds what else
//! claims the customer, the rules of engagement decide or advise, and channel managers
//! approve, reject, settle disputes and extensions, and convert approved registrations into
//! opportunities with the partner attached.
//!
//! What each side sees: a partner sees its own registrations, their status, decision reason,
//! protection and trail, and before submitting only *whether* the customer may conflict,
//! never with what. The vendor sees every candidate conflict with its score and reason.

mod conflicts;
mod convert;
mod decisions;
mod index;
mod pipeline;
mod policy;
mod register;
mod sweep;

use serde::Serialize;
use serde_json::json;
use trellis_domain::deals::{DealStage, DealStatus, RuleId};
use trellis_domain::{
    Currency, DealRegistrationId, Money, OpportunityId, OrgId, Timestamp, UserId,
};
use trellis_store::Tx;
use trellis_store::deals::registrations::RegistrationRow;
use trellis_store::deals::trail::{self, TrailRow};

pub use conflicts::{CheckOutcome, CompanyProbe, ConflictCandidate, ConflictCheck, ConflictKind};
pub use convert::Conversion;
pub use decisions::Review;
pub(crate) use index::ConflictIndex;
pub use pipeline::Involvement;
pub(crate) use policy::PolicyCache;
pub use policy::PolicyVersion;
pub(crate) use register::reviewers_of;
pub use register::{DealQuery, DealUpdate, RegistrationInput};
pub use sweep::Swept;

use crate::outbox::Change;
use crate::platform::parse_stored;
use crate::{Actor, Result, Services};

/// A partner's deal registration.
#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    /// Id.
    pub id: DealRegistrationId,
    /// A short reference people can quote: `DR-1A2B3C4D`.
    pub reference: String,
    /// The registering partner.
    pub partner_id: OrgId,
    /// Its name.
    pub partner_name: String,
    /// The partner user who submitted it.
    pub submitted_by: UserId,
    /// The customer company.
    pub company_name: String,
    /// The customer's website.
    pub website: String,
    /// Registrable domain of the website, else of the contact's company e-mail.
    pub domain: String,
    /// ISO 3166 alpha-2 country, or empty.
    pub country: String,
    /// The customer contact.
    pub contact_name: String,
    /// Their e-mail address.
    pub contact_email: String,
    /// Their phone.
    pub contact_phone: String,
    /// What the customer would buy.
    pub product: String,
    /// Expected deal size.
    pub amount: Money,
    /// Expected close date, `YYYY-MM-DD`.
    pub expected_close: String,
    /// The partner's description of the opportunity.
    pub description: String,
    /// Where it stands.
    pub status: DealStatus,
    /// How far the partner has taken it.
    pub stage: DealStage,
    /// The partner's next step.
    pub next_step: String,
    /// The rules of engagement version in force at submission.
    pub policy_version: i64,
    /// Possible conflicts found at submission.
    pub conflicts: i64,
    /// When the vendor's decision is due.
    pub sla_due_at: Option<Timestamp>,
    /// When a missed SLA was escalated.
    pub escalated_at: Option<Timestamp>,
    /// The latest decision.
    pub decision: Option<DecisionRecord>,
    /// End of the protection (approved registrations).
    pub protected_until: Option<Timestamp>,
    /// When the partner was warned that the protection ends soon.
    pub expiry_warned_at: Option<Timestamp>,
    /// Extensions granted.
    pub extensions: i64,
    /// An open extension request.
    pub extension_request: Option<Request>,
    /// An open dispute of a rejection.
    pub dispute: Option<Request>,
    /// The opportunity it became.
    pub opportunity_id: Option<OpportunityId>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Submitted.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A decision on a registration.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionRecord {
    /// When.
    pub at: Timestamp,
    /// Who (none for the rules themselves).
    pub by: Option<UserId>,
    /// The rule that decided.
    pub rule: RuleId,
    /// Why.
    pub reason: String,
}

/// A partner's open request: an extension or a dispute.
#[derive(Clone, Debug, Serialize)]
pub struct Request {
    /// When it was made.
    pub at: Timestamp,
    /// The partner's reason.
    pub reason: String,
}

/// One step of a registration's life.
#[derive(Clone, Debug, Serialize)]
pub struct TrailStep {
    /// `submitted`, `approved`, `rejected`, `escalated`, `disputed`, `dispute_upheld`,
    /// `dispute_overturned`, `extension_requested`, `extended`, `extension_denied`,
    /// `expiring`, `expired`, `converted`, `withdrawn`, `updated`.
    pub step: String,
    /// The rule behind a decision.
    pub rule: Option<RuleId>,
    /// The policy version it applied.
    pub policy_version: Option<i64>,
    /// Why, or what changed.
    pub reason: String,
    /// Who (empty for the system).
    pub actor: String,
    /// When.
    pub at: Timestamp,
}

impl Registration {
    /// The short reference of a registration id: its last eight hex digits (the random part
    /// of a v7 UUID).
    pub fn reference_of(id: DealRegistrationId) -> String {
        let hex = id.as_uuid().simple().to_string().to_uppercase();
        format!("DR-{}", &hex[hex.len() - 8..])
    }
}

impl TryFrom<RegistrationRow> for Registration {
    type Error = crate::Error;
    fn try_from(r: RegistrationRow) -> Result<Self> {
        let id = DealRegistrationId::from_uuid(r.id);
        let currency: Currency = parse_stored("currency", &r.currency)?;
        let decision = match (r.decided_at, r.decision_rule) {
            (Some(at), Some(rule)) => Some(DecisionRecord {
                at: Timestamp::from_millis(at),
                by: r.decided_by.map(UserId::from_uuid),
                rule: parse_stored("decision_rule", &rule)?,
                reason: r.decision_reason.unwrap_or_default(),
            }),
            _ => None,
        };
        let request = |at: Option<i64>, reason: Option<String>| {
            at.map(|at| Request {
                at: Timestamp::from_millis(at),
                reason: reason.unwrap_or_default(),
            })
        };
        Ok(Self {
            id,
            reference: Self::reference_of(id),
            partner_id: OrgId::from_uuid(r.org_id),
            partner_name: r.org_name,
            submitted_by: UserId::from_uuid(r.submitted_by),
            company_name: r.company_name,
            website: r.website,
            domain: r.domain,
            country: r.country,
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
            product: r.product,
            amount: Money::new(r.amount_minor, currency),
            expected_close: r.expected_close,
            description: r.description,
            status: parse_stored("status", &r.status)?,
            stage: parse_stored("stage", &r.stage)?,
            next_step: r.next_step,
            policy_version: r.policy_version,
            conflicts: r.conflicts,
            sla_due_at: r.sla_due_at.map(Timestamp::from_millis),
            escalated_at: r.escalated_at.map(Timestamp::from_millis),
            decision,
            protected_until: r.protected_until.map(Timestamp::from_millis),
            expiry_warned_at: r.expiry_warned_at.map(Timestamp::from_millis),
            extensions: r.extensions,
            extension_request: request(r.extension_requested_at, r.extension_reason),
            dispute: request(r.disputed_at, r.dispute_reason),
            opportunity_id: r.opportunity_id.map(OpportunityId::from_uuid),
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}

impl TryFrom<TrailRow> for TrailStep {
    type Error = crate::Error;
    fn try_from(t: TrailRow) -> Result<Self> {
        Ok(Self {
            rule: t
                .rule
                .as_deref()
                .map(|r| parse_stored("rule", r))
                .transpose()?,
            step: t.step,
            policy_version: t.policy_version,
            reason: t.reason,
            actor: t.actor_label,
            at: Timestamp::from_millis(t.created_at),
        })
    }
}

/// One step to write: the trail row, the audit entry and the `deal.*` event. Every step is
/// published: integrators follow registrations through them, and so does the conflict index.
pub(crate) struct Step<'a> {
    /// The trail's step name (`approved`).
    pub(crate) name: &'a str,
    /// The event type (`deal.approved`).
    pub(crate) event: &'a str,
    pub(crate) rule: Option<RuleId>,
    pub(crate) policy_version: Option<i64>,
    pub(crate) reason: String,
}

impl Services {
    /// Writes a step of `after`'s life: its trail row, an audit entry with the registration
    /// before and after, and its event.
    pub(crate) async fn deal_step(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        now: Timestamp,
        before: Option<&Registration>,
        after: &Registration,
        step: Step<'_>,
    ) -> Result<()> {
        trail::append(
            &mut tx.exec(),
            &TrailRow {
                seq: 0,
                registration_id: after.id.as_uuid(),
                step: step.name.to_owned(),
                rule: step.rule.map(|r| r.as_str().to_owned()),
                policy_version: step.policy_version,
                reason: step.reason.clone(),
                actor_id: actor.user().map(|u| u.user_id.as_uuid()),
                actor_label: actor.label(),
                created_at: now.millis(),
            },
        )
        .await?;
        let summary = if step.reason.is_empty() {
            format!("{} {}: {}", after.reference, step.name, after.company_name)
        } else {
            format!(
                "{} {} ({}): {}",
                after.reference, step.name, after.company_name, step.reason
            )
        };
        self.record(
            tx,
            actor,
            now,
            Change {
                action: step.event,
                object_type: "deal_registration",
                object_id: after.id.to_string(),
                org_id: Some(after.partner_id),
                summary,
                before: before.map(|b| json!(b)),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        Ok(())
    }
}

/// A reason of at most 1,000 characters, required or not.
pub(crate) fn reason_text(reason: &str, required: bool) -> Result<String> {
    let mut e = trellis_domain::FieldErrors::new();
    let reason = crate::crm::plain(&mut e, "reason", reason, 1_000, true);
    if required && reason.is_empty() {
        e.add("reason", "is required");
    }
    e.into_result().map_err(crate::Error::Validation)?;
    Ok(reason)
}
