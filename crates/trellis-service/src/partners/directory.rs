//! The partner directory (console) and the public partner locator: faceted full-text search.

use serde::Serialize;
use trellis_domain::partners::profile::{Industry, PartnerStatus, Segment};
use trellis_domain::text::search_terms;
use trellis_domain::{PartnerType, Permission, Region, UserId};
use trellis_store::partners::directory::{self as store, DirectoryFilter, Facet, Sort};
use trellis_store::partners::profiles as profile_store;

use super::ipp::require_vendor_reader;
use super::profiles::{Partner, to_partner};
use crate::platform::PageRequest;
use crate::{Actor, Error, Result, Services};

/// At most this many words of a query are searched for.
const MAX_TERMS: usize = 8;

/// A directory search as a client asks for it. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct DirectoryQuery {
    /// Free text over name, description, country, website and specialisations.
    pub q: Option<String>,
    /// Partner type ids.
    pub partner_types: Vec<String>,
    /// Tier keys.
    pub tiers: Vec<String>,
    /// Status ids.
    pub statuses: Vec<String>,
    /// Industry ids.
    pub industries: Vec<String>,
    /// Technologies (as written; matched case-insensitively).
    pub technologies: Vec<String>,
    /// Segment ids.
    pub segments: Vec<String>,
    /// Region ids (headquarters or served).
    pub regions: Vec<String>,
    /// Only this channel manager's partners.
    pub owner_id: Option<UserId>,
    /// `name` (default) or `fit`.
    pub sort: Option<String>,
}

/// One value of a facet with its count.
#[derive(Clone, Debug, Serialize)]
pub struct FacetValue {
    /// The id to filter by.
    pub value: String,
    /// Its label.
    pub label: String,
    /// Matching partners with it (given every other facet's selection).
    pub count: i64,
    /// Whether the query selects it.
    pub selected: bool,
}

/// A facet's values, most frequent first.
#[derive(Clone, Debug, Serialize)]
pub struct FacetCounts {
    /// `partner_type`, `tier`, `status`, `region`, `industry`, `segment` or `technology`.
    pub facet: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Its values.
    pub values: Vec<FacetValue>,
}

/// A page of results with the total and the facets.
#[derive(Clone, Debug, Serialize)]
pub struct DirectoryResult {
    /// Matching partners on this page.
    pub items: Vec<Partner>,
    /// Cursor of the next page.
    #[serde(skip)]
    pub next: Option<trellis_store::Cursor>,
    /// How many partners match in all.
    pub total: i64,
    /// Counts per facet value.
    pub facets: Vec<FacetCounts>,
}

/// What the public locator shows of a partner.
#[derive(Clone, Debug, Serialize)]
pub struct LocatorEntry {
    /// Name.
    pub name: String,
    /// Handle.
    pub slug: String,
    /// Type.
    pub partner_type: Option<PartnerType>,
    /// Tier name.
    pub tier: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Region.
    pub region: Option<Region>,
    /// Website.
    pub website: Option<String>,
    /// Description.
    pub description: String,
    /// Specialisations.
    pub specialisations: trellis_domain::partners::profile::Specialisations,
}

fn facet_meta(f: Facet) -> (&'static str, &'static str) {
    match f {
        Facet::PartnerType => ("partner_type", "Type"),
        Facet::Tier => ("tier", "Tier"),
        Facet::Status => ("status", "Status"),
        Facet::Region => ("region", "Region"),
        Facet::Industry => ("industry", "Industry"),
        Facet::Segment => ("segment", "Segment"),
        Facet::Technology => ("technology", "Technology"),
    }
}

/// Keeps the non-empty values, recording under `field` those that are not ids of `T`.
fn check<T: std::str::FromStr<Err = String>>(
    e: &mut trellis_domain::FieldErrors,
    field: &str,
    values: &[String],
) -> Vec<String> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .filter_map(|v| e.check(field, v.parse::<T>()).map(|_| v.to_owned()))
        .collect()
}

