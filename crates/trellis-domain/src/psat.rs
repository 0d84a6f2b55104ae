//! Partner satisfaction (PSAT) surveys: what a survey asks, how often it goes out, and how
//! answers become a score.
//!
//! A response's score is the mean of its scale answers, each put on 0–100 (a 1–5 rating of 4
//! is 75; a 0–10 recommendation of 8 is 80). Scores are kept in hundredths of a point so that
//! sums and means stay exact integers. A partner's PSAT is the mean of its responses' scores.
//! The Net Promoter Score is the share of promoters (9–10) less the share of detractors (0–6)
//! among the answers to the recommendation question.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::orgs::string_enum;

string_enum!(
    /// What a question asks for.
    QuestionKind {
        /// How likely the partner is to recommend the program, 0–10 (the NPS question).
        Recommend = "recommend" / "Likelihood to recommend (0–10)",
        /// A rating from 1 (poor) to 5 (excellent).
        Rating = "rating" / "Rating (1–5)",
        /// Free text, optional.
        Comment = "comment" / "Comment (free text)",
    }
);

string_enum!(
    /// How often a survey goes out.
    Cadence {
        /// Once, when it is sent.
        Once = "once" / "Once",
        /// Every three months.
        Quarterly = "quarterly" / "Every quarter",
        /// Every six months.
        HalfYearly = "half_yearly" / "Every six months",
        /// Every twelve months.
        Yearly = "yearly" / "Every year",
    }
);

string_enum!(
    /// Which partner users a survey goes to.
    Audience {
        /// Each partner's administrators: one considered voice per partner.
        Admins = "admins" / "Partner admins",
        /// Every active user of every active partner.
        Everyone = "everyone" / "Every partner user",
    }
);

impl Cadence {
    /// Months between sends; `None` for a survey sent once.
    pub fn months(self) -> Option<u32> {
        match self {
            Cadence::Once => None,
            Cadence::Quarterly => Some(3),
            Cadence::HalfYearly => Some(6),
            Cadence::Yearly => Some(12),
        }
    }
}

impl QuestionKind {
    /// The lowest and highest answer of a scale question.
    pub fn range(self) -> Option<(i64, i64)> {
        match self {
            QuestionKind::Recommend => Some((0, 10)),
            QuestionKind::Rating => Some((1, 5)),
            QuestionKind::Comment => None,
        }
    }

    /// `answer` on 0–100, in hundredths of a point; `None` for a comment or an answer out
    /// of range.
    pub fn scaled(self, answer: i64) -> Option<i64> {
        let (low, high) = self.range()?;
        (low..=high)
            .contains(&answer)
            .then(|| (answer - low) * SCORE_MAX / (high - low))
    }
}

/// The highest score, in hundredths of a point (100.00).
pub const SCORE_MAX: i64 = 10_000;
/// The most questions a survey asks: a survey partners finish beats a thorough one they
/// abandon.
pub const MAX_QUESTIONS: usize = 20;
/// The longest question.
pub const QUESTION_MAX: usize = 300;
/// The longest comment.
pub const COMMENT_MAX: usize = 4_000;

/// One question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// What it asks for.
    pub kind: QuestionKind,
    /// The question as partners read it.
    pub text: String,
}

/// One answer: a number for a scale question, text for a comment, nothing when skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Answer {
    /// A point on the question's scale.
    Scale(i64),
    /// A comment.
    Text(String),
}

/// Checks `answers` against `questions`, one answer (or `None`) per question in order: every
/// scale question needs a point on its scale, a comment may be left empty. Returns the
/// problems as (question index, message).
pub fn check_answers(questions: &[Question], answers: &[Option<Answer>]) -> Vec<(usize, String)> {
    if answers.len() != questions.len() {
        return vec![(
            0,
            format!(
                "expected {} answers, one per question, got {}",
                questions.len(),
                answers.len()
            ),
        )];
    }
    let mut problems = Vec::new();
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        match (q.kind.range(), a) {
            (Some((low, high)), Some(Answer::Scale(v))) if (low..=high).contains(v) => {}
            (Some((low, high)), _) => {
                problems.push((i, format!("choose a number from {low} to {high}")));
            }
            (None, Some(Answer::Text(t))) if t.chars().count() > COMMENT_MAX => {
                problems.push((i, format!("at most {COMMENT_MAX} characters")));
            }
            (None, None | Some(Answer::Text(_))) => {}
            (None, Some(Answer::Scale(_))) => problems.push((i, "write text here".into())),
        }
    }
    problems
}

/// A response's score in hundredths (the mean of its scale answers, rounded half up), or
/// `None` when it answered no scale question.
pub fn score(questions: &[Question], answers: &[Option<Answer>]) -> Option<i64> {
    let points: Vec<i64> = questions
        .iter()
        .zip(answers)
        .filter_map(|(q, a)| match a {
            Some(Answer::Scale(v)) => q.kind.scaled(*v),
            _ => None,
        })
        .collect();
    mean(
        points.iter().sum(),
        i64::try_from(points.len()).unwrap_or(i64::MAX),
    )
}

