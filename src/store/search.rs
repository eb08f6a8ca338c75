//! Searching: a ranked full-text query on either backend (SQLite FTS5 or a
//! PostgreSQL `tsvector`) behind one function. [`super::search_index`]
//! keeps the index current.

use super::search_index::{fold, search_index};
use crate::domain::kinds::Kind;
use sea_orm::sea_query::{
    Alias, BinOper, Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// The words of a query: letters and digits in any script, folded.
fn words(query: &str) -> Vec<String> {
    fold(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
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
    let backend = db.get_database_backend();
    let select = hits(backend, &words, types, after);
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    let rows = db
        .query_all_raw(super::limited(backend, &select, limit))
        .await?;
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
/// given kinds (all if none), after the cursor, in order (the caller
/// limits them).
fn hits(
    backend: DbBackend,
    words: &[String],
    types: &[Kind],
    after: Option<(f64, i16, i32)>,
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
        .order_by((s, Alias::new("record_id")), Order::Asc);
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
        );
        assert_eq!(
            select.build(SqliteQueryBuilder).0,
            r#"SELECT "s"."record_kind", "s"."record_id", "s"."rank" FROM (SELECT "record_kind", "record_id", bm25(search_index, 0.0, 0.0, 10.0, 1.0) AS "rank" FROM "search_index" WHERE "search_index" MATCH ?) AS "s" WHERE "s"."record_kind" IN (?) AND ("s"."rank" > ? OR ("s"."rank" = ? AND ("s"."record_kind" > ? OR ("s"."record_kind" = ? AND "s"."record_id" > ?)))) ORDER BY "s"."rank" ASC, "s"."record_kind" ASC, "s"."record_id" ASC"#
        );
        let (sql, values) =
            hits(DbBackend::Postgres, &words, &[], None).build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "s"."record_kind", "s"."record_id", "s"."rank" FROM (SELECT "record_kind", "record_id", -(ts_rank('{0.1, 0.2, 0.4, 1.0}', document, q)::float8) AS "rank" FROM "search_index", to_tsquery('simple', $1) AS "q" WHERE document @@ q) AS "s" ORDER BY "s"."rank" ASC, "s"."record_kind" ASC, "s"."record_id" ASC"#
        );
        assert_eq!(values.0[0], "cerebral:* & palsy:*".into());
    }
}
