//! Webhook event filters and the Standard Webhooks signing input.

/// Whether an event type such as `partner.tier_changed` matches a filter entry: `*` matches
/// everything, `partner.*` every event of that family, anything else must be equal.
pub fn filter_matches(filter: &[String], event_type: &str) -> bool {
    filter.iter().any(|f| {
        f == "*"
            || f == event_type
            || f.strip_suffix(".*").is_some_and(|family| {
                event_type
                    .strip_prefix(family)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    })
}

/// Checks one filter entry's syntax: `*`, `family.*` or `family.action`, lower-case.
pub fn is_valid_filter(entry: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let parts: Vec<&str> = entry.split('.').collect();
    parts.len() == 2
        && parts.iter().enumerate().all(|(i, p)| {
            (i == 1 && *p == "*")
                || (!p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        })
}

/// The bytes that are signed: `{id}.{timestamp}.{body}` (Standard Webhooks).
pub fn signing_input(event_id: &str, timestamp_secs: i64, body: &str) -> String {
    format!("{event_id}.{timestamp_secs}.{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_exact_family_and_everything() {
        let f = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(filter_matches(&f(&["*"]), "user.invited"));
        assert!(filter_matches(&f(&["user.*"]), "user.invited"));
        assert!(!filter_matches(&f(&["user.*"]), "users.invited"));
        assert!(filter_matches(
            &f(&["org.created", "user.invited"]),
            "user.invited"
        ));
        assert!(!filter_matches(&f(&[]), "user.invited"));
    }

    #[test]
    fn filter_syntax_is_checked() {
        assert!(is_valid_filter("*"));
        assert!(is_valid_filter("partner.*"));
        assert!(is_valid_filter("partner.tier_changed"));
        assert!(!is_valid_filter("partner"));
        assert!(!is_valid_filter("Partner.Created"));
        assert!(!is_valid_filter("*.created"));
    }
}
