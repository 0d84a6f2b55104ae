//! What a side keeps between sessions so that a refresh recomputes only changed keys.
//!
//! A [`Cache`] maps a digest of a key to a 32-byte group element computed under one OPRF key
//! (the sender's own evaluations `k·H(x)`; on the receiver, its finalized `k·H(y)` for the
//! sender's key). It is tied to that key by [`Cache::key_id`]: a cache for another key is
//! ignored, never mixed in. The caller persists it ([`Cache::to_bytes`]) beside the
//! connection; its entries are as sensitive as the OPRF outputs they are (anyone holding
//! them can test whether a key was in the other side's set), so store them like the key.

use sha2::{Digest as _, Sha256, Sha512};

use crate::Error;
use crate::radix::RadixIndex;

/// A key's digest: the first 16 bytes of SHA-256 of its parts. SHA-256 rather than the
/// protocol's SHA-512 because a refresh digests every key and every point it is sent, and
/// SHA-256 runs on the CPU's SHA extensions where they exist (three times faster here).
pub type KeyDigest = [u8; 16];

pub(crate) fn digest(parts: &[&[u8]]) -> KeyDigest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let mut d = [0u8; 16];
    d.copy_from_slice(&h.finalize()[..16]);
    d
}

/// A key id: the first 16 bytes of SHA-512 of its parts (on the wire: docs/psi.md).
pub(crate) fn key_id(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let mut d = [0u8; 16];
    d.copy_from_slice(&h.finalize()[..16]);
    d
}

const MAGIC: &[u8; 4] = b"TPSC";
/// 2: entry digests are SHA-256 (1 was SHA-512; such a cache is refused, never misread).
const VERSION: u8 = 2;

/// Cached group elements under one key: a sorted array (48 bytes an entry, a third of what a
/// hash map takes at a million keys) with a radix index over it (digests are uniform).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cache {
    key_id: [u8; 16],
    entries: Vec<(KeyDigest, [u8; 32])>,
    index: RadixIndex,
}

impl Cache {
    pub fn new(key_id: [u8; 16]) -> Self {
        Self::from_entries(key_id, Vec::new())
    }

    /// A cache of these entries (in any order; for a digest given twice, one of its values).
    pub fn from_entries(key_id: [u8; 16], mut entries: Vec<(KeyDigest, [u8; 32])>) -> Self {
        use rayon::slice::ParallelSliceMut as _;
        entries.par_sort_unstable_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        entries.shrink_to_fit();
        let index = RadixIndex::new(entries.len(), |i| lead(&entries[i].0));
        Self {
            key_id,
            entries,
            index,
        }
    }

    /// The key the entries were computed under.
    pub fn key_id(&self) -> [u8; 16] {
        self.key_id
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &KeyDigest) -> Option<&[u8; 32]> {
        let bucket = &self.entries[self.index.range(lead(key))];
        bucket
            .binary_search_by_key(key, |e| e.0)
            .ok()
            .map(|i| &bucket[i].1)
    }

    /// The entries in digest order, for a caller that stores them as rows.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyDigest, &[u8; 32])> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// `"TPSC" || version || key id || count (u64 BE) || (digest || value)*` in digest order, so
    /// equal caches give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(29 + self.entries.len() * 48);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&(self.entries.len() as u64).to_be_bytes());
        for (k, v) in &self.entries {
            out.extend_from_slice(k);
            out.extend_from_slice(v);
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = crate::wire::Reader::new(bytes);
        if r.take(4)? != MAGIC {
            return Err(Error::Malformed("not a Trellis PSI cache"));
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(Error::Version {
                ours: VERSION,
                theirs: version,
            });
        }
        let key_id = r.array()?;
        let count = usize::try_from(r.u64()?).map_err(|_| Error::Malformed("cache too large"))?;
        let body = r.rest();
        if body.len() != count.saturating_mul(48) {
            return Err(Error::Malformed(
                "the cache's length does not match its count",
            ));
        }
        let entries = body
            .chunks_exact(48)
            .map(|e| {
                let (k, v) = e.split_at(16);
                (
                    k.try_into().unwrap_or_default(),
                    v.try_into().unwrap_or([0; 32]),
                )
            })
            .collect();
        Ok(Self::from_entries(key_id, entries))
    }
}

fn lead(d: &KeyDigest) -> u32 {
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_round_trips_through_bytes() {
        let c = Cache::from_entries(
            [9; 16],
            vec![(digest(&[b"b"]), [2; 32]), (digest(&[b"a"]), [1; 32])],
        );
        assert_eq!(c.get(&digest(&[b"b"])), Some(&[2; 32]));
        assert_eq!(c.get(&digest(&[b"c"])), None);
        let bytes = c.to_bytes();
        assert_eq!(bytes.len(), 29 + 2 * 48);
        assert_eq!(Cache::from_bytes(&bytes).unwrap(), c);
        assert!(Cache::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut foreign = bytes;
        foreign[4] = 1;
        assert_eq!(
            Cache::from_bytes(&foreign),
            Err(Error::Version { ours: 2, theirs: 1 })
        );
    }

    /// The radix index finds every entry and nothing else, at sizes around powers of two
    /// (where the number of index bits changes) and with digests sharing leading bits.
    #[test]
    fn the_index_finds_exactly_the_entries() {
        for n in [0usize, 1, 2, 3, 7, 8, 9, 255, 256, 257, 1000] {
            let present: Vec<KeyDigest> = (0..n).map(|i| digest(&[&i.to_be_bytes()])).collect();
            let mut entries: Vec<_> = present
                .iter()
                .enumerate()
                .map(|(i, d)| (*d, [u8::try_from(i % 251).unwrap(); 32]))
                .collect();
            // Neighbours in the same bucket: same leading bytes, different tail.
            let mut twin = present.first().copied().unwrap_or_default();
            twin[15] ^= 1;
            entries.push((twin, [255; 32]));
            let c = Cache::from_entries([0; 16], entries);
            for (i, d) in present.iter().enumerate() {
                assert_eq!(
                    c.get(d),
                    Some(&[u8::try_from(i % 251).unwrap(); 32]),
                    "n={n}"
                );
            }
            assert_eq!(c.get(&twin), Some(&[255; 32]));
            for i in n..n + 100 {
                assert_eq!(c.get(&digest(&[&i.to_be_bytes()])), None, "n={n}");
            }
        }
    }
}
