//! `trellis serve` and `trellis worker`, and the start-up steps they share with `demo` and
//! `bench`: open and migrate the database, bind, build the services, then run the web server
//! and the job workers under one cancellation token until a signal (or the caller) stops them.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use trellis_jobs::Runner;
use trellis_service::{Services, SystemClock};
use trellis_store::Db;
use trellis_web::{AppState, WebConfig};

use super::{ServeArgs, WorkerArgs};
use crate::config::{Config, ConfigError, base_url_for};

/// `trellis serve`.
pub(crate) async fn run(args: &ServeArgs, config: Config) -> anyhow::Result<()> {
    let db = open(&config, !args.no_migrate).await?;
    let (listener, config) = bind(config).await?;
    let services = services(db, &config);
    warm_up(&services);
    let runner = runner(&services, &config)?;
    let cancel = CancellationToken::new();
    stop_on_signal(cancel.clone());
    supervise(services, Some((listener, config.web)), runner, cancel).await
}

/// Builds the in-memory indexes in the background, so the first deal registration after a
/// start does not wait for a CRM's worth of accounts to be read. Requests that come sooner
/// build them themselves (one at a time), so a failure here only costs that.
pub(crate) fn warm_up(services: &Services) {
    let services = services.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let warmed = services.warm_conflict_index().await;
        let ms = started.elapsed().as_millis();
        if let Err(e) = &warmed {
            tracing::warn!(error = %e, "building the conflict index failed; retried on use");
        }
        if let Ok(entries) = warmed {
            tracing::info!(entries, ms, "conflict index ready");
        }
    });
}

/// `trellis worker`.
pub(crate) async fn run_worker(args: &WorkerArgs, config: Config) -> anyhow::Result<()> {
    if config.jobs.workers == 0 {
        return Err(ConfigError(
            "jobs.workers: is 0, so `trellis worker` would have nothing to run".into(),
        )
        .into());
    }
    let db = open(&config, !args.no_migrate).await?;
    let services = services(db, &config);
    let runner = runner(&services, &config)?;
    let cancel = CancellationToken::new();
    stop_on_signal(cancel.clone());
    supervise(services, None, runner, cancel).await
}

/// Connects to the configured database and, if asked, applies pending migrations.
pub(crate) async fn open(config: &Config, migrate: bool) -> anyhow::Result<Db> {
    let url = config.store.effective_url();
    let db = Db::connect(&config.store)
        .await
        .map_err(anyhow::Error::from)
        .with_context(|| format!("opening the database {url}"))?;
    if migrate {
        db.migrate()
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("applying migrations to {url}"))?;
    }
    tracing::info!(database = %url, migrated = migrate, "database ready");
    Ok(db)
}

/// Binds `web.bind`; when `service.base_url` follows the bind address, it now names the
/// address actually bound (which matters for port 0).
pub(crate) async fn bind(mut config: Config) -> anyhow::Result<(TcpListener, Config)> {
    let listener = TcpListener::bind(config.web.bind)
        .await
        .with_context(|| format!("listening on {} (web.bind)", config.web.bind))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    if config.base_url_follows_bind() {
        config.service.base_url = base_url_for(addr);
    }
    config.web.bind = addr;
    Ok((listener, config))
}

/// The use cases over `db`, on the system clock.
pub(crate) fn services(db: Db, config: &Config) -> Services {
    Services::new(db, Arc::new(SystemClock), config.service.clone())
}

/// The job runner, unless `jobs.workers` is 0. Its settings are checked here, and a bad one
/// is a configuration error.
pub(crate) fn runner(services: &Services, config: &Config) -> anyhow::Result<Option<Runner>> {
    if config.jobs.workers == 0 {
        tracing::info!("jobs.workers is 0: this process runs no job workers");
        return Ok(None);
    }
    Runner::new(services.clone(), &config.jobs)
        .map(Some)
        .map_err(|e| ConfigError(format!("{e:#}")).into())
}

/// Cancels `cancel` on Ctrl-C or SIGTERM; a second signal exits at once.
pub(crate) fn stop_on_signal(cancel: CancellationToken) {
    tokio::spawn(async move {
        let signal = next_signal().await;
        tracing::info!(
            signal,
            "shutting down: finishing open requests and jobs in hand (signal again to stop now)"
        );
        cancel.cancel();
        let signal = next_signal().await;
        tracing::warn!(signal, "second signal: stopping now");
        std::process::exit(130);
    });
}

async fn next_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

/// Runs the web server (if given a listener) and the job workers (if given a runner) until
/// `cancel` fires, or until one of them stops on its own, which stops the other: a process
/// that silently lost its web server or its workers would look healthy and do nothing.
/// Closes the database at the end.
pub(crate) async fn supervise(
    services: Services,
    web: Option<(TcpListener, WebConfig)>,
    runner: Option<Runner>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut tasks = JoinSet::new();
    let mut names = HashMap::new();
    if let Some((listener, web_config)) = web {
        let url = services.config().base_url.clone();
        let router = trellis_web::router(AppState::new(services.clone(), web_config));
        let stop = cancel.clone().cancelled_owned();
        let task = tasks.spawn(async move {
            trellis_web::serve(listener, router, stop)
                .await
                .context("serving HTTP")
        });
        names.insert(task.id(), "web server");
        tracing::info!(url = %url, "web server started");
    }
    if let Some(runner) = runner {
        let stop = cancel.clone();
        let task = tasks.spawn(async move {
            runner.run(stop).await;
            Ok(())
        });
        names.insert(task.id(), "job workers");
    }
    let mut failure: Option<anyhow::Error> = None;
    while let Some(joined) = tasks.join_next_with_id().await {
        let (name, result) = match joined {
            Ok((id, result)) => (names.get(&id).copied().unwrap_or("task"), result),
            Err(e) => (
                names.get(&e.id()).copied().unwrap_or("task"),
                Err(anyhow::anyhow!("panicked: {e}")),
            ),
        };
        match result {
            Ok(()) if cancel.is_cancelled() => tracing::info!(task = name, "stopped"),
            Ok(()) => {
                tracing::error!(task = name, "stopped unexpectedly; shutting down");
                failure.get_or_insert_with(|| anyhow::anyhow!("the {name} stopped unexpectedly"));
            }
            Err(e) => {
                tracing::error!(
                    task = name,
                    error = format!("{e:#}"),
                    "failed; shutting down"
                );
                failure.get_or_insert(e.context(format!("the {name} failed")));
            }
        }
        cancel.cancel();
    }
    services.db().close().await;
    tracing::info!("shut down");
    failure.map_or(Ok(()), Err)
}
