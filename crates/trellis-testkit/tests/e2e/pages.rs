//! Server-rendered lists page with the same cursors as the API.

use reqwest::StatusCode;
use serde_json::json;
use trellis_testkit::app::TestApp;

fn next_link(html: &str) -> Option<String> {
    let at = html.find("rel=\"next\"")?;
    let tag = &html[html[..at].rfind('<')?..at];
    let href = tag.split("href=\"").nth(1)?;
    // The attribute is HTML-escaped, as a browser would read it.
    Some(
        href[..href.find('"')?]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn the_partner_list_pages_forward_and_offers_the_way_back() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    for i in 0..55 {
        let r = api
            .post(
                "/api/v1/orgs",
                &json!({"name": format!("Paged Partner {i:02}"), "partner_type": "msp"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let browser = app.browser_as("admin@vendor.example").await.unwrap();
    let first = browser.get("/console/partners?kind=partner").await.unwrap();
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.html.contains("Paged Partner 00") && !first.html.contains("Paged Partner 54"));
    assert!(!first.html.contains("First page"));
    let next = next_link(&first.html).expect("a first page of 55 partners links to the next");
    let second = browser.get(&next).await.unwrap();
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.html.contains("Paged Partner 54") && !second.html.contains("Paged Partner 00"));
    assert!(second.html.contains("First page"));
    assert!(
        next_link(&second.html).is_none(),
        "the last page has no next link"
    );
}

/// Every page of the catalog that takes no id renders for the people it is for, and the
/// pages of one partner and one application render with real data behind them.
#[tokio::test]
async fn every_console_and_portal_page_renders_for_its_users() {
    let app = TestApp::spawn().await.unwrap();
    let partner = app.partner("Render Partners").await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let r = app
        .public_post(
            "/api/v1/applications",
            &json!({"company_name": "Render Applicant", "partner_type": "si", "description": "Integration projects for retailers.", "contact_name": "Rae", "contact_email": "rae@render.example"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let application = r.body["id"].as_str().unwrap().to_owned();
    api.post(
        "/api/v1/agreements",
        &json!({"scope": "all", "current_version": 0, "title": "Program Agreement", "body": "The terms of the partner program."}),
    )
    .await
    .unwrap();

    let vendor = app.browser_as("admin@vendor.example").await.unwrap();
    let mut pages: Vec<String> = trellis_web::ui::console_pages()
        .into_iter()
        .filter(|p| p.method == axum::http::Method::GET && !p.path.contains('{'))
        .map(|p| p.path.to_owned())
        .collect();
    pages.push(format!("/console/partners/{}", partner.org.id));
    pages.push(format!("/console/partners/{}/edit", partner.org.id));
    pages.push(format!("/console/applications/{application}"));
    for path in &pages {
        let page = vendor.get(path).await.unwrap();
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
    }
    let portal = app.browser_as(&partner.admin_email).await.unwrap();
    for p in trellis_web::ui::portal_pages()
        .into_iter()
        .filter(|p| p.method == axum::http::Method::GET && !p.path.contains('{'))
    {
        let page = portal.get(p.path).await.unwrap();
        assert_eq!(page.status, StatusCode::OK, "{}: {}", p.path, page.html);
    }
    let apply = app.http.get(app.url("/apply")).send().await.unwrap();
    assert_eq!(apply.status(), StatusCode::OK);
    // The locator is off until the program switches it on.
    let locator = app.http.get(app.url("/partners")).send().await.unwrap();
    assert_eq!(locator.status(), StatusCode::NOT_FOUND);
}
