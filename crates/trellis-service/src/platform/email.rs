//! Outgoing e-mail. Messages are queued as jobs inside the transaction that caused them and
//! sent over SMTP by the worker, so a crash between commit and send loses nothing.

use serde::{Deserialize, Serialize};
use trellis_domain::Timestamp;
use trellis_store::Tx;

use crate::Result;
use crate::outbox::{self, kinds};

/// One plain-text message, the payload of an `email.send` job.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmailMessage {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Queues a message in `tx`.
pub(crate) async fn queue(
    tx: &mut Tx,
    msg: &EmailMessage,
    now: Timestamp,
    max_attempts: u32,
) -> Result<()> {
    let payload = serde_json::to_value(msg).map_err(anyhow::Error::from)?;
    outbox::enqueue(tx, kinds::EMAIL, payload, now, now, max_attempts).await?;
    Ok(())
}
