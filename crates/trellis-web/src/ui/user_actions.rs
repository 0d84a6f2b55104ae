//! The user actions that read the same in the console and the portal (disable/enable, resend
//! an invitation): handlers generic over the area's session, as the token pages are. Which
//! users an actor may touch is the service layer's decision, not the area's.

use trellis_domain::UserId;
use trellis_service::platform::users::UserPatch;

use super::book::RouteBook;
use super::csrf::CsrfForm;
use super::error::PageResult;
use super::flash::Flash;
use super::form::PageId;
use super::session::SideSession;

/// Registers `{base}/users/{id}/status` and `{base}/users/{id}/resend-invitation`.
pub(crate) fn routes<S: SideSession>(
    book: RouteBook,
    status_path: &'static str,
    resend_path: &'static str,
) -> RouteBook {
    book.post(status_path, set_status::<S>)
        .post(resend_path, resend::<S>)
}

fn user_page(base: &str, id: UserId) -> String {
    format!("{base}/users/{id}")
}

async fn set_status<S: SideSession>(
    s: S,
    PageId(id): PageId<UserId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let patch = UserPatch {
        name: None,
        role: None,
        status: Some(form.text("status")),
    };
    let user = s
        .services
        .update_user(&s.actor, id, form.version(), &patch)
        .await?;
    let msg = match user.status.as_str() {
        "disabled" => format!(
            "Disabled {}. Their sessions ended and their API tokens were revoked.",
            user.email
        ),
        "invited" => format!(
            "Enabled {}; they still need to accept their invitation.",
            user.email
        ),
        _ => format!("Enabled {}.", user.email),
    };
    Ok(s.redirect(&user_page(s.side.base(), id), &Flash::success(msg)))
}

async fn resend<S: SideSession>(s: S, PageId(id): PageId<UserId>, _: CsrfForm) -> PageResult {
    s.services.resend_invitation(&s.actor, id).await?;
    Ok(s.redirect(
        &user_page(s.side.base(), id),
        &Flash::success("Sent a new invitation link; the old one no longer works."),
    ))
}
