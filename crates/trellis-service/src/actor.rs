//! Who is acting: a signed-in user (through a session, a login token or an API token) or the
//! system itself (jobs, the operator CLI).

use trellis_domain::{OrgId, Permission, Role, Scope, UserId};

use crate::error::{Error, Result};

/// How a user authenticated; API tokens narrow permissions with scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// Browser session (cookie).
    Session,
    /// Bearer token from `POST /api/v1/auth/login`: the role's full permissions.
    LoginToken,
    /// Long-lived API token with these scopes.
    ApiToken(Vec<Scope>),
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct UserActor {
    /// The user.
    pub user_id: UserId,
    /// Their organisation.
    pub org_id: OrgId,
    /// Their role.
    pub role: Role,
    /// E-mail, for audit labels.
    pub email: String,
    /// Display name.
    pub name: String,
    /// How they signed in.
    pub via: AuthMethod,
}

/// The subject of every use case.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A person.
    User(UserActor),
    /// Trellis itself: background jobs and the operator's local CLI.
    System,
}

/// The organisation a partner actor is confined to. Only made from a partner user, so a
/// partner-visible query cannot be written without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartnerScope(OrgId);

impl PartnerScope {
    /// The partner organisation.
    pub fn org_id(self) -> OrgId {
        self.0
    }
}

impl Actor {
    /// Fails with `Forbidden` unless the role grants `p` and, for API tokens, a scope allows it.
    pub fn require(&self, p: Permission) -> Result<()> {
        match self {
            Actor::System => Ok(()),
            Actor::User(u) => {
                let scoped = match &u.via {
                    AuthMethod::ApiToken(scopes) => scopes.contains(&Scope::of(p)),
                    AuthMethod::Session | AuthMethod::LoginToken => true,
                };
                if u.role.grants(p) && scoped {
                    Ok(())
                } else {
                    Err(Error::Forbidden)
                }
            }
        }
    }

    /// The partner scope of a partner user; `None` for vendor users and the system.
    pub fn partner_scope(&self) -> Option<PartnerScope> {
        match self {
            Actor::User(u) if u.role.is_partner() => Some(PartnerScope(u.org_id)),
            _ => None,
        }
    }

    /// The user, if a person is acting.
    pub fn user(&self) -> Option<&UserActor> {
        match self {
            Actor::User(u) => Some(u),
            Actor::System => None,
        }
    }

    /// Requires a signed-in person (for "my tokens" and similar).
    pub fn require_user(&self) -> Result<&UserActor> {
        self.user().ok_or(Error::Forbidden)
    }

    /// The label written to the audit log.
    pub fn label(&self) -> String {
        match self {
            Actor::User(u) => u.email.clone(),
            Actor::System => "system".into(),
        }
    }

    /// True for a vendor-side person or the system.
    pub fn is_vendor_side(&self) -> bool {
        self.partner_scope().is_none()
    }
}
