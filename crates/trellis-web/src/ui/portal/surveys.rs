//! Surveys in the portal: the ones waiting for this user's answer, and the answer form
//! (scales as radio buttons, comments as text), checked by the service and shown again with
//! each problem beside its question.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::SurveyInvitationId;
use trellis_domain::psat::{Answer, QuestionKind};
use trellis_service::psat::{Invitation, ResponseInput};

use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, FormData, PageId, rerender};
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

#[derive(Template, WebTemplate)]
#[template(path = "portal/surveys.html")]
struct SurveysPage {
    chrome: Chrome,
    open: Vec<Invitation>,
}

pub(super) async fn index(s: PartnerSession) -> PageResult {
    Ok(SurveysPage {
        chrome: s.chrome("Surveys"),
        open: s.services.my_survey_invitations(&s.actor).await?,
    }
    .into_response())
}

/// One question as the form shows it.
struct QuestionView {
    name: String,
    text: String,
    /// The points of a scale with whether each is chosen; empty for a comment.
    points: Vec<(i64, bool)>,
    /// The scale's ends as words, for the legend.
    ends: (&'static str, &'static str),
    comment: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/survey.html")]
struct SurveyPage {
    chrome: Chrome,
    invitation: Invitation,
    questions: Vec<QuestionView>,
    errors: Errors,
}

impl SurveyPage {
    fn of(s: &PartnerSession, invitation: Invitation, form: Option<&FormData>) -> Self {
        let questions = invitation
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let name = format!("answers[{i}]");
                let given = form.map(|f| f.text(&name)).unwrap_or_default();
                let points = q.kind.range().map_or_else(Vec::new, |(low, high)| {
                    (low..=high).map(|p| (p, given == p.to_string())).collect()
                });
                let ends = match q.kind {
                    QuestionKind::Recommend => ("Not at all likely", "Extremely likely"),
                    QuestionKind::Rating => ("Poor", "Excellent"),
                    QuestionKind::Comment => ("", ""),
                };
                QuestionView {
                    name,
                    text: q.text.clone(),
                    points,
                    ends,
                    comment: if q.kind == QuestionKind::Comment {
                        given
                    } else {
                        String::new()
                    },
                }
            })
            .collect();
        Self {
            chrome: s.chrome(invitation.title.clone()),
            invitation,
            questions,
            errors: Errors::none(),
        }
    }
}

pub(super) async fn show(s: PartnerSession, PageId(id): PageId<SurveyInvitationId>) -> PageResult {
    let invitation = s.services.survey_invitation(&s.actor, id).await?;
    Ok(SurveyPage::of(&s, invitation, None).into_response())
}

/// The form's answers, one per question: a scale's point if it is a number, a comment's text.
fn answers(invitation: &Invitation, form: &FormData) -> ResponseInput {
    ResponseInput {
        answers: invitation
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let v = form.text(&format!("answers[{i}]"));
                match q.kind {
                    QuestionKind::Comment => Some(Answer::Text(v)),
                    QuestionKind::Recommend | QuestionKind::Rating => {
                        v.trim().parse().ok().map(Answer::Scale)
                    }
                }
            })
            .collect(),
    }
}

pub(super) async fn answer(
    s: PartnerSession,
    PageId(id): PageId<SurveyInvitationId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let invitation = s.services.survey_invitation(&s.actor, id).await?;
    let input = answers(&invitation, &form);
    match s.services.answer_survey(&s.actor, id, &input).await {
        Ok(()) => Ok(s.redirect(
            "/portal/surveys",
            &Flash::success(format!(
                "Thank you: your answers to “{}” are in.",
                invitation.title
            )),
        )),
        Err(e) => rerender(e, |errors| {
            let mut page = SurveyPage::of(&s, invitation, Some(&form));
            page.errors = errors;
            page
        }),
    }
}
