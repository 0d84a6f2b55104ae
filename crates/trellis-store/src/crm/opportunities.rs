//! The vendor's opportunities (deals in its pipeline), as its CRM holds them.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use super::{BATCH, upsert_sql};
use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use trellis_domain::text::fold;

use crate::platform::orgs::escape_like;
use crate::{execute, fetch, on_backend};

/// One `opportunities` row.
#[derive(Clone, Debug, FromRow)]
pub struct OpportunityRow {
    pub id: Uuid,
    pub source_system: String,
    pub external_id: String,
    pub account_id: Option<Uuid>,
    pub name: String,
    /// The CRM's stage label, as written.
    pub stage: String,
    /// `open`, `won` or `lost`.
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub close_date: Option<String>,
    /// The day the CRM opened it, `YYYY-MM-DD`.
    pub opened_on: Option<String>,
    /// 0–100.
    pub probability: Option<i64>,
    pub owner_id: Option<Uuid>,
    pub owner_name: String,
    pub next_step: String,
    pub last_activity_at: Option<i64>,
    pub attributes: Json<Value>,
    pub archived: bool,
    pub content_hash: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, source_system, external_id, account_id, name, stage, status, \
    amount_minor, currency, close_date, opened_on, probability, owner_id, owner_name, next_step, \
    last_activity_at, attributes, archived, content_hash, version, created_at, updated_at";

const WRITE_COLUMNS: [&str; 23] = [
    "id",
    "source_system",
    "external_id",
    "account_id",
    "name",
    "name_key",
    "stage",
    "status",
    "amount_minor",
    "currency",
    "close_date",
    "opened_on",
    "probability",
    "owner_id",
    "owner_name",
    "next_step",
    "last_activity_at",
    "attributes",
    "archived",
    "content_hash",
    "version",
    "created_at",
    "updated_at",
];

/// Inserts new opportunities and rewrites existing ones, as [`super::accounts::upsert_many`].
pub async fn upsert_many(ex: &mut Exec<'_>, rows: &[&OpportunityRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let sql = upsert_sql("opportunities", &WRITE_COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(&r.source_system)
                    .bind(&r.external_id)
                    .bind(r.account_id)
                    .bind(&r.name)
                    .bind(fold(&r.name))
                    .bind(&r.stage)
                    .bind(&r.status)
                    .bind(r.amount_minor)
                    .bind(&r.currency)
                    .bind(&r.close_date)
                    .bind(&r.opened_on)
                    .bind(r.probability)
                    .bind(r.owner_id)
                    .bind(&r.owner_name)
                    .bind(&r.next_step)
                    .bind(r.last_activity_at)
                    .bind(&r.attributes)
                    .bind(r.archived)
                    .bind(r.content_hash)
                    .bind(r.version)
                    .bind(r.created_at)
                    .bind(r.updated_at);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Finds an opportunity by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<OpportunityRow>> {
    let sql = format!("select {COLUMNS} from opportunities where id = $1");
    Ok(fetch!(ex, OpportunityRow, &sql, [id], fetch_optional)?)
}

/// Finds an opportunity by its CRM key.
pub async fn find_by_key(
    ex: &mut Exec<'_>,
    source_system: &str,
    external_id: &str,
) -> Result<Option<OpportunityRow>> {
    let sql = format!(
        "select {COLUMNS} from opportunities where source_system = $1 and external_id = $2"
    );
    Ok(fetch!(
        ex,
        OpportunityRow,
        &sql,
        [source_system, external_id],
        fetch_optional
    )?)
}

/// Filters for [`list`].
#[derive(Clone, Debug, Default)]
pub struct OpportunityFilter {
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this account's.
    pub account_id: Option<Uuid>,
    /// Only those this user owns.
    pub owner_id: Option<Uuid>,
    /// Include archived opportunities.
    pub include_archived: bool,
}

/// Opportunities by name.
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &OpportunityFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<OpportunityRow>> {
    let sql = format!(
        "select {COLUMNS} from opportunities \
         where ($1 is null or name_key like $1 escape '\\') \
           and ($2 is null or status = $2) \
           and ($3 is null or account_id = $3) \
           and ($4 is null or owner_id = $4) \
           and ($5 or not archived) \
           and ($6 is null or name_key > $6 or (name_key = $6 and id > $7)) \
         order by name_key, id limit $8"
    );
    let like = filter
        .q
        .as_deref()
        .map(|q| format!("%{}%", escape_like(&fold(q.trim()))));
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let rows = fetch!(
        ex,
        OpportunityRow,
        &sql,
        [
            like,
            &filter.status,
            filter.account_id,
            filter.owner_id,
            filter.include_archived,
            key,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: fold(&r.name),
        id: r.id,
    }))
}

/// Writes an update of every synced field if `expected_version` is current.
pub async fn update(
    ex: &mut Exec<'_>,
    row: &OpportunityRow,
    expected_version: i64,
) -> Result<bool> {
    let n = execute!(
        ex,
        "update opportunities set account_id = $2, name = $3, name_key = $4, stage = $5, \
         status = $6, amount_minor = $7, currency = $8, close_date = $9, probability = $10, \
         owner_id = $11, owner_name = $12, next_step = $13, last_activity_at = $14, \
         attributes = $15, archived = $16, content_hash = $17, version = version + 1, \
         updated_at = $18, opened_on = $20 where id = $1 and version = $19",
        [
            row.id,
            row.account_id,
            &row.name,
            fold(&row.name),
            &row.stage,
            &row.status,
            row.amount_minor,
            &row.currency,
            &row.close_date,
            row.probability,
            row.owner_id,
            &row.owner_name,
            &row.next_step,
            row.last_activity_at,
            &row.attributes,
            row.archived,
            row.content_hash,
            row.updated_at,
            expected_version,
            &row.opened_on
        ]
    )?;
    Ok(n == 1)
}

/// The open, live opportunities of some accounts.
pub async fn open_of_accounts(
    ex: &mut Exec<'_>,
    account_ids: &[Uuid],
) -> Result<Vec<OpportunityRow>> {
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = crate::args::Args::new();
    let list = args.list(account_ids.iter().copied());
    let sql = format!(
        "select {COLUMNS} from opportunities where account_id in ({list}) \
         and status = 'open' and not archived order by account_id, id"
    );
    Ok(crate::fetch_args!(
        ex,
        OpportunityRow,
        &sql,
        args,
        fetch_all
    )?)
}
