//! Live pages: the small JSON answer that `assets/live.js` polls, and the countdowns it keeps
//! ticking (rendered here first, in the same words, so the page reads right without script).

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use trellis_domain::Timestamp;

#[derive(Serialize)]
struct Stamp {
    stamp: i64,
}

/// `{"stamp": n}`: the page renders itself again when `n` moves.
pub(crate) fn stamp(n: i64) -> Response {
    uncached_json(Stamp { stamp: n })
}

/// JSON a page's script polls, never cached (every answer must be the current state).
pub(crate) fn uncached_json(body: impl Serialize) -> Response {
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// A deadline as a person reads it against `now`, with the badge colour that says how urgent
/// it is.
#[derive(Clone, Debug)]
pub(crate) struct Countdown {
    /// RFC 3339, for `<time datetime>`.
    pub(crate) iso: String,
    /// "in 3 h 20 min" or "2 d 4 h overdue".
    pub(crate) text: String,
    /// Overdue (red), due soon (amber), or comfortably ahead (green).
    pub(crate) badge: &'static str,
}

impl Countdown {
    /// The countdown to `due`, amber once less than `soon_ms` is left.
    pub(crate) fn to(due: Timestamp, now: Timestamp, soon_ms: i64) -> Self {
        let left = due.millis() - now.millis();
        let overdue = left < 0;
        let text = if overdue {
            format!("{} overdue", span(-left))
        } else {
            format!("in {}", span(left))
        };
        let badge = if overdue {
            "badge-red"
        } else if left < soon_ms {
            "badge-amber"
        } else {
            "badge-green"
        };
        Self {
            iso: due.to_rfc3339(),
            text,
            badge,
        }
    }
}

/// Days and hours, hours and minutes, or minutes (rounded down), as `live.js` writes them.
fn span(ms: i64) -> String {
    let minutes = ms / 60_000;
    let (d, h, m) = (minutes / 1_440, (minutes % 1_440) / 60, minutes % 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn countdowns_read_like_the_script_writes_them_and_turn_amber_then_red() {
        let now = Timestamp::from_millis(1_700_000_000_000);
        let due = |ms: i64| Timestamp::from_millis(now.millis() + ms);
        let c = Countdown::to(due(30 * HOUR + 5 * 60_000), now, 12 * HOUR);
        assert_eq!((c.text.as_str(), c.badge), ("in 1 d 6 h", "badge-green"));
        let c = Countdown::to(due(3 * HOUR + 20 * 60_000), now, 12 * HOUR);
        assert_eq!((c.text.as_str(), c.badge), ("in 3 h 20 min", "badge-amber"));
        let c = Countdown::to(due(-(52 * HOUR)), now, 12 * HOUR);
        assert_eq!((c.text.as_str(), c.badge), ("2 d 4 h overdue", "badge-red"));
        assert_eq!(Countdown::to(due(59_999), now, HOUR).text, "in 0 min");
    }
}
