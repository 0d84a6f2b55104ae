//! The directory's in-memory index. Faceted search with disjunctive counts costs one SQL
//! aggregate per facet, which on SQLite took over half a second at 10,000 partners; over an
//! in-memory copy of the few fields search needs, one pass answers the page, the total and
//! every facet count in about a millisecond. Only the page's partners are then read.
//!
//! Freshness: every change to what the index holds goes through a use case that writes an
//! audit entry, so the newest audit sequence number is the index's stamp, checked (one cheap
//! query) before each search. On PostgreSQL a transaction can commit an audit entry numbered
//! below one already seen; a rebuild at least every [`MAX_AGE`] bounds how long that can hide.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, RwLock};
use trellis_domain::Timestamp;
use trellis_store::partners::directory::{self as store, DirectoryFilter, Facet, Sort};
use trellis_store::platform::audit;
use trellis_store::{Cursor, Db, Exec};
use uuid::Uuid;

use crate::Result;

/// Longest a snapshot is trusted without a rebuild.
const MAX_AGE: Duration = Duration::from_secs(30);

/// One partner as the index holds it.
#[derive(Debug)]
struct Entry {
    id: Uuid,
    name_key: String,
    /// The `(facet, value)` pairs it can be filtered by, type, tier and status included.
    values: Vec<(Facet, String)>,
    owner_id: Option<Uuid>,
    listed: bool,
    fit: i64,
    search_text: String,
}

#[derive(Debug)]
struct Snapshot {
    stamp: i64,
    built_at: Timestamp,
    /// By name, then id: the default order.
    entries: Vec<Entry>,
    /// Technologies are free-form: the label partners wrote, by key.
    technology_labels: HashMap<String, String>,
}

/// One search's answer: the page (ids in order), the next cursor, the total and the counts.
#[derive(Debug)]
pub(crate) struct Hits {
    pub(crate) page: Vec<Uuid>,
    pub(crate) next: Option<Cursor>,
    pub(crate) total: i64,
    pub(crate) counts: Vec<(Facet, Vec<(String, i64)>)>,
    /// The written form of every technology key in `counts`.
    pub(crate) technology_labels: HashMap<String, String>,
}

/// The shared index (one per process).
#[derive(Debug, Default)]
pub(crate) struct DirectoryIndex {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    /// Held while rebuilding, so concurrent searches after a change rebuild once.
    rebuilding: Mutex<()>,
}

