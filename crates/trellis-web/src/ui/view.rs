//! What every page shows around its content (the "chrome": title, top bar, navigation, flash
//! message), and small display helpers the templates call: `x.show()` for a label or "—",
//! `x.badge()` for the badge colour class.

use trellis_domain::attribution::{TouchpointKind, TouchpointOrigin};
use trellis_domain::cosell::credit::PartnerRole;
use trellis_domain::cosell::{Direction, HelpKind, RequestStatus};
use trellis_domain::crm::{OpportunityStatus, Relationship};
use trellis_domain::deals::{DealStage, DealStatus, RuleId};
use trellis_domain::partners::profile::{Industry, PartnerStatus, Segment};
use trellis_domain::{OrgKind, PartnerType, Permission, Region, Role, Timestamp};
use trellis_service::crm::import::ImportStatus;

use super::assets;
use super::flash::Flash;
use super::session::Side;

/// The signed-in user, for the top bar.
#[derive(Clone, Debug)]
pub(crate) struct ChromeUser {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: Role,
}

/// One navigation link.
#[derive(Clone, Debug)]
pub(crate) struct NavItem {
    pub(crate) href: &'static str,
    pub(crate) label: &'static str,
    pub(crate) current: bool,
}

/// The frame of a page.
#[derive(Clone, Debug)]
pub(crate) struct Chrome {
    pub(crate) title: String,
    pub(crate) product: String,
    pub(crate) css: &'static str,
    pub(crate) icon: &'static str,
    /// Where the product name links to.
    pub(crate) home: &'static str,
    /// "Vendor console" or "Partner portal"; empty on public pages.
    pub(crate) area: &'static str,
    pub(crate) user: Option<ChromeUser>,
    pub(crate) nav: Vec<NavItem>,
    pub(crate) flash: Option<Flash>,
    /// The session's CSRF token, for the sign-out form.
    pub(crate) csrf: String,
}

impl Chrome {
    /// The frame of a page seen before signing in (and of error pages).
    pub(crate) fn public(title: impl Into<String>, product: &str, flash: Option<Flash>) -> Self {
        Self {
            title: title.into(),
            product: product.to_owned(),
            css: assets::css_url(),
            icon: assets::icon_url(),
            home: "/",
            area: "",
            user: None,
            nav: Vec::new(),
            flash,
            csrf: String::new(),
        }
    }

    /// The frame of a signed-in page; `path` marks the current navigation entry.
    pub(crate) fn signed_in(
        title: impl Into<String>,
        product: &str,
        side: Side,
        user: ChromeUser,
        path: &str,
        flash: Option<Flash>,
        csrf: &str,
    ) -> Self {
        let nav = nav_for(side, user.role)
            .into_iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: is_current(href, path, side),
            })
            .collect();
        Self {
            title: title.into(),
            product: product.to_owned(),
            css: assets::css_url(),
            icon: assets::icon_url(),
            home: side.base(),
            area: side.label(),
            user: Some(user),
            nav,
            flash,
            csrf: csrf.to_owned(),
        }
    }
}

#[allow(clippy::too_many_lines, reason = "a table, one entry per section")]
fn nav_for(side: Side, role: Role) -> Vec<(&'static str, &'static str)> {
    let entries: &[(&str, &str, Option<Permission>)] = match side {
        Side::Console => &[
            ("/console", "Dashboard", None),
            ("/console/partners", "Partners", Some(Permission::OrgsRead)),
            (
                "/console/applications",
                "Applications",
                Some(Permission::ApplicationsReview),
            ),
            (
                "/console/program",
                "Program",
                Some(Permission::ProgramManage),
            ),
            ("/console/accounts", "Accounts", Some(Permission::CrmRead)),
            (
                "/console/opportunities",
                "Opportunities",
                Some(Permission::CrmRead),
            ),
            ("/console/deals", "Deals", Some(Permission::DealsRead)),
            ("/console/imports", "Imports", Some(Permission::CrmManage)),
            (
                "/console/co-sell",
                "Co-sell",
                Some(Permission::CoSellRequest),
            ),
            (
                "/console/mapping",
                "Account mapping",
                Some(Permission::MappingRead),
            ),
            (
                "/console/metrics",
                "Metrics",
                Some(Permission::AttributionRead),
            ),
            (
                "/console/attribution",
                "Attribution",
                Some(Permission::AttributionRead),
            ),
            ("/console/surveys", "Surveys", Some(Permission::OrgsRead)),
            (
                "/console/reports/comp-credit",
                "Comp credit",
                Some(Permission::CompCreditRead),
            ),
            ("/console/users", "Users", Some(Permission::UsersRead)),
            (
                "/console/tokens",
                "API tokens",
                Some(Permission::TokensManage),
            ),
            (
                "/console/webhooks",
                "Webhooks",
                Some(Permission::WebhooksManage),
            ),
            ("/console/audit", "Audit log", Some(Permission::AuditRead)),
            ("/console/jobs", "Jobs", Some(Permission::JobsManage)),
        ],
        Side::Portal => &[
            ("/portal", "Overview", None),
            ("/portal/org", "Organisation", Some(Permission::OrgsRead)),
            (
                "/portal/onboarding",
                "Onboarding",
                Some(Permission::OrgsRead),
            ),
            ("/portal/agreement", "Agreement", Some(Permission::OrgsRead)),
            ("/portal/deals", "Deals", Some(Permission::DealsRead)),
            ("/portal/tier", "Tier", Some(Permission::OrgsRead)),
            ("/portal/figures", "Figures", Some(Permission::OrgsRead)),
            ("/portal/surveys", "Surveys", Some(Permission::OrgsRead)),
            (
                "/portal/co-sell",
                "Co-sell",
                Some(Permission::CoSellRequest),
            ),
            (
                "/portal/mapping",
                "Account mapping",
                Some(Permission::MappingRead),
            ),
            ("/portal/users", "Users", Some(Permission::UsersRead)),
            ("/portal/users", "Your profile", None),
            (
                "/portal/tokens",
                "API tokens",
                Some(Permission::TokensManage),
            ),
        ],
    };
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (href, label, p) in entries {
        if p.is_none_or(|p| role.grants(p)) && !out.iter().any(|(h, _)| h == href) {
            out.push((href, label));
        }
    }
    out
}

