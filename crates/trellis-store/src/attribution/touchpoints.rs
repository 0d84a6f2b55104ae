//! Touchpoints: what partners and other channels did on vendor opportunities and accounts, and
//! the rows a model run reads them back as (one per touch of a closed opportunity).

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch, fetch_args, on_backend};

/// One `touchpoints` row with the names joined to it.
#[derive(Clone, Debug, FromRow)]
pub struct TouchpointRow {
    pub id: Uuid,
    pub opportunity_id: Option<Uuid>,
    /// Read only: joined from `opportunities`.
    pub opportunity_name: Option<String>,
    pub account_id: Option<Uuid>,
    /// Read only: joined from `accounts`.
    pub account_name: Option<String>,
    pub org_id: Option<Uuid>,
    /// Read only: joined from `orgs`.
    pub org_name: Option<String>,
    /// The channel, when no partner made the touch; empty otherwise.
    pub channel: String,
    pub kind: String,
    pub occurred_at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub origin: String,
    /// The registration or co-sell request a captured touch came from.
    pub source_id: Option<Uuid>,
    pub note: String,
    pub created_at: i64,
}

const COLUMNS: &str = "t.id, t.opportunity_id, p.name as opportunity_name, t.account_id, \
    a.name as account_name, t.org_id, g.name as org_name, t.channel, t.kind, t.occurred_at, \
    t.actor_id, t.actor_label, t.origin, t.source_id, t.note, t.created_at";

const FROM: &str = "touchpoints t \
    left join opportunities p on p.id = t.opportunity_id \
    left join accounts a on a.id = t.account_id \
    left join orgs g on g.id = t.org_id";

/// Inserts a touchpoint (the joined names are ignored). A captured touch whose source is
/// already recorded for that partner is left alone: `false` then.
pub async fn insert(ex: &mut Exec<'_>, t: &TouchpointRow) -> Result<bool> {
    let n = execute!(
        ex,
        "insert into touchpoints (id, opportunity_id, account_id, org_id, channel, kind, \
         occurred_at, actor_id, actor_label, origin, source_id, note, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         on conflict do nothing",
        [
            t.id,
            t.opportunity_id,
            t.account_id,
            t.org_id,
            &t.channel,
            &t.kind,
            t.occurred_at,
            t.actor_id,
            &t.actor_label,
            &t.origin,
            t.source_id,
            &t.note,
            t.created_at
        ]
    )?;
    Ok(n == 1)
}

