//! A side's populations: the three built-ins every side has, custom ones defined by a
//! filter, and their counts, recounted whenever the side's accounts changed since.

use serde_json::json;
use trellis_domain::mapping::{AccountFacts, Builtin, Filter, check_population_key};
use trellis_domain::{FieldErrors, OrgId, Permission, PopulationId, Timestamp};
use trellis_store::mapping::facts::{self, FactsRow};
use trellis_store::mapping::policies as policy_store;
use trellis_store::mapping::populations::{self as store, PopulationRow};
use trellis_store::{Exec, Json};

use super::{Population, side_of};
use crate::crm::plain;
use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// Populations per side: a mapping carries an account's memberships as a 64-bit mask.
pub(crate) const MAX_POPULATIONS: usize = 64;

/// A custom population as written.
#[derive(Clone, Debug, Default)]
pub struct PopulationInput {
    /// Key (lower-case slug); made from the name when empty. Fixed once created.
    pub key: String,
    /// Name (required).
    pub name: String,
    /// What it holds, in words.
    pub description: String,
    /// Which accounts belong.
    pub filter: Filter,
}

/// The fields a population's filter tests, borrowed from a row.
pub(crate) fn facts_of(r: &FactsRow) -> AccountFacts<'_> {
    AccountFacts {
        relationship: &r.relationship,
        country: &r.country,
        industry: &r.industry,
        account_type: &r.account_type,
        owner: &r.owner_name,
        employees: r.employees,
        open_opportunities: r.open_opportunities,
        name: &r.name,
        domain: &r.domain,
    }
}

/// A side's accounts as populations see them: the vendor's CRM, or what a partner brought.
pub(crate) async fn accounts_of(
    ex: &mut Exec<'_>,
    org: OrgId,
    vendor: bool,
) -> Result<Vec<FactsRow>> {
    Ok(if vendor {
        facts::vendor_accounts(ex).await?
    } else {
        facts::partner_accounts(ex, org.as_uuid()).await?
    })
}

/// A key from a name: "DACH enterprise" → `dach_enterprise`.
fn key_from(name: &str) -> String {
    let folded = trellis_domain::text::fold(name);
    let mut key = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_');
    let key = if key.starts_with(|c: char| c.is_ascii_digit()) {
        format!("p_{key}")
    } else {
        key.to_owned()
    };
    key.chars().take(60).collect()
}

fn check(input: &PopulationInput, key_given: bool) -> Result<(String, String, String)> {
    let mut e = FieldErrors::new();
    let name = plain(&mut e, "name", &input.name, 120, false);
    if name.is_empty() {
        e.add("name", "is required");
    }
    let description = plain(&mut e, "description", &input.description, 500, true);
    let key = if key_given {
        input.key.trim().to_owned()
    } else {
        key_from(&name)
    };
    if (key_given || !name.is_empty())
        && let Err(why) = check_population_key(&key)
    {
        e.add(if key_given { "key" } else { "name" }, why);
    }
    if let Err(errors) = input.filter.validate() {
        for f in errors.iter() {
            e.add(format!("filter.{}", f.field), f.message.clone());
        }
    }
    e.into_result()?;
    Ok((key, name, description))
}

impl TryFrom<PopulationRow> for Population {
    type Error = Error;
    fn try_from(r: PopulationRow) -> Result<Self> {
        Ok(Population {
            id: PopulationId::from_uuid(r.id),
            org_id: OrgId::from_uuid(r.org_id),
            filter: serde_json::from_value(r.filter.0)
                .map_err(|e| Error::Internal(anyhow::anyhow!("stored filter: {e}")))?,
            key: r.key,
            name: r.name,
            description: r.description,
            builtin: r.builtin,
            member_count: u64::try_from(r.member_count).unwrap_or(0),
            counted_at: r.counted_at.map(Timestamp::from_millis),
            version: r.version,
        })
    }
}

impl Services {
    /// The actor's side's populations, built-ins first, with current counts.
    pub async fn list_populations(&self, actor: &Actor) -> Result<Vec<Population>> {
        actor.require(Permission::MappingRead)?;
        let (org, vendor) = {
            let mut c = self.db().read().await?;
            let org = side_of(&mut c.exec(), actor).await?;
            (org, actor.partner_scope().is_none())
        };
        self.side_populations(org, vendor).await
    }

    /// A side's populations, creating its built-ins the first time and recounting when its
    /// accounts changed since the last count.
    pub(crate) async fn side_populations(
        &self,
        org: OrgId,
        vendor: bool,
    ) -> Result<Vec<Population>> {
        let (rows, changed_at) = {
            let mut c = self.db().read().await?;
            let rows = store::of_org(&mut c.exec(), org.as_uuid()).await?;
            let changed_at = if vendor {
                facts::vendor_changed_at(&mut c.exec()).await?
            } else {
                facts::partner_changed_at(&mut c.exec(), org.as_uuid()).await?
            };
            (rows, changed_at)
        };
        let stale = rows.len() < Builtin::ALL.len()
            || rows
                .iter()
                .any(|r| r.counted_at.is_none_or(|at| at <= changed_at));
        if !stale {
            return rows.into_iter().map(Population::try_from).collect();
        }
        self.recount(org, vendor).await
    }

