//! Roles, permissions and API-token scopes (DESIGN.md §3).
//!
//! A role grants a fixed set of permissions. An API token narrows its user's permissions further
//! with scopes: a request may do what the role grants *and* the token's scopes allow.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The six roles of a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the partner program: everything on the vendor side.
    VendorAdmin,
    /// Looks after a book of partners.
    ChannelManager,
    /// A direct seller who works with partners on accounts.
    SalesRep,
    /// Budgets, MDF, payouts.
    Finance,
    /// Administers one partner organisation.
    PartnerAdmin,
    /// A partner's seller or staff member.
    PartnerUser,
}

/// What an actor may do. Checked once, in the service layer, for every door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read organisations (a partner: only its own).
    OrgsRead,
    /// Create and edit partner organisations.
    OrgsManage,
    /// Read users (a partner admin: only its own organisation's).
    UsersRead,
    /// Invite, edit and deactivate users (a partner admin: only its own organisation's).
    UsersManage,
    /// Create, list and revoke one's own API tokens.
    TokensManage,
    /// Manage webhook endpoints and replay deliveries.
    WebhooksManage,
    /// Read the audit log.
    AuditRead,
    /// See the job queue and retry dead jobs.
    JobsManage,
    /// Set the partner program up: Ideal Partner Profile, tiers, agreements, onboarding
    /// templates, program settings.
    ProgramManage,
    /// Review partner applications: approve or reject them.
    ApplicationsReview,
    /// Edit a partner's profile, specialisations and contacts (a partner admin: its own).
    ProfileManage,
    /// Accept program agreements on behalf of a partner organisation.
    AgreementsAccept,
    /// Complete onboarding tasks (each side its own).
    OnboardingWork,
    /// Read the vendor's CRM data: accounts, contacts and opportunities.
    CrmRead,
    /// Write CRM data: upserts from a sync, CSV imports, archiving.
    CrmManage,
    /// Read the change feed of every domain event (integrations).
    EventsRead,
    /// Read deal registrations and the shared pipeline (a partner: only its own).
    DealsRead,
    /// Register deals and keep them up to date; dispute decisions, ask for extensions.
    DealsRegister,
    /// Decide registrations, disputes and extensions; convert registrations into
    /// opportunities.
    DealsReview,
    /// Ask the other side for co-selling help, and answer its requests (a partner: its own
    /// organisation's).
    CoSellRequest,
    /// Read the comp-credit report of reps on partner-involved opportunities (a sales rep:
    /// only their own opportunities).
    CompCreditRead,
    /// See one's own side's account-mapping populations, connections, policies and overlaps.
    MappingRead,
    /// Manage one's own side's account mapping: populations, sharing policies, opting in,
    /// and (a partner) the accounts it brings.
    MappingManage,
    /// Read touchpoints, attribution model runs and ecosystem metrics.
    AttributionRead,
    /// Record and remove touchpoints, run attribution models.
    AttributionManage,
    /// Enter, import and remove the program's costs (MDF, incentives, enablement, tech,
    /// direct acquisition), which ROPI and CAC divide by.
    CostsManage,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 6] = [
        Role::VendorAdmin,
        Role::ChannelManager,
        Role::SalesRep,
        Role::Finance,
        Role::PartnerAdmin,
        Role::PartnerUser,
    ];

    /// The stable identifier used in the API and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::VendorAdmin => "vendor_admin",
            Role::ChannelManager => "channel_manager",
            Role::SalesRep => "sales_rep",
            Role::Finance => "finance",
            Role::PartnerAdmin => "partner_admin",
            Role::PartnerUser => "partner_user",
        }
    }

    /// A label for pages.
    pub const fn label(self) -> &'static str {
        match self {
            Role::VendorAdmin => "Vendor admin",
            Role::ChannelManager => "Channel manager",
            Role::SalesRep => "Sales rep",
            Role::Finance => "Finance",
            Role::PartnerAdmin => "Partner admin",
            Role::PartnerUser => "Partner user",
        }
    }

    /// True for the two roles that live in partner organisations.
    pub const fn is_partner(self) -> bool {
        matches!(self, Role::PartnerAdmin | Role::PartnerUser)
    }

    /// Whether this role grants `p`.
    pub fn grants(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Role::VendorAdmin => true,
            Role::ChannelManager => {
                matches!(
                    p,
                    P::OrgsRead
                        | P::OrgsManage
                        | P::UsersRead
                        | P::TokensManage
                        | P::ApplicationsReview
                        | P::ProfileManage
                        | P::OnboardingWork
                        | P::CrmRead
                        | P::DealsRead
                        | P::DealsReview
                        | P::CoSellRequest
                        | P::CompCreditRead
                        | P::MappingRead
                        | P::AttributionRead
                        | P::AttributionManage
                        | P::CostsManage
                )
            }
            // A rep co-sells with partners; finance reads, and keeps the program's costs.
            Role::SalesRep | Role::Finance => {
                matches!(
                    p,
                    P::OrgsRead
                        | P::UsersRead
                        | P::TokensManage
                        | P::CrmRead
                        | P::DealsRead
                        | P::CompCreditRead
                        | P::AttributionRead
                ) || (self == Role::SalesRep && matches!(p, P::CoSellRequest | P::MappingRead))
                    || (self == Role::Finance && p == P::CostsManage)
            }
            Role::PartnerAdmin => {
                matches!(
                    p,
                    P::OrgsRead
                        | P::UsersRead
                        | P::UsersManage
                        | P::TokensManage
                        | P::ProfileManage
                        | P::AgreementsAccept
                        | P::OnboardingWork
                        | P::DealsRead
                        | P::DealsRegister
                        | P::CoSellRequest
                        | P::MappingRead
                        | P::MappingManage
                )
            }
            Role::PartnerUser => matches!(
                p,
                P::OrgsRead
                    | P::TokensManage
                    | P::OnboardingWork
                    | P::DealsRead
                    | P::DealsRegister
                    | P::CoSellRequest
                    | P::MappingRead
            ),
        }
    }

    /// The scopes a token of this role may carry: those of the permissions it grants.
    pub fn grantable_scopes(self) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.grants(s.permission()))
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; expected one of {}", names(&Role::ALL)))
    }
}

