//! Aggregates over the facts, for dashboards: every query reads one covering index range
//! (the facts' by-close or by-open index), so a dashboard over a million deals stays fast.
//!
//! Sums are cast to `bigint`: PostgreSQL sums `bigint` into `numeric`.

use sqlx::FromRow;
use uuid::Uuid;

use crate::args::Args;
use crate::db::Exec;
use crate::error::Result;
use crate::fetch_args;

/// Which facts a figure reads: a day range and segments.
#[derive(Clone, Debug, Default)]
pub struct FactFilter {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// The account's industry.
    pub industry: Option<String>,
    /// The account's country.
    pub country: Option<String>,
    /// The account's size band.
    pub size_band: Option<String>,
    /// The lead partner's type.
    pub partner_type: Option<String>,
    /// The lead partner's tier.
    pub tier: Option<String>,
    /// One partner's deals only (its role on them in place of the origin).
    pub org_id: Option<Uuid>,
    /// The period as whole months and the days around them, so that unsegmented partner
    /// tables read the monthly rollups.
    pub months: Option<MonthSplit>,
}

/// A period as the whole months inside it and the days that fill no month.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthSplit {
    /// First and last whole month, `YYYY-MM`.
    pub months: (String, String),
    /// Half-open day ranges `[from, to)` outside them (at most two).
    pub days: Vec<(String, String)>,
}

impl MonthSplit {
    /// `union all` of the rollup rows of the whole months (`rollup_columns` from `rollup`) and
    /// the raw facts of the other days (`raw_columns`, by `day`).
    fn union(
        &self,
        args: &mut Args,
        rollup: &str,
        rollup_columns: &str,
        day: &str,
        raw_columns: &str,
    ) -> String {
        let mut parts = vec![format!(
            "select {rollup_columns} from {rollup} where month >= {} and month <= {}",
            args.push(&self.months.0),
            args.push(&self.months.1)
        )];
        for (from, to) in &self.days {
            parts.push(format!(
                "select {raw_columns} from deal_partner_facts where {day} >= {} and {day} < {}",
                args.push(from),
                args.push(to)
            ));
        }
        parts.join(" union all ")
    }
}

impl FactFilter {
    fn segmented(&self) -> bool {
        self.industry.is_some()
            || self.country.is_some()
            || self.size_band.is_some()
            || self.partner_type.is_some()
            || self.tier.is_some()
    }

    /// What a query reads for deals by `day` (`opened_on` or `closed_on`): `deal_facts d` for
    /// the program; `deal_partner_facts p` for one partner or for every partner
    /// (`per_partner`), joined to `deal_facts d` when segments are filtered or `with_deal`.
    fn source(
        &self,
        args: &mut Args,
        day: &'static str,
        per_partner: bool,
        with_deal: bool,
    ) -> Source {
        let partner = self.org_id.is_some() || per_partner;
        let t = if partner { "p" } else { "d" };
        let mut from = if partner {
            "deal_partner_facts p".to_owned()
        } else {
            "deal_facts d".to_owned()
        };
        if partner && (with_deal || self.segmented()) {
            from.push_str(" join deal_facts d on d.opportunity_id = p.opportunity_id");
        }
        let mut conditions = vec![
            format!("{t}.{day} >= {}", args.push(&self.from)),
            format!("{t}.{day} <= {}", args.push(&self.to)),
        ];
        if let Some(org) = self.org_id {
            conditions.push(format!("p.org_id = {}", args.push(org)));
        }
        segments(self, args, &mut conditions);
        Source {
            t,
            from,
            conditions,
        }
    }
}

/// `d.column = $n` for each segment `f` sets, on `deal_facts d` (or `account_facts d`).
fn segments(f: &FactFilter, args: &mut Args, conditions: &mut Vec<String>) {
    for (column, value) in [
        ("industry", &f.industry),
        ("country", &f.country),
        ("size_band", &f.size_band),
        ("partner_type", &f.partner_type),
        ("tier", &f.tier),
    ] {
        if let Some(v) = value {
            conditions.push(format!("d.{column} = {}", args.push(v)));
        }
    }
}

