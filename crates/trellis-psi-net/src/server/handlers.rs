//! The handlers and the signing middleware. The PSI work (group operations) runs on blocking
//! threads, a session's lock held only there.

use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::sessions::{RunState, Session, lock};
use super::{Mapped, Problem, PsiServer};
use crate::auth;
use crate::connections::{Connection, Secret, derive_secret, parse_token, token_hash};
use crate::engine::{self, Receiving, Sending};
use crate::frames::{self, FrameRef};
use crate::manifest::{Manifest, Party, plan};
use crate::{Error, Result, b64, unb64};

/// Most frames one pull may ask for.
pub(crate) const MAX_PULL: usize = 64;

/// The connection a verified request came from.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    id: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RedeemRequest {
    pub(crate) token: String,
    /// base64url, 16 to 64 random bytes.
    pub(crate) nonce: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RedeemResponse {
    pub(crate) connection: String,
    pub(crate) nonce: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Opened {
    pub(crate) manifest: Manifest,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Finished {
    /// The runs the server learned from.
    pub(crate) runs: Vec<u8>,
}

/// `POST /connections`: redeems a one-time invitation. The answer is signed with the new
/// secret, which the client derives from the same token: it proves the server knew the token.
pub(crate) async fn redeem(
    State(server): State<Arc<PsiServer>>,
    body: Bytes,
) -> Result<Response, Problem> {
    let req: RedeemRequest = serde_json::from_slice(&body)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("bad request: {e}")))?;
    let client_nonce = unb64(&req.nonce)
        .filter(|n| (16..=64).contains(&n.len()))
        .ok_or_else(|| Problem::new(StatusCode::BAD_REQUEST, "the nonce is not 16 to 64 bytes"))?;
    let token = parse_token(&req.token)?;
    let server_nonce: [u8; 16] = server.random()?;
    let id = crate::hex(&server.random::<12>()?);
    let secret = derive_secret(&token, &id, &client_nonce, &server_nonce);
    let now = server.clock.now_ms();
    let connection = Connection {
        id: id.clone(),
        secret: secret.clone(),
        created_ms: now,
        peer_url: None,
    };
    server
        .store
        .redeem(token_hash(&token), now, connection)
        .await?;
    tracing::info!(connection = %id, "PSI: an invitation was redeemed");
    let body = serde_json::to_vec(&RedeemResponse {
        connection: id,
        nonce: b64(&server_nonce),
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    let mut response = json(body.clone());
    sign(response.headers_mut(), &secret, &req.nonce, 200, now, &body);
    Ok(response)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<&'a str, Problem> {
    h.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            format!("the request is not signed (no {name} header)"),
        )
    })
}

fn sign(h: &mut HeaderMap, secret: &Secret, nonce: &str, status: u16, now: i64, body: &[u8]) {
    let sig = auth::sign(secret, &auth::response_input(nonce, status, now, body));
    for (name, value) in [(auth::TIMESTAMP, now.to_string()), (auth::SIGNATURE, sig)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
}

/// Verifies a request's signature, timestamp and nonce before the handler runs, and signs its
/// response. A request that fails changes nothing (not even the nonces seen).
pub(crate) async fn authenticate(
    State(server): State<Arc<PsiServer>>,
    request: Request,
    next: Next,
) -> Result<Response, Problem> {
    let (mut parts, body) = request.into_parts();
    let id = header(&parts.headers, auth::CONNECTION)?.to_owned();
    let nonce = header(&parts.headers, auth::NONCE)?.to_owned();
    let signature = header(&parts.headers, auth::SIGNATURE)?.to_owned();
    let timestamp: i64 = header(&parts.headers, auth::TIMESTAMP)?
        .parse()
        .map_err(|_| Problem::new(StatusCode::UNAUTHORIZED, "the timestamp is not a number"))?;
    let unauthorized = |m: &str| Problem::new(StatusCode::UNAUTHORIZED, m);
    let connection = server
        .store
        .connection(&id)
        .await?
        .ok_or_else(|| unauthorized("unknown connection"))?;
    let body = axum::body::to_bytes(body, server.config.max_body)
        .await
        .map_err(|_| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large"))?;
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let input = auth::request_input(parts.method.as_str(), path, &id, timestamp, &nonce, &body);
    if !auth::verify(&connection.secret, &input, &signature) {
        tracing::warn!(connection = %id, "PSI: a request with a bad signature was refused");
        return Err(unauthorized("bad signature"));
    }
    let now = server.clock.now_ms();
    if !auth::fresh(timestamp, now) {
        return Err(unauthorized(
            "the request's timestamp is more than 5 minutes from the server's clock",
        ));
    }
    server
        .replay
        .lock()
        .map_err(|_| Error::Internal("the replay lock is poisoned".to_owned()))?
        .check(&id, &nonce, now)?;
    parts.extensions.insert(Authed { id });
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (mut parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let now = server.clock.now_ms();
    sign(
        &mut parts.headers,
        &connection.secret,
        &nonce,
        parts.status.as_u16(),
        now,
        &body,
    );
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn json(body: Vec<u8>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn octets(body: Vec<u8>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        body,
    )
        .into_response()
}

fn to_json<T: Serialize>(v: &T) -> Result<Response, Problem> {
    Ok(json(
        serde_json::to_vec(v).map_err(|e| Error::Internal(e.to_string()))?,
    ))
}

fn check_session_id(id: &str) -> Result<(), Problem> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "a session id is 32 hex digits",
        ))
    }
}

