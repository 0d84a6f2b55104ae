//! Queries whose shape depends on the request, such as faceted search: the SQL text is
//! assembled with numbered placeholders while the values are collected here, then bound in
//! order. Still one SQL text for both backends, and never a value spliced into SQL.

use uuid::Uuid;

/// One bound value.
#[derive(Clone, Debug)]
pub enum Arg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// An id.
    Uuid(Uuid),
    /// A boolean.
    Bool(bool),
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Arg::Uuid(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// The values of one query, in placeholder order.
#[derive(Clone, Debug, Default)]
pub struct Args(Vec<Arg>);

impl Args {
    /// No values yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value and returns its placeholder, `$n`.
    pub fn push(&mut self, value: impl Into<Arg>) -> String {
        self.0.push(value.into());
        format!("${}", self.0.len())
    }

    /// Adds several values and returns their placeholders joined for an `in (…)` list.
    pub fn list<A: Into<Arg>>(&mut self, values: impl IntoIterator<Item = A>) -> String {
        values
            .into_iter()
            .map(|v| self.push(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The values, in order.
    pub fn into_values(self) -> Vec<Arg> {
        self.0
    }
}

/// Binds [`Args`] onto `query_as::<_, Row>(sql)` and runs `$fetch` on either backend.
#[macro_export]
macro_rules! fetch_args {
    ($ex:expr, $row:ty, $sql:expr, $args:expr, $fetch:ident) => {
        $crate::on_backend!($ex, |c| {
            let mut q = sqlx::query_as::<_, $row>($sql);
            for a in $args.into_values() {
                q = match a {
                    $crate::args::Arg::Text(v) => q.bind(v),
                    $crate::args::Arg::Int(v) => q.bind(v),
                    $crate::args::Arg::Uuid(v) => q.bind(v),
                    $crate::args::Arg::Bool(v) => q.bind(v),
                };
            }
            q.$fetch(c).await
        })
    };
}

/// Placeholders one multi-row statement should carry. Binding slows down with the number of
/// placeholders in one statement on SQLite (sqlx names each parameter through SQLite's
/// `sqlite3_bind_parameter_name`, a linear scan, so a statement costs the square of its
/// placeholders): measured with `trellis bench import`, 100,000 accounts of 22 columns,
/// 1,000-row statements wrote 1,400 rows/s, 100-row ones 10,400 and 8 to 40 rows about 20,000;
/// `trellis bench metrics` saw touchpoints (13 columns) go from 2,500 rows/s at 2,000 rows a
/// statement to over 15 times that at 30. A few hundred placeholders keep most of the saving
/// of one round trip for many rows.
pub const PLACEHOLDERS_PER_STATEMENT: usize = 400;

/// Rows per multi-row statement of `columns` values each.
pub const fn rows_per_statement(columns: usize) -> usize {
    let rows = PLACEHOLDERS_PER_STATEMENT / if columns == 0 { 1 } else { columns };
    if rows == 0 { 1 } else { rows }
}

/// `($1, …, $w), ($w+1, …), …`: the placeholders of `rows` rows of `width` values, for a
/// batch insert whose values are bound in row order.
pub(crate) fn values_sql(width: usize, rows: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|k| format!("${}", r * width + k)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `insert into table (columns) values …` for `rows` rows (see [`values_sql`]).
pub(crate) fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    format!(
        "insert into {table} ({}) values {}",
        columns.join(", "),
        values_sql(columns.len(), rows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_in_order() {
        let mut a = Args::new();
        assert_eq!(a.push("x"), "$1");
        assert_eq!(a.list(["a", "b", "c"]), "$2, $3, $4");
        assert_eq!(a.push(7), "$5");
        assert_eq!(a.into_values().len(), 5);
    }

    #[test]
    fn batch_inserts_number_their_rows_in_order() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "insert into t (a, b) values ($1, $2), ($3, $4)"
        );
    }
}
