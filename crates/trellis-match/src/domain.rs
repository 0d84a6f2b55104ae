//! Domains that identify a company: a website or an e-mail address reduced to its registrable
//! domain ("https://shop.acme.co.uk:8443/en/" -> "acme.co.uk") with the Public Suffix List, so
//! that every spelling of one company's web address compares equal.
//!
//! Some domains say nothing about which company a record is: free-mail and disposable
//! addresses ("jane@gmail.com") and the platforms CRMs collect as "website" (a LinkedIn page,
//! a Facebook page). Those give no domain at all rather than a domain that would wrongly
//! make every such record the same company.

use std::net::IpAddr;

/// The registrable domain ("eTLD+1") of a website, URL or bare host, lower-case ASCII
/// (internationalised names in punycode). `None` for anything that is not a host under a
/// known public suffix: an IP address, "localhost", "n/a", an empty cell.
///
/// The Public Suffix List's private section is honoured, so "acme.github.io" stays
/// "acme.github.io": each subdomain of a hosting platform belongs to someone else.
pub fn registrable_domain(input: &str) -> Option<String> {
    let host = host_of(input)?;
    let ascii = idna::domain_to_ascii(host).ok()?;
    let ascii = ascii.trim_end_matches('.');
    if ascii.is_empty() || ascii.parse::<IpAddr>().is_ok() {
        return None;
    }
    let domain = psl::domain(ascii.as_bytes())?;
    // A wildcard "*" rule makes any last label a suffix; only a listed one identifies a site.
    domain.suffix().typ()?;
    std::str::from_utf8(domain.as_bytes())
        .ok()
        .map(str::to_owned)
}

/// The host part of a website cell, whatever a person typed: with or without a scheme,
/// credentials, port, path, query or fragment.
fn host_of(input: &str) -> Option<&str> {
    let s = input.trim();
    let s = s.find("://").map_or(s, |i| &s[i + 3..]);
    let s = s.strip_prefix("//").unwrap_or(s);
    let authority = s.split(['/', '?', '#', '\\']).next()?;
    let host = authority.rsplit('@').next()?;
    if host.starts_with('[') {
        return None; // an IPv6 literal
    }
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

/// The domain a website identifies a company by: its registrable domain, unless that is a
/// platform that hosts pages of many companies (social networks, directories, link
/// shorteners).
pub fn website_domain(website: &str) -> Option<String> {
    registrable_domain(website).filter(|d| !is_platform(d))
}

/// What an e-mail address says about its owner's company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailDomain {
    /// A company's own domain.
    Company(String),
    /// A free-mail provider (gmail.com, outlook.com, web.de, qq.com, …).
    FreeMail(String),
    /// A disposable, throwaway address provider.
    Disposable(String),
    /// Not an e-mail address with a domain under a known public suffix.
    Invalid,
}

impl EmailDomain {
    /// The company domain, when the address has one.
    pub fn company(&self) -> Option<&str> {
        match self {
            Self::Company(d) => Some(d),
            _ => None,
        }
    }
}

/// Classifies the domain of an e-mail address.
pub fn email_domain(email: &str) -> EmailDomain {
    let email = email.trim();
    let Some((local, host)) = email.rsplit_once('@') else {
        return EmailDomain::Invalid;
    };
    if local.is_empty() || host.is_empty() || host.contains(['/', ':', '@']) {
        return EmailDomain::Invalid;
    }
    let Some(domain) = registrable_domain(host) else {
        return EmailDomain::Invalid;
    };
    if is_free_mail(&domain) {
        EmailDomain::FreeMail(domain)
    } else if !mailchecker::is_valid(&format!("someone@{domain}")) {
        EmailDomain::Disposable(domain)
    } else {
        EmailDomain::Company(domain)
    }
}

/// Providers whose name is free mail under every suffix they use (yahoo.co.jp, gmx.at, …).
const FREE_MAIL_BRANDS: &[&str] = &[
    "aol",
    "gmail",
    "gmx",
    "googlemail",
    "hotmail",
    "outlook",
    "protonmail",
    "rocketmail",
    "windowslive",
    "yahoo",
    "yandex",
    "ymail",
];

/// Free-mail and consumer internet-provider domains whose name alone would be ambiguous.
/// Kept sorted: looked up by binary search.
const FREE_MAIL_DOMAINS: &[&str] = &[
    "126.com",
    "139.com",
    "163.com",
    "alice.it",
    "aliyun.com",
    "arcor.de",
    "att.net",
    "bellsouth.net",
    "bigpond.com",
    "bk.ru",
    "bluewin.ch",
    "bol.com.br",
    "btinternet.com",
    "charter.net",
    "comcast.net",
    "cox.net",
    "daum.net",
    "earthlink.net",
    "email.de",
    "fastmail.com",
    "fastmail.fm",
    "free.fr",
    "freenet.de",
    "hanmail.net",
    "hey.com",
    "home.nl",
    "hushmail.com",
    "icloud.com",
    "inbox.ru",
    "interia.pl",
    "juno.com",
    "kpnmail.nl",
    "laposte.net",
    "libero.it",
    "list.ru",
    "live.ca",
    "live.co.uk",
    "live.com",
    "live.com.au",
    "live.de",
    "live.fr",
    "live.it",
    "live.nl",
    "mac.com",
    "mail.com",
    "mail.de",
    "mail.ru",
    "mailbox.org",
    "me.com",
    "msn.com",
    "naver.com",
    "netzero.net",
    "ntlworld.com",
    "o2.pl",
    "onet.pl",
    "optonline.net",
    "optusnet.com.au",
    "orange.fr",
    "planet.nl",
    "pm.me",
    "posteo.de",
    "proton.me",
    "qq.com",
    "rambler.ru",
    "rediffmail.com",
    "rogers.com",
    "sbcglobal.net",
    "seznam.cz",
    "sfr.fr",
    "shaw.ca",
    "sina.com",
    "skynet.be",
    "sohu.com",
    "sympatico.ca",
    "t-online.de",
    "talktalk.net",
    "telenet.be",
    "terra.com.br",
    "tiscali.it",
    "tutanota.com",
    "uol.com.br",
    "verizon.net",
    "virgilio.it",
    "virginmedia.com",
    "wanadoo.fr",
    "web.de",
    "wp.pl",
    "xs4all.nl",
    "ya.ru",
    "yeah.net",
    "ziggo.nl",
];

