//! Record mode: OPRF-based labelled PSI (DESIGN.md §6). The receiver learns, for each of its
//! records, whether one of its keys is among the sender's, and the sender's labels (its
//! policy-allowed fields) for those records; the sender learns how many keys the receiver
//! sent. See docs/psi.md for the messages and the security argument.
//!
//! Labels: each sender record gets a fresh 16-byte seed per session that keys its sealed label
//! (ChaCha20-Poly1305); each of the record's keys carries the seed and the record's position,
//! XOR-ed with a pad derived (HKDF-SHA512) from that key's OPRF output and the session salt.
//! A record with two keys therefore costs one label plus two 20-byte wraps, and a fresh salt
//! per session means a long-lived OPRF key never gives the same pad or AEAD key twice.

mod receiver;
mod sender;

use chacha20poly1305::aead::{Aead as _, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key as AeadKey, Nonce};
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha512};
use zeroize::Zeroize as _;

pub use receiver::{RecordOverlap, RecordReceiver};
pub use sender::{RecordSender, SenderRecord};

use crate::Error;
use crate::cache::{KeyDigest, digest};
use crate::keys::Key;
use crate::oprf::Output;
use crate::wire::{Reader, Writer};

/// A label seed's length.
pub(crate) const SEED_LEN: usize = 16;
/// A wrap: the seed and the record's position (u32), XOR-ed with a pad.
pub const WRAP_LEN: usize = SEED_LEN + 4;
/// Bytes a sealed label adds to its padded plaintext (the Poly1305 tag).
pub(crate) const SEAL_OVERHEAD: usize = 16;
/// The mode byte of record mode's Hello and Setup.
pub(crate) const MODE: u8 = 1;

/// Derives entry tags and pads from OPRF outputs, keyed by the session salt.
#[derive(Clone)]
pub(crate) struct EntryKdf {
    /// HMAC-SHA512 keyed with the salt: HKDF-Extract with its key schedule done once.
    extract: Hmac<Sha512>,
    salt: [u8; 32],
}

impl std::fmt::Debug for EntryKdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryKdf(..)")
    }
}

impl EntryKdf {
    pub(crate) fn new(salt: [u8; 32]) -> Self {
        // HMAC pads a short key with zeros to the block size, so this is HMAC keyed by `salt`.
        let mut block = [0u8; 128];
        block[..32].copy_from_slice(&salt);
        Self {
            extract: <Hmac<Sha512> as KeyInit>::new(&block.into()),
            salt,
        }
    }

    /// `HKDF-Extract(salt, output || "trellis-psi entry v1" || occurrence)`: 64 uniformly
    /// pseudorandom bytes (the OPRF output is already uniform, so HKDF-Expand would only add two
    /// more HMAC key schedules per key). The tag is the first `tag_len` bytes, the pad the next
    /// `WRAP_LEN`. `occurrence` numbers the sender records that share one key, so each
    /// (key, record) pair has its own entry.
    pub(crate) fn okm(&self, output: &Output, occurrence: u32) -> [u8; 64] {
        let mut mac = self.extract.clone();
        mac.update(output);
        mac.update(b"trellis-psi entry v1");
        mac.update(&occurrence.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The AEAD key of a label: SHA-512 of the salt and the label's 16-byte uniformly random
    /// seed, truncated. The seed is used for one label only.
    fn label_key(&self, seed: &[u8; SEED_LEN]) -> AeadKey {
        let mut h = Sha512::new();
        h.update(b"trellis-psi label key v1");
        h.update(self.salt);
        h.update(seed);
        let mut wide: [u8; 64] = h.finalize().into();
        let out = AeadKey::clone_from_slice(&wide[..32]);
        wide.zeroize();
        out
    }

    /// Seals a label padded to `size` bytes: `u16 length || label || zeros`. Each seed keys
    /// exactly one label, so the fixed nonce is never reused with one key.
    pub(crate) fn seal(&self, seed: &[u8; SEED_LEN], label: &[u8], size: usize) -> Vec<u8> {
        let mut plain = Vec::with_capacity(size);
        let len = u16::try_from(label.len()).unwrap_or(u16::MAX);
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(&label[..usize::from(len).min(label.len())]);
        plain.resize(size, 0);
        let cipher = ChaCha20Poly1305::new(&self.label_key(seed));
        let sealed = cipher
            .encrypt(
                &Nonce::default(),
                Payload {
                    msg: &plain,
                    aad: b"trellis-psi label",
                },
            )
            .unwrap_or_default();
        plain.zeroize();
        sealed
    }

    pub(crate) fn open(&self, seed: &[u8; SEED_LEN], sealed: &[u8]) -> Result<Vec<u8>, Error> {
        let cipher = ChaCha20Poly1305::new(&self.label_key(seed));
        let plain = cipher
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: sealed,
                    aad: b"trellis-psi label",
                },
            )
            .map_err(|_| Error::Label)?;
        let len = usize::from(u16::from_be_bytes([plain[0], plain[1]]));
        plain
            .get(2..2 + len)
            .map(<[u8]>::to_vec)
            .ok_or(Error::Label)
    }
}