/// Runs PSI work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T, Problem> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(e.to_string()))??)
}

impl PsiServer {
    fn session(&self, authed: &Authed, id: &str) -> Result<Arc<std::sync::Mutex<Session>>> {
        self.sessions
            .get(&authed.id, id, self.clock.now_ms(), self.config.session_ttl)
    }
}

/// `PUT /sessions/{session}`: the client's manifest in, ours out; builds our state machines.
/// Idempotent: the same request again gets the same answer.
pub(crate) async fn open(
    State(server): State<Arc<PsiServer>>,
    Extension(authed): Extension<Authed>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    check_session_id(&id)?;
    let peer: Manifest = serde_json::from_slice(&body)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("bad manifest: {e}")))?;
    if let Ok(existing) = server.session(&authed, &id) {
        let s = lock(&existing)?;
        if s.peer != peer {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "this session id belongs to another mapping",
            ));
        }
        return to_json(&Opened {
            manifest: s.ours.clone(),
        });
    }
    peer.check_peer()?;
    let (now, ttl, max) = (
        server.clock.now_ms(),
        server.config.session_ttl,
        server.config.max_sessions,
    );
    if !server.sessions.has_room(now, ttl, max)? {
        return Err(Error::Busy.into());
    }
    let connection = server
        .store
        .connection(&authed.id)
        .await?
        .ok_or(Error::UnknownConnection(authed.id.clone()))?;
    let input = server.inputs.input(&connection).await?;
    input.validate()?;
    let ours = Manifest::of(&input);
    let seed: [u8; 32] = server.random()?;
    let chunk = server.config.chunk_size;
    let runs = plan(&peer, &ours);
    let (peer2, ours2) = (peer.clone(), ours.clone());
    let session = blocking(move || {
        let states = runs
            .into_iter()
            .map(|run| {
                let state = if run.receiver == Party::Responder {
                    RunState::Receiving(Receiving::new(run, &input, chunk, &seed))
                } else {
                    RunState::Sending(Box::new(Sending::new(run, &input, chunk, &seed)))
                };
                (run, state)
            })
            .collect();
        Ok(Session::new(peer2, ours2, input, states))
    })
    .await?;
    server.sessions.insert(&authed.id, &id, session, now, max)?;
    tracing::info!(connection = %authed.id, session = %id, "PSI: a mapping started");
    to_json(&Opened { manifest: ours })
}

fn run_index(run: &str) -> Result<u8, Problem> {
    run.parse::<u8>()
        .ok()
        .filter(|r| *r < 4)
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "no such run"))
}

