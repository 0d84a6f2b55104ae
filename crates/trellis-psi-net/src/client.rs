//! The initiator's side over HTTP: redeems an invitation, then drives whole mappings against
//! a [`PsiServer`](crate::PsiServer), signing every request and checking every response.
//!
//! Resumable: a request that fails (connection dropped, timeout, 5xx) is sent again after an
//! exponential backoff, and every step is driven by what a state machine still misses, so
//! whatever was lost is asked for again. Every request is idempotent on the server (a repeated
//! Hello gets the same Setup, a repeated chunk is ignored), so a response lost after the server
//! did the work costs only the retry.
//!
//! The group operations run on the calling task (trellis-psi spreads them over rayon).

mod requests;

#[cfg(test)]
pub(crate) mod requests_for_tests {
    pub(crate) use super::requests::verify_response as verify;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};
use reqwest::Method;
use trellis_psi::Frame;

use crate::connections::{Connection, derive_secret, parse_token};
use crate::engine::{self, Receiving, Sending};
use crate::frames::{FrameRef, RefKind};
use crate::input::{Outcome, RunStats, SideInput, Stats};
use crate::manifest::{Manifest, Mode, Party, Run, plan};
use crate::server::handlers::{MAX_PULL, Opened, RedeemRequest, RedeemResponse};
use crate::{Clock, Error, Result, b64, hex, unb64};

/// How the client talks to the server.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Elements per chunk of what the client sends.
    pub chunk_size: usize,
    /// Frames per request.
    pub batch: usize,
    /// Tries per request before giving up.
    pub attempts: u32,
    /// The first wait before a retry; it doubles up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Per request.
    pub timeout: Duration,
    /// PEM certificates to trust besides the system's roots (a self-signed server's).
    pub peer_cert_pem: Option<Vec<u8>>,
    /// Allow plain HTTP to a host that is not a loopback address.
    pub insecure_http: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            chunk_size: 4096,
            batch: 8,
            attempts: 8,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            timeout: Duration::from_mins(2),
            peer_cert_pem: None,
            insecure_http: false,
        }
    }
}

/// Where a mapping stands, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub run: Run,
    /// Frames of this run still missing on the receiving side, and at the start.
    pub left: usize,
    pub total: usize,
}

/// A connection to a server, ready to map.
#[derive(Debug)]
pub struct Peer {
    http: reqwest::Client,
    base: reqwest::Url,
    connection: Connection,
    clock: Arc<dyn Clock>,
    config: ClientConfig,
    rng: ChaCha20Rng,
}

/// Redeems a one-time invitation at `url`: the connection to keep (its secret never travels;
/// both sides derive it from the token). Not retried: a token works once.
pub async fn redeem(
    url: &str,
    token: &str,
    config: &ClientConfig,
    clock: &dyn Clock,
    seed: [u8; 32],
) -> Result<Connection> {
    let base = base_url(url)?;
    let http = http_client(&base, config)?;
    let token = parse_token(token)?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    let nonce_text = b64(&nonce);
    let body = serde_json::to_vec(&RedeemRequest {
        token: b64(token.as_ref()),
        nonce: nonce_text.clone(),
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    let url = base
        .join("connections")
        .map_err(|e| Error::Input(e.to_string()))?;
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| Error::Unreachable {
            attempts: 1,
            last: requests::describe(&e),
        })?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(|e| Error::Unreachable {
        attempts: 1,
        last: requests::describe(&e),
    })?;
    if !(200..300).contains(&status) {
        return Err(Error::Refused {
            status,
            detail: requests::detail(&bytes),
        });
    }
    let answer: RedeemResponse = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Malformed(format!("the redemption answer: {e}")))?;
    let server_nonce =
        unb64(&answer.nonce).ok_or_else(|| Error::Malformed("the server's nonce".to_owned()))?;
    let secret = derive_secret(&token, &answer.connection, &nonce, &server_nonce);
    requests::verify_response(
        &secret,
        &nonce_text,
        status,
        &headers,
        &bytes,
        clock.now_ms(),
    )?;
    Ok(Connection {
        id: answer.connection,
        secret,
        created_ms: clock.now_ms(),
        peer_url: Some(base.to_string()),
    })
}

/// The server's base URL, ending in `/` so relative routes join under it.
fn base_url(url: &str) -> Result<reqwest::Url> {
    let mut u = reqwest::Url::parse(url).map_err(|e| Error::Input(format!("{url:?}: {e}")))?;
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

/// An HTTP client for `url`: HTTPS with the system's roots and any pinned certificate; plain
/// HTTP only to a loopback address or when allowed.
fn http_client(url: &reqwest::Url, config: &ClientConfig) -> Result<reqwest::Client> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback || config.insecure_http => {}
        _ => return Err(Error::InsecureUrl(url.to_string())),
    }
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(config.timeout)
        .connect_timeout(Duration::from_secs(10));
    if let Some(pem) = &config.peer_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::Tls(format!("the peer certificate: {e}")))?;
        if certs.is_empty() {
            return Err(Error::Tls(
                "the peer certificate file holds no certificate".to_owned(),
            ));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| Error::Tls(e.to_string()))
}

