//! Filters: conditions on the rows of one record table, read as the row
//! alias `t`, which pages, nested pages, counts and statistics put in their
//! `WHERE`. The API's filter inputs are built from the typed predicates
//! here (one function per predicate) and the `all`/`any`/`not` combinators,
//! so no SQL is written anywhere else. `Filter<M>` says which table's rows
//! it reads: a visit filter cannot be given to a page of cities.

use super::topic_tree;
use crate::domain::partial_date::PartialDate;
use crate::domain::vocabulary::{
    EventKind, OrganizationKind, PartnershipKind, PartnershipStatus, ProtocolKind,
};
use chrono::Datelike;
use entity::{city, event, organization, partnership, protocol, topic, visit};
use sea_orm::sea_query::{
    Alias, BinOper, Condition, Expr, ExprTrait, Func, IntoIden, LikeExpr, Query,
};
use std::marker::PhantomData;

pub(crate) use super::record::{T, t};

pub mod changes;
pub mod cities;
pub mod events;
pub mod organizations;
pub mod partnerships;
pub mod protocols;
pub mod sources;
pub mod topics;
pub mod visits;

/// A condition on rows of `M`'s table (as `t`).
pub struct Filter<M> {
    condition: Condition,
    rows: PhantomData<fn() -> M>,
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Self::new(self.condition.clone())
    }
}

impl<M> std::fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.condition.fmt(f)
    }
}

/// Rows the filter drops.
impl<M> std::ops::Not for Filter<M> {
    type Output = Self;

    fn not(self) -> Self {
        Self::new(self.condition.not())
    }
}

impl<M> PartialEq for Filter<M> {
    fn eq(&self, other: &Self) -> bool {
        self.condition == other.condition
    }
}

impl<M> Filter<M> {
    fn new(condition: Condition) -> Self {
        Self {
            condition,
            rows: PhantomData,
        }
    }

    fn expr(expr: Expr) -> Self {
        Self::new(Condition::all().add(expr))
    }

    /// Every row.
    pub fn everything() -> Self {
        Self::new(Condition::all())
    }

    /// Rows every filter keeps (every row when there are none).
    pub fn all(filters: impl IntoIterator<Item = Filter<M>>) -> Self {
        Self::new(
            filters
                .into_iter()
                .fold(Condition::all(), |all, filter| both(all, filter.condition)),
        )
    }

    /// Rows at least one filter keeps (no row when there are none).
    pub fn any(filters: impl IntoIterator<Item = Filter<M>>) -> Self {
        let mut condition = Condition::any();
        for filter in filters {
            condition = condition.add(filter.condition);
        }
        Self::new(condition)
    }

    /// The rows of `self` that `other` keeps too.
    pub fn and(self, other: Filter<M>) -> Self {
        Self::all([self, other])
    }

    /// The condition, for the statements of this module's siblings.
    pub(crate) fn condition(&self) -> Condition {
        self.condition.clone()
    }
}

/// `condition AND other`, leaving out an `other` that holds for every row,
/// so that statements carry no `TRUE` conditions.
pub(crate) fn both(condition: Condition, other: Condition) -> Condition {
    if other == Condition::all() {
        condition
    } else {
        condition.add(other)
    }
}

/// Rows whose key is one of `keys`.
pub fn keys<M>(keys: &[String]) -> Filter<M> {
    Filter::expr(t("key").is_in(keys.iter().cloned()))
}

/// The id of the row of `table` with this key (a scalar subquery, so that
/// a filter naming a record by key needs no statement of its own).
fn id_of(table: &'static str, key: &str) -> Expr {
    let id = Query::select()
        .column("id")
        .from(table)
        .and_where(Expr::col("key").eq(key))
        .to_owned();
    Expr::SubQuery(None, Box::new(id.into()))
}

/// `t.column` refers to the record of `table` with `key`.
fn refers_to(column: impl IntoIden, table: &'static str, key: &str) -> Expr {
    t(column).eq(id_of(table, key))
}

/// A span of days, both ends inclusive and optional: a record matches when
/// its own span overlaps it, so a visit dated "2015" matches June 2015.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// From the first day of this date.
    pub from: Option<PartialDate>,
    /// To the last day of this date.
    pub to: Option<PartialDate>,
}

