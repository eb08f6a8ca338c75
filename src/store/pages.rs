//! Keyset pages: "the rows after (or before) this sort key", so that a
//! position stays valid while rows are inserted or deleted elsewhere, and
//! no page costs more than its size. An ordering is a list of sort keys
//! whose last one is unique (the record key, or the id).

use super::filters::{Filter, T, both, t};
use super::record::Record;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, Value};

/// How a sort key's values are typed, to bind them when a position is
/// read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Text,
    Int,
    Date,
}

/// What a sort key reads: a column of the row, or a nullable one with the
/// value its NULLs sort as (so keyset comparisons never meet NULL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Column(&'static str),
    IntOr(&'static str, i64),
    DateOr(&'static str, &'static str),
}

impl Sort {
    /// The expression over the row alias `t`. A fallback is written as a
    /// literal, not bound, so the statement's text (and plan) is the same
    /// whatever the page.
    pub(crate) fn expr(self) -> Expr {
        match self {
            Sort::Column(column) => t(column),
            Sort::IntOr(column, fallback) => coalesce(column, fallback.into()),
            Sort::DateOr(column, fallback) => coalesce(column, fallback.into()),
        }
    }
}

fn coalesce(column: &'static str, fallback: Value) -> Expr {
    Func::coalesce([t(column), Expr::Constant(fallback)]).into()
}

/// One sort key of an ordering: what it reads, its type, its direction,
/// and how to read its value from a record (for the position of a page's
/// rows).
pub struct OrderKey<M> {
    pub sort: Sort,
    pub ty: KeyType,
    pub descending: bool,
    pub value: fn(&M) -> serde_json::Value,
}

/// An ordering: keys whose last one is unique.
pub type Ordering<M> = &'static [OrderKey<M>];

/// `key!(Column("name"), Text, false, |m| m.name.clone().into())`: an
/// [`OrderKey`].
macro_rules! key {
    ($sort:ident($($arg:expr),+), $ty:ident, $descending:literal, $value:expr) => {
        $crate::store::pages::OrderKey {
            sort: $crate::store::pages::Sort::$sort($($arg),+),
            ty: $crate::store::pages::KeyType::$ty,
            descending: $descending,
            value: $value,
        }
    };
}
pub(crate) use key;

/// Why a position cannot be read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("the cursor belongs to another ordering; restart from the first page")]
    OtherOrdering,
    #[error("the cursor is malformed; restart from the first page")]
    Malformed,
}

/// A page to read: rows past these positions (the sort-key values of a
/// row), this many, forwards or backwards.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub after: Option<Vec<serde_json::Value>>,
    pub before: Option<Vec<serde_json::Value>>,
    pub size: usize,
    pub backwards: bool,
}

impl Window {
    /// Rows to fetch: one more than the page tells whether another follows.
    pub fn limit(&self) -> usize {
        self.size + 1
    }

    /// The sort of this window (reversed when paging backwards).
    pub(crate) fn order<M>(&self, ordering: Ordering<M>) -> Vec<(Expr, Order)> {
        ordering
            .iter()
            .map(|key| {
                let order = match key.descending != self.backwards {
                    true => Order::Desc,
                    false => Order::Asc,
                };
                (key.sort.expr(), order)
            })
            .collect()
    }

    /// The condition that keeps rows between the positions.
    pub(crate) fn keyset<M>(&self, ordering: Ordering<M>) -> Result<Condition, PositionError> {
        let mut condition = Condition::all();
        if let Some(after) = &self.after {
            condition = condition.add(beyond(ordering, after, true)?);
        }
        if let Some(before) = &self.before {
            condition = condition.add(beyond(ordering, before, false)?);
        }
        Ok(condition)
    }

    /// The position of a row in `ordering`.
    pub fn position<M>(ordering: Ordering<M>, row: &M) -> Vec<serde_json::Value> {
        ordering.iter().map(|key| (key.value)(row)).collect()
    }
}

/// `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR …`, each comparison turned by the
/// key's direction.
fn beyond<M>(
    ordering: Ordering<M>,
    position: &[serde_json::Value],
    after: bool,
) -> Result<Condition, PositionError> {
    if position.len() != ordering.len() {
        return Err(PositionError::OtherOrdering);
    }
    let values: Vec<Value> = ordering
        .iter()
        .zip(position)
        .map(|(key, value)| bind_value(key.ty, value))
        .collect::<Result<_, _>>()?;
    let mut alternatives = Condition::any();
    for (i, key) in ordering.iter().enumerate() {
        let mut alternative = Condition::all();
        for (earlier, value) in ordering.iter().zip(&values).take(i) {
            alternative = alternative.add(earlier.sort.expr().eq(value.clone()));
        }
        let value = values[i].clone();
        alternative = alternative.add(match after != key.descending {
            true => key.sort.expr().gt(value),
            false => key.sort.expr().lt(value),
        });
        alternatives = alternatives.add(alternative);
    }
    Ok(alternatives)
}

fn bind_value(ty: KeyType, value: &serde_json::Value) -> Result<Value, PositionError> {
    let malformed = PositionError::Malformed;
    Ok(match ty {
        KeyType::Text => value.as_str().ok_or(malformed)?.to_owned().into(),
        KeyType::Int => value.as_i64().ok_or(malformed)?.into(),
        KeyType::Date => value
            .as_str()
            .and_then(|s| s.parse::<chrono::NaiveDate>().ok())
            .ok_or(malformed)?
            .into(),
    })
}

/// What reading a page may fail with.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Position(#[from] PositionError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// One page of `M`'s rows matching `filter`, in the window's order, up to
/// its [`Window::limit`], with their cities if `cities`.
pub async fn page<M: Record>(
    db: &impl ConnectionTrait,
    filter: &Filter<M>,
    ordering: Ordering<M>,
    window: &Window,
    cities: bool,
) -> Result<PageRows<M>, PageError> {
    let mut select = Query::select();
    select.column((T, sea_orm::sea_query::Asterisk));
    M::from_rows(&mut select);
    select.cond_where(both(filter.condition(), window.keyset(ordering)?));
    for (expr, order) in window.order(ordering) {
        select.order_by_expr(expr, order);
    }
    if cities {
        super::joined_cities::join::<M>(&mut select);
    }
    let statement = super::limited(db.get_database_backend(), &select, window.limit() as u64);
    let mut page = PageRows::of(Vec::new());
    for row in db.query_all_raw(statement).await? {
        if cities {
            super::joined_cities::read::<M>(&row, &mut page.cities)?;
        }
        page.rows.push(M::from_query_result(&row, "")?);
    }
    Ok(page)
}

/// A page's rows, and the cities they name when the page was asked to
/// read them in its statement ([`super::joined_cities`]).
#[derive(Clone)]
pub struct PageRows<M> {
    pub rows: Vec<M>,
    pub cities: Vec<entity::city::Model>,
}

impl<M> PageRows<M> {
    /// Rows without their cities.
    pub fn of(rows: Vec<M>) -> Self {
        Self {
            rows,
            cities: Vec::new(),
        }
    }
}

impl<M> Default for PageRows<M> {
    fn default() -> Self {
        Self::of(Vec::new())
    }
}

/// How many of `M`'s rows match `filter`.
pub async fn count<M: Record>(db: &impl ConnectionTrait, filter: &Filter<M>) -> Result<u64, DbErr> {
    let mut select = Query::select();
    select.expr(Expr::cust("COUNT(*)"));
    M::from_rows(&mut select);
    select.cond_where(filter.condition());
    let total: i64 = match db.query_one(&select).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(u64::try_from(total).unwrap_or_default())
}
