//! Co-sell requests in the demo, one in every state, both ways: reps asking partners for help
//! on accounts with open opportunities, and partners asking the vendor for support on their
//! approved registrations. Played on the demo clock over the last two weeks.

use std::time::Duration;

use anyhow::Context as _;
use trellis_domain::cosell::Action;
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::deals::DealStatus;
use trellis_domain::{CoSellRequestId, Role, Timestamp};
use trellis_service::cosell::CoSellInput;
use trellis_service::crm::OpportunityQuery;
use trellis_service::deals::DealQuery;
use trellis_service::platform::PageRequest;
use trellis_service::{Actor, FakeClock, Services};

use super::Cast;
use crate::cli::admin::service_error;

/// Who asks, and what happens to the request afterwards.
enum Then {
    Nothing,
    /// The side asked answers; `complete` marks it done after.
    Answer {
        accept: bool,
        note: &'static str,
        complete: bool,
    },
    Withdraw,
}

/// A rep's request to a partner: `(kind, message, then)`.
const REP_ASKS: [(&str, &str, Then); 3] = [
    (
        "intro",
        "You know their CIO from the last rollout: could you introduce us before the steering \
         committee on the 12th?",
        Then::Answer {
            accept: true,
            note: "Happy to: we have a quarterly review with them next week.",
            complete: true,
        },
    ),
    (
        "technical",
        "They want a proof of concept on their own data; can your engineers run the migration \
         part?",
        Then::Nothing,
    ),
    (
        "reference",
        "Do you have a reference customer in logistics who would take a call?",
        Then::Answer {
            accept: false,
            note: "None of our logistics customers is live yet; ask us again in Q3.",
            complete: false,
        },
    ),
];

/// A partner's request to the vendor: `(kind, message, then)`.
const PARTNER_ASKS: [(&str, &str, Then); 3] = [
    (
        "presales",
        "The customer's architects want a deep dive on high availability; can a solutions \
         engineer join the call on Thursday?",
        Then::Answer {
            accept: true,
            note: "Priya from solutions engineering will join.",
            complete: false,
        },
    ),
    (
        "pricing",
        "They have a competing quote 18 % lower; we need pricing approval for a multi-year deal.",
        Then::Nothing,
    ),
    (
        "demo",
        "A demo of the analytics module for their finance team.",
        Then::Withdraw,
    ),
];

/// Seeds the requests; the clock is left at `now`.
pub(super) async fn seed(
    services: &Services,
    clock: &FakeClock,
    now: Timestamp,
    cast: &Cast<'_>,
) -> anyhow::Result<usize> {
    let rep = cast.person("rep@vendor.example", cast.vendor, Role::SalesRep)?;
    let manager = cast.person("manager@vendor.example", cast.vendor, Role::ChannelManager)?;
    let page = PageRequest {
        cursor: None,
        limit: Some(REP_ASKS.len() * 4),
    };
    let open = services
        .list_opportunities(
            &rep,
            &OpportunityQuery {
                status: Some(OpportunityStatus::Open),
                ..OpportunityQuery::default()
            },
            &page,
        )
        .await
        .map_err(service_error)?
        .items;
    let approved = services
        .list_deals(
            &manager,
            &DealQuery {
                status: Some(DealStatus::Approved),
                ..DealQuery::default()
            },
            &page,
        )
        .await
        .map_err(service_error)?
        .items;
    let mut made = 0;
    for (i, (((kind, message, then), o), days)) in
        REP_ASKS.iter().zip(&open).zip([12, 9, 6]).enumerate()
    {
        let partner = &cast.partners[(i * 5 + 1) % cast.partners.len()];
        let admin = cast.person(
            &format!("admin@{}.example", partner.slug),
            partner.id,
            Role::PartnerAdmin,
        )?;
        let input = CoSellInput {
            kind: (*kind).into(),
            message: (*message).into(),
            partner_id: Some(partner.id),
            account_id: o.account_id,
            opportunity_id: Some(o.id),
            ..CoSellInput::default()
        };
        play(services, clock, now, days, &rep, &admin, &input, then).await?;
        made += 1;
    }
    for (((kind, message, then), r), days) in PARTNER_ASKS.iter().zip(&approved).zip([10, 7, 4]) {
        let email = cast
            .users
            .iter()
            .find(|(_, id, _)| *id == r.submitted_by)
            .map(|(e, ..)| e.clone())
            .context("the registration's submitter is a demo user")?;
        let seller = cast.person(&email, r.partner_id, Role::PartnerUser)?;
        let input = CoSellInput {
            kind: (*kind).into(),
            message: (*message).into(),
            registration_id: Some(r.id),
            ..CoSellInput::default()
        };
        play(services, clock, now, days, &seller, &manager, &input, then).await?;
        made += 1;
    }
    clock.set(now);
    Ok(made)
}

/// Asks `days_ago`, then answers (a day later) and completes (two days later) as scripted.
#[allow(
    clippy::too_many_arguments,
    reason = "one scripted request, spelled out"
)]
async fn play(
    services: &Services,
    clock: &FakeClock,
    now: Timestamp,
    days_ago: u32,
    asker: &Actor,
    answerer: &Actor,
    input: &CoSellInput,
    then: &Then,
) -> anyhow::Result<()> {
    let at = |d: u32| now.minus(Duration::from_hours(u64::from(d) * 24 + 3));
    clock.set(at(days_ago));
    let r = services
        .request_cosell(asker, input)
        .await
        .map_err(service_error)
        .with_context(|| format!("the demo co-sell request {:?}", input.kind))?;
    let act = |who: &Actor, id: CoSellRequestId, version: i64, action: Action, note: &str| {
        let (who, note) = (who.clone(), note.to_owned());
        async move {
            services
                .act_on_cosell(&who, id, version, action, &note)
                .await
                .map_err(service_error)
                .context("a step of a demo co-sell request")
        }
    };
    match then {
        Then::Nothing => {}
        Then::Withdraw => {
            clock.set(at(days_ago - 1));
            act(asker, r.id, r.version, Action::Withdraw, "").await?;
        }
        Then::Answer {
            accept,
            note,
            complete,
        } => {
            clock.set(at(days_ago - 1));
            let action = if *accept {
                Action::Accept
            } else {
                Action::Decline
            };
            let reply = act(answerer, r.id, r.version, action, note).await?;
            if *complete {
                clock.set(at(days_ago - 2));
                act(asker, r.id, reply.version, Action::Complete, "").await?;
            }
        }
    }
    Ok(())
}
