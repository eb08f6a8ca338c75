//! Records by key without their content: which ids given keys name (and the
//! reverse), whether a record exists, when it last changed, and the stored
//! topic tree as key pairs. What import's resolution and the write API's
//! checks ask before they write.

use super::CHUNK;
use crate::domain::kinds::Kind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, JoinType, LockType, Query, SelectStatement, UnionType,
};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, TryGetable, Value};
use std::collections::HashSet;

/// `SELECT id, key FROM <kind's table>`.
fn ids_and_keys(kind: Kind) -> SelectStatement {
    Query::select()
        .columns([Alias::new("id"), Alias::new("key")])
        .from(Alias::new(kind.table()))
        .to_owned()
}

/// The first two columns of every row a statement returns.
pub(super) async fn pairs<A: TryGetable, B: TryGetable>(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Vec<(A, B)>, DbErr> {
    db.query_all(select)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

/// `(id, key)` of every record of `kind`.
pub async fn find_all_keys(
    db: &impl ConnectionTrait,
    kind: Kind,
) -> Result<Vec<(i32, String)>, DbErr> {
    pairs(db, &ids_and_keys(kind)).await
}

/// `(id, key)` of the records of `kind` that `keys` name (the others have
/// none).
pub async fn find_ids_by_keys(
    db: &impl ConnectionTrait,
    kind: Kind,
    keys: &[&str],
) -> Result<Vec<(i32, String)>, DbErr> {
    find_where_in(db, kind, "key", keys).await
}

/// `(kind, id, key)` of the records that `wanted` names, a list of keys
/// for each kind. Few keys of several kinds (what one mutation names) go in
/// one statement, a `UNION ALL` of one select per kind, as long as their
/// keys stay within [`CHUNK`]; a longer list goes alone, a chunk to a
/// statement.
pub async fn find_ids_by_kinds_and_keys(
    db: &impl ConnectionTrait,
    wanted: &[(Kind, Vec<&str>)],
) -> Result<Vec<(Kind, i32, String)>, DbErr> {
    let mut found = Vec::new();
    let mut union: Option<(SelectStatement, usize)> = None;
    for (kind, keys) in wanted.iter().filter(|(_, keys)| !keys.is_empty()) {
        if keys.len() > CHUNK {
            let pairs = find_ids_by_keys(db, *kind, keys).await?;
            found.extend(pairs.into_iter().map(|(id, key)| (*kind, id, key)));
            continue;
        }
        // The statement so far is full: run it, start another.
        if let Some((select, count)) = &union
            && count + keys.len() > CHUNK
        {
            found.extend(tagged(db, select).await?);
            union = None;
        }
        // Each row tagged with its kind's table: keys are unique per kind.
        let select = Query::select()
            .expr(Expr::val(kind.table()))
            .columns([Alias::new("id"), Alias::new("key")])
            .from(Alias::new(kind.table()))
            .and_where(Expr::col(Alias::new("key")).is_in(keys.iter().copied()))
            .to_owned();
        union = Some(match union {
            None => (select, keys.len()),
            Some((mut all, count)) => {
                all.union(UnionType::All, select);
                (all, count + keys.len())
            }
        });
    }
    if let Some((select, _)) = union {
        found.extend(tagged(db, &select).await?);
    }
    Ok(found)
}

/// The rows of a select of `(table, id, key)`, the table read as its kind.
async fn tagged(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Vec<(Kind, i32, String)>, DbErr> {
    db.query_all(select)
        .await?
        .iter()
        .map(|row| {
            let table: String = row.try_get_by_index(0)?;
            let kind = Kind::from_table(&table)
                .ok_or_else(|| DbErr::Custom(format!("no kind is stored in {table:?}")))?;
            Ok((kind, row.try_get_by_index(1)?, row.try_get_by_index(2)?))
        })
        .collect()
}

/// `(id, key)` of the records of `kind` with the given ids.
pub async fn find_keys_by_ids(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
) -> Result<Vec<(i32, String)>, DbErr> {
    find_where_in(db, kind, "id", ids).await
}

/// `(id, key)` of the records of `kind` whose `column` is among `values`,
/// a chunk of values to a statement.
async fn find_where_in<V: Into<Value> + Copy>(
    db: &impl ConnectionTrait,
    kind: Kind,
    column: &str,
    values: &[V],
) -> Result<Vec<(i32, String)>, DbErr> {
    let mut found = Vec::with_capacity(values.len());
    for chunk in values.chunks(CHUNK) {
        let select = ids_and_keys(kind)
            .and_where(Expr::col(Alias::new(column)).is_in(chunk.iter().copied()))
            .to_owned();
        found.extend(pairs(db, &select).await?);
    }
    Ok(found)
}

/// The keys among `keys` that no record of `kind` has, in their order.
pub async fn find_missing_keys(
    db: &impl ConnectionTrait,
    kind: Kind,
    keys: &[String],
) -> Result<Vec<String>, DbErr> {
    let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    let found: HashSet<String> = find_ids_by_keys(db, kind, &wanted)
        .await?
        .into_iter()
        .map(|(_, key)| key)
        .collect();
    Ok(keys
        .iter()
        .filter(|k| !found.contains(*k))
        .cloned()
        .collect())
}

/// The first column of the one row a statement returns, if any.
async fn first_value<T: TryGetable>(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Option<T>, DbErr> {
    db.query_one(select)
        .await?
        .as_ref()
        .map(|row: &QueryResult| row.try_get_by_index(0))
        .transpose()
}

/// The id of the record of `kind` with `key`.
pub async fn find_id_by_key(
    db: &impl ConnectionTrait,
    kind: Kind,
    key: &str,
) -> Result<Option<i32>, DbErr> {
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(kind.table()))
        .and_where(Expr::col(Alias::new("key")).eq(key))
        .to_owned();
    first_value(db, &select).await
}

/// Whether no record of `kind` is stored.
pub async fn is_empty(db: &impl ConnectionTrait, kind: Kind) -> Result<bool, DbErr> {
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(kind.table()))
        .limit(1)
        .to_owned();
    Ok(first_value::<i32>(db, &select).await?.is_none())
}

/// When the record of `kind` with `key` last changed, if it exists. On
/// PostgreSQL the row stays locked until the transaction ends, so that a
/// concurrent writer waits and then reads the new time (SQLite's write
/// transaction already excludes it, and sea-query leaves the lock out there).
pub async fn find_updated_at_for_update(
    db: &impl ConnectionTrait,
    kind: Kind,
    key: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let select = Query::select()
        .column(Alias::new("updated_at"))
        .from(Alias::new(kind.table()))
        .and_where(Expr::col(Alias::new("key")).eq(key))
        .lock(LockType::Update)
        .to_owned();
    first_value(db, &select).await
}

/// `(topic key, parent key)` of every stored topic that has a parent.
pub async fn find_topic_parents(db: &impl ConnectionTrait) -> Result<Vec<(String, String)>, DbErr> {
    let (t, p) = (Alias::new("t"), Alias::new("p"));
    let select = Query::select()
        .expr(Expr::col((t.clone(), Alias::new("key"))))
        .expr(Expr::col((p.clone(), Alias::new("key"))))
        .from_as(Alias::new("topic"), t.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new("topic"),
            p.clone(),
            Expr::col((p, Alias::new("id"))).equals((t, Alias::new("parent_id"))),
        )
        .to_owned();
    pairs(db, &select).await
}
