//! Reading a journeys file fast: the file streams through in blocks, each block's lines are
//! parsed in parallel chunks that add up their rows by path, and the chunks' paths are merged
//! in parallel shards and put back in the order they were first seen.
//!
//! A path is kept in a canonical form (channels trimmed and joined by `>`), so two spellings of
//! one path ("a > b", "a>b") are one path, and each distinct path is parsed into channels once.
//! A quoted cell may hold a line break, so from the first block with a quote on, the rest of
//! the file is read by one CSV reader; files without quotes (all generated ones) stay parallel.

use std::hash::{BuildHasher as _, BuildHasherDefault};
use std::io::Read;
use std::sync::{Mutex, PoisonError};

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::FxHasher;

use crate::money::parse_amount;
use crate::{Journey, Journeys, ReadError};

/// How the input is cut: blocks read at a time, and the size of a chunk parsed by one thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) block: usize,
    pub(crate) chunk: usize,
}

impl Sizes {
    pub(crate) const DEFAULT: Self = Self {
        block: 8 << 20,
        chunk: 1 << 20,
    };
}

/// Merged paths are spread over this many shards, merged in parallel.
const SHARDS: usize = 64;

pub(crate) fn read(
    mut input: impl Read,
    decimals: u32,
    sizes: Sizes,
) -> Result<Journeys, ReadError> {
    let mut block = Vec::new();
    let mut eof = fill(&mut input, &mut block, sizes.block)?;
    let mut start = usize::from(block.starts_with(b"\xEF\xBB\xBF")) * 3;
    let (layout, width) = {
        let mut reader = csv::ReaderBuilder::new().from_reader(&block[start..]);
        let header = reader
            .byte_headers()
            .map_err(|e| ReadError::Csv(e.to_string()))?;
        if !eof && memchr::memchr(b'\n', &block).is_none() {
            return Err(ReadError::Csv(format!(
                "the header line is longer than {} bytes",
                sizes.block
            )));
        }
        let layout = Layout::of(header)?;
        let width = header.len();
        start += usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        (layout, width)
    };
    let mut lines = newlines(&block[..start]);
    let pool: Mutex<Vec<Unique>> = Mutex::new(Vec::new());
    loop {
        if memchr::memchr(b'"', &block[start..]).is_some() {
            // Quoted cells from here on: one reader for the rest, which may cross blocks.
            let rest = std::io::Cursor::new(&block[start..]).chain(&mut input);
            let mut unique = lock(&pool).pop().unwrap_or_else(Unique::new);
            unique.read(rest, lines, &layout, width, decimals)?;
            lock(&pool).push(unique);
            break;
        }
        let cut = if eof {
            block.len()
        } else {
            let Some(i) = memchr::memrchr(b'\n', &block[start..]) else {
                // A line longer than the block: read on until it ends.
                eof = fill(&mut input, &mut block, sizes.block)?;
                continue;
            };
            start + i + 1
        };
        let pieces = split(&block[start..cut], sizes.chunk);
        let mut bases = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            bases.push(lines);
            lines += newlines(piece);
        }
        // A pool of accumulators, one per thread at most and kept from block to block: a
        // path is then held a few times over rather than once per chunk it appears in. A
        // chunk stops at its first bad row, and chunks do not overlap, so the earliest error
        // is the file's first bad row.
        let error: Mutex<Option<ReadError>> = Mutex::new(None);
        pieces.par_iter().zip(&bases).for_each(|(piece, &base)| {
            let mut unique = lock(&pool).pop().unwrap_or_else(Unique::new);
            let read = unique.read(*piece, base, &layout, width, decimals);
            lock(&pool).push(unique);
            if let Err(e) = read {
                let mut first = lock(&error);
                if first.as_ref().is_none_or(|f| e.line() < f.line()) {
                    *first = Some(e);
                }
            }
        });
        if let Some(e) = error.into_inner().unwrap_or_else(PoisonError::into_inner) {
            return Err(e);
        }
        if eof {
            break;
        }
        block.drain(..cut);
        start = 0;
        eof = fill(&mut input, &mut block, sizes.block)?;
    }
    let accumulators: Vec<Unique> = pool
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(Unique::finish)
        .collect();
    build(&accumulators)
}

