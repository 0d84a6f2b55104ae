//! The receiver's side of counts mode: it learns the overlap count of each population pair.

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use rustc_hash::FxHashSet;
use zeroize::Zeroize;

use super::{CountsItem, CountsKey, Handshake, cross_values, members, own_digest, own_values, tag};
use crate::cache::Cache;
use crate::chunk::{self, SessionSecret};
use crate::keys::{KEY_FORMAT_VERSION, Key};
use crate::wire::{Frame, Kind, SessionId, Writer, records};
use crate::{Config, Error};

/// The overlap of one population pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCount {
    pub receiver_population: u8,
    pub sender_population: u8,
    pub count: u64,
}

#[derive(Debug)]
struct Session {
    setup: Handshake,
    /// Per (own population, sender population): tags of `a_i·(b_j·H(x))` over the sender's
    /// points.
    ours: Vec<Vec<FxHashSet<u128>>>,
    points_seen: Vec<Vec<bool>>,
    /// Per (own population, sender population): the sender's tags received.
    theirs: Vec<Vec<Vec<u128>>>,
    tags_seen: Vec<Vec<Vec<bool>>>,
}

/// The receiver of counts mode.
pub struct CountsReceiver {
    config: Config,
    id: SessionId,
    pops: Vec<(u8, Vec<u32>)>,
    /// `a_i/2` per own population.
    halves: Vec<Scalar>,
    /// Per own population: send position -> member index.
    orders: Vec<Vec<u32>>,
    own: Vec<Vec<[u8; 32]>>,
    computed_own: usize,
    computed_cross: usize,
    cache: Option<Cache>,
    next_cache: Cache,
    session: Option<Session>,
}

impl std::fmt::Debug for CountsReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountsReceiver")
            .field("populations", &self.pops.len())
            .finish_non_exhaustive()
    }
}

