//! The worker runtime: claim a due job, dispatch it by kind, then complete it or record the
//! failure (retry with backoff, or the dead-letter list after the last attempt). It owns the
//! worker loops and their shutdown; queue state lives in the service layer, never here.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use trellis_service::Services;
use trellis_service::outbox::kinds;
use trellis_service::platform::jobs::Job;

use crate::config::JobsConfig;
use crate::email::Mailer;
use crate::webhooks::Deliverer;

/// Runs queued jobs. Build one per process; [`Runner::run`] starts the worker loops, and
/// tests call [`Runner::run_until_idle`] instead.
#[derive(Debug)]
pub struct Runner {
    services: Services,
    workers: usize,
    schedules: bool,
    poll_interval: Duration,
    lease: Duration,
    mailer: Mailer,
    webhooks: Deliverer,
}

impl Runner {
    /// Checks the settings and builds the SMTP transport and the webhook HTTP client. Nothing
    /// connects yet, so this succeeds while the mail server is down.
    pub fn new(services: Services, config: &JobsConfig) -> anyhow::Result<Self> {
        if config.poll_interval.is_zero() {
            bail!("jobs.poll_interval must be longer than zero");
        }
        // A handler that outlives its lease may be claimed by a second worker and run twice.
        let longest = config.webhook_timeout.max(config.smtp.timeout);
        if config.lease <= longest {
            bail!(
                "jobs.lease ({}) must be longer than jobs.webhook_timeout and \
                 jobs.smtp.timeout ({})",
                describe_duration(config.lease),
                describe_duration(longest)
            );
        }
        Ok(Self {
            mailer: Mailer::new(&config.smtp)?,
            webhooks: Deliverer::new(config.webhook_timeout, config.webhook_allow_private_targets)?,
            services,
            workers: config.workers,
            schedules: config.schedules,
            poll_interval: config.poll_interval,
            lease: config.lease,
        })
    }

    /// Claims one due job and runs it. Returns `false` when nothing was due. A failing job is
    /// not an error here (it is recorded on the job); only a database failure is.
    pub async fn run_once(&self, worker: &str) -> anyhow::Result<bool> {
        let Some(job) = self.services.claim_job(worker, self.lease).await? else {
            return Ok(false);
        };
        let span = tracing::info_span!(
            "job",
            job.id = %job.id,
            job.kind = %job.kind,
            job.attempt = job.attempts,
            worker = %worker
        );
        async {
            match self.dispatch(&job).await {
                Ok(()) => {
                    self.services.complete_job(worker, job.id).await?;
                    tracing::debug!("job done");
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::warn!(error = %error, "job failed");
                    self.services
                        .fail_job(worker, &job, &error, rand::random::<f64>())
                        .await?;
                }
            }
            anyhow::Ok(())
        }
        .instrument(span)
        .await?;
        Ok(true)
    }

    /// Runs due jobs one after another until none is due; returns how many ran. Jobs whose
    /// retry lies in the future stay queued: move the clock to run them. No sleeping, so tests
    /// are deterministic.
    pub async fn run_until_idle(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        while self.run_once("run-until-idle").await? {
            n += 1;
        }
        Ok(n)
    }

