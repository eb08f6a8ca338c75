//! DataLoaders: every related record, and every nested page, is fetched in
//! one statement per batch of parents, never one statement per parent.

use crate::error::AppError;
use crate::store::relations::{Link, Relation};
use crate::store::{Record, Sql};
use async_graphql::dataloader::Loader;
use entity::city_name;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder,
};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

/// Runs a statement and reads each row as `M`, with the extra integer
/// column `extra` if given.
async fn fetch<M: Record>(
    db: &DatabaseConnection,
    sql: &Sql,
    extra: Option<&str>,
) -> Result<Vec<(i32, M)>, AppError> {
    let rows = db
        .query_all_raw(sql.statement(db.get_database_backend()))
        .await?;
    rows.iter()
        .map(|row| {
            let parent = match extra {
                Some(column) => row.try_get::<i32>("", column)?,
                None => 0,
            };
            Ok((parent, M::from_query_result(row, "")?))
        })
        .collect()
}

/// Records of one table by id or key.
pub struct Rows<M> {
    db: DatabaseConnection,
    _model: PhantomData<fn() -> M>,
}

impl<M> Rows<M> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            _model: PhantomData,
        }
    }
}

/// A record's key, as a loader key distinct from its id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(pub String);

/// The most ids one statement binds: far below any database's limit on
/// bound values (SQLite's is 32,766), and the DataLoader's batch size.
const IDS_PER_STATEMENT: usize = 1000;

/// Records of `M`'s table by id, in statements of up to
/// [`IDS_PER_STATEMENT`] ids.
async fn by_ids<M: Record>(
    db: &DatabaseConnection,
    ids: &[i32],
) -> Result<HashMap<i32, M>, AppError> {
    let mut found = HashMap::with_capacity(ids.len());
    for ids in ids.chunks(IDS_PER_STATEMENT) {
        let mut sql = Sql::new(format!("SELECT t.* FROM {} t WHERE t.id IN (", M::TABLE));
        sql.bind_list(ids.iter().copied()).push(")");
        found.extend(
            fetch::<M>(db, &sql, None)
                .await?
                .into_iter()
                .map(|(_, row)| (row.id(), row)),
        );
    }
    Ok(found)
}

impl<M: Record> Loader<i32> for Rows<M> {
    type Value = M;
    type Error = AppError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, M>, AppError> {
        by_ids(&self.db, ids).await
    }
}

impl<M: Record> Loader<Key> for Rows<M> {
    type Value = M;
    type Error = AppError;

    async fn load(&self, keys: &[Key]) -> Result<HashMap<Key, M>, AppError> {
        let mut sql = Sql::new(format!("SELECT t.* FROM {} t WHERE t.key IN (", M::TABLE));
        sql.bind_list(keys.iter().map(|k| k.0.clone())).push(")");
        Ok(fetch::<M>(&self.db, &sql, None)
            .await?
            .into_iter()
            .map(|(_, row)| (Key(row.key().to_owned()), row))
            .collect())
    }
}

/// The SQL of a nested page, shared by every parent that asks for it.
pub struct Request {
    signature: String,
    /// The signature's hash, computed once: the DataLoader's maps hash
    /// every key several times, and the signature is the statement's text.
    hash: u64,
    relation: &'static Relation,
    condition: Sql,
    order_by: String,
    limit: usize,
}

impl Request {
    pub fn new(
        relation: &'static Relation,
        filter: &Sql,
        keyset: &Sql,
        order_by: String,
        limit: usize,
    ) -> Self {
        let mut condition = filter.clone();
        condition.push(" AND ").append(keyset);
        let signature = format!(
            "{}|{}|{order_by}|{limit}",
            relation.name,
            condition.signature()
        );
        Self {
            hash: BuildHasherDefault::<DefaultHasher>::default().hash_one(&signature),
            signature,
            relation,
            condition,
            order_by,
            limit,
        }
    }
}

/// Where the children of `parents` come from: a `FROM` clause with the
/// child table's rows as `t`, and the SQL of each row's parent id (a child
/// of several parents comes once for each).
struct Children {
    from: Sql,
    parent: &'static str,
    /// Whether `t.*` already holds the parent's id as `tw_parent`.
    in_rows: bool,
}

