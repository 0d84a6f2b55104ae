//! Counts mode: Diffie–Hellman PSI-cardinality per population pair (DESIGN.md §6). The
//! receiver learns `|R_i ∩ S_j|` for each of its populations `i` and each of the sender's
//! populations `j`, and the sizes of the sender's populations; the sender learns the sizes of
//! the receiver's populations. Nothing else: see docs/psi.md.
//!
//! Every population has its own scalar on each side (`a_i`, `b_j`), so the value compared
//! for a pair, `a_i·b_j·H(x)`, differs from pair to pair: the same account in two populations
//! cannot be linked across batches, by either side. Each batch is sent in a random order and
//! the sender's tags of a pair in sorted order, so no position says which element matched.

mod receiver;
mod sender;

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest as _, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

pub use receiver::{CountsReceiver, PairCount};
pub use sender::CountsSender;

use crate::Error;
use crate::keys::Key;
use crate::wire::{Reader, Writer};

/// The mode byte of counts mode's Hello and Setup.
pub(crate) const MODE: u8 = 2;

/// Population slots: 0..64, one bit each in [`CountsItem::populations`].
pub const MAX_POPULATIONS: u8 = 64;

/// One account of a side in counts mode: one match key (the caller picks it, e.g. the domain
/// key, else the name + country key) and the populations it belongs to (bit `s` = slot `s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountsItem {
    pub key: Key,
    pub populations: u64,
}

/// A side's counts-mode secret: one 32-byte seed from which every population's scalar is
/// derived. Fresh per session, nothing links sessions; kept per connection, a refresh can reuse
/// the cached exponentiations (docs/psi.md says what that reveals). Zeroised on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CountsKey([u8; 32]);

impl std::fmt::Debug for CountsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CountsKey(..)")
    }
}

impl CountsKey {
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        Self(k)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The key's id for caches: a digest that does not reveal it.
    pub fn id(&self) -> [u8; 16] {
        crate::cache::key_id(&[b"trellis-psi counts key id v1", &self.0])
    }

    /// The scalar of one population slot.
    pub(crate) fn scalar(&self, slot: u8) -> Scalar {
        let mut h = Sha512::new();
        h.update(b"trellis-psi counts population v1");
        h.update(self.0);
        h.update([slot]);
        let mut wide: [u8; 64] = h.finalize().into();
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        wide.zeroize();
        s
    }
}

/// A side's populations and their sizes, as announced.
pub(crate) type Sizes = Vec<(u8, u64)>;

/// Hello (receiver → sender) and Setup (sender → receiver) carry the same fields in counts
/// mode; Setup's `tag_len` is the session's, Hello's is 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handshake {
    pub(crate) key_format: u8,
    pub(crate) chunk_size: u32,
    pub(crate) tag_len: u8,
    pub(crate) populations: Sizes,
}

impl Handshake {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(MODE)
            .u8(self.key_format)
            .u32(self.chunk_size)
            .u8(self.tag_len);
        w.u8(u8::try_from(self.populations.len()).unwrap_or(u8::MAX));
        for (slot, size) in &self.populations {
            w.u8(*slot).u64(*size);
        }
        w.0
    }

    pub(crate) fn decode(payload: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        if r.u8()? != MODE {
            return Err(Error::Mode);
        }
        let (key_format, chunk_size, tag_len) = (r.u8()?, r.u32()?, r.u8()?);
        let n = r.u8()?;
        let mut populations = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let (slot, size) = (r.u8()?, r.u64()?);
            if slot >= MAX_POPULATIONS || populations.iter().any(|(s, _)| *s == slot) {
                return Err(Error::Population);
            }
            populations.push((slot, size));
        }
        r.end()?;
        if chunk_size == 0 || tag_len > 16 {
            return Err(Error::Malformed("handshake parameters out of range"));
        }
        Ok(Self {
            key_format,
            chunk_size,
            tag_len,
            populations,
        })
    }
}

/// The slots set in any item's mask, ascending, with their member indices (one pass over the
/// items).
pub(crate) fn members(items: &[CountsItem]) -> Vec<(u8, Vec<u32>)> {
    let mut by_slot: Vec<Vec<u32>> = vec![Vec::new(); usize::from(MAX_POPULATIONS)];
    for (i, it) in items.iter().enumerate() {
        let mut mask = it.populations;
        while mask != 0 {
            let slot = mask.trailing_zeros() as usize;
            by_slot[slot].push(u32::try_from(i).unwrap_or(u32::MAX));
            mask &= mask - 1;
        }
    }
    (0..MAX_POPULATIONS)
        .zip(by_slot)
        .filter(|(_, m)| !m.is_empty())
        .collect()
}

/// The tag of a DH value: bytes 1..1+t of its encoding (byte 0's lowest bit is always 0).
pub(crate) fn tag(encoded: &[u8; 32], t: usize) -> u128 {
    encoded[1..=t]
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}

