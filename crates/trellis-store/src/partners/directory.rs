//! The partner directory: faceted full-text search over partner organisations.
//!
//! Within one facet the chosen values are alternatives (`tier in (gold, platinum)`); across
//! facets they all apply. The console's and locator's searches run on the service's
//! in-memory index (fed by [`index_rows`] and [`index_specialisations`]); [`search`] is the
//! plain SQL page, for callers that want partners without counts.

use std::fmt::Write as _;

use sqlx::FromRow;
use uuid::Uuid;

use crate::args::Args;
use crate::db::Exec;
use crate::error::Result;
use crate::fetch_args;
use crate::page::{Cursor, Page};
use crate::partners::profiles::{self, ProfileRow};
use crate::platform::orgs::{self, OrgRow, escape_like};

/// A partner: its organisation row and its profile.
#[derive(Clone, Debug, FromRow)]
pub struct PartnerRow {
    #[sqlx(flatten)]
    pub org: OrgRow,
    #[sqlx(flatten)]
    pub profile: ProfileRow,
}

/// What to search for. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct DirectoryFilter {
    /// Folded words that must all occur in the partner's search text.
    pub terms: Vec<String>,
    pub partner_types: Vec<String>,
    pub tiers: Vec<String>,
    pub statuses: Vec<String>,
    pub industries: Vec<String>,
    pub technologies: Vec<String>,
    pub segments: Vec<String>,
    pub regions: Vec<String>,
    /// Only partners this channel manager owns.
    pub owner_id: Option<Uuid>,
    /// Only partners listed in the public locator.
    pub listed_only: bool,
}

/// A facet of the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facet {
    PartnerType,
    Tier,
    Status,
    Industry,
    Technology,
    Segment,
    Region,
}

impl Facet {
    /// Every facet, in sidebar order.
    pub const ALL: [Facet; 7] = [
        Facet::PartnerType,
        Facet::Tier,
        Facet::Status,
        Facet::Region,
        Facet::Industry,
        Facet::Segment,
        Facet::Technology,
    ];

    /// The `partner_specialisations.facet` value, for facets stored there.
    fn specialisation(self) -> Option<&'static str> {
        match self {
            Facet::Industry => Some("industry"),
            Facet::Technology => Some("technology"),
            Facet::Segment => Some("segment"),
            Facet::Region => Some("region"),
            Facet::PartnerType | Facet::Tier | Facet::Status => None,
        }
    }

    /// The column of a facet stored on the partner itself.
    fn column(self) -> &'static str {
        match self {
            Facet::PartnerType => "o.partner_type",
            Facet::Tier => "o.tier",
            Facet::Status => "p.status",
            Facet::Industry | Facet::Technology | Facet::Segment | Facet::Region => "",
        }
    }

    fn selected(self, f: &DirectoryFilter) -> &[String] {
        match self {
            Facet::PartnerType => &f.partner_types,
            Facet::Tier => &f.tiers,
            Facet::Status => &f.statuses,
            Facet::Industry => &f.industries,
            Facet::Technology => &f.technologies,
            Facet::Segment => &f.segments,
            Facet::Region => &f.regions,
        }
    }
}

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// By name, A–Z.
    #[default]
    Name,
    /// Best IPP fit first (unscored last), then by id.
    Fit,
}

const FROM: &str = "from orgs o join partner_profiles p on p.org_id = o.id";

/// The `where` body for `filter`, leaving out `skip`'s own selection (for its counts).
fn conditions(filter: &DirectoryFilter, skip: Option<Facet>, args: &mut Args) -> String {
    let mut parts = vec!["o.kind = 'partner'".to_owned()];
    for term in &filter.terms {
        let p = args.push(format!("%{}%", escape_like(term)));
        parts.push(format!("p.search_text like {p} escape '\\'"));
    }
    for facet in Facet::ALL {
        let values = facet.selected(filter);
        if values.is_empty() || skip == Some(facet) {
            continue;
        }
        let list = args.list(values.iter());
        parts.push(match facet.specialisation() {
            Some(name) => format!(
                "o.id in (select s.org_id from partner_specialisations s \
                 where s.facet = '{name}' and s.value in ({list}))"
            ),
            None => format!("{} in ({list})", facet.column()),
        });
    }
    if let Some(owner) = filter.owner_id {
        let p = args.push(owner);
        parts.push(format!("p.owner_id = {p}"));
    }
    if filter.listed_only {
        let p = args.push(true);
        parts.push(format!("p.listed = {p}"));
    }
    parts.join(" and ")
}

