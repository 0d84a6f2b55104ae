//! Partners' deal registrations.

use sqlx::FromRow;
use uuid::Uuid;

use crate::args::Args;
use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::platform::orgs::escape_like;
use crate::{execute, fetch, fetch_args};
use trellis_domain::text::fold;

/// One `deal_registrations` row, with the partner's name.
#[derive(Clone, Debug, FromRow)]
pub struct RegistrationRow {
    pub id: Uuid,
    pub org_id: Uuid,
    /// Read only: joined from `orgs`.
    pub org_name: String,
    pub submitted_by: Uuid,
    pub company_name: String,
    pub website: String,
    /// Registrable domain of the website or the contact's company e-mail.
    pub domain: String,
    /// ISO 3166 alpha-2, or empty.
    pub country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub product: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub expected_close: String,
    pub description: String,
    /// `pending`, `approved`, `rejected`, `expired` or `withdrawn`.
    pub status: String,
    pub stage: String,
    pub next_step: String,
    /// The rules of engagement version in force at submission.
    pub policy_version: i64,
    /// Conflicts found at submission.
    pub conflicts: i64,
    pub sla_due_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<Uuid>,
    pub decision_rule: Option<String>,
    pub decision_reason: Option<String>,
    pub protected_until: Option<i64>,
    pub expiry_warned_at: Option<i64>,
    pub extensions: i64,
    pub extension_requested_at: Option<i64>,
    pub extension_reason: Option<String>,
    pub disputed_at: Option<i64>,
    pub dispute_reason: Option<String>,
    pub opportunity_id: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "r.id, r.org_id, o.name as org_name, r.submitted_by, r.company_name, \
    r.website, r.domain, r.country, r.contact_name, r.contact_email, r.contact_phone, \
    r.product, r.amount_minor, r.currency, r.expected_close, r.description, r.status, r.stage, \
    r.next_step, r.policy_version, r.conflicts, r.sla_due_at, r.escalated_at, r.decided_at, \
    r.decided_by, r.decision_rule, r.decision_reason, r.protected_until, r.expiry_warned_at, \
    r.extensions, r.extension_requested_at, r.extension_reason, r.disputed_at, \
    r.dispute_reason, r.opportunity_id, r.version, r.created_at, r.updated_at";

const FROM: &str = "deal_registrations r join orgs o on o.id = r.org_id";

/// Inserts a registration (its `org_name` and `version` are ignored).
pub async fn insert(ex: &mut Exec<'_>, r: &RegistrationRow) -> Result<()> {
    execute!(
        ex,
        "insert into deal_registrations (id, org_id, submitted_by, company_name, name_key, \
         website, domain, country, contact_name, contact_email, contact_phone, product, \
         amount_minor, currency, expected_close, description, status, stage, next_step, \
         policy_version, conflicts, sla_due_at, escalated_at, decided_at, decided_by, \
         decision_rule, decision_reason, protected_until, expiry_warned_at, extensions, \
         extension_requested_at, extension_reason, disputed_at, dispute_reason, \
         opportunity_id, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, \
         $35, 1, $36, $36)",
        [
            r.id,
            r.org_id,
            r.submitted_by,
            &r.company_name,
            fold(&r.company_name),
            &r.website,
            &r.domain,
            &r.country,
            &r.contact_name,
            &r.contact_email,
            &r.contact_phone,
            &r.product,
            r.amount_minor,
            &r.currency,
            &r.expected_close,
            &r.description,
            &r.status,
            &r.stage,
            &r.next_step,
            r.policy_version,
            r.conflicts,
            r.sla_due_at,
            r.escalated_at,
            r.decided_at,
            r.decided_by,
            &r.decision_rule,
            &r.decision_reason,
            r.protected_until,
            r.expiry_warned_at,
            r.extensions,
            r.extension_requested_at,
            &r.extension_reason,
            r.disputed_at,
            &r.dispute_reason,
            r.opportunity_id,
            r.created_at
        ]
    )?;
    Ok(())
}

/// Writes every changed field if `r.version` is still current, and bumps the version.
/// `false` when someone changed the registration first.
pub async fn update(ex: &mut Exec<'_>, r: &RegistrationRow) -> Result<bool> {
    let n = execute!(
        ex,
        "update deal_registrations set company_name = $2, name_key = $3, website = $4, \
         domain = $5, country = $6, contact_name = $7, contact_email = $8, \
         contact_phone = $9, product = $10, amount_minor = $11, currency = $12, \
         expected_close = $13, description = $14, status = $15, stage = $16, next_step = $17, \
         sla_due_at = $18, escalated_at = $19, decided_at = $20, decided_by = $21, \
         decision_rule = $22, decision_reason = $23, protected_until = $24, \
         expiry_warned_at = $25, extensions = $26, extension_requested_at = $27, \
         extension_reason = $28, disputed_at = $29, dispute_reason = $30, \
         opportunity_id = $31, version = version + 1, updated_at = $32 \
         where id = $1 and version = $33",
        [
            r.id,
            &r.company_name,
            fold(&r.company_name),
            &r.website,
            &r.domain,
            &r.country,
            &r.contact_name,
            &r.contact_email,
            &r.contact_phone,
            &r.product,
            r.amount_minor,
            &r.currency,
            &r.expected_close,
            &r.description,
            &r.status,
            &r.stage,
            &r.next_step,
            r.sla_due_at,
            r.escalated_at,
            r.decided_at,
            r.decided_by,
            &r.decision_rule,
            &r.decision_reason,
            r.protected_until,
            r.expiry_warned_at,
            r.extensions,
            r.extension_requested_at,
            &r.extension_reason,
            r.disputed_at,
            &r.dispute_reason,
            r.opportunity_id,
            r.updated_at,
            r.version
        ]
    )?;
    Ok(n == 1)
}

/// Finds a registration; with `org_id`, only that partner's.
pub async fn find(
    ex: &mut Exec<'_>,
    id: Uuid,
    org_id: Option<Uuid>,
) -> Result<Option<RegistrationRow>> {
    let sql =
        format!("select {COLUMNS} from {FROM} where r.id = $1 and ($2 is null or r.org_id = $2)");
    Ok(fetch!(
        ex,
        RegistrationRow,
        &sql,
        [id, org_id],
        fetch_optional
    )?)
}

/// Registrations by id (those that exist).
pub async fn find_many(ex: &mut Exec<'_>, ids: &[Uuid]) -> Result<Vec<RegistrationRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::new();
    let list = args.list(ids.iter().copied());
    let sql = format!("select {COLUMNS} from {FROM} where r.id in ({list})");
    Ok(fetch_args!(ex, RegistrationRow, &sql, args, fetch_all)?)
}

/// What lists filter by.
#[derive(Clone, Debug, Default)]
pub struct RegistrationFilter {
    /// One partner's only (always set for a partner).
    pub org_id: Option<Uuid>,
    pub status: Option<String>,
    /// Part of the company name.
    pub q: Option<String>,
    /// Partners whose channel manager this is.
    pub partner_owner_id: Option<Uuid>,
    /// Oldest first (the review queue) instead of newest first.
    pub oldest_first: bool,
}

/// A page of registrations, newest first (or oldest first for the queue).
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &RegistrationFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<RegistrationRow>> {
    // The direction is the only part that varies; values are always bound.
    let (cmp, dir) = if filter.oldest_first {
        (">", "asc")
    } else {
        ("<", "desc")
    };
    let sql = format!(
        "select {COLUMNS} from {FROM} \
         where ($1 is null or r.org_id = $1) \
           and ($2 is null or r.status = $2) \
           and ($3 is null or r.name_key like $3 escape '\\') \
           and ($4 is null or r.org_id in \
                (select org_id from partner_profiles where owner_id = $4)) \
           and ($5 is null or r.created_at {cmp} $5 or (r.created_at = $5 and r.id {cmp} $6)) \
         order by r.created_at {dir}, r.id {dir} limit $7"
    );
    let like = filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", escape_like(&fold(q))));
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (c.key.parse::<i64>().ok(), c.id));
    let rows = fetch!(
        ex,
        RegistrationRow,
        &sql,
        [
            filter.org_id,
            &filter.status,
            like,
            filter.partner_owner_id,
            key,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.created_at.to_string(),
        id: r.id,
    }))
}

