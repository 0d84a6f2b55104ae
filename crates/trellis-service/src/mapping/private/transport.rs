//! The PSI transport's two traits over this deployment's database, and the server that the
//! web layer mounts under `/api/v1/psi`.
//!
//! - [`DbLinks`] keeps invitations and links in `psi_invitations` and `psi_links`. Redeeming
//!   an invitation links the invited mapping connection and records the other server's
//!   consent on it (its `partner_opted_in_at`), in one transaction.
//! - [`DbInputs`] gives the vendor's side of a linked connection: its CRM accounts, its
//!   populations and its policy in force for that connection, only while the vendor opts in.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use trellis_domain::MappingConnectionId;
use trellis_psi_net::connections::Invitation;
use trellis_psi_net::server::{InputSource, Mapped};
use trellis_psi_net::{BoxFuture, Connection, ConnectionStore, PsiServer, Secret, SideInput};
use trellis_store::mapping::connections as connection_store;
use trellis_store::mapping::links::{self as store, KeyedLinkRow, LinkRow};

use super::super::overlap::Side;
use super::super::populations::accounts_of;
use super::super::sharing::effective;
use super::views::side_input;
use crate::{Actor, Error, Services};

/// The services' clock, as the transport reads it.
#[derive(Debug)]
pub(crate) struct PsiClock(pub(crate) Services);

impl trellis_psi_net::Clock for PsiClock {
    fn now_ms(&self) -> i64 {
        self.0.now().millis()
    }
}

fn internal(e: impl std::fmt::Display) -> trellis_psi_net::Error {
    trellis_psi_net::Error::Internal(e.to_string())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub(crate) fn secret_text(s: &Secret) -> String {
    URL_SAFE_NO_PAD.encode(s.expose())
}

/// A stored link as the transport's connection.
pub(crate) fn connection_of(row: &KeyedLinkRow) -> trellis_psi_net::Result<Connection> {
    let bytes = zeroize::Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(row.secret.as_bytes())
            .map_err(|_| internal("a stored link secret is damaged"))?,
    );
    let secret = <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| internal("a stored link secret is damaged"))?;
    Ok(Connection {
        id: row.psi_connection_id.clone(),
        secret: Secret::from_bytes(secret),
        created_ms: row.created_at,
        peer_url: row.peer_url.clone(),
    })
}

/// Invitations and links in the database.
#[derive(Debug)]
pub(crate) struct DbLinks(pub(crate) Services);

impl ConnectionStore for DbLinks {
    fn add_invitation(&self, _: Invitation) -> BoxFuture<'_, trellis_psi_net::Result<()>> {
        // Invitations belong to a mapping connection: the mapping service makes them.
        Box::pin(async { Err(internal("invitations are made by the mapping service")) })
    }

    fn redeem(
        &self,
        hash: [u8; 32],
        now_ms: i64,
        connection: Connection,
    ) -> BoxFuture<'_, trellis_psi_net::Result<()>> {
        Box::pin(async move {
            self.0
                .redeem_psi_invitation(&hex(&hash), now_ms, &connection)
                .await
        })
    }

    fn add_connection(&self, _: Connection) -> BoxFuture<'_, trellis_psi_net::Result<()>> {
        Box::pin(async { Err(internal("links are made by the mapping service")) })
    }

    fn connection<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, trellis_psi_net::Result<Option<Connection>>> {
        Box::pin(async move {
            let mut c = self.0.db().read().await.map_err(internal)?;
            let row = store::keyed_by_psi_id(&mut c.exec(), id)
                .await
                .map_err(internal)?;
            row.as_ref().map(connection_of).transpose()
        })
    }
}

/// The vendor's side for a linked connection.
#[derive(Debug)]
pub(crate) struct DbInputs(pub(crate) Services);

impl InputSource for DbInputs {
    fn input<'a>(
        &'a self,
        connection: &'a Connection,
    ) -> BoxFuture<'a, trellis_psi_net::Result<Arc<SideInput>>> {
        Box::pin(async move {
            let side = self.0.served_side(&connection.id).await?;
            Ok(Arc::new(side_input(&side.1)))
        })
    }
}

