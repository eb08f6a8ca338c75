//! API keys and roles: who is asking, and what they may do.
//!
//! A key looks like `tw_<prefix>_<secret>`. The prefix finds the stored row;
//! only a SHA-256 hash of the whole key is stored, compared in constant
//! time. Clients send `Authorization: Bearer <key>` (over WebSocket: the
//! same in the `connection_init` payload).

use async_graphql::{Context, Guard};
use entity::api_key;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a key may do; each role includes the ones before it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, async_graphql::Enum,
)]
pub enum Role {
    /// Read everything (also what anonymous clients may when public reads are on).
    Reader,
    /// Read and write records.
    Editor,
    /// Also manage keys and read the change history.
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Role::Reader, Role::Editor, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// Who is making a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No key was sent.
    Anonymous,
    /// A valid key.
    Key {
        name: String,
        role: Role,
        /// It may run only the server's trusted documents.
        trusted_documents_only: bool,
    },
}

impl Principal {
    /// The name recorded in the change history.
    pub fn actor(&self) -> &str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::Key { name, .. } => name,
        }
    }

    /// The role, if any.
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Anonymous => None,
            Principal::Key { role, .. } => Some(*role),
        }
    }
}

/// Why a presented key was refused. The message never says which part was
/// wrong, so that probing keys learns nothing.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the API key is not valid")]
    InvalidKey,
    #[error("internal error")]
    Database(#[from] DbErr),
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random key, its prefix, and its hash.
fn new_key() -> Result<(String, String, String), getrandom::Error> {
    let mut bytes = [0u8; 30];
    getrandom::fill(&mut bytes)?;
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let (prefix, secret) = text.split_at(12);
    let key = format!("tw_{prefix}_{secret}");
    let hash = sha256_hex(&key);
    Ok((key, prefix.to_owned(), hash))
}

/// A key to create.
#[derive(Clone, Debug)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: Role,
    /// The key may run only the server's trusted documents.
    pub trusted_documents_only: bool,
}

/// Creates a key; returns the key itself, which is shown this once only.
pub async fn create_key(db: &DatabaseConnection, new: NewKey<'_>) -> Result<String, String> {
    let NewKey {
        name,
        role,
        trusted_documents_only,
    } = new;
    let (key, prefix, hash) = new_key().map_err(|e| format!("no randomness available: {e}"))?;
    let now = chrono::Utc::now();
    api_key::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role.as_str().to_owned()),
        trusted_documents_only: Set(trusted_documents_only),
        prefix: Set(prefix),
        hash: Set(hash),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            format!("a key named {name:?} already exists")
        }
        _ => e.to_string(),
    })?;
    Ok(key)
}

/// Every key, newest first.
pub async fn list_keys(db: &DatabaseConnection) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revokes the key with this name; false if there is none.
pub async fn revoke_key(db: &DatabaseConnection, name: &str) -> Result<bool, DbErr> {
    let now = chrono::Utc::now();
    let result = api_key::Entity::update_many()
        .col_expr(
            api_key::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            api_key::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_key::Column::Name.eq(name))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected > 0 {
        // Other servers close the key's subscriptions (on PostgreSQL).
        crate::live::announce(db, &crate::live::Signal::KeyRevoked(name.to_owned())).await?;
    }
    Ok(result.rows_affected > 0)
}

/// The principal for an `Authorization` header value (or its absence).
pub async fn authenticate(
    db: &DatabaseConnection,
    authorization: Option<&str>,
) -> Result<Principal, AuthError> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Principal::Anonymous);
    };
    let key = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value)
        .trim();
    let prefix = key
        .strip_prefix("tw_")
        .and_then(|rest| rest.split('_').next())
        .ok_or(AuthError::InvalidKey)?;
    let Some(stored) = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(prefix))
        .one(db)
        .await?
    else {
        return Err(AuthError::InvalidKey);
    };
    let presented = sha256_hex(key);
    let matches: bool = presented.as_bytes().ct_eq(stored.hash.as_bytes()).into();
    match (matches, stored.revoked_at, Role::parse(&stored.role)) {
        (true, None, Some(role)) => Ok(Principal::Key {
            name: stored.name,
            role,
            trusted_documents_only: stored.trusted_documents_only,
        }),
        _ => Err(AuthError::InvalidKey),
    }
}

/// Allows a field only to principals with at least `role`: anonymous
/// clients get `UNAUTHENTICATED`, too low a role gets `FORBIDDEN`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = ctx
            .data_opt::<Principal>()
            .cloned()
            .unwrap_or(Principal::Anonymous);
        match principal.role() {
            None => Err(crate::error::AppError::Unauthenticated.into()),
            Some(role) if role < self.0 => Err(crate::error::AppError::Forbidden(self.0).into()),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hashed() {
        let (a, prefix, hash) = new_key().expect("randomness");
        let (b, _, _) = new_key().expect("randomness");
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("tw_{prefix}_")));
        assert_eq!(hash, sha256_hex(&a));
        assert_eq!(hash.len(), 64);
    }
}
