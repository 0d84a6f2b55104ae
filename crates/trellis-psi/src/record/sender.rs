//! The sender's side of record mode: it holds the OPRF key and the records whose keys and
//! labels it shares.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use zeroize::Zeroize as _;

use super::{
    EntryKdf, Hello, Indexed, RecordKeys, SEAL_OVERHEAD, SEED_LEN, Setup, WRAP_LEN, index_keys,
    key_id, tag_len,
};
use crate::cache::{Cache, KeyDigest};
use crate::chunk::{self, SessionSecret};
use crate::group::{self, halve};
use crate::keys::{KEY_FORMAT_VERSION, Key};
use crate::oprf::{OprfKey, Suite, output_hash};
use crate::wire::{Frame, Kind, records};
use crate::{BATCH, Config, Error};

/// One of the sender's records: its match keys and its label (the fields its sharing policy
/// allows this receiver to see, encoded by the caller; empty for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderRecord {
    pub keys: Vec<Key>,
    pub label: Vec<u8>,
}

/// One session's state.
#[derive(Debug)]
struct Session {
    id: [u8; 16],
    kdf: EntryKdf,
    setup: Setup,
    /// Entries in the order sent: (distinct key, record position, occurrence).
    entries: Vec<(u32, u32, u32)>,
    /// Record positions in the order sent: position -> record index.
    order: Vec<u32>,
    /// Each record position's label seed (empty without labels): drawn once per session,
    /// since the entries and the labels both need them and a hash per use was a tenth of a
    /// refresh.
    seeds: Vec<[u8; SEED_LEN]>,
    receiver_chunk: usize,
}

/// The sender of record mode.
#[derive(Debug)]
pub struct RecordSender {
    key: OprfKey,
    /// `k/8`: evaluating a blinded element and doubling it in the batch encoding gives `(k/4)·M`.
    k_eighth: Scalar,
    config: Config,
    keys: Vec<Key>,
    digests: Vec<KeyDigest>,
    /// `enc(k·H(x))` for each distinct key.
    issued: Vec<[u8; 32]>,
    /// Each record's distinct keys.
    record_keys: RecordKeys,
    labels: Vec<Vec<u8>>,
    computed: usize,
    session: Option<Session>,
}

impl Drop for RecordSender {
    fn drop(&mut self) {
        self.k_eighth.zeroize();
        if let Some(s) = &mut self.session {
            s.seeds.zeroize();
        }
    }
}

impl RecordSender {
    /// Evaluates the sender's own keys (in parallel), taking what `cache` already holds under
    /// this key. This part does not depend on the receiver and can run before it connects.
    pub fn new(
        key: OprfKey,
        records: Vec<SenderRecord>,
        cache: Option<&Cache>,
        config: Config,
    ) -> Self {
        let suite = Suite::new();
        let (key_lists, labels): (Vec<Vec<Key>>, Vec<Vec<u8>>) =
            records.into_iter().map(|r| (r.keys, r.label)).unzip();
        let Indexed {
            keys,
            digests,
            records: record_keys,
        } = index_keys(key_lists);
        let id = key_id(&key.public_key());
        let cache = cache.filter(|c| c.key_id() == id);
        let k_half = halve(key.scalar(), 1);
        let mut issued: Vec<Option<[u8; 32]>> = digests
            .par_iter()
            .map(|d| cache.and_then(|c| c.get(d)).copied())
            .collect();
        let missing: Vec<usize> = (0..keys.len()).filter(|&i| issued[i].is_none()).collect();
        let fresh: Vec<[u8; 32]> = missing
            .par_chunks(BATCH)
            .flat_map_iter(|batch| {
                let inputs: Vec<&[u8]> = batch.iter().map(|&i| keys[i].as_bytes()).collect();
                group::evaluate_own(&suite, &k_half, &inputs)
            })
            .collect();
        for (&i, e) in missing.iter().zip(fresh) {
            issued[i] = Some(e);
        }
        Self {
            k_eighth: halve(key.scalar(), 3),
            key,
            config,
            keys,
            digests,
            issued: issued.into_iter().map(Option::unwrap_or_default).collect(),
            record_keys,
            labels,
            computed: missing.len(),
            session: None,
        }
    }

