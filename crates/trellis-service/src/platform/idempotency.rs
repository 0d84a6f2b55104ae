//! `Idempotency-Key` support for creates. The key is reserved *before* the create runs, so two
//! concurrent requests with one key cannot both create; the response is then saved for 24
//! hours and replayed for a retry with the same key and body. A different body under the same
//! key, or a retry while the first request still runs, is a 409.

use trellis_store::platform::idempotency as store;

use crate::{Actor, Error, Result, Services};

/// A saved response.
#[derive(Clone, Debug)]
pub struct SavedResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Idempotent {
    /// First time: the key is reserved; run the create, then call `idempotency_finish`.
    Run,
    /// Seen before: answer with the saved response.
    Replay(SavedResponse),
}

/// How long a saved response is honoured.
const TTL_MS: i64 = 24 * 3600 * 1000;
/// A reservation older than this belongs to a request that died before finishing.
const ABANDONED_MS: i64 = 60 * 1000;
/// `status` of a reservation whose create has not finished.
const PENDING: i64 = 0;

fn owner(actor: &Actor) -> String {
    actor
        .user()
        .map_or_else(|| "system".into(), |u| u.user_id.to_string())
}

impl Services {
    /// Reserves `key` for this request, or finds the response of an earlier one.
    pub async fn idempotency_begin(
        &self,
        actor: &Actor,
        key: &str,
        request_hash: &str,
    ) -> Result<Idempotent> {
        if key.is_empty() || key.len() > 255 {
            return Err(Error::field("Idempotency-Key", "must be 1–255 characters"));
        }
        let (owner, now) = (owner(actor), self.now().millis());
        let mut tx = self.db().begin().await?;
        if let Some(row) = store::find(&mut tx.exec(), &owner, key).await? {
            let abandoned = row.status == PENDING && row.created_at < now - ABANDONED_MS;
            if row.created_at >= now - TTL_MS && !abandoned {
                if row.request_hash != request_hash {
                    return Err(Error::Conflict(
                        "this Idempotency-Key was used with a different request".into(),
                    ));
                }
                if row.status == PENDING {
                    return Err(Error::Conflict(
                        "a request with this Idempotency-Key is still running; retry shortly"
                            .into(),
                    ));
                }
                let status = u16::try_from(row.status).unwrap_or(200);
                return Ok(Idempotent::Replay(SavedResponse {
                    status,
                    body: row.response,
                }));
            }
            store::delete(&mut tx.exec(), &owner, key).await?;
        }
        store::purge(&mut tx.exec(), now - TTL_MS).await?;
        let row = store::IdempotencyRow {
            owner,
            key: key.to_owned(),
            request_hash: request_hash.to_owned(),
            status: PENDING,
            response: String::new(),
            created_at: now,
        };
        store::insert(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => Error::Conflict(
                    "a request with this Idempotency-Key is still running; retry shortly".into(),
                ),
                other => other.into(),
            })?;
        tx.commit().await?;
        Ok(Idempotent::Run)
    }

    /// Saves the response of a reserved request, or frees the key when the create failed (so
    /// the client can correct the request and retry with the same key).
    pub async fn idempotency_finish(
        &self,
        actor: &Actor,
        key: &str,
        response: Option<&SavedResponse>,
    ) -> Result<()> {
        let owner = owner(actor);
        let mut tx = self.db().begin().await?;
        if let Some(r) = response {
            let status = i64::from(r.status);
            store::complete(&mut tx.exec(), &owner, key, status, &r.body).await?;
        } else {
            store::delete(&mut tx.exec(), &owner, key).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
