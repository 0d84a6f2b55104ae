//! Users: invitations, roles, deactivation.

use serde::Serialize;
use serde_json::json;
use trellis_domain::{
    Email, FieldErrors, OrgId, OrgKind, Permission, PersonName, Role, Timestamp, UserId,
};
use trellis_store::platform::{orgs as org_store, sessions, tokens, users as store};

use super::email::{self, EmailMessage};
use super::{PageRequest, parse_stored};
use crate::outbox::Change;
use crate::secrets;
use crate::{Actor, Error, Page, Result, Services};

/// A user as the service returns it (never the password hash).
#[derive(Clone, Debug, Serialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Organisation.
    pub org_id: OrgId,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// `invited`, `active` or `disabled`.
    pub status: String,
    /// Last successful sign-in.
    pub last_login_at: Option<Timestamp>,
    /// Locked out until, after repeated failed sign-ins.
    pub locked_until: Option<Timestamp>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: Timestamp,
}

impl TryFrom<store::UserRow> for User {
    type Error = Error;
    fn try_from(r: store::UserRow) -> Result<Self> {
        Ok(Self {
            id: UserId::from_uuid(r.id),
            org_id: OrgId::from_uuid(r.org_id),
            email: r.email,
            name: r.name,
            role: parse_stored("role", &r.role)?,
            status: r.status,
            last_login_at: r.last_login_at.map(Timestamp::from_millis),
            locked_until: r.locked_until.map(Timestamp::from_millis),
            version: r.version,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}

/// Input for an invitation.
#[derive(Clone, Debug, Default)]
pub struct InviteInput {
    /// Address to invite.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role to grant.
    pub role: String,
    /// Organisation to join; a partner admin may only name its own (or leave it empty).
    pub org_id: Option<OrgId>,
}

/// Who to invite, already validated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Invitee<'a> {
    /// Address.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
}

/// Input for a profile change.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
}

impl Services {
    /// Invites a user: creates them as `invited` and e-mails a link to set a password.
    pub async fn invite_user(&self, actor: &Actor, input: &InviteInput) -> Result<User> {
        actor.require(Permission::UsersManage)?;
        let mut e = FieldErrors::new();
        let email = e.check("email", Email::parse(&input.email));
        let name = e.check("name", PersonName::parse(&input.name));
        let role = e.check("role", input.role.parse::<Role>());
        let org_id = match (actor.partner_scope(), input.org_id) {
            (Some(scope), None) => Some(scope.org_id()),
            (Some(scope), Some(o)) if o == scope.org_id() => Some(o),
            (Some(_), Some(_)) => return Err(Error::NotFound),
            (None, Some(o)) => Some(o),
            (None, None) => None,
        };
        let mut tx = self.db().begin().await?;
        let org = match org_id {
            Some(o) => org_store::find(&mut tx.exec(), o.as_uuid()).await?,
            None => org_store::find_vendor(&mut tx.exec()).await?,
        };
        let Some(org) = org else {
            e.add("org_id", "no such organisation");
            return Err(e.into());
        };
        let org_kind: OrgKind = parse_stored("org kind", &org.kind)?;
        if let Some(r) = role
            && r.is_partner() != (org_kind == OrgKind::Partner)
        {
            e.add(
                "role",
                format!(
                    "{} is not a role for a {} organisation",
                    r.as_str(),
                    org_kind.as_str()
                ),
            );
        }
        if let Some(em) = &email
            && store::find_by_email(&mut tx.exec(), em.as_str())
                .await?
                .is_some()
        {
            e.add("email", "a user with this e-mail address already exists");
        }
        e.into_result()?;
        let (Some(email), Some(name), Some(role)) = (email, name, role) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "validated invitation fields missing"
            )));
        };
        let invitee = Invitee {
            email: email.as_str(),
            name: name.as_str(),
            role,
        };
        let user = self
            .invite_in(&mut tx, actor, &org, &invitee, self.now())
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates an invited user in `org` inside `tx`, queues the invitation e-mail and records
    /// the change. The caller checked permissions and that the address is free.
    pub(crate) async fn invite_in(
        &self,
        tx: &mut trellis_store::Tx,
        actor: &Actor,
        org: &org_store::OrgRow,
        invitee: &Invitee<'_>,
        now: Timestamp,
    ) -> Result<User> {
        let row = store::UserRow {
            id: UserId::new().as_uuid(),
            org_id: org.id,
            email: invitee.email.to_owned(),
            name: invitee.name.to_owned(),
            role: invitee.role.as_str().into(),
            status: "invited".into(),
            password_hash: None,
            failed_logins: 0,
            locked_until: None,
            last_login_at: None,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        let user = insert(tx, row).await?;
        self.send_invitation(tx, actor, &user, &org.name, now)
            .await?;
        self.record(
            tx,
            actor,
            now,
            Change {
                action: "user.invited",
                object_type: "user",
                object_id: user.id.to_string(),
                org_id: Some(user.org_id),
                summary: format!("invited {} as {}", user.email, user.role.label()),
                before: None,
                after: Some(json!(user)),
                publish: true,
            },
        )
        .await?;
        // A partner with a second person on board has done "invite your team".
        if org.kind == OrgKind::Partner.as_str()
            && store::count_enabled(&mut tx.exec(), org.id).await? >= 2
        {
            self.complete_tasks_of_kind(tx, actor, OrgId::from_uuid(org.id), "invite_team", now)
                .await?;
        }
        Ok(user)
    }

    /// Sends a fresh invitation link to a user who has not accepted yet.
    pub async fn resend_invitation(&self, actor: &Actor, id: UserId) -> Result<()> {
        actor.require(Permission::UsersManage)?;
        let mut tx = self.db().begin().await?;
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let row = store::find(&mut tx.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?;
        if row.status != "invited" {
            return Err(Error::InvalidState(
                "this user has already accepted the invitation",
            ));
        }
        let org = org_store::find(&mut tx.exec(), row.org_id)
            .await?
            .ok_or(Error::NotFound)?;
        let user = User::try_from(row)?;
        let now = self.now();
        self.send_invitation(&mut tx, actor, &user, &org.name, now)
            .await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "user.invitation_resent",
                object_type: "user",
                object_id: user.id.to_string(),
                org_id: Some(user.org_id),
                summary: format!("re-sent the invitation to {}", user.email),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn send_invitation(
        &self,
        tx: &mut trellis_store::Tx,
        actor: &Actor,
        user: &User,
        org_name: &str,
        now: Timestamp,
    ) -> Result<()> {
        let token = secrets::new_token("inv_");
        tokens::insert_action(
            &mut tx.exec(),
            &tokens::ActionTokenRow {
                id: uuid::Uuid::now_v7(),
                user_id: user.id.as_uuid(),
                purpose: "invitation".into(),
                token_hash: secrets::hash_token(&token),
                created_at: now.millis(),
                expires_at: now.plus(self.config().invitation_ttl).millis(),
                used_at: None,
            },
        )
        .await?;
        let inviter = actor
            .user()
            .map_or_else(|| "An administrator".to_owned(), |u| u.name.clone());
        let product = &self.config().product_name;
        let link = self.config().link(&format!("/invitations/{token}"));
        let days = self.config().invitation_ttl.as_secs() / 86_400;
        email::queue(tx, &EmailMessage {
            to: user.email.clone(),
            subject: format!("You are invited to {org_name} on {product}"),
            body: format!(
                "Hello {name},\n\n{inviter} invited you to join {org_name} on {product} as {role}.\n\n\
                 Set your password and sign in here:\n{link}\n\n\
                 The link works once and expires in {days} days. If you did not expect this \
                 invitation, ignore this message.\n",
                name = user.name,
                role = user.role.label(),
            ),
        }, now, self.config().job_max_attempts)
        .await
    }

    /// Reads one user; a partner sees only users of its own organisation.
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> Result<User> {
        Self::require_self_or(actor, id, Permission::UsersRead)?;
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut c = self.db().read().await?;
        store::find(&mut c.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Anyone may read themselves; reading others needs `p`.
    fn require_self_or(actor: &Actor, id: UserId, p: Permission) -> Result<()> {
        if actor.user().is_some_and(|u| u.user_id == id) {
            return Ok(());
        }
        require_or_hide(actor, p)
    }

    /// Lists users; vendor users see everyone (optionally one organisation's), a partner admin
    /// its own organisation's.
    pub async fn list_users(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        actor.require(Permission::UsersRead)?;
        let (cursor, limit) = page.parse()?;
        let org = match actor.partner_scope() {
            Some(scope) if org.is_some_and(|o| o != scope.org_id()) => {
                return Ok(Page {
                    items: vec![],
                    next: None,
                });
            }
            Some(scope) => Some(scope.org_id()),
            None => org,
        };
        let mut c = self.db().read().await?;
        let rows = store::list(
            &mut c.exec(),
            org.map(OrgId::as_uuid),
            cursor.as_ref(),
            limit,
        )
        .await?;
        let next = rows.next;
        let items = rows
            .items
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_>>()?;
        Ok(Page { items, next })
    }

    /// Changes a user's name, role or status, if `version` is current. Disabling a user ends
    /// their sessions and revokes their tokens in the same transaction.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        version: i64,
        patch: &UserPatch,
    ) -> Result<User> {
        let is_self = actor.user().is_some_and(|u| u.user_id == id);
        let changes_access = patch.role.is_some() || patch.status.is_some();
        if changes_access || !is_self {
            require_or_hide(actor, Permission::UsersManage)?;
        }
        if is_self && changes_access {
            return Err(Error::field(
                "role",
                "you cannot change your own role or status; ask another administrator",
            ));
        }
        let scope = actor.partner_scope().map(|s| s.org_id().as_uuid());
        let mut tx = self.db().begin().await?;
        let current = store::find(&mut tx.exec(), id.as_uuid(), scope)
            .await?
            .ok_or(Error::NotFound)?;
        let before = User::try_from(current.clone())?;
        let (name, role, status) = validate_patch(patch, &before)?;
        if current.version != version {
            return Err(Error::StaleVersion {
                current: current.version,
            });
        }
        let now = self.now();
        let disabling = status.as_deref() == Some("disabled") && before.status != "disabled";
        let row = store::UserRow {
            name: name.map_or(current.name.clone(), |n| n.to_string()),
            role: role.map_or(current.role.clone(), |r| r.as_str().into()),
            // Re-enabling someone who never accepted their invitation makes them invited again,
            // never active without a password.
            status: match status {
                Some(s) if s == "active" && current.password_hash.is_none() => "invited".into(),
                Some(s) => s,
                None => current.status.clone(),
            },
            updated_at: now.millis(),
            ..current
        };
        if !store::update_profile(&mut tx.exec(), &row, version).await? {
            return Err(Error::StaleVersion {
                current: version + 1,
            });
        }
        if disabling {
            sessions::delete_for_user(&mut tx.exec(), id.as_uuid()).await?;
            tokens::revoke_for_user(&mut tx.exec(), id.as_uuid(), now.millis()).await?;
        }
        let after = User::try_from(store::UserRow {
            version: version + 1,
            ..row
        })?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: if disabling {
                    "user.disabled"
                } else {
                    "user.updated"
                },
                object_type: "user",
                object_id: id.to_string(),
                org_id: Some(after.org_id),
                summary: format!("updated user {}", after.email),
                before: Some(json!(before)),
                after: Some(json!(after)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        self.access_changed();
        Ok(after)
    }

    /// Creates an active user with a password, for the operator CLI and the demo (system only).
    pub async fn create_user_with_password(
        &self,
        actor: &Actor,
        org_id: OrgId,
        email: &str,
        name: &str,
        role: &str,
        password: &str,
    ) -> Result<User> {
        let password = trellis_domain::Password::parse(password)
            .map_err(|e| Error::field("password", e.to_string()))?;
        let hash = secrets::PasswordHash::of(&password)?;
        self.create_user_with_hash(actor, org_id, email, name, role, &hash)
            .await
    }

    /// Like [`Services::create_user_with_password`] with a password hashed once for many users
    /// (the demo gives everyone the same password; hashing it 100 times is slow and leaves the
    /// allocator holding argon2's memory).
    pub async fn create_user_with_hash(
        &self,
        actor: &Actor,
        org_id: OrgId,
        email: &str,
        name: &str,
        role: &str,
        hash: &secrets::PasswordHash,
    ) -> Result<User> {
        if !matches!(actor, Actor::System) {
            return Err(Error::Forbidden);
        }
        let mut e = FieldErrors::new();
        let email = e.check("email", Email::parse(email));
        let name = e.check("name", PersonName::parse(name));
        let role = e.check("role", role.parse::<Role>());
        e.into_result()?;
        let (Some(email), Some(name), Some(role)) = (email, name, role) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "validated user fields missing"
            )));
        };
        let hash = hash.as_str().to_owned();
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let org = org_store::find(&mut tx.exec(), org_id.as_uuid())
            .await?
            .ok_or_else(|| Error::field("org", "no such organisation"))?;
        if role.is_partner() != (org.kind == "partner") {
            return Err(Error::field(
                "role",
                format!(
                    "{} is not a role for a {} organisation",
                    role.as_str(),
                    org.kind
                ),
            ));
        }
        let row = store::UserRow {
            id: UserId::new().as_uuid(),
            org_id: org.id,
            email: email.to_string(),
            name: name.to_string(),
            role: role.as_str().into(),
            status: "active".into(),
            password_hash: Some(hash),
            failed_logins: 0,
            locked_until: None,
            last_login_at: None,
            version: 1,
            created_at: now.millis(),
            updated_at: now.millis(),
        };
        let user = insert(&mut tx, row).await?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "user.created",
                object_type: "user",
                object_id: user.id.to_string(),
                org_id: Some(user.org_id),
                summary: format!("created {} as {}", user.email, user.role.label()),
                before: None,
                after: Some(json!(user)),
                publish: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// Like [`Actor::require`], but a partner lacking `p` gets `NotFound`: a partner user must not
/// learn whether another user's id exists.
fn require_or_hide(actor: &Actor, p: Permission) -> Result<()> {
    match actor.require(p) {
        Err(Error::Forbidden) if actor.partner_scope().is_some() => Err(Error::NotFound),
        other => other,
    }
}

/// Checks a profile change against the user as it is.
fn validate_patch(
    patch: &UserPatch,
    before: &User,
) -> Result<(Option<PersonName>, Option<Role>, Option<String>)> {
    let mut e = FieldErrors::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| e.check("name", PersonName::parse(n)));
    let role = patch
        .role
        .as_deref()
        .and_then(|r| e.check("role", r.parse::<Role>()));
    if let Some(r) = role
        && r.is_partner() != before.role.is_partner()
    {
        e.add(
            "role",
            "a user cannot move between the vendor and a partner organisation",
        );
    }
    let status = match patch.status.as_deref() {
        None => None,
        Some(s @ ("active" | "disabled")) => Some(s.to_owned()),
        Some(_) => {
            e.add("status", "must be active or disabled");
            None
        }
    };
    if status.as_deref() == Some("active") && before.status == "invited" {
        e.add(
            "status",
            "an invited user becomes active by accepting the invitation",
        );
    }
    e.into_result()?;
    Ok((name, role, status))
}

/// Inserts a user row; a taken e-mail address is a field error (the unique index decides, so
/// two concurrent invitations of one address cannot both succeed).
async fn insert(tx: &mut trellis_store::Tx, row: store::UserRow) -> Result<User> {
    store::insert(&mut tx.exec(), &row)
        .await
        .map_err(|err| match err {
            trellis_store::Error::Conflict => {
                Error::field("email", "a user with this e-mail address already exists")
            }
            other => other.into(),
        })?;
    User::try_from(row)
}
