//! A partner's timeline: status changes, tier decisions and agreement acceptances in one list,
//! newest first, for the partner page and the API.

use serde::Serialize;
use trellis_domain::{OrgId, Permission, Timestamp, UserId};
use trellis_store::partners::{agreements, profiles, tiers};

use super::profiles::{load, visible};
use crate::{Actor, Result, Services};

/// One entry.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// `status`, `tier` or `agreement`.
    pub kind: &'static str,
    /// What happened.
    pub summary: String,
    /// Who; `None` for Trellis itself.
    pub actor_id: Option<UserId>,
}

impl Services {
    /// The partner's timeline, newest first.
    pub async fn partner_timeline(&self, actor: &Actor, id: OrgId) -> Result<Vec<TimelineEntry>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await?;
        let mut out = Vec::new();
        for s in profiles::status_changes(&mut c.exec(), id.as_uuid()).await? {
            let summary = match &s.from_status {
                None => format!("Joined the program as {} ({})", s.to_status, s.reason),
                Some(from) => format!("{from} → {} ({})", s.to_status, s.reason),
            };
            out.push(TimelineEntry {
                at: Timestamp::from_millis(s.created_at),
                kind: "status",
                summary,
                actor_id: s.actor_id.map(UserId::from_uuid),
            });
        }
        for t in tiers::changes_of(&mut c.exec(), id.as_uuid()).await? {
            out.push(TimelineEntry {
                at: Timestamp::from_millis(t.created_at),
                kind: "tier",
                summary: t.reason,
                actor_id: t.actor_id.map(UserId::from_uuid),
            });
        }
        for a in agreements::acceptances(&mut c.exec(), id.as_uuid()).await? {
            out.push(TimelineEntry {
                at: Timestamp::from_millis(a.acceptance.accepted_at),
                kind: "agreement",
                summary: format!(
                    "{} accepted version {} of {}",
                    a.acceptance.accepted_name, a.version, a.title
                ),
                actor_id: Some(UserId::from_uuid(a.acceptance.user_id)),
            });
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        Ok(out)
    }
}

impl Services {
    /// The program's reporting currency (money metrics are in its minor units), for pages
    /// that show tier figures to partners, who cannot read the program settings.
    pub async fn reporting_currency(&self) -> Result<String> {
        Ok(self.program_settings().await?.settings.reporting_currency)
    }
}
