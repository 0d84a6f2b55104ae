//! Partner satisfaction surveys: surveys, their sendings (waves), each recipient's invitation,
//! and the responses, which name the organisation but not the person.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::args::{insert_sql, rows_per_statement};
use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch, on_backend};

/// One `surveys` row.
#[derive(Clone, Debug, FromRow)]
pub struct SurveyRow {
    pub id: Uuid,
    pub title: String,
    pub intro: String,
    /// `[{kind, text}]`, as the domain serialises questions.
    pub questions: Json<Value>,
    pub cadence: String,
    pub audience: String,
    pub open_days: i64,
    pub active: bool,
    pub next_send_at: Option<i64>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SURVEY: &str = "select id, title, intro, questions, cadence, audience, open_days, active, \
    next_send_at, created_by, version, created_at, updated_at from surveys";

/// Writes a new survey.
pub async fn insert(ex: &mut Exec<'_>, r: &SurveyRow) -> Result<()> {
    execute!(
        ex,
        "insert into surveys (id, title, intro, questions, cadence, audience, open_days, active, \
           next_send_at, created_by, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [
            r.id,
            &r.title,
            &r.intro,
            &r.questions,
            &r.cadence,
            &r.audience,
            r.open_days,
            r.active,
            r.next_send_at,
            r.created_by,
            r.version,
            r.created_at,
            r.updated_at
        ]
    )?;
    Ok(())
}

/// Replaces a survey's settings if it is still at `r.version - 1`; false when someone changed
/// it meanwhile.
pub async fn update(ex: &mut Exec<'_>, r: &SurveyRow) -> Result<bool> {
    Ok(execute!(
        ex,
        "update surveys set title = $2, intro = $3, questions = $4, cadence = $5, audience = $6, \
           open_days = $7, active = $8, next_send_at = $9, version = $10, updated_at = $11 \
         where id = $1 and version = $10 - 1",
        [
            r.id,
            &r.title,
            &r.intro,
            &r.questions,
            &r.cadence,
            &r.audience,
            r.open_days,
            r.active,
            r.next_send_at,
            r.version,
            r.updated_at
        ]
    )? == 1)
}

/// Moves a survey's next sending (after it went out), without touching its version.
pub async fn set_next_send(ex: &mut Exec<'_>, id: Uuid, next: Option<i64>) -> Result<()> {
    execute!(
        ex,
        "update surveys set next_send_at = $2 where id = $1",
        [id, next]
    )?;
    Ok(())
}

/// One survey.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<SurveyRow>> {
    let sql = format!("{SURVEY} where id = $1");
    Ok(fetch!(ex, SurveyRow, &sql, [id], fetch_optional)?)
}

/// Every survey, newest first.
pub async fn list(ex: &mut Exec<'_>) -> Result<Vec<SurveyRow>> {
    let sql = format!("{SURVEY} order by created_at desc, id desc");
    Ok(fetch!(ex, SurveyRow, &sql, [], fetch_all)?)
}

/// Active surveys whose next sending is due at `now`.
pub async fn due(ex: &mut Exec<'_>, now: i64) -> Result<Vec<SurveyRow>> {
    let sql = format!(
        "{SURVEY} where active = true and next_send_at is not null and next_send_at <= $1 \
         order by next_send_at, id"
    );
    Ok(fetch!(ex, SurveyRow, &sql, [now], fetch_all)?)
}

/// One `survey_waves` row, with its counts when read.
#[derive(Clone, Debug, FromRow)]
pub struct WaveRow {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub title: String,
    pub intro: String,
    pub questions: Json<Value>,
    pub sent_at: i64,
    pub closes_at: i64,
    pub recipients: i64,
}

/// Writes a wave.
pub async fn insert_wave(ex: &mut Exec<'_>, w: &WaveRow) -> Result<()> {
    execute!(
        ex,
        "insert into survey_waves (id, survey_id, title, intro, questions, sent_at, closes_at, \
           recipients) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            w.id,
            w.survey_id,
            &w.title,
            &w.intro,
            &w.questions,
            w.sent_at,
            w.closes_at,
            w.recipients
        ]
    )?;
    Ok(())
}

/// A survey's waves, newest first.
pub async fn waves_of(ex: &mut Exec<'_>, survey_id: Uuid) -> Result<Vec<WaveRow>> {
    Ok(fetch!(
        ex,
        WaveRow,
        "select id, survey_id, title, intro, questions, sent_at, closes_at, recipients \
         from survey_waves where survey_id = $1 order by sent_at desc, id desc",
        [survey_id],
        fetch_all
    )?)
}

/// A partner user a survey can go to.
#[derive(Clone, Debug, FromRow)]
pub struct RecipientRow {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub name: String,
}

/// Active users of partners that are onboarding or active; only their admins when
/// `admins_only`.
pub async fn recipients(ex: &mut Exec<'_>, admins_only: bool) -> Result<Vec<RecipientRow>> {
    Ok(fetch!(
        ex,
        RecipientRow,
        "select u.id as user_id, u.org_id, u.email, u.name from users u \
         join partner_profiles p on p.org_id = u.org_id \
         where u.status = 'active' and p.status in ('onboarding', 'active') \
           and ($1 = false or u.role = 'partner_admin') \
         order by u.org_id, u.email_norm",
        [admins_only],
        fetch_all
    )?)
}

/// One `survey_invitations` row.
#[derive(Clone, Debug, FromRow)]
pub struct InvitationRow {
    pub id: Uuid,
    pub wave_id: Uuid,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub responded_at: Option<i64>,
}

