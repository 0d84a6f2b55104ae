//! Journeys: the touchpoints before an outcome, and how many times that path ended in a
//! conversion (with what value) or in nothing.

use rustc_hash::FxHashMap;

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
    /// and column. The input streams through in blocks, parsed in parallel (see [`crate::read`]).
    pub fn read(input: impl std::io::Read, decimals: u32) -> Result<Self, ReadError> {
        crate::read::read(input, decimals, crate::read::Sizes::DEFAULT)
    }
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

#[cfg(test)]
impl Journeys {
    /// Journeys for a test: (path with channels joined by `>`, conversions, value, nulls).
    pub(crate) fn from_rows(rows: &[(&str, u64, i64, u64)]) -> Self {
        let mut js = Self::default();
        for &(path, conversions, value, nulls) in rows {
            let touches = path.split('>').map(|c| js.channel(c.trim())).collect();
            js.push(Journey::path(touches, conversions, value, nulls));
        }
        js
    }
}

impl ReadError {
    /// The line the error is on, if it is on one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Self::Cell { line, .. } | Self::Row { line, .. } => Some(*line),
            Self::MissingColumn(_) | Self::Csv(_) | Self::Empty => None,
        }
    }
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
        let err = Journeys::read(&b"path,converted\na,maybe\n"[..], 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2, column converted: \"maybe\" is not 1/0, true/false or yes/no"
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
            Journeys::read(&b"journey,conversions\n"[..], 2)
                .unwrap_err()
                .to_string()
                .contains("no path column")
        );
    }
}
