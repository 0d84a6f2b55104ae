//! The console's CRM pages: accounts and opportunities with their filters, pagers and detail
//! pages, and CSV imports through the browser (upload, column mapping, live progress, the
//! report and its download), with the refusals a person can run into.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_store::crm::imports::{self, ImportRow};
use trellis_testkit::app::{Api, Browser, Page, TestApp};
use trellis_web::WebConfig;

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

/// What the preview's mapping form submits: its hidden fields and each select's choice.
fn preview_fields(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("id=\"mapping-form\"").expect("a mapping form")..];
    let form = &form[..form.find("</form>").unwrap()];
    let mut fields = Vec::new();
    let mut select = String::new();
    for tag in form.split('<').skip(1) {
        if tag.starts_with("input type=\"hidden\"") {
            fields.push((attr(tag, "name").unwrap(), attr(tag, "value").unwrap()));
        } else if tag.starts_with("select ") {
            select = attr(tag, "name").unwrap();
        } else if tag.starts_with("option ") && tag.contains(" selected") {
            fields.push((select.clone(), attr(tag, "value").unwrap()));
        }
    }
    fields
}

/// `fields` with `name` set to `value`.
fn with(mut fields: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_owned(), value.to_owned()));
    fields
}

async fn post(b: &Browser, path: &str, fields: &[(String, String)]) -> Page {
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(path, &form).await.unwrap()
}

/// Uploads `csv` through the form with the upload form's other fields.
async fn upload(b: &Browser, kind: &str, extra: &[(&str, &str)], name: &str, csv: &[u8]) -> Page {
    let form = b.get("/console/imports/new").await.unwrap();
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let csrf = form.csrf().unwrap();
    let mut fields = vec![("_csrf", csrf.as_str()), ("kind", kind)];
    fields.extend_from_slice(extra);
    b.upload("/console/imports/preview", &fields, name, csv)
        .await
        .unwrap()
}

