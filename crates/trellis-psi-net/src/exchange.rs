//! The same mapping without a network: three `.tpsi` files an operator carries.
//!
//! 1. `request` (initiator A): A's manifest, and for each run in which A may receive, its Hello
//!    and every Blinded chunk (no cache, so record mode can blind before Setup).
//! 2. `respond` (responder B): B's manifest; for A's runs that B shares, Setup, Evaluated and
//!    the published chunks; for the runs in which B receives, B's Hello and Blinded chunks.
//! 3. `finish` at A: A learns its outcome and, if B receives, writes the reply: Setup,
//!    Evaluated and published chunks for B's runs. `finish` at B reads the reply: B learns.
//!
//! Each side keeps a [`State`] between its steps: the seed its state machines are rebuilt from
//! (they regenerate the same session ids and blinds), a digest of its input (a changed input is
//! refused), and the manifests. The caller stores it (0600; see [`State::save`]).
//!
//! ```text
//! file   := "TPSIFILE" version(1)=1 step(1) header_len(4) header(JSON) record* 0xFF sha256(32)
//! record := run(1) frame            (a trellis-psi frame: its header gives its length)
//! ```
//! The trailing SHA-256 covers every byte before it, so a truncated or damaged file is refused.
//! Files are not authenticated: the operators carrying them are the channel.

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use trellis_psi::Frame;
use trellis_psi::wire::HEADER_LEN;
use zeroize::{Zeroize as _, Zeroizing};

use crate::engine::{self, Receiving, Sending};
use crate::input::{Outcome, RunStats, SideInput, Stats};
use crate::manifest::{Manifest, Party, Run, plan};
use crate::{Error, Result, b64, hex, unb64};

const MAGIC: &[u8; 8] = b"TPSIFILE";
const VERSION: u8 = 1;
const END: u8 = 0xFF;
const MAX_HEADER: usize = 1 << 20;

/// Which file of the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Request = 1,
    Response = 2,
    Reply = 3,
}

impl Step {
    fn name(n: u8) -> &'static str {
        match n {
            1 => "a request (step 1)",
            2 => "a response (step 2)",
            3 => "a reply (step 3)",
            _ => "of an unknown step",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    exchange: String,
    manifest: Option<Manifest>,
}

/// What a side keeps between its steps. The seed is secret: store the state 0600.
#[derive(Serialize, Deserialize)]
pub struct State {
    /// Initiator: wrote the request, next reads the response. Responder: wrote the response,
    /// next reads the reply.
    pub role: Party,
    pub exchange: String,
    seed: String,
    input_digest: String,
    chunk_size: usize,
    ours: Manifest,
    theirs: Option<Manifest>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("role", &self.role)
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

impl State {
    fn seed(&self) -> Result<Zeroizing<[u8; 32]>> {
        let v = Zeroizing::new(
            unb64(&self.seed).ok_or_else(|| Error::Exchange("the state is damaged".to_owned()))?,
        );
        Ok(Zeroizing::new(<[u8; 32]>::try_from(v.as_slice()).map_err(
            |_| Error::Exchange("the state is damaged".to_owned()),
        )?))
    }

    /// Writes the state readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?,
        );
        crate::connections::write_private(path, &json)
    }

    pub fn load(path: &Path) -> Result<Self> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?);
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Exchange(format!("{}: not a state file: {e}", path.display())))
    }
}

/// What the responder did.
#[derive(Debug)]
pub struct Responded {
    /// Kept for `finish` when the responder receives in some run; `None` when it learns nothing.
    pub state: Option<State>,
    pub runs: Vec<Run>,
}

/// What `finish` gave.
#[derive(Debug)]
pub struct Finished {
    pub outcome: Outcome,
    /// The runs answered in the reply (the initiator's `finish` only); none: no reply to send.
    pub reply_runs: Vec<Run>,
}

/// Step 1, at the initiator: writes the request and returns the state to keep.
pub fn request(
    input: &SideInput,
    chunk_size: usize,
    seed: [u8; 32],
    out: &mut dyn Write,
) -> Result<State> {
    input.validate()?;
    let seed = Zeroizing::new(seed);
    let exchange =
        hex(&Sha256::digest([b"exchange id".as_slice(), seed.as_slice()].concat())[..16]);
    let ours = Manifest::of(input);
    let mut w = Writer::start(
        out,
        Step::Request,
        &Header {
            exchange: exchange.clone(),
            manifest: Some(ours.clone()),
        },
    )?;
    for run in Run::ALL
        .into_iter()
        .filter(|r| r.receiver == Party::Initiator)
    {
        w.receiver_opening(run, &Receiving::new(run, input, chunk_size, &seed))?;
    }
    w.end()?;
    Ok(State {
        role: Party::Initiator,
        exchange,
        seed: b64(seed.as_slice()),
        input_digest: hex(&input.digest()),
        chunk_size,
        ours,
        theirs: None,
    })
}

