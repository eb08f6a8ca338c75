//! Relay cursor connections over keyset pagination. A page is "the rows
//! after (or before) this sort key", so cursors stay valid while rows are
//! inserted or deleted elsewhere, and no page costs more than its size.
//! Root lists run one statement per page; nested lists go through
//! [`super::loader`] and run one statement per level for all parents.

use super::loader::{CountKey, NestedKey, Request};
use crate::error::{AppError, Result};
use crate::store::relations::Relation;
use crate::store::{Record, Sql};
use async_graphql::connection::{CursorType, Edge};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use std::sync::Arc;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The largest page a client may ask for, unless configured.
pub const MAX_PAGE_SIZE: usize = 100;

/// The largest page, and the most ids `nodes(ids:)` takes, of one server
/// (`--max-page-size`, `--max-ids`); in the schema's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimits {
    pub max_page_size: usize,
    pub max_ids: usize,
}

impl Default for PageLimits {
    fn default() -> Self {
        Self {
            max_page_size: MAX_PAGE_SIZE,
            max_ids: MAX_PAGE_SIZE,
        }
    }
}

impl PageLimits {
    /// The limits of the server answering `ctx`.
    pub fn of(ctx: &Context<'_>) -> Self {
        ctx.data_opt::<PageLimits>().copied().unwrap_or_default()
    }
}

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

/// How a sort key's values are bound when a cursor is read back.
#[derive(Clone, Copy, Debug)]
pub enum KeyType {
    Text,
    Int,
    Float,
    Date,
}

/// One column of an ordering: its SQL over the row alias `t` (nullable
/// columns wrapped in `COALESCE` with a sentinel, so that keyset comparisons
/// never meet NULL), its type, its direction, and how to read it from a row.
pub struct OrderKey<M> {
    pub sql: &'static str,
    pub ty: KeyType,
    pub descending: bool,
    pub value: fn(&M) -> serde_json::Value,
}

/// `key!("t.name", Text, false, |m| m.name.clone().into())`: an [`OrderKey`].
macro_rules! key {
    ($sql:literal, $ty:ident, $desc:literal, $value:expr) => {
        $crate::graphql::connection::OrderKey {
            sql: $sql,
            ty: $crate::graphql::connection::KeyType::$ty,
            descending: $desc,
            value: $value,
        }
    };
}
pub(crate) use key;

/// An ordering: keys whose last one is unique (the record key).
pub type Ordering<M> = &'static [OrderKey<M>];

/// The four Relay arguments.
#[derive(Default)]
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
}

/// What to fetch: the cursors, a size, and a direction.
#[derive(Clone, Debug)]
pub struct Window {
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub size: usize,
    pub backwards: bool,
}

