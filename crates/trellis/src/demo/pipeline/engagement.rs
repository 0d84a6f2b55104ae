//! Engagement in the demo: a quarterly partner satisfaction survey that has gone out four
//! times, answered by most partner admins (some partners happier than others, and a few
//! slipping this quarter, with comments), and a year of partner users' days of use for the
//! adoption figures.
//!
//! Days of use are written as sign-ins would write them (the store's own function), not by
//! signing everyone in: a real sign-in verifies an argon2 hash, far too slow for a year of days.

use trellis_domain::psat::Answer;
use trellis_domain::{OrgId, Role, Timestamp};
use trellis_match::benchmark::SplitMix64;
use trellis_service::psat::{QuestionInput, ResponseInput, SurveyInput};
use trellis_service::{FakeClock, Services};
use trellis_store::metrics::adoption;

use super::Cast;
use crate::cli::admin::service_error;

/// Seeds the generator, far from the others.
const SEED: u64 = 0x05A7_15FA_C710;
const DAY_MS: i64 = 86_400_000;

/// What the demo's engagement holds.
#[derive(Debug)]
pub(crate) struct Engagement {
    /// Survey sendings.
    pub waves: usize,
    /// Responses to them.
    pub responses: usize,
    /// Partner user-days of use.
    pub days_of_use: usize,
}

/// What partners say, by how happy they are.
const COMMENTS: [&str; 6] = [
    "Deal registration approvals are quick now; keep it that way.",
    "We need demo kits for the new edge product before our customers ask.",
    "Co-sell requests sometimes wait a week for a seller to pick them up.",
    "The enablement tracks are good but too long for our pre-sales team.",
    "MDF claims take too many steps.",
    "Our channel manager is excellent.",
];

pub(super) async fn seed(
    services: &Services,
    clock: &FakeClock,
    now: Timestamp,
    cast: &Cast<'_>,
) -> anyhow::Result<Engagement> {
    let mut rng = SplitMix64::new(SEED);
    let manager = cast.person("manager@vendor.example", cast.vendor, Role::ChannelManager)?;
    // Four sendings, a quarter apart, the last two weeks ago.
    let first = now.millis() - (2 * 7 + 3 * 91) * DAY_MS;
    clock.set(Timestamp::from_millis(first - DAY_MS));
    let survey = services
        .create_survey(&manager, &pulse())
        .await
        .map_err(service_error)?;
    let admins: Vec<(OrgId, trellis_service::Actor)> = cast
        .partners
        .iter()
        .filter_map(|p| {
            let email = format!("admin@{}.example", p.slug);
            cast.person(&email, p.id, Role::PartnerAdmin)
                .ok()
                .map(|a| (p.id, a))
        })
        .collect();
    let (mut waves, mut responses) = (0, 0);
    for wave in 0..4_i64 {
        clock.set(Timestamp::from_millis(first + wave * 91 * DAY_MS));
        if services.send_survey(&manager, survey.id).await.is_err() {
            continue; // nobody to ask yet
        }
        waves += 1;
        for (k, (_, admin)) in admins.iter().enumerate() {
            // Three in four answer, within the fortnight.
            if !rng.percent(75) {
                continue;
            }
            let Some(invitation) = services
                .my_survey_invitations(admin)
                .await
                .map_err(service_error)?
                .into_iter()
                .next()
            else {
                continue;
            };
            clock.set(Timestamp::from_millis(
                first + wave * 91 * DAY_MS + (i64::try_from(rng.below(12))? + 1) * DAY_MS,
            ));
            let answers = answers(&mut rng, k, wave)?;
            services
                .answer_survey(admin, invitation.id, &ResponseInput { answers })
                .await
                .map_err(service_error)?;
            responses += 1;
        }
    }
    clock.set(now);
    let days_of_use = days_of_use(services, cast, now, &mut rng).await?;
    Ok(Engagement {
        waves,
        responses,
        days_of_use,
    })
}

/// The survey: the recommendation question, three ratings, room to say more.
fn pulse() -> SurveyInput {
    let q = |kind: &str, text: &str| QuestionInput {
        kind: kind.into(),
        text: text.into(),
    };
    SurveyInput {
        title: "Quarterly partner pulse".into(),
        intro: "Five questions, once a quarter. We read every answer and report back what we \
                change."
            .into(),
        questions: vec![
            q(
                "recommend",
                "How likely are you to recommend our partner program to a peer?",
            ),
            q("rating", "How well does our team support your deals?"),
            q(
                "rating",
                "How useful are our enablement and sales materials?",
            ),
            q("rating", "How fair and quick is deal registration?"),
            q("comment", "What should we do differently?"),
        ],
        cadence: "quarterly".into(),
        audience: "admins".into(),
        open_days: "14".into(),
        next_send_on: String::new(),
        active: true,
    }
}

/// The `k`th partner's answers in a sending. Each partner has a mood (2 to 4 on a 1–5 scale,
/// give or take one); partners 5, 11 and 17 slip in the last quarter.
fn answers(rng: &mut SplitMix64, k: usize, wave: i64) -> anyhow::Result<Vec<Option<Answer>>> {
    let base = 2 + i64::try_from(k % 3)?;
    let mood = if wave == 3 && k % 6 == 5 {
        base - 1
    } else {
        base
    };
    let mut rating =
        || -> anyhow::Result<i64> { Ok((mood + i64::try_from(rng.below(3))? - 1).clamp(1, 5)) };
    let ratings = [rating()?, rating()?, rating()?];
    let recommend = (mood * 2 + 1 + i64::try_from(rng.below(3))? - 1).clamp(0, 10);
    let comment = if rng.percent(35) {
        // The happy praise; the others say what to fix.
        let pick = if mood >= 4 {
            [0, 5][rng.below(2)]
        } else {
            1 + rng.below(4)
        };
        Some(Answer::Text(COMMENTS[pick].to_owned()))
    } else {
        None
    };
    Ok(vec![
        Some(Answer::Scale(recommend)),
        Some(Answer::Scale(ratings[0])),
        Some(Answer::Scale(ratings[1])),
        Some(Answer::Scale(ratings[2])),
        comment,
    ])
}

/// A year of partner users' days of use: admins most working days, sellers some, busier
/// partners more, and more of it lately as the program grows.
async fn days_of_use(
    services: &Services,
    cast: &Cast<'_>,
    now: Timestamp,
    rng: &mut SplitMix64,
) -> anyhow::Result<usize> {
    let mut written = 0;
    let mut tx = services.db().begin().await?;
    for (k, partner) in cast.partners.iter().enumerate() {
        // Out of 20: admins 8, sellers 3; keener partners up to 3 more; up to 3 more lately.
        let keen = k % 4;
        for (local, base) in [("admin", 8), ("seller", 3)] {
            let email = format!("{local}@{}.example", partner.slug);
            let Some((_, user, _)) = cast.users.iter().find(|(e, ..)| *e == email) else {
                continue;
            };
            for back in 0..365_i64 {
                let growth = usize::try_from((365 - back) / 122)?;
                if rng.below(20) >= base + keen + growth {
                    continue;
                }
                let day = Timestamp::from_millis(now.millis() - back * DAY_MS).date();
                adoption::record_sign_in(
                    &mut tx.exec(),
                    user.as_uuid(),
                    partner.id.as_uuid(),
                    &day,
                )
                .await?;
                written += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(written)
}