/// What the sender and the receiver of counts mode both hold: their populations, the scalars
/// and blinded values for them, and the caches.
pub(crate) struct Side {
    pub(crate) keys: Vec<Key>,
    pub(crate) pops: Vec<(u8, Vec<u32>)>,
    /// `s_p/2` per own population.
    pub(crate) halves: Vec<Scalar>,
    /// `enc(s_p·H(x))` per population, in member order.
    pub(crate) own: Vec<Vec<[u8; 32]>>,
    computed_own: usize,
    computed_cross: usize,
    cache: Option<crate::Cache>,
    /// The next session's cache entries, gathered as they are computed.
    next_cache: Vec<(crate::cache::KeyDigest, [u8; 32])>,
    key_id: [u8; 16],
}

impl Drop for Side {
    fn drop(&mut self) {
        self.halves.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl Side {
    /// Blinds the items per population (in parallel), from `cache` where it holds them under
    /// this key.
    pub(crate) fn new(
        key: &CountsKey,
        items: Vec<CountsItem>,
        cache: Option<crate::Cache>,
    ) -> Self {
        let pops = members(&items);
        let halves: Vec<Scalar> = pops
            .iter()
            .map(|(s, _)| crate::group::halve(&key.scalar(*s), 1))
            .collect();
        let keys: Vec<Key> = items.into_iter().map(|i| i.key).collect();
        let cache = cache.filter(|c| c.key_id() == key.id());
        let Own {
            values: own,
            entries: mut next_cache,
            computed: computed_own,
        } = own_values(&keys, &pops, &halves, cache.as_ref());
        next_cache.reserve(next_cache.len());
        Self {
            key_id: key.id(),
            keys,
            pops,
            halves,
            own,
            computed_own,
            computed_cross: 0,
            cache,
            next_cache,
        }
    }

    /// The index of own population `slot`.
    pub(crate) fn pop(&self, slot: u8) -> Result<usize, Error> {
        self.pops
            .iter()
            .position(|(s, _)| *s == slot)
            .ok_or(Error::Population)
    }

    pub(crate) fn sizes(&self) -> Sizes {
        self.pops
            .iter()
            .map(|(s, m)| (*s, m.len() as u64))
            .collect()
    }

    /// The cache for the next session under the same key.
    pub(crate) fn next_cache(&self) -> crate::Cache {
        crate::Cache::from_entries(self.key_id, self.next_cache.clone())
    }

    pub(crate) fn computed(&self) -> (usize, usize) {
        (self.computed_own, self.computed_cross)
    }

    /// `enc(s_p·Q)` for the peer's points of population `theirs`, through the caches.
    pub(crate) fn cross(
        &mut self,
        p: usize,
        theirs: u8,
        points: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>, Error> {
        let values = cross_values(
            &self.halves[p],
            self.pops[p].0,
            theirs,
            points,
            self.cache.as_ref(),
        )?;
        Ok(values
            .into_iter()
            .map(|(v, d, fresh)| {
                self.computed_cross += usize::from(fresh);
                self.next_cache.push((d, v));
                v
            })
            .collect())
    }

    /// The members of population `p` in a random order drawn from `secret`.
    pub(crate) fn orders(
        &self,
        secret: &crate::chunk::SessionSecret,
        purpose: &[u8],
    ) -> Vec<Vec<u32>> {
        self.pops
            .iter()
            .map(|(s, m)| {
                crate::chunk::permutation(m.len(), &mut secret.rng(purpose, u64::from(*s)))
            })
            .collect()
    }

    /// `slot || own values of population p in `order`, chunk c`.
    pub(crate) fn points_payload(
        &self,
        p: usize,
        order: &[u32],
        c: u32,
        chunk_size: usize,
    ) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(self.pops[p].0);
        for &m in &order[crate::chunk::range(c, chunk_size, order.len())] {
            w.bytes(&self.own[p][m as usize]);
        }
        w.0
    }
}

/// One batch of `own_values`: (population, position, digest, value) for each of its places,
/// and how many of the values were computed.
type Batch = (Vec<(u32, u32, crate::cache::KeyDigest, [u8; 32])>, usize);

/// A side's own blinded values.
pub(crate) struct Own {
    /// Per population, in member order.
    pub(crate) values: Vec<Vec<[u8; 32]>>,
    /// The same values named for the next session's cache.
    pub(crate) entries: Vec<(crate::cache::KeyDigest, [u8; 32])>,
    /// How many were computed rather than taken from the cache.
    pub(crate) computed: usize,
}

/// A side's own blinded values: `enc(s_p·H(x))` for every (population, member), computed with
/// one hash per item however many populations it is in, or taken from `cache` (entries named
/// `own(slot, key)`).
pub(crate) fn own_values(
    keys: &[Key],
    pops: &[(u8, Vec<u32>)],
    halves: &[Scalar],
    cache: Option<&crate::Cache>,
) -> Own {
    use curve25519_dalek::ristretto::RistrettoPoint;
    use rayon::prelude::*;

    let suite = crate::oprf::Suite::new();
    // Each item's places (population index, position among its members), item by item:
    // `places[starts[i]..starts[i + 1]]`, one allocation for all items.
    let mut starts = vec![0u32; keys.len() + 1];
    for (_, members) in pops {
        for &i in members {
            starts[i as usize + 1] += 1;
        }
    }
    for i in 0..keys.len() {
        starts[i + 1] += starts[i];
    }
    let mut places = vec![(0u32, 0u32); starts[keys.len()] as usize];
    let mut next = starts.clone();
    for (p, (_, members)) in pops.iter().enumerate() {
        for (pos, &i) in members.iter().enumerate() {
            let at = &mut next[i as usize];
            places[*at as usize] = (
                u32::try_from(p).unwrap_or(u32::MAX),
                u32::try_from(pos).unwrap_or(u32::MAX),
            );
            *at += 1;
        }
    }
    let items: Vec<usize> = (0..keys.len())
        .filter(|&i| starts[i] < starts[i + 1])
        .collect();
    let computed: Vec<Batch> = items
        .par_chunks(crate::BATCH)
        .map(|batch| {
            let mut done = Vec::new();
            let mut todo = Vec::new();
            let mut points: Vec<RistrettoPoint> = Vec::new();
            for &i in batch {
                let mut h = None;
                for &(p, pos) in &places[starts[i] as usize..starts[i + 1] as usize] {
                    let d = own_digest(pops[p as usize].0, &keys[i]);
                    if let Some(v) = cache.and_then(|c| c.get(&d)) {
                        done.push((p, pos, d, *v));
                    } else {
                        let point =
                            *h.get_or_insert_with(|| suite.hash_to_group(keys[i].as_bytes()));
                        points.push(halves[p as usize] * point);
                        todo.push((p, pos, d));
                    }
                }
            }
            let n = todo.len();
            let encoded = crate::group::encode_doubled(&points);
            done.extend(
                todo.into_iter()
                    .zip(encoded)
                    .map(|((p, pos, d), e)| (p, pos, d, e)),
            );
            (done, n)
        })
        .collect();
    let mut values: Vec<Vec<[u8; 32]>> =
        pops.iter().map(|(_, m)| vec![[0u8; 32]; m.len()]).collect();
    let mut entries = Vec::with_capacity(places.len());
    let mut n = 0;
    for (done, fresh) in computed {
        n += fresh;
        for (p, pos, d, e) in done {
            values[p as usize][pos as usize] = e;
            entries.push((d, e));
        }
    }
    Own {
        values,
        entries,
        computed: n,
    }
}

/// The cache name of a side's own value for a key in a population.
pub(crate) fn own_digest(slot: u8, key: &Key) -> crate::cache::KeyDigest {
    crate::cache::digest(&[b"own", &[slot], key.as_bytes()])
}

/// The cache name of the DH value of the peer's element `point` under (`ours`, `theirs`).
pub(crate) fn cross_digest(ours: u8, theirs: u8, point: &[u8; 32]) -> crate::cache::KeyDigest {
    crate::cache::digest(&[b"cross", &[ours, theirs], point])
}

/// `enc(s·Q)` for each of the peer's points, from the cache when it holds them.
pub(crate) fn cross_values(
    half: &Scalar,
    ours: u8,
    theirs: u8,
    points: &[[u8; 32]],
    cache: Option<&crate::Cache>,
) -> Result<Vec<([u8; 32], crate::cache::KeyDigest, bool)>, Error> {
    use rayon::prelude::*;
    let batches = points
        .par_chunks(crate::BATCH)
        .map(|batch| {
            let digests: Vec<_> = batch
                .iter()
                .map(|q| cross_digest(ours, theirs, q))
                .collect();
            let hits: Vec<Option<[u8; 32]>> = digests
                .iter()
                .map(|d| cache.and_then(|c| c.get(d)).copied())
                .collect();
            let missing: Vec<[u8; 32]> = batch
                .iter()
                .zip(&hits)
                .filter(|(_, h)| h.is_none())
                .map(|(q, _)| *q)
                .collect();
            let mut fresh = crate::group::multiply(half, &missing)?.into_iter();
            Ok(hits
                .into_iter()
                .zip(digests)
                .map(|(h, d)| match h {
                    Some(v) => (v, d, false),
                    None => (fresh.next().unwrap_or_default(), d, true),
                })
                .collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(batches.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_scalars_differ_and_keys_round_trip() {
        let k = CountsKey::from_bytes([4; 32]);
        assert_ne!(k.scalar(0), k.scalar(1));
        assert_eq!(CountsKey::from_bytes(k.to_bytes()).scalar(3), k.scalar(3));
        assert_ne!(k.id(), CountsKey::from_bytes([5; 32]).id());
    }

    #[test]
    fn handshakes_round_trip_and_check_slots() {
        let h = Handshake {
            key_format: 1,
            chunk_size: 9,
            tag_len: 10,
            populations: vec![(0, 5), (63, 1)],
        };
        assert_eq!(Handshake::decode(&h.encode()).unwrap(), h);
        let bad = Handshake {
            populations: vec![(64, 1)],
            ..h.clone()
        };
        assert_eq!(Handshake::decode(&bad.encode()), Err(Error::Population));
        let twice = Handshake {
            populations: vec![(2, 1), (2, 1)],
            ..h
        };
        assert_eq!(Handshake::decode(&twice.encode()), Err(Error::Population));
    }
}
