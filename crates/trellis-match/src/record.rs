//! A company record as it comes from a CRM, and its normalised form.

use crate::country::{Country, country_code};
use crate::domain::{email_domain, website_domain};
use crate::name::{NameKey, domain_in_name, name_key};

/// The fields matching reads from an account, a deal registration or a partner's CRM row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Company {
    pub name: String,
    /// A website, URL or bare domain, as typed.
    pub website: Option<String>,
    /// A contact's e-mail address: its domain stands in for a missing website.
    pub email: Option<String>,
    /// A country code or name, in any common spelling.
    pub country: Option<String>,
}

/// A record normalised once, compared many times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    pub key: NameKey,
    /// The registrable domain of the website, else of a company e-mail address, else of a
    /// name that is a web address ("acme.de").
    pub domain: Option<String>,
    pub country: Option<Country>,
}

impl Prepared {
    pub fn new(company: &Company) -> Self {
        let domain = company
            .website
            .as_deref()
            .and_then(website_domain)
            .or_else(|| {
                let email = email_domain(company.email.as_deref()?);
                email.company().map(str::to_owned)
            })
            .or_else(|| domain_in_name(&company.name));
        Self {
            key: name_key(&company.name),
            domain,
            country: company.country.as_deref().and_then(country_code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_e_mail_domain_stands_in_for_a_missing_website() {
        let mut c = Company {
            name: "Acme".into(),
            email: Some("jo@acme.de".into()),
            ..Company::default()
        };
        assert_eq!(Prepared::new(&c).domain.as_deref(), Some("acme.de"));
        c.website = Some("www.acme.com".into());
        assert_eq!(Prepared::new(&c).domain.as_deref(), Some("acme.com"));
        c.website = Some("linkedin.com/company/acme".into());
        assert_eq!(Prepared::new(&c).domain.as_deref(), Some("acme.de"));
        c.email = Some("jo@gmail.com".into());
        assert_eq!(Prepared::new(&c).domain, None);
    }
}
