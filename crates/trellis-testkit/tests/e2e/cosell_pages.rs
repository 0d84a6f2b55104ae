//! Co-selling in the browser: a rep asks a partner from an opportunity's page, the partner
//! answers in its portal and asks the vendor back, the opportunity shows its partners and
//! requests, and the comp-credit report with its CSV download.

use reqwest::StatusCode;
use serde_json::json;
use trellis_testkit::app::{Browser, Page, PartnerFixture, TestApp};

async fn html(b: &Browser, path: &str) -> String {
    let page = b.get(path).await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
    page.html
}

/// Posts a form with the CSRF token of the page at `from`.
async fn submit(b: &Browser, from: &str, to: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = b.get(from).await.unwrap().csrf().expect("a CSRF token");
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(to, &form).await.unwrap()
}

/// The request id a create redirected to.
fn created(page: &Page, base: &str) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    let to = page.location.as_deref().unwrap();
    to.strip_prefix(&format!("{base}/")).unwrap().to_owned()
}

/// The vendor's side (a rep with an account and its opportunity, both theirs) and a partner.
struct World {
    app: TestApp,
    rep: Browser,
    north: PartnerFixture,
    account: String,
    opportunity: String,
}

/// `stage` decides the opportunity's status: `Proposal` is open, `Closed Won` won.
async fn world(stage: &str) -> World {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let id = |r: trellis_testkit::app::Reply| r.body["id"].as_str().unwrap().to_owned();
    let account = id(api
        .put(
            "/api/v1/accounts/salesforce/001A",
            &json!({"name": "Acme Corporation", "owner": "rep@vendor.example"}),
        )
        .await
        .unwrap());
    let opportunity = id(api
        .put(
            "/api/v1/opportunities/salesforce/006A",
            &json!({"account_external_id": "001A", "name": "=SUM(1,2) Acme renewal", "stage": stage,
                "owner": "rep@vendor.example", "close_date": "2026-02-15",
                "amount": {"amount_minor": 1_000_004, "currency": "EUR"}}),
        )
        .await
        .unwrap());
    World {
        rep: app.browser_as("rep@vendor.example").await.unwrap(),
        app,
        north,
        account,
        opportunity,
    }
}

/// The rep finds "Ask a partner for help" on the account and the opportunity, is told what
/// is missing, then asks Northwind. The request's id.
async fn rep_asks(w: &World) -> String {
    let (rep, account, opportunity) = (&w.rep, &w.account, &w.opportunity);
    let acct = html(rep, &format!("/console/accounts/{account}")).await;
    assert!(acct.contains(&format!("href=\"/console/co-sell/new?account={account}\"")));
    let deal = html(rep, &format!("/console/opportunities/{opportunity}")).await;
    let ask = format!("/console/co-sell/new?opportunity={opportunity}");
    assert!(deal.contains(&format!("href=\"{ask}\"")));
    assert!(deal.contains("No partner is on this opportunity"));
    for nav in ["/console/co-sell", "/console/reports/comp-credit"] {
        assert!(deal.contains(&format!("href=\"{nav}\"")), "nav {nav}");
    }
    let form = html(rep, &ask).await;
    assert!(form.contains("Acme Corporation") && form.contains("Northwind"));
    assert!(form.contains("Introduction to the customer") && !form.contains("Pricing approval"));
    let partner_id = w.north.org.id.to_string();
    let mut fields = vec![
        ("opportunity_id", opportunity.as_str()),
        ("partner_id", partner_id.as_str()),
        ("kind", "intro"),
        ("message", ""),
    ];
    let missing = submit(rep, &ask, "/console/co-sell", &fields).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.html.contains("Message: is required"),
        "{}",
        missing.html
    );
    fields.pop();
    fields.push(("message", "You know their CIO.\nCould you introduce us?"));
    fields.push(("account_id", account.as_str()));
    let sent = submit(rep, &ask, "/console/co-sell", &fields).await;
    let id = created(&sent, "/console/co-sell");
    let mine = html(rep, &format!("/console/co-sell/{id}")).await;
    assert!(mine.contains("Waiting for an answer"));
    assert!(
        mine.contains("You know their CIO.<br/>Could you introduce us?"),
        "{mine}"
    );
    assert!(
        !mine.contains("id=\"accept-form\""),
        "the side that asked does not answer"
    );
    assert!(mine.contains("id=\"withdraw-form\""));
    id
}

