//! The metrics page's engagement sections: partner satisfaction (score, NPS, per quarter, the
//! partners slipping) and platform adoption (partner users and partners active, user-days,
//! registrations, per month). Segments do not apply to either: neither has an account.

use trellis_domain::psat::SCORE_MAX;
use trellis_service::metrics::{Adoption, Period};
use trellis_service::psat::ProgramPsat;

use super::surveys::{nps, score};
use crate::ui::chart::ColumnChart;
use crate::ui::error::PageResult;
use crate::ui::session::VendorSession;
use crate::ui::view::percent;

/// A partner slipping: id, name, score, the quarter before.
type Slipping = (String, String, String, String);

/// A headline figure: label, value, what it counts.
type Card = (&'static str, String, String);

pub(super) struct Engagement {
    pub psat: Satisfaction,
    pub adoption: Use,
}

pub(super) struct Satisfaction {
    pub cards: Vec<Card>,
    pub chart: ColumnChart,
    /// Quarter, responses, score, NPS.
    pub quarters: Vec<(String, i64, String, String)>,
    pub lowest: Vec<Slipping>,
}

pub(super) struct Use {
    pub cards: Vec<Card>,
    pub chart: ColumnChart,
    /// Month, active users, active partners, user-days, registrations.
    pub months: Vec<(String, i64, i64, i64, i64)>,
}

#[allow(clippy::cast_precision_loss, reason = "shares of small counts")]
fn share(part: i64, whole: i64) -> String {
    percent((whole > 0).then(|| part as f64 / whole as f64))
}

impl Engagement {
    pub(super) async fn load(s: &VendorSession, period: &Period) -> PageResult<Self> {
        Ok(Self {
            psat: Satisfaction::of(&s.services.program_psat(&s.actor, period).await?),
            adoption: Use::of(&s.services.adoption(&s.actor, period).await?),
        })
    }
}

impl Satisfaction {
    fn of(p: &ProgramPsat) -> Self {
        let cards = vec![
            (
                "PSAT",
                score(p.score),
                format!(
                    "out of 100, {} responses from {} partners",
                    p.responses, p.partners
                ),
            ),
            (
                "Net Promoter Score",
                nps(p.nps_score),
                format!(
                    "{} promoters, {} passives, {} detractors",
                    p.nps.promoters, p.nps.passives, p.nps.detractors
                ),
            ),
        ];
        let periods: Vec<(String, Vec<i64>, String)> = p
            .quarters
            .iter()
            .map(|q| {
                (
                    q.quarter.clone(),
                    vec![q.score.unwrap_or(0)],
                    format!("PSAT {}, {} responses", score(q.score), q.responses),
                )
            })
            .collect();
        Self {
            cards,
            chart: ColumnChart::scaled(
                "PSAT per quarter, out of 100",
                &["PSAT"],
                &periods,
                SCORE_MAX,
            ),
            quarters: p
                .quarters
                .iter()
                .map(|q| {
                    (
                        q.quarter.clone(),
                        q.responses,
                        score(q.score),
                        nps(q.nps_score),
                    )
                })
                .collect(),
            lowest: p
                .lowest
                .iter()
                .map(|l| {
                    (
                        l.org_id.to_string(),
                        l.name.clone(),
                        score(l.score),
                        score(l.previous),
                    )
                })
                .collect(),
        }
    }
}

impl Use {
    fn of(a: &Adoption) -> Self {
        let cards = vec![
            (
                "Active partner users",
                a.active_users.to_string(),
                format!(
                    "{} of {} who can sign in",
                    share(a.active_users, a.partner_users),
                    a.partner_users
                ),
            ),
            (
                "Active partners",
                a.active_partners.to_string(),
                format!(
                    "{} of {} in the program",
                    share(a.active_partners, a.partners),
                    a.partners
                ),
            ),
            (
                "Days of use",
                a.sign_in_days.to_string(),
                "each partner user counts once a day".to_owned(),
            ),
            (
                "Deals registered",
                a.registrations.to_string(),
                format!("by {} partners", a.registering_partners),
            ),
        ];
        let periods: Vec<(String, Vec<i64>, String)> = a
            .months
            .iter()
            .map(|m| {
                (
                    m.month.clone(),
                    vec![m.active_users],
                    format!("{} active partner users", m.active_users),
                )
            })
            .collect();
        Self {
            cards,
            chart: ColumnChart::stacked(
                "Active partner users per month",
                &["Active users"],
                &periods,
            ),
            months: a
                .months
                .iter()
                .map(|m| {
                    (
                        m.month.clone(),
                        m.active_users,
                        m.active_partners,
                        m.sign_in_days,
                        m.registrations,
                    )
                })
                .collect(),
        }
    }
}