/// Tag bytes so that a false match anywhere in the session has probability at most 2^-40:
/// 40 bits plus log2 of the number of comparisons, rounded up to bytes, between 8 and 16.
pub(crate) fn tag_len(receiver_keys: u64, sender_entries: u64) -> usize {
    let bits = |n: u64| 64 - n.max(2).saturating_sub(1).leading_zeros();
    let total = 40 + bits(receiver_keys) + bits(sender_entries);
    usize::try_from(total.div_ceil(8))
        .unwrap_or(16)
        .clamp(8, 16)
}

/// The receiver's opening message (record mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hello {
    pub(crate) key_format: u8,
    pub(crate) chunk_size: u32,
    /// Distinct keys the receiver holds (cached or not).
    pub(crate) receiver_keys: u64,
}

impl Hello {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(MODE)
            .u8(self.key_format)
            .u32(self.chunk_size)
            .u64(self.receiver_keys);
        w.0
    }

    pub(crate) fn decode(payload: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        if r.u8()? != MODE {
            return Err(Error::Mode);
        }
        let h = Self {
            key_format: r.u8()?,
            chunk_size: r.u32()?,
            receiver_keys: r.u64()?,
        };
        r.end()?;
        Ok(h)
    }
}

/// The sender's public parameters for one session (record mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setup {
    pub(crate) key_format: u8,
    pub(crate) chunk_size: u32,
    pub(crate) tag_len: u8,
    pub(crate) key_id: [u8; 16],
    /// `enc((k/2)·G)`: what the receiver's additive blinding is removed with.
    pub(crate) point: [u8; 32],
    pub(crate) salt: [u8; 32],
    pub(crate) entries: u64,
    pub(crate) records: u64,
    /// Padded label plaintext bytes per record; 0 when the session carries no labels.
    pub(crate) label_size: u32,
}

impl Setup {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(MODE)
            .u8(self.key_format)
            .u32(self.chunk_size)
            .u8(self.tag_len)
            .bytes(&self.key_id)
            .bytes(&self.point)
            .bytes(&self.salt)
            .u64(self.entries)
            .u64(self.records)
            .u32(self.label_size);
        w.0
    }

    pub(crate) fn decode(payload: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        if r.u8()? != MODE {
            return Err(Error::Mode);
        }
        let s = Self {
            key_format: r.u8()?,
            chunk_size: r.u32()?,
            tag_len: r.u8()?,
            key_id: r.array()?,
            point: r.array()?,
            salt: r.array()?,
            entries: r.u64()?,
            records: r.u64()?,
            label_size: r.u32()?,
        };
        r.end()?;
        if !(8..=16).contains(&s.tag_len) || s.chunk_size == 0 || s.label_size == 1 {
            return Err(Error::Malformed("setup parameters out of range"));
        }
        Ok(s)
    }

    /// Bytes of one entry on the wire.
    pub(crate) fn entry_len(&self) -> usize {
        usize::from(self.tag_len) + if self.label_size > 0 { WRAP_LEN } else { 0 }
    }

    /// Bytes of one sealed label on the wire.
    pub(crate) fn sealed_len(&self) -> usize {
        self.label_size as usize + SEAL_OVERHEAD
    }
}

/// Some records' distinct keys with their digests, and each record's keys as indices into
/// them (each once). Keys are told apart by digest, so no key is copied.
pub(crate) struct Indexed {
    /// Distinct keys in digest order.
    pub(crate) keys: Vec<Key>,
    pub(crate) digests: Vec<KeyDigest>,
    pub(crate) records: RecordKeys,
}

/// Each record's distinct keys, all records in one array (a million records would otherwise
/// be a million small allocations).
#[derive(Debug, Default)]
pub(crate) struct RecordKeys {
    /// Record `r`'s keys are `ids[starts[r]..starts[r + 1]]`, ascending.
    starts: Vec<u32>,
    ids: Vec<u32>,
}

impl RecordKeys {
    pub(crate) fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub(crate) fn of(&self, record: usize) -> &[u32] {
        &self.ids[self.starts[record] as usize..self.starts[record + 1] as usize]
    }
}

