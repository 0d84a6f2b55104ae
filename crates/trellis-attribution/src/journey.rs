//! Journeys: the touchpoints before an outcome, and how many times that path ended in a
//! conversion (with what value) or in nothing.

use rayon::prelude::*;
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

    /// Reads a journeys file, in either of two layouts (found by the header; columns in any
    /// order, names in any case, other columns ignored):
    ///
    /// - ChannelAttribution's: `path` (channels joined by `>`, spaces around them ignored),
    ///   `total_conversions`, and optionally `total_conversion_value` and `total_null`; one row
    ///   per distinct path or per journey.
    /// - One row per journey: `path`, `converted` (1/0, true/false or yes/no) and optionally
    ///   `value` (the conversion's value; 0 or empty when it did not convert).
    ///
    /// Amounts have at most `decimals` decimals. Rows of the same path are added up, paths
    /// keep the order they were first seen in. Any bad cell fails the whole read with its line
    /// and column. Large files without quoted cells are read in parallel chunks.
    pub fn read(bytes: &[u8], decimals: u32) -> Result<Self, ReadError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let header = reader
            .byte_headers()
            .map_err(|e| ReadError::Csv(e.to_string()))?
            .clone();
        let layout = Layout::of(&header)?;
        let body_start = usize::try_from(reader.position().byte()).unwrap_or(bytes.len());
        let chunks = chunks(bytes, body_start);
        let tallies: Vec<Result<Tallies, (u64, ReadError)>> = chunks
            .par_iter()
            .map(|&(from, to)| Tallies::read(&bytes[from..to], &layout, header.len(), decimals))
            .collect();
        // The first failing chunk holds the first bad line: name it in the whole file.
        let mut paths = Tallies::default();
        for (tally, &(from, _)) in tallies.into_iter().zip(&chunks) {
            let line_before =
                || u64::try_from(memchr::memchr_iter(b'\n', &bytes[..from]).count()).unwrap_or(0);
            match tally {
                Ok(t) => paths.merge(t, line_before)?,
                Err((line, e)) => return Err(e.at(line_before() + line)),
            }
        }
        if paths.list.is_empty() {
            return Err(ReadError::Empty);
        }
        let mut out = Self::default();
        let mut by_touches: FxHashMap<Vec<Channel>, usize> = FxHashMap::default();
        for (path, tally, line) in paths.list {
            let touches = out.touches(&path).map_err(|e| e.at(line))?;
            let j = *by_touches.entry(touches).or_insert_with_key(|touches| {
                out.list.push(Journey::path(touches.clone(), 0, 0, 0));
                out.list.len() - 1
            });
            let journey = &mut out.list[j];
            let sum = Tally {
                conversions: journey.conversions,
                nulls: journey.nulls,
                value: journey.value,
            }
            .add(tally)
            .ok_or_else(|| overflow(&layout).at(line))?;
            (journey.conversions, journey.nulls, journey.value) =
                (sum.conversions, sum.nulls, sum.value);
        }
        Ok(out)
    }

    /// A path's channels, added as met.
    fn touches(&mut self, path: &[u8]) -> Result<Vec<Channel>, ReadError> {
        let text = std::str::from_utf8(path).map_err(|_| cell("path", "is not UTF-8"))?;
        text.split('>')
            .map(|name| {
                let name = name.trim();
                if name.is_empty() {
                    return Err(cell(
                        "path",
                        "has an empty channel (two `>` in a row, or one at an end)",
                    ));
                }
                Ok(self.channel(name))
            })
            .collect()
    }
}

/// Which columns hold what, by layout.
enum Layout {
    Totals {
        path: usize,
        conversions: usize,
        value: Option<usize>,
        nulls: Option<usize>,
    },
    PerJourney {
        path: usize,
        converted: usize,
        value: Option<usize>,
    },
}

