//! Contacts: people at the vendor's accounts, as its CRM holds them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use trellis_domain::{
    AccountId, CrmContactId, Email, FieldError, FieldErrors, Permission, Timestamp, UserId,
};
use trellis_store::Json;
use trellis_store::crm::accounts as account_store;
use trellis_store::crm::contacts::{self as store, ContactFilter, CrmContactRow};
use trellis_store::crm::{self as crm_store, Table};

use super::owners::Owners;
use super::{Checked, Written, attributes, fingerprint, parse_key, plain, record_event};
use crate::platform::PageRequest;
use crate::{Actor, Error, Page, Result, Services};

/// A contact at a vendor account.
#[derive(Clone, Debug, Serialize)]
pub struct CrmContact {
    /// Id.
    pub id: CrmContactId,
    /// The system it comes from.
    pub source_system: String,
    /// Its id there.
    pub external_id: String,
    /// The account, when known.
    pub account_id: Option<AccountId>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address (empty when the CRM had none, or none that was valid).
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Job title.
    pub title: String,
    /// The owning vendor user, when the CRM's owner is one.
    pub owner_id: Option<UserId>,
    /// The owner as the CRM names them.
    pub owner_name: String,
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

impl From<CrmContactRow> for CrmContact {
    fn from(r: CrmContactRow) -> Self {
        Self {
            id: CrmContactId::from_uuid(r.id),
            source_system: r.source_system,
            external_id: r.external_id,
            account_id: r.account_id.map(AccountId::from_uuid),
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            phone: r.phone,
            title: r.title,
            owner_id: r.owner_id.map(UserId::from_uuid),
            owner_name: r.owner_name,
            attributes: r.attributes.0,
            archived: r.archived,
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        }
    }
}

impl CrmContact {
    /// "First Last".
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

/// A contact's fields as a CRM sends them.
#[derive(Clone, Debug, Default)]
pub struct CrmContactInput {
    /// The account's id in the same source system.
    pub account_external_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Job title.
    pub title: String,
    /// Owner: an e-mail address or a name.
    pub owner: String,
    /// Other fields.
    pub attributes: BTreeMap<String, String>,
}

/// The stored fields of a contact.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ContactFields {
    pub account_id: Option<uuid::Uuid>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    pub owner_id: Option<uuid::Uuid>,
    pub owner_name: String,
    pub attributes: serde_json::Value,
}

/// Validates a contact whose account reference is already resolved to `account_id`.
pub(crate) fn check(
    input: &CrmContactInput,
    account_id: Option<uuid::Uuid>,
    owners: &Owners,
) -> Result<Checked<ContactFields>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut warnings = Vec::new();
    let first_name = plain(&mut e, "first_name", &input.first_name, 120, false);
    let last_name = plain(&mut e, "last_name", &input.last_name, 120, false);
    let email_text = plain(&mut e, "email", &input.email, 254, false);
    if first_name.is_empty() && last_name.is_empty() && email_text.is_empty() {
        e.add("last_name", "a contact needs a name or an e-mail address");
    }
    let email = if email_text.is_empty() {
        String::new()
    } else {
        match Email::parse(&email_text) {
            Ok(m) => m.to_string(),
            Err(err) => {
                warnings.push(FieldError {
                    field: "email".into(),
                    message: format!("{err}; left empty"),
                });
                String::new()
            }
        }
    };
    let phone = plain(&mut e, "phone", &input.phone, 60, false);
    let title = plain(&mut e, "title", &input.title, 200, false);
    let owner_name = plain(&mut e, "owner", &input.owner, 255, false);
    let attributes = attributes(&mut e, &input.attributes);
    e.into_result()?;
    Ok(Checked {
        fields: ContactFields {
            owner_id: owners.resolve(&owner_name),
            account_id,
            first_name,
            last_name,
            email,
            phone,
            title,
            owner_name,
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
    f: ContactFields,
    version: i64,
    created_at: i64,
    now: i64,
) -> CrmContactRow {
    CrmContactRow {
        id,
        source_system: source_system.to_owned(),
        external_id: external_id.to_owned(),
        content_hash: fingerprint(&f),
        account_id: f.account_id,
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        phone: f.phone,
        title: f.title,
        owner_id: f.owner_id,
        owner_name: f.owner_name,
        attributes: Json(f.attributes),
        archived: false,
        version,
        created_at,
        updated_at: now,
    }
}

/// Filters for listing contacts.
#[derive(Clone, Debug, Default)]
pub struct CrmContactQuery {
    /// Name substring or e-mail prefix.
    pub q: Option<String>,
    /// Only this account's.
    pub account_id: Option<AccountId>,
    /// Include archived contacts.
    pub include_archived: bool,
}

impl Services {
    /// Creates or updates the contact a CRM knows as `(source_system, external_id)`, as
    /// [`Services::upsert_account`].
    pub async fn upsert_crm_contact(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
        version: Option<i64>,
        input: &CrmContactInput,
    ) -> Result<(CrmContact, Written)> {
        actor.require(Permission::CrmManage)?;
        let (source, external) = parse_key(source_system, external_id)?;
        let mut tx = self.db().begin().await?;
        let account_id =
            resolve_account(&mut tx.exec(), source.as_str(), &input.account_external_id).await?;
        let owners = Owners::load(&mut tx.exec()).await?;
        let checked = check(input, account_id, &owners)?;
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
                    CrmContactId::new().as_uuid(),
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
                    return Ok((c.into(), Written::Unchanged));
                }
                if !store::update(&mut tx.exec(), &r, c.version).await? {
                    return Err(Error::StaleVersion {
                        current: c.version + 1,
                    });
                }
                let version = c.version + 1;
                (
                    CrmContactRow { version, ..r },
                    Written::Updated,
                    Some(CrmContact::from(c)),
                )
            }
        };
        let contact = CrmContact::from(next);
        let (event, verb) = match written {
            Written::Created => ("contact.created", "added"),
            _ => ("contact.updated", "updated"),
        };
        let summary = format!("{verb} the contact {}", contact.name());
        let now = Timestamp::from_millis(now);
        self.record_crm_change(
            &mut tx,
            actor,
            now,
            record_event(
                event,
                "contact",
                contact.id.to_string(),
                &contact.source_system,
                &contact.external_id,
                contact.version,
            ),
            summary,
            before.map(|b| json!(b)),
            json!(contact),
        )
        .await?;
        tx.commit().await?;
        Ok((contact, written))
    }

