//! The program agreement that applies to the partner: read it, and (partner admins) accept the
//! current version. What changed is shown when a new version needs accepting again.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::{AgreementId, Permission};
use trellis_service::partners::agreements::{Acceptance, AgreementStatus};

use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::PageId;
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

#[derive(Template, WebTemplate)]
#[template(path = "portal/agreement.html")]
struct AgreementPage {
    chrome: Chrome,
    status: Option<AgreementStatus>,
    history: Vec<Acceptance>,
    can_accept: bool,
}

impl AgreementPage {
    /// The body as paragraphs (blank lines separate them).
    fn paragraphs(&self) -> Vec<String> {
        self.status.as_ref().map_or_else(Vec::new, |s| {
            s.agreement
                .body
                .split("\n\n")
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect()
        })
    }
}

pub(super) async fn show(s: PartnerSession) -> PageResult {
    let id = s.scope.org_id();
    Ok(AgreementPage {
        chrome: s.chrome("Agreement"),
        status: s.services.agreement_status(&s.actor, id).await?,
        history: s.services.partner_acceptances(&s.actor, id).await?,
        can_accept: s.can(Permission::AgreementsAccept),
    }
    .into_response())
}

pub(super) async fn accept(
    s: PartnerSession,
    PageId(id): PageId<AgreementId>,
    CsrfForm(_form): CsrfForm,
) -> PageResult {
    let a = s.services.accept_agreement(&s.actor, id).await?;
    Ok(s.redirect(
        "/portal/agreement",
        &Flash::success(format!(
            "You accepted version {} of the {}.",
            a.version, a.title
        )),
    ))
}
