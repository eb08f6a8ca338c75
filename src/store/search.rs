//! The search index: what text each record contributes, keeping it current
//! after writes, and running a ranked query on either backend (SQLite FTS5
//! or a PostgreSQL `tsvector`) behind one function.

use crate::domain::kinds::Kind;
use crate::store::Sql;
use entity::{city, city_name, event, organization, partnership, protocol, source, topic, visit};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Text folded for case-insensitive comparison in any script.
pub fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The words of a query: letters and digits in any script, folded.
fn words(query: &str) -> Vec<String> {
    fold(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The SQLite rowid of an entry: kind and id in one integer, so that an
/// entry can be replaced without scanning the unindexed columns.
fn rowid(kind: Kind, id: i32) -> i64 {
    (i64::from(kind.search_code()) << 32) | i64::from(id)
}

/// Removes a deleted record's index entry.
pub async fn remove(db: &impl ConnectionTrait, table: &str, id: i32) -> Result<(), DbErr> {
    let Some(kind) = Kind::from_table(table) else {
        return Ok(());
    };
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            let mut sql = Sql::new("DELETE FROM search_index WHERE record_kind = ");
            sql.bind(kind.search_code())
                .push(" AND record_id = ")
                .bind(id);
            sql
        }
        _ => {
            let mut sql = Sql::new("DELETE FROM search_index WHERE rowid = ");
            sql.bind(rowid(kind, id));
            sql
        }
    };
    db.execute_raw(sql.statement(backend)).await?;
    Ok(())
}

/// Replaces the index entries (and, for cities, the folded names) of the
/// given records.
pub async fn reindex(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    write_entries(db, kind, ids, true).await
}

/// Indexes records that have no entries yet (just created): no delete to
/// run first, which on a large, freshly filled table is the slow part.
pub async fn index_new(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    write_entries(db, kind, ids, false).await
}

async fn write_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
    replace: bool,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        let entries = entries(db, kind, chunk).await?;
        if replace {
            let mut delete = match db.get_database_backend() {
                DbBackend::Postgres => Sql::new(format!(
                    "DELETE FROM search_index WHERE record_kind = {} AND record_id IN (",
                    kind.search_code()
                )),
                _ => Sql::new("DELETE FROM search_index WHERE rowid IN ("),
            };
            match db.get_database_backend() {
                DbBackend::Postgres => delete.bind_list(chunk.iter().copied()),
                _ => delete.bind_list(chunk.iter().map(|id| rowid(kind, *id))),
            };
            delete.push(")");
            db.execute_raw(delete.statement(db.get_database_backend()))
                .await?;
        }
        insert_entries(db, kind, &entries).await?;
        if kind == Kind::City {
            city_search_names(db, chunk).await?;
        }
    }
    Ok(())
}

/// Inserts index entries `(id, name, body)` of one kind.
async fn insert_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    entries: &[(i32, String, String)],
) -> Result<(), DbErr> {
    for rows in entries.chunks(200) {
        let mut insert = match db.get_database_backend() {
            DbBackend::Postgres => {
                Sql::new("INSERT INTO search_index (record_kind, record_id, name, body) VALUES ")
            }
            _ => Sql::new(
                "INSERT INTO search_index (rowid, record_kind, record_id, name, body) VALUES ",
            ),
        };
        for (i, (id, name, body)) in rows.iter().enumerate() {
            insert.push(if i == 0 { "(" } else { ", (" });
            if db.get_database_backend() != DbBackend::Postgres {
                insert.bind(rowid(kind, *id)).push(", ");
            }
            insert
                .bind(kind.search_code())
                .push(", ")
                .bind(*id)
                .push(", ")
                .bind(name.clone())
                .push(", ")
                .bind(body.clone())
                .push(")");
        }
        db.execute_raw(insert.statement(db.get_database_backend()))
            .await?;
    }
    Ok(())
}

/// `(id, name, body)` of each record to index.
async fn entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
) -> Result<Vec<(i32, String, String)>, DbErr> {
    let join = |parts: &[Option<&str>]| {
        parts
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    Ok(match kind {
        Kind::City => {
            let names = translations(db, ids).await?;
            city::Entity::find()
                .filter(city::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|c| {
                    let other = names.get(&c.id).map(|n| n.join(" ")).unwrap_or_default();
                    (
                        c.id,
                        join(&[Some(&c.name), c.native_name.as_deref(), Some(&other)]),
                        join(&[c.region.as_deref(), Some(&c.country_code)]),
                    )
                })
                .collect()
        }
        Kind::Partnership => {
            let rows = partnership::Entity::find()
                .filter(partnership::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?;
            let city_ids: Vec<i32> = rows
                .iter()
                .flat_map(|p| [p.city_a_id, p.city_b_id])
                .collect();
            let cities: HashMap<i32, city::Model> = city::Entity::find()
                .filter(city::Column::Id.is_in(city_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
            let city_name = |id: i32| {
                cities
                    .get(&id)
                    .map(|c| join(&[Some(&c.name), c.native_name.as_deref()]))
                    .unwrap_or_default()
            };
            rows.into_iter()
                .map(|p| {
                    (
                        p.id,
                        format!("{} {}", city_name(p.city_a_id), city_name(p.city_b_id)),
                        p.notes.unwrap_or_default(),
                    )
                })
                .collect()
        }
        Kind::Visit => visit::Entity::find()
            .filter(visit::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|v| {
                (
                    v.id,
                    v.purpose.clone().unwrap_or_default(),
                    join(&[v.summary.as_deref(), v.head_of_delegation.as_deref()]),
                )
            })
            .collect(),
        Kind::Protocol => protocol::Entity::find()
            .filter(protocol::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title, p.summary.unwrap_or_default()))
            .collect(),
        Kind::Event => event::Entity::find()
            .filter(event::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name, e.description.unwrap_or_default()))
            .collect(),
        Kind::Topic => topic::Entity::find()
            .filter(topic::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name, t.description.unwrap_or_default()))
            .collect(),
        Kind::Organization => organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name, String::new()))
            .collect(),
        Kind::Source => source::Entity::find()
            .filter(source::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.title, s.publisher.unwrap_or_default()))
            .collect(),
    })
}