/// A lock that a panicked holder did not spoil: the reading panics through anyway.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads until `block` holds `size` more bytes or the input ends; true at the end.
fn fill(input: &mut impl Read, block: &mut Vec<u8>, size: usize) -> Result<bool, ReadError> {
    let want = block.len() + size;
    // Room for the whole block up front: read_to_end then never doubles the buffer.
    block.reserve(size);
    let got = input
        .by_ref()
        .take(u64::try_from(size).unwrap_or(u64::MAX))
        .read_to_end(block)
        .map_err(|e| ReadError::Csv(format!("cannot read the file: {e}")))?;
    Ok(got == 0 || block.len() < want)
}

fn newlines(bytes: &[u8]) -> u64 {
    u64::try_from(memchr::memchr_iter(b'\n', bytes).count()).unwrap_or(u64::MAX)
}

/// Cuts whole lines into pieces of about `size` bytes.
fn split(bytes: &[u8], size: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let at = size.min(rest.len());
        let end = memchr::memchr(b'\n', &rest[at..]).map_or(rest.len(), |i| at + i + 1);
        let (piece, tail) = rest.split_at(end);
        out.push(piece);
        rest = tail;
    }
    out
}

/// Which columns hold what, by layout.
pub(crate) enum Layout {
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

    /// The column a total that overflows is blamed on.
    fn count_column(&self) -> &'static str {
        match self {
            Self::Totals { .. } => "total_conversions",
            Self::PerJourney { .. } => "converted",
        }
    }

    /// One row's outcome.
    fn tally(&self, record: &csv::ByteRecord, decimals: u32) -> Result<Tally, Bad> {
        let text = |i: usize, column: &'static str| -> Result<&str, Bad> {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map(str::trim)
                .map_err(|_| Bad::cell(column, "is not UTF-8"))
        };
        let amount = |i: Option<usize>, column: &'static str| -> Result<i64, Bad> {
            let Some(i) = i else { return Ok(0) };
            parse_amount(text(i, column)?, decimals).map_err(|m| Bad::cell(column, m))
        };
        let (tally, value_column) = match *self {
            Self::Totals {
                conversions,
                value,
                nulls,
                ..
            } => {
                let count = |i: Option<usize>, column: &'static str| -> Result<u64, Bad> {
                    let Some(i) = i else { return Ok(0) };
                    let t = text(i, column)?;
                    if t.is_empty() {
                        return Ok(0);
                    }
                    parse_count(t).ok_or_else(|| {
                        Bad::cell(column, format!("{t:?} is not a whole number of journeys"))
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
                let yes = if t == "1"
                    || t.eq_ignore_ascii_case("true")
                    || t.eq_ignore_ascii_case("yes")
                {
                    true
                } else if t == "0"
                    || t.eq_ignore_ascii_case("false")
                    || t.eq_ignore_ascii_case("no")
                {
                    false
                } else {
                    return Err(Bad::cell(
                        "converted",
                        format!("{t:?} is not 1/0, true/false or yes/no"),
                    ));
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
            return Err(Bad::cell(
                value_column,
                "has a value but the row has no conversions",
            ));
        }
        Ok(tally)
    }
}

/// A count written as a whole number; "3.0" (as pandas writes integers after a sum) is 3.
fn parse_count(text: &str) -> Option<u64> {
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole.parse().ok()
}

/// What is wrong with a row, before its line is known.
struct Bad {
    column: Option<&'static str>,
    message: String,
}

impl Bad {
    fn cell(column: &'static str, message: impl Into<String>) -> Self {
        Self {
            column: Some(column),
            message: message.into(),
        }
    }

    fn at(self, line: u64) -> ReadError {
        match self.column {
            Some(column) => ReadError::Cell {
                line,
                column,
                message: self.message,
            },
            None => ReadError::Row {
                line,
                message: self.message,
            },
        }
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
    fn add(&mut self, other: Self) -> Option<()> {
        self.conversions = self.conversions.checked_add(other.conversions)?;
        self.nulls = self.nulls.checked_add(other.nulls)?;
        self.value = self.value.checked_add(other.value)?;
        Some(())
    }
}

/// A distinct path of a chunk: its canonical bytes in the chunk's arena, its outcomes, and
/// the line of the file it was first seen on.
struct Entry {
    hash: u64,
    start: usize,
    len: usize,
    tally: Tally,
    line: u64,
}

/// Rows added up by path: one per thread over the chunks it took.
struct Unique {
    arena: Vec<u8>,
    entries: Vec<Entry>,
    table: HashTable<u32>,
    spellings: Spellings,
    /// Entries by shard: `order[offsets[s]..offsets[s + 1]]` are shard `s`'s.
    order: Vec<u32>,
    offsets: Vec<usize>,
}

type Hasher = BuildHasherDefault<FxHasher>;

fn shard(hash: u64) -> usize {
    // The high bits: the tables use the low ones.
    usize::try_from(hash >> 58).unwrap_or(0) % SHARDS
}

impl Unique {
    fn new() -> Self {
        Self {
            arena: Vec::new(),
            entries: Vec::new(),
            table: HashTable::new(),
            spellings: Spellings::default(),
            order: Vec::new(),
            offsets: Vec::new(),
        }
    }

    /// Adds the rows of `input`, whose first line is line `base + 1` of the file.
    fn read(
        &mut self,
        input: impl Read,
        base: u64,
        layout: &Layout,
        width: usize,
        decimals: u32,
    ) -> Result<(), ReadError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut record = csv::ByteRecord::new();
        let mut path = Vec::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = base + e.position().map_or(0, csv::Position::line);
                    return Err(ReadError::Row {
                        line,
                        message: e.to_string(),
                    });
                }
            }
            let line = base + record.position().map_or(0, csv::Position::line);
            if record.len() != width {
                let message = format!("has {} fields; the header has {width}", record.len());
                return Err(ReadError::Row { line, message });
            }
            let tally = layout.tally(&record, decimals).map_err(|b| b.at(line))?;
            let raw = record.get(layout.path()).unwrap_or_default();
            let e = if let Some(e) = self.spellings.find(raw) {
                e
            } else {
                canonical(raw, &mut path).map_err(|b| b.at(line))?;
                let e = self.entry(&path, line)?;
                self.spellings.insert(raw, e);
                e
            };
            // Chunks reach an accumulator in any order: a path keeps its earliest line.
            let entry = &mut self.entries[e as usize];
            entry.line = entry.line.min(line);
            entry
                .tally
                .add(tally)
                .ok_or_else(|| Bad::cell(layout.count_column(), "the totals overflow").at(line))?;
        }
        Ok(())
    }

    /// Done reading: the spellings go, the entries are sorted by shard for the merge.
    fn finish(mut self) -> Self {
        self.spellings = Spellings::default();
        self.table = HashTable::new();
        self.sort_into_shards();
        self
    }

    /// The entry of a canonical path, added (with nothing tallied yet) if new.
    fn entry(&mut self, path: &[u8], line: u64) -> Result<u32, ReadError> {
        let hash = hash(path);
        let (arena, entries) = (&self.arena, &self.entries);
        let found = self.table.find(hash, |&i| {
            let e = &entries[i as usize];
            arena[e.start..e.start + e.len] == *path
        });
        if let Some(&i) = found {
            return Ok(i);
        }
        let i = u32::try_from(entries.len())
            .map_err(|_| Bad::cell("path", "too many distinct paths").at(line))?;
        self.entries.push(Entry {
            hash,
            start: self.arena.len(),
            len: path.len(),
            tally: Tally::default(),
            line,
        });
        self.arena.extend_from_slice(path);
        let entries = &self.entries;
        self.table
            .insert_unique(hash, i, |&j| entries[j as usize].hash);
        Ok(i)
    }

    /// A counting sort of the entries by shard.
    fn sort_into_shards(&mut self) {
        let mut offsets = vec![0usize; SHARDS + 1];
        for e in &self.entries {
            offsets[shard(e.hash) + 1] += 1;
        }
        for s in 0..SHARDS {
            offsets[s + 1] += offsets[s];
        }
        let mut next = offsets.clone();
        let mut order = vec![0u32; self.entries.len()];
        for (i, e) in self.entries.iter().enumerate() {
            let s = shard(e.hash);
            order[next[s]] = u32::try_from(i).unwrap_or(u32::MAX);
            next[s] += 1;
        }
        self.order = order;
        self.offsets = offsets;
    }

    fn bytes(&self, e: &Entry) -> &[u8] {
        &self.arena[e.start..e.start + e.len]
    }
}

