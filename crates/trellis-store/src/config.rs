//! Storage settings, owned here and flattened into the binary's `Config`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where the data lives and how many connections to keep.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`. Unset: SQLite in `data_dir`.
    pub url: Option<DatabaseUrl>,
    /// Directory for the embedded SQLite database (and later, uploaded files).
    pub data_dir: PathBuf,
    /// PostgreSQL pool size, or the SQLite read pool size (at most two per core; SQLite always
    /// has one writer).
    pub max_connections: u32,
    /// How long a request waits for a connection before failing with "busy".
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: None,
            data_dir: PathBuf::from("trellis-data"),
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

impl StoreConfig {
    /// The effective URL: the configured one, or the SQLite file in `data_dir`.
    pub fn effective_url(&self) -> DatabaseUrl {
        self.url.clone().unwrap_or_else(|| {
            DatabaseUrl(format!(
                "sqlite://{}",
                self.data_dir.join("trellis.db").display()
            ))
        })
    }
}

/// A database URL whose `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Checks the scheme; the driver validates the rest when connecting.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.starts_with("sqlite:")
            || s.starts_with("postgres://")
            || s.starts_with("postgresql://")
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "unsupported database URL {}: expected sqlite://PATH or postgres://…",
                redact(s)
            ))
        }
    }

    /// The full URL, password included: for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for PostgreSQL URLs.
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres")
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DatabaseUrl> for String {
    fn from(u: DatabaseUrl) -> Self {
        u.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((creds, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_hide_their_password() {
        let u = DatabaseUrl::parse("postgres://trellis:hunter2@db:5432/trellis").unwrap();
        assert_eq!(format!("{u:?}"), "postgres://trellis:***@db:5432/trellis");
        assert_eq!(u.to_string(), "postgres://trellis:***@db:5432/trellis");
        assert!(
            DatabaseUrl::parse("mysql://x")
                .unwrap_err()
                .contains("unsupported")
        );
    }
}
