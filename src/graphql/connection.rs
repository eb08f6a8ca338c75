//! Relay cursor connections over the store's keyset pages: the four paging
//! arguments, opaque cursors (a row's position, as base64url of a JSON
//! array), page-size limits, `pageInfo` and `totalCount`. Root lists run
//! one statement per page; nested lists go through [`super::loader`] and run
//! one statement per level for all parents.

use super::loader::{CountKey, CountRequest, Counts, Nested, NestedKey};
use crate::error::{AppError, Result};
use crate::graphql::pipeline::request_data::{joined_cities, loader};
use crate::store::Record;
use crate::store::filters::Filter;
use crate::store::nested::PageRequest;
use crate::store::pages::{self, Ordering, PageRows, PositionError, Window};
use crate::store::relations::Relation;
use async_graphql::connection::{ConnectionNameType, CursorType, Edge, EdgeNameType, EmptyFields};
use async_graphql::{Context, Object, ObjectType, OutputType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// An opaque cursor: the position of a row, as base64url of a JSON array.
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

impl From<PositionError> for AppError {
    fn from(error: PositionError) -> Self {
        AppError::bad_input(error.to_string())
    }
}

impl From<pages::PageError> for AppError {
    fn from(error: pages::PageError) -> Self {
        match error {
            pages::PageError::Position(position) => position.into(),
            pages::PageError::Database(database) => database.into(),
        }
    }
}

/// The four Relay arguments.
#[derive(Default)]
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
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
        let decode = |cursor: Option<String>| {
            cursor
                .map(|c| Cursor::decode_cursor(&c).map(|c| c.0))
                .transpose()
        };
        Ok(Window {
            after: decode(self.after)?,
            before: decode(self.before)?,
            size,
            backwards,
        })
    }
}

/// Turns fetched rows (in window order, up to `limit()`) into a connection
/// whose edges carry `edge_fields` of their row.
fn connection<M, N, E, CN, EN>(
    window: &Window,
    mut rows: Vec<M>,
    ordering: Ordering<M>,
    totals: Totals,
    to_node: impl Fn(M) -> N,
    edge_fields: impl Fn(&M) -> E,
) -> EdgeConnection<N, E, CN, EN>
where
    N: OutputType,
    E: ObjectType,
    CN: ConnectionNameType,
    EN: EdgeNameType,
{
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
        totals,
    );
    connection.edges.extend(rows.into_iter().map(|row| {
        let cursor = Cursor(Window::position(ordering, &row));
        let fields = edge_fields(&row);
        Edge::with_additional_fields(cursor, to_node(row), fields)
    }));
    connection
}

/// Counts a list's items when a client asks for `totalCount`.
#[async_trait::async_trait]
pub trait Counter: Send + Sync {
    async fn count(&self, ctx: &Context<'_>) -> Result<u64>;
}

/// A root list: the filtered table, counted in one statement.
struct RootCount<M> {
    filter: Filter<M>,
}

#[async_trait::async_trait]
impl<M: Record> Counter for RootCount<M> {
    async fn count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(pages::count(super::db(ctx), &self.filter).await?)
    }
}

/// A nested list: counted per parent, all parents in one batch.
struct NestedCount<M: 'static> {
    key: CountKey<M>,
}

#[async_trait::async_trait]
impl<M: Record> Counter for NestedCount<M> {
    async fn count(&self, ctx: &Context<'_>) -> Result<u64> {
        let loader = loader::<Counts<M>>(ctx);
        Ok(loader.load_one(self.key.clone()).await?.unwrap_or(0))
    }
}

/// `totalCount` of a connection: counted only when a client selects it.
pub enum Totals {
    /// Counted by a statement of its own, when asked.
    Count(Arc<dyn Counter>),
    /// A list already counted while it was built.
    Fixed(u64),
}

#[Object]
impl Totals {
    /// How many items the connection has across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match self {
            Totals::Count(counter) => counter.count(ctx).await,
            Totals::Fixed(total) => Ok(*total),
        }
    }
}

/// A connection as this API returns it.
pub type Connection<N> = async_graphql::connection::Connection<Cursor, N, Totals>;

/// A connection whose edges carry fields `E` besides cursor and node, named
/// by `CN` and `EN` (a type name stands for one shape only).
pub type EdgeConnection<N, E, CN, EN> =
    async_graphql::connection::Connection<Cursor, N, Totals, E, CN, EN>;

