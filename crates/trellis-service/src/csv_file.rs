//! An uploaded CSV file checked whole before anything is written (touchpoints, costs): its
//! fields found by their labels, and its problems named by line and column.

use std::collections::{HashMap, HashSet};

use trellis_csv::{Columns, Field, Row, Table};
use trellis_domain::FieldErrors;
use trellis_domain::text::group_thousands;

use uuid::Uuid;

use crate::{Error, Result};

/// The most problems reported; the count of the rest follows.
const MAX_PROBLEMS: usize = 200;

/// The file, with where each field is.
pub(crate) struct CsvFile {
    pub(crate) table: Table,
    columns: Columns,
}

impl CsvFile {
    /// Reads `bytes` and finds `fields`; a file that is no CSV, has no rows, has more than
    /// `max_rows` or lacks a required column is refused on the `file` field.
    pub(crate) fn read(bytes: &[u8], fields: &[Field], max_rows: usize) -> Result<Self> {
        let table = trellis_csv::read(bytes).map_err(|e| Error::field("file", e.to_string()))?;
        if table.rows.len() > max_rows {
            return Err(Error::field(
                "file",
                format!(
                    "{} rows; at most {} a file",
                    group_thousands(u64::try_from(table.rows.len()).unwrap_or(u64::MAX)),
                    group_thousands(u64::try_from(max_rows).unwrap_or(u64::MAX))
                ),
            ));
        }
        if table.rows.is_empty() {
            return Err(Error::field("file", "the file has a header but no rows"));
        }
        let columns = Columns::detect(&table.headers, fields, None)
            .map_err(|e| Error::field("file", e.to_string()))?;
        Ok(Self { table, columns })
    }

    /// A row's cell of a field; empty when the file has no column for it.
    pub(crate) fn cell<'r>(&self, row: &'r Row, key: &str) -> &'r str {
        self.columns.get(key).map_or("", |c| row.cell(c))
    }

    /// How problems name a field: by the file's own column label.
    fn label(&self, key: &str) -> String {
        self.columns
            .get(key)
            .and_then(|c| self.table.headers.get(c))
            .map_or_else(|| key.to_owned(), |h| format!("column \"{h}\""))
    }
}

/// Partners as a file names them: by id, or by name in any case.
pub(crate) struct PartnerNames {
    ids: HashSet<Uuid>,
    by_name: HashMap<String, Vec<Uuid>>,
}

impl PartnerNames {
    /// From every partner's `(id, name)`.
    pub(crate) fn new(partners: impl IntoIterator<Item = (Uuid, String)>) -> Self {
        let mut ids = HashSet::new();
        let mut by_name: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (id, name) in partners {
            ids.insert(id);
            by_name.entry(name.to_lowercase()).or_default().push(id);
        }
        Self { ids, by_name }
    }

    /// The partner a cell names, or what is wrong with it (no such partner, or several of
    /// that name).
    pub(crate) fn resolve(&self, text: &str) -> std::result::Result<Uuid, String> {
        let found = Uuid::parse_str(text)
            .ok()
            .filter(|id| self.ids.contains(id))
            .map(|id| vec![id])
            .or_else(|| self.by_name.get(&text.to_lowercase()).cloned());
        match found.as_deref() {
            Some([one]) => Ok(*one),
            Some(_) => Err(format!("several partners are named {text:?}: give its id")),
            None => Err(format!("no partner is named {text:?}")),
        }
    }
}

/// Problems by line and column, the first [`MAX_PROBLEMS`] kept.
#[derive(Default)]
pub(crate) struct Problems {
    errors: FieldErrors,
    count: usize,
}

impl Problems {
    /// A problem with `key`'s cell on `line`.
    pub(crate) fn add(&mut self, file: &CsvFile, line: u64, key: &str, message: impl Into<String>) {
        self.count += 1;
        if self.count <= MAX_PROBLEMS {
            self.errors
                .add(format!("line {line}, {}", file.label(key)), message);
        }
    }

    /// Every problem as field errors, or `Ok` when there were none.
    pub(crate) fn into_result(self) -> Result<()> {
        let Problems { mut errors, count } = self;
        if count > MAX_PROBLEMS {
            errors.add(
                "file",
                format!("and {} more problems", count - MAX_PROBLEMS),
            );
        }
        errors.into_result()?;
        Ok(())
    }
}
