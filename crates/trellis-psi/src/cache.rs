//! What a side keeps between sessions so that a refresh recomputes only changed keys.
//!
//! A [`Cache`] maps a digest of a key to a 32-byte group element computed under one OPRF key
//! (the sender's own evaluations `k·H(x)`; on the receiver, its finalized `k·H(y)` for the
//! sender's key). It is tied to that key by [`Cache::key_id`]: a cache for another key is
//! ignored, never mixed in. The caller persists it ([`Cache::to_bytes`]) beside the
//! connection; its entries are as sensitive as the OPRF outputs they are (anyone holding
//! them can test whether a key was in the other side's set), so store them like the key.

use rustc_hash::FxHashMap;
use sha2::{Digest as _, Sha512};

use crate::Error;

/// A key's digest: the first 16 bytes of SHA-512 of its parts.
pub type KeyDigest = [u8; 16];

pub(crate) fn digest(parts: &[&[u8]]) -> KeyDigest {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let mut d = [0u8; 16];
    d.copy_from_slice(&h.finalize()[..16]);
    d
}

const MAGIC: &[u8; 4] = b"TPSC";
const VERSION: u8 = 1;

/// Cached group elements under one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cache {
    key_id: [u8; 16],
    entries: FxHashMap<KeyDigest, [u8; 32]>,
}

impl Cache {
    pub fn new(key_id: [u8; 16]) -> Self {
        Self {
            key_id,
            entries: FxHashMap::default(),
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
        self.entries.get(key)
    }

    pub fn insert(&mut self, key: KeyDigest, value: [u8; 32]) {
        self.entries.insert(key, value);
    }

    /// The entries, for a caller that stores them as rows.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyDigest, &[u8; 32])> {
        self.entries.iter()
    }

    /// `"TPSC" || version || key id || count (u64 BE) || (digest || value)*`, in digest order
    /// so equal caches give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut sorted: Vec<_> = self.entries.iter().collect();
        sorted.sort_unstable();
        let mut out = Vec::with_capacity(29 + sorted.len() * 48);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&(sorted.len() as u64).to_be_bytes());
        for (k, v) in sorted {
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
        let mut entries = FxHashMap::default();
        entries.reserve(count);
        for e in body.chunks_exact(48) {
            let (k, v) = e.split_at(16);
            entries.insert(
                k.try_into().unwrap_or_default(),
                v.try_into().unwrap_or([0; 32]),
            );
        }
        Ok(Self { key_id, entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_round_trips_through_bytes() {
        let mut c = Cache::new([9; 16]);
        c.insert(digest(&[b"a"]), [1; 32]);
        c.insert(digest(&[b"b"]), [2; 32]);
        let bytes = c.to_bytes();
        assert_eq!(bytes.len(), 29 + 2 * 48);
        assert_eq!(Cache::from_bytes(&bytes).unwrap(), c);
        assert!(Cache::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut foreign = bytes;
        foreign[4] = 2;
        assert_eq!(
            Cache::from_bytes(&foreign),
            Err(Error::Version { ours: 1, theirs: 2 })
        );
    }
}