/// Inserts many touchpoints in multi-row statements (a bulk load: no conflict handling).
pub async fn insert_many(ex: &mut Exec<'_>, rows: &[TouchpointRow]) -> Result<()> {
    const COLUMNS: [&str; 13] = [
        "id",
        "opportunity_id",
        "account_id",
        "org_id",
        "channel",
        "kind",
        "occurred_at",
        "actor_id",
        "actor_label",
        "origin",
        "source_id",
        "note",
        "created_at",
    ];
    for chunk in rows.chunks(crate::args::rows_per_statement(COLUMNS.len())) {
        let sql = crate::args::insert_sql("touchpoints", &COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for t in chunk {
                q = q
                    .bind(t.id)
                    .bind(t.opportunity_id)
                    .bind(t.account_id)
                    .bind(t.org_id)
                    .bind(&t.channel)
                    .bind(&t.kind)
                    .bind(t.occurred_at)
                    .bind(t.actor_id)
                    .bind(&t.actor_label)
                    .bind(&t.origin)
                    .bind(t.source_id)
                    .bind(&t.note)
                    .bind(t.created_at);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// One touchpoint.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<TouchpointRow>> {
    let sql = format!("select {COLUMNS} from {FROM} where t.id = $1");
    Ok(fetch!(ex, TouchpointRow, &sql, [id], fetch_optional)?)
}

/// Deletes a touchpoint; `false` when there was none.
pub async fn delete(ex: &mut Exec<'_>, id: Uuid) -> Result<bool> {
    Ok(execute!(ex, "delete from touchpoints where id = $1", [id])? == 1)
}

/// Which touchpoints to list.
#[derive(Clone, Debug, Default)]
pub struct TouchpointFilter {
    pub opportunity_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub kind: Option<String>,
}

/// Touchpoints, latest first.
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &TouchpointFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<TouchpointRow>> {
    let sql = format!(
        "select {COLUMNS} from {FROM} \
         where ($1 is null or t.opportunity_id = $1) \
           and ($2 is null or t.account_id = $2) \
           and ($3 is null or t.org_id = $3) \
           and ($4 is null or t.kind = $4) \
           and ($5 is null or t.occurred_at < $5 or (t.occurred_at = $5 and t.id < $6)) \
         order by t.occurred_at desc, t.id desc limit $7"
    );
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (c.key.parse::<i64>().ok(), c.id));
    let rows = fetch!(
        ex,
        TouchpointRow,
        &sql,
        [
            filter.opportunity_id,
            filter.account_id,
            filter.org_id,
            &filter.kind,
            key,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.occurred_at.to_string(),
        id: r.id,
    }))
}

/// The touchpoints on an opportunity, and those on its account not tied to another
/// opportunity, oldest first.
pub async fn of_opportunity(ex: &mut Exec<'_>, opportunity_id: Uuid) -> Result<Vec<TouchpointRow>> {
    let sql = format!(
        "select {COLUMNS} from {FROM} \
         where t.opportunity_id = $1 \
            or (t.opportunity_id is null and t.account_id = \
                (select account_id from opportunities where id = $1)) \
         order by t.occurred_at, t.id"
    );
    Ok(fetch!(
        ex,
        TouchpointRow,
        &sql,
        [opportunity_id],
        fetch_all
    )?)
}

/// One touch of a closed opportunity, as a model run reads it.
#[derive(Clone, Debug, FromRow)]
pub struct JourneyTouchRow {
    pub opportunity_id: Uuid,
    /// `won` or `lost`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    /// The partner, for a partner's touch.
    pub org_id: Option<Uuid>,
    /// The partner's name, else the channel.
    pub label: String,
    pub kind: String,
    pub occurred_at: i64,
    /// True for a touch on the account rather than on the opportunity.
    pub on_account: bool,
}

/// Every touch of the live opportunities closed (won or lost) between `from` and `to`
/// (inclusive, `YYYY-MM-DD`): those on the opportunity and those on its account that no
/// opportunity claims. The caller drops account touches outside its look-back window.
/// Ordered by opportunity, then time.
pub async fn journey_touches(
    ex: &mut Exec<'_>,
    from: &str,
    to: &str,
) -> Result<Vec<JourneyTouchRow>> {
    Ok(fetch!(
        ex,
        JourneyTouchRow,
        // Two branches rather than one join with an `or`, so that each uses its index
        // (touches by opportunity, touches by account).
        "select * from ( \
           select o.id as opportunity_id, o.status, o.amount_minor, o.currency, o.close_date, \
             t.org_id, coalesce(g.name, t.channel) as label, t.kind, t.occurred_at, \
             false as on_account, t.id as touch_id \
           from opportunities o join touchpoints t on t.opportunity_id = o.id \
           left join orgs g on g.id = t.org_id \
           where not o.archived and o.status in ('won', 'lost') \
             and o.close_date >= $1 and o.close_date <= $2 \
           union all \
           select o.id as opportunity_id, o.status, o.amount_minor, o.currency, o.close_date, \
             t.org_id, coalesce(g.name, t.channel) as label, t.kind, t.occurred_at, \
             true as on_account, t.id as touch_id \
           from opportunities o \
           join touchpoints t on t.account_id = o.account_id and t.opportunity_id is null \
           left join orgs g on g.id = t.org_id \
           where not o.archived and o.status in ('won', 'lost') \
             and o.close_date >= $1 and o.close_date <= $2 \
         ) j order by opportunity_id, occurred_at, touch_id",
        [from, to],
        fetch_all
    )?)
}

/// Closed opportunities in a close-date range, counted per status, currency and close date
/// (the date sets the exchange rate).
#[derive(Clone, Debug, FromRow)]
pub struct ClosedTotalRow {
    pub status: String,
    pub currency: String,
    pub close_date: String,
    pub opportunities: i64,
    pub amount_minor: i64,
}

/// The live opportunities closed between `from` and `to`, per status, currency and date.
pub async fn closed_totals(ex: &mut Exec<'_>, from: &str, to: &str) -> Result<Vec<ClosedTotalRow>> {
    Ok(fetch!(
        ex,
        ClosedTotalRow,
        "select status, currency, close_date, count(*) as opportunities, \
           cast(coalesce(sum(amount_minor), 0) as bigint) as amount_minor \
         from opportunities \
         where not archived and status in ('won', 'lost') \
           and close_date >= $1 and close_date <= $2 \
         group by status, currency, close_date order by status, currency, close_date",
        [from, to],
        fetch_all
    )?)
}

/// An opportunity a touchpoint file names, by its Trellis id or its CRM id.
#[derive(Clone, Debug, FromRow)]
pub struct OpportunityRef {
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub source_system: String,
    pub external_id: String,
}

/// The live and archived opportunities whose id is one of `ids` or whose CRM id is one of
/// `external_ids` (in any source system), in chunks of 500 keys.
pub async fn opportunity_refs(
    ex: &mut Exec<'_>,
    ids: &[Uuid],
    external_ids: &[String],
) -> Result<Vec<OpportunityRef>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut args = crate::args::Args::new();
        let list = args.list(chunk.iter().copied());
        let sql = format!(
            "select id, account_id, source_system, external_id from opportunities \
             where id in ({list})"
        );
        out.extend(fetch_args!(ex, OpportunityRef, &sql, args, fetch_all)?);
    }
    for chunk in external_ids.chunks(500) {
        let mut args = crate::args::Args::new();
        let list = args.list(chunk.iter());
        let sql = format!(
            "select id, account_id, source_system, external_id from opportunities \
             where external_id in ({list})"
        );
        out.extend(fetch_args!(ex, OpportunityRef, &sql, args, fetch_all)?);
    }
    Ok(out)
}

/// A partner a touchpoint file may name.
#[derive(Clone, Debug, FromRow)]
pub struct PartnerRef {
    pub id: Uuid,
    pub name: String,
}

/// Every partner organisation, by name.
pub async fn partner_refs(ex: &mut Exec<'_>) -> Result<Vec<PartnerRef>> {
    Ok(fetch!(
        ex,
        PartnerRef,
        "select id, name from orgs where kind = 'partner' order by name, id",
        [],
        fetch_all
    )?)
}