impl Drop for CountsReceiver {
    fn drop(&mut self) {
        self.halves.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl CountsReceiver {
    /// Blinds the receiver's items per population (in parallel, from `cache` where it holds
    /// them under this key) and draws the session id and order from `rng`.
    pub fn new<R: RngCore + CryptoRng>(
        key: &CountsKey,
        items: Vec<CountsItem>,
        cache: Option<Cache>,
        config: Config,
        rng: &mut R,
    ) -> Self {
        let pops = members(&items);
        let halves: Vec<Scalar> = pops
            .iter()
            .map(|(s, _)| crate::group::halve(&key.scalar(*s), 1))
            .collect();
        let keys: Vec<Key> = items.into_iter().map(|i| i.key).collect();
        let cache = cache.filter(|c| c.key_id() == key.id());
        let (own, computed_own) = own_values(&keys, &pops, &halves, cache.as_ref());
        let mut next_cache = Cache::new(key.id());
        for ((slot, m), values) in pops.iter().zip(&own) {
            for (&i, v) in m.iter().zip(values) {
                next_cache.insert(own_digest(*slot, &keys[i as usize]), *v);
            }
        }
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let secret = SessionSecret::random(rng);
        let orders = pops
            .iter()
            .map(|(s, m)| {
                chunk::permutation(m.len(), &mut secret.rng(b"blinded order", u64::from(*s)))
            })
            .collect();
        Self {
            config,
            id,
            pops,
            halves,
            orders,
            own,
            computed_own,
            computed_cross: 0,
            cache,
            next_cache,
            session: None,
        }
    }

    /// Group elements computed rather than taken from the cache so far: own (hashed and
    /// multiplied) and the peer's (decompressed and multiplied).
    pub fn computed(&self) -> (usize, usize) {
        (self.computed_own, self.computed_cross)
    }

    pub fn hello(&self) -> Frame {
        let h = Handshake {
            key_format: KEY_FORMAT_VERSION,
            chunk_size: u32::try_from(self.config.chunk_size).unwrap_or(u32::MAX),
            tag_len: 0,
            populations: self
                .pops
                .iter()
                .map(|(s, m)| (*s, m.len() as u64))
                .collect(),
        };
        Frame {
            kind: Kind::Hello,
            session: self.id,
            chunk: 0,
            payload: h.encode(),
        }
    }

    /// The receiver's own populations (slot, size).
    pub fn populations(&self) -> Vec<(u8, usize)> {
        self.pops.iter().map(|(s, m)| (*s, m.len())).collect()
    }

    pub fn accept_setup(&mut self, frame: &Frame) -> Result<(), Error> {
        if frame.session != self.id {
            return Err(Error::Session);
        }
        if frame.kind != Kind::Setup {
            return Err(Error::Unexpected(frame.kind));
        }
        let setup = Handshake::decode(&frame.payload)?;
        if setup.key_format != KEY_FORMAT_VERSION {
            return Err(Error::KeyFormat {
                ours: KEY_FORMAT_VERSION,
                theirs: setup.key_format,
            });
        }
        if !(8..=16).contains(&setup.tag_len) {
            return Err(Error::Malformed("setup parameters out of range"));
        }
        let chunk_size = setup.chunk_size as usize;
        let sizes: Vec<usize> = setup
            .populations
            .iter()
            .map(|p| usize::try_from(p.1).unwrap_or(0))
            .collect();
        let per_pair = |f: &dyn Fn(usize) -> Vec<bool>| -> Vec<Vec<Vec<bool>>> {
            self.pops
                .iter()
                .map(|(_, m)| (0..sizes.len()).map(|_| f(m.len())).collect())
                .collect()
        };
        self.session = Some(Session {
            ours: self
                .pops
                .iter()
                .map(|_| sizes.iter().map(|_| FxHashSet::default()).collect())
                .collect(),
            points_seen: sizes
                .iter()
                .map(|&n| vec![false; chunk::count(n, chunk_size) as usize])
                .collect(),
            theirs: self
                .pops
                .iter()
                .map(|(_, m)| sizes.iter().map(|_| Vec::with_capacity(m.len())).collect())
                .collect(),
            tags_seen: per_pair(&|n| vec![false; chunk::count(n, chunk_size) as usize]),
            setup,
        });
        Ok(())
    }

    fn pop(&self, slot: u8) -> Result<usize, Error> {
        self.pops
            .iter()
            .position(|(s, _)| *s == slot)
            .ok_or(Error::Population)
    }

    /// Blinded chunks of own population `slot`.
    pub fn blinded_chunks(&self, slot: u8) -> Result<u32, Error> {
        Ok(chunk::count(
            self.pops[self.pop(slot)?].1.len(),
            self.config.chunk_size,
        ))
    }

    /// Blinded chunk `c` of own population `slot`: `slot || enc(a_i·H(y))*`, in the session's
    /// random order. The same bytes every time.
    pub fn blinded(&self, slot: u8, c: u32) -> Result<Frame, Error> {
        let p = self.pop(slot)?;
        if c >= self.blinded_chunks(slot)? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Blinded,
                chunk: c,
            });
        }
        let mut w = Writer::default();
        w.u8(slot);
        for &m in &self.orders[p][chunk::range(c, self.config.chunk_size, self.orders[p].len())] {
            w.bytes(&self.own[p][m as usize]);
        }
        Ok(Frame {
            kind: Kind::Blinded,
            session: self.id,
            chunk: c,
            payload: w.0,
        })
    }

    /// Takes a Points or Tags chunk; one already taken is ignored.
    pub fn accept(&mut self, frame: &Frame) -> Result<(), Error> {
        if frame.session != self.id {
            return Err(Error::Session);
        }
        match frame.kind {
            Kind::Points => self.accept_points(frame),
            Kind::Tags => self.accept_tags(frame),
            other => Err(Error::Unexpected(other)),
        }
    }

    fn accept_points(&mut self, frame: &Frame) -> Result<(), Error> {
        let s = self
            .session
            .as_ref()
            .ok_or(Error::NotReady("no Setup yet"))?;
        let (&slot, body) = frame
            .payload
            .split_first()
            .ok_or(Error::Malformed("empty Points chunk"))?;
        let j = s
            .setup
            .populations
            .iter()
            .position(|(x, _)| *x == slot)
            .ok_or(Error::Population)?;
        let c = frame.chunk as usize;
        match s.points_seen[j].get(c) {
            None => {
                return Err(Error::ChunkOutOfRange {
                    kind: frame.kind,
                    chunk: frame.chunk,
                });
            }
            Some(true) => return Ok(()),
            Some(false) => {}
        }
        let size = usize::try_from(s.setup.populations[j].1).unwrap_or(0);
        let points = records::<32>(body)?;
        if points.len() != chunk::range(frame.chunk, s.setup.chunk_size as usize, size).len() {
            return Err(Error::Malformed(
                "a Points chunk has the wrong number of points",
            ));
        }
        let t = usize::from(s.setup.tag_len);
        let mut found = Vec::with_capacity(self.pops.len());
        for (i, (own_slot, _)) in self.pops.iter().enumerate() {
            found.push(cross_values(
                &self.halves[i],
                *own_slot,
                slot,
                &points,
                self.cache.as_ref(),
            )?);
        }
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Setup yet"))?;
        for (i, values) in found.into_iter().enumerate() {
            for (v, d, fresh) in values {
                self.computed_cross += usize::from(fresh);
                self.next_cache.insert(d, v);
                s.ours[i][j].insert(tag(&v, t));
            }
        }
        s.points_seen[j][c] = true;
        Ok(())
    }

    #[allow(
        clippy::many_single_char_names,
        reason = "i, j, c, r, s, t as in the protocol's notation"
    )]
    fn accept_tags(&mut self, frame: &Frame) -> Result<(), Error> {
        let s = self
            .session
            .as_ref()
            .ok_or(Error::NotReady("no Setup yet"))?;
        let mut r = crate::wire::Reader::new(&frame.payload);
        let (mine, theirs) = (r.u8()?, r.u8()?);
        let i = self.pop(mine)?;
        let j = s
            .setup
            .populations
            .iter()
            .position(|(x, _)| *x == theirs)
            .ok_or(Error::Population)?;
        let c = frame.chunk as usize;
        match s.tags_seen[i][j].get(c) {
            None => {
                return Err(Error::ChunkOutOfRange {
                    kind: frame.kind,
                    chunk: frame.chunk,
                });
            }
            Some(true) => return Ok(()),
            Some(false) => {}
        }
        let t = usize::from(s.setup.tag_len);
        let expected = chunk::range(
            frame.chunk,
            s.setup.chunk_size as usize,
            self.pops[i].1.len(),
        )
        .len();
        let body = r.rest();
        if body.len() != expected * t {
            return Err(Error::Malformed("a Tags chunk has the wrong length"));
        }
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Setup yet"))?;
        s.theirs[i][j].extend(
            body.chunks_exact(t)
                .map(|b| b.iter().fold(0u128, |a, &x| (a << 8) | u128::from(x))),
        );
        s.tags_seen[i][j][c] = true;
        Ok(())
    }

    /// The chunks not yet taken: (kind, own slot or 0, sender slot, chunk).
    pub fn missing(&self) -> Vec<(Kind, u8, u8, u32)> {
        let Some(s) = &self.session else {
            return vec![(Kind::Setup, 0, 0, 0)];
        };
        let mut out = Vec::new();
        for (j, seen) in s.points_seen.iter().enumerate() {
            let theirs = s.setup.populations[j].0;
            out.extend((0..seen.len()).filter(|&c| !seen[c]).map(|c| {
                (
                    Kind::Points,
                    0,
                    theirs,
                    u32::try_from(c).unwrap_or(u32::MAX),
                )
            }));
        }
        for (i, pairs) in s.tags_seen.iter().enumerate() {
            for (j, seen) in pairs.iter().enumerate() {
                let (mine, theirs) = (self.pops[i].0, s.setup.populations[j].0);
                out.extend((0..seen.len()).filter(|&c| !seen[c]).map(|c| {
                    (
                        Kind::Tags,
                        mine,
                        theirs,
                        u32::try_from(c).unwrap_or(u32::MAX),
                    )
                }));
            }
        }
        out
    }

    /// The overlap count of every (own population, sender population) pair, and the cache for
    /// the next session under the same key.
    pub fn finish(&self) -> Result<(Vec<PairCount>, Cache), Error> {
        let missing = self.missing().len();
        if missing > 0 {
            return Err(Error::Incomplete(missing));
        }
        let s = self
            .session
            .as_ref()
            .ok_or(Error::NotReady("no Setup yet"))?;
        let mut counts = Vec::new();
        for (i, (mine, _)) in self.pops.iter().enumerate() {
            for (j, (theirs, _)) in s.setup.populations.iter().enumerate() {
                let set = &s.ours[i][j];
                let count = s.theirs[i][j].iter().filter(|t| set.contains(t)).count() as u64;
                counts.push(PairCount {
                    receiver_population: *mine,
                    sender_population: *theirs,
                    count,
                });
            }
        }
        Ok((counts, self.next_cache.clone()))
    }
}
