//! Validated value types: parse once at the edge, then trust the type.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A normalised e-mail address (trimmed, lower-cased).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a string is not an acceptable e-mail address.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmailError {
    /// Empty input.
    #[error("an e-mail address is required")]
    Empty,
    /// Longer than RFC 5321 allows.
    #[error("an e-mail address can be at most 254 characters")]
    TooLong,
    /// Not `local@domain.tld`.
    #[error("is not a valid e-mail address (expected name@example.com)")]
    Malformed,
}

impl Email {
    /// Parses and normalises an address. Deliberately strict about shape (one `@`, a dotted
    /// domain, no spaces) and lenient about the local part, which only the receiving server
    /// can judge.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"@\\".contains(c));
        if domain_ok && local_ok {
            Ok(Self(s))
        } else {
            Err(EmailError::Malformed)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, d)| d)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the policy. Never logged, never serialised.
#[derive(Clone)]
pub struct Password(String);

/// Why a password is not acceptable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Shorter than [`Password::MIN_LEN`].
    #[error("must be at least 12 characters")]
    TooShort,
    /// Longer than [`Password::MAX_LEN`]; bounds the hashing work an attacker can ask for.
    #[error("must be at most 256 characters")]
    TooLong,
}

impl Password {
    /// NIST SP 800-63B favours length over composition rules.
    pub const MIN_LEN: usize = 12;
    /// Upper bound on input size.
    pub const MAX_LEN: usize = 256;

    /// Checks a new password against the policy.
    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < Self::MIN_LEN {
            Err(PasswordError::TooShort)
        } else if input.len() > Self::MAX_LEN {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(input.to_owned()))
        }
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A display name for a person or an organisation: trimmed, 1–120 characters, no control
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

/// Why a name is not acceptable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    /// Blank.
    #[error("is required")]
    Empty,
    /// Over 120 characters.
    #[error("can be at most 120 characters")]
    TooLong,
    /// Contains control characters.
    #[error("contains control characters")]
    Control,
}

impl PersonName {
    /// Parses a name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let s = input.trim();
        if s.is_empty() {
            Err(NameError::Empty)
        } else if s.chars().count() > 120 {
            Err(NameError::TooLong)
        } else if s.chars().any(char::is_control) {
            Err(NameError::Control)
        } else {
            Ok(Self(s.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> Self {
        n.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An absolute `http` or `https` URL with a host, such as a webhook endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebUrl(url::Url);

/// Why a URL is not acceptable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UrlError {
    /// Not parseable.
    #[error("is not a valid URL (expected https://host/path)")]
    Malformed,
    /// Not http(s).
    #[error("must use http or https")]
    Scheme,
    /// Contains user:password@.
    #[error("must not contain credentials; use the signing secret to authenticate deliveries")]
    Credentials,
    /// Too long to store sensibly.
    #[error("can be at most 2048 characters")]
    TooLong,
}

impl WebUrl {
    /// Parses and checks a URL.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let s = input.trim();
        if s.len() > 2048 {
            return Err(UrlError::TooLong);
        }
        let u = url::Url::parse(s).map_err(|_| UrlError::Malformed)?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(UrlError::Scheme);
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::Malformed);
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(UrlError::Credentials);
        }
        Ok(Self(u))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_shape_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@exa..mple.com",
            "ada@-example.com",
            "ada@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            Email::parse("ada@münchen.de").unwrap().domain(),
            "münchen.de"
        );
    }

    #[test]
    fn passwords_need_twelve_characters_and_never_print() {
        assert_eq!(
            Password::parse("short").unwrap_err(),
            PasswordError::TooShort
        );
        let p = Password::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn urls_must_be_http_with_host_and_no_credentials() {
        assert!(WebUrl::parse("https://hooks.example.com/trellis").is_ok());
        assert_eq!(
            WebUrl::parse("ftp://x.example").unwrap_err(),
            UrlError::Scheme
        );
        assert_eq!(WebUrl::parse("not a url").unwrap_err(), UrlError::Malformed);
        assert_eq!(
            WebUrl::parse("https://u:p@x.example/").unwrap_err(),
            UrlError::Credentials
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert_eq!(PersonName::parse("   ").unwrap_err(), NameError::Empty);
        assert_eq!(
            PersonName::parse(&"x".repeat(121)).unwrap_err(),
            NameError::TooLong
        );
    }
}
