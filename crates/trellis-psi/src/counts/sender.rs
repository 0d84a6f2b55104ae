//! The sender's side of counts mode.

use rand_core::{CryptoRng, RngCore};

use super::{CountsItem, CountsKey, Handshake, Side, Sizes, tag};
use crate::cache::Cache;
use crate::chunk::{self, SessionSecret};
use crate::keys::KEY_FORMAT_VERSION;
use crate::record::tag_len;
use crate::wire::{Frame, Kind, SessionId, Writer, records};
use crate::{Config, Error};

#[derive(Debug)]
struct Session {
    id: SessionId,
    setup: Handshake,
    receiver: Sizes,
    receiver_chunk: usize,
    /// Per own population: send position -> member index.
    orders: Vec<Vec<u32>>,
    /// Per receiver population: which Blinded chunks arrived.
    received: Vec<Vec<bool>>,
    /// Per (receiver population, own population): tags by the receiver's send position,
    /// sorted once the receiver's population is complete.
    tags: Vec<Vec<Vec<u128>>>,
}

impl Session {
    /// The index of the receiver's population `slot`.
    fn theirs(&self, slot: u8) -> Result<usize, Error> {
        self.receiver
            .iter()
            .position(|(s, _)| *s == slot)
            .ok_or(Error::Population)
    }
}

/// The sender of counts mode.
pub struct CountsSender {
    config: Config,
    side: Side,
    session: Option<Session>,
}

impl std::fmt::Debug for CountsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountsSender")
            .field("items", &self.side.keys.len())
            .finish_non_exhaustive()
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
        Self {
            config,
            side: Side::new(key, items, cache),
            session: None,
        }
    }

    /// Group elements computed rather than taken from the cache so far: own (hashed and
    /// multiplied) and the receiver's (decompressed and multiplied).
    pub fn computed(&self) -> (usize, usize) {
        self.side.computed()
    }

    /// The cache for the next session under the same key: own values and the DH values of the
    /// receiver's elements seen in this session.
    pub fn updated_cache(&self) -> Cache {
        self.side.next_cache()
    }

    /// The sender's own populations (slot, size).
    pub fn populations(&self) -> Vec<(u8, usize)> {
        self.side.pops.iter().map(|(s, m)| (*s, m.len())).collect()
    }

    /// Answers the receiver's Hello; draws the session's order from `rng`.
    pub fn setup<R: RngCore + CryptoRng>(
        &mut self,
        hello: &Frame,
        rng: &mut R,
    ) -> Result<Frame, Error> {
        let h = Handshake::decode(hello.expect(Kind::Hello)?)?;
        crate::keys::check_format(h.key_format)?;
        let secret = SessionSecret::random(rng);
        let populations = self.side.sizes();
        let ours: u64 = populations.iter().map(|p| p.1).sum();
        let theirs: u64 = h.populations.iter().map(|p| p.1).sum();
        let setup = Handshake {
            key_format: KEY_FORMAT_VERSION,
            chunk_size: u32::try_from(self.config.chunk_size).unwrap_or(u32::MAX),
            tag_len: u8::try_from(tag_len(theirs, ours)).unwrap_or(16),
            populations,
        };
        let receiver_chunk = usize::try_from(h.chunk_size).unwrap_or(usize::MAX);
        let mut received = Vec::new();
        let mut tags = Vec::new();
        for &(_, size) in &h.populations {
            let size =
                usize::try_from(size).map_err(|_| Error::Malformed("population too large"))?;
            received.push(vec![false; chunk::count(size, receiver_chunk) as usize]);
            tags.push(vec![vec![0u128; size]; self.side.pops.len()]);
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
            orders: self.side.orders(&secret, b"points order"),
            received,
            tags,
        });
        Ok(frame)
    }

    fn session(&self) -> Result<&Session, Error> {
        self.session.as_ref().ok_or(Error::NotReady("no Hello yet"))
    }

    /// Points chunks of own population `slot`.
    pub fn points_chunks(&self, slot: u8) -> Result<u32, Error> {
        let p = self.side.pop(slot)?;
        Ok(chunk::count(
            self.side.pops[p].1.len(),
            self.config.chunk_size,
        ))
    }

    /// Points chunk `c` of own population `slot`: `slot || enc(b_j·H(x))*`, in the session's
    /// random order.
    pub fn points_chunk(&self, slot: u8, c: u32) -> Result<Frame, Error> {
        let s = self.session()?;
        let p = self.side.pop(slot)?;
        if c >= self.points_chunks(slot)? {
            return Err(Error::ChunkOutOfRange {
                kind: Kind::Points,
                chunk: c,
            });
        }
        let payload = self
            .side
            .points_payload(p, &s.orders[p], c, self.config.chunk_size);
        Ok(Frame {
            kind: Kind::Points,
            session: s.id,
            chunk: c,
            payload,
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
        let r = s.theirs(slot)?;
        if !chunk::is_new(&s.received[r], frame)? {
            return Ok(());
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
        let mut tags = Vec::with_capacity(self.side.pops.len());
        for p in 0..self.side.pops.len() {
            let values = self.side.cross(p, slot, &points)?;
            tags.push(values.iter().map(|v| tag(v, t)).collect::<Vec<u128>>());
        }
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Hello yet"))?;
        for (p, t) in tags.into_iter().enumerate() {
            s.tags[r][p][range.clone()].copy_from_slice(&t);
        }
        s.received[r][frame.chunk as usize] = true;
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

    /// Tags chunks of any pair with receiver population `theirs`.
    pub fn tags_chunks(&self, theirs: u8) -> Result<u32, Error> {
        let s = self.session()?;
        let r = s.theirs(theirs)?;
        Ok(chunk::count(
            usize::try_from(s.receiver[r].1).unwrap_or(0),
            self.config.chunk_size,
        ))
    }

    #[allow(
        clippy::many_single_char_names,
        reason = "r, p, c, s, t, w as in the protocol's notation"
    )]
    /// Tags chunk `c` of the pair (receiver population `theirs`, own population `ours`):
    /// `theirs || ours || tag*`, sorted. Ready once every Blinded chunk of `theirs` arrived.
    pub fn tags_chunk(&self, theirs: u8, ours: u8, c: u32) -> Result<Frame, Error> {
        let s = self.session()?;
        let r = s.theirs(theirs)?;
        let p = self.side.pop(ours)?;
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