/// Step 2, at the responder: reads the request, writes the response.
pub fn respond(
    input: &SideInput,
    request: &mut dyn Read,
    chunk_size: usize,
    seed: [u8; 32],
    out: &mut dyn Write,
) -> Result<Responded> {
    input.validate()?;
    let seed = Zeroizing::new(seed);
    let mut r = Reader::new(request);
    let header = r.header(Step::Request)?;
    let theirs = header
        .manifest
        .ok_or_else(|| Error::Exchange("the request has no manifest".to_owned()))?;
    theirs.check_peer()?;
    let ours = Manifest::of(input);
    let runs = plan(&theirs, &ours);
    let mut w = Writer::start(
        out,
        Step::Response,
        &Header {
            exchange: header.exchange.clone(),
            manifest: Some(ours.clone()),
        },
    )?;
    let mut senders: Vec<(Run, Sending)> = runs
        .iter()
        .filter(|r| r.receiver == Party::Initiator)
        .map(|&run| (run, Sending::new(run, input, chunk_size, &seed)))
        .collect();
    while let Some((run, frame)) = r.next()? {
        // Frames of a run we share nothing for are left unanswered.
        if let Some((_, s)) = senders.iter_mut().find(|(r, _)| *r == run)
            && let Some(reply) = s.accept(&frame)?
        {
            w.frame(run, &reply)?;
        }
    }
    for (run, s) in &senders {
        for f in s.published()? {
            w.frame(*run, &s.produce(f)?)?;
        }
    }
    let receiving: Vec<Run> = runs
        .iter()
        .copied()
        .filter(|r| r.receiver == Party::Responder)
        .collect();
    for &run in &receiving {
        w.receiver_opening(run, &Receiving::new(run, input, chunk_size, &seed))?;
    }
    w.end()?;
    let state = (!receiving.is_empty()).then(|| State {
        role: Party::Responder,
        exchange: header.exchange,
        seed: b64(seed.as_slice()),
        input_digest: hex(&input.digest()),
        chunk_size,
        ours,
        theirs: Some(theirs),
    });
    Ok(Responded { state, runs })
}

/// Step 3 at the initiator (reads the response, writes the reply to `reply` if the responder
/// receives) or step 4 at the responder (reads the reply): this side's outcome.
pub fn finish(
    input: &SideInput,
    state: &State,
    file: &mut dyn Read,
    reply: &mut dyn Write,
) -> Result<Finished> {
    if hex(&input.digest()) != state.input_digest {
        return Err(Error::Exchange(
            "the accounts or the sharing changed since this side's last step; \
             start the exchange again"
                .to_owned(),
        ));
    }
    let seed = state.seed()?;
    let me = state.role;
    let mut r = Reader::new(file);
    let header = r.header(if me == Party::Initiator {
        Step::Response
    } else {
        Step::Reply
    })?;
    if header.exchange != state.exchange {
        return Err(Error::Exchange(format!(
            "this file belongs to exchange {}, not to this side's exchange {}",
            header.exchange, state.exchange
        )));
    }
    let theirs = match (me, header.manifest, &state.theirs) {
        (Party::Initiator, Some(m), _) => m,
        (Party::Responder, _, Some(m)) => m.clone(),
        _ => return Err(Error::Exchange("the file has no manifest".to_owned())),
    };
    theirs.check_peer()?;
    let runs = match me {
        Party::Initiator => plan(&state.ours, &theirs),
        Party::Responder => plan(&theirs, &state.ours),
    };
    let mut receivers: Vec<(Run, Receiving, RunStats)> = runs
        .iter()
        .filter(|r| r.receiver == me)
        .map(|&run| {
            let rec = Receiving::new(run, input, state.chunk_size, &seed);
            let cost = run_stats(run, rec.elements());
            (run, rec, cost)
        })
        .collect();
    // The initiator answers the responder's runs in its reply; the responder answered the
    // initiator's runs in its response already.
    let mut senders: Vec<(Run, Sending)> = runs
        .iter()
        .filter(|r| me == Party::Initiator && r.receiver == Party::Responder)
        .map(|&run| (run, Sending::new(run, input, state.chunk_size, &seed)))
        .collect();
    let mut w = if senders.is_empty() {
        None
    } else {
        Some(Writer::start(
            reply,
            Step::Reply,
            &Header {
                exchange: state.exchange.clone(),
                manifest: None,
            },
        )?)
    };
    while let Some((run, frame)) = r.next()? {
        if let Some((_, rec, st)) = receivers.iter_mut().find(|(r, _, _)| *r == run) {
            st.bytes_received += frame.wire_len() as u64;
            st.frames += 1;
            rec.accept(&frame)?;
        } else if let (Some((_, s)), Some(w)) =
            (senders.iter_mut().find(|(r, _)| *r == run), w.as_mut())
            && let Some(answer) = s.accept(&frame)?
        {
            w.frame(run, &answer)?;
        }
    }
    if let Some(w) = w.as_mut() {
        for (run, s) in &senders {
            for f in s.published()? {
                w.frame(*run, &s.produce(f)?)?;
            }
        }
    }
    if let Some(w) = w {
        w.end()?;
    }
    let mut learned = Vec::new();
    let mut costs = Stats::default();
    for (_, rec, cost) in receivers {
        learned.push(rec.finish()?);
        costs.runs.push(cost);
    }
    Ok(Finished {
        outcome: engine::outcome(input, &theirs, learned, costs),
        reply_runs: senders.iter().map(|(r, _)| *r).collect(),
    })
}

