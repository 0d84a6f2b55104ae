//! A metrics refresh: the facts rebuilt whole from opportunities, accounts, touchpoints and
//! exchange rates, in one transaction (readers see the old facts until it commits, and a
//! failed refresh leaves them as they were).
//!
//! Per live opportunity, in the reporting currency (closed deals at their close date's rate,
//! open ones at today's; a deal without a rate is left out and counted):
//! - its touches: its own up to its close (or now), and its account's touches that name no
//!   opportunity within the look-back before that;
//! - its origin from its partner touches ([`Origin::of`]), its lead partner (the first to
//!   source it, else the one with the most touches), and one partner fact per partner with
//!   the partner's role and its **attributed share**: the won amount split linearly over every
//!   touch (partners and channels alike) to the minor unit;
//! - per account, its first won deal (the customer's acquisition: when, through which origin
//!   and partner) and its lifetime won revenue.

use std::collections::HashMap;

use serde::Serialize;
use trellis_attribution::money::apportion;
use trellis_domain::attribution::TouchpointKind;
use trellis_domain::metrics::{Origin, size_band, sources};
use trellis_domain::partners::metrics::Metric;
use trellis_domain::{Permission, Timestamp};
use trellis_store::metrics::facts::{
    self as store, AccountFactRow, DealFactRow, MonthClosedRow, MonthOpenedRow, PartnerFactRow,
    RefreshRow, SourceDealRow, SourceTouchRow,
};
use trellis_store::partners::metrics::{self as metric_store, MetricRow};
use trellis_store::{Exec, Tx};
use uuid::Uuid;

use crate::attribution::RateTable;
use crate::outbox::{self, kinds};
use crate::{Actor, Error, Result, Services};

const DAY_MS: i64 = 86_400_000;
/// Opportunities read a page.
const PAGE: usize = 5_000;
/// Days before a deal's close (or now) within which its account's touches count, as in a
/// model run's default cut.
pub(crate) const LOOKBACK_DAYS: i64 = 365;

/// How long a change waits for more before the facts are rebuilt: an import, or a morning's
/// edits, make one refresh rather than one each.
const SETTLE: std::time::Duration = std::time::Duration::from_mins(2);

/// Queues a refresh shortly after a change that moves the figures (opportunities, touchpoints,
/// rates, costs), in the change's transaction, unless one is already waiting to start. A
/// refresh that has started when the change commits may miss it, so another is queued then.
pub(crate) async fn refresh_soon(tx: &mut Tx, now: Timestamp, max_attempts: u32) -> Result<()> {
    if !trellis_store::platform::jobs::waiting(&mut tx.exec(), kinds::METRICS_REFRESH).await? {
        outbox::enqueue(
            tx,
            kinds::METRICS_REFRESH,
            serde_json::json!({}),
            now.plus(SETTLE),
            now,
            max_attempts,
        )
        .await?;
    }
    Ok(())
}

/// What the last refresh read and when.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refresh {
    /// When it finished.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub refreshed_at: Timestamp,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// The reporting currency of its amounts.
    pub currency: String,
    /// Opportunities in the facts.
    pub opportunities: i64,
    /// Touchpoints read.
    pub touchpoints: i64,
    /// Opportunities left out: no exchange rate for their currency on their day.
    pub no_rate: i64,
}

impl From<RefreshRow> for Refresh {
    fn from(r: RefreshRow) -> Self {
        Self {
            refreshed_at: Timestamp::from_millis(r.refreshed_at),
            duration_ms: r.duration_ms,
            currency: r.currency,
            opportunities: r.opportunities,
            touchpoints: r.touchpoints,
            no_rate: r.no_rate,
        }
    }
}

/// A partner's type and tier, as the facts carry them.
#[derive(Clone, Debug, Default)]
pub(super) struct Class {
    pub partner_type: String,
    pub tier: String,
}

/// What the facts of every deal are computed from, besides the deal and its own touches.
pub(super) struct Context {
    pub rates: RateTable,
    pub classes: HashMap<Uuid, Class>,
    /// Touches on accounts naming no opportunity, by account, in time order.
    pub account_touches: HashMap<Uuid, Vec<SourceTouchRow>>,
    pub now: Timestamp,
}

/// One account's customer history so far.
struct Customer {
    first: (String, Uuid),
    origin: Origin,
    org_id: Option<Uuid>,
    class: Class,
    lifetime_minor: i64,
    won_deals: i64,
    segments: (String, String, String),
}

