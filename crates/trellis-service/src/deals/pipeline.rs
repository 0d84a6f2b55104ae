//! The shared pipeline: which partners are on which vendor opportunities.

use serde::Serialize;
use trellis_domain::cosell::credit::PartnerRole;
use trellis_domain::{DealRegistrationId, OpportunityId, OrgId, Permission, Timestamp};
use trellis_store::deals::involvement::{self, InvolvementRow};

use crate::platform::parse_stored;
use crate::{Actor, Error, Result, Services};

/// A partner on an opportunity.
#[derive(Clone, Debug, Serialize)]
pub struct Involvement {
    /// The partner.
    pub partner_id: OrgId,
    /// Its name.
    pub partner_name: String,
    /// Sourced, co-sell or influence.
    pub role: PartnerRole,
    /// The registration it came from.
    pub registration_id: Option<DealRegistrationId>,
    /// Since when.
    pub since: Timestamp,
}

impl TryFrom<InvolvementRow> for Involvement {
    type Error = crate::Error;
    fn try_from(r: InvolvementRow) -> Result<Self> {
        Ok(Self {
            partner_id: OrgId::from_uuid(r.org_id),
            partner_name: r.org_name,
            role: parse_stored("role", &r.role)?,
            registration_id: r.registration_id.map(DealRegistrationId::from_uuid),
            since: Timestamp::from_millis(r.created_at),
        })
    }
}

impl Services {
    /// The partners on a vendor opportunity (vendor users who read CRM data).
    pub async fn opportunity_partners(
        &self,
        actor: &Actor,
        id: OpportunityId,
    ) -> Result<Vec<Involvement>> {
        actor.require(Permission::CrmRead)?;
        if !actor.is_vendor_side() {
            return Err(Error::NotFound);
        }
        let mut c = self.db().read().await?;
        involvement::of_opportunities(&mut c.exec(), &[id.as_uuid()])
            .await?
            .into_iter()
            .map(Involvement::try_from)
            .collect()
    }
}
