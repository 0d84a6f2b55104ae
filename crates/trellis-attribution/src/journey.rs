//! Journeys: the touchpoints before an outcome, and how many times that path ended in a
//! conversion (with what value) or in nothing.

use rustc_hash::FxHashMap;

use crate::money::parse_amount;

/// A channel's number in [`Journeys::channels`].
pub type Channel = u32;

/// One path of touchpoints and its outcomes. A path seen many times is one journey with its
/// counts added up.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    /// The touches in time order (a channel may come back).
    pub touches: Vec<Channel>,
    /// Each touch's age at the outcome (in days, or in any one unit the time-decay half-life
    /// uses); `None` for paths without times, whose touches are one unit apart.
    pub ages: Option<Vec<f64>>,
    /// The touch that created the opportunity, for the W-shaped model; `None`: the middle one.
    pub milestone: Option<usize>,
    pub conversions: u64,
    /// The conversions' total value in minor units.
    pub value: i64,
    pub nulls: u64,
}

impl Journey {
    /// A path without times or milestone: touches one unit apart, the middle one creating the
    /// opportunity.
    pub fn path(touches: Vec<Channel>, conversions: u64, value: i64, nulls: u64) -> Self {
        Self {
            touches,
            ages: None,
            milestone: None,
            conversions,
            value,
            nulls,
        }
    }
}

/// Journeys over a set of named channels.
#[derive(Debug, Clone, Default)]
pub struct Journeys {
    channels: Vec<String>,
    by_name: FxHashMap<String, Channel>,
    list: Vec<Journey>,
}

impl Journeys {
    /// The channel of this name, added if new.
    pub fn channel(&mut self, name: &str) -> Channel {
        if let Some(&c) = self.by_name.get(name) {
            return c;
        }
        let c = Channel::try_from(self.channels.len()).unwrap_or(Channel::MAX);
        self.channels.push(name.to_owned());
        self.by_name.insert(name.to_owned(), c);
        c
    }

    pub fn push(&mut self, journey: Journey) {
        self.list.push(journey);
    }

    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    pub fn journeys(&self) -> &[Journey] {
        &self.list
    }

    /// All conversions.
    pub fn conversions(&self) -> u64 {
        self.list.iter().map(|j| j.conversions).sum()
    }

    /// The value of all conversions, in minor units.
    pub fn value(&self) -> i64 {
        self.list.iter().map(|j| j.value).sum()
    }

    /// Reads ChannelAttribution's path format: a header with `path` (channels joined by `>`,
    /// spaces around them ignored), `total_conversions`, and optionally
    /// `total_conversion_value` (an amount with at most `decimals` decimals) and `total_null`;
    /// one row per journey or per distinct path, rows of the same path are added up. Any bad
    /// cell fails the whole read with its line and column.
    pub fn read_paths(bytes: &[u8], decimals: u32) -> Result<Self, ReadError> {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
        let header = reader
            .byte_headers()
            .map_err(|e| ReadError::Csv(e.to_string()))?;
        let find = |name: &str| {
            header
                .iter()
                .position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(name))
        };
        let columns = Columns {
            path: find("path").ok_or(ReadError::MissingColumn("path"))?,
            conversions: find("total_conversions")
                .ok_or(ReadError::MissingColumn("total_conversions"))?,
            value: find("total_conversion_value"),
            nulls: find("total_null"),
        };
        let mut out = Self::default();
        let mut by_path: FxHashMap<Vec<Channel>, usize> = FxHashMap::default();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(ReadError::Csv(e.to_string())),
            }
            let line = record.position().map_or(0, csv::Position::line);
            let (touches, conv, null, amount) = out.read_row(&record, &columns, line, decimals)?;
            let j = *by_path.entry(touches).or_insert_with_key(|touches| {
                out.list.push(Journey::path(touches.clone(), 0, 0, 0));
                out.list.len() - 1
            });
            let journey = &mut out.list[j];
            let too_many = || ReadError::Cell {
                line,
                column: "total_conversions",
                message: "the totals overflow".into(),
            };
            journey.conversions = journey.conversions.checked_add(conv).ok_or_else(too_many)?;
            journey.nulls = journey.nulls.checked_add(null).ok_or_else(too_many)?;
            journey.value = journey.value.checked_add(amount).ok_or_else(too_many)?;
        }
        if out.list.is_empty() {
            return Err(ReadError::Empty);
        }
        Ok(out)
    }

    /// One row: its touches (channels added as met), conversions, nulls and value.
    fn read_row(
        &mut self,
        record: &csv::ByteRecord,
        columns: &Columns,
        line: u64,
        decimals: u32,
    ) -> Result<(Vec<Channel>, u64, u64, i64), ReadError> {
        let cell = |i: usize, column: &'static str| -> Result<&str, ReadError> {
            std::str::from_utf8(record.get(i).unwrap_or_default()).map_err(|_| ReadError::Cell {
                line,
                column,
                message: "is not UTF-8".into(),
            })
        };
        let count = |i: Option<usize>, column: &'static str| -> Result<u64, ReadError> {
            let Some(i) = i else { return Ok(0) };
            let text = cell(i, column)?.trim();
            if text.is_empty() {
                return Ok(0);
            }
            parse_count(text).ok_or_else(|| ReadError::Cell {
                line,
                column,
                message: format!("{text:?} is not a whole number of journeys"),
            })
        };
        let mut touches = Vec::new();
        for name in cell(columns.path, "path")?.split('>') {
            let name = name.trim();
            if name.is_empty() {
                return Err(ReadError::Cell {
                    line,
                    column: "path",
                    message: "has an empty channel (two `>` in a row, or one at an end)".into(),
                });
            }
            touches.push(self.channel(name));
        }
        let conv = count(Some(columns.conversions), "total_conversions")?;
        let null = count(columns.nulls, "total_null")?;
        let amount =
            match columns.value {
                Some(i) => parse_amount(cell(i, "total_conversion_value")?, decimals).map_err(
                    |message| ReadError::Cell {
                        line,
                        column: "total_conversion_value",
                        message,
                    },
                )?,
                None => 0,
            };
        if amount > 0 && conv == 0 {
            return Err(ReadError::Cell {
                line,
                column: "total_conversion_value",
                message: "has a value but the row has no conversions".into(),
            });
        }
        Ok((touches, conv, null, amount))
    }
}

