//! CRM data: the vendor's accounts, contacts and opportunities, keyed by
//! `(source_system, external_id)`, and the CSV imports that load them.

pub mod accounts;
pub mod contacts;
pub mod imports;
pub mod opportunities;

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// The three record tables, which share their keying, hashing and archiving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// `accounts`.
    Accounts,
    /// `crm_contacts`.
    Contacts,
    /// `opportunities`.
    Opportunities,
}

impl Table {
    /// The table's name, safe to splice into SQL.
    pub const fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::Contacts => "crm_contacts",
            Table::Opportunities => "opportunities",
        }
    }
}

/// What a re-import needs to know of a stored record to tell new, changed and unchanged ones
/// apart.
#[derive(Clone, Debug, FromRow)]
pub struct RecordKey {
    pub external_id: String,
    pub id: Uuid,
    pub content_hash: i64,
    pub version: i64,
    pub archived: bool,
}

/// The keys of every record of `table` from `source_system`.
pub async fn keys(ex: &mut Exec<'_>, table: Table, source_system: &str) -> Result<Vec<RecordKey>> {
    let sql = format!(
        "select external_id, id, content_hash, version, archived from {} \
         where source_system = $1",
        table.name()
    );
    Ok(fetch!(ex, RecordKey, &sql, [source_system], fetch_all)?)
}

/// Archives or restores a record; false on a stale version.
pub async fn set_archived(
    ex: &mut Exec<'_>,
    table: Table,
    id: Uuid,
    archived: bool,
    now: i64,
    expected_version: i64,
) -> Result<bool> {
    let sql = format!(
        "update {} set archived = $2, version = version + 1, updated_at = $3 \
         where id = $1 and version = $4",
        table.name()
    );
    Ok(execute!(ex, &sql, [id, archived, now, expected_version])? == 1)
}

/// Rows per multi-row statement of CRM records (about 20 columns; see
/// [`crate::args::rows_per_statement`]).
pub(crate) const BATCH: usize = crate::args::rows_per_statement(20);

/// `insert into TABLE (COLUMNS) values (…), … on conflict (source_system, external_id) do
/// update set …`: one statement that writes `rows` records, new or changed. `id` and
/// `created_at` keep the first write's values; `version` counts the writes.
pub(crate) fn upsert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = crate::args::insert_sql(table, columns, rows);
    sql.push_str(" on conflict (source_system, external_id) do update set ");
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| {
            !matches!(
                **c,
                "id" | "source_system" | "external_id" | "created_at" | "version"
            )
        })
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    sql.push_str(&updates.join(", "));
    let _ = write!(sql, ", version = {table}.version + 1");
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn upserts_number_placeholders_row_by_row_and_keep_identity_columns() {
        let sql = super::upsert_sql(
            "t",
            &["id", "source_system", "external_id", "name", "version"],
            2,
        );
        assert!(sql.starts_with(
            "insert into t (id, source_system, external_id, name, version) values \
             ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10) on conflict"
        ));
        assert!(sql.ends_with("do update set name = excluded.name, version = t.version + 1"));
    }
}