    /// Runs `workers` loops until `cancel` fires. An idle worker sleeps until the next job is
    /// due, at most `poll_interval`. On cancellation a worker finishes the job in hand (handlers
    /// are bounded by their timeouts) and then stops; an idle one stops at once.
    pub async fn run(self, cancel: CancellationToken) {
        let runner = Arc::new(self);
        let process = format!("{}-{:06x}", std::process::id(), rand::random::<u32>() >> 8);
        let mut loops = tokio::task::JoinSet::new();
        for i in 0..runner.workers {
            let (runner, cancel) = (Arc::clone(&runner), cancel.clone());
            let worker = format!("worker-{process}-{i}");
            loops.spawn(async move { runner.work(&worker, &cancel).await });
        }
        tracing::info!(workers = runner.workers, "job workers started");
        while let Some(done) = loops.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "a job worker panicked");
            }
        }
        tracing::info!("job workers stopped");
    }

    async fn work(&self, worker: &str, cancel: &CancellationToken) {
        while !cancel.is_cancelled() {
            let pause = match self.run_once(worker).await {
                Ok(true) => continue,
                Ok(false) if !self.schedules => self.idle_pause().await,
                Ok(false) => {
                    // Recurring jobs are enqueued by whichever idle worker finds them due
                    // first; checking only when idle keeps a busy queue free of the extra
                    // transactions.
                    match self.services.run_due_schedules().await {
                        Ok(0) => self.idle_pause().await,
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::error!(worker = %worker, error = format!("{e:#}"), "schedules unavailable");
                            self.poll_interval
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(worker = %worker, error = format!("{e:#}"), "job queue unavailable");
                    self.poll_interval
                }
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// How long an idle worker sleeps: until the next job is due, at most `poll_interval`.
    async fn idle_pause(&self) -> Duration {
        let now = self.services.now();
        match self.services.next_job_due().await {
            // A job already due but not claimed is leased by another worker; polling at once
            // would spin, so wait the full interval.
            Ok(Some(due)) if due > now => {
                let ms = u64::try_from(due.millis() - now.millis()).unwrap_or(u64::MAX);
                Duration::from_millis(ms).min(self.poll_interval)
            }
            Ok(_) | Err(_) => self.poll_interval,
        }
    }

    async fn dispatch(&self, job: &Job) -> anyhow::Result<()> {
        match job.kind.as_str() {
            kinds::EMAIL => self.mailer.handle(&job.payload).await,
            kinds::WEBHOOK => self.webhooks.handle(&self.services, job).await,
            kinds::PARTNERS_RESCORE => {
                let version = job
                    .payload
                    .get("ipp_version")
                    .and_then(serde_json::Value::as_i64)
                    .ok_or_else(|| anyhow::anyhow!("the job has no ipp_version"))?;
                let n = self.services.rescore_all(version).await?;
                tracing::info!(rescored = n, ipp_version = version, "rescored partners");
                Ok(())
            }
            kinds::PARTNERS_EVALUATE_TIERS => {
                let n = self.services.evaluate_all_tiers().await?;
                tracing::info!(decisions = n, "evaluated partner tiers");
                Ok(())
            }
            kinds::PARTNERS_REMIND => {
                let n = self.services.remind_overdue_tasks().await?;
                tracing::info!(reminders = n, "chased overdue onboarding tasks");
                Ok(())
            }
            kinds::DEALS_SWEEP => {
                let s = self.services.sweep_deals().await?;
                tracing::info!(
                    escalated = s.escalated,
                    warned = s.warned,
                    expired = s.expired,
                    "swept deal registrations"
                );
                Ok(())
            }
            kinds::MAPPING_RUN => {
                let run = job
                    .payload
                    .get("run_id")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|s| s.parse::<trellis_domain::MappingRunId>().ok())
                    .ok_or_else(|| anyhow::anyhow!("the job has no run_id"))?;
                self.services.execute_mapping_run(run).await?;
                tracing::info!(%run, "ran an account mapping");
                Ok(())
            }
            kinds::METRICS_REFRESH => {
                let r = self.services.refresh_metrics().await?;
                tracing::info!(
                    opportunities = r.opportunities,
                    touchpoints = r.touchpoints,
                    no_rate = r.no_rate,
                    duration_ms = r.duration_ms,
                    "refreshed the ecosystem metrics"
                );
                Ok(())
            }
            kinds::PSAT_SEND => {
                let n = self.services.send_due_surveys().await?;
                tracing::info!(sendings = n, "sent the surveys due");
                Ok(())
            }
            other => bail!("unknown job kind {other:?}: this version of Trellis has no handler"),
        }
    }
}

/// `10 s`, `250 ms`, `2 min`: a duration as operators read it in error messages.
pub(crate) fn describe_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(describe_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(describe_duration(Duration::from_mins(2)), "2 min");
        assert_eq!(describe_duration(Duration::from_secs(90)), "90 s");
    }
}
