//! Application state shared by every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use trellis_service::Services;

use crate::config::WebConfig;
use crate::ui::uploads::Uploads;

/// What handlers can ask for: the services and the web settings.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Use cases.
    pub services: Services,
    /// Web settings, with the resolved cookie policy.
    pub web: Arc<WebSettings>,
}

/// Web settings after start-up decisions.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The configuration as loaded.
    pub config: WebConfig,
    /// Whether cookies are `Secure` with the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Files uploaded for an import, waiting for its confirmation.
    pub(crate) uploads: Arc<Uploads>,
}

impl WebSettings {
    /// The session cookie's name.
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-trellis_session"
        } else {
            "trellis_session"
        }
    }

    /// The pre-login CSRF cookie's name.
    pub fn csrf_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-trellis_csrf"
        } else {
            "trellis_csrf"
        }
    }

    /// The flash-message cookie's name.
    pub fn flash_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-trellis_flash"
        } else {
            "trellis_flash"
        }
    }
}

impl AppState {
    /// Builds the state; the cookie policy follows the base URL unless configured.
    pub fn new(services: Services, config: WebConfig) -> Self {
        let secure_cookies = config
            .secure_cookies
            .unwrap_or(services.config().base_url.scheme() == "https");
        Self {
            services,
            web: Arc::new(WebSettings {
                config,
                secure_cookies,
                uploads: Arc::default(),
            }),
        }
    }
}

impl FromRef<AppState> for Services {
    fn from_ref(s: &AppState) -> Self {
        s.services.clone()
    }
}

impl FromRef<AppState> for Arc<WebSettings> {
    fn from_ref(s: &AppState) -> Self {
        s.web.clone()
    }
}
