//! The private-mode transport of PSI account mapping (DESIGN.md §6, docs/psi.md "Transport"):
//! two parties run trellis-psi's sans-IO state machines against each other, in both
//! directions, over mutually authenticated HTTPS or through files an operator carries.
//!
//! - [`input`]: what a side brings ([`SideInput`], its sharing policy already applied) and what
//!   it learns ([`Outcome`]).
//! - [`reference`](mod@reference): the same [`Outcome`] computed in the clear from both inputs: the
//!   specification the protocol is tested against, and what the hosted mode computes.
//! - [`manifest`]: the small JSON each side sends first, and the [`Run`]s both derive from it.
//! - [`server`]: an axum [`Router`](axum::Router) serving mappings to holders of a connection.
//! - [`client`]: the reqwest driver: redeems an invitation, runs a mapping, retries and resumes.
//! - [`connections`]: invitations, connections and the [`ConnectionStore`] that keeps them.
//! - [`exchange`]: the same mapping through three `.tpsi` files, for a partner offline.
//! - [`tls`]: serving the router over rustls.
//!
//! I/O lives here; the protocol stays in trellis-psi. Time comes from an injected [`Clock`] and
//! randomness from the caller; secrets are zeroised on drop.

mod auth;
pub mod client;
pub mod clock;
pub mod connections;
mod engine;
pub mod exchange;
mod frames;
pub mod input;
pub mod manifest;
pub mod reference;
pub mod server;
pub mod tls;

pub use client::{ClientConfig, Peer, Progress};
pub use clock::{Clock, ManualClock};
pub use connections::{
    Connection, ConnectionStore, DirStore, Invitation, MemoryStore, Secret, new_invitation,
};
pub use input::{
    AccountInput, Cell, Outcome, Overlap, PopulationInfo, RunStats, Share, SharedPopulation,
    SideInput, Stats,
};
pub use manifest::{Manifest, Mode, Party, Run};
pub use server::{PsiServer, ServerConfig};

/// The version of this transport (the manifest, the endpoints and the signatures).
pub const TRANSPORT_VERSION: u32 = 1;

/// What can go wrong between the two parties, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input: {0}")]
    Input(String),
    #[error("PSI protocol: {0}")]
    Psi(#[from] trellis_psi::Error),
    #[error("the peer speaks transport version {theirs}; this side speaks version {ours}")]
    Version { ours: u32, theirs: u32 },
    #[error("the invitation token is not valid (mistyped, or made by another server)")]
    UnknownInvitation,
    #[error("the invitation has expired; ask the server's operator for a new one")]
    InvitationExpired,
    #[error("the invitation was already used; ask the server's operator for a new one")]
    InvitationUsed,
    #[error("no connection {0:?} in the state directory; redeem an invitation first")]
    UnknownConnection(String),
    #[error("the request failed authentication: {0}")]
    Unauthenticated(String),
    #[error("the peer's response failed authentication ({0}): refusing to trust it")]
    ResponseAuth(&'static str),
    #[error("the peer refused the request (HTTP {status}): {detail}")]
    Refused { status: u16, detail: String },
    #[error("the mapping session is unknown to the server or has expired; start the mapping again")]
    SessionGone,
    #[error("the server is running too many mappings at once; try again later")]
    Busy,
    #[error("the peer did not answer after {attempts} attempts; last error: {last}")]
    Unreachable { attempts: u32, last: String },
    #[error(
        "plain HTTP to {0} is refused: use https://, a loopback address, or allow it explicitly"
    )]
    InsecureUrl(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("malformed message from the peer: {0}")]
    Malformed(String),
    #[error("file exchange: {0}")]
    Exchange(String),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A future that a trait object can return (the stores are async so a database can back them).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Hex of some bytes, for ids in paths and file names.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// URL-safe base64 without padding: tokens, nonces, signatures.
pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn unb64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .ok()
}
