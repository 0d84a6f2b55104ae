//! The connection page's "Private mapping" card: invite the other side's own Trellis server
//! (the token is shown once, on the page answering the form), or link with an invitation it
//! gave. The vendor's console only; the services refuse anyone else.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use trellis_domain::MappingConnectionId;

use super::{PolicyPage, base};
use crate::ui::csrf::CsrfForm;
use crate::ui::error::PageResult;
use crate::ui::flash::Flash;
use crate::ui::form::{Errors, PageId, failed};
use crate::ui::session::SideSession;

/// Makes an invitation and shows its token on the connection's page, once.
pub(super) async fn invite<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingConnectionId>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let invitation = s.services.create_psi_invitation(&s.actor, id).await?;
    let mut page = PolicyPage::load(&s, Some(id), None, Errors::none()).await?;
    page.invitation = Some(invitation);
    Ok(page.into_response())
}

/// Links the connection with the server that invited it.
pub(super) async fn link<S: SideSession>(
    s: S,
    PageId(id): PageId<MappingConnectionId>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let url = form.text("url");
    match s
        .services
        .link_psi(&s.actor, id, &url, &form.text("token"))
        .await
    {
        Ok(_) => Ok(s.redirect(
            &format!("{}/connections/{id}", base(&s)),
            &Flash::success(
                "Linked: this connection now maps privately with the other server. Run a \
                 mapping when your sharing policy is ready.",
            ),
        )),
        Err(e) => {
            let (status, errors): (StatusCode, Errors) = failed(e)?;
            let mut page = PolicyPage::load(&s, Some(id), None, errors).await?;
            page.link_url = url;
            Ok((status, page).into_response())
        }
    }
}
