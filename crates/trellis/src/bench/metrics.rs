//! `trellis bench metrics`: the ecosystem metrics at scale.
//!
//! A fresh database gets P partners, N/4 accounts, N opportunities over two years (a quarter
//! won, a third lost, the rest open; one in ten in EUR with monthly rates) and T touchpoints
//! (partners' sourced, referral, co-sell and influence touches with a long tail of partners,
//! and marketplace and campaign touches; one in twenty on an account rather than a deal),
//! written in bulk. Then, each timed:
//!
//! 1. **refresh**: the facts rebuilt whole (what the hourly job does);
//! 2. **dashboard**: the program dashboard for the last twelve months, in process, cold and
//!    then warm (median of five);
//! 3. **page**: `GET /console/metrics` through a server in this process with a signed-in
//!    session (the dashboard, costs, satisfaction and adoption, rendered), cold and warm.

use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use trellis_domain::{OrgKind, Timestamp};
use trellis_match::benchmark::SplitMix64;
use trellis_service::attribution::FxRateInput;
use trellis_service::metrics::MetricsQuery;
use trellis_service::platform::orgs::OrgInput;
use trellis_service::{Actor, Services};
use trellis_store::Json;
use trellis_store::attribution::touchpoints::{self as touch_store, TouchpointRow};
use trellis_store::crm::accounts::{self as account_store, AccountRow};
use trellis_store::crm::opportunities::{self as opportunity_store, OpportunityRow};
use uuid::Uuid;

use super::{proc_status_mb, round};
use crate::cli::admin::service_error;
use crate::cli::bench::MetricsArgs;
use crate::cli::serve;
use crate::config::{Config, ConfigError, base_url_for};

const DAY_MS: i64 = 86_400_000;
const PASSWORD: &str = "bench-password-1";
/// Opportunities written a transaction, with their touches.
const CHUNK: usize = 20_000;

/// The printed line.
#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    backend: &'static str,
    cores: usize,
    partners: usize,
    accounts: usize,
    opportunities: usize,
    touchpoints: usize,
    seed_seconds: f64,
    refresh_seconds: f64,
    /// What the refresh read and wrote.
    refresh: Value,
    dashboard_cold_ms: f64,
    dashboard_warm_ms: f64,
    page_cold_ms: f64,
    page_warm_ms: f64,
    page_bytes: usize,
    peak_rss_mb: Option<f64>,
}

/// Runs the benchmark and prints its JSON line.
pub(crate) async fn run(args: &MetricsArgs, mut config: Config) -> anyhow::Result<()> {
    let n = usize::try_from(args.opportunities).context("--opportunities is too large")?;
    let touches = usize::try_from(args.touchpoints.unwrap_or(args.opportunities * 10))
        .context("--touchpoints is too large")?;
    let partners = usize::try_from(args.partners).context("--partners is too large")?;
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

    let started = Instant::now();
    let world = seed(&services, n, touches, partners, args.seed).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    tracing::info!(seconds = seed_seconds, "seeded; refreshing the facts");

    let started = Instant::now();
    let refresh = services.refresh_metrics().await.map_err(service_error)?;
    let refresh_seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        seconds = refresh_seconds,
        "refreshed; reading the dashboard"
    );

    let (dashboard_cold, dashboard_warm) = dashboard(&services).await?;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(serve::supervise(
        services.clone(),
        Some((listener, config.web.clone())),
        None,
        cancel.clone(),
    ));
    let page = page(&config.service.base_url).await;
    let peak_rss = proc_status_mb("VmHWM:");
    cancel.cancel();
    server.await.context("the benchmark server panicked")??;
    let (page_cold, page_warm, page_bytes) = page?;
    let report = Report {
        bench: "metrics",
        backend,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        partners,
        accounts: world.accounts,
        opportunities: n,
        touchpoints: world.touchpoints,
        seed_seconds: round(seed_seconds, 1),
        refresh_seconds: round(refresh_seconds, 1),
        refresh: serde_json::to_value(&refresh)?,
        dashboard_cold_ms: ms(dashboard_cold),
        dashboard_warm_ms: ms(dashboard_warm),
        page_cold_ms: ms(page_cold),
        page_warm_ms: ms(page_warm),
        page_bytes,
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

fn ms(d: Duration) -> f64 {
    round(d.as_secs_f64() * 1000.0, 1)
}

/// The median of `xs`.
fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

/// The program dashboard for the last twelve months, in process: the first read, then the
/// median of five.
async fn dashboard(services: &Services) -> anyhow::Result<(Duration, Duration)> {
    let period = MetricsQuery::default()
        .check(services.now())
        .map_err(service_error)?;
    let mut times = Vec::new();
    for _ in 0..6 {
        let t = Instant::now();
        let d = services
            .metrics_dashboard(&Actor::System, &period)
            .await
            .map_err(service_error)?;
        times.push(t.elapsed());
        anyhow::ensure!(!d.partners.is_empty(), "the dashboard has no partners");
    }
    let cold = times.remove(0);
    Ok((cold, median(times)))
}

/// `GET /console/metrics` as the vendor admin: the first, then the median of five, and the
/// page's size.
async fn page(base: &url::Url) -> anyhow::Result<(Duration, Duration, usize)> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client.get(base.join("login")?).send().await?.text().await?;
    let csrf = form
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| anyhow!("the login form has no CSRF token"))?
        .to_owned();
    let signed_in = client
        .post(base.join("login")?)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "admin@bench.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        signed_in.status().is_redirection(),
        "signing in answered {}",
        signed_in.status()
    );
    let url = base.join("console/metrics")?;
    let (mut times, mut bytes) = (Vec::new(), 0);
    for _ in 0..6 {
        let t = Instant::now();
        let r = client.get(url.clone()).send().await?;
        let status = r.status();
        let body = r.text().await?;
        times.push(t.elapsed());
        anyhow::ensure!(status.is_success(), "/console/metrics answered {status}");
        anyhow::ensure!(
            body.contains("id=\"origins-table\""),
            "the page has no figures"
        );
        bytes = body.len();
    }
    let cold = times.remove(0);
    Ok((cold, median(times), bytes))
}

