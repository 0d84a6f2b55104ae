//! Organisations.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::page::{Cursor, Page};
use crate::{execute, fetch, scalar};

/// One `orgs` row.
#[derive(Clone, Debug, FromRow)]
pub struct OrgRow {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub slug: String,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub website: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, kind, name, slug, partner_type, tier, region, country, website, \
                       version, created_at, updated_at";

/// [`COLUMNS`] qualified with the alias `o`, for joins.
pub(crate) const COLUMNS_O: &str = "o.id, o.kind, o.name, o.slug, o.partner_type, o.tier, \
    o.region, o.country, o.website, o.version, o.created_at, o.updated_at";

/// Inserts an organisation; `Conflict` when the slug (or a second vendor) exists.
pub async fn insert(ex: &mut Exec<'_>, row: &OrgRow) -> Result<()> {
    execute!(
        ex,
        "insert into orgs (id, kind, name, name_key, slug, partner_type, tier, region, country, \
         website, version, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)",
        [
            row.id,
            &row.kind,
            &row.name,
            row.name.to_lowercase(),
            &row.slug,
            &row.partner_type,
            &row.tier,
            &row.region,
            &row.country,
            &row.website,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Finds an organisation by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<OrgRow>> {
    let sql = format!("select {COLUMNS} from orgs where id = $1");
    Ok(fetch!(ex, OrgRow, &sql, [id], fetch_optional)?)
}

/// The vendor organisation, if the deployment has been set up.
pub async fn find_vendor(ex: &mut Exec<'_>) -> Result<Option<OrgRow>> {
    let sql = format!("select {COLUMNS} from orgs where kind = 'vendor'");
    Ok(fetch!(ex, OrgRow, &sql, [], fetch_optional)?)
}

/// Finds an organisation by slug.
pub async fn find_by_slug(ex: &mut Exec<'_>, slug: &str) -> Result<Option<OrgRow>> {
    let sql = format!("select {COLUMNS} from orgs where slug = $1");
    Ok(fetch!(ex, OrgRow, &sql, [slug], fetch_optional)?)
}

/// Filters for [`list`].
#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    /// Only this kind.
    pub kind: Option<String>,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
}

/// Lists organisations by name.
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &OrgFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<OrgRow>> {
    let sql = format!(
        "select {COLUMNS} from orgs \
         where ($1 is null or kind = $1) \
           and ($2 is null or name_key like $2 escape '\\') \
           and ($3 is null or name_key > $3 or (name_key = $3 and id > $4)) \
         order by name_key, id limit $5"
    );
    let like = filter
        .name_contains
        .as_ref()
        .map(|q| format!("%{}%", escape_like(&q.to_lowercase())));
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let rows = fetch!(
        ex,
        OrgRow,
        &sql,
        [
            &filter.kind,
            like,
            key,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: r.name.to_lowercase(),
        id: r.id,
    }))
}

/// Counts organisations of a kind.
pub async fn count(ex: &mut Exec<'_>, kind: &str) -> Result<i64> {
    Ok(scalar!(
        ex,
        i64,
        "select count(*) from orgs where kind = $1",
        [kind],
        fetch_one
    )?)
}

/// Partners per tier and per type (the value is `None` for partners without one).
pub async fn partner_breakdown(
    ex: &mut Exec<'_>,
) -> Result<(Vec<(Option<String>, i64)>, Vec<(Option<String>, i64)>)> {
    let by_tier = fetch!(
        ex,
        (Option<String>, i64),
        "select tier, count(*) from orgs where kind = 'partner' group by tier",
        [],
        fetch_all
    )?;
    let by_type = fetch!(
        ex,
        (Option<String>, i64),
        "select partner_type, count(*) from orgs where kind = 'partner' group by partner_type",
        [],
        fetch_all
    )?;
    Ok((by_tier, by_type))
}

/// Writes an update if `expected_version` is current; returns false on a stale version.
pub async fn update(ex: &mut Exec<'_>, row: &OrgRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update orgs set name = $2, name_key = $3, partner_type = $4, tier = $5, region = $6, \
         country = $7, website = $8, version = version + 1, updated_at = $9 \
         where id = $1 and version = $10",
        [
            row.id,
            &row.name,
            row.name.to_lowercase(),
            &row.partner_type,
            &row.tier,
            &row.region,
            &row.country,
            &row.website,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}

/// Escapes `%`, `_` and `\` for a `like … escape '\'` pattern (portable on both engines).
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
