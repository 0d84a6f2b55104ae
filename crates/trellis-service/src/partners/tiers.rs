//! Program tiers: definitions with requirements and benefits, and the tier engine run on a
//! schedule and on demand. Every decision is recorded with its reason and figures, shown on
//! the partner's page, sent as an event and e-mailed to the partner: never silently.

use serde::Serialize;
use serde_json::{Value, json};
use trellis_domain::partners::profile::PartnerStatus;
use trellis_domain::partners::tiers::{
    Evaluation, Ladder, Outcome, Requirement, TierDef, TierKey, TierOverride, TierState, evaluate,
};
use trellis_domain::{FieldErrors, OrgId, Permission, Timestamp, UserId};
use trellis_store::partners::profiles as profile_store;
use trellis_store::partners::tiers::{self as store, TierChangeRow, TierRow};
use trellis_store::platform::{orgs as org_store, users as user_store};
use trellis_store::{Exec, Json, Tx};

use super::ipp::require_vendor_reader;
use super::profiles::{Partner, load, visible};
use crate::outbox::Change;
use crate::platform::PageRequest;
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Error, Page, Result, Services};

/// Partners evaluated per transaction by the scheduled run.
const BATCH: usize = 100;

/// A tier as the service returns it.
#[derive(Clone, Debug, Serialize)]
pub struct Tier {
    /// Key, name, rank, requirements and benefits.
    #[serde(flatten)]
    pub def: TierDef,
    /// A longer description for the program page.
    pub description: String,
    /// Partners holding it.
    pub holders: i64,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A tier's definition as sent by a client.
#[derive(Clone, Debug, Default)]
pub struct TierInput {
    /// Key (create only).
    pub key: String,
    /// Name.
    pub name: String,
    /// Rank; higher is better.
    pub rank: u32,
    /// Description.
    pub description: String,
    /// Requirements.
    pub requirements: Vec<Requirement>,
    /// Benefits.
    pub benefits: Vec<String>,
}

/// One recorded tier decision.
#[derive(Clone, Debug, Serialize)]
pub struct TierChange {
    /// Id.
    pub id: uuid::Uuid,
    /// The partner.
    pub org_id: OrgId,
    /// `assigned`, `upgraded`, `downgraded`, `grace_started`, `recovered`, `overridden` or
    /// `override_ended`.
    pub outcome: String,
    /// Tier before.
    pub from_tier: Option<String>,
    /// Tier after.
    pub to_tier: Option<String>,
    /// The sentence shown to people.
    pub reason: String,
    /// The figures behind it: each tier's requirements with the partner's values.
    pub figures: Value,
    /// Who decided; `None` for the tier engine.
    pub actor_id: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

impl From<TierChangeRow> for TierChange {
    fn from(r: TierChangeRow) -> Self {
        Self {
            id: r.id,
            org_id: OrgId::from_uuid(r.org_id),
            outcome: r.outcome,
            from_tier: r.from_tier,
            to_tier: r.to_tier,
            reason: r.reason,
            figures: r.figures.0,
            actor_id: r.actor_id.map(UserId::from_uuid),
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

/// The result of evaluating one partner on demand.
#[derive(Clone, Debug, Serialize)]
pub struct TierDecision {
    /// The engine's evaluation.
    pub evaluation: Evaluation,
    /// One sentence with the figures.
    pub explanation: String,
    /// The partner after the decision was applied.
    pub partner: Partner,
}

fn tier_from_row(r: TierRow, holders: i64) -> Result<Tier> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        Error::Internal(anyhow::anyhow!(
            "stored tier {} has invalid {what}: {e}",
            r.key
        ))
    };
    let def = TierDef {
        key: TierKey::parse(&r.key).map_err(|e| bad("key", &e))?,
        name: r.name.clone(),
        rank: u32::try_from(r.rank).map_err(|e| bad("rank", &e))?,
        requirements: serde_json::from_value(r.requirements.0.clone())
            .map_err(|e| bad("requirements", &e))?,
        benefits: serde_json::from_value(r.benefits.0.clone()).map_err(|e| bad("benefits", &e))?,
    };
    Ok(Tier {
        def,
        description: r.description,
        holders,
        version: r.version,
    })
}

/// The ladder as stored; `None` when no tier is defined.
pub(crate) async fn ladder(ex: &mut Exec<'_>) -> Result<Option<Ladder>> {
    let rows = store::list(ex).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let defs = rows
        .into_iter()
        .map(|r| tier_from_row(r, 0).map(|t| t.def))
        .collect::<Result<Vec<_>>>()?;
    Ladder::new(defs)
        .map(Some)
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored tiers do not form a ladder: {e}")))
}

/// Ladder errors name `tiers[i].field`; a form edits one tier, so drop the index.
fn for_one_tier(errors: &FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for f in errors.iter() {
        let field = match f.field.strip_prefix("tiers[") {
            Some(rest) => rest.split_once("].").map_or(f.field.as_str(), |(_, r)| r),
            None => f.field.as_str(),
        };
        out.add(field, f.message.clone());
    }
    out
}

fn outcome_kind(o: &Outcome) -> String {
    serde_json::to_value(o)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

impl Services {
    /// Every tier, lowest first, with its holders. Partners may read them: the program's
    /// requirements and benefits are no secret to its members.
    pub async fn list_tiers(&self, actor: &Actor) -> Result<Vec<Tier>> {
        actor.require(Permission::OrgsRead)?;
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let holders = if actor.is_vendor_side() {
                store::holders(&mut c.exec(), &r.key).await?
            } else {
                0
            };
            out.push(tier_from_row(r, holders)?);
        }
        Ok(out)
    }

    /// Adds a tier to the ladder.
    pub async fn create_tier(&self, actor: &Actor, input: &TierInput) -> Result<Tier> {
        actor.require(Permission::ProgramManage)?;
        let key = TierKey::parse(&input.key).map_err(|e| Error::field("key", e.to_string()))?;
        let mut tx = self.db().begin().await?;
        let mut defs: Vec<TierDef> = match ladder(&mut tx.exec()).await? {
            Some(l) => l.iter().cloned().collect(),
            None => Vec::new(),
        };
        if defs.iter().any(|d| d.key == key) {
            return Err(Error::field("key", "another tier has this key"));
        }
        let def = TierDef {
            key: key.clone(),
            name: input.name.clone(),
            rank: input.rank,
            requirements: input.requirements.clone(),
            benefits: input.benefits.clone(),
        };
        defs.push(def);
        let ladder = Ladder::new(defs).map_err(|e| Error::Validation(for_one_tier(&e)))?;
        let def = ladder.get(&key).cloned().ok_or(Error::NotFound)?;
        let description = check_description(&input.description)?;
        let now = self.now();
        let row = TierRow {
            key: def.key.to_string(),
            name: def.name.clone(),
            rank: i64::from(def.rank),
            description,
            requirements: Json(
                serde_json::to_value(&def.requirements).map_err(anyhow::Error::from)?,
            ),
            benefits: Json(serde_json::to_value(&def.benefits).map_err(anyhow::Error::from)?),
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        store::insert(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => {
                    Error::field("rank", "another tier has this rank")
                }
                other => other.into(),
            })?;
        let tier = tier_from_row(row, 0)?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.tier_created",
                object_type: "tier",
                object_id: tier.def.key.to_string(),
                org_id: None,
                summary: format!("created the tier {}", tier.def.name),
                before: None,
                after: Some(json!(tier)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(tier)
    }

    /// Changes a tier's name, rank, description, requirements and benefits if `version` is
    /// current. Partners are re-evaluated at the next scheduled run (or on demand).
    pub async fn update_tier(
        &self,
        actor: &Actor,
        key: &str,
        version: i64,
        input: &TierInput,
    ) -> Result<Tier> {
        actor.require(Permission::ProgramManage)?;
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), key)
            .await?
            .ok_or(Error::NotFound)?;
        let holders = store::holders(&mut tx.exec(), key).await?;
        let before = tier_from_row(current.clone(), holders)?;
        let mut defs: Vec<TierDef> = ladder(&mut tx.exec())
            .await?
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default();
        for d in &mut defs {
            if d.key == before.def.key {
                d.name.clone_from(&input.name);
                d.rank = input.rank;
                d.requirements.clone_from(&input.requirements);
                d.benefits.clone_from(&input.benefits);
            }
        }
        let ladder = Ladder::new(defs).map_err(|e| Error::Validation(for_one_tier(&e)))?;
        let description = check_description(&input.description)?;
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let def = ladder
            .get(&before.def.key)
            .cloned()
            .ok_or(Error::NotFound)?;
        let now = self.now();
        let row = TierRow {
            name: def.name.clone(),
            rank: i64::from(def.rank),
            description,
            requirements: Json(
                serde_json::to_value(&def.requirements).map_err(anyhow::Error::from)?,
            ),
            benefits: Json(serde_json::to_value(&def.benefits).map_err(anyhow::Error::from)?),
            updated_at: now.millis(),
            ..current
        };
        let updated = store::update(&mut tx.exec(), &row, version)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => {
                    Error::field("rank", "another tier has this rank")
                }
                other => other.into(),
            })?;
        if !updated {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let after = tier_from_row(
            TierRow {
                version: version + 1,
                ..row
            },
            holders,
        )?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.tier_updated",
                object_type: "tier",
                object_id: key.into(),
                org_id: None,
                summary: format!("updated the tier {}", after.def.name),
                before: Some(json!(before)),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a tier nobody holds.
    pub async fn delete_tier(&self, actor: &Actor, key: &str) -> Result<()> {
        actor.require(Permission::ProgramManage)?;
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), key)
            .await?
            .ok_or(Error::NotFound)?;
        let holders = store::holders(&mut tx.exec(), key).await?;
        if holders > 0 {
            return Err(Error::Conflict(format!(
                "{holders} partners hold this tier; change its requirements or move them first"
            )));
        }
        let before = tier_from_row(current, 0)?;
        store::delete(&mut tx.exec(), key).await?;
        let now = self.now();
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.tier_deleted",
                object_type: "tier",
                object_id: key.into(),
                org_id: None,
                summary: format!("deleted the tier {}", before.def.name),
                before: Some(json!(before)),
                after: None,
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Evaluates one partner now and applies the decision.
    pub async fn evaluate_partner_tier(&self, actor: &Actor, id: OrgId) -> Result<TierDecision> {
        actor.require(Permission::OrgsManage)?;
        visible(actor, id)?;
        let mut tx = self.db().begin().await?;
        let now = self.now();
        let (evaluation, explanation) = self
            .evaluate_tier_in(&mut tx, actor, id, now)
            .await?
            .ok_or(Error::InvalidState(
                "no tiers are defined yet, or the partner is suspended or terminated",
            ))?;
        let partner = load(&mut tx.exec(), id).await?;
        tx.commit().await?;
        Ok(TierDecision {
            evaluation,
            explanation,
            partner,
        })
    }