impl Peer {
    /// A peer from a stored connection (its `peer_url` says where); `seed` seeds the nonces
    /// and the sessions' secrets.
    pub fn new(
        connection: Connection,
        config: ClientConfig,
        clock: Arc<dyn Clock>,
        seed: [u8; 32],
    ) -> Result<Self> {
        let url = connection.peer_url.clone().ok_or_else(|| {
            Error::Input(format!("connection {} has no server URL", connection.id))
        })?;
        let base = base_url(&url)?;
        Ok(Self {
            http: http_client(&base, &config)?,
            base,
            connection,
            clock,
            config,
            rng: ChaCha20Rng::from_seed(seed),
        })
    }

    /// Runs a whole mapping with `input` (our sharing applied) and returns what we learned.
    /// The server learns its own side (see `PsiServer::on_mapped`).
    pub async fn map(
        &mut self,
        input: &SideInput,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Outcome> {
        input.validate()?;
        let ours = Manifest::of(input);
        let mut id = [0u8; 16];
        self.rng.fill_bytes(&mut id);
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        self.rng.fill_bytes(seed.as_mut());
        let session = hex(&id);
        let body = serde_json::to_vec(&ours).map_err(|e| Error::Internal(e.to_string()))?;
        let opened = self
            .call(Method::PUT, &format!("sessions/{session}"), body)
            .await?;
        let theirs = serde_json::from_slice::<Opened>(&opened)
            .map_err(|e| Error::Malformed(format!("the server's manifest: {e}")))?
            .manifest;
        theirs.check_peer()?;
        let mut learned = Vec::new();
        let mut stats = Stats::default();
        for run in plan(&ours, &theirs) {
            let started = Instant::now();
            let mut st = RunStats {
                run,
                bytes_sent: 0,
                bytes_received: 0,
                frames: 0,
                elements: 0,
                wall: Duration::ZERO,
            };
            let path = format!("sessions/{session}/runs/{}", run.index());
            let chunk = self.config.chunk_size;
            let mut driver = Driver {
                peer: self,
                path,
                stats: &mut st,
                progress: &mut *progress,
                run,
            };
            if run.receiver == Party::Initiator {
                let mut r = Receiving::new(run, input, chunk, &seed);
                driver.stats.elements = r.elements();
                driver.receive(&mut r).await?;
                learned.push(r.finish()?);
            } else {
                let mut s = Sending::new(run, input, chunk, &seed);
                driver.stats.elements = s.elements();
                driver.send(&mut s).await?;
            }
            st.wall = started.elapsed();
            stats.runs.push(st);
        }
        self.call(
            Method::POST,
            &format!("sessions/{session}/finish"),
            Vec::new(),
        )
        .await?;
        Ok(engine::outcome(input, &theirs, learned, stats))
    }
}

/// One run, driven from the client.
struct Driver<'a> {
    peer: &'a mut Peer,
    path: String,
    stats: &'a mut RunStats,
    progress: &'a mut (dyn FnMut(Progress) + Send),
    run: Run,
}

/// Rounds in a row in which the peer answered but nothing moved, before giving up.
const STALLED: u32 = 3;

