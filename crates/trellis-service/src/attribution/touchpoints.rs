//! Touchpoints: listed, entered by hand, removed, and captured from registrations and co-sell
//! requests in the transaction that changes them.

use serde::Serialize;
use serde_json::json;
use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin, check_channel};
use trellis_domain::{
    AccountId, FieldErrors, OpportunityId, OrgId, Permission, Timestamp, TouchpointId, UserId,
};
use trellis_store::Tx;
use trellis_store::attribution::touchpoints::{self as store, TouchpointFilter, TouchpointRow};
use trellis_store::crm::{accounts, opportunities};
use trellis_store::platform::orgs;

use crate::outbox::Change;
use crate::platform::PageRequest;
use crate::platform::parse_stored;
use crate::{Actor, Error, Page, Result, Services};

/// A touch by a partner or a channel on a vendor opportunity or account.
#[derive(Clone, Debug, Serialize)]
pub struct Touchpoint {
    /// Id.
    pub id: TouchpointId,
    /// The opportunity touched.
    pub opportunity_id: Option<OpportunityId>,
    /// Its name.
    pub opportunity_name: Option<String>,
    /// The account touched (an opportunity's account, or the account alone).
    pub account_id: Option<AccountId>,
    /// Its name.
    pub account_name: Option<String>,
    /// The partner that made the touch.
    pub partner_id: Option<OrgId>,
    /// The partner's name, else the channel's: what attribution credits.
    pub channel: String,
    /// What was done.
    pub kind: TouchpointKind,
    /// When.
    pub occurred_at: Timestamp,
    /// The person who made or entered it.
    pub actor_id: Option<UserId>,
    /// Their name.
    pub actor_label: String,
    /// Where the touchpoint came from.
    pub origin: TouchpointOrigin,
    /// A note.
    pub note: String,
    /// Recorded.
    pub created_at: Timestamp,
}