/// One page of matching partners.
pub async fn search(
    ex: &mut Exec<'_>,
    filter: &DirectoryFilter,
    sort: Sort,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Page<PartnerRow>> {
    let mut args = Args::new();
    let mut cond = conditions(filter, None, &mut args);
    let order = match sort {
        Sort::Name => {
            if let Some(c) = after {
                let k = args.push(c.key.clone());
                let id = args.push(c.id);
                write!(
                    cond,
                    " and (o.name_key > {k} or (o.name_key = {k} and o.id > {id}))"
                )
                .ok();
            }
            "o.name_key, o.id"
        }
        Sort::Fit => {
            if let Some(c) = after {
                let score: i64 = c.key.parse().unwrap_or(-1);
                let k = args.push(score);
                let id = args.push(c.id);
                write!(
                    cond,
                    " and (coalesce(p.fit_score, -1) < {k} \
                     or (coalesce(p.fit_score, -1) = {k} and o.id > {id}))"
                )
                .ok();
            }
            "coalesce(p.fit_score, -1) desc, o.id"
        }
    };
    let lim = args.push(i64::try_from(limit + 1).unwrap_or(i64::MAX));
    let sql = format!(
        "select {}, {} {FROM} where {cond} order by {order} limit {lim}",
        orgs::COLUMNS_O,
        profiles::COLUMNS
    );
    let rows = fetch_args!(ex, PartnerRow, &sql, args, fetch_all)?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        key: match sort {
            Sort::Name => r.org.name.to_lowercase(),
            Sort::Fit => r.profile.fit_score.unwrap_or(-1).to_string(),
        },
        id: r.org.id,
    }))
}

/// Display labels of the technology values present, `(key, label)`: technologies are free-form,
/// so their facet needs the labels partners wrote.
pub async fn technology_labels(
    ex: &mut Exec<'_>,
    keys: &[String],
) -> Result<Vec<(String, String)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::new();
    let list = args.list(keys.iter());
    let sql = format!(
        "select value, min(label) from partner_specialisations \
         where facet = 'technology' and value in ({list}) group by value"
    );
    Ok(fetch_args!(ex, (String, String), &sql, args, fetch_all)?)
}

/// Finds one partner (organisation and profile).
pub async fn find(ex: &mut Exec<'_>, org_id: Uuid) -> Result<Option<PartnerRow>> {
    let sql = format!(
        "select {}, {} {FROM} where o.id = $1 and o.kind = 'partner'",
        orgs::COLUMNS_O,
        profiles::COLUMNS
    );
    Ok(crate::fetch!(
        ex,
        PartnerRow,
        &sql,
        [org_id],
        fetch_optional
    )?)
}

/// What the in-memory directory index holds of one partner.
#[derive(Clone, Debug, FromRow)]
pub struct IndexRow {
    pub id: Uuid,
    pub name_key: String,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub listed: bool,
    pub fit_score: Option<i64>,
    pub search_text: String,
}

/// Every partner, by name: the directory index's source.
pub async fn index_rows(ex: &mut Exec<'_>) -> Result<Vec<IndexRow>> {
    Ok(crate::fetch!(
        ex,
        IndexRow,
        "select o.id, o.name_key, o.partner_type, o.tier, p.status, p.owner_id, p.listed, \
         p.fit_score, p.search_text from orgs o join partner_profiles p on p.org_id = o.id \
         where o.kind = 'partner' order by o.name_key, o.id",
        [],
        fetch_all
    )?)
}

/// Every specialisation `(org, facet, value)`, by organisation.
pub async fn index_specialisations(ex: &mut Exec<'_>) -> Result<Vec<(Uuid, String, String)>> {
    Ok(crate::fetch!(
        ex,
        (Uuid, String, String),
        "select org_id, facet, value from partner_specialisations order by org_id",
        [],
        fetch_all
    )?)
}

/// Several partners by id (a directory page), in no particular order.
pub async fn find_many(ex: &mut Exec<'_>, ids: &[Uuid]) -> Result<Vec<PartnerRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::new();
    let list = args.list(ids.iter().copied());
    let sql = format!(
        "select {}, {} {FROM} where o.id in ({list})",
        orgs::COLUMNS_O,
        profiles::COLUMNS
    );
    Ok(fetch_args!(ex, PartnerRow, &sql, args, fetch_all)?)
}
