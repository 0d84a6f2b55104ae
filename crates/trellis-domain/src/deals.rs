//! Deal registration and the rules of engagement.
//!
//! A partner registers a customer deal; the vendor's rules of engagement ([`EngagementPolicy`])
//! say how long an approved registration is protected, how it is extended, which
//! registrations are approved without review, and who wins when a registration conflicts with
//! a vendor account, a direct opportunity or another partner's registration. Every decision
//! names the policy version and the rule that made it ([`Verdict`]), so a partner can be shown
//! why, and a dispute can be judged against the rules that applied at the time.
//!
//! Pure: the service gathers the facts (the conflicts the matching engine found, the
//! partner's tier) and these functions decide.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::orgs::string_enum;
use crate::time::Timestamp;
use crate::validation::FieldErrors;

string_enum!(
    /// Where a registration stands.
    DealStatus {
        /// Submitted, waiting for the channel manager (or the rules) to decide.
        Pending = "pending" / "Pending review",
        /// Approved: the partner is protected on this deal until the protection ends.
        Approved = "approved" / "Approved",
        /// Rejected, with a reason; the partner may dispute it.
        Rejected = "rejected" / "Rejected",
        /// Approved once, but the protection ran out.
        Expired = "expired" / "Expired",
        /// Taken back by the partner.
        Withdrawn = "withdrawn" / "Withdrawn",
    }
);

impl DealStatus {
    /// Pending and approved registrations claim their customer: they are the ones another
    /// registration can conflict with.
    pub const fn is_active(self) -> bool {
        matches!(self, DealStatus::Pending | DealStatus::Approved)
    }
}

string_enum!(
    /// How far the partner has taken the deal (the partner keeps it up to date).
    DealStage {
        /// First conversations.
        Discovery = "discovery" / "Discovery",
        /// Need, budget and timing confirmed.
        Qualified = "qualified" / "Qualified",
        /// A proposal is with the customer.
        Proposal = "proposal" / "Proposal",
        /// Terms are being negotiated.
        Negotiation = "negotiation" / "Negotiation",
        /// The customer bought.
        Won = "won" / "Closed won",
        /// The customer did not buy.
        Lost = "lost" / "Closed lost",
    }
);

string_enum!(
    /// The rule that made a decision, recorded with it.
    RuleId {
        /// The registration met the auto-approval criteria.
        AutoApproval = "auto_approval" / "Auto-approval",
        /// The customer is an existing vendor customer (a house account).
        ExistingCustomer = "existing_customer" / "Existing customer",
        /// A direct opportunity with recent activity owns the deal.
        DirectOpportunity = "direct_opportunity" / "Direct opportunity with recent activity",
        /// The first valid registration wins.
        FirstRegistration = "first_registration" / "First valid registration",
        /// A person decided, with a reason, where no rule did (or against the rules' advice).
        Manual = "manual" / "Manager's decision",
        /// The protection window ran out.
        ProtectionExpired = "protection_expired" / "Protection expired",
    }
);

/// One rule that can settle a conflict. The policy lists them in order; the first that
/// applies decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConflictRule {
    /// A registration for an existing vendor customer is rejected: customers are house
    /// accounts.
    ExistingCustomer,
    /// A registration loses to an open direct opportunity (one no partner is attached to)
    /// for the same customer with activity in the last `activity_days` days.
    DirectOpportunity {
        /// How recent the opportunity's last activity must be, 1–365.
        activity_days: u16,
    },
    /// The earliest active registration for the customer wins; later ones are rejected.
    FirstRegistration,
}

impl ConflictRule {
    /// The rule's id.
    pub const fn id(&self) -> RuleId {
        match self {
            ConflictRule::ExistingCustomer => RuleId::ExistingCustomer,
            ConflictRule::DirectOpportunity { .. } => RuleId::DirectOpportunity,
            ConflictRule::FirstRegistration => RuleId::FirstRegistration,
        }
    }

    /// The rule in a sentence, for partners.
    pub fn describe(&self) -> String {
        match self {
            ConflictRule::ExistingCustomer => {
                "Existing customers of ours are house accounts: registrations for them are \
                 not approved."
                    .into()
            }
            ConflictRule::DirectOpportunity { activity_days } => format!(
                "An open opportunity our own sales team works, with activity in the last \
                 {activity_days} days, wins over a registration for the same customer."
            ),
            ConflictRule::FirstRegistration => {
                "When partners register the same customer, the first valid registration wins."
                    .into()
            }
        }
    }
}

