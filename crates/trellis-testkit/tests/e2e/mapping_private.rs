//! Private mapping between two Trellis servers: two apps on loopback, each with its own CRM
//! and policy, link with an invitation and map with the PSI engine; each stores its own view.
//! The acceptance check: A's private view equals what A's hosted mode computes when B's
//! accounts are uploaded to A under B's policy.

use std::fmt::Write as _;

use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_testkit::app::{Api, TestApp};

/// (id, name, website, type, owner, industry, open opportunities)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u8,
);

const A_BOOK: &[Row] = &[
    (
        "a1",
        "Acme",
        "acme.de",
        "Prospect",
        "Dana Reyes",
        "Retail",
        1,
    ),
    (
        "a2",
        "Globex",
        "https://www.globex.com",
        "Customer",
        "Dana Reyes",
        "Energy",
        0,
    ),
    (
        "a3",
        "Umbrella",
        "umbrella.com",
        "Customer",
        "Sam Ortiz",
        "Pharma",
        2,
    ),
    ("a4", "Initech", "", "Customer", "Sam Ortiz", "Software", 0),
    (
        "a5",
        "Hooli",
        "hooli.com",
        "Prospect",
        "Dana Reyes",
        "Software",
        1,
    ),
    (
        "a6",
        "Stark Industries",
        "stark.com",
        "Prospect",
        "Sam Ortiz",
        "Defense",
        0,
    ),
    (
        "a7",
        "Wayne Enterprises",
        "wayne.com",
        "Customer",
        "Dana Reyes",
        "Defense",
        1,
    ),
    (
        "a8",
        "Tyrell",
        "tyrell.com",
        "Prospect",
        "Sam Ortiz",
        "Robotics",
        0,
    ),
    (
        "a9",
        "Cyberdyne",
        "cyberdyne.com",
        "Customer",
        "Dana Reyes",
        "Robotics",
        0,
    ),
    (
        "a10",
        "Soylent",
        "soylent.com",
        "Prospect",
        "Sam Ortiz",
        "Food",
        1,
    ),
    (
        "a11",
        "Only at A",
        "only-a.com",
        "Customer",
        "Sam Ortiz",
        "Food",
        0,
    ),
];

const B_BOOK: &[Row] = &[
    (
        "b1",
        "ACME GmbH",
        "https://acme.de",
        "Customer",
        "Pat Lee",
        "Retail",
        0,
    ),
    (
        "b2",
        "Globex Corporation",
        "globex.com",
        "Prospect",
        "Kim Ray",
        "Energy",
        1,
    ),
    (
        "b3",
        "Initech",
        "initech.com",
        "Customer",
        "Pat Lee",
        "Software",
        0,
    ),
    (
        "b4",
        "Umbrella Corp",
        "umbrella.com",
        "Customer",
        "Kim Ray",
        "Pharma",
        1,
    ),
    (
        "b5",
        "Hooli",
        "hooli.com",
        "Customer",
        "Pat Lee",
        "Software",
        0,
    ),
    (
        "b6",
        "Stark",
        "stark.com",
        "Prospect",
        "Kim Ray",
        "Defense",
        0,
    ),
    (
        "b7",
        "Wayne",
        "wayne.com",
        "Customer",
        "Pat Lee",
        "Defense",
        2,
    ),
    (
        "b8",
        "Tyrell Corp",
        "tyrell.com",
        "Customer",
        "Kim Ray",
        "Robotics",
        0,
    ),
    (
        "b9",
        "Soylent",
        "soylent.com",
        "Prospect",
        "Pat Lee",
        "Food",
        0,
    ),
    (
        "b10",
        "Only at B",
        "only-b.com",
        "Customer",
        "Kim Ray",
        "Food",
        1,
    ),
];

const A_POLICY: &str = r#"{"populations": {"customers": {"level": "records", "fields": ["name"]},
    "prospects": {"level": "counts"}}, "min_count": 2}"#;
const B_POLICY: &str = r#"{"populations": {
    "customers": {"level": "records", "fields": ["name", "owner", "industry"]},
    "prospects": {"level": "counts"}, "open_opportunities": {"level": "counts"}},
    "min_count": 2}"#;

