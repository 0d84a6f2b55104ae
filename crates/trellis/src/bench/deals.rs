//! `trellis bench deals`: deal registration at CRM scale.
//!
//! A fresh database gets N accounts and N open opportunities (through the CSV import, as a
//! vendor would load them) and N active registrations from 20 partners; the companies come
//! from the matching engine's generated benchmark, so names and websites vary as real ones
//! do. Then:
//!
//! 1. **check**: the conflict check, in process, for a mix of probes (variants of known
//!    companies, look-alikes of them, and new companies), one at a time: latency percentiles.
//! 2. **register**: a server in this process, and C partner clients registering new deals
//!    through `POST /api/v1/deal-registrations` (conflict check, validation, audit, events,
//!    webhook and e-mail jobs in one transaction): throughput and latency. The job workers do
//!    not run during the measurement; the jobs are left queued, and counted.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use http_body_util::Full;
use hyper::body::Bytes;
use serde::Serialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use trellis_domain::{DealRegistrationId, OrgKind, Role};
use trellis_match::Company;
use trellis_service::crm::{ImportKind, ImportOptions};
use trellis_service::deals::CompanyProbe;
use trellis_service::platform::orgs::OrgInput;
use trellis_service::platform::webhooks::EndpointInput;
use trellis_service::{Actor, Services};
use trellis_store::deals::registrations::{self as registration_store, RegistrationRow};

use super::{Figures, Tally, load, proc_status_mb, round, summary};
use crate::cli::admin::service_error;
use crate::cli::bench::DealsArgs;
use crate::cli::serve;
use crate::config::{Config, ConfigError, base_url_for};

/// Partners that registered the seeded deals, and that register in the load test.
const PARTNERS: usize = 20;

/// The printed line.
#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    backend: &'static str,
    cores: usize,
    accounts: usize,
    open_opportunities: usize,
    registrations: usize,
    seed_seconds: f64,
    index_build_seconds: f64,
    check: CheckFigures,
    register: Figures,
    jobs_queued: i64,
    peak_rss_mb: Option<f64>,
}

#[derive(Debug, Serialize)]
struct CheckFigures {
    checks: usize,
    /// Checks that found at least one conflict.
    with_conflict: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Runs the benchmark and prints its JSON line.
pub(crate) async fn run(args: &DealsArgs, mut config: Config) -> anyhow::Result<()> {
    let n = usize::try_from(args.n).context("--n is too large")?;
    let mut scratch = None;
    if let Some(url) = &args.database_url {
        let url = trellis_store::DatabaseUrl::parse(url)
            .map_err(|e| ConfigError(format!("--database-url: {e}")))?;
        config.store.url = Some(url);
    } else {
        let dir = tempfile::tempdir().context("creating a temporary data directory")?;
        config.store.url = None;
        config.store.data_dir = dir.path().to_path_buf();
        scratch = Some(dir);
    }
    config.web.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.service.base_url = base_url_for(config.web.bind);
    let db = serve::open(&config, true).await?;
    let backend = match db.backend() {
        trellis_store::Backend::Sqlite => "sqlite",
        trellis_store::Backend::Postgres => "postgres",
    };
    let (listener, config) = serve::bind(config).await?;
    let services = serve::services(db, &config);

    tracing::info!(n, "generating companies");
    let data = trellis_match::benchmark::generate(2 * n, args.seed);
    let started = Instant::now();
    let partners = seed(&services, &data.ours, n).await?;
    let seed_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let indexed = services
        .warm_conflict_index()
        .await
        .map_err(service_error)?;
    let index_build_seconds = started.elapsed().as_secs_f64();
    tracing::info!(indexed, "conflict index built");
    let check = checks(&services, &data.theirs, usize::try_from(args.checks)?).await?;

    // An endpoint that wants every event, so each registration also enqueues a delivery.
    services
        .create_webhook(
            &Actor::System,
            &EndpointInput {
                url: "https://hooks.example.com/trellis".into(),
                description: "benchmark".into(),
                event_filter: Vec::new(),
                enabled: true,
            },
        )
        .await
        .map_err(service_error)?;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(serve::supervise(
        services.clone(),
        Some((listener, config.web.clone())),
        None,
        cancel.clone(),
    ));
    let base = config.service.base_url.clone();
    let register = async {
        let tokens = sign_in_partners(&base, &partners).await?;
        register_load(&base, &tokens, args, &data.theirs).await
    }
    .await;
    let peak_rss = proc_status_mb("VmHWM:");
    let jobs = services.job_counts(&Actor::System).await;
    cancel.cancel();
    server.await.context("the benchmark server panicked")??;
    let register = register?;
    let (jobs_queued, _) = jobs.map_err(service_error)?;
    let report = Report {
        bench: "deals",
        backend,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        accounts: n,
        open_opportunities: n,
        registrations: n,
        seed_seconds: round(seed_seconds, 1),
        index_build_seconds: round(index_build_seconds, 2),
        check,
        register,
        jobs_queued,
        peak_rss_mb: peak_rss,
    };
    #[allow(
        clippy::print_stdout,
        reason = "the benchmark's output is this one line"
    )]
    {
        println!("{}", serde_json::to_string(&report)?);
    }
    drop(scratch);
    Ok(())
}

