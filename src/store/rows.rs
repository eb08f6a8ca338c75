//! Whole records of one table as entity models: by key, by keys, or all.
//! What import compares a document with and export writes.

use super::CHUNK;
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::str::FromStr;

/// A column of an entity by name; every record table has `id`, `key` and
/// the timestamps.
pub(super) fn column<E: EntityTrait>(name: &str) -> E::Column {
    E::Column::from_str(name)
        .unwrap_or_else(|_| unreachable!("every record table has a {name} column"))
}

/// The record with `key`.
pub async fn find_by_key<E: EntityTrait>(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<E::Model>, DbErr> {
    E::find()
        .filter(Expr::col(Alias::new("key")).eq(key))
        .one(db)
        .await
}

/// The records with the given keys (the others have none).
pub async fn find_by_keys<E: EntityTrait>(
    db: &impl ConnectionTrait,
    keys: &[&str],
) -> Result<Vec<E::Model>, DbErr> {
    let mut rows = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        let found = E::find()
            .filter(Expr::col(Alias::new("key")).is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        rows.extend(found);
    }
    Ok(rows)
}

/// Every record of the table, by id.
pub async fn find_all<E: EntityTrait>(db: &impl ConnectionTrait) -> Result<Vec<E::Model>, DbErr> {
    E::find()
        .order_by_asc(Expr::col(Alias::new("id")))
        .all(db)
        .await
}
