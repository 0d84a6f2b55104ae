//! The comp-credit report page: a close-date range and the credit rate of each role (100 %
//! each unless changed), then per rep the partner-involved opportunities and their credit, with
//! totals per currency; and the same lines as a formula-safe CSV download.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::cosell::credit as rules;
use trellis_domain::crm::OpportunityStatus;
use trellis_service::cosell::{CompCreditQuery, CompCreditReport, CreditLine};

use crate::ui::book::RouteBook;
use crate::ui::download;
use crate::ui::error::PageResult;
use crate::ui::form::{Errors, Query, failed};
use crate::ui::session::VendorSession;
use crate::ui::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/reports/comp-credit", show)
        .get("/console/reports/comp-credit.csv", csv)
}

/// The query parameters, in the order the form and its links carry them.
const PARAMS: [&str; 5] = [
    "from",
    "to",
    "sourced_rate",
    "co_sell_rate",
    "influence_rate",
];

fn query_of(q: &Query) -> CompCreditQuery {
    CompCreditQuery {
        from: q.text("from"),
        to: q.text("to"),
        sourced_rate: q.text("sourced_rate"),
        co_sell_rate: q.text("co_sell_rate"),
        influence_rate: q.text("influence_rate"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "console/comp_credit.html")]
struct ReportPage {
    chrome: Chrome,
    /// The form's values: as typed, or those the report applied.
    values: CompCreditQuery,
    report: Option<CompCreditReport>,
    csv: String,
    errors: Errors,
}

/// What the template shows of figures (askama passes call arguments by reference).
mod shown {
    use trellis_domain::cosell::credit::format_rate;
    use trellis_domain::{Currency, Money};

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "askama passes call arguments by reference"
    )]
    pub(super) fn rate(bp: &u32) -> String {
        format_rate(*bp)
    }

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "askama passes call arguments by reference"
    )]
    pub(super) fn money(minor: &i64, currency: &Currency) -> String {
        Money::new(*minor, *currency).format()
    }
}

async fn show(s: VendorSession, q: Query) -> PageResult {
    let asked = query_of(&q);
    let chrome = s.chrome("Comp credit");
    match s.services.comp_credit(&s.actor, &asked).await {
        Ok(report) => {
            let values = CompCreditQuery {
                from: report.from.clone(),
                to: report.to.clone(),
                sourced_rate: rules::rate_percent(report.rates.sourced),
                co_sell_rate: rules::rate_percent(report.rates.co_sell),
                influence_rate: rules::rate_percent(report.rates.influence),
            };
            let params: Vec<(&str, &str)> = PARAMS.iter().copied().zip(fields(&values)).collect();
            Ok(ReportPage {
                chrome,
                csv: Query::link("/console/reports/comp-credit.csv", &params),
                values,
                report: Some(report),
                errors: Errors::none(),
            }
            .into_response())
        }
        Err(e) => {
            let (status, errors) = failed(e)?;
            let page = ReportPage {
                chrome,
                values: asked,
                report: None,
                csv: String::new(),
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

fn fields(q: &CompCreditQuery) -> [&str; 5] {
    [
        &q.from,
        &q.to,
        &q.sourced_rate,
        &q.co_sell_rate,
        &q.influence_rate,
    ]
}

/// Every line of the report as CSV, each cell neutralised against spreadsheet formulas.
async fn csv(s: VendorSession, q: Query) -> PageResult {
    let report = s.services.comp_credit(&s.actor, &query_of(&q)).await?;
    let header = [
        "rep",
        "opportunity",
        "account",
        "close_date",
        "status",
        "currency",
        "amount",
        "partners",
        "applied_role",
        "rate_percent",
        "credit",
    ]
    .map(String::from);
    let rows = report.reps.iter().flat_map(|rep| {
        rep.lines
            .iter()
            .map(move |l| line_cells(rep.owner_name.as_str(), l))
    });
    let body = trellis_csv::write_neutralised(std::iter::once(header).chain(rows));
    Ok(download::csv(
        &format!("comp-credit-{}-{}.csv", report.from, report.to),
        body,
    ))
}

fn line_cells(rep: &str, l: &CreditLine) -> [String; 11] {
    let partners: Vec<String> = l
        .partners
        .iter()
        .map(|p| format!("{} ({})", p.partner_name, p.role))
        .collect();
    [
        if rep.is_empty() { "(no owner)" } else { rep }.to_owned(),
        l.opportunity_name.clone(),
        l.account_name.clone().unwrap_or_default(),
        l.close_date.clone(),
        l.status.as_str().to_owned(),
        l.amount.currency.code().to_owned(),
        l.amount.decimal(),
        partners.join("; "),
        l.role.as_str().to_owned(),
        rules::rate_percent(l.rate),
        l.credit.decimal(),
    ]
}
