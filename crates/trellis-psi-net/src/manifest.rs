//! The manifest each side sends before any PSI message, and the runs both derive from the two.
//!
//! A whole mapping is up to four sub-protocol runs: record and counts mode with the initiator
//! (the client, or the side that wrote the request file) receiving, then the same with the
//! responder receiving. A run takes place only when its sender shares something for it; since
//! both sides compute [`plan`] from the same two manifests, they agree on the runs without
//! another message.

use serde::{Deserialize, Serialize};

use crate::input::{SharedPopulation, SideInput};
use crate::{Error, Result, TRANSPORT_VERSION};

/// Which sub-protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Labelled PSI: which accounts overlap, with the sender's shared fields.
    Records,
    /// PSI-cardinality per population pair: the overlap matrix.
    Counts,
}

/// The two parties of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The side that starts: the HTTP client, or the author of the request file.
    Initiator,
    /// The side that answers: the HTTP server, or the author of the response file.
    Responder,
}

impl Party {
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Party::Initiator => Party::Responder,
            Party::Responder => Party::Initiator,
        }
    }
}

/// One sub-protocol run: a mode and the party that receives (learns) in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Run {
    pub mode: Mode,
    pub receiver: Party,
}

impl Run {
    /// Every possible run, in the order they are run; a run's index is its place here.
    pub const ALL: [Run; 4] = [
        Run {
            mode: Mode::Records,
            receiver: Party::Initiator,
        },
        Run {
            mode: Mode::Counts,
            receiver: Party::Initiator,
        },
        Run {
            mode: Mode::Records,
            receiver: Party::Responder,
        },
        Run {
            mode: Mode::Counts,
            receiver: Party::Responder,
        },
    ];

    pub fn index(self) -> u8 {
        match (self.mode, self.receiver) {
            (Mode::Records, Party::Initiator) => 0,
            (Mode::Counts, Party::Initiator) => 1,
            (Mode::Records, Party::Responder) => 2,
            (Mode::Counts, Party::Responder) => 3,
        }
    }

    pub fn from_index(i: u8) -> Option<Run> {
        Run::ALL.get(usize::from(i)).copied()
    }

    pub fn sender(self) -> Party {
        self.receiver.other()
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            Mode::Records => "records",
            Mode::Counts => "counts",
        };
        let to = match self.receiver {
            Party::Initiator => "initiator",
            Party::Responder => "responder",
        };
        write!(f, "{mode} to the {to}")
    }
}

/// What a side announces before the PSI messages: versions, and what it shares as a sender
/// (sizes the peer would learn from the protocol's Setup anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`TRANSPORT_VERSION`].
    pub transport: u32,
    /// trellis-psi's [`PROTOCOL_VERSION`](trellis_psi::PROTOCOL_VERSION).
    pub protocol: u8,
    /// trellis-psi's [`KEY_FORMAT_VERSION`](trellis_psi::KEY_FORMAT_VERSION).
    pub key_format: u8,
    /// The populations this side shares as counts, with their sizes.
    pub counts: Vec<SharedPopulation>,
    /// How many records this side shares (0: record mode does not run with it as sender).
    pub records: u64,
    /// The smallest count the peer should display ([`SideInput::min_count`]); absent for
    /// none (and from peers that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u64>,
    /// Populations (bits by slot) shared as records ([`SideInput::record_populations`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub record_populations: u64,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Manifest {
    /// This side's manifest.
    pub fn of(input: &SideInput) -> Self {
        Self {
            transport: TRANSPORT_VERSION,
            protocol: trellis_psi::PROTOCOL_VERSION,
            key_format: trellis_psi::KEY_FORMAT_VERSION,
            counts: input.shared_populations(),
            records: input.share.records.len() as u64,
            min_count: input.min_count,
            record_populations: input.record_populations,
        }
    }

    /// Refuses a peer on another version of the transport, the protocol or the key format.
    pub fn check_peer(&self) -> Result<()> {
        if self.transport != TRANSPORT_VERSION {
            return Err(Error::Version {
                ours: TRANSPORT_VERSION,
                theirs: self.transport,
            });
        }
        if self.protocol != trellis_psi::PROTOCOL_VERSION {
            return Err(trellis_psi::Error::Version {
                ours: trellis_psi::PROTOCOL_VERSION,
                theirs: self.protocol,
            }
            .into());
        }
        if self.key_format != trellis_psi::KEY_FORMAT_VERSION {
            return Err(trellis_psi::Error::KeyFormat {
                ours: trellis_psi::KEY_FORMAT_VERSION,
                theirs: self.key_format,
            }
            .into());
        }
        if self.counts.iter().any(|p| p.slot >= 64) {
            return Err(Error::Malformed("a population slot above 63".to_owned()));
        }
        Ok(())
    }

    /// Whether this side, as sender, takes part in `mode`.
    pub fn shares(&self, mode: Mode) -> bool {
        match mode {
            Mode::Records => self.records > 0,
            Mode::Counts => !self.counts.is_empty(),
        }
    }
}

/// The runs of a mapping: those whose sender shares something, in [`Run::ALL`]'s order.
pub fn plan(initiator: &Manifest, responder: &Manifest) -> Vec<Run> {
    Run::ALL
        .into_iter()
        .filter(|r| match r.sender() {
            Party::Initiator => initiator.shares(r.mode),
            Party::Responder => responder.shares(r.mode),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_follow_what_each_sender_shares() {
        let none = Manifest::of(&SideInput::default());
        let records = Manifest {
            records: 3,
            ..none.clone()
        };
        assert!(plan(&none, &none).is_empty());
        assert_eq!(plan(&none, &records), vec![Run::ALL[0]]);
        assert_eq!(plan(&records, &none), vec![Run::ALL[2]]);
        for r in Run::ALL {
            assert_eq!(Run::from_index(r.index()), Some(r));
        }
        let old = Manifest {
            transport: 0,
            ..none
        };
        assert!(matches!(old.check_peer(), Err(Error::Version { .. })));
    }
}