/// Registrations per status (one partner's, or all).
pub async fn counts(ex: &mut Exec<'_>, org_id: Option<Uuid>) -> Result<Vec<(String, i64)>> {
    Ok(fetch!(
        ex,
        (String, i64),
        "select status, count(*) from deal_registrations where ($1 is null or org_id = $1) \
         group by status",
        [org_id],
        fetch_all
    )?)
}

/// The fields the conflict index reads.
#[derive(Clone, Debug, FromRow)]
pub struct MatchRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub company_name: String,
    pub domain: String,
    pub country: String,
    pub status: String,
    pub created_at: i64,
}

/// Every active (pending or approved) registration, for the conflict index.
pub async fn active_for_matching(ex: &mut Exec<'_>) -> Result<Vec<MatchRow>> {
    Ok(fetch!(
        ex,
        MatchRow,
        "select id, org_id, company_name, domain, country, status, created_at \
         from deal_registrations where status in ('pending', 'approved')",
        [],
        fetch_all
    )?)
}

/// Some registrations' matching fields, whatever their status (the index drops inactive ones).
pub async fn for_matching(ex: &mut Exec<'_>, ids: &[Uuid]) -> Result<Vec<MatchRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::new();
    let list = args.list(ids.iter().copied());
    let sql = format!(
        "select id, org_id, company_name, domain, country, status, created_at \
         from deal_registrations where id in ({list})"
    );
    Ok(fetch_args!(ex, MatchRow, &sql, args, fetch_all)?)
}