    /// How many of the sender's keys were evaluated rather than taken from the cache.
    pub fn computed(&self) -> usize {
        self.computed
    }

    /// The cache to store for the next session: every current key, none of the removed ones.
    pub fn updated_cache(&self) -> Cache {
        let entries = self
            .digests
            .iter()
            .copied()
            .zip(self.issued.iter().copied())
            .collect();
        Cache::from_entries(key_id(&self.key.public_key()), entries)
    }

    /// Answers the receiver's Hello with the session's Setup; draws the session's salt and
    /// secret from `rng`.
    pub fn setup<R: RngCore + CryptoRng>(
        &mut self,
        hello: &Frame,
        rng: &mut R,
    ) -> Result<Frame, Error> {
        let h = Hello::decode(hello.expect(Kind::Hello)?)?;
        crate::keys::check_format(h.key_format)?;
        let secret = SessionSecret::random(rng);
        let mut salt = [0u8; 32];
        rng.fill_bytes(&mut salt);
        let label_size = label_size(&self.labels);
        let order = chunk::permutation(self.labels.len(), &mut secret.rng(b"record order", 0));
        let entries = self.entries(&order, label_size > 0, &secret);
        let seeds = if label_size > 0 {
            label_seeds(&secret, order.len())
        } else {
            Vec::new()
        };
        let point = (RISTRETTO_BASEPOINT_TABLE * &halve(self.key.scalar(), 1)).compress();
        let setup = Setup {
            key_format: KEY_FORMAT_VERSION,
            chunk_size: u32::try_from(self.config.chunk_size).unwrap_or(u32::MAX),
            tag_len: u8::try_from(tag_len(h.receiver_keys, entries.len() as u64)).unwrap_or(16),
            key_id: key_id(&self.key.public_key()),
            point: point.to_bytes(),
            salt,
            entries: entries.len() as u64,
            records: self.labels.len() as u64,
            label_size: u32::try_from(label_size).unwrap_or(u32::MAX),
        };
        let frame = Frame {
            kind: Kind::Setup,
            session: hello.session,
            chunk: 0,
            payload: setup.encode(),
        };
        self.session = Some(Session {
            id: hello.session,
            kdf: EntryKdf::new(salt),
            setup,
            entries,
            order,
            seeds,
            receiver_chunk: usize::try_from(h.chunk_size).unwrap_or(usize::MAX),
        });
        Ok(frame)
    }

    /// The entries in a random order: with labels one per (key, record) pair, numbered by
    /// occurrence; without, one per distinct key.
    fn entries(&self, order: &[u32], labels: bool, secret: &SessionSecret) -> Vec<(u32, u32, u32)> {
        let mut entries = Vec::with_capacity(self.keys.len());
        if labels {
            let mut seen = vec![0u32; self.keys.len()];
            for (pos, &r) in order.iter().enumerate() {
                for &k in self.record_keys.of(r as usize) {
                    let pos = u32::try_from(pos).unwrap_or(u32::MAX);
                    entries.push((k, pos, seen[k as usize]));
                    seen[k as usize] += 1;
                }
            }
        } else {
            entries
                .extend((0..self.keys.len()).map(|k| (u32::try_from(k).unwrap_or(u32::MAX), 0, 0)));
        }
        let p = chunk::permutation(entries.len(), &mut secret.rng(b"entry order", 0));
        p.iter().map(|&i| entries[i as usize]).collect()
    }

    fn session(&self, frame: &Frame) -> Result<&Session, Error> {
        let s = self
            .session
            .as_ref()
            .ok_or(Error::NotReady("no Hello yet"))?;
        if frame.session != s.id {
            return Err(Error::Session);
        }
        Ok(s)
    }

