//! trellis-psi's four state machines behind two roles, so the server, the client and the file
//! exchange drive record and counts mode alike: a [`Receiving`] side says which frames it
//! still needs ([`FrameRef`]s), a [`Sending`] side answers frames and produces any chunk asked.
//!
//! Every state machine draws its secrets from an RNG seeded from the session seed and the run,
//! so the same seed and input rebuild the same machine (the file exchange relies on it).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use sha2::{Digest as _, Sha256};
use trellis_psi::counts::{CountsKey, CountsReceiver, CountsSender, PairCount};
use trellis_psi::record::{RecordOverlap, RecordReceiver, RecordSender};
use trellis_psi::{Config, Frame, Kind, OprfKey};
use zeroize::Zeroize as _;

use crate::frames::{FrameRef, RefKind};
use crate::input::{Cell, Outcome, Overlap, SideInput, Stats};
use crate::manifest::{Manifest, Mode, Run};
use crate::{Error, Result};

/// The RNG of one run of a session: SHA-256 of the session seed, the run and the role.
pub(crate) fn run_rng(seed: &[u8; 32], run: Run, role: &[u8]) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"trellis-psi-net run rng v1");
    h.update(seed);
    h.update([run.index()]);
    h.update(role);
    let mut s: [u8; 32] = h.finalize().into();
    let rng = ChaCha20Rng::from_seed(s);
    s.zeroize();
    rng
}

/// The receiving side of one run.
#[derive(Debug)]
pub(crate) enum Receiving {
    // Boxed: a record receiver holds a basepoint table, and both are large.
    Records(Box<RecordReceiver>),
    Counts(Box<CountsReceiver>),
}

/// What a receiver learned in one run.
#[derive(Debug)]
pub(crate) enum Learned {
    Records(Vec<RecordOverlap>),
    Counts(Vec<PairCount>),
}

impl Receiving {
    /// Our whole input as receiver: every account (records), every population (counts).
    pub(crate) fn new(run: Run, input: &SideInput, chunk_size: usize, seed: &[u8; 32]) -> Self {
        let mut rng = run_rng(seed, run, b"receiver");
        let config = Config { chunk_size };
        match run.mode {
            Mode::Records => Receiving::Records(Box::new(RecordReceiver::new(
                input.receiver_records(),
                None,
                config,
                &mut rng,
            ))),
            Mode::Counts => {
                let key = CountsKey::random(&mut rng);
                let items = input.counts_items(u64::MAX);
                Receiving::Counts(Box::new(CountsReceiver::new(
                    &key, items, None, config, &mut rng,
                )))
            }
        }
    }

    /// Elements entered: distinct keys blinded (records) or population members (counts).
    pub(crate) fn elements(&self) -> u64 {
        match self {
            Receiving::Records(r) => r.blinded_keys() as u64,
            Receiving::Counts(r) => r.populations().iter().map(|p| p.1 as u64).sum(),
        }
    }

    /// The frames still needed from the sender. `Evaluated` is answered by sending the
    /// `Blinded` chunk of the same index.
    pub(crate) fn missing(&self) -> Vec<FrameRef> {
        match self {
            Receiving::Records(r) => r
                .missing()
                .into_iter()
                .map(|(k, c)| FrameRef::new(k.into(), 0, 0, c))
                .collect(),
            Receiving::Counts(r) => r
                .missing()
                .into_iter()
                .map(|(k, mine, theirs, c)| match k {
                    Kind::Points => FrameRef::new(RefKind::Points, theirs, 0, c),
                    Kind::Tags => FrameRef::new(RefKind::Tags, mine, theirs, c),
                    other => FrameRef::new(other.into(), 0, 0, 0),
                })
                .collect(),
        }
    }

    /// Every Blinded chunk. Counts mode knows them from the start; record mode (with no cache,
    /// as here) too.
    pub(crate) fn blinded_refs(&self) -> Result<Vec<FrameRef>> {
        Ok(match self {
            Receiving::Records(r) => (0..r.blinded_chunks()?)
                .map(|c| FrameRef::new(RefKind::Blinded, 0, 0, c))
                .collect(),
            Receiving::Counts(r) => {
                let mut out = Vec::new();
                for (slot, _) in r.populations() {
                    out.extend(
                        (0..r.blinded_chunks(slot)?)
                            .map(|c| FrameRef::new(RefKind::Blinded, slot, 0, c)),
                    );
                }
                out
            }
        })
    }

