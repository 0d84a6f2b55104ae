//! Registering a deal, reading registrations, and the partner's own changes: keeping the
//! deal up to date and withdrawing it.

use trellis_domain::deals::{AutoFacts, DealStage, DealStatus, Verdict};
use trellis_domain::{
    Currency, DealRegistrationId, Email, FieldErrors, Money, OrgId, Permission, Timestamp, UserId,
};
use trellis_store::deals::registrations::{self as store, RegistrationFilter, RegistrationRow};
use trellis_store::deals::trail;
use trellis_store::platform::users as user_store;
use trellis_store::{Exec, Tx};

use super::conflicts::CompanyProbe;
use super::policy::PolicyVersion;
use super::{Registration, Step, TrailStep};
use crate::crm::plain;
use crate::platform::PageRequest;
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Error, Page, Result, Services};

/// What registering needs to know about the partner.
struct Registrant {
    tier_rank: Option<u32>,
    org_name: String,
    /// Who reviews its registrations: its channel manager, else every reviewer.
    reviewers: Vec<String>,
    /// No deal registered yet.
    first_deal: bool,
}

/// Who reviews a partner's registrations: its channel manager if active, else every
/// reviewer.
pub(crate) async fn reviewers_of(ex: &mut Exec<'_>, partner: OrgId) -> Result<Vec<String>> {
    let owner = user_store::partner_owner_email(ex, partner.as_uuid()).await?;
    reviewers_given(ex, owner).await
}

/// [`reviewers_of`] when the channel manager's address is known already.
async fn reviewers_given(ex: &mut Exec<'_>, owner: Option<String>) -> Result<Vec<String>> {
    Ok(match owner {
        Some(email) => vec![email],
        None => user_store::reviewers(ex).await?,
    })
}

/// A registration checked and decided on, ready to write.
struct NewRegistration {
    /// Pending, as submitted.
    row: RegistrationRow,
    /// What the rules of engagement say: approve at once, or why not.
    auto: std::result::Result<Verdict, String>,
    policy: PolicyVersion,
    facts: Registrant,
    now: Timestamp,
}

/// Largest amount accepted, in minor units: beyond any real deal, well inside `i64`.
const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// What a partner registers.
#[derive(Clone, Debug, Default)]
pub struct RegistrationInput {
    /// The customer company (required).
    pub company_name: String,
    /// Its website or domain.
    pub website: String,
    /// Country: code or name.
    pub country: String,
    /// Customer contact (required).
    pub contact_name: String,
    /// Their e-mail address (required).
    pub contact_email: String,
    /// Their phone.
    pub contact_phone: String,
    /// What the customer would buy (required).
    pub product: String,
    /// Expected deal size in minor units (required, positive).
    pub amount_minor: i64,
    /// ISO 4217 currency (required).
    pub currency: String,
    /// Expected close date, `YYYY-MM-DD`, today or later (required).
    pub expected_close: String,
    /// The opportunity in the partner's words.
    pub description: String,
    /// Where the deal stands (default: discovery).
    pub stage: Option<DealStage>,
    /// The partner's next step.
    pub next_step: String,
}

/// What lists filter by.
#[derive(Clone, Debug, Default)]
pub struct DealQuery {
    /// One status.
    pub status: Option<DealStatus>,
    /// Part of the company name.
    pub q: Option<String>,
    /// One partner (vendor users).
    pub partner_id: Option<OrgId>,
    /// Only partners whose channel manager the actor is.
    pub my_partners: bool,
    /// Oldest first: the review queue.
    pub oldest_first: bool,
}

/// A partner's update of its deal; `None` leaves a field as it is. The customer itself
/// cannot change: that would move the registration's place in a conflict.
#[derive(Clone, Debug, Default)]
pub struct DealUpdate {
    /// The version read.
    pub version: i64,
    /// Stage.
    pub stage: Option<DealStage>,
    /// Next step.
    pub next_step: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Amount in minor units (same currency).
    pub amount_minor: Option<i64>,
    /// Expected close date.
    pub expected_close: Option<String>,
}

