//! Program agreements: a versioned text per partner type (or one for `all` types without their
//! own). A partner admin accepts the current version for its organisation; the acceptance
//! records who, when and which version. Publishing a new version makes every partner it
//! applies to accept again before protected actions ([`Services::require_current_agreement`]).

use serde::Serialize;
use serde_json::json;
use trellis_domain::{AgreementId, FieldErrors, OrgId, PartnerType, Permission, Timestamp, UserId};
use trellis_store::Exec;
use trellis_store::partners::agreements::{self as store, AcceptanceRow, AgreementRow};
use trellis_store::platform::orgs as org_store;

use super::ipp::require_vendor_reader;
use super::profiles::visible;
use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// The scope of the agreement for every partner type without its own.
pub const ALL_TYPES: &str = "all";

/// One published version of an agreement.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    /// Id of this version.
    pub id: AgreementId,
    /// A partner type id, or `all`.
    pub scope: String,
    /// Version number within the scope, from 1.
    pub version: i64,
    /// Title.
    pub title: String,
    /// Full text (plain text; paragraphs separated by blank lines).
    pub body: String,
    /// What changed since the previous version.
    pub changes: String,
    /// Who published it.
    pub published_by: Option<UserId>,
    /// When.
    pub published_at: Timestamp,
}

impl From<AgreementRow> for Agreement {
    fn from(r: AgreementRow) -> Self {
        Self {
            id: AgreementId::from_uuid(r.id),
            scope: r.scope,
            version: r.version,
            title: r.title,
            body: r.body,
            changes: r.changes,
            published_by: r.published_by.map(UserId::from_uuid),
            published_at: Timestamp::from_millis(r.published_at),
        }
    }
}

/// An acceptance.
#[derive(Clone, Debug, Serialize)]
pub struct Acceptance {
    /// The version accepted.
    pub agreement_id: AgreementId,
    /// Its scope.
    pub scope: String,
    /// Its version number.
    pub version: i64,
    /// Its title.
    pub title: String,
    /// The accepting organisation.
    pub org_id: OrgId,
    /// The accepting user.
    pub user_id: UserId,
    /// Their name at the time.
    pub accepted_name: String,
    /// When.
    pub accepted_at: Timestamp,
}

/// The agreement that applies to a partner, and whether it accepted it.
#[derive(Clone, Debug, Serialize)]
pub struct AgreementStatus {
    /// The current version that applies.
    pub agreement: Agreement,
    /// The partner's acceptance of exactly this version.
    pub accepted: Option<Acceptance>,
    /// The newest version the partner accepted before, when it must accept again.
    pub previously_accepted_version: Option<i64>,
}

/// An agreement scope with its current version and how many partners accepted it.
#[derive(Clone, Debug, Serialize)]
pub struct AgreementSummary {
    /// The current version.
    pub agreement: Agreement,
    /// Organisations that accepted this version.
    pub acceptances: i64,
}

/// A new version's text.
#[derive(Clone, Debug, Default)]
pub struct AgreementInput {
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// What changed.
    pub changes: String,
}