fn is_current(href: &str, path: &str, side: Side) -> bool {
    if href == side.base() {
        return path == href;
    }
    path == href
        || path
            .strip_prefix(href)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Display helpers for templates.
pub(crate) trait Look {
    /// A label for people, or "—" when there is nothing to show.
    fn show(&self) -> String;
    /// The badge colour class.
    fn badge(&self) -> &'static str {
        "badge-gray"
    }
}

impl Look for Timestamp {
    fn show(&self) -> String {
        self.to_display()
    }
}

impl Look for String {
    fn show(&self) -> String {
        if self.trim().is_empty() {
            "—".into()
        } else {
            self.clone()
        }
    }

    /// Colours for the status words the services use.
    fn badge(&self) -> &'static str {
        match self.as_str() {
            "active" | "enabled" | "succeeded" => "badge-green",
            "invited" | "queued" | "expired" => "badge-amber",
            "dead" | "failed" => "badge-red",
            _ => "badge-gray",
        }
    }
}

impl<T: Look> Look for Option<T> {
    fn show(&self) -> String {
        self.as_ref().map_or_else(|| "—".into(), Look::show)
    }

    fn badge(&self) -> &'static str {
        self.as_ref().map_or("badge-gray", Look::badge)
    }
}

impl Look for Role {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            Role::VendorAdmin | Role::PartnerAdmin => "badge-violet",
            _ => "badge-blue",
        }
    }
}

macro_rules! look_by_label {
    ($($t:ty),*) => {$(
        impl Look for $t {
            fn show(&self) -> String {
                self.label().into()
            }
        }
    )*};
}
look_by_label!(
    PartnerType,
    Region,
    OrgKind,
    Industry,
    Segment,
    DealStage,
    RuleId,
    HelpKind,
    Direction
);

impl Look for DealStatus {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            DealStatus::Pending => "badge-amber",
            DealStatus::Approved => "badge-green",
            DealStatus::Rejected => "badge-red",
            DealStatus::Expired | DealStatus::Withdrawn => "badge-gray",
        }
    }
}

impl Look for RequestStatus {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            RequestStatus::Open => "badge-amber",
            RequestStatus::Accepted => "badge-blue",
            RequestStatus::Completed => "badge-green",
            RequestStatus::Declined => "badge-red",
            RequestStatus::Withdrawn => "badge-gray",
        }
    }
}

impl Look for PartnerRole {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            PartnerRole::Sourced => "badge-violet",
            PartnerRole::CoSell => "badge-blue",
            PartnerRole::Influence => "badge-gray",
        }
    }
}

impl Look for TouchpointKind {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            TouchpointKind::Sourced => "badge-violet",
            TouchpointKind::CoSell => "badge-blue",
            TouchpointKind::Referral | TouchpointKind::Marketplace => "badge-green",
            TouchpointKind::Influence | TouchpointKind::Campaign => "badge-gray",
        }
    }
}

look_by_label!(TouchpointOrigin);

impl Look for Relationship {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            Relationship::Customer => "badge-green",
            Relationship::Prospect => "badge-blue",
            Relationship::Partner => "badge-violet",
            Relationship::Other => "badge-gray",
        }
    }
}

impl Look for OpportunityStatus {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            OpportunityStatus::Open => "badge-blue",
            OpportunityStatus::Won => "badge-green",
            OpportunityStatus::Lost => "badge-red",
        }
    }
}

