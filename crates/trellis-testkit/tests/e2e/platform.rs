//! Webhooks, audit and the job queue through the API, with a real HTTP receiver.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::TestApp;

#[tokio::test]
async fn events_reach_a_webhook_signed_and_recorded_and_can_be_replayed() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let hook = api
        .post(
            "/api/v1/webhooks",
            &json!({"url": app.hooks.url("/in"), "event_filter": ["org.*"]}),
        )
        .await
        .unwrap();
    assert_eq!(hook.status, StatusCode::CREATED);
    let secret = hook.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook.body["id"].as_str().unwrap().to_owned();
    assert!(
        api.get(&format!("/api/v1/webhooks/{id}"))
            .await
            .unwrap()
            .body
            .get("secret")
            .is_none(),
        "the secret is shown once"
    );

    api.post(
        "/api/v1/orgs",
        &json!({"name": "Hooked Partner", "partner_type": "msp"}),
    )
    .await
    .unwrap();
    api.post(
        "/api/v1/users",
        &json!({"email": "not-delivered@vendor.example", "name": "N", "role": "finance"}),
    )
    .await
    .unwrap();
    app.run_jobs().await.unwrap();
    let got = app.hooks.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1, "only org.* events are delivered");
    let h = &got[0];
    let body: Value = serde_json::from_str(&h.body).unwrap();
    assert_eq!(body["type"], "org.created");
    assert_eq!(body["data"]["name"], "Hooked Partner");
    assert_eq!(
        body["id"].as_str(),
        h.headers.get("webhook-id").map(String::as_str)
    );
    let ts: i64 = h.headers["webhook-timestamp"].parse().unwrap();
    let expected =
        trellis_service::platform::webhooks::sign(&secret, &h.headers["webhook-id"], ts, &h.body)
            .unwrap();
    assert_eq!(h.headers["webhook-signature"], expected);

    let attempts = api
        .get(&format!("/api/v1/webhooks/{id}/attempts"))
        .await
        .unwrap()
        .body;
    assert_eq!(attempts["items"][0]["succeeded"], true);
    assert_eq!(attempts["items"][0]["status_code"], 200);
    let event_id = attempts["items"][0]["event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api
        .post(
            &format!("/api/v1/webhooks/{id}/replay"),
            &json!({"event_id": event_id}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::ACCEPTED);
    app.run_jobs().await.unwrap();
    let got = app.hooks.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(
        got[1].headers["webhook-id"], event_id,
        "a replay keeps the event id"
    );
}

#[tokio::test]
async fn a_failing_webhook_is_retried_with_backoff_then_dead_lettered_and_retried_by_hand() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    app.hooks.set_status(500);
    api.post("/api/v1/webhooks", &json!({"url": app.hooks.url("/down")}))
        .await
        .unwrap();
    api.post(
        "/api/v1/orgs",
        &json!({"name": "Retry Partner", "partner_type": "si"}),
    )
    .await
    .unwrap();
    app.run_jobs().await.unwrap();
    assert_eq!(app.hooks.requests().len(), 1);
    app.run_jobs().await.unwrap();
    assert_eq!(app.hooks.requests().len(), 1, "not before the backoff");
    for _ in 0..10 {
        app.clock.advance(Duration::from_hours(7));
        app.run_jobs().await.unwrap();
    }
    // Seventy hours on, the sign-in token has expired too.
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let dead = api.get("/api/v1/jobs?status=dead").await.unwrap().body;
    let job = &dead["items"][0];
    assert_eq!(job["kind"], "webhook.deliver");
    assert!(job["last_error"].as_str().unwrap().contains("500"), "{job}");
    assert_eq!(app.hooks.requests().len(), 8, "one request per attempt");

    app.hooks.set_status(204);
    let r = api
        .post(
            &format!("/api/v1/jobs/{}/retry", job["id"].as_str().unwrap()),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK);
    app.run_jobs().await.unwrap();
    assert_eq!(app.hooks.requests().len(), 9);
    assert!(
        api.get("/api/v1/jobs?status=dead").await.unwrap().body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_audit_log_records_who_changed_what_and_filters_by_actor_object_and_time() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let me = api.get("/api/v1/me").await.unwrap().body;
    let org = api
        .post(
            "/api/v1/orgs",
            &json!({"name": "Audited", "partner_type": "referral"}),
        )
        .await
        .unwrap()
        .body;
    let org_id = org["id"].as_str().unwrap();
    app.clock.advance(Duration::from_hours(1));
    api.patch(
        &format!("/api/v1/orgs/{org_id}"),
        &json!({"version": 1, "country": "DE"}),
    )
    .await
    .unwrap();

    let by_object = api
        .get(&format!("/api/v1/audit?object_type=org&object_id={org_id}"))
        .await
        .unwrap()
        .body;
    let actions: Vec<&str> = by_object["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["org.updated", "org.created"]);
    let update = &by_object["items"][0];
    assert_eq!(
        (
            update["before"]["country"].as_str(),
            update["after"]["country"].as_str()
        ),
        (None, Some("DE"))
    );
    assert_eq!(update["actor"], "admin@vendor.example");

    let by_actor = api
        .get(&format!(
            "/api/v1/audit?actor_id={}",
            me["id"].as_str().unwrap()
        ))
        .await
        .unwrap()
        .body;
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == me["id"])
    );
    let since = api
        .get("/api/v1/audit?from=2026-01-01T00:30:00Z")
        .await
        .unwrap()
        .body;
    assert_eq!(since["items"].as_array().unwrap().len(), 1);

    let partner = app.partner("Nosy Partner").await.unwrap();
    let p = app.api_as(&partner.admin_email).await.unwrap();
    assert_eq!(
        p.get("/api/v1/audit").await.unwrap().status,
        StatusCode::FORBIDDEN
    );
}
