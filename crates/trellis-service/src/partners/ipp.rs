//! The Ideal Partner Profile: weighted criteria, versioned; every partner and every pending
//! application carries a fit score under the current version, with each criterion's
//! contribution. Saving a new version rescores everyone in a background job and keeps the
//! scores under older versions as history.

use serde::Serialize;
use serde_json::json;
use trellis_domain::partners::ipp::{Criterion, FitProfile, FitScore, Ipp};
use trellis_domain::{OrgId, Permission, Timestamp, UserId};
use trellis_store::partners::ipp::{self as store, FitScoreRow, IppVersionRow};
use trellis_store::partners::{applications as app_store, profiles as profile_store};
use trellis_store::{Exec, Json, Tx};

use super::profiles::{Partner, load, visible};
use crate::outbox::{self, Change, kinds};
use crate::{Actor, Error, Result, Services};

/// How many partners a preview scores.
const PREVIEW_PARTNERS: usize = 200;
/// Partners rescored per transaction by the rescoring job.
const RESCORE_BATCH: usize = 200;

/// One saved version of the IPP.
#[derive(Clone, Debug, Serialize)]
pub struct IppVersion {
    /// Version number, from 1.
    pub version: i64,
    /// The criteria.
    pub ipp: Ipp,
    /// What changed and why.
    pub note: String,
    /// Who saved it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

impl TryFrom<IppVersionRow> for IppVersion {
    type Error = Error;
    fn try_from(r: IppVersionRow) -> Result<Self> {
        Ok(Self {
            version: r.version,
            ipp: serde_json::from_value(r.criteria.0).map_err(|e| {
                Error::Internal(anyhow::anyhow!(
                    "stored IPP version {} is not valid: {e}",
                    r.version
                ))
            })?,
            note: r.note,
            created_by: r.created_by.map(UserId::from_uuid),
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

/// A score under one IPP version.
#[derive(Clone, Debug, Serialize)]
pub struct ScoredFit {
    /// The IPP version.
    pub ipp_version: i64,
    /// Score and per-criterion contributions.
    pub fit: FitScore,
    /// When it was computed.
    pub scored_at: Timestamp,
}

impl TryFrom<FitScoreRow> for ScoredFit {
    type Error = Error;
    fn try_from(r: FitScoreRow) -> Result<Self> {
        Ok(Self {
            ipp_version: r.ipp_version,
            fit: serde_json::from_value(r.breakdown.0).map_err(|e| {
                Error::Internal(anyhow::anyhow!("stored fit score is not valid: {e}"))
            })?,
            scored_at: Timestamp::from_millis(r.scored_at),
        })
    }
}

/// One partner in an IPP preview: its score now and under the draft.
#[derive(Clone, Debug, Serialize)]
pub struct PreviewRow {
    /// The partner.
    pub partner_id: OrgId,
    /// Its name.
    pub name: String,
    /// Its score under the current version.
    pub current: Option<u8>,
    /// Its score under the draft, with contributions.
    pub draft: FitScore,
}

/// A preview of a draft IPP over a sample of partners.
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    /// The partners, best draft score first.
    pub rows: Vec<PreviewRow>,
    /// Mean draft score of the sample.
    pub mean_draft: f64,
    /// Mean current score of the sample's scored partners.
    pub mean_current: Option<f64>,
}

/// What the fit of a partner is computed from.
pub(crate) fn fit_profile(p: &Partner, now: Timestamp) -> FitProfile {
    FitProfile {
        partner_type: p.partner_type,
        region: p.region,
        country: p.country.clone(),
        specialisations: p.specialisations.clone(),
        employees: p.employees,
        years_in_business: p
            .founded_year
            .and_then(|y| u32::try_from(now.year() - y).ok()),
        customers: p.customers,
    }
}

impl Services {
    /// The current IPP, if one was ever saved.
    pub async fn get_ipp(&self, actor: &Actor) -> Result<Option<IppVersion>> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        store::current(&mut c.exec())
            .await?
            .map(IppVersion::try_from)
            .transpose()
    }

    /// Every saved version, newest first.
    pub async fn ipp_history(&self, actor: &Actor) -> Result<Vec<IppVersion>> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        store::versions(&mut c.exec())
            .await?
            .into_iter()
            .map(IppVersion::try_from)
            .collect()
    }

    /// Saves a new IPP version if `current_version` (0 before the first) is still the newest,
    /// and queues the rescoring of every partner and pending application.
    pub async fn save_ipp(
        &self,
        actor: &Actor,
        current_version: i64,
        criteria: Vec<Criterion>,
        note: &str,
    ) -> Result<IppVersion> {
        actor.require(Permission::ProgramManage)?;
        let ipp = Ipp::new(criteria)?;
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(Error::field("note", "must be at most 500 characters"));
        }
        let mut tx = self.db().begin().await?;
        let newest = store::current(&mut tx.exec())
            .await?
            .map_or(0, |r| r.version);
        if newest != current_version {
            return Err(Error::StaleVersion { current: newest });
        }
        let now = self.now();
        let row = IppVersionRow {
            version: newest + 1,
            criteria: Json(serde_json::to_value(&ipp).map_err(anyhow::Error::from)?),
            note: note.into(),
            created_by: actor.user().map(|u| u.user_id.as_uuid()),
            created_at: now.millis(),
        };
        store::insert_version(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => Error::StaleVersion {
                    current: newest + 1,
                },
                other => other.into(),
            })?;
        let saved = IppVersion::try_from(row)?;
        outbox::enqueue(
            &mut tx,
            kinds::PARTNERS_RESCORE,
            json!({"ipp_version": saved.version}),
            now,
            now,
            self.config().job_max_attempts,
        )
        .await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.ipp_changed",
                object_type: "ipp",
                object_id: saved.version.to_string(),
                org_id: None,
                summary: format!(
                    "saved version {} of the Ideal Partner Profile ({} criteria)",
                    saved.version,
                    saved.ipp.criteria().len()
                ),
                before: None,
                after: Some(json!(saved)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Scores a sample of partners with a draft IPP, beside their current scores, without
    /// saving anything.
    pub async fn preview_ipp(&self, actor: &Actor, criteria: Vec<Criterion>) -> Result<Preview> {
        require_vendor_reader(actor)?;
        let ipp = Ipp::new(criteria)?;
        let now = self.now();
        let partners = self.first_partners(PREVIEW_PARTNERS).await?;
        let mut rows: Vec<PreviewRow> = partners
            .iter()
            .map(|p| PreviewRow {
                partner_id: p.id,
                name: p.name.clone(),
                current: p.fit_score,
                draft: ipp.score(&fit_profile(p, now)),
            })
            .collect();
        rows.sort_by(|a, b| b.draft.score.cmp(&a.draft.score).then(a.name.cmp(&b.name)));
        // A sample of at most a few hundred scores: no precision is lost in the cast.
        #[allow(clippy::cast_precision_loss)]
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let drafts: Vec<f64> = rows.iter().map(|r| f64::from(r.draft.score)).collect();
        let currents: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.current)
            .map(f64::from)
            .collect();
        Ok(Preview {
            mean_draft: mean(&drafts).unwrap_or(0.0),
            mean_current: mean(&currents),
            rows,
        })
    }

