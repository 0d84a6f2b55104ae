//! The receiver's side of record mode: it learns which of its records overlap and the
//! sender's labels for those.

use curve25519_dalek::ristretto::RistrettoBasepointTable;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;

use super::{EntryKdf, Hello, Indexed, RecordKeys, SEED_LEN, Setup, WRAP_LEN, index_keys};
use crate::cache::{Cache, KeyDigest};
use crate::chunk::{self, SessionSecret};
use crate::group;
use crate::keys::{KEY_FORMAT_VERSION, Key};
use crate::oprf::{Suite, decompress, output_hash};
use crate::radix::RadixIndex;
use crate::wire::{Frame, Kind, SessionId, records};
use crate::{BATCH, Config, Error};

/// One of the receiver's records that overlaps the sender's: its index in the receiver's
/// input, and the labels of the sender records it matched (by any of its keys), each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOverlap {
    pub record: usize,
    pub labels: Vec<Vec<u8>>,
}

/// What the receiver holds once the Setup arrived.
struct Session {
    setup: Setup,
    /// `setup.entries` and `setup.records`, checked to fit in memory.
    entry_count: usize,
    record_count: usize,
    kdf: EntryKdf,
    /// `(k/2)·G` as a table: removing `s·P` is a fixed-base multiplication.
    table: RistrettoBasepointTable,
    /// Distinct keys to blind, in the order sent.
    to_blind: Vec<u32>,
    evaluated: Vec<bool>,
    /// (tag as a big-endian number, wrap), sorted by tag once every chunk is in: half the
    /// memory of a hash map, looked up through `index`.
    entries: Vec<(u128, [u8; WRAP_LEN])>,
    index: RadixIndex,
    entries_seen: Vec<bool>,
    sealed: Vec<u8>,
    labels_seen: Vec<bool>,
}

/// The receiver of record mode.
pub struct RecordReceiver {
    suite: Suite,
    config: Config,
    id: SessionId,
    secret: SessionSecret,
    keys: Vec<Key>,
    digests: Vec<KeyDigest>,
    /// Each record's distinct keys.
    record_keys: RecordKeys,
    /// `enc(k·H(y))` per distinct key, once known (from the cache or the evaluation).
    issued: Vec<Option<[u8; 32]>>,
    cache: Option<Cache>,
    session: Option<Session>,
}

impl std::fmt::Debug for RecordReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReceiver")
            .field("keys", &self.keys.len())
            .field("records", &self.record_keys.len())
            .finish_non_exhaustive()
    }
}

impl RecordReceiver {
    /// A receiver for these records (each a list of keys), with the cache of a previous session
    /// with the same sender if there is one. Draws the session id and secret from `rng`.
    pub fn new<R: RngCore + CryptoRng>(
        records: Vec<Vec<Key>>,
        cache: Option<Cache>,
        config: Config,
        rng: &mut R,
    ) -> Self {
        let Indexed {
            keys,
            digests,
            records: record_keys,
        } = index_keys(records);
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        Self {
            suite: Suite::new(),
            config,
            id,
            secret: SessionSecret::random(rng),
            issued: vec![None; keys.len()],
            keys,
            digests,
            record_keys,
            cache,
            session: None,
        }
    }

    /// The session's first message.
    pub fn hello(&self) -> Frame {
        let hello = Hello {
            key_format: KEY_FORMAT_VERSION,
            chunk_size: u32::try_from(self.config.chunk_size).unwrap_or(u32::MAX),
            receiver_keys: self.keys.len() as u64,
        };
        Frame {
            kind: Kind::Hello,
            session: self.id,
            chunk: 0,
            payload: hello.encode(),
        }
    }

