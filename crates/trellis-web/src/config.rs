//! HTTP settings.

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of the web layer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest CSV file an import accepts, in bytes.
    pub max_import_bytes: usize,
    /// A request taking longer than this is answered with 408.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Mark cookies `Secure` and use the `__Host-` prefix. Defaults to on when the public
    /// base URL is https; browsers refuse secure cookies over plain http.
    pub secure_cookies: Option<bool>,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy), for
    /// login throttling.
    pub trust_forwarded_for: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            max_import_bytes: 512 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            secure_cookies: None,
            trust_forwarded_for: false,
        }
    }
}
