//! Accounts: the companies in the vendor's CRM.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use trellis_domain::crm::{Relationship, relationship_of_type};
use trellis_domain::{AccountId, FieldError, FieldErrors, Permission, Timestamp, UserId};
use trellis_store::Json;
use trellis_store::crm::accounts::{self as store, AccountFilter, AccountRow};
use trellis_store::crm::{self as crm_store, Table};

use super::owners::Owners;
use super::{Checked, Written, attributes, fingerprint, parse_key, plain, record_event};
use crate::platform::{PageRequest, parse_stored};
use crate::{Actor, Error, Page, Result, Services};

/// An account.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    /// Id.
    pub id: AccountId,
    /// The system it comes from: `salesforce`, `hubspot`, `csv`.
    pub source_system: String,
    /// Its id there.
    pub external_id: String,
    /// Company name.
    pub name: String,
    /// Website as the CRM has it.
    pub website: String,
    /// Registrable domain of the website (empty when there is none).
    pub domain: String,
    /// ISO 3166 alpha-2 country code, or empty.
    pub country: String,
    /// City.
    pub city: String,
    /// Industry.
    pub industry: String,
    /// Employees.
    pub employees: Option<i64>,
    /// The CRM's account type, as written.
    pub account_type: String,
    /// Customer, prospect, partner or other, read from the type.
    pub relationship: Relationship,
    /// The owning vendor user, when the CRM's owner is one.
    pub owner_id: Option<UserId>,
    /// The owner as the CRM names them.
    pub owner_name: String,
    /// Phone.
    pub phone: String,
    /// The CRM's other fields.
    pub attributes: serde_json::Value,
    /// Archived (deleted in the CRM, or by hand); kept for history.
    pub archived: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// First written.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl TryFrom<AccountRow> for Account {
    type Error = Error;
    fn try_from(r: AccountRow) -> Result<Self> {
        Ok(Self {
            id: AccountId::from_uuid(r.id),
            relationship: parse_stored("relationship", &r.relationship)?,
            source_system: r.source_system,
            external_id: r.external_id,
            name: r.name,
            website: r.website,
            domain: r.domain,
            country: r.country,
            city: r.city,
            industry: r.industry,
            employees: r.employees,
            account_type: r.account_type,
            owner_id: r.owner_id.map(UserId::from_uuid),
            owner_name: r.owner_name,
            phone: r.phone,
            attributes: r.attributes.0,
            archived: r.archived,
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        })
    }
}

/// An account's fields as a CRM sends them.
#[derive(Clone, Debug, Default)]
pub struct AccountInput {
    /// Company name (required).
    pub name: String,
    /// Website or domain.
    pub website: String,
    /// Country: a code or a name in any common spelling.
    pub country: String,
    /// City.
    pub city: String,
    /// Industry.
    pub industry: String,
    /// Employees.
    pub employees: Option<i64>,
    /// The CRM's account type ("Customer - Direct", "Prospect", a HubSpot lifecycle stage).
    pub account_type: String,
    /// Owner: an e-mail address or a name.
    pub owner: String,
    /// Phone.
    pub phone: String,
    /// Other fields.
    pub attributes: BTreeMap<String, String>,
}

/// The stored fields of an account, fingerprinted to detect changes.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AccountFields {
    pub name: String,
    pub website: String,
    pub domain: String,
    pub country: String,
    pub city: String,
    pub industry: String,
    pub employees: Option<i64>,
    pub account_type: String,
    pub relationship: Relationship,
    pub owner_id: Option<uuid::Uuid>,
    pub owner_name: String,
    pub phone: String,
    pub attributes: serde_json::Value,
}

/// Validates an account. Errors stop it; warnings are kept with it.
pub(crate) fn check(
    input: &AccountInput,
    owners: &Owners,
) -> Result<Checked<AccountFields>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut warnings = Vec::new();
    let name = plain(&mut e, "name", &input.name, 255, false);
    if name.is_empty() {
        e.add("name", "is required");
    }
    let website = plain(&mut e, "website", &input.website, 2_000, false);
    let domain = if website.is_empty() {
        String::new()
    } else {
        trellis_match::domain::website_domain(&website).unwrap_or_else(|| {
            warnings.push(FieldError {
                field: "website".into(),
                message: format!(
                    "\"{website}\" has no recognisable domain; the account will match by name only"
                ),
            });
            String::new()
        })
    };
    let country_text = plain(&mut e, "country", &input.country, 100, false);
    let country = if country_text.is_empty() {
        String::new()
    } else if let Some(c) = trellis_match::country::country_code(&country_text) {
        c.as_str().to_owned()
    } else {
        warnings.push(FieldError {
            field: "country".into(),
            message: format!("\"{country_text}\" is not a country this import knows; left empty"),
        });
        String::new()
    };
    let city = plain(&mut e, "city", &input.city, 120, false);
    let industry = plain(&mut e, "industry", &input.industry, 120, false);
    if input.employees.is_some_and(|n| n < 0) {
        e.add("employees", "must not be negative");
    }
    let account_type = plain(&mut e, "account_type", &input.account_type, 120, false);
    let owner_name = plain(&mut e, "owner", &input.owner, 255, false);
    let phone = plain(&mut e, "phone", &input.phone, 60, false);
    let attributes = attributes(&mut e, &input.attributes);
    e.into_result()?;
    Ok(Checked {
        fields: AccountFields {
            relationship: relationship_of_type(&account_type),
            owner_id: owners.resolve(&owner_name),
            name,
            website,
            domain,
            country,
            city,
            industry,
            employees: input.employees,
            account_type,
            owner_name,
            phone,
            attributes,
        },
        warnings,
    })
}