async fn translations(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, DbErr> {
    let mut names: HashMap<i32, Vec<String>> = HashMap::new();
    for row in city_name::Entity::find()
        .filter(city_name::Column::CityId.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        names.entry(row.city_id).or_default().push(row.name);
    }
    Ok(names)
}

/// Rebuilds the folded names of the given cities.
async fn city_search_names(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut delete = Sql::new("DELETE FROM city_search_name WHERE city_id IN (");
    delete.bind_list(ids.iter().copied()).push(")");
    db.execute_raw(delete.statement(backend)).await?;
    let names = translations(db, ids).await?;
    let mut rows: Vec<(i32, String)> = Vec::new();
    for c in city::Entity::find()
        .filter(city::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        let mut folded: Vec<String> = [Some(c.name.as_str()), c.native_name.as_deref()]
            .into_iter()
            .flatten()
            .map(fold)
            .collect();
        folded.extend(names.get(&c.id).into_iter().flatten().map(|n| fold(n)));
        folded.sort_unstable();
        folded.dedup();
        rows.extend(folded.into_iter().map(|f| (c.id, f)));
    }
    for chunk in rows.chunks(500) {
        let mut insert = Sql::new("INSERT INTO city_search_name (city_id, name_folded) VALUES ");
        for (i, (id, name)) in chunk.iter().enumerate() {
            insert
                .push(if i == 0 { "(" } else { ", (" })
                .bind(*id)
                .push(", ")
                .bind(name.clone())
                .push(")");
        }
        db.execute_raw(insert.statement(backend)).await?;
    }
    Ok(())
}

/// One hit: the record and its rank (lower is better on both backends).
pub struct Hit {
    pub kind: Kind,
    pub id: i32,
    pub rank: f64,
}

/// The ranked hits for a query after a cursor `(rank, kind, id)`. Every word
/// must match (as a prefix of a word in the record); the name counts ten
/// times as much as the rest of the text.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    types: &[Kind],
    after: Option<(f64, i16, i32)>,
    limit: usize,
) -> Result<Vec<Hit>, DbErr> {
    let words = words(query);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut sql = match backend {
        DbBackend::Postgres => {
            let tsquery = words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            let mut sql = Sql::new(
                "SELECT * FROM (SELECT record_kind, record_id, \
                 -(ts_rank('{0.1, 0.2, 0.4, 1.0}', document, q)::float8) AS rank \
                 FROM search_index, to_tsquery('simple', ",
            );
            sql.bind(tsquery)
                .push(") q WHERE document @@ q) s WHERE 1=1");
            sql
        }
        _ => {
            let fts = words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" AND ");
            let mut sql = Sql::new(
                "SELECT * FROM (SELECT record_kind, record_id, bm25(search_index, 0.0, 0.0, 10.0, 1.0) AS rank \
                 FROM search_index WHERE search_index MATCH ",
            );
            sql.bind(fts).push(") s WHERE 1=1");
            sql
        }
    };
    if !types.is_empty() {
        sql.push(" AND s.record_kind IN (")
            .bind_list(types.iter().map(|t| t.search_code()))
            .push(")");
    }
    if let Some((rank, kind, id)) = after {
        sql.push(" AND (s.rank > ")
            .bind(rank)
            .push(" OR (s.rank = ")
            .bind(rank)
            .push(" AND (s.record_kind > ")
            .bind(kind)
            .push(" OR (s.record_kind = ")
            .bind(kind)
            .push(" AND s.record_id > ")
            .bind(id)
            .push("))))");
    }
    sql.push(&format!(
        " ORDER BY s.rank, s.record_kind, s.record_id LIMIT {limit}"
    ));
    let rows = db.query_all_raw(sql.statement(backend)).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: i64 = row
            .try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i16>(0).map(i64::from))?;
        let id: i64 = row
            .try_get_by_index::<i64>(1)
            .or_else(|_| row.try_get_by_index::<i32>(1).map(i64::from))?;
        let rank: f64 = row.try_get_by_index(2)?;
        if let (Some(kind), Ok(id)) = (Kind::from_search_code(kind), i32::try_from(id)) {
            hits.push(Hit { kind, id, rank });
        }
    }
    Ok(hits)
}