/// An API-token scope: one permission, named `area:verb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scope(Permission);

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 26] = [
        Scope(Permission::OrgsRead),
        Scope(Permission::OrgsManage),
        Scope(Permission::UsersRead),
        Scope(Permission::UsersManage),
        Scope(Permission::TokensManage),
        Scope(Permission::WebhooksManage),
        Scope(Permission::AuditRead),
        Scope(Permission::JobsManage),
        Scope(Permission::ProgramManage),
        Scope(Permission::ApplicationsReview),
        Scope(Permission::ProfileManage),
        Scope(Permission::AgreementsAccept),
        Scope(Permission::OnboardingWork),
        Scope(Permission::CrmRead),
        Scope(Permission::CrmManage),
        Scope(Permission::EventsRead),
        Scope(Permission::DealsRead),
        Scope(Permission::DealsRegister),
        Scope(Permission::DealsReview),
        Scope(Permission::CoSellRequest),
        Scope(Permission::CompCreditRead),
        Scope(Permission::MappingRead),
        Scope(Permission::MappingManage),
        Scope(Permission::AttributionRead),
        Scope(Permission::AttributionManage),
        Scope(Permission::CostsManage),
    ];

    /// The scope that allows `p`.
    pub const fn of(p: Permission) -> Self {
        Self(p)
    }

    /// The permission this scope allows.
    pub const fn permission(self) -> Permission {
        self.0
    }

    /// The stable name, such as `orgs:read`.
    pub const fn as_str(self) -> &'static str {
        match self.0 {
            Permission::OrgsRead => "orgs:read",
            Permission::OrgsManage => "orgs:write",
            Permission::UsersRead => "users:read",
            Permission::UsersManage => "users:write",
            Permission::TokensManage => "tokens:write",
            Permission::WebhooksManage => "webhooks:write",
            Permission::AuditRead => "audit:read",
            Permission::JobsManage => "jobs:write",
            Permission::ProgramManage => "program:write",
            Permission::ApplicationsReview => "applications:write",
            Permission::ProfileManage => "profile:write",
            Permission::AgreementsAccept => "agreements:write",
            Permission::OnboardingWork => "onboarding:write",
            Permission::CrmRead => "crm:read",
            Permission::CrmManage => "crm:write",
            Permission::EventsRead => "events:read",
            Permission::DealsRead => "deals:read",
            Permission::DealsRegister => "deals:register",
            Permission::DealsReview => "deals:review",
            Permission::CoSellRequest => "cosell:request",
            Permission::CompCreditRead => "comp-credit:read",
            Permission::MappingRead => "mapping:read",
            Permission::MappingManage => "mapping:write",
            Permission::AttributionRead => "attribution:read",
            Permission::AttributionManage => "attribution:write",
            Permission::CostsManage => "costs:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown scope {s:?}; expected one of {}",
                    names(&Scope::ALL)
                )
            })
    }
}

