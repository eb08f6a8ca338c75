//! A city's names in other languages (`city_name`): part of the city record,
//! read for export and the search index, replaced whole on import.

use super::CHUNK;
use entity::city_name;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use std::collections::{BTreeMap, HashMap};

/// Names by language, per city id.
pub type CityNames = HashMap<i32, BTreeMap<String, String>>;

/// The translations of the given cities, or (with `None`) of all.
pub async fn find_city_names(
    db: &impl ConnectionTrait,
    ids: Option<&[i32]>,
) -> Result<CityNames, DbErr> {
    let rows = match ids {
        Some(ids) => {
            let mut rows = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                let found = city_name::Entity::find()
                    .filter(city_name::Column::CityId.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?;
                rows.extend(found);
            }
            rows
        }
        None => city_name::Entity::find().all(db).await?,
    };
    let mut names = CityNames::new();
    for row in rows {
        names
            .entry(row.city_id)
            .or_default()
            .insert(row.lang, row.name);
    }
    Ok(names)
}

/// Replaces the translations of the given cities: `(city id, names by
/// language)` each.
pub async fn replace_city_names(
    db: &impl ConnectionTrait,
    cities: &[(i32, &BTreeMap<String, String>)],
) -> Result<(), DbErr> {
    let ids: Vec<i32> = cities.iter().map(|(id, _)| *id).collect();
    for chunk in ids.chunks(CHUNK) {
        city_name::Entity::delete_many()
            .filter(city_name::Column::CityId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let rows: Vec<city_name::ActiveModel> = cities
        .iter()
        .flat_map(|(id, names)| {
            names.iter().map(|(lang, name)| {
                city_name::Model {
                    city_id: *id,
                    lang: lang.clone(),
                    name: name.clone(),
                }
                .into_active_model()
            })
        })
        .collect();
    // Three values a row.
    super::write::insert_all::<city_name::Entity>(db, &rows, CHUNK / 3).await
}
