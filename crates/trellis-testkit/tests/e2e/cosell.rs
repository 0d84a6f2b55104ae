//! Co-selling through the API: requests both ways with idempotent creates, answers and their
//! refusals, the partner on the opportunity, the e-mails and webhooks the steps send, and the
//! comp-credit report.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::{Api, TestApp};

/// A rep's account and opportunity on the vendor side, and a partner.
struct Setup {
    app: TestApp,
    vendor: Api,
    rep: Api,
    partner_admin: Api,
    seller: Api,
    partner_id: String,
    account: String,
    opportunity: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await.unwrap();
    let vendor = app.api_as("admin@vendor.example").await.unwrap();
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let rep = app.api_as("rep@vendor.example").await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let partner_admin = app.api_as(&north.admin_email).await.unwrap();
    let seller = app.api_as(&north.user_email).await.unwrap();
    let account = vendor
        .put(
            "/api/v1/accounts/salesforce/001A",
            &json!({"name": "Acme Corporation", "website": "acme.example", "owner": "rep@vendor.example"}),
        )
        .await
        .unwrap();
    let opportunity = vendor
        .put(
            "/api/v1/opportunities/salesforce/006A",
            &json!({"account_external_id": "001A", "name": "Acme renewal", "stage": "Proposal",
                "owner": "rep@vendor.example", "close_date": "2026-02-15",
                "amount": {"amount_minor": 1_000_004, "currency": "EUR"}}),
        )
        .await
        .unwrap();
    Setup {
        partner_id: north.org.id.to_string(),
        account: account.body["id"].as_str().unwrap().to_owned(),
        opportunity: opportunity.body["id"].as_str().unwrap().to_owned(),
        app,
        vendor,
        rep,
        partner_admin,
        seller,
    }
}

