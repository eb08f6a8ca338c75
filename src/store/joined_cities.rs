//! A page's cities, read in the page's own statement: each column of
//! [`Record::CITIES`] joined to `city`, its columns under a prefix of their
//! own. A list of partnerships or visits that shows their cities then costs
//! one statement instead of two (the page, then its cities by id), which
//! was a third of the statements of a city with its partners' names.

use super::record::{Record, t};
use entity::city;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, SelectStatement};
use sea_orm::{DbErr, FromQueryResult, IdenStatic, Iterable, QueryResult};

/// The alias of the `n`th joined city, which is also its columns' prefix.
fn alias(n: usize) -> String {
    format!("tw_c{n}")
}

/// Joins the city of each of `M::CITIES` to `select`, whose rows are `t`,
/// and selects its columns as `tw_c{n}_{column}`. A left join: a row whose
/// reference is empty keeps its place.
pub(crate) fn join<M: Record>(select: &mut SelectStatement) {
    for (n, column) in M::CITIES.iter().enumerate() {
        let city = alias(n);
        select.join_as(
            JoinType::LeftJoin,
            city::Entity,
            Alias::new(&city),
            Expr::col((Alias::new(&city), city::Column::Id)).eq(t(*column)),
        );
        for field in city::Column::iter() {
            select.expr_as(
                Expr::col((Alias::new(&city), field)),
                Alias::new(format!("{city}_{}", field.as_str())),
            );
        }
    }
}

/// The cities [`join`] added to `row`, into `cities`.
pub(crate) fn read<M: Record>(
    row: &QueryResult,
    cities: &mut Vec<city::Model>,
) -> Result<(), DbErr> {
    for n in 0..M::CITIES.len() {
        let prefix = format!("{}_", alias(n));
        if row.try_get::<Option<i32>>(&prefix, "id")?.is_some() {
            cities.push(city::Model::from_query_result(row, &prefix)?);
        }
    }
    Ok(())
}
