//! The registrations' clock (the `deals.sweep` job, every few minutes): escalate decisions
//! past their SLA, warn partners before their protection ends, and expire it when it has.

use trellis_domain::Timestamp;
use trellis_domain::deals::{DealStatus, RuleId};
use trellis_store::deals::registrations as store;
use trellis_store::platform::users as user_store;

use super::{Registration, Step};
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Result, Services};

/// Registrations handled per kind and run; the next run takes the rest.
const BATCH: usize = 500;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Decisions escalated.
    pub escalated: usize,
    /// Partners warned of an ending protection.
    pub warned: usize,
    /// Registrations expired.
    pub expired: usize,
}

impl Services {
    /// Escalates, warns and expires what is due.
    pub async fn sweep_deals(&self) -> Result<Swept> {
        let now = self.now();
        let mut swept = Swept::default();
        let breached = {
            let mut c = self.db().read().await?;
            store::sla_breached(&mut c.exec(), now.millis(), BATCH).await?
        };
        for row in breached {
            let r = Registration::try_from(row)?;
            self.escalate(&r, now).await?;
            swept.escalated += 1;
        }
        let ended = {
            let mut c = self.db().read().await?;
            store::protection_ending(&mut c.exec(), now.millis(), false, BATCH).await?
        };
        for row in ended {
            self.expire(&Registration::try_from(row)?, now).await?;
            swept.expired += 1;
        }
        // Warning periods are at most 90 days in any version; each registration is checked
        // against the version it was submitted under.
        let horizon = now.plus(std::time::Duration::from_hours(90 * 24));
        let ending = {
            let mut c = self.db().read().await?;
            store::protection_ending(&mut c.exec(), horizon.millis(), true, BATCH).await?
        };
        let mut policies = std::collections::HashMap::new();
        for row in ending {
            let r = Registration::try_from(row)?;
            let warning = if let Some(w) = policies.get(&r.policy_version) {
                *w
            } else {
                let w = self
                    .policy_version(r.policy_version)
                    .await?
                    .policy
                    .expiry_warning();
                policies.insert(r.policy_version, w);
                w
            };
            if r.expiry_warning_due(warning, now) {
                self.warn_expiry(&r, now).await?;
                swept.warned += 1;
            }
        }
        Ok(swept)
    }

    async fn escalate(&self, r: &Registration, now: Timestamp) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(
                &mut tx,
                &Actor::System,
                r,
                r.version,
                now,
                |row| {
                    row.escalated_at = Some(now.millis());
                },
                Step {
                    name: "escalated",
                    event: "deal.sla_breached",
                    rule: None,
                    policy_version: Some(r.policy_version),
                    reason: "no decision within the approval SLA".into(),
                },
            )
            .await?;
        for to in user_store::reviewers(&mut tx.exec()).await? {
            let msg = EmailMessage {
                to,
                subject: format!(
                    "Overdue deal registration: {} ({})",
                    after.company_name, after.partner_name
                ),
                body: format!(
                    "The registration {} from {} for {} was due for a decision at {} and has \
                     none yet.\n\n{}\n",
                    after.reference,
                    after.partner_name,
                    after.company_name,
                    after
                        .sla_due_at
                        .map_or_else(String::new, Timestamp::to_display),
                    self.config().link(&format!("/console/deals/{}", after.id)),
                ),
            };
            email::queue(&mut tx, &msg, now, self.config().job_max_attempts).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn warn_expiry(&self, r: &Registration, now: Timestamp) -> Result<()> {
        let until = r.protected_until.map_or_else(String::new, Timestamp::date);
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(
                &mut tx,
                &Actor::System,
                r,
                r.version,
                now,
                |row| {
                    row.expiry_warned_at = Some(now.millis());
                },
                Step {
                    name: "expiring",
                    event: "deal.expiring",
                    rule: None,
                    policy_version: Some(r.policy_version),
                    reason: format!("protection ends {until}"),
                },
            )
            .await?;
        if let Some(to) =
            user_store::active_email(&mut tx.exec(), after.submitted_by.as_uuid()).await?
        {
            let msg = EmailMessage {
                to,
                subject: format!("Protection ending: {}", after.company_name),
                body: format!(
                    "Your registration {} for {} is protected until {until}. If the deal needs \
                     more time, ask for an extension:\n{}\n",
                    after.reference,
                    after.company_name,
                    self.config().link(&format!("/portal/deals/{}", after.id)),
                ),
            };
            email::queue(&mut tx, &msg, now, self.config().job_max_attempts).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn expire(&self, r: &Registration, now: Timestamp) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let after = self
            .change_in(
                &mut tx,
                &Actor::System,
                r,
                r.version,
                now,
                |row| {
                    DealStatus::Expired.as_str().clone_into(&mut row.status);
                    row.decided_at = Some(now.millis());
                    row.decided_by = None;
                    row.decision_rule = Some(RuleId::ProtectionExpired.as_str().to_owned());
                    row.decision_reason = Some("the protection period ended".into());
                    row.extension_requested_at = None;
                    row.extension_reason = None;
                },
                Step {
                    name: "expired",
                    event: "deal.expired",
                    rule: Some(RuleId::ProtectionExpired),
                    policy_version: Some(r.policy_version),
                    reason: "the protection period ended".into(),
                },
            )
            .await?;
        self.tell_partner(&mut tx, &after, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Registration {
    /// Whether the partner should now be warned that the protection ends soon: within the
    /// warning period, and not warned since the protection last moved.
    fn expiry_warning_due(&self, warning: std::time::Duration, now: Timestamp) -> bool {
        match self.protected_until {
            Some(until) => {
                until > now && until.minus(warning) <= now && self.expiry_warned_at.is_none()
            }
            None => false,
        }
    }
}
