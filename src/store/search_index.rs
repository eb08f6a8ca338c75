//! Keeping the search index current after writes: the words of the fields
//! [`super::search_texts`] reads (split and folded by
//! [`crate::domain::search_text`]), replaced whenever import or a delete
//! changes the record; and every name of a city, case-folded, for prefix
//! filters in any script, with the folding that makes comparisons
//! case-insensitive. [`super::search`] queries the index.

use super::batched::find_by_ids;
use super::city_names::find_city_names;
use super::search_texts::{Indexed, texts};
use crate::domain::kinds::Kind;
use entity::city;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DbErr};

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

/// The entry id of a record: its kind's search code in the high 32 bits,
/// its id in the low ones, so that the entries of a kind are one range.
pub(super) fn entry_id(kind: Kind, id: i32) -> i64 {
    (i64::from(kind.search_code()) << 32) | i64::from(id as u32)
}

/// The range of entry ids of a kind: `[start, end)`.
pub(super) fn entry_range(kind: Kind) -> (i64, i64) {
    let start = i64::from(kind.search_code()) << 32;
    (start, start + (1 << 32))
}

/// The words of each record.
pub(super) fn search_term() -> Alias {
    Alias::new("search_term")
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

/// Indexes records just created from what their rows hold (see
/// [`super::search_texts::RowTexts`]): nothing to read back, nothing to
/// delete.
pub async fn index_new_texts(
    db: &impl ConnectionTrait,
    kind: Kind,
    records: &[Indexed],
) -> Result<(), DbErr> {
    insert_entries(db, kind, records).await
}

/// Indexes every record when the index is empty but records exist: after
/// the migration that replaced the full-text tables with the word index,
/// whose rows only the application can compute.
pub async fn rebuild_if_missing(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if !is_empty(db, search_term()).await? {
        return Ok(());
    }
    for kind in Kind::ALL {
        let select = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(kind.table()))
            .to_owned();
        let ids = db
            .query_all(&select)
            .await?
            .iter()
            .map(|row| row.try_get_by_index::<i32>(0))
            .collect::<Result<Vec<i32>, _>>()?;
        for chunk in ids.chunks(5_000) {
            index_new(db, kind, chunk).await?;
        }
    }
    Ok(())
}

async fn is_empty(db: &impl ConnectionTrait, table: Alias) -> Result<bool, DbErr> {
    let select = Query::select()
        .expr(Func::count(Expr::col(Alias::new("entry_id"))))
        .from(table)
        .to_owned();
    let row = db.query_one(&select).await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0)
        == 0)
}

async fn write_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[i32],
    replace: bool,
) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        let records = texts(db, kind, chunk).await?;
        if replace {
            delete_entries(db, kind, chunk).await?;
        }
        insert_entries(db, kind, &records).await?;
        if kind == Kind::City {
            city_search_names(db, chunk).await?;
        }
    }
    Ok(())
}

/// Deletes the words of the given records of one kind.
async fn delete_entries(db: &impl ConnectionTrait, kind: Kind, ids: &[i32]) -> Result<(), DbErr> {
    let entries = ids.iter().map(|id| entry_id(kind, *id));
    let delete = Query::delete()
        .from_table(search_term())
        .and_where(Expr::col(Alias::new("entry_id")).is_in(entries))
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}

/// Inserts the words of records of one kind.
async fn insert_entries(
    db: &impl ConnectionTrait,
    kind: Kind,
    records: &[Indexed],
) -> Result<(), DbErr> {
    let mut terms: Vec<(Vec<u8>, i64, i16, &str)> = records
        .iter()
        .flat_map(|record| {
            let entry = entry_id(kind, record.id);
            record
                .terms()
                .into_iter()
                .map(move |(term, tier)| (term.into_bytes(), entry, tier, record.key.as_str()))
        })
        .collect();
    // In key order, each insert fills neighbouring pages of the index.
    terms.sort_unstable();
    for rows in terms.chunks(1_000) {
        let mut insert = Query::insert();
        insert
            .into_table(search_term())
            .columns(["term", "entry_id", "tier", "record_key"].map(Alias::new));
        for (term, entry, tier, key) in rows {
            insert
                .values([
                    term.clone().into(),
                    (*entry).into(),
                    (*tier).into(),
                    key.as_bytes().to_vec().into(),
                ])
                .map_err(super::built)?;
        }
        db.execute(&insert).await?;
    }
    Ok(())
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
