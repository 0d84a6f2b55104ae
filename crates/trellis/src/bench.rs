//! `trellis bench api`: the JSON API under load. A server runs in this process on a fresh
//! database seeded with the demo; C clients, each with its own keep-alive connection, send N
//! authenticated requests per scenario, and one JSON line reports throughput, latency
//! percentiles, errors and memory.

pub(crate) mod attribution;
pub(crate) mod deals;
pub(crate) mod directory;
pub(crate) mod import;
pub(crate) mod matching;
pub(crate) mod metrics;
pub(crate) mod psi;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use trellis_store::{Backend, DatabaseUrl};
use url::Url;

use crate::cli::bench::ApiArgs;
use crate::cli::serve;
use crate::config::{Config, ConfigError, base_url_for};
use crate::demo;

/// The printed line; fields in this order.
#[derive(Debug, Serialize)]
struct Report {
    bench: &'static str,
    backend: &'static str,
    cores: usize,
    list: Figures,
    create: Figures,
    /// After seeding, before load; `None` off Linux.
    idle_rss_mb: Option<f64>,
    /// The high-water mark at the end.
    peak_rss_mb: Option<f64>,
}

/// The figures of one scenario.
#[derive(Debug, Serialize)]
struct Figures {
    requests: usize,
    concurrency: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

/// One benchmark scenario.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// `GET /api/v1/orgs?limit=50`.
    List,
    /// `POST /api/v1/orgs` with a unique name.
    Create,
}

/// Runs the benchmark and prints its JSON line.
pub(crate) async fn api(args: &ApiArgs, mut config: Config) -> anyhow::Result<()> {
    let requests = usize::try_from(args.requests).context("--requests is too large")?;
    let concurrency = usize::try_from(args.concurrency).context("--concurrency is too large")?;
    // A fresh SQLite database in a directory removed at the end, unless told otherwise.
    let mut scratch = None;
    if let Some(url) = &args.database_url {
        let url =
            DatabaseUrl::parse(url).map_err(|e| ConfigError(format!("--database-url: {e}")))?;
        config.store.url = Some(url);
    } else {
        let dir = tempfile::tempdir().context("creating a temporary data directory")?;
        config.store.url = None;
        config.store.data_dir = dir.path().to_path_buf();
        scratch = Some(dir);
    }
    config.web.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.service.base_url = base_url_for(config.web.bind);

    let db = serve::open(&config, true).await?;
    let backend = match db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let (listener, config) = serve::bind(config).await?;
    let services = serve::services(db, &config);
    if demo::seed(&services, demo::DEFAULT_PASSWORD)
        .await?
        .is_none()
    {
        tracing::warn!("the database already had a vendor organisation; the demo was not seeded");
    }
    let tag = services.now().millis();
    let runner = serve::runner(&services, &config)?;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(serve::supervise(
        services,
        Some((listener, config.web.clone())),
        runner,
        cancel.clone(),
    ));

    let base = config.service.base_url.clone();
    let outcome = async {
        let token = sign_in(&base).await?;
        let idle_rss = proc_status_mb("VmRSS:");
        // A short unmeasured warm-up per scenario fills the statement caches and connection
        // pools, so the figures describe the steady state rather than start-up.
        let warm_up = (requests / 10).max(1);
        tracing::info!(requests, concurrency, "benchmarking GET /api/v1/orgs");
        drive(Scenario::List, &base, &token, warm_up, concurrency, tag).await?;
        let list = drive(Scenario::List, &base, &token, requests, concurrency, tag).await?;
        tracing::info!(requests, concurrency, "benchmarking POST /api/v1/orgs");
        drive(
            Scenario::Create,
            &base,
            &token,
            warm_up,
            concurrency,
            tag - 1,
        )
        .await?;
        let create = drive(Scenario::Create, &base, &token, requests, concurrency, tag).await?;
        anyhow::Ok((idle_rss, list, create))
    }
    .await;
    let peak_rss = proc_status_mb("VmHWM:");
    cancel.cancel();
    server.await.context("the benchmark server panicked")??;
    let (idle_rss, list, create) = outcome?;

    let report = Report {
        bench: "api",
        backend,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        list,
        create,
        idle_rss_mb: idle_rss,
        peak_rss_mb: peak_rss,
    };
    println!("{}", serde_json::to_string(&report)?);
    drop(scratch);
    Ok(())
}

