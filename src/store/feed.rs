//! The change feed's reads: change sets after a cursor and below the
//! horizon (every id below it is settled, see [`super::horizon`]), in id
//! order, their changes, and the history of the records they touched, from
//! which the feed rebuilds each record's content as of each change set.

use entity::{change, change_set};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

/// A change set as the feed shows it: no actor, scope or operation.
#[derive(Clone, Debug, FromQueryResult)]
pub struct FeedSet {
    pub id: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A change as the feed reads it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct FeedChange {
    pub id: i32,
    pub change_set_id: i32,
    pub record_type: String,
    pub record_key: String,
    pub action: String,
    pub after: Option<String>,
}

impl FeedChange {
    /// The changes as the feed reads them, in the order they were made.
    fn select() -> SelectStatement {
        Query::select()
            .columns([
                change::Column::Id,
                change::Column::ChangeSetId,
                change::Column::RecordType,
                change::Column::RecordKey,
                change::Column::Action,
                change::Column::After,
            ])
            .from(change::Entity)
            .order_by(change::Column::ChangeSetId, Order::Asc)
            .order_by(change::Column::Id, Order::Asc)
            .to_owned()
    }
}

/// Up to `limit` change sets after change set `after` and below `horizon`
/// (see [`super::horizon::find_horizon`]), in id order; with `types`, only
/// those that changed a record of one of them.
pub async fn find_sets_after(
    db: &impl ConnectionTrait,
    after: i32,
    horizon: i32,
    types: Option<&[String]>,
    limit: u64,
) -> Result<Vec<FeedSet>, DbErr> {
    let mut select = Query::select();
    select
        .columns([change_set::Column::Id, change_set::Column::CreatedAt])
        .from(change_set::Entity)
        .and_where(Expr::col(change_set::Column::Id).gt(after))
        .and_where(Expr::col(change_set::Column::Id).lt(horizon))
        .order_by(change_set::Column::Id, Order::Asc);
    if let Some(types) = types {
        let touched = Query::select()
            .column(change::Column::ChangeSetId)
            .from(change::Entity)
            .and_where(Expr::col(change::Column::ChangeSetId).gt(after))
            .and_where(Expr::col(change::Column::RecordType).is_in(types.iter().cloned()))
            .to_owned();
        select.and_where(Expr::col(change_set::Column::Id).in_subquery(touched));
    }
    FeedSet::find_by_statement(super::limited(db.get_database_backend(), &select, limit))
        .all(db)
        .await
}

/// Every change of the records of `types` and `keys` (both, or any type
/// when `types` is `None`) up to change set `up_to`, in the order they
/// were made: a record's history, to fold into its content.
pub async fn find_histories(
    db: &impl ConnectionTrait,
    types: &[String],
    keys: &[String],
    up_to: i32,
) -> Result<Vec<FeedChange>, DbErr> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(super::CHUNK) {
        let select = FeedChange::select()
            .and_where(Expr::col(change::Column::ChangeSetId).lte(up_to))
            .and_where(Expr::col(change::Column::RecordType).is_in(types.iter().cloned()))
            .and_where(Expr::col(change::Column::RecordKey).is_in(chunk.iter().cloned()))
            .to_owned();
        rows.extend(
            FeedChange::find_by_statement(db.get_database_backend().build(&select))
                .all(db)
                .await?,
        );
    }
    rows.sort_by_key(|row| (row.change_set_id, row.id));
    Ok(rows)
}

/// The changes of change sets `from..=to`, in the order they were made.
pub async fn find_changes_between(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<Vec<FeedChange>, DbErr> {
    let select = FeedChange::select()
        .and_where(Expr::col(change::Column::ChangeSetId).gte(from))
        .and_where(Expr::col(change::Column::ChangeSetId).lte(to))
        .to_owned();
    FeedChange::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await
}
