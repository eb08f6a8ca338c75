//! Whole records of one table as entity models: by key, by keys, or all.
//! What import compares a document with and export writes.

use super::CHUNK;
use crate::domain::kinds::Kind;
use entity::{city, event, organization, partnership, protocol, source, topic, visit};
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
    super::first(db, E::find().filter(Expr::col(Alias::new("key")).eq(key))).await
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

/// A record of any kind, as its entity model.
#[derive(Clone, Debug)]
pub enum AnyRow {
    City(city::Model),
    Partnership(partnership::Model),
    Visit(visit::Model),
    Protocol(protocol::Model),
    Event(event::Model),
    Topic(topic::Model),
    Organization(organization::Model),
    Source(source::Model),
}

/// The record of `kind` with `key`.
pub async fn find_any_by_key(
    db: &impl ConnectionTrait,
    kind: Kind,
    key: &str,
) -> Result<Option<AnyRow>, DbErr> {
    Ok(match kind {
        Kind::City => find_by_key::<city::Entity>(db, key)
            .await?
            .map(AnyRow::City),
        Kind::Partnership => find_by_key::<partnership::Entity>(db, key)
            .await?
            .map(AnyRow::Partnership),
        Kind::Visit => find_by_key::<visit::Entity>(db, key)
            .await?
            .map(AnyRow::Visit),
        Kind::Protocol => find_by_key::<protocol::Entity>(db, key)
            .await?
            .map(AnyRow::Protocol),
        Kind::Event => find_by_key::<event::Entity>(db, key)
            .await?
            .map(AnyRow::Event),
        Kind::Topic => find_by_key::<topic::Entity>(db, key)
            .await?
            .map(AnyRow::Topic),
        Kind::Organization => find_by_key::<organization::Entity>(db, key)
            .await?
            .map(AnyRow::Organization),
        Kind::Source => find_by_key::<source::Entity>(db, key)
            .await?
            .map(AnyRow::Source),
    })
}
