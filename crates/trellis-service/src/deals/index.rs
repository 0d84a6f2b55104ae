//! The conflict index: every live vendor account and every active registration, prepared for
//! matching and held in memory, so a conflict check is a lookup in the matching engine's
//! blocked index (microseconds), not a scan of the CRM.
//!
//! Freshness: every change to an account or a registration appends an event (imports
//! included), so the index follows the event log. Before each check it reads the events after
//! the last one it applied (usually none: one indexed query) and re-reads only the objects
//! they name. Event sequence numbers are commit-ordered on both engines (see
//! `trellis_store::platform::events::append_many`), so following them misses nothing. Far
//! behind (a bulk import elsewhere), or with many removed entries, it rebuilds instead.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use tokio::sync::Mutex;
use trellis_match::{Company, Config, Index, Prepared, Reason, Scratch};
use trellis_store::crm::accounts as account_store;
use trellis_store::deals::registrations as registration_store;
use trellis_store::platform::events;
use trellis_store::{Db, Exec};
use uuid::Uuid;

use crate::Result;

/// Events read per catch-up query.
const CATCH_UP_PAGE: usize = 5_000;

/// Beyond this many events behind, rebuilding is cheaper than replaying.
const REBUILD_BEHIND: usize = 50_000;

/// What an index entry stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A vendor account.
    Account(Uuid),
    /// An active registration of a partner.
    Registration {
        /// The registration.
        id: Uuid,
        /// Its partner.
        org_id: Uuid,
    },
}

impl Subject {
    /// The account's or registration's id.
    pub(crate) fn id(self) -> Uuid {
        match self {
            Subject::Account(id) | Subject::Registration { id, .. } => id,
        }
    }
}

/// One match: the subject, its score and the reason.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub(crate) subject: Subject,
    pub(crate) score: f64,
    pub(crate) reason: Reason,
}

#[derive(Debug)]
struct State {
    index: Index<Subject>,
    slots: HashMap<Uuid, usize>,
    /// The last event applied.
    seq: i64,
    /// Entries removed (their slots stay allocated until a rebuild).
    removed: usize,
}

