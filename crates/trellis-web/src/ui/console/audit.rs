//! The audit log: filters by actor, object, action and date range, newest first, with paging.
//! The filter form is a GET form, so a filtered view is a link that can be shared.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use trellis_domain::{FieldErrors, Timestamp, UserId};
use trellis_service::platform::PageRequest;
use trellis_service::platform::audit::{AuditEntry, AuditQuery};

use super::super::book::RouteBook;
use super::super::error::PageResult;
use super::super::form::{Errors, Query};
use super::super::session::VendorSession;
use super::super::view::{Chrome, Look as _};

pub(super) fn routes(book: RouteBook) -> RouteBook {
    book.get("/console/audit", index)
}

const FILTERS: [&str; 6] = [
    "actor_id",
    "object_type",
    "object_id",
    "action",
    "from",
    "until",
];

struct Row {
    entry: AuditEntry,
    before: Option<String>,
    after: Option<String>,
}

/// The filter values as typed.
struct Filters {
    actor_id: String,
    object_type: String,
    object_id: String,
    action: String,
    from: String,
    until: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    f: Filters,
    filtered: bool,
    rows: Vec<Row>,
    paged: bool,
    first: String,
    next: Option<String>,
    errors: Errors,
}

async fn index(s: VendorSession, q: Query) -> PageResult {
    let values: Vec<String> = FILTERS
        .iter()
        .map(|k| q.text(k).trim().to_owned())
        .collect();
    let link = |cursor: &str| {
        let mut params: Vec<(&str, &str)> = FILTERS
            .iter()
            .copied()
            .zip(values.iter().map(String::as_str))
            .collect();
        params.push(("cursor", cursor));
        Query::link("/console/audit", &params)
    };
    let cursor = q.opt("cursor");
    let mut page = AuditPage {
        chrome: s.chrome("Audit log"),
        filtered: values.iter().any(|v| !v.is_empty()),
        rows: Vec::new(),
        paged: cursor.is_some(),
        first: link(""),
        next: None,
        errors: Errors::none(),
        f: Filters {
            actor_id: q.text("actor_id").trim().to_owned(),
            object_type: q.text("object_type").trim().to_owned(),
            object_id: q.text("object_id").trim().to_owned(),
            action: q.text("action").trim().to_owned(),
            from: q.text("from").trim().to_owned(),
            until: q.text("until").trim().to_owned(),
        },
    };
    let query = match parse(&page.f) {
        Ok(query) => query,
        Err(fe) => {
            page.errors = Errors::fields(fe);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let list = s
        .services
        .list_audit(
            &s.actor,
            &query,
            &PageRequest {
                cursor,
                limit: None,
            },
        )
        .await?;
    page.next = list.next.map(|c| link(&c.encode()));
    page.rows = list
        .items
        .into_iter()
        .map(|entry| Row {
            before: pretty(entry.before.as_ref()),
            after: pretty(entry.after.as_ref()),
            entry,
        })
        .collect();
    Ok(page.into_response())
}

fn pretty(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(|v| serde_json::to_string_pretty(v).ok())
}

/// The service query; dates are whole UTC days, `until` inclusive.
fn parse(f: &Filters) -> Result<AuditQuery, FieldErrors> {
    let mut e = FieldErrors::new();
    let actor_id = match f.actor_id.as_str() {
        "" => None,
        raw => e.check(
            "actor_id",
            raw.parse::<UserId>()
                .map_err(|_| "must be a user id such as 0193…-…"),
        ),
    };
    let from = day(&mut e, "from", &f.from, 0);
    let until = day(&mut e, "until", &f.until, 1);
    if let (Some(a), Some(b)) = (from, until)
        && b <= a
    {
        e.add("until", "must be on or after the “from” date");
    }
    e.into_result()?;
    let opt = |s: &String| Some(s.clone()).filter(|s| !s.is_empty());
    Ok(AuditQuery {
        actor_id,
        object_type: opt(&f.object_type),
        object_id: opt(&f.object_id),
        action: opt(&f.action),
        from,
        until,
    })
}

/// Midnight UTC of `YYYY-MM-DD`, plus `plus_days`.
fn day(e: &mut FieldErrors, field: &str, raw: &str, plus_days: u64) -> Option<Timestamp> {
    if raw.is_empty() {
        return None;
    }
    let parsed = (raw.len() == 10)
        .then(|| Timestamp::parse_rfc3339(&format!("{raw}T00:00:00Z")))
        .flatten()
        .map(|t| t.plus(std::time::Duration::from_secs(plus_days * 86_400)));
    if parsed.is_none() {
        e.add(field, "must be a date such as 2026-01-31");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(from: &str, until: &str, actor: &str) -> Filters {
        Filters {
            actor_id: actor.into(),
            object_type: String::new(),
            object_id: String::new(),
            action: "user.invited".into(),
            from: from.into(),
            until: until.into(),
        }
    }

    #[test]
    fn dates_are_whole_days_with_until_inclusive() {
        let q = parse(&filters("2026-01-01", "2026-01-01", "")).unwrap();
        assert_eq!(q.from.unwrap().to_rfc3339(), "2026-01-01T00:00:00Z");
        assert_eq!(q.until.unwrap().to_rfc3339(), "2026-01-02T00:00:00Z");
        assert_eq!(q.action.as_deref(), Some("user.invited"));
        assert_eq!(q.object_type, None);
    }

    #[test]
    fn bad_filters_are_field_errors() {
        let e = parse(&filters("2026-13-01", "yesterday", "not-a-uuid")).unwrap_err();
        assert!(e.for_field("from").is_some());
        assert!(e.for_field("until").is_some());
        assert!(e.for_field("actor_id").is_some());
        let e = parse(&filters("2026-02-01", "2026-01-01", "")).unwrap_err();
        assert!(e.for_field("until").is_some());
    }
}
