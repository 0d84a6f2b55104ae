//! Surveys through the pages: the channel team writes one (a bad form shown again with its
//! errors) and sends it; the partner admin sees it waiting on the portal's start page, answers
//! (a missing answer named beside its question), cannot answer twice; the vendor reads the
//! results and the metrics page's satisfaction and adoption sections; a partner reads its own
//! figures.

use reqwest::StatusCode;
use trellis_testkit::app::{Browser, Page, TestApp};

/// Posts the form at `to` with the CSRF token of the page at `from`.
async fn submit(b: &Browser, from: &str, to: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = b.get(from).await.unwrap().csrf().expect("a CSRF token");
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(to, &form).await.unwrap()
}

const SURVEY: [(&str, &str); 9] = [
    ("title", "Partner pulse"),
    ("questions[0].kind", "recommend"),
    ("questions[0].text", "How likely are you to recommend us?"),
    ("questions[1].kind", "rating"),
    ("questions[1].text", "How good is our enablement?"),
    ("questions[2].kind", "comment"),
    ("questions[2].text", "What should we change?"),
    ("cadence", "quarterly"),
    ("audience", "admins"),
];

/// Writes and sends the survey through the console; returns its page.
async fn write_and_send(vendor: &Browser) -> String {
    let empty = vendor.get("/console/surveys").await.unwrap();
    assert!(empty.html.contains("No surveys yet"), "{}", empty.html);
    let starter = vendor.get("/console/surveys/new").await.unwrap();
    assert!(starter.html.contains("recommend our partner program"));
    let mut bad = SURVEY.to_vec();
    bad[0].1 = "";
    bad.push(("open_days", "120"));
    let shown = submit(vendor, "/console/surveys/new", "/console/surveys", &bad).await;
    assert_eq!(shown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        shown.html.contains("give the survey a title"),
        "{}",
        shown.html
    );
    assert!(shown.html.contains("a whole number of days from 1 to 90"));
    assert!(
        shown.html.contains("How good is our enablement?"),
        "the questions written are kept"
    );
    let saved = submit(vendor, "/console/surveys/new", "/console/surveys", &SURVEY).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let page = saved.location.unwrap();
    let sent = submit(vendor, &page, &format!("{page}/send"), &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let after = vendor.get(&page).await.unwrap();
    assert!(
        after.html.contains("Sent to 1 partner users"),
        "{}",
        after.html
    );
    assert!(after.html.contains("id=\"waves-table\""));
    page
}

#[tokio::test]
async fn a_survey_is_written_sent_answered_in_the_portal_and_read_in_the_console() {
    let app = TestApp::spawn().await.unwrap();
    let partner = app.partner("Northwind").await.unwrap();
    let vendor = app.browser_as("admin@vendor.example").await.unwrap();
    let page = write_and_send(&vendor).await;

    let portal = app.browser_as(&partner.admin_email).await.unwrap();
    let home = portal.get("/portal").await.unwrap();
    assert!(home.html.contains("Answer the survey"), "{}", home.html);
    let list = portal.get("/portal/surveys").await.unwrap();
    let at = list.html.find("/portal/surveys/").unwrap();
    let link: String = list.html[at..].chars().take_while(|c| *c != '"').collect();
    let missing = submit(&portal, &link, &link, &[("answers[1]", "4")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.html.contains("choose a number from 0 to 10"),
        "{}",
        missing.html
    );
    assert!(
        missing.html.contains("value=\"4\" checked"),
        "the answer given stays chosen"
    );
    let answered = submit(
        &portal,
        &link,
        &link,
        &[
            ("answers[0]", "9"),
            ("answers[1]", "4"),
            ("answers[2]", "More demo kits"),
        ],
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.html);
    let thanks = portal.get("/portal/surveys").await.unwrap();
    assert!(
        thanks
            .html
            .contains("your answers to “Partner pulse” are in"),
        "{}",
        thanks.html
    );
    assert!(thanks.html.contains("Nothing to answer"));
    let again = portal.get(&link).await.unwrap();
    assert!(again.html.contains("You have answered this survey"));
    assert!(!again.html.contains("id=\"survey-answers\""));
    // The portal is the partners': the vendor's user is sent back to the console.
    assert_eq!(
        vendor.get(&link).await.unwrap().status,
        StatusCode::SEE_OTHER
    );

    let results = vendor.get(&page).await.unwrap();
    assert!(results.html.contains("More demo kits"), "{}", results.html);
    // (90 + 75) / 2
    assert!(results.html.contains("82.5"));
    let metrics = vendor.get("/console/metrics").await.unwrap();
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.html.contains("id=\"psat-chart\"") && metrics.html.contains("82.5"));
    assert!(metrics.html.contains("id=\"adoption-months\""));
    let figures = portal.get("/portal/figures").await.unwrap();
    assert_eq!(figures.status, StatusCode::OK);
    assert!(figures.html.contains("Your figures") && figures.html.contains("figures-chart"));
    let bad_period = portal.get("/portal/figures?from=yesterday").await.unwrap();
    assert!(
        bad_period.html.contains("must be a date"),
        "{}",
        bad_period.html
    );
    // A partner never reaches the console's survey pages.
    assert_ne!(portal.get(&page).await.unwrap().status, StatusCode::OK);
}

#[tokio::test]
async fn a_sales_rep_reads_surveys_but_cannot_write_or_send_them() {
    let app = TestApp::spawn().await.unwrap();
    app.partner("Northwind").await.unwrap();
    let vendor = app.browser_as("admin@vendor.example").await.unwrap();
    let page = write_and_send(&vendor).await;
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let reader = app.browser_as("rep@vendor.example").await.unwrap();
    let read = reader.get(&page).await.unwrap();
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.html.contains("id=\"send-survey\""));
    assert_eq!(
        reader.get("/console/surveys/new").await.unwrap().status,
        StatusCode::FORBIDDEN
    );
    let refused = submit(&reader, &page, &format!("{page}/send"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