/// Which registrations are approved without review. All set criteria must hold, and the
/// registration must have no conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoApproval {
    /// Off: every registration waits for a person.
    pub enabled: bool,
    /// The partner's tier must rank at least this (tier ranks: higher is better).
    #[serde(default)]
    pub min_tier_rank: Option<u32>,
    /// The amount must be at most this, in this currency; a registration in another currency
    /// is left for review (amounts are never converted at a guessed rate).
    #[serde(default)]
    pub max_amount: Option<Money>,
}

/// The rules of engagement: one version of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "PolicyInput")]
pub struct EngagementPolicy {
    /// Days an approved registration is protected, 1–730.
    pub protection_days: u16,
    /// Days one extension adds, 1–365.
    pub extension_days: u16,
    /// How many extensions a registration may get, 0–12.
    pub max_extensions: u8,
    /// Days before the protection ends that the partner is warned, 0–90.
    pub expiry_warning_days: u16,
    /// Hours the vendor has to decide a registration before it is escalated, 1–720.
    pub approval_sla_hours: u16,
    /// How similar a company must be to count as a conflict, 50–100 (percent of the match
    /// score).
    pub match_threshold_percent: u8,
    /// Conflict rules, in the order they are tried.
    pub conflict_rules: Vec<ConflictRule>,
    /// Auto-approval criteria.
    pub auto_approval: AutoApproval,
    /// Anything else partners should know, in plain text (shown under the rules).
    pub notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyInput {
    protection_days: u16,
    extension_days: u16,
    max_extensions: u8,
    expiry_warning_days: u16,
    approval_sla_hours: u16,
    match_threshold_percent: u8,
    conflict_rules: Vec<ConflictRule>,
    auto_approval: AutoApproval,
    #[serde(default)]
    notes: String,
}

impl TryFrom<PolicyInput> for EngagementPolicy {
    type Error = FieldErrors;
    fn try_from(i: PolicyInput) -> Result<Self, FieldErrors> {
        let policy = Self {
            protection_days: i.protection_days,
            extension_days: i.extension_days,
            max_extensions: i.max_extensions,
            expiry_warning_days: i.expiry_warning_days,
            approval_sla_hours: i.approval_sla_hours,
            match_threshold_percent: i.match_threshold_percent,
            conflict_rules: i.conflict_rules,
            auto_approval: i.auto_approval,
            notes: i.notes,
        };
        policy.check()?;
        Ok(policy)
    }
}

impl Default for EngagementPolicy {
    /// The common program shape: 90 days' protection, one 30-day extension, a two-business-day
    /// SLA, direct opportunities active in the last 60 days first, then first come first
    /// served; nothing approved without review.
    fn default() -> Self {
        Self {
            protection_days: 90,
            extension_days: 30,
            max_extensions: 1,
            expiry_warning_days: 14,
            approval_sla_hours: 48,
            match_threshold_percent: 75,
            conflict_rules: vec![
                ConflictRule::DirectOpportunity { activity_days: 60 },
                ConflictRule::FirstRegistration,
            ],
            auto_approval: AutoApproval {
                enabled: false,
                min_tier_rank: None,
                max_amount: None,
            },
            notes: String::new(),
        }
    }
}

impl EngagementPolicy {
    /// Checks every bound, naming each field that is out of it.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        let within = |e: &mut FieldErrors, field: &str, value: u32, min: u32, max: u32| {
            if !(min..=max).contains(&value) {
                e.add(field, format!("must be between {min} and {max}"));
            }
        };
        within(
            &mut e,
            "protection_days",
            self.protection_days.into(),
            1,
            730,
        );
        within(&mut e, "extension_days", self.extension_days.into(), 1, 365);
        within(&mut e, "max_extensions", self.max_extensions.into(), 0, 12);
        within(
            &mut e,
            "expiry_warning_days",
            self.expiry_warning_days.into(),
            0,
            90,
        );
        within(
            &mut e,
            "approval_sla_hours",
            self.approval_sla_hours.into(),
            1,
            720,
        );
        within(
            &mut e,
            "match_threshold_percent",
            self.match_threshold_percent.into(),
            50,
            100,
        );
        for (i, rule) in self.conflict_rules.iter().enumerate() {
            if let ConflictRule::DirectOpportunity { activity_days } = rule {
                within(
                    &mut e,
                    &format!("conflict_rules[{i}].activity_days"),
                    (*activity_days).into(),
                    1,
                    365,
                );
            }
            if self.conflict_rules[..i].iter().any(|r| r.id() == rule.id()) {
                e.add(
                    format!("conflict_rules[{i}]"),
                    format!("\"{}\" is listed twice", rule.id()),
                );
            }
        }
        if self
            .auto_approval
            .max_amount
            .is_some_and(|m| m.amount_minor < 0)
        {
            e.add("auto_approval.max_amount", "must not be negative");
        }
        if self.notes.chars().count() > 10_000 {
            e.add("notes", "must be at most 10000 characters");
        }
        e.into_result()
    }

    /// The match score (0–1) from which a company counts as a conflict.
    pub fn match_threshold(&self) -> f64 {
        f64::from(self.match_threshold_percent) / 100.0
    }

    /// How long an approval protects.
    pub fn protection(&self) -> Duration {
        days(self.protection_days)
    }

    /// How long one extension adds.
    pub fn extension(&self) -> Duration {
        days(self.extension_days)
    }

    /// When the partner is warned before the protection ends.
    pub fn expiry_warning(&self) -> Duration {
        days(self.expiry_warning_days)
    }

    /// How long the vendor has to decide.
    pub fn approval_sla(&self) -> Duration {
        Duration::from_secs(u64::from(self.approval_sla_hours) * 3_600)
    }

    /// The auto-approval criteria in sentences, for partners.
    pub fn describe_auto_approval(&self) -> Vec<String> {
        let a = &self.auto_approval;
        if !a.enabled {
            return vec!["Every registration is reviewed by a channel manager.".into()];
        }
        let mut out =
            vec!["Registrations with no conflict are approved at once when they meet:".into()];
        if let Some(rank) = a.min_tier_rank {
            out.push(format!("the partner's tier ranks {rank} or higher;"));
        }
        if let Some(max) = a.max_amount {
            out.push(format!("the amount is at most {};", max.format()));
        }
        if a.min_tier_rank.is_none() && a.max_amount.is_none() {
            out.push("no further criteria.".into());
        }
        out
    }

    /// Whether a registration with no conflict is approved without review: `Ok` with the
    /// verdict, or `Err` with why not (for the registration's trail).
    pub fn auto_approve(&self, facts: &AutoFacts) -> Result<Verdict, String> {
        let a = &self.auto_approval;
        if !a.enabled {
            return Err("auto-approval is off".into());
        }
        if facts.conflicts > 0 {
            return Err(format!(
                "{} possible conflict{} to review",
                facts.conflicts,
                if facts.conflicts == 1 { "" } else { "s" }
            ));
        }
        if let Some(min) = a.min_tier_rank
            && facts.tier_rank.is_none_or(|r| r < min)
        {
            return Err(format!("the partner's tier does not rank {min} or higher"));
        }
        if let Some(max) = a.max_amount {
            if facts.amount.currency != max.currency {
                return Err(format!(
                    "the amount is in {}, the limit in {}",
                    facts.amount.currency.code(),
                    max.currency.code()
                ));
            }
            if facts.amount.amount_minor > max.amount_minor {
                return Err(format!("the amount is above {}", max.format()));
            }
        }
        Ok(Verdict {
            decision: Decision::Approve,
            rule: RuleId::AutoApproval,
            reason: "no conflict, and the auto-approval criteria are met".into(),
        })
    }

    /// What the rules say about a registration in conflict: the first rule that applies
    /// decides. `None` when no rule does: a person decides.
    pub fn resolve(
        &self,
        subject: &Contender,
        conflicts: &[Conflict],
        now: Timestamp,
    ) -> Option<Verdict> {
        self.conflict_rules
            .iter()
            .find_map(|rule| apply(rule, subject, conflicts, now))
    }
}

