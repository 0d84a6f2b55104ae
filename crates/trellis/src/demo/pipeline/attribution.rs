//! Attribution in the demo: finance's monthly exchange rates, touchpoints on the deals that
//! closed (partners that sourced, referred, co-sold or influenced them; the AWS Marketplace;
//! the vendor's campaigns), and model runs a partner manager would make: linear over the last
//! year, replayed as a Markov chain, with Shapley values and time-decay, so that the console
//! shows runs to read, replay and compare.
//!
//! The touches are not random noise: some partners are on far more won than lost deals, some
//! the other way round, so the data-driven models have something to find.

use anyhow::Context as _;
use time::Duration as Days;
use time::macros::format_description;
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::{OpportunityId, OrgId, Role};
use trellis_match::benchmark::SplitMix64;
use trellis_service::attribution::{FxRateInput, ModelParams, RunInput, TouchpointInput};
use trellis_service::crm::OpportunityQuery;
use trellis_service::platform::PageRequest;
use trellis_service::{Actor, Services};

use super::Cast;
use crate::cli::admin::service_error;

/// Seeds the generator, far from the others.
const SEED: u64 = 0xA77_21B0_7105;

/// What the demo's attribution holds.
#[derive(Debug)]
pub(crate) struct Attribution {
    /// Touchpoints entered on closed deals (registrations and co-sell add their own).
    pub touchpoints: usize,
    /// Model runs recorded.
    pub runs: usize,
    /// Program costs recorded.
    pub costs: usize,
    /// Opportunities in the metrics after the demo's refresh.
    pub metric_deals: i64,
}

/// Channels that are not partners: `(name, kind, in how many percent of deals)`.
const CHANNELS: [(&str, &str, usize); 3] = [
    ("AWS Marketplace", "marketplace", 12),
    ("Partner summit", "campaign", 15),
    ("Co-marketing webinars", "campaign", 20),
];

/// Monthly rates into USD over two years: `(currency, level, swing)`, in billionths, with a
/// slow wave so that close dates matter.
const RATES: [(&str, i64, i64); 2] = [
    ("EUR", 1_085_000_000, 30_000_000),
    ("GBP", 1_270_000_000, 40_000_000),
];

pub(super) async fn seed(
    services: &Services,
    cast: &Cast<'_>,
    today: time::Date,
) -> anyhow::Result<Attribution> {
    let manager = cast.person("manager@vendor.example", cast.vendor, Role::ChannelManager)?;
    rates(services, &manager, today).await?;
    let closed = closed_deals(services, &manager).await?;
    let mut rng = SplitMix64::new(SEED);
    let mut touchpoints = 0;
    for (id, won, close) in &closed {
        touchpoints += touch(
            services,
            &manager,
            cast.partners,
            &mut rng,
            (*id, *won, *close),
        )
        .await?;
    }
    let runs = runs(services, &manager, today).await?;
    let ids: Vec<OrgId> = cast.partners.iter().map(|p| p.id).collect();
    let costs = costs(services, &manager, &ids, today).await?;
    let refresh = services
        .refresh_metrics()
        .await
        .map_err(service_error)
        .context("refreshing the demo metrics")?;
    Ok(Attribution {
        touchpoints,
        runs,
        costs,
        metric_deals: refresh.opportunities,
    })
}

/// A year of costs, month by month: MDF and incentives for every fifth partner (more for the
/// first ones), the program's enablement and portal, and the direct channel's sales and
/// marketing, so that ROPI and CAC have something to divide by.
async fn costs(
    services: &Services,
    actor: &Actor,
    partners: &[OrgId],
    today: time::Date,
) -> anyhow::Result<usize> {
    let mut n = 0;
    for month in 0..12_i64 {
        let day = (today - Days::days(30 * month + 5)).to_string();
        let mut add = |partner: Option<OrgId>, channel: &str, category: &str, amount: i64| {
            let input = trellis_service::metrics::CostInput {
                channel: channel.into(),
                partner,
                category: category.into(),
                amount: amount.to_string(),
                currency: "USD".into(),
                incurred_on: day.clone(),
                note: String::new(),
            };
            n += 1;
            async move {
                services
                    .record_cost(actor, &input, "manual")
                    .await
                    .map_err(service_error)
                    .context("recording a demo cost")
            }
        };
        for (i, p) in partners.iter().enumerate().step_by(5).take(10) {
            let scale = i64::try_from(10 - i / 5).unwrap_or(1);
            add(Some(*p), "partner", "mdf", 400 * scale).await?;
            add(Some(*p), "partner", "incentive", 150 * scale).await?;
        }
        add(None, "program", "enablement", 6_000).await?;
        add(None, "program", "tech", 2_500).await?;
        add(None, "direct", "sales", 90_000).await?;
        add(None, "direct", "marketing", 35_000).await?;
    }
    Ok(n)
}

