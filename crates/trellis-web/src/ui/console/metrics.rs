//! Ecosystem metrics in the console: the program's figures for a period and segment (origins
//! side by side, won revenue per month as an SVG chart with the same figures in a table,
//! partners, types and tiers, CLTV and CAC, costs), every figure a link to the deals behind
//! it, CSV downloads, a refresh on demand, and the cost form.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use trellis_domain::crm::OpportunityStatus;
use trellis_domain::metrics::{CostCategory, CostChannel, Origin, SIZE_BANDS};
use trellis_domain::{CostId, PartnerType, Permission};
use trellis_service::metrics::{
    Cost, CostInput, CostQuery, Dashboard, DealLine, Drill, MetricsQuery, OriginFigures, Period,
};
use trellis_service::platform::PageRequest;

use super::engagement::Engagement;
use crate::ui::book::RouteBook;
use crate::ui::chart::ColumnChart;
use crate::ui::csrf::CsrfForm;
use crate::ui::download;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, Query, failed};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, money_text, percent};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/metrics", index)
        .get("/console/metrics/partners.csv", partners_csv)
        .get("/console/metrics/deals", deals)
        .get("/console/metrics/deals.csv", deals_csv)
        .post("/console/metrics/refresh", refresh)
        .post("/console/metrics/costs", record_cost)
        .post("/console/metrics/costs/{id}/remove", remove_cost)
}

/// The filter fields, as typed.
struct Filters {
    from: String,
    to: String,
    industry: String,
    country: String,
    size_bands: Vec<Choice>,
    partner_types: Vec<Choice>,
    tier: String,
}

const FILTER_KEYS: [&str; 7] = [
    "from",
    "to",
    "industry",
    "country",
    "size_band",
    "partner_type",
    "tier",
];

impl Filters {
    fn of(q: &Query) -> Self {
        let bands = std::iter::once(("", "Any size")).chain(SIZE_BANDS.iter().map(|b| (*b, *b)));
        let types = std::iter::once(("", "Any type"))
            .chain(PartnerType::ALL.iter().map(|t| (t.as_str(), t.label())));
        Self {
            from: q.text("from"),
            to: q.text("to"),
            industry: q.text("industry"),
            country: q.text("country"),
            size_bands: Choice::list(bands, &q.text("size_band")),
            partner_types: Choice::list(types, &q.text("partner_type")),
            tier: q.text("tier"),
        }
    }
}

/// The query as the service reads it.
fn query_of(q: &Query) -> MetricsQuery {
    MetricsQuery {
        from: q.text("from"),
        to: q.text("to"),
        industry: q.text("industry"),
        country: q.text("country"),
        size_band: q.text("size_band"),
        partner_type: q.text("partner_type"),
        tier: q.text("tier"),
    }
}

/// The checked period's parameters, for links to the deals behind a figure.
fn period_params(p: &Period) -> Vec<(&'static str, String)> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("from", p.from.clone()),
        ("to", p.to.clone()),
        ("industry", opt(&p.industry)),
        ("country", opt(&p.country)),
        ("size_band", opt(&p.size_band)),
        ("partner_type", opt(&p.partner_type)),
        ("tier", opt(&p.tier)),
    ]
}

/// A link to the deals behind a figure.
fn drill(p: &Period, extra: &[(&str, &str)]) -> String {
    let base = period_params(p);
    let mut params: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    params.extend_from_slice(extra);
    Query::link("/console/metrics/deals", &params)
}

fn times(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}×"))
}

/// One origin's row of the comparison table.
struct OriginRow {
    key: String,
    label: String,
    opened: u64,
    opened_link: String,
    won: u64,
    won_link: String,
    won_amount: String,
    lost: u64,
    lost_link: String,
    open_amount: String,
    win_rate: String,
    deal_size: String,
    cycle: String,
    velocity: String,
}