/// The progress endpoint the page's script polls, checked to be uncached JSON.
async fn progress(b: &Browser, import: &str) -> Value {
    let url = format!("{}/console/imports/{import}/progress", b.base_url());
    let r = b.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

/// Polls the progress endpoint until the import has ended.
async fn progress_until_done(b: &Browser, import: &str) -> Value {
    for _ in 0..400 {
        let p = progress(b, import).await;
        if p["status"] != "running" {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("import {import} did not finish");
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
    for nav in [
        "/console/accounts",
        "/console/opportunities",
        "/console/imports",
    ] {
        assert!(list.contains(&format!("href=\"{nav}\"")), "nav {nav}");
    }
    assert!(list.contains("Acme Corporation") && list.contains("Globex"));
    assert!(!list.contains("Initech"), "archived accounts are hidden");
    assert!(list.contains("Import accounts"));
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
    let b = app.browser_as("admin@vendor.example").await.unwrap();
    let import = started.body["id"].as_str().unwrap();
    assert_eq!(progress_until_done(&b, import).await["created"], 55);

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
async fn an_upload_is_mapped_imported_with_progress_and_its_report_downloads_neutralised() {
    let app = TestApp::spawn().await.unwrap();
    let b = app.browser_as("admin@vendor.example").await.unwrap();
    // "Firma" is no label the importer knows, and the third column's heading is a formula.
    let csv = "Firma,Website,=cmd()\nAcme GmbH,acme.de,120\nGlobex,globex.example,lots\nInitech,initech.example,40\n";
    let preview = upload(
        &b,
        "accounts",
        &[("partial", "on")],
        "firms.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert!(preview.html.contains("3 rows of accounts from csv"));
    assert!(
        preview
            .html
            .contains("No column was recognised as the name")
    );
    assert!(preview.html.contains("<td>Initech</td>"), "the first rows");
    let fields = preview_fields(&preview.html);
    let value = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(
        (value("map.0"), value("map.1"), value("map.2")),
        (Some(""), Some("website"), Some(""))
    );
    assert_eq!(value("column.2"), Some("=cmd()"));

    let unmapped = post(&b, "/console/imports", &fields).await;
    assert_eq!(unmapped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unmapped
            .html
            .contains("Choose the column that holds the name"),
        "{}",
        unmapped.html
    );
    let twice = post(
        &b,
        "/console/imports",
        &with(fields.clone(), "map.0", "website"),
    )
    .await;
    assert!(
        twice
            .html
            .contains("Website is already read from the column")
    );

    let fields = with(with(fields, "map.0", "name"), "map.2", "employees");
    let started = post(&b, "/console/imports", &fields).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.html);
    let location = started.location.unwrap();
    let import = location.rsplit('/').next().unwrap().to_owned();
    let done = progress_until_done(&b, &import).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(
        (&done["created"], &done["rejected"]),
        (&json!(2), &json!(1))
    );

    let page = html(&b, &location).await;
    assert!(page.contains("id=\"import-outcome\"") && !page.contains("http-equiv"));
    assert!(page.contains("Importing firms.csv."), "the flash");
    let errors = &page[page.find("id=\"errors-table\"").unwrap()..];
    assert!(errors.contains("<td class=\"num\">3</td><td>=cmd()</td>"));
    assert!(errors.contains("lots"));

    let report = b
        .http
        .get(format!("{}{location}/report.csv", b.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    assert_eq!(report.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        report.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let body = report.text().await.unwrap();
    assert!(
        body.starts_with("line,column,severity,message\n3,'=cmd(),error,"),
        "{body}"
    );
    assert!(
        !body.contains(",=cmd()"),
        "no cell starts a formula: {body}"
    );

    // The upload was removed once the import started: the same form cannot import it again.
    let again = post(&b, "/console/imports", &fields).await;
    assert_eq!(again.location.as_deref(), Some("/console/imports/new"));
    let history = html(&b, "/console/imports").await;
    assert!(history.contains("firms.csv") && history.contains("Vera Admin"));
    assert!(html(&b, "/console/accounts").await.contains("Acme GmbH"));
}

/// An import row as a running import leaves it: `done` of `total` rows checked.
pub(crate) fn running_import(done: i64, total: i64) -> ImportRow {
    ImportRow {
        id: trellis_domain::ImportId::new().as_uuid(),
        kind: "accounts".into(),
        source_system: "csv".into(),
        file_name: "big.csv".into(),
        status: "running".into(),
        partial: false,
        rows_total: total,
        rows_done: done,
        created_count: 0,
        updated_count: 0,
        unchanged_count: 0,
        rejected_count: 0,
        report: trellis_store::Json(json!({})),
        started_by: None,
        started_at: 0,
        updated_at: 0,
        finished_at: None,
    }
}

/// Writes an import row directly, as the import itself would (`insert` for a new one).
pub(crate) async fn write_import(app: &TestApp, row: &ImportRow, insert: bool) {
    let mut tx = app.services.db().begin().await.unwrap();
    if insert {
        imports::insert(&mut tx.exec(), row).await.unwrap();
    } else {
        imports::save(&mut tx.exec(), row).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// An import that is still running (here: one its process left behind) shows live progress:
/// a meta refresh for browsers without JavaScript, and the script with its endpoint.
#[tokio::test]
async fn a_running_import_refreshes_without_javascript_and_names_its_progress_endpoint() {
    let app = TestApp::spawn().await.unwrap();
    let row = running_import(250, 1000);
    write_import(&app, &row, true).await;
    let id = row.id;
    let b = app.browser_as("admin@vendor.example").await.unwrap();
    let page = html(&b, &format!("/console/imports/{id}")).await;
    assert!(page.contains("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>"));
    let script = attr(&page[page.find("<script").unwrap()..], "src").unwrap();
    assert!(page.contains(&format!(
        "data-progress-url=\"/console/imports/{id}/progress\""
    )));
    assert!(page.contains("max=\"1000\" value=\"250\""));
    let js = b
        .http
        .get(format!("{}{script}", b.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(js.text().await.unwrap().contains("data-progress-url"));
    let p = progress(&b, &id.to_string()).await;
    assert_eq!(
        (&p["status"], &p["done"], &p["total"]),
        (&json!("running"), &json!(250), &json!(1000))
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_message_naming_the_problem() {
    let app = TestApp::spawn_with(WebConfig {
        max_import_bytes: 2_048,
        ..WebConfig::default()
    })
    .await
    .unwrap();
    let b = app.browser_as("admin@vendor.example").await.unwrap();
    let refused = |p: &Page, status: StatusCode, text: &str| {
        assert_eq!(p.status, status, "{text}: {}", p.html);
        assert!(p.html.contains(text), "{text}: {}", p.html);
        assert!(p.html.contains("id=\"import-form\""), "the form again");
    };
    let none = upload(&b, "accounts", &[], "", b"").await;
    refused(
        &none,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Choose the CSV file to import",
    );
    let xlsx = upload(&b, "accounts", &[], "a.xlsx", b"PK\x03\x04\x14\x00\x06\x00").await;
    refused(&xlsx, StatusCode::UNPROCESSABLE_ENTITY, "Excel (.xlsx)");
    let empty = upload(&b, "accounts", &[], "empty.csv", b"").await;
    refused(
        &empty,
        StatusCode::UNPROCESSABLE_ENTITY,
        "The file is empty",
    );
    let header = upload(&b, "accounts", &[], "h.csv", b"Account Name,Website\n").await;
    refused(
        &header,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no rows below it",
    );
    let big = "Account Name\n".to_owned() + &"Acme Incorporated\n".repeat(200);
    let large = upload(&b, "accounts", &[], "big.csv", big.as_bytes()).await;
    refused(&large, StatusCode::PAYLOAD_TOO_LARGE, "is larger than 2 KB");
    let source = [("source_system", "Sales Force!")];
    let bad = upload(&b, "deals", &source, "a.csv", b"Name\nAcme\n").await;
    refused(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown import kind",
    );
    assert!(bad.html.contains("is not a source system name"));

    // Forged: no token, or the file before the token, or not a multipart form at all.
    let forged = b
        .upload(
            "/console/imports/preview",
            &[("kind", "accounts")],
            "a.csv",
            b"Name\nA\n",
        )
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let csrf = b.get("/console/imports/new").await.unwrap().csrf().unwrap();
    let plain = b
        .post(
            "/console/imports/preview",
            &[("_csrf", &csrf), ("kind", "accounts")],
        )
        .await
        .unwrap();
    assert_eq!(plain.status, StatusCode::FORBIDDEN);
    let gone = b
        .post(
            "/console/imports",
            &[
                ("_csrf", &csrf),
                ("kind", "accounts"),
                ("upload", "nothing"),
                ("columns", "1"),
                ("column.0", "Account Name"),
                ("map.0", "name"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(gone.location.as_deref(), Some("/console/imports/new"));
}

#[tokio::test]
async fn a_sales_rep_reads_crm_pages_but_cannot_see_or_use_the_import() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let (acme, _, _) = crm_data(&api).await;
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let rep = app.browser_as("rep@vendor.example").await.unwrap();
    let accounts = html(&rep, "/console/accounts").await;
    assert!(accounts.contains("Acme Corporation"));
    assert!(accounts.contains("href=\"/console/opportunities\""));
    assert!(
        !accounts.contains("href=\"/console/imports"),
        "no import link or button"
    );
    assert!(
        !html(&rep, "/console/opportunities")
            .await
            .contains("Import opportunities")
    );
    html(&rep, &format!("/console/accounts/{acme}")).await;

    let csrf = rep.get("/console").await.unwrap().csrf().unwrap();
    for page in [
        rep.get("/console/imports").await.unwrap(),
        rep.get("/console/imports/new").await.unwrap(),
        rep.upload(
            "/console/imports/preview",
            &[("_csrf", &csrf), ("kind", "accounts")],
            "a.csv",
            b"Account Name\nAcme\n",
        )
        .await
        .unwrap(),
        rep.post(
            "/console/imports",
            &[
                ("_csrf", &csrf),
                ("kind", "accounts"),
                ("upload", "x"),
                ("columns", "0"),
            ],
        )
        .await
        .unwrap(),
    ] {
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.html);
        assert!(page.html.contains("Not allowed"), "the normal error page");
    }
}
