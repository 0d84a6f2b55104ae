//! The server's mapping sessions: per (connection, session id), the state machines of every
//! run, kept in memory while the client comes back within the idle TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::engine::{Receiving, Sending};
use crate::input::{RunStats, SideInput};
use crate::manifest::{Manifest, Run};
use crate::{Error, Result};

/// One run's state machine on the server, which is the responder.
#[derive(Debug)]
pub(crate) enum RunState {
    Sending(Box<Sending>),
    Receiving(Receiving),
}

/// One mapping in progress.
#[derive(Debug)]
pub(crate) struct Session {
    /// The client's manifest, and ours.
    pub(crate) peer: Manifest,
    pub(crate) ours: Manifest,
    pub(crate) input: Arc<SideInput>,
    pub(crate) runs: Vec<(Run, RunState)>,
    pub(crate) stats: Vec<(RunStats, Option<Instant>)>,
    /// Set once the server side finished: the runs it learned from.
    pub(crate) finished: Option<Vec<u8>>,
}

impl Session {
    pub(crate) fn new(
        peer: Manifest,
        ours: Manifest,
        input: Arc<SideInput>,
        runs: Vec<(Run, RunState)>,
    ) -> Self {
        let stats = runs
            .iter()
            .map(|(run, state)| {
                let elements = match state {
                    RunState::Sending(s) => s.elements(),
                    RunState::Receiving(r) => r.elements(),
                };
                let s = RunStats {
                    run: *run,
                    bytes_sent: 0,
                    bytes_received: 0,
                    frames: 0,
                    elements,
                    wall: Duration::ZERO,
                };
                (s, None)
            })
            .collect();
        Self {
            peer,
            ours,
            input,
            runs,
            stats,
            finished: None,
        }
    }

    pub(crate) fn run(&mut self, index: u8) -> Result<&mut RunState> {
        if self.finished.is_some() {
            return Err(Error::SessionGone);
        }
        self.runs
            .iter_mut()
            .find(|(r, _)| r.index() == index)
            .map(|(_, s)| s)
            .ok_or_else(|| Error::Malformed(format!("run {index} is not part of this mapping")))
    }

    /// Counts one request of a run: bytes in (to the server) and out, and frames.
    pub(crate) fn count(&mut self, index: u8, received: usize, sent: usize, frames: usize) {
        if let Some((s, started)) = self.stats.iter_mut().find(|(s, _)| s.run.index() == index) {
            let t0 = *started.get_or_insert_with(Instant::now);
            s.bytes_received += received as u64;
            s.bytes_sent += sent as u64;
            s.frames += frames as u64;
            s.wall = t0.elapsed();
        }
    }
}

struct Entry {
    session: Arc<Mutex<Session>>,
    last_used_ms: i64,
    done: bool,
}

/// Every session, by (connection, session id).
#[derive(Default)]
pub(crate) struct Sessions {
    table: Mutex<HashMap<(String, String), Entry>>,
}

impl Sessions {
    fn table(&self) -> Result<MutexGuard<'_, HashMap<(String, String), Entry>>> {
        self.table
            .lock()
            .map_err(|_| Error::Internal("the session table's lock is poisoned".to_owned()))
    }

    fn sweep(table: &mut HashMap<(String, String), Entry>, now_ms: i64, ttl: Duration) {
        let ttl = crate::clock::ms(ttl);
        table.retain(|_, e| now_ms.saturating_sub(e.last_used_ms) < ttl);
    }

    /// The session, if it is there and has not idled out; touching it keeps it.
    pub(crate) fn get(
        &self,
        connection: &str,
        id: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<Arc<Mutex<Session>>> {
        let mut t = self.table()?;
        Self::sweep(&mut t, now_ms, ttl);
        let e = t
            .get_mut(&(connection.to_owned(), id.to_owned()))
            .ok_or(Error::SessionGone)?;
        e.last_used_ms = now_ms;
        Ok(e.session.clone())
    }

    /// Room for one more unfinished session?
    pub(crate) fn has_room(&self, now_ms: i64, ttl: Duration, max: usize) -> Result<bool> {
        let mut t = self.table()?;
        Self::sweep(&mut t, now_ms, ttl);
        Ok(t.values().filter(|e| !e.done).count() < max)
    }

    /// Keeps a new session unless one with this id appeared meanwhile (that one is returned).
    pub(crate) fn insert(
        &self,
        connection: &str,
        id: &str,
        session: Session,
        now_ms: i64,
        max: usize,
    ) -> Result<Arc<Mutex<Session>>> {
        let mut t = self.table()?;
        let key = (connection.to_owned(), id.to_owned());
        if let Some(e) = t.get(&key) {
            return Ok(e.session.clone());
        }
        if t.values().filter(|e| !e.done).count() >= max {
            return Err(Error::Busy);
        }
        let session = Arc::new(Mutex::new(session));
        t.insert(
            key,
            Entry {
                session: session.clone(),
                last_used_ms: now_ms,
                done: false,
            },
        );
        Ok(session)
    }

    /// A finished session no longer counts against the limit.
    pub(crate) fn mark_done(&self, connection: &str, id: &str) -> Result<()> {
        if let Some(e) = self
            .table()?
            .get_mut(&(connection.to_owned(), id.to_owned()))
        {
            e.done = true;
        }
        Ok(())
    }
}

pub(crate) fn lock(s: &Mutex<Session>) -> Result<MutexGuard<'_, Session>> {
    s.lock()
        .map_err(|_| Error::Internal("a session's lock is poisoned".to_owned()))
}
