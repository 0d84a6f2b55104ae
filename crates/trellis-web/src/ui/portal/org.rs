//! The partner's own profile. A partner admin edits the description, size, website,
//! specialisations and locator listing; the name, type and owner stay with the vendor.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::Permission;
use trellis_service::partners::Partner;
use trellis_service::partners::directory;

use super::super::csrf::CsrfForm;
use super::super::error::PageResult;
use super::super::flash::Flash;
use super::super::form::{Errors, rerender};
use super::super::profile_form::{ProfileForm, patch_of};
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

#[derive(Template, WebTemplate)]
#[template(path = "portal/org.html")]
struct OrgPage {
    chrome: Chrome,
    p: Partner,
    tier_name: Option<String>,
    pf: ProfileForm,
    can_edit: bool,
    errors: Errors,
}

async fn tier_name(s: &PartnerSession, p: &Partner) -> PageResult<Option<String>> {
    let names = s.services.tier_names().await?;
    Ok(p.tier.as_deref().map(|t| directory::tier_name(&names, t)))
}

pub(super) async fn show(s: PartnerSession) -> PageResult {
    let p = s.services.get_partner(&s.actor, s.scope.org_id()).await?;
    Ok(OrgPage {
        chrome: s.chrome("Organisation"),
        tier_name: tier_name(&s, &p).await?,
        pf: ProfileForm::of(&p, &[]),
        can_edit: s.can(Permission::ProfileManage),
        errors: Errors::none(),
        p,
    }
    .into_response())
}

pub(super) async fn update(s: PartnerSession, CsrfForm(form): CsrfForm) -> PageResult {
    let id = s.scope.org_id();
    let outcome = match patch_of(&form, false) {
        Ok(patch) => {
            s.services
                .update_partner(&s.actor, id, form.version(), &patch)
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(s.redirect("/portal/org", &Flash::success("Saved your profile."))),
        Err(e) => {
            let p = s.services.get_partner(&s.actor, id).await?;
            let tier = tier_name(&s, &p).await?;
            let pf = ProfileForm::posted(&form, &[]);
            rerender(e, |errors| OrgPage {
                chrome: s.chrome("Organisation"),
                tier_name: tier,
                pf,
                can_edit: true,
                errors,
                p,
            })
        }
    }
}