/// The validated fields of a registration.
struct Fields {
    company_name: String,
    website: String,
    country: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
    product: String,
    amount: Money,
    expected_close: String,
    description: String,
    stage: DealStage,
    next_step: String,
}

fn check(input: &RegistrationInput, today: &str) -> Result<Fields, FieldErrors> {
    let mut e = FieldErrors::new();
    let company_name = plain(&mut e, "company_name", &input.company_name, 255, false);
    if company_name.is_empty() {
        e.add("company_name", "is required");
    }
    let website = plain(&mut e, "website", &input.website, 2_000, false);
    if !website.is_empty() && trellis_match::domain::website_domain(&website).is_none() {
        e.add("website", "is not a web address (example: acme.com)");
    }
    let country_text = plain(&mut e, "country", &input.country, 100, false);
    let country = if country_text.is_empty() {
        String::new()
    } else if let Some(c) = trellis_match::country::country_code(&country_text) {
        c.as_str().to_owned()
    } else {
        e.add(
            "country",
            format!("\"{country_text}\" is not a country we know"),
        );
        String::new()
    };
    let contact_name = plain(&mut e, "contact_name", &input.contact_name, 200, false);
    if contact_name.is_empty() {
        e.add("contact_name", "is required");
    }
    let contact_email = match Email::parse(input.contact_email.trim()) {
        Ok(m) => m.as_str().to_owned(),
        Err(_) if input.contact_email.trim().is_empty() => {
            e.add("contact_email", "is required");
            String::new()
        }
        Err(err) => {
            e.add("contact_email", err.to_string());
            String::new()
        }
    };
    let contact_phone = plain(&mut e, "contact_phone", &input.contact_phone, 60, false);
    let product = plain(&mut e, "product", &input.product, 200, false);
    if product.is_empty() {
        e.add("product", "is required");
    }
    let currency = e.check("currency", Currency::parse(input.currency.trim()));
    let amount = amount(&mut e, input.amount_minor);
    let expected_close = close_date(&mut e, &input.expected_close, today);
    let description = plain(&mut e, "description", &input.description, 5_000, true);
    let next_step = plain(&mut e, "next_step", &input.next_step, 500, false);
    e.into_result()?;
    Ok(Fields {
        company_name,
        website,
        country,
        contact_name,
        contact_email,
        contact_phone,
        product,
        amount: Money::new(amount, currency.unwrap_or_else(|| unreachable!())),
        expected_close,
        description,
        stage: input.stage.unwrap_or(DealStage::Discovery),
        next_step,
    })
}

fn amount(e: &mut FieldErrors, minor: i64) -> i64 {
    if minor <= 0 {
        e.add("amount_minor", "must be more than zero");
    } else if minor > MAX_AMOUNT_MINOR {
        e.add("amount_minor", "is too large");
    }
    minor
}

/// An ISO date from today up to five years ahead.
fn close_date(e: &mut FieldErrors, text: &str, today: &str) -> String {
    let text = text.trim();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(text, &format) {
        Err(_) if text.is_empty() => e.add("expected_close", "is required"),
        Err(_) => e.add("expected_close", "must be a date like 2026-12-31"),
        Ok(d) => {
            let iso = d.to_string();
            let limit = d.year() - 5;
            if iso.as_str() < today {
                e.add("expected_close", "must not be in the past");
            } else if today.get(..4).and_then(|y| y.parse::<i32>().ok()) < Some(limit) {
                e.add("expected_close", "must be within five years");
            }
            return iso;
        }
    }
    String::new()
}