/// A partner of the benchmark: its id and its seller's e-mail.
struct Partner {
    org_id: trellis_domain::OrgId,
    user_id: trellis_domain::UserId,
    email: String,
}

const PASSWORD: &str = "bench-password-1";

/// Accounts `0..n` and one open opportunity each through the CSV import; registrations of
/// companies `n..2n` straight into the table (the use case is what the load test measures).
async fn seed(
    services: &Services,
    companies: &[Company],
    n: usize,
) -> anyhow::Result<Vec<Partner>> {
    let system = Actor::System;
    let vendor = services
        .create_org(
            &system,
            OrgKind::Vendor,
            &OrgInput {
                name: "Bench Vendor".into(),
                ..OrgInput::default()
            },
        )
        .await
        .map_err(service_error)?;
    services
        .create_user_with_password(
            &system,
            vendor.id,
            "admin@bench.example",
            "Admin",
            "vendor_admin",
            PASSWORD,
        )
        .await
        .map_err(service_error)?;
    let mut partners = Vec::with_capacity(PARTNERS);
    for i in 0..PARTNERS {
        let org = services
            .create_org(
                &system,
                OrgKind::Partner,
                &OrgInput {
                    name: format!("Bench Partner {i:02}"),
                    partner_type: Some("reseller".into()),
                    ..OrgInput::default()
                },
            )
            .await
            .map_err(service_error)?;
        let email = format!("seller{i:02}@partner.example");
        let user = services
            .create_user_with_password(
                &system,
                org.id,
                &email,
                "Seller",
                Role::PartnerUser.as_str(),
                PASSWORD,
            )
            .await
            .map_err(service_error)?;
        partners.push(Partner {
            org_id: org.id,
            user_id: user.id,
            email,
        });
    }
    tracing::info!(n, "importing accounts");
    let options = ImportOptions {
        source_system: Some("salesforce".into()),
        ..ImportOptions::default()
    };
    let quiet = |_| {};
    services
        .import_csv(
            &system,
            ImportKind::Accounts,
            accounts_csv(&companies[..n]).as_bytes(),
            &options,
            &quiet,
        )
        .await
        .map_err(service_error)?;
    tracing::info!(n, "importing opportunities");
    services
        .import_csv(
            &system,
            ImportKind::Opportunities,
            opportunities_csv(&companies[..n]).as_bytes(),
            &options,
            &quiet,
        )
        .await
        .map_err(service_error)?;
    tracing::info!(n, "writing registrations");
    write_registrations(services, &companies[n..2 * n], &partners).await?;
    Ok(partners)
}

fn csv_cell(out: &mut String, value: &str) {
    out.push('"');
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
}

fn accounts_csv(companies: &[Company]) -> String {
    let mut out = String::from("Account ID,Account Name,Website,Billing Country,Type\n");
    for (i, c) in companies.iter().enumerate() {
        let _ = write!(out, "001B{i:011},");
        csv_cell(&mut out, &c.name);
        out.push(',');
        csv_cell(&mut out, c.website.as_deref().unwrap_or(""));
        out.push(',');
        csv_cell(&mut out, c.country.as_deref().unwrap_or(""));
        out.push_str(if i % 3 == 0 {
            ",Customer\n"
        } else {
            ",Prospect\n"
        });
    }
    out
}

fn opportunities_csv(companies: &[Company]) -> String {
    let mut out =
        String::from("Opportunity ID,Opportunity Name,Account ID,Stage,Amount,Close Date\n");
    for (i, c) in companies.iter().enumerate() {
        let _ = write!(out, "006B{i:011},");
        csv_cell(&mut out, &format!("{} - New Business", c.name));
        let _ = writeln!(
            out,
            ",001B{i:011},Prospecting,{},2027-06-30",
            10_000 + (i % 90) * 1_000
        );
    }
    out
}

