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