impl OriginRow {
    fn of(o: &OriginFigures, p: &Period, currency: &str) -> Self {
        let origin = if o.key == "partner" {
            ""
        } else {
            o.key.as_str()
        };
        let f = &o.funnel;
        let link = |measure: &str, status: &str| {
            drill(
                p,
                &[("measure", measure), ("origin", origin), ("status", status)],
            )
        };
        let opt_money =
            |m: Option<i64>| m.map_or_else(|| "–".to_owned(), |m| money_text(m, currency));
        Self {
            key: o.key.clone(),
            label: o.label.clone(),
            opened: f.opened,
            opened_link: link("opened", ""),
            won: f.won,
            won_link: link("closed", "won"),
            won_amount: money_text(f.won_minor, currency),
            lost: f.lost,
            lost_link: link("closed", "lost"),
            open_amount: money_text(f.open_minor, currency),
            win_rate: percent(o.win_rate),
            deal_size: opt_money(o.deal_size_minor),
            cycle: o
                .cycle_days
                .map_or_else(|| "–".to_owned(), |d| format!("{d:.0} days")),
            velocity: o.velocity_minor_per_day.map_or_else(
                || "–".to_owned(),
                |v| format!("{} a day", money_text(v, currency)),
            ),
        }
    }
}

/// One partner's row.
struct PartnerRow {
    id: String,
    name: String,
    kind: String,
    tier: String,
    sourced_won: String,
    influenced_won: String,
    won_deals: u64,
    win_rate: String,
    attributed: String,
    cost: String,
    ropi: String,
    customers: u64,
    cac: String,
    deals_link: String,
}

/// One type's or tier's row.
struct GroupRow {
    label: String,
    partners: u64,
    sourced_won: String,
    influenced_won: String,
    attributed: String,
    cost: String,
    ropi: String,
}

/// Partners grouped one way.
struct GroupTable {
    title: &'static str,
    id: &'static str,
    rows: Vec<GroupRow>,
}

/// One channel's CLTV and CAC.
struct ChannelRow {
    label: String,
    customers: u64,
    cltv: String,
    cac: String,
    ratio: String,
}

/// One cost in the recent list.
struct CostRow {
    id: String,
    day: String,
    whose: String,
    category: String,
    amount: String,
    note: String,
}

impl CostRow {
    fn of(c: &Cost) -> Self {
        Self {
            id: c.id.to_string(),
            day: c.incurred_on.clone(),
            whose: c
                .org_name
                .clone()
                .unwrap_or_else(|| c.channel.label().to_owned()),
            category: c.category.label().to_owned(),
            amount: c.amount.format(),
            note: c.note.clone(),
        }
    }
}

/// The cost form as typed.
struct CostForm {
    channels: Vec<Choice>,
    partners: Vec<Choice>,
    categories: Vec<Choice>,
    amount: String,
    currency: String,
    incurred_on: String,
    note: String,
    errors: Errors,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/metrics.html")]
struct MetricsPage {
    chrome: Chrome,
    filters: Filters,
    errors: Errors,
    period: Period,
    currency: String,
    refreshed: Option<String>,
    no_rate: i64,
    can_refresh: bool,
    cards: Vec<(String, String, String)>,
    chart: ColumnChart,
    months: Vec<(String, String, String, String)>,
    origins: Vec<OriginRow>,
    partners: Vec<PartnerRow>,
    more_partners: usize,
    partners_csv: String,
    /// By partner type, then by tier.
    groups: Vec<GroupTable>,
    channels: Vec<ChannelRow>,
    costs_total: Vec<(String, String)>,
    costs: Vec<CostRow>,
    cost_form: Option<CostForm>,
    engagement: Engagement,
}

/// Partners shown on the page; the CSV has them all.
const TOP_PARTNERS: usize = 25;

async fn index(s: VendorSession, q: Query) -> PageResult {
    Ok(MetricsPage::load(&s, &q, None).await?.into_response())
}

impl MetricsPage {
    /// The page for the query; an invalid query shows its errors over the default period.
    async fn load(s: &VendorSession, q: &Query, cost_form: Option<CostForm>) -> PageResult<Self> {
        let (period, errors) = match query_of(q).check(s.services.now()) {
            Ok(p) => (p, Errors::none()),
            Err(e) => {
                let (_, errors) = failed(e)?;
                let p = MetricsQuery::default().check(s.services.now())?;
                (p, errors)
            }
        };
        let d = s.services.metrics_dashboard(&s.actor, &period).await?;
        let recent = s
            .services
            .costs(
                &s.actor,
                &CostQuery {
                    from: period.from.clone(),
                    to: period.to.clone(),
                    partner: None,
                },
                &PageRequest {
                    cursor: None,
                    limit: Some(10),
                },
            )
            .await?;
        let can_cost = s.can(Permission::CostsManage);
        let cost_form = match cost_form {
            Some(f) => Some(f),
            None if can_cost => Some(blank_cost_form(s, &d).await?),
            None => None,
        };
        let engagement = Engagement::load(s, &period).await?;
        Ok(Self::of(
            s,
            q,
            &d,
            (period, errors),
            &recent.items,
            cost_form,
            engagement,
        ))
    }

