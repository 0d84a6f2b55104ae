//! Partner records: an organisation of kind `partner` and its profile (status, owner,
//! description, size, specialisations, locator listing, lifecycle dates, tier state).

use serde::Serialize;
use serde_json::json;
use trellis_domain::partners::profile::{PartnerStatus, Specialisations, TechTag};
use trellis_domain::text::fold;
use trellis_domain::{
    FieldErrors, OrgId, PartnerType, Permission, PersonName, Region, Role, Timestamp, UserId,
    WebUrl,
};
use trellis_store::partners::directory::{self as dir_store, PartnerRow};
use trellis_store::partners::profiles::{self as store, ProfileRow, SpecialisationRow};
use trellis_store::platform::{orgs as org_store, users as user_store};
use trellis_store::{Exec, Tx};

use crate::outbox::Change;
use crate::platform::parse_stored;
use crate::{Actor, Error, Result, Services};

/// A partner as the service returns it.
#[derive(Clone, Debug, Serialize)]
pub struct Partner {
    /// The partner organisation's id.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// Handle.
    pub slug: String,
    /// How the partner goes to market.
    pub partner_type: Option<PartnerType>,
    /// The tier held, by key.
    pub tier: Option<String>,
    /// Headquarters region.
    pub region: Option<Region>,
    /// Headquarters country, ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Lifecycle status.
    pub status: PartnerStatus,
    /// The channel manager who looks after this partner.
    pub owner_id: Option<UserId>,
    /// What the partner does, in its own words.
    pub description: String,
    /// Head count.
    pub employees: Option<u32>,
    /// Year founded.
    pub founded_year: Option<i32>,
    /// Active customers.
    pub customers: Option<u32>,
    /// Whether the partner appears in the public locator.
    pub listed: bool,
    /// Industries, technologies, segments and regions served.
    pub specialisations: Specialisations,
    /// Fit with the current Ideal Partner Profile, 0–100.
    pub fit_score: Option<u8>,
    /// The IPP version that score was computed with.
    pub fit_ipp_version: Option<i64>,
    /// When the application was approved (or the partner was added).
    pub approved_at: Option<Timestamp>,
    /// When onboarding completed.
    pub activated_at: Option<Timestamp>,
    /// When the partner registered its first deal.
    pub first_deal_at: Option<Timestamp>,
    /// Since when the partner is below its tier's keep thresholds (grace period running).
    pub tier_below_since: Option<Timestamp>,
    /// A manual tier override, if one is in force.
    pub tier_override: Option<TierOverrideView>,
    /// Optimistic-concurrency version (shared with the organisation record).
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A manual tier override as shown.
#[derive(Clone, Debug, Serialize)]
pub struct TierOverrideView {
    /// The tier held by override.
    pub tier: String,
    /// Why.
    pub reason: String,
    /// When it ends; `None` until removed.
    pub until: Option<Timestamp>,
}

impl Partner {
    /// Days from approval to activation, once active.
    pub fn days_to_activation(&self) -> Option<i64> {
        Some(days_between(self.approved_at?, self.activated_at?))
    }

    /// Days from approval to the first registered deal.
    pub fn days_to_first_deal(&self) -> Option<i64> {
        Some(days_between(self.approved_at?, self.first_deal_at?))
    }
}

pub(crate) fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.millis() - from.millis()).max(0) / 86_400_000
}

fn opt_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|n| u32::try_from(n).ok())
}

/// Builds a [`Partner`] from its rows.
pub(crate) fn to_partner(row: PartnerRow, specs: &[SpecialisationRow]) -> Result<Partner> {
    let PartnerRow { org, profile: p } = row;
    Ok(Partner {
        id: OrgId::from_uuid(org.id),
        name: org.name,
        slug: org.slug,
        partner_type: org
            .partner_type
            .as_deref()
            .map(|v| parse_stored("partner type", v))
            .transpose()?,
        tier: org.tier,
        region: org
            .region
            .as_deref()
            .map(|v| parse_stored("region", v))
            .transpose()?,
        country: org.country,
        website: org.website,
        status: parse_stored("partner status", &p.status)?,
        owner_id: p.owner_id.map(UserId::from_uuid),
        description: p.description,
        employees: opt_u32(p.employees),
        founded_year: p.founded_year.and_then(|y| i32::try_from(y).ok()),
        customers: opt_u32(p.customers),
        listed: p.listed,
        specialisations: specialisations_from_rows(specs.iter().filter(|s| s.org_id == org.id))?,
        fit_score: p.fit_score.and_then(|s| u8::try_from(s).ok()),
        fit_ipp_version: p.fit_ipp_version,
        approved_at: p.approved_at.map(Timestamp::from_millis),
        activated_at: p.activated_at.map(Timestamp::from_millis),
        first_deal_at: p.first_deal_at.map(Timestamp::from_millis),
        tier_below_since: p.tier_below_since.map(Timestamp::from_millis),
        tier_override: match (p.tier_override, p.tier_override_reason) {
            (Some(tier), reason) => Some(TierOverrideView {
                tier,
                reason: reason.unwrap_or_default(),
                until: p.tier_override_until.map(Timestamp::from_millis),
            }),
            (None, _) => None,
        },
        version: org.version,
        created_at: Timestamp::from_millis(org.created_at),
        updated_at: Timestamp::from_millis(org.updated_at),
    })
}