/// The shared index (one per process).
#[derive(Debug, Default)]
pub(crate) struct ConflictIndex {
    state: RwLock<Option<State>>,
    /// Held while catching up, so concurrent checks after a change read the events once.
    refreshing: Mutex<()>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl ConflictIndex {
    /// Brings the index up to the newest committed change.
    pub(crate) async fn refresh(&self, db: &Db) -> Result<()> {
        let _one_at_a_time = self.refreshing.lock().await;
        let seq = self.read(|s| s.map(|s| s.seq));
        let mut c = db.read().await?;
        let Some(mut seq) = seq else {
            let state = build(&mut c.exec()).await?;
            *self.write() = Some(state);
            return Ok(());
        };
        let mut accounts = HashSet::new();
        let mut registrations = HashSet::new();
        loop {
            let page = events::objects_after(
                &mut c.exec(),
                seq,
                &["account", "deal_registration"],
                CATCH_UP_PAGE,
            )
            .await?;
            let Some(last) = page.last() else { break };
            seq = last.0;
            for (_, kind, id) in &page {
                let Ok(id) = id.parse::<Uuid>() else { continue };
                if kind == "account" {
                    accounts.insert(id);
                } else {
                    registrations.insert(id);
                }
            }
            if accounts.len() + registrations.len() > REBUILD_BEHIND {
                let state = build(&mut c.exec()).await?;
                *self.write() = Some(state);
                return Ok(());
            }
            if page.len() < CATCH_UP_PAGE {
                break;
            }
        }
        if accounts.is_empty() && registrations.is_empty() {
            if let Some(s) = self.write().as_mut() {
                s.seq = seq;
            }
            return Ok(());
        }
        let accounts: Vec<Uuid> = accounts.into_iter().collect();
        let registrations: Vec<Uuid> = registrations.into_iter().collect();
        let mut changed = Vec::with_capacity(accounts.len() + registrations.len());
        for chunk in accounts.chunks(500) {
            for a in account_store::for_matching(&mut c.exec(), chunk).await? {
                let live = !a.archived;
                changed.push((a.id, live.then(|| account_entry(&a))));
            }
        }
        for chunk in registrations.chunks(500) {
            for r in registration_store::for_matching(&mut c.exec(), chunk).await? {
                let live = r.status == "pending" || r.status == "approved";
                changed.push((r.id, live.then(|| registration_entry(&r))));
            }
        }
        drop(c);
        let mut guard = self.write();
        let Some(state) = guard.as_mut() else {
            return Ok(());
        };
        for (id, entry) in changed {
            if let Some(slot) = state.slots.remove(&id) {
                state.index.remove(slot);
                state.removed += 1;
            }
            if let Some((subject, prepared)) = entry {
                let slot = state.index.insert(subject, prepared);
                state.slots.insert(id, slot);
            }
        }
        state.seq = seq;
        if state.removed > state.index.len().max(10_000) {
            // Removed entries still cost memory and lookups; start afresh next time.
            *guard = None;
        }
        Ok(())
    }

    /// Every subject scoring at least `threshold` against the probe, best first. Call
    /// [`refresh`](Self::refresh) first.
    pub(crate) fn hits(&self, probe: &Prepared, threshold: f64) -> Vec<Hit> {
        self.read(|state| {
            let Some(state) = state else {
                return Vec::new();
            };
            SCRATCH.with_borrow_mut(|scratch| {
                state
                    .index
                    .candidates(probe, scratch)
                    .into_iter()
                    .take_while(|c| c.score >= threshold)
                    .map(|c| Hit {
                        subject: *c.id,
                        score: c.score,
                        reason: c.reason,
                    })
                    .collect()
            })
        })
    }

    /// Entries in the index (accounts and registrations).
    pub(crate) fn len(&self) -> usize {
        self.read(|s| s.map_or(0, |s| s.index.len()))
    }

    fn read<T>(&self, f: impl FnOnce(Option<&State>) -> T) -> T {
        // A panic while holding the lock leaves a consistent index (writes are whole entries),
        // so a poisoned lock is still usable.
        let guard = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(guard.as_ref())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<State>> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Reads everything. The sequence number is read first: an event committed while the rows
/// are read is replayed on the next refresh, which is harmless (entries are replaced whole).
async fn build(ex: &mut Exec<'_>) -> Result<State> {
    let seq = events::last_seq(ex).await?;
    let accounts = account_store::live_for_matching(ex).await?;
    let registrations = registration_store::active_for_matching(ex).await?;
    // Normalising a few hundred thousand names is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || assemble(seq, &accounts, &registrations))
        .await
        .map_err(|e| crate::Error::Internal(anyhow::anyhow!("building the conflict index: {e}")))
}

fn assemble(
    seq: i64,
    accounts: &[account_store::MatchRow],
    registrations: &[registration_store::MatchRow],
) -> State {
    use rayon::prelude::*;
    let mut entries: Vec<(Subject, Prepared)> = accounts.par_iter().map(account_entry).collect();
    entries.par_extend(registrations.par_iter().map(registration_entry));
    let mut index = Index::new(Config::default());
    let mut slots = HashMap::with_capacity(entries.len());
    for (subject, prepared) in entries {
        let id = subject.id();
        slots.insert(id, index.insert(subject, prepared));
    }
    State {
        index,
        slots,
        seq,
        removed: 0,
    }
}

fn account_entry(a: &account_store::MatchRow) -> (Subject, Prepared) {
    let company = Company {
        name: a.name.clone(),
        website: Some(a.website.clone()).filter(|w| !w.is_empty()),
        email: None,
        country: Some(a.country.clone()).filter(|c| !c.is_empty()),
    };
    (Subject::Account(a.id), Prepared::new(&company))
}

fn registration_entry(r: &registration_store::MatchRow) -> (Subject, Prepared) {
    let company = Company {
        name: r.company_name.clone(),
        website: Some(r.domain.clone()).filter(|d| !d.is_empty()),
        email: None,
        country: Some(r.country.clone()).filter(|c| !c.is_empty()),
    };
    (
        Subject::Registration {
            id: r.id,
            org_id: r.org_id,
        },
        Prepared::new(&company),
    )
}
