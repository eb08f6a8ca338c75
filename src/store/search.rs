//! The search index: what text each record contributes, keeping it current
//! after writes, and running a ranked query on either backend (SQLite FTS5
//! or a PostgreSQL `tsvector`) behind one function.

use super::city_names::find_city_names;
use super::rows::find_by_ids;
use crate::domain::kinds::Kind;
use entity::{city, event, organization, partnership, protocol, source, topic, visit};
use sea_orm::sea_query::{
    Alias, BinOper, Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use std::collections::HashMap;

/// Text folded for case-insensitive comparison in any script.
pub fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The words of a query: letters and digits in any script, folded.
fn words(query: &str) -> Vec<String> {
    fold(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The SQLite rowid of an entry: kind and id in one integer, so that an
/// entry can be replaced without scanning the unindexed columns.
fn rowid(kind: Kind, id: i32) -> i64 {
    (i64::from(kind.search_code()) << 32) | i64::from(id)
}

/// The index table: FTS5 on SQLite, a `tsvector` table on PostgreSQL.
fn search_index() -> Alias {
    Alias::new("search_index")
}

/// Removes a deleted record's index entry.
pub async fn remove(db: &impl ConnectionTrait, kind: Kind, id: i32) -> Result<(), DbErr> {
    delete_entries(db, kind, &[id]).await
}

/// Replaces the index entries (and, for cities, the folded names) of the
/// given records.
pub async fn reindex(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    write_entries(db, kind, ids, true).await
}

/// Indexes records that have no entries yet (just created): no delete to
/// run first, which on a large, freshly filled table is the slow part.
pub async fn index_new(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    write_entries(db, kind, ids, false).await
}

async fn write_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
    replace: bool,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        let entries = entries(db, kind, chunk).await?;
        if replace {
            delete_entries(db, kind, chunk).await?;
        }
        insert_entries(db, kind, &entries).await?;
        if kind == Kind::City {
            city_search_names(db, chunk).await?;
        }
    }
    Ok(())
}

/// Deletes the entries of the given records of one kind: by rowid on
/// SQLite, the only column FTS5 can find a row by without a scan; by the
/// primary key on PostgreSQL.
async fn delete_entries(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    let mut delete = Query::delete();
    delete.from_table(search_index());
    match db.get_database_backend() {
        DbBackend::Postgres => delete
            .and_where(Expr::col(Alias::new("record_kind")).eq(kind.search_code()))
            .and_where(Expr::col(Alias::new("record_id")).is_in(ids.iter().copied())),
        _ => delete
            .and_where(Expr::col(Alias::new("rowid")).is_in(ids.iter().map(|id| rowid(kind, *id)))),
    };
    db.execute(&delete).await?;
    Ok(())
}

/// Inserts index entries `(id, name, body)` of one kind; on SQLite with
/// the rowid [`rowid`] gives them.
async fn insert_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    entries: &[(i32, String, String)],
) -> Result<(), DbErr> {
    let sqlite = db.get_database_backend() != DbBackend::Postgres;
    let mut columns = if sqlite { vec!["rowid"] } else { Vec::new() };
    columns.extend(["record_kind", "record_id", "name", "body"]);
    for rows in entries.chunks(200) {
        let mut insert = Query::insert();
        insert
            .into_table(search_index())
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for (id, name, body) in rows {
            let mut values: Vec<Expr> = Vec::with_capacity(columns.len());
            if sqlite {
                values.push(rowid(kind, *id).into());
            }
            values.extend([
                kind.search_code().into(),
                (*id).into(),
                name.clone().into(),
                body.clone().into(),
            ]);
            insert.values(values).map_err(super::built)?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// `(id, name, body)` of each record to index.
async fn entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
) -> Result<Vec<(i32, String, String)>, DbErr> {
    Ok(match kind {
        Kind::City => {
            let names = find_city_names(db, Some(ids)).await?;
            find_by_ids::<city::Entity>(db, ids)
                .await?
                .into_iter()
                .map(|c| {
                    let other = names.get(&c.id).map(|n| join_values(n)).unwrap_or_default();
                    (
                        c.id,
                        join(&[Some(&c.name), c.native_name.as_deref(), Some(&other)]),
                        join(&[c.region.as_deref(), Some(&c.country_code)]),
                    )
                })
                .collect()
        }
        Kind::Partnership => partnership_entries(db, ids).await?,
        Kind::Visit => find_by_ids::<visit::Entity>(db, ids)
            .await?
            .into_iter()
            .map(|v| {
                (
                    v.id,
                    v.purpose.clone().unwrap_or_default(),
                    join(&[v.summary.as_deref(), v.head_of_delegation.as_deref()]),
                )
            })
            .collect(),
        Kind::Protocol => find_by_ids::<protocol::Entity>(db, ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title, p.summary.unwrap_or_default()))
            .collect(),
        Kind::Event => find_by_ids::<event::Entity>(db, ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name, e.description.unwrap_or_default()))
            .collect(),
        Kind::Topic => find_by_ids::<topic::Entity>(db, ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name, t.description.unwrap_or_default()))
            .collect(),
        Kind::Organization => find_by_ids::<organization::Entity>(db, ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name, String::new()))
            .collect(),
        Kind::Source => find_by_ids::<source::Entity>(db, ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s.title, s.publisher.unwrap_or_default()))
            .collect(),
    })
}