fn days(n: u16) -> Duration {
    Duration::from_secs(u64::from(n) * 86_400)
}

/// The facts auto-approval reads.
#[derive(Clone, Copy, Debug)]
pub struct AutoFacts {
    /// Conflicts found at or above the policy's threshold.
    pub conflicts: usize,
    /// The partner's tier rank, if it has a tier.
    pub tier_rank: Option<u32>,
    /// The registered amount.
    pub amount: Money,
}

/// The registration being decided.
#[derive(Clone, Copy, Debug)]
pub struct Contender {
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Its id, ordering registrations submitted in the same millisecond (ids are time-ordered).
    pub id: uuid::Uuid,
}

/// Something a registration conflicts with, as the rules see it.
#[derive(Clone, Copy, Debug)]
pub enum Conflict {
    /// A vendor account for the same company.
    Account {
        /// The account is a customer.
        customer: bool,
    },
    /// An open vendor opportunity for the same company.
    Opportunity {
        /// No partner is attached to it.
        direct: bool,
        /// Its last activity (the CRM's, else its last change).
        last_activity_at: Timestamp,
    },
    /// Another partner's active registration for the same company.
    Registration {
        /// When it was submitted.
        submitted_at: Timestamp,
        /// Its id.
        id: uuid::Uuid,
    },
}

