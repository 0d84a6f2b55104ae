//! Connections between the vendor and its partners. Mapping runs only once both sides have
//! opted in; either side may opt out again at any time.

use serde_json::json;
use trellis_domain::cosell::Side;
use trellis_domain::{MappingConnectionId, OrgId, OrgKind, Permission, Timestamp};
use trellis_store::mapping::connections::{self as store, ConnectionRow};
use trellis_store::platform::orgs as org_store;
use trellis_store::platform::users as user_store;

use super::Connection;
use crate::cosell::side_of as side;
use crate::deals::reviewers_of;
use crate::outbox::Change;
use crate::platform::email::{self, EmailMessage};
use crate::{Actor, Error, Result, Services};

impl From<ConnectionRow> for Connection {
    fn from(r: ConnectionRow) -> Self {
        Connection {
            id: MappingConnectionId::from_uuid(r.id),
            partner_id: OrgId::from_uuid(r.partner_org_id),
            partner_name: r.partner_name,
            vendor_opted_in_at: r.vendor_opted_in_at.map(Timestamp::from_millis),
            partner_opted_in_at: r.partner_opted_in_at.map(Timestamp::from_millis),
            active: r.vendor_opted_in_at.is_some() && r.partner_opted_in_at.is_some(),
            version: r.version,
        }
    }
}

impl Services {
    /// The connections the actor's side takes part in: every one for the vendor, its own
    /// (if any) for a partner.
    pub async fn mapping_connections(&self, actor: &Actor) -> Result<Vec<Connection>> {
        actor.require(Permission::MappingRead)?;
        let mut c = self.db().read().await?;
        Ok(match actor.partner_scope() {
            Some(s) => store::of_partner(&mut c.exec(), s.org_id().as_uuid())
                .await?
                .into_iter()
                .map(Connection::from)
                .collect(),
            None => store::all(&mut c.exec())
                .await?
                .into_iter()
                .map(Connection::from)
                .collect(),
        })
    }

    /// One connection the actor's side takes part in.
    pub async fn mapping_connection(
        &self,
        actor: &Actor,
        id: MappingConnectionId,
    ) -> Result<Connection> {
        actor.require(Permission::MappingRead)?;
        let mut c = self.db().read().await?;
        let row = store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        match actor.partner_scope() {
            Some(s) if s.org_id().as_uuid() != row.partner_org_id => Err(Error::NotFound),
            _ => Ok(row.into()),
        }
    }

    /// The actor's side opts in to mapping with the other: the vendor names the partner, a
    /// partner opts in with the vendor. The other side's people are told by e-mail.
    pub async fn opt_in_mapping(
        &self,
        actor: &Actor,
        partner: Option<OrgId>,
    ) -> Result<Connection> {
        self.set_opt_in(actor, partner, true).await
    }

    /// The actor's side opts out: no mapping runs until it opts in again.
    pub async fn opt_out_mapping(
        &self,
        actor: &Actor,
        partner: Option<OrgId>,
    ) -> Result<Connection> {
        self.set_opt_in(actor, partner, false).await
    }

    async fn set_opt_in(
        &self,
        actor: &Actor,
        partner: Option<OrgId>,
        opt_in: bool,
    ) -> Result<Connection> {
        actor.require(Permission::MappingManage)?;
        let side = side(actor);
        let partner = match (actor.partner_scope(), partner) {
            (Some(s), _) => s.org_id(),
            (None, Some(p)) => p,
            (None, None) => return Err(Error::field("partner_id", "is required")),
        };
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let org = org_store::find(&mut tx.exec(), partner.as_uuid())
            .await?
            .filter(|o| o.kind == OrgKind::Partner.as_str())
            .ok_or_else(|| Error::field("partner_id", "is not a partner"))?;
        let existing = store::of_partner(&mut tx.exec(), partner.as_uuid()).await?;
        let mut row = existing.clone().unwrap_or_else(|| ConnectionRow {
            id: MappingConnectionId::new().as_uuid(),
            partner_org_id: partner.as_uuid(),
            partner_name: org.name.clone(),
            vendor_opted_in_at: None,
            vendor_opted_in_by: None,
            partner_opted_in_at: None,
            partner_opted_in_by: None,
            version: 0,
            created_at: now.millis(),
            updated_at: now.millis(),
        });
        let who = actor.user().map(|u| u.user_id.as_uuid());
        let (at, by) = match side {
            Side::Vendor => (&mut row.vendor_opted_in_at, &mut row.vendor_opted_in_by),
            Side::Partner => (&mut row.partner_opted_in_at, &mut row.partner_opted_in_by),
        };
        if at.is_some() == opt_in {
            // Already so: nothing to record.
            tx.commit().await?;
            return Ok(row.into());
        }
        *at = opt_in.then_some(now.millis());
        *by = if opt_in { who } else { None };
        row.updated_at = now.millis();
        match &existing {
            None => store::insert(&mut tx.exec(), &row).await?,
            Some(e) => {
                if !store::update(&mut tx.exec(), &row, e.version).await? {
                    return Err(Error::StaleVersion { current: e.version });
                }
            }
        }
        let connection = Connection::from(row.clone());
        let verb = if opt_in {
            "opted in to"
        } else {
            "opted out of"
        };
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: if opt_in {
                    "mapping.opted_in"
                } else {
                    "mapping.opted_out"
                },
                object_type: "mapping_connection",
                object_id: connection.id.to_string(),
                org_id: Some(partner),
                summary: format!(
                    "The {} {verb} account mapping with {}",
                    side.as_str(),
                    if side == Side::Vendor {
                        &org.name
                    } else {
                        "the vendor"
                    }
                ),
                before: existing.map(|e| json!(Connection::from(e))),
                after: Some(json!(connection)),
                publish: false,
            },
        )
        .await?;
        self.tell_other_side(&mut tx, side, partner, &org.name, opt_in, connection.active)
            .await?;
        tx.commit().await?;
        Ok(connection)
    }

    /// E-mails the other side's people that this side opted in or out.
    async fn tell_other_side(
        &self,
        tx: &mut trellis_store::Tx,
        side: Side,
        partner: OrgId,
        partner_name: &str,
        opt_in: bool,
        active: bool,
    ) -> Result<()> {
        let now = self.now();
        let verb = if opt_in {
            "opted in to"
        } else {
            "opted out of"
        };
        let recipients = match side {
            Side::Vendor => user_store::admins_of(&mut tx.exec(), partner.as_uuid()).await?,
            Side::Partner => reviewers_of(&mut tx.exec(), partner).await?,
        };
        let (link, whom) = match side {
            Side::Vendor => (self.config().link("/portal/mapping"), "The vendor"),
            Side::Partner => (self.config().link("/console/mapping"), partner_name),
        };
        let next = match (opt_in, active) {
            (true, true) => "Both sides have opted in: mappings can run.".to_owned(),
            (true, false) => "Opt in too to see which accounts you have in common; your \
                              sharing policy decides what the other side learns."
                .to_owned(),
            (false, _) => "No mapping runs until both sides opt in again.".to_owned(),
        };
        for to in recipients {
            let msg = EmailMessage {
                to,
                subject: format!("{whom} {verb} account mapping"),
                body: format!("{whom} {verb} account mapping with you. {next}\n\n{link}\n"),
            };
            email::queue(tx, &msg, now, self.config().job_max_attempts).await?;
        }
        Ok(())
    }
}