fn names<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_roles_never_get_vendor_powers() {
        for role in [Role::PartnerAdmin, Role::PartnerUser] {
            for p in [
                Permission::OrgsManage,
                Permission::WebhooksManage,
                Permission::AuditRead,
                Permission::JobsManage,
                Permission::ProgramManage,
                Permission::ApplicationsReview,
                Permission::CrmRead,
                Permission::CrmManage,
                Permission::EventsRead,
                Permission::CompCreditRead,
            ] {
                assert!(!role.grants(p), "{role} must not have {p:?}");
            }
        }
    }

    #[test]
    fn role_and_scope_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>().unwrap(), s);
        }
        assert!("root".parse::<Role>().unwrap_err().contains("vendor_admin"));
    }

    #[test]
    fn grantable_scopes_follow_the_role() {
        let s = Role::PartnerUser.grantable_scopes();
        assert!(s.contains(&Scope::of(Permission::OrgsRead)));
        assert!(!s.contains(&Scope::of(Permission::UsersManage)));
        assert_eq!(Role::VendorAdmin.grantable_scopes().len(), Scope::ALL.len());
        assert_eq!(Scope::ALL.len(), 26);
    }

    #[test]
    fn the_vendor_reads_attribution_and_channel_managers_run_it() {
        let who = |p: Permission| -> Vec<Role> {
            Role::ALL.into_iter().filter(|r| r.grants(p)).collect()
        };
        assert_eq!(
            who(Permission::AttributionManage),
            [Role::VendorAdmin, Role::ChannelManager]
        );
        assert_eq!(
            who(Permission::AttributionRead),
            [
                Role::VendorAdmin,
                Role::ChannelManager,
                Role::SalesRep,
                Role::Finance
            ]
        );
    }

    #[test]
    fn finance_keeps_the_costs_with_the_channel_team() {
        let who: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.grants(Permission::CostsManage))
            .collect();
        assert_eq!(
            who,
            [Role::VendorAdmin, Role::ChannelManager, Role::Finance]
        );
    }

    #[test]
    fn each_side_manages_its_own_mapping_and_sellers_read_it() {
        let who = |p: Permission| -> Vec<Role> {
            Role::ALL.into_iter().filter(|r| r.grants(p)).collect()
        };
        assert_eq!(
            who(Permission::MappingManage),
            [Role::VendorAdmin, Role::PartnerAdmin]
        );
        assert_eq!(
            who(Permission::MappingRead),
            [
                Role::VendorAdmin,
                Role::ChannelManager,
                Role::SalesRep,
                Role::PartnerAdmin,
                Role::PartnerUser
            ]
        );
    }

    #[test]
    fn co_selling_is_for_sellers_and_comp_credit_for_the_vendor() {
        let cosell: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.grants(Permission::CoSellRequest))
            .collect();
        assert_eq!(
            cosell,
            [
                Role::VendorAdmin,
                Role::ChannelManager,
                Role::SalesRep,
                Role::PartnerAdmin,
                Role::PartnerUser
            ]
        );
        let credit: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.grants(Permission::CompCreditRead))
            .collect();
        assert_eq!(
            credit,
            [
                Role::VendorAdmin,
                Role::ChannelManager,
                Role::SalesRep,
                Role::Finance
            ]
        );
        assert_eq!(
            "cosell:request".parse::<Scope>().unwrap(),
            Scope::of(Permission::CoSellRequest)
        );
    }
}