/// What was seeded.
struct World {
    accounts: usize,
    touchpoints: usize,
}

/// The vendor and its admin, partners, monthly EUR rates, then accounts, opportunities and
/// touches in bulk, a chunk a transaction.
async fn seed(
    services: &Services,
    n: usize,
    touches: usize,
    partners: usize,
    seed: u64,
) -> anyhow::Result<World> {
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
    let mut orgs = Vec::with_capacity(partners);
    for i in 0..partners {
        let org = services
            .create_org(
                &system,
                OrgKind::Partner,
                &OrgInput {
                    name: format!("Partner {i:04}"),
                    partner_type: Some(["reseller", "msp", "referral", "isv"][i % 4].into()),
                    ..OrgInput::default()
                },
            )
            .await
            .map_err(service_error)?;
        orgs.push(org.id.as_uuid());
    }
    let now = services.now();
    let start = now.millis() - 730 * DAY_MS;
    for month in 0..25 {
        let day = Timestamp::from_millis(start + month * 30 * DAY_MS).date();
        services
            .set_fx_rate(
                &system,
                &FxRateInput {
                    currency: "EUR".into(),
                    valid_from: format!("{}-01", &day[..7]),
                    rate: format!("1.{:02}", 5 + month % 10),
                },
            )
            .await
            .map_err(service_error)?;
    }
    let accounts = (n / 4).max(1);
    let account_ids = write_accounts(services, accounts, now).await?;
    let mut rng = SplitMix64::new(seed);
    let mut written = 0;
    // A third of the deals are direct (no touch); the others draw 0 to 2·k touches, k on
    // average, so that all of them together come to the touches asked for.
    let per_deal = (touches * 3).div_ceil(2 * n.max(1));
    for first in (0..n).step_by(CHUNK) {
        let last = (first + CHUNK).min(n);
        let plan = Plan {
            account_ids: &account_ids,
            partners: &orgs,
            start,
            now: now.millis(),
            per_deal,
            budget: touches - written.min(touches),
        };
        written += write_chunk(services, &mut rng, first..last, &plan).await?;
        if first % 200_000 == 0 {
            tracing::info!(opportunities = last, touchpoints = written, "seeding");
        }
    }
    Ok(World {
        accounts,
        touchpoints: written,
    })
}

const INDUSTRIES: [&str; 6] = [
    "Manufacturing",
    "Retail",
    "Financial Services",
    "Healthcare",
    "Software",
    "Logistics",
];
const COUNTRIES: [&str; 6] = ["US", "DE", "GB", "FR", "NL", "JP"];

async fn write_accounts(
    services: &Services,
    accounts: usize,
    now: Timestamp,
) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(accounts);
    for first in (0..accounts).step_by(CHUNK) {
        let rows: Vec<AccountRow> = (first..(first + CHUNK).min(accounts))
            .map(|i| AccountRow {
                id: Uuid::now_v7(),
                source_system: "bench".into(),
                external_id: format!("A{i}"),
                name: format!("Company {i}"),
                website: format!("https://company{i}.example"),
                domain: format!("company{i}.example"),
                country: COUNTRIES[i % COUNTRIES.len()].into(),
                city: String::new(),
                industry: INDUSTRIES[i % INDUSTRIES.len()].into(),
                employees: Some(i64::try_from(10 + (i * 37) % 20_000).unwrap_or(10)),
                account_type: String::new(),
                relationship: "prospect".into(),
                owner_id: None,
                owner_name: String::new(),
                phone: String::new(),
                attributes: Json(json!({})),
                archived: false,
                content_hash: 0,
                version: 1,
                created_at: now.millis(),
                updated_at: now.millis(),
            })
            .collect();
        ids.extend(rows.iter().map(|r| r.id));
        let refs: Vec<&AccountRow> = rows.iter().collect();
        let mut tx = services.db().begin().await?;
        account_store::upsert_many(&mut tx.exec(), &refs).await?;
        tx.commit().await?;
    }
    Ok(ids)
}

