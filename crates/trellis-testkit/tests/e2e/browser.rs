//! A real browser (headless Chromium through ChromeDriver) signs in to the console and the
//! portal and does one real thing in each: the vendor admin adds a partner, the partner admin
//! creates an API token. Pages are plain forms, so this also proves they work without help
//! from JavaScript.

use std::net::TcpListener as StdListener;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use trellis_testkit::app::{PASSWORD, TestApp};

/// A ChromeDriver child process, killed on drop.
struct Driver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    /// Ends ChromeDriver and every Chromium it started: they share its process group, and a
    /// test that panics never reaches `close()`, so killing the driver alone would orphan them.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser() -> (Driver, Client) {
    // Several TLS back-ends are linked into the workspace, so rustls needs to be told which
    // one to use (the WebDriver connection itself is plain HTTP on loopback).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is not installed: apt-get install chromium chromium-driver (./scripts/test does this)");
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ];
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    args.push(format!(
        "--user-data-dir={}",
        driver.profile.path().display()
    ));
    let caps = json!({"goog:chromeOptions": {"args": args, "binary": "/usr/bin/chromium"}});
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&driver.url)
        .await
        .expect("connecting to chromedriver");
    (driver, client)
}

/// The element matching `css`, failing the test if there is none.
async fn find(c: &Client, css: &str) -> Element {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

/// Types `text` into the element matching `css`.
async fn type_into(c: &Client, css: &str, text: &str) {
    find(c, css).await.send_keys(text).await.unwrap();
}

/// Clicks the element matching `css`.
async fn click(c: &Client, css: &str) {
    find(c, css).await.click().await.unwrap();
}

/// Whether the checkbox matching `css` is ticked.
async fn is_checked(c: &Client, css: &str) -> bool {
    find(c, css).await.prop("checked").await.unwrap().as_deref() == Some("true")
}

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    type_into(c, "#email", email).await;
    type_into(c, "#password", PASSWORD).await;
    click(c, "form button[type=submit]").await;
    // Signed-in pages carry the sign-out form; wait for the navigation to land.
    wait_for(c, "form[action='/logout']").await;
}

async fn wait_for(c: &Client, css: &str) -> Element {
    match c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            panic!("{css} did not appear on {url}: {e}\n{}", body_text(c).await)
        }
    }
}

async fn body_text(c: &Client) -> String {
    find(c, "body").await.text().await.unwrap()
}

async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

