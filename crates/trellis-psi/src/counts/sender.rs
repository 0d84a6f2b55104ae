//! The sender's side of counts mode.

use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

use super::{CountsItem, CountsKey, Handshake, cross_values, members, own_digest, own_values, tag};
use crate::cache::Cache;
use crate::chunk::{self, SessionSecret};
use crate::keys::{KEY_FORMAT_VERSION, Key};
use crate::record::tag_len;
use crate::wire::{Frame, Kind, SessionId, Writer, records};
use crate::{Config, Error};

#[derive(Debug)]
struct Session {
    id: SessionId,
    setup: Handshake,
    receiver: super::Sizes,
    receiver_chunk: usize,
    /// Per own population: send position -> member index.
    orders: Vec<Vec<u32>>,
    /// Per receiver population: which Blinded chunks arrived.
    received: Vec<Vec<bool>>,
    /// Per (receiver population, own population): tags by the receiver's send position,
    /// sorted once the receiver's population is complete.
    tags: Vec<Vec<Vec<u128>>>,
}

/// The sender of counts mode.
pub struct CountsSender {
    config: Config,
    keys: Vec<Key>,
    pops: Vec<(u8, Vec<u32>)>,
    /// `b_j/2` per own population.
    halves: Vec<Scalar>,
    own: Vec<Vec<[u8; 32]>>,
    computed_own: usize,
    computed_cross: usize,
    cache: Option<Cache>,
    next_cache: Cache,
    session: Option<Session>,
}

