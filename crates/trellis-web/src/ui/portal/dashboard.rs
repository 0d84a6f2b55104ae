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
    /// Surveys waiting for this user's answer: (invitation id, title, closes).
    surveys: Vec<(String, String, String)>,
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
    let surveys = s
        .services
        .my_survey_invitations(&s.actor)
        .await?
        .into_iter()
        .map(|i| (i.id.to_string(), i.title, i.closes_at.show()))
        .collect();
    Ok(DashboardPage {
        chrome: s.chrome("Overview"),
        org,
        team,
        surveys,
    }
    .into_response())
}
