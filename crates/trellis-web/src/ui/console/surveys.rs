//! Partner satisfaction surveys in the console: the list, the editor (questions as rows, so
//! it works without script), and a survey's results (the score per sending as a chart with the
//! same figures in a table, each question's answers, partners lowest first beside their
//! previous score, comments) with "send now".

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::psat::{Audience, Cadence, MAX_QUESTIONS, QuestionKind, score_text};
use trellis_domain::{Permission, SurveyId, SurveyWaveId};
use trellis_service::psat::{QuestionInput, Survey, SurveyInput, SurveyResults};

use crate::ui::book::RouteBook;
use crate::ui::chart::ColumnChart;
use crate::ui::csrf::CsrfForm;
use crate::ui::error::{PageError, PageResult};
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, FormData, PageId, Query, failed, rerender};
use crate::ui::session::VendorSession;
use crate::ui::view::{Choice, Chrome, Look as _, percent};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/surveys", index)
        .get("/console/surveys/new", new_form)
        .post("/console/surveys", create)
        .get("/console/surveys/{id}", show)
        .get("/console/surveys/{id}/edit", edit_form)
        .post("/console/surveys/{id}", update)
        .post("/console/surveys/{id}/send", send)
}

/// A score in hundredths as the pages show it, or a dash.
pub(crate) fn score(s: Option<i64>) -> String {
    s.map_or_else(|| "–".to_owned(), score_text)
}

/// A Net Promoter Score with its sign, or a dash.
pub(crate) fn nps(s: Option<i64>) -> String {
    s.map_or_else(|| "–".to_owned(), |n| format!("{n:+}"))
}

struct SurveyRow {
    id: String,
    title: String,
    questions: usize,
    cadence: &'static str,
    audience: &'static str,
    next: String,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/surveys.html")]
struct SurveysPage {
    chrome: Chrome,
    surveys: Vec<SurveyRow>,
    can_manage: bool,
}

async fn index(s: VendorSession) -> PageResult {
    let surveys = s
        .services
        .surveys(&s.actor)
        .await?
        .into_iter()
        .map(|v| SurveyRow {
            id: v.id.to_string(),
            title: v.title,
            questions: v.questions.len(),
            cadence: v.cadence.label(),
            audience: v.audience.label(),
            next: if v.active {
                v.next_send_on
                    .unwrap_or_else(|| "when sent by hand".to_owned())
            } else {
                "paused".to_owned()
            },
            active: v.active,
        })
        .collect();
    Ok(SurveysPage {
        chrome: s.chrome("Surveys"),
        surveys,
        can_manage: s.can(Permission::OrgsManage),
    }
    .into_response())
}

/// One question row of the editor.
struct QuestionRow {
    text: String,
    kinds: Vec<Choice>,
    index: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/survey_form.html")]
struct SurveyForm {
    chrome: Chrome,
    errors: Errors,
    /// The survey being edited, with its version.
    editing: Option<(String, i64)>,
    title: String,
    intro: String,
    questions: Vec<QuestionRow>,
    cadences: Vec<Choice>,
    audiences: Vec<Choice>,
    open_days: String,
    next_send_on: String,
    active: bool,
}

/// Blank question rows offered beyond those written, up to the limit.
const SPARE_ROWS: usize = 3;

impl SurveyForm {
    fn of(s: &VendorSession, input: &SurveyInput, editing: Option<(String, i64)>) -> Self {
        let written = input.questions.len();
        let rows = (written + SPARE_ROWS).clamp(5, MAX_QUESTIONS);
        let questions = (0..rows)
            .map(|index| {
                let q = input.questions.get(index).cloned().unwrap_or_default();
                let kind = if q.kind.is_empty() {
                    QuestionKind::Rating.as_str().to_owned()
                } else {
                    q.kind
                };
                QuestionRow {
                    kinds: Choice::list(
                        QuestionKind::ALL.iter().map(|k| (k.as_str(), k.label())),
                        &kind,
                    ),
                    text: q.text,
                    index,
                }
            })
            .collect();
        let title = if editing.is_some() {
            "Edit survey"
        } else {
            "New survey"
        };
        Self {
            chrome: s.chrome(title),
            errors: Errors::none(),
            editing,
            title: input.title.clone(),
            intro: input.intro.clone(),
            questions,
            cadences: Choice::list(
                Cadence::ALL.iter().map(|c| (c.as_str(), c.label())),
                &input.cadence,
            ),
            audiences: Choice::list(
                Audience::ALL.iter().map(|a| (a.as_str(), a.label())),
                &input.audience,
            ),
            open_days: input.open_days.clone(),
            next_send_on: input.next_send_on.clone(),
            active: input.active,
        }
    }

