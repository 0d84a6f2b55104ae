//! The rules of engagement: versioned, readable by every signed-in user (partners included,
//! so they know the rules before they register), edited by program managers.

use serde::Serialize;
use serde_json::json;
use trellis_domain::deals::{ConflictRule, EngagementPolicy};
use trellis_domain::{Permission, Timestamp};
use trellis_store::deals::policies::{self as store, PolicyRow};
use trellis_store::{Exec, Json, Tx};

use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// One version of the rules of engagement.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyVersion {
    /// Version number, from 1.
    pub version: i64,
    /// The rules.
    pub policy: EngagementPolicy,
    /// What changed, in the editor's words.
    pub note: String,
    /// When it was saved.
    pub created_at: Timestamp,
}

impl TryFrom<PolicyRow> for PolicyVersion {
    type Error = Error;
    fn try_from(r: PolicyRow) -> Result<Self> {
        Ok(Self {
            version: r.version,
            policy: serde_json::from_value(r.rules.0).map_err(|e| {
                Error::Internal(anyhow::anyhow!(
                    "stored engagement policy {}: {e}",
                    r.version
                ))
            })?,
            note: r.note,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

impl PolicyVersion {
    /// The rules in sentences, for partners: protection, extensions, the SLA, how conflicts
    /// are settled and what is approved at once.
    pub fn summary(&self) -> Vec<String> {
        let p = &self.policy;
        let mut out = vec![
            format!(
                "An approved registration protects the deal for {} days.",
                p.protection_days
            ),
            match p.max_extensions {
                0 => "Protection cannot be extended.".to_owned(),
                1 => format!(
                    "It can be extended once, by {} days, on request.",
                    p.extension_days
                ),
                n => format!(
                    "It can be extended up to {n} times, by {} days each, on request.",
                    p.extension_days
                ),
            },
            format!(
                "We decide every registration within {} hours.",
                p.approval_sla_hours
            ),
        ];
        if p.conflict_rules.is_empty() {
            out.push("Conflicts are settled case by case by the channel manager.".into());
        } else {
            out.push("Conflicts are settled by these rules, in order:".into());
            out.extend(p.conflict_rules.iter().map(ConflictRule::describe));
        }
        out.extend(p.describe_auto_approval());
        if !p.notes.trim().is_empty() {
            out.push(p.notes.trim().to_owned());
        }
        out
    }
}

/// The last rules version used, kept because versions are immutable.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache(std::sync::Mutex<Option<PolicyVersion>>);

impl PolicyCache {
    fn get(&self, version: i64) -> Option<PolicyVersion> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.as_ref().filter(|p| p.version == version).cloned()
    }

    fn keep(&self, p: &PolicyVersion) {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.as_ref().is_none_or(|k| k.version < p.version) {
            *kept = Some(p.clone());
        }
    }
}

/// The version in force, writing version 1 (the defaults) the first time any is needed, so
/// every decision can name a stored version. Concurrent first writers agree: the insert
/// ignores a version that already exists.
pub(crate) async fn in_force(ex: &mut Exec<'_>, now: Timestamp) -> Result<PolicyVersion> {
    if let Some(row) = store::current(ex).await? {
        return row.try_into();
    }
    store::insert_default(
        ex,
        &PolicyRow {
            version: 1,
            rules: Json(json!(EngagementPolicy::default())),
            note: "Trellis defaults".into(),
            created_by: None,
            created_at: now.millis(),
        },
    )
    .await?;
    store::current(ex)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("engagement policy vanished")))?
        .try_into()
}

impl Services {
    /// The rules of engagement in force. Every actor may read them: partners must know the
    /// rules before they register.
    pub async fn engagement_policy(&self, _actor: &Actor) -> Result<PolicyVersion> {
        self.policy_in_force().await
    }

    /// The version in force, read without taking the writer unless none was ever stored.
    pub(crate) async fn policy_in_force(&self) -> Result<PolicyVersion> {
        {
            let mut c = self.db().read().await?;
            if let Some(row) = store::current(&mut c.exec()).await? {
                return row.try_into();
            }
        }
        let mut tx = self.db().begin().await?;
        let current = in_force(&mut tx.exec(), self.now()).await?;
        tx.commit().await?;
        Ok(current)
    }

    /// The rules in force when `newest` is the newest stored version (as read with the
    /// registrant's facts): versions never change once saved, so the last one used is kept in
    /// memory and only a newer version is read.
    pub(crate) async fn policy_at(&self, newest: Option<i64>) -> Result<PolicyVersion> {
        if let Some(v) = newest
            && let Some(kept) = self.policy_cache.get(v)
        {
            return Ok(kept);
        }
        let current = self.policy_in_force().await?;
        self.policy_cache.keep(&current);
        Ok(current)
    }

    /// The version a registration was submitted under.
    pub(crate) async fn policy_version(&self, version: i64) -> Result<PolicyVersion> {
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), version)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("engagement policy {version} missing")))?
            .try_into()
    }

    /// One past version (a decision names the version it applied); readable by every actor.
    pub async fn engagement_policy_version(
        &self,
        _actor: &Actor,
        version: i64,
    ) -> Result<PolicyVersion> {
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), version)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Every version, newest first.
    pub async fn engagement_policy_history(&self, actor: &Actor) -> Result<Vec<PolicyVersion>> {
        actor.require(Permission::ProgramManage)?;
        let mut c = self.db().read().await?;
        store::versions(&mut c.exec())
            .await?
            .into_iter()
            .map(PolicyVersion::try_from)
            .collect()
    }

    /// Saves a new version. `base_version` is the version the editor started from: a save on
    /// top of someone else's newer version is refused.
    pub async fn save_engagement_policy(
        &self,
        actor: &Actor,
        base_version: i64,
        policy: EngagementPolicy,
        note: &str,
    ) -> Result<PolicyVersion> {
        actor.require(Permission::ProgramManage)?;
        if !actor.is_vendor_side() {
            return Err(Error::Forbidden);
        }
        policy.check().map_err(Error::Validation)?;
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(Error::field("note", "must be at most 500 characters"));
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let current = in_force(&mut tx.exec(), now).await?;
        if current.version != base_version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let saved = self
            .insert_version(&mut tx, actor, now, &current, policy, note)
            .await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn insert_version(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        now: Timestamp,
        current: &PolicyVersion,
        policy: EngagementPolicy,
        note: &str,
    ) -> Result<PolicyVersion> {
        let saved = PolicyVersion {
            version: current.version + 1,
            policy,
            note: note.to_owned(),
            created_at: now,
        };
        store::insert(
            &mut tx.exec(),
            &PolicyRow {
                version: saved.version,
                rules: Json(json!(saved.policy)),
                note: saved.note.clone(),
                created_by: actor.user().map(|u| u.user_id.as_uuid()),
                created_at: now.millis(),
            },
        )
        .await
        .map_err(|e| match e {
            trellis_store::Error::Conflict => Error::StaleVersion {
                current: saved.version,
            },
            other => other.into(),
        })?;
        self.record(
            tx,
            actor,
            now,
            Change {
                action: "engagement_policy.published",
                object_type: "engagement_policy",
                object_id: saved.version.to_string(),
                org_id: None,
                summary: format!(
                    "published version {} of the rules of engagement{}",
                    saved.version,
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!(": {note}")
                    }
                ),
                before: Some(json!(current)),
                after: Some(json!(saved)),
                publish: true,
            },
        )
        .await?;
        Ok(saved)
    }
}