fn field_names(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

async fn post_idempotent(api: &Api, base: &str, key: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/co-sell-requests"))
        .bearer_auth(&api.token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The rep asks Northwind for an introduction on the opportunity, twice with the same
/// `Idempotency-Key`: one request. Its id.
async fn ask_idempotently(s: &Setup) -> String {
    let ask = json!({"kind": "intro", "message": "Could you introduce us to their CIO?",
        "partner_id": s.partner_id, "opportunity_id": s.opportunity});
    let first = post_idempotent(&s.rep, &s.app.base_url, "ask-1", &ask).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post_idempotent(&s.rep, &s.app.base_url, "ask-1", &ask).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"], "a retry creates nothing new");
    assert_eq!(first["direction"], "vendor_to_partner");
    assert_eq!(first["status"], "open");
    assert_eq!(first["account_id"].as_str(), Some(s.account.as_str()));
    assert_eq!(first["customer_name"], "Acme Corporation");
    first["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_rep_asks_a_partner_through_the_api_and_the_partner_joins_the_opportunity() {
    let s = setup().await;
    let hook = s
        .vendor
        .post(
            "/api/v1/webhooks",
            &json!({"url": s.app.hooks.url("/in"), "event_filter": ["cosell.*"]}),
        )
        .await
        .unwrap();
    assert_eq!(hook.status, StatusCode::CREATED, "{:?}", hook.body);

    let id = ask_idempotently(&s).await;
    let id = id.as_str();

    let listed = s
        .partner_admin
        .get("/api/v1/co-sell-requests")
        .await
        .unwrap();
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let wrong_side = s
        .rep
        .post(
            &format!("/api/v1/co-sell-requests/{id}/accept"),
            &json!({"version": 1}),
        )
        .await
        .unwrap();
    assert_eq!(
        wrong_side.status,
        StatusCode::CONFLICT,
        "{:?}",
        wrong_side.body
    );
    let accepted = s
        .seller
        .post(
            &format!("/api/v1/co-sell-requests/{id}/accept"),
            &json!({"version": 1, "note": "Our CTO knows her"}),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["answer"]["text"], "Our CTO knows her");
    let stale = s
        .rep
        .post(
            &format!("/api/v1/co-sell-requests/{id}/complete"),
            &json!({"version": 1}),
        )
        .await
        .unwrap();
    assert_eq!(stale.status, StatusCode::CONFLICT);

    let partners = s
        .rep
        .get(&format!("/api/v1/opportunities/{}/partners", s.opportunity))
        .await
        .unwrap();
    assert_eq!(partners.body[0]["partner_name"], "Northwind");
    assert_eq!(partners.body[0]["role"], "co_sell");
    let on_it = s
        .rep
        .get(&format!(
            "/api/v1/co-sell-requests?opportunity_id={}&status=accepted",
            s.opportunity
        ))
        .await
        .unwrap();
    assert_eq!(on_it.body["items"][0]["id"].as_str(), Some(id));

    mail_and_hooks(&s, id).await;
}

/// The request e-mailed the partner's admin and its acceptance the rep; both steps reached
/// the webhook.
async fn mail_and_hooks(s: &Setup, id: &str) {
    s.app.run_jobs().await.unwrap();
    let mail = s.app.mail.wait_for(2, Duration::from_secs(5)).await;
    let to_admin = mail
        .iter()
        .find(|m| m.to == ["admin@northwind.example"])
        .expect("the partner's admin is asked");
    assert_eq!(
        to_admin.subject(),
        "Co-sell request: Introduction to the customer for Acme Corporation"
    );
    assert!(
        mail.iter().any(|m| m.to == ["rep@vendor.example"]
            && m.subject().starts_with("Co-sell request accepted"))
    );
    let hooks = s.app.hooks.wait_for(2, Duration::from_secs(5)).await;
    let mut events: Vec<(String, Value)> = hooks
        .iter()
        .map(|h| {
            let body = h.json().unwrap();
            (
                body["type"].as_str().unwrap().to_owned(),
                body["data"].clone(),
            )
        })
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        events.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["cosell.accepted", "cosell.requested"]
    );
    assert_eq!(events[0].1["status"], "accepted");
    assert_eq!(events[1].1["id"].as_str(), Some(id));
}

#[tokio::test]
async fn a_partner_asks_the_vendor_and_every_refusal_says_why() {
    let s = setup().await;
    let invalid = s
        .seller
        .post(
            "/api/v1/co-sell-requests",
            &json!({"kind": "intro", "message": " ", "account_id": s.account}),
        )
        .await
        .unwrap();
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_names(&invalid.body),
        ["kind", "message", "account_id", "customer_name"]
    );
    let asked = s
        .seller
        .post(
            "/api/v1/co-sell-requests",
            &json!({"kind": "demo", "message": "A demo for their board on Friday", "customer_name": "Globex"}),
        )
        .await
        .unwrap();
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    assert_eq!(asked.body["direction"], "partner_to_vendor");
    let id = asked.body["id"].as_str().unwrap();

    let no_reason = s
        .vendor
        .post(
            &format!("/api/v1/co-sell-requests/{id}/decline"),
            &json!({"version": 1, "reason": ""}),
        )
        .await
        .unwrap();
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_names(&no_reason.body), ["reason"]);
    let declined = s
        .vendor
        .post(
            &format!("/api/v1/co-sell-requests/{id}/decline"),
            &json!({"version": 1, "reason": "The demo team is booked"}),
        )
        .await
        .unwrap();
    assert_eq!(declined.status, StatusCode::OK, "{:?}", declined.body);
    assert_eq!(declined.body["answer"]["text"], "The demo team is booked");
    let withdraw = s
        .seller
        .post(
            &format!("/api/v1/co-sell-requests/{id}/withdraw"),
            &json!({"version": 2}),
        )
        .await
        .unwrap();
    assert_eq!(withdraw.status, StatusCode::CONFLICT);
    assert!(
        withdraw.body["detail"]
            .as_str()
            .unwrap()
            .contains("open or accepted")
    );

    let inbound = s
        .vendor
        .get(&format!(
            "/api/v1/co-sell-requests?direction=partner_to_vendor&partner_id={}",
            s.partner_id
        ))
        .await
        .unwrap();
    assert_eq!(inbound.body["items"].as_array().unwrap().len(), 1);
    let outbound = s
        .vendor
        .get("/api/v1/co-sell-requests?direction=vendor_to_partner")
        .await
        .unwrap();
    assert_eq!(outbound.body["items"], json!([]));
    let bad_filter = s
        .vendor
        .get("/api/v1/co-sell-requests?status=pending")
        .await
        .unwrap();
    assert_eq!(bad_filter.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_filter.body.to_string().contains("status"),
        "{:?}",
        bad_filter.body
    );

    // Another partner sees none of it.
    let other = s.app.partner("Contoso").await.unwrap();
    let stranger = s.app.api_as(&other.admin_email).await.unwrap();
    assert_eq!(
        stranger
            .get(&format!("/api/v1/co-sell-requests/{id}"))
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger.get("/api/v1/co-sell-requests").await.unwrap().body["items"],
        json!([])
    );
}

#[tokio::test]
async fn the_comp_credit_report_credits_reps_per_currency_and_a_rep_sees_only_theirs() {
    let s = setup().await;
    s.app
        .vendor_user("finance@vendor.example", "finance")
        .await
        .unwrap();
    s.app
        .vendor_user("rep2@vendor.example", "sales_rep")
        .await
        .unwrap();
    let japan = s
        .vendor
        .put(
            "/api/v1/opportunities/salesforce/006B",
            &json!({"account_external_id": "001A", "name": "Acme Japan", "stage": "Closed Won",
                "owner": "rep2@vendor.example", "close_date": "2026-03-01",
                "amount": {"amount_minor": 1_201, "currency": "JPY"}}),
        )
        .await
        .unwrap();
    // Northwind joins the rep's opportunity by accepting a request; rep2's deal was sourced
    // by a registration that became it (attached here directly).
    let ask = s
        .rep
        .post(
            "/api/v1/co-sell-requests",
            &json!({"kind": "technical", "message": "Architecture workshop", "partner_id": s.partner_id, "opportunity_id": s.opportunity}),
        )
        .await
        .unwrap();
    let id = ask.body["id"].as_str().unwrap();
    let accepted = s
        .partner_admin
        .post(
            &format!("/api/v1/co-sell-requests/{id}/accept"),
            &json!({"version": 1}),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, StatusCode::OK);
    let mut tx = s.app.services.db().begin().await.unwrap();
    trellis_store::deals::involvement::attach(
        &mut tx.exec(),
        japan.body["id"].as_str().unwrap().parse().unwrap(),
        s.partner_id.parse().unwrap(),
        "sourced",
        None,
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let path = "/api/v1/reports/comp-credit?from=2026-01-01&to=2026-03-31&co_sell_rate=12.5&sourced_rate=50";
    let finance = s.app.api_as("finance@vendor.example").await.unwrap();
    let all = finance.get(path).await.unwrap();
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(
        all.body["rates"],
        json!({"sourced": 5_000, "co_sell": 1_250, "influence": 10_000})
    );
    let reps = all.body["reps"].as_array().unwrap();
    assert_eq!(reps.len(), 2);
    let credits: Vec<(&str, &Value)> = reps
        .iter()
        .flat_map(|r| r["lines"].as_array().unwrap())
        .map(|l| (l["opportunity_name"].as_str().unwrap(), &l["credit"]))
        .collect();
    // The opportunity is still open: EUR 10,000.04 × 12.5 % = 1,250.005 → 1,250.01 in the
    // pipeline; JPY 1,201 × 50 % = 600.5 → 601 earned.
    assert!(
        credits.contains(&(
            "Acme renewal",
            &json!({"amount_minor": 125_001, "currency": "EUR"})
        )),
        "{credits:?}"
    );
    assert!(
        credits.contains(&(
            "Acme Japan",
            &json!({"amount_minor": 601, "currency": "JPY"})
        )),
        "{credits:?}"
    );

    let own = s.rep.get(path).await.unwrap();
    assert_eq!(own.body["own_only"], true);
    let own_reps = own.body["reps"].as_array().unwrap();
    assert_eq!(own_reps.len(), 1);
    assert_eq!(own_reps[0]["lines"][0]["opportunity_name"], "Acme renewal");
    assert_eq!(own_reps[0]["lines"][0]["applied_role"], "co_sell");
    assert_eq!(
        own_reps[0]["totals"][0]["open_credit"],
        json!({"amount_minor": 125_001, "currency": "EUR"})
    );

    assert_eq!(
        s.seller.get(path).await.unwrap().status,
        StatusCode::FORBIDDEN
    );
    let bad = finance
        .get("/api/v1/reports/comp-credit?from=2026-13-01&influence_rate=abc")
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_names(&bad.body), ["from", "influence_rate"]);
}