/// `GET …/runs/{run}/missing`: what the server's side of the run still needs.
pub(crate) async fn missing(
    State(server): State<Arc<PsiServer>>,
    Extension(authed): Extension<Authed>,
    Path((id, run)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let run = run_index(&run)?;
    let session = server.session(&authed, &id)?;
    let refs = blocking(move || {
        let mut s = lock(&session)?;
        Ok(match s.run(run)? {
            RunState::Sending(x) => x.missing(),
            RunState::Receiving(x) => x.missing(),
        })
    })
    .await?;
    to_json(&refs)
}

/// `POST …/runs/{run}/frames`: frames for the server's side of the run; the answer holds its
/// replies (Setup to Hello, Evaluated to Blinded in record mode).
pub(crate) async fn frames(
    State(server): State<Arc<PsiServer>>,
    Extension(authed): Extension<Authed>,
    Path((id, run)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Problem> {
    let run = run_index(&run)?;
    let session = server.session(&authed, &id)?;
    let reply = blocking(move || {
        let frames = frames::decode(&body)?;
        let mut s = lock(&session)?;
        let mut out = Vec::new();
        match s.run(run)? {
            RunState::Sending(x) => {
                for f in &frames {
                    out.extend(x.accept(f)?);
                }
            }
            RunState::Receiving(x) => {
                for f in &frames {
                    x.accept(f)?;
                }
            }
        }
        let reply = frames::encode(&out);
        s.count(run, body.len(), reply.len(), frames.len() + out.len());
        Ok(reply)
    })
    .await?;
    Ok(octets(reply))
}

/// `POST …/runs/{run}/pull`: the chunks named in the body (a JSON list), in that order.
pub(crate) async fn pull(
    State(server): State<Arc<PsiServer>>,
    Extension(authed): Extension<Authed>,
    Path((id, run)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Problem> {
    let run = run_index(&run)?;
    let refs: Vec<FrameRef> = serde_json::from_slice(&body)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("bad list of frames: {e}")))?;
    if refs.len() > MAX_PULL {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_PULL} frames per pull"),
        ));
    }
    let session = server.session(&authed, &id)?;
    let reply = blocking(move || {
        let mut s = lock(&session)?;
        let frames = match s.run(run)? {
            RunState::Sending(x) => refs
                .iter()
                .map(|r| x.produce(*r))
                .collect::<Result<Vec<_>>>(),
            RunState::Receiving(x) => refs.iter().map(|r| x.produce(*r)).collect(),
        }?;
        let reply = frames::encode(&frames);
        s.count(run, body.len(), reply.len(), frames.len());
        Ok(reply)
    })
    .await?;
    Ok(octets(reply))
}

/// `POST /sessions/{session}/finish`: the server's side learns its outcome (handed to
/// `on_mapped`) and drops its state machines. Idempotent.
pub(crate) async fn finish(
    State(server): State<Arc<PsiServer>>,
    Extension(authed): Extension<Authed>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let session = server.session(&authed, &id)?;
    let (connection, sid) = (authed.id.clone(), id.clone());
    let mapped = blocking(move || {
        let mut s = lock(&session)?;
        if let Some(runs) = &s.finished {
            return Ok((runs.clone(), None));
        }
        let mut learned = Vec::new();
        let mut runs = Vec::new();
        for (run, state) in &s.runs {
            if let RunState::Receiving(r) = state {
                learned.push(r.finish()?);
                runs.push(run.index());
            }
        }
        let stats = crate::input::Stats {
            runs: s.stats.iter().map(|(r, _)| r.clone()).collect(),
        };
        let outcome = engine::outcome(&s.input, &s.peer, learned, stats);
        s.runs.clear();
        s.finished = Some(runs.clone());
        Ok((
            runs,
            Some(Mapped {
                connection,
                session: sid,
                input: s.input.clone(),
                outcome,
            }),
        ))
    })
    .await?;
    let (runs, mapped) = mapped;
    server.sessions.mark_done(&authed.id, &id)?;
    if let Some(m) = mapped {
        tracing::info!(
            connection = %m.connection,
            session = %m.session,
            overlaps = m.outcome.overlaps.len(),
            cells = m.outcome.matrix.len(),
            "PSI: a mapping finished"
        );
        if let Some(f) = &server.on_mapped {
            f(m).await;
        }
    }
    to_json(&Finished { runs })
}
