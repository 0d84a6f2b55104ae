//! The vendor's accounts (companies), as its CRM holds them.

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
use crate::{execute, fetch, on_backend, scalar};

/// One `accounts` row.
#[derive(Clone, Debug, FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub source_system: String,
    pub external_id: String,
    pub name: String,
    pub website: String,
    /// Registrable domain of the website, or empty.
    pub domain: String,
    /// ISO 3166 alpha-2 code, or empty.
    pub country: String,
    pub city: String,
    pub industry: String,
    pub employees: Option<i64>,
    /// The CRM's own account type ("Customer - Direct"), as written.
    pub account_type: String,
    /// `customer`, `prospect`, `partner` or `other`.
    pub relationship: String,
    pub owner_id: Option<Uuid>,
    /// The owner as the CRM names them, kept when no user matches.
    pub owner_name: String,
    pub phone: String,
    /// The export's other columns, by header.
    pub attributes: Json<Value>,
    pub archived: bool,
    pub content_hash: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, source_system, external_id, name, website, domain, country, city, \
    industry, employees, account_type, relationship, owner_id, owner_name, phone, attributes, \
    archived, content_hash, version, created_at, updated_at";

const WRITE_COLUMNS: [&str; 22] = [
    "id",
    "source_system",
    "external_id",
    "name",
    "name_key",
    "website",
    "domain",
    "country",
    "city",
    "industry",
    "employees",
    "account_type",
    "relationship",
    "owner_id",
    "owner_name",
    "phone",
    "attributes",
    "archived",
    "content_hash",
    "version",
    "created_at",
    "updated_at",
];

/// Inserts new accounts and rewrites existing ones (by `(source_system, external_id)`), in
/// multi-row statements. An existing row keeps its id and creation time; its version goes up.
pub async fn upsert_many(ex: &mut Exec<'_>, rows: &[&AccountRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let sql = upsert_sql("accounts", &WRITE_COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(&r.source_system)
                    .bind(&r.external_id)
                    .bind(&r.name)
                    .bind(fold(&r.name))
                    .bind(&r.website)
                    .bind(&r.domain)
                    .bind(&r.country)
                    .bind(&r.city)
                    .bind(&r.industry)
                    .bind(r.employees)
                    .bind(&r.account_type)
                    .bind(&r.relationship)
                    .bind(r.owner_id)
                    .bind(&r.owner_name)
                    .bind(&r.phone)
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

/// Finds an account by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<AccountRow>> {
    let sql = format!("select {COLUMNS} from accounts where id = $1");
    Ok(fetch!(ex, AccountRow, &sql, [id], fetch_optional)?)
}

/// Finds an account by its CRM key.
pub async fn find_by_key(
    ex: &mut Exec<'_>,
    source_system: &str,
    external_id: &str,
) -> Result<Option<AccountRow>> {
    let sql =
        format!("select {COLUMNS} from accounts where source_system = $1 and external_id = $2");
    Ok(fetch!(
        ex,
        AccountRow,
        &sql,
        [source_system, external_id],
        fetch_optional
    )?)
}

/// Filters for [`list`].
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// Case-insensitive substring of the name, or a domain prefix.
    pub q: Option<String>,
    /// Only this relationship.
    pub relationship: Option<String>,
    /// Only accounts this user owns.
    pub owner_id: Option<Uuid>,
    /// Include archived accounts.
    pub include_archived: bool,
}

/// Accounts by name.
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &AccountFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<AccountRow>> {
    let sql = format!(
        "select {COLUMNS} from accounts \
         where ($1 is null or name_key like $1 escape '\\' or domain like $2 escape '\\') \
           and ($3 is null or relationship = $3) \
           and ($4 is null or owner_id = $4) \
           and ($5 or not archived) \
           and ($6 is null or name_key > $6 or (name_key = $6 and id > $7)) \
         order by name_key, id limit $8"
    );
    let q = filter.q.as_deref().map(|q| escape_like(&fold(q.trim())));
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let rows = fetch!(
        ex,
        AccountRow,
        &sql,
        [
            q.as_ref().map(|q| format!("%{q}%")),
            q.as_ref().map(|q| format!("{q}%")),
            &filter.relationship,
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

/// Accounts that are not archived.
pub async fn count(ex: &mut Exec<'_>) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select count(*) from accounts where not archived",
        [],
        fetch_one
    )?)
}

/// Writes an update of every synced field if `expected_version` is current; false on a stale
/// version.
pub async fn update(ex: &mut Exec<'_>, row: &AccountRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update accounts set name = $2, name_key = $3, website = $4, domain = $5, country = $6, \
         city = $7, industry = $8, employees = $9, account_type = $10, relationship = $11, \
         owner_id = $12, owner_name = $13, phone = $14, attributes = $15, archived = $16, \
         content_hash = $17, version = version + 1, updated_at = $18 \
         where id = $1 and version = $19",
        [
            row.id,
            &row.name,
            fold(&row.name),
            &row.website,
            &row.domain,
            &row.country,
            &row.city,
            &row.industry,
            row.employees,
            &row.account_type,
            &row.relationship,
            row.owner_id,
            &row.owner_name,
            &row.phone,
            &row.attributes,
            row.archived,
            row.content_hash,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// `(id, name)` of every account from `source_system`, to resolve references by name.
pub async fn names(ex: &mut Exec<'_>, source_system: &str) -> Result<Vec<(Uuid, String)>> {
    Ok(fetch!(
        ex,
        (Uuid, String),
        "select id, name from accounts where source_system = $1 and not archived",
        [source_system],
        fetch_all
    )?)
}

/// The fields the conflict index reads.
#[derive(Clone, Debug, FromRow)]
pub struct MatchRow {
    pub id: Uuid,
    pub name: String,
    pub website: String,
    pub country: String,
    pub archived: bool,
}

/// Every live account, for the conflict index.
pub async fn live_for_matching(ex: &mut Exec<'_>) -> Result<Vec<MatchRow>> {
    Ok(fetch!(
        ex,
        MatchRow,
        "select id, name, website, country, archived from accounts where not archived",
        [],
        fetch_all
    )?)
}

/// Some accounts' matching fields, archived or not (the index drops archived ones).
pub async fn for_matching(ex: &mut Exec<'_>, ids: &[Uuid]) -> Result<Vec<MatchRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = crate::args::Args::new();
    let list = args.list(ids.iter().copied());
    let sql =
        format!("select id, name, website, country, archived from accounts where id in ({list})");
    Ok(crate::fetch_args!(ex, MatchRow, &sql, args, fetch_all)?)
}

/// Accounts by id (those that exist).
pub async fn find_many(ex: &mut Exec<'_>, ids: &[Uuid]) -> Result<Vec<AccountRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = crate::args::Args::new();
    let list = args.list(ids.iter().copied());
    let sql = format!("select {COLUMNS} from accounts where id in ({list})");
    Ok(crate::fetch_args!(ex, AccountRow, &sql, args, fetch_all)?)
}
