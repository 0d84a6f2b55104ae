//! The partner directory: faceted full-text search over partner organisations.
//!
//! Within one facet the chosen values are alternatives (`tier in (gold, platinum)`); across
//! facets they all apply. Searches run on the service's in-memory index, fed by
//! [`index_rows`] and [`index_specialisations`]; the store reads the page's partners
//! ([`find_many`]).

use sqlx::FromRow;
use uuid::Uuid;

use crate::args::Args;
use crate::db::Exec;
use crate::error::Result;
use crate::fetch_args;
use crate::partners::profiles::{self, ProfileRow};
use crate::platform::orgs::{self, OrgRow};

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

    /// The facet of a `partner_specialisations.facet` value.
    pub fn of_specialisation(name: &str) -> Option<Facet> {
        match name {
            "industry" => Some(Facet::Industry),
            "technology" => Some(Facet::Technology),
            "segment" => Some(Facet::Segment),
            "region" => Some(Facet::Region),
            _ => None,
        }
    }

    /// The values `f` selects for this facet.
    pub fn selected(self, f: &DirectoryFilter) -> &[String] {
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

/// Every specialisation `(org, facet, value, label)`, by organisation.
pub async fn index_specialisations(
    ex: &mut Exec<'_>,
) -> Result<Vec<(Uuid, String, String, String)>> {
    Ok(crate::fetch!(
        ex,
        (Uuid, String, String, String),
        "select org_id, facet, value, label from partner_specialisations order by org_id",
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
