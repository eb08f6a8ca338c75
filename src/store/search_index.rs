//! Keeping the search index current after writes: what text each record
//! contributes (its name, and the rest), replaced whenever import or a
//! delete changes the record; and every name of a city, case-folded, for
//! prefix filters in any script, with the folding that makes comparisons
//! case-insensitive. [`super::search`] queries the index.

use super::batched::find_by_ids;
use super::city_names::find_city_names;
use crate::domain::kinds::Kind;
use entity::{city, event, organization, partnership, protocol, source, topic, visit};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use std::collections::{BTreeMap, HashMap};

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

/// The SQLite rowid of an entry: kind and id in one integer, so that an
/// entry can be replaced without scanning the unindexed columns.
fn rowid(kind: Kind, id: i32) -> i64 {
    (i64::from(kind.search_code()) << 32) | i64::from(id)
}

/// The index table: FTS5 on SQLite, a `tsvector` table on PostgreSQL.
pub(super) fn search_index() -> Alias {
    Alias::new("search_index")
}

/// Removes a deleted record's index entry.
pub async fn remove(db: &impl ConnectionTrait, kind: Kind, id: i32) -> Result<(), DbErr> {
    delete_entries(db, kind, &[id]).await
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
            delete_entries(db, kind, chunk).await?;
        }
        insert_entries(db, kind, &entries).await?;
        if kind == Kind::City {
            city_search_names(db, chunk).await?;
        }
    }
    Ok(())
}

/// Deletes the entries of the given records of one kind: by rowid on
/// SQLite, the only column FTS5 can find a row by without a scan; by the
/// primary key on PostgreSQL.
async fn delete_entries(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    let mut delete = Query::delete();
    delete.from_table(search_index());
    match db.get_database_backend() {
        DbBackend::Postgres => delete
            .and_where(Expr::col(Alias::new("record_kind")).eq(kind.search_code()))
            .and_where(Expr::col(Alias::new("record_id")).is_in(ids.iter().copied())),
        _ => delete
            .and_where(Expr::col(Alias::new("rowid")).is_in(ids.iter().map(|id| rowid(kind, *id)))),
    };
    db.execute(&delete).await?;
    Ok(())
}

/// Inserts index entries `(id, name, body)` of one kind; on SQLite with
/// the rowid [`rowid`] gives them.
async fn insert_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    entries: &[(i32, String, String)],
) -> Result<(), DbErr> {
    let sqlite = db.get_database_backend() != DbBackend::Postgres;
    let mut columns = if sqlite { vec!["rowid"] } else { Vec::new() };
    columns.extend(["record_kind", "record_id", "name", "body"]);
    for rows in entries.chunks(200) {
        let mut insert = Query::insert();
        insert
            .into_table(search_index())
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for (id, name, body) in rows {
            let mut values: Vec<Expr> = Vec::with_capacity(columns.len());
            if sqlite {
                values.push(rowid(kind, *id).into());
            }
            values.extend([
                kind.search_code().into(),
                (*id).into(),
                name.clone().into(),
                body.clone().into(),
            ]);
            insert.values(values).map_err(super::built)?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// `(id, name, body)` of each record to index.
async fn entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
) -> Result<Vec<(i32, String, String)>, DbErr> {
    Ok(match kind {
        Kind::City => {
            let names = find_city_names(db, Some(ids)).await?;
            find_by_ids::<city::Model>(db, ids)
                .await?
                .into_iter()
                .map(|c| {
                    let other = names.get(&c.id).map(join_values).unwrap_or_default();
                    (
                        c.id,
                        join(&[Some(&c.name), c.native_name.as_deref(), Some(&other)]),
                        join(&[c.region.as_deref(), Some(&c.country_code)]),
                    )
                })
                .collect()
        }
        Kind::Partnership => partnership_entries(db, ids).await?,
        Kind::Visit => find_by_ids::<visit::Model>(db, ids)
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
        Kind::Protocol => find_by_ids::<protocol::Model>(db, ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title, p.summary.unwrap_or_default()))
            .collect(),
        Kind::Event => find_by_ids::<event::Model>(db, ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e.name, e.description.unwrap_or_default()))
            .collect(),
        Kind::Topic => find_by_ids::<topic::Model>(db, ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name, t.description.unwrap_or_default()))
            .collect(),
        Kind::Organization => find_by_ids::<organization::Model>(db, ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name, String::new()))
            .collect(),
        Kind::Source => find_by_ids::<source::Model>(db, ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s.title, s.publisher.unwrap_or_default()))
            .collect(),
    })
}

/// The present parts, separated by spaces.
fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A city's translations, separated by spaces.
fn join_values(names: &BTreeMap<String, String>) -> String {
    names
        .values()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A partnership's entry: its cities' names, and its notes.
async fn partnership_entries(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<(i32, String, String)>, DbErr> {
    let rows = find_by_ids::<partnership::Model>(db, ids).await?;
    let city_ids: Vec<i32> = rows
        .iter()
        .flat_map(|p| [p.city_a_id, p.city_b_id])
        .collect();
    let cities: HashMap<i32, city::Model> = find_by_ids::<city::Model>(db, &city_ids)
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
    Ok(rows
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!("{} {}", city_name(p.city_a_id), city_name(p.city_b_id)),
                p.notes.unwrap_or_default(),
            )
        })
        .collect())
}

/// Rebuilds the folded names of the given cities.
async fn city_search_names(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    let table = || Alias::new("city_search_name");
    let delete = Query::delete()
        .from_table(table())
        .and_where(Expr::col(Alias::new("city_id")).is_in(ids.iter().copied()))
        .to_owned();
    db.execute(&delete).await?;
    let names = find_city_names(db, Some(ids)).await?;
    let mut rows: Vec<(i32, String)> = Vec::new();
    for c in find_by_ids::<city::Model>(db, ids).await? {
        let mut folded: Vec<String> = [Some(c.name.as_str()), c.native_name.as_deref()]
            .into_iter()
            .flatten()
            .map(fold)
            .collect();
        folded.extend(
            names
                .get(&c.id)
                .into_iter()
                .flat_map(|n| n.values())
                .map(|n| fold(n)),
        );
        folded.sort_unstable();
        folded.dedup();
        rows.extend(folded.into_iter().map(|f| (c.id, f)));
    }
    for chunk in rows.chunks(500) {
        let mut insert = Query::insert();
        insert
            .into_table(table())
            .columns([Alias::new("city_id"), Alias::new("name_folded")]);
        for (id, name) in chunk {
            insert
                .values([(*id).into(), name.clone().into()])
                .map_err(super::built)?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
}
