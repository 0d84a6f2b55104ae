//! Partner satisfaction surveys: the channel team writes, schedules and sends them and reads
//! the results; a partner user lists and answers the invitations addressed to them. A partner
//! never sees another's invitation, nor anyone's results.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use trellis_domain::psat::Answer;
use trellis_domain::{SurveyId, SurveyInvitationId, SurveyWaveId};
use trellis_service::Services;
use trellis_service::psat::{
    Invitation, QuestionInput, ResponseInput, Survey, SurveyInput, SurveyResults, WaveSummary,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::Ack;
use super::extract::{ApiActor, ApiId, ApiJson, ApiQuery, Idempotency};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_surveys, create_survey))
        .routes(routes!(get_survey, update_survey))
        .routes(routes!(send_survey))
        .routes(routes!(survey_results))
        .routes(routes!(list_invitations))
        .routes(routes!(get_invitation))
        .routes(routes!(answer_invitation))
}

/// Every survey.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SurveyList {
    /// Newest first.
    pub items: Vec<Survey>,
}

/// Every survey, newest first.
#[utoipa::path(get, path = "/surveys", tag = "surveys", operation_id = "list_surveys",
    responses((status = 200, body = SurveyList), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_surveys(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<SurveyList>> {
    Ok(Json(SurveyList {
        items: s.surveys(&actor).await?,
    }))
}

/// One question of a survey.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionBody {
    /// `recommend` (0–10, the NPS question), `rating` (1–5) or `comment` (free text).
    pub kind: String,
    /// The question as partners read it, up to 300 characters.
    pub text: String,
}

/// A survey to write. When updating, `version` is the version read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Partner pulse", "intro": "Five minutes, once a quarter.", "questions": [{"kind": "recommend", "text": "How likely are you to recommend our partner program?"}, {"kind": "rating", "text": "How useful is our enablement?"}, {"kind": "comment", "text": "What should we change?"}], "cadence": "quarterly", "audience": "admins", "open_days": 14, "next_send_on": "2027-01-05", "active": true, "version": 1}))]
pub struct SurveyBody {
    /// 1–200 characters; the e-mail's subject.
    pub title: String,
    /// What partners read first, up to 2,000 characters.
    #[serde(default)]
    pub intro: String,
    /// 1–20 questions, at least one on a scale.
    pub questions: Vec<QuestionBody>,
    /// `once`, `quarterly` (the default), `half_yearly` or `yearly`.
    #[serde(default)]
    pub cadence: String,
    /// `admins` (each partner's administrators, the default) or `everyone`.
    #[serde(default)]
    pub audience: String,
    /// Days each sending takes answers, 1–90 (14 by default).
    pub open_days: Option<i64>,
    /// The next scheduled sending, `YYYY-MM-DD`, today or later; absent to send only by hand.
    pub next_send_on: Option<String>,
    /// Whether scheduled sendings go out (true by default).
    pub active: Option<bool>,
    /// The version read, when updating; ignored when creating.
    pub version: Option<i64>,
}

impl SurveyBody {
    fn input(&self) -> SurveyInput {
        SurveyInput {
            title: self.title.clone(),
            intro: self.intro.clone(),
            questions: self
                .questions
                .iter()
                .map(|q| QuestionInput {
                    kind: q.kind.clone(),
                    text: q.text.clone(),
                })
                .collect(),
            cadence: self.cadence.clone(),
            audience: self.audience.clone(),
            open_days: self.open_days.map(|d| d.to_string()).unwrap_or_default(),
            next_send_on: self.next_send_on.clone().unwrap_or_default(),
            active: self.active.unwrap_or(true),
        }
    }
}

/// Writes a survey.
#[utoipa::path(post, path = "/surveys", tag = "surveys", operation_id = "create_survey", request_body = SurveyBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe retries")),
    responses((status = 201, body = Survey), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_survey(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    idem: Idempotency,
    body: ApiJson<SurveyBody>,
) -> ApiResult<axum::response::Response> {
    let input = body.value.input();
    idem.run(&s, &actor, &body.hash, StatusCode::CREATED, async {
        s.create_survey(&actor, &input).await
    })
    .await
}

/// One survey.
#[utoipa::path(get, path = "/surveys/{id}", tag = "surveys", operation_id = "get_survey",
    params(("id" = uuid::Uuid, Path, description = "Survey id")),
    responses((status = 200, body = Survey), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_survey(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<SurveyId>,
) -> ApiResult<Json<Survey>> {
    Ok(Json(s.survey(&actor, id).await?))
}

/// Rewrites a survey (send the `version` read; 409 if it changed meanwhile). Sendings already
/// made keep the questions they asked.
#[utoipa::path(put, path = "/surveys/{id}", tag = "surveys", operation_id = "update_survey", request_body = SurveyBody,
    params(("id" = uuid::Uuid, Path, description = "Survey id")),
    responses((status = 200, body = Survey), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn update_survey(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<SurveyId>,
    body: ApiJson<SurveyBody>,
) -> ApiResult<Json<Survey>> {
    let Some(version) = body.value.version else {
        return Err(trellis_service::Error::field("version", "send the version you read").into());
    };
    Ok(Json(
        s.update_survey(&actor, id, version, &body.value.input())
            .await?,
    ))
}

/// Sends a survey now to its audience, one e-mail each; the schedule is unchanged.
#[utoipa::path(post, path = "/surveys/{id}/send", tag = "surveys", operation_id = "send_survey",
    params(("id" = uuid::Uuid, Path, description = "Survey id")),
    responses((status = 201, body = WaveSummary), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn send_survey(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<SurveyId>,
) -> ApiResult<(StatusCode, Json<WaveSummary>)> {
    Ok((StatusCode::CREATED, Json(s.send_survey(&actor, id).await?)))
}

/// Which sending's results.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// A sending of the survey; the newest when absent.
    pub wave_id: Option<uuid::Uuid>,
}

/// A survey's results: every sending's response rate, score and NPS (the trend), and for one
/// sending each question's answers, each partner's score beside its previous one, and the
/// comments. Responses name the partner, never the person.
#[utoipa::path(get, path = "/surveys/{id}/results", tag = "surveys", operation_id = "survey_results",
    params(("id" = uuid::Uuid, Path, description = "Survey id"), ResultsQuery),
    responses((status = 200, body = SurveyResults), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn survey_results(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<SurveyId>,
    ApiQuery(q): ApiQuery<ResultsQuery>,
) -> ApiResult<Json<SurveyResults>> {
    let wave = q.wave_id.map(SurveyWaveId::from_uuid);
    Ok(Json(s.survey_results(&actor, id, wave).await?))
}

/// The signed-in partner user's open invitations.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct InvitationList {
    /// Soonest closing first.
    pub items: Vec<Invitation>,
}

/// The surveys waiting for the signed-in partner user's answer.
#[utoipa::path(get, path = "/survey-invitations", tag = "surveys", operation_id = "list_survey_invitations",
    responses((status = 200, body = InvitationList), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_invitations(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<InvitationList>> {
    Ok(Json(InvitationList {
        items: s.my_survey_invitations(&actor).await?,
    }))
}

/// One of the signed-in partner user's invitations, with its questions.
#[utoipa::path(get, path = "/survey-invitations/{id}", tag = "surveys", operation_id = "get_survey_invitation",
    params(("id" = uuid::Uuid, Path, description = "Invitation id")),
    responses((status = 200, body = Invitation), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_invitation(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<SurveyInvitationId>,
) -> ApiResult<Json<Invitation>> {
    Ok(Json(s.survey_invitation(&actor, id).await?))
}

/// Answers, one per question in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": [9, 4, "More demo kits, please"]}))]
pub struct ResponseBody {
    /// A number for a scale question (0–10 or 1–5), text or null for a comment.
    pub answers: Vec<Option<Answer>>,
}

/// Answers an invitation, once, while its sending is open (409 after). Every scale question
/// needs an answer; comments may be null.
#[utoipa::path(post, path = "/survey-invitations/{id}/response", tag = "surveys", operation_id = "answer_survey_invitation", request_body = ResponseBody,
    params(("id" = uuid::Uuid, Path, description = "Invitation id")),
    responses((status = 200, body = Ack), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn answer_invitation(
    State(s): State<Services>,
    ApiActor(actor): ApiActor,
    ApiId(id): ApiId<SurveyInvitationId>,
    body: ApiJson<ResponseBody>,
) -> ApiResult<Json<Ack>> {
    let input = ResponseInput {
        answers: body.value.answers.clone(),
    };
    s.answer_survey(&actor, id, &input).await?;
    Ok(Json(Ack { ok: true }))
}
