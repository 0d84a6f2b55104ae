//! Partner satisfaction (PSAT): surveys the channel team writes and schedules, sent by e-mail
//! to partner users, answered in the portal, and scored per wave, per partner and for the
//! program (see [`trellis_domain::psat`] for the scoring).
//!
//! Partners answer for their organisation: a response records the partner, not the person, so
//! the vendor reads what partners think rather than who said it. Each answered invitation is
//! marked, which is what stops a second answer.

mod responses;
mod results;
mod surveys;

use serde::Serialize;
use serde_json::Value;
use trellis_domain::psat::{
    Audience, Cadence, MAX_QUESTIONS, QUESTION_MAX, Question, QuestionKind,
};
use trellis_domain::{FieldErrors, Permission, SurveyId, Timestamp};
use trellis_store::psat::SurveyRow;

use crate::platform::parse_stored;
use crate::{Actor, Error, Result};

pub use responses::{Invitation, ResponseInput};
pub use results::{
    PartnerScore, ProgramPsat, QuestionResult, SurveyComment, SurveyResults, WaveSummary,
};

/// A survey.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Survey {
    /// Id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: SurveyId,
    /// Its title, the e-mail's subject.
    pub title: String,
    /// What partners read first.
    pub intro: String,
    /// What it asks, in order.
    pub questions: Vec<Question>,
    /// How often it goes out.
    pub cadence: Cadence,
    /// To whom.
    pub audience: Audience,
    /// Days each sending stays open for answers.
    pub open_days: i64,
    /// Whether scheduled sendings go out.
    pub active: bool,
    /// The day of the next scheduled sending, `YYYY-MM-DD`; none when nothing is scheduled.
    pub next_send_on: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When it was written.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub created_at: Timestamp,
}

