//! What partners said: per sending (response rate, score, NPS), per question, per partner
//! (with its score in the sending before, to see who is slipping), comments, and the program's
//! PSAT over a period by quarter.

use std::collections::HashMap;

use serde::Serialize;
use trellis_domain::psat::{self, Answer, Nps, Question, QuestionKind};
use trellis_domain::{OrgId, SurveyId, SurveyWaveId, Timestamp};
use trellis_store::psat::{self as store, ResponseView, WaveRow};
use uuid::Uuid;

use super::{Survey, reader, stored_questions};
use crate::metrics::Period;
use crate::{Actor, Error, Result, Services};

/// One sending of a survey.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaveSummary {
    /// Id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: SurveyWaveId,
    /// When it was sent.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub sent_at: Timestamp,
    /// When it stops (or stopped) taking answers.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub closes_at: Timestamp,
    /// Whether it still takes answers.
    pub open: bool,
    /// Partner users invited.
    pub recipients: i64,
    /// Responses.
    pub responses: i64,
    /// Responses ÷ recipients.
    pub response_rate: Option<f64>,
    /// Mean score, hundredths of a point (0–10000).
    pub score: Option<i64>,
    /// Recommendation answers.
    pub nps: Nps,
    /// Net Promoter Score, −100 to 100.
    pub nps_score: Option<i64>,
}

/// One question's answers in a sending.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionResult {
    /// The question.
    pub question: Question,
    /// How many answered it.
    pub answers: i64,
    /// The mean answer on the question's own scale, in hundredths (a 1–5 mean of 4.25 is
    /// 425); none for comments.
    pub mean: Option<i64>,
    /// Answers per point of the scale, lowest first; empty for comments.
    pub distribution: Vec<i64>,
}

/// A partner's answers in a sending.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerScore {
    /// The partner.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub org_id: OrgId,
    /// Its name.
    pub name: String,
    /// Its responses.
    pub responses: i64,
    /// Their mean score, hundredths of a point.
    pub score: Option<i64>,
    /// Its mean score the time before (the previous sending, or the previous quarter).
    pub previous: Option<i64>,
}

/// A comment.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyComment {
    /// The partner that wrote it.
    pub partner: String,
    /// The question it answers.
    pub question: String,
    /// What it says.
    pub text: String,
}

/// A survey's results, for one of its sendings.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyResults {
    /// The survey.
    pub survey: Survey,
    /// Its sendings, newest first: the trend.
    pub waves: Vec<WaveSummary>,
    /// The sending the rest describes (the newest unless one was asked for).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub wave_id: Option<SurveyWaveId>,
    /// Its questions and their answers.
    pub questions: Vec<QuestionResult>,
    /// Its partners, lowest score first: who needs a call.
    pub partners: Vec<PartnerScore>,
    /// Its comments.
    pub comments: Vec<SurveyComment>,
}

/// The program's PSAT in one quarter.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PsatQuarter {
    /// `2026-Q3`.
    pub quarter: String,
    /// Responses.
    pub responses: i64,
    /// Mean score, hundredths of a point.
    pub score: Option<i64>,
    /// Net Promoter Score.
    pub nps_score: Option<i64>,
}

/// The program's PSAT over a period, every survey together.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgramPsat {
    /// Responses.
    pub responses: i64,
    /// Partners that answered.
    pub partners: i64,
    /// Mean score, hundredths of a point.
    pub score: Option<i64>,
    /// Recommendation answers.
    pub nps: Nps,
    /// Net Promoter Score.
    pub nps_score: Option<i64>,
    /// Per quarter, oldest first.
    pub quarters: Vec<PsatQuarter>,
    /// The partners with the lowest scores (at most ten), with their score the quarter before.
    pub lowest: Vec<PartnerScore>,
}

/// Scores and recommendations of some responses.
#[derive(Default)]
struct Tally {
    responses: i64,
    scored: i64,
    score_sum: i64,
    nps: Nps,
}

impl Tally {
    fn add(&mut self, r: &ResponseView) {
        self.responses += 1;
        if let Some(s) = r.score {
            self.scored += 1;
            self.score_sum += s;
        }
        if let Some(v) = r.recommend {
            self.nps.add(v);
        }
    }

    fn score(&self) -> Option<i64> {
        psat::mean(self.score_sum, self.scored)
    }
}

