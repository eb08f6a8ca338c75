//! API key management over GraphQL, for admins: the same as
//! `twinning keys create|list|revoke`.

use super::UserError;
use crate::domain::access::{Role, Scope};
use crate::error::Result;
use crate::graphql::db;
use crate::graphql::guards::RoleGuard;
use crate::interchange::ProblemCode;
use crate::store::api_keys as auth;
use async_graphql::{Context, InputObject, Object, SimpleObject};

/// An API key as admins see it: never the key itself.
#[derive(SimpleObject)]
pub struct ApiKey {
    /// Its name.
    pub name: String,
    /// What it may do.
    pub role: Option<Role>,
    /// The public prefix clients' keys start with (`tw_<prefix>_…`).
    pub prefix: String,
    /// It may run only the server's trusted documents.
    pub trusted_documents_only: bool,
    /// The city keys whose records it may change; null when it may change
    /// every record.
    pub scope: Option<Vec<String>>,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<entity::api_key::Model> for ApiKey {
    fn from(key: entity::api_key::Model) -> Self {
        let role = [Role::Reader, Role::Editor, Role::Admin]
            .into_iter()
            .find(|r| format!("{r:?}").eq_ignore_ascii_case(&key.role));
        Self {
            name: key.name,
            role,
            prefix: key.prefix,
            trusted_documents_only: key.trusted_documents_only,
            scope: key.scope.map(|s| s.split(',').map(str::to_owned).collect()),
            created_at: key.created_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A key to create.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// A name for it, such as the partner system that uses it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// It may run only the server's trusted documents (the `.graphql`
    /// files of `twinning serve --trusted-documents DIR`).
    #[graphql(default)]
    pub trusted_documents_only: bool,
    /// The city keys whose records an editor key may change (the cities
    /// themselves, their organizations, the partnerships, visits and
    /// protocols they are a party to, the events they host); left out, it
    /// may change every record. Only editor keys take a scope.
    pub scope: Option<Vec<String>>,
}

/// A key to revoke.
#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    /// The key's name.
    pub name: String,
}

/// The result of `createApiKey`.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    /// The key itself: shown this once, only its hash is stored.
    pub key: Option<String>,
    /// The key's record.
    pub api_key: Option<ApiKey>,
    /// Why it was refused.
    pub user_errors: Vec<UserError>,
}

/// The result of `revokeApiKey`.
#[derive(SimpleObject)]
pub struct RevokeApiKeyPayload {
    /// The name of the key revoked.
    pub revoked: Option<String>,
    /// Why nothing was revoked.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct KeyQuery;

#[Object]
impl KeyQuery {
    /// Every API key, newest first (admins only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        Ok(auth::list_keys(db(ctx))
            .await?
            .into_iter()
            .map(ApiKey::from)
            .collect())
    }
}

/// The scope a new key asks for, if it may have one: only editors do (a
/// scoped admin could make itself an unscoped key).
fn checked_scope(
    role: Role,
    scope: Option<&[String]>,
) -> std::result::Result<Option<Scope>, UserError> {
    let Some(cities) = scope else {
        return Ok(None);
    };
    let invalid =
        |message: String| UserError::new(&["input", "scope"], ProblemCode::InvalidValue, message);
    if role != Role::Editor {
        return Err(invalid(format!(
            "only editor keys take a scope, not {} keys",
            role.as_str()
        )));
    }
    Scope::new(cities)
        .map(Some)
        .map_err(|e| invalid(e.to_string()))
}

#[derive(Default)]
pub struct KeyMutation;

#[Object]
impl KeyMutation {
    /// Creates an API key (admins only); the key is in the payload, once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        if input.name.trim().is_empty() || input.name.len() > 120 {
            let error = UserError::new(
                &["input", "name"],
                ProblemCode::InvalidValue,
                "a key needs a name of 1 to 120 characters",
            );
            return Ok(CreateApiKeyPayload {
                key: None,
                api_key: None,
                user_errors: vec![error],
            });
        }
        let scope = match checked_scope(input.role, input.scope.as_deref()) {
            Ok(scope) => scope,
            Err(error) => {
                return Ok(CreateApiKeyPayload {
                    key: None,
                    api_key: None,
                    user_errors: vec![error],
                });
            }
        };
        let new = auth::NewKey {
            name: &input.name,
            role: input.role,
            trusted_documents_only: input.trusted_documents_only,
            scope: scope.as_ref(),
        };
        match auth::create_key(db(ctx), new).await {
            Ok(key) => {
                let record = auth::list_keys(db(ctx))
                    .await?
                    .into_iter()
                    .find(|k| k.name == input.name)
                    .map(ApiKey::from);
                Ok(CreateApiKeyPayload {
                    key: Some(key),
                    api_key: record,
                    user_errors: Vec::new(),
                })
            }
            Err(message) => Ok(CreateApiKeyPayload {
                key: None,
                api_key: None,
                user_errors: vec![UserError::new(
                    &["input", "name"],
                    ProblemCode::DuplicateKey,
                    message,
                )],
            }),
        }
    }

    /// Revokes an API key by name (admins only): it stops working at once.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; see the input type.")] input: RevokeApiKeyInput,
    ) -> Result<RevokeApiKeyPayload> {
        if auth::revoke_key(db(ctx), &input.name).await? {
            ctx.data_unchecked::<crate::live::Live>()
                .committed(crate::store::notify::Signal::KeyRevoked(input.name.clone()));
            Ok(RevokeApiKeyPayload {
                revoked: Some(input.name),
                user_errors: Vec::new(),
            })
        } else {
            let error = UserError::new(
                &["input", "name"],
                ProblemCode::NotFound,
                format!("no active key named {:?}", input.name),
            );
            Ok(RevokeApiKeyPayload {
                revoked: None,
                user_errors: vec![error],
            })
        }
    }
}
