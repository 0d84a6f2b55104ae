//! Signing in: passwords, sessions, bearer tokens, lock-out and throttling, invitations and
//! password resets.

use serde::Serialize;
use serde_json::json;
use trellis_domain::{Email, OrgId, Password, Role, Scope, SessionId, Timestamp, UserId};
use trellis_store::metrics::adoption;
use trellis_store::platform::{orgs as org_store, sessions, throttles, tokens, users};

use super::email::{self, EmailMessage};
use super::parse_stored;
use super::users::User;
use crate::outbox::Change;
use crate::secrets;
use crate::{Actor, AuthMethod, Error, Result, Services, UserActor};

/// Where a request came from, for throttling and the session list.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    /// Client address.
    pub ip: Option<String>,
    /// Browser user agent.
    pub user_agent: Option<String>,
}

/// A new browser session.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The cookie value (only its hash is stored).
    pub token: String,
    /// The CSRF token for this session's forms.
    pub csrf_token: String,
    /// Who signed in.
    pub user: User,
}

/// A resolved browser session.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// Session id (for logout).
    pub id: SessionId,
    /// The CSRF token forms must echo.
    pub csrf_token: String,
    /// The signed-in user.
    pub actor: Actor,
}

/// A bearer token issued by `POST /auth/login`.
#[derive(Clone, Debug, Serialize)]
pub struct LoginToken {
    /// The token, shown once.
    pub token: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Who it belongs to.
    pub user: User,
}

const LOCKED: &str = "this account is temporarily locked after too many failed sign-ins; \
                      try again later or reset your password";
const BAD_CREDENTIALS: &str = "the e-mail address or password is wrong";

