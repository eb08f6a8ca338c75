//! Import: an upsert by key of a whole document in one transaction. Either
//! every record goes in, or (on any problem) nothing does.

use super::document::{City, Document};
use super::keys::{Keys, Kind};
use super::problems::Problems;
use super::records::{Related, Stored};
use super::status_steps;
use super::{resolve, validate};
use crate::domain::changes::RecordChange;
use crate::store::CHUNK;
use crate::store::links::{self, LinkMap};
use crate::store::search;
use entity::{city_name, topic};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, prelude::DateTimeUtc,
};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The document has problems; each names its place.
    #[error("{0}")]
    Invalid(Problems),
    /// The database failed; the transaction was rolled back.
    #[error("database error during import: {0}")]
    Database(#[from] DbErr),
}

/// What an import did to one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What an import did, per kind of record in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub counts: Vec<(Kind, Counts)>,
    /// The change set that records the import; none for a dry run or an
    /// import that changed nothing.
    pub change_set: Option<i32>,
}

impl ImportReport {
    /// The counts of one kind.
    pub fn of(&self, kind: Kind) -> Counts {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    /// Whether the import changed anything at all.
    pub fn changed_anything(&self) -> bool {
        self.counts.iter().any(|(_, c)| c.created + c.updated > 0)
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<14} {:>9} {:>9} {:>9}",
            "", "created", "updated", "unchanged"
        )?;
        for (kind, c) in &self.counts {
            writeln!(
                f,
                "{:<14} {:>9} {:>9} {:>9}",
                kind.plural(),
                c.created,
                c.updated,
                c.unchanged
            )?;
        }
        Ok(())
    }
}

/// Who imports, for the change history, and whether to keep the result.
pub struct ImportOptions<'a> {
    /// The API key's name, or `cli`.
    pub actor: &'a str,
    /// The command or mutation, such as `importDocument`.
    pub operation: &'a str,
    /// Check and apply everything, then roll back: the report says what
    /// an import would do.
    pub dry_run: bool,
}

