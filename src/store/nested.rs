//! Nested pages: the children of many parents, each parent's first rows in
//! one statement (`ROW_NUMBER() OVER (PARTITION BY parent …)`), so a query
//! level costs one statement however many parents it has; and per-parent
//! counts.
//!
//! Over 400 lines: the statement, its shapes per backend and the reading
//! of its rows are one piece; most of it is why each shape was chosen.

use super::batched::by_ids;
use super::filters::{Filter, T, both, t};
use super::joined_cities;
use super::pages::{Ordering, PageRows, PositionError, Window};
use super::record::Record;
use super::relations::{Link, Relation};
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, Func, JoinType, Order, OverStatement, Query,
    SelectStatement, UnionType, WindowStatement,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};
use std::collections::HashMap;

/// The question every parent of a nested list asks: which relation, which
/// children (filter and position), in which order, how many.
pub struct PageRequest<M: 'static> {
    relation: &'static Relation,
    condition: Condition,
    order: Vec<(Expr, Order)>,
    ordering: Ordering<M>,
    backwards: bool,
    limit: usize,
    /// Whether the rows' cities come in the same statement.
    cities: bool,
}

impl<M> PartialEq for PageRequest<M> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.relation, other.relation)
            && std::ptr::eq(self.ordering, other.ordering)
            && self.backwards == other.backwards
            && self.limit == other.limit
            && self.cities == other.cities
            && self.condition == other.condition
    }
}

impl<M> PageRequest<M> {
    /// A page of children: `filter`, between the window's positions, in
    /// its order, up to its limit.
    pub fn page(
        relation: &'static Relation,
        filter: &Filter<M>,
        ordering: Ordering<M>,
        window: &Window,
    ) -> Result<Self, PositionError> {
        Ok(Self {
            relation,
            condition: both(filter.condition(), window.keyset(ordering)?),
            order: window.order(ordering),
            ordering,
            backwards: window.backwards,
            limit: window.limit(),
            cities: false,
        })
    }

    /// The same request, with the rows' cities read in its statement
    /// ([`super::joined_cities`]) when `cities` and the rows have any.
    pub fn with_cities(mut self, cities: bool) -> Self {
        self.cities = cities;
        self
    }

    /// The first `limit` children matching `filter`, in `ordering`: for
    /// views that merge or rank children in memory.
    pub fn first(
        relation: &'static Relation,
        filter: &Filter<M>,
        ordering: Ordering<M>,
        limit: usize,
    ) -> Self {
        let window = Window {
            size: limit,
            ..Window::default()
        };
        Self {
            relation,
            condition: filter.condition(),
            order: window.order(ordering),
            ordering,
            backwards: false,
            limit,
            cities: false,
        }
    }

    /// A hash consistent with equality, cheap to compute: the relation, the
    /// ordering and the limit (requests that differ only in their filter
    /// are rare within one query, and compared in full).
    pub fn shape_hash(&self) -> (usize, usize, bool, usize) {
        (
            std::ptr::from_ref(self.relation) as usize,
            self.ordering.as_ptr() as usize,
            self.backwards,
            self.limit,
        )
    }

    /// The relation asked about.
    pub fn relation(&self) -> &'static Relation {
        self.relation
    }
}

/// Where the children of some parents come from: a `FROM` with the child
/// rows as `t` (a child of several parents comes once for each), and the
/// expression of each row's parent id.
struct Children {
    select: SelectStatement,
    parent: Expr,
    /// Whether `t.*` already holds the parent's id as `tw_parent`.
    in_rows: bool,
}

