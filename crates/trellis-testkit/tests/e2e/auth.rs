//! Signing in: lock-out, throttling, invitations and password resets through real e-mail,
//! sessions and CSRF, deactivation.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use trellis_testkit::app::{PASSWORD, TestApp};

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, serde_json::Value) {
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

fn link_token(body: &str, prefix: &str) -> String {
    let at = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {body}"));
    body[at + prefix.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_until_the_lockout_ends() {
    let app = TestApp::spawn().await.unwrap();
    let (s, p) = login(&app, "admin@vendor.example", "wrong password!").await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
    for _ in 0..4 {
        login(&app, "admin@vendor.example", "wrong password!").await;
    }
    let (s, p) = login(&app, "admin@vendor.example", PASSWORD).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().contains("locked"), "{p}");
    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(
        login(&app, "admin@vendor.example", PASSWORD).await.0,
        StatusCode::OK
    );
    // Unknown addresses get the same answer as wrong passwords.
    let (s, p) = login(&app, "nobody@vendor.example", PASSWORD).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
}

#[tokio::test]
async fn too_many_sign_in_attempts_from_one_address_are_throttled() {
    let app = TestApp::spawn().await.unwrap();
    let mut last = StatusCode::OK;
    for _ in 0..21 {
        last = login(&app, "someone@vendor.example", "whatever it is")
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "a@b.example", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("retry-after"));
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(
        login(&app, "admin@vendor.example", PASSWORD).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_invited_partner_user_sets_a_password_from_the_emailed_link_once() {
    let app = TestApp::spawn().await.unwrap();
    let p = app.partner("Invite Partners").await.unwrap();
    let admin = app.api_as("admin@vendor.example").await.unwrap();
    let r = admin.post("/api/v1/users", &json!({"email": "New.Person@Invite-Partners.example", "name": "New Person", "role": "partner_user", "org_id": p.org.id})).await.unwrap();
    assert_eq!(
        (
            r.status,
            r.body["status"].as_str(),
            r.body["email"].as_str()
        ),
        (
            StatusCode::CREATED,
            Some("invited"),
            Some("new.person@invite-partners.example")
        )
    );
    let r = admin
        .post(
            "/api/v1/users",
            &json!({"email": "x@vendor.example", "name": "X", "role": "partner_user"}),
        )
        .await
        .unwrap();
    assert_eq!(
        r.body["errors"][0]["field"], "role",
        "a partner role cannot join the vendor"
    );
    assert_eq!(app.run_jobs().await.unwrap(), 1);
    let mail = app.mail.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(
        mail[0].to,
        vec!["new.person@invite-partners.example".to_owned()]
    );
    assert!(mail[0].subject().contains("Invite Partners"));
    let token = link_token(&mail[0].body(), "/invitations/");

    assert_eq!(
        login(&app, "new.person@invite-partners.example", PASSWORD)
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not active yet"
    );
    let accept = |password: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            let r = app
                .http
                .post(app.url("/api/v1/auth/invitations/accept"))
                .json(&json!({"token": token, "password": password}))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s, body) = accept("short").await;
    assert_eq!(
        (s, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
    let (s, body) = accept(PASSWORD).await;
    assert_eq!(
        (s, body["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    assert_eq!(
        accept(PASSWORD).await.0,
        StatusCode::NOT_FOUND,
        "the link works once"
    );
    assert_eq!(
        login(&app, "new.person@invite-partners.example", PASSWORD)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_password_reset_link_changes_the_password_and_expires() {
    let app = TestApp::spawn().await.unwrap();
    let reset = |email: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/v1/auth/password-reset"))
                .json(&json!({"email": email}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        reset("nobody@vendor.example").await,
        StatusCode::ACCEPTED,
        "same answer for unknown addresses"
    );
    assert_eq!(reset("admin@vendor.example").await, StatusCode::ACCEPTED);
    app.run_jobs().await.unwrap();
    let mail = app.mail.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mail.len(), 1, "no e-mail for an unknown address");
    let token = link_token(&mail[0].body(), "/password-reset/");
    let confirm = |password: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            app.http
                .post(app.url("/api/v1/auth/password-reset/confirm"))
                .json(&json!({"token": token, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(confirm("a brand new passphrase").await, StatusCode::OK);
    assert_eq!(
        login(&app, "admin@vendor.example", PASSWORD).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        login(&app, "admin@vendor.example", "a brand new passphrase")
            .await
            .0,
        StatusCode::OK
    );

    // A second link expires after an hour.
    reset("admin@vendor.example").await;
    app.run_jobs().await.unwrap();
    let mail = app.mail.wait_for(2, Duration::from_secs(5)).await;
    let late = link_token(&mail[1].body(), "/password-reset/");
    app.clock.advance(Duration::from_secs(3601));
    let r = app
        .http
        .post(app.url("/api/v1/auth/password-reset/confirm"))
        .json(&json!({"token": late, "password": "another new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn disabling_a_user_revokes_their_tokens_and_sessions() {
    let app = TestApp::spawn().await.unwrap();
    app.vendor_user("rep@vendor.example", "sales_rep")
        .await
        .unwrap();
    let rep = app.api_as("rep@vendor.example").await.unwrap();
    let browser = app.browser_as("rep@vendor.example").await.unwrap();
    assert_eq!(
        browser.get("/console").await.unwrap().status,
        StatusCode::OK
    );
    let me = rep.get("/api/v1/me").await.unwrap().body;
    let admin = app.api_as("admin@vendor.example").await.unwrap();
    let r = admin
        .patch(
            &format!("/api/v1/users/{}", me["id"].as_str().unwrap()),
            &json!({"version": me["version"], "status": "disabled"}),
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("disabled"))
    );
    assert_eq!(
        rep.get("/api/v1/me").await.unwrap().status,
        StatusCode::UNAUTHORIZED
    );
    let page = browser.get("/console").await.unwrap();
    assert!(
        page.status.is_redirection(),
        "a disabled user's session must end: {}",
        page.status
    );
    assert_eq!(
        login(&app, "rep@vendor.example", PASSWORD).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn state_changing_forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await.unwrap();
    // The login form itself needs its double-submit token.
    let anon = trellis_testkit::app::Browser::new(&app.base_url).unwrap();
    let r = anon
        .post(
            "/login",
            &[("email", "admin@vendor.example"), ("password", PASSWORD)],
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let browser = app.browser_as("admin@vendor.example").await.unwrap();
    let r = browser.post("/logout", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = browser
        .post("/logout", &[("_csrf", "forged")])
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/console").await.unwrap().status,
        StatusCode::OK,
        "still signed in"
    );
    let csrf = browser.get("/console").await.unwrap().csrf().unwrap();
    assert!(
        browser
            .post("/logout", &[("_csrf", &csrf)])
            .await
            .unwrap()
            .status
            .is_redirection()
    );
    assert!(
        browser
            .get("/console")
            .await
            .unwrap()
            .status
            .is_redirection(),
        "signed out"
    );
}