    /// Evaluates one chunk of blinded elements. A pure function of the chunk: a retried chunk
    /// gets the same answer.
    pub fn evaluate(&self, blinded: &Frame) -> Result<Frame, Error> {
        let s = self.session(blinded)?;
        if blinded.kind != Kind::Blinded {
            return Err(Error::Unexpected(blinded.kind));
        }
        let points = records::<32>(&blinded.payload)?;
        if points.len() > s.receiver_chunk {
            return Err(Error::Malformed(
                "a chunk is larger than the announced chunk size",
            ));
        }
        let evaluated = points
            .par_chunks(BATCH)
            .map(|batch| group::evaluate_blinded(&self.k_eighth, batch))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Frame {
            kind: Kind::Evaluated,
            session: s.id,
            chunk: blinded.chunk,
            payload: evaluated.concat().concat(),
        })
    }

    fn published(&self) -> Result<&Session, Error> {
        self.session.as_ref().ok_or(Error::NotReady("no Hello yet"))
    }

    /// Bytes of one entry in this session's Entries chunks.
    pub fn entry_len(&self) -> Result<usize, Error> {
        Ok(self.published()?.setup.entry_len())
    }

    /// How many Entries chunks the session has.
    pub fn entry_chunks(&self) -> Result<u32, Error> {
        let s = self.published()?;
        Ok(chunk::count(s.entries.len(), self.config.chunk_size))
    }

    /// How many Labels chunks the session has (0 without labels).
    pub fn label_chunks(&self) -> Result<u32, Error> {
        let s = self.published()?;
        Ok(if s.setup.label_size == 0 {
            0
        } else {
            chunk::count(self.labels.len(), self.config.chunk_size)
        })
    }

    /// Entries chunk `c`: per entry the tag, then (with labels) the wrapped seed and position.
    pub fn entries_chunk(&self, c: u32) -> Result<Frame, Error> {
        let s = self.published()?;
        if c >= self.entry_chunks()? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Entries,
                chunk: c,
            });
        }
        let t = usize::from(s.setup.tag_len);
        let labels = s.setup.label_size > 0;
        let range = chunk::range(c, self.config.chunk_size, s.entries.len());
        let payload: Vec<u8> = s.entries[range]
            .par_iter()
            .flat_map_iter(|&(k, pos, occ)| {
                let out = output_hash(self.keys[k as usize].as_bytes(), &self.issued[k as usize]);
                let okm = s.kdf.okm(&out, occ);
                let mut e = okm[..t].to_vec();
                if labels {
                    let seed = s.seeds[pos as usize];
                    let pos = pos.to_be_bytes();
                    let plain = seed.iter().chain(&pos);
                    e.extend(plain.zip(&okm[t..t + WRAP_LEN]).map(|(a, b)| a ^ b));
                }
                e
            })
            .collect();
        Ok(Frame {
            kind: Kind::Entries,
            session: s.id,
            chunk: c,
            payload,
        })
    }

    /// Labels chunk `c`: the sealed labels of record positions in the chunk.
    pub fn labels_chunk(&self, c: u32) -> Result<Frame, Error> {
        let s = self.published()?;
        if c >= self.label_chunks()? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Labels,
                chunk: c,
            });
        }
        let size = s.setup.label_size as usize;
        let range = chunk::range(c, self.config.chunk_size, s.order.len());
        let payload: Vec<u8> = range
            .into_par_iter()
            .flat_map_iter(|pos| {
                let label = &self.labels[s.order[pos] as usize];
                s.kdf.seal(&s.seeds[pos], label, size)
            })
            .collect();
        debug_assert_eq!(payload.len() % (size + SEAL_OVERHEAD), 0);
        Ok(Frame {
            kind: Kind::Labels,
            session: s.id,
            chunk: c,
            payload,
        })
    }
}

/// The padded label size: every label is padded to the longest plus its 2-byte length, rounded
/// up to 16, so the only length that shows is the longest's, coarsely; 0 when no record has a
/// label.
fn label_size(labels: &[Vec<u8>]) -> usize {
    let longest = labels
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .min(usize::from(u16::MAX));
    if longest == 0 {
        0
    } else {
        (longest + 2).div_ceil(16) * 16
    }
}

/// The label seeds of `n` record positions, fresh per session: one ChaCha20 stream keyed by
/// the session secret, so a resumed sender draws the same ones.
fn label_seeds(secret: &SessionSecret, n: usize) -> Vec<[u8; SEED_LEN]> {
    let mut rng = secret.rng(b"label seeds", 0);
    let mut seeds = vec![[0u8; SEED_LEN]; n];
    for s in &mut seeds {
        rng.fill_bytes(s);
    }
    seeds
}
