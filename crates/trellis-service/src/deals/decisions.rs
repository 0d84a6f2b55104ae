//! The vendor's side of a registration: review with the rules' advice, decisions, disputes
//! and extensions. Every decision records the rule that made it and the policy version the
//! registration was submitted under.

use serde::Serialize;
use trellis_domain::deals::{Contender, DealStatus, Decision, RuleId, Verdict};
use trellis_domain::{DealRegistrationId, Permission, Timestamp};
use trellis_store::Tx;
use trellis_store::deals::registrations::{self as store, RegistrationRow};

use super::conflicts::{ConflictCandidate, ConflictKind};
use super::policy::PolicyVersion;
use super::{Registration, Step, reason_text};
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Error, Result, Services};

/// What a reviewer needs to decide: the registration, its candidate conflicts, the rules it
/// was submitted under, and what they advise.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    /// The registration.
    pub registration: Registration,
    /// Every candidate conflict, best first.
    pub candidates: Vec<ConflictCandidate>,
    /// The rules it was submitted under.
    pub policy: PolicyVersion,
    /// What they say (none when no rule decides: a person does).
    pub advice: Option<Verdict>,
}

impl Services {
    /// A registration with its conflicts and the rules' advice (vendor reviewers).
    pub async fn review_deal(&self, actor: &Actor, id: DealRegistrationId) -> Result<Review> {
        actor.require(Permission::DealsReview)?;
        if !actor.is_vendor_side() {
            return Err(Error::NotFound);
        }
        let registration = self.get_deal(actor, id).await?;
        let policy = self.policy_version(registration.policy_version).await?;
        let candidates = self
            .deal_conflicts(actor, &registration, policy.policy.match_threshold())
            .await?;
        let advice = advise(&policy, &registration, &candidates, self.now());
        Ok(Review {
            registration,
            candidates,
            policy,
            advice,
        })
    }