impl Services {
    /// Queues a refresh now, ahead of the hourly one.
    pub async fn queue_metrics_refresh(&self, actor: &Actor) -> Result<()> {
        actor.require(Permission::AttributionManage)?;
        if !actor.is_vendor_side() {
            return Err(Error::NotFound);
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        outbox::enqueue(
            &mut tx,
            kinds::METRICS_REFRESH,
            serde_json::json!({}),
            now,
            now,
            self.config().job_max_attempts,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The last refresh, if there was one.
    pub async fn metrics_refreshed(&self, actor: &Actor) -> Result<Option<Refresh>> {
        super::readable(actor)?;
        let mut c = self.db().read().await?;
        Ok(store::last_refresh(&mut c.exec()).await?.map(Refresh::from))
    }

    /// Rebuilds every fact (the job, and the demo after seeding).
    pub async fn refresh_metrics(&self) -> Result<Refresh> {
        let started = self.now();
        let currency = self.reporting_currency().await?;
        let rates = self.rate_table(&currency).await?;
        let mut tx = self.db().begin().await?;
        let classes = store::partner_classes(&mut tx.exec())
            .await?
            .into_iter()
            .map(|p| {
                let class = Class {
                    partner_type: p.partner_type.unwrap_or_default(),
                    tier: p.tier.unwrap_or_default(),
                };
                (p.id, class)
            })
            .collect();
        let mut account_touches: HashMap<Uuid, Vec<SourceTouchRow>> = HashMap::new();
        let mut touches_read = 0_i64;
        for t in store::account_touches(&mut tx.exec()).await? {
            touches_read += 1;
            if let Some(a) = t.account_id {
                account_touches.entry(a).or_default().push(t);
            }
        }
        let ctx = Context {
            rates,
            classes,
            account_touches,
            now: started,
        };
        store::clear(&mut tx.exec()).await?;
        let mut customers: HashMap<Uuid, Customer> = HashMap::new();
        let mut rollups = Rollups::new(started);
        let (mut deals_written, mut no_rate) = (0_i64, 0_i64);
        let mut after = None;
        loop {
            let page = store::deals_after(&mut tx.exec(), after, PAGE).await?;
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                break;
            };
            after = Some(last.id);
            let touches = store::deal_touches(&mut tx.exec(), first.id, last.id).await?;
            touches_read += i64::try_from(touches.len()).unwrap_or(i64::MAX);
            let mut by_deal: HashMap<Uuid, Vec<&SourceTouchRow>> = HashMap::new();
            for t in &touches {
                if let Some(o) = t.opportunity_id {
                    by_deal.entry(o).or_default().push(t);
                }
            }
            let (mut deals, mut partners) = (Vec::new(), Vec::new());
            for d in &page {
                let own = by_deal.remove(&d.id).unwrap_or_default();
                let Some((fact, mut shares)) = facts_of(d, &own, &ctx) else {
                    no_rate += 1;
                    continue;
                };
                remember_customer(&mut customers, &fact, &ctx);
                rollups.add(&shares);
                partners.append(&mut shares);
                deals.push(fact);
            }
            deals_written += i64::try_from(deals.len()).unwrap_or(i64::MAX);
            store::insert_deals(&mut tx.exec(), &deals).await?;
            store::insert_partners(&mut tx.exec(), &partners).await?;
        }
        let accounts: Vec<AccountFactRow> = customers
            .into_iter()
            .map(|(account_id, c)| AccountFactRow {
                account_id,
                opportunity_id: c.first.1,
                acquired_on: c.first.0,
                origin: c.origin.as_str().to_owned(),
                org_id: c.org_id,
                lifetime_minor: c.lifetime_minor,
                won_deals: c.won_deals,
                industry: c.segments.0,
                country: c.segments.1,
                size_band: c.segments.2,
                partner_type: c.class.partner_type,
                tier: c.class.tier,
            })
            .collect();
        store::insert_accounts(&mut tx.exec(), &accounts).await?;
        store::mark_acquisitions(&mut tx.exec()).await?;
        let (closed, opened) = rollups.months();
        store::insert_months(&mut tx.exec(), &closed, &opened).await?;
        write_tier_metrics(&mut tx.exec(), started, &rollups.tiers).await?;
        let finished = self.now();
        let row = RefreshRow {
            refreshed_at: finished.millis(),
            duration_ms: finished.millis() - started.millis(),
            currency,
            opportunities: deals_written,
            touchpoints: touches_read,
            no_rate,
        };
        store::record_refresh(&mut tx.exec(), &row).await?;
        tx.commit().await?;
        Ok(row.into())
    }
}

/// The partner metrics a refresh measures, for the tier engine (the trailing 12 months of
/// [`Metric::window`]).
pub(crate) const MEASURED: [Metric; 4] = [
    Metric::SourcedRevenue,
    Metric::InfluencedRevenue,
    Metric::WonDeals,
    Metric::RegisteredDeals,
];

/// What a refresh writes as the source of the metrics it measures.
const SOURCE: &str = "metrics";

/// Writes each partner's measured metrics over the trailing 12 months. A measured figure
/// replaces one set by hand; where Trellis has no deals for a partner, a hand-set figure stands
/// (a deployment without CRM data tiers on what people enter).
async fn write_tier_metrics(
    ex: &mut Exec<'_>,
    now: Timestamp,
    won: &HashMap<Uuid, [i64; 4]>,
) -> Result<()> {
    let since = Timestamp::from_millis(now.millis() - TIER_WINDOW_DAYS * DAY_MS);
    let names = MEASURED.map(Metric::as_str);
    metric_store::zero_from(ex, SOURCE, &names, now.millis()).await?;
    let mut figures = won.clone();
    for (org, registered) in store::registrations_since(ex, since.millis()).await? {
        figures.entry(org).or_default()[3] = registered;
    }
    for (org_id, values) in figures {
        for (metric, value) in MEASURED.iter().zip(values) {
            metric_store::put(
                ex,
                &MetricRow {
                    org_id,
                    metric: metric.as_str().into(),
                    value,
                    source: SOURCE.into(),
                    updated_at: now.millis(),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The days of [`Metric::window`]'s "trailing 12 months".
const TIER_WINDOW_DAYS: i64 = 365;

/// What a refresh sums while it writes the partner facts: the monthly rollups the partner
/// tables read, and each partner's won deals of the tier window (sourced and influenced
/// amounts, count; the fourth figure, registrations, comes from the registrations).
struct Rollups {
    /// The first day of the tier window.
    since: String,
    closed: HashMap<(String, Uuid, String, String), MonthClosedRow>,
    opened: HashMap<(String, Uuid, String), MonthOpenedRow>,
    tiers: HashMap<Uuid, [i64; 4]>,
}

impl Rollups {
    fn new(now: Timestamp) -> Self {
        Self {
            since: Timestamp::from_millis(now.millis() - TIER_WINDOW_DAYS * DAY_MS).date(),
            closed: HashMap::new(),
            opened: HashMap::new(),
            tiers: HashMap::new(),
        }
    }

    fn add(&mut self, shares: &[PartnerFactRow]) {
        for p in shares {
            let month = |day: &str| day.get(..7).unwrap_or(day).to_owned();
            let o = self
                .opened
                .entry((month(&p.opened_on), p.org_id, p.role.clone()))
                .or_insert_with(|| MonthOpenedRow {
                    month: month(&p.opened_on),
                    org_id: p.org_id,
                    role: p.role.clone(),
                    ..MonthOpenedRow::default()
                });
            o.deals += 1;
            o.amount_minor += p.amount_minor;
            if p.status == "open" {
                o.open += 1;
                o.open_minor += p.amount_minor;
            }
            let Some(closed_on) = &p.closed_on else {
                continue;
            };
            let c = self
                .closed
                .entry((month(closed_on), p.org_id, p.role.clone(), p.status.clone()))
                .or_insert_with(|| MonthClosedRow {
                    month: month(closed_on),
                    org_id: p.org_id,
                    role: p.role.clone(),
                    status: p.status.clone(),
                    ..MonthClosedRow::default()
                });
            c.deals += 1;
            c.amount_minor += p.amount_minor;
            c.attributed_minor += p.attributed_minor;
            c.cycle_days += p.cycle_days.unwrap_or(0);
            if p.status == "won" && *closed_on >= self.since {
                let t = self.tiers.entry(p.org_id).or_default();
                t[usize::from(p.role != "sourced")] += p.amount_minor;
                t[2] += 1;
            }
        }
    }

    fn months(&mut self) -> (Vec<MonthClosedRow>, Vec<MonthOpenedRow>) {
        (
            std::mem::take(&mut self.closed).into_values().collect(),
            std::mem::take(&mut self.opened).into_values().collect(),
        )
    }
}

/// Adds a deal's won revenue to its account's customer history.
fn remember_customer(customers: &mut HashMap<Uuid, Customer>, fact: &DealFactRow, ctx: &Context) {
    let (Some(account), Some(closed), true) = (
        fact.account_id,
        fact.closed_on.as_ref(),
        fact.status == "won",
    ) else {
        return;
    };
    let key = (closed.clone(), fact.opportunity_id);
    let origin = fact.origin.parse().unwrap_or(Origin::Direct);
    let class = fact
        .lead_org_id
        .and_then(|o| ctx.classes.get(&o).cloned())
        .unwrap_or_default();
    let c = customers.entry(account).or_insert_with(|| Customer {
        first: key.clone(),
        origin,
        org_id: fact.lead_org_id,
        class: class.clone(),
        lifetime_minor: 0,
        won_deals: 0,
        segments: (
            fact.industry.clone(),
            fact.country.clone(),
            fact.size_band.clone(),
        ),
    });
    if key < c.first {
        c.first = key;
        c.origin = origin;
        c.org_id = fact.lead_org_id;
        c.class = class;
    }
    c.lifetime_minor += fact.amount_minor;
    c.won_deals += 1;
}

/// The facts of one deal given its own touches (in time order), or `None` when its amount
/// has no exchange rate.
pub(super) fn facts_of(
    d: &SourceDealRow,
    own: &[&SourceTouchRow],
    ctx: &Context,
) -> Option<(DealFactRow, Vec<PartnerFactRow>)> {
    let first_seen = Timestamp::from_millis(d.created_at).date();
    let opened_on = d.opened_on.clone().unwrap_or(first_seen);
    let closed = d.status != "open";
    // A closed deal without a close date closed, as far as anyone can tell, when it opened.
    let closed_on = closed.then(|| d.close_date.clone().unwrap_or_else(|| opened_on.clone()));
    let rate_day = closed_on.clone().unwrap_or_else(|| ctx.now.date());
    let amount_minor = ctx.rates.convert(d.amount_minor, &d.currency, &rate_day)?;
    let end = match &closed_on {
        Some(day) => Timestamp::from_date(day).map_or(ctx.now.millis(), |t| t.millis() + DAY_MS),
        None => ctx.now.millis(),
    };
    let on_account = d
        .account_id
        .and_then(|a| ctx.account_touches.get(&a))
        .map_or(&[][..], Vec::as_slice);
    let mut touches: Vec<&SourceTouchRow> = own
        .iter()
        .copied()
        .filter(|t| t.occurred_at < end)
        .chain(
            on_account
                .iter()
                .filter(|t| t.occurred_at < end && t.occurred_at >= end - LOOKBACK_DAYS * DAY_MS),
        )
        .collect();
    touches.sort_by_key(|t| t.occurred_at);
    let kind = |t: &SourceTouchRow| t.kind.parse::<TouchpointKind>().ok();
    let partner_kinds = touches
        .iter()
        .filter(|t| t.org_id.is_some())
        .filter_map(|t| kind(t));
    let origin = Origin::of(partner_kinds);
    // Per partner, in order of first touch: its touches and whether it sourced the deal.
    let mut partners: Vec<(Uuid, usize, bool)> = Vec::new();
    for t in &touches {
        let Some(org) = t.org_id else { continue };
        let sourced = kind(t).is_some_and(sources);
        match partners.iter_mut().find(|p| p.0 == org) {
            Some(p) => {
                p.1 += 1;
                p.2 |= sourced;
            }
            None => partners.push((org, 1, sourced)),
        }
    }
    let lead = partners
        .iter()
        .find(|p| p.2)
        .or_else(|| partners.iter().rev().max_by_key(|p| p.1))
        .map(|p| p.0);
    let won = d.status == "won";
    // Linear over every touch: each partner gets its touches' parts of the won amount.
    let parts = if won && !touches.is_empty() {
        apportion(amount_minor, &vec![1.0; touches.len()]).unwrap_or_default()
    } else {
        Vec::new()
    };
    let cycle_days = closed_on.as_ref().map(|c| days_between(&opened_on, c));
    let class = lead
        .and_then(|o| ctx.classes.get(&o).cloned())
        .unwrap_or_default();
    let shares = partners
        .iter()
        .map(|&(org, _, sourced)| PartnerFactRow {
            org_id: org,
            opportunity_id: d.id,
            role: if sourced { "sourced" } else { "influenced" }.to_owned(),
            status: d.status.clone(),
            opened_on: opened_on.clone(),
            closed_on: closed_on.clone(),
            cycle_days,
            amount_minor,
            attributed_minor: touches
                .iter()
                .zip(&parts)
                .filter(|(t, _)| t.org_id == Some(org))
                .map(|(_, p)| p)
                .sum(),
        })
        .collect();
    let fact = DealFactRow {
        opportunity_id: d.id,
        account_id: d.account_id,
        origin: origin.as_str().to_owned(),
        status: d.status.clone(),
        opened_on,
        closed_on,
        cycle_days,
        amount_minor,
        industry: d.industry.clone().unwrap_or_default(),
        country: d.country.clone().unwrap_or_default(),
        size_band: size_band(d.employees).to_owned(),
        lead_org_id: lead,
        partner_type: class.partner_type,
        tier: class.tier,
        partners: i64::try_from(partners.len()).unwrap_or(i64::MAX),
        acquisition: false,
    };
    Some((fact, shares))
}

/// Whole days from `from` to `to` (`YYYY-MM-DD`), never negative: a deal closed before the
/// CRM says it opened took no time rather than negative time.
fn days_between(from: &str, to: &str) -> i64 {
    match (Timestamp::from_date(from), Timestamp::from_date(to)) {
        (Some(a), Some(b)) => ((b.millis() - a.millis()) / DAY_MS).max(0),
        _ => 0,
    }
}
