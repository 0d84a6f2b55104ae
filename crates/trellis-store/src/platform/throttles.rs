//! Fixed-window counters for rate limits (login attempts per client address, per e-mail),
//! kept in the database so that several instances share them.

use crate::db::Exec;
use crate::error::Result;
use crate::scalar;

/// Counts one hit for `key` in the window that contains `now` and returns the hits so far.
/// One upsert, so concurrent requests cannot under-count.
pub async fn hit(ex: &mut Exec<'_>, key: &str, now: i64, window_ms: i64) -> Result<i64> {
    let window_start = now - now.rem_euclid(window_ms);
    Ok(scalar!(
        ex,
        i64,
        "insert into throttles (key, window_start, hits) values ($1, $2, 1) \
         on conflict (key) do update set \
           hits = case when throttles.window_start = excluded.window_start \
                       then throttles.hits + 1 else 1 end, \
           window_start = excluded.window_start \
         returning hits",
        [key, window_start],
        fetch_one
    )?)
}

/// Deletes windows that ended before `before`.
pub async fn purge(ex: &mut Exec<'_>, before: i64) -> Result<u64> {
    Ok(crate::execute!(
        ex,
        "delete from throttles where window_start < $1",
        [before]
    )?)
}
