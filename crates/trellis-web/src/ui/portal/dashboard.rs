//! The portal's start page: the partner's own organisation at a glance and, for partner admins,
//! its users.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use trellis_domain::Permission;
use trellis_service::platform::PageRequest;
use trellis_service::platform::orgs::Org;

use super::super::error::PageResult;
use super::super::session::PartnerSession;
use super::super::view::{Chrome, Look as _};

/// Users of the organisation, for partner admins.
struct Team {
    total: usize,
    invited: usize,
    more: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    org: Org,
    team: Option<Team>,
}

pub(super) async fn show(s: PartnerSession) -> PageResult {
    let org = s.services.get_org(&s.actor, s.scope.org_id()).await?;
    let team = if s.can(Permission::UsersRead) {
        let users = s
            .services
            .list_users(
                &s.actor,
                None,
                &PageRequest {
                    cursor: None,
                    limit: Some(200),
                },
            )
            .await?;
        Some(Team {
            total: users.items.len(),
            invited: users.items.iter().filter(|u| u.status == "invited").count(),
            more: users.next.is_some(),
        })
    } else {
        None
    };
    Ok(DashboardPage {
        chrome: s.chrome("Overview"),
        org,
        team,
    }
    .into_response())
}
