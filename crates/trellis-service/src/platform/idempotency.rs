//! `Idempotency-Key` support for creates: the first response is saved for 24 hours and
//! replayed for a retry with the same key and body; a different body under the same key is a
//! client error.

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

const TTL_MS: i64 = 24 * 3600 * 1000;

fn owner(actor: &Actor) -> String {
    actor
        .user()
        .map_or_else(|| "system".into(), |u| u.user_id.to_string())
}

impl Services {
    /// The saved response for this key, if the same request was made before.
    pub async fn idempotent_replay(
        &self,
        actor: &Actor,
        key: &str,
        request_hash: &str,
    ) -> Result<Option<SavedResponse>> {
        if key.is_empty() || key.len() > 255 {
            return Err(Error::field("Idempotency-Key", "must be 1–255 characters"));
        }
        let mut c = self.db().read().await?;
        let Some(row) = store::find(&mut c.exec(), &owner(actor), key).await? else {
            return Ok(None);
        };
        if row.created_at < self.now().millis() - TTL_MS {
            return Ok(None);
        }
        if row.request_hash != request_hash {
            return Err(Error::Conflict(
                "this Idempotency-Key was used with a different request".into(),
            ));
        }
        Ok(Some(SavedResponse {
            status: u16::try_from(row.status).unwrap_or(200),
            body: row.response,
        }))
    }

    /// Saves a successful response under the key. A concurrent save of the same key wins.
    pub async fn idempotent_save(
        &self,
        actor: &Actor,
        key: &str,
        request_hash: &str,
        resp: &SavedResponse,
    ) -> Result<()> {
        let now = self.now().millis();
        let mut tx = self.db().begin().await?;
        store::purge(&mut tx.exec(), now - TTL_MS).await?;
        let row = store::IdempotencyRow {
            owner: owner(actor),
            key: key.to_owned(),
            request_hash: request_hash.to_owned(),
            status: i64::from(resp.status),
            response: resp.body.clone(),
            created_at: now,
        };
        match store::insert(&mut tx.exec(), &row).await {
            Ok(()) => tx.commit().await?,
            Err(trellis_store::Error::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}
