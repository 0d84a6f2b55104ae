//! The partner side: a user's open invitations and their answers.

use serde::Serialize;
use serde_json::json;
use trellis_domain::partners::metrics::Metric;
use trellis_domain::psat::{self, Answer, Question};
use trellis_domain::{FieldErrors, OrgId, Permission, SurveyInvitationId, Timestamp};
use trellis_store::Exec;
use trellis_store::Json;
use trellis_store::partners::metrics::{self as metric_store, MetricRow};
use trellis_store::psat::{self as store, InvitationView, ResponseRow};
use uuid::Uuid;

use super::stored_questions;
use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// A survey as one partner user is invited to answer it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    /// The invitation's id: the partner side's handle on the survey.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: SurveyInvitationId,
    /// The survey's title.
    pub title: String,
    /// Its introduction.
    pub intro: String,
    /// What it asks, in order; answers follow the same order.
    pub questions: Vec<Question>,
    /// When it was sent.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub sent_at: Timestamp,
    /// When it stops taking answers.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub closes_at: Timestamp,
    /// Whether this user has answered.
    pub answered: bool,
    /// Whether it still takes answers (open and not yet answered).
    pub open: bool,
}

impl Invitation {
    fn of(v: InvitationView, now: Timestamp) -> Result<Self> {
        let answered = v.responded_at.is_some();
        Ok(Self {
            id: SurveyInvitationId::from_uuid(v.id),
            title: v.title,
            intro: v.intro,
            questions: stored_questions(v.questions.0)?,
            sent_at: Timestamp::from_millis(v.sent_at),
            closes_at: Timestamp::from_millis(v.closes_at),
            answered,
            open: !answered && v.closes_at > now.millis(),
        })
    }
}

/// Answers, one per question in order: a number for a scale question, text (or nothing) for
/// a comment.
#[derive(Clone, Debug, Default)]
pub struct ResponseInput {
    /// The answers.
    pub answers: Vec<Option<Answer>>,
}

/// A partner's PSAT metric covers the responses of the last twelve months, as its window says.
const WINDOW_MS: i64 = 365 * 86_400_000;

/// The partner user an invitation belongs to may read it; for anyone else it does not exist.
async fn own(ex: &mut Exec<'_>, actor: &Actor, id: SurveyInvitationId) -> Result<InvitationView> {
    actor.require(Permission::OrgsRead)?;
    let (Some(user), Some(_)) = (actor.user(), actor.partner_scope()) else {
        return Err(Error::NotFound);
    };
    store::find_invitation(ex, id.as_uuid())
        .await?
        .filter(|v| v.user_id == user.user_id.as_uuid())
        .ok_or(Error::NotFound)
}

impl Services {
    /// The surveys waiting for this partner user's answer, soonest closing first.
    pub async fn my_survey_invitations(&self, actor: &Actor) -> Result<Vec<Invitation>> {
        actor.require(Permission::OrgsRead)?;
        let (Some(user), Some(_)) = (actor.user(), actor.partner_scope()) else {
            return Ok(Vec::new());
        };
        let now = self.now();
        let mut c = self.db().read().await?;
        store::open_invitations(&mut c.exec(), user.user_id.as_uuid(), now.millis())
            .await?
            .into_iter()
            .map(|v| Invitation::of(v, now))
            .collect()
    }

    /// One of this partner user's invitations.
    pub async fn survey_invitation(
        &self,
        actor: &Actor,
        id: SurveyInvitationId,
    ) -> Result<Invitation> {
        let mut c = self.db().read().await?;
        Invitation::of(own(&mut c.exec(), actor, id).await?, self.now())
    }

    /// Records this partner user's answers, once, while the survey is open; the partner's PSAT
    /// metric follows.
    pub async fn answer_survey(
        &self,
        actor: &Actor,
        id: SurveyInvitationId,
        input: &ResponseInput,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let v = own(&mut tx.exec(), actor, id).await?;
        if v.responded_at.is_some() {
            return Err(Error::InvalidState("you have answered this survey already"));
        }
        if v.closes_at <= now.millis() {
            return Err(Error::InvalidState("this survey has closed"));
        }
        let questions = stored_questions(v.questions.0.clone())?;
        let answers: Vec<Option<Answer>> = input
            .answers
            .iter()
            .map(|a| match a {
                Some(Answer::Text(t)) if t.trim().is_empty() => None,
                Some(Answer::Text(t)) => Some(Answer::Text(t.trim().to_owned())),
                other => other.clone(),
            })
            .collect();
        let mut e = FieldErrors::new();
        for (i, message) in psat::check_answers(&questions, &answers) {
            e.add(format!("answers[{i}]"), message);
        }
        e.into_result()?;
        if !store::mark_responded(&mut tx.exec(), v.id, now.millis()).await? {
            return Err(Error::InvalidState("you have answered this survey already"));
        }
        store::insert_response(
            &mut tx.exec(),
            &ResponseRow {
                id: Uuid::now_v7(),
                wave_id: v.wave_id,
                survey_id: v.survey_id,
                org_id: v.org_id,
                answers: Json(json!(answers)),
                score: psat::score(&questions, &answers),
                recommend: psat::recommendation(&questions, &answers),
                submitted_at: now.millis(),
            },
        )
        .await?;
        write_psat_metric(&mut tx.exec(), v.org_id, now).await?;
        // The audit says who answered, never what: answers belong to the organisation.
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "survey.answered",
                object_type: "survey",
                object_id: v.survey_id.to_string(),
                org_id: Some(OrgId::from_uuid(v.org_id)),
                summary: format!("answered the survey {}", v.title),
                before: None,
                after: Some(json!({"wave_id": v.wave_id})),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Sets a partner's PSAT metric to the mean score of its responses over the last twelve
/// months, in whole points.
async fn write_psat_metric(ex: &mut Exec<'_>, org_id: Uuid, now: Timestamp) -> Result<()> {
    let (sum, n) = store::org_scores_since(ex, org_id, now.millis() - WINDOW_MS).await?;
    let Some(mean) = psat::mean(sum, n) else {
        return Ok(());
    };
    metric_store::put(
        ex,
        &MetricRow {
            org_id,
            metric: Metric::Psat.as_str().into(),
            value: psat::mean(mean, 100).unwrap_or(0),
            source: "psat".into(),
            updated_at: now.millis(),
        },
    )
    .await?;
    Ok(())
}
