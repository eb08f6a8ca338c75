//! Statistics: counts of partnerships by country, kind, status and year,
//! and of visits and protocols by topic (descendants included), each one
//! `GROUP BY` over the filtered rows; without a filter, the counts the
//! database keeps (`stat_count`, see its migration), a read of a few rows.

use super::filters::{Filter, T, is_either_city, t};
use super::topic_tree::subtrees;
use entity::{city, partnership, protocol, stat_count, stat_delta, topic, visit};
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
    db.query_all(select)
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

/// The kept counts of one statistic, in the order of [`grouped`]: what
/// `stat_count` holds plus the deltas this transaction has not folded in
/// yet (PostgreSQL folds them at commit; none on SQLite).
fn kept(dimension: &'static str) -> SelectStatement {
    let rows = Query::select()
        .column(stat_count::Column::Key)
        .expr_as(Expr::col(stat_count::Column::Count), Alias::new("n"))
        .from(stat_count::Entity)
        .and_where(Expr::col(stat_count::Column::Dimension).eq(dimension))
        .union(
            sea_orm::sea_query::UnionType::All,
            Query::select()
                .column(stat_delta::Column::Key)
                .column(stat_delta::Column::Delta)
                .from(stat_delta::Entity)
                .and_where(Expr::col(stat_delta::Column::Dimension).eq(dimension))
                .to_owned(),
        )
        .to_owned();
    let total = Func::cust("SUM").arg(Expr::col(("s", "n")));
    Query::select()
        .column(("s", "key"))
        .expr(total.clone().cast_as("BIGINT"))
        .from_subquery(rows, "s")
        .group_by_col(("s", "key"))
        .and_having(Expr::from(total).gt(0))
        .order_by_expr(Expr::cust("2"), Order::Desc)
        .order_by_expr(Expr::cust("1"), Order::Asc)
        .to_owned()
}

/// `GROUP BY` the filter's rows, or the kept counts of `dimension` when
/// the filter keeps every row.
async fn grouped_or_kept<M>(
    db: &impl ConnectionTrait,
    filter: &Filter<M>,
    dimension: &'static str,
    select: impl FnOnce() -> SelectStatement,
) -> Result<Vec<Count>, DbErr> {
    if *filter == Filter::everything() {
        counts(db, &kept(dimension)).await
    } else {
        counts(db, &select()).await
    }
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
    grouped_or_kept(db, filter, "partnership_country", || {
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
        select
    })
    .await
}

/// Partnerships per kind.
pub async fn partnerships_by_kind(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "partnership_kind", || {
        grouped(t(partnership::Column::Kind), Expr::cust("COUNT(*)"), filter)
    })
    .await
}

/// Partnerships per current status.
pub async fn partnerships_by_status(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "partnership_status", || {
        grouped(
            t(partnership::Column::Status),
            Expr::cust("COUNT(*)"),
            filter,
        )
    })
    .await
}

/// Partnerships per year of establishment (those with a known date).
pub async fn partnerships_by_year(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "partnership_year", || {
        let year = Func::cust("SUBSTR")
            .arg(t(partnership::Column::EstablishedOn))
            .arg(1)
            .arg(4);
        let mut select = grouped(year.into(), Expr::cust("COUNT(*)"), filter);
        select.and_where(t(partnership::Column::EstablishedOn).is_not_null());
        select
    })
    .await
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
    grouped_or_kept(db, filter, "visit_topic", || {
        by_topic("visit", "visit_topic", "visit_id", filter.condition())
    })
    .await
}

/// Protocols per topic, each topic including its descendants.
pub async fn protocols_by_topic(
    db: &impl ConnectionTrait,
    filter: &Filter<protocol::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "protocol_topic", || {
        by_topic(
            "protocol",
            "protocol_topic",
            "protocol_id",
            filter.condition(),
        )
    })
    .await
}