impl Look for ImportStatus {
    fn show(&self) -> String {
        match self {
            ImportStatus::Running => "Running",
            ImportStatus::Succeeded => "Succeeded",
            ImportStatus::Failed => "Failed",
        }
        .into()
    }

    fn badge(&self) -> &'static str {
        match self {
            ImportStatus::Running => "badge-amber",
            ImportStatus::Succeeded => "badge-green",
            ImportStatus::Failed => "badge-red",
        }
    }
}

impl Look for PartnerStatus {
    fn show(&self) -> String {
        self.label().into()
    }

    fn badge(&self) -> &'static str {
        match self {
            PartnerStatus::Onboarding => "badge-amber",
            PartnerStatus::Active => "badge-green",
            PartnerStatus::Suspended => "badge-red",
            PartnerStatus::Terminated => "badge-gray",
        }
    }
}

/// An `<option>` of a select.
#[derive(Clone, Debug)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

impl Choice {
    /// Options from `(value, label)` pairs, marking `current`.
    pub(crate) fn list<'a>(
        items: impl IntoIterator<Item = (&'a str, &'a str)>,
        current: &str,
    ) -> Vec<Choice> {
        items
            .into_iter()
            .map(|(value, label)| Choice {
                value: value.to_owned(),
                label: label.to_owned(),
                selected: value == current,
            })
            .collect()
    }
}

/// A share as the pages show it (`42.5 %`), or a dash.
pub(crate) fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

/// `minor` units of the currency coded `currency` as people read them (`USD 1,200.00`); a
/// code that is no currency shows as it is beside the number.
pub(crate) fn money_text(minor: i64, currency: &str) -> String {
    trellis_domain::Currency::parse(currency).map_or_else(
        |_| format!("{currency} {minor}"),
        |c| trellis_domain::Money::new(minor, c).format(),
    )
}

/// Every currency, `selected` (an ISO code) chosen, or US dollars.
pub(crate) fn currency_choices(selected: &str) -> Vec<Choice> {
    let selected = if selected.trim().is_empty() {
        "USD"
    } else {
        selected
    };
    trellis_domain::Currency::all()
        .iter()
        .map(|c| Choice {
            value: c.code().to_owned(),
            label: format!("{} – {}", c.code(), c.name()),
            selected: c.code() == selected,
        })
        .collect()
}

/// Options for one of the domain's `string_enum`s, after a blank first option.
macro_rules! enum_choices {
    ($t:ty, $current:expr, $blank:expr) => {
        $crate::ui::view::Choice::list(
            std::iter::once(("", $blank)).chain(<$t>::ALL.iter().map(|v| (v.as_str(), v.label()))),
            $current,
        )
    };
}
pub(crate) use enum_choices;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_follows_the_role_and_marks_the_current_section() {
        let console = nav_for(Side::Console, Role::SalesRep);
        assert!(console.iter().any(|(h, _)| *h == "/console/partners"));
        assert!(!console.iter().any(|(h, _)| *h == "/console/webhooks"));
        assert_eq!(nav_for(Side::Console, Role::VendorAdmin).len(), 19);
        assert!(console.iter().any(|(h, _)| *h == "/console/attribution"));
        assert!(console.iter().any(|(h, _)| *h == "/console/mapping"));
        assert!(console.iter().any(|(h, _)| *h == "/console/deals"));
        assert!(console.iter().any(|(h, _)| *h == "/console/co-sell"));
        assert!(
            console
                .iter()
                .any(|(h, _)| *h == "/console/reports/comp-credit")
        );
        let finance = nav_for(Side::Console, Role::Finance);
        assert!(
            finance
                .iter()
                .any(|(h, _)| *h == "/console/reports/comp-credit")
        );
        assert!(!finance.iter().any(|(h, _)| *h == "/console/co-sell"));
        assert!(console.iter().any(|(h, _)| *h == "/console/accounts"));
        assert!(
            !console.iter().any(|(h, _)| *h == "/console/imports"),
            "importing needs crm:write"
        );
        let manager = nav_for(Side::Console, Role::ChannelManager);
        assert!(manager.iter().any(|(h, _)| *h == "/console/applications"));
        assert!(!manager.iter().any(|(h, _)| *h == "/console/program"));
        let user = nav_for(Side::Portal, Role::PartnerUser);
        assert!(user.contains(&("/portal/users", "Your profile")));
        assert!(user.contains(&("/portal/deals", "Deals")));
        assert!(user.contains(&("/portal/co-sell", "Co-sell")));
        assert!(user.contains(&("/portal/mapping", "Account mapping")));
        let admin = nav_for(Side::Portal, Role::PartnerAdmin);
        assert!(admin.contains(&("/portal/users", "Users")));
        assert!(is_current(
            "/console/partners",
            "/console/partners/abc",
            Side::Console
        ));
        assert!(!is_current("/console", "/console/partners", Side::Console));
        assert!(!is_current(
            "/console/user",
            "/console/users",
            Side::Console
        ));
    }
}