/// A vendor's CRM through the API.
async fn crm(api: &Api, book: &[Row]) {
    for (id, name, website, kind, owner, industry, open) in book {
        let r = api
            .put(
                &format!("/api/v1/accounts/salesforce/{id}"),
                &json!({"name": name, "website": website, "account_type": kind, "country": "DE",
                        "owner": owner, "industry": industry}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        for n in 0..*open {
            let r = api
                .put(
                    &format!("/api/v1/opportunities/salesforce/{id}-o{n}"),
                    &json!({"account_external_id": id, "name": format!("{name} deal {n}"),
                            "stage": "Prospecting", "close_date": "2026-09-30", "owner": owner}),
                )
                .await
                .unwrap();
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        }
    }
}

/// The same book as a partner's CRM export.
fn csv(book: &[Row]) -> String {
    let mut s = "Account ID,Account Name,Website,Billing Country,Type,Account Owner,Industry,\
                 Open Opportunities\n"
        .to_owned();
    for (id, name, website, kind, owner, industry, open) in book {
        let _ = writeln!(
            s,
            "{id},{name},{website},DE,{kind},{owner},{industry},{open}"
        );
    }
    s
}

async fn put_policy(api: &Api, policy: &str) {
    let policy: Value = serde_json::from_str(policy).unwrap();
    let r = api
        .put(
            "/api/v1/mapping/policies/default",
            &json!({"version": 0, "policy": policy}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// The vendor opts in with a partner: the connection's id.
async fn opt_in(api: &Api, partner: impl ToString) -> String {
    let r = api
        .post(
            "/api/v1/mapping/connections/opt-in",
            &json!({"partner_id": partner.to_string()}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// A side's view of a run: the matrix cells and every pair, in one order.
async fn view_of(api: &Api, run: &str) -> (Vec<Value>, Vec<Value>, Value) {
    let m = api
        .get(&format!("/api/v1/mapping/runs/{run}/matrix"))
        .await
        .unwrap();
    assert_eq!(m.status, StatusCode::OK, "{:?}", m.body);
    let mut cells = m.body["cells"].as_array().unwrap().clone();
    cells.sort_by_key(ToString::to_string);
    let o = api
        .get(&format!("/api/v1/mapping/runs/{run}/overlaps?limit=200"))
        .await
        .unwrap();
    assert_eq!(o.status, StatusCode::OK, "{:?}", o.body);
    let mut pairs: Vec<Value> = o.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            json!([
                p["account_name"],
                p["our_populations"],
                p["their_populations"],
                p["their_fields"],
                p["flagged"]
            ])
        })
        .collect();
    pairs.sort_by_key(ToString::to_string);
    (cells, pairs, m.body["flagged"].clone())
}

async fn only_run(api: &Api, connection: &str) -> Value {
    let r = api
        .get(&format!("/api/v1/mapping/connections/{connection}/runs"))
        .await
        .unwrap();
    let runs = r.body.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{:?}", r.body);
    runs[0].clone()
}

/// Two servers, linked: (A, B, A's admin, B's admin, A's connection with B, B's with A).
async fn linked() -> (TestApp, TestApp, Api, Api, String, String) {
    let (a, b) = (
        TestApp::spawn().await.unwrap(),
        TestApp::spawn().await.unwrap(),
    );
    let bravo = a.partner("Bravo Cloud").await.unwrap();
    let alpha = b.partner("Alpha Cloud").await.unwrap();
    let (a_admin, b_admin) = (
        a.api_as("admin@vendor.example").await.unwrap(),
        b.api_as("admin@vendor.example").await.unwrap(),
    );
    crm(&a_admin, A_BOOK).await;
    crm(&b_admin, B_BOOK).await;
    put_policy(&a_admin, A_POLICY).await;
    put_policy(&b_admin, B_POLICY).await;
    let a_conn = opt_in(&a_admin, bravo.org.id).await;
    let b_conn = opt_in(&b_admin, alpha.org.id).await;

    let inv = a_admin
        .post(
            &format!("/api/v1/mapping/connections/{a_conn}/invitations"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(inv.status, StatusCode::CREATED, "{:?}", inv.body);
    assert_eq!(inv.body["url"], json!(a.url("/api/v1/psi")));
    let token = inv.body["token"].as_str().unwrap().to_owned();
    let linked = b_admin
        .post(
            &format!("/api/v1/mapping/connections/{b_conn}/link"),
            &json!({"url": a.base_url, "token": token}),
        )
        .await
        .unwrap();
    assert_eq!(linked.status, StatusCode::OK, "{:?}", linked.body);
    assert_eq!(linked.body["role"], "client");
    (a, b, a_admin, b_admin, a_conn, b_conn)
}

/// The partner organisation standing for B on A has no view of A's private run, nor of the
/// link.
async fn stand_in_sees_nothing(a: &TestApp, a_conn: &str, run: &str) {
    let stand_in = a.api_as("admin@bravo-cloud.example").await.unwrap();
    let r = stand_in
        .get(&format!("/api/v1/mapping/connections/{a_conn}/runs"))
        .await
        .unwrap();
    assert_eq!(r.body, json!([]), "{:?}", r.body);
    for path in [
        format!("/api/v1/mapping/runs/{run}"),
        format!("/api/v1/mapping/connections/{a_conn}/link"),
    ] {
        let r = stand_in.get(&path).await.unwrap();
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {:?}",
            r.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_map_privately_and_a_sees_what_hosted_mode_would_show() {
    let (a, b, a_admin, b_admin, a_conn, b_conn) = linked().await;
    // Redeeming was B's consent on A, and A's on B.
    for (api, conn, role) in [(&a_admin, &a_conn, "server"), (&b_admin, &b_conn, "client")] {
        let c = api
            .get(&format!("/api/v1/mapping/connections/{conn}"))
            .await
            .unwrap();
        assert_eq!(c.body["active"], true, "{:?}", c.body);
        let l = api
            .get(&format!("/api/v1/mapping/connections/{conn}/link"))
            .await
            .unwrap();
        assert_eq!(
            (l.body["linked"].clone(), l.body["role"].clone()),
            (json!(true), json!(role))
        );
    }
    let started = b_admin
        .post(
            &format!("/api/v1/mapping/connections/{b_conn}/runs"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    assert_eq!(started.body["mode"], "private");
    b.run_jobs().await.unwrap();
    let b_run = only_run(&b_admin, &b_conn).await;
    assert_eq!(b_run["status"], "done", "{b_run:?}");
    let a_run = only_run(&a_admin, &a_conn).await;
    assert_eq!(
        (a_run["status"].clone(), a_run["mode"].clone()),
        (json!("done"), json!("private"))
    );
    assert_eq!(
        a_run["partner_accounts"],
        Value::Null,
        "B's size is not learned"
    );
    let private = view_of(&a_admin, a_run["id"].as_str().unwrap()).await;
    stand_in_sees_nothing(&a, &a_conn, a_run["id"].as_str().unwrap()).await;
    // B sees A's customers as records (name only), and only counts of A's prospects.
    let (_, b_pairs, _) = view_of(&b_admin, b_run["id"].as_str().unwrap()).await;
    assert!(!b_pairs.is_empty());
    assert!(
        b_pairs
            .iter()
            .all(|p| p[3].as_object().unwrap().keys().eq(["name"]))
    );

    // The same on A in hosted mode: B's book uploaded by a partner org under B's policy.
    let hosted_partner = a.partner("Bravo Hosted").await.unwrap();
    let h = a.api_as(&hosted_partner.admin_email).await.unwrap();
    let r = h
        .post_raw("/api/v1/mapping/accounts", "text/csv", csv(B_BOOK))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    put_policy(&h, B_POLICY).await;
    h.post("/api/v1/mapping/connections/opt-in", &json!({}))
        .await
        .unwrap();
    let h_conn = opt_in(&a_admin, hosted_partner.org.id).await;
    let r = a_admin
        .post(
            &format!("/api/v1/mapping/connections/{h_conn}/runs"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["mode"], "hosted");
    a.run_jobs().await.unwrap();
    let hosted_run = only_run(&a_admin, &h_conn).await;
    assert_eq!(hosted_run["status"], "done", "{hosted_run:?}");
    let hosted = view_of(&a_admin, hosted_run["id"].as_str().unwrap()).await;

    assert!(
        private.0.iter().any(|c| c["overlap"].is_null()),
        "a hidden cell: {:?}",
        private.0
    );
    assert!(private.1.len() >= 4, "{:?}", private.1);
    assert!(private.2.as_u64().unwrap() >= 1, "a co-sell flag");
    assert_eq!(private.0, hosted.0, "matrix cells");
    assert_eq!(private.1, hosted.1, "pairs and their fields");
    assert_eq!(private.2, hosted.2, "flags");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_links_say_which_field_and_change_nothing() {
    let (a, b, a_admin, b_admin, a_conn, b_conn) = linked().await;
    // The token was used: a second link is refused on the token, and nothing changes.
    let inv = a_admin
        .post(
            &format!("/api/v1/mapping/connections/{a_conn}/invitations"),
            &json!({}),
        )
        .await
        .unwrap();
    let token = inv.body["token"].as_str().unwrap();
    for (body, field) in [
        (json!({"url": "", "token": token}), "url"),
        (json!({"url": "not a url", "token": token}), "url"),
        (json!({"url": a.base_url, "token": ""}), "token"),
        (json!({"url": a.base_url, "token": "AAAA"}), "token"),
        (json!({"url": b.url("/nowhere"), "token": token}), "url"),
    ] {
        let r = b_admin
            .post(&format!("/api/v1/mapping/connections/{b_conn}/link"), &body)
            .await
            .unwrap();
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{body}: {:?}", r.body);
    }
    // The invitation is still unused: the link with it works.
    let r = b_admin
        .post(
            &format!("/api/v1/mapping/connections/{b_conn}/link"),
            &json!({"url": a.url("/api/v1/psi/"), "token": token}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let again = b_admin
        .post(
            &format!("/api/v1/mapping/connections/{b_conn}/link"),
            &json!({"url": a.base_url, "token": token}),
        )
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.body.to_string().contains("already used"),
        "{:?}",
        again.body
    );
    // A's side of a link cannot start runs; partners never touch links.
    let r = a_admin
        .post(
            &format!("/api/v1/mapping/connections/{a_conn}/runs"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    let bravo = a.partner("Mallory").await.unwrap();
    let p = a.api_as(&bravo.admin_email).await.unwrap();
    for path in [
        format!("/api/v1/mapping/connections/{a_conn}/link"),
        format!("/api/v1/mapping/connections/{a_conn}/invitations"),
    ] {
        let r = p
            .post(&path, &json!({"url": a.base_url, "token": token}))
            .await
            .unwrap();
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_the_other_vendor_has_not_opted_in_to_fails_with_the_reason() {
    let (_a, b, a_admin, b_admin, a_conn, b_conn) = linked().await;
    let c = a_admin
        .get(&format!("/api/v1/mapping/connections/{a_conn}"))
        .await
        .unwrap();
    let r = a_admin
        .post(
            "/api/v1/mapping/connections/opt-out",
            &json!({"partner_id": c.body["partner_id"]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = b_admin
        .post(
            &format!("/api/v1/mapping/connections/{b_conn}/runs"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    b.run_jobs().await.unwrap();
    let run = only_run(&b_admin, &b_conn).await;
    assert_eq!(run["status"], "failed", "{run:?}");
    assert!(
        run["error"].as_str().unwrap().contains("not opted in"),
        "{run:?}"
    );
    let r = a_admin
        .get(&format!("/api/v1/mapping/connections/{a_conn}/runs"))
        .await
        .unwrap();
    assert_eq!(r.body, json!([]), "A stored nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_page_invites_shows_the_token_once_and_links() {
    let (a, b) = (
        TestApp::spawn().await.unwrap(),
        TestApp::spawn().await.unwrap(),
    );
    let bravo = a.partner("Bravo Cloud").await.unwrap();
    let alpha = b.partner("Alpha Cloud").await.unwrap();
    let a_conn = opt_in(
        &a.api_as("admin@vendor.example").await.unwrap(),
        bravo.org.id,
    )
    .await;
    let b_conn = opt_in(
        &b.api_as("admin@vendor.example").await.unwrap(),
        alpha.org.id,
    )
    .await;
    let a_page = format!("/console/mapping/connections/{a_conn}");
    let b_page = format!("/console/mapping/connections/{b_conn}");

    let browser = a.browser_as("admin@vendor.example").await.unwrap();
    let page = browser.get(&a_page).await.unwrap();
    assert!(page.html.contains("Private mapping"), "{}", page.html);
    assert!(page.html.contains("Not linked"));
    let csrf = page.csrf().unwrap();
    let invited = browser
        .post(&format!("{a_page}/invitations"), &[("_csrf", &csrf)])
        .await
        .unwrap();
    assert_eq!(invited.status, StatusCode::OK, "{}", invited.html);
    let token = invited
        .html
        .split("<code id=\"psi-token\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap()
        .to_owned();
    assert!(invited.html.contains(&a.url("/api/v1/psi")));
    let again = browser.get(&a_page).await.unwrap();
    assert!(!again.html.contains(&token), "shown once");
    assert!(again.html.contains("An invitation is waiting"));

    let browser = b.browser_as("admin@vendor.example").await.unwrap();
    let csrf = browser.get(&b_page).await.unwrap().csrf().unwrap();
    let bad = browser
        .post(
            &format!("{b_page}/link"),
            &[("_csrf", &csrf), ("url", "ftp://x"), ("token", &token)],
        )
        .await
        .unwrap();
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("id=\"url-error\""), "{}", bad.html);
    assert!(bad.html.contains("ftp://x"), "what was typed stays");
    let linked = browser
        .post(
            &format!("{b_page}/link"),
            &[("_csrf", &csrf), ("url", &a.base_url), ("token", &token)],
        )
        .await
        .unwrap();
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.html);
    let page = browser.get(&b_page).await.unwrap();
    assert!(page.html.contains("Linked"), "{}", page.html);
    assert!(
        page.html.contains("Run a mapping"),
        "both sides are in: {}",
        page.html
    );
    // Partners' portal pages have no such card.
    let partner = b.browser_as(&alpha.admin_email).await.unwrap();
    let portal = partner
        .get(&format!("/portal/mapping/connections/{b_conn}"))
        .await
        .unwrap();
    assert!(!portal.html.contains("Private mapping"));
}