    fn with_errors(mut self, errors: Errors) -> Self {
        self.errors = errors;
        self
    }
}

/// A starting point that reflects practice: the recommendation question that gives the NPS,
/// two ratings and room to say more.
fn starter() -> SurveyInput {
    let q = |kind: QuestionKind, text: &str| QuestionInput {
        kind: kind.as_str().into(),
        text: text.into(),
    };
    SurveyInput {
        title: "Partner satisfaction".into(),
        intro: String::new(),
        questions: vec![
            q(
                QuestionKind::Recommend,
                "How likely are you to recommend our partner program to a peer?",
            ),
            q(
                QuestionKind::Rating,
                "How well does our team support your deals?",
            ),
            q(
                QuestionKind::Rating,
                "How useful are our enablement and materials?",
            ),
            q(QuestionKind::Comment, "What should we do differently?"),
        ],
        cadence: Cadence::Quarterly.as_str().into(),
        audience: Audience::Admins.as_str().into(),
        open_days: "14".into(),
        next_send_on: String::new(),
        active: true,
    }
}

fn input_of(s: &Survey) -> SurveyInput {
    SurveyInput {
        title: s.title.clone(),
        intro: s.intro.clone(),
        questions: s
            .questions
            .iter()
            .map(|q| QuestionInput {
                kind: q.kind.as_str().into(),
                text: q.text.clone(),
            })
            .collect(),
        cadence: s.cadence.as_str().into(),
        audience: s.audience.as_str().into(),
        open_days: s.open_days.to_string(),
        next_send_on: s.next_send_on.clone().unwrap_or_default(),
        active: s.active,
    }
}

fn form_input(form: &FormData) -> SurveyInput {
    let questions = (0..MAX_QUESTIONS + SPARE_ROWS)
        .map(|i| QuestionInput {
            kind: form.text(&format!("questions[{i}].kind")),
            text: form.text(&format!("questions[{i}].text")),
        })
        .collect();
    SurveyInput {
        title: form.text("title"),
        intro: form.text("intro"),
        questions,
        cadence: form.text("cadence"),
        audience: form.text("audience"),
        open_days: form.text("open_days"),
        next_send_on: form.text("next_send_on"),
        active: form.opt("active").is_some(),
    }
}

/// The input as the form shows it again: the written questions, in place.
fn shown(mut input: SurveyInput) -> SurveyInput {
    while input
        .questions
        .last()
        .is_some_and(|q| q.text.trim().is_empty())
    {
        input.questions.pop();
    }
    input
}

fn require_manager(s: &VendorSession) -> PageResult<()> {
    if s.can(Permission::OrgsManage) {
        Ok(())
    } else {
        Err(trellis_service::Error::Forbidden.into())
    }
}

async fn new_form(s: VendorSession) -> PageResult {
    require_manager(&s)?;
    Ok(SurveyForm::of(&s, &starter(), None).into_response())
}

async fn create(s: VendorSession, CsrfForm(form): CsrfForm) -> PageResult {
    let input = form_input(&form);
    match s.services.create_survey(&s.actor, &input).await {
        Ok(v) => Ok(s.redirect(
            &format!("/console/surveys/{}", v.id),
            &Flash::success(format!("Survey “{}” saved.", v.title)),
        )),
        Err(e) => rerender(e, |errors| {
            SurveyForm::of(&s, &shown(input), None).with_errors(errors)
        }),
    }
}

async fn edit_form(s: VendorSession, PageId(id): PageId<SurveyId>) -> PageResult {
    require_manager(&s)?;
    let v = s.services.survey(&s.actor, id).await?;
    let editing = Some((v.id.to_string(), v.version));
    Ok(SurveyForm::of(&s, &input_of(&v), editing).into_response())
}

async fn update(
    s: VendorSession,
    PageId(id): PageId<SurveyId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let input = form_input(&form);
    let version = form.version();
    match s
        .services
        .update_survey(&s.actor, id, version, &input)
        .await
    {
        Ok(v) => Ok(s.redirect(
            &format!("/console/surveys/{}", v.id),
            &Flash::success(format!("Survey “{}” saved.", v.title)),
        )),
        Err(e) => rerender(e, |errors| {
            SurveyForm::of(&s, &shown(input), Some((id.to_string(), version))).with_errors(errors)
        }),
    }
}

async fn send(s: VendorSession, PageId(id): PageId<SurveyId>, CsrfForm(_): CsrfForm) -> PageResult {
    match s.services.send_survey(&s.actor, id).await {
        Ok(w) => Ok(s.redirect(
            &format!("/console/surveys/{id}"),
            &Flash::success(format!(
                "Sent to {} partner users. It takes answers until {}.",
                w.recipients,
                w.closes_at.show()
            )),
        )),
        Err(e) => {
            let (_, errors) = failed(e)?;
            let message = errors.notice.unwrap_or_default();
            Ok(s.redirect(&format!("/console/surveys/{id}"), &Flash::error(message)))
        }
    }
}

struct WaveRow {
    id: String,
    sent: String,
    closes: String,
    open: bool,
    recipients: i64,
    responses: i64,
    rate: String,
    score: String,
    nps: String,
    selected: bool,
}

struct QuestionView {
    text: String,
    kind: &'static str,
    answers: i64,
    mean: String,
    /// (point, answers, bar width in percent of the most common point)
    points: Vec<(i64, i64, i64)>,
}

struct PartnerView {
    id: String,
    name: String,
    responses: i64,
    score: String,
    previous: String,
    change: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/survey.html")]
struct SurveyPage {
    chrome: Chrome,
    survey: Survey,
    cadence: &'static str,
    audience: &'static str,
    can_manage: bool,
    chart: ColumnChart,
    waves: Vec<WaveRow>,
    questions: Vec<QuestionView>,
    partners: Vec<PartnerView>,
    comments: Vec<(String, String, String)>,
}

async fn show(s: VendorSession, PageId(id): PageId<SurveyId>, q: Query) -> PageResult {
    let wave = match q.opt("wave") {
        Some(w) => Some(
            w.parse::<SurveyWaveId>()
                .map_err(|_| PageError::not_found_page())?,
        ),
        None => None,
    };
    let r = s.services.survey_results(&s.actor, id, wave).await?;
    Ok(SurveyPage::of(&s, r).into_response())
}

impl SurveyPage {
    fn of(s: &VendorSession, r: SurveyResults) -> Self {
        let selected = r.wave_id;
        // Oldest first, as a trend reads.
        let periods: Vec<(String, Vec<i64>, String)> = r
            .waves
            .iter()
            .rev()
            .map(|w| {
                (
                    w.sent_at.date(),
                    vec![w.score.unwrap_or(0)],
                    format!("score {}, {} responses", score(w.score), w.responses),
                )
            })
            .collect();
        let chart = ColumnChart::scaled(
            "Score per sending, out of 100",
            &["Score"],
            &periods,
            trellis_domain::psat::SCORE_MAX,
        );
        let waves = r
            .waves
            .iter()
            .map(|w| WaveRow {
                id: w.id.to_string(),
                sent: w.sent_at.show(),
                closes: w.closes_at.show(),
                open: w.open,
                recipients: w.recipients,
                responses: w.responses,
                rate: percent(w.response_rate),
                score: score(w.score),
                nps: nps(w.nps_score),
                selected: Some(w.id) == selected,
            })
            .collect();
        let questions = r
            .questions
            .iter()
            .map(|q| {
                let low = q.question.kind.range().map_or(0, |r| r.0);
                let top = q.distribution.iter().copied().max().unwrap_or(0).max(1);
                QuestionView {
                    text: q.question.text.clone(),
                    kind: q.question.kind.label(),
                    answers: q.answers,
                    mean: q.mean.map_or_else(|| "–".to_owned(), score_text),
                    points: q
                        .distribution
                        .iter()
                        .zip(low..)
                        .map(|(n, point)| (point, *n, n * 100 / top))
                        .collect(),
                }
            })
            .collect();
        let partners = r
            .partners
            .iter()
            .map(|p| PartnerView {
                id: p.org_id.to_string(),
                name: p.name.clone(),
                responses: p.responses,
                score: score(p.score),
                previous: score(p.previous),
                change: match (p.score, p.previous) {
                    (Some(now), Some(before)) => {
                        let d = now - before;
                        format!("{}{}", if d < 0 { "−" } else { "+" }, score_text(d.abs()))
                    }
                    _ => "–".to_owned(),
                },
            })
            .collect();
        Self {
            chrome: s.chrome(r.survey.title.clone()),
            cadence: r.survey.cadence.label(),
            audience: r.survey.audience.label(),
            survey: r.survey,
            can_manage: s.can(Permission::OrgsManage),
            chart,
            waves,
            questions,
            partners,
            comments: r
                .comments
                .into_iter()
                .map(|c| (c.partner, c.question, c.text))
                .collect(),
        }
    }
}