/// What every chunk's deals and touches are drawn from.
struct Plan<'a> {
    account_ids: &'a [Uuid],
    partners: &'a [Uuid],
    start: i64,
    now: i64,
    per_deal: usize,
    /// Touches still to write.
    budget: usize,
}

/// What partners do, as often as programs see it: influence most, sourcing least.
const KINDS: [&str; 8] = [
    "sourced",
    "referral",
    "co_sell",
    "influence",
    "influence",
    "co_sell",
    "influence",
    "referral",
];

/// A partner, most touches going to the first few (a long tail, as programs have).
fn partner(rng: &mut SplitMix64, partners: &[Uuid]) -> Uuid {
    let n = partners.len().max(1);
    let a = rng.below(n);
    let b = rng.below(n);
    partners[a.min(b).min(rng.below(n))]
}

/// Writes opportunities `range` and their touches in one transaction; returns the touches.
async fn write_chunk(
    services: &Services,
    rng: &mut SplitMix64,
    range: std::ops::Range<usize>,
    plan: &Plan<'_>,
) -> anyhow::Result<usize> {
    let mut deals = Vec::with_capacity(range.len());
    let mut touches = Vec::with_capacity(range.len() * plan.per_deal);
    for i in range {
        let opened = plan.start + i64::try_from(rng.below(700))? * DAY_MS;
        let cycle = i64::try_from(10 + rng.below(170))? * DAY_MS;
        let closes = opened + cycle;
        let roll = rng.below(12);
        let status = match roll {
            0..=2 if closes < plan.now => "won",
            3..=6 if closes < plan.now => "lost",
            _ => "open",
        };
        let account_id = plan.account_ids[rng.below(plan.account_ids.len())];
        let id = Uuid::now_v7();
        deals.push(OpportunityRow {
            id,
            source_system: "bench".into(),
            external_id: format!("O{i}"),
            account_id: Some(account_id),
            name: format!("Deal {i}"),
            stage: status.into(),
            status: status.into(),
            amount_minor: i64::try_from(100_000 + rng.below(20_000_000))?,
            currency: if rng.below(10) == 0 { "EUR" } else { "USD" }.into(),
            close_date: Some(Timestamp::from_millis(closes).date()),
            opened_on: Some(Timestamp::from_millis(opened).date()),
            probability: None,
            owner_id: None,
            owner_name: String::new(),
            next_step: String::new(),
            last_activity_at: None,
            attributes: Json(json!({})),
            archived: false,
            content_hash: 0,
            version: 1,
            created_at: opened,
            updated_at: opened,
        });
        // Some deals have no partner at all: direct.
        let k = if rng.below(3) == 0 {
            0
        } else {
            rng.below(2 * plan.per_deal + 1)
        };
        for _ in 0..k.min(plan.budget.saturating_sub(touches.len())) {
            let at = opened + i64::try_from(rng.below(usize::try_from(cycle / DAY_MS)?))? * DAY_MS;
            let on_account = rng.below(20) == 0;
            let (org_id, channel, kind) = match rng.below(10) {
                0 => (None, "AWS Marketplace", "marketplace"),
                1 => (None, "Webinars", "campaign"),
                r => (Some(partner(rng, plan.partners)), "", KINDS[r - 2]),
            };
            touches.push(TouchpointRow {
                id: Uuid::now_v7(),
                opportunity_id: (!on_account).then_some(id),
                opportunity_name: None,
                account_id: Some(account_id),
                account_name: None,
                org_id,
                org_name: None,
                channel: channel.into(),
                kind: kind.into(),
                occurred_at: at,
                actor_id: None,
                actor_label: "bench".into(),
                origin: "import".into(),
                source_id: None,
                note: String::new(),
                created_at: at,
            });
        }
    }
    let refs: Vec<&OpportunityRow> = deals.iter().collect();
    let mut tx = services.db().begin().await?;
    opportunity_store::upsert_many(&mut tx.exec(), &refs).await?;
    touch_store::insert_many(&mut tx.exec(), &touches).await?;
    tx.commit().await?;
    Ok(touches.len())
}
