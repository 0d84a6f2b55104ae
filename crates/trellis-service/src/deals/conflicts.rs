//! Conflict detection: what else claims a registration's customer. The conflict index finds
//! the vendor accounts and the registrations for the same company; the open opportunities of
//! those accounts come with them.

use std::collections::HashMap;

use serde::Serialize;
use trellis_domain::crm::Relationship;
use trellis_domain::deals::{Conflict, DealStatus};
use trellis_domain::{Currency, DealRegistrationId, Money, OrgId, Permission, Timestamp};
use trellis_match::{Company, Prepared};
use trellis_store::crm::{accounts as account_store, opportunities as opportunity_store};
use trellis_store::deals::{involvement, registrations as registration_store};
use uuid::Uuid;

use super::Registration;
use super::index::{Hit, Subject};
use crate::platform::parse_stored;
use crate::{Actor, Error, Result, Services};

/// Most matched companies looked at per check: past the best few dozen, scores are far below
/// any sensible threshold.
const MAX_HITS: usize = 50;

/// The company fields a conflict check reads.
#[derive(Clone, Debug, Default)]
pub struct CompanyProbe {
    /// Company name.
    pub company_name: String,
    /// Website or domain.
    pub website: String,
    /// The customer contact's e-mail (its domain stands in for a missing website).
    pub contact_email: String,
    /// Country, code or name.
    pub country: String,
}

impl CompanyProbe {
    pub(crate) fn prepare(&self) -> Prepared {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Prepared::new(&Company {
            name: self.company_name.clone(),
            website: some(&self.website),
            email: some(&self.contact_email),
            country: some(&self.country),
        })
    }
}

/// What a candidate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// A vendor account.
    Account,
    /// An open vendor opportunity (of a matched account).
    Opportunity,
    /// Another registration.
    Registration,
}

/// Something that may claim the same customer, with its score and reason.
#[derive(Clone, Debug, Serialize)]
pub struct ConflictCandidate {
    /// What it is.
    pub kind: ConflictKind,
    /// Its id.
    pub id: Uuid,
    /// Account name, opportunity name, or registered company.
    pub name: String,
    /// One line of what matters about it.
    pub detail: String,
    /// Match score, 0–1 (an opportunity has its account's).
    pub score: f64,
    /// Why it matched.
    pub reason: String,
    /// Whether it counts as a conflict (an active registration, an open opportunity, a
    /// customer account) or is only related (a prospect account without open opportunities).
    pub conflict: bool,
    /// The registering partner (registrations only).
    pub partner_id: Option<OrgId>,
    /// The fact the rules of engagement read.
    #[serde(skip)]
    pub(crate) fact: Option<Conflict>,
}

/// The outcome of a pre-submit check, as a partner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Nothing else claims this customer.
    Clear,
    /// Something may: the registration will be reviewed.
    PossibleConflict,
    /// The partner has registered this customer already.
    OwnDuplicate,
}

/// A pre-submit check. A partner learns the outcome and its own duplicates only; a vendor
/// user also gets every candidate.
#[derive(Clone, Debug, Serialize)]
pub struct ConflictCheck {
    /// The outcome.
    pub outcome: CheckOutcome,
    /// What it means, for the person registering.
    pub message: String,
    /// The partner's own active registrations for this customer, by reference.
    pub own_registrations: Vec<String>,
    /// Every candidate (vendor users only).
    pub candidates: Vec<ConflictCandidate>,
}

impl Services {
    /// Checks a customer before registering: may it conflict?
    pub async fn check_deal(&self, actor: &Actor, probe: &CompanyProbe) -> Result<ConflictCheck> {
        if actor.require(Permission::DealsRegister).is_err() {
            actor.require(Permission::DealsReview)?;
        }
        if probe.company_name.trim().is_empty() {
            return Err(Error::field("company_name", "is required"));
        }
        let threshold = self.policy_in_force().await?.policy.match_threshold();
        let candidates = self
            .conflicts_for(&probe.prepare(), threshold, None)
            .await?;
        Ok(summarise(actor, candidates))
    }

