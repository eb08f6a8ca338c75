//! Writing records through their entities: replacing one row, inserting many
//! and getting them back with their ids, and setting the topic parents that
//! were written after their children. The timestamps are set here.

use super::CHUNK;
use super::rows::column;
use entity::topic;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Replaces the stored record `id` with `row`, changed `now`.
pub async fn update_row<E: EntityTrait>(
    db: &impl ConnectionTrait,
    mut row: E::ActiveModel,
    id: i32,
    now: DateTimeUtc,
) -> Result<(), DbErr>
where
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
{
    row.set(column::<E>("id"), id.into());
    row.set(column::<E>("updated_at"), now.into());
    E::update(row).exec(db).await?;
    Ok(())
}

/// Inserts new records, created `now`, many to a statement; the stored rows
/// (with their ids) in insert order.
pub async fn insert_rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
    now: DateTimeUtc,
) -> Result<Vec<E::Model>, DbErr>
where
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
{
    let mut stored = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().map(|mut row| {
        row.set(column::<E>("created_at"), now.into());
        row.set(column::<E>("updated_at"), now.into());
        row
    });
    loop {
        // Rows of up to 15 values: half a chunk of them stays within the
        // backends' limits on a statement's bound values.
        let chunk: Vec<_> = rows.by_ref().take(CHUNK / 2).collect();
        if chunk.is_empty() {
            return Ok(stored);
        }
        stored.extend(E::insert_many(chunk).exec_with_returning(db).await?);
    }
}

/// Inserts rows whose ids nobody needs back, `per_statement` rows to a
/// statement.
pub(super) async fn insert_all<E: EntityTrait>(
    db: &impl ConnectionTrait,
    rows: &[E::ActiveModel],
    per_statement: usize,
) -> Result<(), DbErr>
where
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    for chunk in rows.chunks(per_statement) {
        E::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Sets the parent of topic `id` unless it has one: for topics written
/// before their parent had an id.
pub async fn set_missing_topic_parent(
    db: &impl ConnectionTrait,
    id: i32,
    parent_id: i32,
) -> Result<(), DbErr> {
    topic::Entity::update_many()
        .col_expr(topic::Column::ParentId, Expr::value(parent_id))
        .filter(topic::Column::Id.eq(id))
        .filter(topic::Column::ParentId.is_null())
        .exec(db)
        .await?;
    Ok(())
}
