//! Asking for co-selling help, reading requests, and each side's steps on them, with the
//! e-mails that tell the other side.

use serde_json::json;
use trellis_domain::cosell::{
    Action, Direction, HelpKind, MESSAGE_MAX, NOTE_MAX, RequestStatus, Side,
};
use trellis_domain::partners::PartnerStatus;
use trellis_domain::{
    AccountId, CoSellRequestId, DealRegistrationId, FieldErrors, OpportunityId, OrgId, OrgKind,
    Permission, Timestamp,
};
use trellis_store::cosell::requests::{self as store, RequestFilter, RequestRow};
use trellis_store::crm::accounts as account_store;
use trellis_store::crm::opportunities as opportunity_store;
use trellis_store::deals::involvement;
use trellis_store::deals::registrations as registration_store;
use trellis_store::partners::profiles as profile_store;
use trellis_store::platform::orgs as org_store;
use trellis_store::platform::users as user_store;
use trellis_store::{Exec, Tx};

use super::{CoSellRequest, side_of};
use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin};

use crate::attribution::Capture;
use crate::crm::plain;
use crate::outbox::Change;
use crate::platform::email::{self, EmailMessage};
use crate::platform::{PageRequest, parse_stored};
use crate::{Actor, Error, Page, Result, Services};

/// A request for help. The vendor names the partner and the account (or an opportunity,
/// whose account is taken); a partner names one of its registrations, or the customer.
#[derive(Clone, Debug, Default)]
pub struct CoSellInput {
    /// The help asked for: `intro`, `technical`, `services`, `reference` of a partner;
    /// `presales`, `pricing`, `executive`, `demo` of the vendor; `other` of either.
    pub kind: String,
    /// What is asked, in the requester's words (required).
    pub message: String,
    /// The partner asked (vendor users; required).
    pub partner_id: Option<OrgId>,
    /// The vendor account the help is for (vendor users; or give the opportunity).
    pub account_id: Option<AccountId>,
    /// One of the account's opportunities (vendor users; optional).
    pub opportunity_id: Option<OpportunityId>,
    /// The partner's registration the support is for (partners).
    pub registration_id: Option<DealRegistrationId>,
    /// The customer, when a partner names no registration.
    pub customer_name: String,
}

/// What lists filter by.
#[derive(Clone, Debug, Default)]
pub struct CoSellQuery {
    /// One direction.
    pub direction: Option<Direction>,
    /// One status.
    pub status: Option<RequestStatus>,
    /// One partner (vendor users).
    pub partner_id: Option<OrgId>,
    /// Requests on one vendor account.
    pub account_id: Option<AccountId>,
    /// Requests on one vendor opportunity.
    pub opportunity_id: Option<OpportunityId>,
}

/// What a request points at, checked.
struct Target {
    org_id: OrgId,
    account_id: Option<AccountId>,
    opportunity_id: Option<OpportunityId>,
    registration_id: Option<DealRegistrationId>,
    customer_name: String,
}

/// Who hears of a step: people by e-mail, and which area their link opens.
struct Recipients {
    to: Vec<String>,
    side: Side,
}