    /// A frame this side sends: Hello or a Blinded chunk.
    pub(crate) fn produce(&self, r: FrameRef) -> Result<Frame> {
        Ok(match (self, r.kind) {
            (Receiving::Records(x), RefKind::Hello) => x.hello(),
            (Receiving::Counts(x), RefKind::Hello) => x.hello(),
            (Receiving::Records(x), RefKind::Blinded) => x.blinded(r.chunk)?,
            (Receiving::Counts(x), RefKind::Blinded) => x.blinded(r.slot, r.chunk)?,
            _ => {
                return Err(Error::Malformed(format!(
                    "a receiver sends no {:?}",
                    r.kind
                )));
            }
        })
    }

    /// Takes a frame from the sender; one already taken is ignored.
    pub(crate) fn accept(&mut self, f: &Frame) -> Result<()> {
        match (self, f.kind) {
            (Receiving::Records(x), Kind::Setup) => x.accept_setup(f)?,
            (Receiving::Counts(x), Kind::Setup) => x.accept_setup(f)?,
            (Receiving::Records(x), _) => x.accept(f)?,
            (Receiving::Counts(x), _) => x.accept(f)?,
        }
        Ok(())
    }

    pub(crate) fn finish(&self) -> Result<Learned> {
        Ok(match self {
            Receiving::Records(x) => Learned::Records(x.finish()?.0),
            Receiving::Counts(x) => Learned::Counts(x.finish()?.0),
        })
    }
}

/// The sending side of one run, with the Setup it gave to the last Hello (a retried Hello gets
/// the same Setup instead of starting the session over).
#[derive(Debug)]
pub(crate) struct Sending {
    machine: SendMachine,
    rng: ChaCha20Rng,
    answered: Option<(Frame, Frame)>,
    /// Counts mode: the receiver's population slots, known once Hello is taken.
    receiver_slots: Vec<u8>,
}

#[derive(Debug)]
enum SendMachine {
    Records(Box<RecordSender>),
    Counts(Box<CountsSender>),
}

impl Sending {
    /// What we share as sender: the shared records (records), the shared populations (counts).
    /// A fresh OPRF or counts key each session: sessions stay unlinkable (no refresh cache).
    pub(crate) fn new(run: Run, input: &SideInput, chunk_size: usize, seed: &[u8; 32]) -> Self {
        let mut rng = run_rng(seed, run, b"sender");
        let config = Config { chunk_size };
        let machine = match run.mode {
            Mode::Records => SendMachine::Records(Box::new(RecordSender::new(
                OprfKey::random(&mut rng),
                input.sender_records(),
                None,
                config,
            ))),
            Mode::Counts => {
                let key = CountsKey::random(&mut rng);
                let items = input.counts_items(input.share.counts);
                SendMachine::Counts(Box::new(CountsSender::new(&key, items, None, config)))
            }
        };
        Self {
            machine,
            rng,
            answered: None,
            receiver_slots: Vec::new(),
        }
    }

    pub(crate) fn elements(&self) -> u64 {
        match &self.machine {
            SendMachine::Records(_) => 0,
            SendMachine::Counts(s) => s.populations().iter().map(|p| p.1 as u64).sum(),
        }
    }

    /// Takes a receiver's frame: Hello gets Setup, a Blinded chunk gets its Evaluated chunk
    /// (records) or nothing (counts).
    pub(crate) fn accept(&mut self, f: &Frame) -> Result<Option<Frame>> {
        match (&mut self.machine, f.kind) {
            (machine, Kind::Hello) => {
                if let Some((hello, setup)) = &self.answered
                    && hello == f
                {
                    return Ok(Some(setup.clone()));
                }
                let setup = match machine {
                    SendMachine::Records(s) => s.setup(f, &mut self.rng)?,
                    SendMachine::Counts(s) => s.setup(f, &mut self.rng)?,
                };
                if let SendMachine::Counts(s) = machine {
                    // Right after Setup every Blinded chunk is missing: that lists the slots.
                    let mut slots: Vec<u8> = s.missing().into_iter().map(|m| m.0).collect();
                    slots.dedup();
                    self.receiver_slots = slots;
                }
                self.answered = Some((f.clone(), setup.clone()));
                Ok(Some(setup))
            }
            (SendMachine::Records(s), Kind::Blinded) => Ok(Some(s.evaluate(f)?)),
            (SendMachine::Counts(s), Kind::Blinded) => {
                s.accept_blinded(f)?;
                Ok(None)
            }
            (_, other) => Err(trellis_psi::Error::Unexpected(other).into()),
        }
    }