/// The row of a new, pending registration.
fn new_row(
    id: DealRegistrationId,
    who: (OrgId, UserId),
    fields: Fields,
    prepared: &trellis_match::Prepared,
    policy: &PolicyVersion,
    conflicts: usize,
    now: Timestamp,
) -> RegistrationRow {
    RegistrationRow {
        id: id.as_uuid(),
        org_id: who.0.as_uuid(),
        org_name: String::new(),
        submitted_by: who.1.as_uuid(),
        company_name: fields.company_name,
        website: fields.website,
        domain: prepared.domain.clone().unwrap_or_default(),
        country: fields.country,
        contact_name: fields.contact_name,
        contact_email: fields.contact_email,
        contact_phone: fields.contact_phone,
        product: fields.product,
        amount_minor: fields.amount.amount_minor,
        currency: fields.amount.currency.code().to_owned(),
        expected_close: fields.expected_close,
        description: fields.description,
        status: DealStatus::Pending.as_str().to_owned(),
        stage: fields.stage.as_str().to_owned(),
        next_step: fields.next_step,
        policy_version: policy.version,
        conflicts: i64::try_from(conflicts).unwrap_or(i64::MAX),
        sla_due_at: Some(now.plus(policy.policy.approval_sla()).millis()),
        escalated_at: None,
        decided_at: None,
        decided_by: None,
        decision_rule: None,
        decision_reason: None,
        protected_until: None,
        expiry_warned_at: None,
        extensions: 0,
        extension_requested_at: None,
        extension_reason: None,
        disputed_at: None,
        dispute_reason: None,
        opportunity_id: None,
        version: 1,
        created_at: now.millis(),
        updated_at: now.millis(),
    }
}

impl Services {
    /// Registers a deal for the actor's partner organisation. Its conflicts are found, the
    /// rules of engagement may approve it at once, and the channel manager is told.
    ///
    /// Everything that can be read is read before the write transaction, which then only
    /// inserts: on SQLite the writer is one connection, and its time per registration is the
    /// ceiling of registrations per second.
    pub async fn register_deal(
        &self,
        actor: &Actor,
        input: &RegistrationInput,
    ) -> Result<Registration> {
        actor.require(Permission::DealsRegister)?;
        let scope = actor.partner_scope().ok_or(Error::Forbidden)?;
        let user = actor.require_user()?;
        let now = self.now();
        let fields = check(input, &now.date()).map_err(Error::Validation)?;
        self.require_current_agreement(actor).await?;
        let probe = CompanyProbe {
            company_name: fields.company_name.clone(),
            website: fields.website.clone(),
            contact_email: fields.contact_email.clone(),
            country: fields.country.clone(),
        };
        let prepared = probe.prepare();
        let (facts, policy) = self.registrant_facts(scope.org_id()).await?;
        let candidates = self
            .conflicts_for(&prepared, policy.policy.match_threshold(), None)
            .await?;
        let conflicts = candidates.iter().filter(|c| c.conflict).count();
        let auto = policy.policy.auto_approve(&AutoFacts {
            conflicts,
            tier_rank: facts.tier_rank,
            amount: fields.amount,
        });
        let id = DealRegistrationId::new();
        let mut row = new_row(
            id,
            (scope.org_id(), user.user_id),
            fields,
            &prepared,
            &policy,
            conflicts,
            now,
        );
        row.org_name.clone_from(&facts.org_name);
        let this = self.clone();
        let actor = actor.clone();
        let write = NewRegistration {
            row,
            auto,
            policy,
            facts,
            now,
        };
        self.db()
            .on_writer(Box::pin(async move {
                this.write_registration(&actor, write).await
            }))
            .await
    }

    /// Writes a new registration, approved at once when the rules say so, with its trail,
    /// audit entries, events and e-mails: one transaction of inserts only.
    async fn write_registration(
        &self,
        actor: &Actor,
        new: NewRegistration,
    ) -> Result<Registration> {
        let NewRegistration {
            mut row,
            auto,
            policy,
            facts,
            now,
        } = new;
        let submitted = Registration::try_from(row.clone())?;
        let decided = match &auto {
            Ok(verdict) => {
                DealStatus::Approved.as_str().clone_into(&mut row.status);
                row.sla_due_at = None;
                row.decided_at = Some(now.millis());
                row.decision_rule = Some(verdict.rule.as_str().to_owned());
                row.decision_reason = Some(verdict.reason.clone());
                row.protected_until = Some(now.plus(policy.policy.protection()).millis());
                Some(Registration::try_from(row.clone())?)
            }
            Err(_) => None,
        };
        let waiting = auto
            .as_ref()
            .err()
            .map_or_else(String::new, |why| format!("waiting for review: {why}"));
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        let submit = Step {
            name: "submitted",
            event: "deal.registered",
            rule: None,
            policy_version: Some(policy.version),
            reason: waiting,
        };
        self.deal_step(&mut tx, actor, now, None, &submitted, submit)
            .await?;
        let registration = if let (Ok(verdict), Some(approved)) = (auto, decided) {
            let step = Step {
                name: "approved",
                event: "deal.approved",
                rule: Some(verdict.rule),
                policy_version: Some(policy.version),
                reason: verdict.reason,
            };
            self.deal_step(&mut tx, actor, now, Some(&submitted), &approved, step)
                .await?;
            self.tell_partner(&mut tx, &approved, now).await?;
            approved
        } else {
            self.queue_review_emails(&mut tx, &submitted, &facts.reviewers, now)
                .await?;
            submitted
        };
        if facts.first_deal {
            self.note_first_deal(&mut tx, actor, registration.partner_id, now)
                .await?;
        }
        tx.commit().await?;
        Ok(registration)
    }