fn hash(bytes: &[u8]) -> u64 {
    Hasher::default().hash_one(bytes)
}

/// The spellings of paths met by an accumulator, each with its canonical path's entry: when
/// rows repeat a spelling, only a new one is parsed into channels. When most rows are new
/// (many partners, few repeats), the table only costs memory and is given up.
#[derive(Default)]
struct Spellings {
    arena: Vec<u8>,
    /// (hash, start, length, entry).
    keys: Vec<(u64, usize, usize, u32)>,
    table: HashTable<u32>,
    looked_up: u64,
    found: u64,
    off: bool,
}

impl Spellings {
    /// Rows between checks that the table still pays.
    const CHECK: u64 = 1 << 16;

    fn find(&mut self, raw: &[u8]) -> Option<u32> {
        if self.off {
            return None;
        }
        self.looked_up += 1;
        if self.looked_up.is_multiple_of(Self::CHECK) && self.found * 2 < self.looked_up {
            *self = Self {
                off: true,
                ..Self::default()
            };
            return None;
        }
        let hash = hash(raw);
        let found = self
            .table
            .find(hash, |&k| {
                let (_, start, len, _) = self.keys[k as usize];
                self.arena[start..start + len] == *raw
            })
            .map(|&k| self.keys[k as usize].3);
        self.found += u64::from(found.is_some());
        found
    }