    /// What the sender still needs: Hello, then (counts mode) the Blinded chunks not taken.
    pub(crate) fn missing(&self) -> Vec<FrameRef> {
        if self.answered.is_none() {
            return vec![FrameRef::of(RefKind::Hello)];
        }
        match &self.machine {
            SendMachine::Records(_) => Vec::new(),
            SendMachine::Counts(s) => s
                .missing()
                .into_iter()
                .map(|(slot, c)| FrameRef::new(RefKind::Blinded, slot, 0, c))
                .collect(),
        }
    }

    /// A published chunk: Entries, Labels, Points or Tags.
    pub(crate) fn produce(&self, r: FrameRef) -> Result<Frame> {
        Ok(match (&self.machine, r.kind) {
            (SendMachine::Records(s), RefKind::Entries) => s.entries_chunk(r.chunk)?,
            (SendMachine::Records(s), RefKind::Labels) => s.labels_chunk(r.chunk)?,
            (SendMachine::Counts(s), RefKind::Points) => s.points_chunk(r.slot, r.chunk)?,
            (SendMachine::Counts(s), RefKind::Tags) => s.tags_chunk(r.slot, r.other, r.chunk)?,
            _ => {
                return Err(Error::Malformed(format!(
                    "this sender publishes no {:?}",
                    r.kind
                )));
            }
        })
    }

    /// Every chunk this sender publishes, once Hello is taken (Tags: once every Blinded chunk
    /// is taken).
    pub(crate) fn published(&self) -> Result<Vec<FrameRef>> {
        let mut out = Vec::new();
        match &self.machine {
            SendMachine::Records(s) => {
                out.extend(
                    (0..s.entry_chunks()?).map(|c| FrameRef::new(RefKind::Entries, 0, 0, c)),
                );
                out.extend((0..s.label_chunks()?).map(|c| FrameRef::new(RefKind::Labels, 0, 0, c)));
            }
            SendMachine::Counts(s) => {
                for (slot, _) in s.populations() {
                    out.extend(
                        (0..s.points_chunks(slot)?)
                            .map(|c| FrameRef::new(RefKind::Points, slot, 0, c)),
                    );
                }
                for &theirs in &self.receiver_slots {
                    for (ours, _) in s.populations() {
                        out.extend(
                            (0..s.tags_chunks(theirs)?)
                                .map(|c| FrameRef::new(RefKind::Tags, theirs, ours, c)),
                        );
                    }
                }
            }
        }
        Ok(out)
    }
}

/// What this side learned, in the terms of [`Outcome`]: the matrix over every pair (zero where
/// a population had no members, so the protocol never mentioned it), overlaps sorted, labels
/// sorted.
pub(crate) fn outcome(
    ours: &SideInput,
    theirs: &Manifest,
    learned: Vec<Learned>,
    stats: Stats,
) -> Outcome {
    let mut out = Outcome {
        their_min_count: theirs.min_count,
        their_record_populations: theirs.record_populations,
        stats,
        ..Outcome::default()
    };
    for l in learned {
        match l {
            Learned::Records(overlaps) => {
                out.overlaps = overlaps
                    .into_iter()
                    .map(|o| {
                        let mut labels = o.labels;
                        labels.sort();
                        Overlap {
                            ours: o.record,
                            labels,
                        }
                    })
                    .collect();
                out.overlaps.sort_by_key(|o| o.ours);
            }
            Learned::Counts(counts) => {
                out.their_populations.clone_from(&theirs.counts);
                out.their_populations.sort_by_key(|p| p.slot);
                for o in ours.slots() {
                    for t in &out.their_populations {
                        let count = counts
                            .iter()
                            .find(|c| c.receiver_population == o && c.sender_population == t.slot)
                            .map_or(0, |c| c.count);
                        out.matrix.push(Cell {
                            ours: o,
                            theirs: t.slot,
                            count,
                        });
                    }
                }
            }
        }
    }
    out
}
