//! The console's CRM pages: accounts and opportunities with their filters, pagers and detail
//! pages.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::{Api, Browser, TestApp};

/// The value of `name="…"` in one tag, unescaped as a browser would.
fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[at..at + tag[at..].find('"')?];
    Some(
        value
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

async fn put(api: &Api, path: &str, body: Value) -> String {
    let r = api.put(path, &body).await.unwrap();
    assert!(r.status.is_success(), "{path}: {:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Three accounts (one archived), a contact and three deals in three currencies.
async fn crm_data(api: &Api) -> (String, String, String) {
    let acme = put(api, "/api/v1/accounts/salesforce/001A", json!({"name": "Acme Corporation", "website": "https://www.acme.example", "country": "DE", "account_type": "Customer - Direct", "owner": "admin@vendor.example", "attributes": {"Segment": "Enterprise"}})).await;
    let globex = put(
        api,
        "/api/v1/accounts/salesforce/001B",
        json!({"name": "Globex", "website": "globex.example", "account_type": "Prospect"}),
    )
    .await;
    put(
        api,
        "/api/v1/accounts/salesforce/001C",
        json!({"name": "Initech", "account_type": "Customer"}),
    )
    .await;
    api.delete("/api/v1/accounts/salesforce/001C")
        .await
        .unwrap();
    put(api, "/api/v1/account-contacts/salesforce/003A", json!({"account_external_id": "001A", "first_name": "Maria", "last_name": "Garcia", "email": "maria@acme.example", "title": "CIO"})).await;
    let renewal = put(api, "/api/v1/opportunities/salesforce/006A", json!({"account_external_id": "001A", "name": "Acme renewal", "stage": "Proposal", "amount": {"amount_minor": 4_500_000, "currency": "EUR"}, "close_date": "2026-03-31", "probability": 60, "next_step": "Security review"})).await;
    put(api, "/api/v1/opportunities/salesforce/006B", json!({"account_external_id": "001A", "name": "Acme Japan", "stage": "Closed Won", "amount": {"amount_minor": 1_200, "currency": "JPY"}})).await;
    put(api, "/api/v1/opportunities/salesforce/006C", json!({"account_external_id": "001B", "name": "Globex pilot", "stage": "Closed Lost", "amount": {"amount_minor": 99_950, "currency": "USD"}})).await;
    (acme, globex, renewal)
}

async fn html(b: &Browser, path: &str) -> String {
    let page = b.get(path).await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
    page.html
}

#[tokio::test]
async fn accounts_and_opportunities_are_listed_filtered_and_shown_in_full() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let (acme, globex, renewal) = crm_data(&api).await;
    let me = api.get("/api/v1/me").await.unwrap().body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.browser_as("admin@vendor.example").await.unwrap();

    let list = html(&b, "/console/accounts").await;
    for nav in ["/console/accounts", "/console/opportunities"] {
        assert!(list.contains(&format!("href=\"{nav}\"")), "nav {nav}");
    }
    assert!(list.contains("Acme Corporation") && list.contains("Globex"));
    assert!(!list.contains("Initech"), "archived accounts are hidden");
    let found = html(&b, "/console/accounts?q=glob").await;
    assert!(found.contains("Globex") && !found.contains("Acme Corporation"));
    let customers = html(&b, "/console/accounts?relationship=customer&archived=on").await;
    assert!(customers.contains("Acme Corporation") && customers.contains("Initech"));
    assert!(!customers.contains(">Globex<"));
    let mine = html(&b, &format!("/console/accounts?owner={me}")).await;
    assert!(mine.contains("Acme Corporation") && !mine.contains(">Globex<"));
    let bad = b
        .get("/console/accounts?relationship=friend")
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("relationship"), "{}", bad.html);

    let account = html(&b, &format!("/console/accounts/{acme}")).await;
    for text in [
        "Segment",
        "Enterprise",
        "Maria Garcia",
        "maria@acme.example",
        "Acme renewal",
        "EUR 45,000.00",
        "JPY 1,200",
        "Vera Admin",
        "001A",
    ] {
        assert!(account.contains(text), "{text} on the account page");
    }
    assert!(!account.contains("Globex pilot"));

    let deals = html(&b, "/console/opportunities").await;
    for text in [
        "EUR 45,000.00",
        "JPY 1,200",
        "USD 999.50",
        "Acme Corporation",
    ] {
        assert!(deals.contains(text), "{text} in the list");
    }
    let won = html(&b, "/console/opportunities?status=won").await;
    assert!(won.contains("Acme Japan") && !won.contains("Acme renewal"));
    let of_globex = html(&b, &format!("/console/opportunities?account={globex}")).await;
    assert!(of_globex.contains("Globex pilot") && !of_globex.contains("Acme Japan"));
    assert!(of_globex.contains("id=\"account-filter\""));
    let deal = html(&b, &format!("/console/opportunities/{renewal}")).await;
    for text in ["EUR 45,000.00", "Security review", "60 %", "2026-03-31"] {
        assert!(deal.contains(text), "{text} on the deal page");
    }
    assert!(deal.contains(&format!("href=\"/console/accounts/{acme}\"")));
    let missing = b
        .get("/console/accounts/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        .await
        .unwrap();
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_account_list_pages_forward_with_its_filters() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let csv: String = std::iter::once("Account Name,Type\n".to_owned())
        .chain((0..55).map(|i| format!("Paged Account {i:02},Customer\n")))
        .collect();
    let started = api
        .post_raw("/api/v1/imports?kind=accounts", "text/csv", csv)
        .await
        .unwrap();
    let import = started.body["id"].as_str().unwrap();
    for _ in 0..400 {
        let r = api.get(&format!("/api/v1/imports/{import}")).await.unwrap();
        if r.body["status"] != "running" {
            assert_eq!(r.body["created"], 55, "{:?}", r.body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let b = app.browser_as("admin@vendor.example").await.unwrap();

    let first = html(&b, "/console/accounts?relationship=customer").await;
    assert!(first.contains("Paged Account 00") && !first.contains("Paged Account 54"));
    let at = first.find("rel=\"next\"").expect("a next page");
    let href = attr(&first[first[..at].rfind('<').unwrap()..], "href").unwrap();
    assert!(href.contains("relationship=customer"), "{href}");
    let second = html(&b, &href).await;
    assert!(second.contains("Paged Account 54") && !second.contains("Paged Account 00"));
    assert!(second.contains("First page") && !second.contains("rel=\"next\""));
}

#[tokio::test]
async fn a_sales_rep_reads_the_crm_pages() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let (acme, _, renewal) = crm_data(&api).await;
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let rep = app.browser_as("rep@vendor.example").await.unwrap();
    let accounts = html(&rep, "/console/accounts").await;
    assert!(accounts.contains("Acme Corporation"));
    assert!(accounts.contains("href=\"/console/opportunities\""));
    html(&rep, &format!("/console/accounts/{acme}")).await;
    html(&rep, &format!("/console/opportunities/{renewal}")).await;
}
