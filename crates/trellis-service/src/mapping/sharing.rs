//! Sharing policies: per side, a default and overrides for single connections. A change is
//! audited and takes effect on the next mapping.

use serde::Serialize;
use serde_json::json;
use trellis_domain::mapping::SharingPolicy;
use trellis_domain::{MappingConnectionId, OrgId, Permission, Timestamp, UserId};
use trellis_store::Exec;
use trellis_store::Json;
use trellis_store::mapping::connections as connection_store;
use trellis_store::mapping::policies::{self as store, DEFAULT_SCOPE, PolicyRow};
use trellis_store::mapping::populations as population_store;

use super::{StoredPolicy, side_of};
use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// What a policy applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "connection_id", rename_all = "snake_case")]
pub enum PolicyScope {
    /// Every connection without an override.
    Default,
    /// One connection.
    Connection(MappingConnectionId),
}

impl PolicyScope {
    fn stored(self) -> String {
        match self {
            PolicyScope::Default => DEFAULT_SCOPE.to_owned(),
            PolicyScope::Connection(id) => id.to_string(),
        }
    }

    fn label(self) -> String {
        match self {
            PolicyScope::Default => "default sharing policy".to_owned(),
            PolicyScope::Connection(id) => format!("sharing policy for connection {id}"),
        }
    }
}

fn parse(row: &PolicyRow) -> Result<SharingPolicy> {
    serde_json::from_value(row.policy.0.clone())
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored sharing policy: {e}")))
}

/// The policy a side applies to a connection: its override over its default.
pub(crate) async fn effective(
    ex: &mut Exec<'_>,
    org: OrgId,
    connection: MappingConnectionId,
) -> Result<SharingPolicy> {
    let default = match store::find(ex, org.as_uuid(), DEFAULT_SCOPE).await? {
        Some(r) => parse(&r)?,
        None => SharingPolicy::default(),
    };
    Ok(
        match store::find(ex, org.as_uuid(), &connection.to_string()).await? {
            Some(r) => parse(&r)?.over(&default),
            None => default,
        },
    )
}

/// A connection the actor's side takes part in: any for the vendor, its own for a partner.
async fn own_connection(ex: &mut Exec<'_>, actor: &Actor, id: MappingConnectionId) -> Result<()> {
    let c = connection_store::find(ex, id.as_uuid())
        .await?
        .ok_or(Error::NotFound)?;
    match actor.partner_scope() {
        Some(s) if s.org_id().as_uuid() != c.partner_org_id => Err(Error::NotFound),
        _ => Ok(()),
    }
}

impl Services {
    /// The actor's side's policies: its default first, then its overrides.
    pub async fn sharing_policies(&self, actor: &Actor) -> Result<Vec<StoredPolicy>> {
        actor.require(Permission::MappingRead)?;
        let mut c = self.db().read().await?;
        let org = side_of(&mut c.exec(), actor).await?;
        let rows = store::of_org(&mut c.exec(), org.as_uuid()).await?;
        let default = rows.iter().find(|r| r.scope == DEFAULT_SCOPE);
        let default_policy = default.map(parse).transpose()?.unwrap_or_default();
        let mut out = vec![stored(PolicyScope::Default, default, &default_policy)?];
        for r in rows.iter().filter(|r| r.scope != DEFAULT_SCOPE) {
            let Ok(id) = r.scope.parse() else { continue };
            out.push(stored(
                PolicyScope::Connection(id),
                Some(r),
                &default_policy,
            )?);
        }
        Ok(out)
    }

    /// One policy of the actor's side (an override not yet written is empty, version 0).
    pub async fn sharing_policy(&self, actor: &Actor, scope: PolicyScope) -> Result<StoredPolicy> {
        actor.require(Permission::MappingRead)?;
        let mut c = self.db().read().await?;
        let org = side_of(&mut c.exec(), actor).await?;
        if let PolicyScope::Connection(id) = scope {
            own_connection(&mut c.exec(), actor, id).await?;
        }
        let default = store::find(&mut c.exec(), org.as_uuid(), DEFAULT_SCOPE).await?;
        let default_policy = default.as_ref().map(parse).transpose()?.unwrap_or_default();
        match scope {
            PolicyScope::Default => stored(scope, default.as_ref(), &default_policy),
            PolicyScope::Connection(_) => {
                let row = store::find(&mut c.exec(), org.as_uuid(), &scope.stored()).await?;
                stored(scope, row.as_ref(), &default_policy)
            }
        }
    }