    /// A person approves or rejects a pending registration. A rejection needs a reason.
    pub async fn decide_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        decision: Decision,
        reason: &str,
    ) -> Result<Registration> {
        actor.require(Permission::DealsReview)?;
        let reason = reason_text(reason, decision == Decision::Reject)?;
        let before = self.get_deal(actor, id).await?;
        if before.status != DealStatus::Pending {
            return Err(Error::InvalidState(
                "only pending registrations can be decided",
            ));
        }
        let verdict = Verdict {
            decision,
            rule: RuleId::Manual,
            reason: if reason.is_empty() {
                "approved by the channel manager".into()
            } else {
                reason
            },
        };
        let policy = self.policy_version(before.policy_version).await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let after = self
            .apply_verdict(&mut tx, actor, now, &before, version, &policy, verdict)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Applies the rules of engagement to a pending registration and to the other pending
    /// registrations it conflicts with: each is decided by the first rule that applies to
    /// it. Fails, changing nothing, when no rule decides the registration itself.
    pub async fn resolve_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
    ) -> Result<Vec<Registration>> {
        let review = self.review_deal(actor, id).await?;
        if review.registration.status != DealStatus::Pending {
            return Err(Error::InvalidState(
                "only pending registrations can be decided",
            ));
        }
        let Some(verdict) = review.advice.clone() else {
            return Err(Error::InvalidState(
                "no rule of engagement decides this registration: approve or reject it \
                 with a reason",
            ));
        };
        let mut decisions = vec![(
            review.registration.clone(),
            version,
            review.policy.clone(),
            verdict,
        )];
        for rival in review
            .candidates
            .iter()
            .filter(|c| c.kind == ConflictKind::Registration && c.conflict)
        {
            let other = self
                .review_deal(actor, DealRegistrationId::from_uuid(rival.id))
                .await?;
            if other.registration.status != DealStatus::Pending {
                continue;
            }
            if let Some(v) = other.advice {
                let v_version = other.registration.version;
                decisions.push((other.registration, v_version, other.policy, v));
            }
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let mut out = Vec::with_capacity(decisions.len());
        for (registration, version, policy, verdict) in decisions {
            out.push(
                self.apply_verdict(
                    &mut tx,
                    actor,
                    now,
                    &registration,
                    version,
                    &policy,
                    verdict,
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The partner disputes a rejection, with its reason; its reviewers are e-mailed.
    pub async fn dispute_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        reason: &str,
    ) -> Result<Registration> {
        actor.require(Permission::DealsRegister)?;
        let reason = reason_text(reason, true)?;
        let before = self.own_deal(actor, id).await?;
        if before.status != DealStatus::Rejected {
            return Err(Error::InvalidState(
                "only a rejected registration can be disputed",
            ));
        }
        if before.dispute.is_some() {
            return Err(Error::InvalidState("this registration is already disputed"));
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(
                &mut tx,
                actor,
                &before,
                version,
                now,
                |row| {
                    row.disputed_at = Some(now.millis());
                    row.dispute_reason = Some(reason.clone());
                },
                Step {
                    name: "disputed",
                    event: "deal.disputed",
                    rule: None,
                    policy_version: None,
                    reason: reason.clone(),
                },
            )
            .await?;
        let decision = after
            .decision
            .as_ref()
            .map_or_else(String::new, |d| d.reason.clone());
        self.tell_reviewers(
            &mut tx,
            &after,
            now,
            format!("Disputed: {} ({})", after.company_name, after.partner_name),
            format!(
                "{} disputes the rejection of {} ({}).\n\nThe rejection: {}\nTheir reason: {}",
                after.partner_name, after.reference, after.company_name, decision, reason
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A reviewer settles a dispute: upheld (the rejection stands) or overturned (approved).
    pub async fn resolve_dispute(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        overturn: bool,
        reason: &str,
    ) -> Result<Registration> {
        actor.require(Permission::DealsReview)?;
        let reason = reason_text(reason, true)?;
        let before = self.get_deal(actor, id).await?;
        if before.dispute.is_none() {
            return Err(Error::InvalidState("this registration has no open dispute"));
        }
        let policy = self.policy_version(before.policy_version).await?;
        let now = self.now();
        let protection = now.plus(policy.policy.protection()).millis();
        let user = actor.user().map(|u| u.user_id.as_uuid());
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(
                &mut tx,
                actor,
                &before,
                version,
                now,
                |row| {
                    row.disputed_at = None;
                    row.dispute_reason = None;
                    if overturn {
                        DealStatus::Approved.as_str().clone_into(&mut row.status);
                        row.decided_at = Some(now.millis());
                        row.decided_by = user;
                        row.decision_rule = Some(RuleId::Manual.as_str().to_owned());
                        row.decision_reason = Some(reason.clone());
                        row.protected_until = Some(protection);
                    }
                },
                Step {
                    name: if overturn {
                        "dispute_overturned"
                    } else {
                        "dispute_upheld"
                    },
                    event: "deal.dispute_resolved",
                    rule: Some(RuleId::Manual),
                    policy_version: Some(policy.version),
                    reason: reason.clone(),
                },
            )
            .await?;
        if overturn {
            self.tell_partner(&mut tx, &after, now).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// The partner asks for more protection time, within the policy's extension limit.
    pub async fn request_extension(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        reason: &str,
    ) -> Result<Registration> {
        actor.require(Permission::DealsRegister)?;
        let reason = reason_text(reason, true)?;
        let before = self.own_deal(actor, id).await?;
        if before.status != DealStatus::Approved {
            return Err(Error::InvalidState(
                "only an approved registration can be extended",
            ));
        }
        if before.opportunity_id.is_some() {
            return Err(Error::InvalidState(
                "this registration is an opportunity now: its protection follows the opportunity",
            ));
        }
        if before.extension_request.is_some() {
            return Err(Error::InvalidState("an extension request is already open"));
        }
        let policy = self.policy_version(before.policy_version).await?;
        if before.extensions >= i64::from(policy.policy.max_extensions) {
            return Err(Error::InvalidState(
                "this registration has had every extension the rules of engagement allow",
            ));
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(
                &mut tx,
                actor,
                &before,
                version,
                now,
                |row| {
                    row.extension_requested_at = Some(now.millis());
                    row.extension_reason = Some(reason.clone());
                },
                Step {
                    name: "extension_requested",
                    event: "deal.extension_requested",
                    rule: None,
                    policy_version: None,
                    reason: reason.clone(),
                },
            )
            .await?;
        self.tell_reviewers(
            &mut tx,
            &after,
            now,
            format!(
                "Extension requested: {} ({})",
                after.company_name, after.partner_name
            ),
            format!(
                "{} asks to extend the protection of {} ({}), which ends {}.\n\nReason: {}",
                after.partner_name,
                after.reference,
                after.company_name,
                after
                    .protected_until
                    .map_or_else(String::new, Timestamp::date),
                reason,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A reviewer grants or denies an open extension request.
    pub async fn decide_extension(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        grant: bool,
        reason: &str,
    ) -> Result<Registration> {
        actor.require(Permission::DealsReview)?;
        let reason = reason_text(reason, !grant)?;
        let before = self.get_deal(actor, id).await?;
        if before.extension_request.is_none() || before.status != DealStatus::Approved {
            return Err(Error::InvalidState(
                "this registration has no open extension request",
            ));
        }
        let policy = self.policy_version(before.policy_version).await?;
        let now = self.now();
        let from = before.protected_until.map_or(now, |p| p.max(now));
        let until = from.plus(policy.policy.extension());
        self.change(
            actor,
            &before,
            version,
            now,
            |row| {
                row.extension_requested_at = None;
                row.extension_reason = None;
                if grant {
                    row.extensions += 1;
                    row.protected_until = Some(until.millis());
                    row.expiry_warned_at = None;
                }
            },
            Step {
                name: if grant {
                    "extended"
                } else {
                    "extension_denied"
                },
                event: if grant {
                    "deal.extended"
                } else {
                    "deal.extension_denied"
                },
                rule: Some(RuleId::Manual),
                policy_version: Some(policy.version),
                reason: if grant && reason.is_empty() {
                    format!("protected until {}", until.date())
                } else {
                    reason
                },
            },
        )
        .await
    }

    /// Writes a decision's verdict on a pending registration.
    #[allow(clippy::too_many_arguments)]
    async fn apply_verdict(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        now: Timestamp,
        before: &Registration,
        version: i64,
        policy: &PolicyVersion,
        verdict: Verdict,
    ) -> Result<Registration> {
        let current = store::find(&mut tx.exec(), before.id.as_uuid(), None)
            .await?
            .ok_or(Error::NotFound)?;
        if current.status != DealStatus::Pending.as_str() {
            return Err(Error::InvalidState(
                "only pending registrations can be decided",
            ));
        }
        let approve = verdict.decision == Decision::Approve;
        let status = if approve {
            DealStatus::Approved
        } else {
            DealStatus::Rejected
        };
        let decided_by = actor.user().map(|u| u.user_id.as_uuid());
        let protected_until = approve.then(|| now.plus(policy.policy.protection()).millis());
        let (rule, reason) = (verdict.rule, verdict.reason.clone());
        let edit = |row: &mut RegistrationRow| {
            status.as_str().clone_into(&mut row.status);
            row.sla_due_at = None;
            row.decided_at = Some(now.millis());
            row.decided_by = decided_by;
            row.decision_rule = Some(rule.as_str().to_owned());
            row.decision_reason = Some(reason);
            row.protected_until = protected_until;
        };
        let step = Step {
            name: status.as_str(),
            event: if approve {
                "deal.approved"
            } else {
                "deal.rejected"
            },
            rule: Some(verdict.rule),
            policy_version: Some(policy.version),
            reason: verdict.reason,
        };
        let after = self
            .change_in(tx, actor, before, version, now, edit, step)
            .await?;
        self.tell_partner(tx, &after, now).await?;
        Ok(after)
    }

    /// Changes a registration with `edit` and writes the step, in one transaction.
    pub(crate) async fn change(
        &self,
        actor: &Actor,
        before: &Registration,
        version: i64,
        now: Timestamp,
        edit: impl FnOnce(&mut RegistrationRow),
        step: Step<'_>,
    ) -> Result<Registration> {
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(&mut tx, actor, before, version, now, edit, step)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// [`change`](Self::change) in the caller's transaction, for steps that write more with
    /// it (e-mails, other registrations, the partner on an opportunity): all or nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn change_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        before: &Registration,
        version: i64,
        now: Timestamp,
        edit: impl FnOnce(&mut RegistrationRow),
        step: Step<'_>,
    ) -> Result<Registration> {
        let mut row = store::find(&mut tx.exec(), before.id.as_uuid(), None)
            .await?
            .ok_or(Error::NotFound)?;
        row.version = version;
        edit(&mut row);
        row.updated_at = now.millis();
        if !store::update(&mut tx.exec(), &row).await? {
            return Err(Error::StaleVersion {
                current: before.version,
            });
        }
        let after = self.reread(tx, before.id).await?;
        self.deal_step(tx, actor, now, Some(before), &after, step)
            .await?;
        Ok(after)
    }
}

impl Services {
    /// E-mails the people who review the partner's registrations (its channel manager, else
    /// every reviewer) about a registration, with a link to its review page, in `tx`.
    async fn tell_reviewers(
        &self,
        tx: &mut Tx,
        about: &Registration,
        now: Timestamp,
        subject: String,
        text: String,
    ) -> Result<()> {
        let link = self.config().link(&format!("/console/deals/{}", about.id));
        for to in super::register::reviewers_of(&mut tx.exec(), about.partner_id).await? {
            let msg = EmailMessage {
                to,
                subject: subject.clone(),
                body: format!("{text}\n\n{link}\n"),
            };
            email::queue(tx, &msg, now, self.config().job_max_attempts).await?;
        }
        Ok(())
    }
}
/// What the rules say about a pending registration given its candidates.
fn advise(
    policy: &PolicyVersion,
    registration: &Registration,
    candidates: &[ConflictCandidate],
    now: Timestamp,
) -> Option<Verdict> {
    if registration.status != DealStatus::Pending {
        return None;
    }
    let facts: Vec<_> = candidates
        .iter()
        .filter(|c| c.partner_id != Some(registration.partner_id))
        .filter_map(|c| c.fact)
        .collect();
    let me = Contender {
        submitted_at: registration.created_at,
        id: registration.id.as_uuid(),
    };
    policy.policy.resolve(&me, &facts, now)
}
