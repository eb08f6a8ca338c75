//! Partnerships as the keys of their two cities: what the rule of one
//! partnership per pair of cities and kind, and the timeline actions'
//! choice of partnership, read.

use crate::domain::vocabulary::PartnershipKind;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

/// A stored partnership, its cities' keys in stored order, and its kind.
#[derive(Clone, Debug)]
pub struct Pair {
    pub key: String,
    pub cities: [String; 2],
    pub kind: PartnershipKind,
}

/// `SELECT p.key, a.key, b.key, p.kind FROM partnership p JOIN city a … JOIN city b …`.
fn select_pairs() -> SelectStatement {
    let (p, a, b) = (Alias::new("p"), Alias::new("a"), Alias::new("b"));
    let key = || Alias::new("key");
    Query::select()
        .expr(Expr::col((p.clone(), key())))
        .expr(Expr::col((a.clone(), key())))
        .expr(Expr::col((b.clone(), key())))
        .expr(Expr::col((p.clone(), Alias::new("kind"))))
        .from_as(Alias::new("partnership"), p.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new("city"),
            a.clone(),
            Expr::col((a, Alias::new("id"))).equals((p.clone(), Alias::new("city_a_id"))),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("city"),
            b.clone(),
            Expr::col((b, Alias::new("id"))).equals((p, Alias::new("city_b_id"))),
        )
        .to_owned()
}

fn pair(row: &QueryResult) -> Result<Pair, DbErr> {
    let kind: entity::enums::PartnershipKind =
        sea_orm::ActiveEnum::try_from_value(&row.try_get_by_index::<String>(3)?)?;
    Ok(Pair {
        key: row.try_get_by_index(0)?,
        cities: [row.try_get_by_index(1)?, row.try_get_by_index(2)?],
        kind: kind.into(),
    })
}

async fn find(db: &impl ConnectionTrait, select: &SelectStatement) -> Result<Vec<Pair>, DbErr> {
    db.query_all(select).await?.iter().map(pair).collect()
}

/// Every stored partnership.
pub async fn find_all_pairs(db: &impl ConnectionTrait) -> Result<Vec<Pair>, DbErr> {
    find(db, &select_pairs()).await
}

/// The partnership with `key`, if stored.
pub async fn find_pair_by_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<Pair>, DbErr> {
    let select = select_pairs()
        .and_where(Expr::col((Alias::new("p"), Alias::new("key"))).eq(key))
        .to_owned();
    Ok(find(db, &select).await?.into_iter().next())
}

/// The partnerships between two cities (given by key, in either order), by
/// key.
pub async fn find_pairs_between(
    db: &impl ConnectionTrait,
    cities: [&str; 2],
) -> Result<Vec<Pair>, DbErr> {
    let city = |alias: &str| Expr::col((Alias::new(alias), Alias::new("key")));
    let ordered = |x: &str, y: &str| Cond::all().add(city("a").eq(x)).add(city("b").eq(y));
    let select = select_pairs()
        .cond_where(
            Cond::any()
                .add(ordered(cities[0], cities[1]))
                .add(ordered(cities[1], cities[0])),
        )
        .order_by((Alias::new("p"), Alias::new("key")), Order::Asc)
        .to_owned();
    find(db, &select).await
}
