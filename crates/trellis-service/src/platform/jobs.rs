//! The job queue as operators see it (queued and dead jobs, retry) and the primitives the
//! worker runtime in `trellis-jobs` uses (claim, complete, fail with backoff).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use trellis_domain::{JobId, Permission, Timestamp};
use trellis_store::platform::jobs as store;

use super::PageRequest;
use crate::outbox::Change;
use crate::{Actor, Error, Page, Result, Services};

/// A job as operators see it.
#[derive(Clone, Debug, Serialize)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Kind: `email.send`, `webhook.deliver`.
    pub kind: String,
    /// Arguments.
    pub payload: Value,
    /// `queued` or `dead`.
    pub status: String,
    /// When it runs next.
    pub run_at: Timestamp,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: Timestamp,
}

impl From<store::JobRow> for Job {
    fn from(r: store::JobRow) -> Self {
        Self {
            id: JobId::from_uuid(r.id),
            kind: r.kind,
            payload: r.payload.0,
            status: r.status,
            run_at: Timestamp::from_millis(r.run_at),
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            last_error: r.last_error,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

/// Delay before retry number `attempt` (1-based): exponential from 10 s, capped at 6 h, with
/// "equal jitter" (half fixed, half random) so that a burst of failures spreads out.
/// `jitter` is a uniform sample from `[0, 1)`.
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let base = 10_f64 * 2_f64.powi(i32::try_from(attempt.saturating_sub(1).min(20)).unwrap_or(20));
    let capped = base.min(6.0 * 3600.0);
    Duration::from_secs_f64(capped / 2.0 + capped / 2.0 * jitter.clamp(0.0, 1.0))
}

impl Services {
    /// Lists `queued` or `dead` jobs.
    pub async fn list_jobs(
        &self,
        actor: &Actor,
        status: &str,
        page: &PageRequest,
    ) -> Result<Page<Job>> {
        actor.require(Permission::JobsManage)?;
        if !matches!(status, "queued" | "dead") {
            return Err(Error::field("status", "must be queued or dead"));
        }
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        Ok(store::list(&mut c.exec(), status, cursor.as_ref(), limit)
            .await?
            .map(Job::from))
    }

    /// Counts (queued, dead).
    pub async fn job_counts(&self, actor: &Actor) -> Result<(i64, i64)> {
        actor.require(Permission::JobsManage)?;
        let mut c = self.db().read().await?;
        Ok(store::counts(&mut c.exec()).await?)
    }

    /// Puts a dead job back in the queue.
    pub async fn retry_job(&self, actor: &Actor, id: JobId) -> Result<Job> {
        actor.require(Permission::JobsManage)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let job = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if !store::resurrect(&mut tx.exec(), id.as_uuid(), now.millis()).await? {
            return Err(Error::InvalidState("only dead jobs can be retried"));
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "job.retried",
                object_type: "job",
                object_id: id.to_string(),
                org_id: None,
                summary: format!("retried dead {} job", job.kind),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        let fresh = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(fresh.into())
    }

    /// Claims the next due job for `worker`, leased for `lease`.
    pub async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let job = store::claim(
            &mut tx.exec(),
            worker,
            now.millis(),
            now.plus(lease).millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(job.map(Job::from))
    }

    /// Removes a finished job.
    pub async fn complete_job(&self, worker: &str, id: JobId) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let held = store::complete(&mut tx.exec(), id.as_uuid(), worker).await?;
        tx.commit().await?;
        if !held {
            // The lease ran out while the job ran, so another worker may run it again: handlers
            // must be idempotent (webhooks carry a stable id for exactly this reason).
            tracing::warn!(job.id = %id, worker, "job finished after its lease expired");
        }
        Ok(())
    }

    /// Records a failure: retry later with backoff, or bury after the last attempt.
    pub async fn fail_job(&self, worker: &str, job: &Job, error: &str, jitter: f64) -> Result<()> {
        let now = self.now();
        let error: String = error.chars().take(2_000).collect();
        let mut tx = self.db().begin().await?;
        let held = if job.attempts >= job.max_attempts {
            tracing::warn!(job.id = %job.id, job.kind = %job.kind, error = %error, "job failed for the last time");
            store::bury(
                &mut tx.exec(),
                job.id.as_uuid(),
                worker,
                &error,
                now.millis(),
            )
            .await?
        } else {
            let attempt = u32::try_from(job.attempts).unwrap_or(u32::MAX);
            let run_at = now.plus(backoff(attempt, jitter));
            let id = job.id.as_uuid();
            store::retry_later(
                &mut tx.exec(),
                id,
                worker,
                run_at.millis(),
                &error,
                now.millis(),
            )
            .await?
        };
        tx.commit().await?;
        if !held {
            tracing::warn!(job.id = %job.id, worker, "job failed after its lease expired; another worker owns it now");
        }
        Ok(())
    }

    /// When the next queued job is due, so an idle worker can sleep until then.
    pub async fn next_job_due(&self) -> Result<Option<Timestamp>> {
        let mut c = self.db().read().await?;
        let now = self.now().millis();
        Ok(store::next_run_at(&mut c.exec(), now)
            .await?
            .map(Timestamp::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_its_jitter_band_and_caps() {
        assert_eq!(backoff(1, 0.0), Duration::from_secs(5));
        assert_eq!(backoff(1, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(3, 0.5), Duration::from_secs(30));
        assert_eq!(backoff(40, 1.0), Duration::from_hours(6));
        for a in 1..30 {
            assert!(backoff(a, 0.99) <= Duration::from_hours(6));
            assert!(backoff(a + 1, 0.0) >= backoff(a, 0.0));
        }
    }
}
