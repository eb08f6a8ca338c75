//! Searching the word index that [`super::search_index`] keeps: plain
//! tables and one ranking defined here, so that the same data gives the
//! same results in the same order on SQLite and PostgreSQL.
//!
//! A record matches when each query word is the start of one of its words.
//! Each query word costs the best of its matches: 0 for a whole word in a
//! naming field (name, title, purpose), 1 for the start of one there, 2 and
//! 3 for the same in a describing field. A record's score is the sum, lower
//! first; equal scores go by kind (its search code) and then key, both
//! compared byte by byte, whatever the database's collation.

use super::search_index::{entry_range, search_term};
use crate::domain::kinds::Kind;
use sea_orm::sea_query::{
    Alias, Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement, UnionType,
};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

/// One hit: the record, and its position in the ranking.
pub struct Hit {
    pub kind: Kind,
    pub id: i32,
    pub position: Position,
}

/// Where a hit stands in the ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub score: i64,
    pub kind: i16,
    pub key: String,
}

/// Which hits to read: between two positions, from either end.
pub struct Window {
    pub after: Option<Position>,
    pub before: Option<Position>,
    /// From the end: the hits just before `before` (or the last ones),
    /// returned last first.
    pub backwards: bool,
    pub limit: usize,
}

/// The hits for the query words `forms` (folded, see
/// [`crate::domain::search_text::query_forms`]) of the given kinds (all if
/// none), in the window.
pub async fn search(
    db: &impl ConnectionTrait,
    forms: &[String],
    types: &[Kind],
    window: &Window,
) -> Result<Vec<Hit>, DbErr> {
    if forms.is_empty() {
        return Ok(Vec::new());
    }
    let limit = u64::try_from(window.limit).unwrap_or(u64::MAX);
    let statement = super::limited(
        db.get_database_backend(),
        &hits(forms, types, window),
        limit,
    );
    let rows = db.query_all_raw(statement).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let entry: i64 = row.try_get_by_index(0)?;
        let key: Vec<u8> = row.try_get_by_index(1)?;
        let score = integer(&row, 2)?;
        let (code, id) = (entry >> 32, entry & 0xFFFF_FFFF);
        if let (Some(kind), Ok(kind_code), Ok(id)) = (
            Kind::from_search_code(code),
            i16::try_from(code),
            i32::try_from(id),
        ) {
            hits.push(Hit {
                kind,
                id,
                position: Position {
                    score,
                    kind: kind_code,
                    key: String::from_utf8_lossy(&key).into_owned(),
                },
            });
        }
    }
    Ok(hits)
}