impl Layout {
    fn of(header: &csv::ByteRecord) -> Result<Self, ReadError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(name))
        };
        let path = find("path").ok_or(ReadError::MissingColumn("path"))?;
        if let Some(conversions) = find("total_conversions") {
            return Ok(Self::Totals {
                path,
                conversions,
                value: find("total_conversion_value"),
                nulls: find("total_null"),
            });
        }
        let converted = find("converted").ok_or(ReadError::MissingColumn("total_conversions"))?;
        Ok(Self::PerJourney {
            path,
            converted,
            value: find("value"),
        })
    }

    fn path(&self) -> usize {
        match self {
            Self::Totals { path, .. } | Self::PerJourney { path, .. } => *path,
        }
    }

    /// One row's outcome.
    fn tally(&self, record: &csv::ByteRecord, decimals: u32) -> Result<Tally, ReadError> {
        let text = |i: usize, column: &'static str| -> Result<&str, ReadError> {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map(str::trim)
                .map_err(|_| cell(column, "is not UTF-8"))
        };
        let amount = |i: Option<usize>, column: &'static str| -> Result<i64, ReadError> {
            let Some(i) = i else { return Ok(0) };
            parse_amount(text(i, column)?, decimals).map_err(|m| cell(column, m))
        };
        let (tally, value_column) = match *self {
            Self::Totals {
                conversions,
                value,
                nulls,
                ..
            } => {
                let count = |i: Option<usize>, column: &'static str| -> Result<u64, ReadError> {
                    let Some(i) = i else { return Ok(0) };
                    let t = text(i, column)?;
                    if t.is_empty() {
                        return Ok(0);
                    }
                    parse_count(t).ok_or_else(|| {
                        cell(column, format!("{t:?} is not a whole number of journeys"))
                    })
                };
                let tally = Tally {
                    conversions: count(Some(conversions), "total_conversions")?,
                    nulls: count(nulls, "total_null")?,
                    value: amount(value, "total_conversion_value")?,
                };
                (tally, "total_conversion_value")
            }
            Self::PerJourney {
                converted, value, ..
            } => {
                let t = text(converted, "converted")?;
                let yes = match t.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" => true,
                    "0" | "false" | "no" => false,
                    _ => {
                        return Err(cell(
                            "converted",
                            format!("{t:?} is not 1/0, true/false or yes/no"),
                        ));
                    }
                };
                let tally = Tally {
                    conversions: u64::from(yes),
                    nulls: u64::from(!yes),
                    value: amount(value, "value")?,
                };
                (tally, "value")
            }
        };
        if tally.value > 0 && tally.conversions == 0 {
            return Err(cell(
                value_column,
                "has a value but the row has no conversions",
            ));
        }
        Ok(tally)
    }
}

/// One path's outcomes.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    conversions: u64,
    nulls: u64,
    value: i64,
}

impl Tally {
    fn add(self, other: Self) -> Option<Self> {
        Some(Self {
            conversions: self.conversions.checked_add(other.conversions)?,
            nulls: self.nulls.checked_add(other.nulls)?,
            value: self.value.checked_add(other.value)?,
        })
    }
}

/// Rows added up by their path's bytes, in first-seen order, each with the line it was first
/// seen on (counted from the start of the chunk).
#[derive(Default)]
struct Tallies {
    index: FxHashMap<Box<[u8]>, usize>,
    list: Vec<(Box<[u8]>, Tally, u64)>,
}

impl Tallies {
    /// A chunk of rows; on a bad row, its line within the chunk and what is wrong.
    fn read(
        chunk: &[u8],
        layout: &Layout,
        width: usize,
        decimals: u32,
    ) -> Result<Self, (u64, ReadError)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(chunk);
        let mut out = Self::default();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(out),
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    return Err((line, ReadError::Csv(e.to_string())));
                }
            }
            let line = record.position().map_or(0, csv::Position::line);
            if record.len() != width {
                let message = format!("has {} fields; the header has {width}", record.len());
                return Err((line, ReadError::Row { line: 0, message }));
            }
            let tally = layout.tally(&record, decimals).map_err(|e| (line, e))?;
            let path = record.get(layout.path()).unwrap_or_default();
            out.add(path, tally, line)
                .ok_or_else(|| (line, overflow(layout)))?;
        }
    }

    fn add(&mut self, path: &[u8], tally: Tally, line: u64) -> Option<()> {
        if let Some(&i) = self.index.get(path) {
            let t = &mut self.list[i].1;
            *t = t.add(tally)?;
        } else {
            self.index.insert(path.into(), self.list.len());
            self.list.push((path.into(), tally, line));
        }
        Some(())
    }

    /// Adds a later chunk's paths, whose lines start after `line_before()`.
    fn merge(&mut self, later: Self, line_before: impl Fn() -> u64) -> Result<(), ReadError> {
        let mut before = None;
        for (path, tally, line) in later.list {
            let line = *before.get_or_insert_with(&line_before) + line;
            if let Some(&i) = self.index.get(&path) {
                let t = &mut self.list[i].1;
                *t = t.add(tally).ok_or_else(|| ReadError::Cell {
                    line,
                    column: "total_conversions",
                    message: "the totals overflow".into(),
                })?;
            } else {
                self.index.insert(path.clone(), self.list.len());
                self.list.push((path, tally, line));
            }
        }
        Ok(())
    }
}

/// Splits the body into chunks of whole lines for parallel reading; one chunk when the file
/// is small or has quoted cells (a quoted cell may hold a line break).
fn chunks(bytes: &[u8], from: usize) -> Vec<(usize, usize)> {
    const CHUNK: usize = 1 << 20;
    let body = &bytes[from.min(bytes.len())..];
    if body.len() < 2 * CHUNK || memchr::memchr(b'"', body).is_some() {
        return vec![(from, bytes.len())];
    }
    let mut out = Vec::new();
    let mut start = from;
    while start < bytes.len() {
        let end = (start + CHUNK).min(bytes.len());
        let end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |i| end + i + 1);
        out.push((start, end));
        start = end;
    }
    out
}

