//! Browser sessions: the cookie, and the extractors that gate the two areas.
//!
//! - [`VendorSession`]: console routes; vendor roles only (a partner user is sent to `/portal`).
//! - [`PartnerSession`]: portal routes; partner roles only, with the [`PartnerScope`].
//! - [`AnySession`]: either side (sign-out, the start page).
//!
//! Without a live session, a page answers with a redirect to `/login?next=…`. The resolved
//! session is cached in the request extensions for the CSRF check of the form body.

use std::fmt::Write as _;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use trellis_domain::{Permission, SessionId};
use trellis_service::platform::auth::SessionInfo;
use trellis_service::{Actor, PartnerScope, Services, UserActor};

use super::error::PageError;
use super::flash::{self, Flash};
use super::view::{Chrome, ChromeUser};
use crate::state::{AppState, WebSettings};

/// Which area a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Console,
    Portal,
}

impl Side {
    /// The area's start page, also the prefix of its routes.
    pub(crate) fn base(self) -> &'static str {
        match self {
            Side::Console => "/console",
            Side::Portal => "/portal",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Side::Console => "Vendor console",
            Side::Portal => "Partner portal",
        }
    }

    /// Where this actor's pages are.
    pub(crate) fn of(actor: &Actor) -> Self {
        if actor.partner_scope().is_some() {
            Side::Portal
        } else {
            Side::Console
        }
    }
}

/// A signed-in user on a page of `side`.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) id: SessionId,
    pub(crate) actor: Actor,
    pub(crate) user: UserActor,
    pub(crate) csrf: String,
    pub(crate) side: Side,
    pub(crate) services: Services,
    web: Arc<WebSettings>,
    flash: Option<Flash>,
    path: String,
}

impl Session {
    /// The page frame, with the navigation of this side and role.
    pub(crate) fn chrome(&self, title: impl Into<String>) -> Chrome {
        let user = ChromeUser {
            name: self.user.name.clone(),
            email: self.user.email.clone(),
            role: self.user.role,
        };
        Chrome::signed_in(
            title,
            &self.services.config().product_name,
            self.side,
            user,
            &self.path,
            self.flash.clone(),
            &self.csrf,
        )
    }

    /// Whether the role grants `p` (to show or hide buttons; the services decide).
    pub(crate) fn can(&self, p: Permission) -> bool {
        self.user.role.grants(p)
    }

    /// A redirect that shows `flash` on the next page.
    pub(crate) fn redirect(&self, to: &str, flash: &Flash) -> Response {
        flash::redirect(&self.web, to, flash)
    }

    /// The current instant (for token expiry badges).
    pub(crate) fn now(&self) -> trellis_domain::Timestamp {
        self.services.now()
    }
}

/// A vendor user on a console page.
#[derive(Clone, Debug)]
pub(crate) struct VendorSession(Session);

/// A partner user on a portal page.
#[derive(Clone, Debug)]
pub(crate) struct PartnerSession {
    session: Session,
    pub(crate) scope: PartnerScope,
}

/// A signed-in user of either side.
#[derive(Clone, Debug)]
pub(crate) struct AnySession(pub(crate) Session);

impl Deref for VendorSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0
    }
}

impl Deref for PartnerSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

/// A session extractor usable by pages both areas share (API tokens).
pub(crate) trait SideSession:
    FromRequestParts<AppState, Rejection = PageError> + Deref<Target = Session> + Send + Sync + 'static
{
}
impl SideSession for VendorSession {}
impl SideSession for PartnerSession {}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let info = resolve(parts, state).await?.ok_or_else(|| sign_in(parts))?;
        let side = Side::of(&info.actor);
        Ok(Self(session(info, side, parts, state)?))
    }
}

impl FromRequestParts<AppState> for VendorSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let info = resolve(parts, state).await?.ok_or_else(|| sign_in(parts))?;
        if info.actor.partner_scope().is_some() {
            return Err(PageError::redirect(Side::Portal.base()));
        }
        Ok(Self(session(info, Side::Console, parts, state)?))
    }
}

impl FromRequestParts<AppState> for PartnerSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let info = resolve(parts, state).await?.ok_or_else(|| sign_in(parts))?;
        let Some(scope) = info.actor.partner_scope() else {
            return Err(PageError::redirect(Side::Console.base()));
        };
        Ok(Self {
            session: session(info, Side::Portal, parts, state)?,
            scope,
        })
    }
}

fn session(
    info: SessionInfo,
    side: Side,
    parts: &Parts,
    state: &AppState,
) -> Result<Session, PageError> {
    let user = info.actor.require_user()?.clone();
    Ok(Session {
        id: info.id,
        actor: info.actor,
        user,
        csrf: info.csrf_token,
        side,
        services: state.services.clone(),
        web: state.web.clone(),
        flash: parts.extensions.get::<Flash>().cloned(),
        path: parts.uri.path().to_owned(),
    })
}

/// The live session of this request, if any (cached in the extensions).
pub(crate) async fn resolve(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<SessionInfo>, PageError> {
    if let Some(info) = parts.extensions.get::<SessionInfo>() {
        return Ok(Some(info.clone()));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(token) = jar
        .get(state.web.session_cookie())
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 200)
    else {
        return Ok(None);
    };
    let info = state.services.resolve_session(&token).await?;
    if let Some(info) = &info {
        parts.extensions.insert(info.clone());
    }
    Ok(info)
}

/// The redirect to the sign-in page, coming back here afterwards for a page view.
fn sign_in(parts: &Parts) -> PageError {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return PageError::redirect("/login");
    }
    let here = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", here)
        .finish();
    PageError::redirect(&format!("/login?{query}"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when configured. `max_age`
/// `None` makes a browser-session cookie, `Some(0)` deletes the cookie.
pub(crate) fn set_cookie(
    web: &WebSettings,
    name: &str,
    value: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        let _ = write!(s, "; Max-Age={age}");
    }
    if web.secure_cookies {
        s.push_str("; Secure");
    }
    // Names are constants and values base64url, so this cannot fail; an empty cookie is the
    // harmless fallback.
    HeaderValue::from_str(&s)
        .unwrap_or_else(|_| HeaderValue::from_static("trellis_invalid=; Max-Age=0"))
}