    /// Takes the sender's Setup: from here on the blinded chunks can be produced. Keys whose
    /// output the cache holds under the sender's key are not sent again.
    pub fn accept_setup(&mut self, frame: &Frame) -> Result<(), Error> {
        self.check(frame, Kind::Setup)?;
        let setup = Setup::decode(&frame.payload)?;
        crate::keys::check_format(setup.key_format)?;
        let table = RistrettoBasepointTable::create(&decompress(&setup.point)?);
        let cache = self.cache.take().filter(|c| c.key_id() == setup.key_id);
        if let Some(c) = &cache {
            self.issued = self.digests.par_iter().map(|d| c.get(d).copied()).collect();
        }
        let to_blind: Vec<u32> = (0..self.keys.len())
            .filter(|&i| self.issued[i].is_none())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        let chunks = if to_blind.is_empty() {
            0
        } else {
            chunk::count(to_blind.len(), self.config.chunk_size)
        };
        let entries =
            usize::try_from(setup.entries).map_err(|_| Error::Malformed("too many entries"))?;
        let entry_chunks =
            usize::try_from(chunk::count(entries, setup.chunk_size as usize)).unwrap_or(0);
        let records =
            usize::try_from(setup.records).map_err(|_| Error::Malformed("too many records"))?;
        let label_chunks = if setup.label_size == 0 {
            0
        } else {
            chunk::count(records, setup.chunk_size as usize)
        };
        self.session = Some(Session {
            entry_count: entries,
            record_count: records,
            kdf: EntryKdf::new(setup.salt),
            table,
            evaluated: vec![false; chunks as usize],
            entries: Vec::new(),
            index: RadixIndex::default(),
            entries_seen: vec![false; entry_chunks],
            sealed: Vec::new(),
            labels_seen: vec![false; label_chunks as usize],
            to_blind,
            setup,
        });
        Ok(())
    }

    fn check(&self, frame: &Frame, kind: Kind) -> Result<(), Error> {
        if frame.session != self.id {
            return Err(Error::Session);
        }
        if frame.kind != kind {
            return Err(Error::Unexpected(frame.kind));
        }
        Ok(())
    }

    fn ready(&self) -> Result<&Session, Error> {
        self.session.as_ref().ok_or(Error::NotReady("no Setup yet"))
    }

