//! The receiver's side of counts mode: it learns the overlap count of each population pair.

use rand_core::{CryptoRng, RngCore};
use rustc_hash::FxHashSet;

use super::{CountsItem, CountsKey, Handshake, Side, tag};
use crate::cache::Cache;
use crate::chunk::{self, SessionSecret};
use crate::keys::KEY_FORMAT_VERSION;
use crate::wire::{Frame, Kind, SessionId, records};
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
    side: Side,
    /// Per own population: send position -> member index.
    orders: Vec<Vec<u32>>,
    session: Option<Session>,
}

impl std::fmt::Debug for CountsReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountsReceiver")
            .field("populations", &self.side.pops.len())
            .finish_non_exhaustive()
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
        let side = Side::new(key, items, cache);
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let orders = side.orders(&SessionSecret::random(rng), b"blinded order");
        Self {
            config,
            id,
            side,
            orders,
            session: None,
        }
    }

    /// Group elements computed rather than taken from the cache so far: own (hashed and
    /// multiplied) and the peer's (decompressed and multiplied).
    pub fn computed(&self) -> (usize, usize) {
        self.side.computed()
    }

    pub fn hello(&self) -> Frame {
        let h = Handshake {
            key_format: KEY_FORMAT_VERSION,
            chunk_size: u32::try_from(self.config.chunk_size).unwrap_or(u32::MAX),
            tag_len: 0,
            populations: self
                .side
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
        self.side.pops.iter().map(|(s, m)| (*s, m.len())).collect()
    }

    pub fn accept_setup(&mut self, frame: &Frame) -> Result<(), Error> {
        if frame.session != self.id {
            return Err(Error::Session);
        }
        if frame.kind != Kind::Setup {
            return Err(Error::Unexpected(frame.kind));
        }
        let setup = Handshake::decode(&frame.payload)?;
        crate::keys::check_format(setup.key_format)?;
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
            self.side
                .pops
                .iter()
                .map(|(_, m)| (0..sizes.len()).map(|_| f(m.len())).collect())
                .collect()
        };
        self.session = Some(Session {
            ours: self
                .side
                .pops
                .iter()
                .map(|_| sizes.iter().map(|_| FxHashSet::default()).collect())
                .collect(),
            points_seen: sizes
                .iter()
                .map(|&n| vec![false; chunk::count(n, chunk_size) as usize])
                .collect(),
            theirs: self
                .side
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
        self.side.pop(slot)
    }

    /// Blinded chunks of own population `slot`.
    pub fn blinded_chunks(&self, slot: u8) -> Result<u32, Error> {
        Ok(chunk::count(
            self.side.pops[self.pop(slot)?].1.len(),
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
        let payload = self
            .side
            .points_payload(p, &self.orders[p], c, self.config.chunk_size);
        Ok(Frame {
            kind: Kind::Blinded,
            session: self.id,
            chunk: c,
            payload,
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
        if !chunk::is_new(&s.points_seen[j], frame)? {
            return Ok(());
        }
        let size = usize::try_from(s.setup.populations[j].1).unwrap_or(0);
        let points = records::<32>(body)?;
        if points.len() != chunk::range(frame.chunk, s.setup.chunk_size as usize, size).len() {
            return Err(Error::Malformed(
                "a Points chunk has the wrong number of points",
            ));
        }
        let t = usize::from(s.setup.tag_len);
        let mut found = Vec::with_capacity(self.side.pops.len());
        for i in 0..self.side.pops.len() {
            found.push(self.side.cross(i, slot, &points)?);
        }
        let s = self
            .session
            .as_mut()
            .ok_or(Error::NotReady("no Setup yet"))?;
        for (i, values) in found.into_iter().enumerate() {
            s.ours[i][j].extend(values.iter().map(|v| tag(v, t)));
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
        if !chunk::is_new(&s.tags_seen[i][j], frame)? {
            return Ok(());
        }
        let t = usize::from(s.setup.tag_len);
        let expected = chunk::range(
            frame.chunk,
            s.setup.chunk_size as usize,
            self.side.pops[i].1.len(),
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
                let (mine, theirs) = (self.side.pops[i].0, s.setup.populations[j].0);
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
        for (i, (mine, _)) in self.side.pops.iter().enumerate() {
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
        Ok((counts, self.side.next_cache()))
    }
}
