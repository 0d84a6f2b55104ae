//! `trellis bench directory`: faceted directory search over many partners. A server runs in
//! this process on a fresh database holding the demo plus N generated partners (created
//! through the same use cases as the console, so their search text and facets are real);
//! one client then sends a fixed mix of searches, one at a time, and a JSON line reports the
//! latency percentiles per kind of search and overall.

use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use http_body_util::Full;
use hyper::body::Bytes;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use trellis_domain::OrgKind;
use trellis_service::partners::PartnerPatch;
use trellis_service::platform::orgs::OrgInput;
use trellis_service::{Actor, Services};

use super::{Tally, send, sign_in, summary};
use crate::cli::admin::service_error;
use crate::cli::bench::DirectoryArgs;
use crate::cli::serve;
use crate::config::{Config, base_url_for};
use crate::demo;

const ADJECTIVES: [&str; 16] = [
    "Nordic",
    "Summit",
    "Blue",
    "Granite",
    "Harbor",
    "Vertex",
    "Cedar",
    "Atlas",
    "Silver",
    "Pioneer",
    "Meridian",
    "Coastal",
    "Apex",
    "Quantum",
    "Evergreen",
    "Bright",
];
const NOUNS: [&str; 16] = [
    "Cloud", "Data", "Logic", "Networks", "Digital", "Bridge", "Labs", "Works", "Stack", "Path",
    "Signal", "Forge", "Grid", "Scale", "Point", "Wave",
];
const SUFFIXES: [&str; 6] = [
    "Systems",
    "Solutions",
    "Partners",
    "Consulting",
    "Group",
    "IT",
];
const TYPES: [&str; 8] = [
    "reseller",
    "distributor",
    "msp",
    "isv",
    "si",
    "referral",
    "influence",
    "marketplace",
];
const REGIONS: [(&str, &[&str]); 4] = [
    ("na", &["US", "CA"]),
    ("latam", &["BR", "MX", "CL"]),
    ("emea", &["DE", "FR", "GB", "NL", "SE", "ES"]),
    ("apj", &["JP", "AU", "SG", "IN"]),
];
const INDUSTRIES: [&str; 15] = [
    "software",
    "financial_services",
    "healthcare",
    "manufacturing",
    "retail",
    "public_sector",
    "education",
    "telecommunications",
    "energy",
    "media",
    "transportation",
    "professional_services",
    "real_estate",
    "hospitality",
    "nonprofit",
];
const TECHNOLOGIES: [&str; 24] = [
    "AWS",
    "Microsoft Azure",
    "Google Cloud",
    "Kubernetes",
    "Salesforce",
    "SAP",
    "ServiceNow",
    "Snowflake",
    "Terraform",
    "HubSpot",
    "Databricks",
    "Oracle",
    "Workday",
    "Okta",
    "Cisco",
    "VMware",
    "Red Hat",
    "MongoDB",
    "Elastic",
    "Splunk",
    "Tableau",
    "Zendesk",
    "Shopify",
    "Atlassian",
];
const SEGMENTS: [&str; 4] = ["smb", "mid_market", "enterprise", "public_sector"];

/// One kind of search and its query string.
const SEARCHES: [(&str, &str); 8] = [
    ("browse", "limit=25"),
    ("text_common", "q=cloud&limit=25"),
    ("text_rare", "q=granite+forge&limit=25"),
    ("one_facet", "industry=manufacturing&limit=25"),
    (
        "three_facets",
        "partner_type=msp,si&region=emea&industry=healthcare,retail&limit=25",
    ),
    (
        "text_and_facets",
        "q=kubernetes&segment=enterprise&region=na,emea&limit=25",
    ),
    ("best_fit", "sort=fit&partner_type=reseller&limit=25"),
    ("technology", "technology=snowflake&limit=25"),
];

#[derive(Debug, Serialize)]
struct Kind {
    search: &'static str,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    backend: &'static str,
    cores: usize,
    partners: usize,
    seed_seconds: f64,
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: usize,
    searches: Vec<Kind>,
}

/// The generated partner `i`: deterministic, varied names, types, places and skills.
fn partner(i: usize) -> (OrgInput, PartnerPatch) {
    let (region, countries) = REGIONS[i % REGIONS.len()];
    let name = format!(
        "{} {} {} {:05}",
        ADJECTIVES[i % 16],
        NOUNS[(i / 16) % 16],
        SUFFIXES[(i / 7) % SUFFIXES.len()],
        i
    );
    let pick = |pool: &[&str], n: usize, step: usize| -> Vec<String> {
        (0..n)
            .map(|j| pool[(i * step + j * 5) % pool.len()].to_owned())
            .collect()
    };
    let org = OrgInput {
        name: name.clone(),
        slug: Some(format!("bench-partner-{i:05}")),
        partner_type: Some(TYPES[(i / 3) % TYPES.len()].into()),
        tier: None,
        region: Some(region.into()),
        country: Some(countries[(i / 4) % countries.len()].into()),
        website: Some(format!("https://bench-partner-{i:05}.example")),
    };
    let patch = PartnerPatch {
        description: Some(format!(
            "{name} delivers {} projects for {} customers.",
            [
                "cloud migration",
                "data platform",
                "managed security",
                "CRM"
            ][i % 4],
            ["mid-sized", "enterprise", "public-sector", "fast-growing"][(i / 5) % 4]
        )),
        industries: Some(pick(&INDUSTRIES, 1 + i % 3, 7)),
        technologies: Some(pick(&TECHNOLOGIES, 1 + i % 4, 11)),
        segments: Some(pick(&SEGMENTS, 1 + i % 2, 3)),
        employees: Some(Some(u32::try_from(5 + (i * 37) % 3000).unwrap_or(50))),
        listed: Some(i.is_multiple_of(2)),
        ..PartnerPatch::default()
    };
    (org, patch)
}

