//! Private mode between two Trellis servers (docs/psi.md, "Between two Trellis servers"):
//! each server keeps its own CRM; two vendors who are each other's partner map their accounts
//! with the PSI engine over a mutually authenticated link, and each stores its own view as a
//! private run of its mapping connection, exactly as hosted mode stores the vendor's view.
//!
//! A link is made once: one server's vendor admin invites ([`Services::create_psi_invitation`]),
//! the other's redeems the token ([`Services::link_psi`]). Redeeming is the other side's
//! consent, so it sets the connection's `partner_opted_in_at` on both servers; each vendor
//! still opts in locally. The client side drives every mapping (the run job); the server side
//! stores its view when the client finishes (see [`transport`]). Partners' users never see or
//! touch links: they are the vendor's.

mod transport;
mod views;

use serde::Serialize;
use serde_json::json;
use trellis_domain::validation::FieldErrors;
use trellis_domain::{MappingConnectionId, MappingRunId, OrgId, Permission, Timestamp};
use trellis_psi_net::{ClientConfig, Connection, Outcome, Progress, Secret};
use trellis_store::Json;
use trellis_store::Tx;
use trellis_store::mapping::connections::{self as connection_store, ConnectionRow};
use trellis_store::mapping::links::{self as store, InvitationRow, LinkRow};
use trellis_store::mapping::runs::{self as run_store, RunInputs, RunRow};
use uuid::Uuid;

use super::overlap::Side;
use super::populations::accounts_of;
use super::sharing::effective;
use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

pub(crate) use transport::PsiClock;

/// How long an invitation can be redeemed.
const INVITATION_TTL: std::time::Duration = std::time::Duration::from_hours(7 * 24);

/// Where the PSI routes live on a Trellis server, relative to its base URL.
pub const PSI_PATH: &str = "/api/v1/psi";

/// A new invitation: the token is shown once and stored only hashed.
#[derive(Clone, Debug, Serialize)]
pub struct PsiInvitation {
    /// The token to give the other server's admin (once).
    pub token: String,
    /// This server's PSI address, to give with it.
    pub url: String,
    /// Until when it can be redeemed.
    pub expires_at: Timestamp,
}

/// A connection's link to its other side on another server.
#[derive(Clone, Debug, Serialize)]
pub struct PsiLink {
    /// Linked: the connection maps with another server.
    pub linked: bool,
    /// `server` (we invited) or `client` (we redeemed; our runs drive the mapping).
    pub role: Option<String>,
    /// On the client: the other server's PSI address.
    pub peer_url: Option<String>,
    /// When the link was made.
    pub linked_at: Option<Timestamp>,
    /// When a mapping over it last finished.
    pub last_mapped_at: Option<Timestamp>,
    /// When the newest invitation not yet used expires.
    pub invitation_expires_at: Option<Timestamp>,
}

/// The vendor's admins only: a partner's users never see links.
fn require_vendor_admin(actor: &Actor) -> Result<()> {
    actor.require(Permission::MappingManage)?;
    if actor.partner_scope().is_some() {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// The PSI base URL of a server from what an admin typed: its base URL or the PSI address.
fn psi_url(url: &str) -> std::result::Result<String, &'static str> {
    let url = url.trim();
    if url.is_empty() {
        return Err("is required");
    }
    let parsed =
        url::Url::parse(url).map_err(|_| "is not a URL (https://trellis.partner.example, say)")?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err("must be an https:// address");
    }
    let base = url.trim_end_matches('/');
    Ok(if base.ends_with(PSI_PATH) {
        base.to_owned()
    } else {
        format!("{base}{PSI_PATH}")
    })
}

fn seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut s);
    s
}