/// The answer to the first recommendation question, if there is one.
pub fn recommendation(questions: &[Question], answers: &[Option<Answer>]) -> Option<i64> {
    questions
        .iter()
        .zip(answers)
        .find(|(q, _)| q.kind == QuestionKind::Recommend)
        .and_then(|(_, a)| match a {
            Some(Answer::Scale(v)) => Some(*v),
            _ => None,
        })
}

/// `sum ÷ n` rounded half up; `None` for no values.
pub fn mean(sum: i64, n: i64) -> Option<i64> {
    (n > 0).then(|| (2 * sum + n) / (2 * n))
}

/// Answers to the recommendation question, counted for the Net Promoter Score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nps {
    /// Answered 9 or 10.
    pub promoters: i64,
    /// Answered 7 or 8.
    pub passives: i64,
    /// Answered 0 to 6.
    pub detractors: i64,
}

impl Nps {
    /// Counts one answer.
    pub fn add(&mut self, answer: i64) {
        match answer {
            9.. => self.promoters += 1,
            7..=8 => self.passives += 1,
            _ => self.detractors += 1,
        }
    }

    /// Answers counted.
    pub fn answers(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }

    /// Promoters less detractors, in percent of the answers (−100 to 100, rounded half away
    /// from zero); `None` without answers.
    pub fn score(&self) -> Option<i64> {
        let n = self.answers();
        let diff = 100 * (self.promoters - self.detractors);
        (n > 0).then(|| {
            let rounded = (2 * diff.abs() + n) / (2 * n);
            if diff < 0 { -rounded } else { rounded }
        })
    }
}

/// A score in hundredths as people read it: `82.5`.
pub fn score_text(hundredths: i64) -> String {
    let whole = hundredths / 100;
    match hundredths % 100 {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: QuestionKind) -> Question {
        Question {
            kind,
            text: "?".into(),
        }
    }

    #[test]
    fn scales_map_their_ends_to_0_and_100() {
        assert_eq!(QuestionKind::Recommend.scaled(0), Some(0));
        assert_eq!(QuestionKind::Recommend.scaled(8), Some(8_000));
        assert_eq!(QuestionKind::Recommend.scaled(10), Some(SCORE_MAX));
        assert_eq!(QuestionKind::Rating.scaled(1), Some(0));
        assert_eq!(QuestionKind::Rating.scaled(4), Some(7_500));
        assert_eq!(QuestionKind::Rating.scaled(6), None);
        assert_eq!(QuestionKind::Comment.scaled(3), None);
    }

    #[test]
    fn a_score_is_the_mean_of_the_scale_answers_only() {
        let qs = [
            q(QuestionKind::Recommend),
            q(QuestionKind::Rating),
            q(QuestionKind::Comment),
            q(QuestionKind::Rating),
        ];
        let answers = [
            Some(Answer::Scale(9)),
            Some(Answer::Scale(4)),
            Some(Answer::Text("Great enablement".into())),
            Some(Answer::Scale(2)),
        ];
        // (90 + 75 + 25) / 3 = 63.333… → 63.33
        assert_eq!(score(&qs, &answers), Some(6_333));
        assert_eq!(recommendation(&qs, &answers), Some(9));
        assert_eq!(score(&qs[2..3], &answers[2..3]), None);
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let qs = [
            q(QuestionKind::Recommend),
            q(QuestionKind::Rating),
            q(QuestionKind::Comment),
        ];
        assert!(
            check_answers(
                &qs,
                &[Some(Answer::Scale(10)), Some(Answer::Scale(1)), None]
            )
            .is_empty()
        );
        let problems = check_answers(&qs, &[None, Some(Answer::Scale(0)), Some(Answer::Scale(3))]);
        let at: Vec<usize> = problems.iter().map(|p| p.0).collect();
        assert_eq!(at, [0, 1, 2]);
        assert_eq!(problems[1].1, "choose a number from 1 to 5");
        assert_eq!(check_answers(&qs, &[None]).len(), 1);
    }

    #[test]
    fn nps_is_promoters_less_detractors_in_percent() {
        let mut n = Nps::default();
        for a in [10, 9, 9, 8, 7, 6, 0] {
            n.add(a);
        }
        assert_eq!((n.promoters, n.passives, n.detractors), (3, 2, 2));
        // (3 − 2) / 7 = 14.28…%
        assert_eq!(n.score(), Some(14));
        let mut low = Nps::default();
        for a in [0, 0, 9] {
            low.add(a);
        }
        assert_eq!(low.score(), Some(-33));
        assert_eq!(Nps::default().score(), None);
    }

    #[test]
    fn means_round_half_up_and_scores_read_naturally() {
        assert_eq!(mean(5, 2), Some(3));
        assert_eq!(mean(4, 3), Some(1));
        assert_eq!(mean(0, 0), None);
        assert_eq!(score_text(8_250), "82.5");
        assert_eq!(score_text(6_333), "63.33");
        assert_eq!(score_text(7_000), "70");
    }
}