/// The first of each month for two years, EUR and GBP.
async fn rates(services: &Services, actor: &Actor, today: time::Date) -> anyhow::Result<()> {
    let first = today.replace_day(1).context("the first of the month")?;
    for m in 0..24i64 {
        let mut month = first;
        for _ in 0..m {
            month = (month - Days::days(1)).replace_day(1).context("month")?;
        }
        for (currency, level, swing) in RATES {
            // A triangle wave over a year: up six months, down six.
            let phase = (m % 12 - 6).abs() - 3;
            let ppb = level + swing * phase / 3;
            let input = FxRateInput {
                currency: currency.to_owned(),
                valid_from: date(month)?,
                rate: trellis_domain::fx::format_rate(ppb),
            };
            services
                .set_fx_rate(actor, &input)
                .await
                .map_err(service_error)?;
        }
    }
    Ok(())
}

/// Every won and lost deal with its close date.
async fn closed_deals(
    services: &Services,
    actor: &Actor,
) -> anyhow::Result<Vec<(OpportunityId, bool, time::Date)>> {
    let mut out = Vec::new();
    for status in [OpportunityStatus::Won, OpportunityStatus::Lost] {
        let mut cursor = None;
        loop {
            let q = OpportunityQuery {
                status: Some(status),
                ..OpportunityQuery::default()
            };
            let page = services
                .list_opportunities(
                    actor,
                    &q,
                    &PageRequest {
                        cursor,
                        limit: Some(200),
                    },
                )
                .await
                .map_err(service_error)?;
            for o in page.items {
                let Some(close) = o.close_date.as_deref().and_then(parse_date) else {
                    continue;
                };
                out.push((o.id, status == OpportunityStatus::Won, close));
            }
            match page.next {
                Some(c) => cursor = Some(c.encode()),
                None => break,
            }
        }
    }
    Ok(out)
}

/// A deal's touches: about three in four closed deals have some. Partner `i` is on a won deal
/// with weight `strength(i)` and on a lost one with the weight reversed.
async fn touch(
    services: &Services,
    actor: &Actor,
    partners: &[trellis_service::platform::orgs::Org],
    rng: &mut SplitMix64,
    (id, won, close): (OpportunityId, bool, time::Date),
) -> anyhow::Result<usize> {
    if partners.is_empty() || rng.percent(25) {
        return Ok(0);
    }
    let strength = |i: usize| 1 + (partners.len() - i) * 3;
    let weights: Vec<usize> = (0..partners.len())
        .map(|i| {
            if won {
                strength(i)
            } else {
                strength(partners.len() - 1 - i)
            }
        })
        .collect();
    let total: usize = weights.iter().sum();
    let mut picked: Vec<(Option<OrgId>, &str, &str, i64)> = Vec::new();
    let partner_touches = 1 + rng.below(3);
    for k in 0..partner_touches {
        let mut at = rng.below(total);
        let i = weights
            .iter()
            .position(|w| {
                if at < *w {
                    true
                } else {
                    at -= w;
                    false
                }
            })
            .unwrap_or(0);
        // Half the touched deals were brought by a partner (sourced or referred); on the
        // others partners co-sold or influenced.
        let kind = match (k, rng.below(4)) {
            (0, 0) => "sourced",
            (0, 1) => "referral",
            (_, 0 | 2) => "co_sell",
            _ => "influence",
        };
        // Later touches come closer to the close.
        let days_before = i64::try_from(10 + rng.below(150) / (k + 1)).unwrap_or(10);
        picked.push((Some(partners[i].id), "", kind, days_before));
    }
    for (name, kind, percent) in CHANNELS {
        if rng.percent(percent + if won { 5 } else { 0 }) {
            let days_before = 1 + i64::try_from(rng.below(90)).unwrap_or(0);
            picked.push((None, name, kind, days_before));
        }
    }
    for (partner_id, channel, kind, days_before) in &picked {
        let input = TouchpointInput {
            opportunity_id: Some(id),
            partner_id: *partner_id,
            channel: (*channel).to_owned(),
            kind: (*kind).to_owned(),
            occurred_at: date(close - Days::days(*days_before))?,
            ..TouchpointInput::default()
        };
        services
            .record_touchpoint(actor, &input)
            .await
            .map_err(service_error)?;
    }
    Ok(picked.len())
}

/// A linear run over the last year, replayed as Markov (orders 1 and 2), Shapley and
/// time-decay.
async fn runs(services: &Services, actor: &Actor, today: time::Date) -> anyhow::Result<usize> {
    let input = RunInput {
        params: ModelParams {
            model: "linear".into(),
            ..ModelParams::default()
        },
        from: date(today - Days::days(364))?,
        to: date(today)?,
        lookback_days: None,
    };
    let linear = services
        .run_model(actor, &input)
        .await
        .map_err(service_error)?;
    let replays = [
        ModelParams {
            model: "markov".into(),
            order: Some(1),
            ..ModelParams::default()
        },
        ModelParams {
            model: "markov".into(),
            order: Some(2),
            ..ModelParams::default()
        },
        ModelParams {
            model: "shapley".into(),
            ..ModelParams::default()
        },
        ModelParams {
            model: "time-decay".into(),
            half_life_days: Some(30.0),
            ..ModelParams::default()
        },
    ];
    for p in &replays {
        services
            .replay_run(actor, linear.id, p)
            .await
            .map_err(service_error)?;
    }
    Ok(1 + replays.len())
}

fn date(d: time::Date) -> anyhow::Result<String> {
    Ok(d.format(format_description!("[year]-[month]-[day]"))?)
}

fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}