    #[allow(clippy::too_many_lines, reason = "one field after another")]
    fn of(
        s: &VendorSession,
        q: &Query,
        d: &Dashboard,
        (period, errors): (Period, Errors),
        recent: &[Cost],
        cost_form: Option<CostForm>,
        engagement: Engagement,
    ) -> Self {
        let c = d.currency.as_str();
        let origin = |k: &str| d.origins.iter().find(|o| o.key == k);
        let won = |k: &str| origin(k).map_or(0, |o| o.funnel.won_minor);
        let cards = vec![
            (
                "Partner-sourced revenue".to_owned(),
                money_text(won("sourced"), c),
                format!(
                    "{} won deals",
                    origin("sourced").map_or(0, |o| o.funnel.won)
                ),
            ),
            (
                "Partner-influenced revenue".to_owned(),
                money_text(won("influenced"), c),
                format!(
                    "{} won deals",
                    origin("influenced").map_or(0, |o| o.funnel.won)
                ),
            ),
            (
                "Direct revenue".to_owned(),
                money_text(won("direct"), c),
                format!("{} won deals", origin("direct").map_or(0, |o| o.funnel.won)),
            ),
            (
                "ROPI".to_owned(),
                times(d.ropi),
                if period.segmented() {
                    "not with a segment: costs have none".to_owned()
                } else {
                    format!(
                        "{} attributed ÷ {} partner costs",
                        money_text(d.attributed_minor, c),
                        money_text(d.costs.partner_minor + d.costs.program_minor, c)
                    )
                },
            ),
        ];
        let periods: Vec<(String, Vec<i64>, String)> = d
            .months
            .iter()
            .map(|m| {
                let desc = format!(
                    "sourced {}, influenced {}, direct {}",
                    money_text(m.sourced_minor, c),
                    money_text(m.influenced_minor, c),
                    money_text(m.direct_minor, c)
                );
                (
                    m.month.clone(),
                    vec![m.sourced_minor, m.influenced_minor, m.direct_minor],
                    desc,
                )
            })
            .collect();
        let chart = ColumnChart::stacked(
            "Won revenue per month, by origin",
            &["Partner-sourced", "Partner-influenced", "Direct"],
            &periods,
        );
        let months = d
            .months
            .iter()
            .map(|m| {
                (
                    m.month.clone(),
                    money_text(m.sourced_minor, c),
                    money_text(m.influenced_minor, c),
                    money_text(m.direct_minor, c),
                )
            })
            .collect();
        let partners = d
            .partners
            .iter()
            .take(TOP_PARTNERS)
            .map(|p| {
                let won_deals = p.sourced.funnel.won + p.influenced.funnel.won;
                let mut all = p.sourced.funnel;
                all.add(&p.influenced.funnel);
                let org = p.org_id.to_string();
                PartnerRow {
                    id: org.clone(),
                    name: p.name.clone(),
                    kind: label_of_type(&p.partner_type),
                    tier: p.tier.clone(),
                    sourced_won: money_text(p.sourced.funnel.won_minor, c),
                    influenced_won: money_text(p.influenced.funnel.won_minor, c),
                    won_deals,
                    win_rate: percent(all.win_rate()),
                    attributed: money_text(p.attributed_minor, c),
                    cost: money_text(p.cost_minor, c),
                    ropi: times(p.ropi),
                    customers: p.customers,
                    cac: p
                        .cac_minor
                        .map_or_else(|| "–".to_owned(), |v| money_text(v, c)),
                    deals_link: drill(&period, &[("measure", "closed"), ("partner", &org)]),
                }
            })
            .collect();
        let group = |g: &trellis_service::metrics::GroupFigures, label: String| GroupRow {
            label,
            partners: g.partners,
            sourced_won: money_text(g.sourced_won_minor, c),
            influenced_won: money_text(g.influenced_won_minor, c),
            attributed: money_text(g.attributed_minor, c),
            cost: money_text(g.cost_minor, c),
            ropi: times(g.ropi),
        };
        let params = period_params(&period);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Self {
            chrome: s.chrome("Metrics"),
            filters: Filters::of(q),
            errors,
            currency: d.currency.clone(),
            refreshed: d.refreshed.as_ref().map(|r| {
                format!(
                    "Figures as of {}: {} opportunities, {} touchpoints, refreshed in {}.{} s.",
                    r.refreshed_at.to_display(),
                    r.opportunities,
                    r.touchpoints,
                    r.duration_ms / 1000,
                    r.duration_ms % 1000 / 100
                )
            }),
            no_rate: d.refreshed.as_ref().map_or(0, |r| r.no_rate),
            can_refresh: s.can(Permission::AttributionManage),
            cards,
            chart,
            months,
            origins: d
                .origins
                .iter()
                .map(|o| OriginRow::of(o, &period, c))
                .collect(),
            more_partners: d.partners.len().saturating_sub(TOP_PARTNERS),
            partners,
            partners_csv: Query::link("/console/metrics/partners.csv", &pairs),
            groups: vec![
                GroupTable {
                    title: "By partner type",
                    id: "types",
                    rows: d
                        .by_type
                        .iter()
                        .map(|g| group(g, label_of_type(&g.key)))
                        .collect(),
                },
                GroupTable {
                    title: "By tier",
                    id: "tiers",
                    rows: d
                        .by_tier
                        .iter()
                        .map(|g| {
                            let label = if g.key.is_empty() {
                                "No tier".to_owned()
                            } else {
                                g.key.clone()
                            };
                            group(g, label)
                        })
                        .collect(),
                },
            ],
            channels: d
                .channels
                .iter()
                .map(|ch| ChannelRow {
                    label: ch.label.clone(),
                    customers: ch.customers,
                    cltv: ch
                        .cltv_minor
                        .map_or_else(|| "–".to_owned(), |v| money_text(v, c)),
                    cac: ch
                        .cac_minor
                        .map_or_else(|| "–".to_owned(), |v| money_text(v, c)),
                    ratio: times(ch.cltv_to_cac),
                })
                .collect(),
            costs_total: d
                .costs
                .by_category
                .iter()
                .map(|k| (k.category.label().to_owned(), money_text(k.amount_minor, c)))
                .chain([(
                    "Direct acquisition".to_owned(),
                    money_text(d.costs.direct_minor, c),
                )])
                .collect(),
            costs: recent.iter().map(CostRow::of).collect(),
            cost_form,
            engagement,
            period,
        }
    }
}

fn label_of_type(key: &str) -> String {
    key.parse::<PartnerType>()
        .map_or_else(|_| "No type".to_owned(), |t| t.label().to_owned())
}

async fn blank_cost_form(s: &VendorSession, d: &Dashboard) -> PageResult<CostForm> {
    let form = FormData::from_pairs([("currency", d.currency.clone())]);
    cost_form(s, &form, Errors::none()).await
}

async fn cost_form(s: &VendorSession, form: &FormData, errors: Errors) -> PageResult<CostForm> {
    let partners = s.services.metrics_partner_names(&s.actor).await?;
    let partner_items: Vec<(String, String)> =
        std::iter::once((String::new(), "None: a program or direct cost".to_owned()))
            .chain(
                partners
                    .into_iter()
                    .map(|(id, name)| (id.to_string(), name)),
            )
            .collect();
    Ok(CostForm {
        channels: Choice::list(
            CostChannel::ALL.iter().map(|c| (c.as_str(), c.label())),
            &form.opt("channel").unwrap_or_else(|| "partner".to_owned()),
        ),
        partners: Choice::list(
            partner_items.iter().map(|(v, l)| (v.as_str(), l.as_str())),
            &form.text("partner"),
        ),
        categories: Choice::list(
            CostCategory::ALL.iter().map(|c| (c.as_str(), c.label())),
            &form.opt("category").unwrap_or_else(|| "mdf".to_owned()),
        ),
        amount: form.text("amount"),
        currency: form.text("currency"),
        incurred_on: form.text("incurred_on"),
        note: form.text("note"),
        errors,
    })
}

async fn record_cost(s: VendorSession, q: Query, CsrfForm(form): CsrfForm) -> PageResult {
    let partner = form.text("partner");
    let input = CostInput {
        channel: form.text("channel"),
        partner: if partner.is_empty() {
            None
        } else {
            match partner.parse() {
                Ok(id) => Some(id),
                Err(_) => return Err(crate::ui::error::PageError::not_found_page()),
            }
        },
        category: form.text("category"),
        amount: form.text("amount"),
        currency: form.text("currency"),
        incurred_on: form.text("incurred_on"),
        note: form.text("note"),
    };
    match s.services.record_cost(&s.actor, &input, "manual").await {
        Ok(c) => Ok(s.redirect(
            "/console/metrics#costs",
            &Flash::success(format!(
                "{} cost of {} recorded. The figures include it from the next refresh.",
                c.category.label(),
                c.amount.format()
            )),
        )),
        Err(e) => {
            let (status, errors) = failed(e)?;
            let form = cost_form(&s, &form, errors).await?;
            let page = MetricsPage::load(&s, &q, Some(form)).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn remove_cost(
    s: VendorSession,
    PageId(id): PageId<CostId>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let c = s.services.remove_cost(&s.actor, id).await?;
    Ok(s.redirect(
        "/console/metrics#costs",
        &Flash::success(format!(
            "{} cost of {} removed.",
            c.category.label(),
            c.amount.format()
        )),
    ))
}

async fn refresh(s: VendorSession, CsrfForm(_): CsrfForm) -> PageResult {
    s.services.queue_metrics_refresh(&s.actor).await?;
    Ok(s.redirect(
        "/console/metrics",
        &Flash::success("A refresh is queued: reload in a moment for the new figures."),
    ))
}

/// Every partner's figures for the period, as CSV.
async fn partners_csv(s: VendorSession, q: Query) -> PageResult<Response> {
    let period = query_of(&q).check(s.services.now())?;
    let d = s.services.metrics_dashboard(&s.actor, &period).await?;
    let header = [
        "partner_id",
        "partner",
        "type",
        "tier",
        "sourced_won_deals",
        "sourced_won_minor",
        "influenced_won_deals",
        "influenced_won_minor",
        "lost_deals",
        "open_minor",
        "attributed_minor",
        "cost_minor",
        "ropi",
        "customers",
        "cltv_minor",
        "cac_minor",
        "currency",
    ]
    .map(str::to_owned);
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let rows = d.partners.iter().map(|p| {
        [
            p.org_id.to_string(),
            p.name.clone(),
            p.partner_type.clone(),
            p.tier.clone(),
            p.sourced.funnel.won.to_string(),
            p.sourced.funnel.won_minor.to_string(),
            p.influenced.funnel.won.to_string(),
            p.influenced.funnel.won_minor.to_string(),
            (p.sourced.funnel.lost + p.influenced.funnel.lost).to_string(),
            (p.sourced.funnel.open_minor + p.influenced.funnel.open_minor).to_string(),
            p.attributed_minor.to_string(),
            p.cost_minor.to_string(),
            p.ropi.map(|r| format!("{r:.4}")).unwrap_or_default(),
            p.customers.to_string(),
            opt(p.cltv_minor),
            opt(p.cac_minor),
            d.currency.clone(),
        ]
    });
    let body = trellis_csv::write_neutralised(std::iter::once(header).chain(rows));
    Ok(download::csv(
        &format!("partner-metrics-{}-{}.csv", period.from, period.to),
        body,
    ))
}

/// The drill-down's parameters.
fn drill_of(q: &Query) -> PageResult<Drill> {
    let origin = match q.text("origin").as_str() {
        "" => None,
        o => Some(
            o.parse::<Origin>()
                .map_err(|_| crate::ui::error::PageError::not_found_page())?,
        ),
    };
    let status = q
        .opt("status")
        .and_then(|s| s.parse::<OpportunityStatus>().ok());
    let partner = match q.text("partner").as_str() {
        "" => None,
        p => Some(
            p.parse()
                .map_err(|_| crate::ui::error::PageError::not_found_page())?,
        ),
    };
    Ok(Drill {
        closed: q.text("measure") == "closed",
        origin,
        status,
        partner,
    })
}

/// One deal behind a figure, as the list shows it.
struct DealRow {
    id: String,
    name: String,
    account: String,
    origin: String,
    status: String,
    opened: String,
    closed: String,
    cycle: String,
    amount: String,
    attributed: String,
    lead: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/metrics_deals.html")]
struct DealsPage {
    chrome: Chrome,
    title: String,
    period: Period,
    back: String,
    rows: Vec<DealRow>,
    next: Option<String>,
    csv: String,
    partner_view: bool,
}

fn describe_drill(d: &Drill) -> String {
    let what = match (d.status, d.closed) {
        (Some(OpportunityStatus::Won), _) => "won",
        (Some(OpportunityStatus::Lost), _) => "lost",
        (Some(OpportunityStatus::Open), _) => "still open",
        (None, true) => "closed",
        (None, false) => "opened",
    };
    let origin = d.origin.map_or("All", |o| o.label());
    format!("{origin} deals {what}")
}

async fn deals(s: VendorSession, q: Query) -> PageResult {
    let period = query_of(&q).check(s.services.now())?;
    let drill = drill_of(&q)?;
    let page = PageRequest {
        cursor: q.opt("cursor"),
        limit: Some(50),
    };
    let list = s
        .services
        .metrics_deals(&s.actor, &period, &drill, &page)
        .await?;
    let currency = s.services.reporting_currency().await?;
    let keep: Vec<(&str, String)> = period_params(&period)
        .into_iter()
        .chain(
            ["measure", "origin", "status", "partner"]
                .into_iter()
                .map(|k| (k, q.text(k))),
        )
        .collect();
    let pairs: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let next = list.next.map(|c| {
        let cursor = c.encode();
        let mut with: Vec<(&str, &str)> = pairs.clone();
        with.push(("cursor", &cursor));
        Query::link("/console/metrics/deals", &with)
    });
    let back_pairs: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(k, _)| FILTER_KEYS.contains(k))
        .collect();
    Ok(DealsPage {
        chrome: s.chrome("Metrics"),
        title: describe_drill(&drill),
        back: Query::link("/console/metrics", &back_pairs),
        partner_view: drill.partner.is_some(),
        rows: list.items.iter().map(|l| deal_row(l, &currency)).collect(),
        next,
        csv: Query::link("/console/metrics/deals.csv", &pairs),
        period,
    }
    .into_response())
}

fn deal_row(l: &DealLine, currency: &str) -> DealRow {
    DealRow {
        id: l.opportunity_id.to_string(),
        name: l.name.clone(),
        account: l.account_name.clone(),
        origin: l
            .origin
            .parse::<Origin>()
            .map_or_else(|_| l.origin.clone(), |o| o.label().to_owned()),
        status: l.status.clone(),
        opened: l.opened_on.clone(),
        closed: l.closed_on.clone().unwrap_or_default(),
        cycle: l.cycle_days.map(|d| d.to_string()).unwrap_or_default(),
        amount: money_text(l.amount_minor, currency),
        attributed: l
            .attributed_minor
            .map(|a| money_text(a, currency))
            .unwrap_or_default(),
        lead: l.lead_partner.clone(),
    }
}

/// The most rows a drill-down CSV holds.
const CSV_MAX: usize = 100_000;

/// The deals behind a figure, every page, as CSV.
async fn deals_csv(s: VendorSession, q: Query) -> PageResult<Response> {
    let period = query_of(&q).check(s.services.now())?;
    let drill = drill_of(&q)?;
    let currency = s.services.reporting_currency().await?;
    let mut lines = Vec::new();
    let mut cursor = None;
    loop {
        let page = PageRequest {
            cursor: cursor.take(),
            limit: Some(trellis_service::platform::MAX_PAGE),
        };
        let list = s
            .services
            .metrics_deals(&s.actor, &period, &drill, &page)
            .await?;
        lines.extend(list.items);
        match list.next {
            Some(c) if lines.len() < CSV_MAX => cursor = Some(c.encode()),
            _ => break,
        }
    }
    let header = [
        "opportunity_id",
        "opportunity",
        "account",
        "origin",
        "status",
        "opened_on",
        "closed_on",
        "cycle_days",
        "amount_minor",
        "attributed_minor",
        "lead_partner",
        "currency",
    ]
    .map(str::to_owned);
    let rows = lines.iter().map(|l| {
        [
            l.opportunity_id.to_string(),
            l.name.clone(),
            l.account_name.clone(),
            l.origin.clone(),
            l.status.clone(),
            l.opened_on.clone(),
            l.closed_on.clone().unwrap_or_default(),
            l.cycle_days.map(|d| d.to_string()).unwrap_or_default(),
            l.amount_minor.to_string(),
            l.attributed_minor
                .map(|a| a.to_string())
                .unwrap_or_default(),
            l.lead_partner.clone(),
            currency.clone(),
        ]
    });
    let body = trellis_csv::write_neutralised(std::iter::once(header).chain(rows));
    Ok(download::csv(
        &format!("deals-{}-{}.csv", period.from, period.to),
        body,
    ))
}