/// The present parts, separated by spaces.
fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A city's translations, separated by spaces.
fn join_values(names: &std::collections::BTreeMap<String, String>) -> String {
    names
        .values()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A partnership's entry: its cities' names, and its notes.
async fn partnership_entries(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<(i32, String, String)>, DbErr> {
    let rows = find_by_ids::<partnership::Entity>(db, ids).await?;
    let city_ids: Vec<i32> = rows
        .iter()
        .flat_map(|p| [p.city_a_id, p.city_b_id])
        .collect();
    let cities: HashMap<i32, city::Model> = find_by_ids::<city::Entity>(db, &city_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let city_name = |id: i32| {
        cities
            .get(&id)
            .map(|c| join(&[Some(&c.name), c.native_name.as_deref()]))
            .unwrap_or_default()
    };
    Ok(rows
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!("{} {}", city_name(p.city_a_id), city_name(p.city_b_id)),
                p.notes.unwrap_or_default(),
            )
        })
        .collect())
}

/// Rebuilds the folded names of the given cities.
async fn city_search_names(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    let table = || Alias::new("city_search_name");
    let delete = Query::delete()
        .from_table(table())
        .and_where(Expr::col(Alias::new("city_id")).is_in(ids.iter().copied()))
        .to_owned();
    db.execute(&delete).await?;
    let names = find_city_names(db, Some(ids)).await?;
    let mut rows: Vec<(i32, String)> = Vec::new();
    for c in find_by_ids::<city::Entity>(db, ids).await? {
        let mut folded: Vec<String> = [Some(c.name.as_str()), c.native_name.as_deref()]
            .into_iter()
            .flatten()
            .map(fold)
            .collect();
        folded.extend(
            names
                .get(&c.id)
                .into_iter()
                .flat_map(|n| n.values())
                .map(|n| fold(n)),
        );
        folded.sort_unstable();
        folded.dedup();
        rows.extend(folded.into_iter().map(|f| (c.id, f)));
    }
    for chunk in rows.chunks(500) {
        let mut insert = Query::insert();
        insert
            .into_table(table())
            .columns([Alias::new("city_id"), Alias::new("name_folded")]);
        for (id, name) in chunk {
            insert
                .values([(*id).into(), name.clone().into()])
                .map_err(super::built)?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// One hit: the record and its rank (lower is better on both backends).
pub struct Hit {
    pub kind: Kind,
    pub id: i32,
    pub rank: f64,
}

/// The ranked hits for a query after a cursor `(rank, kind, id)`. Every word
/// must match (as a prefix of a word in the record); the name counts ten
/// times as much as the rest of the text.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    types: &[Kind],
    after: Option<(f64, i16, i32)>,
    limit: usize,
) -> Result<Vec<Hit>, DbErr> {
    let words = words(query);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let select = hits(db.get_database_backend(), &words, types, after, limit);
    let rows = db.query_all(&select).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: i64 = row
            .try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i16>(0).map(i64::from))?;
        let id: i64 = row
            .try_get_by_index::<i64>(1)
            .or_else(|_| row.try_get_by_index::<i32>(1).map(i64::from))?;
        let rank: f64 = row.try_get_by_index(2)?;
        if let (Some(kind), Ok(id)) = (Kind::from_search_code(kind), i32::try_from(id)) {
            hits.push(Hit { kind, id, rank });
        }
    }
    Ok(hits)
}