fn cell(column: &'static str, message: impl Into<String>) -> ReadError {
    ReadError::Cell {
        line: 0,
        column,
        message: message.into(),
    }
}

fn overflow(layout: &Layout) -> ReadError {
    let column = match layout {
        Layout::Totals { .. } => "total_conversions",
        Layout::PerJourney { .. } => "converted",
    };
    cell(column, "the totals overflow")
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
        "the file has no {0} column (expected: path, total_conversions, and optionally total_conversion_value and total_null; or one row per journey with path, converted and optionally value)"
    )]
    MissingColumn(&'static str),
    #[error("line {line}, column {column}: {message}")]
    Cell {
        line: u64,
        column: &'static str,
        message: String,
    },
    #[error("line {line}: {message}")]
    Row { line: u64, message: String },
    #[error("the file is not valid CSV: {0}")]
    Csv(String),
    #[error("the file has no journeys")]
    Empty,
}

impl ReadError {
    /// The error, placed on `line` of the file.
    fn at(self, line: u64) -> Self {
        match self {
            Self::Cell {
                column, message, ..
            } => Self::Cell {
                line,
                column,
                message,
            },
            Self::Row { message, .. } => Self::Row { line, message },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn paths_are_read_and_repeated_paths_added_up() {
        let csv = "path,total_conversions,total_conversion_value,total_null\n\
                   partnerA > email,1,2500.00,0\n\
                   email,0,0,3\n\
                   partnerA>email,2,100.5,1\n";
        let j = Journeys::read(csv.as_bytes(), 2).unwrap();
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
    fn one_row_per_journey_is_read_too() {
        let csv = "journey_id,path,converted,value\n\
                   1,partnerA > email,1,2500.00\n\
                   2,email,0,0.00\n\
                   3,partnerA>email,true,\n\
                   4,email,no,0\n";
        let j = Journeys::read(csv.as_bytes(), 2).unwrap();
        let outcomes: Vec<_> = j
            .journeys()
            .iter()
            .map(|j| (j.touches.clone(), j.conversions, j.value, j.nulls))
            .collect();
        assert_eq!(outcomes, [(vec![0, 1], 2, 250_000, 0), (vec![1], 0, 0, 2)]);
        let err = Journeys::read(b"path,converted\na,maybe\n", 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2, column converted: \"maybe\" is not 1/0, true/false or yes/no"
        );
    }

    /// A file big enough to be read in parallel chunks reads the same as one chunk at a time,
    /// and a bad line deep in it is named by its line in the whole file.
    #[test]
    fn chunks_read_like_the_whole() {
        let mut csv = String::from("path,total_conversions,total_conversion_value,total_null\n");
        for i in 0..200_000 {
            let _ = writeln!(
                csv,
                "c{} > c{},{},{},{}",
                i % 7,
                i % 11,
                i % 3,
                i % 3 * 25,
                i % 2
            );
        }
        let parallel = Journeys::read(csv.as_bytes(), 2).unwrap();
        assert!(chunks(csv.as_bytes(), 0).len() > 2);
        let mut serial = Journeys::default();
        let tallies = Tallies::read(
            &csv.as_bytes()[csv.find('\n').unwrap() + 1..],
            &Layout::of(&csv::ByteRecord::from(vec![
                "path",
                "total_conversions",
                "total_conversion_value",
                "total_null",
            ]))
            .unwrap(),
            4,
            2,
        )
        .unwrap();
        for (path, tally, _) in &tallies.list {
            let touches = serial.touches(path).unwrap();
            serial.push(Journey::path(
                touches,
                tally.conversions,
                tally.value,
                tally.nulls,
            ));
        }
        assert_eq!(parallel.channels(), serial.channels());
        assert_eq!(parallel.journeys(), serial.journeys());
        csv.push_str("c1 > c2,1,1.001,0\n");
        assert_eq!(
            Journeys::read(csv.as_bytes(), 2).unwrap_err().to_string(),
            "line 200002, column total_conversion_value: \"1.001\" has more than 2 decimals"
        );
    }

    #[test]
    fn a_bad_cell_is_named_by_line_and_column() {
        let read = |body: &str| {
            Journeys::read(
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
        assert_eq!(
            read("a,1,1,0\nb,1,1\n"),
            "line 3: has 3 fields; the header has 4"
        );
        assert_eq!(read(""), "the file has no journeys");
        assert!(
            Journeys::read(b"journey,conversions\n", 2)
                .unwrap_err()
                .to_string()
                .contains("no path column")
        );
    }
}
