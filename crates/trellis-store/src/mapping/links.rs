//! PSI links and invitations: how a mapping connection reaches its other side on another
//! Trellis server. The one module that reads a link's secret: every other read leaves it out.

use sqlx::FromRow;
use uuid::Uuid;

use crate::db::Exec;
use crate::error::Result;
use crate::{execute, fetch};

/// One `psi_links` row, without its secret.
#[derive(Clone, Debug, FromRow)]
pub struct LinkRow {
    pub connection_id: Uuid,
    /// `server` (we made the invitation) or `client` (we redeemed it).
    pub role: String,
    /// On the client: the other server's PSI base URL.
    pub peer_url: Option<String>,
    /// The transport connection's id (chosen by the server side).
    pub psi_connection_id: String,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
    pub last_mapped_at: Option<i64>,
}

/// A link with its secret (base64url), for the transport only.
#[derive(Clone, FromRow)]
pub struct KeyedLinkRow {
    pub connection_id: Uuid,
    pub peer_url: Option<String>,
    pub psi_connection_id: String,
    pub secret: String,
    pub created_at: i64,
}

impl std::fmt::Debug for KeyedLinkRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLinkRow")
            .field("connection_id", &self.connection_id)
            .field("psi_connection_id", &self.psi_connection_id)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "connection_id, role, peer_url, psi_connection_id, created_by, created_at, last_mapped_at";
const KEYED: &str = "connection_id, peer_url, psi_connection_id, secret, created_at";

/// The link of a mapping connection, if it has one.
pub async fn find(ex: &mut Exec<'_>, connection_id: Uuid) -> Result<Option<LinkRow>> {
    let sql = format!("select {COLUMNS} from psi_links where connection_id = $1");
    Ok(fetch!(ex, LinkRow, &sql, [connection_id], fetch_optional)?)
}

/// A mapping connection's link with its secret.
pub async fn keyed(ex: &mut Exec<'_>, connection_id: Uuid) -> Result<Option<KeyedLinkRow>> {
    let sql = format!("select {KEYED} from psi_links where connection_id = $1");
    Ok(fetch!(
        ex,
        KeyedLinkRow,
        &sql,
        [connection_id],
        fetch_optional
    )?)
}

/// The link of a transport connection id, with its secret.
pub async fn keyed_by_psi_id(ex: &mut Exec<'_>, psi_id: &str) -> Result<Option<KeyedLinkRow>> {
    let sql = format!("select {KEYED} from psi_links where psi_connection_id = $1");
    Ok(fetch!(ex, KeyedLinkRow, &sql, [psi_id], fetch_optional)?)
}

/// Links a mapping connection, replacing any link it had.
pub async fn put(ex: &mut Exec<'_>, row: &LinkRow, secret: &str) -> Result<()> {
    execute!(
        ex,
        "delete from psi_links where connection_id = $1",
        [row.connection_id]
    )?;
    execute!(
        ex,
        "insert into psi_links (connection_id, role, peer_url, psi_connection_id, secret, \
         created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
        [
            row.connection_id,
            &row.role,
            &row.peer_url,
            &row.psi_connection_id,
            secret,
            row.created_by,
            row.created_at
        ]
    )?;
    Ok(())
}

/// Notes that a mapping over the link finished.
pub async fn mapped(ex: &mut Exec<'_>, connection_id: Uuid, at: i64) -> Result<()> {
    execute!(
        ex,
        "update psi_links set last_mapped_at = $1 where connection_id = $2",
        [at, connection_id]
    )?;
    Ok(())
}

/// One `psi_invitations` row: the token's hash (hex), never the token.
#[derive(Clone, Debug, FromRow)]
pub struct InvitationRow {
    pub token_hash: String,
    pub connection_id: Uuid,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
}

const INVITATION: &str =
    "token_hash, connection_id, created_by, created_at, expires_at, redeemed_at";

/// Keeps an invitation.
pub async fn insert_invitation(ex: &mut Exec<'_>, row: &InvitationRow) -> Result<()> {
    execute!(
        ex,
        "insert into psi_invitations (token_hash, connection_id, created_by, created_at, \
         expires_at) values ($1, $2, $3, $4, $5)",
        [
            &row.token_hash,
            row.connection_id,
            row.created_by,
            row.created_at,
            row.expires_at
        ]
    )?;
    Ok(())
}

/// The invitation with this token hash.
pub async fn invitation(ex: &mut Exec<'_>, token_hash: &str) -> Result<Option<InvitationRow>> {
    let sql = format!("select {INVITATION} from psi_invitations where token_hash = $1");
    Ok(fetch!(
        ex,
        InvitationRow,
        &sql,
        [token_hash],
        fetch_optional
    )?)
}

/// A connection's newest invitation.
pub async fn latest_invitation(
    ex: &mut Exec<'_>,
    connection_id: Uuid,
) -> Result<Option<InvitationRow>> {
    let sql = format!(
        "select {INVITATION} from psi_invitations where connection_id = $1 \
         order by created_at desc, token_hash limit 1"
    );
    Ok(fetch!(
        ex,
        InvitationRow,
        &sql,
        [connection_id],
        fetch_optional
    )?)
}

/// Marks an invitation used; false if it already was (a concurrent redemption won).
pub async fn redeem_invitation(ex: &mut Exec<'_>, token_hash: &str, at: i64) -> Result<bool> {
    let n = execute!(
        ex,
        "update psi_invitations set redeemed_at = $1 where token_hash = $2 \
         and redeemed_at is null",
        [at, token_hash]
    )?;
    Ok(n == 1)
}

/// Completes a finished private run: the link's last mapping, and no count of the other
/// side's accounts (a private mapping does not learn it).
pub async fn private_run_finished(
    ex: &mut Exec<'_>,
    run_id: Uuid,
    connection_id: Uuid,
    at: i64,
) -> Result<()> {
    execute!(
        ex,
        "update mapping_runs set partner_accounts = null where id = $1",
        [run_id]
    )?;
    mapped(ex, connection_id, at).await
}