async fn write_registrations(
    services: &Services,
    companies: &[Company],
    partners: &[Partner],
) -> anyhow::Result<()> {
    let now = services.now().millis();
    let policy_version = services
        .engagement_policy(&Actor::System)
        .await
        .map_err(service_error)?
        .version;
    let mut tx = services.db().begin().await?;
    for (i, c) in companies.iter().enumerate() {
        let p = &partners[i % partners.len()];
        let domain = c
            .website
            .as_deref()
            .and_then(trellis_match::domain::website_domain)
            .unwrap_or_default();
        let row = RegistrationRow {
            id: DealRegistrationId::new().as_uuid(),
            org_id: p.org_id.as_uuid(),
            org_name: String::new(),
            submitted_by: p.user_id.as_uuid(),
            company_name: c.name.clone(),
            website: c.website.clone().unwrap_or_default(),
            domain,
            country: c.country.clone().unwrap_or_default(),
            contact_name: "Bench Contact".into(),
            contact_email: "contact@example.com".into(),
            contact_phone: String::new(),
            product: "Platform".into(),
            amount_minor: 5_000_000,
            currency: "EUR".into(),
            expected_close: "2027-06-30".into(),
            description: String::new(),
            status: if i % 2 == 0 { "approved" } else { "pending" }.into(),
            stage: "qualified".into(),
            next_step: String::new(),
            policy_version,
            conflicts: 0,
            sla_due_at: None,
            escalated_at: None,
            decided_at: None,
            decided_by: None,
            decision_rule: None,
            decision_reason: None,
            protected_until: None,
            expiry_warned_at: None,
            extensions: 0,
            extension_requested_at: None,
            extension_reason: None,
            disputed_at: None,
            dispute_reason: None,
            opportunity_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        registration_store::insert(&mut tx.exec(), &row).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The conflict check for `count` probes taken round-robin from the other side of the
/// generated benchmark (variants, look-alikes and new companies), one at a time.
async fn checks(
    services: &Services,
    probes: &[Company],
    count: usize,
) -> anyhow::Result<CheckFigures> {
    let mut latencies = Vec::with_capacity(count);
    let mut with_conflict = 0;
    for (i, c) in probes.iter().cycle().take(count + 100).enumerate() {
        let probe = CompanyProbe {
            company_name: c.name.clone(),
            website: c.website.clone().unwrap_or_default(),
            contact_email: String::new(),
            country: c.country.clone().unwrap_or_default(),
        };
        let started = Instant::now();
        let outcome = services
            .check_deal(&Actor::System, &probe)
            .await
            .map_err(service_error)?;
        let took = started.elapsed();
        // The first hundred warm the statement caches and are not counted.
        if i >= 100 {
            latencies.push(took);
            with_conflict += usize::from(outcome.candidates.iter().any(|c| c.conflict));
        }
    }
    let max_ms = round(
        latencies
            .iter()
            .max()
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        3,
    );
    let checked = latencies.len();
    let figures = summary(
        Tally {
            latencies,
            ..Tally::default()
        },
        Duration::from_secs(1),
        1,
    );
    Ok(CheckFigures {
        checks: checked,
        with_conflict,
        p50_ms: figures.p50_ms,
        p99_ms: figures.p99_ms,
        max_ms,
    })
}

async fn sign_in_partners(base: &url::Url, partners: &[Partner]) -> anyhow::Result<Vec<String>> {
    let client = reqwest::Client::new();
    let mut tokens = Vec::with_capacity(partners.len());
    for p in partners {
        let r = client
            .post(base.join("api/v1/auth/login")?)
            .json(&json!({"email": p.email, "password": PASSWORD}))
            .send()
            .await?;
        let body: serde_json::Value = r.json().await?;
        tokens.push(
            body["token"]
                .as_str()
                .ok_or_else(|| anyhow!("signing in {}: {body}", p.email))?
                .to_owned(),
        );
    }
    Ok(tokens)
}

/// C clients registering `requests` deals in all, each as one partner's seller.
async fn register_load(
    base: &url::Url,
    tokens: &[String],
    args: &DealsArgs,
    companies: &[Company],
) -> anyhow::Result<Figures> {
    let requests = usize::try_from(args.requests).context("--requests is too large")?;
    let concurrency = usize::try_from(args.concurrency).context("--concurrency is too large")?;
    // Bodies are made before the clock starts: the load generator shares the cores.
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        companies
            .iter()
            .cycle()
            .take(requests)
            .map(|c| {
                // Some generated websites are deliberately broken; a partner's form would
                // refuse them, so they are left out here.
                let website = c
                    .website
                    .as_deref()
                    .filter(|w| trellis_match::domain::website_domain(w).is_some())
                    .unwrap_or_default();
                // The contact works at the customer; without a website, a free-mail address
                // (which identifies no company).
                let email = trellis_match::domain::website_domain(website)
                    .map_or_else(|| "buyer@gmail.com".to_owned(), |d| format!("buyer@{d}"));
                Bytes::from(
                    json!({"company_name": c.name, "website": website,
                        "country": c.country.clone().unwrap_or_default(), "contact_name": "Kim Buyer",
                        "contact_email": email, "product": "Platform", "amount_minor": 2_500_000,
                        "currency": "EUR", "expected_close": "2027-06-30"})
                    .to_string(),
                )
            })
            .collect(),
    );
    let auth: Vec<String> = tokens.iter().map(|t| format!("Bearer {t}")).collect();
    let make = move |i: usize, client: usize| {
        hyper::Request::builder()
            .method("POST")
            .uri("/api/v1/deal-registrations")
            .header(hyper::header::HOST, "127.0.0.1")
            .header(hyper::header::AUTHORIZATION, &auth[client % auth.len()])
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(bodies[i].clone()))
    };
    load(base, requests, concurrency, make).await
}
