//! What the console and the portal both show of a registration: its status with the clock
//! that matters now (the decision due, or the protection's end), and its trail.

use trellis_domain::Timestamp;
use trellis_domain::deals::{DealStatus, EngagementPolicy};
use trellis_service::deals::{Registration, TrailStep};

use super::live::Countdown;

/// A registration with its running clock.
#[derive(Clone, Debug)]
pub(crate) struct DealView {
    pub(crate) r: Registration,
    /// A pending registration: when the vendor's decision is due.
    pub(crate) due: Option<Countdown>,
    /// An approved one: when the protection ends.
    pub(crate) protection: Option<Countdown>,
}

impl DealView {
    /// The decision clock turns amber in the last quarter of the SLA; the protection clock
    /// once the expiry warning has gone out.
    pub(crate) fn new(r: Registration, now: Timestamp, policy: &EngagementPolicy) -> Self {
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let due = match (r.status, r.sla_due_at) {
            (DealStatus::Pending, Some(at)) => {
                Some(Countdown::to(at, now, ms(policy.approval_sla()) / 4))
            }
            _ => None,
        };
        // A converted registration's protection follows its opportunity: no clock.
        let protection = match (r.status, r.protected_until) {
            (DealStatus::Approved, Some(at)) if r.opportunity_id.is_none() => {
                Some(Countdown::to(at, now, ms(policy.expiry_warning())))
            }
            _ => None,
        };
        Self { r, due, protection }
    }

    pub(crate) fn many(
        rs: Vec<Registration>,
        now: Timestamp,
        policy: &EngagementPolicy,
    ) -> Vec<Self> {
        rs.into_iter().map(|r| Self::new(r, now, policy)).collect()
    }
}

/// A step of the trail, named for people.
#[derive(Clone, Debug)]
pub(crate) struct StepView {
    pub(crate) label: &'static str,
    pub(crate) s: TrailStep,
}

/// The trail, newest first.
pub(crate) fn trail(steps: Vec<TrailStep>) -> Vec<StepView> {
    steps
        .into_iter()
        .rev()
        .map(|s| StepView {
            label: step_label(&s.step),
            s,
        })
        .collect()
}

fn step_label(step: &str) -> &'static str {
    match step {
        "submitted" => "Submitted",
        "approved" => "Approved",
        "rejected" => "Rejected",
        "escalated" => "Decision overdue: escalated",
        "disputed" => "Disputed",
        "dispute_upheld" => "Dispute settled: rejection upheld",
        "dispute_overturned" => "Dispute settled: approved",
        "extension_requested" => "Extension requested",
        "extended" => "Protection extended",
        "extension_denied" => "Extension denied",
        "expiring" => "Protection ending soon",
        "expired" => "Protection expired",
        "converted" => "Converted to an opportunity",
        "withdrawn" => "Withdrawn",
        "updated" => "Updated",
        _ => "Changed",
    }
}