/// A wave's summary from its responses.
pub(super) fn summary(
    w: &WaveRow,
    responded: i64,
    responses: &[&ResponseView],
    now: Timestamp,
) -> WaveSummary {
    let mut t = Tally::default();
    for r in responses {
        t.add(r);
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = (w.recipients > 0).then(|| responded as f64 / w.recipients as f64);
    WaveSummary {
        id: SurveyWaveId::from_uuid(w.id),
        sent_at: Timestamp::from_millis(w.sent_at),
        closes_at: Timestamp::from_millis(w.closes_at),
        open: w.closes_at > now.millis(),
        recipients: w.recipients,
        responses: t.responses,
        response_rate: rate,
        score: t.score(),
        nps: t.nps,
        nps_score: t.nps.score(),
    }
}

/// Per partner, its tally, by name.
fn by_partner<'a>(responses: impl Iterator<Item = &'a ResponseView>) -> Vec<(Uuid, String, Tally)> {
    let mut m: HashMap<Uuid, (String, Tally)> = HashMap::new();
    for r in responses {
        m.entry(r.org_id)
            .or_insert_with(|| (r.org_name.clone(), Tally::default()))
            .1
            .add(r);
    }
    let mut v: Vec<_> = m.into_iter().map(|(id, (n, t))| (id, n, t)).collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

/// Partners' scores in `now`, with their score in `before`, lowest first (unscored last).
fn partner_scores<'a>(
    now: impl Iterator<Item = &'a ResponseView>,
    before: impl Iterator<Item = &'a ResponseView>,
) -> Vec<PartnerScore> {
    let previous: HashMap<Uuid, Option<i64>> = by_partner(before)
        .into_iter()
        .map(|(id, _, t)| (id, t.score()))
        .collect();
    let mut out: Vec<PartnerScore> = by_partner(now)
        .into_iter()
        .map(|(id, name, t)| PartnerScore {
            org_id: OrgId::from_uuid(id),
            name,
            responses: t.responses,
            score: t.score(),
            previous: previous.get(&id).copied().flatten(),
        })
        .collect();
    out.sort_by_key(|p| (p.score.is_none(), p.score));
    out
}

/// Each question's answers across `responses`.
fn question_results(questions: &[Question], responses: &[&ResponseView]) -> Vec<QuestionResult> {
    let answers: Vec<Vec<Option<Answer>>> = responses
        .iter()
        .map(|r| serde_json::from_value(r.answers.0.clone()).unwrap_or_default())
        .collect();
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let given = answers.iter().filter_map(|a| a.get(i).cloned().flatten());
            match q.kind.range() {
                Some((low, high)) => {
                    let mut distribution =
                        vec![0_i64; usize::try_from(high - low + 1).unwrap_or(0)];
                    let (mut n, mut sum) = (0, 0);
                    for a in given {
                        if let Answer::Scale(v) = a
                            && let Some(slot) = usize::try_from(v - low)
                                .ok()
                                .and_then(|k| distribution.get_mut(k))
                        {
                            *slot += 1;
                            n += 1;
                            sum += v * 100;
                        }
                    }
                    QuestionResult {
                        question: q.clone(),
                        answers: n,
                        mean: psat::mean(sum, n),
                        distribution,
                    }
                }
                None => QuestionResult {
                    question: q.clone(),
                    answers: i64::try_from(given.count()).unwrap_or(i64::MAX),
                    mean: None,
                    distribution: Vec::new(),
                },
            }
        })
        .collect()
}

/// The comments in `responses`.
fn comments(questions: &[Question], responses: &[&ResponseView]) -> Vec<SurveyComment> {
    let mut out = Vec::new();
    for r in responses {
        let answers: Vec<Option<Answer>> =
            serde_json::from_value(r.answers.0.clone()).unwrap_or_default();
        for (q, a) in questions.iter().zip(answers) {
            if let (QuestionKind::Comment, Some(Answer::Text(text))) = (q.kind, a) {
                out.push(SurveyComment {
                    partner: r.org_name.clone(),
                    question: q.text.clone(),
                    text,
                });
            }
        }
    }
    out
}

/// `2026-Q3` of a day.
fn quarter_of(day: &str) -> String {
    let month: u32 = day.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!("{}-Q{}", day.get(..4).unwrap_or("0000"), month.div_ceil(3))
}