/// Approve or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approve the registration.
    Approve,
    /// Reject it.
    Reject,
}

/// A decision, the rule that made it, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Approve or reject.
    pub decision: Decision,
    /// The rule.
    pub rule: RuleId,
    /// Why, in a sentence a partner can read.
    pub reason: String,
}

fn apply(
    rule: &ConflictRule,
    subject: &Contender,
    conflicts: &[Conflict],
    now: Timestamp,
) -> Option<Verdict> {
    let reject = |reason: String| Verdict {
        decision: Decision::Reject,
        rule: rule.id(),
        reason,
    };
    match rule {
        ConflictRule::ExistingCustomer => conflicts
            .iter()
            .any(|c| matches!(c, Conflict::Account { customer: true }))
            .then(|| {
                reject("the customer is an existing customer of ours (a house account)".into())
            }),
        ConflictRule::DirectOpportunity { activity_days } => {
            let since = now.minus(days(*activity_days));
            conflicts
                .iter()
                .any(|c| {
                    matches!(c, Conflict::Opportunity { direct: true, last_activity_at }
                        if *last_activity_at >= since)
                })
                .then(|| {
                    reject(format!(
                        "our sales team has an open opportunity with this customer, active in \
                         the last {activity_days} days"
                    ))
                })
        }
        ConflictRule::FirstRegistration => {
            let rivals: Vec<(Timestamp, uuid::Uuid)> = conflicts
                .iter()
                .filter_map(|c| match c {
                    Conflict::Registration { submitted_at, id } => Some((*submitted_at, *id)),
                    _ => None,
                })
                .collect();
            if rivals.is_empty() {
                return None;
            }
            let mine = (subject.submitted_at, subject.id);
            if rivals.iter().any(|r| *r < mine) {
                Some(reject(
                    "another partner registered this customer first".into(),
                ))
            } else {
                Some(Verdict {
                    decision: Decision::Approve,
                    rule: RuleId::FirstRegistration,
                    reason: "the first valid registration for this customer".into(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn at(days_ago: u64, now: Timestamp) -> Timestamp {
        now.minus(days(u16::try_from(days_ago).unwrap()))
    }

    fn eur(major: i64) -> Money {
        Money::new(major * 100, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn the_default_policy_is_valid_and_reads_back_from_json() {
        let p = EngagementPolicy::default();
        p.check().unwrap();
        let json = serde_json::to_value(&p).unwrap();
        let back: EngagementPolicy = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn out_of_bound_fields_are_named() {
        let json = serde_json::json!({
            "protection_days": 0, "extension_days": 30, "max_extensions": 1,
            "expiry_warning_days": 14, "approval_sla_hours": 48,
            "match_threshold_percent": 20,
            "conflict_rules": [{"rule": "first_registration"}, {"rule": "direct_opportunity", "activity_days": 0}, {"rule": "first_registration"}],
            "auto_approval": {"enabled": false}
        });
        let err = serde_json::from_value::<EngagementPolicy>(json)
            .unwrap_err()
            .to_string();
        for field in [
            "protection_days",
            "match_threshold_percent",
            "conflict_rules[1].activity_days",
            "conflict_rules[2]",
        ] {
            assert!(err.contains(field), "{field} missing from {err}");
        }
    }

    #[test]
    fn the_first_rule_that_applies_decides() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        let me = Contender {
            submitted_at: at(1, now),
            id: uuid::Uuid::from_u128(2),
        };
        let policy = EngagementPolicy::default();
        let fresh_direct = Conflict::Opportunity {
            direct: true,
            last_activity_at: at(10, now),
        };
        let stale_direct = Conflict::Opportunity {
            direct: true,
            last_activity_at: at(61, now),
        };
        let earlier = Conflict::Registration {
            submitted_at: at(3, now),
            id: uuid::Uuid::from_u128(1),
        };
        let later = Conflict::Registration {
            submitted_at: now,
            id: uuid::Uuid::from_u128(3),
        };

        let v = policy.resolve(&me, &[earlier, fresh_direct], now).unwrap();
        assert_eq!(
            (v.decision, v.rule),
            (Decision::Reject, RuleId::DirectOpportunity)
        );

        let v = policy.resolve(&me, &[stale_direct, earlier], now).unwrap();
        assert_eq!(
            (v.decision, v.rule),
            (Decision::Reject, RuleId::FirstRegistration)
        );

        let v = policy.resolve(&me, &[stale_direct, later], now).unwrap();
        assert_eq!(
            (v.decision, v.rule),
            (Decision::Approve, RuleId::FirstRegistration)
        );

        assert_eq!(policy.resolve(&me, &[stale_direct], now), None);
        assert_eq!(
            policy.resolve(&me, &[Conflict::Account { customer: true }], now),
            None,
            "existing customers are not a rule of the default policy"
        );
    }

    #[test]
    fn a_registration_in_the_same_millisecond_is_ordered_by_id() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        let me = Contender {
            submitted_at: now,
            id: uuid::Uuid::from_u128(5),
        };
        let twin = |id| Conflict::Registration {
            submitted_at: now,
            id: uuid::Uuid::from_u128(id),
        };
        let policy = EngagementPolicy::default();
        assert_eq!(
            policy.resolve(&me, &[twin(4)], now).unwrap().decision,
            Decision::Reject
        );
        assert_eq!(
            policy.resolve(&me, &[twin(6)], now).unwrap().decision,
            Decision::Approve
        );
    }

    #[test]
    fn auto_approval_needs_every_criterion_and_no_conflict() {
        let mut policy = EngagementPolicy::default();
        let facts = AutoFacts {
            conflicts: 0,
            tier_rank: Some(2),
            amount: eur(40_000),
        };
        assert!(policy.auto_approve(&facts).is_err(), "off by default");
        policy.auto_approval = AutoApproval {
            enabled: true,
            min_tier_rank: Some(2),
            max_amount: Some(eur(50_000)),
        };
        assert_eq!(
            policy.auto_approve(&facts).unwrap().rule,
            RuleId::AutoApproval
        );
        let cases = [
            (
                AutoFacts {
                    conflicts: 1,
                    ..facts
                },
                "1 possible conflict",
            ),
            (
                AutoFacts {
                    tier_rank: Some(1),
                    ..facts
                },
                "tier",
            ),
            (
                AutoFacts {
                    tier_rank: None,
                    ..facts
                },
                "tier",
            ),
            (
                AutoFacts {
                    amount: eur(50_001),
                    ..facts
                },
                "above EUR 50,000.00",
            ),
            (
                AutoFacts {
                    amount: Money::new(100, Currency::parse("USD").unwrap()),
                    ..facts
                },
                "in USD",
            ),
        ];
        for (f, why) in cases {
            let err = policy.auto_approve(&f).unwrap_err();
            assert!(err.contains(why), "{err:?} should say {why:?}");
        }
    }

    #[test]
    fn partners_can_read_the_rules() {
        let p = EngagementPolicy::default();
        assert!(p.conflict_rules[0].describe().contains("60 days"));
        assert_eq!(
            p.describe_auto_approval(),
            ["Every registration is reviewed by a channel manager."]
        );
    }
}