/// The tables and conditions of a query over deals.
struct Source {
    /// `d` (deal facts) or `p` (partner facts): the table whose day, status and amount count.
    t: &'static str,
    from: String,
    conditions: Vec<String>,
}

impl Source {
    /// The deal's class: its origin, or the partner's role on it.
    fn class(&self) -> &'static str {
        if self.t == "d" { "d.origin" } else { "p.role" }
    }

    /// `from … where …`.
    fn sql(&self) -> String {
        format!("from {} where {}", self.from, self.conditions.join(" and "))
    }
}

/// Deals opened in the period, per class.
#[derive(Clone, Debug, FromRow)]
pub struct OpenedRow {
    /// `sourced`, `influenced` or `direct`.
    pub origin: String,
    pub deals: i64,
    pub amount_minor: i64,
    /// Of them, still open.
    pub open: i64,
    pub open_minor: i64,
}

/// Deals opened in the period, per origin (or, for a partner, per role).
pub async fn opened(ex: &mut Exec<'_>, f: &FactFilter) -> Result<Vec<OpenedRow>> {
    let mut args = Args::new();
    let src = f.source(&mut args, "opened_on", false, false);
    let (t, class, source) = (src.t, src.class(), src.sql());
    let sql = format!(
        "select {class} as origin, count(*) as deals, \
           cast(coalesce(sum({t}.amount_minor), 0) as bigint) as amount_minor, \
           cast(coalesce(sum(case when {t}.status = 'open' then 1 else 0 end), 0) as bigint) \
             as open, \
           cast(coalesce(sum(case when {t}.status = 'open' then {t}.amount_minor else 0 end), 0) \
             as bigint) as open_minor \
         {source} group by {class}"
    );
    Ok(fetch_args!(ex, OpenedRow, &sql, args, fetch_all)?)
}

/// Deals closed in the period, per class and outcome.
#[derive(Clone, Debug, FromRow)]
pub struct ClosedRow {
    pub origin: String,
    /// `won` or `lost`.
    pub status: String,
    pub deals: i64,
    pub amount_minor: i64,
    pub cycle_days: i64,
}

/// Deals closed in the period, per origin (or role) and outcome.
pub async fn closed(ex: &mut Exec<'_>, f: &FactFilter) -> Result<Vec<ClosedRow>> {
    let mut args = Args::new();
    let src = f.source(&mut args, "closed_on", false, false);
    let (t, class, source) = (src.t, src.class(), src.sql());
    let sql = format!(
        "select {class} as origin, {t}.status as status, count(*) as deals, \
           cast(coalesce(sum({t}.amount_minor), 0) as bigint) as amount_minor, \
           cast(coalesce(sum({t}.cycle_days), 0) as bigint) as cycle_days \
         {source} group by {class}, {t}.status"
    );
    Ok(fetch_args!(ex, ClosedRow, &sql, args, fetch_all)?)
}

/// Won revenue of one month and class.
#[derive(Clone, Debug, FromRow)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    pub origin: String,
    pub deals: i64,
    pub amount_minor: i64,
}

/// Won deals per close month and origin (or role).
pub async fn won_by_month(ex: &mut Exec<'_>, f: &FactFilter) -> Result<Vec<MonthRow>> {
    let mut args = Args::new();
    let src = f.source(&mut args, "closed_on", false, false);
    let (t, class, source) = (src.t, src.class(), src.sql());
    let sql = format!(
        "select substr({t}.closed_on, 1, 7) as month, {class} as origin, count(*) as deals, \
           cast(coalesce(sum({t}.amount_minor), 0) as bigint) as amount_minor \
         {source} group by substr({t}.closed_on, 1, 7), {class} \
         order by month"
    );
    Ok(fetch_args!(ex, MonthRow, &sql, args, fetch_all)?)
}

