//! The program's costs: what ROPI and CAC divide by. Finance or the channel team enters them
//! one by one, or imports a file (every row or none); each is audited.
//!
//! A cost is a partner's (MDF, incentives, enablement, tech spent on it), the program's (the
//! channel team, the portal, partner events: no single partner), or the direct channel's
//! (sales and marketing spent acquiring customers directly, for CAC beside the partner
//! channel's). Amounts are in any currency; dashboards convert each at its day's rate.

use serde::Serialize;
use serde_json::json;
use trellis_csv::Field;
use trellis_domain::metrics::{CostCategory, CostChannel};
use trellis_domain::money::parse_amount;
use trellis_domain::{CostId, Currency, FieldErrors, Money, OrgId, Permission, Timestamp};
use trellis_store::metrics::costs::{self as store, CostRow};
use trellis_store::metrics::facts::partner_classes;
use trellis_store::platform::orgs;
use uuid::Uuid;

use crate::csv_file::{CsvFile, PartnerNames, Problems};
use crate::outbox::Change;
use crate::platform::{PageRequest, parse_stored};
use crate::{Actor, Error, Page, Result, Services};

/// A cost.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cost {
    /// Id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CostId,
    /// Whose cost.
    pub channel: CostChannel,
    /// The partner, for a partner's cost.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub org_id: Option<OrgId>,
    /// Its name.
    pub org_name: Option<String>,
    /// What it paid for.
    pub category: CostCategory,
    /// How much.
    pub amount: Money,
    /// The day it was incurred, `YYYY-MM-DD`.
    pub incurred_on: String,
    /// What it was.
    pub note: String,
    /// `manual`, `import` or `api`.
    pub source: String,
    /// Who entered it.
    pub created_by_name: String,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(serialize_with = "trellis_domain::time::rfc3339")]
    pub created_at: Timestamp,
}