impl Children {
    fn of(backend: DbBackend, relation: &Relation, parents: &[i32]) -> Self {
        let table = relation.table;
        match (backend, relation.link) {
            // Straight from the child table: joined to itself by id, it made
            // PostgreSQL hash the whole table (Q2's visits: 17 -> 6 ms).
            // SQLite looks the ids up one by one, as fast either way.
            (DbBackend::Postgres, Link::Columns(columns)) => {
                let mut from = Sql::new("(");
                from.append(&by_columns(table, columns, parents, |column| {
                    format!("t.*, t.{column} AS tw_parent")
                }))
                .push(") t");
                Self {
                    from,
                    parent: "t.tw_parent",
                    in_rows: true,
                }
            }
            (_, link) => {
                let mut from = Sql::new(format!("{table} t JOIN ("));
                match link {
                    Link::Edge(text) => {
                        let mut parts = text.split("{parents}");
                        if let Some(first) = parts.next() {
                            from.push(first);
                        }
                        for part in parts {
                            from.bind_list(parents.iter().copied()).push(part);
                        }
                    }
                    Link::Columns(columns) => {
                        from.append(&by_columns(table, columns, parents, |column| {
                            format!("t.{column} AS parent, t.id AS child")
                        }));
                    }
                }
                from.push(") e ON e.child = t.id");
                Self {
                    from,
                    parent: "e.parent",
                    in_rows: false,
                }
            }
        }
    }

    /// `t.*`, and the parent's id as `tw_parent`.
    fn columns(&self) -> String {
        match self.in_rows {
            true => "t.*".to_owned(),
            false => format!("t.*, {} AS tw_parent", self.parent),
        }
    }
}

/// For each of `columns`, the rows of `table` (as `t`) whose column holds
/// one of `parents`, selecting `select(column)`; all of them, `UNION ALL`.
fn by_columns(
    table: &str,
    columns: &[&str],
    parents: &[i32],
    select: impl Fn(&str) -> String,
) -> Sql {
    let mut sql = Sql::default();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT {} FROM {table} t WHERE t.{column} IN (",
            select(column)
        ))
        .bind_list(parents.iter().copied())
        .push(")");
    }
    sql
}

/// One parent's page of a nested list.
#[derive(Clone)]
pub struct NestedKey {
    pub parent: i32,
    pub request: Arc<Request>,
}

impl PartialEq for NestedKey {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent
            && (Arc::ptr_eq(&self.request, &other.request)
                || (self.request.hash == other.request.hash
                    && self.request.signature == other.request.signature))
    }
}
impl Eq for NestedKey {}
impl Hash for NestedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.request.hash.hash(state);
    }
}

/// Nested pages of records of one table.
pub struct Nested<M> {
    db: DatabaseConnection,
    _model: PhantomData<fn() -> M>,
}

impl<M> Nested<M> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            _model: PhantomData,
        }
    }
}