/// Where the path format's fields are.
struct Columns {
    path: usize,
    conversions: usize,
    value: Option<usize>,
    nulls: Option<usize>,
}

/// A count written as a whole number; "3.0" (as pandas writes integers after a sum) is 3.
fn parse_count(text: &str) -> Option<u64> {
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole.parse().ok()
}

/// Why a journeys file could not be read: nothing of it is used then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error(
        "the file has no {0} column (expected: path, total_conversions, and optionally total_conversion_value and total_null)"
    )]
    MissingColumn(&'static str),
    #[error("line {line}, column {column}: {message}")]
    Cell {
        line: u64,
        column: &'static str,
        message: String,
    },
    #[error("the file is not valid CSV: {0}")]
    Csv(String),
    #[error("the file has no journeys")]
    Empty,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_and_repeated_paths_added_up() {
        let csv = "path,total_conversions,total_conversion_value,total_null\n\
                   partnerA > email,1,2500.00,0\n\
                   email,0,0,3\n\
                   partnerA>email,2,100.5,1\n";
        let j = Journeys::read_paths(csv.as_bytes(), 2).unwrap();
        assert_eq!(j.channels(), ["partnerA", "email"]);
        assert_eq!(j.journeys().len(), 2);
        let first = &j.journeys()[0];
        assert_eq!(first.touches, [0, 1]);
        assert_eq!(
            (first.conversions, first.value, first.nulls),
            (3, 260_050, 1)
        );
        assert_eq!((j.conversions(), j.value()), (3, 260_050));
    }

    #[test]
    fn a_bad_cell_is_named_by_line_and_column() {
        let read = |body: &str| {
            Journeys::read_paths(
                format!("path,total_conversions,total_conversion_value,total_null\n{body}")
                    .as_bytes(),
                2,
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            read("a > b,1,10,0\na >> b,1,1,0\n"),
            "line 3, column path: has an empty channel (two `>` in a row, or one at an end)"
        );
        assert_eq!(
            read("a,x,1,0\n"),
            "line 2, column total_conversions: \"x\" is not a whole number of journeys"
        );
        assert_eq!(
            read("a,1,1.234,0\n"),
            "line 2, column total_conversion_value: \"1.234\" has more than 2 decimals"
        );
        assert_eq!(
            read("a,0,5,1\n"),
            "line 2, column total_conversion_value: has a value but the row has no conversions"
        );
        assert_eq!(read(""), "the file has no journeys");
        assert!(
            Journeys::read_paths(b"journey,conversions\n", 2)
                .unwrap_err()
                .to_string()
                .contains("no path column")
        );
    }
}