/// Indexes the records' keys: digests in parallel, then distinct keys found by sorting the
/// digests (in parallel) rather than through a hash map, which at a million keys took most of
/// a refresh's preparation.
pub(crate) fn index_keys(records: Vec<Vec<Key>>) -> Indexed {
    use rayon::prelude::*;
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut starts = Vec::with_capacity(records.len() + 1);
    starts.push(0u32);
    let mut flat: Vec<Option<Key>> = Vec::with_capacity(records.len());
    for r in records {
        flat.extend(r.into_iter().map(Some));
        starts.push(to_u32(flat.len()));
    }
    let mut sorted: Vec<(KeyDigest, u32)> = flat
        .par_iter()
        .enumerate()
        .map(|(i, k)| {
            let bytes = k.as_ref().map_or(&[][..], Key::as_bytes);
            (digest(&[bytes]), to_u32(i))
        })
        .collect();
    sorted.par_sort_unstable();
    // Distinct keys in digest order; each flat position's distinct key.
    let (mut keys, mut digests) = (Vec::new(), Vec::new());
    let mut id_of = vec![0u32; flat.len()];
    for (d, pos) in sorted {
        if digests.last() != Some(&d) {
            // Each position comes once, so the first of a digest still holds its key.
            if let Some(k) = flat[pos as usize].take() {
                keys.push(k);
                digests.push(d);
            }
        }
        id_of[pos as usize] = to_u32(digests.len() - 1);
    }
    let mut ids = Vec::with_capacity(id_of.len());
    let mut compact = Vec::with_capacity(starts.len());
    compact.push(0u32);
    for w in starts.windows(2) {
        let from = ids.len();
        ids.extend_from_slice(&id_of[w[0] as usize..w[1] as usize]);
        ids[from..].sort_unstable();
        let mut kept = from;
        for i in from..ids.len() {
            if i == from || ids[i] != ids[kept - 1] {
                ids[kept] = ids[i];
                kept += 1;
            }
        }
        ids.truncate(kept);
        compact.push(to_u32(ids.len()));
    }
    Indexed {
        keys,
        digests,
        records: RecordKeys {
            starts: compact,
            ids,
        },
    }
}

/// The id of an OPRF key as both sides name it: a digest of its public key.
pub(crate) fn key_id(public_key: &[u8; 32]) -> [u8; 16] {
    crate::cache::key_id(&[b"trellis-psi key id v1", public_key])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record lists each of its distinct keys once, keys shared between records are one
    /// key, and a record without keys has none.
    #[test]
    fn indexing_finds_each_records_distinct_keys() {
        let k = |d: &str| crate::keys::domain(d).unwrap();
        let records = vec![
            vec![k("a.com"), k("b.com"), k("a.com")],
            vec![],
            vec![k("b.com")],
            vec![k("c.com"), k("c.com")],
        ];
        let Indexed {
            keys,
            digests,
            records,
        } = index_keys(records);
        assert_eq!(keys.len(), 3);
        assert!(digests.windows(2).all(|w| w[0] < w[1]));
        let names =
            |r: usize| -> Vec<&Key> { records.of(r).iter().map(|&i| &keys[i as usize]).collect() };
        assert_eq!(records.len(), 4);
        let mut first = names(0);
        first.sort();
        assert_eq!(first, [&k("a.com"), &k("b.com")]);
        assert!(names(1).is_empty());
        assert_eq!(names(2), [&k("b.com")]);
        assert_eq!(names(3), [&k("c.com")]);
    }

    #[test]
    fn tags_grow_with_the_sets() {
        assert_eq!(tag_len(10, 10), 8);
        assert_eq!(tag_len(100_000, 100_000), 10);
        assert_eq!(tag_len(1_000_000, 2_000_000), 11);
        assert_eq!(tag_len(u64::MAX, u64::MAX), 16);
    }

    #[test]
    fn the_padded_key_is_hmac_keyed_by_the_salt() {
        use hmac::Mac as _;
        let salt = [6u8; 32];
        let mut direct = <Hmac<Sha512> as hmac::Mac>::new_from_slice(&salt).unwrap();
        direct.update(&[1; 64]);
        direct.update(b"trellis-psi entry v1");
        direct.update(&0u32.to_be_bytes());
        let want: [u8; 64] = direct.finalize().into_bytes().into();
        assert_eq!(EntryKdf::new(salt).okm(&[1; 64], 0), want);
    }

    #[test]
    fn labels_open_with_their_seed_only() {
        let kdf = EntryKdf::new([1; 32]);
        let sealed = kdf.seal(&[2; 16], b"Acme GmbH", 32);
        assert_eq!(sealed.len(), 32 + SEAL_OVERHEAD);
        assert_eq!(kdf.open(&[2; 16], &sealed).unwrap(), b"Acme GmbH");
        assert_eq!(kdf.open(&[3; 16], &sealed), Err(Error::Label));
        assert_eq!(
            EntryKdf::new([9; 32]).open(&[2; 16], &sealed),
            Err(Error::Label)
        );
    }

    #[test]
    fn handshakes_round_trip() {
        let h = Hello {
            key_format: 1,
            chunk_size: 7,
            receiver_keys: 9,
        };
        assert_eq!(Hello::decode(&h.encode()).unwrap(), h);
        let s = Setup {
            key_format: 1,
            chunk_size: 5,
            tag_len: 10,
            key_id: [1; 16],
            point: [2; 32],
            salt: [3; 32],
            entries: 4,
            records: 3,
            label_size: 34,
        };
        assert_eq!(Setup::decode(&s.encode()).unwrap(), s);
        let mut other_mode = s.encode();
        other_mode[0] = crate::counts::MODE;
        assert_eq!(Setup::decode(&other_mode), Err(Error::Mode));
        assert!(Setup::decode(&s.encode()[..20]).is_err());
    }
}