/// How many records match, over all pages.
pub async fn count(
    db: &impl ConnectionTrait,
    forms: &[String],
    types: &[Kind],
) -> Result<u64, DbErr> {
    if forms.is_empty() {
        return Ok(0);
    }
    let select = Query::select()
        .expr(Func::count(Expr::col((hit(), Alias::new("entry_id")))))
        .from_subquery(scored(forms, types), hit())
        .to_owned();
    let row = db.query_one(&select).await?;
    Ok(row
        .map(|r| integer(&r, 0))
        .transpose()?
        .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// An integer column that one backend computes as 32 and the other as 64
/// bits (sums and minimums of small integers).
fn integer(row: &QueryResult, index: usize) -> Result<i64, DbErr> {
    row.try_get_by_index::<i64>(index)
        .or_else(|_| row.try_get_by_index::<i32>(index).map(i64::from))
}

fn hit() -> Alias {
    Alias::new("hit")
}

/// The statement behind [`search`], in order (the caller limits it).
fn hits(forms: &[String], types: &[Kind], window: &Window) -> SelectStatement {
    let column = |name: &str| Expr::col((hit(), Alias::new(name)));
    let score = || column("score");
    // The kind is the entry id's high 32 bits.
    let kind = || column("entry_id").div(1_i64 << 32);
    let key = || column("record_key");
    let mut select = Query::select();
    select
        .expr(column("entry_id"))
        .expr(key())
        .expr(score())
        .from_subquery(scored(forms, types), hit());
    let beyond = |position: &Position, later: bool| {
        let key_bytes = position.key.as_bytes().to_vec();
        let past = |column: Expr, value: Expr| match later {
            true => column.gt(value),
            false => column.lt(value),
        };
        Cond::any().add(past(score(), position.score.into())).add(
            Cond::all().add(score().eq(position.score)).add(
                Cond::any().add(past(kind(), position.kind.into())).add(
                    Cond::all()
                        .add(kind().eq(position.kind))
                        .add(past(key(), key_bytes.into())),
                ),
            ),
        )
    };
    if let Some(after) = &window.after {
        select.cond_where(beyond(after, true));
    }
    if let Some(before) = &window.before {
        select.cond_where(beyond(before, false));
    }
    let order = if window.backwards {
        Order::Desc
    } else {
        Order::Asc
    };
    select
        .order_by_expr(score(), order.clone())
        .order_by_expr(kind(), order.clone())
        .order_by_expr(key(), order);
    select
}

/// `(entry_id, record_key, score)` of every entry that matches all `forms`.
fn scored(forms: &[String], types: &[Kind]) -> SelectStatement {
    let per_word = |form: &String, cost: &str| word_cost(form, types, cost);
    match forms {
        [form] => per_word(form, "score"),
        [first, rest @ ..] => {
            let mut words = per_word(first, "cost");
            for form in rest {
                words.union(UnionType::All, per_word(form, "cost"));
            }
            let m = Alias::new("m");
            let n = i64::try_from(forms.len()).unwrap_or(i64::MAX);
            Query::select()
                .column((m.clone(), Alias::new("entry_id")))
                .column((m.clone(), Alias::new("record_key")))
                .expr_as(
                    Func::sum(Expr::col((m.clone(), Alias::new("cost")))),
                    Alias::new("score"),
                )
                .from_subquery(words, m.clone())
                .group_by_col((m.clone(), Alias::new("entry_id")))
                .group_by_col((m, Alias::new("record_key")))
                .and_having(Func::count(Expr::col(Alias::new("entry_id"))).eq(n))
                .to_owned()
        }
        [] => Query::select()
            .columns([Alias::new("entry_id"), Alias::new("record_key")])
            .expr_as(Expr::val(0), Alias::new("score"))
            .from(search_term())
            .and_where(Expr::val(1).eq(0))
            .to_owned(),
    }
}

/// `(entry_id, record_key, <cost>)` of the entries with a word starting with `form`:
/// the cheapest of its matches (see the module's note). The words of an
/// entry are UTF-8 bytes, so those starting with `form` are the range from
/// its bytes to its bytes followed by 0xFF (no UTF-8 byte is that high).
fn word_cost(form: &str, types: &[Kind], cost: &str) -> SelectStatement {
    let term = || Expr::col(Alias::new("term"));
    let low = form.as_bytes().to_vec();
    let mut high = low.clone();
    high.push(0xFF);
    let whole = Expr::case(term().eq(low.clone()), 0).finally(1);
    let mut select = Query::select();
    select
        .columns([Alias::new("entry_id"), Alias::new("record_key")])
        .expr_as(
            Func::min(Expr::col(Alias::new("tier")).mul(2).add(whole)),
            Alias::new(cost),
        )
        .from(search_term())
        .and_where(term().gte(low))
        .and_where(term().lt(high))
        .group_by_col(Alias::new("entry_id"))
        .group_by_col(Alias::new("record_key"));
    if !types.is_empty() {
        let entry_id = || Expr::col(Alias::new("entry_id"));
        let mut kinds = Cond::any();
        for kind in types {
            let (start, end) = entry_range(*kind);
            kinds = kinds.add(
                Cond::all()
                    .add(entry_id().gte(start))
                    .add(entry_id().lt(end)),
            );
        }
        select.cond_where(kinds);
    }
    select
}
