//! Rows of many records at once, as the API's loaders and the search
//! index read them: by id or key (any [`Record`], the change history's
//! included), and each protocol's parties in signing order.

use super::CHUNK;
use super::filters::{T, t};
use super::record::Record;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use std::collections::HashMap;

/// Rows of `M` whose `column` is one of `values`, in statements of at
/// most [`CHUNK`] values.
async fn rows_where_in<M: Record, V>(
    db: &impl ConnectionTrait,
    column: &'static str,
    values: &[V],
) -> Result<Vec<M>, DbErr>
where
    V: Into<sea_orm::Value> + Clone,
{
    let mut found = Vec::with_capacity(values.len());
    for chunk in values.chunks(CHUNK) {
        let mut select = Query::select();
        select.column((T, Asterisk));
        M::from_rows(&mut select);
        select.and_where(t(column).is_in(chunk.iter().cloned()));
        for row in db.query_all(&select).await? {
            found.push(M::from_query_result(&row, "")?);
        }
    }
    Ok(found)
}

/// Records of `M` with the given ids, in no set order.
pub async fn find_by_ids<M: Record>(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<M>, DbErr> {
    rows_where_in(db, "id", ids).await
}

/// Records of `M` by id.
pub async fn by_ids<M: Record>(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, M>, DbErr> {
    let rows: Vec<M> = find_by_ids(db, ids).await?;
    Ok(rows.into_iter().map(|row| (row.id(), row)).collect())
}

/// Records of `M` by key.
pub async fn by_keys<M: Record>(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashMap<String, M>, DbErr> {
    let rows: Vec<M> = rows_where_in(db, "key", keys).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.key().to_owned(), row))
        .collect())
}

/// Each protocol's parties, in signing order.
pub async fn parties(
    db: &impl ConnectionTrait,
    protocols: &[i32],
) -> Result<HashMap<i32, Vec<entity::city::Model>>, DbErr> {
    let select = Query::select()
        .column((T, Asterisk))
        .expr_as(Expr::col(("pp", "protocol_id")), Alias::new("tw_parent"))
        .from_as(entity::city::Entity, T)
        .join_as(
            JoinType::InnerJoin,
            entity::protocol_party::Entity,
            "pp",
            Expr::col(("pp", "city_id")).equals((T, "id")),
        )
        .and_where(Expr::col(("pp", "protocol_id")).is_in(protocols.iter().copied()))
        .order_by(("pp", "protocol_id"), Order::Asc)
        .order_by(("pp", "position"), Order::Asc)
        .to_owned();
    let mut parties: HashMap<i32, Vec<entity::city::Model>> = HashMap::new();
    for row in db.query_all(&select).await? {
        let protocol: i32 = row.try_get("", "tw_parent")?;
        let city = entity::city::Model::from_query_result(&row, "")?;
        parties.entry(protocol).or_default().push(city);
    }
    Ok(parties)
}
