//! Import: an upsert by key of a whole document in one transaction. Either
//! every record goes in, or (on any problem) nothing does.

use super::document::{City, Document};
use super::keys::{Keys, Kind};
use super::problems::Problems;
use super::records::{self, Related, Stored};
pub use super::report::{Counts, ImportReport};
use super::status_changes;
use super::{resolve, validate};
use crate::domain::changes::RecordChange;
use crate::domain::scope::Scope;
use crate::store::Db;
use crate::store::Txn;
use crate::store::city_names::{self, CityNames};
use crate::store::search_texts::{Indexed, RowTexts};
use crate::store::{links, planner_statistics, rows, search_index, stats, write};
use sea_orm::{DbErr, EntityTrait, IntoActiveModel, prelude::DateTimeUtc};
use std::collections::{BTreeMap, HashMap};

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The document has problems; each names its place.
    #[error("{0}")]
    Invalid(Problems),
    /// A scoped editor's document changes a record outside its scope; the
    /// message names the record. Nothing was written.
    #[error("{0}")]
    OutOfScope(String),
    /// The database failed; the transaction was rolled back.
    #[error("database error during import: {0}")]
    Database(#[from] DbErr),
}

/// Who imports, for the change history, and whether to keep the result.
pub struct ImportOptions<'a> {
    /// The API key's name, or `cli`.
    pub actor: &'a str,
    /// The cities a scoped editor may change, and how messages name it
    /// ("this key's"); `None` for an unscoped one.
    pub scope: Option<(&'a Scope, &'a str)>,
    /// The command or mutation, such as `importDocument`.
    pub operation: &'a str,
    /// Check and apply everything, then roll back: the report says what
    /// an import would do.
    pub dry_run: bool,
}

