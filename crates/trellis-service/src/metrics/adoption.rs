//! Platform adoption: how many partner users use Trellis, how often, and how many deals
//! partners register, over a period and per month.

use std::collections::HashSet;

use serde::Serialize;
use trellis_domain::Timestamp;
use trellis_store::metrics::adoption as store;

use super::{Period, month_number, month_text};
use crate::{Actor, Error, Result, Services};

/// One month of adoption.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdoptionMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Partner users who used Trellis.
    pub active_users: i64,
    /// Partners with at least one such user.
    pub active_partners: i64,
    /// User-days of use: each user counts once a day.
    pub sign_in_days: i64,
    /// Deals registered.
    pub registrations: i64,
}

/// Adoption over a period.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Adoption {
    /// Partners in the program now (onboarding or active).
    pub partners: i64,
    /// Their users who can sign in now.
    pub partner_users: i64,
    /// Partner users who used Trellis in the period.
    pub active_users: i64,
    /// Partners with at least one such user.
    pub active_partners: i64,
    /// User-days of use in the period.
    pub sign_in_days: i64,
    /// Deals registered in the period.
    pub registrations: i64,
    /// Partners that registered at least one.
    pub registering_partners: i64,
    /// Each month of the period, oldest first, empty months included.
    pub months: Vec<AdoptionMonth>,
}

impl Services {
    /// Partner adoption of the platform over `period` (its segments do not apply: sign-ins
    /// have no account).
    pub async fn adoption(&self, actor: &Actor, period: &Period) -> Result<Adoption> {
        super::readable(actor)?;
        let (Some(from), Some(to), Some(first), Some(last)) = (
            Timestamp::from_date(&period.from),
            Timestamp::from_date(&period.to),
            month_number(&period.from),
            month_number(&period.to),
        ) else {
            return Err(Error::Internal(anyhow::anyhow!("a checked period's days")));
        };
        let mut c = self.db().read().await?;
        let (partner_users, partners) = store::partner_population(&mut c.exec()).await?;
        let (active_users, active_partners, sign_in_days) =
            store::sign_ins(&mut c.exec(), &period.from, &period.to).await?;
        let mut months: Vec<AdoptionMonth> = (first..=last)
            .map(|m| AdoptionMonth {
                month: month_text(m),
                ..AdoptionMonth::default()
            })
            .collect();
        let index = |day: &str| month_number(day).and_then(|m| usize::try_from(m - first).ok());
        for (month, users, orgs, days) in
            store::sign_ins_by_month(&mut c.exec(), &period.from, &period.to).await?
        {
            if let Some(m) = index(&month).and_then(|i| months.get_mut(i)) {
                m.active_users = users;
                m.active_partners = orgs;
                m.sign_in_days = days;
            }
        }
        let registered =
            store::registrations_between(&mut c.exec(), from.millis(), to.millis() + 86_400_000)
                .await?;
        let mut registering = HashSet::new();
        for (org, at) in &registered {
            registering.insert(*org);
            if let Some(m) =
                index(&Timestamp::from_millis(*at).date()).and_then(|i| months.get_mut(i))
            {
                m.registrations += 1;
            }
        }
        Ok(Adoption {
            partners,
            partner_users,
            active_users,
            active_partners,
            sign_in_days,
            registrations: i64::try_from(registered.len()).unwrap_or(i64::MAX),
            registering_partners: i64::try_from(registering.len()).unwrap_or(i64::MAX),
            months,
        })
    }
}
