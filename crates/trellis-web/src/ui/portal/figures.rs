//! The partner's own figures: what it sourced and influenced, won and lost, its share of the
//! revenue it touched and the customers it brought, per month, for a period it picks. The same
//! figures the vendor reads for it, from the same refresh.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_service::metrics::{MetricsQuery, OriginFigures, PartnerDashboard};

use super::super::chart::ColumnChart;
use super::super::error::PageResult;
use super::super::form::{Errors, Query, failed};
use super::super::session::PartnerSession;
use super::super::view::{Chrome, money_text, percent};

#[derive(Template, WebTemplate)]
#[template(path = "portal/figures.html")]
struct FiguresPage {
    chrome: Chrome,
    errors: Errors,
    from: String,
    to: String,
    d: PartnerDashboard,
    refreshed: Option<String>,
    cards: Vec<(&'static str, String, String)>,
    chart: ColumnChart,
    months: Vec<(String, String, String)>,
    /// Sourced and influenced: label, opened, won, lost, still open, win rate, cycle.
    funnel: Vec<FunnelRow>,
}

type FunnelRow = (String, u64, u64, u64, u64, String, String);

fn funnel_row(o: &OriginFigures) -> FunnelRow {
    let f = &o.funnel;
    (
        o.label.clone(),
        f.opened,
        f.won,
        f.lost,
        f.open,
        percent(o.win_rate),
        o.cycle_days
            .map_or_else(|| "–".to_owned(), |d| format!("{d:.0}")),
    )
}

pub(super) async fn show(s: PartnerSession, q: Query) -> PageResult {
    let asked = MetricsQuery {
        from: q.text("from"),
        to: q.text("to"),
        ..MetricsQuery::default()
    };
    let (period, errors) = match asked.check(s.services.now()) {
        Ok(p) => (p, Errors::none()),
        Err(e) => (
            MetricsQuery::default().check(s.services.now())?,
            failed(e)?.1,
        ),
    };
    let dash = s
        .services
        .partner_dashboard(&s.actor, s.scope.org_id(), &period)
        .await?;
    let c = dash.currency.clone();
    let mine = &dash.partner;
    let mut all = mine.sourced.funnel;
    all.add(&mine.influenced.funnel);
    let cards = vec![
        (
            "Sourced revenue",
            money_text(mine.sourced.funnel.won_minor, &c),
            format!(
                "{} deals won that you sourced or referred",
                mine.sourced.funnel.won
            ),
        ),
        (
            "Influenced revenue",
            money_text(mine.influenced.funnel.won_minor, &c),
            format!("{} deals won you took part in", mine.influenced.funnel.won),
        ),
        (
            "Win rate",
            percent(all.win_rate()),
            format!("{} won, {} lost", all.won, all.lost),
        ),
        (
            "New customers",
            mine.customers.to_string(),
            "whose first won deal you led".to_owned(),
        ),
    ];
    let periods: Vec<(String, Vec<i64>, String)> = dash
        .months
        .iter()
        .map(|m| {
            (
                m.month.clone(),
                vec![m.sourced_minor, m.influenced_minor],
                format!(
                    "sourced {}, influenced {}",
                    money_text(m.sourced_minor, &c),
                    money_text(m.influenced_minor, &c)
                ),
            )
        })
        .collect();
    let chart = ColumnChart::stacked(
        "Won revenue per month",
        &["Sourced", "Influenced"],
        &periods,
    );
    let months = dash
        .months
        .iter()
        .map(|m| {
            (
                m.month.clone(),
                money_text(m.sourced_minor, &c),
                money_text(m.influenced_minor, &c),
            )
        })
        .collect();
    Ok(FiguresPage {
        chrome: s.chrome("Figures"),
        errors,
        from: q.text("from"),
        to: q.text("to"),
        refreshed: dash.refreshed.as_ref().map(|r| r.refreshed_at.to_display()),
        cards,
        chart,
        months,
        funnel: vec![funnel_row(&mine.sourced), funnel_row(&mine.influenced)],
        d: dash,
    }
    .into_response())
}