/// Writes invitations.
pub async fn insert_invitations(ex: &mut Exec<'_>, rows: &[InvitationRow]) -> Result<()> {
    const COLUMNS: [&str; 5] = ["id", "wave_id", "user_id", "org_id", "responded_at"];
    for chunk in rows.chunks(rows_per_statement(COLUMNS.len())) {
        let sql = insert_sql("survey_invitations", &COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(r.wave_id)
                    .bind(r.user_id)
                    .bind(r.org_id)
                    .bind(r.responded_at);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// An invitation with its wave, as its recipient reads it.
#[derive(Clone, Debug, FromRow)]
pub struct InvitationView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub responded_at: Option<i64>,
    pub wave_id: Uuid,
    pub survey_id: Uuid,
    pub title: String,
    pub intro: String,
    pub questions: Json<Value>,
    pub sent_at: i64,
    pub closes_at: i64,
}

const INVITATION: &str = "select i.id, i.user_id, i.org_id, i.responded_at, w.id as wave_id, \
    w.survey_id, w.title, w.intro, w.questions, w.sent_at, w.closes_at \
    from survey_invitations i join survey_waves w on w.id = i.wave_id";

/// One invitation.
pub async fn find_invitation(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<InvitationView>> {
    let sql = format!("{INVITATION} where i.id = $1");
    Ok(fetch!(ex, InvitationView, &sql, [id], fetch_optional)?)
}

/// A user's invitations still open at `now` and not answered, soonest closing first.
pub async fn open_invitations(
    ex: &mut Exec<'_>,
    user_id: Uuid,
    now: i64,
) -> Result<Vec<InvitationView>> {
    let sql = format!(
        "{INVITATION} where i.user_id = $1 and i.responded_at is null and w.closes_at > $2 \
         order by w.closes_at, i.id"
    );
    Ok(fetch!(ex, InvitationView, &sql, [user_id, now], fetch_all)?)
}

/// Marks an invitation answered; false if it already was (a second submit).
pub async fn mark_responded(ex: &mut Exec<'_>, id: Uuid, at: i64) -> Result<bool> {
    Ok(execute!(
        ex,
        "update survey_invitations set responded_at = $2 where id = $1 and responded_at is null",
        [id, at]
    )? == 1)
}

/// One `survey_responses` row.
#[derive(Clone, Debug, FromRow)]
pub struct ResponseRow {
    pub id: Uuid,
    pub wave_id: Uuid,
    pub survey_id: Uuid,
    pub org_id: Uuid,
    /// One answer per question of the wave: a number, a string or null.
    pub answers: Json<Value>,
    /// Hundredths of a point, 0–10000; none when no scale question was answered.
    pub score: Option<i64>,
    /// The 0–10 recommendation.
    pub recommend: Option<i64>,
    pub submitted_at: i64,
}

/// Writes a response.
pub async fn insert_response(ex: &mut Exec<'_>, r: &ResponseRow) -> Result<()> {
    execute!(
        ex,
        "insert into survey_responses (id, wave_id, survey_id, org_id, answers, score, \
           recommend, submitted_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            r.id,
            r.wave_id,
            r.survey_id,
            r.org_id,
            &r.answers,
            r.score,
            r.recommend,
            r.submitted_at
        ]
    )?;
    Ok(())
}

/// A response with its partner's name, for results.
#[derive(Clone, Debug, FromRow)]
pub struct ResponseView {
    pub wave_id: Uuid,
    pub survey_id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub answers: Json<Value>,
    pub score: Option<i64>,
    pub recommend: Option<i64>,
    pub submitted_at: i64,
}

const RESPONSE: &str = "select r.wave_id, r.survey_id, r.org_id, g.name as org_name, r.answers, \
    r.score, r.recommend, r.submitted_at from survey_responses r join orgs g on g.id = r.org_id";

/// A survey's responses, oldest first.
pub async fn responses_of(ex: &mut Exec<'_>, survey_id: Uuid) -> Result<Vec<ResponseView>> {
    let sql = format!("{RESPONSE} where r.survey_id = $1 order by r.submitted_at, r.id");
    Ok(fetch!(ex, ResponseView, &sql, [survey_id], fetch_all)?)
}

/// Every response submitted from `from` to before `to` (milliseconds), oldest first.
pub async fn responses_between(ex: &mut Exec<'_>, from: i64, to: i64) -> Result<Vec<ResponseView>> {
    let sql = format!(
        "{RESPONSE} where r.submitted_at >= $1 and r.submitted_at < $2 \
         order by r.submitted_at, r.id"
    );
    Ok(fetch!(ex, ResponseView, &sql, [from, to], fetch_all)?)
}

/// The scored responses of one partner since `since`: (sum of scores, how many).
pub async fn org_scores_since(ex: &mut Exec<'_>, org_id: Uuid, since: i64) -> Result<(i64, i64)> {
    Ok(fetch!(
        ex,
        (i64, i64),
        "select cast(coalesce(sum(score), 0) as bigint), count(score) from survey_responses \
         where org_id = $1 and submitted_at >= $2",
        [org_id, since],
        fetch_one
    )?)
}

/// Per wave of a survey, the invitations answered.
pub async fn responded_counts(ex: &mut Exec<'_>, survey_id: Uuid) -> Result<Vec<(Uuid, i64)>> {
    Ok(fetch!(
        ex,
        (Uuid, i64),
        "select i.wave_id, count(*) from survey_invitations i \
         join survey_waves w on w.id = i.wave_id \
         where w.survey_id = $1 and i.responded_at is not null group by i.wave_id",
        [survey_id],
        fetch_all
    )?)
}