fn specialisations_from_rows<'a>(
    rows: impl Iterator<Item = &'a SpecialisationRow>,
) -> Result<Specialisations> {
    let mut s = Specialisations::default();
    for r in rows {
        match r.facet.as_str() {
            "industry" => s.industries.push(parse_stored("industry", &r.value)?),
            "segment" => s.segments.push(parse_stored("segment", &r.value)?),
            "region" => s.regions_served.push(parse_stored("region", &r.value)?),
            "technology" => s.technologies.push(
                trellis_domain::partners::profile::TechTag::parse(&r.label).map_err(|e| {
                    Error::Internal(anyhow::anyhow!("stored technology {:?}: {e}", r.label))
                })?,
            ),
            other => {
                return Err(Error::Internal(anyhow::anyhow!(
                    "stored specialisation facet {other:?} is not valid"
                )));
            }
        }
    }
    s.normalise();
    Ok(s)
}

/// The rows that store a partner's specialisations.
pub(crate) fn specialisation_rows(org_id: OrgId, s: &Specialisations) -> Vec<SpecialisationRow> {
    let row = |facet: &str, value: &str, label: &str| SpecialisationRow {
        org_id: org_id.as_uuid(),
        facet: facet.into(),
        value: value.into(),
        label: label.into(),
    };
    let mut out = Vec::new();
    out.extend(
        s.industries
            .iter()
            .map(|v| row("industry", v.as_str(), v.label())),
    );
    out.extend(
        s.segments
            .iter()
            .map(|v| row("segment", v.as_str(), v.label())),
    );
    out.extend(
        s.regions_served
            .iter()
            .map(|v| row("region", v.as_str(), v.label())),
    );
    out.extend(
        s.technologies
            .iter()
            .map(|t| row("technology", t.key(), t.as_str())),
    );
    out
}

/// Brings what the directory reads up to date before a profile is written: the headquarters
/// region among the regions served, and the folded search text.
fn index_fields(org: &org_store::OrgRow, profile: &mut ProfileRow, specs: &mut Specialisations) {
    with_hq_region(specs, org.region.as_deref());
    profile.search_text = search_text(
        &org.name,
        &profile.description,
        org.country.as_deref(),
        org.website.as_deref(),
        specs,
    );
}

/// What directory text search reads: name, description, country, website and every
/// specialisation label, folded.
fn search_text(
    name: &str,
    description: &str,
    country: Option<&str>,
    website: Option<&str>,
    s: &Specialisations,
) -> String {
    let mut parts: Vec<&str> = vec![name, description];
    parts.extend(country);
    parts.extend(website);
    let labels: Vec<&str> = s
        .industries
        .iter()
        .map(|v| v.label())
        .chain(s.segments.iter().map(|v| v.label()))
        .chain(s.regions_served.iter().map(|v| v.label()))
        .chain(s.technologies.iter().map(TechTag::as_str))
        .collect();
    parts.extend(labels);
    fold(&parts.join(" \u{1f} "))
}

