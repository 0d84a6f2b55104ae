//! Private set intersection for account mapping (DESIGN.md §6): two organisations learn their
//! overlap without either seeing the other's other accounts, and without a third party.
//!
//! - [`oprf`]: RFC 9497's OPRF, ristretto255-SHA512, OPRF mode, checked by the RFC's vectors.
//! - [`keys`]: the match keys (DESIGN.md §5's exact keys) as OPRF inputs, versioned.
//! - [`record`]: record mode, labelled PSI: which records overlap, with the sender's labels.
//! - [`counts`]: counts mode, PSI-cardinality per population pair: an overlap matrix only.
//! - [`wire`]: the versioned binary frame every message travels in.
//! - [`cache`]: what a side keeps so that a refresh recomputes only changed keys.
//! - [`local`]: both sides in one process, for tests, the benchmark and file exchange.
//! - [`opcost`]: per-operation costs and counts, for the benchmark's bound.
//!
//! Sans-IO: sides are state machines that take and produce [`wire::Frame`]s; every chunk a
//! side sends is a pure function of its state and the chunk index, so a transport can retry or
//! resume any chunk. Pure: no I/O, no clock; randomness is injected; secrets are zeroised.
//! docs/psi.md gives the protocol, the messages and what each side learns.

pub mod cache;
mod chunk;
pub mod counts;
mod group;
pub mod keys;
pub mod local;
pub mod opcost;
pub mod oprf;
mod radix;
pub mod record;
pub mod wire;
mod xmd;

pub use cache::Cache;
pub use keys::{KEY_FORMAT_VERSION, Key};
pub use oprf::OprfKey;
pub use wire::{Frame, Kind, PROTOCOL_VERSION};

/// Elements per parallel batch: large enough that the batch encoding's shared inversion is
/// negligible, small enough to spread a chunk over the cores.
pub(crate) const BATCH: usize = 256;

/// How a side cuts what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Elements per chunk (points, entries, labels or tags). Memory per message is about this
    /// times 32 bytes.
    pub chunk_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            chunk_size: 1 << 16,
        }
    }
}

/// What can go wrong in the protocol.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("the input cannot be hashed to the group")]
    InvalidInput,
    #[error("the key bytes are not a valid non-zero scalar")]
    InvalidKey,
    #[error("a point is not a valid ristretto255 encoding, or is the identity")]
    InvalidPoint,
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    #[error("the peer speaks protocol version {theirs}; this side speaks version {ours}")]
    Version { ours: u8, theirs: u8 },
    #[error("the peer normalises keys with format version {theirs}; this side uses version {ours}")]
    KeyFormat { ours: u8, theirs: u8 },
    #[error("the message belongs to another session")]
    Session,
    #[error("the peer runs the other mode (record versus counts)")]
    Mode,
    #[error("a {0:?} message is not expected here")]
    Unexpected(Kind),
    #[error("{kind:?} chunk {chunk} is beyond the end of its stream")]
    ChunkOutOfRange { kind: Kind, chunk: u32 },
    #[error("not ready: {0}")]
    NotReady(&'static str),
    #[error("{0} chunks are still missing")]
    Incomplete(usize),
    #[error("a label failed authentication: the message is damaged or was not made for this key")]
    Label,
    #[error("a population slot is out of range (0..64) or not announced")]
    Population,
}

#[cfg(test)]
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