/// Checks every value against its vocabulary and builds the store filter.
fn filter_of(q: &DirectoryQuery) -> Result<DirectoryFilter> {
    let mut e = trellis_domain::FieldErrors::new();
    let filter = DirectoryFilter {
        terms: q
            .q
            .as_deref()
            .map(|s| search_terms(s, MAX_TERMS))
            .unwrap_or_default(),
        partner_types: check::<PartnerType>(&mut e, "partner_type", &q.partner_types),
        tiers: q
            .tiers
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        statuses: check::<PartnerStatus>(&mut e, "status", &q.statuses),
        industries: check::<Industry>(&mut e, "industry", &q.industries),
        technologies: q
            .technologies
            .iter()
            .filter(|t| !t.trim().is_empty())
            .filter_map(|t| {
                e.check(
                    "technology",
                    trellis_domain::partners::profile::TechTag::parse(t),
                )
                .map(|t| t.key().to_owned())
            })
            .collect(),
        segments: check::<Segment>(&mut e, "segment", &q.segments),
        regions: check::<Region>(&mut e, "region", &q.regions),
        owner_id: q.owner_id.map(UserId::as_uuid),
        listed_only: false,
    };
    e.into_result()?;
    Ok(filter)
}

fn sort_of(q: &DirectoryQuery) -> Result<Sort> {
    match q.sort.as_deref().map(str::trim) {
        None | Some("" | "name") => Ok(Sort::Name),
        Some("fit") => Ok(Sort::Fit),
        Some(_) => Err(Error::field("sort", "must be name or fit")),
    }
}

impl Services {
    /// Searches the partner directory (vendor users).
    pub async fn search_directory(
        &self,
        actor: &Actor,
        query: &DirectoryQuery,
        page: &PageRequest,
    ) -> Result<DirectoryResult> {
        actor.require(Permission::OrgsRead)?;
        require_vendor_reader(actor)?;
        let filter = filter_of(query)?;
        let tiers = self.tier_names().await?;
        check_tiers(&filter, &tiers)?;
        self.search(filter, sort_of(query)?, page, &tiers).await
    }

    /// The public locator: active partners who chose to be listed, when the program has the
    /// locator switched on. `NotFound` while it is off.
    pub async fn search_locator(
        &self,
        query: &DirectoryQuery,
        page: &PageRequest,
    ) -> Result<(
        Vec<LocatorEntry>,
        Option<trellis_store::Cursor>,
        i64,
        Vec<FacetCounts>,
    )> {
        let (_, locator) = self.public_program_switches().await?;
        if !locator {
            return Err(Error::NotFound);
        }
        let mut filter = filter_of(query)?;
        let tiers = self.tier_names().await?;
        check_tiers(&filter, &tiers)?;
        filter.listed_only = true;
        filter.statuses = vec![PartnerStatus::Active.as_str().into()];
        filter.owner_id = None;
        let result = self.search(filter, Sort::Name, page, &tiers).await?;
        let entries = result
            .items
            .into_iter()
            .map(|p| LocatorEntry {
                tier: p.tier.as_deref().map(|t| tier_name(&tiers, t)),
                name: p.name,
                slug: p.slug,
                partner_type: p.partner_type,
                country: p.country,
                region: p.region,
                website: p.website,
                description: p.description,
                specialisations: p.specialisations,
            })
            .collect();
        let facets = result
            .facets
            .into_iter()
            .filter(|f| f.facet != "status")
            .collect();
        Ok((entries, result.next, result.total, facets))
    }