impl Services {
    /// Checks an e-mail and password. Rate-limited per client address; repeated failures lock
    /// the account for a while. Unknown addresses cost the same time as wrong passwords.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<User> {
        self.throttle("login", client).await?;
        let now = self.now();
        let norm = Email::parse(email)
            .map(|e| e.to_string())
            .unwrap_or_default();
        let row = {
            let mut c = self.db().read().await?;
            users::find_by_email(&mut c.exec(), &norm).await?
        };
        let Some(row) = row else {
            let _ = secrets::verify_password(password, secrets::dummy_password_hash());
            return Err(Error::field("password", BAD_CREDENTIALS));
        };
        if row.locked_until.is_some_and(|t| t > now.millis()) {
            return Err(Error::field("password", LOCKED));
        }
        let hash = row
            .password_hash
            .clone()
            .unwrap_or_else(|| secrets::dummy_password_hash().to_owned());
        let ok = secrets::verify_password(password, &hash) && row.status == "active";
        let mut tx = self.db().begin().await?;
        if ok {
            users::record_login(&mut tx.exec(), row.id, now.millis()).await?;
            adoption::record_sign_in(&mut tx.exec(), row.id, row.org_id, &now.date()).await?;
            tx.commit().await?;
            return User::try_from(row);
        }
        let cfg = self.config();
        users::record_failed_login(
            &mut tx.exec(),
            row.id,
            i64::from(cfg.lockout_threshold),
            now.plus(cfg.lockout_duration).millis(),
        )
        .await?;
        let locked_now = row.failed_logins + 1 >= i64::from(cfg.lockout_threshold);
        if locked_now {
            self.record(
                &mut tx,
                &Actor::System,
                now,
                Change {
                    action: "user.locked_out",
                    object_type: "user",
                    object_id: row.id.to_string(),
                    org_id: Some(OrgId::from_uuid(row.org_id)),
                    summary: format!(
                        "locked {} after {} failed sign-ins",
                        row.email,
                        row.failed_logins + 1
                    ),
                    before: None,
                    after: None,
                    publish: false,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Err(Error::field(
            "password",
            if locked_now { LOCKED } else { BAD_CREDENTIALS },
        ))
    }

    /// Signs in for the browser: a new server-side session.
    pub async fn start_session(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<NewSession> {
        let user = self.authenticate(email, password, client).await?;
        let token = secrets::new_token("");
        let csrf_token = secrets::new_token("");
        let now = self.now();
        let mut tx = self.db().begin().await?;
        sessions::insert(
            &mut tx.exec(),
            &sessions::SessionRow {
                id: SessionId::new().as_uuid(),
                token_hash: secrets::hash_token(&token),
                user_id: user.id.as_uuid(),
                csrf_token: csrf_token.clone(),
                ip: client.ip.clone(),
                user_agent: client
                    .user_agent
                    .as_ref()
                    .map(|s| s.chars().take(300).collect()),
                created_at: now.millis(),
                last_seen_at: now.millis(),
                expires_at: now.plus(self.config().session_idle).millis(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            token,
            csrf_token,
            user,
        })
    }

    /// Resolves a session cookie; `None` when missing, expired or the user is not active.
    /// Slides the idle expiry forward at most once a minute.
    pub async fn resolve_session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let now = self.now();
        let mut c = self.db().read().await?;
        let Some(s) =
            sessions::find_live(&mut c.exec(), &secrets::hash_token(token), now.millis()).await?
        else {
            return Ok(None);
        };
        let Some(actor) = self
            .load_actor(&mut c, s.user_id, AuthMethod::Session)
            .await?
        else {
            return Ok(None);
        };
        drop(c);
        if now.millis() - s.last_seen_at > 60_000 {
            let mut tx = self.db().begin().await?;
            sessions::touch(
                &mut tx.exec(),
                s.id,
                now.millis(),
                now.plus(self.config().session_idle).millis(),
            )
            .await?;
            // A session kept alive for days is a person using Trellis on each of them.
            if let Some(u) = actor.user() {
                adoption::record_sign_in(
                    &mut tx.exec(),
                    u.user_id.as_uuid(),
                    u.org_id.as_uuid(),
                    &now.date(),
                )
                .await?;
            }
            tx.commit().await?;
        }
        Ok(Some(SessionInfo {
            id: SessionId::from_uuid(s.id),
            csrf_token: s.csrf_token,
            actor,
        }))
    }

    /// Ends a session.
    pub async fn end_session(&self, id: SessionId) -> Result<()> {
        let mut tx = self.db().begin().await?;
        sessions::delete(&mut tx.exec(), id.as_uuid()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs in for the API: a bearer token with the role's full permissions.
    pub async fn issue_login_token(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<LoginToken> {
        let user = self.authenticate(email, password, client).await?;
        let token = secrets::new_token("trl_");
        let now = self.now();
        let expires_at = now.plus(self.config().login_token_ttl);
        let mut tx = self.db().begin().await?;
        tokens::insert(
            &mut tx.exec(),
            &tokens::TokenRow {
                id: trellis_domain::TokenId::new().as_uuid(),
                user_id: user.id.as_uuid(),
                kind: "login".into(),
                name: "API login".into(),
                prefix: token.chars().take(12).collect(),
                token_hash: secrets::hash_token(&token),
                scopes: String::new(),
                created_at: now.millis(),
                last_used_at: None,
                expires_at: Some(expires_at.millis()),
                revoked_at: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(LoginToken {
            token,
            expires_at,
            user,
        })
    }

    /// Resolves an `Authorization: Bearer` token (login or API token).
    pub async fn resolve_bearer(&self, token: &str) -> Result<Actor> {
        let now = self.now();
        let hash = secrets::hash_token(token);
        if let Some(actor) = self.auth_cache.get(&hash, now) {
            return Ok(actor);
        }
        let t = {
            let mut c = self.db().read().await?;
            tokens::find_live_with_owner(&mut c.exec(), &hash, now.millis())
                .await?
                .filter(|t| t.status == "active")
                .ok_or(Error::Unauthenticated)?
        };
        let via = if t.kind == "api" {
            let scopes = t
                .scopes
                .split_whitespace()
                .map(|s| parse_stored::<Scope>("scope", s))
                .collect::<Result<_>>()?;
            AuthMethod::ApiToken(scopes)
        } else {
            AuthMethod::LoginToken
        };
        if t.last_used_at.is_none_or(|at| now.millis() - at > 60_000) {
            let mut tx = self.db().begin().await?;
            tokens::touch(&mut tx.exec(), t.token_id, now.millis()).await?;
            tx.commit().await?;
        }
        let actor = Actor::User(UserActor {
            user_id: UserId::from_uuid(t.user_id),
            org_id: OrgId::from_uuid(t.org_id),
            role: parse_stored::<Role>("role", &t.role)?,
            email: t.email,
            name: t.name,
            via,
        });
        let expires = t.expires_at.map(Timestamp::from_millis);
        self.auth_cache.put(hash, actor.clone(), expires, now);
        Ok(actor)
    }

    async fn load_actor(
        &self,
        c: &mut trellis_store::db::Conn,
        user_id: uuid::Uuid,
        via: AuthMethod,
    ) -> Result<Option<Actor>> {
        let Some(u) = users::find(&mut c.exec(), user_id, None).await? else {
            return Ok(None);
        };
        if u.status != "active" {
            return Ok(None);
        }
        Ok(Some(Actor::User(UserActor {
            user_id: UserId::from_uuid(u.id),
            org_id: OrgId::from_uuid(u.org_id),
            role: parse_stored::<Role>("role", &u.role)?,
            email: u.email,
            name: u.name,
            via,
        })))
    }

    /// Counts an attempt against the per-address limit.
    async fn throttle(&self, what: &str, client: &ClientInfo) -> Result<()> {
        let limit = i64::from(self.config().login_attempts_per_minute);
        self.throttle_within(what, client, limit, 60_000).await
    }

    /// Counts an attempt of `what` from `client`; `RateLimited` past `limit` per window.
    pub(crate) async fn throttle_within(
        &self,
        what: &str,
        client: &ClientInfo,
        limit: i64,
        window_ms: i64,
    ) -> Result<()> {
        let now = self.now();
        let key = format!("{what}:{}", client.ip.as_deref().unwrap_or("unknown"));
        let mut tx = self.db().begin().await?;
        let hits = throttles::hit(&mut tx.exec(), &key, now.millis(), window_ms).await?;
        tx.commit().await?;
        if hits > limit {
            let retry = (window_ms - now.millis().rem_euclid(window_ms)) / 1000;
            return Err(Error::RateLimited {
                retry_after_secs: u64::try_from(retry.max(1)).unwrap_or(60),
            });
        }
        Ok(())
    }

    /// Starts a password reset: e-mails a one-time link if the address belongs to an active
    /// user. Answers the same either way, so it does not reveal who has an account.
    pub async fn request_password_reset(&self, email: &str, client: &ClientInfo) -> Result<()> {
        self.throttle("reset", client).await?;
        let email = Email::parse(email).map_err(|e| Error::field("email", e.to_string()))?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let Some(u) = users::find_by_email(&mut tx.exec(), email.as_str()).await? else {
            return Ok(());
        };
        if u.status != "active" {
            return Ok(());
        }
        let token = secrets::new_token("rst_");
        tokens::insert_action(
            &mut tx.exec(),
            &tokens::ActionTokenRow {
                id: uuid::Uuid::now_v7(),
                user_id: u.id,
                purpose: "password_reset".into(),
                token_hash: secrets::hash_token(&token),
                created_at: now.millis(),
                expires_at: now.plus(self.config().password_reset_ttl).millis(),
                used_at: None,
            },
        )
        .await?;
        let product = &self.config().product_name;
        let minutes = self.config().password_reset_ttl.as_secs() / 60;
        email::queue(&mut tx, &EmailMessage {
            to: u.email.clone(),
            subject: format!("Reset your {product} password"),
            body: format!(
                "Hello {name},\n\nSomeone (hopefully you) asked to reset your {product} password. \
                 Choose a new one here:\n{link}\n\nThe link works once and expires in {minutes} \
                 minutes. If you did not ask for this, ignore this message; your password stays \
                 as it is.\n",
                name = u.name,
                link = self.config().link(&format!("/password-reset/{token}")),
            ),
        }, now, self.config().job_max_attempts)
        .await?;
        self.record(
            &mut tx,
            &Actor::System,
            now,
            Change {
                action: "user.password_reset_requested",
                object_type: "user",
                object_id: u.id.to_string(),
                org_id: Some(OrgId::from_uuid(u.org_id)),
                summary: format!("password reset requested for {}", u.email),
                before: None,
                after: None,
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user an invitation or reset link belongs to, if the link is still valid.
    pub async fn check_action_token(
        &self,
        purpose: ActionPurpose,
        token: &str,
    ) -> Result<(User, String)> {
        let now = self.now();
        let mut c = self.db().read().await?;
        let t = tokens::find_action(
            &mut c.exec(),
            purpose.as_str(),
            &secrets::hash_token(token),
            now.millis(),
        )
        .await?
        .ok_or(Error::NotFound)?;
        let u = users::find(&mut c.exec(), t.user_id, None)
            .await?
            .ok_or(Error::NotFound)?;
        let org = org_store::find(&mut c.exec(), u.org_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok((User::try_from(u)?, org.name))
    }

    /// Completes an invitation or a reset: sets the password (and, for an invitation, activates
    /// the user). Ends all existing sessions of the user.
    pub async fn complete_action_token(
        &self,
        purpose: ActionPurpose,
        token: &str,
        password: &str,
    ) -> Result<User> {
        let password =
            Password::parse(password).map_err(|e| Error::field("password", e.to_string()))?;
        let hash = secrets::hash_password(password.expose())?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let t = tokens::find_action(
            &mut tx.exec(),
            purpose.as_str(),
            &secrets::hash_token(token),
            now.millis(),
        )
        .await?
        .ok_or(Error::NotFound)?;
        if !tokens::use_action(&mut tx.exec(), t.id, now.millis()).await? {
            return Err(Error::NotFound);
        }
        let u = users::find(&mut tx.exec(), t.user_id, None)
            .await?
            .ok_or(Error::NotFound)?;
        if u.status == "disabled" {
            return Err(Error::InvalidState("this account is disabled"));
        }
        users::set_password(&mut tx.exec(), u.id, &hash, now.millis()).await?;
        sessions::delete_for_user(&mut tx.exec(), u.id).await?;
        let user = User::try_from(
            users::find(&mut tx.exec(), u.id, None)
                .await?
                .ok_or(Error::NotFound)?,
        )?;
        let (action, summary) = match purpose {
            ActionPurpose::Invitation => (
                "user.activated",
                format!("{} accepted the invitation", user.email),
            ),
            ActionPurpose::PasswordReset => (
                "user.password_reset",
                format!("{} reset the password", user.email),
            ),
        };
        self.record(
            &mut tx,
            &Actor::System,
            now,
            Change {
                action,
                object_type: "user",
                object_id: user.id.to_string(),
                org_id: Some(user.org_id),
                summary,
                before: None,
                after: Some(json!(user)),
                publish: purpose == ActionPurpose::Invitation,
            },
        )
        .await?;
        tx.commit().await?;
        self.access_changed();
        Ok(user)
    }
}

/// What a one-time link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionPurpose {
    /// Accept an invitation.
    Invitation,
    /// Reset a forgotten password.
    PasswordReset,
}

impl ActionPurpose {
    fn as_str(self) -> &'static str {
        match self {
            ActionPurpose::Invitation => "invitation",
            ActionPurpose::PasswordReset => "password_reset",
        }
    }
}
