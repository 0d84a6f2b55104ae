//! Form input and form errors.
//!
//! - [`FormData`]: the fields of a submitted form. Reading it never fails: a missing field is
//!   empty and the services' validation reports it, so bad input is a 422, never a 500.
//! - [`Errors`]: field errors (shown next to their inputs and in a summary) and a form-level
//!   notice, for re-rendering a form.
//! - [`rerender`]: turns a failed use case into the re-rendered form, or a [`PageError`].
//! - [`PageId`]: a path id; one that does not parse is a 404 page like any unknown id.

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use trellis_domain::FieldErrors;
use trellis_service::Error;

use super::error::{PageError, PageResult};

/// The fields of a submitted `application/x-www-form-urlencoded` body.
#[derive(Clone, Debug, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(crate) fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// Prefilled values for a form shown for the first time.
    pub(crate) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The first value of `name`, or empty.
    pub(crate) fn text(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The first value of `name`, `None` when absent or blank.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|v| !v.trim().is_empty())
    }

    /// Every value of `name` (checkbox groups).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A whole-number field: blank is `None`; anything else must parse as `T` once thousands
    /// separators and spaces are removed, or "must be a whole number" is recorded for `name`.
    pub(crate) fn whole_number<T: std::str::FromStr>(
        &self,
        name: &str,
        e: &mut FieldErrors,
    ) -> Option<T> {
        let raw = self.text(name).replace([',', ' '], "");
        if raw.is_empty() {
            return None;
        }
        raw.parse().ok().or_else(|| {
            e.add(name, "must be a whole number");
            None
        })
    }

    /// The `version` field of an edit form. A missing or mangled one never matches a stored
    /// version, so the service answers with its "changed by someone else" conflict.
    pub(crate) fn version(&self) -> i64 {
        self.text("version").trim().parse().unwrap_or(-1)
    }

    /// Removes and returns `name` (the CSRF field, which handlers never see).
    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(i).1)
    }
}

/// One entry of the error summary at the top of a form.
#[derive(Clone, Debug)]
pub(crate) struct SummaryItem {
    /// The input's id (`scopes[2]` becomes `scopes`).
    pub(crate) anchor: String,
    pub(crate) text: String,
}

/// What went wrong with a submitted form.
#[derive(Clone, Debug, Default)]
pub(crate) struct Errors {
    fields: FieldErrors,
    /// A message about the whole form (a conflict, a stale version).
    pub(crate) notice: Option<String>,
}

impl Errors {
    pub(crate) fn none() -> Self {
        Self::default()
    }

    pub(crate) fn fields(fields: FieldErrors) -> Self {
        Self {
            fields,
            notice: None,
        }
    }

    pub(crate) fn notice(message: impl Into<String>) -> Self {
        Self {
            fields: FieldErrors::new(),
            notice: Some(message.into()),
        }
    }

    /// The message for an input: errors on `field` or `field[i]`, as a sentence.
    pub(crate) fn get(&self, field: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|e| base(&e.field) == field)
            .map(|e| sentence(&e.message))
    }

    /// Whether `field` has an error.
    pub(crate) fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|e| base(&e.field) == field)
    }

    /// The field errors as the use case named them.
    pub(crate) fn field_errors(&self) -> &FieldErrors {
        &self.fields
    }

    /// Whether there is anything to show.
    pub(crate) fn any(&self) -> bool {
        self.notice.is_some() || !self.fields.is_empty()
    }

    /// Every field error, labelled, for the summary.
    pub(crate) fn summary(&self) -> Vec<SummaryItem> {
        self.fields
            .iter()
            .map(|e| SummaryItem {
                anchor: base(&e.field).to_owned(),
                text: format!("{}: {}", label(base(&e.field)), e.message),
            })
            .collect()
    }
}

fn base(field: &str) -> &str {
    field.split('[').next().unwrap_or(field)
}

fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn label(field: &str) -> String {
    match field {
        "email" => "E-mail address".into(),
        "org_id" => "Organisation".into(),
        "url" => "URL".into(),
        "event_filter" => "Events".into(),
        "expires_in_days" => "Expiry".into(),
        _ => sentence(&field.replace('_', " ")),
    }
}

const STALE: &str = "Someone else changed this since you opened the form, so nothing was saved. \
                     Reload the page to see the latest version, then make your change again.";

/// Re-renders a form after a failed use case: validation errors give 422 with the field
/// errors; a stale version, a conflict or an invalid state give 409 with a notice on the form;
/// anything else is a [`PageError`].
pub(crate) fn rerender<P: IntoResponse>(e: Error, page: impl FnOnce(Errors) -> P) -> PageResult {
    let (status, errors) = failed(e)?;
    Ok((status, page(errors)).into_response())
}