/// A change to a partner. `None` leaves a field alone; for nullable fields `Some(None)` clears.
#[derive(Clone, Debug, Default)]
pub struct PartnerPatch {
    /// Display name (vendor only).
    pub name: Option<String>,
    /// Partner type (vendor only).
    pub partner_type: Option<String>,
    /// Headquarters region.
    pub region: Option<Option<String>>,
    /// Headquarters country.
    pub country: Option<Option<String>>,
    /// Website.
    pub website: Option<Option<String>>,
    /// Owning channel manager (vendor only).
    pub owner_id: Option<Option<UserId>>,
    /// Description.
    pub description: Option<String>,
    /// Head count.
    pub employees: Option<Option<u32>>,
    /// Year founded.
    pub founded_year: Option<Option<i32>>,
    /// Active customers.
    pub customers: Option<Option<u32>>,
    /// Listed in the public locator.
    pub listed: Option<bool>,
    /// Industries (ids).
    pub industries: Option<Vec<String>>,
    /// Technologies (free text).
    pub technologies: Option<Vec<String>>,
    /// Segments (ids).
    pub segments: Option<Vec<String>>,
    /// Regions served (ids).
    pub regions_served: Option<Vec<String>>,
}

impl Services {
    /// Reads a partner; a partner user sees only its own organisation.
    pub async fn get_partner(&self, actor: &Actor, id: OrgId) -> Result<Partner> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await
    }

    /// Changes a partner's record, if `version` is current. Vendor users may change everything;
    /// a partner admin may change its own description, size, website, specialisations and
    /// locator listing.
    pub async fn update_partner(
        &self,
        actor: &Actor,
        id: OrgId,
        version: i64,
        patch: &PartnerPatch,
    ) -> Result<Partner> {
        actor.require(Permission::ProfileManage)?;
        visible(actor, id)?;
        if actor.partner_scope().is_some() {
            let mut e = FieldErrors::new();
            for (field, set) in [
                ("name", patch.name.is_some()),
                ("partner_type", patch.partner_type.is_some()),
                ("owner_id", patch.owner_id.is_some()),
            ] {
                if set {
                    e.add(field, "is managed by the vendor; ask your channel manager");
                }
            }
            e.into_result()?;
        }
        let mut tx = self.db().begin().await?;
        let after = self
            .update_partner_in(&mut tx, actor, id, Some(version), patch, self.now())
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Applies a [`PartnerPatch`] inside `tx`, checking `version` when given (the caller
    /// checked permissions).
    pub(crate) async fn update_partner_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: OrgId,
        version: Option<i64>,
        patch: &PartnerPatch,
        now: Timestamp,
    ) -> Result<Partner> {
        let before = load(&mut tx.exec(), id).await?;
        let row = dir_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let (mut org, mut profile) = (row.org, row.profile);
        let mut specs = before.specialisations.clone();
        let mut e = FieldErrors::new();
        apply_org_fields(patch, &mut org, &mut e);
        if let Some(owner) = patch.owner_id {
            profile.owner_id = match owner {
                None => None,
                Some(o) => {
                    check_owner(&mut tx.exec(), &mut e, o).await?;
                    Some(o.as_uuid())
                }
            };
        }
        apply_profile_fields(patch, &mut profile, &mut e, now);
        if let Some(new) = patch_specialisations(patch, &specs, &mut e) {
            specs = new;
        }
        e.into_result()?;
        if let Some(v) = version
            && org.version != v
        {
            return Err(Error::StaleVersion {
                current: org.version,
            });
        }
        let version = org.version;
        org.updated_at = now.millis();
        index_fields(&org, &mut profile, &mut specs);
        if !org_store::update(&mut tx.exec(), &org, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        store::update(&mut tx.exec(), &profile).await?;
        store::replace_specialisations(&mut tx.exec(), org.id, &specialisation_rows(id, &specs))
            .await?;
        // The fit score is labelled with the current IPP version, so it must describe the
        // profile as it is now, not as it was when the IPP was last saved.
        self.score_partner_in(tx, id, now).await?;
        let after = load(&mut tx.exec(), id).await?;
        self.record(
            tx,
            actor,
            now,
            Change {
                action: "partner.updated",
                object_type: "partner",
                object_id: id.to_string(),
                org_id: Some(id),
                summary: format!("updated the profile of {}", after.name),
                before: Some(json!(before)),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        // A complete profile completes the onboarding task that asks for one.
        if profile_complete(&after) {
            self.complete_tasks_of_kind(tx, actor, id, "profile", now)
                .await?;
        }
        Ok(after)
    }

    /// Moves a partner to another status (suspend, reactivate, terminate, or activate ahead
    /// of its checklist), with a reason that the partner's timeline shows.
    pub async fn set_partner_status(
        &self,
        actor: &Actor,
        id: OrgId,
        version: i64,
        to: PartnerStatus,
        reason: &str,
    ) -> Result<Partner> {
        actor.require(Permission::OrgsManage)?;
        visible(actor, id)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::field(
                "reason",
                "is required: say why the status changes",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(Error::field("reason", "must be at most 500 characters"));
        }
        let mut tx = self.db().begin().await?;
        let before = load(&mut tx.exec(), id).await?;
        if before.version != version {
            return Err(Error::StaleVersion {
                current: before.version,
            });
        }
        if !before.status.can_become(to) {
            return Err(Error::field(
                "status",
                format!(
                    "a partner that is {} cannot become {}",
                    before.status.label().to_lowercase(),
                    to.label().to_lowercase()
                ),
            ));
        }
        let now = self.now();
        let partner = self
            .change_status(&mut tx, actor, &before, to, reason, now)
            .await?;
        tx.commit().await?;
        Ok(partner)
    }

    /// Writes a status change with its history entry, event and audit entry.
    pub(crate) async fn change_status(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        before: &Partner,
        to: PartnerStatus,
        reason: &str,
        now: Timestamp,
    ) -> Result<Partner> {
        let id = before.id;
        let mut profile = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        profile.status = to.as_str().into();
        if to == PartnerStatus::Active && profile.activated_at.is_none() {
            profile.activated_at = Some(now.millis());
        }
        store::update(&mut tx.exec(), &profile).await?;
        touch(tx, id, before.version, now).await?;
        store::insert_status_change(
            &mut tx.exec(),
            &store::StatusChangeRow {
                id: uuid::Uuid::now_v7(),
                org_id: id.as_uuid(),
                from_status: Some(before.status.as_str().into()),
                to_status: to.as_str().into(),
                reason: reason.into(),
                actor_id: actor.user().map(|u| u.user_id.as_uuid()),
                created_at: now.millis(),
            },
        )
        .await?;
        let after = load(&mut tx.exec(), id).await?;
        let action = match (before.status, to) {
            (_, PartnerStatus::Active) if before.activated_at.is_none() => "partner.activated",
            (PartnerStatus::Suspended, PartnerStatus::Active) => "partner.reactivated",
            (_, PartnerStatus::Suspended) => "partner.suspended",
            (_, PartnerStatus::Terminated) => "partner.terminated",
            _ => "partner.status_changed",
        };
        self.record(
            tx,
            actor,
            now,
            Change {
                action,
                object_type: "partner",
                object_id: id.to_string(),
                org_id: Some(id),
                summary: format!(
                    "{}: {} → {} ({reason})",
                    after.name,
                    before.status.label(),
                    to.label()
                ),
                before: Some(json!({"status": before.status})),
                after: Some(json!({
                    "id": id,
                    "name": after.name,
                    "status": to,
                    "reason": reason,
                    "days_to_activation": after.days_to_activation(),
                })),
                publish: true,
            },
        )
        .await?;
        Ok(after)
    }

    /// The partner's status history, oldest first.
    pub async fn partner_status_history(
        &self,
        actor: &Actor,
        id: OrgId,
    ) -> Result<Vec<store::StatusChangeRow>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), id).await?;
        Ok(store::status_changes(&mut c.exec(), id.as_uuid()).await?)
    }
}