/// The partner's seller finds the request in the portal, is told a decline needs a reason,
/// and accepts.
async fn partner_accepts(seller: &Browser, id: &str) {
    let portal = html(seller, "/portal/co-sell").await;
    assert!(portal.contains(&format!("href=\"/portal/co-sell/{id}\"")));
    assert!(portal.contains("The vendor asked you"));
    let theirs = format!("/portal/co-sell/{id}");
    let page = html(seller, &theirs).await;
    assert!(page.contains("id=\"accept-form\"") && page.contains("id=\"decline-form\""));
    assert!(
        !page.contains("/console/"),
        "no console links in the portal"
    );
    let no_reason = submit(
        seller,
        &theirs,
        &format!("{theirs}/decline"),
        &[("version", "1"), ("reason", " ")],
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.html.contains("Reason: is required"));
    let accepted = submit(
        seller,
        &theirs,
        &format!("{theirs}/accept"),
        &[("version", "1"), ("note", "Our CTO knows her")],
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let page = html(seller, &theirs).await;
    assert!(page.contains("Accepted by Northwind Seller") && page.contains("Our CTO knows her"));
    assert!(page.contains("id=\"complete-form\"") && !page.contains("id=\"accept-form\""));
}

#[tokio::test]
async fn a_rep_and_a_partner_ask_and_answer_each_other_in_their_own_areas() {
    let w = world("Proposal").await;
    let id = rep_asks(&w).await;
    let seller = w.app.browser_as(&w.north.user_email).await.unwrap();
    partner_accepts(&seller, &id).await;

    // The opportunity shows the partner and the request.
    let deal = html(&w.rep, &format!("/console/opportunities/{}", w.opportunity)).await;
    let partners = &deal[deal.find("id=\"opportunity-partners-table\"").unwrap()..];
    assert!(partners.contains(&format!("href=\"/console/partners/{}\"", w.north.org.id)));
    assert!(partners.contains("Co-sell"));
    let requests = &deal[deal.find("id=\"opportunity-cosell-table\"").unwrap()..];
    assert!(requests.contains(&format!("href=\"/console/co-sell/{id}\"")));

    // The partner asks the vendor back; the rep's list shows it by direction.
    let new = html(&seller, "/portal/co-sell/new").await;
    assert!(new.contains("Technical pre-sales") && !new.contains("Customer reference"));
    let back = submit(
        &seller,
        "/portal/co-sell/new",
        "/portal/co-sell",
        &[
            ("registration_id", ""),
            ("customer_name", "Globex"),
            ("kind", "presales"),
            ("message", "Security review"),
        ],
    )
    .await;
    let back_id = created(&back, "/portal/co-sell");
    let inbound = html(&w.rep, "/console/co-sell?direction=partner_to_vendor").await;
    assert!(inbound.contains(&back_id) && !inbound.contains(&format!("/console/co-sell/{id}\"")));
    assert!(inbound.contains("The partner asked us") && inbound.contains("Globex"));
    let bad = w.rep.get("/console/co-sell?status=lost").await.unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another partner gets the 404 page, and none of it in its list.
    let other = w.app.partner("Contoso").await.unwrap();
    let stranger = w.app.browser_as(&other.admin_email).await.unwrap();
    assert_eq!(
        stranger
            .get(&format!("/portal/co-sell/{id}"))
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(!html(&stranger, "/portal/co-sell").await.contains("Globex"));
}

/// The link of the page's CSV download, unescaped.
fn csv_link(page: &str) -> String {
    let start = page.find("id=\"comp-credit-csv\"").unwrap();
    let tag = &page[page[..start].rfind('<').unwrap()..start];
    tag.split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

#[tokio::test]
async fn the_comp_credit_page_shows_the_rates_and_downloads_a_formula_safe_csv() {
    let World {
        app,
        north,
        opportunity,
        ..
    } = world("Closed Won").await;
    app.vendor_user("finance@vendor.example", "finance")
        .await
        .unwrap();
    let rep = app.api_as("rep@vendor.example").await.unwrap();
    let ask = rep
        .post(
            "/api/v1/co-sell-requests",
            &json!({"kind": "services", "message": "Implementation", "partner_id": north.org.id, "opportunity_id": opportunity}),
        )
        .await
        .unwrap();
    let seller = app.api_as(&north.user_email).await.unwrap();
    let id = ask.body["id"].as_str().unwrap();
    seller
        .post(
            &format!("/api/v1/co-sell-requests/{id}/accept"),
            &json!({"version": 1}),
        )
        .await
        .unwrap();

    let finance = app.browser_as("finance@vendor.example").await.unwrap();
    let path = "/console/reports/comp-credit?from=2026-01-01&to=2026-03-31&sourced_rate=100&co_sell_rate=12.5&influence_rate=100";
    let page = html(&finance, path).await;
    assert!(page.contains("co-sell <strong>12.5 %</strong>"), "{page}");
    assert!(page.contains("EUR 10,000.04") && page.contains("EUR 1,250.01"));
    assert!(page.contains("never converted"));
    assert!(
        !page.contains("href=\"/console/co-sell\""),
        "finance does not co-sell"
    );
    let href = csv_link(&page);
    assert!(href.contains("co_sell_rate=12.5"), "{href}");
    let csv = finance
        .http
        .get(format!("{}{href}", finance.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "rep,opportunity,account,close_date,status,currency,amount,partners,applied_role,rate_percent,credit"
    );
    assert!(lines[1].contains("\"'=SUM(1,2) Acme renewal\""), "{text}");
    assert!(
        lines[1].ends_with(",won,EUR,10000.04,Northwind (co_sell),co_sell,12.5,1250.01"),
        "{text}"
    );

    let bad = finance
        .get("/console/reports/comp-credit?sourced_rate=300")
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html
            .contains("Sourced rate: must be between 0 and 200 %"),
        "{}",
        bad.html
    );
    let partner = app.browser_as(&north.admin_email).await.unwrap();
    let refused = partner.get(path).await.unwrap();
    assert_eq!(refused.location.as_deref(), Some("/portal"));
}