    /// Builds the conflict index now (or catches it up), so that the first registration does
    /// not wait for it. Returns how many accounts and registrations it holds.
    pub async fn warm_conflict_index(&self) -> Result<usize> {
        self.conflict_index.refresh(self.db()).await?;
        Ok(self.conflict_index.len())
    }

    /// Every candidate conflict of one registration, best first (vendor reviewers).
    pub async fn deal_conflicts(
        &self,
        actor: &Actor,
        registration: &Registration,
        threshold: f64,
    ) -> Result<Vec<ConflictCandidate>> {
        actor.require(Permission::DealsReview)?;
        let probe = CompanyProbe {
            company_name: registration.company_name.clone(),
            website: registration.domain.clone(),
            contact_email: String::new(),
            country: registration.country.clone(),
        };
        self.conflicts_for(&probe.prepare(), threshold, Some(registration))
            .await
    }

    /// The candidates for a prepared company, `subject` excluded.
    pub(crate) async fn conflicts_for(
        &self,
        probe: &Prepared,
        threshold: f64,
        subject: Option<&Registration>,
    ) -> Result<Vec<ConflictCandidate>> {
        self.conflict_index.refresh(self.db()).await?;
        let mut hits = self.conflict_index.hits(probe, threshold);
        hits.truncate(MAX_HITS);
        let skip = subject.map(|s| s.id.as_uuid());
        hits.retain(|h| !matches!(h.subject, Subject::Registration { id, .. } if Some(id) == skip));
        let mut out = self.describe(&hits).await?;
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then((a.kind as u8).cmp(&(b.kind as u8)))
        });
        Ok(out)
    }

    async fn describe(&self, hits: &[Hit]) -> Result<Vec<ConflictCandidate>> {
        let account_hits: HashMap<Uuid, &Hit> = hits
            .iter()
            .filter_map(|h| match h.subject {
                Subject::Account(id) => Some((id, h)),
                Subject::Registration { .. } => None,
            })
            .collect();
        let registration_ids: Vec<Uuid> = hits
            .iter()
            .filter_map(|h| match h.subject {
                Subject::Registration { id, .. } => Some(id),
                Subject::Account(_) => None,
            })
            .collect();
        let account_ids: Vec<Uuid> = account_hits.keys().copied().collect();
        let mut c = self.db().read().await?;
        let accounts = account_store::find_many(&mut c.exec(), &account_ids).await?;
        let opportunities =
            opportunity_store::open_of_accounts(&mut c.exec(), &account_ids).await?;
        let opportunity_ids: Vec<Uuid> = opportunities.iter().map(|o| o.id).collect();
        let partnered: std::collections::HashSet<Uuid> =
            involvement::of_opportunities(&mut c.exec(), &opportunity_ids)
                .await?
                .into_iter()
                .map(|p| p.opportunity_id)
                .collect();
        let registrations = registration_store::find_many(&mut c.exec(), &registration_ids).await?;
        drop(c);

        let mut open_by_account: HashMap<Uuid, usize> = HashMap::new();
        let mut out = Vec::with_capacity(hits.len() + opportunities.len());
        for o in opportunities {
            let Some(hit) = o.account_id.and_then(|a| account_hits.get(&a)) else {
                continue;
            };
            *open_by_account.entry(hit.subject.id()).or_default() += 1;
            let direct = !partnered.contains(&o.id);
            let last_activity = Timestamp::from_millis(o.last_activity_at.unwrap_or(o.updated_at));
            let amount = o
                .currency
                .parse::<Currency>()
                .map(|c| Money::new(o.amount_minor, c).format())
                .unwrap_or_default();
            out.push(ConflictCandidate {
                kind: ConflictKind::Opportunity,
                id: o.id,
                detail: format!(
                    "{} · {amount} · last activity {} · {}{}",
                    o.stage,
                    last_activity.date(),
                    if direct { "direct" } else { "partner attached" },
                    owner_suffix(&o.owner_name),
                ),
                name: o.name,
                score: hit.score,
                reason: format!("account: {}", hit.reason),
                conflict: true,
                partner_id: None,
                fact: Some(Conflict::Opportunity {
                    direct,
                    last_activity_at: last_activity,
                }),
            });
        }
        for a in accounts {
            let Some(hit) = account_hits.get(&a.id) else {
                continue;
            };
            let relationship: Relationship = parse_stored("relationship", &a.relationship)?;
            let customer = relationship == Relationship::Customer;
            let open = open_by_account.get(&a.id).copied().unwrap_or(0);
            out.push(ConflictCandidate {
                kind: ConflictKind::Account,
                id: a.id,
                detail: format!(
                    "{}{} · {open} open opportunit{}",
                    relationship.label(),
                    owner_suffix(&a.owner_name),
                    if open == 1 { "y" } else { "ies" }
                ),
                name: a.name,
                score: hit.score,
                reason: hit.reason.to_string(),
                conflict: customer,
                partner_id: None,
                fact: Some(Conflict::Account { customer }),
            });
        }
        describe_registrations(hits, registrations, &mut out)?;
        Ok(out)
    }
}