/// Applies the organisation fields of a patch, recording problems in `e`.
fn apply_org_fields(patch: &PartnerPatch, org: &mut org_store::OrgRow, e: &mut FieldErrors) {
    if let Some(name) = &patch.name
        && let Some(n) = e.check("name", PersonName::parse(name))
    {
        org.name = n.to_string();
    }
    if let Some(t) = &patch.partner_type
        && let Some(t) = e.check("partner_type", t.parse::<PartnerType>())
    {
        org.partner_type = Some(t.as_str().into());
    }
    if let Some(r) = &patch.region {
        org.region = match r.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(r) => e
                .check("region", r.parse::<Region>())
                .map(|r| r.as_str().into()),
        };
    }
    if let Some(c) = &patch.country {
        org.country = match c.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(c) => check_country(e, "country", c),
        };
    }
    if let Some(w) = &patch.website {
        org.website = match w.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(w) => e.check("website", WebUrl::parse(w)).map(|u| u.to_string()),
        };
    }
}

/// Applies the profile fields of a patch, recording problems in `e`.
fn apply_profile_fields(
    patch: &PartnerPatch,
    profile: &mut ProfileRow,
    e: &mut FieldErrors,
    now: Timestamp,
) {
    if let Some(d) = &patch.description {
        let d = d.trim();
        if d.chars().count() > 2000 {
            e.add("description", "must be at most 2,000 characters");
        }
        d.clone_into(&mut profile.description);
    }
    if let Some(n) = patch.employees {
        profile.employees = n.map(i64::from);
    }
    if let Some(n) = patch.customers {
        profile.customers = n.map(i64::from);
    }
    if let Some(y) = patch.founded_year {
        let this_year = now.year();
        if let Some(y) = y
            && !(1800..=this_year).contains(&y)
        {
            e.add(
                "founded_year",
                format!("must be between 1800 and {this_year}"),
            );
        }
        profile.founded_year = y.map(i64::from);
    }
    if let Some(l) = patch.listed {
        profile.listed = l;
    }
}