impl Children {
    /// `SELECT … FROM <children> WHERE <condition>` without columns yet.
    fn of(backend: DbBackend, relation: &Relation, parents: &[i32], condition: Condition) -> Self {
        let (mut select, parent, in_rows) = match (backend, relation.link) {
            // Straight from the child table: joined to itself by id, it made
            // PostgreSQL hash the whole table (Q2's visits: 17 -> 6 ms).
            // SQLite looks the ids up one by one, as fast either way.
            (DbBackend::Postgres, Link::Columns(columns)) => {
                let rows = by_columns(relation, columns, parents, |select, column| {
                    select
                        .column((T, Asterisk))
                        .expr_as(t(column), Alias::new("tw_parent"));
                });
                let mut select = Query::select();
                select.from_subquery(rows, T);
                (select, t("tw_parent"), true)
            }
            (_, link) => {
                let pairs = match link {
                    Link::Pairs(pairs) => pairs(parents),
                    Link::Columns(columns) => {
                        by_columns(relation, columns, parents, |select, column| {
                            select
                                .expr_as(t(column), Alias::new("parent"))
                                .expr_as(t("id"), Alias::new("child"));
                        })
                    }
                };
                let mut select = Query::select();
                (relation.rows)(&mut select);
                select.join_subquery(
                    JoinType::InnerJoin,
                    pairs,
                    "e",
                    Expr::col(("e", "child")).equals((T, "id")),
                );
                (select, Expr::col(("e", "parent")), false)
            }
        };
        select.cond_where(condition);
        Self {
            select,
            parent,
            in_rows,
        }
    }

    /// Selects `t.*`, and the parent's id as `tw_parent`.
    fn with_rows(mut self) -> SelectStatement {
        self.select.column((T, Asterisk));
        if !self.in_rows {
            self.select.expr_as(self.parent, Alias::new("tw_parent"));
        }
        self.select
    }
}