impl Driver<'_> {
    async fn push(&mut self, frames: &[Frame]) -> Result<Vec<Frame>> {
        let body = crate::frames::encode(frames);
        self.stats.bytes_sent += body.len() as u64;
        self.stats.frames += frames.len() as u64;
        let path = format!("{}/frames", self.path);
        let reply = self.peer.call(Method::POST, &path, body).await?;
        self.stats.bytes_received += reply.len() as u64;
        let frames = crate::frames::decode(&reply)?;
        self.stats.frames += frames.len() as u64;
        Ok(frames)
    }

    async fn pull(&mut self, refs: &[FrameRef]) -> Result<Vec<Frame>> {
        let body = serde_json::to_vec(refs).map_err(|e| Error::Internal(e.to_string()))?;
        self.stats.bytes_sent += body.len() as u64;
        let path = format!("{}/pull", self.path);
        let reply = self.peer.call(Method::POST, &path, body).await?;
        self.stats.bytes_received += reply.len() as u64;
        let frames = crate::frames::decode(&reply)?;
        if frames.len() != refs.len() {
            return Err(Error::Malformed(format!(
                "asked for {} frames, got {}",
                refs.len(),
                frames.len()
            )));
        }
        self.stats.frames += frames.len() as u64;
        Ok(frames)
    }

    /// What the server's side of the run still needs.
    async fn server_missing(&mut self) -> Result<Vec<FrameRef>> {
        let path = format!("{}/missing", self.path);
        let reply = self.peer.call(Method::GET, &path, Vec::new()).await?;
        self.stats.bytes_received += reply.len() as u64;
        serde_json::from_slice(&reply)
            .map_err(|e| Error::Malformed(format!("the server's missing list: {e}")))
    }

    fn batch(&self) -> usize {
        self.peer.config.batch.clamp(1, MAX_PULL)
    }

    fn report(&mut self, left: usize, total: usize) {
        (self.progress)(Progress {
            run: self.run,
            left,
            total,
        });
    }

    /// We receive: send Hello and Blinded, take Setup and the sender's chunks until nothing is
    /// missing.
    async fn receive(&mut self, r: &mut Receiving) -> Result<()> {
        let batch = self.batch();
        // Counts mode: the sender tags a population only once it holds all its Blinded chunks.
        let mut delivered = self.run.mode == Mode::Records;
        let (mut stalled, mut last, mut total) = (0, usize::MAX, 0);
        loop {
            let missing = r.missing();
            total = total.max(missing.len());
            self.report(missing.len(), total);
            if missing.is_empty() {
                return Ok(());
            }
            stalled = if missing.len() < last { 0 } else { stalled + 1 };
            last = missing.len();
            if stalled > STALLED {
                return Err(Error::Malformed(
                    "the server does not send the chunks still missing".to_owned(),
                ));
            }
            if missing.iter().any(|m| m.kind == RefKind::Setup) {
                let hello = r.produce(FrameRef::of(RefKind::Hello))?;
                for f in self.push(&[hello]).await? {
                    r.accept(&f)?;
                }
                continue;
            }
            if !delivered {
                self.deliver_blinded(r).await?;
                delivered = true;
            }
            let blinded: Vec<FrameRef> = missing
                .iter()
                .filter(|m| m.kind == RefKind::Evaluated)
                .map(|m| FrameRef::new(RefKind::Blinded, 0, 0, m.chunk))
                .collect();
            for refs in blinded.chunks(batch) {
                let frames = refs
                    .iter()
                    .map(|x| r.produce(*x))
                    .collect::<Result<Vec<_>>>()?;
                for f in self.push(&frames).await? {
                    r.accept(&f)?;
                }
            }
            let published: Vec<FrameRef> = missing
                .into_iter()
                .filter(|m| m.kind != RefKind::Evaluated)
                .collect();
            for refs in published.chunks(batch) {
                for f in self.pull(refs).await? {
                    r.accept(&f)?;
                }
            }
        }
    }

    /// Counts mode: sends Blinded chunks until the server's sender has them all.
    async fn deliver_blinded(&mut self, r: &Receiving) -> Result<()> {
        let batch = self.batch();
        for _ in 0..=STALLED {
            let lacking: Vec<FrameRef> = self
                .server_missing()
                .await?
                .into_iter()
                .filter(|m| m.kind == RefKind::Blinded)
                .collect();
            if lacking.is_empty() {
                return Ok(());
            }
            for refs in lacking.chunks(batch) {
                let frames = refs
                    .iter()
                    .map(|x| r.produce(*x))
                    .collect::<Result<Vec<_>>>()?;
                self.push(&frames).await?;
            }
        }
        Err(Error::Malformed(
            "the server does not take the Blinded chunks".to_owned(),
        ))
    }

    /// We send: take Hello (and Blinded), answer, and publish until the server's receiver
    /// misses nothing.
    async fn send(&mut self, s: &mut Sending) -> Result<()> {
        let batch = self.batch();
        let (mut stalled, mut last, mut total) = (0, usize::MAX, 0);
        loop {
            let lacking = self.server_missing().await?;
            total = total.max(lacking.len());
            self.report(lacking.len(), total);
            if lacking.is_empty() {
                return Ok(());
            }
            stalled = if lacking.len() < last { 0 } else { stalled + 1 };
            last = lacking.len();
            if stalled > STALLED {
                return Err(Error::Malformed(
                    "the server keeps missing chunks it was sent".to_owned(),
                ));
            }
            if lacking.iter().any(|m| m.kind == RefKind::Setup) {
                let hello = self.pull(&[FrameRef::of(RefKind::Hello)]).await?;
                let setup = s
                    .accept(&hello[0])?
                    .ok_or_else(|| Error::Internal("Hello got no Setup".to_owned()))?;
                self.push(&[setup]).await?;
                continue;
            }
            // Counts mode: every Blinded chunk first, or no Tags can be made.
            for _ in 0..=STALLED {
                let need = s.missing();
                if need.is_empty() {
                    break;
                }
                for refs in need.chunks(batch) {
                    for f in self.pull(refs).await? {
                        s.accept(&f)?;
                    }
                }
            }
            let blinded: Vec<FrameRef> = lacking
                .iter()
                .filter(|m| m.kind == RefKind::Evaluated)
                .map(|m| FrameRef::new(RefKind::Blinded, 0, 0, m.chunk))
                .collect();
            for refs in blinded.chunks(batch) {
                let mut evaluated = Vec::with_capacity(refs.len());
                for f in self.pull(refs).await? {
                    evaluated.extend(s.accept(&f)?);
                }
                self.push(&evaluated).await?;
            }
            let published: Vec<FrameRef> = lacking
                .into_iter()
                .filter(|m| m.kind != RefKind::Evaluated)
                .collect();
            for refs in published.chunks(batch) {
                let frames = refs
                    .iter()
                    .map(|x| s.produce(*x))
                    .collect::<Result<Vec<_>>>()?;
                self.push(&frames).await?;
            }
        }
    }
}
