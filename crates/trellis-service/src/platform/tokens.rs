//! Long-lived API tokens: created, listed and revoked by their owner.

use serde::Serialize;
use serde_json::json;
use trellis_domain::{FieldErrors, Permission, Scope, Timestamp, TokenId};
use trellis_store::platform::tokens as store;

use super::{PageRequest, parse_stored};
use crate::outbox::Change;
use crate::secrets;
use crate::{Actor, Error, Page, Result, Services};

/// An API token's metadata (the secret is shown once, at creation).
#[derive(Clone, Debug, Serialize)]
pub struct ApiToken {
    /// Id.
    pub id: TokenId,
    /// The owner's label for it.
    pub name: String,
    /// The first characters, to recognise it.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Last used (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// Expiry; `None` never expires.
    pub expires_at: Option<Timestamp>,
    /// Revoked.
    pub revoked_at: Option<Timestamp>,
}

impl TryFrom<store::TokenRow> for ApiToken {
    type Error = Error;
    fn try_from(r: store::TokenRow) -> Result<Self> {
        let scopes = r
            .scopes
            .split_whitespace()
            .map(|s| parse_stored::<Scope>("scope", s).map(|s| s.to_string()))
            .collect::<Result<_>>()?;
        Ok(Self {
            id: TokenId::from_uuid(r.id),
            name: r.name,
            prefix: r.prefix,
            scopes,
            created_at: Timestamp::from_millis(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp::from_millis),
            expires_at: r.expires_at.map(Timestamp::from_millis),
            revoked_at: r.revoked_at.map(Timestamp::from_millis),
        })
    }
}

/// Input for a new token.
#[derive(Clone, Debug, Default)]
pub struct TokenInput {
    /// A label such as "Salesforce sync".
    pub name: String,
    /// Scope names (`orgs:read`, …); must be within the owner's role.
    pub scopes: Vec<String>,
    /// Days until expiry (1–365); `None` for a token that never expires.
    pub expires_in_days: Option<u32>,
}

/// A token just created: the secret and its metadata.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedToken {
    /// The secret, shown once.
    pub token: String,
    /// Metadata.
    #[serde(flatten)]
    pub meta: ApiToken,
}

impl Services {
    /// Creates an API token for the acting user.
    pub async fn create_token(&self, actor: &Actor, input: &TokenInput) -> Result<CreatedToken> {
        actor.require(Permission::TokensManage)?;
        let user = actor.require_user()?;
        let mut e = FieldErrors::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            e.add("name", "must be 1–80 characters");
        }
        let mut scopes = Vec::new();
        if input.scopes.is_empty() {
            e.add("scopes", "choose at least one scope");
        }
        for (i, s) in input.scopes.iter().enumerate() {
            match s.parse::<Scope>() {
                Ok(scope) if user.role.grants(scope.permission()) => {
                    if !scopes.contains(&scope) {
                        scopes.push(scope);
                    }
                }
                Ok(scope) => e.add(
                    format!("scopes[{i}]"),
                    format!("your role cannot grant {scope}"),
                ),
                Err(msg) => e.add(format!("scopes[{i}]"), msg),
            }
        }
        if let Some(d) = input.expires_in_days
            && !(1..=365).contains(&d)
        {
            e.add(
                "expires_in_days",
                "must be between 1 and 365, or empty for no expiry",
            );
        }
        e.into_result()?;
        // A token may only narrow what its creator can do: an API-token actor cannot mint
        // broader tokens than its own scopes.
        if let crate::AuthMethod::ApiToken(own) = &user.via
            && scopes.iter().any(|s| !own.contains(s))
        {
            return Err(Error::field(
                "scopes",
                "a token cannot create a token with scopes it does not have",
            ));
        }
        let now = self.now();
        let token = secrets::new_token("trl_");
        let row = store::TokenRow {
            id: TokenId::new().as_uuid(),
            user_id: user.user_id.as_uuid(),
            kind: "api".into(),
            name: name.to_owned(),
            prefix: token.chars().take(12).collect(),
            token_hash: secrets::hash_token(&token),
            scopes: scopes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            created_at: now.millis(),
            last_used_at: None,
            expires_at: input.expires_in_days.map(|d| {
                now.plus(std::time::Duration::from_secs(u64::from(d) * 86_400))
                    .millis()
            }),
            revoked_at: None,
        };
        let mut tx = self.db().begin().await?;
        store::insert(&mut tx.exec(), &row).await?;
        let meta = ApiToken::try_from(row)?;
        self.record(
            &mut tx,
            actor,
            now,
            Change {
                action: "token.created",
                object_type: "api_token",
                object_id: meta.id.to_string(),
                org_id: Some(user.org_id),
                summary: format!(
                    "created API token {:?} ({})",
                    meta.name,
                    meta.scopes.join(" ")
                ),
                before: None,
                after: Some(json!(meta)),
                publish: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedToken { token, meta })
    }

    /// The acting user's API tokens, newest first.
    pub async fn list_tokens(&self, actor: &Actor, page: &PageRequest) -> Result<Page<ApiToken>> {
        actor.require(Permission::TokensManage)?;
        let user = actor.require_user()?;
        let (cursor, limit) = page.parse()?;
        let mut c = self.db().read().await?;
        let rows = store::list_api(
            &mut c.exec(),
            user.user_id.as_uuid(),
            cursor.as_ref(),
            limit,
        )
        .await?;
        let next = rows.next;
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(ApiToken::try_from)
                .collect::<Result<_>>()?,
            next,
        })
    }

    /// Reads one of the acting user's tokens.
    pub async fn get_token(&self, actor: &Actor, id: TokenId) -> Result<ApiToken> {
        actor.require(Permission::TokensManage)?;
        let user = actor.require_user()?;
        let mut c = self.db().read().await?;
        store::find_for_user(&mut c.exec(), user.user_id.as_uuid(), id.as_uuid())
            .await?
            .filter(|t| t.kind == "api")
            .ok_or(Error::NotFound)?
            .try_into()
    }

    /// Revokes one of the acting user's tokens. Revoking twice is not an error.
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<ApiToken> {
        actor.require(Permission::TokensManage)?;
        let user = actor.require_user()?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = store::find_for_user(&mut tx.exec(), user.user_id.as_uuid(), id.as_uuid())
            .await?
            .filter(|t| t.kind == "api")
            .ok_or(Error::NotFound)?;
        if store::revoke(&mut tx.exec(), row.id, now.millis()).await? {
            self.record(
                &mut tx,
                actor,
                now,
                Change {
                    action: "token.revoked",
                    object_type: "api_token",
                    object_id: id.to_string(),
                    org_id: Some(user.org_id),
                    summary: format!("revoked API token {:?}", row.name),
                    before: None,
                    after: None,
                    publish: false,
                },
            )
            .await?;
        }
        let fresh = store::find_for_user(&mut tx.exec(), user.user_id.as_uuid(), id.as_uuid())
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        self.access_changed();
        fresh.try_into()
    }
}