fn facet_index(f: Facet) -> usize {
    Facet::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

impl DirectoryIndex {
    /// A snapshot no older than the newest recorded change (rebuilt when needed).
    async fn current(&self, db: &Db, now: Timestamp) -> Result<Arc<Snapshot>> {
        let stamp = {
            let mut c = db.read().await?;
            audit::last_seq(&mut c.exec()).await?
        };
        let fresh =
            |s: &Snapshot| s.stamp == stamp && now.millis() - s.built_at.millis() < ms(MAX_AGE);
        if let Some(s) = self.snapshot.read().await.as_ref().filter(|s| fresh(s)) {
            return Ok(Arc::clone(s));
        }
        let _guard = self.rebuilding.lock().await;
        if let Some(s) = self.snapshot.read().await.as_ref().filter(|s| fresh(s)) {
            return Ok(Arc::clone(s));
        }
        let mut c = db.read().await?;
        let snapshot = Arc::new(build(&mut c.exec(), stamp, now).await?);
        *self.snapshot.write().await = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// Searches: the page after `after`, the total and the disjunctive facet counts.
    pub(crate) async fn search(
        &self,
        db: &Db,
        now: Timestamp,
        filter: &DirectoryFilter,
        sort: Sort,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Hits> {
        let snapshot = self.current(db, now).await?;
        let mut hits = search(&snapshot.entries, filter, sort, after, limit);
        if let Some((_, counts)) = hits.counts.iter().find(|(f, _)| *f == Facet::Technology) {
            hits.technology_labels = counts
                .iter()
                .filter_map(|(k, _)| Some((k.clone(), snapshot.technology_labels.get(k)?.clone())))
                .collect();
        }
        Ok(hits)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

async fn build(ex: &mut Exec<'_>, stamp: i64, now: Timestamp) -> Result<Snapshot> {
    let rows = store::index_rows(ex).await?;
    let mut specs = store::index_specialisations(ex).await?;
    specs.sort_by_key(|s| s.0);
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        let mut values = vec![(Facet::Status, r.status)];
        values.extend(r.partner_type.map(|v| (Facet::PartnerType, v)));
        values.extend(r.tier.map(|v| (Facet::Tier, v)));
        let start = specs.partition_point(|s| s.0 < r.id);
        values.extend(
            specs[start..]
                .iter()
                .take_while(|s| s.0 == r.id)
                .filter_map(|(_, facet, value, _)| {
                    Facet::of_specialisation(facet).map(|f| (f, value.clone()))
                }),
        );
        entries.push(Entry {
            id: r.id,
            name_key: r.name_key,
            values,
            owner_id: r.owner_id,
            listed: r.listed,
            fit: r.fit_score.unwrap_or(-1),
            search_text: r.search_text,
        });
    }
    // The smallest label per key, so the choice among spellings is stable.
    let mut technology_labels: HashMap<String, String> = HashMap::new();
    for (_, facet, value, label) in specs {
        if Facet::of_specialisation(&facet) == Some(Facet::Technology) {
            let current = technology_labels
                .entry(value)
                .or_insert_with(|| label.clone());
            if label < *current {
                *current = label;
            }
        }
    }
    Ok(Snapshot {
        stamp,
        built_at: now,
        entries,
        technology_labels,
    })
}

/// The facets (as bits) whose selection `e` does not satisfy; bit 0 is everything that is not
/// a facet (words, owner, listing).
fn failures(e: &Entry, filter: &DirectoryFilter) -> u32 {
    let mut fails = 0u32;
    let base_ok = filter
        .terms
        .iter()
        .all(|t| e.search_text.contains(t.as_str()))
        && filter.owner_id.is_none_or(|o| e.owner_id == Some(o))
        && (!filter.listed_only || e.listed);
    if !base_ok {
        fails |= 1;
    }
    for f in Facet::ALL {
        let wanted = f.selected(filter);
        if !wanted.is_empty()
            && !e
                .values
                .iter()
                .any(|(vf, v)| *vf == f && wanted.iter().any(|w| w == v))
        {
            fails |= 1 << (facet_index(f) + 1);
        }
    }
    fails
}

fn search(
    entries: &[Entry],
    filter: &DirectoryFilter,
    sort: Sort,
    after: Option<&Cursor>,
    limit: usize,
) -> Hits {
    let mut counts: Vec<std::collections::HashMap<&str, i64>> = Facet::ALL
        .iter()
        .map(|_| std::collections::HashMap::new())
        .collect();
    let mut matching: Vec<&Entry> = Vec::new();
    for e in entries {
        let fails = failures(e, filter);
        if fails == 0 {
            matching.push(e);
        }
        // Disjunctive counts: a facet counts the entries that pass every other filter. One
        // pass over the entry's values (not one per facet).
        for (vf, v) in &e.values {
            let i = facet_index(*vf);
            if fails & !(1 << (i + 1)) == 0 {
                *counts[i].entry(v.as_str()).or_insert(0) += 1;
            }
        }
    }
    if sort == Sort::Fit {
        matching.sort_by(|a, b| b.fit.cmp(&a.fit).then(a.id.cmp(&b.id)));
    }
    let after_cursor = |e: &Entry| -> bool {
        let Some(c) = after else { return true };
        match sort {
            Sort::Name => {
                (e.name_key.as_str(), e.id).cmp(&(c.key.as_str(), c.id)) == Ordering::Greater
            }
            Sort::Fit => {
                let key: i64 = c.key.parse().unwrap_or(-1);
                e.fit < key || (e.fit == key && e.id > c.id)
            }
        }
    };
    let rest: Vec<&Entry> = matching
        .iter()
        .copied()
        .filter(|e| after_cursor(e))
        .collect();
    let page: Vec<&Entry> = rest.iter().take(limit).copied().collect();
    let next = (rest.len() > limit).then(|| {
        page.last().map(|e| Cursor {
            key: match sort {
                Sort::Name => e.name_key.clone(),
                Sort::Fit => e.fit.to_string(),
            },
            id: e.id,
        })
    });
    Hits {
        page: page.iter().map(|e| e.id).collect(),
        next: next.flatten(),
        total: i64::try_from(matching.len()).unwrap_or(i64::MAX),
        counts: Facet::ALL
            .iter()
            .zip(counts)
            .map(|(f, m)| (*f, m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
            .collect(),
        technology_labels: HashMap::new(),
    }
}
