//! Recurring jobs: each schedule enqueues its job once per interval, whichever worker (on
//! whichever instance) gets there first.

use std::time::Duration;

use serde_json::json;
use trellis_store::platform::schedules as store;

use crate::outbox::{self, kinds};
use crate::{Result, Services};

/// One recurring job.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// The job kind it enqueues (also the schedule's name).
    pub job: &'static str,
    /// How often.
    pub every: Duration,
}

/// Every recurring job of Trellis.
pub const SCHEDULES: [Schedule; 5] = [
    // Tiers move on figures that change slowly; once a day is what programs expect, and an
    // admin can evaluate everyone on demand.
    Schedule {
        job: kinds::PARTNERS_EVALUATE_TIERS,
        every: Duration::from_hours(24),
    },
    Schedule {
        job: kinds::PARTNERS_REMIND,
        every: Duration::from_hours(1),
    },
    // Approval SLAs are counted in hours: a quarter of an hour is late enough to escalate.
    Schedule {
        job: kinds::DEALS_SWEEP,
        every: Duration::from_mins(15),
    },
    // Dashboards read facts rebuilt whole; hourly keeps them fresh for a program that looks
    // daily, and anyone who just changed something can refresh on demand.
    Schedule {
        job: kinds::METRICS_REFRESH,
        every: Duration::from_hours(1),
    },
    // Surveys are scheduled by the day; within the hour of it is on time.
    Schedule {
        job: kinds::PSAT_SEND,
        every: Duration::from_hours(1),
    },
];

impl Services {
    /// Enqueues the job of every schedule that is due and moves it to its next run. Returns
    /// how many were enqueued. Safe to call from every worker on every instance.
    pub async fn run_due_schedules(&self) -> Result<usize> {
        let mut n = 0;
        for s in SCHEDULES {
            let now = self.now();
            let mut tx = self.db().begin().await?;
            if store::claim(
                &mut tx.exec(),
                s.job,
                now.millis(),
                now.plus(s.every).millis(),
            )
            .await?
            {
                outbox::enqueue(
                    &mut tx,
                    s.job,
                    json!({}),
                    now,
                    now,
                    self.config().job_max_attempts,
                )
                .await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }
}

impl Services {
    /// Queues an evaluation of every partner's tier now, ahead of the daily run.
    pub async fn queue_tier_evaluation(&self, actor: &crate::Actor) -> Result<()> {
        actor.require(trellis_domain::Permission::OrgsManage)?;
        if !actor.is_vendor_side() {
            return Err(crate::Error::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        outbox::enqueue(
            &mut tx,
            kinds::PARTNERS_EVALUATE_TIERS,
            json!({}),
            now,
            now,
            self.config().job_max_attempts,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