/// Sites that host pages of many companies: a CRM "website" pointing there says nothing
/// about which company a record is. Kept sorted.
const PLATFORM_DOMAINS: &[&str] = &[
    "about.me",
    "angel.co",
    "bit.ly",
    "bloomberg.com",
    "crunchbase.com",
    "facebook.com",
    "fb.com",
    "g.page",
    "glassdoor.com",
    "goo.gl",
    "google.com",
    "instagram.com",
    "linkedin.com",
    "linktr.ee",
    "lnkd.in",
    "medium.com",
    "tiktok.com",
    "twitter.com",
    "wikipedia.org",
    "x.com",
    "xing.com",
    "yelp.com",
    "youtube.com",
];

fn is_free_mail(domain: &str) -> bool {
    let label = domain.split('.').next().unwrap_or(domain);
    FREE_MAIL_BRANDS.contains(&label) || FREE_MAIL_DOMAINS.binary_search(&domain).is_ok()
}

fn is_platform(domain: &str) -> bool {
    PLATFORM_DOMAINS.binary_search(&domain).is_ok()
}

/// The part of a registrable domain before its public suffix ("acme" for "acme.co.uk"): one
/// company often uses the same name under several suffixes.
pub fn domain_label(registrable: &str) -> &str {
    registrable.split('.').next().unwrap_or(registrable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_reduce_to_the_registrable_domain() {
        for (input, want) in [
            ("acme.com", "acme.com"),
            ("https://www.acme.com/en-us/products?x=1#top", "acme.com"),
            ("HTTP://WWW.ACME.COM", "acme.com"),
            ("www.acme.co.uk", "acme.co.uk"),
            ("shop.eu.acme.com.au:8443/cart", "acme.com.au"),
            ("ftp://user:secret@files.acme.de/", "acme.de"),
            ("//acme.io", "acme.io"),
            ("acme.com.", "acme.com"),
            ("  acme.fr  ", "acme.fr"),
            ("acme.github.io", "acme.github.io"),
            ("www.bücher.de", "xn--bcher-kva.de"),
            ("www.食狮.公司.cn", "xn--85x722f.xn--55qx5d.cn"),
        ] {
            assert_eq!(registrable_domain(input).as_deref(), Some(want), "{input}");
        }
    }

    #[test]
    fn non_hosts_have_no_domain() {
        for input in [
            "",
            "n/a",
            "localhost",
            "acme",
            "192.168.1.10",
            "http://[::1]:8080/",
            "co.uk",
            "acme.notarealtld",
            "acme com",
        ] {
            assert_eq!(registrable_domain(input), None, "{input}");
        }
    }

    #[test]
    fn platform_pages_do_not_identify_a_company() {
        assert_eq!(
            website_domain("https://www.linkedin.com/company/acme"),
            None
        );
        assert_eq!(website_domain("facebook.com/acme"), None);
        assert_eq!(website_domain("acme.com").as_deref(), Some("acme.com"));
    }

    #[test]
    fn e_mail_addresses_classify_by_domain() {
        assert_eq!(
            email_domain("Jane.Doe@Sales.Acme.co.uk"),
            EmailDomain::Company("acme.co.uk".into())
        );
        assert_eq!(
            email_domain("jane@gmail.com"),
            EmailDomain::FreeMail("gmail.com".into())
        );
        assert_eq!(
            email_domain("jane@yahoo.co.jp"),
            EmailDomain::FreeMail("yahoo.co.jp".into())
        );
        assert_eq!(
            email_domain("jane@web.de"),
            EmailDomain::FreeMail("web.de".into())
        );
        assert_eq!(
            email_domain("x@mailinator.com"),
            EmailDomain::Disposable("mailinator.com".into())
        );
        assert_eq!(email_domain("jane@web.com").company(), Some("web.com"));
        for bad in ["jane", "@acme.com", "jane@", "jane@localhost", "a@b@"] {
            assert_eq!(email_domain(bad), EmailDomain::Invalid, "{bad}");
        }
    }

    #[test]
    fn lookup_tables_are_sorted() {
        assert!(FREE_MAIL_DOMAINS.is_sorted());
        assert!(PLATFORM_DOMAINS.is_sorted());
    }
}