/// A stored row from validated fields.
pub(crate) fn row(
    id: uuid::Uuid,
    source_system: &str,
    external_id: &str,
    f: AccountFields,
    version: i64,
    created_at: i64,
    now: i64,
) -> AccountRow {
    AccountRow {
        id,
        source_system: source_system.to_owned(),
        external_id: external_id.to_owned(),
        content_hash: fingerprint(&f),
        name: f.name,
        website: f.website,
        domain: f.domain,
        country: f.country,
        city: f.city,
        industry: f.industry,
        employees: f.employees,
        account_type: f.account_type,
        relationship: f.relationship.as_str().to_owned(),
        owner_id: f.owner_id,
        owner_name: f.owner_name,
        phone: f.phone,
        attributes: Json(f.attributes),
        archived: false,
        version,
        created_at,
        updated_at: now,
    }
}

/// Filters for listing accounts.
#[derive(Clone, Debug, Default)]
pub struct AccountQuery {
    /// Name substring or domain prefix.
    pub q: Option<String>,
    /// Only this relationship.
    pub relationship: Option<Relationship>,
    /// Only this owner's.
    pub owner_id: Option<UserId>,
    /// Include archived accounts.
    pub include_archived: bool,
}

impl Services {
    /// Creates or updates the account a CRM knows as `(source_system, external_id)`. With
    /// `version`, the write happens only if it is still current. Sending the same values
    /// again changes nothing.
    pub async fn upsert_account(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
        version: Option<i64>,
        input: &AccountInput,
    ) -> Result<(Account, Written)> {
        actor.require(Permission::CrmManage)?;
        self.put_account(actor, source_system, external_id, version, input)
            .await
    }

    /// [`upsert_account`](Self::upsert_account) for callers that checked their own
    /// permission (deal conversion).
    pub(crate) async fn put_account(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
        version: Option<i64>,
        input: &AccountInput,
    ) -> Result<(Account, Written)> {
        let (source, external) = parse_key(source_system, external_id)?;
        let mut tx = self.db().begin().await?;
        let owners = Owners::load(&mut tx.exec()).await?;
        let checked = check(input, &owners)?;
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
                    AccountId::new().as_uuid(),
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
                    return Ok((Account::try_from(c)?, Written::Unchanged));
                }
                if !store::update(&mut tx.exec(), &r, c.version).await? {
                    return Err(Error::StaleVersion {
                        current: c.version + 1,
                    });
                }
                let before = Account::try_from(c.clone())?;
                (
                    AccountRow {
                        version: c.version + 1,
                        ..r
                    },
                    Written::Updated,
                    Some(before),
                )
            }
        };
        let account = Account::try_from(next)?;
        let (event, summary) = match written {
            Written::Created => (
                "account.created",
                format!("added the account {}", account.name),
            ),
            _ => (
                "account.updated",
                format!("updated the account {}", account.name),
            ),
        };
        let now = Timestamp::from_millis(now);
        self.record_crm_change(
            &mut tx,
            actor,
            now,
            record_event(
                event,
                "account",
                account.id.to_string(),
                &account.source_system,
                &account.external_id,
                account.version,
            ),
            summary,
            before.map(|b| json!(b)),
            json!(account),
        )
        .await?;
        tx.commit().await?;
        Ok((account, written))
    }

    /// One account.
    pub async fn get_account(&self, actor: &Actor, id: AccountId) -> Result<Account> {
        actor.require(Permission::CrmRead)?;
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// The account a CRM knows by this key.
    pub async fn get_account_by_key(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
    ) -> Result<Account> {
        actor.require(Permission::CrmRead)?;
        let (source, external) = parse_key(source_system, external_id)?;
        let mut c = self.db().read().await?;
        store::find_by_key(&mut c.exec(), source.as_str(), external.as_str())
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Accounts by name.
    pub async fn list_accounts(
        &self,
        actor: &Actor,
        q: &AccountQuery,
        page: &PageRequest,
    ) -> Result<Page<Account>> {
        actor.require(Permission::CrmRead)?;
        let (cursor, limit) = page.parse()?;
        let filter = AccountFilter {
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
            relationship: q.relationship.map(|r| r.as_str().to_owned()),
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
                .map(Account::try_from)
                .collect::<Result<_>>()?,
            next,
        })
    }

    /// Archives an account (it was deleted in the CRM); `PUT` brings it back.
    pub async fn archive_account(
        &self,
        actor: &Actor,
        id: AccountId,
        version: i64,
    ) -> Result<Account> {
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
            return Account::try_from(current);
        }
        let now = self.now();
        if !crm_store::set_archived(
            &mut tx.exec(),
            Table::Accounts,
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
        let before = Account::try_from(current)?;
        let after = Account {
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
                "account.archived",
                "account",
                after.id.to_string(),
                &after.source_system,
                &after.external_id,
                after.version,
            ),
            format!("archived the account {}", after.name),
            Some(json!(before)),
            json!(after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