#[tokio::test]
async fn a_vendor_admin_adds_a_partner_and_a_partner_admin_creates_a_token_in_a_real_browser() {
    let app = TestApp::spawn().await.unwrap();
    let partner = app.partner("Meridian Systems").await.unwrap();
    let (_driver, c) = browser().await;

    // Console: sign in, add a partner through the form.
    sign_in(&c, &app, "admin@vendor.example").await;
    assert!(path(&c).await.starts_with("/console"));
    assert!(body_text(&c).await.contains("Vera Admin"));
    c.goto(&app.url("/console/partners/new")).await.unwrap();
    type_into(&c, "#partner-form input[name=name]", "Harbor Analytics").await;
    find(&c, "#partner-form select[name=partner_type]")
        .await
        .select_by_value("si")
        .await
        .unwrap();
    click(&c, "#partner-form button[type=submit]").await;
    // Wait for something only the next page has: the form page has an <h1> too, and reading
    // it mid-navigation would race the page load.
    wait_for(&c, ".flash").await;
    let text = body_text(&c).await;
    assert!(text.contains("Harbor Analytics"), "{text}");
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let found = api.get("/api/v1/orgs?q=harbor").await.unwrap();
    assert_eq!(found.body["items"][0]["partner_type"], "si");

    // Sign out, then the portal: sign in as the partner admin and create an API token.
    click(&c, "form[action='/logout'] button").await;
    wait_for(&c, "#email").await;
    sign_in(&c, &app, &partner.admin_email).await;
    assert!(path(&c).await.starts_with("/portal"));
    c.goto(&app.url("/portal/tokens")).await.unwrap();
    type_into(&c, "#token-form input[name=name]", "Browser token").await;
    assert!(
        is_checked(&c, "#token-form input[value='orgs:read']").await,
        "read access is the default"
    );
    // Ticked with the keyboard, as a keyboard-only user would.
    type_into(&c, "#token-form input[value='users:read']", " ").await;
    assert!(is_checked(&c, "#token-form input[value='users:read']").await);
    click(&c, "#token-form button[type=submit]").await;
    let secret = wait_for(&c, "#token-secret").await.text().await.unwrap();
    assert!(
        secret.starts_with("trl_"),
        "the new token is shown once: {secret}"
    );
    let partner_api = app.api_as(&partner.admin_email).await.unwrap();
    let tokens = partner_api.get("/api/v1/tokens").await.unwrap();
    assert_eq!(tokens.body["items"][0]["name"], "Browser token");
    assert_eq!(
        tokens.body["items"][0]["scopes"],
        json!(["orgs:read", "users:read"])
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn a_partner_applies_is_approved_onboards_in_the_portal_and_the_vendor_sees_it_active() {
    let app = TestApp::spawn().await.unwrap();
    let vendor = app.api_as("admin@vendor.example").await.unwrap();
    // The program: an agreement, and a checklist the partner can finish on its own.
    let r = vendor
        .post(
            "/api/v1/agreements",
            &json!({"scope": "all", "current_version": 0, "title": "Partner Program Agreement", "body": "1. Scope. These are the terms of the partner program."}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    let r = vendor
        .post(
            "/api/v1/onboarding-templates",
            &json!({"scope": "all", "name": "Onboarding", "tasks": [
                {"title": "Complete your company profile", "kind": "profile", "owner_side": "partner", "due_days": 7, "required": true},
                {"title": "Accept the agreement", "kind": "agreement", "owner_side": "partner", "due_days": 7, "required": true},
                {"title": "Read the partner handbook", "kind": "custom", "owner_side": "partner", "due_days": 14, "required": true}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    let (_driver, c) = browser().await;

    apply(&c, &app).await;
    let partner_path = approve(&c, &app).await;

    // 3. The invitation e-mail, read from the SMTP listener.
    app.run_jobs().await.unwrap();
    let mails = app.mail.messages();
    let invitation = mails
        .iter()
        .find(|m| {
            m.to == vec!["ingrid@fjordcloud.example".to_owned()]
                && m.body().contains("/invitations/")
        })
        .unwrap_or_else(|| panic!("no invitation among {mails:#?}"));
    let body = invitation.body();
    let at = body.find("/invitations/").unwrap();
    let link = body[at..].split_whitespace().next().unwrap().to_owned();

    onboard(&c, &app, &link).await;

    // 5. The vendor sees the partner active, three days after approval.
    sign_in(&c, &app, "admin@vendor.example").await;
    c.goto(&app.url(&partner_path)).await.unwrap();
    let page = body_text(&c).await;
    assert!(page.contains("Active"), "{page}");
    assert!(page.contains("3 days to activation"), "{page}");
    c.goto(&app.url("/console/program")).await.unwrap();
    let median = wait_for(&c, "#time-to-activation")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(median, "3.0 days");
    c.close().await.unwrap();
}

/// Step 1: the public application form, no sign-in.
async fn apply(c: &Client, app: &TestApp) {
    // 1. The public application form, no sign-in.
    c.goto(&app.url("/apply")).await.unwrap();
    type_into(c, "#company_name", "Fjord Cloud AS").await;
    find(c, "#partner_type")
        .await
        .select_by_value("msp")
        .await
        .unwrap();
    type_into(c, "#country", "NO").await;
    type_into(
        c,
        "#description",
        "Managed cloud operations for Nordic manufacturers.",
    )
    .await;
    click(c, "input[name=industries][value=manufacturing]").await;
    type_into(c, "#contact_name", "Ingrid Solberg").await;
    type_into(c, "#contact_email", "ingrid@fjordcloud.example").await;
    // A person takes longer than a few seconds; the form refuses instant (scripted) posts.
    app.clock.advance(Duration::from_secs(30));
    click(c, "#apply-form button[type=submit]").await;
    wait_for(c, "#apply-thanks").await;
}

/// Step 2: the console's review queue; returns the new partner's page.
async fn approve(c: &Client, app: &TestApp) -> String {
    // 2. The console: the channel team approves it from the queue.
    sign_in(c, app, "admin@vendor.example").await;
    c.goto(&app.url("/console/applications")).await.unwrap();
    click(c, "#applications-table a").await;
    wait_for(c, "#approve-form").await;
    click(c, "#approve-form button[type=submit]").await;
    wait_for(c, ".flash").await;
    assert!(body_text(c).await.contains("Onboarding"));
    let partner_path = path(c).await;
    assert!(
        partner_path.starts_with("/console/partners/"),
        "{partner_path}"
    );
    sign_out(c).await;
    partner_path
}

/// Step 4: the partner sets a password, accepts the agreement and finishes its checklist.
async fn onboard(c: &Client, app: &TestApp, link: &str) {
    // 4. The partner sets a password, accepts the agreement and works through its checklist.
    app.clock.advance(Duration::from_hours(24 * 3));
    c.goto(&app.url(link)).await.unwrap();
    type_into(c, "#password", "fjord cloud partner 2026").await;
    type_into(c, "#password_confirm", "fjord cloud partner 2026").await;
    click(c, "#invitation-form button[type=submit]").await;
    wait_for(c, "form[action='/logout']").await;
    assert!(path(c).await.starts_with("/portal"));

    c.goto(&app.url("/portal/onboarding")).await.unwrap();
    let checklist = wait_for(c, "#checklist").await.text().await.unwrap();
    assert!(
        checklist.contains("Read the partner handbook"),
        "{checklist}"
    );
    // Ticking a manual task before the agreement sends the partner to accept it first.
    wait_for(c, "#checklist form button")
        .await
        .click()
        .await
        .unwrap();
    wait_for(c, "#accept-form").await;
    click(c, "#accept-form button[type=submit]").await;
    wait_for(c, "#agreement-accepted").await;

    c.goto(&app.url("/portal/org")).await.unwrap();
    let description = find(c, "#description").await;
    description.clear().await.unwrap();
    description
        .send_keys(
            "Managed cloud operations and migrations for Nordic manufacturers and utilities.",
        )
        .await
        .unwrap();
    click(c, "#profile-form button[type=submit]").await;
    wait_for(c, ".flash").await;

    c.goto(&app.url("/portal/onboarding")).await.unwrap();
    wait_for(c, "#checklist form button")
        .await
        .click()
        .await
        .unwrap();
    wait_for(c, "#onboarding-complete").await;
    let done = body_text(c).await;
    assert!(done.contains("active partner"), "{done}");
    sign_out(c).await;
}

#[tokio::test]
async fn a_vendor_admin_imports_a_csv_through_the_form_and_sees_it_finish_in_a_real_browser() {
    let app = TestApp::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("browser-accounts.csv");
    // Enough rows that the import is usually still running when its page opens, so the page's
    // script follows it; one row is bad and is reported.
    let csv: String = std::iter::once("Firma,Website,Employees\n".to_owned())
        .chain((0..4000).map(|i| {
            let employees = if i == 7 { "many" } else { "12" };
            format!("Browser Account {i:04},b{i}.example,{employees}\n")
        }))
        .collect();
    std::fs::write(&file, csv).unwrap();
    let (_driver, c) = browser().await;
    sign_in(&c, &app, "admin@vendor.example").await;

    c.goto(&app.url("/console/imports/new")).await.unwrap();
    find(&c, "#kind")
        .await
        .select_by_value("accounts")
        .await
        .unwrap();
    click(&c, "#partial").await;
    type_into(&c, "#file", file.to_str().unwrap()).await;
    click(&c, "#import-form button[type=submit]").await;
    // "Firma" is no label the importer knows: map it by hand.
    wait_for(&c, "#mapping-form").await;
    find(&c, "#map-0")
        .await
        .select_by_value("name")
        .await
        .unwrap();
    click(&c, "#mapping-form button[type=submit]").await;

    let outcome = wait_for(&c, "#import-outcome").await.text().await.unwrap();
    assert!(outcome.contains("Done"), "{outcome}");
    let count = |id: &'static str| {
        let c = c.clone();
        async move { find(&c, id).await.text().await.unwrap() }
    };
    assert_eq!(count("#count-created").await, "3999");
    assert_eq!(count("#count-rejected").await, "1");
    let errors = find(&c, "#errors-table").await.text().await.unwrap();
    assert!(errors.contains("many"), "{errors}");
    follows_a_running_import_in_place(&c, &app).await;
    c.close().await.unwrap();
}

/// The page's script, on an import whose progress the test moves on: the figures change in
/// place (the page is not reloaded), and the page reloads once the import has ended.
async fn follows_a_running_import_in_place(c: &Client, app: &TestApp) {
    let mut row = crate::crm_pages::running_import(0, 1000);
    crate::crm_pages::write_import(app, &row, true).await;
    c.goto(&app.url(&format!("/console/imports/{}", row.id)))
        .await
        .unwrap();
    wait_for(c, "[data-progress-url]").await;
    // A mark that survives only as long as this very page does.
    c.execute("window.trellisMark = 1; return null;", vec![])
        .await
        .unwrap();
    row.rows_done = 500;
    crate::crm_pages::write_import(app, &row, false).await;
    wait_for(c, "progress[value='500']").await;
    let done = find(c, "[data-progress=done]").await.text().await.unwrap();
    assert_eq!(done, "500");
    let marked = c.execute("return window.trellisMark === 1;", vec![]).await;
    assert_eq!(marked.unwrap(), json!(true), "updated without reloading");
    "succeeded".clone_into(&mut row.status);
    (row.rows_done, row.created_count, row.finished_at) = (1000, 1000, Some(1));
    crate::crm_pages::write_import(app, &row, false).await;
    wait_for(c, "#import-outcome").await;
    assert_eq!(
        find(c, "#count-created").await.text().await.unwrap(),
        "1000"
    );
}

/// Account mapping in a real browser: the vendor starts a mapping from the connection's page,
/// the run's page follows it until it ends and shows the heat-map, and a cell opens the
/// overlapping accounts behind it with the fields the partner shares and the co-sell flag.
#[tokio::test]
async fn a_vendor_runs_an_account_mapping_and_opens_the_accounts_behind_a_heat_map_cell() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let connection = crate::mapping_pages::two_mapped_sides(&app, &north.admin_email).await;
    let (_driver, c) = browser().await;
    sign_in(&c, &app, "admin@vendor.example").await;
    c.goto(&app.url(&format!("/console/mapping/connections/{connection}")))
        .await
        .unwrap();
    click(&c, "#start-run-form button[type=submit]").await;
    // Jobs wait for the test here: the run's page shows it queued and polls its progress.
    wait_for(&c, "#run-progress").await;
    app.run_jobs().await.unwrap();
    wait_for(&c, "#matrix-table").await;
    let flag = find(&c, "#cosell-flag").await.text().await.unwrap();
    assert!(flag.contains("worth a co-sell"), "{flag}");
    click(
        &c,
        "#matrix-table a[href*='ours=prospects'][href*='theirs=customers']",
    )
    .await;
    let list = wait_for(&c, "#overlaps-table").await.text().await.unwrap();
    assert!(
        list.contains("Acme") && list.contains("ACME GmbH"),
        "{list}"
    );
    assert!(
        list.contains("Pat Lee") && list.contains("Co-sell"),
        "{list}"
    );
    assert!(!list.contains("Globex"), "filtered to the cell: {list}");
    c.close().await.unwrap();
}

/// The co-selling acceptance, in a real browser: a partner registers a deal that conflicts
/// with another partner's registration (the form warns while it types) → both see their
/// status → the manager applies the rules of engagement, and the loser's open page shows the
/// decision without a reload → the winner's deal becomes an opportunity → the rep sees it with
/// the partner attached.
#[tokio::test]
async fn a_conflicting_registration_is_settled_by_the_rules_and_the_winner_reaches_the_rep() {
    let app = TestApp::spawn().await.unwrap();
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let contoso = app.partner("Contoso").await.unwrap();
    // Contoso registered Globex first, through the API.
    let first = app
        .api_as(&contoso.user_email)
        .await
        .unwrap()
        .post(
            "/api/v1/deal-registrations",
            &json!({"company_name": "Globex GmbH", "website": "globex.de", "country": "DE",
                "contact_name": "Hank Scorpio", "contact_email": "hank@globex.de",
                "product": "Data platform", "amount_minor": 4_800_000, "currency": "EUR",
                "expected_close": "2026-06-30"}),
        )
        .await
        .unwrap();
    assert_eq!(first.status.as_u16(), 201, "{:?}", first.body);
    let winner = first.body["id"].as_str().unwrap().to_owned();

    let (_driver, c) = browser().await;
    sign_in(&c, &app, &north.user_email).await;
    let loser = register_in_the_portal(&c, &app).await;
    assert!(
        body_text(&c).await.contains("Pending review"),
        "{}",
        body_text(&c).await
    );

    // The manager applies the rules (the review page's form, posted by another client) while
    // Northwind's page stays open: the decision appears on it without a reload.
    c.execute("window.trellisMark = 1; return null;", vec![])
        .await
        .unwrap();
    let manager = app.browser_as("admin@vendor.example").await.unwrap();
    let review = manager
        .get(&format!("/console/deals/{loser}"))
        .await
        .unwrap();
    assert!(review.html.contains("Apply the rules"), "{}", review.html);
    let version = trellis_testkit::app::input_value(&review.html, "version").unwrap();
    let resolved = manager
        .post(
            &format!("/console/deals/{loser}/resolve"),
            &[("_csrf", &review.csrf().unwrap()), ("version", &version)],
        )
        .await
        .unwrap();
    assert_eq!(resolved.status.as_u16(), 303, "{}", resolved.html);
    let status = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(
            "//*[@data-live-summary][normalize-space()='Rejected']",
        ))
        .await;
    assert!(status.is_ok(), "{}", body_text(&c).await);
    let marked = c.execute("return window.trellisMark === 1;", vec![]).await;
    assert_eq!(marked.unwrap(), json!(true), "updated without reloading");
    let text = body_text(&c).await;
    assert!(
        text.contains("another partner registered this customer first"),
        "{text}"
    );
    assert!(!text.contains("Contoso"), "the loser never learns who won");
    sign_out(&c).await;

    // Contoso sees its registration approved.
    sign_in(&c, &app, &contoso.user_email).await;
    c.goto(&app.url("/portal/deals")).await.unwrap();
    let row = find(&c, "#deals-table tbody tr")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("Globex GmbH") && row.contains("Approved"),
        "{row}"
    );
    sign_out(&c).await;

    // The manager converts the winner on its review page.
    sign_in(&c, &app, "admin@vendor.example").await;
    c.goto(&app.url(&format!("/console/deals/{winner}")))
        .await
        .unwrap();
    click(&c, "#convert").await;
    wait_for(&c, "#deal-opportunity").await;
    sign_out(&c).await;

    // The rep follows the registration to the opportunity and sees the partner on it.
    sign_in(&c, &app, "rep@vendor.example").await;
    c.goto(&app.url(&format!("/console/deals/{winner}")))
        .await
        .unwrap();
    click(&c, "#deal-opportunity").await;
    let partners = wait_for(&c, "#opportunity-partners-table")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        partners.contains("Contoso") && partners.contains("ourced"),
        "{partners}"
    );
    c.close().await.unwrap();
}

/// Northwind registers Globex through the portal form; the form says it may conflict before
/// it is sent. Returns the new registration's id.
async fn register_in_the_portal(c: &Client, app: &TestApp) -> String {
    c.goto(&app.url("/portal/deals/new")).await.unwrap();
    type_into(c, "#company_name", "Globex").await;
    type_into(c, "#website", "www.globex.de").await;
    let warned = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".check-possible_conflict"))
        .await;
    assert!(warned.is_ok(), "{}", body_text(c).await);
    let warning = find(c, "[data-check-result]").await.text().await.unwrap();
    assert!(warning.contains("may already be claimed"), "{warning}");
    type_into(c, "#contact_name", "Lisa Simpson").await;
    type_into(c, "#contact_email", "lisa@globex.de").await;
    type_into(c, "#product", "Data platform").await;
    type_into(c, "#amount", "52,000").await;
    find(c, "#currency")
        .await
        .select_by_value("EUR")
        .await
        .unwrap();
    // A date input takes keys in the browser's locale; set it as a script would.
    c.execute(
        "document.getElementById('expected_close').value = '2026-07-31'; return null;",
        vec![],
    )
    .await
    .unwrap();
    click(c, "#register").await;
    wait_for(c, "#deal-status").await;
    let url = path(c).await;
    assert!(url.starts_with("/portal/deals/"), "{url}");
    url.rsplit('/').next().unwrap().to_owned()
}

async fn sign_out(c: &Client) {
    click(c, "form[action='/logout'] button").await;
    wait_for(c, "#email").await;
}

/// Partner satisfaction in a real browser: the channel manager's survey goes out, the partner
/// admin follows the start page's notice and answers by clicking the scales, and the vendor
/// reads the score on the survey's page and the metrics page's chart.
#[tokio::test]
async fn a_partner_answers_a_survey_by_clicking_its_scales_and_the_vendor_reads_the_score() {
    let app = TestApp::spawn().await.unwrap();
    let north = app.partner("Northwind").await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let survey = api
        .post(
            "/api/v1/surveys",
            &json!({"title": "Partner pulse", "questions": [
                {"kind": "recommend", "text": "How likely are you to recommend us?"},
                {"kind": "rating", "text": "How good is our enablement?"},
                {"kind": "comment", "text": "What should we change?"}]}),
        )
        .await
        .unwrap();
    let id = survey.body["id"].as_str().unwrap().to_owned();
    let sent = api
        .post(&format!("/api/v1/surveys/{id}/send"), &json!({}))
        .await
        .unwrap();
    assert_eq!(sent.body["recipients"], 1);
    let (_driver, c) = browser().await;
    sign_in(&c, &app, &north.admin_email).await;
    click(&c, ".survey-waiting a").await;
    wait_for(&c, "#survey-answers").await;
    // Sent with a scale left empty, the form comes back naming it, the other answer kept.
    click(&c, "input[name='answers[1]'][value='4']").await;
    click(&c, "#survey-answers button[type=submit]").await;
    let summary = wait_for(&c, ".error-summary").await.text().await.unwrap();
    assert!(
        summary.contains("choose a number from 0 to 10"),
        "{summary}"
    );
    assert!(is_checked(&c, "input[name='answers[1]'][value='4']").await);
    click(&c, "input[name='answers[0]'][value='9']").await;
    type_into(&c, "textarea[name='answers[2]']", "More demo kits").await;
    click(&c, "#survey-answers button[type=submit]").await;
    wait_for(&c, ".flash-success").await;
    assert_eq!(path(&c).await, "/portal/surveys");
    assert!(body_text(&c).await.contains("Nothing to answer"));
    sign_out(&c).await;
    sign_in(&c, &app, "admin@vendor.example").await;
    c.goto(&app.url(&format!("/console/surveys/{id}")))
        .await
        .unwrap();
    let waves = wait_for(&c, "#waves-table").await.text().await.unwrap();
    assert!(waves.contains("82.5") && waves.contains("+100"), "{waves}");
    assert!(body_text(&c).await.contains("More demo kits"));
    c.goto(&app.url("/console/metrics#psat")).await.unwrap();
    wait_for(&c, "#psat-chart").await;
    let quarters = find(&c, "#psat-quarters").await.text().await.unwrap();
    assert!(quarters.contains("82.5"), "{quarters}");
    c.close().await.unwrap();
}
