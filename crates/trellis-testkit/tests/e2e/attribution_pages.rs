//! The console's attribution pages: touchpoints recorded and removed on an opportunity's page
//! (a bad one re-shown with its errors), a model run with its chart, table and CSV, a replay
//! and a comparison; a sales rep reads but runs nothing.

use reqwest::StatusCode;
use serde_json::json;
use trellis_testkit::app::{Api, Browser, Page, TestApp};

/// Posts the form at `to` with the CSRF token of the page at `from`.
async fn submit(b: &Browser, from: &str, to: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = b.get(from).await.unwrap().csrf().expect("a CSRF token");
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(to, &form).await.unwrap()
}

async fn follow(b: &Browser, p: &Page) -> String {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = b.get(p.location.as_deref().unwrap()).await.unwrap();
    assert_eq!(page.status, StatusCode::OK);
    page.html
}

async fn won_deal(api: &Api) -> String {
    let acme = api
        .put(
            "/api/v1/accounts/salesforce/001A",
            &json!({"name": "Acme", "website": "acme.com"}),
        )
        .await
        .unwrap();
    assert!(acme.status.is_success());
    let r = api
        .put(
            "/api/v1/opportunities/salesforce/006A",
            &json!({"account_external_id": "001A", "name": "Acme platform", "stage": "Closed Won",
                "amount": {"amount_minor": 2_000_000, "currency": "USD"}, "close_date": "2025-12-01"}),
        )
        .await
        .unwrap();
    r.body["id"].as_str().unwrap().to_owned()
}

/// Replays a run with the first-touch model and compares the two: the webinar's half of the
/// deal moves to Northwind.
async fn replay_and_compare(b: &Browser, run_path: &str) {
    let replayed = submit(
        b,
        run_path,
        &format!("{run_path}/replay"),
        &[("model", "first")],
    )
    .await;
    let replay = follow(b, &replayed).await;
    assert!(replay.contains("a replay of"));
    let other = replayed.location.unwrap();
    let other_id = other.rsplit('/').next().unwrap();
    let cmp = b
        .get(&format!("{run_path}/compare?with={other_id}"))
        .await
        .unwrap();
    assert_eq!(cmp.status, StatusCode::OK);
    assert!(cmp.html.contains("id=\"compare-table\"") && cmp.html.contains("USD -10,000.00"));
}

#[tokio::test]
async fn touchpoints_are_recorded_on_the_deal_and_a_run_shows_its_chart_table_and_csv() {
    let app = TestApp::spawn().await.unwrap();
    let partner = app.partner("Northwind").await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let deal = won_deal(&api).await;
    let b = app.browser_as("admin@vendor.example").await.unwrap();
    let page = format!("/console/opportunities/{deal}");
    let to = format!("/console/opportunities/{deal}/touchpoints");

    let bad = submit(
        &b,
        &page,
        &to,
        &[
            ("partner_id", ""),
            ("channel", ""),
            ("kind", ""),
            ("occurred_at", "2025-11-31"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["channel-error", "kind-error", "occurred_at-error"] {
        assert!(bad.html.contains(&format!("id=\"{field}\"")), "{field}");
    }
    assert!(
        bad.html.contains("value=\"2025-11-31\""),
        "what was typed stays"
    );

    let partner_id = partner.org.id.to_string();
    let done = submit(
        &b,
        &page,
        &to,
        &[
            ("partner_id", &partner_id),
            ("kind", "sourced"),
            ("occurred_at", "2025-10-01"),
            ("note", "Brought us in"),
        ],
    )
    .await;
    let shown = follow(&b, &done).await;
    assert!(shown.contains("id=\"touchpoints-table\"") && shown.contains("Brought us in"));
    submit(
        &b,
        &page,
        &to,
        &[
            ("channel", "Spring webinar"),
            ("kind", "campaign"),
            ("occurred_at", "2025-11-20"),
        ],
    )
    .await;

    let ran = submit(
        &b,
        "/console/attribution",
        "/console/attribution/runs",
        &[
            ("model", "linear"),
            ("from", "2025-01-01"),
            ("to", "2025-12-31"),
            ("order", "3"),
        ],
    )
    .await;
    let run = follow(&b, &ran).await;
    assert!(run.contains("<svg class=\"chart\""), "the chart");
    assert!(run.contains("role=\"img\"") && run.contains("<desc id=\"run-chart-desc\">"));
    assert!(
        run.contains("Northwind: USD 10,000.00"),
        "the chart's description"
    );
    assert!(run.contains("id=\"run-total\">USD 20,000.00"));
    let run_path = ran.location.clone().unwrap();
    let csv = b.get(&format!("{run_path}/csv")).await.unwrap();
    assert!(
        csv.html
            .starts_with("channel,partner_id,attributed_conversions"),
        "{}",
        csv.html
    );
    assert!(
        csv.html.contains("Spring webinar,,0.500000,,10000.00,USD"),
        "{}",
        csv.html
    );

    replay_and_compare(&b, &run_path).await;

    // Removing a touchpoint from the deal's page.
    let shown = b.get(&page).await.unwrap().html;
    let at = shown.find("/console/touchpoints/").unwrap();
    let remove = &shown[at..at + shown[at..].find('"').unwrap()];
    let removed = submit(&b, &page, remove, &[]).await;
    assert!(follow(&b, &removed).await.contains("Removed: "));
}

#[tokio::test]
async fn a_sales_rep_reads_attribution_but_records_and_runs_nothing() {
    let app = TestApp::spawn().await.unwrap();
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let deal = won_deal(&api).await;
    let b = app.browser_as("rep@vendor.example").await.unwrap();
    let list = b.get("/console/attribution").await.unwrap();
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.html.contains("id=\"run-form\""));
    let page = b
        .get(&format!("/console/opportunities/{deal}"))
        .await
        .unwrap();
    assert!(page.html.contains("id=\"touchpoints\""));
    assert!(!page.html.contains("id=\"touchpoint-form\""));
    let refused = submit(
        &b,
        "/console/attribution",
        "/console/attribution/runs",
        &[("model", "linear")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exchange_rates_are_set_checked_and_removed_on_the_attribution_page() {
    let app = TestApp::spawn().await.unwrap();
    let b = app.browser_as("admin@vendor.example").await.unwrap();
    let bad = submit(
        &b,
        "/console/attribution",
        "/console/attribution/rates",
        &[
            ("currency", "usd"),
            ("valid_from", "2026-10-01"),
            ("rate", "1.2.3"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("id=\"currency-error\"") && bad.html.contains("id=\"rate-error\""));
    assert!(bad.html.contains("value=\"1.2.3\""), "what was typed stays");
    let set = submit(
        &b,
        "/console/attribution",
        "/console/attribution/rates",
        &[
            ("currency", "eur"),
            ("valid_from", "2026-10-01"),
            ("rate", "1,0825"),
        ],
    )
    .await;
    let page = follow(&b, &set).await;
    assert!(
        page.contains("1 EUR = 1.0825 USD from 2026-10-01."),
        "the flash"
    );
    assert!(page.contains("id=\"rates-table\""));
    let removed = submit(
        &b,
        "/console/attribution",
        "/console/attribution/rates/remove",
        &[("currency", "EUR"), ("valid_from", "2026-10-01")],
    )
    .await;
    assert!(follow(&b, &removed).await.contains("id=\"no-rates\""));
}
