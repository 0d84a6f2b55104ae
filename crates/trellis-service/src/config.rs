//! Service settings: session and token lifetimes, lock-out policy, links in e-mails.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

/// Settings of the use-case layer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// The public URL of this deployment, used for links in e-mails.
    pub base_url: Url,
    /// Name shown in e-mails and page titles.
    pub product_name: String,
    /// A browser session ends after this much inactivity.
    #[serde(with = "humantime_serde")]
    pub session_idle: Duration,
    /// A bearer token from `POST /api/v1/auth/login` lives this long.
    #[serde(with = "humantime_serde")]
    pub login_token_ttl: Duration,
    /// Consecutive failed logins that lock an account.
    pub lockout_threshold: u32,
    /// How long a lock-out lasts.
    #[serde(with = "humantime_serde")]
    pub lockout_duration: Duration,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// How long an invitation link stays valid.
    #[serde(with = "humantime_serde")]
    pub invitation_ttl: Duration,
    /// How long a password-reset link stays valid.
    #[serde(with = "humantime_serde")]
    pub password_reset_ttl: Duration,
    /// Attempts before a job goes to the dead-letter list.
    pub job_max_attempts: u32,
    /// How long a resolved API token is trusted without asking the database again. Changes
    /// made on this instance apply at once; other instances notice within this time. 0 turns
    /// the cache off.
    #[serde(with = "humantime_serde")]
    pub auth_cache_ttl: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            base_url: Url::parse("http://127.0.0.1:8080/").unwrap_or_else(|_| unreachable!()),
            product_name: "Trellis".into(),
            session_idle: Duration::from_hours(12),
            login_token_ttl: Duration::from_hours(12),
            lockout_threshold: 5,
            lockout_duration: Duration::from_mins(15),
            login_attempts_per_minute: 20,
            invitation_ttl: Duration::from_hours(168),
            password_reset_ttl: Duration::from_hours(1),
            job_max_attempts: 8,
            auth_cache_ttl: Duration::from_secs(5),
        }
    }
}

impl ServiceConfig {
    /// An absolute link into this deployment.
    pub fn link(&self, path: &str) -> String {
        self.base_url
            .join(path.trim_start_matches('/'))
            .map_or_else(|_| path.to_owned(), String::from)
    }
}