/// The specialisations after a patch (`None` when it changes none), recording problems in
/// `e`. Lists the patch leaves out keep their current values.
fn patch_specialisations(
    patch: &PartnerPatch,
    specs: &Specialisations,
    e: &mut FieldErrors,
) -> Option<Specialisations> {
    if patch.industries.is_none()
        && patch.technologies.is_none()
        && patch.segments.is_none()
        && patch.regions_served.is_none()
    {
        return None;
    }
    {
        let pick = |new: &Option<Vec<String>>, old: Vec<String>| new.clone().unwrap_or(old);
        Some(Specialisations::parse(
            &pick(
                &patch.industries,
                specs.industries.iter().map(|v| v.as_str().into()).collect(),
            ),
            &pick(
                &patch.technologies,
                specs
                    .technologies
                    .iter()
                    .map(|v| v.as_str().into())
                    .collect(),
            ),
            &pick(
                &patch.segments,
                specs.segments.iter().map(|v| v.as_str().into()).collect(),
            ),
            &pick(
                &patch.regions_served,
                specs
                    .regions_served
                    .iter()
                    .map(|v| v.as_str().into())
                    .collect(),
            ),
            e,
        ))
    }
}

/// A partner actor may only name its own organisation; others get `NotFound`.
pub(crate) fn visible(actor: &Actor, id: OrgId) -> Result<()> {
    match actor.partner_scope() {
        Some(scope) if scope.org_id() != id => Err(Error::NotFound),
        _ => Ok(()),
    }
}

/// Reads a partner with its specialisations.
pub(crate) async fn load(ex: &mut Exec<'_>, id: OrgId) -> Result<Partner> {
    let row = dir_store::find(ex, id.as_uuid())
        .await?
        .ok_or(Error::NotFound)?;
    let specs = store::specialisations(ex, id.as_uuid()).await?;
    to_partner(row, &specs)
}

/// Bumps the partner's version for a change to its profile.
pub(crate) async fn touch(tx: &mut Tx, id: OrgId, version: i64, now: Timestamp) -> Result<()> {
    let mut org = org_store::find(&mut tx.exec(), id.as_uuid())
        .await?
        .ok_or(Error::NotFound)?;
    org.updated_at = now.millis();
    if !org_store::update(&mut tx.exec(), &org, version).await? {
        return Err(Error::StaleVersion {
            current: version + 1,
        });
    }
    Ok(())
}

/// The headquarters region is always among the regions served, so a region filter in the
/// directory finds partners by where they are as well as where they sell.
fn with_hq_region(specs: &mut Specialisations, region: Option<&str>) {
    if let Some(r) = region.and_then(|r| r.parse::<Region>().ok())
        && !specs.regions_served.contains(&r)
    {
        specs.regions_served.push(r);
        specs.normalise();
    }
}

/// Validates an ISO 3166-1 alpha-2 code, returning it upper-cased.
pub(crate) fn check_country(e: &mut FieldErrors, field: &str, c: &str) -> Option<String> {
    let c = c.trim().to_ascii_uppercase();
    if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
        Some(c)
    } else {
        e.add(
            field,
            "must be a two-letter ISO 3166 country code such as DE or US",
        );
        None
    }
}

/// An owner must be an active or invited vendor admin or channel manager.
async fn check_owner(ex: &mut Exec<'_>, e: &mut FieldErrors, owner: UserId) -> Result<()> {
    let ok = match user_store::find(ex, owner.as_uuid(), None).await? {
        Some(u) => {
            let role: Role = parse_stored("role", &u.role)?;
            matches!(role, Role::VendorAdmin | Role::ChannelManager) && u.status != "disabled"
        }
        None => false,
    };
    if !ok {
        e.add(
            "owner_id",
            "must be an enabled vendor admin or channel manager",
        );
    }
    Ok(())
}

