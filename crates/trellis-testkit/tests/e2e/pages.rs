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