impl Services {
    /// Publishes a new version of the agreement of `scope` if `current_version` (0 for the
    /// first) is still the newest.
    pub async fn publish_agreement(
        &self,
        actor: &Actor,
        scope: &str,
        current_version: i64,
        input: &AgreementInput,
    ) -> Result<Agreement> {
        actor.require(Permission::ProgramManage)?;
        let mut e = FieldErrors::new();
        let scope = scope.trim();
        if scope != ALL_TYPES && scope.parse::<PartnerType>().is_err() {
            e.add("scope", "must be a partner type id or \"all\"");
        }
        let title = input.title.trim();
        if title.is_empty() || title.chars().count() > 120 {
            e.add("title", "is required, at most 120 characters");
        }
        let body = input.body.trim();
        if body.chars().count() < 20 || body.chars().count() > 100_000 {
            e.add("body", "must be between 20 and 100,000 characters");
        }
        let changes = input.changes.trim();
        if current_version > 0 && changes.is_empty() {
            e.add(
                "changes",
                "is required for a new version: partners read it before they accept again",
            );
        }
        if changes.chars().count() > 2000 {
            e.add("changes", "must be at most 2,000 characters");
        }
        e.into_result()?;
        let mut tx = self.db().begin().await?;
        let newest = store::current(&mut tx.exec(), scope)
            .await?
            .map_or(0, |r| r.version);
        if newest != current_version {
            return Err(Error::StaleVersion { current: newest });
        }
        let now = self.now();
        let row = AgreementRow {
            id: AgreementId::new().as_uuid(),
            scope: scope.into(),
            version: newest + 1,
            title: title.into(),
            body: body.into(),
            changes: changes.into(),
            published_by: actor.user().map(|u| u.user_id.as_uuid()),
            published_at: now.millis(),
        };
        store::insert(&mut tx.exec(), &row)
            .await
            .map_err(|e| match e {
                trellis_store::Error::Conflict => Error::StaleVersion {
                    current: newest + 1,
                },
                other => other.into(),
            })?;
        let agreement = Agreement::from(row);
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "program.agreement_published",
                object_type: "agreement",
                object_id: agreement.id.to_string(),
                org_id: None,
                summary: format!(
                    "published version {} of {} ({})",
                    agreement.version, agreement.title, agreement.scope
                ),
                before: None,
                after: Some(json!({
                    "id": agreement.id, "scope": agreement.scope, "version": agreement.version,
                    "title": agreement.title, "changes": agreement.changes,
                })),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(agreement)
    }

    /// The current version of every scope, with acceptance counts.
    pub async fn list_agreements(&self, actor: &Actor) -> Result<Vec<AgreementSummary>> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        let mut out = Vec::new();
        for row in store::current_all(&mut c.exec()).await? {
            let acceptances = store::acceptance_count(&mut c.exec(), row.id).await?;
            out.push(AgreementSummary {
                agreement: row.into(),
                acceptances,
            });
        }
        Ok(out)
    }

    /// Every version of a scope, newest first.
    pub async fn agreement_history(&self, actor: &Actor, scope: &str) -> Result<Vec<Agreement>> {
        require_vendor_reader(actor)?;
        let mut c = self.db().read().await?;
        Ok(store::history(&mut c.exec(), scope)
            .await?
            .into_iter()
            .map(Agreement::from)
            .collect())
    }

    /// One version. A partner may read only versions that apply to it.
    pub async fn get_agreement(&self, actor: &Actor, id: AgreementId) -> Result<Agreement> {
        actor.require(Permission::OrgsRead)?;
        let mut c = self.db().read().await?;
        let row = store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if let Some(scope) = actor.partner_scope() {
            let applies = applicable_scope(&mut c.exec(), scope.org_id()).await?;
            if applies.as_deref() != Some(row.scope.as_str()) {
                return Err(Error::NotFound);
            }
        }
        Ok(row.into())
    }

    /// The agreement that applies to a partner and whether it accepted the current version.
    /// `None` when no agreement has been published for it.
    pub async fn agreement_status(
        &self,
        actor: &Actor,
        id: OrgId,
    ) -> Result<Option<AgreementStatus>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        status_of(&mut c.exec(), id).await
    }

    /// Everything a partner accepted, newest first.
    pub async fn partner_acceptances(&self, actor: &Actor, id: OrgId) -> Result<Vec<Acceptance>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, id)?;
        let mut c = self.db().read().await?;
        Ok(store::acceptances(&mut c.exec(), id.as_uuid())
            .await?
            .into_iter()
            .map(|r| Acceptance {
                agreement_id: AgreementId::from_uuid(r.acceptance.agreement_id),
                scope: r.scope,
                version: r.version,
                title: r.title,
                org_id: OrgId::from_uuid(r.acceptance.org_id),
                user_id: UserId::from_uuid(r.acceptance.user_id),
                accepted_name: r.acceptance.accepted_name,
                accepted_at: Timestamp::from_millis(r.acceptance.accepted_at),
            })
            .collect())
    }

    /// A partner admin accepts agreement version `id` for its organisation. Only the current
    /// version that applies to the organisation can be accepted.
    pub async fn accept_agreement(&self, actor: &Actor, id: AgreementId) -> Result<Acceptance> {
        actor.require(Permission::AgreementsAccept)?;
        let Some(scope) = actor.partner_scope() else {
            return Err(Error::InvalidState(
                "agreements are accepted by a partner admin for their own organisation",
            ));
        };
        let user = actor.require_user()?;
        let org_id = scope.org_id();
        let mut tx = self.db().begin().await?;
        let Some(status) = status_of(&mut tx.exec(), org_id).await? else {
            return Err(Error::NotFound);
        };
        if status.agreement.id != id {
            // An older version, or another type's agreement: not this partner's to accept.
            let exists = store::find(&mut tx.exec(), id.as_uuid()).await?;
            return match exists {
                Some(r) if r.scope == status.agreement.scope => Err(Error::InvalidState(
                    "this is not the current version of the agreement; accept the current one",
                )),
                _ => Err(Error::NotFound),
            };
        }
        if let Some(a) = status.accepted {
            return Ok(a);
        }
        let now = self.now();
        store::accept(
            &mut tx.exec(),
            &AcceptanceRow {
                id: uuid::Uuid::now_v7(),
                agreement_id: id.as_uuid(),
                org_id: org_id.as_uuid(),
                user_id: user.user_id.as_uuid(),
                accepted_name: user.name.clone(),
                accepted_at: now.millis(),
            },
        )
        .await?;
        let acceptance = Acceptance {
            agreement_id: id,
            scope: status.agreement.scope.clone(),
            version: status.agreement.version,
            title: status.agreement.title.clone(),
            org_id,
            user_id: user.user_id,
            accepted_name: user.name.clone(),
            accepted_at: now,
        };
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.agreement_accepted",
                object_type: "partner",
                object_id: org_id.to_string(),
                org_id: Some(org_id),
                summary: format!(
                    "{} accepted version {} of {}",
                    user.name, acceptance.version, acceptance.title
                ),
                before: None,
                after: Some(json!(acceptance)),
                publish: true,
            },
        )
        .await?;
        self.complete_tasks_of_kind(&mut tx, actor, org_id, "agreement", now)
            .await?;
        tx.commit().await?;
        Ok(acceptance)
    }

    /// For protected partner actions (deal registration, fund requests, manual onboarding
    /// steps): a partner whose current agreement is not accepted gets `AgreementRequired`.
    /// Vendor users and partners without a published agreement pass.
    pub async fn require_current_agreement(&self, actor: &Actor) -> Result<()> {
        let Some(scope) = actor.partner_scope() else {
            return Ok(());
        };
        let mut c = self.db().read().await?;
        match status_of(&mut c.exec(), scope.org_id()).await? {
            Some(s) if s.accepted.is_none() => Err(Error::AgreementRequired {
                title: s.agreement.title,
                version: s.agreement.version,
            }),
            _ => Ok(()),
        }
    }
}