/// The registration candidates among the hits.
fn describe_registrations(
    hits: &[Hit],
    registrations: Vec<registration_store::RegistrationRow>,
    out: &mut Vec<ConflictCandidate>,
) -> Result<()> {
    let by_id: HashMap<Uuid, &Hit> = hits.iter().map(|h| (h.subject.id(), h)).collect();
    for r in registrations {
        let Some(hit) = by_id.get(&r.id) else {
            continue;
        };
        let status: DealStatus = parse_stored("status", &r.status)?;
        let submitted = Timestamp::from_millis(r.created_at);
        out.push(ConflictCandidate {
            kind: ConflictKind::Registration,
            id: r.id,
            detail: format!(
                "{} · {} · {} · submitted {}",
                Registration::reference_of(DealRegistrationId::from_uuid(r.id)),
                r.org_name,
                status.label(),
                submitted.to_display()
            ),
            name: r.company_name,
            score: hit.score,
            reason: hit.reason.to_string(),
            conflict: status.is_active(),
            partner_id: Some(OrgId::from_uuid(r.org_id)),
            fact: Some(Conflict::Registration {
                submitted_at: submitted,
                id: r.id,
            })
            .filter(|_| status.is_active()),
        });
    }
    Ok(())
}

fn owner_suffix(owner: &str) -> String {
    if owner.is_empty() {
        String::new()
    } else {
        format!(" · owner {owner}")
    }
}

/// The outcome as the actor may see it.
fn summarise(actor: &Actor, candidates: Vec<ConflictCandidate>) -> ConflictCheck {
    let mine = actor.partner_scope().map(|s| s.org_id().as_uuid());
    let own: Vec<&ConflictCandidate> = candidates
        .iter()
        .filter(|c| c.kind == ConflictKind::Registration && c.conflict)
        .filter(|c| mine.is_some() && c.partner_id.map(OrgId::as_uuid) == mine)
        .collect();
    let others = candidates
        .iter()
        .filter(|c| c.conflict && !own.iter().any(|o| o.id == c.id))
        .count();
    let own_registrations: Vec<String> = own
        .iter()
        .map(|c| Registration::reference_of(DealRegistrationId::from_uuid(c.id)))
        .collect();
    let (outcome, message) = if !own_registrations.is_empty() {
        (
            CheckOutcome::OwnDuplicate,
            format!(
                "You have already registered this customer ({}).",
                own_registrations.join(", ")
            ),
        )
    } else if others > 0 {
        (
            CheckOutcome::PossibleConflict,
            "This customer may already be claimed. You can still register: the channel \
             manager will review it under the rules of engagement."
                .to_owned(),
        )
    } else {
        (
            CheckOutcome::Clear,
            "No conflict found for this customer.".to_owned(),
        )
    };
    ConflictCheck {
        outcome,
        message,
        own_registrations,
        candidates: if actor.is_vendor_side() {
            candidates
        } else {
            Vec::new()
        },
    }
}