    /// Evaluates every partner (the scheduled job). Returns how many decisions were recorded.
    pub async fn evaluate_all_tiers(&self) -> Result<usize> {
        let ids = {
            let mut c = self.db().read().await?;
            profile_store::all_ids(&mut c.exec()).await?
        };
        let mut recorded = 0;
        for batch in ids.chunks(BATCH) {
            let mut tx = self.db().begin().await?;
            let now = self.now();
            for id in batch {
                if let Some((e, _)) = self
                    .evaluate_tier_in(&mut tx, &Actor::System, OrgId::from_uuid(*id), now)
                    .await?
                    && e.needs_record()
                {
                    recorded += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(recorded)
    }

    /// Puts a partner on a tier by hand, with a reason, until `until` (or until removed).
    pub async fn set_tier_override(
        &self,
        actor: &Actor,
        id: OrgId,
        version: i64,
        tier: &str,
        reason: &str,
        until: Option<Timestamp>,
    ) -> Result<TierDecision> {
        actor.require(Permission::OrgsManage)?;
        visible(actor, id)?;
        let reason = required_reason(reason)?;
        let now = self.now();
        if until.is_some_and(|u| u <= now) {
            return Err(Error::field("until", "must be in the future"));
        }
        let mut tx = self.db().begin().await?;
        let Some(l) = ladder(&mut tx.exec()).await? else {
            return Err(Error::InvalidState("no tiers are defined yet"));
        };
        let key = TierKey::parse(tier)
            .ok()
            .filter(|k| l.get(k).is_some())
            .ok_or_else(|| Error::field("tier", "is not one of the program's tiers"))?;
        let partner = load(&mut tx.exec(), id).await?;
        if partner.version != version {
            return Err(Error::StaleVersion {
                current: partner.version,
            });
        }
        let mut profile = profile_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        profile.tier_override = Some(key.to_string());
        profile.tier_override_reason = Some(reason.clone());
        profile.tier_override_until = until.map(Timestamp::millis);
        profile_store::update(&mut tx.exec(), &profile).await?;
        super::profiles::touch(&mut tx, id, version, now).await?;
        let (evaluation, explanation) = self
            .evaluate_tier_in(&mut tx, actor, id, now)
            .await?
            .ok_or(Error::InvalidState("no tiers are defined yet"))?;
        if !evaluation.needs_record() {
            // Same tier as before: still record the override itself, so it is never silent.
            self.record_tier_change(
                &mut tx,
                actor,
                id,
                "overridden",
                partner.tier.clone(),
                Some(key.to_string()),
                &format!(
                    "Tier set by hand to {}: {reason}",
                    l.get(&key).map_or(key.to_string(), |t| t.name.clone())
                ),
                json!(evaluation.checks),
                now,
            )
            .await?;
        }
        let partner = load(&mut tx.exec(), id).await?;
        tx.commit().await?;
        Ok(TierDecision {
            evaluation,
            explanation,
            partner,
        })
    }

    /// Ends a manual tier override; the engine decides from the figures again (a partner
    /// below its tier's keep thresholds enters the grace period rather than dropping at once).
    pub async fn clear_tier_override(
        &self,
        actor: &Actor,
        id: OrgId,
        version: i64,
        reason: &str,
    ) -> Result<TierDecision> {
        actor.require(Permission::OrgsManage)?;
        visible(actor, id)?;
        let reason = required_reason(reason)?;
        let mut tx = self.db().begin().await?;
        let partner = load(&mut tx.exec(), id).await?;
        if partner.version != version {
            return Err(Error::StaleVersion {
                current: partner.version,
            });
        }
        if partner.tier_override.is_none() {
            return Err(Error::InvalidState("this partner's tier is not overridden"));
        }
        let now = self.now();
        let mut profile = profile_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        profile.tier_override = None;
        profile.tier_override_reason = None;
        profile.tier_override_until = None;
        profile_store::update(&mut tx.exec(), &profile).await?;
        super::profiles::touch(&mut tx, id, version, now).await?;
        self.record_tier_change(
            &mut tx,
            actor,
            id,
            "override_ended",
            partner.tier.clone(),
            partner.tier.clone(),
            &format!("Manual tier override removed: {reason}"),
            json!([]),
            now,
        )
        .await?;
        let (evaluation, explanation) = self
            .evaluate_tier_in(&mut tx, actor, id, now)
            .await?
            .ok_or(Error::InvalidState("no tiers are defined yet"))?;
        let partner = load(&mut tx.exec(), id).await?;
        tx.commit().await?;
        Ok(TierDecision {
            evaluation,
            explanation,
            partner,
        })
    }

    /// Every recorded tier decision, newest first.
    pub async fn list_tier_changes(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> Result<Page<TierChange>> {
        require_vendor_reader(actor)?;
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let rows = store::changes(&mut c.exec(), cursor.as_ref(), limit).await?;
        Ok(rows.map(TierChange::from))
    }

    /// A partner's tier decisions, newest first (its own, for a partner user).
    pub async fn partner_tier_changes(&self, actor: &Actor, id: OrgId) -> Result<Vec<TierChange>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await?;
        Ok(store::changes_of(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .map(TierChange::from)
            .collect())
    }

    /// Puts a new partner on the tier a vendor user chose when adding it.
    pub(crate) async fn assign_initial_tier(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        tier: &str,
        now: Timestamp,
    ) -> Result<()> {
        let Some(l) = ladder(&mut tx.exec()).await? else {
            return Err(Error::field("tier", "no tiers are defined yet"));
        };
        let key = TierKey::parse(tier)
            .ok()
            .filter(|k| l.get(k).is_some())
            .ok_or_else(|| Error::field("tier", "is not one of the program's tiers"))?;
        let mut org = org_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let version = org.version;
        org.tier = Some(key.to_string());
        org.updated_at = now.millis();
        org_store::update(&mut tx.exec(), &org, version).await?;
        let name = l
            .get(&key)
            .map_or_else(|| key.to_string(), |t| t.name.clone());
        self.record_tier_change(
            tx,
            actor,
            id,
            "assigned",
            None,
            Some(key.to_string()),
            &format!("Assigned {name} by hand when the partner was added"),
            json!([]),
            now,
        )
        .await
    }

    /// Evaluates one partner inside `tx` and applies the decision. `None` without tiers.
    pub(crate) async fn evaluate_tier_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        now: Timestamp,
    ) -> Result<Option<(Evaluation, String)>> {
        let Some(l) = ladder(&mut tx.exec()).await? else {
            return Ok(None);
        };
        // A suspended or terminated partner keeps the tier it had: the engine decides (and
        // e-mails) nothing for it until it is active again.
        if matches!(
            load(&mut tx.exec(), id).await?.status,
            PartnerStatus::Suspended | PartnerStatus::Terminated
        ) {
            return Ok(None);
        }
        let settings = super::settings::load(&mut tx.exec()).await?.settings;
        let metrics = super::metrics::refresh(&mut tx.exec(), id, now).await?;
        let partner = load(&mut tx.exec(), id).await?;
        let state = TierState {
            current: partner.tier.as_deref().and_then(|t| TierKey::parse(t).ok()),
            below_since: partner.tier_below_since,
            overridden: partner.tier_override.as_ref().and_then(|o| {
                Some(TierOverride {
                    tier: TierKey::parse(&o.tier).ok()?,
                    reason: o.reason.clone(),
                    until: o.until,
                })
            }),
        };
        let evaluation = evaluate(&l, &settings.tier_policy, &metrics, &state, now);
        let explanation = evaluation.explain(&l, &settings.reporting_currency);
        let next = &evaluation.next_state;

        let mut profile = profile_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        profile.tier_below_since = next.below_since.map(Timestamp::millis);
        profile.tier_override = next.overridden.as_ref().map(|o| o.tier.to_string());
        profile.tier_override_reason = next.overridden.as_ref().map(|o| o.reason.clone());
        profile.tier_override_until = next
            .overridden
            .as_ref()
            .and_then(|o| o.until)
            .map(Timestamp::millis);
        profile.tier_evaluated_at = Some(now.millis());
        profile_store::update(&mut tx.exec(), &profile).await?;
        let new_tier = next.current.as_ref().map(ToString::to_string);
        if new_tier != partner.tier {
            let mut org = org_store::find(&mut tx.exec(), id.as_uuid())
                .await?
                .ok_or(Error::NotFound)?;
            let version = org.version;
            org.tier = new_tier.clone();
            org.updated_at = now.millis();
            org_store::update(&mut tx.exec(), &org, version).await?;
        }
        if evaluation.override_expired {
            self.record_tier_change(
                tx,
                actor,
                id,
                "override_ended",
                partner.tier.clone(),
                partner.tier.clone(),
                "The manual tier override ended on its end date",
                json!([]),
                now,
            )
            .await?;
        }
        if evaluation.outcome.needs_record() {
            let (from, to) = evaluation
                .outcome
                .changes_tier()
                .map_or((partner.tier.clone(), new_tier.clone()), |(f, t)| {
                    (f.map(|k| k.to_string()), t.map(|k| k.to_string()))
                });
            self.record_tier_change(
                tx,
                actor,
                id,
                &outcome_kind(&evaluation.outcome),
                from,
                to,
                &explanation,
                json!(evaluation.checks),
                now,
            )
            .await?;
        }
        Ok(Some((evaluation, explanation)))
    }

    /// Writes a tier decision: the history row, the event (and audit entry), and an e-mail to
    /// the partner's admins.
    #[allow(clippy::too_many_arguments)]
    async fn record_tier_change(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        outcome: &str,
        from: Option<String>,
        to: Option<String>,
        reason: &str,
        figures: Value,
        now: Timestamp,
    ) -> Result<()> {
        let row = TierChangeRow {
            id: uuid::Uuid::now_v7(),
            org_id: id.as_uuid(),
            outcome: outcome.into(),
            from_tier: from,
            to_tier: to,
            reason: reason.into(),
            figures: Json(figures),
            actor_id: actor.user().map(|u| u.user_id.as_uuid()),
            created_at: now.millis(),
        };
        store::insert_change(&mut tx.exec(), &row).await?;
        let change = TierChange::from(row);
        let partner = load(&mut tx.exec(), id).await?;
        let action = match outcome {
            "grace_started" => "partner.tier_grace_started",
            "recovered" => "partner.tier_recovered",
            "override_ended" => "partner.tier_override_ended",
            _ => "partner.tier_changed",
        };
        self.record(
            tx,
            actor,
            now,
            Change {
                action,
                object_type: "partner",
                object_id: id.to_string(),
                org_id: Some(id),
                summary: format!("{}: {reason}", partner.name),
                before: None,
                after: Some(json!(change)),
                publish: true,
            },
        )
        .await?;
        for to in user_store::admins_of(&mut tx.exec(), id.as_uuid()).await? {
            email::queue(
                tx,
                &EmailMessage {
                    to,
                    subject: match outcome {
                        "grace_started" => "Your partner tier: grace period started".to_owned(),
                        "recovered" => "Your partner tier is secure again".to_owned(),
                        _ => "Your partner tier has changed".to_owned(),
                    },
                    body: format!(
                        "{reason}.\n\nSee your tier and the figures behind it in the partner \
                         portal:\n{}\n",
                        self.config().link("/portal/tier")
                    ),
                },
                now,
                self.config().job_max_attempts,
            )
            .await?;
        }
        Ok(())
    }
}

fn required_reason(reason: &str) -> Result<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Error::field("reason", "is required: say why"));
    }
    if r.chars().count() > 500 {
        return Err(Error::field("reason", "must be at most 500 characters"));
    }
    Ok(r.to_owned())
}

fn check_description(d: &str) -> Result<String> {
    let d = d.trim();
    if d.chars().count() > 1000 {
        return Err(Error::field(
            "description",
            "must be at most 1,000 characters",
        ));
    }
    Ok(d.to_owned())
}
