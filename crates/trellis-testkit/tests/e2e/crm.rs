//! CRM data through the API: upserts by CRM key, the change feed, and CSV imports that are
//! all-or-nothing with row-level reports.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::{Api, Reply, TestApp};

async fn vendor() -> (TestApp, Api) {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    (app, api)
}

/// Waits for a background import to end.
async fn finished(api: &Api, started: &Reply) -> Value {
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let id = started.body["id"].as_str().unwrap();
    for _ in 0..200 {
        let r = api.get(&format!("/api/v1/imports/{id}")).await.unwrap();
        if r.body["status"] != "running" {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("import {id} did not finish");
}

async fn account_names(api: &Api) -> Vec<String> {
    let r = api.get("/api/v1/accounts?limit=200").await.unwrap();
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_crm_sync_upserts_by_key_and_sending_the_same_record_again_changes_nothing() {
    let (_app, api) = vendor().await;
    let body = json!({"name": "ACME Corporation, Inc.", "website": "https://www.acme.co.uk/about", "country": "United Kingdom", "account_type": "Customer - Channel", "employees": 1200});
    let created = api
        .put("/api/v1/accounts/salesforce/001A", &body)
        .await
        .unwrap();
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["domain"], "acme.co.uk");
    assert_eq!(created.body["country"], "GB");
    assert_eq!(created.body["relationship"], "customer");
    let id = created.body["id"].as_str().unwrap();

    let again = api
        .put("/api/v1/accounts/salesforce/001A", &body)
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        (again.body["id"].as_str(), &again.body["version"]),
        (Some(id), &json!(1))
    );

    let mut changed = body.clone();
    changed["account_type"] = json!("Former Customer");
    let updated = api
        .put("/api/v1/accounts/salesforce/001A", &changed)
        .await
        .unwrap();
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["relationship"], "prospect");

    let stale = api
        .put("/api/v1/accounts/salesforce/001A?version=1", &body)
        .await
        .unwrap();
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["current_version"], 2);

    let bad = api
        .put("/api/v1/accounts/Sales%20Force/001B", &json!({"name": " "}))
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["source_system"],
        "the key is checked first: {:?}",
        bad.body
    );

    let orphan = api
        .put(
            "/api/v1/opportunities/salesforce/006A",
            &json!({"account_external_id": "001Z", "name": "Nowhere", "stage": "Prospecting"}),
        )
        .await
        .unwrap();
    assert_eq!(orphan.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(orphan.body["errors"][0]["field"], "account_external_id");

    let opp = api
        .put(
            "/api/v1/opportunities/salesforce/006A",
            &json!({"account_external_id": "001A", "name": "ACME renewal", "stage": "Closed Won", "amount": {"amount_minor": 1_250_000, "currency": "GBP"}, "close_date": "2026-11-30"}),
        )
        .await
        .unwrap();
    assert_eq!(opp.status, StatusCode::CREATED, "{:?}", opp.body);
    assert_eq!(opp.body["status"], "won");
    assert_eq!(opp.body["account_id"].as_str(), Some(id));

    let archived = api
        .delete("/api/v1/accounts/salesforce/001A")
        .await
        .unwrap();
    assert_eq!(archived.body["archived"], true);
    assert!(
        account_names(&api).await.is_empty(),
        "archived accounts are not listed"
    );
    let restored = api
        .put("/api/v1/accounts/salesforce/001A", &changed)
        .await
        .unwrap();
    assert_eq!(restored.body["archived"], false);
}

