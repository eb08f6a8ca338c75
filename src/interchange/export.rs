//! Export: every stored record in the interchange format, each array sorted
//! by key and each list in a stable order, so that export → import → export
//! gives the same bytes on any database.

use super::document::{self as doc, Document, FORMAT_VERSION};
use super::keys::{Keys, Kind};
use super::records::{self, Histories, Related, Stored};
use crate::store::city_names::{self, CityNames};
use crate::store::{links, lookup, rows};
use sea_orm::{ConnectionTrait, DbErr};

/// Reads the whole database as one document.
pub async fn export(db: &impl ConnectionTrait) -> Result<Document, DbErr> {
    let mut keys = Keys::default();
    for kind in Kind::ALL {
        keys.of_mut(kind)
            .insert_all(lookup::find_all_keys(db, kind).await?);
    }
    let names = city_names::find_city_names(db, None).await?;
    let histories = records::stored_histories(db, Kind::Partnership, None).await?;
    let related = (&keys, &names, &histories);
    Ok(Document {
        version: FORMAT_VERSION,
        sources: all(db, related).await?,
        topics: all(db, related).await?,
        cities: all(db, related).await?,
        organizations: all(db, related).await?,
        partnerships: all(db, related).await?,
        events: all(db, related).await?,
        visits: all(db, related).await?,
        protocols: all(db, related).await?,
        unread: Default::default(),
    })
}

/// Reads one record by key, as export would write it.
pub async fn one<R: Stored>(db: &impl ConnectionTrait, key: &str) -> Result<Option<R>, DbErr> {
    let Some(row) = rows::find_by_key::<R::Entity>(db, key).await? else {
        return Ok(None);
    };
    let id = R::row_id(&row);
    let link_maps = links::find_link_maps(db, R::LINKS, Some(&[id])).await?;
    let mut wanted: Vec<(Kind, i32)> = R::references(&row)
        .into_iter()
        .filter_map(|(kind, id)| Some((kind, id?)))
        .collect();
    for spec in R::LINKS {
        let targets = link_maps
            .get(spec.table)
            .into_iter()
            .flat_map(|map| map.values().flatten());
        wanted.extend(targets.map(|target| (spec.target, *target)));
    }
    let histories = records::stored_histories(db, R::KIND, Some(&[id])).await?;
    for (step, sources) in histories.values().flatten() {
        wanted.extend(step.protocol_id.map(|id| (Kind::Protocol, id)));
        wanted.extend(step.city_id.map(|id| (Kind::City, id)));
        wanted.extend(sources.iter().map(|id| (Kind::Source, *id)));
    }
    let mut keys = Keys::default();
    for kind in Kind::ALL {
        let ids: Vec<i32> = wanted
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        keys.of_mut(kind)
            .insert_all(lookup::find_keys_by_ids(db, kind, &ids).await?);
    }
    let names = if R::KIND == Kind::City {
        city_names::find_city_names(db, Some(&[id])).await?
    } else {
        CityNames::new()
    };
    let related = Related {
        keys: &keys,
        links: &link_maps,
        names: &names,
        histories: &histories,
    };
    Ok(Some(R::from_row(&row, &related)))
}

/// Reads one record of `kind` by key as interchange JSON (for the history).
pub async fn one_as_json(
    db: &impl ConnectionTrait,
    kind: Kind,
    key: &str,
) -> Result<Option<serde_json::Value>, DbErr> {
    async fn json<R: Stored>(
        db: &impl ConnectionTrait,
        key: &str,
    ) -> Result<Option<serde_json::Value>, DbErr> {
        Ok(one::<R>(db, key).await?.map(|record| {
            serde_json::to_value(record)
                .unwrap_or_else(|_| unreachable!("a document record always serializes"))
        }))
    }
    match kind {
        Kind::Source => json::<doc::Source>(db, key).await,
        Kind::Topic => json::<doc::Topic>(db, key).await,
        Kind::City => json::<doc::City>(db, key).await,
        Kind::Organization => json::<doc::Organization>(db, key).await,
        Kind::Partnership => json::<doc::Partnership>(db, key).await,
        Kind::Event => json::<doc::Event>(db, key).await,
        Kind::Visit => json::<doc::Visit>(db, key).await,
        Kind::Protocol => json::<doc::Protocol>(db, key).await,
    }
}

/// The document as export writes it: two-space indented JSON and a final
/// newline.
pub fn to_json(document: &Document) -> String {
    let mut text = serde_json::to_string_pretty(document)
        .unwrap_or_else(|_| unreachable!("a document always serializes"));
    text.push('\n');
    text
}

/// What every record of a kind is written with: all keys, cities' names,
/// partnerships' histories.
pub(super) type Related3<'a> = (&'a Keys, &'a CityNames, &'a Histories);

/// Every record of one kind, sorted by key.
pub(super) async fn all<R: Stored>(
    db: &impl ConnectionTrait,
    related: Related3<'_>,
) -> Result<Vec<R>, DbErr> {
    page(db, related, &related.0.of(R::KIND).sorted_keys()).await
}

/// The records of one kind with `keys` (as [`super::keys::KeyMap::sorted_keys`] gives
/// them), in that order: a page of a kind, read by its unique key.
pub(super) async fn page<R: Stored>(
    db: &impl ConnectionTrait,
    (keys, names, histories): Related3<'_>,
    page: &[&str],
) -> Result<Vec<R>, DbErr> {
    let mut rows = rows::find_by_keys::<R::Entity>(db, page).await?;
    let ids: Vec<i32> = rows.iter().map(R::row_id).collect();
    let link_maps = links::find_link_maps(db, R::LINKS, Some(&ids)).await?;
    let related = Related {
        keys,
        links: &link_maps,
        names,
        histories,
    };
    // Sorted here rather than by the database, whose collation may differ.
    rows.sort_by(|a, b| R::row_key(a).cmp(R::row_key(b)));
    Ok(rows.iter().map(|row| R::from_row(row, &related)).collect())
}
