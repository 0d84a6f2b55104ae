//! Organisations: the vendor and its partners.

use serde::Serialize;
use serde_json::json;
use trellis_domain::{
    FieldErrors, OrgId, OrgKind, PartnerType, Permission, PersonName, Region, Slug, Timestamp,
    WebUrl,
};
use trellis_store::platform::orgs as store;

use super::{PageRequest, parse_stored};
use crate::outbox::Change;
use crate::partners::profiles::Admission;
use crate::{Actor, Error, Page, Result, Services};

/// An organisation as the service returns it.
#[derive(Clone, Debug, Serialize)]
pub struct Org {
    /// Id.
    pub id: OrgId,
    /// Vendor or partner.
    pub kind: OrgKind,
    /// Display name.
    pub name: String,
    /// Handle used in URLs and demo e-mail addresses.
    pub slug: String,
    /// Partner type (partners only).
    pub partner_type: Option<PartnerType>,
    /// Program tier key (partners only), set by the tier engine or a tier override.
    pub tier: Option<String>,
    /// Sales region.
    pub region: Option<Region>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl TryFrom<store::OrgRow> for Org {
    type Error = Error;
    fn try_from(r: store::OrgRow) -> Result<Self> {
        Ok(Self {
            id: OrgId::from_uuid(r.id),
            kind: parse_stored("org kind", &r.kind)?,
            name: r.name,
            slug: r.slug,
            partner_type: r
                .partner_type
                .as_deref()
                .map(|v| parse_stored("partner type", v))
                .transpose()?,
            tier: r.tier,
            region: r
                .region
                .as_deref()
                .map(|v| parse_stored("region", v))
                .transpose()?,
            country: r.country,
            website: r.website,
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}

/// Input for a new partner organisation (and, with `kind = vendor`, the deployment's vendor).
#[derive(Clone, Debug, Default)]
pub struct OrgInput {
    /// Display name.
    pub name: String,
    /// Handle; derived from the name when empty.
    pub slug: Option<String>,
    /// Partner type.
    pub partner_type: Option<String>,
    /// Tier key: a new partner's first tier (otherwise the tier engine assigns one). Tiers
    /// change later only through the engine or a tier override.
    pub tier: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
}

struct ValidOrg {
    name: PersonName,
    slug: Slug,
    partner_type: Option<PartnerType>,
    tier: Option<String>,
    region: Option<Region>,
    country: Option<String>,
    website: Option<String>,
}

fn validate(input: &OrgInput, kind: OrgKind) -> Result<ValidOrg> {
    let mut e = FieldErrors::new();
    let name = e.check("name", PersonName::parse(&input.name));
    let slug = match input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => e.check("slug", Slug::parse(s)),
        None => Slug::from_name(&input.name).ok(),
    };
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let partner_type =
        opt(&input.partner_type).and_then(|v| e.check("partner_type", v.parse::<PartnerType>()));
    let tier = opt(&input.tier);
    let region = opt(&input.region).and_then(|v| e.check("region", v.parse::<Region>()));
    let country = opt(&input.country).map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country
        && (c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        e.add(
            "country",
            "must be a two-letter ISO 3166 country code such as DE or US",
        );
    }
    let website = opt(&input.website)
        .and_then(|w| e.check("website", WebUrl::parse(&w)).map(|u| u.to_string()));
    if kind == OrgKind::Partner && partner_type.is_none() && e.for_field("partner_type").is_none() {
        e.add("partner_type", "is required for a partner organisation");
    }
    if slug.is_none() && e.for_field("slug").is_none() && e.for_field("name").is_none() {
        e.add(
            "slug",
            "could not be derived from the name; please choose one",
        );
    }
    e.into_result()?;
    Ok(ValidOrg {
        name: name.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated name missing")))?,
        slug: slug.ok_or_else(|| Error::Internal(anyhow::anyhow!("validated slug missing")))?,
        partner_type,
        tier,
        region,
        country,
        website,
    })
}

/// Program-wide counts for the console dashboard.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramCounts {
    /// Partner organisations.
    pub partners: i64,
    /// Users on both sides.
    pub users: i64,
    /// Partners per tier as `(key, name, count)`, lowest tier first; tiers nobody has are
    /// left out.
    pub by_tier: Vec<(String, String, i64)>,
    /// Partners per type, in type order; types nobody has are left out.
    pub by_type: Vec<(PartnerType, i64)>,
}

fn ordered<T: Copy + std::str::FromStr + PartialEq>(
    all: &[T],
    rows: &[(Option<String>, i64)],
) -> Vec<(T, i64)> {
    all.iter()
        .filter_map(|v| {
            let n: i64 = rows
                .iter()
                .filter(|(k, _)| k.as_deref().and_then(|k| k.parse::<T>().ok()) == Some(*v))
                .map(|(_, n)| n)
                .sum();
            (n > 0).then_some((*v, n))
        })
        .collect()
}

impl Services {
    /// Counts partners (by tier and type) and users, for vendor users.
    pub async fn program_counts(&self, actor: &Actor) -> Result<ProgramCounts> {
        actor.require(Permission::OrgsRead)?;
        actor.require(Permission::UsersRead)?;
        if actor.partner_scope().is_some() {
            return Err(Error::Forbidden);
        }
        let mut c = self.db().read().await?;
        let partners = store::count(&mut c.exec(), OrgKind::Partner.as_str()).await?;
        let users = trellis_store::platform::users::count(&mut c.exec()).await?;
        let (tiers, types) = store::partner_breakdown(&mut c.exec()).await?;
        Ok(ProgramCounts {
            partners,
            users,
            by_tier: trellis_store::partners::tiers::list(&mut c.exec())
                .await?
                .into_iter()
                .filter_map(|t| {
                    let n = tiers
                        .iter()
                        .find(|(k, _)| k.as_deref() == Some(t.key.as_str()))
                        .map_or(0, |(_, n)| *n);
                    (n > 0).then_some((t.key, t.name, n))
                })
                .collect(),
            by_type: ordered(PartnerType::ALL, &types),
        })
    }

    /// Creates an organisation. Partners need `OrgsManage`; the vendor is created once, by the
    /// system (setup or demo).
    pub async fn create_org(&self, actor: &Actor, kind: OrgKind, input: &OrgInput) -> Result<Org> {
        actor.require(Permission::OrgsManage)?;
        if kind == OrgKind::Vendor && !matches!(actor, Actor::System) {
            return Err(Error::Forbidden);
        }
        let v = validate(input, kind)?;
        let now = self.now();
        let row = store::OrgRow {
            id: OrgId::new().as_uuid(),
            kind: kind.as_str().into(),
            name: v.name.to_string(),
            slug: v.slug.to_string(),
            partner_type: v.partner_type.map(|t| t.as_str().into()),
            tier: None,
            region: v.region.map(|t| t.as_str().into()),
            country: v.country,
            website: v.website,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict if kind == OrgKind::Vendor => {
                    Error::Conflict("this deployment already has a vendor organisation".into())
                }
                trellis_store::Error::Conflict => Error::Validation(FieldErrors::single(
                    "slug",
                    format!("{:?} is already used by another organisation", row.slug),
                )),
                other => other.into(),
            })?;
        if kind == OrgKind::Partner {
            // Boxed: admission runs scoring, checklist and tier engine, a large future.
            Box::pin(self.admit_partner(
                &mut tx,
                actor,
                &row,
                Admission {
                    tier: v.tier,
                    ..Admission::default()
                },
                "added by a vendor user",
                now,
            ))
            .await?;
        }
        let org = Org::try_from(
            store::find(&mut tx.exec(), row.id)
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "org.created",
                object_type: "org",
                object_id: org.id.to_string(),
                org_id: Some(org.id),
                summary: format!("created {} organisation {}", kind.as_str(), org.name),
                before: None,
                after: Some(json!(org)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Reads one organisation; a partner sees only its own (others are `NotFound`).
    pub async fn get_org(&self, actor: &Actor, id: OrgId) -> Result<Org> {
        actor.require(Permission::OrgsRead)?;
        if let Some(scope) = actor.partner_scope()
            && scope.org_id() != id
        {
            return Err(Error::NotFound);
        }
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// The vendor organisation.
    pub async fn vendor_org(&self) -> Result<Option<Org>> {
        let mut c = self.db().read().await?;
        store::find_vendor(&mut c.exec())
            .await?
            .map(Org::try_from)
            .transpose()
    }

    /// Lists organisations by name; a partner gets only its own.
    pub async fn list_orgs(
        &self,
        actor: &Actor,
        kind: Option<OrgKind>,
        query: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Org>> {
        actor.require(Permission::OrgsRead)?;
        let (cursor, limit) = page.parse()?;
        if let Some(scope) = actor.partner_scope() {
            let own = self.get_org(actor, scope.org_id()).await?;
            let keep = kind.is_none_or(|k| k == own.kind)
                && query.is_none_or(|q| own.name.to_lowercase().contains(&q.to_lowercase()))
                && cursor.is_none();
            return Ok(Page {
                items: if keep { vec![own] } else { vec![] },
                next: None,
            });
        }
        let filter = store::OrgFilter {
            kind: kind.map(|k| k.as_str().into()),
            name_contains: query
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
        };
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), &filter, cursor.as_ref(), limit).await?;
        let next = rows.next;
        let items = rows
            .items
            .into_iter()
            .map(Org::try_from)
            .collect::<Result<_>>()?;
        Ok(Page { items, next })
    }

    /// Updates a partner organisation's profile, if `version` is current.
    pub async fn update_org(
        &self,
        actor: &Actor,
        id: OrgId,
        version: i64,
        input: &OrgInput,
    ) -> Result<Org> {
        actor.require(Permission::OrgsManage)?;
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let before = Org::try_from(current.clone())?;
        let v = validate(input, before.kind)?;
        if v.tier.is_some() && v.tier != current.tier {
            return Err(Error::field(
                "tier",
                "is decided by the tier engine; to set it by hand, use a tier override \
                 (POST /api/v1/partners/{id}/tier-override)",
            ));
        }
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let now = self.now();
        let row = store::OrgRow {
            name: v.name.to_string(),
            partner_type: v.partner_type.map(|t| t.as_str().into()),
            region: v.region.map(|t| t.as_str().into()),
            country: v.country,
            website: v.website,
            updated_at: now.millis(),
            ..current
        };
        if !store::update(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        if before.kind == OrgKind::Partner {
            self.reindex_partner(&mut tx, id).await?;
        }
        let after = Org::try_from(store::OrgRow {
            version: version + 1,
            ..row
        })?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "org.updated",
                object_type: "org",
                object_id: id.to_string(),
                org_id: Some(id),
                summary: format!("updated organisation {}", after.name),
                before: Some(json!(before)),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
