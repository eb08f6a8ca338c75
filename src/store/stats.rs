//! Statistics: counts of partnerships by country, kind, status and year,
//! and of visits and protocols by topic (descendants included), each one
//! `GROUP BY` over the filtered rows.

use super::filters::{Filter, T, is_either_city, t};
use super::topic_tree::subtrees;
use super::traced;
use entity::{city, partnership, protocol, topic, visit};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, DbErr};

/// How many records share a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// The value: a country code, kind, status, year or topic key.
    pub key: String,
    /// How many records have it.
    pub count: i64,
}

/// Runs `SELECT key, count …` and reads the pairs.
async fn counts(db: &impl ConnectionTrait, select: &SelectStatement) -> Result<Vec<Count>, DbErr> {
    traced::all(db, select)
        .await?
        .iter()
        .map(|row| {
            Ok(Count {
                key: row
                    .try_get_by_index::<Option<String>>(0)?
                    .unwrap_or_default(),
                count: row.try_get_by_index(1)?,
            })
        })
        .collect()
}

/// `SELECT <key>, <count> FROM partnership t … WHERE <filter> GROUP BY 1
/// ORDER BY 2 DESC, 1`: the biggest groups first, ties by key.
fn grouped(key: Expr, count: Expr, filter: &Filter<partnership::Model>) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(key)
        .expr(count)
        .from_as(partnership::Entity, T)
        .cond_where(filter.condition())
        .add_group_by([Expr::cust("1")])
        .order_by_expr(Expr::cust("2"), Order::Desc)
        .order_by_expr(Expr::cust("1"), Order::Asc);
    select
}

/// Partnerships per country of either city (a partnership between two
/// countries counts once for each).
pub async fn partnerships_by_country(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    let mut select = grouped(
        Expr::col(("c", city::Column::CountryCode)),
        t("id").count_distinct(),
        filter,
    );
    select.join_as(
        JoinType::InnerJoin,
        city::Entity,
        "c",
        is_either_city(Expr::col(("c", city::Column::Id))),
    );
    counts(db, &select).await
}

/// Partnerships per kind.
pub async fn partnerships_by_kind(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    let select = grouped(t(partnership::Column::Kind), Expr::cust("COUNT(*)"), filter);
    counts(db, &select).await
}

/// Partnerships per current status.
pub async fn partnerships_by_status(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    let select = grouped(
        t(partnership::Column::Status),
        Expr::cust("COUNT(*)"),
        filter,
    );
    counts(db, &select).await
}

/// Partnerships per year of establishment (those with a known date).
pub async fn partnerships_by_year(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    let year = Func::cust("SUBSTR")
        .arg(t(partnership::Column::EstablishedOn))
        .arg(1)
        .arg(4);
    let mut select = grouped(year.into(), Expr::cust("COUNT(*)"), filter);
    select.and_where(t(partnership::Column::EstablishedOn).is_not_null());
    counts(db, &select).await
}

/// Records of `table` (through `link`) per topic, each topic counting its
/// descendants' records too.
fn by_topic(
    table: &'static str,
    link: &'static str,
    column: &'static str,
    filter: sea_orm::sea_query::Condition,
) -> SelectStatement {
    Query::select()
        .column(("r", topic::Column::Key))
        .expr(t("id").count_distinct())
        .from("d")
        .join_as(
            JoinType::InnerJoin,
            topic::Entity,
            "r",
            Expr::col(("r", topic::Column::Id)).equals(("d", "root")),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new(link),
            "l",
            Expr::col(("l", "topic_id")).equals(("d", "id")),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new(table),
            T,
            t("id").equals(("l", column)),
        )
        .cond_where(filter)
        .group_by_col(("r", topic::Column::Key))
        .order_by_expr(Expr::cust("2"), Order::Desc)
        .order_by_expr(Expr::cust("1"), Order::Asc)
        .with_cte(subtrees(Condition::all()))
        .to_owned()
}

/// Visits per topic, each topic including its descendants.
pub async fn visits_by_topic(
    db: &impl ConnectionTrait,
    filter: &Filter<visit::Model>,
) -> Result<Vec<Count>, DbErr> {
    let select = by_topic("visit", "visit_topic", "visit_id", filter.condition());
    counts(db, &select).await
}

/// Protocols per topic, each topic including its descendants.
pub async fn protocols_by_topic(
    db: &impl ConnectionTrait,
    filter: &Filter<protocol::Model>,
) -> Result<Vec<Count>, DbErr> {
    let select = by_topic(
        "protocol",
        "protocol_topic",
        "protocol_id",
        filter.condition(),
    );
    counts(db, &select).await
}