impl Services {
    /// The PSI server of this deployment: links and invitations from the database, the
    /// vendor's side as input, and each mapping a client runs stored as a private run of the
    /// linked connection (the server's own view). Seeded from the operating system.
    pub fn psi_server(&self) -> PsiServer {
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let services = self.clone();
        PsiServer::new(
            Arc::new(DbLinks(self.clone())),
            Arc::new(DbInputs(self.clone())),
            Arc::new(PsiClock(self.clone())),
            seed,
        )
        .on_mapped_async(move |m: Mapped| {
            let s = services.clone();
            Box::pin(async move {
                if let Err(e) = s.store_served_mapping(m).await {
                    tracing::error!(error = %e, "PSI: storing the server side's view failed");
                }
            })
        })
    }

    /// The mapping connection a transport connection links, and the vendor's side for it;
    /// refused while the vendor does not opt in.
    pub(crate) async fn served_side(
        &self,
        psi_id: &str,
    ) -> trellis_psi_net::Result<(MappingConnectionId, Side)> {
        let refused = |m: &str| trellis_psi_net::Error::Input(m.to_owned());
        let (connection, vendor, policy, rows) = {
            let mut c = self.db().read().await.map_err(internal)?;
            let link = store::keyed_by_psi_id(&mut c.exec(), psi_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| refused("this link no longer exists"))?;
            let row = connection_store::find(&mut c.exec(), link.connection_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| refused("this link no longer exists"))?;
            // Our vendor's consent, and the other side's (the link, unless withdrawn here).
            if row.vendor_opted_in_at.is_none() || row.partner_opted_in_at.is_none() {
                return Err(refused(
                    "the other side has not opted in to account mapping with you",
                ));
            }
            let vendor = super::super::side_of(&mut c.exec(), &Actor::System)
                .await
                .map_err(internal)?;
            let connection = MappingConnectionId::from_uuid(row.id);
            (
                connection,
                vendor,
                effective(&mut c.exec(), vendor, connection)
                    .await
                    .map_err(internal)?,
                accounts_of(&mut c.exec(), vendor, true)
                    .await
                    .map_err(internal)?,
            )
        };
        let populations = self
            .side_populations(vendor, true)
            .await
            .map_err(internal)?;
        let side = tokio::task::spawn_blocking(move || Side::new(&populations, rows, policy))
            .await
            .map_err(internal)?;
        Ok((connection, side))
    }

    /// Records a redemption: the invitation used, the link kept, the other side's consent.
    async fn redeem_psi_invitation(
        &self,
        hash: &str,
        now_ms: i64,
        connection: &Connection,
    ) -> trellis_psi_net::Result<()> {
        use trellis_psi_net::Error as E;
        let mut tx = self.db().begin().await.map_err(internal)?;
        let inv = store::invitation(&mut tx.exec(), hash)
            .await
            .map_err(internal)?
            .ok_or(E::UnknownInvitation)?;
        if inv.redeemed_at.is_some() {
            return Err(E::InvitationUsed);
        }
        if now_ms >= inv.expires_at {
            return Err(E::InvitationExpired);
        }
        if !store::redeem_invitation(&mut tx.exec(), hash, now_ms)
            .await
            .map_err(internal)?
        {
            return Err(E::InvitationUsed);
        }
        let link = LinkRow {
            connection_id: inv.connection_id,
            role: "server".to_owned(),
            peer_url: None,
            psi_connection_id: connection.id.clone(),
            created_by: inv.created_by,
            created_at: now_ms,
            last_mapped_at: None,
        };
        self.keep_link(&mut tx, &link, &connection.secret, None)
            .await
            .map_err(|e| match e {
                Error::NotFound => E::UnknownInvitation,
                e => internal(e),
            })?;
        tx.commit().await.map_err(internal)?;
        Ok(())
    }

    /// The server side's view of a mapping a client ran, stored as a private run.
    async fn store_served_mapping(&self, m: Mapped) -> crate::Result<()> {
        let (connection, side) = self
            .served_side(&m.connection)
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
        let run = self.new_private_run(connection, None, "running").await?;
        if side_input(&side).digest() != m.input.digest() {
            return self
                .fail_run(run, "our accounts or sharing changed while the mapping ran")
                .await;
        }
        self.store_private_outcome(run, side, &m.outcome).await
    }
}