/// The status and form errors for a failed use case that a page shows on itself; anything
/// else (not found, forbidden, an outage) is a [`PageError`].
pub(crate) fn failed(e: Error) -> Result<(StatusCode, Errors), PageError> {
    Ok(match e {
        Error::Validation(fe) => (StatusCode::UNPROCESSABLE_ENTITY, Errors::fields(fe)),
        Error::StaleVersion { .. } => (StatusCode::CONFLICT, Errors::notice(STALE)),
        Error::Conflict(msg) => (StatusCode::CONFLICT, Errors::notice(sentence(&msg))),
        Error::InvalidState(msg) => (StatusCode::CONFLICT, Errors::notice(sentence(msg))),
        e @ Error::AgreementRequired { .. } => (
            StatusCode::CONFLICT,
            Errors::notice(sentence(&e.to_string())),
        ),
        other => return Err(other.into()),
    })
}

/// A figure as typed: money in major units with up to two decimals, anything else whole.
pub(crate) fn metric_figure(
    raw: &str,
    metric: trellis_domain::partners::metrics::Metric,
) -> Option<i64> {
    let t: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_'))
        .collect();
    if metric.unit() == trellis_domain::partners::metrics::MetricUnit::Money {
        let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
        // Figures are never negative; "-0.50" would otherwise read as 0 plus 50 cents.
        if whole.starts_with('-') || frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = format!("{frac:0<2}").parse().ok()?;
        whole.checked_mul(100)?.checked_add(frac)
    } else {
        t.parse().ok()
    }
}

/// A filter from a select: blank is none; anything else must parse (a hand-edited address
/// that does not is the "invalid request" page, naming the parameter).
pub(crate) fn filter<T: std::str::FromStr>(name: &str, value: &str) -> PageResult<Option<T>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| Error::field(name, format!("{value:?} is not one of the choices")).into())
}

/// A path id; anything that is not a valid id is the 404 page.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageId<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for PageId<T>
where
    T: std::str::FromStr + Send,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::not_found_page())?;
        raw.parse()
            .map(PageId)
            .map_err(|_| PageError::not_found_page())
    }
}

/// Query-string parameters of list pages, read leniently (unknown or repeated keys are ignored).
#[derive(Clone, Debug, Default)]
pub(crate) struct Query(FormData);

impl Query {
    pub(crate) fn text(&self, name: &str) -> String {
        self.0.text(name)
    }

    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        self.0.opt(name)
    }

    /// Every value of a repeated parameter (checkbox filters).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0.all(name)
    }

    /// A link to this page with `params` (blank values left out).
    pub(crate) fn link(path: &str, params: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
            q.append_pair(k, v);
        }
        let q = q.finish();
        if q.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{q}")
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(FormData::parse(
            parts.uri.query().unwrap_or("").as_bytes(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_read_leniently() {
        let f = FormData::parse(
            b"name=Acme+Inc&scopes=orgs%3Aread&scopes=users%3Aread&tier=&version=x",
        );
        assert_eq!(f.text("name"), "Acme Inc");
        assert_eq!(f.text("missing"), "");
        assert_eq!(f.opt("tier"), None);
        assert_eq!(f.all("scopes"), ["orgs:read", "users:read"]);
        assert_eq!(f.version(), -1);
    }

    #[test]
    fn errors_attach_to_inputs_and_the_summary() {
        let mut fe = FieldErrors::new();
        fe.add("scopes[1]", "your role cannot grant audit:read");
        fe.add("partner_type", "is required for a partner organisation");
        let e = Errors::fields(fe);
        assert!(e.has("scopes"));
        assert_eq!(
            e.get("scopes").as_deref(),
            Some("Your role cannot grant audit:read")
        );
        assert_eq!(
            e.summary()[1].text,
            "Partner type: is required for a partner organisation"
        );
        assert_eq!(e.summary()[0].anchor, "scopes");
        assert!(!Errors::none().any());
    }

    #[test]
    fn list_links_keep_only_set_filters() {
        assert_eq!(
            Query::link("/console/partners", &[("q", "a&b"), ("kind", "")]),
            "/console/partners?q=a%26b"
        );
        assert_eq!(Query::link("/x", &[]), "/x");
    }

    #[test]
    fn figures_parse_money_in_major_units_and_counts_whole() {
        use trellis_domain::partners::metrics::Metric;
        assert_eq!(
            metric_figure("2,500.5", Metric::SourcedRevenue),
            Some(250_050)
        );
        assert_eq!(
            metric_figure("1 000 000", Metric::SourcedRevenue),
            Some(100_000_000)
        );
        assert_eq!(metric_figure("12.345", Metric::SourcedRevenue), None);
        assert_eq!(metric_figure("-0.50", Metric::SourcedRevenue), None);
        assert_eq!(metric_figure("7", Metric::CertifiedPeople), Some(7));
        assert_eq!(metric_figure("7.5", Metric::CertifiedPeople), None);
    }
}
