//! The figures of a period: per origin (sourced, influenced, direct), per month, per partner,
//! per partner type and tier, the costs against them, and the deals behind each figure.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::metrics::{CostCategory, CostChannel, Funnel, Origin, cost_per, per, ratio};
use trellis_domain::{OpportunityId, OrgId, Permission};
use trellis_store::metrics::costs as cost_store;
use trellis_store::metrics::facts::{self as facts_store, PartnerClassRow};
use trellis_store::metrics::figures::{
    self as store, AcquiredRow, ClosedRow, FactFilter, Measure, OpenedRow,
};
use trellis_store::platform::orgs;
use trellis_store::{Cursor, Exec};
use uuid::Uuid;

use super::refresh::Refresh;
use super::{Period, month_number, month_text, readable};
use crate::platform::PageRequest;
use crate::{Actor, Error, Page, Result, Services};

/// The funnel of one class of deals with its derived figures.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OriginFigures {
    /// `sourced`, `influenced`, `direct`, or `partner` (sourced and influenced together).
    pub key: String,
    /// As pages name it.
    pub label: String,
    /// The counts and sums.
    pub funnel: Funnel,
    /// Won ÷ closed.
    pub win_rate: Option<f64>,
    /// Average won amount, minor units.
    pub deal_size_minor: Option<i64>,
    /// Average days from opening to close of the deals won.
    pub cycle_days: Option<f64>,
    /// Opened × win rate × deal size ÷ cycle: minor units a day.
    pub velocity_minor_per_day: Option<i64>,
}

impl OriginFigures {
    fn new(key: &str, label: &str, funnel: Funnel) -> Self {
        Self {
            key: key.to_owned(),
            label: label.to_owned(),
            win_rate: funnel.win_rate(),
            deal_size_minor: funnel.deal_size_minor(),
            cycle_days: funnel.cycle_days(),
            velocity_minor_per_day: funnel.velocity_minor_per_day(),
            funnel,
        }
    }
}

/// Won revenue of one month, per origin (for a partner: per role; `direct` stays 0).
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// Partner-sourced won revenue.
    pub sourced_minor: i64,
    /// Partner-influenced won revenue.
    pub influenced_minor: i64,
    /// Direct won revenue.
    pub direct_minor: i64,
}

/// One partner's figures.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerFigures {
    /// The partner.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub org_id: OrgId,
    /// Its name.
    pub name: String,
    /// Its type.
    pub partner_type: String,
    /// Its tier.
    pub tier: String,
    /// Deals it sourced or referred.
    pub sourced: OriginFigures,
    /// Deals it influenced without sourcing.
    pub influenced: OriginFigures,
    /// Its linear share of the won revenue of the deals it touched.
    pub attributed_minor: i64,
    /// Its costs in the period.
    pub cost_minor: i64,
    /// Attributed ÷ costs.
    pub ropi: Option<f64>,
    /// Customers whose first won deal it led.
    pub customers: u64,
    /// Their average lifetime won revenue.
    pub cltv_minor: Option<i64>,
    /// Its costs ÷ those customers.
    pub cac_minor: Option<i64>,
}

/// Partners of one type or tier together.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupFigures {
    /// The type or tier key (`""` for none).
    pub key: String,
    /// Partners in it with figures in the period.
    pub partners: u64,
    /// Won revenue of deals they sourced (a deal two of them sourced counts for each).
    pub sourced_won_minor: i64,
    /// Won revenue of deals they influenced.
    pub influenced_won_minor: i64,
    /// Their attributed revenue.
    pub attributed_minor: i64,
    /// Their costs.
    pub cost_minor: i64,
    /// Attributed ÷ costs.
    pub ropi: Option<f64>,
}