async fn seed(services: &Services, n: usize) -> anyhow::Result<()> {
    let system = Actor::System;
    for i in 0..n {
        let (org, patch) = partner(i);
        let created = services
            .create_org(&system, OrgKind::Partner, &org)
            .await
            .map_err(service_error)
            .with_context(|| format!("creating benchmark partner {i}"))?;
        services
            .update_partner(&system, created.id, created.version, &patch)
            .await
            .map_err(service_error)
            .with_context(|| format!("profiling benchmark partner {i}"))?;
        if (i + 1) % 1000 == 0 {
            tracing::info!(partners = i + 1, "seeding the directory benchmark");
        }
    }
    Ok(())
}

/// Runs the directory benchmark and prints its JSON line.
pub(crate) async fn run(args: &DirectoryArgs, mut config: Config) -> anyhow::Result<()> {
    let partners = usize::try_from(args.partners).context("--partners is too large")?;
    let rounds = usize::try_from(args.rounds).context("--rounds is too large")?;
    let dir = tempfile::tempdir().context("creating a temporary data directory")?;
    config.store.url = None;
    config.store.data_dir = dir.path().to_path_buf();
    config.web.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.service.base_url = base_url_for(config.web.bind);
    config.jobs.smtp.enabled = false;
    let db = serve::open(&config, true).await?;
    let backend = match db.backend() {
        trellis_store::Backend::Sqlite => "sqlite",
        trellis_store::Backend::Postgres => "postgres",
    };
    let (listener, config) = serve::bind(config).await?;
    let services = serve::services(db, &config);
    demo::seed(&services, demo::DEFAULT_PASSWORD).await?;
    let started = Instant::now();
    seed(&services, partners).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    let total = services
        .program_counts(&Actor::System)
        .await
        .map_err(service_error)?
        .partners;
    let runner = serve::runner(&services, &config)?;
    let cancel = CancellationToken::new();
    let watcher = services.clone();
    let server = tokio::spawn(serve::supervise(
        services,
        Some((listener, config.web.clone())),
        runner,
        cancel.clone(),
    ));
    let base = config.service.base_url.clone();
    // Seeding queued background work (rescoring everyone, first tier evaluations); the
    // figures describe searching a settled directory, so wait for the queue to drain.
    wait_for_idle_queue(&watcher).await?;
    let outcome = measure(&base, rounds).await;
    cancel.cancel();
    server.await.context("the benchmark server panicked")??;
    let (all, kinds) = outcome?;
    let n = all.latencies.len();
    let max_ms = all
        .latencies
        .iter()
        .max()
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let figures = summary(all, Duration::from_secs(1), 1);
    let report = Report {
        bench: "directory",
        backend,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        partners: usize::try_from(total).unwrap_or(partners),
        seed_seconds: super::round(seed_seconds, 1),
        requests: n,
        p50_ms: figures.p50_ms,
        p99_ms: figures.p99_ms,
        max_ms: super::round(max_ms, 3),
        errors: figures.errors,
        searches: kinds,
    };
    #[allow(
        clippy::print_stdout,
        reason = "the benchmark's output is this one line"
    )]
    {
        println!("{}", serde_json::to_string(&report)?);
    }
    drop(dir);
    Ok(())
}

async fn wait_for_idle_queue(services: &Services) -> anyhow::Result<()> {
    for _ in 0..1200 {
        let (queued, _) = services
            .job_counts(&Actor::System)
            .await
            .map_err(service_error)?;
        if queued == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(anyhow!(
        "background jobs were still queued after 10 minutes"
    ))
}

/// Sends every search `rounds` times, round-robin, one at a time over one keep-alive
/// connection, after one unmeasured round to warm the caches.
async fn measure(base: &url::Url, rounds: usize) -> anyhow::Result<(Tally, Vec<Kind>)> {
    let token = sign_in(base).await?;
    let addr = base
        .socket_addrs(|| None)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("{base} has no address"))?;
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    let driver = tokio::spawn(connection);
    let auth = format!("Bearer {token}");
    let mut per_kind: Vec<Tally> = SEARCHES.iter().map(|_| Tally::default()).collect();
    for round in 0..=rounds {
        for (k, (_, query)) in SEARCHES.iter().enumerate() {
            let request = hyper::Request::builder()
                .method("GET")
                .uri(format!("/api/v1/partners?{query}"))
                .header(hyper::header::HOST, "127.0.0.1")
                .header(hyper::header::AUTHORIZATION, &auth)
                .body(Full::new(Bytes::new()))?;
            let sent = Instant::now();
            let result = send(&mut sender, request).await;
            if round == 0 {
                result.map_err(|e| anyhow!("{query}: {e}"))?;
                continue;
            }
            let tally = &mut per_kind[k];
            tally.latencies.push(sent.elapsed());
            if let Err(e) = result {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    driver.abort();
    let mut all = Tally::default();
    let mut kinds = Vec::new();
    for ((name, _), tally) in SEARCHES.iter().zip(per_kind) {
        all.latencies.extend(tally.latencies.iter().copied());
        all.errors += tally.errors;
        let f = summary(tally, Duration::from_secs(1), 1);
        kinds.push(Kind {
            search: name,
            p50_ms: f.p50_ms,
            p99_ms: f.p99_ms,
            errors: f.errors,
        });
    }
    Ok((all, kinds))
}
