//! A short-lived, in-process cache of resolved bearer tokens, so that a busy API client costs
//! one database read per token every few seconds instead of one per request.
//!
//! Correctness: every change that can take access away (revoking a token, disabling a user,
//! changing a role, setting a password) clears the whole cache of the process that made it, so
//! on one instance it takes effect at once. Other instances of a scaled-out deployment notice
//! within `service.auth_cache_ttl` (default 5 s); set it to 0 to resolve every request afresh.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use trellis_domain::Timestamp;

use crate::Actor;

/// Entries kept at most; the cache is cleared when full (tokens in use re-enter at once).
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub(crate) struct AuthCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Actor, Timestamp)>>,
}

impl AuthCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The actor of a token hash, if cached and not yet stale.
    pub(crate) fn get(&self, token_hash: &str, now: Timestamp) -> Option<Actor> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(token_hash)
            .filter(|(_, until)| *until > now)
            .map(|(a, _)| a.clone())
    }

    /// Remembers a resolution until the TTL ends or the token expires, whichever is first.
    pub(crate) fn put(
        &self,
        token_hash: String,
        actor: Actor,
        expires: Option<Timestamp>,
        now: Timestamp,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let until = expires.map_or(now.plus(self.ttl), |e| e.min(now.plus(self.ttl)));
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(token_hash, (actor, until));
        }
    }

    /// Forgets everything: called after any change that may take access away.
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_with_the_ttl_or_the_token_and_clear_on_demand() {
        let cache = AuthCache::new(Duration::from_secs(5));
        let t0 = Timestamp::from_millis(1_000_000);
        cache.put("a".into(), Actor::System, None, t0);
        cache.put(
            "b".into(),
            Actor::System,
            Some(t0.plus(Duration::from_secs(1))),
            t0,
        );
        assert!(cache.get("a", t0.plus(Duration::from_secs(4))).is_some());
        assert!(cache.get("a", t0.plus(Duration::from_secs(5))).is_none());
        assert!(cache.get("b", t0.plus(Duration::from_secs(1))).is_none());
        cache.put("a".into(), Actor::System, None, t0);
        cache.clear();
        assert!(cache.get("a", t0).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = AuthCache::new(Duration::ZERO);
        let t0 = Timestamp::from_millis(0);
        cache.put("a".into(), Actor::System, None, t0);
        assert!(cache.get("a", t0).is_none());
    }
}
