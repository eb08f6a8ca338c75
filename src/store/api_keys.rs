//! API keys in the database: create, list, revoke, and the principal a
//! presented key stands for. Only a SHA-256 hash of each key is stored,
//! compared in constant time.

use super::Db;
use crate::domain::access::{Principal, Role, Scope, new_key, sha256_hex};
use chrono::{DateTime, Utc};
use entity::api_key;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use subtle::ConstantTimeEq;

/// Why a presented key was refused. The message never says which part was
/// wrong, so that probing keys learns nothing.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the API key is not valid")]
    InvalidKey,
    #[error("internal error")]
    Database(#[from] DbErr),
}

/// A key to create.
#[derive(Clone, Debug)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: Role,
    /// The key may run only the server's trusted documents.
    pub trusted_documents_only: bool,
    /// The cities it may change records of; `None`: every record.
    pub scope: Option<&'a Scope>,
}

/// Creates a key; returns the key itself, which is shown this once only.
pub async fn create_key(db: &Db, new: NewKey<'_>) -> Result<String, String> {
    let NewKey {
        name,
        role,
        trusted_documents_only,
        scope,
    } = new;
    let (key, prefix, hash) = new_key().map_err(|e| format!("no randomness available: {e}"))?;
    let now = chrono::Utc::now();
    api_key::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role.as_str().to_owned()),
        trusted_documents_only: Set(trusted_documents_only),
        scope: Set(scope.map(Scope::to_string)),
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
pub async fn list_keys(db: &Db) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revokes the key with this name; false if there is none.
pub async fn revoke_key(db: &Db, name: &str) -> Result<bool, DbErr> {
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
        crate::store::notify::announce(
            db,
            &crate::store::notify::Signal::KeyRevoked(name.to_owned()),
        )
        .await?;
    }
    Ok(result.rows_affected > 0)
}

/// `(name, revoked at)` of the keys revoked after `after`, in that order.
pub async fn find_revoked_since(
    db: &Db,
    after: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>, DbErr> {
    let select = Query::select()
        .columns([api_key::Column::Name, api_key::Column::RevokedAt])
        .from(api_key::Entity)
        .and_where(Expr::col(api_key::Column::RevokedAt).gt(after))
        .order_by(api_key::Column::RevokedAt, Order::Asc)
        .to_owned();
    super::lookup::pairs(db, &select).await
}

/// The principal for an `Authorization` header value (or its absence).
pub async fn authenticate(db: &Db, authorization: Option<&str>) -> Result<Principal, AuthError> {
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
    let select = api_key::Entity::find().filter(api_key::Column::Prefix.eq(prefix));
    let Some(stored) = super::first(db, select).await? else {
        return Err(AuthError::InvalidKey);
    };
    let presented = sha256_hex(key);
    let matches: bool = presented.as_bytes().ct_eq(stored.hash.as_bytes()).into();
    // A stored scope that no longer reads (edited by hand) refuses the key
    // rather than widening it to every city.
    let scope = stored.scope.as_deref().map(Scope::parse).transpose();
    match (matches, stored.revoked_at, Role::parse(&stored.role), scope) {
        (true, None, Some(role), Ok(scope)) => Ok(Principal::Key {
            name: stored.name,
            role,
            trusted_documents_only: stored.trusted_documents_only,
            scope,
        }),
        _ => Err(AuthError::InvalidKey),
    }
}