/// One page of a root list: the rows of `M`'s table matching `filter`, in
/// `ordering`.
pub async fn root_page<M: Record, N: OutputType>(
    ctx: &Context<'_>,
    filter: Filter<M>,
    ordering: Ordering<M>,
    args: PageArgs,
    to_node: impl Fn(M) -> N,
) -> Result<Connection<N>> {
    let window = args.window(ctx)?;
    super::CostLedger::count_page(ctx);
    let cities = with_cities::<M>(ctx);
    let page = pages::page(super::db(ctx), &filter, ordering, &window, cities).await?;
    let rows = keep_cities(ctx, page);
    let totals = Totals::Count(Arc::new(RootCount { filter }));
    Ok(connection(&window, rows, ordering, totals, to_node, |_| {
        EmptyFields
    }))
}

/// One page of a nested list for one parent; the loader fetches the pages
/// of all parents that ask the same question in one statement.
pub async fn nested_page<M: Record, N: OutputType>(
    ctx: &Context<'_>,
    parent: i32,
    relation: &'static Relation,
    filter: Filter<M>,
    ordering: Ordering<M>,
    args: PageArgs,
    to_node: impl Fn(M) -> N,
) -> Result<Connection<N>> {
    let list = NestedList {
        parent,
        relation,
        filter,
        ordering,
    };
    nested_page_with(ctx, list, args, to_node, |_| EmptyFields).await
}

/// The list of a parent's children that [`nested_page_with`] pages.
pub struct NestedList<M: 'static> {
    pub parent: i32,
    pub relation: &'static Relation,
    pub filter: Filter<M>,
    pub ordering: Ordering<M>,
}

/// [`nested_page`], with `edge_fields` of each row on its edge.
pub async fn nested_page_with<M, N, E, CN, EN>(
    ctx: &Context<'_>,
    list: NestedList<M>,
    args: PageArgs,
    to_node: impl Fn(M) -> N,
    edge_fields: impl Fn(&M) -> E,
) -> Result<EdgeConnection<N, E, CN, EN>>
where
    M: Record,
    N: OutputType,
    E: ObjectType,
    CN: ConnectionNameType,
    EN: EdgeNameType,
{
    let NestedList {
        parent,
        relation,
        filter,
        ordering,
    } = list;
    let window = args.window(ctx)?;
    super::CostLedger::count_page(ctx);
    let request =
        PageRequest::page(relation, &filter, ordering, &window)?.with_cities(with_cities::<M>(ctx));
    let request = Arc::new(request);
    let rows = load_page(ctx, parent, request).await?;
    let key = CountKey {
        parent,
        request: Arc::new(CountRequest { relation, filter }),
    };
    let totals = Totals::Count(Arc::new(NestedCount { key }));
    Ok(connection(
        &window,
        rows,
        ordering,
        totals,
        to_node,
        edge_fields,
    ))
}

/// Up to `limit` children of a parent in `ordering`, batched with every
/// other parent asking the same: for derived views that merge or rank
/// children in memory.
pub async fn children<M: Record>(
    ctx: &Context<'_>,
    parent: i32,
    relation: &'static Relation,
    filter: &Filter<M>,
    ordering: Ordering<M>,
    limit: usize,
) -> Result<Vec<M>> {
    let request = Arc::new(PageRequest::first(relation, filter, ordering, limit));
    load_page(ctx, parent, request).await
}

async fn load_page<M: Record>(
    ctx: &Context<'_>,
    parent: i32,
    request: Arc<PageRequest<M>>,
) -> Result<Vec<M>> {
    let loader = loader::<Nested<M>>(ctx);
    let page = loader.load_one(NestedKey { parent, request }).await?;
    Ok(page.map_or_else(Vec::new, |page| {
        keep_cities(ctx, Arc::unwrap_or_clone(page))
    }))
}

/// The fields of a node that show its cities (by the ids in
/// [`Record::CITIES`]).
const SHOWS_CITIES: &[&str] = &[
    "cities", "partner", "title", "fromCity", "toCity", "hostCity", "city", "signedIn",
];

/// Whether a page of `M` should read its rows' cities in its statement: in
/// a query that keeps them (`request_data::JoinedCities`), when its nodes
/// (or a city's partnership edges) show a city.
fn with_cities<M: Record>(ctx: &Context<'_>) -> bool {
    if M::CITIES.is_empty() || joined_cities(ctx).is_none() {
        return false;
    }
    let page = ctx.look_ahead();
    let nodes = [page.field("nodes"), page.field("edges").field("node")];
    page.field("edges").field("partner").exists()
        || SHOWS_CITIES
            .iter()
            .any(|field| nodes.iter().any(|node| node.field(field).exists()))
}

/// A page's rows, its cities kept for the query's fields.
fn keep_cities<M>(ctx: &Context<'_>, page: PageRows<M>) -> Vec<M> {
    if let Some(kept) = joined_cities(ctx) {
        kept.keep(page.cities);
    }
    page.rows
}
