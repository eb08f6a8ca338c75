//! Relay cursor connections over keyset pagination: a page is "the rows
//! after (or before) this sort key", so cursors stay valid while rows are
//! inserted or deleted elsewhere, and no page costs more than its size.

use crate::error::{AppError, Result};
use async_graphql::connection::{CursorType, Edge};
use async_graphql::{Context, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, Func, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;

/// An opaque cursor: the sort key of a row, as base64url of a JSON array.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Vec<serde_json::Value>);

impl CursorType for Cursor {
    type Error = AppError;

    fn decode_cursor(s: &str) -> Result<Self> {
        let invalid = || AppError::bad_input(format!("{s:?} is not a cursor from this API"));
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes)
            .map(Cursor)
            .map_err(|_| invalid())
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::Value::Array(self.0.clone()).to_string())
    }
}

/// `totalCount` of a connection: counted only when a client selects it.
pub struct Totals {
    count: SelectStatement,
}

#[Object]
impl Totals {
    /// How many items the connection has across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let row = db.query_one(&self.count).await?;
        let total: i64 = match row {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        Ok(u64::try_from(total).unwrap_or_default())
    }
}

/// A connection as this API returns it.
pub type Connection<N> = async_graphql::connection::Connection<Cursor, N, Totals>;

/// The four Relay arguments, checked against the page size limit.
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
}

/// What to fetch: a direction, a size and the cursor to start from.
struct Window {
    after: Option<Cursor>,
    before: Option<Cursor>,
    size: usize,
    backwards: bool,
}

impl PageArgs {
    fn window(self) -> Result<Window> {
        let size = |name: &str, value: i32| -> Result<usize> {
            let size = usize::try_from(value).map_err(|_| {
                AppError::bad_input(format!("`{name}` must not be negative (got {value})"))
            })?;
            if size > MAX_PAGE_SIZE {
                return Err(AppError::bad_input(format!(
                    "`{name}` must be at most {MAX_PAGE_SIZE} (got {value})"
                )));
            }
            Ok(size)
        };
        if self.first.is_some() && self.last.is_some() {
            return Err(AppError::bad_input("pass `first` or `last`, not both"));
        }
        let (size, backwards) = match (self.first, self.last) {
            (_, Some(last)) => (size("last", last)?, true),
            (Some(first), None) => (size("first", first)?, false),
            (None, None) => (
                DEFAULT_PAGE_SIZE,
                self.before.is_some() && self.after.is_none(),
            ),
        };
        let decode = |cursor: Option<String>| cursor.map(|c| Cursor::decode_cursor(&c)).transpose();
        Ok(Window {
            after: decode(self.after)?,
            before: decode(self.before)?,
            size,
            backwards,
        })
    }
}

/// One page of rows of `select`, ordered by `order` (whose last column must
/// be unique, e.g. the key), as a connection of `to_node(row)`.
pub async fn page<E, N>(
    db: &DatabaseConnection,
    select: Select<E>,
    order: &[E::Column],
    args: PageArgs,
    sort_key: impl Fn(&E::Model) -> Vec<serde_json::Value>,
    to_node: impl Fn(E::Model) -> N,
) -> Result<Connection<N>>
where
    E: EntityTrait,
    N: OutputType,
{
    let window = args.window()?;
    let count = Query::select()
        .expr(Func::count(Expr::col(Asterisk)))
        .from_subquery(select.clone().into_query(), Alias::new("counted"))
        .to_owned();

    let mut query = select;
    if let Some(after) = &window.after {
        query = query.filter(beyond(order, after, true)?);
    }
    if let Some(before) = &window.before {
        query = query.filter(beyond(order, before, false)?);
    }
    let direction = if window.backwards {
        Order::Desc
    } else {
        Order::Asc
    };
    for column in order {
        query = query.order_by(*column, direction.clone());
    }
    // One row more than asked tells whether another page follows.
    let mut rows = query.limit(window.size as u64 + 1).all(db).await?;
    let more = rows.len() > window.size;
    rows.truncate(window.size);
    if window.backwards {
        rows.reverse();
    }
    let (has_previous, has_next) = if window.backwards {
        (more, window.before.is_some())
    } else {
        (window.after.is_some(), more)
    };
    let mut connection = async_graphql::connection::Connection::with_additional_fields(
        has_previous,
        has_next,
        Totals { count },
    );
    connection.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(Cursor(sort_key(&row)), to_node(row))),
    );
    Ok(connection)
}

/// The rows strictly after (or before) a cursor in the order of `columns`:
/// `(c1 > v1) OR (c1 = v1 AND c2 > v2) OR …`.
fn beyond<C: ColumnTrait>(columns: &[C], cursor: &Cursor, after: bool) -> Result<Condition> {
    if cursor.0.len() != columns.len() {
        return Err(AppError::bad_input(
            "the cursor belongs to another ordering; restart from the first page",
        ));
    }
    let values: Vec<sea_orm::Value> = cursor.0.iter().map(json_to_value).collect::<Result<_>>()?;
    let mut any = Condition::any();
    for i in 0..columns.len() {
        let mut all = Condition::all();
        for j in 0..i {
            all = all.add(columns[j].eq(values[j].clone()));
        }
        let strict: SimpleExpr = if after {
            columns[i].gt(values[i].clone())
        } else {
            columns[i].lt(values[i].clone())
        };
        any = any.add(all.add(strict));
    }
    Ok(any)
}

fn json_to_value(value: &serde_json::Value) -> Result<sea_orm::Value> {
    match value {
        serde_json::Value::String(text) => Ok(text.clone().into()),
        serde_json::Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default().into()),
        serde_json::Value::Number(n) => Ok(n.as_f64().unwrap_or_default().into()),
        _ => Err(AppError::bad_input(
            "the cursor is malformed; restart from the first page",
        )),
    }
}