    /// One contact.
    pub async fn get_crm_contact(&self, actor: &Actor, id: CrmContactId) -> Result<CrmContact> {
        actor.require(Permission::CrmRead)?;
        let mut c = self.db().read().await?;
        Ok(store::find(&mut c.exec(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?
            .into())
    }

    /// The contact a CRM knows by this key.
    pub async fn get_crm_contact_by_key(
        &self,
        actor: &Actor,
        source_system: &str,
        external_id: &str,
    ) -> Result<CrmContact> {
        actor.require(Permission::CrmRead)?;
        let (source, external) = parse_key(source_system, external_id)?;
        let mut c = self.db().read().await?;
        Ok(
            store::find_by_key(&mut c.exec(), source.as_str(), external.as_str())
                .await?
                .ok_or(Error::NotFound)?
                .into(),
        )
    }

    /// Contacts by name.
    pub async fn list_crm_contacts(
        &self,
        actor: &Actor,
        q: &CrmContactQuery,
        page: &PageRequest,
    ) -> Result<Page<CrmContact>> {
        actor.require(Permission::CrmRead)?;
        let (cursor, limit) = page.parse()?;
        let filter = ContactFilter {
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
            account_id: q.account_id.map(AccountId::as_uuid),
            include_archived: q.include_archived,
        };
        let mut c = self.db().read().await?;
        Ok(store::list(&mut c.exec(), &filter, cursor.as_ref(), limit)
            .await?
            .map(CrmContact::from))
    }

    /// Archives a contact; `PUT` brings it back.
    pub async fn archive_crm_contact(
        &self,
        actor: &Actor,
        id: CrmContactId,
        version: i64,
    ) -> Result<CrmContact> {
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
            return Ok(current.into());
        }
        let now = self.now();
        if !crm_store::set_archived(
            &mut tx.exec(),
            Table::Contacts,
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
        let before = CrmContact::from(current);
        let after = CrmContact {
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
                "contact.archived",
                "contact",
                after.id.to_string(),
                &after.source_system,
                &after.external_id,
                after.version,
            ),
            format!("archived the contact {}", after.name()),
            Some(json!(before)),
            json!(after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The account a record refers to by its id in the same source system; empty means none.
pub(crate) async fn resolve_account(
    ex: &mut trellis_store::Exec<'_>,
    source_system: &str,
    account_external_id: &str,
) -> Result<Option<uuid::Uuid>> {
    let wanted = account_external_id.trim();
    if wanted.is_empty() {
        return Ok(None);
    }
    match account_store::find_by_key(ex, source_system, wanted).await? {
        Some(a) => Ok(Some(a.id)),
        None => Err(Error::field(
            "account_external_id",
            format!("no account \"{wanted}\" from {source_system}; send the account first"),
        )),
    }
}