    /// Saves a policy of the actor's side. `version` is the one read (0 for a first save).
    pub async fn put_sharing_policy(
        &self,
        actor: &Actor,
        scope: PolicyScope,
        version: i64,
        policy: &SharingPolicy,
    ) -> Result<StoredPolicy> {
        let (mut tx, org, now) = self.begin_mapping_change(actor).await?;
        if let PolicyScope::Connection(id) = scope {
            own_connection(&mut tx.exec(), actor, id).await?;
        }
        let keys: Vec<String> = population_store::of_org(&mut tx.exec(), org.as_uuid())
            .await?
            .into_iter()
            .map(|p| p.key)
            .collect();
        let mut known: Vec<&str> = keys.iter().map(String::as_str).collect();
        // The built-ins exist on every side even before its populations were first listed.
        for b in trellis_domain::mapping::Builtin::ALL {
            if !known.contains(&b.as_str()) {
                known.push(b.as_str());
            }
        }
        policy.validate(&known)?;
        let before = store::find(&mut tx.exec(), org.as_uuid(), &scope.stored()).await?;
        let current = before.as_ref().map_or(0, |b| b.version);
        let row = PolicyRow {
            org_id: org.as_uuid(),
            scope: scope.stored(),
            policy: Json(json!(policy)),
            version: current + 1,
            updated_by: actor.user().map(|u| u.user_id.as_uuid()),
            updated_at: now.millis(),
        };
        if !store::put(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion { current });
        }
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.policy_changed",
                object_type: "sharing_policy",
                object_id: format!("{org}/{}", scope.stored()),
                org_id: Some(org),
                summary: format!("{} changed", capitalised(&scope.label())),
                before: before.map(|b| b.policy.0),
                after: Some(json!(policy)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Box::pin(self.sharing_policy(actor, scope)).await
    }

    /// Removes an override: the side's default applies to the connection again.
    pub async fn delete_sharing_override(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
    ) -> Result<()> {
        let (mut tx, org, now) = self.begin_mapping_change(actor).await?;
        own_connection(&mut tx.exec(), actor, connection).await?;
        let scope = PolicyScope::Connection(connection);
        let before = store::find(&mut tx.exec(), org.as_uuid(), &scope.stored())
            .await?
            .ok_or(Error::NotFound)?;
        store::delete(&mut tx.exec(), org.as_uuid(), &scope.stored()).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "mapping.policy_changed",
                object_type: "sharing_policy",
                object_id: format!("{org}/{}", scope.stored()),
                org_id: Some(org),
                summary: format!(
                    "{} removed: the default applies",
                    capitalised(&scope.label())
                ),
                before: Some(before.policy.0),
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn stored(
    scope: PolicyScope,
    row: Option<&PolicyRow>,
    default: &SharingPolicy,
) -> Result<StoredPolicy> {
    let policy = row.map(parse).transpose()?.unwrap_or_default();
    let effective = match scope {
        PolicyScope::Default => policy.clone(),
        PolicyScope::Connection(_) => policy.over(default),
    };
    Ok(StoredPolicy {
        scope,
        policy,
        effective,
        version: row.map_or(0, |r| r.version),
        updated_by: row.and_then(|r| r.updated_by).map(UserId::from_uuid),
        updated_at: row.map(|r| Timestamp::from_millis(r.updated_at)),
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// What the other side of a connection may learn of one of the actor's populations.
#[derive(Clone, Debug, Serialize)]
pub struct PreviewLine {
    /// The population.
    pub population: super::Population,
    /// What the effective policy shares of it.
    pub share: trellis_domain::mapping::Share,
    /// For shared records: one of its accounts as the other side would see it, should it
    /// overlap (only the shared fields).
    pub example: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Services {
    /// A preview of what the other side of a connection may learn from the actor's side
    /// under the policy in force: per population, the share, and an example record.
    pub async fn sharing_preview(
        &self,
        actor: &Actor,
        connection: MappingConnectionId,
    ) -> Result<Vec<PreviewLine>> {
        actor.require(Permission::MappingRead)?;
        let (org, policy, accounts) = {
            let mut c = self.db().read().await?;
            let org = side_of(&mut c.exec(), actor).await?;
            own_connection(&mut c.exec(), actor, connection).await?;
            let policy = effective(&mut c.exec(), org, connection).await?;
            let vendor = actor.partner_scope().is_none();
            let accounts = super::populations::accounts_of(&mut c.exec(), org, vendor).await?;
            (org, policy, accounts)
        };
        let populations = self
            .side_populations(org, actor.partner_scope().is_none())
            .await?;
        Ok(populations
            .into_iter()
            .map(|population| {
                let share = policy.share(&population.key).clone();
                let example = (share.level == trellis_domain::mapping::ShareLevel::Records)
                    .then(|| {
                        accounts
                            .iter()
                            .find(|a| population.filter.matches(&super::populations::facts_of(a)))
                            .map(|a| super::shared_fields(a, &share.fields))
                    })
                    .flatten();
                PreviewLine {
                    population,
                    share,
                    example,
                }
            })
            .collect())
    }
}