    /// The keys this session blinds, in order. After Setup: those the cache did not hold.
    /// Before Setup, only without a cache: then every key is blinded whatever the sender's key,
    /// so a one-way transport (file exchange) can send Blinded with Hello.
    fn to_blind(&self) -> Result<std::borrow::Cow<'_, [u32]>, Error> {
        match &self.session {
            Some(s) => Ok(std::borrow::Cow::Borrowed(&s.to_blind)),
            None if self.cache.is_none() => Ok(std::borrow::Cow::Owned(
                (0..u32::try_from(self.keys.len()).unwrap_or(u32::MAX)).collect(),
            )),
            None => Err(Error::NotReady(
                "no Setup yet (with a cache, what to blind depends on the sender's key)",
            )),
        }
    }

    /// How many Blinded chunks this session sends (0 when the cache held every key). Known
    /// before Setup when the receiver has no cache.
    pub fn blinded_chunks(&self) -> Result<u32, Error> {
        if let Some(s) = &self.session {
            return Ok(u32::try_from(s.evaluated.len()).unwrap_or(u32::MAX));
        }
        let n = self.to_blind()?.len();
        Ok(if n == 0 {
            0
        } else {
            chunk::count(n, self.config.chunk_size)
        })
    }

    /// The blinds of one batch of one chunk: a pure function of the session secret.
    fn blinds(&self, c: u32, batch: usize, n: usize) -> Vec<Scalar> {
        let mut rng = self
            .secret
            .rng(b"blind", (u64::from(c) << 32) | batch as u64);
        (0..n)
            .map(|_| crate::group::random_scalar(&mut rng))
            .collect()
    }

    /// Blinded chunk `c`: the same bytes every time it is asked for, before Setup (without a
    /// cache) as after.
    pub fn blinded(&self, c: u32) -> Result<Frame, Error> {
        if c >= self.blinded_chunks()? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Blinded,
                chunk: c,
            });
        }
        let to_blind = self.to_blind()?;
        let ids = &to_blind[chunk::range(c, self.config.chunk_size, to_blind.len())];
        let payload: Vec<u8> = ids
            .par_chunks(BATCH)
            .enumerate()
            .flat_map_iter(|(b, batch)| {
                let inputs: Vec<&[u8]> = batch
                    .iter()
                    .map(|&i| self.keys[i as usize].as_bytes())
                    .collect();
                group::blind(&self.suite, &inputs, &self.blinds(c, b, batch.len())).concat()
            })
            .collect();
        Ok(Frame {
            kind: Kind::Blinded,
            session: self.id,
            chunk: c,
            payload,
        })
    }

    /// Takes an Evaluated, Entries or Labels chunk. A chunk already taken is ignored, so a
    /// transport may deliver twice.
    pub fn accept(&mut self, frame: &Frame) -> Result<(), Error> {
        if frame.session != self.id {
            return Err(Error::Session);
        }
        match frame.kind {
            Kind::Evaluated => self.accept_evaluated(frame),
            Kind::Entries => self.accept_entries(frame),
            Kind::Labels => self.accept_labels(frame),
            other => Err(Error::Unexpected(other)),
        }
    }

    fn accept_evaluated(&mut self, frame: &Frame) -> Result<(), Error> {
        let c = frame.chunk;
        let s = self.ready()?;
        if !chunk::is_new(&s.evaluated, frame)? {
            return Ok(());
        }
        let ids = &s.to_blind[chunk::range(c, self.config.chunk_size, s.to_blind.len())];
        let points = records::<32>(&frame.payload)?;
        if points.len() != ids.len() {
            return Err(Error::Malformed(
                "an Evaluated chunk does not answer its Blinded chunk",
            ));
        }
        let issued = points
            .par_chunks(BATCH)
            .enumerate()
            .map(|(b, batch)| group::unblind(&s.table, &self.blinds(c, b, batch.len()), batch))
            .collect::<Result<Vec<_>, _>>()?;
        let ids = ids.to_vec();
        for (&i, e) in ids.iter().zip(issued.into_iter().flatten()) {
            self.issued[i as usize] = Some(e);
        }
        if let Some(s) = self.session.as_mut() {
            s.evaluated[c as usize] = true;
        }
        Ok(())
    }

    fn accept_entries(&mut self, frame: &Frame) -> Result<(), Error> {
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Setup yet"))?;
        let c = frame.chunk as usize;
        if !chunk::is_new(&s.entries_seen, frame)? {
            return Ok(());
        }
        let len = s.setup.entry_len();
        let t = usize::from(s.setup.tag_len);
        let expected = chunk::range(frame.chunk, s.setup.chunk_size as usize, s.entry_count).len();
        if frame.payload.len() != expected * len {
            return Err(Error::Malformed("an Entries chunk has the wrong length"));
        }
        s.entries.reserve(expected);
        for e in frame.payload.chunks_exact(len) {
            let mut wrap = [0u8; WRAP_LEN];
            if len > t {
                wrap.copy_from_slice(&e[t..]);
            }
            s.entries.push((tag_value(&e[..t]), wrap));
        }
        s.entries_seen[c] = true;
        if s.entries_seen.iter().all(|&x| x) {
            s.entries.par_sort_unstable_by_key(|e| e.0);
            let bits = 8 * u32::from(s.setup.tag_len) - 32;
            s.index = RadixIndex::new(s.entries.len(), |i| lead(s.entries[i].0, bits));
        }
        Ok(())
    }

    fn accept_labels(&mut self, frame: &Frame) -> Result<(), Error> {
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Setup yet"))?;
        let c = frame.chunk as usize;
        if !chunk::is_new(&s.labels_seen, frame)? {
            return Ok(());
        }
        let sealed = s.setup.sealed_len();
        let range = chunk::range(frame.chunk, s.setup.chunk_size as usize, s.record_count);
        if frame.payload.len() != range.len() * sealed {
            return Err(Error::Malformed("a Labels chunk has the wrong length"));
        }
        if s.sealed.is_empty() {
            s.sealed = vec![0; s.record_count * sealed];
        }
        s.sealed[range.start * sealed..range.end * sealed].copy_from_slice(&frame.payload);
        s.labels_seen[c] = true;
        Ok(())
    }

    /// The chunks not yet taken, per kind: what a resumed transport asks the sender for (and,
    /// for `Evaluated`, which `Blinded` chunks to send again).
    pub fn missing(&self) -> Vec<(Kind, u32)> {
        let Some(s) = &self.session else {
            return vec![(Kind::Setup, 0)];
        };
        let gaps = |kind: Kind, seen: &[bool]| -> Vec<(Kind, u32)> {
            (0..seen.len())
                .filter(|&i| !seen[i])
                .map(|i| (kind, u32::try_from(i).unwrap_or(u32::MAX)))
                .collect()
        };
        let mut out = gaps(Kind::Evaluated, &s.evaluated);
        out.extend(gaps(Kind::Entries, &s.entries_seen));
        out.extend(gaps(Kind::Labels, &s.labels_seen));
        out
    }

    /// How many keys this session blinds (the rest came from the cache).
    pub fn blinded_keys(&self) -> usize {
        self.session.as_ref().map_or(0, |s| s.to_blind.len())
    }

    /// The overlapping records and the cache for the next session with this sender.
    pub fn finish(&self) -> Result<(Vec<RecordOverlap>, Cache), Error> {
        let missing = self.missing().len();
        let s = self
            .session
            .as_ref()
            .ok_or(Error::NotReady("no Setup yet"))?;
        if missing > 0 {
            return Err(Error::Incomplete(missing));
        }
        let issued: Vec<[u8; 32]> = self.issued.iter().map(|e| e.unwrap_or_default()).collect();
        // Per distinct key: the (sender position, label) pairs it matched.
        let found: Vec<Vec<(u32, Vec<u8>)>> = self
            .keys
            .par_iter()
            .zip(&issued)
            .map(|(k, e)| matches(s, &output_hash(k.as_bytes(), e)))
            .collect::<Result<_, _>>()?;
        let overlaps = (0..self.record_keys.len())
            .filter_map(|record| {
                let mut hits: Vec<&(u32, Vec<u8>)> = self
                    .record_keys
                    .of(record)
                    .iter()
                    .flat_map(|&i| &found[i as usize])
                    .collect();
                if hits.is_empty() {
                    return None;
                }
                hits.sort_by_key(|h| h.0);
                hits.dedup_by_key(|h| h.0);
                let labels = hits
                    .into_iter()
                    .filter(|h| !h.1.is_empty() || s.setup.label_size > 0);
                Some(RecordOverlap {
                    record,
                    labels: labels.map(|h| h.1.clone()).collect(),
                })
            })
            .collect();
        let cache = Cache::from_entries(
            s.setup.key_id,
            self.digests.iter().copied().zip(issued).collect(),
        );
        Ok((overlaps, cache))
    }
}