/// The statement behind [`search`]: the ranked matches of `words`, of the
/// given kinds (all if none), after the cursor, `limit` of them.
fn hits(
    backend: DbBackend,
    words: &[String],
    types: &[Kind],
    after: Option<(f64, i16, i32)>,
    limit: usize,
) -> SelectStatement {
    let s = Alias::new("s");
    let column = |name: &str| Expr::col((s.clone(), Alias::new(name)));
    let mut select = Query::select();
    select
        .exprs([column("record_kind"), column("record_id"), column("rank")])
        .from_subquery(ranked(backend, words), s.clone());
    if !types.is_empty() {
        select.and_where(column("record_kind").is_in(types.iter().map(|t| t.search_code())));
    }
    if let Some(cursor) = after {
        select.cond_where(after_cursor(&column, cursor));
    }
    select
        .order_by((s.clone(), Alias::new("rank")), Order::Asc)
        .order_by((s.clone(), Alias::new("record_kind")), Order::Asc)
        .order_by((s, Alias::new("record_id")), Order::Asc)
        .limit(u64::try_from(limit).unwrap_or(u64::MAX));
    select
}

/// The hits after a cursor in `(rank, record_kind, record_id)` order.
fn after_cursor(column: &impl Fn(&str) -> Expr, (rank, kind, id): (f64, i16, i32)) -> Cond {
    let same_kind = Cond::all()
        .add(column("record_kind").eq(kind))
        .add(column("record_id").gt(id));
    let same_rank = Cond::all().add(column("rank").eq(rank)).add(
        Cond::any()
            .add(column("record_kind").gt(kind))
            .add(same_kind),
    );
    Cond::any().add(column("rank").gt(rank)).add(same_rank)
}

/// `(record_kind, record_id, rank)` of every entry that matches all `words`
/// as prefixes, lower ranks better. Full-text matching and ranking have no
/// sea-query form on either backend, so their SQL text is here, once per
/// backend:
/// - SQLite: FTS5's `MATCH` with a query of quoted prefixes (`"word"*`),
///   ranked by `bm25` with the name weighing 10 and the body 1 (the kind and
///   id columns are unindexed: 0).
/// - PostgreSQL: the stored `document` (name weighted A, body B) `@@` a
///   `to_tsquery` of prefixes (`word:*`), ranked by `ts_rank` with weights
///   (D 0.1, C 0.2, B 0.4, A 1.0) and negated, so that lower is better as
///   with `bm25`.
fn ranked(backend: DbBackend, words: &[String]) -> SelectStatement {
    let mut select = Query::select();
    select
        .columns([Alias::new("record_kind"), Alias::new("record_id")])
        .from(search_index());
    match backend {
        DbBackend::Postgres => {
            let prefixes: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            let tsquery = Func::cust("to_tsquery")
                .arg(Expr::cust("'simple'"))
                .arg(prefixes.join(" & "));
            select
                .expr_as(
                    Expr::cust("-(ts_rank('{0.1, 0.2, 0.4, 1.0}', document, q)::float8)"),
                    Alias::new("rank"),
                )
                .from_function(tsquery, Alias::new("q"))
                .and_where(Expr::cust("document @@ q"))
        }
        _ => {
            let prefixes: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            select
                .expr_as(
                    Expr::cust("bm25(search_index, 0.0, 0.0, 10.0, 1.0)"),
                    Alias::new("rank"),
                )
                .and_where(
                    Expr::col(search_index())
                        .binary(BinOper::Custom("MATCH"), prefixes.join(" AND ")),
                )
        }
    };
    select
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    #[test]
    fn each_backend_ranks_its_own_full_text_match_after_the_cursor() {
        let words = words("Cerebral  palsy!");
        let select = hits(
            DbBackend::Sqlite,
            &words,
            &[Kind::Visit],
            Some((-1.5, 3, 7)),
            20,
        );
        assert_eq!(
            select.build(SqliteQueryBuilder).0,
            r#"SELECT "s"."record_kind", "s"."record_id", "s"."rank" FROM (SELECT "record_kind", "record_id", bm25(search_index, 0.0, 0.0, 10.0, 1.0) AS "rank" FROM "search_index" WHERE "search_index" MATCH ?) AS "s" WHERE "s"."record_kind" IN (?) AND ("s"."rank" > ? OR ("s"."rank" = ? AND ("s"."record_kind" > ? OR ("s"."record_kind" = ? AND "s"."record_id" > ?)))) ORDER BY "s"."rank" ASC, "s"."record_kind" ASC, "s"."record_id" ASC LIMIT ?"#
        );
        let (sql, values) =
            hits(DbBackend::Postgres, &words, &[], None, 20).build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "s"."record_kind", "s"."record_id", "s"."rank" FROM (SELECT "record_kind", "record_id", -(ts_rank('{0.1, 0.2, 0.4, 1.0}', document, q)::float8) AS "rank" FROM "search_index", to_tsquery('simple', $1) AS "q" WHERE document @@ q) AS "s" ORDER BY "s"."rank" ASC, "s"."record_kind" ASC, "s"."record_id" ASC LIMIT $2"#
        );
        assert_eq!(values.0[0], "cerebral:* & palsy:*".into());
    }
}
