//! CRM data in the console: accounts with their contacts and opportunities, and CSV imports
//! (upload, column-mapping preview, live progress, report). Reading needs `crm:read` and
//! importing `crm:write`; the services enforce both, the pages only hide what a role cannot
//! use.

mod accounts;
mod imports;
mod mapping;
mod opportunities;
mod upload;

use std::collections::HashMap;

use trellis_domain::UserId;
use trellis_service::crm::{Account, CrmContact, Import, Opportunity};

use super::super::book::RouteBook;
use trellis_service::platform::PageRequest;

use super::super::error::PageResult;
use super::super::form::{Query, filter};
use super::super::session::VendorSession;
use super::super::view::Choice;

pub(super) fn routes(book: RouteBook) -> RouteBook {
    upload::routes(imports::routes(opportunities::routes(accounts::routes(
        book,
    ))))
}

/// What a CRM list reads from its address: its filters (as given; a ticked "archived" box is
/// `on`) and the cursor; and the links that keep the filters while paging.
struct ListQuery {
    path: &'static str,
    params: Vec<(&'static str, String)>,
    cursor: Option<String>,
}

/// The pager under a list.
struct Paging {
    paged: bool,
    first: String,
    next: Option<String>,
}

impl ListQuery {
    fn read(q: &Query, path: &'static str, names: &[&'static str]) -> Self {
        Self {
            path,
            params: names.iter().map(|n| (*n, q.text(n))).collect(),
            cursor: q.opt("cursor"),
        }
    }

    /// A filter's value, empty when not given.
    fn get(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn archived(&self) -> bool {
        !self.get("archived").is_empty()
    }

    /// Whether any filter is set.
    fn filtered(&self) -> bool {
        self.params.iter().any(|(_, v)| !v.trim().is_empty())
    }

    /// The page the cursor asks for.
    fn page(&self) -> PageRequest {
        PageRequest {
            cursor: self.cursor.clone(),
            limit: None,
        }
    }

    /// This list at `cursor` (empty: the first page), every filter but `without` kept.
    fn link(&self, without: &str, cursor: &str) -> String {
        let mut params: Vec<(&str, &str)> = self
            .params
            .iter()
            .filter(|(k, _)| *k != without)
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        params.push(("cursor", cursor));
        Query::link(self.path, &params)
    }

    /// The pager, given the next page's cursor.
    fn paging(&self, next: Option<String>) -> Paging {
        Paging {
            paged: self.cursor.is_some(),
            first: self.link("", ""),
            next: next.map(|c| self.link("", &c)),
        }
    }
}

/// The vendor's users by id: the owner filter's choices and the names of records' owners.
struct Owners(Vec<(UserId, String)>);

impl Owners {
    async fn load(s: &VendorSession) -> PageResult<Self> {
        Ok(Self(
            super::vendor_users(s)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect(),
        ))
    }

    /// The owner's name: the user's when the CRM's owner is one, else as the CRM wrote it.
    fn name(&self, id: Option<UserId>, as_written: &str) -> String {
        id.and_then(|id| self.0.iter().find(|(u, _)| *u == id))
            .map_or_else(|| as_written.to_owned(), |(_, n)| n.clone())
    }

    /// The owner of a record, for templates.
    fn of(&self, record: &impl Owned) -> String {
        let (id, as_written) = record.owner();
        self.name(id, as_written)
    }

    /// Choices of the owner filter, `current` selected.
    fn choices(&self, current: &str) -> Vec<Choice> {
        let ids: Vec<(String, &str)> = self
            .0
            .iter()
            .map(|(id, n)| (id.to_string(), n.as_str()))
            .collect();
        Choice::list(
            std::iter::once(("", "Anyone")).chain(ids.iter().map(|(id, n)| (id.as_str(), *n))),
            current,
        )
    }
}

/// A record with an owner: the vendor user, if the owner is one, and the owner as written.
trait Owned {
    fn owner(&self) -> (Option<UserId>, &str);
}

// Templates pass the records they loop over by reference.
impl<T: Owned> Owned for &T {
    fn owner(&self) -> (Option<UserId>, &str) {
        (**self).owner()
    }
}

impl Owned for Account {
    fn owner(&self) -> (Option<UserId>, &str) {
        (self.owner_id, &self.owner_name)
    }
}

impl Owned for CrmContact {
    fn owner(&self) -> (Option<UserId>, &str) {
        (self.owner_id, &self.owner_name)
    }
}

impl Owned for Opportunity {
    fn owner(&self) -> (Option<UserId>, &str) {
        (self.owner_id, &self.owner_name)
    }
}

impl Owned for Import {
    fn owner(&self) -> (Option<UserId>, &str) {
        (self.started_by, "")
    }
}

/// The CRM's other fields of a record, by name (values that are not text as JSON).
fn attributes(value: &serde_json::Value) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = value.as_object().map_or_else(Vec::new, |m| {
        m.iter()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), text)
            })
            .collect()
    });
    all.sort();
    all
}

/// The names of the accounts in a list, by id, for the account column.
struct AccountNames(HashMap<trellis_domain::AccountId, String>);

impl AccountNames {
    async fn load(s: &VendorSession, ids: Vec<trellis_domain::AccountId>) -> PageResult<Self> {
        let mut names = HashMap::new();
        for id in ids {
            if names.contains_key(&id) {
                continue;
            }
            match s.services.get_account(&s.actor, id).await {
                Ok(a) => {
                    names.insert(id, a.name);
                }
                Err(trellis_service::Error::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Self(names))
    }

    /// The name of an opportunity's account.
    fn of(&self, o: &Opportunity) -> Option<&str> {
        o.account_id
            .and_then(|id| self.0.get(&id))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attributes_read_as_text_and_filters_parse_or_say_which() {
        assert_eq!(
            attributes(&json!({"Segment": "Enterprise", "Seats": 40})),
            [
                ("Seats".to_owned(), "40".to_owned()),
                ("Segment".to_owned(), "Enterprise".to_owned())
            ]
        );
        assert!(attributes(&json!(null)).is_empty());
        assert_eq!(filter::<UserId>("owner", " ").unwrap(), None);
        assert!(filter::<UserId>("owner", "nobody").is_err());
    }
}
