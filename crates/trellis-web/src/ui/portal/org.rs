//! The partner's own organisation profile, read-only (the vendor maintains it).

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_service::platform::orgs::Org;

use super::super::error::PageResult;
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

#[derive(Template, WebTemplate)]
#[template(path = "portal/org.html")]
struct OrgPage {
    chrome: Chrome,
    org: Org,
}

pub(super) async fn show(s: PartnerSession) -> PageResult {
    let org = s.services.get_org(&s.actor, s.scope.org_id()).await?;
    Ok(OrgPage {
        chrome: s.chrome("Organisation"),
        org,
    }
    .into_response())
}
