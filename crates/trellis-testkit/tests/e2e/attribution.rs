//! Attribution over HTTP: touchpoints recorded on opportunities, a model run whose money sums
//! to the cent, a replay on the same journeys and a comparison; bad input named by field.

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::{Api, TestApp};

async fn won(api: &Api, key: &str, minor: i64, close: &str) -> String {
    let r = api
        .put(
            &format!("/api/v1/opportunities/salesforce/{key}"),
            &json!({"account_external_id": "001A", "name": key, "stage": "Closed Won",
                "amount": {"amount_minor": minor, "currency": "USD"}, "close_date": close}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn touch(api: &Api, body: Value) -> Value {
    let r = api.post("/api/v1/touchpoints", &body).await.unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

fn values(run: &Value) -> Vec<(String, i64)> {
    run["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["channel"].as_str().unwrap().to_owned(),
                c["value"]["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Acme's two won deals of 2025, with Northwind's sourced touch and a marketplace touch on
/// the first and Northwind's referral on the second. The vendor admin's client, and the deals.
async fn world() -> (TestApp, Api, String, String) {
    let app = TestApp::spawn().await.unwrap();
    let partner = app.partner("Northwind").await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let acme = api
        .put(
            "/api/v1/accounts/salesforce/001A",
            &json!({"name": "Acme", "website": "acme.com"}),
        )
        .await
        .unwrap();
    assert_eq!(acme.status, StatusCode::CREATED);
    let first = won(&api, "006A", 1_000_001, "2025-11-30").await;
    let second = won(&api, "006B", 500_000, "2025-12-15").await;
    let sourced = touch(
        &api,
        json!({"opportunity_id": first, "partner_id": partner.org.id, "kind": "sourced", "occurred_at": "2025-10-01"}),
    )
    .await;
    assert_eq!(
        (sourced["channel"].as_str(), sourced["origin"].as_str()),
        (Some("Northwind"), Some("manual"))
    );
    touch(
        &api,
        json!({"opportunity_id": first, "channel": "AWS Marketplace", "kind": "marketplace", "occurred_at": "2025-11-29"}),
    )
    .await;
    touch(
        &api,
        json!({"opportunity_id": second, "partner_id": partner.org.id, "kind": "referral", "occurred_at": "2025-12-01T10:00:00Z"}),
    )
    .await;
    (app, api, first, second)
}

#[tokio::test]
async fn an_opportunitys_journey_lists_its_touches_and_a_bad_touch_is_named_by_field() {
    let (_app, api, first, _) = world().await;
    let journey = api
        .get(&format!("/api/v1/opportunities/{first}/touchpoints"))
        .await
        .unwrap();
    let kinds: Vec<&str> = journey
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sourced", "marketplace"], "oldest first");

    let bad = api
        .post(
            "/api/v1/touchpoints",
            &json!({"opportunity_id": first, "kind": "email", "occurred_at": "tomorrow"}),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["channel", "kind", "occurred_at"]);
    let all = api.get("/api/v1/touchpoints").await.unwrap();
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_model_run_splits_revenue_to_the_cent_replays_on_its_journeys_and_compares() {
    let (_app, api, _, _) = world().await;
    let run = api
        .post(
            "/api/v1/attribution/runs",
            &json!({"model": "u", "weights": [0.5, 0.5], "from": "2025-01-01", "to": "2025-12-31"}),
        )
        .await
        .unwrap();
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    assert_eq!(run.body["cut"]["attributed_amount_minor"], 1_500_001);
    assert_eq!(run.body["params"]["weights"], json!([0.5, 0.5]));
    let split = values(&run.body);
    assert_eq!(
        split.iter().map(|x| x.1).sum::<i64>(),
        1_500_001,
        "{split:?}"
    );
    // Northwind: all of the second deal and half of the first (500,000.5 rounds either way).
    assert!(matches!(split[0].1, 1_000_000 | 1_000_001), "{split:?}");

    let id = run.body["id"].as_str().unwrap();
    let replay = api
        .post(
            &format!("/api/v1/attribution/runs/{id}/replay"),
            &json!({"model": "first"}),
        )
        .await
        .unwrap();
    assert_eq!(replay.status, StatusCode::CREATED, "{:?}", replay.body);
    assert_eq!(replay.body["replay_of"].as_str(), Some(id));
    assert_eq!(
        values(&replay.body),
        [
            ("Northwind".to_owned(), 1_500_001),
            ("AWS Marketplace".to_owned(), 0)
        ],
        "every channel of the journeys is listed, credited or not"
    );
    let other = replay.body["id"].as_str().unwrap();
    let cmp = api
        .get(&format!(
            "/api/v1/attribution/runs/{id}/compare?with={other}"
        ))
        .await
        .unwrap();
    assert_eq!(cmp.status, StatusCode::OK, "{:?}", cmp.body);
    let aws = cmp.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "AWS Marketplace")
        .unwrap();
    assert_eq!(aws["b"]["amount_minor"], 0);
    assert_eq!(
        aws["change"]["amount_minor"].as_i64(),
        Some(-aws["a"]["amount_minor"].as_i64().unwrap())
    );

    let refused = api
        .post(
            "/api/v1/attribution/runs",
            &json!({"model": "markov", "order": 9}),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["field"], "order");
    let list = api.get("/api/v1/attribution/runs").await.unwrap();
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_touchpoint_file_is_imported_whole_or_not_at_all() {
    let (_app, api, first, _) = world().await;
    let bad = "Opportunity ID,Partner,Channel,Touch Type,Date\n\
               006A,Northwind,,influence,2025-11-02\n\
               006Z,Nobody Inc,,gossip,2025-13-01\n\
               006B,,Trade show > booth,campaign,2025-12-01\n";
    let r = api
        .post_raw("/api/v1/touchpoints/import", "text/csv", bad)
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "line 3, column \"Opportunity ID\"",
            "line 3, column \"Partner\"",
            "line 3, column \"Touch Type\"",
            "line 3, column \"Date\"",
            "line 4, column \"Channel\""
        ]
    );
    let all = api.get("/api/v1/touchpoints").await.unwrap();
    assert_eq!(
        all.body["items"].as_array().unwrap().len(),
        3,
        "nothing written"
    );

    let good = format!(
        "Opportunity ID;Partner;Channel;Touch Type;Date;Notes\n\
         006A;northwind;;Co-Sell;2025-11-02;Joint demo\n\
         {first};;Trade show booth;campaign;2025-11-10;\n"
    );
    let r = api
        .post_raw("/api/v1/touchpoints/import", "text/csv", good)
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["created"], 2);
    let journey = api
        .get(&format!("/api/v1/opportunities/{first}/touchpoints"))
        .await
        .unwrap();
    let imported: Vec<(&str, &str)> = journey
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["origin"] == "import")
        .map(|t| (t["channel"].as_str().unwrap(), t["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        imported,
        [("Northwind", "co_sell"), ("Trade show booth", "campaign")]
    );
}