impl TryFrom<CostRow> for Cost {
    type Error = Error;
    fn try_from(r: CostRow) -> Result<Self> {
        let currency = Currency::parse(&r.currency)
            .map_err(|_| Error::Internal(anyhow::anyhow!("stored currency {:?}", r.currency)))?;
        Ok(Self {
            id: CostId::from_uuid(r.id),
            channel: parse_stored("channel", &r.channel)?,
            org_id: r.org_id.map(OrgId::from_uuid),
            org_name: r.org_name,
            category: parse_stored("category", &r.category)?,
            amount: Money {
                amount_minor: r.amount_minor,
                currency,
            },
            incurred_on: r.incurred_on,
            note: r.note,
            source: r.source,
            created_by_name: r.created_by_name.unwrap_or_default(),
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

/// A cost to enter, as a form or the API sends it.
#[derive(Clone, Debug, Default)]
pub struct CostInput {
    /// `partner`, `program` or `direct`; `partner` when a partner is named, else `program`.
    pub channel: String,
    /// The partner (for a partner's cost).
    pub partner: Option<OrgId>,
    /// `mdf`, `incentive`, `enablement`, `tech`, `sales`, `marketing`, `other`.
    pub category: String,
    /// The amount as people write it (`12,500.00`).
    pub amount: String,
    /// ISO 4217 code; the reporting currency when empty.
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub incurred_on: String,
    /// What it was.
    pub note: String,
}

/// Which costs to list.
#[derive(Clone, Debug, Default)]
pub struct CostQuery {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// One partner's.
    pub partner: Option<OrgId>,
}

/// What an import wrote.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostImport {
    /// Costs recorded: one per row.
    pub created: usize,
}

/// The most rows one file may hold.
pub(super) const MAX_ROWS: usize = 100_000;

const FIELDS: [Field; 7] = [
    Field {
        key: "partner",
        labels: &["partner", "partner name", "partner id"],
        required: false,
    },
    Field {
        key: "channel",
        labels: &["channel", "cost channel"],
        required: false,
    },
    Field {
        key: "category",
        labels: &["category", "cost category", "type"],
        required: true,
    },
    Field {
        key: "amount",
        labels: &["amount", "cost", "value"],
        required: true,
    },
    Field {
        key: "currency",
        labels: &["currency", "currency code"],
        required: false,
    },
    Field {
        key: "incurred_on",
        labels: &["date", "incurred on", "incurred", "day"],
        required: true,
    },
    Field {
        key: "note",
        labels: &["note", "notes", "description"],
        required: false,
    },
];

/// The longest note.
const NOTE_MAX: usize = 1_000;

/// Checks one cost; `partner` is already resolved (or its problem reported). Problems go to
/// `bad(field, message)`.
fn check(
    input: &CostInput,
    partner: Option<Uuid>,
    reporting: Currency,
    now: Timestamp,
    mut bad: impl FnMut(&str, String),
) -> Option<CostRow> {
    let channel = match input.channel.trim() {
        "" if partner.is_some() || input.partner.is_some() => Some(CostChannel::Partner),
        "" => Some(CostChannel::Program),
        c => c
            .to_lowercase()
            .parse::<CostChannel>()
            .map_err(|m| bad("channel", m))
            .ok(),
    };
    match (channel, partner.is_some() || input.partner.is_some()) {
        (Some(CostChannel::Partner), false) => bad("partner", "name the partner".into()),
        (Some(CostChannel::Program | CostChannel::Direct), true) => bad(
            "partner",
            "only a partner's cost names a partner: leave it empty, or choose the partner channel"
                .into(),
        ),
        _ => {}
    }
    let category = input
        .category
        .trim()
        .to_lowercase()
        .parse::<CostCategory>()
        .map_err(|m| bad("category", m))
        .ok();
    let currency = match input.currency.trim() {
        "" => Some(reporting),
        c => Currency::parse(&c.to_ascii_uppercase())
            .map_err(|e| bad("currency", e.to_string()))
            .ok(),
    };
    let amount = currency.and_then(|c| {
        parse_amount(&input.amount, c)
            .map_err(|e| bad("amount", e.to_string()))
            .ok()
    });
    if amount.is_some_and(|a| a < 0) {
        bad("amount", "must not be negative".into());
    }
    let day = input.incurred_on.trim();
    let incurred = Timestamp::from_date(day);
    match incurred {
        None => bad("incurred_on", "must be a date such as 2026-03-31".into()),
        Some(t) if t.millis() > now.millis() => {
            bad("incurred_on", "must not be in the future".into());
        }
        Some(_) => {}
    }
    let note = input.note.trim();
    if note.chars().count() > NOTE_MAX {
        bad("note", "at most 1,000 characters".into());
    }
    Some(CostRow {
        id: CostId::new().as_uuid(),
        channel: channel?.as_str().to_owned(),
        org_id: partner.or(input.partner.map(OrgId::as_uuid)),
        org_name: None,
        category: category?.as_str().to_owned(),
        amount_minor: amount.filter(|a| *a >= 0)?,
        currency: currency?.code().to_owned(),
        incurred_on: incurred.map(Timestamp::date)?,
        note: note.to_owned(),
        source: String::new(),
        created_by: None,
        created_by_name: None,
        created_at: now.millis(),
    })
}

fn keeper(actor: &Actor) -> Result<()> {
    actor.require(Permission::CostsManage)?;
    if actor.is_vendor_side() {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

impl Services {
    /// Costs incurred in a period, newest first.
    pub async fn costs(
        &self,
        actor: &Actor,
        q: &CostQuery,
        page: &PageRequest,
    ) -> Result<Page<Cost>> {
        super::readable(actor)?;
        let (after, limit) = page.parse()?;
        let period = super::MetricsQuery {
            from: q.from.clone(),
            to: q.to.clone(),
            ..super::MetricsQuery::default()
        }
        .check(self.now())?;
        let mut c = self.db().read().await?;
        let rows = store::list(
            &mut c.exec(),
            &period.from,
            &period.to,
            q.partner.map(OrgId::as_uuid),
            after.as_ref().map(|a| (a.key.as_str(), a.id)),
            limit,
        )
        .await?;
        let page = Page::from_rows(rows, limit, |r| trellis_store::Cursor {
            key: r.incurred_on.clone(),
            id: r.id,
        });
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(Cost::try_from)
                .collect::<Result<_>>()?,
            next: page.next,
        })
    }

    /// Enters one cost.
    pub async fn record_cost(
        &self,
        actor: &Actor,
        input: &CostInput,
        source: &str,
    ) -> Result<Cost> {
        keeper(actor)?;
        let reporting = self.default_currency().await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let mut e = FieldErrors::new();
        if let Some(org) = input.partner {
            let org = orgs::find(&mut tx.exec(), org.as_uuid()).await?;
            if org.is_none_or(|o| o.kind != "partner") {
                e.add("partner", "no such partner");
            }
        }
        let row = check(input, None, reporting, now, |f, m| e.add(f, m));
        e.into_result()?;
        let Some(row) = row else {
            return Err(Error::Internal(anyhow::anyhow!(
                "a checked cost is missing"
            )));
        };
        let row = CostRow {
            source: source.to_owned(),
            created_by: actor.user().map(|u| u.user_id.as_uuid()),
            ..row
        };
        store::insert(&mut tx.exec(), std::slice::from_ref(&row)).await?;
        let cost = Cost::try_from(
            store::find(&mut tx.exec(), row.id)
                .await?
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("the cost just written")))?,
        )?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "cost.recorded",
                object_type: "cost",
                object_id: cost.id.to_string(),
                org_id: cost.org_id,
                summary: format!(
                    "{} cost of {} recorded",
                    cost.category.label(),
                    cost.amount.format()
                ),
                before: None,
                after: Some(json!(cost)),
                publish: true,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(cost)
    }

    /// Removes a cost; returns what was removed.
    pub async fn remove_cost(&self, actor: &Actor, id: CostId) -> Result<Cost> {
        keeper(actor)?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = store::find(&mut tx.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        let cost = Cost::try_from(row)?;
        store::delete(&mut tx.exec(), id.as_uuid()).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "cost.removed",
                object_type: "cost",
                object_id: id.to_string(),
                org_id: cost.org_id,
                summary: format!(
                    "{} cost of {} removed",
                    cost.category.label(),
                    cost.amount.format()
                ),
                before: Some(json!(cost)),
                after: None,
                publish: true,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(cost)
    }

    /// Records every row of a cost file, or none: columns partner (name or id), channel,
    /// category, amount, currency, date, note.
    pub async fn import_costs(&self, actor: &Actor, bytes: &[u8]) -> Result<CostImport> {
        keeper(actor)?;
        let file = CsvFile::read(bytes, &FIELDS, MAX_ROWS)?;
        let reporting = self.default_currency().await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let partners = PartnerNames::new(
            partner_classes(&mut tx.exec())
                .await?
                .into_iter()
                .map(|p| (p.id, p.name)),
        );
        let mut problems = Problems::default();
        let mut rows = Vec::with_capacity(file.table.rows.len());
        for row in &file.table.rows {
            let cell = |key: &str| file.cell(row, key).to_owned();
            let partner_text = cell("partner");
            let partner = if partner_text.is_empty() {
                None
            } else {
                match partners.resolve(&partner_text) {
                    Ok(id) => Some(id),
                    Err(m) => {
                        problems.add(&file, row.line, "partner", m);
                        continue;
                    }
                }
            };
            let input = CostInput {
                channel: cell("channel"),
                partner: None,
                category: cell("category"),
                amount: cell("amount"),
                currency: cell("currency"),
                incurred_on: cell("incurred_on"),
                note: cell("note"),
            };
            let checked = check(&input, partner, reporting, now, |f, m| {
                problems.add(&file, row.line, f, m);
            });
            if let Some(r) = checked {
                rows.push(CostRow {
                    source: "import".to_owned(),
                    created_by: actor.user().map(|u| u.user_id.as_uuid()),
                    ..r
                });
            }
        }
        problems.into_result()?;
        store::insert(&mut tx.exec(), &rows).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "costs.imported",
                object_type: "cost",
                object_id: String::new(),
                org_id: None,
                summary: format!("{} costs imported", rows.len()),
                before: None,
                after: Some(json!({ "created": rows.len() })),
                publish: true,
            },
        )
        .await?;
        crate::metrics::refresh_soon(&mut tx, now, self.config().job_max_attempts).await?;
        tx.commit().await?;
        Ok(CostImport {
            created: rows.len(),
        })
    }
}
