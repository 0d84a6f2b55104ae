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