    /// What registering reads about the partner, with the rules in force: one query, plus
    /// one for the reviewers of a partner without a channel manager.
    async fn registrant_facts(&self, org: OrgId) -> Result<(Registrant, PolicyVersion)> {
        let (row, reviewers) = {
            let mut c = self.db().read().await?;
            let row = store::registrant(&mut c.exec(), org.as_uuid())
                .await?
                .ok_or(Error::NotFound)?;
            let reviewers = reviewers_given(&mut c.exec(), row.owner_email.clone()).await?;
            (row, reviewers)
        };
        let policy = self.policy_at(row.policy_version).await?;
        let facts = Registrant {
            tier_rank: row.tier_rank.and_then(|r| u32::try_from(r).ok()),
            org_name: row.org_name,
            reviewers,
            first_deal: row.has_profile == 1 && row.first_deal_at.is_none(),
        };
        Ok((facts, policy))
    }

    pub(crate) async fn reread(&self, tx: &mut Tx, id: DealRegistrationId) -> Result<Registration> {
        store::find(&mut tx.exec(), id.as_uuid(), None)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// One registration: a partner sees only its own.
    pub async fn get_deal(&self, actor: &Actor, id: DealRegistrationId) -> Result<Registration> {
        actor.require(Permission::DealsRead)?;
        let org = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid(), org)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// A number that grows whenever a registration the actor sees is submitted or changes
    /// (a partner: its own; the vendor: any). Live pages poll it and render again only when
    /// it moves.
    pub async fn deals_stamp(&self, actor: &Actor) -> Result<i64> {
        actor.require(Permission::DealsRead)?;
        let org = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut c = self.db().read().await?;
        Ok(trail::last_seq(&mut c.exec(), org).await?)
    }

    /// A registration's trail, oldest first.
    pub async fn deal_trail(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
    ) -> Result<Vec<TrailStep>> {
        self.get_deal(actor, id).await?;
        let mut c = self.db().read().await?;
        trail::of(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .map(TrailStep::try_from)
            .collect()
    }

    /// Registrations, newest first (or oldest first for the review queue). A partner sees
    /// only its own.
    pub async fn list_deals(
        &self,
        actor: &Actor,
        q: &DealQuery,
        page: &PageRequest,
    ) -> Result<Page<Registration>> {
        actor.require(Permission::DealsRead)?;
        let (cursor, limit) = page.parse()?;
        let filter = RegistrationFilter {
            org_id: match actor.partner_scope() {
                Some(s) => Some(s.org_id().as_uuid()),
                None => q.partner_id.map(OrgId::as_uuid),
            },
            status: q.status.map(|s| s.as_str().to_owned()),
            q: q.q.clone(),
            partner_owner_id: if q.my_partners && actor.is_vendor_side() {
                actor.user().map(|u| u.user_id.as_uuid())
            } else {
                None
            },
            oldest_first: q.oldest_first,
        };
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), &filter, cursor.as_ref(), limit).await?;
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(Registration::try_from)
                .collect::<Result<_>>()?,
            next: rows.next,
        })
    }

    /// Registrations per status (a partner: its own).
    pub async fn deal_counts(&self, actor: &Actor) -> Result<Vec<(DealStatus, i64)>> {
        actor.require(Permission::DealsRead)?;
        let org = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut c = self.db().read().await?;
        let counts = store::counts(&mut c.exec(), org).await?;
        Ok(DealStatus::ALL
            .iter()
            .map(|s| {
                let n = counts
                    .iter()
                    .find(|(k, _)| k == s.as_str())
                    .map_or(0, |(_, n)| *n);
                (*s, n)
            })
            .collect())
    }

    /// The partner keeps its deal up to date (stage, next step, amount, close date, notes).
    pub async fn update_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        update: &DealUpdate,
    ) -> Result<Registration> {
        actor.require(Permission::DealsRegister)?;
        let before = self.own_deal(actor, id).await?;
        if !before.status.is_active() {
            return Err(Error::InvalidState(
                "only pending and approved registrations can be updated",
            ));
        }
        let now = self.now();
        let mut e = FieldErrors::new();
        let mut row = self.row_of(id).await?;
        let mut changed = Vec::new();
        if let Some(stage) = update.stage.filter(|s| s.as_str() != row.stage) {
            changed.push(format!("stage {} → {}", row.stage, stage));
            stage.as_str().clone_into(&mut row.stage);
        }
        if let Some(next) = &update.next_step {
            let next = plain(&mut e, "next_step", next, 500, false);
            if next != row.next_step {
                changed.push("next step".to_owned());
                row.next_step = next;
            }
        }
        if let Some(d) = &update.description {
            let d = plain(&mut e, "description", d, 5_000, true);
            if d != row.description {
                changed.push("description".to_owned());
                row.description = d;
            }
        }
        if let Some(a) = update.amount_minor.filter(|a| *a != row.amount_minor) {
            row.amount_minor = amount(&mut e, a);
            changed.push("amount".to_owned());
        }
        if let Some(d) = &update.expected_close {
            let d = close_date(&mut e, d, &now.date());
            if d != row.expected_close {
                changed.push("expected close".to_owned());
                row.expected_close = d;
            }
        }
        e.into_result().map_err(Error::Validation)?;
        if changed.is_empty() {
            return Ok(before);
        }
        row.version = update.version;
        let step = Step {
            name: "updated",
            event: "deal.updated",
            rule: None,
            policy_version: None,
            reason: changed.join(", "),
        };
        self.change(actor, &before, update.version, now, |r| *r = row, step)
            .await
    }

    /// The partner takes its registration back.
    pub async fn withdraw_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
        version: i64,
        reason: &str,
    ) -> Result<Registration> {
        actor.require(Permission::DealsRegister)?;
        let before = self.own_deal(actor, id).await?;
        if !before.status.is_active() {
            return Err(Error::InvalidState(
                "only pending and approved registrations can be withdrawn",
            ));
        }
        let reason = super::reason_text(reason, false)?;
        let now = self.now();
        let step = Step {
            name: "withdrawn",
            event: "deal.withdrawn",
            rule: None,
            policy_version: None,
            reason,
        };
        let edit = |r: &mut RegistrationRow| {
            DealStatus::Withdrawn.as_str().clone_into(&mut r.status);
            r.sla_due_at = None;
        };
        self.change(actor, &before, version, now, edit, step).await
    }

    /// The actor's own registration (partners), or any (vendor side, for completeness).
    pub(crate) async fn own_deal(
        &self,
        actor: &Actor,
        id: DealRegistrationId,
    ) -> Result<Registration> {
        let registration = self.get_deal(actor, id).await?;
        if actor.is_vendor_side() {
            return Err(Error::Forbidden);
        }
        Ok(registration)
    }

    pub(crate) async fn row_of(&self, id: DealRegistrationId) -> Result<RegistrationRow> {
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid(), None)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Queues the "to review" e-mail of a registration to each recipient.
    async fn queue_review_emails(
        &self,
        tx: &mut Tx,
        r: &Registration,
        recipients: &[String],
        now: Timestamp,
    ) -> Result<()> {
        let link = self.config().link(&format!("/console/deals/{}", r.id));
        for to in recipients {
            let msg = EmailMessage {
                to: to.clone(),
                subject: format!(
                    "Deal registration to review: {} ({})",
                    r.company_name, r.partner_name
                ),
                body: format!(
                    "{partner} registered a deal for {company}: {product}, {amount}, expected \
                     to close {close}.\n\n{conflicts}Review it by {due}:\n{link}\n",
                    partner = r.partner_name,
                    company = r.company_name,
                    product = r.product,
                    amount = r.amount.format(),
                    close = r.expected_close,
                    conflicts = match r.conflicts {
                        0 => String::new(),
                        1 => "1 possible conflict was found.\n\n".to_owned(),
                        n => format!("{n} possible conflicts were found.\n\n"),
                    },
                    due = r.sla_due_at.map_or_else(String::new, Timestamp::to_display),
                ),
            };
            email::queue(tx, &msg, now, self.config().job_max_attempts).await?;
        }
        Ok(())
    }

    /// Tells the partner user who registered the deal about a decision.
    pub(crate) async fn tell_partner(
        &self,
        tx: &mut Tx,
        r: &Registration,
        now: Timestamp,
    ) -> Result<()> {
        let Some(to) = user_store::active_email(&mut tx.exec(), r.submitted_by.as_uuid()).await?
        else {
            return Ok(());
        };
        let link = self.config().link(&format!("/portal/deals/{}", r.id));
        let (subject, what) = match r.status {
            DealStatus::Approved => (
                format!("Deal registration approved: {}", r.company_name),
                format!(
                    "is approved. You are protected on this deal until {}.",
                    r.protected_until.map_or_else(String::new, Timestamp::date)
                ),
            ),
            DealStatus::Rejected => (
                format!("Deal registration rejected: {}", r.company_name),
                "was not approved.".to_owned(),
            ),
            DealStatus::Expired => (
                format!("Deal registration expired: {}", r.company_name),
                "has expired: its protection ended.".to_owned(),
            ),
            DealStatus::Pending | DealStatus::Withdrawn => return Ok(()),
        };
        let reason = r
            .decision
            .as_ref()
            .map_or_else(String::new, |d| format!("\n\nReason: {}", d.reason));
        let msg = EmailMessage {
            to,
            subject,
            body: format!(
                "Your registration {reference} for {company} {what}{reason}\n\n{link}\n",
                reference = r.reference,
                company = r.company_name,
            ),
        };
        email::queue(tx, &msg, now, self.config().job_max_attempts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RegistrationInput {
        RegistrationInput {
            company_name: "Acme GmbH".into(),
            website: "https://www.acme.de/en".into(),
            country: "Germany".into(),
            contact_name: "Jo Weber".into(),
            contact_email: "jo@acme.de".into(),
            product: "Platform".into(),
            amount_minor: 5_000_000,
            currency: "EUR".into(),
            expected_close: "2027-03-31".into(),
            ..RegistrationInput::default()
        }
    }

    #[test]
    fn a_complete_registration_passes_and_is_normalised() {
        let f = check(&input(), "2026-11-24").unwrap();
        assert_eq!(f.country, "DE");
        assert_eq!(f.amount.format(), "EUR 50,000.00");
        assert_eq!(f.stage, DealStage::Discovery);
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = RegistrationInput {
            company_name: " ".into(),
            website: "not a site".into(),
            country: "Atlantis".into(),
            contact_email: "jo@".into(),
            amount_minor: 0,
            currency: "EURO".into(),
            expected_close: "2026-11-23".into(),
            ..input()
        };
        let e = check(&bad, "2026-11-24").err().unwrap();
        for f in [
            "company_name",
            "website",
            "country",
            "contact_email",
            "amount_minor",
            "currency",
            "expected_close",
        ] {
            assert!(e.for_field(f).is_some(), "{f} not reported: {e}");
        }
        let far = RegistrationInput {
            expected_close: "2032-01-01".into(),
            ..input()
        };
        assert!(
            check(&far, "2026-11-24")
                .err()
                .unwrap()
                .for_field("expected_close")
                .is_some()
        );
        let not_a_date = RegistrationInput {
            expected_close: "31/03/2027".into(),
            ..input()
        };
        assert_eq!(
            check(&not_a_date, "2026-11-24")
                .err()
                .unwrap()
                .for_field("expected_close"),
            Some("must be a date like 2026-12-31")
        );
    }
}