    async fn search(
        &self,
        filter: DirectoryFilter,
        sort: Sort,
        page: &PageRequest,
        tiers: &[(String, String)],
    ) -> Result<DirectoryResult> {
        let (cursor, limit) = page.parse()?;
        let hits = self
            .directory
            .search(self.db(), self.now(), &filter, sort, cursor.as_ref(), limit)
            .await?;
        let mut facets = Vec::new();
        for (facet, counts) in hits.counts {
            let selected = facet.selected(&filter);
            let mut values: Vec<FacetValue> = counts
                .into_iter()
                .map(|(value, count)| FacetValue {
                    label: label_of(facet, &value, tiers, &hits.technology_labels),
                    selected: selected.contains(&value),
                    value,
                    count,
                })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
            let (id, label) = facet_meta(facet);
            facets.push(FacetCounts {
                facet: id,
                label,
                values,
            });
        }
        Ok(DirectoryResult {
            items: self.partners_in_order(&hits.page).await?,
            next: hits.next,
            total: hits.total,
            facets,
        })
    }

    /// The first `limit` partners by name, from the index (the IPP preview's sample).
    pub(crate) async fn first_partners(&self, limit: usize) -> Result<Vec<Partner>> {
        let hits = self
            .directory
            .search(
                self.db(),
                self.now(),
                &DirectoryFilter::default(),
                Sort::Name,
                None,
                limit,
            )
            .await?;
        self.partners_in_order(&hits.page).await
    }

    /// Reads the partners `ids` name, in that order (the store returns rows in any order).
    async fn partners_in_order(&self, ids: &[uuid::Uuid]) -> Result<Vec<Partner>> {
        let mut c = self.db().read().await?;
        let rows = store::find_many(&mut c.exec(), ids).await?;
        let specs = profile_store::specialisations_of(&mut c.exec(), ids).await?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = rows.iter().find(|r| r.org.id == *id) {
                items.push(to_partner(row.clone(), &specs)?);
            }
        }
        Ok(items)
    }

    /// `(key, name)` of every tier, lowest first.
    pub async fn tier_names(&self) -> Result<Vec<(String, String)>> {
        let mut c = self.db().read().await?;
        Ok(trellis_store::partners::tiers::list(&mut c.exec())
            .await?
            .into_iter()
            .map(|r| (r.key, r.name))
            .collect())
    }
}

/// Tier keys are program data, so they are checked against the ladder rather than a fixed
/// list: an unknown key is a field error, not an empty result.
fn check_tiers(filter: &DirectoryFilter, tiers: &[(String, String)]) -> Result<()> {
    let mut e = trellis_domain::FieldErrors::new();
    for t in &filter.tiers {
        if !tiers.iter().any(|(k, _)| k == t) {
            let keys: Vec<&str> = tiers.iter().map(|(k, _)| k.as_str()).collect();
            e.add(
                "tier",
                format!(
                    "unknown tier {t:?}; the program's tiers are {}",
                    keys.join(", ")
                ),
            );
        }
    }
    Ok(e.into_result()?)
}

/// The name of tier `key` among `(key, name)` pairs; the key itself for a tier since removed.
pub fn tier_name(tiers: &[(String, String)], key: &str) -> String {
    tiers
        .iter()
        .find(|(k, _)| k == key)
        .map_or_else(|| key.to_owned(), |(_, n)| n.clone())
}

fn label_of(
    facet: Facet,
    value: &str,
    tiers: &[(String, String)],
    technologies: &std::collections::HashMap<String, String>,
) -> String {
    let from = |r: std::result::Result<String, String>| r.unwrap_or_else(|_| value.to_owned());
    match facet {
        Facet::PartnerType => from(value.parse::<PartnerType>().map(|v| v.label().into())),
        Facet::Status => from(value.parse::<PartnerStatus>().map(|v| v.label().into())),
        Facet::Industry => from(value.parse::<Industry>().map(|v| v.label().into())),
        Facet::Segment => from(value.parse::<Segment>().map(|v| v.label().into())),
        Facet::Region => from(value.parse::<Region>().map(|v| v.label().into())),
        Facet::Tier => tier_name(tiers, value),
        Facet::Technology => technologies
            .get(value)
            .map_or_else(|| value.to_owned(), Clone::clone),
    }
}