    /// Counts every population of a side (creating the built-ins if missing).
    async fn recount(&self, org: OrgId, vendor: bool) -> Result<Vec<Population>> {
        let now = self.now();
        let accounts = {
            let mut c = self.db().read().await?;
            accounts_of(&mut c.exec(), org, vendor).await?
        };
        let mut tx = self.db().begin().await?;
        for b in Builtin::ALL {
            store::insert_missing(&mut tx.exec(), &builtin_row(org, *b, now)).await?;
        }
        let rows = store::of_org(&mut tx.exec(), org.as_uuid()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut p = Population::try_from(row)?;
            let n = accounts
                .iter()
                .filter(|a| p.filter.matches(&facts_of(a)))
                .count();
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            store::set_count(&mut tx.exec(), p.id.as_uuid(), n, now.millis()).await?;
            p.member_count = u64::try_from(n).unwrap_or(0);
            p.counted_at = Some(now);
            out.push(p);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Defines a custom population of the actor's side.
    pub async fn create_population(
        &self,
        actor: &Actor,
        input: &PopulationInput,
    ) -> Result<Population> {
        actor.require(Permission::MappingManage)?;
        let (key, name, description) = check(input, !input.key.trim().is_empty())?;
        let (mut tx, org, now) = self.begin_mapping_change(actor).await?;
        if store::of_org(&mut tx.exec(), org.as_uuid()).await?.len() >= MAX_POPULATIONS {
            return Err(Error::field(
                "key",
                format!(
                    "a side has at most {MAX_POPULATIONS} populations (the three built-ins \
                     included); delete one you no longer map first"
                ),
            ));
        }
        let row = PopulationRow {
            id: PopulationId::new().as_uuid(),
            org_id: org.as_uuid(),
            key,
            name,
            description,
            filter: Json(json!(input.filter)),
            builtin: false,
            member_count: 0,
            counted_at: None,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        store::insert(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => Error::field(
                    "key",
                    format!("you have a population \"{}\" already", row.key),
                ),
                e => e.into(),
            })?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.population_created",
                object_type: "population",
                object_id: row.id.to_string(),
                org_id: Some(org),
                summary: format!("Population {} defined: {}", row.name, input.filter),
                before: None,
                after: Some(json!({"key": row.key, "name": row.name, "filter": input.filter})),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        self.population(actor, org, PopulationId::from_uuid(row.id))
            .await
    }

    /// Changes a custom population's name, description or filter (its key stays).
    pub async fn update_population(
        &self,
        actor: &Actor,
        id: PopulationId,
        version: i64,
        input: &PopulationInput,
    ) -> Result<Population> {
        let (mut tx, org, now) = self.begin_mapping_change(actor).await?;
        let mut row = store::find(&mut tx.exec(), org.as_uuid(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if row.builtin {
            return Err(Error::InvalidState(
                "a built-in population cannot be changed; define a custom one",
            ));
        }
        let fixed_key = PopulationInput {
            key: row.key.clone(),
            ..input.clone()
        };
        let (_, name, description) = check(&fixed_key, true)?;
        let before =
            json!({"name": row.name, "description": row.description, "filter": row.filter.0});
        let current = row.version;
        row.name = name;
        row.description = description;
        row.filter = Json(json!(input.filter));
        row.updated_at = now.millis();
        if !store::update(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion { current });
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.population_changed",
                object_type: "population",
                object_id: id.to_string(),
                org_id: Some(org),
                summary: format!("Population {} changed: {}", row.name, input.filter),
                before: Some(before),
                after: Some(json!({"name": row.name, "description": row.description, "filter": input.filter})),
                publish: false,
            },
        )
        .await?;
        store::invalidate(&mut tx.exec(), org.as_uuid()).await?;
        tx.commit().await?;
        self.population(actor, org, id).await
    }

    /// Deletes a custom population; the side's sharing policies forget it.
    pub async fn delete_population(&self, actor: &Actor, id: PopulationId) -> Result<()> {
        let (mut tx, org, now) = self.begin_mapping_change(actor).await?;
        let row = store::find(&mut tx.exec(), org.as_uuid(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if row.builtin {
            return Err(Error::InvalidState(
                "a built-in population cannot be deleted",
            ));
        }
        for mut p in policy_store::of_org(&mut tx.exec(), org.as_uuid()).await? {
            let Some(populations) = p
                .policy
                .0
                .get_mut("populations")
                .and_then(|v| v.as_object_mut())
            else {
                continue;
            };
            if populations.remove(&row.key).is_some() {
                let version = p.version;
                p.updated_at = now.millis();
                p.updated_by = actor.user().map(|u| u.user_id.as_uuid());
                policy_store::put(&mut tx.exec(), &p, version).await?;
            }
        }
        store::delete(&mut tx.exec(), org.as_uuid(), id.as_uuid()).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.population_deleted",
                object_type: "population",
                object_id: id.to_string(),
                org_id: Some(org),
                summary: format!("Population {} deleted", row.name),
                before: Some(json!({"key": row.key, "name": row.name, "filter": row.filter.0})),
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One population of the actor's side, counted.
    async fn population(&self, actor: &Actor, org: OrgId, id: PopulationId) -> Result<Population> {
        self.side_populations(org, actor.partner_scope().is_none())
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(Error::NotFound)
    }
}

fn builtin_row(org: OrgId, b: Builtin, now: Timestamp) -> PopulationRow {
    PopulationRow {
        id: PopulationId::new().as_uuid(),
        org_id: org.as_uuid(),
        key: b.as_str().to_owned(),
        name: b.label().to_owned(),
        description: b.description().to_owned(),
        filter: Json(json!(b.filter())),
        builtin: true,
        member_count: 0,
        counted_at: None,
        version: 1,
        created_at: now.millis(),
        updated_at: now.millis(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_from_names() {
        assert_eq!(key_from("DACH Enterprise"), "dach_enterprise");
        assert_eq!(key_from("  Über-Kunden (2026) "), "uber_kunden_2026");
        assert_eq!(key_from("2026 targets"), "p_2026_targets");
    }
}