/// One partner's closed deals of one role and outcome.
#[derive(Clone, Debug, FromRow)]
pub struct PartnerClosedRow {
    pub org_id: Uuid,
    pub role: String,
    pub status: String,
    pub deals: i64,
    pub amount_minor: i64,
    pub attributed_minor: i64,
    pub cycle_days: i64,
}

/// Closed deals per partner, role and outcome.
pub async fn closed_by_partner(ex: &mut Exec<'_>, f: &FactFilter) -> Result<Vec<PartnerClosedRow>> {
    let mut args = Args::new();
    if let (Some(split), None, false) = (&f.months, f.org_id, f.segmented()) {
        let rows = split.union(
            &mut args,
            "partner_month_closed",
            "org_id, role, status, deals, amount_minor, attributed_minor, cycle_days",
            "closed_on",
            "org_id, role, status, 1 as deals, amount_minor, attributed_minor, \
             coalesce(cycle_days, 0) as cycle_days",
        );
        let sql = format!(
            "select org_id, role, status, cast(sum(deals) as bigint) as deals, \
               cast(sum(amount_minor) as bigint) as amount_minor, \
               cast(sum(attributed_minor) as bigint) as attributed_minor, \
               cast(sum(cycle_days) as bigint) as cycle_days \
             from ({rows}) x group by org_id, role, status"
        );
        return Ok(fetch_args!(ex, PartnerClosedRow, &sql, args, fetch_all)?);
    }
    let source = f.source(&mut args, "closed_on", true, false).sql();
    let sql = format!(
        "select p.org_id, p.role, p.status, count(*) as deals, \
           cast(coalesce(sum(p.amount_minor), 0) as bigint) as amount_minor, \
           cast(coalesce(sum(p.attributed_minor), 0) as bigint) as attributed_minor, \
           cast(coalesce(sum(p.cycle_days), 0) as bigint) as cycle_days \
         {source} group by p.org_id, p.role, p.status"
    );
    Ok(fetch_args!(ex, PartnerClosedRow, &sql, args, fetch_all)?)
}

/// One partner's deals of one role opened in the period.
#[derive(Clone, Debug, FromRow)]
pub struct PartnerOpenedRow {
    pub org_id: Uuid,
    pub role: String,
    pub deals: i64,
    pub amount_minor: i64,
    pub open: i64,
    pub open_minor: i64,
}

/// Opened deals per partner and role.
pub async fn opened_by_partner(ex: &mut Exec<'_>, f: &FactFilter) -> Result<Vec<PartnerOpenedRow>> {
    let mut args = Args::new();
    if let (Some(split), None, false) = (&f.months, f.org_id, f.segmented()) {
        let rows = split.union(
            &mut args,
            "partner_month_opened",
            "org_id, role, deals, amount_minor, open, open_minor",
            "opened_on",
            "org_id, role, 1 as deals, amount_minor, \
             case when status = 'open' then 1 else 0 end as open, \
             case when status = 'open' then amount_minor else 0 end as open_minor",
        );
        let sql = format!(
            "select org_id, role, cast(sum(deals) as bigint) as deals, \
               cast(sum(amount_minor) as bigint) as amount_minor, \
               cast(sum(open) as bigint) as open, cast(sum(open_minor) as bigint) as open_minor \
             from ({rows}) x group by org_id, role"
        );
        return Ok(fetch_args!(ex, PartnerOpenedRow, &sql, args, fetch_all)?);
    }
    let source = f.source(&mut args, "opened_on", true, false).sql();
    let sql = format!(
        "select p.org_id, p.role, count(*) as deals, \
           cast(coalesce(sum(p.amount_minor), 0) as bigint) as amount_minor, \
           cast(coalesce(sum(case when p.status = 'open' then 1 else 0 end), 0) as bigint) \
             as open, \
           cast(coalesce(sum(case when p.status = 'open' then p.amount_minor else 0 end), 0) \
             as bigint) as open_minor \
         {source} group by p.org_id, p.role"
    );
    Ok(fetch_args!(ex, PartnerOpenedRow, &sql, args, fetch_all)?)
}