fn run_stats(run: Run, elements: u64) -> RunStats {
    RunStats {
        run,
        bytes_sent: 0,
        bytes_received: 0,
        frames: 0,
        elements,
        wall: std::time::Duration::ZERO,
    }
}

fn io(e: &std::io::Error) -> Error {
    Error::Exchange(format!("cannot write the file: {e}"))
}

/// Writes a file, hashing as it goes.
struct Writer<'a> {
    out: &'a mut dyn Write,
    hash: Sha256,
}

impl<'a> Writer<'a> {
    fn start(out: &'a mut dyn Write, step: Step, header: &Header) -> Result<Self> {
        let json = serde_json::to_vec(header).map_err(|e| Error::Internal(e.to_string()))?;
        let mut w = Self {
            out,
            hash: Sha256::new(),
        };
        w.put(MAGIC)?;
        w.put(&[VERSION, step as u8])?;
        w.put(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_be_bytes())?;
        w.put(&json)?;
        Ok(w)
    }

    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.hash.update(b);
        self.out.write_all(b).map_err(|e| io(&e))
    }

    fn frame(&mut self, run: Run, f: &Frame) -> Result<()> {
        self.put(&[run.index()])?;
        self.put(&f.encode())
    }

    /// A receiver's opening: Hello and every Blinded chunk.
    fn receiver_opening(&mut self, run: Run, r: &Receiving) -> Result<()> {
        self.frame(
            run,
            &r.produce(crate::frames::FrameRef::of(crate::frames::RefKind::Hello))?,
        )?;
        for b in r.blinded_refs()? {
            self.frame(run, &r.produce(b)?)?;
        }
        Ok(())
    }

    fn end(mut self) -> Result<()> {
        self.put(&[END])?;
        let digest = self.hash.finalize();
        self.out.write_all(&digest).map_err(|e| io(&e))?;
        self.out.flush().map_err(|e| io(&e))
    }
}

/// Reads a file, hashing as it goes.
struct Reader<'a> {
    inp: &'a mut dyn Read,
    hash: Sha256,
}

impl<'a> Reader<'a> {
    fn new(inp: &'a mut dyn Read) -> Self {
        Self {
            inp,
            hash: Sha256::new(),
        }
    }

    fn take(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        self.inp.read_exact(&mut b).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::Exchange("the file is cut short".to_owned())
            } else {
                Error::Exchange(format!("cannot read the file: {e}"))
            }
        })?;
        self.hash.update(&b);
        Ok(b)
    }

    fn header(&mut self, want: Step) -> Result<Header> {
        if self.take(8)? != MAGIC {
            return Err(Error::Exchange(
                "this is not a .tpsi exchange file".to_owned(),
            ));
        }
        let v = self.take(2)?;
        if v[0] != VERSION {
            return Err(Error::Exchange(format!(
                "the file is of format version {}; this side reads version {VERSION}",
                v[0]
            )));
        }
        if v[1] != want as u8 {
            return Err(Error::Exchange(format!(
                "this file is {}; expected {}",
                Step::name(v[1]),
                Step::name(want as u8)
            )));
        }
        let n = self.take(4)?;
        let n = u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize;
        if n > MAX_HEADER {
            return Err(Error::Exchange("the file's header is too large".to_owned()));
        }
        serde_json::from_slice(&self.take(n)?)
            .map_err(|e| Error::Exchange(format!("the file's header: {e}")))
    }

    /// The next (run, frame), or `None` at the end once the checksum is right.
    fn next(&mut self) -> Result<Option<(Run, Frame)>> {
        let tag = self.take(1)?[0];
        if tag == END {
            let want = self.hash.clone().finalize();
            let mut got = [0u8; 32];
            self.inp
                .read_exact(&mut got)
                .map_err(|_| Error::Exchange("the file is cut short".to_owned()))?;
            if got.as_slice() != want.as_slice() {
                return Err(Error::Exchange(
                    "the file is damaged (its checksum does not match)".to_owned(),
                ));
            }
            return Ok(None);
        }
        let run = Run::from_index(tag).ok_or_else(|| {
            Error::Exchange(format!("the file names run {tag}, which is unknown"))
        })?;
        let mut bytes = self.take(HEADER_LEN)?;
        let len = crate::frames::frame_len(&bytes)?;
        bytes.extend(self.take(len - HEADER_LEN)?);
        Ok(Some((run, Frame::decode(&bytes)?)))
    }
}