impl std::fmt::Debug for CountsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountsSender")
            .field("items", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl Drop for CountsSender {
    fn drop(&mut self) {
        self.halves.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl CountsSender {
    /// Blinds the sender's own items per population (in parallel), from `cache` where it holds
    /// them under this key.
    pub fn new(
        key: &CountsKey,
        items: Vec<CountsItem>,
        cache: Option<Cache>,
        config: Config,
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
        Self {
            config,
            keys,
            pops,
            halves,
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

    /// The cache for the next session under the same key: own values and the DH values of the
    /// receiver's elements seen in this session.
    pub fn updated_cache(&self) -> Cache {
        self.next_cache.clone()
    }

    pub fn setup<R: RngCore + CryptoRng>(
        &mut self,
        hello: &Frame,
        rng: &mut R,
    ) -> Result<Frame, Error> {
        if hello.kind != Kind::Hello {
            return Err(Error::Unexpected(hello.kind));
        }
        let h = Handshake::decode(&hello.payload)?;
        if h.key_format != KEY_FORMAT_VERSION {
            return Err(Error::KeyFormat {
                ours: KEY_FORMAT_VERSION,
                theirs: h.key_format,
            });
        }
        let secret = SessionSecret::random(rng);
        let ours: u64 = self.pops.iter().map(|(_, m)| m.len() as u64).sum();
        let theirs: u64 = h.populations.iter().map(|p| p.1).sum();
        let setup = Handshake {
            key_format: KEY_FORMAT_VERSION,
            chunk_size: u32::try_from(self.config.chunk_size).unwrap_or(u32::MAX),
            tag_len: u8::try_from(tag_len(theirs, ours)).unwrap_or(16),
            populations: self
                .pops
                .iter()
                .map(|(s, m)| (*s, m.len() as u64))
                .collect(),
        };
        let orders = self
            .pops
            .iter()
            .map(|(s, m)| {
                chunk::permutation(m.len(), &mut secret.rng(b"points order", u64::from(*s)))
            })
            .collect();
        let receiver_chunk = usize::try_from(h.chunk_size).unwrap_or(usize::MAX);
        let mut received = Vec::new();
        let mut tags = Vec::new();
        for &(_, size) in &h.populations {
            let size =
                usize::try_from(size).map_err(|_| Error::Malformed("population too large"))?;
            received.push(vec![false; chunk::count(size, receiver_chunk) as usize]);
            tags.push(vec![vec![0u128; size]; self.pops.len()]);
        }
        let frame = Frame {
            kind: Kind::Setup,
            session: hello.session,
            chunk: 0,
            payload: setup.encode(),
        };
        self.session = Some(Session {
            id: hello.session,
            setup,
            receiver: h.populations,
            receiver_chunk,
            orders,
            received,
            tags,
        });
        Ok(frame)
    }

    fn session(&self) -> Result<&Session, Error> {
        self.session.as_ref().ok_or(Error::NotReady("no Hello yet"))
    }

    /// The sender's own populations (slot, size).
    pub fn populations(&self) -> Vec<(u8, usize)> {
        self.pops.iter().map(|(s, m)| (*s, m.len())).collect()
    }

    /// Points chunks of own population `slot`.
    pub fn points_chunks(&self, slot: u8) -> Result<u32, Error> {
        let p = self
            .pops
            .iter()
            .position(|(s, _)| *s == slot)
            .ok_or(Error::Population)?;
        Ok(chunk::count(self.pops[p].1.len(), self.config.chunk_size))
    }

    /// Points chunk `c` of own population `slot`: `slot || enc(b_j·H(x))*`, in the session's
    /// random order.
    pub fn points_chunk(&self, slot: u8, c: u32) -> Result<Frame, Error> {
        let s = self.session()?;
        let p = self
            .pops
            .iter()
            .position(|(x, _)| *x == slot)
            .ok_or(Error::Population)?;
        if c >= self.points_chunks(slot)? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Points,
                chunk: c,
            });
        }
        let mut w = Writer::default();
        w.u8(slot);
        for &m in &s.orders[p][chunk::range(c, self.config.chunk_size, s.orders[p].len())] {
            w.bytes(&self.own[p][m as usize]);
        }
        Ok(Frame {
            kind: Kind::Points,
            session: s.id,
            chunk: c,
            payload: w.0,
        })
    }

    /// Takes one Blinded chunk of a receiver population: applies each own population's scalar
    /// to it. A chunk already taken is ignored.
    pub fn accept_blinded(&mut self, frame: &Frame) -> Result<(), Error> {
        let s = self.session()?;
        if frame.session != s.id {
            return Err(Error::Session);
        }
        if frame.kind != Kind::Blinded {
            return Err(Error::Unexpected(frame.kind));
        }
        let (&slot, body) = frame
            .payload
            .split_first()
            .ok_or(Error::Malformed("empty Blinded chunk"))?;
        let r = s
            .receiver
            .iter()
            .position(|(x, _)| *x == slot)
            .ok_or(Error::Population)?;
        let c = frame.chunk as usize;
        match s.received[r].get(c) {
            None => {
                return Err(Error::ChunkOutOfRange {
                    kind: frame.kind,
                    chunk: frame.chunk,
                });
            }
            Some(true) => return Ok(()),
            Some(false) => {}
        }
        let size = usize::try_from(s.receiver[r].1).unwrap_or(usize::MAX);
        let range = chunk::range(frame.chunk, s.receiver_chunk, size);
        let points = records::<32>(body)?;
        if points.len() != range.len() {
            return Err(Error::Malformed(
                "a Blinded chunk has the wrong number of points",
            ));
        }
        let t = usize::from(s.setup.tag_len);
        let mut tags = Vec::with_capacity(self.pops.len());
        for (p, (own_slot, _)) in self.pops.iter().enumerate() {
            let values = cross_values(
                &self.halves[p],
                *own_slot,
                slot,
                &points,
                self.cache.as_ref(),
            )?;
            for (v, d, fresh) in &values {
                self.computed_cross += usize::from(*fresh);
                self.next_cache.insert(*d, *v);
            }
            tags.push(
                values
                    .iter()
                    .map(|(v, _, _)| tag(v, t))
                    .collect::<Vec<u128>>(),
            );
        }
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Hello yet"))?;
        for (p, t) in tags.into_iter().enumerate() {
            s.tags[r][p][range.clone()].copy_from_slice(&t);
        }
        s.received[r][c] = true;
        if s.received[r].iter().all(|&x| x) {
            // Sorted, the order says nothing about which of the receiver's elements matched.
            s.tags[r].iter_mut().for_each(|v| v.sort_unstable());
        }
        Ok(())
    }

    /// The Blinded chunks not yet taken, per receiver population slot: what a resumed
    /// transport asks the receiver for.
    pub fn missing(&self) -> Vec<(u8, u32)> {
        let Some(s) = &self.session else {
            return Vec::new();
        };
        s.receiver
            .iter()
            .zip(&s.received)
            .flat_map(|((slot, _), seen)| {
                (0..seen.len())
                    .filter(|&c| !seen[c])
                    .map(move |c| (*slot, u32::try_from(c).unwrap_or(u32::MAX)))
            })
            .collect()
    }

    /// Tags chunks of the pair (receiver population `theirs`, own population `ours`).
    pub fn tags_chunks(&self, theirs: u8) -> Result<u32, Error> {
        let s = self.session()?;
        let r = s
            .receiver
            .iter()
            .position(|(x, _)| *x == theirs)
            .ok_or(Error::Population)?;
        Ok(chunk::count(
            usize::try_from(s.receiver[r].1).unwrap_or(0),
            self.config.chunk_size,
        ))
    }

    /// Tags chunk `c` of a pair: `theirs || ours || tag*`, sorted. Ready once every Blinded
    /// chunk of `theirs` arrived.
    #[allow(
        clippy::many_single_char_names,
        reason = "r, p, c, s, t, w as in the protocol's notation"
    )]
    pub fn tags_chunk(&self, theirs: u8, ours: u8, c: u32) -> Result<Frame, Error> {
        let s = self.session()?;
        let r = s
            .receiver
            .iter()
            .position(|(x, _)| *x == theirs)
            .ok_or(Error::Population)?;
        let p = self
            .pops
            .iter()
            .position(|(x, _)| *x == ours)
            .ok_or(Error::Population)?;
        if !s.received[r].iter().all(|&x| x) {
            return Err(Error::NotReady("the receiver population is not complete"));
        }
        if c >= self.tags_chunks(theirs)? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Tags,
                chunk: c,
            });
        }
        let t = usize::from(s.setup.tag_len);
        let all = &s.tags[r][p];
        let mut w = Writer::default();
        w.u8(theirs).u8(ours);
        for v in &all[chunk::range(c, self.config.chunk_size, all.len())] {
            w.bytes(&v.to_be_bytes()[16 - t..]);
        }
        Ok(Frame {
            kind: Kind::Tags,
            session: s.id,
            chunk: c,
            payload: w.0,
        })
    }
}