/// Customers acquired in the period through one origin (and partner).
#[derive(Clone, Debug, FromRow)]
pub struct AcquiredRow {
    pub origin: String,
    pub org_id: Option<Uuid>,
    pub customers: i64,
    pub lifetime_minor: i64,
}

/// Customers whose first won deal closed in the period, per origin and acquiring partner.
pub async fn acquired(ex: &mut Exec<'_>, f: &FactFilter) -> Result<Vec<AcquiredRow>> {
    let mut args = Args::new();
    let mut conditions = vec![
        format!("d.acquired_on >= {}", args.push(&f.from)),
        format!("d.acquired_on <= {}", args.push(&f.to)),
    ];
    if let Some(org) = f.org_id {
        conditions.push(format!("d.org_id = {}", args.push(org)));
    }
    segments(f, &mut args, &mut conditions);
    let sql = format!(
        "select d.origin, d.org_id, count(*) as customers, \
           cast(coalesce(sum(d.lifetime_minor), 0) as bigint) as lifetime_minor \
         from account_facts d where {} group by d.origin, d.org_id",
        conditions.join(" and ")
    );
    Ok(fetch_args!(ex, AcquiredRow, &sql, args, fetch_all)?)
}

/// Which day a drill-down reads deals by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Deals opened in the period.
    Opened,
    /// Deals closed in the period.
    Closed,
}

/// One deal behind a figure.
#[derive(Clone, Debug, FromRow)]
pub struct DealLineRow {
    pub opportunity_id: Uuid,
    pub name: String,
    pub account_name: Option<String>,
    /// The deal's origin (or, for a partner, its role).
    pub origin: String,
    pub status: String,
    pub opened_on: String,
    pub closed_on: Option<String>,
    pub cycle_days: Option<i64>,
    pub amount_minor: i64,
    /// The partner's attributed share, for a partner's deals.
    pub attributed_minor: Option<i64>,
    pub lead_name: Option<String>,
}

/// Where a drill-down page starts: after this (day, id).
pub type DealCursor = (String, Uuid);

/// The deals behind a figure, by day then id; `limit + 1` rows so the caller can tell there
/// are more.
pub async fn deals(
    ex: &mut Exec<'_>,
    f: &FactFilter,
    measure: Measure,
    origin: Option<&str>,
    status: Option<&str>,
    after: Option<&DealCursor>,
    limit: usize,
) -> Result<Vec<DealLineRow>> {
    let mut args = Args::new();
    let day = match measure {
        Measure::Opened => "opened_on",
        Measure::Closed => "closed_on",
    };
    let mut src = f.source(&mut args, day, false, true);
    let (t, class) = (src.t, src.class());
    if let Some(o) = origin {
        src.conditions.push(format!("{class} = {}", args.push(o)));
    }
    if let Some(s) = status {
        src.conditions
            .push(format!("{t}.status = {}", args.push(s)));
    }
    if let Some((key, id)) = after {
        let (k, i) = (args.push(key), args.push(*id));
        src.conditions.push(format!(
            "({t}.{day} > {k} or ({t}.{day} = {k} and {t}.opportunity_id > {i}))"
        ));
    }
    src.from.push_str(
        " join opportunities o on o.id = d.opportunity_id \
          left join accounts a on a.id = d.account_id \
          left join orgs g on g.id = d.lead_org_id",
    );
    let attributed = if t == "p" {
        "p.attributed_minor"
    } else {
        "null"
    };
    let lim = args.push(i64::try_from(limit + 1).unwrap_or(i64::MAX));
    let sql = format!(
        "select d.opportunity_id, o.name, a.name as account_name, {class} as origin, \
           d.status, d.opened_on, d.closed_on, d.cycle_days, d.amount_minor, \
           cast({attributed} as bigint) as attributed_minor, g.name as lead_name \
         {} order by {t}.{day}, {t}.opportunity_id limit {lim}",
        src.sql()
    );
    Ok(fetch_args!(ex, DealLineRow, &sql, args, fetch_all)?)
}