async fn sign_in(base: &Url) -> anyhow::Result<String> {
    let email = "admin@vendor.example";
    let response = reqwest::Client::new()
        .post(base.join("api/v1/auth/login")?)
        .json(&json!({"email": email, "password": demo::DEFAULT_PASSWORD}))
        .send()
        .await
        .with_context(|| format!("signing in as {email}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        bail!("signing in as {email} answered {status}: {body}");
    }
    body.get("token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the login answer has no token: {body}"))
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

async fn drive(
    scenario: Scenario,
    base: &Url,
    token: &str,
    requests: usize,
    concurrency: usize,
    tag: i64,
) -> anyhow::Result<Figures> {
    let path = match scenario {
        Scenario::List => "/api/v1/orgs?limit=50",
        Scenario::Create => "/api/v1/orgs",
    };
    let auth = format!("Bearer {token}");
    let make = move |i: usize, _client: usize| {
        let builder = hyper::Request::builder()
            .uri(path)
            .header(hyper::header::HOST, "127.0.0.1")
            .header(hyper::header::AUTHORIZATION, &auth);
        match scenario {
            Scenario::List => builder.method("GET").body(Full::new(Bytes::new())),
            Scenario::Create => builder
                .method("POST")
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(
                    json!({
                        "name": format!("Bench Partner {tag} {i:07}"),
                        "partner_type": "reseller",
                    })
                    .to_string(),
                ))),
        }
    };
    let figures = load(base, requests, concurrency, make).await?;
    if figures.errors > 0 {
        tracing::warn!(scenario = ?scenario, errors = figures.errors, "requests failed");
    }
    Ok(figures)
}

/// One request of a load: the request number and the client (0..concurrency) sending it.
type MakeRequest =
    dyn Fn(usize, usize) -> Result<hyper::Request<Full<Bytes>>, hyper::http::Error> + Send + Sync;

/// Sends `requests` requests made by `make` from `concurrency` clients and measures them.
async fn load(
    base: &Url,
    requests: usize,
    concurrency: usize,
    make: impl Fn(usize, usize) -> Result<hyper::Request<Full<Bytes>>, hyper::http::Error>
    + Send
    + Sync
    + 'static,
) -> anyhow::Result<Figures> {
    let addr = base
        .socket_addrs(|| None)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("{base} has no address"))?;
    let make: Arc<MakeRequest> = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = JoinSet::new();
    let started = Instant::now();
    for client in 0..concurrency {
        let (next, make) = (next.clone(), make.clone());
        // One keep-alive connection per client, driven by hyper's bare HTTP/1 client: the
        // load generator shares the two cores with the server, so it must cost as little as
        // it can (a pooled high-level client spends about a third of the CPU on itself).
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .context("connecting to the server")?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        clients.spawn(async move {
            let driver = tokio::spawn(connection);
            let mut tally = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let request = make(i, client);
                let sent = Instant::now();
                let result = match request {
                    Ok(r) => send(&mut sender, r).await,
                    Err(e) => Err(e.to_string()),
                };
                tally.latencies.push(sent.elapsed());
                if let Err(e) = result {
                    tally.errors += 1;
                    tally.first_error.get_or_insert(e);
                }
            }
            driver.abort();
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(tally) = clients.join_next().await {
        let tally = tally.context("a benchmark client panicked")?;
        all.latencies.extend(tally.latencies);
        all.errors += tally.errors;
        if all.first_error.is_none() {
            all.first_error = tally.first_error;
        }
    }
    let wall = started.elapsed();
    if let Some(e) = &all.first_error {
        tracing::warn!(errors = all.errors, first = %e, "first failed request");
    }
    Ok(summary(all, wall, concurrency))
}

/// Sends one request and reads the whole body (so the connection can be reused); a non-2xx
/// answer is an error.
async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    request: hyper::Request<Full<Bytes>>,
) -> Result<(), String> {
    sender.ready().await.map_err(|e| format!("{e:#}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{e:#}"))?
        .to_bytes();
    if status.is_success() {
        Ok(())
    } else {
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        Err(format!("{status}: {excerpt}"))
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "request counts and nanoseconds are far below 2^52"
)]
fn summary(mut tally: Tally, wall: Duration, concurrency: usize) -> Figures {
    tally.latencies.sort_unstable();
    let n = tally.latencies.len();
    let percentile = |q: f64| -> f64 {
        if n == 0 {
            return 0.0;
        }
        // Nearest rank.
        let rank = (q * n as f64).ceil().max(1.0);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "rank is between 1 and n"
        )]
        let index = (rank as usize).min(n) - 1;
        round(tally.latencies[index].as_secs_f64() * 1000.0, 3)
    };
    Figures {
        requests: n,
        concurrency,
        rps: round(n as f64 / wall.as_secs_f64().max(1e-9), 1),
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        errors: tally.errors,
    }
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// A `kB` line of `/proc/self/status` in MiB, or `None` off Linux.
#[allow(
    clippy::cast_precision_loss,
    reason = "memory sizes are far below 2^52 kB"
)]
pub(crate) fn proc_status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(round(kb as f64 / 1024.0, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let tally = Tally {
            latencies: (1..=100).rev().map(Duration::from_millis).collect(),
            errors: 2,
            first_error: None,
        };
        let s = summary(tally, Duration::from_secs(2), 4);
        assert!((s.p50_ms - 50.0).abs() < 1e-9, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 1e-9, "{s:?}");
        assert!((s.rps - 50.0).abs() < 1e-9, "{s:?}");
        assert_eq!((s.requests, s.errors), (100, 2));
    }

    #[test]
    fn memory_is_read_from_proc() {
        if cfg!(target_os = "linux") {
            assert!(proc_status_mb("VmRSS:").is_some_and(|mb| mb > 0.0));
        }
    }
}
