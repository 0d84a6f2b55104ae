//! The account-mapping pages over HTTP, as a browser without script sees them: the vendor
//! opts in with a partner, the partner sees the invitation and opts in too, each side edits
//! its sharing policy (bad input changes nothing), and a connection's override and preview
//! show what the other side may learn.

use reqwest::StatusCode;
use serde_json::json;
use trellis_testkit::app::{Browser, Page, TestApp};

async fn post(b: &Browser, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
    let mut form = vec![("_csrf", csrf)];
    form.extend_from_slice(fields);
    b.post(path, &form).await.unwrap()
}

/// The vendor opts in with the partner from the overview, the partner sees it and opts in.
async fn opt_in_both(vendor: &Browser, partner: &Browser, partner_id: &str) {
    let page = vendor.get("/console/mapping").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("id=\"no-connections\""));
    let csrf = page.csrf().unwrap();
    let done = post(
        vendor,
        "/console/mapping/opt-in",
        &csrf,
        &[("partner_id", partner_id)],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = vendor.get("/console/mapping").await.unwrap();
    assert!(page.html.contains("must opt in too"), "{}", page.html);
    assert!(page.html.contains("Waiting"));

    let page = partner.get("/portal/mapping").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("Opted in"),
        "the vendor's opt-in shows: {}",
        page.html
    );
    let csrf = page.csrf().unwrap();
    post(partner, "/portal/mapping/opt-in", &csrf, &[]).await;
    let page = partner.get("/portal/mapping").await.unwrap();
    assert!(
        page.html.contains("both sides have opted in"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn both_sides_opt_in_and_set_what_the_other_may_learn() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let vendor_api = app.api_as("admin@vendor.example").await.unwrap();
    let r = vendor_api
        .put(
            "/api/v1/accounts/salesforce/001",
            &json!({"name": "Acme Maschinenbau", "website": "acme.de", "account_type": "Customer", "owner": "Dana Reyes"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let vendor = app.browser_as("admin@vendor.example").await.unwrap();
    let partner = app.browser_as(&north.admin_email).await.unwrap();

    opt_in_both(&vendor, &partner, &north.org.id.to_string()).await;

    // The vendor's default: customers as records with name and owner; a bad minimum count
    // is named and saves nothing.
    let page = vendor.get("/console/mapping/policy").await.unwrap();
    let csrf = page.csrf().unwrap();
    let fields = [
        ("version", "0"),
        ("level_customers", "records"),
        ("fields_customers", "name"),
        ("fields_customers", "owner"),
        ("level_prospects", "counts"),
        ("min_count", "a few"),
    ];
    let bad = post(&vendor, "/console/mapping/policy", &csrf, &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("must be a whole number"), "{}", bad.html);
    let mut good = fields;
    good[5] = ("min_count", "2");
    let saved = post(&vendor, "/console/mapping/policy", &csrf, &good).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let stale = post(&vendor, "/console/mapping/policy", &csrf, &good).await;
    assert_eq!(
        stale.status,
        StatusCode::CONFLICT,
        "a second save of version 0 is stale"
    );

    // The connection page previews an overlapping customer cut down to the shared fields.
    let connections = vendor_api.get("/api/v1/mapping/connections").await.unwrap();
    let id = connections.body[0]["id"].as_str().unwrap().to_owned();
    let page = vendor
        .get(&format!("/console/mapping/connections/{id}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Acme Maschinenbau"), "{}", page.html);
    assert!(page.html.contains("Dana Reyes"));
    assert!(!page.html.contains("acme.de"), "the domain is not shared");
    // An override shares prospects as nothing for this partner only.
    let csrf = page.csrf().unwrap();
    let over = post(
        &vendor,
        &format!("/console/mapping/connections/{id}/policy"),
        &csrf,
        &[("version", "0"), ("level_prospects", "nothing")],
    )
    .await;
    assert_eq!(over.status, StatusCode::SEE_OTHER, "{}", over.html);
    let policy = vendor_api
        .get(&format!("/api/v1/mapping/connections/{id}/policy"))
        .await
        .unwrap();
    assert_eq!(
        policy.body["effective"]["populations"]["prospects"]["level"],
        "nothing"
    );
    assert_eq!(
        policy.body["effective"]["populations"]["customers"]["level"],
        "records"
    );
    assert_eq!(policy.body["effective"]["min_count"], 2);

    // The partner's own pages show its side, never the vendor's policy.
    let page = partner
        .get(&format!("/portal/mapping/connections/{id}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(!page.html.contains("Dana Reyes"));
}

#[tokio::test]
async fn a_partner_uploads_its_accounts_through_the_form_and_a_bad_file_changes_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let admin = app.browser_as(&north.admin_email).await.unwrap();
    let seller = app.browser_as(&north.user_email).await.unwrap();
    let page = admin.get("/portal/mapping/accounts").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("id=\"no-accounts\""));
    let csrf = page.csrf().unwrap();

    let bad = "Account Name,Employees\nAcme GmbH,many\n";
    let refused = admin
        .upload(
            "/portal/mapping/accounts",
            &[("_csrf", &csrf), ("replace", "on")],
            "accounts.csv",
            bad.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("line 2, column Employees"),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("id=\"no-accounts\""),
        "nothing was uploaded"
    );

    let good = "Company name,Company Domain Name,Country/Region,Lifecycle Stage,Open Deals\n\
                Acme GmbH,acme.de,Germany,customer,2\nGlobex,globex.com,US,lead,0\n";
    let done = admin
        .upload(
            "/portal/mapping/accounts",
            &[("_csrf", &csrf), ("replace", "on")],
            "hubspot.csv",
            good.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let page = seller.get("/portal/mapping/accounts").await.unwrap();
    assert!(page.html.contains("Acme GmbH") && page.html.contains("globex.com"));
    assert!(
        !page.html.contains("id=\"upload-form\""),
        "a seller reads, an admin uploads"
    );
    let overview = admin.get("/portal/mapping").await.unwrap();
    assert!(overview.html.contains("Customers"), "{}", overview.html);

    // A forged form (no token) uploads nothing.
    let forged = admin
        .upload("/portal/mapping/accounts", &[], "x.csv", good.as_bytes())
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// Both sides' accounts, opted in, with policies: the partner shares its customers as
/// records (name and owner) and its prospects as counts; the vendor shares counts of its
/// customers, none below 2. Acme is the vendor's prospect with an open opportunity and the
/// partner's customer; Globex the vendor's customer and the partner's prospect. Returns the
/// connection's id.
pub(crate) async fn two_mapped_sides(app: &TestApp, partner_admin: &str) -> String {
    let vendor = app.api_as("admin@vendor.example").await.unwrap();
    for (id, name, website, kind) in [
        ("v1", "Acme", "acme.de", "Prospect"),
        ("v2", "Globex", "https://www.globex.com", "Customer"),
        ("v3", "Umbrella", "umbrella.com", "Customer"),
    ] {
        let r = vendor
            .put(
                &format!("/api/v1/accounts/salesforce/{id}"),
                &json!({"name": name, "website": website, "account_type": kind,
                        "country": "DE", "owner": "Dana Reyes"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let r = vendor
        .put(
            "/api/v1/opportunities/salesforce/o1",
            &json!({"account_external_id": "v1", "name": "Acme expansion", "stage": "Prospecting",
                    "close_date": "2026-09-30", "owner": "Dana Reyes"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let partner = app.api_as(partner_admin).await.unwrap();
    let book = "Account Name,Website,Billing Country,Type,Account Owner\n\
                ACME GmbH,https://acme.de,Germany,Customer,Pat Lee\n\
                Globex Corporation,globex.com,Germany,Prospect,Kim Ray\n\
                Initech,initech.com,Germany,Customer,Pat Lee\n";
    let r = partner
        .post_raw("/api/v1/mapping/accounts", "text/csv", book)
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = partner
        .post("/api/v1/mapping/connections/opt-in", &json!({}))
        .await
        .unwrap();
    let connection = r.body["id"].as_str().unwrap().to_owned();
    let r = vendor
        .post(
            "/api/v1/mapping/connections/opt-in",
            &json!({"partner_id": r.body["partner_id"]}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["active"], true, "{:?}", r.body);
    let r = partner
        .put(
            "/api/v1/mapping/policies/default",
            &json!({"version": 0, "policy": {"populations": {
                "customers": {"level": "records", "fields": ["name", "owner"]},
                "prospects": {"level": "counts"}}}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = vendor
        .put(
            "/api/v1/mapping/policies/default",
            &json!({"version": 0, "policy": {"populations": {
                "customers": {"level": "counts"}}, "min_count": 2}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    connection
}

#[tokio::test]
async fn a_mapping_runs_as_a_job_and_each_side_reads_only_its_view() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let connection = two_mapped_sides(&app, &north.admin_email).await;
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let rep = app.api_as("rep@vendor.example").await.unwrap();
    let seller = app.api_as(&north.user_email).await.unwrap();

    let started = rep
        .post(
            &format!("/api/v1/mapping/connections/{connection}/runs"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let run = started.body["id"].as_str().unwrap().to_owned();
    let early = rep
        .get(&format!("/api/v1/mapping/runs/{run}/matrix"))
        .await
        .unwrap();
    assert_eq!(early.status, StatusCode::CONFLICT, "not finished yet");
    app.run_jobs().await.unwrap();
    let done = rep
        .get(&format!("/api/v1/mapping/runs/{run}"))
        .await
        .unwrap();
    assert_eq!(done.body["status"], "done", "{:?}", done.body);

    let m = rep
        .get(&format!("/api/v1/mapping/runs/{run}/matrix"))
        .await
        .unwrap();
    assert_eq!(m.status, StatusCode::OK, "{:?}", m.body);
    let theirs: Vec<&str> = m.body["theirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(theirs, ["customers", "prospects"]);
    assert_eq!(m.body["flagged"], 1);
    let list = rep
        .get(&format!("/api/v1/mapping/runs/{run}/overlaps?flagged=true"))
        .await
        .unwrap();
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "{:?}",
        list.body
    );
    assert_eq!(list.body["items"][0]["account_name"], "Acme");
    assert_eq!(
        list.body["items"][0]["their_fields"],
        json!({"name": "ACME GmbH", "owner": "Pat Lee"})
    );
    let csv = rep
        .get(&format!("/api/v1/mapping/runs/{run}/overlaps.csv"))
        .await
        .unwrap();
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );

    // The partner's seller sees the vendor's customer counts, hidden below 2, and no records.
    let m = seller
        .get(&format!("/api/v1/mapping/runs/{run}/matrix"))
        .await
        .unwrap();
    assert_eq!(m.status, StatusCode::OK, "{:?}", m.body);
    assert_eq!(m.body["theirs"].as_array().unwrap().len(), 1);
    assert!(
        m.body["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["overlap"].is_null()),
        "{:?}",
        m.body
    );
    let list = seller
        .get(&format!("/api/v1/mapping/runs/{run}/overlaps"))
        .await
        .unwrap();
    assert_eq!(list.body["items"], json!([]));

    pages_show_each_side_its_view(&app, &run, &north).await;
}

/// The run's pages: the vendor's heat-map opens the accounts behind a cell and the CSV holds
/// them; the partner's page shows nothing of the vendor's; another partner gets a 404.
async fn pages_show_each_side_its_view(
    app: &TestApp,
    run: &str,
    north: &trellis_testkit::app::PartnerFixture,
) {
    let vendor = app.browser_as("rep@vendor.example").await.unwrap();
    let page = vendor
        .get(&format!("/console/mapping/runs/{run}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("id=\"matrix-table\""), "{}", page.html);
    assert!(page.html.contains("id=\"cosell-flag\""));
    let cell = format!("/console/mapping/runs/{run}?ours=prospects&#38;theirs=customers#overlaps");
    assert!(page.html.contains(&cell), "{}", page.html);
    assert!(
        !page.html.contains("theirs=prospects#"),
        "their prospects are shared as counts: nothing to list behind them"
    );
    assert!(page.html.contains("ACME GmbH") && page.html.contains("Pat Lee"));
    assert!(!page.html.contains("Initech"), "not one of ours");
    let file = vendor
        .get(&format!(
            "/console/mapping/runs/{run}/overlaps.csv?flagged=1"
        ))
        .await
        .unwrap();
    assert!(
        file.html.contains(
            "Acme,Dana Reyes,1,open_opportunities prospects,customers,yes,ACME GmbH,Pat Lee"
        ),
        "{}",
        file.html
    );
    let partner = app.browser_as(&north.user_email).await.unwrap();
    let page = partner
        .get(&format!("/portal/mapping/runs/{run}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("id=\"no-overlaps\""), "{}", page.html);
    assert!(!page.html.contains("Umbrella") && !page.html.contains("Dana Reyes"));
    let other = app.partner("Contoso").await.unwrap();
    let outsider = app.browser_as(&other.admin_email).await.unwrap();
    let page = outsider
        .get(&format!("/portal/mapping/runs/{run}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_partner_defines_changes_and_deletes_a_population_through_the_form() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let admin = app.browser_as(&north.admin_email).await.unwrap();
    let page = admin.get("/portal/mapping").await.unwrap();
    assert!(page.html.contains("id=\"new-population\""), "{}", page.html);
    let page = admin.get("/portal/mapping/populations/new").await.unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.csrf().unwrap();

    a_bad_condition_is_named_on_its_row(&admin, &csrf).await;

    let good = post(
        &admin,
        "/portal/mapping/populations",
        &csrf,
        &[
            ("version", "0"),
            ("name", "DACH enterprise"),
            ("field_0", "country"),
            ("op_0", "is_one_of"),
            ("values_0", "DE, AT, CH"),
            ("field_1", "employees"),
            ("op_1", "at_least"),
            ("values_1", "1000"),
        ],
    )
    .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.html);
    let api = app.api_as(&north.admin_email).await.unwrap();
    let all = api.get("/api/v1/mapping/populations").await.unwrap();
    let dach = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "dach_enterprise")
        .unwrap()
        .clone();
    assert_eq!(
        dach["filter"]["conditions"][0]["values"],
        json!(["DE", "AT", "CH"])
    );
    let id = dach["id"].as_str().unwrap();

    let page = admin
        .get(&format!("/portal/mapping/populations/{id}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let saved = post(
        &admin,
        &format!("/portal/mapping/populations/{id}"),
        &csrf,
        &[
            ("version", "1"),
            ("name", "DACH"),
            ("field_0", "country"),
            ("op_0", "is_one_of"),
            ("values_0", "DE"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let stale = post(
        &admin,
        &format!("/portal/mapping/populations/{id}"),
        &csrf,
        &[("version", "1"), ("name", "DACH again")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);

    // A seller reads the page but has no form; a built-in is shown, not edited.
    let seller = app.browser_as(&north.user_email).await.unwrap();
    let page = seller
        .get(&format!("/portal/mapping/populations/{id}"))
        .await
        .unwrap();
    assert!(page.html.contains("DACH"), "{}", page.html);
    assert!(!page.html.contains(">Save</button>") && !page.html.contains("delete-population-form"));

    let gone = post(
        &admin,
        &format!("/portal/mapping/populations/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let page = admin
        .get(&format!("/portal/mapping/populations/{id}"))
        .await
        .unwrap();
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

/// Employees compared as text on the second row, and a row without values: both named on
/// their rows, what was typed stays, and nothing is saved.
async fn a_bad_condition_is_named_on_its_row(admin: &Browser, csrf: &str) {
    let bad = post(
        admin,
        "/portal/mapping/populations",
        csrf,
        &[
            ("version", "0"),
            ("name", "DACH enterprise"),
            ("field_0", "country"),
            ("op_0", "is_one_of"),
            ("values_0", "DE, AT, CH"),
            ("field_1", "employees"),
            ("op_1", "contains"),
            ("values_1", "1000"),
            ("field_2", "industry"),
            ("op_2", "is_one_of"),
            ("values_2", ""),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(
        bad.html
            .contains("id=\"op_1\" name=\"op_1\" aria-invalid=\"true\""),
        "{}",
        bad.html
    );
    assert!(bad.html.contains("Employees is a number"), "{}", bad.html);
    assert!(
        bad.html
            .contains("id=\"values_2\" name=\"values_2\" value=\"\" aria-invalid=\"true\"")
    );
    assert!(bad.html.contains("DE, AT, CH"), "what was typed stays");
    let overview = admin.get("/portal/mapping").await.unwrap();
    assert!(!overview.html.contains("DACH enterprise"), "nothing saved");
}
