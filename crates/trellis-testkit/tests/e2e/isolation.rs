//! Tenant isolation, driven by the route list: every API operation in the OpenAPI document and
//! every portal page is called by partner A with partner B's ids. A route added later is
//! covered without anyone remembering; a route whose `{id}` kind has no fixture fails the suite
//! until one is added.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use trellis_testkit::app::{Api, PartnerFixture, TestApp};

/// Ids of one partner's objects, by the path segment that names their collection.
struct Objects(BTreeMap<&'static str, String>);

/// Everything partner B owns or that only the vendor may touch, plus A's own counterparts.
struct World {
    app: TestApp,
    a: PartnerFixture,
    b: PartnerFixture,
    a_admin: Api,
    b_admin: Api,
    a_objects: Objects,
    b_objects: Objects,
    /// Strings that must never appear in anything partner A reads.
    b_secrets: Vec<String>,
}

async fn world() -> World {
    let app = TestApp::spawn().await.unwrap();
    let a = app.partner("Alpha Partners").await.unwrap();
    let b = app.partner("Bravo Partners").await.unwrap();
    let vendor = app.api_as("admin@vendor.example").await.unwrap();
    let a_admin = app.api_as(&a.admin_email).await.unwrap();
    let b_admin = app.api_as(&b.admin_email).await.unwrap();

    let user_of = |email: String| user_id(&vendor, email);
    let (hook_id, job_id) = platform_objects(&vendor).await;
    let crm = crm_records(&vendor).await;
    // Registered before the program's agreements exist, which would first need accepting.
    let mut a_selling = selling(&a_admin, ALPHA).await;
    let mut b_selling = selling(&b_admin, BRAVO).await;
    a_selling.push(("runs", mapping_run(&app, &vendor, &a_admin, &a).await));
    b_selling.push(("runs", mapping_run(&app, &vendor, &b_admin, &b).await));

    let Program {
        application_id,
        template_id,
        a_agreement,
        b_agreement,
    } = program(&app, &vendor).await;
    let (a_survey, b_survey) = survey_invitations(&vendor, &a_admin, &b_admin).await;

    let objects =
        |org: &PartnerFixture, user: String, token: String, mine: Vec<(&'static str, String)>| {
            let mut m = BTreeMap::from([
                ("orgs", org.org.id.to_string()),
                ("partners", org.org.id.to_string()),
                ("users", user),
                ("tokens", token),
                ("webhooks", hook_id.clone()),
                ("jobs", job_id.clone()),
                ("applications", application_id.clone()),
                ("onboarding-templates", template_id.clone()),
            ]);
            m.extend(crm.iter().map(|(k, v)| (*k, v.clone())));
            m.extend(mine);
            Objects(m)
        };
    let a_objects = objects(
        &a,
        user_of(a.user_email.clone()).await,
        token(&a_admin).await,
        vec![
            ("contacts", contact(&vendor, &a, "ann@alpha.example").await),
            ("onboarding-tasks", first_task(&vendor, &a).await),
            ("agreements", a_agreement),
            // Survey routes take a survey's id on the vendor side (partners are refused any)
            // and an invitation's on the partner side (`/portal/surveys/{id}`): each partner's
            // own invitation serves both.
            ("surveys", a_survey.clone()),
            ("survey-invitations", a_survey),
        ]
        .into_iter()
        .chain(a_selling)
        .collect(),
    );
    let b_user = user_of(b.user_email.clone()).await;
    let b_token = token(&b_admin).await;
    let b_contact = contact(&vendor, &b, "bob.secret@bravo.example").await;
    let b_task = first_task(&vendor, &b).await;
    let mut b_secrets = vec![
        b.org.id.to_string(),
        b_user.clone(),
        b_token.clone(),
        b.admin_email.clone(),
        b.user_email.clone(),
        b_contact.clone(),
        b_task.clone(),
        "bob.secret@bravo.example".to_owned(),
    ];
    b_secrets.extend(BRAVO.map(str::to_owned));
    b_secrets.push(b_survey.clone());
    b_secrets.extend(b_selling.iter().map(|(_, id)| id.clone()));
    let b_objects = objects(
        &b,
        b_user,
        b_token,
        vec![
            ("contacts", b_contact),
            ("onboarding-tasks", b_task),
            ("agreements", b_agreement),
            ("surveys", b_survey.clone()),
            ("survey-invitations", b_survey),
        ]
        .into_iter()
        .chain(b_selling)
        .collect(),
    );
    World {
        app,
        a,
        b,
        a_admin,
        b_admin,
        a_objects,
        b_objects,
        b_secrets,
    }
}

/// A survey sent to every partner admin, and A's and B's invitations to answer it.
async fn survey_invitations(vendor: &Api, a: &Api, b: &Api) -> (String, String) {
    let survey = created(
        &vendor
            .post(
                "/api/v1/surveys",
                &json!({"title": "Pulse", "questions": [{"kind": "recommend", "text": "Recommend us?"}, {"kind": "comment", "text": "Why?"}]}),
            )
            .await
            .unwrap(),
    );
    let sent = vendor
        .post(&format!("/api/v1/surveys/{survey}/send"), &json!({}))
        .await
        .unwrap();
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    let mut ids = Vec::new();
    for partner in [a, b] {
        let open = partner.get("/api/v1/survey-invitations").await.unwrap();
        ids.push(open.body["items"][0]["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone())
}

/// A webhook endpoint and a job: vendor platform objects no partner may touch.
async fn platform_objects(vendor: &Api) -> (String, String) {
    let hook_id = created(
        &vendor
            .post(
                "/api/v1/webhooks",
                &json!({"url": "https://hooks.example.com/x"}),
            )
            .await
            .unwrap(),
    );
    // A dead job, so the jobs routes have an object too.
    let job_id = {
        let r = vendor
            .post(
                "/api/v1/users",
                &json!({"email": "x@vendor.example", "name": "X", "role": "sales_rep"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
        let jobs = vendor.get("/api/v1/jobs").await.unwrap();
        jobs.body["items"][0]["id"].as_str().unwrap().to_owned()
    };
    (hook_id, job_id)
}

/// CRM records and an import: vendor data no partner may reach, shared by both fixtures.
async fn crm_records(vendor: &Api) -> Vec<(&'static str, String)> {
    let put = |path: &'static str, body: Value| async move {
        let r = vendor.put(path, &body).await.unwrap();
        created(&r)
    };
    let account = put(
        "/api/v1/accounts/salesforce/001ISO",
        json!({"name": "Isolation Industries", "website": "isolation.example"}),
    )
    .await;
    let contact = put(
        "/api/v1/account-contacts/salesforce/003ISO",
        json!({"account_external_id": "001ISO", "last_name": "Quiet", "email": "quiet@isolation.example"}),
    )
    .await;
    let opportunity = put(
        "/api/v1/opportunities/salesforce/006ISO",
        json!({"account_external_id": "001ISO", "name": "Isolation deal", "stage": "Qualification"}),
    )
    .await;
    let touchpoint = created(
        &vendor
            .post(
                "/api/v1/touchpoints",
                &json!({"opportunity_id": opportunity, "channel": "Isolation webinar", "kind": "campaign"}),
            )
            .await
            .unwrap(),
    );
    let cost = created(
        &vendor
            .post(
                "/api/v1/costs",
                &json!({"channel": "program", "category": "enablement", "amount": "100", "incurred_on": "2026-01-01"}),
            )
            .await
            .unwrap(),
    );
    let import = vendor
        .post_raw(
            "/api/v1/imports?kind=accounts",
            "text/csv",
            "Account Name\nSolo Ltd\n",
        )
        .await
        .unwrap();
    assert_eq!(import.status, StatusCode::ACCEPTED, "{:?}", import.body);
    vec![
        ("accounts", account),
        ("account-contacts", contact),
        ("opportunities", opportunity),
        ("touchpoints", touchpoint),
        ("costs", cost),
        ("imports", import.body["id"].as_str().unwrap().to_owned()),
    ]
}

/// A partner's customer, co-selling plan and mapping segment.
type Texts = [&'static str; 3];
const ALPHA: Texts = ["Alpha Customer Ltd", "Alpha needs a demo", "Alpha segment"];
const BRAVO: Texts = [
    "Bravo Secret Customer",
    "Bravo's secret plan",
    "Bravo secret segment",
];

/// What a partner sells and maps with: a deal registration (the API's `deal-registrations`,
/// the portal's `deals`), a co-sell request on it (`co-sell-requests`, `co-sell`), a custom
/// population and its mapping connection with the vendor.
async fn selling(partner: &Api, [company, plan, segment]: Texts) -> Vec<(&'static str, String)> {
    let website = format!("{}.com", company.to_lowercase().replace(' ', "-"));
    let deal = deal(partner, company, &website).await;
    let cosell = cosell(partner, &deal, plan).await;
    let (population, connection) = mapping(partner, segment).await;
    vec![
        ("deals", deal.clone()),
        ("deal-registrations", deal),
        ("co-sell-requests", cosell.clone()),
        ("co-sell", cosell),
        ("populations", population),
        ("connections", connection),
    ]
}

/// A partner's request for the vendor's support on its registration: the same id serves
/// the API's `co-sell-requests` and the portal's `co-sell` pages.
async fn cosell(partner: &Api, deal: &str, message: &str) -> String {
    let r = partner
        .post(
            "/api/v1/co-sell-requests",
            &json!({"kind": "presales", "message": message, "registration_id": deal}),
        )
        .await
        .unwrap();
    created(&r)
}

/// A partner's account-mapping objects: an account it brought, a custom population, and its
/// connection with the vendor (opted in, with an override of its sharing policy).
async fn mapping(partner: &Api, segment: &str) -> (String, String) {
    let population = created(
        &partner
            .post(
                "/api/v1/mapping/populations",
                &json!({"name": segment, "filter": {"conditions": [{"field": "country", "op": "is_one_of", "values": ["DE"]}]}}),
            )
            .await
            .unwrap(),
    );
    let upload = partner
        .post_raw(
            "/api/v1/mapping/accounts",
            "text/csv",
            format!("Account Name,Type\n{segment} Corp,Customer\n"),
        )
        .await
        .unwrap();
    assert_eq!(upload.status, StatusCode::OK, "{:?}", upload.body);
    let r = partner
        .post("/api/v1/mapping/connections/opt-in", &json!({}))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let connection = r.body["id"].as_str().unwrap().to_owned();
    let r = partner
        .put(
            &format!("/api/v1/mapping/connections/{connection}/policy"),
            &json!({"version": 0, "policy": {"populations": {"customers": {"level": "counts"}}}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    (population, connection)
}

/// A finished mapping of the partner's connection (the vendor opts in too).
async fn mapping_run(app: &TestApp, vendor: &Api, partner: &Api, org: &PartnerFixture) -> String {
    let r = vendor
        .post(
            "/api/v1/mapping/connections/opt-in",
            &json!({"partner_id": org.org.id.to_string()}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["active"], true, "{:?}", r.body);
    let connection = r.body["id"].as_str().unwrap().to_owned();
    let r = partner
        .post(
            &format!("/api/v1/mapping/connections/{connection}/runs"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    app.run_jobs().await.unwrap();
    r.body["id"].as_str().unwrap().to_owned()
}

/// A deal registered by a partner.
async fn deal(partner: &Api, company: &str, website: &str) -> String {
    let r = partner
        .post(
            "/api/v1/deal-registrations",
            &json!({"company_name": company, "website": website, "contact_name": "Kim",
                "contact_email": format!("kim@{website}"), "product": "Platform",
                "amount_minor": 100_000, "currency": "EUR", "expected_close": "2026-12-31"}),
        )
        .await
        .unwrap();
    created(&r)
}

async fn user_id(vendor: &Api, email: String) -> String {
    let r = vendor.get("/api/v1/users?limit=200").await.unwrap();
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn token(api: &Api) -> String {
    let r = api
        .post(
            "/api/v1/tokens",
            &json!({"name": "isolation", "scopes": ["orgs:read"]}),
        )
        .await
        .unwrap();
    created(&r)
}

/// Program objects only the vendor touches (shared by both partners' fixtures, refused to
/// either), and an agreement each: A's applies to A (resellers), the distributors' does not.
struct Program {
    application_id: String,
    template_id: String,
    a_agreement: String,
    b_agreement: String,
}

fn created(r: &trellis_testkit::app::Reply) -> String {
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn program(app: &TestApp, vendor: &Api) -> Program {
    let application_id = created(
        &app.public_post(
            "/api/v1/applications",
            &json!({"company_name": "Charlie Cloud", "partner_type": "msp", "description": "Managed cloud operations for mid-sized firms.", "contact_name": "Cleo", "contact_email": "cleo@charlie.example"}),
        )
        .await
        .unwrap(),
    );
    let template_id = created(
        &vendor
            .post(
                "/api/v1/onboarding-templates",
                &json!({"scope": "all", "name": "Everyone", "tasks": [{"title": "Profile", "kind": "profile", "owner_side": "partner", "due_days": 7, "required": true}]}),
            )
            .await
            .unwrap(),
    );
    let agreement = |scope: &'static str| async move {
        created(
            &vendor
                .post(
                    "/api/v1/agreements",
                    &json!({"scope": scope, "current_version": 0, "title": format!("{scope} agreement"), "body": "The terms of the partner program, in full."}),
                )
                .await
                .unwrap(),
        )
    };
    Program {
        application_id,
        template_id,
        a_agreement: agreement("reseller").await,
        b_agreement: agreement("distributor").await,
    }
}

async fn contact(vendor: &Api, org: &PartnerFixture, email: &str) -> String {
    created(
        &vendor
            .post(
                &format!("/api/v1/partners/{}/contacts", org.org.id),
                &json!({"name": "Contact Person", "email": email, "role": "primary"}),
            )
            .await
            .unwrap(),
    )
}

async fn first_task(vendor: &Api, org: &PartnerFixture) -> String {
    let r = vendor
        .get(&format!("/api/v1/partners/{}/checklist", org.org.id))
        .await
        .unwrap();
    r.body["tasks"][0]["id"].as_str().unwrap().to_owned()
}

/// What B looks like to the vendor and to B itself; must not change while A tries things.
async fn snapshot(w: &World) -> Value {
    let vendor = w.app.api_as("admin@vendor.example").await.unwrap();
    let org = vendor
        .get(&format!("/api/v1/orgs/{}", w.b.org.id))
        .await
        .unwrap()
        .body;
    let users = vendor
        .get(&format!("/api/v1/users?org_id={}", w.b.org.id))
        .await
        .unwrap()
        .body;
    let tokens = w.b_admin.get("/api/v1/tokens").await.unwrap().body;
    let mut partner = json!({});
    for part in [
        "",
        "/contacts",
        "/checklist",
        "/metrics",
        "/tier-changes",
        "/acceptances",
    ] {
        partner[part] = vendor
            .get(&format!("/api/v1/partners/{}{part}", w.b.org.id))
            .await
            .unwrap()
            .body;
    }
    let deals = w
        .b_admin
        .get("/api/v1/deal-registrations")
        .await
        .unwrap()
        .body;
    let cosell = w
        .b_admin
        .get("/api/v1/co-sell-requests")
        .await
        .unwrap()
        .body;
    let mut mapping = json!({});
    for part in ["populations", "policies", "connections", "accounts"] {
        mapping[part] = w
            .b_admin
            .get(&format!("/api/v1/mapping/{part}"))
            .await
            .unwrap()
            .body;
    }
    json!({"org": org, "users": users, "tokens": tokens, "partner": partner, "deals": deals, "cosell": cosell, "mapping": mapping})
}

fn collection(path: &str) -> Option<&str> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let at = segs.iter().position(|s| *s == "{id}")?;
    at.checked_sub(1).map(|i| segs[i])
}

fn example_body(doc: &Value, op: &Value) -> Option<Value> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    if schema.is_null() {
        return None;
    }
    let resolved = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    let example = resolved["example"].clone();
    assert!(
        !example.is_null(),
        "{} has a request body without an example; add #[schema(example = …)] so the isolation suite can call it",
        op["operationId"]
    );
    Some(example)
}

#[tokio::test]
async fn partner_cannot_read_or_change_another_partners_objects_through_any_api_route() {
    let w = world().await;
    let doc = w
        .app
        .http
        .get(w.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let before = snapshot(&w).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if op["security"].is_null() {
                continue; // public: health, sign-in, invitations
            }
            let body = example_body(&doc, op);
            let Some(kind) = collection(path) else {
                // A collection route: whatever A reads must not mention B.
                if method == Method::GET {
                    let r = w.a_admin.send(method, path, None).await.unwrap();
                    let text = r.body.to_string();
                    for secret in &w.b_secrets {
                        assert!(
                            !text.contains(secret.as_str()),
                            "GET {path} leaks {secret} to another partner: {text}"
                        );
                    }
                    checked += 1;
                }
                continue;
            };
            let (Some(b_id), Some(a_id)) = (w.b_objects.0.get(kind), w.a_objects.0.get(kind))
            else {
                panic!(
                    "{path} takes an {{id}} of `{kind}` objects but the isolation suite has no `{kind}` fixture: add one in world()"
                );
            };
            let theirs = w
                .a_admin
                .send(method.clone(), &path.replace("{id}", b_id), body.as_ref())
                .await
                .unwrap();
            let own = w
                .a_admin
                .send(method.clone(), &path.replace("{id}", a_id), body.as_ref())
                .await
                .unwrap();
            assert!(
                !theirs.status.is_success(),
                "{method} {path} let partner A act on B's object: {:?}",
                theirs.body
            );
            if own.status == StatusCode::FORBIDDEN {
                // Vendor-only route: refused either way, and never a hint that B's id exists.
                assert!(
                    matches!(theirs.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                    "{method} {path}: {}",
                    theirs.status
                );
            } else {
                assert_eq!(
                    theirs.status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} must answer 404 for another partner's object (own object gave {}): {:?}",
                    own.status,
                    theirs.body
                );
            }
            assert!(
                theirs.content_type.starts_with("application/problem+json"),
                "{method} {path}: {}",
                theirs.content_type
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} routes were checked; is the OpenAPI document complete?"
    );
    assert_eq!(
        snapshot(&w).await,
        before,
        "partner B's data changed while partner A probed it"
    );
    // And A really can act on its own objects through the same routes.
    let own = w
        .a_admin
        .get(&format!("/api/v1/orgs/{}", w.a.org.id))
        .await
        .unwrap();
    assert_eq!(own.status, StatusCode::OK);
}

#[tokio::test]
async fn partner_cannot_open_or_post_to_another_partners_portal_pages() {
    let w = world().await;
    let before = snapshot(&w).await;
    let browser = w.app.browser_as(&w.a.admin_email).await.unwrap();
    let home = browser.get("/portal").await.unwrap();
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    let csrf = home
        .csrf()
        .expect("portal pages carry the session's CSRF token");
    let mut checked = 0;
    for page in trellis_web::ui::portal_pages() {
        let Some(kind) = collection(page.path) else {
            continue;
        };
        let (Some(b_id), Some(a_id)) = (w.b_objects.0.get(kind), w.a_objects.0.get(kind)) else {
            panic!(
                "portal page {} takes an {{id}} of `{kind}` objects but the isolation suite has no `{kind}` fixture",
                page.path
            );
        };
        let path = format!("/portal{}", page.path.trim_start_matches("/portal"));
        let theirs = if page.method == axum::http::Method::GET {
            browser.get(&path.replace("{id}", b_id)).await.unwrap()
        } else {
            browser
                .post(
                    &path.replace("{id}", b_id),
                    &[("_csrf", &csrf), ("version", "1"), ("name", "Mallory")],
                )
                .await
                .unwrap()
        };
        assert_eq!(
            theirs.status,
            StatusCode::NOT_FOUND,
            "{} {path} with another partner's id answered {}",
            page.method,
            theirs.status
        );
        if page.method == axum::http::Method::GET {
            let own = browser.get(&path.replace("{id}", a_id)).await.unwrap();
            assert!(
                own.status == StatusCode::OK || own.status == StatusCode::NOT_FOUND,
                "{path}: {}",
                own.status
            );
        }
        checked += 1;
    }
    assert!(checked >= 1, "no portal page with an id was checked");
    assert_eq!(
        snapshot(&w).await,
        before,
        "partner B's data changed while partner A probed it"
    );
}

#[tokio::test]
async fn a_partner_user_cannot_see_other_users_of_its_own_organisation_by_id() {
    let w = world().await;
    let seller = w.app.api_as(&w.a.user_email).await.unwrap();
    let admin_id = {
        let r = w.a_admin.get("/api/v1/me").await.unwrap();
        r.body["id"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        seller
            .get(&format!("/api/v1/users/{admin_id}"))
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        seller.get("/api/v1/me").await.unwrap().status,
        StatusCode::OK
    );
    assert_eq!(
        seller.get("/api/v1/users").await.unwrap().status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_partner_cannot_reach_another_partner_through_ids_in_bodies_or_filters() {
    let w = world().await;
    let before = snapshot(&w).await;
    let invite = json!({"email": "mole@alpha.example", "name": "Mole", "role": "partner_admin", "org_id": w.b.org.id});
    assert_eq!(
        w.a_admin
            .post("/api/v1/users", &invite)
            .await
            .unwrap()
            .status,
        StatusCode::NOT_FOUND
    );
    let r = w
        .a_admin
        .get(&format!("/api/v1/users?org_id={}", w.b.org.id))
        .await
        .unwrap();
    assert_eq!(r.body["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(snapshot(&w).await, before);
}

/// The console is for the vendor's people: a partner signed in gets its portal for every
/// console route, read or write, whatever the id, so a console page added later cannot leak.
#[tokio::test]
async fn a_partner_is_sent_to_its_portal_from_every_console_route() {
    let app = TestApp::spawn().await.unwrap();
    let partner = app.partner("Alpha Partners").await.unwrap();
    let browser = app.browser_as(&partner.admin_email).await.unwrap();
    let csrf = browser.get("/portal").await.unwrap().csrf().unwrap();
    let id = app.vendor_id().to_string();
    let pages = trellis_web::ui::console_pages();
    assert!(
        pages
            .iter()
            .any(|p| p.path == "/console/imports/{id}/progress")
    );
    for page in pages {
        // Every placeholder gets an id (the vendor's: a real object, whatever its kind).
        let path: String = page
            .path
            .split('{')
            .enumerate()
            .map(|(i, part)| match part.split_once('}') {
                Some((_, rest)) if i > 0 => format!("{id}{rest}"),
                _ => part.to_owned(),
            })
            .collect();
        let r = if page.method == axum::http::Method::GET {
            browser.get(&path).await.unwrap()
        } else {
            browser.post(&path, &[("_csrf", &csrf)]).await.unwrap()
        };
        assert_eq!(
            (r.status, r.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/portal")),
            "{} {path}",
            page.method
        );
    }
}