/// Imports a parsed document from the command line (see [`import_with`]).
/// `progress` is told how many records were processed.
pub async fn import(
    db: &DatabaseConnection,
    document: &Document,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ImportReport, ImportError> {
    let options = ImportOptions {
        actor: "cli",
        operation: "import",
        dry_run: false,
    };
    import_with(db, document, &options, progress).await
}

/// Imports a parsed document: validates it, resolves its references against
/// itself and the database, and upserts every record by key, all in one
/// transaction, recorded in the change history as one change set.
pub async fn import_with(
    db: &DatabaseConnection,
    document: &Document,
    options: &ImportOptions<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ImportReport, ImportError> {
    let txn = crate::store::connection::begin_write(db).await?;
    let (report, changes) = match import_in(&txn, document, progress).await {
        Ok(done) => done,
        Err(error) => {
            txn.rollback().await?;
            return Err(error);
        }
    };
    let change_set =
        crate::store::changes::record(&txn, options.actor, options.operation, &changes).await?;
    if options.dry_run {
        txn.rollback().await?;
        Ok(report)
    } else {
        txn.commit().await?;
        Ok(ImportReport {
            change_set,
            ..report
        })
    }
}

/// Imports a document inside a transaction the caller owns (and commits or
/// rolls back); returns the report and the changes for the history.
pub async fn import_in(
    txn: &DatabaseTransaction,
    document: &Document,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(ImportReport, Vec<RecordChange>), ImportError> {
    let mut problems = Problems::default();
    validate::validate(document, &mut problems);
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    let mut keys = Keys::default();
    resolve::resolve(txn, document, &mut keys, &mut problems).await?;
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }

    let now = chrono::Utc::now();
    let mut writer = Writer {
        txn,
        keys,
        now,
        report: ImportReport::default(),
        done: 0,
        progress,
        changes: Vec::new(),
        created: std::collections::HashSet::new(),
    };
    let sources = writer.upsert(&document.sources).await?;
    let topics = writer.upsert(&document.topics).await?;
    writer.set_topic_parents(document, &topics).await?;
    let cities = writer.upsert(&document.cities).await?;
    writer.replace_city_names(&document.cities, &cities).await?;
    let organizations = writer.upsert(&document.organizations).await?;
    let partnerships = writer.upsert(&document.partnerships).await?;
    let events = writer.upsert(&document.events).await?;
    let visits = writer.upsert(&document.visits).await?;
    let protocols = writer.upsert(&document.protocols).await?;

    // A partnership's derived history depends on its protocols too.
    let mut dirty_partnerships = ids(&partnerships);
    for (_, index) in &protocols {
        if let Some(key) = &document.protocols[*index].partnership {
            dirty_partnerships.push(writer.keys.id(Kind::Partnership, key));
        }
    }
    dirty_partnerships.sort_unstable();
    dirty_partnerships.dedup();
    status_steps::rebuild_derived(txn, &dirty_partnerships, now).await?;

    for (kind, written) in [
        (Kind::Source, &sources),
        (Kind::Topic, &topics),
        (Kind::City, &cities),
        (Kind::Organization, &organizations),
        (Kind::Partnership, &partnerships),
        (Kind::Event, &events),
        (Kind::Visit, &visits),
        (Kind::Protocol, &protocols),
    ] {
        let (fresh, existing): (Vec<i32>, Vec<i32>) = ids(written)
            .into_iter()
            .partition(|id| writer.created.contains(&(kind, *id)));
        search::reindex(txn, kind, &existing).await?;
        search::index_new(txn, kind, &fresh).await?;
    }

    Ok((writer.report, writer.changes))
}

/// The ids of written records.
fn ids(written: &[(i32, usize)]) -> Vec<i32> {
    written.iter().map(|(id, _)| *id).collect()
}

struct Writer<'t> {
    txn: &'t DatabaseTransaction,
    keys: Keys,
    now: DateTimeUtc,
    report: ImportReport,
    done: usize,
    progress: &'t (dyn Fn(usize) + Sync),
    changes: Vec<RecordChange>,
    /// Records this import created (of every kind): they have no search
    /// entries to replace yet.
    created: std::collections::HashSet<(Kind, i32)>,
}

/// A column of an entity by name; every entity has `id`, `key` and the timestamps.
fn column<E: EntityTrait>(name: &str) -> E::Column {
    E::Column::from_str(name)
        .unwrap_or_else(|_| unreachable!("every record table has a {name} column"))
}

impl Writer<'_> {
    /// Upserts the records of one kind; returns `(id, index in document)` of
    /// each record created or updated.
    async fn upsert<R: Stored>(&mut self, records: &[R]) -> Result<Vec<(i32, usize)>, DbErr>
    where
        <R::Entity as EntityTrait>::Model: IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
    {
        let stored = self.stored_rows::<R>(records).await?;
        let stored_ids: Vec<i32> = stored.values().map(R::row_id).collect();
        let mut link_maps: HashMap<&'static str, LinkMap> = HashMap::new();
        for spec in R::LINKS {
            link_maps.insert(
                spec.table,
                links::find_links(self.txn, spec, Some(&stored_ids)).await?,
            );
        }
        let names = if R::KIND == Kind::City {
            load_city_names(self.txn, Some(&stored_ids)).await?
        } else {
            HashMap::new()
        };

        let mut counts = Counts::default();
        let mut written = Vec::new();
        let mut new_rows = Vec::new();
        let mut new_indexes = Vec::new();
        {
            let related = Related {
                keys: &self.keys,
                links: &link_maps,
                names: &names,
            };
            for (index, record) in records.iter().enumerate() {
                match stored.get(record.key()) {
                    Some(row) => {
                        let stored = R::from_row(row, &related);
                        let wanted = record.normalized();
                        if stored == wanted {
                            counts.unchanged += 1;
                            continue;
                        }
                        self.changes.push(RecordChange::between(
                            R::KIND.type_name(),
                            record.key(),
                            serde_json::to_value(&stored).ok(),
                            serde_json::to_value(&wanted).ok(),
                        ));
                        let mut update = record.to_row(&self.keys);
                        update.set(column::<R::Entity>("id"), R::row_id(row).into());
                        update.set(column::<R::Entity>("updated_at"), self.now.into());
                        R::Entity::update(update).exec(self.txn).await?;
                        counts.updated += 1;
                        written.push((R::row_id(row), index));
                    }
                    None => {
                        self.changes.push(RecordChange::between(
                            R::KIND.type_name(),
                            record.key(),
                            None,
                            serde_json::to_value(record.normalized()).ok(),
                        ));
                        let mut insert = record.to_row(&self.keys);
                        insert.set(column::<R::Entity>("created_at"), self.now.into());
                        insert.set(column::<R::Entity>("updated_at"), self.now.into());
                        new_rows.push(insert);
                        new_indexes.push(index);
                    }
                }
            }
        }
        let updated_ids: Vec<i32> = written.iter().map(|(id, _)| *id).collect();
        for spec in R::LINKS {
            links::delete_links(self.txn, spec, &updated_ids).await?;
        }

        let mut new_rows = new_rows.into_iter();
        let mut new_indexes = new_indexes.into_iter();
        loop {
            let chunk: Vec<_> = new_rows.by_ref().take(CHUNK / 2).collect();
            if chunk.is_empty() {
                break;
            }
            for row in R::Entity::insert_many(chunk)
                .exec_with_returning(self.txn)
                .await?
            {
                self.keys
                    .of_mut(R::KIND)
                    .insert(R::row_id(&row), R::row_key(&row));
                let index = new_indexes.next().unwrap_or_default();
                written.push((R::row_id(&row), index));
                counts.created += 1;
                self.created.insert((R::KIND, R::row_id(&row)));
            }
        }
        // RETURNING gives rows in insert order on both backends, but match by
        // key rather than rely on it.
        for entry in written.iter_mut().skip(updated_ids.len()) {
            let key = records[entry.1].key();
            if let Some(id) = self.keys.of(R::KIND).id(key) {
                entry.0 = id;
            }
        }
        self.write_links(records, &written).await?;

        self.done += records.len();
        (self.progress)(self.done);
        self.report.counts.push((R::KIND, counts));
        Ok(written)
    }

    /// The stored rows of the document's keys, by key.
    async fn stored_rows<R: Stored>(
        &self,
        records: &[R],
    ) -> Result<HashMap<String, <R::Entity as EntityTrait>::Model>, DbErr> {
        let mut stored = HashMap::new();
        let keys: Vec<&str> = records
            .iter()
            .map(Stored::key)
            .filter(|key| self.keys.of(R::KIND).contains(key))
            .collect();
        for chunk in keys.chunks(CHUNK) {
            let rows = R::Entity::find()
                .filter(Expr::col(Alias::new("key")).is_in(chunk.iter().copied()))
                .all(self.txn)
                .await?;
            for row in rows {
                stored.insert(R::row_key(&row).to_owned(), row);
            }
        }
        Ok(stored)
    }

    /// Inserts the link rows of the written records.
    async fn write_links<R: Stored>(
        &self,
        records: &[R],
        written: &[(i32, usize)],
    ) -> Result<(), DbErr> {
        for (position, spec) in R::LINKS.iter().enumerate() {
            let target = self.keys.of(spec.target);
            let rows: Vec<(i32, Vec<i32>)> = written
                .iter()
                .map(|(id, index)| {
                    let keys = records[*index].link_keys()[position];
                    (*id, keys.iter().filter_map(|key| target.id(key)).collect())
                })
                .collect();
            links::insert_links(self.txn, spec, &rows).await?;
        }
        Ok(())
    }

    /// Sets the parents that were new in this document when their children
    /// were written.
    async fn set_topic_parents(
        &self,
        document: &Document,
        written: &[(i32, usize)],
    ) -> Result<(), DbErr> {
        for (id, index) in written {
            let Some(parent) = &document.topics[*index].parent else {
                continue;
            };
            let parent_id = self.keys.id(Kind::Topic, parent);
            topic::Entity::update_many()
                .col_expr(topic::Column::ParentId, Expr::value(parent_id))
                .filter(topic::Column::Id.eq(*id))
                .filter(topic::Column::ParentId.is_null())
                .exec(self.txn)
                .await?;
        }
        Ok(())
    }

    /// Replaces the translations of the written cities.
    async fn replace_city_names(
        &self,
        cities: &[City],
        written: &[(i32, usize)],
    ) -> Result<(), DbErr> {
        let ids: Vec<i32> = written.iter().map(|(id, _)| *id).collect();
        for chunk in ids.chunks(CHUNK) {
            city_name::Entity::delete_many()
                .filter(city_name::Column::CityId.is_in(chunk.iter().copied()))
                .exec(self.txn)
                .await?;
        }
        let rows: Vec<city_name::ActiveModel> = written
            .iter()
            .flat_map(|(id, index)| {
                cities[*index].names.iter().map(|(lang, name)| {
                    city_name::Model {
                        city_id: *id,
                        lang: lang.clone(),
                        name: name.clone(),
                    }
                    .into_active_model()
                })
            })
            .collect();
        for chunk in rows.chunks(CHUNK / 3) {
            city_name::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(self.txn)
                .await?;
        }
        Ok(())
    }
}

/// City translations by city id, for the given cities or all.
pub(super) async fn load_city_names(
    db: &impl ConnectionTrait,
    ids: Option<&[i32]>,
) -> Result<HashMap<i32, BTreeMap<String, String>>, DbErr> {
    let mut names: HashMap<i32, BTreeMap<String, String>> = HashMap::new();
    let rows = match ids {
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                rows.extend(
                    city_name::Entity::find()
                        .filter(city_name::Column::CityId.is_in(chunk.iter().copied()))
                        .all(db)
                        .await?,
                );
            }
            rows
        }
        None => city_name::Entity::find().all(db).await?,
    };
    for row in rows {
        names
            .entry(row.city_id)
            .or_default()
            .insert(row.lang, row.name);
    }
    Ok(names)
}