    fn insert(&mut self, raw: &[u8], entry: u32) {
        if self.off {
            return;
        }
        let hash = hash(raw);
        let k = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push((hash, self.arena.len(), raw.len(), entry));
        self.arena.extend_from_slice(raw);
        let keys = &self.keys;
        self.table.insert_unique(hash, k, |&j| keys[j as usize].0);
    }
}

/// The path's channels trimmed and joined by `>`, into `out`.
fn canonical(path: &[u8], out: &mut Vec<u8>) -> Result<(), Bad> {
    let text = std::str::from_utf8(path).map_err(|_| Bad::cell("path", "is not UTF-8"))?;
    out.clear();
    for (i, name) in text.split('>').enumerate() {
        let name = name.trim();
        if name.is_empty() {
            return Err(Bad::cell(
                "path",
                "has an empty channel (two `>` in a row, or one at an end)",
            ));
        }
        if i > 0 {
            out.push(b'>');
        }
        out.extend_from_slice(name.as_bytes());
    }
    Ok(())
}

/// The accumulators' paths merged shard by shard, then in the order first seen, as journeys.
fn build(chunks: &[Unique]) -> Result<Journeys, ReadError> {
    let merged: Vec<Vec<(u64, u32, u32, Tally)>> = (0..SHARDS)
        .into_par_iter()
        .map(|s| merge_shard(chunks, s))
        .collect::<Result<_, _>>()?;
    let mut paths: Vec<(u64, u32, u32, Tally)> = merged.into_iter().flatten().collect();
    if paths.is_empty() {
        return Err(ReadError::Empty);
    }
    paths.par_sort_unstable_by_key(|&(line, ..)| line);
    let mut out = Journeys::default();
    let mut touches = Vec::new();
    for (_, c, e, tally) in paths {
        let chunk = &chunks[c as usize];
        let path = chunk.bytes(&chunk.entries[e as usize]);
        touches.clear();
        // Valid UTF-8 and non-empty names: checked when the path was made canonical.
        for name in String::from_utf8_lossy(path).split('>') {
            touches.push(out.channel(name));
        }
        out.push(Journey::path(
            touches.clone(),
            tally.conversions,
            tally.value,
            tally.nulls,
        ));
    }
    Ok(out)
}

