//! Contact people at a partner (who need not have a login): the primary contact, sales,
//! technical, marketing, billing and executive sponsors.

use serde::Serialize;
use serde_json::json;
use trellis_domain::{ContactId, Email, FieldErrors, OrgId, Permission, PersonName, Timestamp};
use trellis_store::partners::contacts::{self as store, ContactRow};

use super::profiles::{load, visible};
use crate::outbox::Change;
use crate::{Actor, Error, Result, Services};

/// The roles a contact can have.
pub const ROLES: [(&str, &str); 6] = [
    ("primary", "Primary contact"),
    ("sales", "Sales"),
    ("technical", "Technical"),
    ("marketing", "Marketing"),
    ("billing", "Billing"),
    ("executive", "Executive sponsor"),
];

/// A contact.
#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    /// Id.
    pub id: ContactId,
    /// The partner.
    pub org_id: OrgId,
    /// Name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
    /// Job title.
    pub title: String,
    /// Role in the partnership.
    pub role: String,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Added.
    pub created_at: Timestamp,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Self {
            id: ContactId::from_uuid(r.id),
            org_id: OrgId::from_uuid(r.org_id),
            name: r.name,
            email: r.email,
            phone: r.phone,
            title: r.title,
            role: r.role,
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

/// A contact's fields as sent.
#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Title.
    pub title: String,
    /// Role id.
    pub role: String,
}

struct Valid {
    name: String,
    email: String,
    phone: String,
    title: String,
    role: String,
}

fn validate(input: &ContactInput) -> Result<Valid> {
    let mut e = FieldErrors::new();
    let name = e.check("name", PersonName::parse(&input.name));
    let email = e.check("email", Email::parse(&input.email));
    let phone = input.phone.trim().to_owned();
    if phone.chars().count() > 40
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        e.add(
            "phone",
            "may contain digits, spaces and + - ( ) . / only, at most 40 characters",
        );
    }
    let title = input.title.trim().to_owned();
    if title.chars().count() > 120 || title.chars().any(char::is_control) {
        e.add("title", "must be at most 120 characters of plain text");
    }
    let role = input.role.trim().to_owned();
    if !ROLES.iter().any(|(id, _)| *id == role) {
        e.add(
            "role",
            format!(
                "must be one of {}",
                ROLES
                    .iter()
                    .map(|(id, _)| *id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    e.into_result()?;
    match (name, email) {
        (Some(name), Some(email)) => Ok(Valid {
            name: name.to_string(),
            email: email.to_string(),
            phone,
            title,
            role,
        }),
        _ => Err(Error::Internal(anyhow::anyhow!(
            "validated contact fields missing"
        ))),
    }
}

impl Services {
    /// A partner's contacts (its own, for a partner user).
    pub async fn list_contacts(&self, actor: &Actor, org: OrgId) -> Result<Vec<Contact>> {
        actor.require(Permission::OrgsRead)?;
        visible(actor, org)?;
        let mut c = self.db().read().await?;
        load(&mut c.exec(), org).await?;
        Ok(store::list(&mut c.exec(), org.as_uuid())
            .await?
            .into_iter()
            .map(Contact::from)
            .collect())
    }

    /// One contact.
    pub async fn get_contact(&self, actor: &Actor, id: ContactId) -> Result<Contact> {
        actor.require(Permission::OrgsRead)?;
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut c = self.db().read().await?;
        Ok(store::find(&mut c.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?
            .into())
    }

    /// Adds a contact to a partner.
    pub async fn create_contact(
        &self,
        actor: &Actor,
        org: OrgId,
        input: &ContactInput,
    ) -> Result<Contact> {
        actor.require(Permission::ProfileManage)?;
        visible(actor, org)?;
        let v = validate(input)?;
        let mut tx = self.db().begin().await?;
        let partner = load(&mut tx.exec(), org).await?;
        let now = self.now();
        let row = ContactRow {
            id: ContactId::new().as_uuid(),
            org_id: org.as_uuid(),
            name: v.name,
            email: v.email,
            phone: v.phone,
            title: v.title,
            role: v.role,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        store::insert(&mut tx.exec(), &row).await?;
        let contact = Contact::from(row);
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.contact_added",
                object_type: "partner_contact",
                object_id: contact.id.to_string(),
                org_id: Some(org),
                summary: format!("added {} as a contact of {}", contact.name, partner.name),
                before: None,
                after: Some(json!(contact)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(contact)
    }

    /// Changes a contact if `version` is current.
    pub async fn update_contact(
        &self,
        actor: &Actor,
        id: ContactId,
        version: i64,
        input: &ContactInput,
    ) -> Result<Contact> {
        actor.require(Permission::ProfileManage)?;
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let v = validate(input)?;
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?;
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let before = Contact::from(current.clone());
        let now = self.now();
        let row = ContactRow {
            name: v.name,
            email: v.email,
            phone: v.phone,
            title: v.title,
            role: v.role,
            updated_at: now.millis(),
            ..current
        };
        if !store::update(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        let after = Contact::from(ContactRow {
            version: version + 1,
            ..row
        });
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.contact_updated",
                object_type: "partner_contact",
                object_id: id.to_string(),
                org_id: Some(after.org_id),
                summary: format!("updated the contact {}", after.name),
                before: Some(json!(before)),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a contact.
    pub async fn delete_contact(&self, actor: &Actor, id: ContactId) -> Result<()> {
        actor.require(Permission::ProfileManage)?;
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?;
        let before = Contact::from(current);
        store::delete(&mut tx.exec(), id.as_uuid()).await?;
        let now = self.now();
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "partner.contact_removed",
                object_type: "partner_contact",
                object_id: id.to_string(),
                org_id: Some(before.org_id),
                summary: format!("removed the contact {}", before.name),
                before: Some(json!(before)),
                after: None,
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
