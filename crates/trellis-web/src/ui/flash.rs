//! One-shot messages across a redirect (post/redirect/get): the handler sets a short-lived
//! cookie with the message and redirects; [`carry`] hands it to the next page and clears it once
//! an HTML page has shown it.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::session::set_cookie;
use crate::state::WebSettings;

const NAMES: [&str; 2] = ["trellis_flash", "__Host-trellis_flash"];
const MAX_CHARS: usize = 300;

/// A message for the next page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Flash {
    /// `success`, `info` or `error`: the CSS modifier.
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl Flash {
    pub(crate) fn success(message: impl Into<String>) -> Self {
        Self {
            kind: "success",
            message: message.into(),
        }
    }

    pub(crate) fn error(message: impl Into<String>) -> Self {
        Self {
            kind: "error",
            message: message.into(),
        }
    }

    pub(crate) fn info(message: impl Into<String>) -> Self {
        Self {
            kind: "info",
            message: message.into(),
        }
    }

    fn encode(&self) -> String {
        let mark = match self.kind {
            "success" => 's',
            "error" => 'e',
            _ => 'i',
        };
        let text: String = self.message.chars().take(MAX_CHARS).collect();
        URL_SAFE_NO_PAD.encode(format!("{mark}{text}"))
    }

    fn decode(value: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(value).ok()?).ok()?;
        let mut chars = raw.chars();
        let kind = match chars.next()? {
            's' => "success",
            'e' => "error",
            _ => "info",
        };
        let message: String = chars.take(MAX_CHARS).collect();
        (!message.trim().is_empty()).then_some(Self { kind, message })
    }
}

/// The flash message of this request, for pages without a session.
#[derive(Debug)]
pub(crate) struct Incoming(pub(crate) Option<Flash>);

impl<S: Send + Sync> FromRequestParts<S> for Incoming {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Flash>().cloned()))
    }
}

/// A 303 redirect to `to` that shows `flash` there.
pub(crate) fn redirect(web: &WebSettings, to: &str, flash: &Flash) -> Response {
    ([(header::SET_COOKIE, cookie(web, flash))], Redirect::to(to)).into_response()
}

/// The `Set-Cookie` value that shows `flash` on the next page.
pub(crate) fn cookie(web: &WebSettings, flash: &Flash) -> HeaderValue {
    set_cookie(web, web.flash_cookie(), &flash.encode(), Some(60))
}

/// Middleware: puts an incoming flash into the request extensions, and clears the cookie once
/// an HTML page (not a redirect, not an asset) has been rendered with it.
pub(crate) async fn carry(mut req: Request, next: Next) -> Response {
    let found = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(name, value)| {
            let name = NAMES.into_iter().find(|n| *n == name)?;
            Some((name, Flash::decode(value)))
        });
    if let Some((_, Some(flash))) = &found {
        req.extensions_mut().insert(flash.clone());
    }
    let mut resp = next.run(req).await;
    let Some((name, _)) = found else { return resp };
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let sets_new = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&format!("{name}="))));
    if is_html && !resp.status().is_redirection() && !sets_new {
        let secure = if name.starts_with("__Host-") {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_messages_round_trip_through_the_cookie_value() {
        let f = Flash::success("Invited jo@example.com; they have 7 days");
        let v = f.encode();
        assert!(
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(Flash::decode(&v), Some(f));
        assert_eq!(Flash::decode("%%%"), None);
        assert_eq!(Flash::decode(&URL_SAFE_NO_PAD.encode("s ")), None);
    }
}