/// Pending registrations past their SLA and not yet escalated, oldest first.
pub async fn sla_breached(
    ex: &mut Exec<'_>,
    now: i64,
    limit: usize,
) -> Result<Vec<RegistrationRow>> {
    let sql = format!(
        "select {COLUMNS} from {FROM} where r.status = 'pending' and r.sla_due_at <= $1 \
         and r.escalated_at is null order by r.sla_due_at limit $2"
    );
    Ok(fetch!(
        ex,
        RegistrationRow,
        &sql,
        [now, i64::try_from(limit).unwrap_or(i64::MAX)],
        fetch_all
    )?)
}

/// Approved registrations whose protection ends by `until`, soonest first; with
/// `unwarned`, only those whose partner has not been warned yet.
/// Approved registrations whose protection ends by `until` (converted ones excepted: the
/// partner's place then follows the opportunity).
pub async fn protection_ending(
    ex: &mut Exec<'_>,
    until: i64,
    unwarned: bool,
    limit: usize,
) -> Result<Vec<RegistrationRow>> {
    let sql = format!(
        "select {COLUMNS} from {FROM} where r.status = 'approved' and r.protected_until <= $1 \
         and r.opportunity_id is null \
         and (not $2 or r.expiry_warned_at is null) order by r.protected_until limit $3"
    );
    Ok(fetch!(
        ex,
        RegistrationRow,
        &sql,
        [until, unwarned, i64::try_from(limit).unwrap_or(i64::MAX)],
        fetch_all
    )?)
}

/// The registrations converted into an opportunity.
pub async fn of_opportunity(
    ex: &mut Exec<'_>,
    opportunity_id: Uuid,
) -> Result<Vec<RegistrationRow>> {
    let sql =
        format!("select {COLUMNS} from {FROM} where r.opportunity_id = $1 order by r.created_at");
    Ok(fetch!(
        ex,
        RegistrationRow,
        &sql,
        [opportunity_id],
        fetch_all
    )?)
}

/// What registering reads about the partner, and the rules version in force, in one query
/// (each query is a round trip to a connection's thread; registration is the hot path).
#[derive(Clone, Debug, FromRow)]
pub struct RegistrantRow {
    pub org_name: String,
    pub tier_rank: Option<i64>,
    /// 1 when the partner has a profile (an onboarded partner), else 0.
    pub has_profile: i64,
    pub first_deal_at: Option<i64>,
    /// The partner's channel manager, if active.
    pub owner_email: Option<String>,
    /// The newest rules of engagement version, if any was stored yet.
    pub policy_version: Option<i64>,
}

/// The registrant's facts; `None` for an unknown organisation.
pub async fn registrant(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Option<RegistrantRow>> {
    Ok(fetch!(
        ex,
        RegistrantRow,
        "select o.name as org_name, \
                (select t.rank from tiers t where t.key = o.tier) as tier_rank, \
                cast(case when p.org_id is null then 0 else 1 end as bigint) as has_profile, \
                p.first_deal_at, \
                (select u.email from users u \
                  where u.id = p.owner_id and u.status = 'active') as owner_email, \
                (select max(version) from engagement_policies) as policy_version \
         from orgs o left join partner_profiles p on p.org_id = o.id \
         where o.id = $1",
        [org_id],
        fetch_optional
    )?)
}
