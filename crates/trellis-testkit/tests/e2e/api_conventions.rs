//! DESIGN.md §2 conventions across the API: problem+json for every bad input, cursor paging,
//! idempotent creates, optimistic concurrency, and nothing changed by a failed request.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trellis_testkit::app::TestApp;

async fn raw(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, String, Value) {
    let mut req = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, ct, body)
}

async fn partner_count(app: &TestApp, token: &str) -> usize {
    let (_, _, body) = raw(
        app,
        token,
        Method::GET,
        "/api/v1/orgs?kind=partner&limit=200",
        None,
        vec![],
    )
    .await;
    body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn malformed_bodies_get_a_problem_naming_what_is_wrong_and_change_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let t = app.api_as("admin@vendor.example").await.unwrap().token;
    let json_ct = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
        (json_ct, b"{\"name\": \"Acme\",".to_vec(), StatusCode::BAD_REQUEST, "EOF"),
        (json_ct, b"[1, 2]".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "expected a string"),
        (json_ct, br#"{"name": "Acme", "partner_type": "reseller", "colour": "red"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "unknown field `colour`"),
        (json_ct, br#"{"name": 42, "partner_type": "reseller"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "invalid type"),
        (None, br#"{"name": "Acme", "partner_type": "reseller"}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        (Some("text/plain"), br#"{"name": "Acme"}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        (json_ct, format!("{{\"name\": \"{}\", \"partner_type\": \"reseller\"}}", "x".repeat(2 * 1024 * 1024)).into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "larger"),
        (json_ct, br#"{"name": "  ", "partner_type": "spaceship", "website": "ftp://x", "country": "Germany"}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "partner_type"),
    ];
    for (ct, body, status, needle) in cases {
        let (got, got_ct, problem) = raw(&app, &t, Method::POST, "/api/v1/orgs", ct, body).await;
        assert_eq!(got, status, "{problem}");
        assert!(got_ct.starts_with("application/problem+json"), "{got_ct}");
        assert_eq!(problem["status"], status.as_u16());
        assert!(
            problem.to_string().contains(needle),
            "expected {needle:?} in {problem}"
        );
    }
    // The field-level report lists every problem, each under its field.
    let (_, _, problem) = raw(&app, &t, Method::POST, "/api/v1/orgs", json_ct,
        br#"{"name": "  ", "partner_type": "spaceship", "website": "ftp://x", "country": "Germany"}"#.to_vec()).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["name", "partner_type", "website", "country"] {
        assert!(fields.contains(&f), "{f} missing from {problem}");
    }
    assert_eq!(
        partner_count(&app, &t).await,
        0,
        "a failed request created something"
    );
}

#[tokio::test]
async fn invalid_emails_urls_and_query_parameters_are_reported_by_field() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let r = api
        .post(
            "/api/v1/users",
            &json!({"email": "not-an-email", "name": "X", "role": "sales_rep"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "email");
    let r = api
        .post(
            "/api/v1/users",
            &json!({"email": "a@b.example", "name": "X", "role": "overlord"}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["errors"][0]["field"], "role");
    let r = api
        .post("/api/v1/webhooks", &json!({"url": "javascript:alert(1)"}))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("url"))
    );
    let r = api
        .post(
            "/api/v1/webhooks",
            &json!({"url": "https://ok.example", "event_filter": ["Users!"]}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["errors"][0]["field"], "event_filter[0]");
    let r = api.get("/api/v1/orgs?limit=abc").await.unwrap();
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let r = api.get("/api/v1/orgs?limit=100000").await.unwrap();
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let r = api.get("/api/v1/orgs?cursor=garbage").await.unwrap();
    assert_eq!(r.body["errors"][0]["field"], "cursor");
    let r = api.get("/api/v1/orgs?kind=planet").await.unwrap();
    assert_eq!(r.body["errors"][0]["field"], "kind");
    let r = api.get("/api/v1/audit?from=yesterday").await.unwrap();
    assert_eq!(r.body["errors"][0]["field"], "from");
    let r = api.get("/api/v1/orgs?colour=red").await.unwrap();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn missing_forged_expired_and_revoked_tokens_are_401_problems() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let created = api
        .post(
            "/api/v1/tokens",
            &json!({"name": "ci", "scopes": ["orgs:read"], "expires_in_days": 1}),
        )
        .await
        .unwrap();
    let token = created.body["token"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    let get = |t: String| {
        let app = &app;
        async move {
            let mut req = app.http.get(app.url("/api/v1/orgs"));
            if !t.is_empty() {
                req = req.header("authorization", t);
            }
            let resp = req.send().await.unwrap();
            let www = resp.headers().get("www-authenticate").is_some();
            (resp.status(), www)
        }
    };
    assert_eq!(get(format!("Bearer {token}")).await.0, StatusCode::OK);
    for bad in [
        String::new(),
        "Bearer ".into(),
        "Bearer trl_forged".into(),
        "Basic YWRtaW46YWRtaW4=".into(),
        format!("Bearer {token}x"),
    ] {
        assert_eq!(
            get(bad.clone()).await,
            (StatusCode::UNAUTHORIZED, true),
            "{bad:?}"
        );
    }
    app.clock
        .advance(std::time::Duration::from_secs(86_400 + 1));
    assert_eq!(
        get(format!("Bearer {token}")).await.0,
        StatusCode::UNAUTHORIZED,
        "expired"
    );
    app.clock.set(trellis_testkit::app::START);
    let api = app.api_as("admin@vendor.example").await.unwrap();
    assert_eq!(
        api.delete(&format!("/api/v1/tokens/{id}"))
            .await
            .unwrap()
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(format!("Bearer {token}")).await.0,
        StatusCode::UNAUTHORIZED,
        "revoked"
    );
}

#[tokio::test]
async fn a_scoped_token_can_do_only_what_its_scopes_allow() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let created = api
        .post(
            "/api/v1/tokens",
            &json!({"name": "read only", "scopes": ["orgs:read"]}),
        )
        .await
        .unwrap();
    let scoped = api.with_token(created.body["token"].as_str().unwrap());
    assert_eq!(
        scoped.get("/api/v1/orgs").await.unwrap().status,
        StatusCode::OK
    );
    let r = scoped
        .post(
            "/api/v1/orgs",
            &json!({"name": "Nope", "partner_type": "msp"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        scoped.get("/api/v1/audit").await.unwrap().status,
        StatusCode::FORBIDDEN
    );
    // A partner cannot mint a token with vendor scopes.
    let p = app.partner("Scope Partners").await.unwrap();
    let partner = app.api_as(&p.user_email).await.unwrap();
    let r = partner
        .post(
            "/api/v1/tokens",
            &json!({"name": "x", "scopes": ["audit:read"]}),
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scopes[0]"))
    );
}

#[tokio::test]
async fn lists_page_with_an_opaque_cursor_without_gaps_or_repeats() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    for i in 0..7 {
        let r = api
            .post(
                "/api/v1/orgs",
                &json!({"name": format!("Partner {i:02}"), "partner_type": "isv"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orgs?kind=partner&limit=3&cursor={c}"),
            None => "/api/v1/orgs?kind=partner&limit=3".into(),
        };
        let r = api.get(&path).await.unwrap();
        pages += 1;
        seen.extend(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap().to_owned()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).map(|i| format!("Partner {i:02}")).collect();
    assert_eq!((seen, pages), (expected, 3));
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_creates_once() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let post = |body: Value, key: &'static str| {
        let (app, token) = (&app, api.token.clone());
        async move {
            let resp = app
                .http
                .post(app.url("/api/v1/orgs"))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let replayed = resp.headers().contains_key("idempotent-replayed");
            (resp.status(), replayed, resp.json::<Value>().await.unwrap())
        }
    };
    let body = json!({"name": "Once Only", "partner_type": "si"});
    let (s1, r1, first) = post(body.clone(), "k-1").await;
    let (s2, r2, second) = post(body, "k-1").await;
    assert_eq!(
        (s1, r1, s2, r2),
        (StatusCode::CREATED, false, StatusCode::CREATED, true)
    );
    assert_eq!(first["id"], second["id"]);
    let (s3, _, problem) = post(
        json!({"name": "Something Else", "partner_type": "si"}),
        "k-1",
    )
    .await;
    assert_eq!(s3, StatusCode::CONFLICT, "{problem}");
    assert_eq!(partner_count(&app, &api.token).await, 1);

    // A create that failed frees its key, so the corrected request can use it.
    let (s4, _, _) = post(json!({"name": "", "partner_type": "si"}), "k-2").await;
    let (s5, r5, _) = post(json!({"name": "Fixed Up", "partner_type": "si"}), "k-2").await;
    assert_eq!(
        (s4, s5, r5),
        (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::CREATED, false)
    );

    // Concurrent requests with one key create once: the others replay or are told to retry.
    let body = json!({"name": "Raced", "partner_type": "si"});
    let (a, b, c) = tokio::join!(
        post(body.clone(), "k-3"),
        post(body.clone(), "k-3"),
        post(body, "k-3")
    );
    let replies = [a, b, c];
    let created = replies
        .iter()
        .filter(|(s, replayed, _)| *s == StatusCode::CREATED && !replayed)
        .count();
    assert_eq!(created, 1, "{replies:?}");
    assert!(
        replies
            .iter()
            .all(|(s, _, _)| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT)
    );
    assert_eq!(partner_count(&app, &api.token).await, 3);
}

#[tokio::test]
async fn an_update_with_a_stale_version_is_a_409_and_changes_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let org = api
        .post(
            "/api/v1/orgs",
            &json!({"name": "Versioned", "partner_type": "msp"}),
        )
        .await
        .unwrap()
        .body;
    let path = format!("/api/v1/orgs/{}", org["id"].as_str().unwrap());
    let ok = api
        .patch(&path, &json!({"version": 1, "country": "DE"}))
        .await
        .unwrap();
    assert_eq!(
        (
            ok.status,
            ok.body["version"].as_i64(),
            ok.body["country"].as_str()
        ),
        (StatusCode::OK, Some(2), Some("DE"))
    );
    let stale = api
        .patch(&path, &json!({"version": 1, "country": "FR"}))
        .await
        .unwrap();
    assert_eq!(
        (stale.status, stale.body["current_version"].as_i64()),
        (StatusCode::CONFLICT, Some(2))
    );
    assert_eq!(api.get(&path).await.unwrap().body["country"], "DE");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problems_and_pages_carry_security_headers() {
    let app = TestApp::spawn().await.unwrap();
    let api = app.api_as("admin@vendor.example").await.unwrap();
    let r = api.get("/api/v1/nope").await.unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    let r = api
        .send(Method::PUT, "/api/v1/orgs", Some(&json!({})))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "application/problem+json")
    );
    let r = api.get("/api/v1/orgs/not-a-uuid").await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let resp = app.http.get(app.url("/login")).send().await.unwrap();
    let h = resp.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("x-request-id"));
}