/// A day written into the statement, not bound: a server's statements are
/// planned once for every value on PostgreSQL (see
/// `store::connection::options`), and how many rows a date range holds is
/// what decides its plan. Bound, Q3 of the benchmark (a decade of visits
/// in start order) was planned for 83 rows and sorted 8,884 (151 against
/// 420 req/s); written in, its text names its range, and it is planned for
/// that. A date is digits and dashes: nothing to escape.
fn day(date: chrono::NaiveDate) -> Expr {
    Expr::Constant(date.into())
}

impl Span {
    /// The record span from `start` to `end` overlaps this one.
    fn overlaps<M>(self, start: Expr, end: Expr) -> Filter<M> {
        let mut condition = Condition::all();
        if let Some(to) = self.to {
            condition = condition.add(start.lte(day(to.end())));
        }
        if let Some(from) = self.from {
            condition = condition.add(end.gte(day(from.start())));
        }
        Filter::new(condition)
    }

    /// The span of one stored partial date (`{column}_start` to
    /// `{column}_end`) overlaps this one. Such a span is a calendar year,
    /// month or day, so one that ends on or after `from` also starts on or
    /// after the first of January of `from`'s year: that bound lets an
    /// index on the start read only the range. (A bound a year earlier
    /// made it walk every date of the year before, which grows with the
    /// table: Q3 of the benchmark lost a quarter to a half of its speed at
    /// ten times the visits.)
    fn overlaps_date<M>(self, column: &'static str) -> Filter<M> {
        let start = || t(Alias::new(format!("{column}_start")));
        let end = t(Alias::new(format!("{column}_end")));
        let mut filter = self.overlaps(start(), end);
        if let Some(from) = self.from {
            let from = from.start();
            let earliest = from.with_ordinal(1).unwrap_or(from);
            filter = filter.and(Filter::expr(start().gte(day(earliest))));
        }
        filter
    }

    /// Records with a known `{column}` date whose span overlaps this one.
    fn contains_date<M>(self, column: &'static str) -> Filter<M> {
        let known = t(Alias::new(format!("{column}_start"))).is_not_null();
        Filter::expr(known).and(self.overlaps_date(column))
    }

    /// A record from `start_date` to `end_date` (or within its start date's
    /// span when it has no end) overlaps this span.
    fn overlaps_stay<M>(self) -> Filter<M> {
        let end = Func::coalesce([t("end_date_end"), t("start_date_end")]).into();
        self.overlaps(t("start_date_start"), end)
    }
}

/// Records tagged, through the link table `link` and its record column
/// `column`, with a topic (by key) or one of its descendants.
///
/// A correlated `EXISTS`, probed per record in the link table's primary
/// key, so that both databases walk the ordering's index and stop once the
/// page is full. As `t.id IN (SELECT …)`, SQLite built the list of every
/// record carrying the topic first (kept from driving the query by a unary
/// plus on `t.id`, but still the whole list): a cost that grew with the
/// table (Q3 of the benchmark, 5 → 103 ms of CPU a request at ten times the
/// visits). PostgreSQL plans it as the same semi join as before.
fn tagged_with<M>(link: &'static str, column: &'static str, topic_key: &str) -> Filter<M> {
    let tagged = Query::select()
        .expr(Expr::val(1))
        .from_as(link, "l")
        .and_where(Expr::col(("l", column)).equals(("t", "id")))
        .and_where(Expr::col(("l", "topic_id")).in_subquery(topic_tree::subtree_of(topic_key)))
        .to_owned();
    Filter::expr(Expr::exists(tagged))
}

/// The rows of `M` whose id a link table pairs with the record of
/// `target_table` that has `key`.
fn linked_to<M>(
    link: &'static str,
    column: &'static str,
    target_column: &'static str,
    target_table: &'static str,
    key: &str,
) -> Filter<M> {
    let linked = Query::select()
        .column(("l", column))
        .from_as(link, "l")
        .inner_join(
            Alias::new(target_table),
            Expr::col((target_table, "id")).equals(("l", target_column)),
        )
        .and_where(Expr::col((target_table, "key")).eq(key))
        .to_owned();
    Filter::expr(t("id").in_subquery(linked))
}

/// `id IN (t.city_a_id, t.city_b_id)`: the id is one of a partnership's
/// two cities.
pub(crate) fn is_either_city(id: Expr) -> Expr {
    id.binary(
        BinOper::In,
        Expr::tuple([
            t(partnership::Column::CityAId),
            t(partnership::Column::CityBId),
        ]),
    )
}
