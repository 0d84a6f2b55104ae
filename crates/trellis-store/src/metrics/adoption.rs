//! Platform adoption: who signs in, how often, and how many deals partners register.

use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch, scalar};

/// Records that a user signed in on `day` (`YYYY-MM-DD`); a day is recorded once.
pub async fn record_sign_in(
    ex: &mut Exec<'_>,
    user_id: Uuid,
    org_id: Uuid,
    day: &str,
) -> Result<()> {
    execute!(
        ex,
        "insert into sign_in_days (user_id, day, org_id) values ($1, $2, $3) \
         on conflict (user_id, day) do nothing",
        [user_id, day, org_id]
    )?;
    Ok(())
}

/// Partner sign-ins in one month: (`YYYY-MM`, distinct users, distinct partners, user-days).
pub type MonthRow = (String, i64, i64, i64);

/// Partner sign-ins per month from `from` to `to` (days, inclusive), by month.
pub async fn sign_ins_by_month(ex: &mut Exec<'_>, from: &str, to: &str) -> Result<Vec<MonthRow>> {
    Ok(fetch!(
        ex,
        MonthRow,
        "select substr(s.day, 1, 7) as month, count(distinct s.user_id), \
           count(distinct s.org_id), count(*) \
         from sign_in_days s join orgs g on g.id = s.org_id \
         where s.day >= $1 and s.day <= $2 and g.kind = 'partner' \
         group by substr(s.day, 1, 7) order by month",
        [from, to],
        fetch_all
    )?)
}

/// Partner sign-ins over a period: (distinct users, distinct partners, user-days).
pub async fn sign_ins(ex: &mut Exec<'_>, from: &str, to: &str) -> Result<(i64, i64, i64)> {
    Ok(fetch!(
        ex,
        (i64, i64, i64),
        "select count(distinct s.user_id), count(distinct s.org_id), count(*) \
         from sign_in_days s join orgs g on g.id = s.org_id \
         where s.day >= $1 and s.day <= $2 and g.kind = 'partner'",
        [from, to],
        fetch_one
    )?)
}

/// Distinct users of one partner who signed in from `from` to `to` (days, inclusive).
pub async fn org_users_signed_in(
    ex: &mut Exec<'_>,
    org_id: Uuid,
    from: &str,
    to: &str,
) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select count(distinct user_id) from sign_in_days \
         where org_id = $1 and day >= $2 and day <= $3",
        [org_id, from, to],
        fetch_one
    )?)
}

/// Users of partners in the program (onboarding or active) who can sign in, and those
/// partners.
pub async fn partner_population(ex: &mut Exec<'_>) -> Result<(i64, i64)> {
    Ok(fetch!(
        ex,
        (i64, i64),
        "select \
           (select count(*) from users u join partner_profiles p on p.org_id = u.org_id \
            where u.status = 'active' and p.status in ('onboarding', 'active')), \
           (select count(*) from partner_profiles where status in ('onboarding', 'active'))",
        [],
        fetch_one
    )?)
}

/// The instants deals were registered from `from` to before `to` (milliseconds), with their
/// partner: few enough a year to bucket in Rust, which keeps the month arithmetic in one place
/// rather than in two SQL dialects.
pub async fn registrations_between(
    ex: &mut Exec<'_>,
    from: i64,
    to: i64,
) -> Result<Vec<(Uuid, i64)>> {
    Ok(fetch!(
        ex,
        (Uuid, i64),
        "select org_id, created_at from deal_registrations \
         where created_at >= $1 and created_at < $2 order by created_at",
        [from, to],
        fetch_all
    )?)
}