impl Services {
    /// Asks the other side for co-selling help: a vendor user asks a partner, a partner
    /// asks the vendor. The other side is e-mailed; `cosell.requested` is published.
    pub async fn request_cosell(
        &self,
        actor: &Actor,
        input: &CoSellInput,
    ) -> Result<CoSellRequest> {
        actor.require(Permission::CoSellRequest)?;
        let user = actor.require_user()?;
        let side = side_of(actor);
        let direction = Direction::asked_by(side);
        let mut e = FieldErrors::new();
        let kind = HelpKind::read(&mut e, direction, &input.kind);
        let message = required(&mut e, "message", &input.message, MESSAGE_MAX);
        let target = {
            let mut c = self.db().read().await?;
            let ex = &mut c.exec();
            match actor.partner_scope() {
                Some(scope) => partner_target(ex, &mut e, scope.org_id(), input).await?,
                None => vendor_target(ex, &mut e, input).await?,
            }
        };
        e.into_result()?;
        let (Some(kind), Some(target)) = (kind, target) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "checked input without a value"
            )));
        };
        let now = self.now();
        let id = CoSellRequestId::new();
        let row = RequestRow {
            id: id.as_uuid(),
            direction: direction.as_str().to_owned(),
            kind: kind.as_str().to_owned(),
            status: RequestStatus::Open.as_str().to_owned(),
            org_id: target.org_id.as_uuid(),
            org_name: String::new(),
            account_id: target.account_id.map(AccountId::as_uuid),
            account_name: None,
            opportunity_id: target.opportunity_id.map(OpportunityId::as_uuid),
            opportunity_name: None,
            registration_id: target.registration_id.map(DealRegistrationId::as_uuid),
            customer_name: target.customer_name,
            message,
            requested_by: user.user_id.as_uuid(),
            requested_by_name: String::new(),
            requested_by_email: String::new(),
            answered_by: None,
            answered_by_name: None,
            answered_at: None,
            answer: None,
            closed_by: None,
            closed_by_name: None,
            closed_at: None,
            close_note: None,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        let request = reread(&mut tx, id).await?;
        let summary = format!(
            "{} asked: {} for {} ({})",
            request.reference,
            request.kind.label(),
            request.customer_name,
            request.partner_name
        );
        self.record_cosell(
            &mut tx,
            actor,
            now,
            "cosell.requested",
            None,
            &request,
            summary,
        )
        .await?;
        let recipients = asked(&mut tx.exec(), &request).await?;
        let subject = format!(
            "Co-sell request: {} for {}",
            request.kind.label(),
            request.customer_name
        );
        let body = format!(
            "{who} ({email}{of}) asks for {kind} for {customer}:\n\n{message}\n\nAccept or \
             decline it here:",
            who = request.requested_by_name,
            email = request.requested_by_email,
            of = match side {
                Side::Partner => format!(", {}", request.partner_name),
                Side::Vendor => String::new(),
            },
            kind = request.kind.label().to_lowercase(),
            customer = request.customer_name,
            message = request.message,
        );
        self.tell(&mut tx, &request, &recipients, &subject, &body, now)
            .await?;
        tx.commit().await?;
        Ok(request)
    }

    /// One request: a partner sees only its own organisation's.
    pub async fn get_cosell(&self, actor: &Actor, id: CoSellRequestId) -> Result<CoSellRequest> {
        actor.require(Permission::DealsRead)?;
        let org = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid(), org)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Requests, newest first. A partner sees only its own organisation's.
    pub async fn list_cosell(
        &self,
        actor: &Actor,
        q: &CoSellQuery,
        page: &PageRequest,
    ) -> Result<Page<CoSellRequest>> {
        actor.require(Permission::DealsRead)?;
        let (cursor, limit) = page.parse()?;
        let filter = RequestFilter {
            org_id: match actor.partner_scope() {
                Some(s) => Some(s.org_id().as_uuid()),
                None => q.partner_id.map(OrgId::as_uuid),
            },
            direction: q.direction.map(|d| d.as_str().to_owned()),
            status: q.status.map(|s| s.as_str().to_owned()),
            account_id: q.account_id.map(AccountId::as_uuid),
            opportunity_id: q.opportunity_id.map(OpportunityId::as_uuid),
        };
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), &filter, cursor.as_ref(), limit).await?;
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(CoSellRequest::try_from)
                .collect::<Result<_>>()?,
            next: rows.next,
        })
    }

    /// Takes a step on a request: the side asked accepts (`note` optional) or declines
    /// (`note` is the required reason), the side that asked withdraws, either side marks an
    /// accepted request completed. A partner that accepts a request on an opportunity joins
    /// it as `co_sell`. The other side is e-mailed; `cosell.<step>` is published.
    pub async fn act_on_cosell(
        &self,
        actor: &Actor,
        id: CoSellRequestId,
        version: i64,
        action: Action,
        note: &str,
    ) -> Result<CoSellRequest> {
        actor.require(Permission::CoSellRequest)?;
        let before = self.get_cosell(actor, id).await?;
        let user = actor.require_user()?;
        let side = side_of(actor);
        let status = action
            .apply(before.direction, before.status, side)
            .map_err(Error::InvalidState)?;
        let note = note_of(action, note)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let mut row = store::find(&mut tx.exec(), id.as_uuid(), None)
            .await?
            .ok_or(Error::NotFound)?;
        row.version = version;
        status.as_str().clone_into(&mut row.status);
        let who = Some(user.user_id.as_uuid());
        match action {
            Action::Accept | Action::Decline => {
                (row.answered_by, row.answered_at) = (who, Some(now.millis()));
                row.answer = Some(note.clone());
            }
            Action::Withdraw | Action::Complete => {
                (row.closed_by, row.closed_at) = (who, Some(now.millis()));
                row.close_note = Some(note.clone());
            }
        }
        row.updated_at = now.millis();
        if !store::update(&mut tx.exec(), &row).await? {
            return Err(Error::StaleVersion {
                current: before.version,
            });
        }
        let after = reread(&mut tx, id).await?;
        let joined = match (action, after.direction, after.opportunity_id) {
            (Action::Accept, Direction::ToPartner, Some(opportunity)) => {
                // Accepting is the partner's co-sell touch on the opportunity.
                self.capture_touchpoint(
                    &mut tx,
                    actor,
                    Capture {
                        opportunity_id: opportunity,
                        account_id: after.account_id,
                        partner_id: after.partner_id,
                        kind: TouchpointKind::CoSell,
                        occurred_at: now,
                        actor_id: Some(user.user_id),
                        actor_label: actor.label(),
                        origin: TouchpointOrigin::CoSell,
                        source_id: after.id.as_uuid(),
                    },
                )
                .await?;
                involvement::attach_if_absent(
                    &mut tx.exec(),
                    opportunity.as_uuid(),
                    after.partner_id.as_uuid(),
                    "co_sell",
                    now.millis(),
                )
                .await?
            }
            _ => false,
        };
        let mut summary = format!(
            "{} {}: {} for {} ({})",
            after.reference,
            action.past(),
            after.kind.label(),
            after.customer_name,
            after.partner_name
        );
        if joined {
            summary.push_str("; the partner joined the opportunity as co-sell");
        }
        if !note.is_empty() {
            summary = format!("{summary}: {note}");
        }
        self.record_cosell(
            &mut tx,
            actor,
            now,
            action.event(),
            Some(&before),
            &after,
            summary,
        )
        .await?;
        let recipients = counterpart(&mut tx.exec(), &before, action, side).await?;
        let (subject, body) = step_email(&user.name, action, &after, &note);
        self.tell(&mut tx, &after, &recipients, &subject, &body, now)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The audit entry and the published event of a step, with the request before and after.
    #[allow(clippy::too_many_arguments)]
    async fn record_cosell(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        now: Timestamp,
        event: &str,
        before: Option<&CoSellRequest>,
        after: &CoSellRequest,
        summary: String,
    ) -> Result<()> {
        self.record(
            tx,
            actor,
            now,
            Change {
                action: event,
                object_type: "cosell_request",
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

    /// Queues one e-mail per recipient, ending with the link to the request in their area.
    async fn tell(
        &self,
        tx: &mut Tx,
        r: &CoSellRequest,
        recipients: &Recipients,
        subject: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<()> {
        let area = match recipients.side {
            Side::Vendor => "console",
            Side::Partner => "portal",
        };
        let link = self.config().link(&format!("/{area}/co-sell/{}", r.id));
        for to in &recipients.to {
            let msg = EmailMessage {
                to: to.clone(),
                subject: subject.to_owned(),
                body: format!("{body}\n{link}\n"),
            };
            email::queue(tx, &msg, now, self.config().job_max_attempts).await?;
        }
        Ok(())
    }
}

/// The note of a step: the reason of a decline is required, other notes are optional.
fn note_of(action: Action, note: &str) -> Result<String> {
    let mut e = FieldErrors::new();
    let note = if action.needs_reason() {
        required(&mut e, "reason", note, NOTE_MAX)
    } else {
        plain(&mut e, "note", note, NOTE_MAX, true)
    };
    e.into_result()?;
    Ok(note)
}

/// The subject and body of the e-mail telling the other side of a step `who` took.
fn step_email(who: &str, action: Action, r: &CoSellRequest, note: &str) -> (String, String) {
    let subject = format!(
        "Co-sell request {}: {} for {}",
        r.status.label().to_lowercase(),
        r.kind.label(),
        r.customer_name
    );
    let note = match (note.is_empty(), action.needs_reason()) {
        (true, _) => String::new(),
        (false, true) => format!("\n\nReason: {note}"),
        (false, false) => format!("\n\nNote: {note}"),
    };
    let body = format!(
        "{who} {past} the co-sell request {reference} ({kind} for {customer}).{note}\n\n\
         The request:",
        past = action.past(),
        reference = r.reference,
        kind = r.kind.label().to_lowercase(),
        customer = r.customer_name,
    );
    (subject, body)
}

/// A required text of at most `max` characters, multi-line allowed.
fn required(e: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let text = plain(e, field, value, max, true);
    if text.is_empty() {
        e.add(field, "is required");
    }
    text
}

async fn reread(tx: &mut Tx, id: CoSellRequestId) -> Result<CoSellRequest> {
    store::find(&mut tx.exec(), id.as_uuid(), None)
        .await?
        .ok_or(Error::NotFound)?
        .try_into()
}

/// Who is asked: the partner's admins, or the partner's channel manager (else the vendor's
/// reviewers).
async fn asked(ex: &mut Exec<'_>, r: &CoSellRequest) -> Result<Recipients> {
    Ok(match r.direction {
        Direction::ToPartner => Recipients {
            to: user_store::admins_of(ex, r.partner_id.as_uuid()).await?,
            side: Side::Partner,
        },
        Direction::ToVendor => Recipients {
            to: crate::deals::reviewers_of(ex, r.partner_id).await?,
            side: Side::Vendor,
        },
    })
}

/// Who hears of `action`, taken by `side` on `before`: the requester of an answer; of a
/// withdrawal, whoever answered (or everyone asked, before an answer); of a completion, the
/// person on the other side.
async fn counterpart(
    ex: &mut Exec<'_>,
    before: &CoSellRequest,
    action: Action,
    side: Side,
) -> Result<Recipients> {
    let requester = Some(before.requested_by);
    let answerer = before.answer.as_ref().map(|a| a.by);
    let person = match action {
        Action::Withdraw => match answerer {
            Some(a) => Some(a),
            None => return asked(ex, before).await,
        },
        Action::Complete if side == before.direction.requester() => answerer,
        Action::Accept | Action::Decline | Action::Complete => requester,
    };
    let to = match person {
        Some(u) => user_store::active_email(ex, u.as_uuid())
            .await?
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    Ok(Recipients {
        to,
        side: match side {
            Side::Vendor => Side::Partner,
            Side::Partner => Side::Vendor,
        },
    })
}

/// A vendor user's request: an active or onboarding partner, and the account (or the
/// opportunity and its account) the help is for.
async fn vendor_target(
    ex: &mut Exec<'_>,
    e: &mut FieldErrors,
    input: &CoSellInput,
) -> Result<Option<Target>> {
    if input.registration_id.is_some() {
        e.add(
            "registration_id",
            "is for partners asking the vendor; ask a partner on an account or opportunity",
        );
    }
    if !input.customer_name.trim().is_empty() {
        e.add("customer_name", "is taken from the account; leave it out");
    }
    let partner = match input.partner_id {
        None => {
            e.add("partner_id", "is required");
            None
        }
        Some(id) => match org_store::find(ex, id.as_uuid()).await? {
            Some(org) if org.kind == OrgKind::Partner.as_str() => {
                let status: Option<PartnerStatus> =
                    match profile_store::find(ex, id.as_uuid()).await? {
                        Some(p) => Some(parse_stored("status", &p.status)?),
                        None => None,
                    };
                if let Some(status) = status.filter(|s| !s.is_live()) {
                    e.add(
                        "partner_id",
                        format!(
                            "is {}; only active or onboarding partners can be asked",
                            status.label().to_lowercase()
                        ),
                    );
                }
                Some(id)
            }
            _ => {
                e.add("partner_id", "no such partner");
                None
            }
        },
    };
    let opportunity = match input.opportunity_id {
        None => None,
        Some(id) => match opportunity_store::find(ex, id.as_uuid()).await? {
            Some(o) if o.archived => {
                e.add("opportunity_id", "is archived");
                None
            }
            Some(o) => Some(o),
            None => {
                e.add("opportunity_id", "no such opportunity");
                None
            }
        },
    };
    let account_id = input
        .account_id
        .map(AccountId::as_uuid)
        .or_else(|| opportunity.as_ref().and_then(|o| o.account_id));
    let account = match account_id {
        None => None,
        Some(id) => match account_store::find(ex, id).await? {
            Some(a) if a.archived => {
                e.add("account_id", "is archived");
                None
            }
            Some(a) => Some(a),
            None => {
                e.add("account_id", "no such account");
                None
            }
        },
    };
    if let (Some(o), Some(a)) = (&opportunity, &account)
        && o.account_id != Some(a.id)
    {
        e.add("opportunity_id", "is not an opportunity of this account");
    }
    if input.account_id.is_none() && input.opportunity_id.is_none() {
        e.add(
            "account_id",
            "is required: the account (or give an opportunity) the help is for",
        );
    }
    let customer_name = match (&account, &opportunity) {
        (Some(a), _) => a.name.clone(),
        (None, Some(o)) => o.name.clone(),
        (None, None) => return Ok(None),
    };
    Ok(partner.map(|org_id| Target {
        org_id,
        account_id: account.map(|a| AccountId::from_uuid(a.id)),
        opportunity_id: opportunity.map(|o| OpportunityId::from_uuid(o.id)),
        registration_id: None,
        customer_name,
    }))
}

/// A partner's request: one of its active registrations, or a customer by name.
async fn partner_target(
    ex: &mut Exec<'_>,
    e: &mut FieldErrors,
    org: OrgId,
    input: &CoSellInput,
) -> Result<Option<Target>> {
    for (field, given) in [
        ("partner_id", input.partner_id.is_some()),
        ("account_id", input.account_id.is_some()),
        ("opportunity_id", input.opportunity_id.is_some()),
    ] {
        if given {
            e.add(
                field,
                "is for vendor users asking a partner; name your registration or the customer",
            );
        }
    }
    let Some(id) = input.registration_id else {
        let customer_name = plain(e, "customer_name", &input.customer_name, 255, false);
        if customer_name.is_empty() {
            e.add(
                "customer_name",
                "is required when no registration_id is given",
            );
        }
        return Ok(Some(Target {
            org_id: org,
            account_id: None,
            opportunity_id: None,
            registration_id: None,
            customer_name,
        }));
    };
    match registration_store::find(ex, id.as_uuid(), Some(org.as_uuid())).await? {
        None => {
            e.add("registration_id", "no such registration of yours");
            Ok(None)
        }
        Some(r) if !matches!(r.status.as_str(), "pending" | "approved") => {
            e.add(
                "registration_id",
                format!("is {}; ask on a pending or approved registration", r.status),
            );
            Ok(None)
        }
        Some(r) => Ok(Some(Target {
            org_id: org,
            account_id: None,
            opportunity_id: r.opportunity_id.map(OpportunityId::from_uuid),
            registration_id: Some(id),
            customer_name: r.company_name,
        })),
    }
}