impl Services {
    /// Invites the other side of a connection to link from its own Trellis server.
    pub async fn create_psi_invitation(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
    ) -> Result<PsiInvitation> {
        require_vendor_admin(actor)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let c = connection_store::find(&mut tx.exec(), connection.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let (token, invitation) =
            trellis_psi_net::new_invitation(&mut rand::rngs::OsRng, now.millis(), INVITATION_TTL);
        let row = InvitationRow {
            token_hash: transport::hex(&invitation.hash),
            connection_id: c.id,
            created_by: actor.user().map(|u| u.user_id.as_uuid()),
            created_at: now.millis(),
            expires_at: invitation.expires_ms,
            redeemed_at: None,
        };
        store::insert_invitation(&mut tx.exec(), &row).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.link_invited",
                object_type: "mapping_connection",
                object_id: c.id.to_string(),
                org_id: Some(OrgId::from_uuid(c.partner_org_id)),
                summary: format!(
                    "Invited {}'s Trellis server to map accounts privately",
                    c.partner_name
                ),
                before: None,
                after: Some(json!({"expires_at": Timestamp::from_millis(row.expires_at)})),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        let base = self.config().base_url.as_str().trim_end_matches('/');
        Ok(PsiInvitation {
            token: token.to_string(),
            url: format!("{base}{PSI_PATH}"),
            expires_at: Timestamp::from_millis(row.expires_at),
        })
    }

    /// Links a connection with the other server that invited it: redeems the token there,
    /// then keeps the link. Nothing changes here when the other server refuses.
    pub async fn link_psi(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
        url: &str,
        token: &str,
    ) -> Result<PsiLink> {
        require_vendor_admin(actor)?;
        let token = token.trim();
        let mut errors = FieldErrors::new();
        let url = psi_url(url).unwrap_or_else(|m| {
            errors.add("url", m);
            String::new()
        });
        if token.is_empty() {
            errors.add("token", "is required");
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        // Exists and is ours to link, before anything goes over the network.
        {
            let mut c = self.db().read().await?;
            connection_store::find(&mut c.exec(), connection.as_uuid())
                .await?
                .ok_or(Error::NotFound)?;
        }
        let clock = PsiClock(self.clone());
        let linked =
            trellis_psi_net::client::redeem(&url, token, &ClientConfig::default(), &clock, seed())
                .await
                .map_err(redeem_error)?;
        let now = self.now();
        let link = LinkRow {
            connection_id: connection.as_uuid(),
            role: "client".to_owned(),
            peer_url: linked.peer_url.clone(),
            psi_connection_id: linked.id.clone(),
            created_by: actor.user().map(|u| u.user_id.as_uuid()),
            created_at: now.millis(),
            last_mapped_at: None,
        };
        let mut tx = self.db().begin().await?;
        self.keep_link(&mut tx, &link, &linked.secret, Some(actor))
            .await?;
        tx.commit().await?;
        self.psi_link(actor, connection).await
    }

    /// A connection's link, if any, and its pending invitation.
    pub async fn psi_link(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
    ) -> Result<PsiLink> {
        require_vendor_admin(actor)?;
        let now = self.now();
        let mut c = self.db().read().await?;
        connection_store::find(&mut c.exec(), connection.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let link = store::find(&mut c.exec(), connection.as_uuid()).await?;
        let invitation = store::latest_invitation(&mut c.exec(), connection.as_uuid())
            .await?
            .filter(|i| i.redeemed_at.is_none() && i.expires_at > now.millis());
        Ok(PsiLink {
            linked: link.is_some(),
            role: link.as_ref().map(|l| l.role.clone()),
            peer_url: link.as_ref().and_then(|l| l.peer_url.clone()),
            linked_at: link.as_ref().map(|l| Timestamp::from_millis(l.created_at)),
            last_mapped_at: link
                .as_ref()
                .and_then(|l| l.last_mapped_at.map(Timestamp::from_millis)),
            invitation_expires_at: invitation.map(|i| Timestamp::from_millis(i.expires_at)),
        })
    }

    /// Keeps a link in the caller's transaction and records the other side's consent on the
    /// connection (`who`: the local user who linked or invited).
    async fn keep_link(
        &self,
        tx: &mut Tx,
        link: &LinkRow,
        secret: &Secret,
        actor: Option<&Actor>,
    ) -> Result<()> {
        let now = Timestamp::from_millis(link.created_at);
        let mut row: ConnectionRow = connection_store::find(&mut tx.exec(), link.connection_id)
            .await?
            .ok_or(Error::NotFound)?;
        let before = row.clone();
        store::put(&mut tx.exec(), link, &transport::secret_text(secret)).await?;
        if row.partner_opted_in_at.is_none() {
            row.partner_opted_in_at = Some(now.millis());
            row.partner_opted_in_by = link.created_by;
            row.updated_at = now.millis();
            if !connection_store::update(&mut tx.exec(), &row, before.version).await? {
                return Err(Error::StaleVersion {
                    current: before.version,
                });
            }
        }
        self.record(
            tx,
            actor.unwrap_or(&Actor::System),
            now,
            Change {
                action: "mapping.linked",
                object_type: "mapping_connection",
                object_id: row.id.to_string(),
                org_id: Some(OrgId::from_uuid(row.partner_org_id)),
                summary: format!(
                    "Linked account mapping with {}'s Trellis server ({})",
                    row.partner_name,
                    if link.role == "client" {
                        "we redeemed its invitation"
                    } else {
                        "it redeemed our invitation"
                    }
                ),
                before: None,
                after: Some(json!({
                    "role": link.role,
                    "peer_url": link.peer_url,
                    "partner_opted_in_at": row.partner_opted_in_at.map(Timestamp::from_millis),
                })),
                publish: false,
            },
        )
        .await?;
        Ok(())
    }

    /// Whether a connection maps privately, and if so whether this side can start it.
    pub(crate) async fn private_mode(&self, connection: Uuid) -> Result<Option<LinkRow>> {
        let mut c = self.db().read().await?;
        Ok(store::find(&mut c.exec(), connection).await?)
    }

    /// A private run of a connection, started at once (the server side's, when a client
    /// maps) or queued (the client side's, by the run job).
    async fn new_private_run(
        &self,
        connection: MappingConnectionId,
        requested_by: Option<Uuid>,
        status: &str,
    ) -> Result<Uuid> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let c = connection_store::find(&mut tx.exec(), connection.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let row = RunRow {
            id: MappingRunId::new().as_uuid(),
            connection_id: c.id,
            partner_org_id: c.partner_org_id,
            mode: "private".to_owned(),
            status: status.to_owned(),
            progress: 0,
            stage: "mapping with the other server".to_owned(),
            error: None,
            requested_by,
            requested_at: now.millis(),
            started_at: None,
            finished_at: None,
            vendor_policy: None,
            partner_policy: None,
            vendor_populations: None,
            partner_populations: None,
            vendor_accounts: None,
            partner_accounts: None,
            updated_at: now.millis(),
        };
        run_store::insert(&mut tx.exec(), &row).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    async fn fail_run(&self, run: Uuid, why: &str) -> Result<()> {
        let mut tx = self.db().begin().await?;
        run_store::fail(&mut tx.exec(), run, why, self.now().millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs a queued private mapping as the client: our side from the database, the other
    /// server's over the link. A failure of the link or the peer ends the run failed with
    /// the reason; only our own database's outage is an error (for the job to retry).
    pub(crate) async fn compute_private_run(&self, run: &RunRow, link: &LinkRow) -> Result<()> {
        if link.role != "client" {
            return self
                .fail_run(
                    run.id,
                    "the other server holds this link's client side: start the mapping there",
                )
                .await;
        }
        self.progress(run.id, 5, "reading our accounts").await?;
        let connection = MappingConnectionId::from_uuid(run.connection_id);
        let (vendor, policy, rows, keyed) = {
            let mut c = self.db().read().await?;
            let vendor = super::side_of(&mut c.exec(), &Actor::System).await?;
            (
                vendor,
                effective(&mut c.exec(), vendor, connection).await?,
                accounts_of(&mut c.exec(), vendor, true).await?,
                store::keyed(&mut c.exec(), run.connection_id).await?,
            )
        };
        let Some(keyed) = keyed else {
            return self
                .fail_run(run.id, "the connection is no longer linked")
                .await;
        };
        let populations = self.side_populations(vendor, true).await?;
        let (side, input) = tokio::task::spawn_blocking(move || {
            let side = Side::new(&populations, rows, policy);
            let input = views::side_input(&side);
            (side, input)
        })
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("mapping task: {e}")))?;
        self.progress(run.id, 10, "mapping with the other server")
            .await?;
        match self.map_over(run.id, &keyed, &input).await? {
            Ok(outcome) => self.store_private_outcome(run.id, side, &outcome).await,
            Err(why) => self.fail_run(run.id, &why).await,
        }
    }

    /// Drives the mapping with the peer, reporting progress on the run as it goes. The outer
    /// error is ours (the database); the inner one is the link's or the peer's, in words.
    async fn map_over(
        &self,
        run: Uuid,
        keyed: &trellis_store::mapping::links::KeyedLinkRow,
        input: &trellis_psi_net::SideInput,
    ) -> Result<std::result::Result<Outcome, String>> {
        let connection: Connection = match transport::connection_of(keyed) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let clock = std::sync::Arc::new(PsiClock(self.clone()));
        let mut peer =
            match trellis_psi_net::Peer::new(connection, ClientConfig::default(), clock, seed()) {
                Ok(p) => p,
                Err(e) => return Ok(Err(format!("the link: {e}"))),
            };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let reporter = {
            let s = self.clone();
            tokio::spawn(async move {
                let mut last = 10;
                while let Some(p) = rx.recv().await {
                    // Each of the (at most) four runs is a quarter of 10–80 %.
                    let total = p.total.max(1);
                    let done = usize::from(p.run.index()) * total + total.saturating_sub(p.left);
                    let pct = 10 + i64::try_from(70 * done / (4 * total)).unwrap_or(70);
                    if pct > last {
                        last = pct;
                        let _ = s.progress(run, pct, &format!("mapping: {}", p.run)).await;
                    }
                }
            })
        };
        let mut report = move |p: Progress| {
            let _ = tx.send(p);
        };
        let result = peer.map(input, &mut report).await;
        drop(report);
        let _ = reporter.await;
        Ok(result.map_err(|e| format!("mapping with the other server failed: {e}")))
    }

    /// Stores what a private mapping taught us as the run's one view: ours.
    async fn store_private_outcome(&self, run: Uuid, side: Side, outcome: &Outcome) -> Result<()> {
        self.progress(run, 85, "saving the results").await?;
        let vendor = {
            let mut c = self.db().read().await?;
            super::side_of(&mut c.exec(), &Actor::System).await?
        };
        let view = match views::view(&side, outcome) {
            Ok(v) => v,
            Err(why) => return self.fail_run(run, &why).await,
        };
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = run_store::find(&mut tx.exec(), run)
            .await?
            .ok_or(Error::NotFound)?;
        super::runs::store_view(&mut tx.exec(), run, vendor, &side, &view).await?;
        let inputs = RunInputs {
            vendor_policy: Json(serde_json::to_value(&side.policy).unwrap_or_default()),
            partner_policy: Json(
                serde_json::to_value(views::their_policy(outcome)).unwrap_or_default(),
            ),
            vendor_populations: Json(json!(side.populations)),
            partner_populations: Json(json!(views::their_populations(outcome))),
            vendor_accounts: i64::try_from(side.accounts.len()).unwrap_or(i64::MAX),
            partner_accounts: 0,
        };
        run_store::finish(&mut tx.exec(), run, &inputs, now.millis()).await?;
        // The other side's account count is not something a private mapping learns.
        store::private_run_finished(&mut tx.exec(), run, row.connection_id, now.millis()).await?;
        self.record(
            &mut tx,
            &Actor::System,
            now,
            Change {
                action: "mapping.completed",
                object_type: "mapping_run",
                object_id: run.to_string(),
                org_id: Some(OrgId::from_uuid(row.partner_org_id)),
                summary: format!(
                    "Private account mapping finished: {} overlapping pairs",
                    view.pairs.len()
                ),
                before: None,
                after: Some(json!({
                    "run_id": run,
                    "connection_id": row.connection_id,
                    "partner_id": row.partner_org_id,
                    "mode": "private",
                })),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A refused redemption, on the field the admin should fix.
fn redeem_error(e: trellis_psi_net::Error) -> Error {
    use trellis_psi_net::Error as E;
    match e {
        E::UnknownInvitation | E::InvitationExpired | E::InvitationUsed => {
            Error::field("token", e.to_string())
        }
        E::Refused {
            status: 403,
            detail,
        } => Error::field("token", detail),
        E::Refused { status: 404, .. } => Error::field(
            "url",
            "has no Trellis PSI endpoint (is it the other server's address?)",
        ),
        e => Error::field("url", format!("could not link: {e}")),
    }
}
