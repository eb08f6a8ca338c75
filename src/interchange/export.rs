//! Export: every stored record in the interchange format, each array sorted
//! by key and each list in a stable order, so that export → import → export
//! gives the same bytes on any database.

use super::document::{self as doc, Document, FORMAT_VERSION};
use super::import::load_city_names;
use super::keys::{Keys, Kind};
use super::records::{Related, Stored};
use crate::store::links::{self, LinkMap};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Reads the whole database as one document.
pub async fn export(db: &impl ConnectionTrait) -> Result<Document, DbErr> {
    let mut keys = Keys::default();
    for kind in Kind::ALL {
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new("key")])
            .from(Alias::new(kind.table()))
            .to_owned();
        for row in db.query_all(&select).await? {
            let key: String = row.try_get_by_index(1)?;
            keys.of_mut(kind).insert(row.try_get_by_index(0)?, &key);
        }
    }
    let names = load_city_names(db, None).await?;
    Ok(Document {
        version: FORMAT_VERSION,
        sources: all(db, &keys, &names).await?,
        topics: all(db, &keys, &names).await?,
        cities: all(db, &keys, &names).await?,
        organizations: all(db, &keys, &names).await?,
        partnerships: all(db, &keys, &names).await?,
        events: all(db, &keys, &names).await?,
        visits: all(db, &keys, &names).await?,
        protocols: all(db, &keys, &names).await?,
    })
}

/// Reads one record by key, as export would write it.
pub async fn one<R: Stored>(db: &impl ConnectionTrait, key: &str) -> Result<Option<R>, DbErr> {
    let Some(row) = R::Entity::find()
        .filter(Expr::col(Alias::new("key")).eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let id = R::row_id(&row);
    let mut link_maps: HashMap<&'static str, LinkMap> = HashMap::new();
    let mut wanted: Vec<(Kind, i32)> = R::references(&row)
        .into_iter()
        .filter_map(|(kind, id)| Some((kind, id?)))
        .collect();
    for spec in R::LINKS {
        let map = links::find_links(db, spec, Some(&[id])).await?;
        wanted.extend(map.values().flatten().map(|target| (spec.target, *target)));
        link_maps.insert(spec.table, map);
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
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new("key")])
            .from(Alias::new(kind.table()))
            .and_where(Expr::col(Alias::new("id")).is_in(ids))
            .to_owned();
        for row in db.query_all(&select).await? {
            let key: String = row.try_get_by_index(1)?;
            keys.of_mut(kind).insert(row.try_get_by_index(0)?, &key);
        }
    }
    let names = if R::KIND == Kind::City {
        load_city_names(db, Some(&[id])).await?
    } else {
        HashMap::new()
    };
    let related = Related {
        keys: &keys,
        links: &link_maps,
        names: &names,
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

/// Every record of one kind, sorted by key.
async fn all<R: Stored>(
    db: &impl ConnectionTrait,
    keys: &Keys,
    names: &HashMap<i32, std::collections::BTreeMap<String, String>>,
) -> Result<Vec<R>, DbErr> {
    let mut link_maps: HashMap<&'static str, LinkMap> = HashMap::new();
    for spec in R::LINKS {
        link_maps.insert(spec.table, links::find_links(db, spec, None).await?);
    }
    let related = Related {
        keys,
        links: &link_maps,
        names,
    };
    // Sorted here rather than by the database, whose collation may differ.
    let mut rows = R::Entity::find()
        .order_by_asc(sea_orm::sea_query::Expr::col(Alias::new("id")))
        .all(db)
        .await?;
    rows.sort_by(|a, b| R::row_key(a).cmp(R::row_key(b)));
    Ok(rows.iter().map(|row| R::from_row(row, &related)).collect())
}
