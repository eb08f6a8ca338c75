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
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

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
/// yet (PostgreSQL folds them at commit; none on SQLite). Only its own
/// deltas are ever visible; on PostgreSQL they are asked for by its
/// transaction id, through the index, and not at all by a transaction
/// that has written nothing (no id).
fn kept(backend: DbBackend, dimension: &'static str) -> SelectStatement {
    let mut deltas = Query::select()
        .column(stat_delta::Column::Key)
        .column(stat_delta::Column::Delta)
        .from(stat_delta::Entity)
        .and_where(Expr::col(stat_delta::Column::Dimension).eq(dimension))
        .to_owned();
    if backend == DbBackend::Postgres {
        deltas.and_where(
            Expr::col(stat_delta::Column::Tx).eq(Func::cust("txid_current_if_assigned")),
        );
    }
    let rows = Query::select()
        .column(stat_count::Column::Key)
        .expr_as(Expr::col(stat_count::Column::Count), Alias::new("n"))
        .from(stat_count::Entity)
        .and_where(Expr::col(stat_count::Column::Dimension).eq(dimension))
        .union(sea_orm::sea_query::UnionType::All, deltas)
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
        counts(db, &kept(db.get_database_backend(), dimension)).await
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
    grouped_or_kept(db, filter, "partnership_country", || by_country(filter)).await
}

fn by_country(filter: &Filter<partnership::Model>) -> SelectStatement {
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
}

/// Partnerships per kind.
pub async fn partnerships_by_kind(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "partnership_kind", || by_kind(filter)).await
}

fn by_kind(filter: &Filter<partnership::Model>) -> SelectStatement {
    grouped(t(partnership::Column::Kind), Expr::cust("COUNT(*)"), filter)
}

/// Partnerships per current status.
pub async fn partnerships_by_status(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "partnership_status", || by_status(filter)).await
}

fn by_status(filter: &Filter<partnership::Model>) -> SelectStatement {
    grouped(
        t(partnership::Column::Status),
        Expr::cust("COUNT(*)"),
        filter,
    )
}

/// Partnerships per year of establishment (those with a known date).
pub async fn partnerships_by_year(
    db: &impl ConnectionTrait,
    filter: &Filter<partnership::Model>,
) -> Result<Vec<Count>, DbErr> {
    grouped_or_kept(db, filter, "partnership_year", || by_year(filter)).await
}

fn by_year(filter: &Filter<partnership::Model>) -> SelectStatement {
    let year = Func::cust("SUBSTR")
        .arg(t(partnership::Column::EstablishedOn))
        .arg(1)
        .arg(4);
    let mut select = grouped(year.into(), Expr::cust("COUNT(*)"), filter);
    select.and_where(t(partnership::Column::EstablishedOn).is_not_null());
    select
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

/// Below this many records a write's triggers cost a few hundred
/// statements at most, wherever a recount would stand: not worth the three
/// statements that find out (a mutation writes one record).
const RECOUNT_FROM: usize = 256;

/// Whether a write of `records` partnerships, visits and protocols (the
/// records the statistics count) should [`pause`] the triggers and
/// [`recount`]: when they are at least as many as are stored (a recount
/// reads every stored one). On SQLite the triggers cost a statement or
/// more per written row and link; on PostgreSQL the link triggers' plan,
/// kept for the session, was made when the import's link tables were
/// nearly empty and reads all of them per statement (see migration 70).
/// A write of fewer than [`RECOUNT_FROM`] records (every mutation) keeps
/// the triggers without asking what is stored.
pub async fn recount_pays(db: &impl ConnectionTrait, records: usize) -> Result<bool, DbErr> {
    if records < RECOUNT_FROM {
        return Ok(false);
    }
    let mut stored = 0_i64;
    for table in ["partnership", "visit", "protocol"] {
        let highest = Query::select()
            .expr(
                Expr::expr(Func::coalesce([Expr::col("id").max(), Expr::val(0)])).cast_as("BIGINT"),
            )
            .from(table)
            .to_owned();
        if let Some(row) = db.query_one(&highest).await? {
            stored += row.try_get_by_index::<i64>(0)?;
        }
    }
    Ok(i64::try_from(records).unwrap_or(i64::MAX) >= stored)
}

/// Stops the triggers that keep the counts for the rest of the
/// transaction, for a write of about as many records as there are;
/// [`recount`] must follow before commit. Nobody else sees the pause: on
/// SQLite one writer at a time, and readers see committed rows only; on
/// PostgreSQL a setting local to the transaction.
pub async fn pause(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        return set_pause(db, "on").await;
    }
    let insert = Query::insert()
        .into_table(PAUSE)
        .columns([Alias::new("id")])
        .values([1.into()])
        .map_err(super::built)?
        .to_owned();
    db.execute(&insert).await.map(|_| ())
}

/// PostgreSQL: sets the transaction's pause (`twinning.stat_pause`, which
/// the trigger functions read; see migration 70) on or off.
async fn set_pause(db: &impl ConnectionTrait, value: &str) -> Result<(), DbErr> {
    let set = Query::select()
        .expr(Func::cust("set_config").args([
            Expr::val(PAUSE_SETTING),
            Expr::val(value),
            Expr::val(true),
        ]))
        .to_owned();
    db.execute(&set).await.map(|_| ())
}

/// After [`pause`], counts every statistic anew from the tables and lets
/// the triggers run again. On PostgreSQL `stat_count` is not rewritten
/// (other transactions fold their deltas into it): `stat_recount()` adds
/// the difference between the fresh counts and the kept ones (`stat_count`
/// and this transaction's deltas, one snapshot per statistic) as deltas,
/// folded at commit; a write committed after that snapshot folds its own
/// deltas on top.
pub async fn recount(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let recount = Query::select().expr(Func::cust("stat_recount")).to_owned();
        db.execute(&recount).await?;
        return set_pause(db, "off").await;
    }
    let everything = Filter::everything();
    let fresh = [
        ("partnership_country", by_country(&everything)),
        ("partnership_kind", by_kind(&everything)),
        ("partnership_status", by_status(&everything)),
        ("partnership_year", by_year(&everything)),
        (
            "visit_topic",
            by_topic("visit", "visit_topic", "visit_id", Condition::all()),
        ),
        (
            "protocol_topic",
            by_topic(
                "protocol",
                "protocol_topic",
                "protocol_id",
                Condition::all(),
            ),
        ),
    ];
    let clear = Query::delete().from_table(stat_count::Entity).to_owned();
    db.execute(&clear).await?;
    for (dimension, select) in fresh {
        let rows = counts(db, &select).await?;
        for chunk in rows.chunks(super::CHUNK / 3) {
            let mut insert = Query::insert();
            insert.into_table(stat_count::Entity).columns([
                stat_count::Column::Dimension,
                stat_count::Column::Key,
                stat_count::Column::Count,
            ]);
            for row in chunk {
                insert
                    .values([dimension.into(), row.key.clone().into(), row.count.into()])
                    .map_err(super::built)?;
            }
            db.execute(&insert).await?;
        }
    }
    let resume = Query::delete().from_table(PAUSE).to_owned();
    // The triggers run again from here: rows written after this are
    // counted by them, on top of the fresh counts.
    db.execute(&resume).await.map(|_| ())
}

/// The table whose row pauses the triggers (SQLite only; see its migration).
const PAUSE: &str = "stat_pause";

/// The transaction's setting that pauses the triggers (PostgreSQL only).
const PAUSE_SETTING: &str = "twinning.stat_pause";