impl TryFrom<TouchpointRow> for Touchpoint {
    type Error = Error;
    fn try_from(r: TouchpointRow) -> Result<Self> {
        Ok(Self {
            id: TouchpointId::from_uuid(r.id),
            opportunity_id: r.opportunity_id.map(OpportunityId::from_uuid),
            opportunity_name: r.opportunity_name,
            account_id: r.account_id.map(AccountId::from_uuid),
            account_name: r.account_name,
            partner_id: r.org_id.map(OrgId::from_uuid),
            channel: r.org_name.unwrap_or(r.channel),
            kind: parse_stored("kind", &r.kind)?,
            occurred_at: Timestamp::from_millis(r.occurred_at),
            actor_id: r.actor_id.map(UserId::from_uuid),
            actor_label: r.actor_label,
            origin: parse_stored("origin", &r.origin)?,
            note: r.note,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

/// A touchpoint entered by a person (or a file): one of partner and channel, one of
/// opportunity and account.
#[derive(Clone, Debug, Default)]
pub struct TouchpointInput {
    /// The opportunity touched.
    pub opportunity_id: Option<OpportunityId>,
    /// The account touched, when no opportunity is.
    pub account_id: Option<AccountId>,
    /// The partner that made the touch.
    pub partner_id: Option<OrgId>,
    /// Or the channel, when no partner did (`AWS Marketplace`, `Spring webinar`).
    pub channel: String,
    /// `sourced`, `referral`, `co_sell`, `influence`, `marketplace` or `campaign`.
    pub kind: String,
    /// `YYYY-MM-DD` or an RFC 3339 instant; blank for now.
    pub occurred_at: String,
    /// A note (at most 1,000 characters).
    pub note: String,
}

/// Which touchpoints to list.
#[derive(Clone, Debug, Default)]
pub struct TouchpointQuery {
    /// On this opportunity.
    pub opportunity_id: Option<OpportunityId>,
    /// On this account.
    pub account_id: Option<AccountId>,
    /// By this partner.
    pub partner_id: Option<OrgId>,
    /// Of this kind.
    pub kind: Option<TouchpointKind>,
}

/// A touch Trellis captures from one of its own records.
pub(crate) struct Capture {
    pub opportunity_id: OpportunityId,
    pub account_id: Option<AccountId>,
    pub partner_id: OrgId,
    pub kind: TouchpointKind,
    pub occurred_at: Timestamp,
    pub actor_id: Option<UserId>,
    pub actor_label: String,
    pub origin: TouchpointOrigin,
    /// The registration or co-sell request it comes from.
    pub source_id: uuid::Uuid,
}

/// The longest note, in characters.
const NOTE_MAX: usize = 1_000;
/// How far ahead of now a touch may be dated (time zones and clock skew).
const FUTURE_SLACK_MS: i64 = 24 * 3_600 * 1_000;

impl Services {
    /// Touchpoints, latest first.
    pub async fn touchpoints(
        &self,
        actor: &Actor,
        q: &TouchpointQuery,
        page: &PageRequest,
    ) -> Result<Page<Touchpoint>> {
        read_access(actor)?;
        let (after, limit) = page.parse()?;
        let filter = TouchpointFilter {
            opportunity_id: q.opportunity_id.map(OpportunityId::as_uuid),
            account_id: q.account_id.map(AccountId::as_uuid),
            org_id: q.partner_id.map(OrgId::as_uuid),
            kind: q.kind.map(|k| k.as_str().to_owned()),
        };
        let mut c = self.db().read().await?;
        let page = store::list(&mut c.exec(), &filter, after.as_ref(), limit).await?;
        let next = page.next;
        let items = page
            .items
            .into_iter()
            .map(Touchpoint::try_from)
            .collect::<Result<_>>()?;
        Ok(Page { items, next })
    }

    /// The journey of one opportunity: its touchpoints and its account's unclaimed ones,
    /// oldest first.
    pub async fn opportunity_touchpoints(
        &self,
        actor: &Actor,
        id: OpportunityId,
    ) -> Result<Vec<Touchpoint>> {
        read_access(actor)?;
        let mut c = self.db().read().await?;
        if opportunities::find(&mut c.exec(), id.as_uuid())
            .await?
            .is_none()
        {
            return Err(Error::NotFound);
        }
        store::of_opportunity(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .map(Touchpoint::try_from)
            .collect()
    }

    /// One touchpoint.
    pub async fn touchpoint(&self, actor: &Actor, id: TouchpointId) -> Result<Touchpoint> {
        read_access(actor)?;
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Records a touchpoint entered by a person (`origin` manual) or a file (import).
    pub async fn record_touchpoint(
        &self,
        actor: &Actor,
        input: &TouchpointInput,
    ) -> Result<Touchpoint> {
        super::vendor_with(actor, Permission::AttributionManage)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = checked(&mut tx, input, now).await?;
        let row = TouchpointRow {
            actor_id: actor.user().map(|u| u.user_id.as_uuid()),
            actor_label: actor.label(),
            ..row
        };
        store::insert(&mut tx.exec(), &row).await?;
        let after: Touchpoint = store::find(&mut tx.exec(), row.id)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()?;
        self.record_change(&mut tx, actor, "touchpoint.recorded", None, Some(&after))
            .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a touchpoint (a captured one too: a registration later found to be someone
    /// else's deal should not keep crediting its partner); returns what was removed.
    pub async fn remove_touchpoint(&self, actor: &Actor, id: TouchpointId) -> Result<Touchpoint> {
        super::vendor_with(actor, Permission::AttributionManage)?;
        let mut tx = self.db().begin().await?;
        let before: Touchpoint = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()?;
        store::delete(&mut tx.exec(), id.as_uuid()).await?;
        self.record_change(&mut tx, actor, "touchpoint.removed", Some(&before), None)
            .await?;
        crate::metrics::refresh_soon(&mut tx, self.now(), self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(before)
    }

    /// Captures a touch from one of Trellis's own records in the caller's transaction; a
    /// source already captured for that partner is left alone.
    pub(crate) async fn capture_touchpoint(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        capture: Capture,
    ) -> Result<()> {
        let row = TouchpointRow {
            id: TouchpointId::new().as_uuid(),
            opportunity_id: Some(capture.opportunity_id.as_uuid()),
            opportunity_name: None,
            account_id: capture.account_id.map(AccountId::as_uuid),
            account_name: None,
            org_id: Some(capture.partner_id.as_uuid()),
            org_name: None,
            channel: String::new(),
            kind: capture.kind.as_str().to_owned(),
            occurred_at: capture.occurred_at.millis(),
            actor_id: capture.actor_id.map(UserId::as_uuid),
            actor_label: capture.actor_label,
            origin: capture.origin.as_str().to_owned(),
            source_id: Some(capture.source_id),
            note: String::new(),
            created_at: self.now().millis(),
        };
        if !store::insert(&mut tx.exec(), &row).await? {
            return Ok(());
        }
        let after: Touchpoint = store::find(&mut tx.exec(), row.id)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()?;
        self.record_change(tx, actor, "touchpoint.recorded", None, Some(&after))
            .await
    }

    async fn record_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        action: &str,
        before: Option<&Touchpoint>,
        after: Option<&Touchpoint>,
    ) -> Result<()> {
        let Some(t) = after.or(before) else {
            return Ok(());
        };
        let on = t
            .opportunity_name
            .as_deref()
            .or(t.account_name.as_deref())
            .unwrap_or("?");
        let verb = if after.is_some() {
            "recorded"
        } else {
            "removed"
        };
        self.record(
            tx,
            actor,
            self.now(),
            Change {
                action,
                object_type: "touchpoint",
                object_id: t.id.to_string(),
                org_id: t.partner_id,
                summary: format!("{} touch by {} on {on} {verb}", t.kind.label(), t.channel),
                before: before.map(|b| json!(b)),
                after: after.map(|a| json!(a)),
                publish: true,
            },
        )
        .await?;
        Ok(())
    }
}

fn read_access(actor: &Actor) -> Result<()> {
    super::vendor_with(actor, Permission::AttributionRead)
}

/// The row a person's input makes (actor not set), after every check; all problems are named
/// together, by field.
async fn checked(tx: &mut Tx, input: &TouchpointInput, now: Timestamp) -> Result<TouchpointRow> {
    let mut e = FieldErrors::new();
    let kind = input
        .kind
        .trim()
        .parse::<TouchpointKind>()
        .map_err(|m| e.add("kind", m))
        .ok();
    let mut org_id = None;
    let mut channel = String::new();
    match (input.partner_id, input.channel.trim().is_empty()) {
        (Some(_), false) => e.add("channel", "give a partner or a channel, not both"),
        (Some(p), true) => match orgs::find(&mut tx.exec(), p.as_uuid()).await? {
            Some(o) if o.kind == "partner" => org_id = Some(o.id),
            _ => e.add("partner_id", "no such partner"),
        },
        (None, _) => match check_channel(&input.channel) {
            Ok(c) => channel = c,
            Err(m) => e.add("channel", m),
        },
    }
    let mut account_id = None;
    let mut opportunity_id = None;
    if let Some(o) = input.opportunity_id {
        match opportunities::find(&mut tx.exec(), o.as_uuid()).await? {
            Some(row) => {
                opportunity_id = Some(row.id);
                account_id = row.account_id;
                if input
                    .account_id
                    .is_some_and(|a| Some(a.as_uuid()) != row.account_id)
                {
                    e.add("account_id", "is not the opportunity's account");
                }
            }
            None => e.add("opportunity_id", "no such opportunity"),
        }
    } else if let Some(a) = input.account_id {
        match accounts::find(&mut tx.exec(), a.as_uuid()).await? {
            Some(row) => account_id = Some(row.id),
            None => e.add("account_id", "no such account"),
        }
    } else {
        e.add(
            "opportunity_id",
            "name the opportunity (or the account) touched",
        );
    }
    let occurred_at = occurred(&input.occurred_at, now)
        .map_err(|m| e.add("occurred_at", m))
        .ok();
    if input.note.chars().count() > NOTE_MAX {
        e.add("note", "at most 1,000 characters");
    }
    e.into_result()?;
    let (Some(kind), Some(occurred_at)) = (kind, occurred_at) else {
        return Err(Error::Internal(anyhow::anyhow!(
            "checked input without a value"
        )));
    };
    Ok(TouchpointRow {
        id: TouchpointId::new().as_uuid(),
        opportunity_id,
        opportunity_name: None,
        account_id,
        account_name: None,
        org_id,
        org_name: None,
        channel,
        kind: kind.as_str().to_owned(),
        occurred_at: occurred_at.millis(),
        actor_id: None,
        actor_label: String::new(),
        origin: TouchpointOrigin::Manual.as_str().to_owned(),
        source_id: None,
        note: input.note.trim().to_owned(),
        created_at: now.millis(),
    })
}

/// When a touch happened: a date (its midnight, UTC) or an instant; blank for now. Not more
/// than a day ahead.
pub(crate) fn occurred(text: &str, now: Timestamp) -> std::result::Result<Timestamp, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(now);
    }
    let at = Timestamp::parse_rfc3339(text)
        .or_else(|| Timestamp::from_date(text))
        .ok_or("a date (YYYY-MM-DD) or an RFC 3339 instant")?;
    if at.millis() > now.millis() + FUTURE_SLACK_MS {
        return Err("is in the future");
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_touch_is_dated_by_a_date_an_instant_or_now() {
        let now = Timestamp::parse_rfc3339("2026-11-24T12:00:00Z").unwrap();
        assert_eq!(occurred("", now), Ok(now));
        assert_eq!(
            occurred("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00Z"
        );
        assert_eq!(
            occurred("2026-11-24T20:00:00Z", now).unwrap().to_rfc3339(),
            "2026-11-24T20:00:00Z"
        );
        assert!(occurred("2026-11-27", now).is_err());
        assert!(occurred("24/11/2026", now).is_err());
    }
}