/// Groups keys by what they ask, so each distinct question runs once.
fn by_request<K: Clone, R>(
    keys: &[K],
    request: impl Fn(&K) -> (&str, R, i32),
) -> Vec<(R, Vec<i32>, Vec<K>)> {
    let mut groups: Vec<(String, R, Vec<i32>, Vec<K>)> = Vec::new();
    for key in keys {
        let (signature, req, parent) = request(key);
        match groups.iter_mut().find(|g| g.0 == signature) {
            Some(group) => {
                group.2.push(parent);
                group.3.push(key.clone());
            }
            None => groups.push((signature.to_owned(), req, vec![parent], vec![key.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(_, req, parents, keys)| (req, parents, keys))
        .collect()
}

/// Whether a page statement's rows come in no set order. On PostgreSQL,
/// several parents' rows come numbered in page order (`tw_rn`) and the
/// loader sorts them, in far less time than PostgreSQL's final sort took
/// (Q2: 1-2 ms per statement); on SQLite, leaving the sort out made Q2
/// slower.
fn rows_unsorted(backend: DbBackend, parents: &[i32]) -> bool {
    backend != DbBackend::Sqlite && parents.len() > 1
}

/// Every parent's page in one statement: each parent's first `limit` rows,
/// with the parent's id as `tw_parent`, by parent in page order unless
/// [`rows_unsorted`]; for [`shared_children`], only `(tw_parent, tw_child,
/// tw_rn)` triples, in no set order.
fn pages_statement(backend: DbBackend, request: &Request, parents: &[i32]) -> Sql {
    let limit = request.limit;
    let children = Children::of(backend, request.relation, parents);
    let rows = |columns: &str| {
        let mut sql = Sql::new(format!("SELECT {columns} FROM "));
        sql.append(&children.from)
            .push(" WHERE ")
            .append(&request.condition);
        sql
    };
    // One parent (a record's own page, the commonest case) needs no
    // numbering: its first rows are the page.
    if let [_] = parents {
        let mut sql = rows(&children.columns());
        sql.push(&format!(" ORDER BY {} LIMIT {limit}", request.order_by));
        return sql;
    }
    let number = format!(
        "ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {}) AS tw_rn",
        children.parent, request.order_by
    );
    let numbered_pairs = || {
        rows(&format!(
            "{} AS tw_parent, t.id AS tw_child, {number}",
            children.parent
        ))
    };
    if shared_children(request.relation, parents) {
        let mut sql = Sql::new("SELECT x.tw_parent, x.tw_child, x.tw_rn FROM (");
        sql.append(&numbered_pairs())
            .push(&format!(") x WHERE x.tw_rn <= {limit}"));
        return sql;
    }
    match backend {
        // SQLite's window copies every column of every row into a temporary
        // table, twice: numbering only (parent, child) pairs and joining
        // the rows back takes a third less time (Q2 of the benchmark).
        DbBackend::Sqlite => {
            let mut sql = Sql::new("SELECT t.*, x.tw_parent, x.tw_rn FROM (");
            sql.append(&numbered_pairs()).push(&format!(
                ") x JOIN {} t ON t.id = x.tw_child WHERE x.tw_rn <= {limit} ORDER BY x.tw_parent, x.tw_rn",
                request.relation.table
            ));
            sql
        }
        // PostgreSQL numbers whole rows faster than it looks them up twice.
        _ => {
            let mut sql = Sql::new("SELECT * FROM (");
            sql.append(&rows(&format!("{}, {number}", children.columns())))
                .push(&format!(") x WHERE x.tw_rn <= {limit}"));
            sql
        }
    }
}

/// Whether the pages of `parents` come as `(parent, child id, number)`
/// triples, and each distinct child once by id, rather than a child's whole
/// row in every page it is on. Children through `(parent, child)` pairs
/// (link tables, the topic tree) are shared between parents: the 2,079
/// topic rows of the benchmark's Q2 are 32 topics, and reading each row's
/// every column dominated the statement's cost on SQLite.
fn shared_children(relation: &Relation, parents: &[i32]) -> bool {
    matches!(relation.link, Link::Edge(_)) && parents.len() > 1
}

/// Rows of several pages, `(parent, number in its page, row)` in any order,
/// as each parent's page in order (rows of equal number keep their order).
fn pages_by_parent<M>(
    rows: impl Iterator<Item = Result<(i32, i64, M), AppError>>,
) -> Result<HashMap<i32, Vec<M>>, AppError> {
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

impl<M: Record> Nested<M> {
    /// Pages from `(parent, child id, number)` triples (see
    /// [`shared_children`]): each distinct child read once, cloned into
    /// every page it is on. A child deleted between the two statements is
    /// left out, as if the pages had been read a moment later.
    async fn shared_pages(
        &self,
        triples: &[sea_orm::QueryResult],
    ) -> Result<HashMap<i32, Vec<M>>, AppError> {
        let triples = triples
            .iter()
            .map(|row| {
                Ok((
                    row.try_get_by_index::<i32>(0)?,
                    row.try_get_by_index::<i32>(1)?,
                    row.try_get_by_index::<i64>(2)?,
                ))
            })
            .collect::<Result<Vec<(i32, i32, i64)>, AppError>>()?;
        let mut ids: Vec<i32> = triples.iter().map(|&(_, child, _)| child).collect();
        ids.sort_unstable();
        ids.dedup();
        let children = by_ids::<M>(&self.db, &ids).await?;
        pages_by_parent(triples.into_iter().filter_map(|(parent, child, number)| {
            let row = children.get(&child)?.clone();
            Some(Ok((parent, number, row)))
        }))
    }
}

/// A parent's page, shared: the DataLoader clones a value for each parent
/// that asked, and an `Arc` makes that clone free (the one parent takes the
/// rows out of it without copying them).
pub type Page<M> = Arc<Vec<M>>;

impl<M: Record> Loader<NestedKey> for Nested<M> {
    type Value = Page<M>;
    type Error = AppError;

    async fn load(&self, keys: &[NestedKey]) -> Result<HashMap<NestedKey, Page<M>>, AppError> {
        let mut pages: HashMap<NestedKey, Page<M>> = HashMap::new();
        for (request, parents, group) in by_request(keys, |k| {
            (k.request.signature.as_str(), k.request.clone(), k.parent)
        }) {
            debug_assert_eq!(
                request.relation.table,
                M::TABLE,
                "{} lists another table",
                request.relation.name
            );
            let backend = self.db.get_database_backend();
            let sql = pages_statement(backend, &request, &parents);
            let rows = self.db.query_all_raw(sql.statement(backend)).await?;
            let mut by_parent = if shared_children(request.relation, &parents) {
                self.shared_pages(&rows).await?
            } else {
                let numbered = rows_unsorted(backend, &parents);
                pages_by_parent(rows.iter().map(|row| {
                    let parent = row.try_get::<i32>("", "tw_parent")?;
                    let number = match numbered {
                        true => row.try_get::<i64>("", "tw_rn")?,
                        false => 0,
                    };
                    Ok((parent, number, M::from_query_result(row, "")?))
                }))?
            };
            for key in group {
                let rows = by_parent.remove(&key.parent).unwrap_or_default();
                pages.insert(key, Arc::new(rows));
            }
        }
        Ok(pages)
    }
}

/// The size of one parent's nested list, counted for all parents at once.
#[derive(Clone)]
pub struct CountKey {
    parent: i32,
    request: Arc<(String, &'static Relation, Sql)>,
}

impl CountKey {
    pub fn new(parent: i32, relation: &'static Relation, filter: &Sql) -> Self {
        let signature = format!("{}|{}", relation.name, filter.signature());
        Self {
            parent,
            request: Arc::new((signature, relation, filter.clone())),
        }
    }
}

impl PartialEq for CountKey {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.request.0 == other.request.0
    }
}
impl Eq for CountKey {}
impl Hash for CountKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.request.0.hash(state);
    }
}

/// Counts of nested lists.
pub struct Counts {
    db: DatabaseConnection,
}

impl Counts {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<CountKey> for Counts {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, keys: &[CountKey]) -> Result<HashMap<CountKey, u64>, AppError> {
        let mut counts = HashMap::new();
        for (request, parents, group) in by_request(keys, |k| {
            (k.request.0.as_str(), k.request.clone(), k.parent)
        }) {
            let (_, relation, filter) = request.as_ref();
            let backend = self.db.get_database_backend();
            let children = Children::of(backend, relation, &parents);
            let mut sql = Sql::new(format!("SELECT {}, COUNT(*) FROM ", children.parent));
            sql.append(&children.from)
                .push(" WHERE ")
                .append(filter)
                .push(&format!(" GROUP BY {}", children.parent));
            let rows = self.db.query_all_raw(sql.statement(backend)).await?;
            let mut found: HashMap<i32, u64> = HashMap::new();
            for row in rows {
                let parent: i32 = row.try_get_by_index(0)?;
                let count: i64 = row.try_get_by_index(1)?;
                found.insert(parent, u64::try_from(count).unwrap_or_default());
            }
            for key in group {
                let count = found.get(&key.parent).copied().unwrap_or(0);
                counts.insert(key, count);
            }
        }
        Ok(counts)
    }
}

/// The translations of a city, by city id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NamesOfCity(pub i32);

/// City translations.
pub struct CityNames {
    db: DatabaseConnection,
}

impl CityNames {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<NamesOfCity> for CityNames {
    type Value = Vec<city_name::Model>;
    type Error = AppError;

    async fn load(
        &self,
        ids: &[NamesOfCity],
    ) -> Result<HashMap<NamesOfCity, Vec<city_name::Model>>, AppError> {
        let rows = city_name::Entity::find()
            .filter(city_name::Column::CityId.is_in(ids.iter().map(|id| id.0)))
            .order_by_asc(city_name::Column::Lang)
            .all(&self.db)
            .await?;
        let mut names: HashMap<NamesOfCity, Vec<city_name::Model>> = HashMap::new();
        for row in rows {
            names.entry(NamesOfCity(row.city_id)).or_default().push(row);
        }
        Ok(names)
    }
}

/// The parties of a protocol, by protocol id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartiesOf(pub i32);

/// Protocol parties, in signing order.
pub struct Parties {
    db: DatabaseConnection,
}

impl Parties {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<PartiesOf> for Parties {
    type Value = Vec<entity::city::Model>;
    type Error = AppError;

    async fn load(
        &self,
        ids: &[PartiesOf],
    ) -> Result<HashMap<PartiesOf, Vec<entity::city::Model>>, AppError> {
        let mut sql = Sql::new(
            "SELECT t.*, pp.protocol_id AS tw_parent FROM city t JOIN protocol_party pp ON pp.city_id = t.id WHERE pp.protocol_id IN (",
        );
        sql.bind_list(ids.iter().map(|id| id.0))
            .push(") ORDER BY pp.protocol_id, pp.position");
        let mut parties: HashMap<PartiesOf, Vec<entity::city::Model>> = HashMap::new();
        for (protocol, city) in
            fetch::<entity::city::Model>(&self.db, &sql, Some("tw_parent")).await?
        {
            parties.entry(PartiesOf(protocol)).or_default().push(city);
        }
        Ok(parties)
    }
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
