//! People at the vendor's accounts, as its CRM holds them (`crm_contacts`; a partner's own
//! contacts are `partner_contacts`).

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

/// One `crm_contacts` row.
#[derive(Clone, Debug, FromRow)]
pub struct CrmContactRow {
    pub id: Uuid,
    pub source_system: String,
    pub external_id: String,
    pub account_id: Option<Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: String,
    pub attributes: Json<Value>,
    pub archived: bool,
    pub content_hash: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CrmContactRow {
    /// "First Last", or whichever part there is.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

const COLUMNS: &str = "id, source_system, external_id, account_id, first_name, last_name, \
    email, phone, title, owner_id, owner_name, attributes, archived, content_hash, version, \
    created_at, updated_at";

const WRITE_COLUMNS: [&str; 18] = [
    "id",
    "source_system",
    "external_id",
    "account_id",
    "first_name",
    "last_name",
    "name_key",
    "email",
    "phone",
    "title",
    "owner_id",
    "owner_name",
    "attributes",
    "archived",
    "content_hash",
    "version",
    "created_at",
    "updated_at",
];

/// Inserts new contacts and rewrites existing ones, as [`super::accounts::upsert_many`].
pub async fn upsert_many(ex: &mut Exec<'_>, rows: &[&CrmContactRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let sql = upsert_sql("crm_contacts", &WRITE_COLUMNS, chunk.len());
        on_backend!(&mut *ex, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(r.id)
                    .bind(&r.source_system)
                    .bind(&r.external_id)
                    .bind(r.account_id)
                    .bind(&r.first_name)
                    .bind(&r.last_name)
                    .bind(fold(&r.full_name()))
                    .bind(&r.email)
                    .bind(&r.phone)
                    .bind(&r.title)
                    .bind(r.owner_id)
                    .bind(&r.owner_name)
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

/// Finds a contact by id.
pub async fn find(ex: &mut Exec<'_>, id: Uuid) -> Result<Option<CrmContactRow>> {
    let sql = format!("select {COLUMNS} from crm_contacts where id = $1");
    Ok(fetch!(ex, CrmContactRow, &sql, [id], fetch_optional)?)
}

/// Finds a contact by its CRM key.
pub async fn find_by_key(
    ex: &mut Exec<'_>,
    source_system: &str,
    external_id: &str,
) -> Result<Option<CrmContactRow>> {
    let sql =
        format!("select {COLUMNS} from crm_contacts where source_system = $1 and external_id = $2");
    Ok(fetch!(
        ex,
        CrmContactRow,
        &sql,
        [source_system, external_id],
        fetch_optional
    )?)
}

/// Filters for [`list`].
#[derive(Clone, Debug, Default)]
pub struct ContactFilter {
    /// Case-insensitive substring of the name, or an e-mail prefix.
    pub q: Option<String>,
    /// Only this account's contacts.
    pub account_id: Option<Uuid>,
    /// Include archived contacts.
    pub include_archived: bool,
}

/// Contacts by name.
pub async fn list(
    ex: &mut Exec<'_>,
    filter: &ContactFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<CrmContactRow>> {
    let sql = format!(
        "select {COLUMNS} from crm_contacts \
         where ($1 is null or name_key like $1 escape '\\' or email like $2 escape '\\') \
           and ($3 is null or account_id = $3) \
           and ($4 or not archived) \
           and ($5 is null or name_key > $5 or (name_key = $5 and id > $6)) \
         order by name_key, id limit $7"
    );
    let q = filter.q.as_deref().map(|q| escape_like(&fold(q.trim())));
    let (key, id) = after.map_or((None, Uuid::nil()), |c| (Some(c.key.clone()), c.id));
    let rows = fetch!(
        ex,
        CrmContactRow,
        &sql,
        [
            q.as_ref().map(|q| format!("%{q}%")),
            q.as_ref().map(|q| format!("{q}%")),
            filter.account_id,
            filter.include_archived,
            key,
            id,
            i64::try_from(limit + 1).unwrap_or(i64::MAX)
        ],
        fetch_all
    )?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: fold(&r.full_name()),
        id: r.id,
    }))
}

/// Writes an update of every synced field if `expected_version` is current.
pub async fn update(ex: &mut Exec<'_>, row: &CrmContactRow, expected_version: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update crm_contacts set account_id = $2, first_name = $3, last_name = $4, \
         name_key = $5, email = $6, phone = $7, title = $8, owner_id = $9, owner_name = $10, \
         attributes = $11, archived = $12, content_hash = $13, version = version + 1, \
         updated_at = $14 where id = $1 and version = $15",
        [
            row.id,
            row.account_id,
            &row.first_name,
            &row.last_name,
            fold(&row.full_name()),
            &row.email,
            &row.phone,
            &row.title,
            row.owner_id,
            &row.owner_name,
            &row.attributes,
            row.archived,
            row.content_hash,
            row.updated_at,
            expected_version
        ]
    )?;
    Ok(n == 1)
}