impl TryFrom<SurveyRow> for Survey {
    type Error = Error;
    fn try_from(r: SurveyRow) -> Result<Self> {
        Ok(Self {
            id: SurveyId::from_uuid(r.id),
            title: r.title,
            intro: r.intro,
            questions: stored_questions(r.questions.0)?,
            cadence: parse_stored("cadence", &r.cadence)?,
            audience: parse_stored("audience", &r.audience)?,
            open_days: r.open_days,
            active: r.active,
            next_send_on: r.next_send_at.map(|t| Timestamp::from_millis(t).date()),
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

/// Questions as stored.
fn stored_questions(v: Value) -> Result<Vec<Question>> {
    serde_json::from_value(v)
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored survey questions: {e}")))
}

/// One question as a form or the API sends it.
#[derive(Clone, Debug, Default)]
pub struct QuestionInput {
    /// `recommend`, `rating` or `comment`.
    pub kind: String,
    /// The question.
    pub text: String,
}

/// A survey to write, as a form or the API sends it.
#[derive(Clone, Debug, Default)]
pub struct SurveyInput {
    /// Title, 1–200 characters.
    pub title: String,
    /// Introduction, up to 2,000 characters.
    pub intro: String,
    /// 1–20 questions; at least one on a scale. Questions left blank are dropped.
    pub questions: Vec<QuestionInput>,
    /// `once`, `quarterly`, `half_yearly` or `yearly`; `quarterly` when empty.
    pub cadence: String,
    /// `admins` or `everyone`; `admins` when empty.
    pub audience: String,
    /// Days each sending stays open, 1–90; 14 when empty.
    pub open_days: String,
    /// The first (or next) scheduled sending, `YYYY-MM-DD`, today or later; empty to send only
    /// by hand.
    pub next_send_on: String,
    /// Whether scheduled sendings go out.
    pub active: bool,
}

/// What a checked [`SurveyInput`] becomes.
pub(crate) struct Checked {
    pub title: String,
    pub intro: String,
    pub questions: Vec<Question>,
    pub cadence: Cadence,
    pub audience: Audience,
    pub open_days: i64,
    pub next_send_at: Option<i64>,
}

const TITLE_MAX: usize = 200;
const INTRO_MAX: usize = 2_000;
/// Days a sending stays open unless the survey says otherwise: two weeks catches people back
/// from a week away.
const OPEN_DAYS: i64 = 14;

impl SurveyInput {
    /// Checks every field, naming each problem (`questions[2].text`).
    pub(crate) fn check(&self, now: Timestamp) -> Result<Checked> {
        let mut e = FieldErrors::new();
        let title = self.title.trim();
        if title.is_empty() {
            e.add("title", "give the survey a title");
        } else if title.chars().count() > TITLE_MAX {
            e.add("title", format!("at most {TITLE_MAX} characters"));
        }
        let intro = self.intro.trim();
        if intro.chars().count() > INTRO_MAX {
            e.add("intro", format!("at most {INTRO_MAX} characters"));
        }
        let questions = check_questions(&self.questions, &mut e);
        let cadence = match self.cadence.trim() {
            "" => Some(Cadence::Quarterly),
            c => c.parse().map_err(|m: String| e.add("cadence", m)).ok(),
        };
        let audience = match self.audience.trim() {
            "" => Some(Audience::Admins),
            a => a.parse().map_err(|m: String| e.add("audience", m)).ok(),
        };
        let open_days = match self.open_days.trim() {
            "" => Some(OPEN_DAYS),
            d => match d.parse::<i64>() {
                Ok(n) if (1..=90).contains(&n) => Some(n),
                _ => {
                    e.add("open_days", "a whole number of days from 1 to 90");
                    None
                }
            },
        };
        let next_send_at = match self.next_send_on.trim() {
            "" => Some(None),
            d => match Timestamp::from_date(d) {
                None => {
                    e.add("next_send_on", "must be a date such as 2026-12-01");
                    None
                }
                Some(t) if t.date() < now.date() => {
                    e.add("next_send_on", "must be today or later");
                    None
                }
                Some(t) => Some(Some(t.millis())),
            },
        };
        e.into_result()?;
        match (cadence, audience, open_days, next_send_at) {
            (Some(cadence), Some(audience), Some(open_days), Some(next_send_at)) => Ok(Checked {
                title: title.to_owned(),
                intro: intro.to_owned(),
                questions,
                cadence,
                audience,
                open_days,
                next_send_at,
            }),
            _ => Err(Error::Internal(anyhow::anyhow!(
                "a checked survey lost a field"
            ))),
        }
    }
}

/// The questions that are not blank, each checked; problems named by their place in the
/// input, which is where the person sees them.
fn check_questions(input: &[QuestionInput], e: &mut FieldErrors) -> Vec<Question> {
    let mut out = Vec::new();
    for (i, q) in input.iter().enumerate() {
        let text = q.text.trim();
        if text.is_empty() {
            continue;
        }
        let field = |f: &str| format!("questions[{i}].{f}");
        if text.chars().count() > QUESTION_MAX {
            e.add(field("text"), format!("at most {QUESTION_MAX} characters"));
        }
        match q.kind.trim().parse::<QuestionKind>() {
            Ok(kind) => out.push(Question {
                kind,
                text: text.to_owned(),
            }),
            Err(m) => e.add(field("kind"), m),
        }
    }
    if out.is_empty() && e.is_empty() {
        e.add("questions", "ask at least one question");
    } else if out.len() > MAX_QUESTIONS {
        e.add(
            "questions",
            format!("at most {MAX_QUESTIONS} questions: partners finish short surveys"),
        );
    } else if !out.is_empty() && out.iter().all(|q| q.kind == QuestionKind::Comment) {
        e.add(
            "questions",
            "ask at least one rating or recommendation question: comments alone give no score",
        );
    }
    out
}

/// Vendor users who read partner records read survey results.
fn reader(actor: &Actor) -> Result<()> {
    actor.require(Permission::OrgsRead)?;
    if actor.is_vendor_side() {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Those who manage partners write and send surveys.
fn keeper(actor: &Actor) -> Result<()> {
    actor.require(Permission::OrgsManage)?;
    if actor.is_vendor_side() {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Timestamp {
        Timestamp::from_date("2026-11-25").unwrap()
    }

    fn input() -> SurveyInput {
        SurveyInput {
            title: " Partner pulse ".into(),
            questions: vec![
                QuestionInput {
                    kind: "recommend".into(),
                    text: "How likely are you to recommend us?".into(),
                },
                QuestionInput::default(),
                QuestionInput {
                    kind: "comment".into(),
                    text: "What should we change?".into(),
                },
            ],
            ..SurveyInput::default()
        }
    }

    fn fields(r: Result<Checked>) -> Vec<String> {
        match r {
            Err(Error::Validation(e)) => e.iter().map(|f| f.field.clone()).collect(),
            Err(other) => vec![format!("unexpected {other:?}")],
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn defaults_fill_what_is_left_empty_and_blank_questions_drop() {
        let c = input().check(today()).unwrap();
        assert_eq!(c.title, "Partner pulse");
        assert_eq!(c.questions.len(), 2);
        assert_eq!(
            (c.cadence, c.audience, c.open_days, c.next_send_at),
            (Cadence::Quarterly, Audience::Admins, 14, None)
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut bad = input();
        bad.title = String::new();
        bad.questions[2].kind = "stars".into();
        bad.cadence = "weekly".into();
        bad.open_days = "0".into();
        bad.next_send_on = "2026-11-24".into();
        assert_eq!(
            fields(bad.check(today())),
            [
                "title",
                "questions[2].kind",
                "cadence",
                "open_days",
                "next_send_on"
            ]
        );
        let comments_only = SurveyInput {
            questions: vec![QuestionInput {
                kind: "comment".into(),
                text: "Anything?".into(),
            }],
            ..input()
        };
        assert_eq!(fields(comments_only.check(today())), ["questions"]);
        let none = SurveyInput {
            questions: Vec::new(),
            ..input()
        };
        assert_eq!(fields(none.check(today())), ["questions"]);
    }
}