#[tokio::test]
async fn the_change_feed_returns_every_change_once_in_order() {
    let (app, api) = vendor().await;
    let start = api.get("/api/v1/changes?types=account.*").await.unwrap();
    assert_eq!(start.status, StatusCode::OK, "{:?}", start.body);
    assert!(start.body["items"].as_array().unwrap().is_empty());
    let cursor = start.body["next_cursor"].as_str().unwrap().to_owned();

    for (key, name) in [("1", "One"), ("2", "Two"), ("1", "One, renamed")] {
        api.put(
            &format!("/api/v1/accounts/hubspot/{key}"),
            &json!({"name": name}),
        )
        .await
        .unwrap();
    }
    api.put("/api/v1/accounts/hubspot/2", &json!({"name": "Two"}))
        .await
        .unwrap(); // unchanged: no event
    let page = api
        .get(&format!(
            "/api/v1/changes?types=account.*&limit=2&after={cursor}"
        ))
        .await
        .unwrap();
    let types = |p: &Reply| -> Vec<(String, String)> {
        p.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap().to_owned(),
                    e["data"]["external_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        types(&page),
        [
            ("account.created".into(), "1".into()),
            ("account.created".into(), "2".into())
        ]
    );
    assert_eq!(page.body["has_more"], true);
    let next = page.body["next_cursor"].as_str().unwrap();
    let rest = api
        .get(&format!("/api/v1/changes?types=account.*&after={next}"))
        .await
        .unwrap();
    assert_eq!(types(&rest), [("account.updated".into(), "1".into())]);
    let tail = rest.body["next_cursor"].as_str().unwrap();
    let empty = api
        .get(&format!("/api/v1/changes?after={tail}"))
        .await
        .unwrap();
    assert!(empty.body["items"].as_array().unwrap().is_empty());
    assert_eq!(empty.body["next_cursor"], tail);

    let bad = api.get("/api/v1/changes?after=nonsense").await.unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let partner = app.partner("Feed Partners").await.unwrap();
    let p = app.api_as(&partner.admin_email).await.unwrap();
    for path in [
        "/api/v1/changes",
        "/api/v1/accounts",
        "/api/v1/opportunities",
        "/api/v1/imports",
    ] {
        assert_eq!(
            p.get(path).await.unwrap().status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_import_with_a_bad_row_writes_nothing_and_says_where() {
    let (_app, api) = vendor().await;
    // A German spreadsheet: Windows-1252, semicolons, decimal commas, a quoted multi-line cell.
    let csv = "Account ID;Account Name;Website;Billing Country;Employees;Notes\r\n\
               001A;Müller GmbH;mueller.de;Deutschland;1.200;\"two\r\nlines\"\r\n\
               001B;Café Crème SARL;cafe-creme.fr;France;lots;\r\n\
               001C;Ørsted A/S;orsted.dk;Denmark;250;\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(csv);
    let started = api
        .post_raw("/api/v1/imports?kind=accounts", "text/csv", bytes.to_vec())
        .await
        .unwrap();
    let failed = finished(&api, &started).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["report"]["encoding"], "windows-1252");
    assert_eq!(failed["report"]["delimiter"], ";");
    assert_eq!(failed["report"]["errors"].as_array().unwrap().len(), 1);
    let error = &failed["report"]["errors"][0];
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_str()),
        (Some(4), Some("Employees"))
    );
    assert!(
        error["message"].as_str().unwrap().contains("lots"),
        "{error}"
    );
    assert!(
        account_names(&api).await.is_empty(),
        "nothing is half-imported"
    );

    let started = api
        .post_raw(
            "/api/v1/imports?kind=accounts&partial=true",
            "text/csv",
            bytes.to_vec(),
        )
        .await
        .unwrap();
    let partial = finished(&api, &started).await;
    assert_eq!(partial["status"], "succeeded", "{partial}");
    assert_eq!(
        (partial["created"].as_i64(), partial["rejected"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(partial["source_system"], "salesforce");
    assert_eq!(account_names(&api).await, ["Müller GmbH", "Ørsted A/S"]);
    let mueller = api.get("/api/v1/accounts?q=muller").await.unwrap();
    let mueller = &mueller.body["items"][0];
    assert_eq!(mueller["employees"], 1200);
    assert_eq!(mueller["country"], "DE");
    assert_eq!(mueller["attributes"]["Notes"], "two\r\nlines");

    let started = api
        .post_raw(
            "/api/v1/imports?kind=accounts&partial=true",
            "text/csv",
            bytes.to_vec(),
        )
        .await
        .unwrap();
    let again = finished(&api, &started).await;
    assert_eq!(
        (again["created"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(2))
    );
}

#[tokio::test]
async fn a_column_mapping_reads_other_labels_and_once_saved_is_used_again() {
    let (_app, api) = vendor().await;
    let wrong = api
        .post_raw(
            "/api/v1/imports?kind=accounts",
            "text/csv",
            "Firma,Web\nAcme,acme.example\n",
        )
        .await
        .unwrap();
    let wrong = finished(&api, &wrong).await;
    assert!(
        wrong["report"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("name=COLUMN"),
        "{wrong}"
    );
    let mapped = api
        .post_raw(
            "/api/v1/imports?kind=accounts&mapping=name%3DFirma%2Cwebsite%3DWeb&save_mapping=true",
            "text/csv",
            "Firma,Web\nAcme,acme.example\n",
        )
        .await
        .unwrap();
    let mapped = finished(&api, &mapped).await;
    assert_eq!(mapped["status"], "succeeded", "{mapped}");
    let reused = api
        .post_raw(
            "/api/v1/imports?kind=accounts",
            "text/csv",
            "Firma,Web\nAcme,acme.example\n",
        )
        .await
        .unwrap();
    let reused = finished(&api, &reused).await;
    assert_eq!(
        reused["unchanged"], 1,
        "the saved mapping is used: {reused}"
    );
}
