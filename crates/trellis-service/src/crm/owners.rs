//! Recognising the owner a CRM names ("Jane Smith", "jane@vendor.example") among the
//! vendor's users.

use std::collections::HashMap;

use trellis_domain::text::fold;
use trellis_store::Exec;
use trellis_store::platform::users;
use uuid::Uuid;

use crate::Result;

/// Vendor users by e-mail address and by name.
#[derive(Debug, Default)]
pub(crate) struct Owners {
    by_email: HashMap<String, Uuid>,
    /// `None` when two users share the name: then neither is guessed.
    by_name: HashMap<String, Option<Uuid>>,
}

impl Owners {
    pub(crate) async fn load(ex: &mut Exec<'_>) -> Result<Self> {
        let mut owners = Self::default();
        for (id, name, email) in users::vendor_people(ex).await? {
            owners.by_email.insert(email, id);
            owners
                .by_name
                .entry(fold(name.trim()))
                .and_modify(|v| *v = None)
                .or_insert(Some(id));
        }
        Ok(owners)
    }

    /// The user an owner cell names, if exactly one matches.
    pub(crate) fn resolve(&self, owner: &str) -> Option<Uuid> {
        let owner = owner.trim();
        if owner.is_empty() {
            return None;
        }
        if owner.contains('@') {
            return self.by_email.get(&owner.to_lowercase()).copied();
        }
        self.by_name.get(&fold(owner)).copied().flatten()
    }
}
