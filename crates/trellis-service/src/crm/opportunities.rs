//! Opportunities: deals in the vendor's pipeline, as its CRM holds them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use trellis_domain::crm::{DateOrder, OpportunityStatus, parse_date, status_of_stage};
use trellis_domain::money::{Currency, Money};
use trellis_domain::{AccountId, FieldErrors, OpportunityId, Permission, Timestamp, UserId};
use trellis_store::Json;
use trellis_store::crm::accounts as account_store;
use trellis_store::crm::opportunities::{self as store, OpportunityFilter, OpportunityRow};
use trellis_store::crm::{self as crm_store, Table};

use super::contacts::resolve_account;
use super::owners::Owners;
use super::{Checked, Written, attributes, fingerprint, parse_key, plain, record_event};
use crate::platform::{PageRequest, parse_stored};
use crate::{Actor, Error, Page, Result, Services};

/// An opportunity.
#[derive(Clone, Debug, Serialize)]
pub struct Opportunity {
    /// Id.
    pub id: OpportunityId,
    /// The system it comes from.
    pub source_system: String,
    /// Its id there.
    pub external_id: String,
    /// The account, when known.
    pub account_id: Option<AccountId>,
    /// Name.
    pub name: String,
    /// The CRM's stage, as written.
    pub stage: String,
    /// Open, won or lost.
    pub status: OpportunityStatus,
    /// Amount.
    pub amount: Money,
    /// Expected or actual close date, `YYYY-MM-DD`.
    pub close_date: Option<String>,
    /// The day the CRM opened it, `YYYY-MM-DD`: where cycle lengths start.
    pub opened_on: Option<String>,
    /// Probability in percent.
    pub probability: Option<i64>,
    /// The owning vendor user (the rep), when the CRM's owner is one.
    pub owner_id: Option<UserId>,
    /// The owner as the CRM names them.
    pub owner_name: String,
    /// Next step.
    pub next_step: String,
    /// Last sales activity, which rules of engagement weigh.
    pub last_activity_at: Option<Timestamp>,
    /// The CRM's other fields.
    pub attributes: serde_json::Value,
    /// Archived.
    pub archived: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// First written.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl TryFrom<OpportunityRow> for Opportunity {
    type Error = Error;
    fn try_from(r: OpportunityRow) -> Result<Self> {
        let currency: Currency = Currency::parse(&r.currency)
            .map_err(|_| Error::Internal(anyhow::anyhow!("stored currency {:?}", r.currency)))?;
        Ok(Self {
            id: OpportunityId::from_uuid(r.id),
            status: parse_stored("status", &r.status)?,
            amount: Money {
                amount_minor: r.amount_minor,
                currency,
            },
            source_system: r.source_system,
            external_id: r.external_id,
            account_id: r.account_id.map(AccountId::from_uuid),
            name: r.name,
            stage: r.stage,
            close_date: r.close_date,
            opened_on: r.opened_on,
            probability: r.probability,
            owner_id: r.owner_id.map(UserId::from_uuid),
            owner_name: r.owner_name,
            next_step: r.next_step,
            last_activity_at: r.last_activity_at.map(Timestamp::from_millis),
            attributes: r.attributes.0,
            archived: r.archived,
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}

/// An opportunity's fields as a CRM sends them.
#[derive(Clone, Debug, Default)]
pub struct OpportunityInput {
    /// The account's id in the same source system.
    pub account_external_id: String,
    /// The account by Trellis id, for opportunities Trellis creates itself (a converted deal
    /// registration) on an account of any source; takes precedence.
    pub account_id: Option<AccountId>,
    /// Name (required).
    pub name: String,
    /// The CRM's stage (required).
    pub stage: String,
    /// Open, won or lost, when the CRM says so; otherwise read from the stage.
    pub status: Option<OpportunityStatus>,
    /// Amount; none means zero in the program's reporting currency.
    pub amount: Option<Money>,
    /// Close date, `YYYY-MM-DD`.
    pub close_date: String,
    /// The day the CRM opened it (its "Created Date"), `YYYY-MM-DD`; none means the day
    /// Trellis first sees it.
    pub opened_on: String,
    /// Probability in percent.
    pub probability: Option<i64>,
    /// Owner: an e-mail address or a name.
    pub owner: String,
    /// Next step.
    pub next_step: String,
    /// Last sales activity.
    pub last_activity_at: Option<Timestamp>,
    /// Other fields.
    pub attributes: BTreeMap<String, String>,
}

/// The stored fields of an opportunity.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct OpportunityFields {
    pub account_id: Option<uuid::Uuid>,
    pub name: String,
    pub stage: String,
    pub status: OpportunityStatus,
    pub amount: Money,
    pub close_date: Option<String>,
    pub opened_on: Option<String>,
    pub probability: Option<i64>,
    pub owner_id: Option<uuid::Uuid>,
    pub owner_name: String,
    pub next_step: String,
    pub last_activity_at: Option<i64>,
    pub attributes: serde_json::Value,
}

/// Validates an opportunity whose account reference is already resolved.
pub(crate) fn check(
    input: &OpportunityInput,
    account_id: Option<uuid::Uuid>,
    default_currency: Currency,
    owners: &Owners,
) -> Result<Checked<OpportunityFields>, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = plain(&mut e, "name", &input.name, 255, false);
    if name.is_empty() {
        e.add("name", "is required");
    }
    let stage = plain(&mut e, "stage", &input.stage, 120, false);
    if stage.is_empty() {
        e.add("stage", "is required");
    }
    let amount = input.amount.unwrap_or(Money {
        amount_minor: 0,
        currency: default_currency,
    });
    if amount.amount_minor < 0 {
        e.add("amount", "must not be negative");
    }
    let close_text = input.close_date.trim();
    let close_date = if close_text.is_empty() {
        None
    } else {
        e.check("close_date", parse_date(close_text, DateOrder::Ymd))
            .map(|d| d.to_string())
    };
    let opened_text = input.opened_on.trim();
    let opened_on = if opened_text.is_empty() {
        None
    } else {
        e.check("opened_on", parse_date(opened_text, DateOrder::Ymd))
            .map(|d| d.to_string())
    };
    if input.probability.is_some_and(|p| !(0..=100).contains(&p)) {
        e.add("probability", "must be between 0 and 100");
    }
    let owner_name = plain(&mut e, "owner", &input.owner, 255, false);
    let next_step = plain(&mut e, "next_step", &input.next_step, 1_000, true);
    let attributes = attributes(&mut e, &input.attributes);
    e.into_result()?;
    Ok(Checked {
        fields: OpportunityFields {
            status: input.status.unwrap_or_else(|| status_of_stage(&stage)),
            owner_id: owners.resolve(&owner_name),
            account_id,
            name,
            stage,
            amount,
            close_date,
            opened_on,
            probability: input.probability,
            owner_name,
            next_step,
            last_activity_at: input.last_activity_at.map(Timestamp::millis),
            attributes,
        },
        warnings: Vec::new(),
    })
}

/// A stored row from validated fields.
pub(crate) fn row(
    id: uuid::Uuid,
    source_system: &str,
    external_id: &str,
    f: OpportunityFields,
    version: i64,
    created_at: i64,
    now: i64,
) -> OpportunityRow {
    OpportunityRow {
        id,
        source_system: source_system.to_owned(),
        external_id: external_id.to_owned(),
        content_hash: fingerprint(&f),
        account_id: f.account_id,
        name: f.name,
        stage: f.stage,
        status: f.status.as_str().to_owned(),
        amount_minor: f.amount.amount_minor,
        currency: f.amount.currency.code().to_owned(),
        close_date: f.close_date,
        // A deal the CRM gives no opening day opened when Trellis first saw it; a later
        // write without one keeps the day first recorded.
        opened_on: f
            .opened_on
            .or_else(|| Some(Timestamp::from_millis(created_at).date())),
        probability: f.probability,
        owner_id: f.owner_id,
        owner_name: f.owner_name,
        next_step: f.next_step,
        last_activity_at: f.last_activity_at,
        attributes: Json(f.attributes),
        archived: false,
        version,
        created_at,
        updated_at: now,
    }
}

/// Filters for listing opportunities.
#[derive(Clone, Debug, Default)]
pub struct OpportunityQuery {
    /// Name substring.
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<OpportunityStatus>,
    /// Only this account's.
    pub account_id: Option<AccountId>,
    /// Only this owner's.
    pub owner_id: Option<UserId>,
    /// Include archived opportunities.
    pub include_archived: bool,
}

impl Services {
    /// The currency of amounts sent without one: the program's reporting currency.
    pub(crate) async fn default_currency(&self) -> Result<Currency> {
        let code = self.reporting_currency().await?;
        Currency::parse(&code).map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))
    }

    /// Creates or updates the opportunity a CRM knows as `(source_system, external_id)`, as
    /// [`Services::upsert_account`].
    pub async fn upsert_opportunity(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
        version: Option<i64>,
        input: &OpportunityInput,
    ) -> Result<(Opportunity, Written)> {
        actor.require(Permission::CrmManage)?;
        self.put_opportunity(actor, source_system, external_id, version, input)
            .await
    }

    /// [`upsert_opportunity`](Self::upsert_opportunity) for callers that checked their own
    /// permission (deal conversion).
    pub(crate) async fn put_opportunity(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
        version: Option<i64>,
        input: &OpportunityInput,
    ) -> Result<(Opportunity, Written)> {
        let (source, external) = parse_key(source_system, external_id)?;
        let currency = self.default_currency().await?;
        let mut tx = self.db().begin().await?;
        let account_id = match input.account_id {
            Some(id) => Some(
                account_store::find(&mut tx.exec(), id.as_uuid())
                    .await?
                    .ok_or_else(|| Error::field("account_id", "no such account"))?
                    .id,
            ),
            None => {
                resolve_account(&mut tx.exec(), source.as_str(), &input.account_external_id).await?
            }
        };
        let owners = Owners::load(&mut tx.exec()).await?;
        let checked = check(input, account_id, currency, &owners)?;
        let now = self.now().millis();
        let current =
            store::find_by_key(&mut tx.exec(), source.as_str(), external.as_str()).await?;
        if let (Some(c), Some(v)) = (&current, version)
            && c.version != v
        {
            return Err(Error::StaleVersion { current: c.version });
        }
        let (next, written, before) = match current {
            None => {
                let r = row(
                    OpportunityId::new().as_uuid(),
                    source.as_str(),
                    external.as_str(),
                    checked.fields,
                    1,
                    now,
                    now,
                );
                store::upsert_many(&mut tx.exec(), &[&r]).await?;
                (r, Written::Created, None)
            }
            Some(c) => {
                let r = row(
                    c.id,
                    source.as_str(),
                    external.as_str(),
                    checked.fields,
                    c.version,
                    c.created_at,
                    now,
                );
                if r.content_hash == c.content_hash && !c.archived {
                    return Ok((Opportunity::try_from(c)?, Written::Unchanged));
                }
                if !store::update(&mut tx.exec(), &r, c.version).await? {
                    return Err(Error::StaleVersion {
                        current: c.version + 1,
                    });
                }
                let version = c.version + 1;
                let before = Opportunity::try_from(c)?;
                (
                    OpportunityRow { version, ..r },
                    Written::Updated,
                    Some(before),
                )
            }
        };
        let opportunity = Opportunity::try_from(next)?;
        let (event, verb) = match written {
            Written::Created => ("opportunity.created", "added"),
            _ => ("opportunity.updated", "updated"),
        };
        let summary = format!("{verb} the opportunity {}", opportunity.name);
        let now = Timestamp::from_millis(now);
        self.record_crm_change(
            &mut tx,
            actor,
            now,
            record_event(
                event,
                "opportunity",
                opportunity.id.to_string(),
                &opportunity.source_system,
                &opportunity.external_id,
                opportunity.version,
            ),
            summary,
            before.map(|b| json!(b)),
            json!(opportunity),
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok((opportunity, written))
    }

    /// One opportunity.
    pub async fn get_opportunity(&self, actor: &Actor, id: OpportunityId) -> Result<Opportunity> {
        actor.require(Permission::CrmRead)?;
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// The opportunity a CRM knows by this key.
    pub async fn get_opportunity_by_key(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
    ) -> Result<Opportunity> {
        actor.require(Permission::CrmRead)?;
        let (source, external) = parse_key(source_system, external_id)?;
        let mut c = self.db().read().await?;
        store::find_by_key(&mut c.exec(), source.as_str(), external.as_str())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Opportunities by name.
    pub async fn list_opportunities(
        &self,
        actor: &Actor,
        q: &OpportunityQuery,
        page: &PageRequest,
    ) -> Result<Page<Opportunity>> {
        actor.require(Permission::CrmRead)?;
        let (cursor, limit) = page.parse()?;
        let filter = OpportunityFilter {
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
            status: q.status.map(|s| s.as_str().to_owned()),
            account_id: q.account_id.map(AccountId::as_uuid),
            owner_id: q.owner_id.map(UserId::as_uuid),
            include_archived: q.include_archived,
        };
        let mut c = self.db().read().await?;
        let rows = store::list(&mut c.exec(), &filter, cursor.as_ref(), limit).await?;
        let next = rows.next;
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(Opportunity::try_from)
                .collect::<Result<_>>()?,
            next,
        })
    }

    /// Archives an opportunity; `PUT` brings it back.
    pub async fn archive_opportunity(
        &self,
        actor: &Actor,
        id: OpportunityId,
        version: i64,
    ) -> Result<Opportunity> {
        actor.require(Permission::CrmManage)?;
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        if current.archived {
            return Opportunity::try_from(current);
        }
        let now = self.now();
        if !crm_store::set_archived(
            &mut tx.exec(),
            Table::Opportunities,
            id.as_uuid(),
            true,
            now.millis(),
            version,
        )
        .await?
        {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let before = Opportunity::try_from(current)?;
        let after = Opportunity {
            archived: true,
            version: version + 1,
            updated_at: now,
            ..before.clone()
        };
        self.record_crm_change(
            &mut tx,
            actor,
            now,
            record_event(
                "opportunity.archived",
                "opportunity",
                after.id.to_string(),
                &after.source_system,
                &after.external_id,
                after.version,
            ),
            format!("archived the opportunity {}", after.name),
            Some(json!(before)),
            json!(after),
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(after)
    }
}
