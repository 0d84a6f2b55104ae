//! The responder's side over HTTP: an axum [`Router`] with relative routes, so the Trellis
//! server can mount it (under `/api/v1/psi`) and `trellis psi serve` can serve it alone.
//!
//! ```text
//! POST /connections                          redeem an invitation (the only unsigned request)
//! PUT  /sessions/{session}                   open a mapping: manifests both ways
//! GET  /sessions/{session}/runs/{run}/missing  the frames the server side of a run still needs
//! POST /sessions/{session}/runs/{run}/frames   deliver frames; the body of the answer: replies
//! POST /sessions/{session}/runs/{run}/pull     ask for chunks by name; the answer: the frames
//! POST /sessions/{session}/finish            the server learns its outcome; the session ends
//! ```
//! The client drives; the server keeps each session's state machines in memory until the
//! session has been idle for [`ServerConfig::session_ttl`], and holds at most
//! [`ServerConfig::max_sessions`] at once. Every request but the redemption is signed, and
//! every response is (see docs/psi.md, "Authentication").

pub(crate) mod handlers;
mod sessions;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};

use crate::auth::Replay;
use crate::connections::{Connection, ConnectionStore};
use crate::input::{Outcome, SideInput};
use crate::{BoxFuture, Clock, Error, Result};

/// Limits and sizes of the server side.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Elements per chunk of what the server sends.
    pub chunk_size: usize,
    /// A session idle this long is dropped; the client must start over.
    pub session_ttl: Duration,
    /// Sessions held at once, over all connections.
    pub max_sessions: usize,
    /// The largest request body.
    pub max_body: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            chunk_size: 4096,
            session_ttl: Duration::from_mins(10),
            max_sessions: 8,
            max_body: 64 << 20,
        }
    }
}

/// Gives the server side's input for a connection: the caller's sharing policy for that peer,
/// already applied.
pub trait InputSource: Send + Sync + std::fmt::Debug {
    fn input<'a>(&'a self, connection: &'a Connection) -> BoxFuture<'a, Result<Arc<SideInput>>>;
}

/// The same input for every connection (the standalone CLI).
#[derive(Debug, Clone)]
pub struct FixedInput(pub Arc<SideInput>);

impl InputSource for FixedInput {
    fn input<'a>(&'a self, _: &'a Connection) -> BoxFuture<'a, Result<Arc<SideInput>>> {
        let input = self.0.clone();
        Box::pin(async move { Ok(input) })
    }
}

/// A finished mapping, as the server side learned it.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub connection: String,
    pub session: String,
    /// The server side's input the mapping ran with (its accounts are what `outcome`'s
    /// indices point into).
    pub input: Arc<SideInput>,
    pub outcome: Outcome,
}

type OnMapped = Arc<dyn Fn(Mapped) -> BoxFuture<'static, ()> + Send + Sync>;

/// Serves mappings to holders of a connection.
pub struct PsiServer {
    store: Arc<dyn ConnectionStore>,
    inputs: Arc<dyn InputSource>,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    /// Session seeds and nonces; each session's machines then draw from their own seed.
    rng: Mutex<ChaCha20Rng>,
    sessions: sessions::Sessions,
    replay: Mutex<Replay>,
    on_mapped: Option<OnMapped>,
}

impl std::fmt::Debug for PsiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PsiServer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PsiServer {
    /// A server over `store`, serving `inputs`; `seed` (32 random bytes) seeds every secret it
    /// draws.
    pub fn new(
        store: Arc<dyn ConnectionStore>,
        inputs: Arc<dyn InputSource>,
        clock: Arc<dyn Clock>,
        seed: [u8; 32],
    ) -> Self {
        Self {
            store,
            inputs,
            clock,
            config: ServerConfig::default(),
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
            sessions: sessions::Sessions::default(),
            replay: Mutex::new(Replay::default()),
            on_mapped: None,
        }
    }

    #[must_use]
    pub fn with_config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Called with the server side's outcome of every finished mapping (to log or store it).
    #[must_use]
    pub fn on_mapped(mut self, f: impl Fn(Mapped) + Send + Sync + 'static) -> Self {
        self.on_mapped = Some(Arc::new(move |m| {
            f(m);
            Box::pin(std::future::ready(()))
        }));
        self
    }

    /// [`PsiServer::on_mapped`] with work to await (storing the outcome in a database): the
    /// client's `finish` is answered once it is done, so the client knows the server kept its
    /// side. A failure is the callback's to report; the mapping itself has finished.
    #[must_use]
    pub fn on_mapped_async(
        mut self,
        f: impl Fn(Mapped) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        self.on_mapped = Some(Arc::new(f));
        self
    }

    /// The routes, relative: mount them where you like.
    pub fn router(self) -> Router {
        let server = Arc::new(self);
        let signed = Router::new()
            .route("/sessions/{session}", put(handlers::open))
            .route(
                "/sessions/{session}/runs/{run}/missing",
                get(handlers::missing),
            )
            .route(
                "/sessions/{session}/runs/{run}/frames",
                post(handlers::frames),
            )
            .route("/sessions/{session}/runs/{run}/pull", post(handlers::pull))
            .route("/sessions/{session}/finish", post(handlers::finish))
            .route_layer(axum::middleware::from_fn_with_state(
                server.clone(),
                handlers::authenticate,
            ));
        Router::new()
            .route("/connections", post(handlers::redeem))
            .merge(signed)
            .layer(axum::extract::DefaultBodyLimit::max(server.config.max_body))
            .with_state(server)
    }

    fn random<const N: usize>(&self) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.rng
            .lock()
            .map_err(|_| Error::Internal("the server's RNG lock is poisoned".to_owned()))?
            .fill_bytes(&mut b);
        Ok(b)
    }
}

/// An error as the client sees it: `application/problem+json` (RFC 9457).
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    detail: String,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::Psi(trellis_psi::Error::NotReady(_)) | Error::Version { .. } => {
                StatusCode::CONFLICT
            }
            Error::Psi(_) | Error::Malformed(_) | Error::Input(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::UnknownInvitation | Error::InvitationExpired | Error::InvitationUsed => {
                StatusCode::FORBIDDEN
            }
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Error::SessionGone => StatusCode::NOT_FOUND,
            Error::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => {
                tracing::error!(error = %e, "PSI transport: internal error");
                return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            }
        };
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        (
            self.status,
            [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests;
