//! Account mapping (PRODUCT.md §3): each side's populations, its sharing policies, and the
//! connections between the vendor and its partners.
//!
//! A side is the vendor or one partner organisation. Everything here acts on the actor's own
//! side; what the other side may learn is decided by the sharing side's policy, in this
//! layer, before anything is shown.

mod accounts;
mod connections;
mod overlap;
mod populations;
mod private;
mod runs;
mod sharing;

use serde::Serialize;
use trellis_domain::mapping::{Filter, SharingPolicy};
use trellis_domain::{MappingConnectionId, OrgId, PopulationId, Timestamp, UserId};
use trellis_store::Exec;
use trellis_store::platform::orgs as org_store;

pub use accounts::{PartnerAccount, UploadReport};
pub use populations::PopulationInput;
pub use private::{PSI_PATH, PsiInvitation, PsiLink};
pub use runs::{
    MappingRun, MatrixCell, MatrixPopulation, OverlapFilter, OverlapItem, OverlapMatrix,
};
pub use sharing::{PolicyScope, PreviewLine};

use crate::{Actor, Error, Result};

/// A population of one side's accounts.
#[derive(Clone, Debug, Serialize)]
pub struct Population {
    /// Id.
    pub id: PopulationId,
    /// The side it belongs to.
    pub org_id: OrgId,
    /// `customers`, `open_opportunities`, `prospects`, or a custom key.
    pub key: String,
    /// Name.
    pub name: String,
    /// What it holds, in words.
    pub description: String,
    /// Its definition.
    pub filter: Filter,
    /// One of the three every side has (cannot be changed or deleted).
    pub builtin: bool,
    /// Accounts in it.
    pub member_count: u64,
    /// When they were counted.
    pub counted_at: Option<Timestamp>,
    /// Version, for edits.
    pub version: i64,
}

/// A side's sharing policy as stored: its default or an override for one connection.
#[derive(Clone, Debug, Serialize)]
pub struct StoredPolicy {
    /// What it applies to.
    pub scope: PolicyScope,
    /// The policy as written (an override names only what it changes).
    pub policy: SharingPolicy,
    /// With an override, the policy in force: the override over the default.
    pub effective: SharingPolicy,
    /// 0 when never saved.
    pub version: i64,
    /// Who saved it last.
    pub updated_by: Option<UserId>,
    /// When.
    pub updated_at: Option<Timestamp>,
}

/// The mapping connection between the vendor and one partner.
#[derive(Clone, Debug, Serialize)]
pub struct Connection {
    /// Id.
    pub id: MappingConnectionId,
    /// The partner.
    pub partner_id: OrgId,
    /// Its name.
    pub partner_name: String,
    /// When the vendor opted in, if it has.
    pub vendor_opted_in_at: Option<Timestamp>,
    /// When the partner opted in, if it has.
    pub partner_opted_in_at: Option<Timestamp>,
    /// Both sides have opted in: mappings run.
    pub active: bool,
    /// Version, for edits.
    pub version: i64,
}

impl crate::Services {
    /// The start of every change to a side's mapping: the permission, the clock, the
    /// transaction, and the side it is made for.
    async fn begin_mapping_change(
        &self,
        actor: &Actor,
    ) -> Result<(trellis_store::Tx, OrgId, Timestamp)> {
        actor.require(trellis_domain::Permission::MappingManage)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let org = side_of(&mut tx.exec(), actor).await?;
        Ok((tx, org, now))
    }
}

/// The organisation the actor maps for: its partner organisation, or the vendor.
pub(crate) async fn side_of(ex: &mut Exec<'_>, actor: &Actor) -> Result<OrgId> {
    if let Some(scope) = actor.partner_scope() {
        return Ok(scope.org_id());
    }
    org_store::find_vendor(ex)
        .await?
        .map(|o| OrgId::from_uuid(o.id))
        .ok_or(Error::InvalidState(
            "the deployment has no vendor organisation yet",
        ))
}

/// The fields of an account that a share lets the other side see.
pub(crate) fn shared_fields(
    a: &trellis_store::mapping::facts::FactsRow,
    fields: &[trellis_domain::mapping::SharedField],
) -> serde_json::Map<String, serde_json::Value> {
    use trellis_domain::mapping::SharedField as F;
    fields
        .iter()
        .map(|f| {
            let value = match f {
                F::Name => serde_json::json!(a.name),
                F::Domain => serde_json::json!(a.domain),
                F::Country => serde_json::json!(a.country),
                F::Industry => serde_json::json!(a.industry),
                F::Employees => serde_json::json!(a.employees),
                F::Owner => serde_json::json!(a.owner_name),
                F::Relationship => serde_json::json!(a.relationship),
                F::OpenOpportunities => serde_json::json!(a.open_opportunities),
            };
            (f.as_str().to_owned(), value)
        })
        .collect()
}