/// What "complete the profile" asks for: a description and at least one industry.
pub(crate) fn profile_complete(p: &Partner) -> bool {
    !p.description.is_empty() && !p.specialisations.industries.is_empty()
}

/// The initial profile of a new partner.
pub(crate) fn new_profile(org_id: OrgId, status: PartnerStatus, now: Timestamp) -> ProfileRow {
    ProfileRow {
        org_id: org_id.as_uuid(),
        status: status.as_str().into(),
        owner_id: None,
        description: String::new(),
        employees: None,
        founded_year: None,
        customers: None,
        listed: false,
        fit_score: None,
        fit_ipp_version: None,
        search_text: String::new(),
        approved_at: Some(now.millis()),
        activated_at: None,
        first_deal_at: None,
        tier_below_since: None,
        tier_override: None,
        tier_override_reason: None,
        tier_override_until: None,
        tier_evaluated_at: None,
    }
}

impl Services {
    /// Recomputes a partner's search text and headquarters region after its organisation
    /// record changed through the organisations API.
    pub(crate) async fn reindex_partner(&self, tx: &mut Tx, id: OrgId) -> Result<()> {
        let mut specs = load(&mut tx.exec(), id).await?.specialisations;
        let PartnerRow { org, mut profile } = dir_store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        index_fields(&org, &mut profile, &mut specs);
        store::update(&mut tx.exec(), &profile).await?;
        store::replace_specialisations(
            &mut tx.exec(),
            id.as_uuid(),
            &specialisation_rows(id, &specs),
        )
        .await?;
        // Type, region and country are scored by the IPP: keep the fit score current.
        self.score_partner_in(tx, id, self.now()).await?;
        Ok(())
    }
}

/// What a new partner starts with, from an application or a vendor user's form.
#[derive(Clone, Debug, Default)]
pub(crate) struct Admission {
    pub description: String,
    pub employees: Option<u32>,
    pub founded_year: Option<i32>,
    pub customers: Option<u32>,
    pub specialisations: Specialisations,
    /// A tier chosen by the vendor user who adds the partner, instead of the engine's.
    pub tier: Option<String>,
}

impl Services {
    /// Admits a new partner organisation (already inserted in `tx`) to the program: its
    /// profile, an `onboarding` status entry, its fit score, its onboarding checklist and its
    /// first tier.
    pub(crate) async fn admit_partner(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org: &org_store::OrgRow,
        admission: Admission,
        reason: &str,
        now: Timestamp,
    ) -> Result<Partner> {
        let id = OrgId::from_uuid(org.id);
        let mut specs = admission.specialisations;
        let mut profile = new_profile(id, PartnerStatus::Onboarding, now);
        profile.description = admission.description;
        profile.employees = admission.employees.map(i64::from);
        profile.founded_year = admission.founded_year.map(i64::from);
        profile.customers = admission.customers.map(i64::from);
        index_fields(org, &mut profile, &mut specs);
        store::insert(&mut tx.exec(), &profile).await?;
        store::replace_specialisations(&mut tx.exec(), org.id, &specialisation_rows(id, &specs))
            .await?;
        store::insert_status_change(
            &mut tx.exec(),
            &store::StatusChangeRow {
                id: uuid::Uuid::now_v7(),
                org_id: org.id,
                from_status: None,
                to_status: PartnerStatus::Onboarding.as_str().into(),
                reason: reason.into(),
                actor_id: actor.user().map(|u| u.user_id.as_uuid()),
                created_at: now.millis(),
            },
        )
        .await?;
        self.score_partner_in(tx, id, now).await?;
        self.generate_checklist(tx, id, now).await?;
        // An application may already bring what the profile task asks for. Completing it here
        // keeps the checklist independent of who approved: before, only a channel manager's
        // approval completed it (as a side effect of making them the owner through
        // `update_partner_in`), a vendor admin's left it open.
        if profile_complete(&load(&mut tx.exec(), id).await?) {
            self.complete_tasks_of_kind(tx, actor, id, "profile", now)
                .await?;
        }
        match admission.tier {
            Some(tier) => self.assign_initial_tier(tx, actor, id, &tier, now).await?,
            None => {
                self.evaluate_tier_in(tx, actor, id, now).await?;
            }
        }
        load(&mut tx.exec(), id).await
    }
}