/// Imports a parsed document from the command line (see [`import_with`]).
/// `progress` is told how many records were processed.
pub async fn import(
    db: &Db,
    document: &Document,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ImportReport, ImportError> {
    let options = ImportOptions {
        actor: "cli",
        scope: None,
        operation: "import",
        dry_run: false,
    };
    import_with(db, document, &options, progress).await
}

/// Imports a parsed document: validates it, resolves its references against
/// itself and the database, and upserts every record by key, all in one
/// transaction, recorded in the change history as one change set.
pub async fn import_with(
    db: &Db,
    document: &Document,
    options: &ImportOptions<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ImportReport, ImportError> {
    super::scope::check_document(options.scope, document)?;
    let txn = crate::store::connection::begin_write(db).await?;
    let checked = match import_in(&txn, document, progress).await {
        Ok((report, changes)) => super::scope::check_changes(&txn, options.scope, &changes)
            .await
            .map(|()| (report, changes)),
        Err(error) => Err(error),
    };
    let (report, changes) = match checked {
        Ok(done) => done,
        Err(error) => {
            txn.rollback().await?;
            return Err(error);
        }
    };
    let author = crate::store::changes::Author {
        actor: options.actor,
        scope: options.scope.map(|(scope, _)| scope),
        operation: options.operation,
    };
    let change_set = crate::store::changes::record(&txn, author, &changes).await?;
    if options.dry_run {
        txn.rollback().await?;
        Ok(report)
    } else {
        txn.commit().await?;
        // After the commit, so that a dry run or a refused import leaves
        // the statistics as they were. The import stands if this fails.
        if report.bulk
            && let Err(error) = planner_statistics::refresh(db).await
        {
            tracing::warn!(%error, "could not measure the tables again after a large import");
        }
        Ok(ImportReport {
            change_set,
            ..report
        })
    }
}

/// Imports a document inside a transaction the caller owns (and commits or
/// rolls back); returns the report and the changes for the history.
pub async fn import_in(
    txn: &Txn,
    document: &Document,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(ImportReport, Vec<RecordChange>), ImportError> {
    // Every stage reports, so that one pass finds all of a file's problems:
    // shape (from parsing), values and uniqueness, then references, cycles
    // and pairs against the database.
    let mut later = Problems::default();
    validate::validate(document, &mut later);
    let mut keys = Keys::default();
    resolve::resolve(txn, document, &mut keys, &mut later).await?;
    let mut problems = document.unread.problems.clone();
    problems.append(later, |text| document.unread.place(text));
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }

    let recount = stats::recount_pays(
        txn,
        document.partnerships.len() + document.visits.len() + document.protocols.len(),
    )
    .await?;
    if recount {
        stats::pause(txn).await?;
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
        fresh_texts: HashMap::new(),
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

    status_changes::update(
        txn,
        document,
        (&partnerships, &protocols),
        &writer.keys,
        now,
    )
    .await?;

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
        search_index::reindex(txn, kind, &existing).await?;
        match writer.fresh_texts.remove(&kind) {
            Some(texts) => search_index::index_new_texts(txn, kind, &texts).await?,
            None => search_index::index_new(txn, kind, &fresh).await?,
        }
    }
    if recount {
        stats::recount(txn).await?;
    }

    Ok((
        ImportReport {
            bulk: recount,
            ..writer.report
        },
        writer.changes,
    ))
}

/// The ids of written records.
fn ids(written: &[(i32, usize)]) -> Vec<i32> {
    written.iter().map(|(id, _)| *id).collect()
}

struct Writer<'t> {
    txn: &'t Txn,
    keys: Keys,
    now: DateTimeUtc,
    report: ImportReport,
    done: usize,
    progress: &'t (dyn Fn(usize) + Sync),
    changes: Vec<RecordChange>,
    /// Records this import created (of every kind): they have no search
    /// entries to replace yet.
    created: std::collections::HashSet<(Kind, i32)>,
    /// What search reads of the records created, for the kinds whose rows
    /// hold all of it: indexed without reading them back.
    fresh_texts: HashMap<Kind, Vec<Indexed>>,
}

impl Writer<'_> {
    /// Upserts the records of one kind; returns `(id, index in document)` of
    /// each record created or updated.
    async fn upsert<R: Stored>(&mut self, records: &[R]) -> Result<Vec<(i32, usize)>, DbErr>
    where
        <R::Entity as EntityTrait>::Model: IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
    {
        let mut counts = Counts::default();
        let (mut written, new_indexes) = self.update_changed(records, &mut counts).await?;
        let updated_ids: Vec<i32> = written.iter().map(|(id, _)| *id).collect();
        for spec in R::LINKS {
            links::delete_links(self.txn, spec, &updated_ids).await?;
        }

        let new_rows = new_indexes
            .iter()
            .map(|index| records[*index].to_row(&self.keys))
            .collect();
        let inserted = write::insert_rows::<R::Entity>(self.txn, new_rows, self.now).await?;
        let texts: Option<Vec<Indexed>> = inserted.iter().cloned().map(RowTexts::texts).collect();
        if let Some(texts) = texts.filter(|t| !t.is_empty()) {
            self.fresh_texts.entry(R::KIND).or_default().extend(texts);
        }
        for (row, index) in inserted.iter().zip(new_indexes) {
            self.keys
                .of_mut(R::KIND)
                .insert(R::row_id(row), R::row_key(row));
            written.push((R::row_id(row), index));
            counts.created += 1;
            self.created.insert((R::KIND, R::row_id(row)));
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

    /// Compares the records with their stored rows and replaces those that
    /// changed; returns `(id, index in document)` of each one replaced, and
    /// the indexes of the records not stored yet.
    async fn update_changed<R: Stored>(
        &mut self,
        records: &[R],
        counts: &mut Counts,
    ) -> Result<(Vec<(i32, usize)>, Vec<usize>), DbErr>
    where
        <R::Entity as EntityTrait>::Model: IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
    {
        let stored = self.stored_rows::<R>(records).await?;
        let stored_ids: Vec<i32> = stored.values().map(R::row_id).collect();
        let link_maps = links::find_link_maps(self.txn, R::LINKS, Some(&stored_ids)).await?;
        let names = if R::KIND == Kind::City {
            city_names::find_city_names(self.txn, Some(&stored_ids)).await?
        } else {
            CityNames::new()
        };
        let histories = records::stored_histories(self.txn, R::KIND, Some(&stored_ids)).await?;
        let related = Related {
            keys: &self.keys,
            links: &link_maps,
            names: &names,
            histories: &histories,
        };
        let (mut updated, mut new) = (Vec::new(), Vec::new());
        for (index, record) in records.iter().enumerate() {
            let Some(row) = stored.get(record.key()) else {
                self.changes.push(RecordChange::between(
                    R::KIND.type_name(),
                    record.key(),
                    None,
                    serde_json::to_value(record.normalized()).ok(),
                ));
                new.push(index);
                continue;
            };
            let (mut before, after) = (R::from_row(row, &related), record.normalized());
            R::compared_with(&mut before, &after);
            if before == after {
                counts.unchanged += 1;
                continue;
            }
            self.changes.push(RecordChange::between(
                R::KIND.type_name(),
                record.key(),
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&after).ok(),
            ));
            let update = record.to_row(&self.keys);
            write::update_row::<R::Entity>(self.txn, update, R::row_id(row), self.now).await?;
            counts.updated += 1;
            updated.push((R::row_id(row), index));
        }
        Ok((updated, new))
    }

    /// The stored rows of the document's keys, by key.
    async fn stored_rows<R: Stored>(
        &self,
        records: &[R],
    ) -> Result<HashMap<String, <R::Entity as EntityTrait>::Model>, DbErr> {
        let keys: Vec<&str> = records
            .iter()
            .map(Stored::key)
            .filter(|key| self.keys.of(R::KIND).contains(key))
            .collect();
        Ok(rows::find_by_keys::<R::Entity>(self.txn, &keys)
            .await?
            .into_iter()
            .map(|row| (R::row_key(&row).to_owned(), row))
            .collect())
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
            write::set_missing_topic_parent(self.txn, *id, parent_id).await?;
        }
        Ok(())
    }

    /// Replaces the translations of the written cities.
    async fn replace_city_names(
        &self,
        cities: &[City],
        written: &[(i32, usize)],
    ) -> Result<(), DbErr> {
        let names: Vec<(i32, &BTreeMap<String, String>)> = written
            .iter()
            .map(|(id, index)| (*id, &cities[*index].names))
            .collect();
        city_names::replace_city_names(self.txn, &names).await
    }
}