impl PageArgs {
    /// Checks the page size limit of the server answering `ctx` and
    /// decodes the cursors.
    pub fn window(self, ctx: &Context<'_>) -> Result<Window> {
        let max = PageLimits::of(ctx).max_page_size;
        let size = |name: &str, value: i32| -> Result<usize> {
            let size = usize::try_from(value).map_err(|_| {
                AppError::bad_input(format!("`{name}` must not be negative (got {value})"))
            })?;
            if size > max {
                return Err(AppError::bad_input(format!(
                    "`{name}` must be at most {max} (got {value})"
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

impl Window {
    /// `ORDER BY` for this window (reversed when paging backwards).
    pub fn order_by<M>(&self, ordering: Ordering<M>) -> String {
        ordering
            .iter()
            .map(|key| {
                let descending = key.descending != self.backwards;
                format!("{} {}", key.sql, if descending { "DESC" } else { "ASC" })
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The condition that keeps rows between the cursors (`1=1` without).
    pub fn keyset<M>(&self, ordering: Ordering<M>) -> Result<Sql> {
        let mut sql = Sql::new("1=1");
        if let Some(after) = &self.after {
            sql.push(" AND ").append(&beyond(ordering, after, true)?);
        }
        if let Some(before) = &self.before {
            sql.push(" AND ").append(&beyond(ordering, before, false)?);
        }
        Ok(sql)
    }

    /// Rows to fetch: one more than the page tells whether another follows.
    pub fn limit(&self) -> usize {
        self.size + 1
    }

    /// Turns fetched rows (in window order, up to `limit()`) into a connection.
    pub fn connection<M, N: OutputType>(
        &self,
        mut rows: Vec<M>,
        ordering: Ordering<M>,
        totals: Totals,
        to_node: impl Fn(M) -> N,
    ) -> Connection<N> {
        let more = rows.len() > self.size;
        rows.truncate(self.size);
        if self.backwards {
            rows.reverse();
        }
        let (has_previous, has_next) = if self.backwards {
            (more, self.before.is_some())
        } else {
            (self.after.is_some(), more)
        };
        let mut connection = async_graphql::connection::Connection::with_additional_fields(
            has_previous,
            has_next,
            totals,
        );
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = Cursor(ordering.iter().map(|key| (key.value)(&row)).collect());
            Edge::new(cursor, to_node(row))
        }));
        connection
    }
}

/// `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR …`, each comparison turned by the
/// key's direction.
fn beyond<M>(ordering: Ordering<M>, cursor: &Cursor, after: bool) -> Result<Sql> {
    if cursor.0.len() != ordering.len() {
        return Err(AppError::bad_input(
            "the cursor belongs to another ordering; restart from the first page",
        ));
    }
    let values: Vec<Value> = ordering
        .iter()
        .zip(&cursor.0)
        .map(|(key, value)| bind_value(key.ty, value))
        .collect::<Result<_>>()?;
    let mut sql = Sql::new("(");
    for i in 0..ordering.len() {
        if i > 0 {
            sql.push(" OR ");
        }
        sql.push("(");
        for j in 0..i {
            sql.push(ordering[j].sql)
                .push(" = ")
                .bind(values[j].clone())
                .push(" AND ");
        }
        let greater = after != ordering[i].descending;
        sql.push(ordering[i].sql)
            .push(if greater { " > " } else { " < " })
            .bind(values[i].clone())
            .push(")");
    }
    sql.push(")");
    Ok(sql)
}

fn bind_value(ty: KeyType, value: &serde_json::Value) -> Result<Value> {
    let malformed = || AppError::bad_input("the cursor is malformed; restart from the first page");
    Ok(match ty {
        KeyType::Text => value.as_str().ok_or_else(malformed)?.to_owned().into(),
        KeyType::Int => value.as_i64().ok_or_else(malformed)?.into(),
        KeyType::Float => value.as_f64().ok_or_else(malformed)?.into(),
        KeyType::Date => value
            .as_str()
            .and_then(|s| s.parse::<chrono::NaiveDate>().ok())
            .ok_or_else(malformed)?
            .into(),
    })
}

/// `totalCount` of a connection: counted only when a client selects it.
pub enum Totals {
    /// A root list: count the filtered table.
    Root(Sql),
    /// A nested list: counted per parent in one batch.
    Nested {
        parent: i32,
        relation: &'static Relation,
        filter: Sql,
    },
    /// A list already counted while it was built.
    Fixed(u64),
    /// A list whose size is not known without running it whole (search).
    Unknown,
}

#[Object]
impl Totals {
    /// How many items the connection has across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match self {
            Totals::Root(sql) => {
                let db = ctx.data_unchecked::<DatabaseConnection>();
                let row = db
                    .query_one_raw(sql.statement(db.get_database_backend()))
                    .await?;
                let total: i64 = match row {
                    Some(row) => row.try_get_by_index(0)?,
                    None => 0,
                };
                Ok(u64::try_from(total).unwrap_or_default())
            }
            Totals::Fixed(total) => Ok(*total),
            Totals::Unknown => Err(AppError::bad_input(
                "totalCount is not available for search results",
            )),
            Totals::Nested {
                parent,
                relation,
                filter,
            } => {
                // Built here, not with the page: most queries never ask.
                let key = CountKey::new(*parent, relation, filter);
                let loader = ctx.data_unchecked::<DataLoader<super::loader::Counts>>();
                Ok(loader.load_one(key).await?.unwrap_or(0))
            }
        }
    }
}

/// A connection as this API returns it.
pub type Connection<N> = async_graphql::connection::Connection<Cursor, N, Totals>;

/// One page of a root list: the rows of `M`'s table matching `filter` (SQL
/// over the alias `t`), in `ordering`.
pub async fn root_page<M: Record, N: OutputType>(
    ctx: &Context<'_>,
    filter: Sql,
    ordering: Ordering<M>,
    args: PageArgs,
    to_node: impl Fn(M) -> N,
) -> Result<Connection<N>> {
    let window = args.window(ctx)?;
    super::CostLedger::count_page(ctx);
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let mut sql = Sql::new(format!("SELECT t.* FROM {} t WHERE ", M::TABLE));
    sql.append(&filter)
        .push(" AND ")
        .append(&window.keyset(ordering)?);
    sql.push(&format!(
        " ORDER BY {} LIMIT {}",
        window.order_by(ordering),
        window.limit()
    ));
    let rows = db
        .query_all_raw(sql.statement(db.get_database_backend()))
        .await?;
    let rows = rows
        .iter()
        .map(|row| M::from_query_result(row, ""))
        .collect::<Result<Vec<M>, _>>()?;

    let mut count = Sql::new(format!("SELECT COUNT(*) FROM {} t WHERE ", M::TABLE));
    count.append(&filter);
    Ok(window.connection(rows, ordering, Totals::Root(count), to_node))
}

/// One page of a nested list for one parent; the loader fetches the pages
/// of all parents that ask the same question in one statement.
pub async fn nested_page<M: Record, N: OutputType>(
    ctx: &Context<'_>,
    parent: i32,
    relation: &'static Relation,
    filter: Sql,
    ordering: Ordering<M>,
    args: PageArgs,
    to_node: impl Fn(M) -> N,
) -> Result<Connection<N>> {
    let window = args.window(ctx)?;
    super::CostLedger::count_page(ctx);
    let request = Arc::new(Request::new(
        relation,
        &filter,
        &window.keyset(ordering)?,
        window.order_by(ordering),
        window.limit(),
    ));
    let loader = ctx.data_unchecked::<DataLoader<super::loader::Nested<M>>>();
    let rows = loader
        .load_one(NestedKey { parent, request })
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or_default();
    let totals = Totals::Nested {
        parent,
        relation,
        filter,
    };
    Ok(window.connection(rows, ordering, totals, to_node))
}

/// Up to `limit` children of a parent in `order_by` (SQL over `t`), batched
/// with every other parent asking the same: for derived views that merge or
/// rank children in memory.
pub async fn children<M: Record>(
    ctx: &Context<'_>,
    parent: i32,
    relation: &'static Relation,
    filter: &Sql,
    order_by: &str,
    limit: usize,
) -> Result<Vec<M>> {
    let request = Arc::new(Request::new(
        relation,
        filter,
        &Sql::new("1=1"),
        order_by.to_owned(),
        limit,
    ));
    let loader = ctx.data_unchecked::<DataLoader<super::loader::Nested<M>>>();
    Ok(loader
        .load_one(NestedKey { parent, request })
        .await?
        .map(Arc::unwrap_or_clone)
        .unwrap_or_default())
}