/// What acquiring a customer through a channel is worth and costs.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelEconomics {
    /// `partner` (sourced and influenced) or `direct`.
    pub channel: String,
    /// As pages name it.
    pub label: String,
    /// Customers whose first won deal closed in the period through the channel.
    pub customers: u64,
    /// Their lifetime won revenue, average: CLTV.
    pub cltv_minor: Option<i64>,
    /// The channel's costs in the period.
    pub cost_minor: i64,
    /// Costs ÷ customers: CAC.
    pub cac_minor: Option<i64>,
    /// CLTV ÷ CAC.
    pub cltv_to_cac: Option<f64>,
}

/// Costs in the period, in the reporting currency.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostFigures {
    /// Costs of single partners.
    pub partner_minor: i64,
    /// Program-wide partner costs.
    pub program_minor: i64,
    /// Direct acquisition costs.
    pub direct_minor: i64,
    /// Partner and program costs per category, in category order.
    pub by_category: Vec<CategoryCost>,
    /// Cost rows left out: no exchange rate on their day.
    pub no_rate: u64,
}

/// Costs of one category.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryCost {
    /// The category.
    pub category: CostCategory,
    /// Its costs in the reporting currency.
    pub amount_minor: i64,
}

/// The program's figures for a period.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    /// The period and segments counted.
    pub period: Period,
    /// The reporting currency of every amount.
    pub currency: String,
    /// The refresh the figures come from (none yet: every figure is empty).
    pub refreshed: Option<Refresh>,
    /// Sourced, influenced, direct, and all partner deals together.
    pub origins: Vec<OriginFigures>,
    /// Every month of the period.
    pub months: Vec<MonthFigures>,
    /// Partners with figures in the period, by attributed revenue.
    pub partners: Vec<PartnerFigures>,
    /// Per partner type.
    pub by_type: Vec<GroupFigures>,
    /// Per tier.
    pub by_tier: Vec<GroupFigures>,
    /// The costs.
    pub costs: CostFigures,
    /// Partner-attributed revenue.
    pub attributed_minor: i64,
    /// Attributed ÷ partner and program costs; none with segments (costs have none).
    pub ropi: Option<f64>,
    /// CLTV and CAC of the partner and direct channels; none with segments.
    pub channels: Vec<ChannelEconomics>,
}

/// One partner's figures for a period, as its dashboard and the portal show them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerDashboard {
    /// The period and segments counted.
    pub period: Period,
    /// The reporting currency.
    pub currency: String,
    /// The refresh the figures come from.
    pub refreshed: Option<Refresh>,
    /// The partner's figures.
    pub partner: PartnerFigures,
    /// Its won revenue per month, sourced and influenced.
    pub months: Vec<MonthFigures>,
}

/// Which deals behind a figure to list.
#[derive(Clone, Debug, Default)]
pub struct Drill {
    /// Deals closed in the period (else opened in it).
    pub closed: bool,
    /// Only this origin (for a partner: role): `sourced`, `influenced`, `direct`.
    pub origin: Option<Origin>,
    /// Only this status.
    pub status: Option<OpportunityStatus>,
    /// One partner's deals.
    pub partner: Option<OrgId>,
}

/// A deal behind a figure.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DealLine {
    /// The opportunity.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub opportunity_id: OpportunityId,
    /// Its name.
    pub name: String,
    /// Its account's name.
    pub account_name: String,
    /// Its origin (for a partner's deals: the partner's role).
    pub origin: String,
    /// `open`, `won` or `lost`.
    pub status: String,
    /// Opened on.
    pub opened_on: String,
    /// Closed on.
    pub closed_on: Option<String>,
    /// Days from opening to close.
    pub cycle_days: Option<i64>,
    /// Its amount in the reporting currency.
    pub amount_minor: i64,
    /// The partner's attributed share (a partner's deals only).
    pub attributed_minor: Option<i64>,
    /// The lead partner's name.
    pub lead_partner: String,
}

