//! Writing surveys and sending them: by hand, or on their cadence by the hourly job.

use std::time::Duration;

use serde_json::json;
use trellis_domain::psat::Cadence;
use trellis_domain::{SurveyId, SurveyInvitationId, SurveyWaveId, Timestamp};
use trellis_store::Json;
use trellis_store::Tx;
use trellis_store::platform::orgs;
use trellis_store::psat::{self as store, InvitationRow, SurveyRow, WaveRow};

use super::{Checked, Survey, SurveyInput, keeper, reader};
use crate::outbox::Change;
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Error, Result, Services};

const DAY: Duration = Duration::from_hours(24);

impl Checked {
    /// A row with these settings, keeping `base`'s identity, author, version and times.
    fn row(self, active: bool, base: &SurveyRow) -> SurveyRow {
        SurveyRow {
            id: base.id,
            created_by: base.created_by,
            version: base.version,
            created_at: base.created_at,
            updated_at: base.updated_at,
            title: self.title,
            intro: self.intro,
            questions: Json(json!(self.questions)),
            cadence: self.cadence.as_str().into(),
            audience: self.audience.as_str().into(),
            open_days: self.open_days,
            active,
            next_send_at: self.next_send_at,
        }
    }
}

impl Services {
    /// Every survey, newest first.
    pub async fn surveys(&self, actor: &Actor) -> Result<Vec<Survey>> {
        reader(actor)?;
        let mut c = self.db().read().await?;
        store::list(&mut c.exec())
            .await?
            .into_iter()
            .map(Survey::try_from)
            .collect()
    }