/// The sender entries one OPRF output matches: occurrence 0, 1, … until a tag is absent.
fn matches(s: &Session, output: &crate::oprf::Output) -> Result<Vec<(u32, Vec<u8>)>, Error> {
    let t = usize::from(s.setup.tag_len);
    let mut out = Vec::new();
    for occ in 0u32.. {
        let okm = s.kdf.okm(output, occ);
        let tag = tag_value(&okm[..t]);
        let bucket = s
            .index
            .range(lead(tag, 8 * u32::try_from(t).unwrap_or(16) - 32));
        // A binary search within the bucket: a sender that clusters its tags slows only
        // itself down to an ordinary binary search.
        let Ok(i) = s.entries[bucket.clone()]
            .binary_search_by_key(&tag, |e| e.0)
            .map(|i| bucket.start + i)
        else {
            break;
        };
        let wrap = &s.entries[i].1;
        if s.setup.label_size == 0 {
            out.push((0, Vec::new()));
            break;
        }
        let mut plain = [0u8; WRAP_LEN];
        for (p, (w, k)) in plain.iter_mut().zip(wrap.iter().zip(&okm[t..t + WRAP_LEN])) {
            *p = w ^ k;
        }
        let mut seed = [0u8; SEED_LEN];
        seed.copy_from_slice(&plain[..SEED_LEN]);
        let pos = u32::from_be_bytes([plain[16], plain[17], plain[18], plain[19]]);
        let sealed_len = s.setup.sealed_len();
        let start = (pos as usize).checked_mul(sealed_len).ok_or(Error::Label)?;
        let sealed = s
            .sealed
            .get(start..start + sealed_len)
            .ok_or(Error::Label)?;
        out.push((pos, s.kdf.open(&seed, sealed)?));
    }
    Ok(out)
}

/// A tag's leading 32 bits, for the radix index (`shift`: its bits beyond those).
fn lead(tag: u128, shift: u32) -> u32 {
    u32::try_from(tag >> shift).unwrap_or(u32::MAX)
}

/// A tag as a number, for hashing.
fn tag_value(tag: &[u8]) -> u128 {
    tag.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}