/// The agreement scope that applies to a partner: its type's, else `all`; `None` when neither
/// has been published.
async fn applicable_scope(ex: &mut Exec<'_>, org_id: OrgId) -> Result<Option<String>> {
    let org = org_store::find(ex, org_id.as_uuid())
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(t) = org.partner_type
        && store::current(ex, &t).await?.is_some()
    {
        return Ok(Some(t));
    }
    Ok(store::current(ex, ALL_TYPES)
        .await?
        .map(|_| ALL_TYPES.to_owned()))
}

pub(crate) async fn status_of(ex: &mut Exec<'_>, org_id: OrgId) -> Result<Option<AgreementStatus>> {
    let Some(scope) = applicable_scope(ex, org_id).await? else {
        return Ok(None);
    };
    let Some(current) = store::current(ex, &scope).await? else {
        return Ok(None);
    };
    let accepted = store::acceptance(ex, current.id, org_id.as_uuid()).await?;
    let previously_accepted_version = if accepted.is_none() {
        store::acceptances(ex, org_id.as_uuid())
            .await?
            .into_iter()
            .filter(|a| a.scope == scope)
            .map(|a| a.version)
            .max()
    } else {
        None
    };
    let agreement = Agreement::from(current);
    Ok(Some(AgreementStatus {
        accepted: accepted.map(|a| Acceptance {
            agreement_id: agreement.id,
            scope: agreement.scope.clone(),
            version: agreement.version,
            title: agreement.title.clone(),
            org_id,
            user_id: UserId::from_uuid(a.user_id),
            accepted_name: a.accepted_name,
            accepted_at: Timestamp::from_millis(a.accepted_at),
        }),
        previously_accepted_version,
        agreement,
    }))
}