    /// One survey.
    pub async fn survey(&self, actor: &Actor, id: SurveyId) -> Result<Survey> {
        reader(actor)?;
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Writes a new survey.
    pub async fn create_survey(&self, actor: &Actor, input: &SurveyInput) -> Result<Survey> {
        keeper(actor)?;
        let now = self.now();
        let c = input.check(now)?;
        let row = c.row(
            input.active,
            &SurveyRow {
                id: SurveyId::new().as_uuid(),
                title: String::new(),
                intro: String::new(),
                questions: Json(json!([])),
                cadence: String::new(),
                audience: String::new(),
                open_days: 0,
                active: false,
                next_send_at: None,
                created_by: actor.user().map(|u| u.user_id.as_uuid()),
                version: 1,
                created_at: now.millis(),
                updated_at: now.millis(),
            },
        );
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        let survey = Survey::try_from(row)?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "survey.created",
                object_type: "survey",
                object_id: survey.id.to_string(),
                org_id: None,
                summary: format!("created the survey {}", survey.title),
                before: None,
                after: Some(json!(survey)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(survey)
    }

    /// Rewrites a survey at `version`. Sendings already made keep the questions they asked.
    pub async fn update_survey(
        &self,
        actor: &Actor,
        id: SurveyId,
        version: i64,
        input: &SurveyInput,
    ) -> Result<Survey> {
        keeper(actor)?;
        let now = self.now();
        let c = input.check(now)?;
        let mut tx = self.db().begin().await?;
        let old = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if old.version != version {
            return Err(Error::StaleVersion {
                current: old.version,
            });
        }
        let row = c.row(
            input.active,
            &SurveyRow {
                version: version + 1,
                updated_at: now.millis(),
                ..old.clone()
            },
        );
        if !store::update(&mut tx.exec(), &row).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let before = Survey::try_from(old)?;
        let survey = Survey::try_from(row)?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "survey.updated",
                object_type: "survey",
                object_id: survey.id.to_string(),
                org_id: None,
                summary: format!("changed the survey {}", survey.title),
                before: Some(json!(before)),
                after: Some(json!(survey)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(survey)
    }

    /// Sends a survey now, whatever its schedule (which stays as it was). Fails when no
    /// partner user would receive it.
    pub async fn send_survey(&self, actor: &Actor, id: SurveyId) -> Result<super::WaveSummary> {
        keeper(actor)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let survey = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let Some(wave) = self.send_wave(&mut tx, &survey, now).await? else {
            return Err(Error::InvalidState(
                "no partner user would receive it: the survey goes to active users of \
                 onboarding or active partners",
            ));
        };
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "survey.sent",
                object_type: "survey",
                object_id: survey.id.to_string(),
                org_id: None,
                summary: format!(
                    "sent the survey {} to {} partner users",
                    survey.title, wave.recipients
                ),
                before: None,
                after: Some(json!({"wave_id": wave.id, "recipients": wave.recipients})),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(super::results::summary(&wave, 0, &[], now))
    }

    /// Sends every survey whose scheduled day has come and moves each to its next sending (the
    /// job). Returns how many sendings went out.
    pub async fn send_due_surveys(&self) -> Result<usize> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let mut sent = 0;
        for survey in store::due(&mut tx.exec(), now.millis()).await? {
            if self.send_wave(&mut tx, &survey, now).await?.is_some() {
                sent += 1;
            }
            let cadence: Cadence = crate::platform::parse_stored("cadence", &survey.cadence)?;
            let next = next_after(survey.next_send_at, cadence, now);
            store::set_next_send(&mut tx.exec(), survey.id, next).await?;
        }
        tx.commit().await?;
        Ok(sent)
    }

    /// Writes a wave and its invitations and queues one e-mail per recipient; `None` (and
    /// nothing written) when nobody would receive it.
    async fn send_wave(
        &self,
        tx: &mut Tx,
        survey: &SurveyRow,
        now: Timestamp,
    ) -> Result<Option<WaveRow>> {
        let admins_only = survey.audience == "admins";
        let recipients = store::recipients(&mut tx.exec(), admins_only).await?;
        if recipients.is_empty() {
            return Ok(None);
        }
        let open_days = u32::try_from(survey.open_days).unwrap_or(14);
        let wave = WaveRow {
            id: SurveyWaveId::new().as_uuid(),
            survey_id: survey.id,
            title: survey.title.clone(),
            intro: survey.intro.clone(),
            questions: survey.questions.clone(),
            sent_at: now.millis(),
            closes_at: now.plus(DAY * open_days).millis(),
            recipients: i64::try_from(recipients.len()).unwrap_or(i64::MAX),
        };
        store::insert_wave(&mut tx.exec(), &wave).await?;
        let invitations: Vec<InvitationRow> = recipients
            .iter()
            .map(|r| InvitationRow {
                id: SurveyInvitationId::new().as_uuid(),
                wave_id: wave.id,
                user_id: r.user_id,
                org_id: r.org_id,
                responded_at: None,
            })
            .collect();
        store::insert_invitations(&mut tx.exec(), &invitations).await?;
        let vendor = orgs::find_vendor(&mut tx.exec())
            .await?
            .map_or_else(|| "your vendor".to_owned(), |v| v.name);
        let closes = Timestamp::from_millis(wave.closes_at).date();
        for (r, i) in recipients.iter().zip(&invitations) {
            let link = self.config().link(&format!("/portal/surveys/{}", i.id));
            let intro = if survey.intro.is_empty() {
                String::new()
            } else {
                format!("{}\n\n", survey.intro)
            };
            email::queue(
                tx,
                &EmailMessage {
                    to: r.email.clone(),
                    subject: format!(
                        "{}: how is the partnership with {vendor} going?",
                        survey.title
                    ),
                    body: format!(
                        "Hello {name},\n\n{intro}{vendor} would like your view of its partner \
                         program. It takes a few minutes; your answers are shared under your \
                         organisation's name, not yours.\n\nAnswer by {closes}:\n{link}\n",
                        name = r.name,
                    ),
                },
                now,
                self.config().job_max_attempts,
            )
            .await?;
        }
        Ok(Some(wave))
    }
}

/// The next sending after one scheduled at `scheduled`: the cadence's months later, skipping
/// sendings a stopped worker missed (one wave, not a burst, after downtime). `None` for a
/// survey sent once.
fn next_after(scheduled: Option<i64>, cadence: Cadence, now: Timestamp) -> Option<i64> {
    let months = cadence.months()?;
    let anchor = Timestamp::from_millis(scheduled.unwrap_or(now.millis()));
    // Multiples of the anchor, so a sending on the 31st does not drift to the 30th for good
    // after a short month; bounded, as a schedule a century behind is not worth resuming.
    (1..=1_200)
        .map(|n| anchor.plus_months(months.saturating_mul(n)))
        .find(|next| *next > now)
        .map(Timestamp::millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_moves_by_its_months_and_skips_missed_sendings() {
        let at = |d: &str| Timestamp::from_date(d).unwrap();
        let day = |ms: Option<i64>| ms.map(|m| Timestamp::from_millis(m).date());
        let jan = Some(at("2026-01-31").millis());
        assert_eq!(
            day(next_after(jan, Cadence::Quarterly, at("2026-01-31"))),
            Some("2026-04-30".into())
        );
        // A worker down for eight months sends once and resumes the rhythm.
        assert_eq!(
            day(next_after(jan, Cadence::Quarterly, at("2026-09-01"))),
            Some("2026-10-31".into())
        );
        assert_eq!(next_after(jan, Cadence::Once, at("2026-01-31")), None);
    }
}