/// For each of `columns`, the rows of the relation's table whose column
/// holds one of `parents`, with `columns_of` selecting what each gives; all
/// of them, `UNION ALL`.
fn by_columns(
    relation: &Relation,
    columns: &[&'static str],
    parents: &[i32],
    columns_of: impl Fn(&mut SelectStatement, &'static str),
) -> SelectStatement {
    let mut selects = columns.iter().map(|&column| {
        let mut select = Query::select();
        columns_of(&mut select, column);
        (relation.rows)(&mut select);
        select.and_where(t(column).is_in(parents.iter().copied()));
        select
    });
    let mut union = selects.next().unwrap_or_else(Query::select);
    for select in selects {
        union.union(UnionType::All, select);
    }
    union
}

/// `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY …) AS tw_rn`.
fn numbered(select: &mut SelectStatement, parent: Expr, order: &[(Expr, Order)]) {
    let mut window = WindowStatement::new();
    window.add_partition_by(parent);
    for (expr, direction) in order {
        window.order_by_expr(expr.clone(), direction.clone());
    }
    select.expr_window_as(Func::cust("ROW_NUMBER"), window, Alias::new("tw_rn"));
}

/// Whether the pages of `parents` come as `(parent, child id, number)`
/// triples, and each distinct child once by id, rather than a child's whole
/// row in every page it is on. Children through `(parent, child)` pairs
/// (link tables, the topic tree) are shared between parents: the 2,079
/// topic rows of the benchmark's Q2 are 32 topics, and reading each row's
/// every column dominated the statement's cost on SQLite.
fn shared_children(relation: &Relation, parents: &[i32]) -> bool {
    matches!(relation.link, Link::Pairs(_)) && parents.len() > 1
}

/// Whether a page statement's rows come in no set order. On PostgreSQL,
/// several parents' rows come numbered in page order (`tw_rn`) and the
/// caller sorts them, in far less time than PostgreSQL's final sort took
/// (Q2: 1-2 ms per statement); on SQLite, leaving the sort out made Q2
/// slower.
fn rows_unsorted(backend: DbBackend, parents: &[i32]) -> bool {
    backend != DbBackend::Sqlite && parents.len() > 1
}

/// Every parent's page in one statement: each parent's first `limit` rows,
/// with the parent's id as `tw_parent` (and their cities, if asked), by
/// parent in page order unless [`rows_unsorted`]; for [`shared_children`],
/// only `(tw_parent, tw_child, tw_rn)` triples, in no set order.
fn pages_statement<M: Record>(
    backend: DbBackend,
    request: &PageRequest<M>,
    parents: &[i32],
) -> Statement {
    let limit = request.limit as u64;
    let children = || {
        Children::of(
            backend,
            request.relation,
            parents,
            request.condition.clone(),
        )
    };
    let cities = |select: &mut SelectStatement| {
        if request.cities {
            joined_cities::join::<M>(select);
        }
    };
    // One parent (a record's own page, the commonest case) needs no
    // numbering: its first rows are the page.
    if let [_] = parents {
        let mut select = children().with_rows();
        cities(&mut select);
        for (expr, order) in &request.order {
            select.order_by_expr(expr.clone(), order.clone());
        }
        return super::limited(backend, &select, limit);
    }
    let numbered_pairs = || {
        let Children {
            mut select, parent, ..
        } = children();
        select
            .expr_as(parent.clone(), Alias::new("tw_parent"))
            .expr_as(t("id"), Alias::new("tw_child"));
        numbered(&mut select, parent, &request.order);
        select
    };
    // The limit in the text, as for [`super::limited`]: SQLite would
    // prepare the statement again whenever a bound limit is bound.
    let below_limit = Expr::col(("x", "tw_rn")).lte(Expr::cust(limit.to_string()));
    if shared_children(request.relation, parents) {
        return backend.build(
            Query::select()
                .columns([("x", "tw_parent"), ("x", "tw_child"), ("x", "tw_rn")])
                .from_subquery(numbered_pairs(), "x")
                .and_where(below_limit),
        );
    }
    let select = match backend {
        // SQLite's window copies every column of every row into a temporary
        // table, twice: numbering only (parent, child) pairs and joining
        // the rows back takes a third less time (Q2 of the benchmark).
        DbBackend::Sqlite => {
            let mut select = Query::select();
            select
                .column((T, Asterisk))
                .columns([("x", "tw_parent"), ("x", "tw_rn")])
                .from_subquery(numbered_pairs(), "x");
            M::join_rows(&mut select, Expr::col((T, "id")).equals(("x", "tw_child")));
            cities(&mut select);
            select
                .and_where(below_limit)
                .order_by(("x", "tw_parent"), Order::Asc)
                .order_by(("x", "tw_rn"), Order::Asc);
            select
        }
        // PostgreSQL numbers whole rows faster than it looks them up twice.
        _ => {
            let Children {
                mut select,
                parent,
                in_rows,
            } = children();
            select.column((T, Asterisk));
            if !in_rows {
                select.expr_as(parent.clone(), Alias::new("tw_parent"));
            }
            cities(&mut select);
            numbered(&mut select, parent, &request.order);
            Query::select()
                .column(Asterisk)
                .from_subquery(select, "x")
                .and_where(below_limit)
                .to_owned()
        }
    };
    backend.build(&select)
}

/// Rows of several pages, `(parent, number in its page, row)` in any order,
/// as each parent's page in order (rows of equal number keep their order).
fn pages_by_parent<M>(
    rows: impl Iterator<Item = Result<(i32, i64, M), DbErr>>,
) -> Result<HashMap<i32, Vec<M>>, DbErr> {
    let mut numbered: HashMap<i32, Vec<(i64, M)>> = HashMap::new();
    for row in rows {
        let (parent, number, row) = row?;
        numbered.entry(parent).or_default().push((number, row));
    }
    Ok(numbered
        .into_iter()
        .map(|(parent, mut page)| {
            page.sort_by_key(|(number, _)| *number);
            (parent, page.into_iter().map(|(_, row)| row).collect())
        })
        .collect())
}

/// Pages from `(parent, child id, number)` triples (see
/// [`shared_children`]): each distinct child read once, cloned into every
/// page it is on. A child deleted between the two statements is left out,
/// as if the pages had been read a moment later. Their cities are not read
/// here: they are loaded by id when asked for.
async fn shared_pages<M: Record>(
    db: &impl ConnectionTrait,
    triples: &[QueryResult],
) -> Result<HashMap<i32, Vec<M>>, DbErr> {
    let triples = triples
        .iter()
        .map(|row| {
            Ok((
                row.try_get_by_index::<i32>(0)?,
                row.try_get_by_index::<i32>(1)?,
                row.try_get_by_index::<i64>(2)?,
            ))
        })
        .collect::<Result<Vec<(i32, i32, i64)>, DbErr>>()?;
    let mut ids: Vec<i32> = triples.iter().map(|&(_, child, _)| child).collect();
    ids.sort_unstable();
    ids.dedup();
    let children = by_ids::<M>(db, &ids).await?;
    pages_by_parent(triples.into_iter().filter_map(|(parent, child, number)| {
        let row = children.get(&child)?.clone();
        Some(Ok((parent, number, row)))
    }))
}

/// Each parent's page of children, all parents in one statement (two for
/// children shared between parents).
pub async fn pages<M: Record>(
    db: &impl ConnectionTrait,
    request: &PageRequest<M>,
    parents: &[i32],
) -> Result<HashMap<i32, PageRows<M>>, DbErr> {
    let backend = db.get_database_backend();
    let select = pages_statement(backend, request, parents);
    let rows = db.query_all_raw(select).await?;
    if shared_children(request.relation, parents) {
        let pages = shared_pages(db, &rows).await?;
        return Ok(pages
            .into_iter()
            .map(|(parent, rows)| (parent, PageRows::of(rows)))
            .collect());
    }
    let mut cities: HashMap<i32, Vec<entity::city::Model>> = HashMap::new();
    let numbered = rows_unsorted(backend, parents);
    let pages = pages_by_parent(rows.iter().map(|row| {
        let parent = row.try_get::<i32>("", "tw_parent")?;
        let number = match numbered {
            true => row.try_get::<i64>("", "tw_rn")?,
            false => 0,
        };
        if request.cities {
            joined_cities::read::<M>(row, cities.entry(parent).or_default())?;
        }
        Ok((parent, number, M::from_query_result(row, "")?))
    }))?;
    Ok(pages
        .into_iter()
        .map(|(parent, rows)| {
            let cities = cities.remove(&parent).unwrap_or_default();
            (parent, PageRows { rows, cities })
        })
        .collect())
}

/// How many children of a relation matching `filter` each parent has.
pub async fn counts<M>(
    db: &impl ConnectionTrait,
    relation: &Relation,
    filter: &Filter<M>,
    parents: &[i32],
) -> Result<HashMap<i32, u64>, DbErr> {
    let backend = db.get_database_backend();
    let Children {
        mut select, parent, ..
    } = Children::of(backend, relation, parents, filter.condition());
    select
        .expr(parent.clone())
        .expr(Expr::cust("COUNT(*)"))
        .add_group_by([parent]);
    let mut found = HashMap::new();
    for row in db.query_all(&select).await? {
        let parent: i32 = row.try_get_by_index(0)?;
        let count: i64 = row.try_get_by_index(1)?;
        found.insert(parent, u64::try_from(count).unwrap_or_default());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::pages_by_parent;

    #[test]
    fn numbered_rows_in_any_order_make_each_parent_s_page_in_order() {
        let rows = [
            (2, 2, "b2"),
            (1, 3, "a3"),
            (2, 1, "b1"),
            (1, 1, "a1"),
            (1, 2, "a2"),
        ];
        let pages = pages_by_parent(rows.into_iter().map(Ok)).expect("pages");
        assert_eq!(pages[&1], ["a1", "a2", "a3"]);
        assert_eq!(pages[&2], ["b1", "b2"]);
        assert_eq!(pages.len(), 2);
    }

    #[test]
    fn one_parent_s_rows_keep_the_order_they_came_in() {
        let rows = [(7, 0, "c"), (7, 0, "a"), (7, 0, "b")];
        let pages = pages_by_parent(rows.into_iter().map(Ok)).expect("pages");
        assert_eq!(pages[&7], ["c", "a", "b"]);
    }
}