/// Shard `s` of every accumulator: each distinct path with the line it was first seen on, an
/// (accumulator, entry) that holds its bytes, and its outcomes added up.
fn merge_shard(chunks: &[Unique], s: usize) -> Result<Vec<(u64, u32, u32, Tally)>, ReadError> {
    let mut table: HashTable<u32> = HashTable::new();
    let mut out: Vec<(u64, u32, u32, Tally)> = Vec::new();
    for (c, chunk) in chunks.iter().enumerate() {
        let c = u32::try_from(c).unwrap_or(u32::MAX);
        for &e in &chunk.order[chunk.offsets[s]..chunk.offsets[s + 1]] {
            let entry = &chunk.entries[e as usize];
            let bytes = chunk.bytes(entry);
            let found = table.find(entry.hash, |&i| {
                let (_, fc, fe, _) = out[i as usize];
                let first = &chunks[fc as usize];
                first.bytes(&first.entries[fe as usize]) == bytes
            });
            if let Some(&i) = found {
                let first = &mut out[i as usize];
                first.0 = first.0.min(entry.line);
                first.3.add(entry.tally).ok_or_else(|| ReadError::Cell {
                    line: entry.line,
                    column: "total_conversions",
                    message: "the totals overflow".into(),
                })?;
            } else {
                let i = u32::try_from(out.len()).unwrap_or(u32::MAX);
                out.push((entry.line, c, e, entry.tally));
                table.insert_unique(entry.hash, i, |&j| {
                    let (_, fc, fe, _) = out[j as usize];
                    chunks[fc as usize].entries[fe as usize].hash
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// Cut into many small blocks and chunks, a file reads the same as in one piece, and a
    /// bad line deep in it is named by its line in the whole file.
    #[test]
    fn blocks_and_chunks_read_like_the_whole() {
        let mut csv = String::from("path,total_conversions,total_conversion_value,total_null\n");
        for i in 0..20_000 {
            let _ = writeln!(
                csv,
                "c{} > c{}{},{},{},{}",
                i % 7,
                i % 11,
                if i % 5 == 0 { " >c3" } else { "" },
                i % 3,
                i % 3 * 25,
                i % 2
            );
        }
        let small = Sizes {
            block: 4096,
            chunk: 512,
        };
        let whole = Sizes {
            block: 1 << 30,
            chunk: 1 << 30,
        };
        let a = read(csv.as_bytes(), 2, small).unwrap();
        let b = read(csv.as_bytes(), 2, whole).unwrap();
        assert_eq!(a.channels(), b.channels());
        assert_eq!(a.journeys(), b.journeys());
        assert_eq!(a.conversions(), 20_000 / 3 * 3 + 1);
        csv.push_str("c1 > c2,1,1.001,0\n");
        for sizes in [small, whole] {
            assert_eq!(
                read(csv.as_bytes(), 2, sizes).unwrap_err().to_string(),
                "line 20002, column total_conversion_value: \"1.001\" has more than 2 decimals"
            );
        }
    }

    /// When nearly every row is a new path, the spellings table is given up, and the
    /// journeys are the same.
    #[test]
    fn distinct_paths_read_without_the_spellings_table() {
        let mut csv = String::from("path,converted\n");
        for i in 0..150_000u64 {
            let _ = writeln!(csv, "p{} > p{},{}", i % 1000, i / 1000, i % 2);
        }
        let mut spellings = Spellings::default();
        for i in 0..Spellings::CHECK {
            let raw = i.to_string();
            assert_eq!(spellings.find(raw.as_bytes()), None);
            spellings.insert(raw.as_bytes(), 0);
        }
        assert!(spellings.off && spellings.keys.is_empty());
        let sizes = Sizes {
            block: 1 << 20,
            chunk: 1 << 16,
        };
        let a = read(csv.as_bytes(), 2, sizes).unwrap();
        assert_eq!(a.journeys().len(), 150_000);
        assert_eq!(a.conversions(), 75_000);
        assert_eq!(a.journeys()[1_000].touches, [0, 1]);
        assert_eq!(a.channels().len(), 1_000);
    }

    /// From the first block with a quote on, one reader takes the rest: a quoted cell may
    /// hold a line break and a comma.
    #[test]
    fn quoted_cells_are_read_whole() {
        let mut csv = String::from("path,total_conversions\n");
        for i in 0..2_000 {
            let _ = writeln!(csv, "a{},1", i % 10);
        }
        csv.push_str("\"x, inc > y\",2\n\"multi\nline > z\",3\nb > \"c\",1\n");
        let sizes = Sizes {
            block: 1024,
            chunk: 256,
        };
        let j = read(csv.as_bytes(), 2, sizes).unwrap();
        assert!(j.channels().iter().any(|c| c == "x, inc"));
        assert!(j.channels().iter().any(|c| c == "multi\nline"));
        assert_eq!(j.conversions(), 2_000 + 2 + 3 + 1);
        let bad = format!("{csv}q,\"oops\n");
        let err = read(bad.as_bytes(), 2, sizes).unwrap_err().to_string();
        assert!(err.starts_with("line 2006"), "{err}");
    }
}