impl Services {
    /// A survey's results for one sending (`wave`, or the newest), with every sending's
    /// summary for the trend.
    pub async fn survey_results(
        &self,
        actor: &Actor,
        id: SurveyId,
        wave: Option<SurveyWaveId>,
    ) -> Result<SurveyResults> {
        reader(actor)?;
        let now = self.now();
        let mut c = self.db().read().await?;
        let survey: Survey = store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()?;
        let waves = store::waves_of(&mut c.exec(), id.as_uuid()).await?;
        let responded: HashMap<Uuid, i64> = store::responded_counts(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .collect();
        let responses = store::responses_of(&mut c.exec(), id.as_uuid()).await?;
        let of = |w: Uuid| -> Vec<&ResponseView> {
            responses.iter().filter(|r| r.wave_id == w).collect()
        };
        let summaries = waves
            .iter()
            .map(|w| {
                summary(
                    w,
                    responded.get(&w.id).copied().unwrap_or(0),
                    &of(w.id),
                    now,
                )
            })
            .collect::<Vec<_>>();
        let at = match wave {
            Some(w) => Some(
                waves
                    .iter()
                    .position(|x| x.id == w.as_uuid())
                    .ok_or(Error::NotFound)?,
            ),
            None => (!waves.is_empty()).then_some(0),
        };
        let Some(at) = at else {
            return Ok(SurveyResults {
                survey,
                waves: summaries,
                wave_id: None,
                questions: Vec::new(),
                partners: Vec::new(),
                comments: Vec::new(),
            });
        };
        let chosen = &waves[at];
        let questions = stored_questions(chosen.questions.0.clone())?;
        let these = of(chosen.id);
        // Waves are newest first: the one before is the next in the list.
        let before = waves.get(at + 1).map(|w| of(w.id)).unwrap_or_default();
        Ok(SurveyResults {
            survey,
            waves: summaries,
            wave_id: Some(SurveyWaveId::from_uuid(chosen.id)),
            questions: question_results(&questions, &these),
            partners: partner_scores(these.iter().copied(), before.iter().copied()),
            comments: comments(&questions, &these),
        })
    }

    /// The program's PSAT over a period (every survey), by quarter, with the partners scoring
    /// lowest in the period's last quarter with responses.
    pub async fn program_psat(&self, actor: &Actor, period: &Period) -> Result<ProgramPsat> {
        reader(actor)?;
        let (Some(from), Some(to)) = (
            Timestamp::from_date(&period.from),
            Timestamp::from_date(&period.to),
        ) else {
            return Err(Error::Internal(anyhow::anyhow!("a checked period's days")));
        };
        let mut c = self.db().read().await?;
        let responses =
            store::responses_between(&mut c.exec(), from.millis(), to.millis() + 86_400_000)
                .await?;
        let mut all = Tally::default();
        let mut quarters: Vec<(String, Tally)> = Vec::new();
        for r in &responses {
            all.add(r);
            let q = quarter_of(&Timestamp::from_millis(r.submitted_at).date());
            match quarters.last_mut() {
                Some((k, t)) if *k == q => t.add(r),
                _ => {
                    let mut t = Tally::default();
                    t.add(r);
                    quarters.push((q, t));
                }
            }
        }
        let quarter_at = |i: Option<usize>| -> Vec<&ResponseView> {
            let Some(q) = i.and_then(|i| quarters.get(i)) else {
                return Vec::new();
            };
            responses
                .iter()
                .filter(|r| quarter_of(&Timestamp::from_millis(r.submitted_at).date()) == q.0)
                .collect()
        };
        let last = quarter_at(quarters.len().checked_sub(1));
        let previous = quarter_at(quarters.len().checked_sub(2));
        let mut lowest = partner_scores(last.into_iter(), previous.into_iter());
        lowest.truncate(10);
        Ok(ProgramPsat {
            responses: all.responses,
            partners: i64::try_from(by_partner(responses.iter()).len()).unwrap_or(i64::MAX),
            score: all.score(),
            nps: all.nps,
            nps_score: all.nps.score(),
            quarters: quarters
                .iter()
                .map(|(q, t)| PsatQuarter {
                    quarter: q.clone(),
                    responses: t.responses,
                    score: t.score(),
                    nps_score: t.nps.score(),
                })
                .collect(),
            lowest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::quarter_of;

    #[test]
    fn days_fall_in_calendar_quarters() {
        assert_eq!(quarter_of("2026-01-01"), "2026-Q1");
        assert_eq!(quarter_of("2026-03-31"), "2026-Q1");
        assert_eq!(quarter_of("2026-04-01"), "2026-Q2");
        assert_eq!(quarter_of("2026-12-31"), "2026-Q4");
    }
}