/// A funnel from opened and closed rows of one class.
fn funnel(opened: &[OpenedRow], closed: &[ClosedRow], class: &str) -> Funnel {
    let mut f = Funnel::default();
    for o in opened.iter().filter(|o| o.origin == class) {
        f.opened += count(o.deals);
        f.opened_minor += o.amount_minor;
        f.open += count(o.open);
        f.open_minor += o.open_minor;
    }
    for c in closed.iter().filter(|c| c.origin == class) {
        match c.status.as_str() {
            "won" => {
                f.won += count(c.deals);
                f.won_minor += c.amount_minor;
                f.won_cycle_days += c.cycle_days;
            }
            "lost" => f.lost += count(c.deals),
            _ => {}
        }
    }
    f
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Every month from `from` to `to` (`YYYY-MM-DD`), as `YYYY-MM`.
fn months_of(from: &str, to: &str) -> Vec<String> {
    let (Some(a), Some(b)) = (month_number(from), month_number(to)) else {
        return Vec::new();
    };
    (a..=b).map(month_text).collect()
}

/// Zero-filled months with the won rows added.
fn monthly(period: &Period, rows: &[store::MonthRow]) -> Vec<MonthFigures> {
    let mut months: BTreeMap<String, MonthFigures> = months_of(&period.from, &period.to)
        .into_iter()
        .map(|m| {
            let f = MonthFigures {
                month: m.clone(),
                ..MonthFigures::default()
            };
            (m, f)
        })
        .collect();
    for r in rows {
        let m = months
            .entry(r.month.clone())
            .or_insert_with(|| MonthFigures {
                month: r.month.clone(),
                ..MonthFigures::default()
            });
        match r.origin.as_str() {
            "sourced" => m.sourced_minor += r.amount_minor,
            "influenced" => m.influenced_minor += r.amount_minor,
            _ => m.direct_minor += r.amount_minor,
        }
    }
    months.into_values().collect()
}

/// Costs in the reporting currency: totals, per partner, per category.
struct Costs {
    figures: CostFigures,
    by_partner: HashMap<Uuid, i64>,
}

impl Services {
    async fn costs_of(&self, period: &Period, currency: &str) -> Result<Costs> {
        let rates = self.rate_table(currency).await?;
        let mut c = self.db().read().await?;
        let rows = cost_store::totals(&mut c.exec(), &period.from, &period.to).await?;
        let mut figures = CostFigures::default();
        let mut by_partner: HashMap<Uuid, i64> = HashMap::new();
        let mut by_category: BTreeMap<usize, i64> = BTreeMap::new();
        for r in rows {
            let Some(amount) = rates.convert(r.amount_minor, &r.currency, &r.incurred_on) else {
                figures.no_rate += 1;
                continue;
            };
            match r.channel.parse::<CostChannel>() {
                Ok(CostChannel::Partner) => {
                    figures.partner_minor += amount;
                    if let Some(org) = r.org_id {
                        *by_partner.entry(org).or_default() += amount;
                    }
                }
                Ok(CostChannel::Program) => figures.program_minor += amount,
                Ok(CostChannel::Direct) | Err(_) => {
                    figures.direct_minor += amount;
                    continue;
                }
            }
            if let Some(i) = CostCategory::ALL
                .iter()
                .position(|c| c.as_str() == r.category)
            {
                *by_category.entry(i).or_default() += amount;
            }
        }
        figures.by_category = by_category
            .into_iter()
            .map(|(i, amount_minor)| CategoryCost {
                category: CostCategory::ALL[i],
                amount_minor,
            })
            .collect();
        Ok(Costs {
            figures,
            by_partner,
        })
    }

    /// The reporting currency and the last refresh.
    async fn basis(&self, ex: &mut Exec<'_>) -> Result<(String, Option<Refresh>)> {
        let refreshed = facts_store::last_refresh(ex).await?.map(Refresh::from);
        let currency = match &refreshed {
            Some(r) => r.currency.clone(),
            None => self.reporting_currency().await?,
        };
        Ok((currency, refreshed))
    }

    /// The program's figures for a period.
    pub async fn metrics_dashboard(&self, actor: &Actor, period: &Period) -> Result<Dashboard> {
        readable(actor)?;
        let mut c = self.db().read().await?;
        let (currency, refreshed) = self.basis(&mut c.exec()).await?;
        let f = period.facts(None);
        let opened = store::opened(&mut c.exec(), &f).await?;
        let closed = store::closed(&mut c.exec(), &f).await?;
        let won_months = store::won_by_month(&mut c.exec(), &f).await?;
        let acquired = store::acquired(&mut c.exec(), &f).await?;
        let classes = facts_store::partner_classes(&mut c.exec()).await?;
        let partners = self.partner_rows(&mut c.exec(), period, &classes).await?;
        drop(c);
        let costs = self.costs_of(period, &currency).await?;
        let partners = with_costs(partners, &costs.by_partner, &acquired);
        let mut origins: Vec<OriginFigures> = Origin::ALL
            .iter()
            .map(|o| {
                OriginFigures::new(o.as_str(), o.label(), funnel(&opened, &closed, o.as_str()))
            })
            .collect();
        let mut all = origins[0].funnel;
        all.add(&origins[1].funnel);
        origins.push(OriginFigures::new("partner", "All partner deals", all));
        let attributed_minor = partners.iter().map(|p| p.attributed_minor).sum();
        let segmented = period.segmented();
        let partner_costs = costs.figures.partner_minor + costs.figures.program_minor;
        Ok(Dashboard {
            months: monthly(period, &won_months),
            by_type: groups(&partners, |p| p.partner_type.clone()),
            by_tier: groups(&partners, |p| p.tier.clone()),
            ropi: if segmented {
                None
            } else {
                ratio(attributed_minor, partner_costs)
            },
            channels: if segmented {
                Vec::new()
            } else {
                channels(&acquired, &costs.figures)
            },
            period: period.clone(),
            currency,
            refreshed,
            origins,
            partners,
            costs: costs.figures,
            attributed_minor,
        })
    }

    /// Every partner's funnel per role, of the partners in the period's type and tier.
    async fn partner_rows(
        &self,
        ex: &mut Exec<'_>,
        period: &Period,
        classes: &[PartnerClassRow],
    ) -> Result<Vec<PartnerFigures>> {
        // Type and tier select partners by their own class here, not deals by their lead's.
        let f = FactFilter {
            partner_type: None,
            tier: None,
            ..period.facts(None)
        };
        let opened = store::opened_by_partner(ex, &f).await?;
        let closed = store::closed_by_partner(ex, &f).await?;
        let mut rows: HashMap<Uuid, (Vec<OpenedRow>, Vec<ClosedRow>, i64)> = HashMap::new();
        for o in opened {
            rows.entry(o.org_id).or_default().0.push(OpenedRow {
                origin: o.role,
                deals: o.deals,
                amount_minor: o.amount_minor,
                open: o.open,
                open_minor: o.open_minor,
            });
        }
        for c in closed {
            let e = rows.entry(c.org_id).or_default();
            e.2 += c.attributed_minor;
            e.1.push(ClosedRow {
                origin: c.role,
                status: c.status,
                deals: c.deals,
                amount_minor: c.amount_minor,
                cycle_days: c.cycle_days,
            });
        }
        let wanted = |class: &Option<String>, value: &Option<String>| {
            class.is_none() || class.as_deref() == Some(value.as_deref().unwrap_or(""))
        };
        Ok(classes
            .iter()
            .filter(|p| {
                wanted(&period.partner_type, &p.partner_type) && wanted(&period.tier, &p.tier)
            })
            .filter_map(|p| {
                let (opened, closed, attributed) = rows.remove(&p.id)?;
                Some(partner_figures(p, &opened, &closed, attributed))
            })
            .collect())
    }

    /// One partner's figures for a period: the vendor's view (`attribution:read`), or the
    /// partner's own.
    pub async fn partner_dashboard(
        &self,
        actor: &Actor,
        org: OrgId,
        period: &Period,
    ) -> Result<PartnerDashboard> {
        match actor.partner_scope() {
            Some(scope) if scope.org_id() == org => actor.require(Permission::OrgsRead)?,
            Some(_) => return Err(Error::NotFound),
            None => readable(actor)?,
        }
        let mut c = self.db().read().await?;
        let (currency, refreshed) = self.basis(&mut c.exec()).await?;
        let class = match orgs::find(&mut c.exec(), org.as_uuid()).await? {
            Some(o) if o.kind == "partner" => PartnerClassRow {
                id: o.id,
                name: o.name,
                partner_type: o.partner_type,
                tier: o.tier,
            },
            _ => return Err(Error::NotFound),
        };
        let f = period.facts(Some(org));
        let opened = store::opened(&mut c.exec(), &f).await?;
        let closed = store::closed(&mut c.exec(), &f).await?;
        let won_months = store::won_by_month(&mut c.exec(), &f).await?;
        let acquired = store::acquired(&mut c.exec(), &f).await?;
        let attributed = store::closed_by_partner(&mut c.exec(), &f)
            .await?
            .iter()
            .map(|r| r.attributed_minor)
            .sum();
        drop(c);
        let costs = self.costs_of(period, &currency).await?;
        let partner = partner_figures(&class, &opened, &closed, attributed);
        let mut partner = with_costs(vec![partner], &costs.by_partner, &acquired);
        Ok(PartnerDashboard {
            period: period.clone(),
            currency,
            refreshed,
            partner: partner.remove(0),
            months: monthly(period, &won_months),
        })
    }

    /// Every partner's id and name, for pickers (costs).
    pub async fn metrics_partner_names(&self, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
        readable(actor)?;
        let mut c = self.db().read().await?;
        Ok(facts_store::partner_classes(&mut c.exec())
            .await?
            .into_iter()
            .map(|p| (OrgId::from_uuid(p.id), p.name))
            .collect())
    }

    /// The deals behind a figure, a page at a time.
    pub async fn metrics_deals(
        &self,
        actor: &Actor,
        period: &Period,
        drill: &Drill,
        page: &PageRequest,
    ) -> Result<Page<DealLine>> {
        readable(actor)?;
        let (after, limit) = page.parse()?;
        let f = period.facts(drill.partner);
        let measure = if drill.closed {
            Measure::Closed
        } else {
            Measure::Opened
        };
        let mut c = self.db().read().await?;
        let rows = store::deals(
            &mut c.exec(),
            &f,
            measure,
            drill.origin.map(Origin::as_str),
            drill.status.map(OpportunityStatus::as_str),
            after.as_ref().map(|a| (a.key.clone(), a.id)).as_ref(),
            limit,
        )
        .await?;
        let page = Page::from_rows(rows, limit, |r| Cursor {
            key: match measure {
                Measure::Opened => r.opened_on.clone(),
                Measure::Closed => r.closed_on.clone().unwrap_or_default(),
            },
            id: r.opportunity_id,
        });
        Ok(page.map(|r| DealLine {
            opportunity_id: OpportunityId::from_uuid(r.opportunity_id),
            name: r.name,
            account_name: r.account_name.unwrap_or_default(),
            origin: r.origin,
            status: r.status,
            opened_on: r.opened_on,
            closed_on: r.closed_on,
            cycle_days: r.cycle_days,
            amount_minor: r.amount_minor,
            attributed_minor: r.attributed_minor,
            lead_partner: r.lead_name.unwrap_or_default(),
        }))
    }
}

fn partner_figures(
    p: &PartnerClassRow,
    opened: &[OpenedRow],
    closed: &[ClosedRow],
    attributed_minor: i64,
) -> PartnerFigures {
    let role =
        |o: Origin| OriginFigures::new(o.as_str(), o.label(), funnel(opened, closed, o.as_str()));
    PartnerFigures {
        org_id: OrgId::from_uuid(p.id),
        name: p.name.clone(),
        partner_type: p.partner_type.clone().unwrap_or_default(),
        tier: p.tier.clone().unwrap_or_default(),
        sourced: role(Origin::Sourced),
        influenced: role(Origin::Influenced),
        attributed_minor,
        cost_minor: 0,
        ropi: None,
        customers: 0,
        cltv_minor: None,
        cac_minor: None,
    }
}

/// Adds each partner's costs and customers, and orders partners by attributed revenue.
fn with_costs(
    mut partners: Vec<PartnerFigures>,
    costs: &HashMap<Uuid, i64>,
    acquired: &[AcquiredRow],
) -> Vec<PartnerFigures> {
    let mut customers: HashMap<Uuid, (u64, i64)> = HashMap::new();
    for a in acquired {
        if let Some(org) = a.org_id {
            let e = customers.entry(org).or_default();
            e.0 += count(a.customers);
            e.1 += a.lifetime_minor;
        }
    }
    for p in &mut partners {
        let id = p.org_id.as_uuid();
        p.cost_minor = costs.get(&id).copied().unwrap_or(0);
        p.ropi = ratio(p.attributed_minor, p.cost_minor);
        let (n, lifetime) = customers.get(&id).copied().unwrap_or_default();
        p.customers = n;
        p.cltv_minor = per(lifetime, n);
        p.cac_minor = cost_per(p.cost_minor, n);
    }
    partners.sort_by(|a, b| {
        b.attributed_minor
            .cmp(&a.attributed_minor)
            .then_with(|| a.name.cmp(&b.name))
    });
    partners
}

/// Partners grouped by `key_of` (their type or tier), by attributed revenue.
fn groups(
    partners: &[PartnerFigures],
    key_of: impl Fn(&PartnerFigures) -> String,
) -> Vec<GroupFigures> {
    let mut out: BTreeMap<String, GroupFigures> = BTreeMap::new();
    for p in partners {
        let key = key_of(p);
        let g = out.entry(key.clone()).or_insert_with(|| GroupFigures {
            key,
            partners: 0,
            sourced_won_minor: 0,
            influenced_won_minor: 0,
            attributed_minor: 0,
            cost_minor: 0,
            ropi: None,
        });
        g.partners += 1;
        g.sourced_won_minor += p.sourced.funnel.won_minor;
        g.influenced_won_minor += p.influenced.funnel.won_minor;
        g.attributed_minor += p.attributed_minor;
        g.cost_minor += p.cost_minor;
    }
    let mut out: Vec<GroupFigures> = out
        .into_values()
        .map(|mut g| {
            g.ropi = ratio(g.attributed_minor, g.cost_minor);
            g
        })
        .collect();
    out.sort_by(|a, b| {
        b.attributed_minor
            .cmp(&a.attributed_minor)
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// CLTV and CAC of the partner channel (its partner and program costs) and the direct one.
fn channels(acquired: &[AcquiredRow], costs: &CostFigures) -> Vec<ChannelEconomics> {
    let mut sums = [(0_u64, 0_i64); 2];
    for a in acquired {
        let i = usize::from(a.origin == Origin::Direct.as_str());
        sums[i].0 += count(a.customers);
        sums[i].1 += a.lifetime_minor;
    }
    [
        (
            "partner",
            "Partner channel",
            costs.partner_minor + costs.program_minor,
        ),
        ("direct", "Direct", costs.direct_minor),
    ]
    .into_iter()
    .zip(sums)
    .map(|((channel, label, cost), (customers, lifetime))| {
        let cltv = per(lifetime, customers);
        let cac = cost_per(cost, customers);
        ChannelEconomics {
            channel: channel.to_owned(),
            label: label.to_owned(),
            customers,
            cltv_minor: cltv,
            cost_minor: cost,
            cac_minor: cac,
            cltv_to_cac: cltv.zip(cac).and_then(|(l, c)| ratio(l, c)),
        }
    })
    .collect()
}