    /// A partner's fit under every IPP version it was scored with, newest first.
    pub async fn fit_history(&self, actor: &Actor, id: OrgId) -> Result<Vec<ScoredFit>> {
        require_vendor_reader(actor)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await?;
        store::scores(&mut c.exec(), "partner", id.as_uuid())
            .await?
            .into_iter()
            .map(ScoredFit::try_from)
            .collect()
    }

    /// Rescores every partner and pending application with IPP `version` (the job behind
    /// [`Services::save_ipp`]). Stops quietly if a newer version has been saved since: that
    /// version's own job will do the work.
    pub async fn rescore_all(&self, version: i64) -> Result<usize> {
        let ids = {
            let mut c = self.db().read().await?;
            match store::current(&mut c.exec()).await? {
                Some(r) if r.version == version => {}
                _ => return Ok(0),
            }
            profile_store::all_ids(&mut c.exec()).await?
        };
        let mut n = 0;
        for batch in ids.chunks(RESCORE_BATCH) {
            let mut tx = self.db().begin().await?;
            let now = self.now();
            for id in batch {
                self.score_partner_in(&mut tx, OrgId::from_uuid(*id), now)
                    .await?;
                n += 1;
            }
            // Recorded, like every change: the audit trail shows the rescoring, and the
            // directory index (stamped by the audit log) picks up the new scores.
            self.record(
                &mut tx,
                &Actor::System,
                now,
                Change {
                    action: "program.partners_rescored",
                    object_type: "ipp",
                    object_id: version.to_string(),
                    org_id: None,
                    summary: format!(
                        "rescored {} partners with version {version} of the Ideal Partner Profile",
                        batch.len()
                    ),
                    before: None,
                    after: None,
                    publish: false,
                },
            )
            .await?;
            tx.commit().await?;
        }
        let pending = {
            let mut c = self.db().read().await?;
            app_store::pending_ids(&mut c.exec()).await?
        };
        for batch in pending.chunks(RESCORE_BATCH) {
            let mut tx = self.db().begin().await?;
            let now = self.now();
            for id in batch {
                self.score_application_in(&mut tx, *id, now).await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    /// Scores one partner with the current IPP inside `tx` (nothing without an IPP).
    pub(crate) async fn score_partner_in(
        &self,
        tx: &mut Tx,
        id: OrgId,
        now: Timestamp,
    ) -> Result<()> {
        let Some((version, ipp)) = current_ipp(&mut tx.exec()).await? else {
            return Ok(());
        };
        let partner = load(&mut tx.exec(), id).await?;
        let fit = ipp.score(&fit_profile(&partner, now));
        put_score(&mut tx.exec(), "partner", id.as_uuid(), version, &fit, now).await?;
        let mut profile = profile_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        profile.fit_score = Some(i64::from(fit.score));
        profile.fit_ipp_version = Some(version);
        profile_store::update(&mut tx.exec(), &profile).await?;
        Ok(())
    }
}

/// The newest IPP and its version number.
pub(crate) async fn current_ipp(ex: &mut Exec<'_>) -> Result<Option<(i64, Ipp)>> {
    store::current(ex)
        .await?
        .map(|r| IppVersion::try_from(r).map(|v| (v.version, v.ipp)))
        .transpose()
}

/// Stores a score in the history.
pub(crate) async fn put_score(
    ex: &mut Exec<'_>,
    subject_type: &str,
    subject_id: uuid::Uuid,
    version: i64,
    fit: &FitScore,
    now: Timestamp,
) -> Result<()> {
    store::put_score(
        ex,
        &FitScoreRow {
            subject_type: subject_type.into(),
            subject_id,
            ipp_version: version,
            score: i64::from(fit.score),
            breakdown: Json(serde_json::to_value(fit).map_err(anyhow::Error::from)?),
            scored_at: now.millis(),
        },
    )
    .await
    .map_err(Error::from)
}

/// Vendor-side readers only: fit scores are the vendor's judgement, not shown to partners.
pub(crate) fn require_vendor_reader(actor: &Actor) -> Result<()> {
    actor.require(Permission::OrgsRead)?;
    if actor.is_vendor_side() {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}
