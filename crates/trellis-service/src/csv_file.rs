//! An uploaded CSV file checked whole before anything is written (touchpoints, costs): its
//! fields found by their labels, and its problems named by line and column.

use trellis_csv::{Columns, Field, Row, Table};
use trellis_domain::FieldErrors;

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
                    grouped(table.rows.len()),
                    grouped(max_rows)
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

/// `100000` as `100,000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::grouped(7), "7");
        assert_eq!(super::grouped(1_000), "1,000");
        assert_eq!(super::grouped(100_000), "100,000");
        assert_eq!(super::grouped(1_234_567), "1,234,567");
    }
}
